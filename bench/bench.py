"""How long copier takes on cluster repositories with many apps. Run by hand, not in CI.

    python bench/bench.py [--sizes 1,10,50,100] [--migration] [--migration-only] [--values] [--keep]
    python bench/bench.py --yaml-sizes 1,5,50    (only check and adopt on that many MB of YAML)
    python bench/bench.py --copies               (only the copy of a cluster against a bare template)

(the Python of a venv with this package installed, `pip install .`; it runs that venv's `copier`).
Everything happens in a temporary folder:

- the template: this checkout cloned (`git clone --no-local`) with its working tree on
  top, tagged as release A (the version CHANGELOG.md names first), then a small change
  (a comment line in the app's HelmRelease template) committed and tagged as release B,
  the next patch version, so that no versioned migration runs between them;
- a bare template for comparison: as many files as the cluster template, a few plain
  questions, no extensions, validators or tasks; also a git repository with a tag;
- for each N, a cluster repository at A with N apps (made in-process; not measured),
  committed; (b), (c) and (d) each work on their own clone of it.

For each N it measures, each command as a subprocess of its own:
  (a) `copier copy --trust --defaults` of the cluster at A (without the example app);
  (b) adding one app to the N-app repository (`copier copy -d kind=app ...`);
  (c) updating the cluster and every app to B with `flux-cookbook update-all`;
  (c1) the same with `update-all --jobs 1` (the apps one after the other, in the repository);
  (d) the same updates done the obvious way: one `copier update --trust --defaults
      --vcs-ref B -a <answers file>` process per answers file, cluster first, with
      `git add -A && git commit` after each;
and checks that (c), (c1) and (d) end at the same tree. Peak memory is the largest
resident set of any process the measured command ran (`ru_maxrss` of RUSAGE_CHILDREN,
read by a small wrapper process around each command).

`--migration` adds an update from an older release to A at the largest size, with (c) and
(d) again: from 1.0.0 (the 2.0.0 and 3.0.0 migrations run for the cluster and for every
app), or from the releases `--migration-from` names (2.1.1: the 3.0.0 migration). Releases
are found in the history by their commit subject (`Release X.Y.Z`) and tagged. From 2.1.0
on, the repository is one a user lived in: every fourth app takes its chart from a
HelmRepository of type oci (the 3.0.0 migration moves it to an OCIRepository) and every
fifth HelmRelease has its own `install.remediation` (which the migration keeps).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_TEMPLATE_FILE = "template/app/{{ layout.app_dir(app_name, apps_dir) }}/helmrelease-{{ app_name }}.yaml.jinja"
IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@invalid",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@invalid"}
# Runs a command, then writes its wall time and the peak RSS of everything it ran.
WRAPPER = """
import json, resource, subprocess, sys, time
out, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
code = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": rss, "code": code}, open(out, "w"))
"""
# The obvious loop: one copier process per answers file, a commit after each.
OBVIOUS = """
set -e
for answers in {files}; do
  {copier} update --trust --defaults --quiet --vcs-ref {ref} -a "$answers"
  git add -A
  git diff --cached --quiet || git commit -q -m "Update $answers"
done
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@dataclass
class Run:
    seconds: float
    maxrss_kb: int
    cpu: float = 0.0  # processor seconds (user and system) of the command and its children

    @property
    def mb(self) -> float:
        return self.maxrss_kb / 1024


