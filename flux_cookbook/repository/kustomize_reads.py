"""What a kustomization file would make kustomize read, checked before kustomize runs.

kustomize-controller builds with kustomize's load restrictions off (a kustomization may
name `../patches/p.yaml`), but on a file system confined to the source artifact
(fluxcd/pkg `kustomize/filesys/fs_secure.go`: every path is resolved, links included, and
refused outside the artifact's root). `kubectl kustomize` has no such confinement: with
restrictions off it reads any path it is given, and with them on it refuses the
`../patches/p.yaml` that Flux builds. So the builds keep restrictions off, as Flux does,
and this module refuses beforehand every kustomization (the built folder's, and every
base and component it reaches) that names a path outside the artifact, or a remote
resource (an HTTP or git URL, which kustomize would fetch: a build here never does; Flux
recommends `--no-remote-bases` too). The artifact holds no symbolic links (the archiver
leaves them out), so resolving a path is plain path arithmetic.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import yaml

from flux_cookbook.extensions import bounded_yaml, flux_names
from flux_cookbook.extensions.kustomize_listing import named_paths

# What kustomize fetches: a URL, git's scp-like `git@host:path`, or `host.tld/path` (its
# repospec without a scheme), and anything asking for a ref.
_REMOTE = re.compile(r"://|^[a-z0-9]+::|^[\w.-]+@[\w.-]+:|^[\w-]+(?:\.[\w-]+)+(?::\d+)?/|[?&](?:ref|version|submodules|timeout)=")
NOT_FETCHED = "not followed (a build here never fetches)"


def fetches_only(error: str) -> bool:
    """Whether a build's `error` names only remote resources it did not fetch: Flux fetches
    them (unless kustomize-controller runs with --no-remote-bases), so the build is not
    known to fail, only not checked."""
    lines = error.splitlines()
    return bool(lines) and all(line.endswith(f": {NOT_FETCHED}") for line in lines)


def _kustomization_file(root: Path, folder: str) -> str | None:
    for name in flux_names.KUSTOMIZE_CONFIG_FILES:
        if (root / folder / name).is_file():
            return posixpath.join(folder, name) if folder else name
    return None


def refused_reads(root: Path, folder: str) -> list[str]:
    """Messages for what building `folder` (relative to `root`, the artifact's copy) would
    read outside `root`, fetch, or read over bounded_yaml's size cap; empty when nothing."""
    problems: list[str] = []
    seen: set[str] = set()
    todo = [folder]
    while todo:
        current = todo.pop()
        file = _kustomization_file(root, current)
        if current in seen or file is None:
            continue
        seen.add(current)
        try:
            text = (root / file).read_text(encoding="utf-8")
            kus = bounded_yaml.load(text, file)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # kustomize reports it
        if not isinstance(kus, dict):
            continue
        if clash := _key_twice(text):
            problems.append(f"{file}: {clash}; kustomize reads field names whatever their case and keeps one "
                            "of the two, which this check cannot tell: not built")
            continue
        reads = [*named_paths(_as_kustomize_reads(kus)), *_plugin_config_reads(root, current, kus)]
        for field, path, may_be_folder in reads:
            target = posixpath.normpath(posixpath.join(current, path))
            if _REMOTE.search(path) and not (root / target).exists():
                problems.append(f"{file}: {field} names the remote {path}: {NOT_FETCHED}")
            elif posixpath.isabs(path) or target == ".." or target.startswith("../"):
                problems.append(f"{file}: {field} names {path}, outside the repository: not read")
            elif may_be_folder and (root / target).is_dir():
                todo.append("" if target == "." else target)
            elif over := _over_caps(root / target):
                # kustomize would spend minutes and gigabytes on it; check names the file itself.
                problems.append(f"{file}: {field} names {path}, {over}: not read")
    return problems


# Fields of kustomize's builtin generators and transformers that name a file to read
# (ConfigMapGenerator/SecretGenerator files, envs, env; the patch transformers' path and
# paths; ReplacementTransformer's replacements' path; HelmChartInflationGenerator's),
# by their lower case: kustomize decodes a plugin's configuration whatever the case.
_PLUGIN_PATH_FIELDS = frozenset({"files", "envs", "env", "path", "paths", "valuesfile", "additionalvaluesfiles",
                                 "charthome"})
_PLUGIN_FIELDS = ("generators", "transformers", "validators")


def _plugin_config_reads(root: Path, folder: str, kus: dict) -> list[tuple[str, str, bool]]:
    """(field, path, False) of every file the generators, transformers and validators of
    the kustomization in `folder` would read: kustomize takes an entry that reads as YAML
    objects for the plugin's configuration itself (inline), and any other for a file (or
    folder) holding it, which it reads next; the paths in either are read through the
    kustomization's loader, from its folder, as the kustomization's own are."""
    found = []
    for field in _PLUGIN_FIELDS:
        entries = kus.get(field)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str):
                continue
            configs = _inline_configs(entry)
            if configs is None:
                configs = _config_file(root, folder, entry)
            found += [(f"{field} {name}", path, False) for config in configs for name, path in _named_in(config)]
    return found


