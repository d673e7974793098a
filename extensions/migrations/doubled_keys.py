"""After every update: a key the merge put twice in one mapping is named.

copier merges line by line. A key a release adds to a file (`maxHistory: 5` after a
HelmRelease's releaseName) that the user had already set further down the same mapping
merges without a conflict, into a mapping holding the key twice: kustomize and Flux
refuse the file ("mapping key already defined"), as Renovate refuses a renovate.json
holding a key twice, and which value the user meant is theirs to say. So it is a
conflict in all but name: named here after `copier update`, and update-all leaves it
uncommitted, as it leaves a conflict (flux_cookbook/update/bulk.py).
A key the user's own file already held twice before the update is not the update's doing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from .. import bounded_yaml, repo_files
from .git_repo import committed_text, git

# JSON is YAML's flow style: renovate.json too (Renovate refuses a file with a key twice).
_SUFFIXES = (".yaml", ".yml", ".json")


def doubled(repo: Path) -> dict[str, list[str]]:
    """{YAML or JSON file the update changed or added: each key the update left twice in one of its
    mappings, as "<key> (lines <a> and <b>)"}, for those it left any in."""
    moved_from = _staged_moves(repo)
    # Paths relative to the folder copier updates (a cluster may be a folder of a larger repository).
    staged = git(repo, "diff", "-z", "--relative", "--name-only", "--cached").split("\0")  # from HEAD, or nothing
    changed = git(repo, "ls-files", "-z", "--modified", "--others", "--exclude-standard").split("\0")
    found = {}
    for path in sorted({name for name in staged + changed if name.endswith(_SUFFIXES)}):
        try:
            now = _doubled_keys(repo_files.read_text(repo, path))
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue  # gone, not text, or no YAML (conflict markers): named otherwise
        if not now:
            continue
        # As the file was before the update: where a release's step moved it from, too.
        try:
            before = Counter(key for key, _, _ in _doubled_keys(committed_text(repo, moved_from.get(path, path)) or ""))
        except (ValueError, yaml.YAMLError):
            continue  # no YAML before the update: what it holds is the user's to mend, as check says
        new = []
        for key, first, second in now:
            if before[key]:
                before[key] -= 1  # the user's file held it twice before the update
            else:
                new.append(f"{key} (lines {first} and {second})")
        if new:
            found[path] = new
    return found


def after(repo: Path) -> None:
    for path, keys in doubled(repo).items():
        print(f"  {path}: the merge left {', '.join(keys)} twice in one mapping, your line and the release's: "
              "keep one, then commit it with the rest of the update")


def _staged_moves(repo: Path) -> dict[str, str]:
    """{path: the path HEAD had it at} for each file the index holds moved (git's rename
    detection: a release's step moves files with `git mv`)."""
    fields = git(repo, "diff", "-z", "--relative", "--cached", "-M", "--name-status").split("\0")
    moves, at = {}, 0
    while at < len(fields) and fields[at]:
        if fields[at].startswith(("R", "C")):
            moves[fields[at + 2]] = fields[at + 1]
            at += 3
        else:
            at += 2
    return moves


def _doubled_keys(text: str) -> list[tuple[str, int, int]]:
    """(key, line of its first, line of its second) for each key a mapping of `text` holds twice."""
    found = []
    nodes = [node for node in bounded_yaml.compose_all(text) if node is not None]
    walked = set()  # an alias is the node it names: each is walked once, a recursive one too
    while nodes:
        node = nodes.pop()
        if id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if (key.tag, key.value) in seen:
                        found.append((key.value, seen[key.tag, key.value], line))
                    else:
                        seen[key.tag, key.value] = line
                nodes.append(value)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
    return sorted(found, key=lambda item: item[1])
