"""Overrides change only their own lines of a chart's values.yaml."""

import difflib
import random
from pathlib import Path

import pytest
import yaml

from flux_cookbook.extensions.values_overrides import apply_overrides

CHARTS = Path(__file__).resolve().parents[3] / "shared" / "charts" / "podinfo"
PODINFO = (CHARTS / "6.14.1" / "values.yaml").read_text()


def changed_lines(before: str, after: str) -> list[str]:
    """The -/+ lines of a unified diff without context."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
    return [line for line in diff if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def helm_merge(values: dict, overrides: dict) -> dict:
    """Helm's rule, as the reference: maps merge key by key, everything else is replaced."""
    merged = dict(values)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize("version", ["6.0.3", "6.13.0", "6.14.1"])
def test_no_overrides_is_byte_identical(version):
    text = (CHARTS / version / "values.yaml").read_text()
    assert apply_overrides(text, {}) == text


@pytest.mark.parametrize("version", ["6.0.3", "6.13.0", "6.14.1"])
def test_overriding_every_value_with_itself_changes_nothing(version):
    """Every scalar set and every list replaced, each by an equal value: not one byte moves
    (`{ }`, list indentation and the comments after replaced lists included)."""
    text = (CHARTS / version / "values.yaml").read_text()
    assert apply_overrides(text, yaml.safe_load(text)) == text


def test_podinfo_overrides_change_only_their_lines():
    overrides = {
        "replicaCount": 3,
        "ingress": {
            "enabled": True,
            "hosts": [{"host": "podinfo.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        },
        "newTopLevel": "yes",
    }
    result = apply_overrides(PODINFO, overrides)
    assert changed_lines(PODINFO, result) == [
        "-replicaCount: 1",
        "+replicaCount: 3",
        "-  enabled: false",
        "+  enabled: true",
        "-    - host: podinfo.local",
        "+    - host: podinfo.example.com",
        "-          pathType: ImplementationSpecific",
        "+          pathType: Prefix",
        '+newTopLevel: "yes"',
    ]
    assert yaml.safe_load(result) == helm_merge(yaml.safe_load(PODINFO), overrides)
    assert comments(result) == comments(PODINFO)


def test_a_new_key_goes_at_the_end_of_its_mapping_before_the_next_sections_comment():
    result = apply_overrides(PODINFO, {"ui": {"theme": "dark"}})
    assert changed_lines(PODINFO, result) == ["+  theme: dark"]
    assert '  logo: ""\n  theme: dark\n\n# failure conditions\nfaults:\n' in result


def test_a_replaced_list_keeps_the_comment_that_follows_it():
    result = apply_overrides(PODINFO, {"certificate": {"dnsNames": ["a.example", "b.example"]}})
    assert changed_lines(PODINFO, result) == ["-    - podinfo", "+    - a.example", "+    - b.example"]
    assert "    - b.example\n\n# Helm hooks (for testing purposes)\nhooks:\n" in result


def test_lists_and_mappings_replacing_scalars_and_empty_collections():
    result = apply_overrides(PODINFO, {"service": {"additionalLabels": {"team": "web"}}, "tolerations": [{"key": "a", "operator": "Exists"}]})
    assert changed_lines(PODINFO, result) == [
        "-  additionalLabels: { }",
        "+  additionalLabels:",
        "+    team: web",
        "-tolerations: []",
        "+tolerations:",
        "+  - key: a",
        "+    operator: Exists",
    ]


def test_none_sets_null_and_a_whole_mapping_can_be_replaced():
    result = apply_overrides(PODINFO, {"logLevel": None, "ui": None})
    data = yaml.safe_load(result)
    assert data["logLevel"] is None and data["ui"] is None
    assert "# failure conditions" in result  # it introduced the next section, not ui's content


def test_an_overridden_scalar_keeps_its_comment():
    result = apply_overrides(PODINFO, {"host": "0.0.0.0"})
    assert changed_lines(PODINFO, result) == ["-host: #0.0.0.0", "+host: 0.0.0.0 #0.0.0.0"]


def test_strings_that_look_like_other_types_stay_strings():
    """Helm reads values as YAML 1.1 (go-yaml v2), where yes, on, y and 010 are not strings."""
    strings = {"tag": "6.15", "a": "true", "b": "yes", "c": "on", "d": "y", "e": "010", "f": "null", "g": "x: y"}
    result = apply_overrides(PODINFO, {"image": strings})
    assert {key: yaml.safe_load(result)["image"][key] for key in strings} == strings
    assert '  d: "y"\n' in result


def test_new_keys_that_look_like_other_types_stay_strings():
    """A new key is written as a new value is: `on:` would be the boolean true to Helm."""
    overrides = {"podAnnotations": {"on": "x", "y": "0O17"}, "image": {"yes": "1e3"}}
    result = apply_overrides(PODINFO, overrides)
    data = yaml.safe_load(result)
    assert (data["podAnnotations"], data["image"]["yes"]) == ({"on": "x", "y": "0O17"}, "1e3")
    assert '  "yes": "1e3"\n' in result


def test_a_mapping_replaced_by_a_list_drops_the_mappings_own_comments():
    text = (CHARTS / "6.0.3" / "values.yaml").read_text()
    result = apply_overrides(text, {"serviceAccount": ["a", "b"]})
    assert changed_lines(text, result) == [
        "-  # Specifies whether a service account should be created",
        "-  enabled: false",
        "-  # The name of the service account to use.",
        "-  # If not set and create is true, a name is generated using the fullname template",
        "-  name:",
        "+  - a",
        "+  - b",
    ]
    assert "serviceAccount:\n  - a\n  - b\n\n# set container security context\n" in result


def test_the_charts_indentation_is_kept_for_new_lines():
    text = "# A chart that puts list dashes at the key's column\nservice:\n    ports:\n    - 80\n    type: ClusterIP\nextra: { }\n"
    result = apply_overrides(text, {"service": {"ports": [80, 443], "labels": {"a": "b"}}})
    assert result == (
        "# A chart that puts list dashes at the key's column\nservice:\n    ports:\n    - 80\n    - 443\n"
        "    type: ClusterIP\n    labels:\n        a: b\nextra: { }\n"
    )


@pytest.mark.parametrize("text", ["", "# every value is commented out\n# replicaCount: 1\n"])
def test_empty_or_commented_out_values_get_the_overrides_appended(text):
    assert apply_overrides(text, {"replicaCount": 2}) == text + "replicaCount: 2\n"
    assert apply_overrides(text, {}) == text


@pytest.mark.parametrize(("overrides", "message"), [
    (["replicaCount", 3], "values_overrides must be a mapping"),
    ("replicaCount: 3", "values_overrides must be a mapping"),
])
def test_overrides_that_are_not_a_mapping_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(PODINFO, overrides)


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "is a list, not a mapping"),
    ("<html>not found</html>\n", "is a single value, not a mapping"),
    ("a: [unclosed\n", "is not valid YAML"),
    ("a: 1\na: 2\n", "is not valid YAML"),
])
def test_values_that_are_not_a_mapping_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(text, {"a": 1})


