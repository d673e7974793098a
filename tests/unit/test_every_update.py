"""What runs after every update, in its order: values kept through a CRLF file's line merge."""

from __future__ import annotations

from flux_cookbook.extensions.chart_values import placeholder_values
from flux_cookbook.extensions.migrations import every_update
from flux_cookbook.extensions.migrations.git_repo import git
from tests.support.project import repo_with

PATH = "web/helmrelease-web.yaml"
HEAD = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 15m\n"
        "  values:\n    replicaCount: 1\n    image:\n      tag: 6.0.0\n")


def test_values_a_crlf_file_holds_stay_when_the_new_render_has_the_placeholder(tmp_path, capsys):
    """The chart's values could not be read for the update: the new render has the
    placeholder (and a release change elsewhere). In CRLF the merge conflicts whole; the
    file merged line by line keeps the release's change and the user's values."""
    placeholder = "".join(f"    {line}\n" for line in placeholder_values("podinfo", "https://example.com/charts").splitlines())
    theirs = HEAD.split("  values:")[0].replace("interval: 15m", "interval: 30m") + "  values:\n" + placeholder
    mine = HEAD.replace("\n", "\r\n")
    repo = repo_with(tmp_path / "repo", {PATH: mine})
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=text).strip() for text in (HEAD, mine, theirs)]
    git(repo, "update-index", "--index-info", input=f"0 {'0' * 40}\t{PATH}\n"
        + "".join(f"100644 {blob} {stage}\t{PATH}\n" for stage, blob in enumerate(blobs, 1)))
    (repo / PATH).write_bytes(f"<<<<<<< before updating\r\n{mine}=======\n{theirs}>>>>>>> after updating\n".encode())
    every_update.after(repo)
    assert (repo / PATH).read_bytes().decode() == mine.replace("interval: 15m", "interval: 30m")
    # Staged as written (plain copier's user commits what is staged), and said once.
    assert git(repo, "status", "--porcelain") == f"M  {PATH}\n"
    assert capsys.readouterr().out.count("the values were kept") == 1
