"""The files release 1.0.0 writes with no answer in them, which adopt adds from the
template's own git repository (template_files), and the check that the template has that
release at all: copier update compares with it.
"""

from __future__ import annotations

from pathlib import Path

from flux_cookbook.adopt import RELEASE_TAG
from flux_cookbook.adopt.findings import Findings
from flux_cookbook.adopt.template_files import TemplateFiles
from flux_cookbook.extensions import layout, line_ends, repo_files
from flux_cookbook.extensions.template_source import is_remote

# The repository's own housekeeping files, which release 1.0.0 writes with no answer in
# them. One that is missing is added from the template's 1.0.0 tag: copier update takes a
# file missing from the repository for one the user deleted, and would never add it.
HOUSEKEEPING = (".gitignore", ".yamllint")
# Added from the newest release instead (1.0.0 has none): until the first update it must
# already keep the answers files out of what Flux syncs.
SOURCEIGNORE = layout.SOURCEIGNORE
TEMPLATE_CLUSTER = "template/cluster"


def template_error(src: str, files: TemplateFiles | None = None) -> str:
    """Why `src` cannot serve `copier update` from release 1.0.0, or ""."""
    if files is None:
        path = Path(src).expanduser()
        if not path.is_dir():
            return "" if is_remote(src) else f"the template {src} is neither a folder nor a git URL."
        files = TemplateFiles(path, src)
    if not files.has_tag(RELEASE_TAG):
        return (
            f"the template at {src} has no tag {RELEASE_TAG}, which copier update compares with; "
            "fetch its tags (git fetch --tags) or pass --template with a clone of the template that has them."
        )
    return ""


def housekeeping_files(root: Path, files: TemplateFiles | None, findings: Findings) -> tuple[dict[str, str], dict[str, str]]:
    """(files to add, files of the user's to extend): the HOUSEKEEPING files `root` lacks,
    as release 1.0.0 has them, and the newest release's .sourceignore."""
    added: dict[str, str] = {}
    extended: dict[str, str] = {}
    where = files.src if files else "the template"
    for name in HOUSEKEEPING:
        if (root / name).exists():
            continue
        text = files.show(RELEASE_TAG, f"{TEMPLATE_CLUSTER}/{name}") if files else None
        if text is None:
            findings.notes.append(f"{name} not added: {where} has no tag {RELEASE_TAG} to take it from.")
        else:
            added[name] = text
    latest = files.latest_release() if files else None
    wanted = files.show(latest, f"{TEMPLATE_CLUSTER}/{SOURCEIGNORE}") if files and latest else None
    if wanted is None:
        findings.notes.append(
            f"{SOURCEIGNORE} not added: {where} has no release with one. If Flux syncs the repository's "
            "root (path: ./), it would try to apply the answers files."
        )
    elif not (root / SOURCEIGNORE).exists():
        added[SOURCEIGNORE] = wanted
    else:
        own = repo_files.read_text(root, SOURCEIGNORE)  # as written: its line ends stay
        have = {line.strip() for line in own.splitlines()}
        missing = [line for line in wanted.splitlines() if line.strip() and not line.startswith("#") and line.strip() not in have]
        if missing:
            newline = line_ends.of(own)
            lines = ["# Added by flux-cookbook adopt: what the template's .sourceignore leaves out of Flux's sync.",
                     *missing]
            extended[SOURCEIGNORE] = (
                own + ("" if own.endswith("\n") or not own else newline) + "".join(line + newline for line in lines)
            )
    return added, extended
