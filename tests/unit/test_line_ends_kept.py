"""After an update, a file committed in CRLF throughout is in CRLF again."""

from __future__ import annotations

from flux_cookbook.extensions.migrations import line_ends_kept
from flux_cookbook.extensions.migrations.git_repo import git
from tests.support.project import repo_with


def test_a_crlf_file_the_update_wrote_in_lf_is_crlf_again_and_a_mixed_one_is_left(tmp_path):
    repo = repo_with(tmp_path / "repo", {".copier-answers.yml": "_commit: v3.1.0\r\nkind: cluster\r\n",
                                         "staged.yaml": "a: 1\r\n", "mixed.yaml": "a: 1\r\nb: 2\n",
                                         "lf.yaml": "a: 1\n"})
    (repo / ".copier-answers.yml").write_bytes(b"_commit: v3.2.0\nkind: cluster\n")  # copier writes it anew
    (repo / "staged.yaml").write_bytes(b"a: 1\r\nb: 2\n")  # a release's step, staged
    git(repo, "add", "staged.yaml")
    (repo / "mixed.yaml").write_bytes(b"a: 1\nb: 2\n")
    (repo / "lf.yaml").write_bytes(b"a: 2\n")
    assert sorted(line_ends_kept.changed(repo)) == [".copier-answers.yml", "staged.yaml"]
    line_ends_kept.after(repo)
    assert (repo / ".copier-answers.yml").read_bytes() == b"_commit: v3.2.0\r\nkind: cluster\r\n"
    assert (repo / "staged.yaml").read_bytes() == b"a: 1\r\nb: 2\r\n"
    assert set(git(repo, "diff", "--name-only").split()) == {".copier-answers.yml", "mixed.yaml", "lf.yaml"}
    assert (repo / "mixed.yaml").read_bytes() == b"a: 1\nb: 2\n" and (repo / "lf.yaml").read_bytes() == b"a: 2\n"
    assert line_ends_kept.changed(repo) == []


def test_a_file_name_is_a_path_not_a_pattern(tmp_path):
    repo = repo_with(tmp_path / "repo", {"a[1].yaml": "a: 1\r\n", "a1.yaml": "a: 1\n"})
    (repo / "a[1].yaml").write_bytes(b"a: 1\r\nb: 2\n")
    git(repo, "add", "--", ":(literal)a[1].yaml")
    (repo / "a1.yaml").write_bytes(b"a: 2\n")
    line_ends_kept.after(repo)
    assert (repo / "a[1].yaml").read_bytes() == b"a: 1\r\nb: 2\r\n"
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [" M a1.yaml", "M  a[1].yaml"]


def test_a_file_gitattributes_marks_as_no_text_is_left_as_the_update_wrote_it(tmp_path):
    repo = repo_with(tmp_path / "repo", {".gitattributes": "*.dat -text\n", "x.dat": "a\r\nb\r\n", "y.txt": "a\r\n"})
    (repo / "x.dat").write_bytes(b"a\r\nb\n")
    (repo / "y.txt").write_bytes(b"a\nb\n")
    assert line_ends_kept.changed(repo) == ["y.txt"]
