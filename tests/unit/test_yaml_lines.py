import pytest

from flux_cookbook.repository.yaml_lines import LineList, LineMap, YamlError, load, load_documents


def test_keys_items_and_documents_know_their_lines():
    documents = load_documents("a: 1\nb:\n  - x\n  - y: |\n      text\n---\n# only a comment\n---\nc: 2\n")
    assert [d.line for d in documents] == [1, 8, 9]
    first = documents[0].obj
    assert isinstance(first, LineMap) and first.key_lines == {"a": 1, "b": 2}
    assert isinstance(first["b"], LineList) and first["b"].item_lines == [3, 4]
    block = first["b"][1]
    assert (block.value_styles["y"], block.value_lines["y"]) == ("|", 4)
    assert documents[1].obj is None
    assert first.line_of("missing") == 1 and first["b"].line_of(7) == 3


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first at line 1)"),
    ("top:\n  x: 1\n  x: 1\n", 3, "duplicate key 'x' (first at line 2)"),
    ("{a: 1, a: 2}\n", 1, "duplicate key 'a' (first at line 1)"),
    ("a: [1\nb: 2\n", 2, "did not find expected ',' or ']'"),
    ("? [a]\n: 1\n", 1, "a mapping key must be a plain value"),
])
def test_errors_name_their_line(text, line, message):
    with pytest.raises(YamlError) as raised:
        load_documents(text)
    assert raised.value.line == line and message in raised.value.message


def test_merge_keys_may_be_overridden():
    assert load("base: &b {a: 1, c: 3}\nderived:\n  <<: *b\n  a: 2\n")["derived"] == {"a": 2, "c": 3}


def test_load_takes_one_document():
    assert load("") is None
    with pytest.raises(YamlError, match="more than one YAML document"):
        load("a: 1\n---\nb: 2\n")
