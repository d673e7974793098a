"""`flux-cookbook add APP`: one app in the cluster repository (copier copy -d kind=app).

The app is added at the template release the cluster records, so the cluster and its apps
stay on one release; `flux-cookbook update-all` moves them all forward together.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES, add_template_options
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import conventions, known_apps, kube_names, layout, repo_files, repo_state, unused_answers
from flux_cookbook.repository import put_back
from flux_cookbook.repository.lock import one_writer, require_no_index_lock
from flux_cookbook.seal import controller_dependency
from flux_cookbook.template_runs import copier_run, new_files_listed, trust
from flux_cookbook.values import source_notes

NAME = "add"
EXAMPLE = """examples:
  flux-cookbook add sealed-secrets --defaults      # an app the template knows: sealed-secrets, podinfo
  flux-cookbook add podinfo --helm-repo-url https://stefanprodan.github.io/podinfo --chart-version 6.x --defaults
  flux-cookbook add keycloak-db --chart postgresql --helm-repo-url oci://registry-1.docker.io/bitnamicharts \\
      --namespace keycloak --depends-on '[]' -d 'values_overrides={auth: {database: keycloak}}' --defaults"""

# Options for the answers most apps need; any other answer goes with -d KEY=VALUE.
OPTIONS = {
    "namespace": "namespace the app is installed into (default: APP)",
    "chart": "chart name in its repository (default: APP)",
    "chart_version": "version or semver range (6.x, ~6.5, >=6.0.0 <7.0.0)",
    "helm_repo_url": "Helm repository URL (https://... or oci://...)",
    "helm_repo_name": "name of the HelmRepository (default: the one serving the URL, else the chart's name)",
    "release_name": "Helm release name (default: APP)",
    "depends_on": "apps that must be ready first, as a YAML list: [postgres]",
    "values_in": "configmap (the cookbook's way) or inline",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help=SUMMARIES[NAME][1], description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("app", help="the app's name: its folder, Kustomization and HelmRelease")
    parser.add_argument("-C", "--repo", type=Path, default=Path("."), help="the cluster repository (default: .)")
    for answer, text in OPTIONS.items():
        parser.add_argument(f"--{answer.replace('_', '-')}", dest=answer, help=text)
    add_template_options(parser, into_cluster=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    extra = copier_run.parse_data(args.data)  # a usage error before anything is read
    if not args.app.strip():
        raise UsageError("APP is empty; give the app's name (its folder, Kustomization and HelmRelease)")
    given = {answer: getattr(args, answer) for answer in OPTIONS if getattr(args, answer) is not None}
    if clash := [answer for answer in given if answer in extra and extra[answer] != given[answer]]:
        raise UsageError(" and ".join(f"--{answer.replace('_', '-')} {given[answer]} and -d {answer}={extra[answer]}"
                                      for answer in clash) + " disagree; give one")
    if "app_name" in extra and extra["app_name"] != args.app:
        raise UsageError(f"-d app_name={extra['app_name']} and APP {args.app} disagree; the app's name is APP")
    repo = args.repo.resolve()
    if not repo.is_dir():
        raise UsageError(f"--repo {args.repo} is not a folder; give the cluster repository's folder (default: .)")
    copier_run.require_cluster(repo)
    repo_files.require_inside(repo)
    require_no_index_lock(repo)
    cluster = copier_run.recorded_answers(repo)
    # An app the template knows (the controller, the example) comes with its answers.
    known = known_apps.ANSWERS.get(args.app, {}) if "helm_repo_url" not in given else {}
    data = {**known, **extra, **given, "kind": "app", "app_name": args.app}
    # A copy never replaces an app (copier would ask file by file, or overwrite with
    # --defaults): refuse before copier runs, with the template's own message; a name no
    # app may have first, as the template's validator judges it (`add .github` is no app
    # whose files to remove).
    if bad_name := kube_names.dns1123_label_error(args.app, "app_name"):
        raise UserError(bad_name)
    if exists := repo_state.app_exists_error(repo, args.app, str(cluster.get("bootstrap_dir") or conventions.CURRENT.bootstrap_dir),
                                             str(cluster.get("apps_dir") or "")):
        raise UserError(exists)
    template = args.template or cluster.get("_src_path")
    if not template:
        raise UserError(f"{repo / layout.CLUSTER_ANSWERS} records no _src_path; pass --template.")
    trust.require_trusted(
        str(template), "given with --template" if args.template else f"_src_path of {layout.CLUSTER_ANSWERS}", args.trust
    )
    if not args.vcs_ref:
        trust.require_released_commits({layout.CLUSTER_ANSWERS: (str(template), str(cluster.get("_commit") or ""))})
    vcs_ref = args.vcs_ref or copier_run.release_of(str(template), cluster.get("_commit"))
    with one_writer(repo, NAME):
        untracked = new_files_listed.untracked_files(repo)
        try:
            copier_run.run_copy(str(template), repo, data, vcs_ref, args.defaults,
                                {answer: f"--{answer.replace('_', '-')}" for answer in OPTIONS})
            stops.checkpoint("app-copied")  # the tests' stand-in for a Ctrl-C here
            # The controller added after `seal`: the apps holding SealedSecrets wait for it now.
            waits = controller_dependency.plan_for_new_controller(repo, args.app)
            with put_back.put_back_unless_done(repo, [name for name, _, _ in waits]):
                waiting = controller_dependency.apply(repo, waits)
        except BaseException:
            # copier takes back what it wrote only when it made the folder: an app stopped
            # half-way (Ctrl-C, an error) would be files without answers, that add refuses.
            repo_files.remove(repo, new_files_listed.untracked_files(repo) - untracked)
            raise
        listed, left = new_files_listed.list_new_files(repo, new_files_listed.untracked_files(repo) - untracked)
    for note in listed + left:
        print(f"  {note}")
    answers_file = layout.app_answers_file(args.app)
    # An option the app's release has no question for (values_in before 3.0.0) is named too.
    options = {answer: f"--{answer.replace('_', '-')}" for answer in given}
    for note in unused_answers.notes({**extra, **given}, repo, answers_file, options) + unused_answers.kept_shared_file_notes(
            {**extra, **given}, repo, answers_file):
        print(note)
    for note in waiting + source_notes.notes(repo, answers_file):
        print(f"  {note}")
    print(f"Added app {args.app} ({answers_file}). Review with `git status`, then commit.")
    return 0
