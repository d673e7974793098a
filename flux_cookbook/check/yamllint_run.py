"""yamllint on a repository's YAML files, through its Python API, with the repository's own
configuration, as `yamllint .` at the repository's root would run it.

yamllint is the slowest part of `flux-cookbook check` (it tokenises every file in pure
Python), and a pre-commit hook runs it over the same files again and again; so what it
found in a file is remembered in the user's cache, under a key made of everything the
result depends on (yamllint's version, the configuration's text, the file's path and
text). The cache is best effort: one that cannot be read or written is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flux_cookbook.extensions import bounded_yaml, repo_files, user_cache

CONFIG_FILES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")
# The configurations yamllint ships, which `extends:` names without a path (its documented
# presets); any other `extends:` is a file.
PRESETS = ("default", "relaxed")


@dataclass(frozen=True)
class Finding:
    line: int
    level: str  # "error" or "warning", as the configuration sets the rule's level
    rule: str  # yamllint's rule id
    description: str


@dataclass
class LintConfig:
    config: Any  # yamllint.config.YamlLintConfig; None when the file cannot be used
    path: str  # the configuration file, "" for yamllint's default
    text: str  # its text, part of the cache key
    error: str  # why it cannot be used
    named: str = ""  # the texts of the files it names (extends, ignore-from-file): the cache key's too

    def is_yaml_file(self, path: str) -> bool:
        return bool(self.config.is_yaml_file(path))

    def is_ignored(self, path: str) -> bool:
        return bool(self.config.is_file_ignored(path))

    def raises(self, rule: str) -> bool:
        """Whether the repository's own configuration makes `rule` an error (`level: error`
        written under its `rules:`). A preset's levels do not count: yamllint's `default`
        makes every cosmetic rule an error, and Flux applies such files all the same."""
        return rule in _explicit_errors(self.text)


def _explicit_errors(text: str) -> frozenset[str]:
    import yaml

    try:
        config = bounded_yaml.load(text)
    except yaml.YAMLError:
        return frozenset()
    rules = config.get("rules") if isinstance(config, dict) else None
    if not isinstance(rules, dict):
        return frozenset()
    return frozenset(str(rule) for rule, options in rules.items()
                     if isinstance(options, dict) and options.get("level") == "error")


def read_config(root: Path) -> LintConfig:
    """The repository's yamllint configuration (.yamllint, .yamllint.yaml or .yamllint.yml
    at its root), else yamllint's `relaxed` preset.

    yamllint itself opens what a configuration's `extends` (other than one of its presets)
    and `ignore-from-file` name, from the working folder and without a size limit: a
    repository's configuration could have the check read any file of the machine, or
    /dev/zero. Each is read first through repo_files (inside the repository, bounded); one
    that is not makes the configuration unusable, with a message. yamllint then reads them
    from the repository's root, as `yamllint .` there does."""
    from yamllint.config import YamlLintConfigError

    for name in CONFIG_FILES:
        if (root / name).is_file():
            try:
                text = repo_files.read_text(root, name)
                named = _named_files(root, name, text)
                lines = sum(1 for each in (text, *named) for line in each.splitlines() if line.strip())
                if lines > MAX_CONFIG_LINES:
                    raise ValueError(f"it and the files it names hold {lines:,} lines, more than the {MAX_CONFIG_LINES:,} "
                                     "(ignore patterns, mostly) this check reads; refused")
                return LintConfig(_from_root(root, lambda: _config(text)), name, text, "", "\0".join(named))
            except (YamlLintConfigError, OSError, UnicodeDecodeError, ValueError) as error:
                return LintConfig(None, name, "", str(error))
    # No configuration of its own: yamllint's `relaxed` preset, cosmetic rules at warning level.
    return LintConfig(_config("extends: relaxed"), "", "extends: relaxed", "")


# Lines of a configuration and the files it names (each `ignore` pattern is one): yamllint
# compiles every pattern into one matcher, which 50,000 of them break.
MAX_CONFIG_LINES = 2_000