def measure(cmd: list[str], cwd: Path, may_fail: bool = False, codes: tuple[int, ...] = (0,)) -> Run | None:
    """Run `cmd` in `cwd` as a subprocess of a wrapper process; stop if it fails (exits
    with a code not in `codes`)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        wrapper = subprocess.run(
            [sys.executable, "-c", WRAPPER, out.name, str(cwd), *cmd], capture_output=True, text=True
        )
        result = json.loads(Path(out.name).read_text() or "{}")
    if wrapper.returncode or result.get("code") not in codes:
        if may_fail:
            print(f"not measured (failed): {' '.join(cmd)}\n{wrapper.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
        raise SystemExit(f"failed: {' '.join(cmd)} (in {cwd})\n{wrapper.stderr}")
    return Run(result["seconds"], result["maxrss_kb"], result.get("cpu", 0.0))


def copier_command() -> list[str]:
    script = Path(sys.executable).with_name("copier")
    return [str(script)] if script.exists() else [sys.executable, "-m", "copier"]


# --- the templates ---------------------------------------------------------------------------


def changelog_version() -> str:
    match = re.search(r"^## (\d+\.\d+\.\d+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    if not match:
        raise SystemExit("CHANGELOG.md names no version (a line `## X.Y.Z`)")
    return match.group(1)


def build_template(dest: Path) -> tuple[str, str]:
    """This checkout with its working tree, tagged A; plus a small change tagged B."""
    git(dest.parent, "clone", "-q", "--no-local", str(ROOT), str(dest))
    tracked = set(git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")) - {""}
    for stale in set(git(dest, "ls-files", "-z").split("\0")) - {""} - tracked:
        (dest / stale).unlink()
    for name in tracked:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    git(dest, "add", "-A")
    if git(dest, "status", "--porcelain"):
        git(dest, "commit", "-q", "-m", "Working tree")
    for line in git(dest, "log", "--format=%H %s").splitlines():
        sha, _, subject = line.partition(" ")
        if release := re.fullmatch(r"Release (\d+\.\d+\.\d+)", subject):
            git(dest, "tag", "-f", f"v{release.group(1)}", sha)
    major, minor, patch = map(int, changelog_version().split("."))
    release_a, release_b = f"v{major}.{minor}.{patch}", f"v{major}.{minor}.{patch + 1}"
    git(dest, "tag", "-f", release_a, "HEAD")
    changed = dest / APP_TEMPLATE_FILE
    changed.write_text("# Managed by the flux cookbook template: change values in the ConfigMap.\n" + changed.read_text())
    git(dest, "commit", "-q", "-a", "-m", f"Release {release_b[1:]}")
    git(dest, "tag", release_b)
    return release_a, release_b


def build_bare_template(dest: Path, like: Path) -> int:
    """A template with as many files as `like` (the cluster template), a few plain
    questions, and no extensions, validators or tasks; a git repository tagged v1.0.0."""
    count = sum(1 for p in like.rglob("*") if p.is_file())
    folder = dest / "template"
    folder.mkdir(parents=True)
    (folder / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers | to_nice_yaml }}")
    for index in range(count - 1):
        (folder / f"file{index}.yaml.jinja").write_text(
            "owner: {{ repo_owner }}\nrepository: {{ repo_name }}\nbranch: {{ branch }}\n"
        )
    (dest / "copier.yml").write_text(
        "_subdirectory: template\nrepo_owner: {type: str, default: my-github-user}\n"
        "repo_name: {type: str, default: flux-cluster}\nbranch: {type: str, default: main}\n"
    )
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Bare template")
    git(dest, "tag", "v1.0.0")
    return count


# --- the cluster repositories --------------------------------------------------------------


def app_data(index: int, template: Path, release: str = "HEAD", lived_in: bool = False) -> dict:
    """An app; every third one shares a HelmRepository with others, like real clusters.
    `lived_in`: every fourth one takes its chart from a HelmRepository of type oci.

    No network: where the template can fetch the chart's values, it is told not to.
    """
    name = f"app{index:03d}"
    repo = f"charts{index % 5}" if index % 3 == 0 else f"{name}-charts"
    data = {"kind": "app", "app_name": name, "chart_version": "1.x", "helm_repo_name": repo,
            "helm_repo_url": f"https://{repo}.example.com"}
    questions = git(template, "show", f"{release}:copier.yml")
    if re.search(r"^fetch_values:", questions, re.MULTILINE):
        data["fetch_values"] = False
    if lived_in and index % 4 == 0 and re.search(r"^chart_source:", questions, re.MULTILINE):
        data.update(helm_repo_name=f"oci{index % 8}", helm_repo_url=f"oci://oci{index % 8}.example.com/charts",
                    chart_source="helmrepository")
    return data


def own_install_settings(repo: Path, app: str) -> None:
    """What a user adds to a HelmRelease: their own remediation."""
    release = repo / app / f"helmrelease-{app}.yaml"
    text = release.read_text()
    release.write_text(text.replace("  releaseName:", "  install:\n    remediation:\n      retries: 3\n  releaseName:", 1))


def build_cluster(template: Path, release: str, dest: Path, apps: int, lived_in: bool = False) -> Path:
    """A cluster repository with `apps` apps at `release`, committed (in-process, fast)."""
    import copier

    copier.run_copy(str(template), dest, data={"include_example_app": False}, vcs_ref=release,
                    defaults=True, unsafe=True, quiet=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Cluster")
    for index in range(apps):
        data = app_data(index, template, release, lived_in)
        copier.run_copy(str(template), dest, data=data, vcs_ref=release, defaults=True, unsafe=True, quiet=True)
        if lived_in and index % 5 == 0:
            own_install_settings(dest, data["app_name"])
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--allow-empty", "-m", f"{apps} apps")
    return dest


def fresh_clone(repo: Path, dest: Path) -> Path:
    git(repo.parent, "clone", "-q", str(repo), str(dest))
    return dest


def answers_files(repo: Path) -> list[str]:
    return [".copier-answers.yml", *sorted(p.name for p in repo.glob(".copier-answers.app-*.yml"))]


# --- the measurements ------------------------------------------------------------------------


def update_both(work: Path, base: Path, template: Path, release: str, label: str, sequential: bool = True) -> dict:
    """(c), optionally (c1), and (d) from clones of `base`; checks they agree."""
    # The command from the template checkout under test (`python -c` puts no folder on the path).
    # --trust: the template is a temporary clone, neither installed nor in copier's settings.
    update_all = ["-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); from flux_cookbook.cli import main; "
                  "sys.exit(main(sys.argv[1:]))", str(template), "update-all", "--trust"]
    result = {}
    c_repo = fresh_clone(base, work / f"{label}-c")
    result["c"] = measure([sys.executable, *update_all, str(c_repo), "--vcs-ref", release], work)
    trees = {"c": git(c_repo, "rev-parse", "HEAD^{tree}")}
    if sequential:
        c1_repo = fresh_clone(base, work / f"{label}-c1")
        result["c1"] = measure([sys.executable, *update_all, str(c1_repo), "--vcs-ref", release, "--jobs", "1"], work)
        trees["c1"] = git(c1_repo, "rev-parse", "HEAD^{tree}")
    d_repo = fresh_clone(base, work / f"{label}-d")
    script = OBVIOUS.format(files=" ".join(answers_files(d_repo)), ref=release,
                            copier=" ".join(copier_command()))
    result["d"] = measure(["sh", "-c", script], d_repo)
    trees["d"] = git(d_repo, "rev-parse", "HEAD^{tree}")
    result["same"] = len(set(trees.values())) == 1
    result["commits"] = int(git(c_repo, "rev-list", "--count", "HEAD")) - int(git(base, "rev-list", "--count", "HEAD"))
    for repo in (c_repo, d_repo, *( [work / f"{label}-c1"] if sequential else [])):
        shutil.rmtree(repo, ignore_errors=True)
    return result


def bench_size(work: Path, template: Path, release_a: str, release_b: str, apps: int) -> dict:
    base = build_cluster(template, release_a, work / f"base-{apps}", apps)
    row: dict = {"apps": apps}
    row["a"] = measure([*copier_command(), "copy", "--trust", "--defaults", "--quiet",
                        "-d", "include_example_app=false", "-d", "sealed_secrets=false",
                        "--vcs-ref", release_a, str(template), str(work / f"copy-{apps}")], work)
    b_repo = fresh_clone(base, work / f"add-{apps}")
    extra = app_data(apps, template)
    row["b"] = measure([*copier_command(), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", release_a,
                        *(arg for key, value in extra.items() for arg in ("-d", f"{key}={value}")),
                        str(template), "."], b_repo)
    row.update(update_both(work, base, template, release_b, f"update-{apps}"))
    row["check"], row["check_files"] = bench_check(work, base, template)
    for folder in (work / f"copy-{apps}", b_repo, base):
        shutil.rmtree(folder, ignore_errors=True)
    return row


def bench_check(work: Path, repo: Path, template: Path) -> tuple[dict[str, Run], int]:
    """`flux-cookbook check` of the repository, as a process: with every build, and without."""
    files = len([p for p in repo.rglob("*.y*ml") if ".git" not in p.parts])
    command = ["-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); from flux_cookbook.cli import main; "
               "sys.exit(main(sys.argv[1:]))", str(template), "check"]
    runs = {}
    for label, extra in (("build", []), ("no-build", ["--no-build"]), ("base-one-file", ["--base", "HEAD"])):
        clone = fresh_clone(repo, work / f"check-{label}-{files}")
        if label == "base-one-file":
            # A pull request's usual size: one file changed against its base (both sides built).
            changed = sorted(clone.rglob("helmrelease-*.yaml"))[0]
            changed.write_text(changed.read_text().replace("interval:", "interval: 20m\n  # was:", 1))
        # The first run fills yamllint's cache; the one measured is a repeat, as pre-commit runs it.
        measure([sys.executable, *command, str(clone), *extra], work, may_fail=True)
        runs[label] = measure([sys.executable, *command, str(clone), *extra], work, may_fail=True)
    return runs, files


# --- check and adopt on large YAML --------------------------------------------------------

YAML_FILE_MB = 5  # each file at most this big (one file may hold 16 MiB: bounded_yaml.MAX_BYTES)
CONFIG_MAP = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: default\n"
              "  labels: {{app: bench, index: '{i}'}}\ndata:\n  key: value-{i}\n  list: '[a, b, c]'\n")


def write_yaml(folder: Path, megabytes: float) -> None:
    """`megabytes` of ConfigMaps in files of at most YAML_FILE_MB, in `folder`."""
    folder.mkdir(parents=True)
    index = written = 0
    while written < megabytes * 1e6:
        parts, size = [], 0
        while size < min(YAML_FILE_MB * 1e6, megabytes * 1e6 - written):
            parts.append(CONFIG_MAP.format(i=index))
            size += len(parts[-1]) + 4
            index += 1
        (folder / f"configmaps-{index}.yaml").write_text("---\n".join(parts))
        written += size


def bench_yaml(work: Path, template: Path, release: str, sizes: list[float]) -> list[dict]:
    """`check --no-build` and `adopt --dry-run` of a cluster repository holding `size` MB of
    YAML (in a folder no Flux Kustomization builds: kustomize's own time grows with the
    square of the objects in one build, and is bounded by its CPU limit)."""
    base = build_cluster(template, release, work / "yaml-base", 0)
    command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
               "from flux_cookbook.cli import main; sys.exit(main(sys.argv[1:]))", str(template)]
    rows = []
    for size in sizes:
        repo = fresh_clone(base, work / f"yaml-{size}")
        write_yaml(repo / "data", size)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "data")
        check = measure([*command, "check", str(repo), "--no-build"], work, may_fail=True, codes=(0, 1))
        for answers in repo.glob(".copier-answers*.yml"):  # adopt takes a hand-made repository
            answers.unlink()
        git(repo, "commit", "-q", "-a", "-m", "by hand")
        adopt = measure([*command, "adopt", str(repo), "--dry-run", "--template", str(template)], work, may_fail=True)
        rows.append({"mb": size, "check": check, "adopt": adopt})
        print(f"{size} MB of YAML done", file=sys.stderr)
    return rows


def print_yaml(rows: list[dict]) -> None:
    print(f"\n{datetime.date.today().isoformat()}, {machine()}")
    print("check --no-build and adopt --dry-run, seconds (peak MB); s/MB: seconds per MB of YAML\n")
    print("| MB of YAML | check | check s/MB | adopt | adopt s/MB |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = [f"{row['mb']:g}"]
        for run in (row["check"], row["adopt"]):
            cells += [f"{run.seconds:.2f} ({run.mb:.0f})", f"{run.seconds / row['mb']:.2f}"] if run else ["failed", ""]
        print("| " + " | ".join(cells) + " |")


def bench_copies(work: Path, template: Path, release_a: str, bare: Path, rounds: int = 3) -> dict:
    """Best of `rounds`: our cluster copy (with and without the example app) and the bare one."""
    runs: dict[str, list[Run]] = {"ours": [], "ours_example": [], "bare": []}
    for index in range(rounds):
        runs["bare"].append(measure([*copier_command(), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.0.0",
                                     str(bare), str(work / f"bare-{index}")], work))
        runs["ours"].append(measure([*copier_command(), "copy", "--trust", "--defaults", "--quiet", "-d",
                                     "include_example_app=false", "-d", "sealed_secrets=false", "--vcs-ref", release_a, str(template),
                                     str(work / f"ours-{index}")], work))
        runs["ours_example"].append(measure([*copier_command(), "copy", "--trust", "--defaults", "--quiet",
                                             "--vcs-ref", release_a, str(template), str(work / f"example-{index}")],
                                            work, may_fail=True))
    return {name: min((r for r in found if r), key=lambda r: r.seconds, default=None) for name, found in runs.items()}


def clone_seconds(template: Path, ref: str, rounds: int = 10) -> float:
    """Best of `rounds`: clone, check out and remove the template repository as copier does
    for a local template (`git clone --no-checkout --filter=blob:none`, `git checkout -f`):
    the part of a copy that grows with every file of the repository, not with the template."""
    best = float("inf")
    for _ in range(rounds):
        folder = Path(tempfile.mkdtemp(prefix="bench-clone."))
        started = time.perf_counter()
        subprocess.run(["git", "clone", "-q", "--no-checkout", "--filter=blob:none", "--", str(template), str(folder / "c")],
                       check=True, capture_output=True)
        git(folder / "c", "-c", "core.fsmonitor=false", "checkout", "-q", "-f", ref)
        shutil.rmtree(folder)
        best = min(best, time.perf_counter() - started)
    return best


def bench_migration(work: Path, template: Path, release_a: str, apps: int, start: str = "1.0.0") -> dict:
    lived_in = tuple(map(int, start.split("."))) >= (2, 1, 0)
    base = build_cluster(template, f"v{start}", work / f"base-v{start}-{apps}", apps, lived_in)
    row = {"apps": apps, "from": start}
    row.update(update_both(work, base, template, release_a, f"migrate-{start}-{apps}", sequential=False))
    shutil.rmtree(base, ignore_errors=True)
    return row


# --- the report --------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = names[0] if names else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"^MemTotal:\s+(\d+)", meminfo.read_text(), re.MULTILINE).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    import copier

    git_version = git(ROOT, "version").strip().removeprefix("git version ")
    return (f"{cores} cores ({cpu}){memory}; Python {platform.python_version()}, copier {copier.__version__}, "
            f"git {git_version}, {platform.system()} {platform.release()}")


# --- chart values -----------------------------------------------------------------------------

VALUES_DOC = """
`--values` (instead of the rest): N apps of the real podinfo chart from a Helm repository
on loopback (tests/support/helm_repo_server.py), each added at 6.0.3 under `6.x` with one
override, after which the repository publishes 6.13.0 and 6.14.1. It measures
  (v1) `flux-cookbook values outdated` with a warm chart cache (the second of two runs);
  (v2) `flux-cookbook values refresh --all --to 6.14.1` (one commit per app);
  (v3) the same done with copier: one `copier update --trust --defaults -d chart_version=6.14.1
       -a <answers file>` process per app, `git add -A && git commit` after each;
