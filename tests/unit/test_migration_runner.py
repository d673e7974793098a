"""Which release steps one update runs, and in what order (extensions/migrations/__init__.py)."""

import pytest

from flux_cookbook.extensions import migrations


@pytest.mark.parametrize(
    ("version_from", "version_to", "expected"),
    [
        ("1.0.0", "3.0.0", ["2.0.0", "3.0.0"]),
        ("1.0.0", "2.1.1", ["2.0.0"]),
        ("2.0.0", "3.0.0", ["3.0.0"]),
        ("2.1.1", "3.0.0", ["3.0.0"]),
        ("3.0.0", "3.0.1", []),
        ("1.0.0", "1.0.0.post1.dev0+g1234567", []),  # an untagged commit: copier runs none either
        ("2.1.1", "3.0.0.post2.dev0+gabcdef0", ["3.0.0"]),
        ("nonsense", "3.0.0", []),
    ],
)
def test_an_update_runs_the_releases_it_crosses_oldest_first(version_from, version_to, expected):
    assert migrations.crossed(version_from, version_to) == expected


def test_a_step_that_stops_names_its_release(tmp_path, monkeypatch, capsys):
    from flux_cookbook.extensions.migrations import v2_0_0

    def refuse(repo, answers_file=""):
        raise migrations.MigrationAbort("a file cannot be read")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(v2_0_0, "before", refuse)
    assert migrations.main(["before", ".copier-answers.yml", "1.0.0", "3.0.0"]) == 1
    assert "Migration to 2.0.0 stopped, nothing was changed:\na file cannot be read" in capsys.readouterr().err
