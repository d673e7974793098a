"""Reference rules on small hand-written repositories (the catalogue in tests/test_check.py
covers them on a generated one)."""

from pathlib import Path

from flux_cookbook.check.rules_ref import check_references
from flux_cookbook.repository.model import read_repository

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: ./{name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  dependsOn:{depends}
"""


def _repo(tmp_path: Path, depends: dict[str, list[str]]) -> Path:
    (tmp_path / "bootstrap" / "kustomizations").mkdir(parents=True)
    for name, targets in depends.items():
        entries = "".join(f"\n    - name: {target}" for target in targets) or " []"
        (tmp_path / "bootstrap" / "kustomizations" / f"kustomization-{name}.yaml").write_text(
            KUSTOMIZATION.format(name=name, depends=entries))
        (tmp_path / name).mkdir()
    return tmp_path


def _found(tmp_path):
    return [(p.path.rsplit("/", 1)[-1], p.line, p.message.rsplit(": ", 1)[-1])
            for p in check_references(read_repository(tmp_path))]


def test_each_cycle_once_at_its_first_member(tmp_path):
    _repo(tmp_path, {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["e"], "e": ["d", "a"], "f": ["f"], "g": ["a"]})
    assert sorted(_found(tmp_path)) == [
        ("kustomization-a.yaml", 14, "flux-system/a -> flux-system/b -> flux-system/c -> flux-system/a"),
        ("kustomization-d.yaml", 14, "flux-system/d -> flux-system/e -> flux-system/d"),
        ("kustomization-f.yaml", 14, "flux-system/f -> flux-system/f"),
    ]


def test_a_chain_is_no_cycle(tmp_path):
    _repo(tmp_path, {"a": ["b", "c"], "b": ["c"], "c": []})
    assert _found(tmp_path) == []


def test_a_cycle_is_reported_at_the_entry_that_closes_it(tmp_path):
    _repo(tmp_path, {"a": ["x", "b"], "b": ["a"], "x": []})
    assert _found(tmp_path) == [("kustomization-a.yaml", 15, "flux-system/a -> flux-system/b -> flux-system/a")]