and checks that (v2) and (v3) give every app the same values.
"""


def build_values_cluster(template: Path, release: str, dest: Path, apps: int, url: str) -> Path:
    import copier

    copier.run_copy(str(template), dest, data={"include_example_app": False, "sealed_secrets": False},
                    vcs_ref=release, defaults=True, unsafe=True, quiet=True)
    for index in range(apps):
        data = {"kind": "app", "app_name": f"app{index:03d}", "chart": "podinfo", "helm_repo_name": "podinfo",
                "helm_repo_url": url, "chart_version": "6.x", "values_overrides": {"replicaCount": 2}}
        copier.run_copy(str(template), dest, data=data, vcs_ref=release, defaults=True, unsafe=True, quiet=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"{apps} apps")
    return dest


def app_values(repo: Path) -> dict:
    import yaml

    return {path.name: yaml.safe_load(yaml.safe_load(path.read_text())["data"]["values.yaml"])
            for path in sorted(repo.glob("app*/configmap-*.yaml"))}


def bench_values(work: Path, template: Path, release: str, apps: int) -> dict:
    from tests.support.helm_repo_server import PODINFO_VERSIONS, serve_folder, write_charts_repo

    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # a cache of this run, warmed by the copies
    cli = ["-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); from flux_cookbook.cli import main; "
           "sys.exit(main(sys.argv[1:]))", str(template)]
    folder = write_charts_repo(work / "charts", {"podinfo": ("6.0.3",)})
    with serve_folder(folder) as url:
        base = build_values_cluster(template, release, work / f"values-{apps}", apps, url)
        write_charts_repo(folder, {"podinfo": PODINFO_VERSIONS})
        outdated = [sys.executable, *cli, "values", "outdated", str(base)]
        measure(outdated, work, codes=(1,))  # exit 1: the apps are behind
        result = {"apps": apps, "v1": measure(outdated, work, codes=(1,))}
        refreshed = fresh_clone(base, work / f"values-{apps}-v2")
        result["v2"] = measure([sys.executable, *cli, "values", "refresh", "--all", "--to", "6.14.1", "-C", str(refreshed)], work)
        updated = fresh_clone(base, work / f"values-{apps}-v3")
        script = "\n".join(
            f"{' '.join(copier_command())} update --trust --defaults --quiet -d chart_version=6.14.1 -a {name} "
            f"&& git add -A && git commit -q -m {name}" for name in answers_files(updated)[1:])
        result["v3"] = measure(["sh", "-ec", script], updated)
    result["same"] = app_values(refreshed) == app_values(updated)
    return result


def print_values(rows: list[dict]) -> None:
    print(f"\n{datetime.date.today().isoformat()}, {machine()}\nchart values; times in seconds\n")
    print("| N apps | (v1) values outdated, warm cache | (v2) values refresh --all | (v3) copier update per app "
          "| (v2)/(v3) | same values |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['apps']} | {row['v1'].seconds:.2f} | {row['v2'].seconds:.2f} | {row['v3'].seconds:.2f} "
              f"| {row['v2'].seconds / row['v3'].seconds:.3f} | {'yes' if row['same'] else 'NO'} |")


def print_report(rows: list[dict], copies: dict, files: int, migrations: list[dict], release_a: str, release_b: str) -> None:
    print(f"\n{datetime.date.today().isoformat()}, {machine()}")
    print(f"update: {release_a} -> {release_b} (one comment line in each app's HelmRelease); times in seconds, "
          "peak memory in MB\n")
    header = ("| N apps | (a) copy cluster | (b) add 1 app | (c) update_all | (c1) --jobs 1 | (d) copier per app"
              " | (c)/(d) | (c) per app | (d) per app | same tree | peak MB a / b / c / c1 / d |")
    print(header)
    print("|" + "|".join("---:" for _ in range(header.count("|") - 1)) + "|")
    for row in rows:
        files_updated = row["apps"] + 1
        print(
            f"| {row['apps']} | {row['a'].seconds:.2f} | {row['b'].seconds:.2f} | {row['c'].seconds:.2f} "
            f"| {row['c1'].seconds:.2f} | {row['d'].seconds:.2f} | {row['c'].seconds / row['d'].seconds:.3f} "
            f"| {row['c'].seconds / files_updated:.3f} | {row['d'].seconds / files_updated:.3f} "
            f"| {'yes' if row['same'] else 'NO'} "
            f"| {row['a'].mb:.0f} / {row['b'].mb:.0f} / {row['c'].mb:.0f} / {row['c1'].mb:.0f} / {row['d'].mb:.0f} |"
        )
    big = [row for row in rows if row["apps"] >= 10]
    if len(big) >= 2:
        print("\nmarginal cost per extra app (seconds; flat = no quadratic step):")
        for low, high in zip(big, big[1:]):
            span = high["apps"] - low["apps"]
            print(f"  N {low['apps']} -> {high['apps']}: (c) {(high['c'].seconds - low['c'].seconds) / span:.3f}, "
                  f"(c1) {(high['c1'].seconds - low['c1'].seconds) / span:.3f}, "
                  f"(d) {(high['d'].seconds - low['d'].seconds) / span:.3f}")
    print("\nflux-cookbook check of the same repositories (a repeat run; seconds, per 100 YAML files):")
    for row in rows:
        runs, checked = row["check"], row["check_files"]
        shown = ", ".join(f"{label} {run.seconds:.2f} s ({run.seconds * 100 / max(checked, 1):.2f} per 100 files)"
                          for label, run in runs.items() if run)
        print(f"  N={row['apps']} ({checked} YAML files): {shown or 'failed'}")
    ours, example, bare = copies["ours"], copies["ours_example"], copies["bare"]
    print(f"\ncopy, best of 3: cluster {ours.seconds:.2f} s ({ours.mb:.0f} MB); bare template with the same "
          f"{files} files, no extensions {bare.seconds:.2f} s ({bare.mb:.0f} MB): ratio {ours.seconds / bare.seconds:.2f}. "
          + (f"With the podinfo example app (the default) {example.seconds:.2f} s ({example.mb:.0f} MB)."
             if example else "With the podinfo example app (the default): failed here (see above), not measured."))
    print_migrations(migrations, release_a)


def print_migrations(migrations: list[dict], release_a: str) -> None:
    for m in migrations:
        print(
            f"\n{m['from']} -> {release_a} (the migrations in between run for every answers file), N = {m['apps']}: "
            f"(c) {m['c'].seconds:.2f} s, (d) {m['d'].seconds:.2f} s, (c)/(d) {m['c'].seconds / m['d'].seconds:.3f}, "
            f"same tree: {'yes' if m['same'] else 'NO'}, peak MB c / d {m['c'].mb:.0f} / {m['d'].mb:.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,50,100", help="numbers of apps, comma-separated (default: 1,10,50,100)")
    parser.add_argument("--migration", action="store_true", help="also an update from an older release at the largest size")
    parser.add_argument("--migration-from", default="1.0.0",
                        help="releases the --migration updates start from, comma-separated (default: 1.0.0; e.g. 1.0.0,2.1.1)")
    parser.add_argument("--migration-only", action="store_true",
                        help="only the --migration updates (at the largest of --sizes), nothing else")
    parser.add_argument("--yaml-sizes", help="only check and adopt on this many MB of YAML, comma-separated (e.g. 1,5,50)")
    parser.add_argument("--values", action="store_true",
                        help="only the chart values commands, at each of --sizes (see VALUES_DOC in bench.py)")
    parser.add_argument("--copies", action="store_true",
                        help="only the copies: the cluster's against the bare template's, best of 10")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    for key, value in IDENTITY.items():
        os.environ.setdefault(key, value)
    work = Path(tempfile.mkdtemp(prefix="flux-cookbook-bench."))
    try:
        template = work / "template"
        release_a, release_b = build_template(template)
        if args.values:
            print_values([bench_values(work, template, release_a, apps) for apps in sizes])
            return 0
        files = build_bare_template(work / "bare", template / "template/cluster")
        print(f"templates ready in {work}: {release_a}, {release_b}", file=sys.stderr)
        if args.yaml_sizes:
            print_yaml(bench_yaml(work, template, release_a, [float(mb) for mb in args.yaml_sizes.split(",")]))
            return 0
        if args.copies:
            copies = bench_copies(work, template, release_a, work / "bare", rounds=10)
            ours, bare = copies["ours"], copies["bare"]
            print(f"\n{datetime.date.today().isoformat()}, {machine()}\ncopy, best of 10: cluster {ours.seconds:.3f} s, "
                  f"bare template with the same {files} files {bare.seconds:.3f} s: ratio {ours.seconds / bare.seconds:.2f}; "
                  f"processor time {ours.cpu:.3f} s against {bare.cpu:.3f} s: ratio {ours.cpu / bare.cpu:.2f}")
            clones = clone_seconds(template, release_a), clone_seconds(work / "bare", "v1.0.0")
            files_in = [len(git(repo, "ls-files").splitlines()) for repo in (template, work / "bare")]
            print(f"of which cloning the repository as copier does: {clones[0]:.3f} s ({files_in[0]} files) against "
                  f"{clones[1]:.3f} s ({files_in[1]}); without that difference the ratio is "
                  f"{(ours.seconds - clones[0] + clones[1]) / bare.seconds:.2f}")
            return 0
        copies = {} if args.migration_only else bench_copies(work, template, release_a, work / "bare")
        rows = []
        for apps in [] if args.migration_only else sizes:
            started = time.perf_counter()
            rows.append(bench_size(work, template, release_a, release_b, apps))
            print(f"N={apps} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        migrations = [bench_migration(work, template, release_a, max(sizes), start)
                      for start in args.migration_from.split(",")] if args.migration or args.migration_only else []
        if args.migration_only:
            print(f"\n{datetime.date.today().isoformat()}, {machine()}")
            print_migrations(migrations, release_a)
        else:
            print_report(rows, copies, files, migrations, release_a, release_b)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