def _inline_configs(entry: str) -> list | None:
    """The configurations an entry holds inline (YAML objects), or None where it is a path."""
    try:
        documents = [d for d in bounded_yaml.load_all(entry) if d is not None]
    except yaml.YAMLError:  # over a cap too: then no configuration kustomize would take
        return None
    return documents if documents and all(isinstance(d, dict) for d in documents) else None


def _config_file(root: Path, folder: str, entry: str) -> list:
    """The configurations in the file `entry` names, inside `root`; [] for anything else
    (a folder is followed as a kustomization, a path outside is named by named_paths)."""
    target = posixpath.normpath(posixpath.join(folder, entry))
    if posixpath.isabs(entry) or target == ".." or target.startswith("../") or not (root / target).is_file() \
            or _over_caps(root / target):
        return []
    try:
        return [d for d in bounded_yaml.load_all((root / target).read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # kustomize says what is wrong with it


def _named_in(node, field: str = "") -> list[tuple[str, str]]:
    """(field, path) of every path a plugin configuration names, at any depth."""
    if isinstance(node, list):
        return [found for item in node for found in _named_in(item, field)]
    if isinstance(node, dict):
        return [found for key, value in node.items()
                for found in _named_in(value, str(key) if str(key).lower() in _PLUGIN_PATH_FIELDS else "")]
    if field and isinstance(node, str) and node.strip():
        # files: [key=path] names path; every other field names the path itself.
        return [(field, node.partition("=")[2] or node if field.lower() == "files" else node)]
    return []


def _over_caps(path: Path) -> str:
    """The cap of bounded_yaml's a YAML file goes over (its size, nesting, aliases), or ""."""
    if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
        return ""
    if path.stat().st_size > bounded_yaml.MAX_BYTES:
        return f"over {bounded_yaml.MAX_BYTES:,} bytes"
    try:
        bounded_yaml.check(path.read_text(encoding="utf-8"))
    except bounded_yaml.YamlTooLarge as error:
        return str(error.problem)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""  # kustomize says what is wrong with it
    return ""


def _as_kustomize_reads(node):
    """The kustomization with each mapping key spelt as kustomize's field of that name,
    whatever its case (kustomize decodes it as JSON, whose field names match any case:
    `Resources:` names resources as `resources:` does)."""
    if isinstance(node, list):
        return [_as_kustomize_reads(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {_FIELD_SPELLINGS.get(key.lower(), key) if isinstance(key, str) else key: _as_kustomize_reads(value)
            for key, value in node.items()}


# Every field name a path is read from (kustomize_listing.named_paths), by its lower case:
# the kustomization's own, and those of the entries and mappings it holds.
_FIELD_SPELLINGS = {name.lower(): name for name in (
    *flux_names.KUSTOMIZE_CONFIG_FIELDS, "files", "envs", "env", "path", "chartHome",
)}


def _key_twice(text: str) -> str | None:
    """The first field of the kustomization, or of an entry or mapping it holds (a
    generator, a patch, helmGlobals), that repeats another, case aside ("the key
    'Resources' (line 4) repeats 'resources' (line 1)"), or None. What lies deeper (an
    inline object's labels, which may differ by case alone) is not kustomize's field."""
    try:
        root = yaml.compose(text, Loader=bounded_yaml.SAFE_LOADER)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    fields = [root]
    for _, value in root.value:  # the entries of its lists (generators, patches), not a map of labels
        items = value.value if isinstance(value, yaml.SequenceNode) else []
        fields += [item for item in items if isinstance(item, yaml.MappingNode)]
    for mapping in fields:
        seen: dict[str, yaml.Node] = {}
        for key, _ in mapping.value:
            if not isinstance(key, yaml.ScalarNode) or key.value.lower() not in _FIELD_SPELLINGS:
                continue  # only the fields a path is read from: two spellings of another change no read
            if (first := seen.get(key.value.lower())) is not None:
                return (f"the key '{key.value}' (line {key.start_mark.line + 1}) repeats "
                        f"'{first.value}' (line {first.start_mark.line + 1})")
            seen[key.value.lower()] = key
    return None
