"""The caps of extensions/bounded_yaml.py: hostile texts refused fast, ordinary ones read as PyYAML reads them."""

from __future__ import annotations

import pytest
import yaml

from flux_cookbook.extensions import bounded_yaml
from flux_cookbook.extensions.bounded_yaml import MAX_ALIAS_NODES, MAX_DEPTH, YamlTooLarge


def nested(depth: int) -> str:
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth)) + f"{'  ' * depth}x: 1\n"


@pytest.mark.parametrize("text", [
    "a: &a [1, 2]\nb: *a\nc: {<<: {x: 1}, y: 2}\n",  # aliases and merge keys people use
    nested(MAX_DEPTH - 1),
    "key: '*not an alias & not an anchor'\nlist: [[1, [2]], {a: [3]}]\n",
    "---\na: 1\n---\n- b\n",
])
def test_ordinary_yaml_reads_as_pyyaml_reads_it(text):
    assert bounded_yaml.load_all(text, "f.yaml") == list(yaml.safe_load_all(text))


@pytest.mark.parametrize(("text", "problem"), [
    (nested(MAX_DEPTH + 1), f"collections nested over {MAX_DEPTH} deep"),
    ("[" * 100_000 + "]" * 100_000, "nest"),
    ("- " * 100_000 + "x\n", f"collections nested over {MAX_DEPTH} deep"),
    ("a: &a [" + ", ".join(["x"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 101) + "]\n", f"over {MAX_ALIAS_NODES:,} nodes"),
    ("# " + "x" * bounded_yaml.MAX_BYTES, "over the limit"),
    # Flow mappings with JSON keys take an anchor right after the colon (`"k":&a`).
    ("data: {" + ", ".join([f'"l0":&l0 [{",".join(["x"] * 10)}]'] + [f'"l{n}":&l{n} [{",".join([f"*l{n - 1}"] * 10)}]'
                                                                      for n in range(1, 9)]) + "}\n",
     f"over {MAX_ALIAS_NODES:,} nodes"),
])
def test_hostile_yaml_is_refused_naming_the_file(text, problem):
    with pytest.raises(yaml.YAMLError) as refused:
        bounded_yaml.load(text, "apps/x.yaml")
    assert str(refused.value).count("apps/x.yaml") == 1 and problem in str(refused.value)


def test_aliases_count_per_document():
    # Each document may add nearly the cap; only one document over it is refused.
    document = "a: &a [" + ", ".join(["x"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 90) + "]\n"
    assert len(bounded_yaml.load_all("---\n".join([document] * 3))) == 3
    with pytest.raises(YamlTooLarge):
        bounded_yaml.load_all(document + "c: [" + ", ".join(["*a"] * 20) + "]\n")  # 110 aliases of 1,001 nodes


@pytest.mark.parametrize(("text", "problem"), [
    ("a: &a [" + ", ".join(["x"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 101) + "]\n", f"over {MAX_ALIAS_NODES:,} nodes"),
    ("a: " + "[" * 50_000 + "]" * 50_000 + "\n", "nest"),
    (nested(3_000), f"collections nested over {MAX_DEPTH} deep"),
])
def test_the_round_trip_reader_keeps_to_the_same_caps(text, problem):
    """The migrations, values overrides and refresh read with ruamel, which has no caps: a
    file of an app's update (its Kustomization, in a conflict the update settles) could
    grow the migration without end, or end it in a RecursionError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from flux_cookbook.extensions import round_trip_yaml

    for read in (round_trip_yaml.load, round_trip_yaml.load_all):
        with pytest.raises(YAMLError) as refused:
            read(YAML(), text)
        assert problem in str(refused.value)


def test_the_round_trip_reader_still_reads_what_libyaml_reads_differently():
    """A tab before a comment (libyaml and kustomize read it, ruamel does not) and YAML
    libyaml refuses are ruamel's to read or refuse, as before."""
    from ruamel.yaml import YAML

    from flux_cookbook.extensions import round_trip_yaml

    assert round_trip_yaml.load(YAML(), "a: &x 1\nb: *x\t# why\n") == {"a": 1, "b": 1}