def _config(text: str):
    """yamllint's configuration of `text`; whatever its parts raise on it (a matcher that
    cannot compile its patterns) as the ValueError of an unusable configuration."""
    from yamllint.config import YamlLintConfig, YamlLintConfigError

    try:
        config = YamlLintConfig(text)
    except YamlLintConfigError:
        raise
    except Exception as error:  # noqa: BLE001 - yamllint's and its matchers' errors: a message, not a traceback
        raise ValueError(f"yamllint cannot use it: {error}") from None
    # A key twice in one mapping is check's own parser's to find (yaml.parse, an error, in
    # linear time); yamllint's key-duplicates rule compares each key with every key before
    # it, hours for one hostile mapping under the 16 MiB a file may hold.
    config.rules[PARSER_RULE] = False
    return config


PARSER_RULE = "key-duplicates"


def _from_root(root: Path, make):
    """make(), with the repository's root as the working folder (yamllint opens the files a
    configuration names from there); called before check starts any thread."""
    previous = os.getcwd()
    os.chdir(root)
    try:
        return make()
    finally:
        os.chdir(previous)


# How deep `extends` may chain files of the repository (yamllint itself has no limit).
MAX_EXTENDS = 5


def _named_files(root: Path, name: str, text: str, depth: int = 0) -> list[str]:
    """The texts of the files the configuration `name` has yamllint read (`extends` other
    than a preset, `ignore-from-file`), and of those theirs name; ValueError (OutsideRepository,
    NotReadable: OSErrors) for one outside the repository, too large, or past MAX_EXTENDS."""
    import yaml

    from flux_cookbook.extensions import bounded_yaml

    try:
        conf = bounded_yaml.load(text, name)
    except yaml.YAMLError:
        return []  # yamllint says what is wrong with it
    if not isinstance(conf, dict):
        return []
    texts = []
    extends = conf.get("extends")
    if isinstance(extends, str) and extends not in PRESETS:
        if depth >= MAX_EXTENDS:
            raise ValueError(f"{name}: extends goes more than {MAX_EXTENDS} files deep")
        inner = repo_files.read_text(root, extends)
        texts += [inner, *_named_files(root, extends, inner, depth + 1)]
    ignored = conf.get("ignore-from-file")
    for listed in [ignored] if isinstance(ignored, str) else ignored if isinstance(ignored, list) else []:
        if isinstance(listed, str):
            texts.append(repo_files.read_text(root, listed))
    return texts


def lint(text: str, path: str, config: LintConfig, cache_dir: Path | None = None) -> list[Finding]:
    """yamllint's cosmetic findings in `text` (the file at `path`), which must parse: syntax
    errors are the caller's, found once by its own parser. (yamllint parses again, with
    PyYAML's pure-Python parser; where that one alone finds a syntax error, which it
    reports in place of the cosmetic finding at that spot, the finding is not given.)"""
    import yamllint

    # A byte order mark (editors on Windows write one) is no column: yamllint counts it as
    # one, and finds the first line's comment "not indented like content".
    text = text.removeprefix("\ufeff")
    key = hashlib.sha256("\0".join((yamllint.__version__, PARSER_RULE, config.text, config.named, path, text)).encode()).hexdigest()
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    remembered = _read(cache / key[:2] / key)
    if remembered is not None:
        return remembered
    findings = [
        Finding(problem.line, problem.level, problem.rule, problem.desc)
        for problem in _cosmetic_problems(text, config.config, path)
        if problem.rule is not None  # a syntax error: not expected here, and the caller's
    ]
    _write(cache / key[:2] / key, findings)
    return findings


def _cosmetic_problems(text: str, config, path: str):
    from yamllint import linter

    return linter.run(text, config, path)  # yamllint's documented entry point


def default_cache_dir() -> Path:
    return user_cache.folder("yamllint")


def _read(path: Path) -> list[Finding] | None:
    try:
        return [Finding(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, findings: list[Finding]) -> None:
    # Only a cache: a write that fails leaves it without this entry.
    with contextlib.suppress(OSError):
        repo_files.replace_whole(path, json.dumps([finding.__dict__ for finding in findings]).encode("utf-8"))
