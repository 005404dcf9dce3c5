"""The position-tracking JSON reader: every value and key has a line and a column."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model_conformance.json_reader.positions import (
    JSONSyntaxError,
    LineIndex,
    Position,
    locate_pointers,
    parse,
    syntax_error,
)

DOC = """{
  "model_family": "transformer",
  "training_data": [
    "dataset:a",
    "dataset:b"
  ],
  "evaluation_metrics": {"auroc": 0.91, "f1": 7e-1},
  "a/b~c": null
}
"""


def test_value_positions_are_the_first_character_of_each_value() -> None:
    doc = parse(DOC)
    assert doc.values == {
        "": Position(1, 1),
        "/model_family": Position(2, 19),
        "/training_data": Position(3, 20),
        "/training_data/0": Position(4, 5),
        "/training_data/1": Position(5, 5),
        "/evaluation_metrics": Position(7, 25),
        "/evaluation_metrics/auroc": Position(7, 35),
        "/evaluation_metrics/f1": Position(7, 47),
        "/a~1b~0c": Position(8, 12),
    }


def test_key_positions_are_the_opening_quote_of_each_key() -> None:
    doc = parse(DOC)
    assert doc.keys["/model_family"] == Position(2, 3)
    assert doc.keys["/evaluation_metrics/f1"] == Position(7, 41)
    assert doc.keys["/a~1b~0c"] == Position(8, 3)


def test_the_value_is_what_json_loads_returns() -> None:
    assert parse(DOC).value == json.loads(DOC)


def test_columns_count_characters_not_bytes() -> None:
    doc = parse('{"名前": "ü", "x": 1}')
    assert doc.values["/x"] == Position(1, 18)


def test_crlf_line_endings_count_one_line_each() -> None:
    doc = parse('{\r\n  "a": 1,\r\n  "b": 2\r\n}')
    assert doc.values["/b"] == Position(3, 8)


def test_locating_a_missing_key_points_at_the_object_that_lacks_it() -> None:
    doc = parse('{\n  "training_config": {\n    "seed": 1\n  }\n}')
    assert doc.locate("/training_config/entrypoint") == Position(2, 22)
    assert doc.locate("/framework") == Position(1, 1)


def test_locating_a_key_prefers_the_key_when_asked() -> None:
    doc = parse('{\n  "traning_config": {}\n}')
    assert doc.locate("/traning_config", key=True) == Position(2, 3)
    assert doc.locate("/traning_config") == Position(2, 21)


def test_duplicate_keys_are_recorded_with_both_positions_and_the_last_value_wins() -> None:
    doc = parse('{\n  "framework": {"a": 1},\n  "framework": "jax"\n}')
    assert doc.value == {"framework": "jax"}
    [duplicate] = doc.duplicates
    assert (duplicate.pointer, duplicate.key) == ("/framework", "framework")
    assert duplicate.position == Position(3, 3)
    assert duplicate.first == Position(2, 3)
    assert "/framework/a" not in doc.values  # positions of the discarded value are gone


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_recorded_where_they_are_written(token: str) -> None:
    doc = parse(f'{{"evaluation_metrics": {{\n  "auroc": {token}}}}}')
    [number] = doc.non_standard
    assert (number.pointer, number.token) == ("/evaluation_metrics/auroc", token)
    assert number.position == Position(2, 12)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ('{\n  "a": 1,\n}', "trailing comma before '}'", Position(2, 9)),
        ("[1, 2,\n]", "trailing comma before ']'", Position(1, 6)),
        ('{\n  "a" 1}', "expected ':' after key \"a\", found '1'", Position(2, 7)),
        ("{\n  a: 1}", "expected a key in double quotes, found 'a'", Position(2, 3)),
        ('{"a": tru}', "expected a JSON value, found 'tru'", Position(1, 7)),
        ('{"a": "x', "unterminated string starting", Position(1, 7)),
        ('{"a": 1 "b": 2}', "expected ',' or '}', found '\"'", Position(1, 9)),
        ('{"a": [1 2]}', "expected ',' or ']', found '2'", Position(1, 10)),
        ('{"a": 1}\n{}', "unexpected '{' after the end of the JSON value", Position(2, 1)),
        ('{"a": 1', "expected ',' or '}', found the end of the file", Position(1, 8)),
        ("  \n ", "the document is empty: expected a JSON value", Position(2, 2)),
        ('{"a": "tab\there"}', "invalid control character", Position(1, 11)),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str, position: Position) -> None:
    with pytest.raises(JSONSyntaxError) as caught:
        parse(text)
    assert caught.value.message.startswith(message)
    assert caught.value.position == position


@pytest.mark.parametrize("cut", range(1, 120, 7))
def test_wording_a_syntax_error_walks_only_into_what_holds_it_and_says_the_same(cut: int) -> None:
    # Broken documents of every kind: cut short, a trailing comma, a missing colon or value,
    # deep inside a list of objects or at the root. Skimming the sound parts with the C
    # scanner must leave the words and the place exactly as the full walk gives them.
    whole = json.dumps({"a": [1, {"b": [True, None, "x"]}], "c": {"d": 2.5, "e": [[]]}}, indent=1)
    for text in (whole[:cut], whole[:cut] + ",}", whole[:cut] + "]", whole.replace(":", "", 1)):
        walked = _walked_error(text)
        skimmed = syntax_error(text)
        assert (skimmed and (skimmed.message, skimmed.position)) == walked


def test_a_deep_but_readable_list_before_the_error_does_not_hide_it() -> None:
    text = '{"a": ' + "[" * 500 + "]" * 500 + ', "b": 1,}'
    error = syntax_error(text)
    assert error is not None
    assert (error.message, error.position.column) == ("trailing comma before '}'", 1015)


def _walked_error(text: str) -> tuple[str, Position] | None:
    try:
        parse(text)
    except JSONSyntaxError as error:
        return error.message, error.position
    return None


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(JSONSyntaxError, match="nested too deeply"):
        parse("[" * 100_000 + "]" * 100_000)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values, st.sampled_from([None, 0, 2]))
def test_reads_whatever_json_dumps_writes(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert parse(text).value == json.loads(text)


def test_walking_only_to_some_pointers_places_them_exactly_as_a_full_parse() -> None:
    full = parse(DOC)
    for pointer, position in full.values.items():
        partial = parse(DOC, only=[pointer])
        assert partial.locate(pointer) == position
        assert partial.value == full.value
    assert parse(DOC, only=["/model_family"]).locate("/model_family", key=True) == Position(2, 3)


def test_walking_only_to_some_pointers_skips_the_rest() -> None:
    partial = parse(DOC, only=["/model_family"])
    assert "/training_data/0" not in partial.values
    assert "/evaluation_metrics/auroc" not in partial.values


# --- the fast ways: locate_pointers (files with violations), first_error (not JSON) ----------

SHAPES = [
    DOC,
    json.dumps(json.loads(DOC), separators=(",", ":")),
    json.dumps(json.loads(DOC), indent="\t").replace("\n", "\r\n"),
    ' \n{"a": {}, "b": [], "c": { }, "d": [ ], "e": [[1], {"f": [2, {"g": 3}]}], "h": "x"}',
    '{"\\u0061": 1, "a\\/b": {"\\"q": [true, null]}, "t~x": {"": 2}, "é": {"名": 3}}',
    '["first", {"second": [0, 1, 2]}, 3]',
    '"just a string"',
]


def pointers_of(value: object, pointer: str = "") -> list[str]:
    """Every pointer in `value`, and children that are not there."""
    found = [pointer, f"{pointer}/missing", f"{pointer}/0", f"{pointer}/00", f"{pointer}/a~2"]
    if isinstance(value, dict):
        for key, item in value.items():
            escaped = key.replace("~", "~0").replace("/", "~1")
            found += pointers_of(item, f"{pointer}/{escaped}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += pointers_of(item, f"{pointer}/{index}")
    return found


def assert_placed_alike(text: str, asked: list[str]) -> None:
    value = json.loads(text)
    fast = locate_pointers(text, value, asked)
    walked = parse(text, only=asked)
    assert fast.value is value
    assert fast.locate("") == walked.locate("")
    for pointer in asked:
        for key in (False, True):
            assert fast.locate(pointer, key=key) == walked.locate(pointer, key=key), pointer


@pytest.mark.parametrize("text", SHAPES)
def test_locating_only_the_reported_pointers_places_them_as_the_walk_does(text: str) -> None:
    everything = [*pointers_of(json.loads(text)), "", "x", "/", "//", "/-"]
    for pointer in everything:
        assert_placed_alike(text, [pointer])
    assert_placed_alike(text, everything)  # many at once, sharing the way


def test_locating_only_the_reported_pointers_reads_escaped_keys() -> None:
    doc = locate_pointers('{\n "\\u0061/b": {"x": 1}}', {"a/b": {"x": 1}}, ["/a~1b/x"])
    assert doc.locate("/a~1b", key=True) == Position(2, 2)
    assert doc.locate("/a~1b/x") == Position(2, 20)


def test_locating_only_the_reported_pointers_in_very_deep_text_walks_as_before() -> None:
    text = '{"a": 1, "b": ' + "[" * 400 + "]" * 400 + "}"
    assert_placed_alike(text, ["/a", "/b/0/0", "/c"])


@given(json_values, st.sampled_from([None, 0, 2]), st.data())
def test_locating_pointers_agrees_with_the_walk_on_any_json(
    value: object, indent: int | None, data: st.DataObject
) -> None:
    text = json.dumps(value, indent=indent)
    everything = pointers_of(value)
    assert_placed_alike(text, data.draw(st.lists(st.sampled_from(everything), max_size=4)))


@pytest.mark.parametrize("breaks", ["\n", "\r\n", "\n\n\n"])
@pytest.mark.parametrize("line_length", [0, 7, 5000])
def test_line_and_column_across_the_index_blocks(breaks: str, line_length: int) -> None:
    text = breaks.join("é" * line_length for _ in range(5)) + breaks + "x" * 9000
    lines = LineIndex(text)
    block = LineIndex._BLOCK
    for offset in {0, 1, block - 1, block, block + 1, 2 * block, len(text) - 1, len(text)}:
        before = text[:offset]
        expected = Position(before.count("\n") + 1, offset - before.rfind("\n"))
        assert lines.position(offset) == expected, offset
