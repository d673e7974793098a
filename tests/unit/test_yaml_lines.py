import pytest

from flux_cookbook.repository.yaml_lines import LineList, LineMap, YamlError, as_json, load, load_documents


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


def test_a_document_knows_the_line_of_a_field_at_a_path():
    (document,) = load_documents("kind: X\nspec:\n  ports:\n    - 80: web\n      name: a\n    - name: b\n")
    assert document.line_of(("spec", "ports", 1, "name")) == 6
    assert document.line_of(("spec", "ports", 0, "80")) == 4  # a JSON path spells every key as text
    assert document.line_of(("spec", "missing", "deeper")) == 2  # the deepest field it has
    assert document.line_of(()) == 1


def test_flux_discovery_takes_a_key_written_twice_as_pyyaml_does():
    (document,) = load_documents("a: 1\na: 2\n", unique_keys=False)
    assert document.obj == {"a": 2} and document.obj.line_of("a") == 2
    with pytest.raises(YamlError, match="a mapping key must be a plain value"):
        load_documents("? [a]\n: 1\n", unique_keys=False)


def test_an_error_says_it_as_pyyaml_does_too():
    with pytest.raises(YamlError) as raised:
        load_documents("kind: X\nkind: Y\n")
    assert raised.value.detail.startswith("while constructing a mapping") and "found duplicate key 'kind'" in raised.value.detail
    with pytest.raises(YamlError) as raised:
        load_documents("a: [1\n")
    assert "line 2, column 1" in raised.value.detail and raised.value.line == 2


def test_as_json_reads_as_the_api_server_does():
    obj = load("when: 2024-01-02\n1: one\nblob: !!binary aGk=\n")
    assert as_json(obj) == {"when": "2024-01-02", "1": "one", "blob": "aGk="}
