from pathlib import Path

from flux_cookbook.check import yamllint_run
from flux_cookbook.check.yamllint_run import Finding, lint, read_config

CONFIG = "extends: default\nrules:\n  document-start: disable\n"


def _repo(tmp_path: Path, config: str | None = CONFIG) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    if config is not None:
        (repo / ".yamllint").write_text(config)
    return repo


def test_the_repository_configuration_applies(tmp_path):
    config = read_config(_repo(tmp_path))
    assert (config.path, config.error) == (".yamllint", "")
    assert lint("a: 1 \n", "x.yaml", config, tmp_path / "cache") == [
        Finding(1, "error", "trailing-spaces", "trailing spaces")
    ]
    # Without a configuration of its own: yamllint's relaxed preset, cosmetic rules as warnings.
    default = read_config(_repo(tmp_path / "other", None))
    assert default.path == "" and lint("a: 1\n", "x.yaml", default, tmp_path / "c2") == []
    assert [(f.rule, f.level) for f in lint(f"a: {'word ' * 20}x\n", "x.yaml", default, tmp_path / "c2")] == [
        ("line-length", "warning")
    ]


def test_only_a_level_the_repository_writes_makes_a_finding_an_error(tmp_path):
    preset = read_config(_repo(tmp_path))  # `extends: default` sets every rule to error
    assert not preset.raises("trailing-spaces")
    raised = read_config(_repo(tmp_path / "raised", CONFIG + "  trailing-spaces:\n    level: error\n"))
    assert raised.raises("trailing-spaces") and not raised.raises("indentation")


def test_an_unusable_configuration_says_why(tmp_path):
    config = read_config(_repo(tmp_path, "rules:\n  no-such-rule: enable\n"))
    assert config.config is None and "no-such-rule" in config.error


def test_a_configuration_of_too_many_patterns_is_unusable_not_a_traceback(tmp_path):
    """50,000 ignore patterns broke the matcher yamllint compiles them into (a traceback);
    1,000 are fine."""
    many = "extends: relaxed\nignore: |\n" + "".join(f"  /nope{i}/x*.yaml\n" for i in range(50_000))
    config = read_config(_repo(tmp_path, many))
    assert config.config is None and "more than the 2,000" in config.error and "refused" in config.error
    fine = "extends: relaxed\nignore: |\n" + "".join(f"  /nope{i}/x*.yaml\n" for i in range(1_000))
    assert read_config(_repo(tmp_path / "fine", fine)).error == ""


def test_disable_file_is_honoured(tmp_path):
    config = read_config(_repo(tmp_path))
    assert lint("# yamllint disable-file\na: 1   \n", "x.yaml", config, tmp_path / "cache") == []


def test_a_byte_order_mark_is_no_column(tmp_path):
    """A file an editor began with a BOM: its first line's comment is where the content is."""
    config = read_config(_repo(tmp_path))
    assert lint("\ufeff# the app's values\na: 1\n", "x.yaml", config, tmp_path / "cache") == \
        lint("# the app's values\na: 1\n", "x.yaml", config, tmp_path / "cache")


def test_a_key_twice_is_left_to_checks_own_parser(tmp_path):
    """yamllint's key-duplicates compares each key with every one before it (quadratic in a
    hostile mapping); check's parser reports a key twice as yaml.parse, in linear time."""
    config = read_config(_repo(tmp_path, CONFIG + "  key-duplicates: enable\n"))
    assert [found.rule for found in lint("---\na: 1\na: 2\n", "x.yaml", config, tmp_path / "cache")] == []


def test_findings_are_remembered_by_content_and_configuration(tmp_path, monkeypatch):
    config = read_config(_repo(tmp_path))
    cache = tmp_path / "cache"
    first = lint("a: 1 \n", "x.yaml", config, cache)
    calls = []
    monkeypatch.setattr(yamllint_run, "_cosmetic_problems", lambda *args: calls.append(args) or [])
    assert lint("a: 1 \n", "x.yaml", config, cache) == first and calls == []
    # Another text, path or configuration is another question.
    lint("a: 2 \n", "x.yaml", config, cache)
    lint("a: 1 \n", "y.yaml", config, cache)
    other = read_config(_repo(tmp_path / "o", CONFIG + "  trailing-spaces: disable\n"))
    lint("a: 1 \n", "x.yaml", other, cache)
    assert len(calls) == 3


def test_a_broken_cache_entry_is_a_miss(tmp_path):
    config = read_config(_repo(tmp_path))
    cache = tmp_path / "cache"
    expected = lint("a: 1 \n", "x.yaml", config, cache)
    for entry in cache.rglob("*"):
        if entry.is_file():
            entry.write_text("{not json")
    assert lint("a: 1 \n", "x.yaml", config, cache) == expected


def test_what_the_configuration_names_is_read_inside_the_repository_only(tmp_path):
    """yamllint opens what `extends` and `ignore-from-file` name: a file of the repository is
    read from its root (and counts in the cache key); one outside it, or a device, makes the
    configuration unusable, with a message, and is never opened."""
    outside = tmp_path / "outside.yaml"
    outside.write_text("extends: relaxed\nrules:\n  line-length: {max: 1}\n")
    for config_text, named in [(f"extends: {outside}\n", str(outside)), ("extends: /dev/zero\n", "/dev/zero"),
                               (f"ignore-from-file: {outside}\n", str(outside)), ("extends: ../outside.yaml\n", "../outside.yaml")]:
        config = read_config(_repo(tmp_path / f"r{len(named)}{config_text[0]}", config_text))
        assert config.config is None and f"{named} is outside the repository" in config.error, config.error
    repo = _repo(tmp_path / "inside", "extends: lint/base.yaml\nignore-from-file: lint/ignored.txt\n")
    (repo / "lint").mkdir()
    (repo / "lint/base.yaml").write_text("extends: relaxed\nrules:\n  trailing-spaces: {level: error}\n")
    (repo / "lint/ignored.txt").write_text("vendor/\n")
    config = read_config(repo)
    assert config.error == "" and config.is_ignored("vendor/x.yaml") and not config.is_ignored("app/x.yaml")
    assert [f.rule for f in lint("a: 1 \n", "x.yaml", config, tmp_path / "cache")] == ["trailing-spaces"]
    assert "vendor/" in config.named