@pytest.mark.parametrize("version", ["6.0.3", "6.13.0", "6.14.1"])
def test_random_overrides_give_helms_merge(version):
    """Any mix of scalars, lists, mappings, nulls and new keys at any depth: valid YAML
    holding exactly Helm's merge of the overrides into the chart's values."""
    text = (CHARTS / version / "values.yaml").read_text()
    values = yaml.safe_load(text)
    paths = list(_key_paths(values))
    choices = [7, "text", True, None, ["a", "b"], {"n": 1}, "yes", [{"k": "v"}], {}, []]
    generator = random.Random(version)
    for _ in range(15):
        overrides: dict = {}
        for path in generator.sample(paths, 3):
            _set_path(overrides, path, generator.choice(choices))
        overrides[f"new{generator.randint(0, 3)}"] = {"list": [1]}
        assert yaml.safe_load(apply_overrides(text, overrides)) == helm_merge(values, overrides), overrides


def _key_paths(mapping: dict, prefix: tuple = ()):
    for key, value in mapping.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from _key_paths(value, prefix + (key,))


def _set_path(overrides: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        overrides = overrides.setdefault(key, {})
        if not isinstance(overrides, dict):
            return  # a shorter path already replaced this branch
    overrides[path[-1]] = value


def test_a_tab_before_a_comment_in_the_charts_values_is_read_as_helm_reads_it():
    values = "replicaCount: 1\t# how many\nimage:\n  tag: v1\t# pinned\n"
    # The untouched line stays byte for byte; the changed one is written as ruamel writes it.
    assert apply_overrides(values, {"image": {"tag": "v2"}}) == values.replace("tag: v1\t", "tag: v2 ")
