"""The validator and every rule are total: any JSON value gets an answer, never an exception.

Strings that are not URLs, unparsable URLs, lone surrogates, integers with thousands of
digits, NaN and deep nesting included. Whatever the answer, the engine's own verdict and
the violations agree, and every message can be printed as UTF-8.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.hostile_values import documents
from tests.support.hostile_values import json_values as hostile_json

from model_conformance import MetadataValidator, load_schema
from model_conformance._engine_input import for_engine
from model_conformance.rules import SEMANTIC_RULES
from model_conformance.schema import default_schema

VALIDATOR = MetadataValidator()
ENGINE = default_schema().compile()
json_values = hostile_json()


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents, documents, json_values))
def test_any_json_value_gets_violations_never_an_exception(doc: Any) -> None:
    violations = VALIDATOR.validate(doc)
    errors = [v for v in violations if v.is_error]
    judged, replaced, _ = for_engine(doc)
    if not replaced:  # the engine takes the document as it is: its own verdict must agree
        schema_errors = [v for v in errors if not v.code.startswith("MC2")]  # MC2xx: rules
        assert ENGINE.is_valid(judged) == (not schema_errors), violations
    for violation in violations:
        str(violation).encode("utf-8")  # printable: no lone surrogate reaches a message
        assert len(violation.message) < 2000
    if isinstance(doc, dict):  # every rule on its own, whatever the engine said
        for rule in SEMANTIC_RULES:
            assert isinstance(rule(doc, default_schema().known_keys), list)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"training_config": [value]}
    return value


def test_nesting_the_engine_can_take_is_judged_by_it() -> None:
    doc = {**VALID, "training_config": _nested(200)}  # 400 levels: objects and lists
    assert VALIDATOR.is_valid(doc)
    assert ENGINE.is_valid(doc)
    assert not VALIDATOR.is_valid({**doc, "model_family": []})


@pytest.mark.parametrize("depth", [501, 100_000])
def test_deeper_nesting_is_refused_with_its_location_never_passed(depth: int) -> None:
    doc = {**VALID, "training_config": _nested(depth)}
    [too_deep] = [v for v in VALIDATOR.validate(doc) if v.is_error]
    assert too_deep.code == "MC110"
    assert too_deep.pointer.startswith("/training_config/training_config/0/")


VALID = {
    "model_family": "transformer",
    "framework": "pytorch",
    "parameter_count": 10,
    "training_data": ["ds-a"],
    "evaluation_dataset": "ds-b",
    "evaluation_metrics": {"auroc": 0.9},
}


@pytest.mark.parametrize("sign", [1, -1])
def test_an_integer_longer_than_python_prints_is_a_violation_not_a_pass(sign: int) -> None:
    assert sys.get_int_max_str_digits() < 5000
    doc = {**VALID, "training_config": {}, "parameter_count": sign * 10**5000}
    violations = VALIDATOR.validate(doc)
    [too_long] = [v for v in violations if v.code == "MC109"]
    assert too_long.path == "$.parameter_count"
    assert "more than 4300 digits" in too_long.message
    assert ("MC104" in {v.code for v in violations}) is (sign < 0)


def test_a_lone_surrogate_is_reported_where_it_is_and_the_rest_still_judged() -> None:
    violations = VALIDATOR.validate({"model_family": "x\ud800", "\udc01": 1, "framework": 3})
    codes = [(v.code, v.path) for v in violations]
    assert ("MC108", "$.model_family") in codes
    assert ("MC108", '$["\\ufffd"]') in codes
    assert ("MC102", "$.framework") in codes


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z\n", "2024-01-01T00:00:00Z ", "yesterday"])
def test_a_date_time_with_a_trailing_newline_is_invalid(value: str) -> None:
    assert not ENGINE.is_valid({"trained_at": value})
    assert "MC103" in [v.code for v in VALIDATOR.validate({"trained_at": value})]


def _user_schema(tmp_path: Any, document: Any) -> MetadataValidator:
    import json

    from model_conformance import load_schema

    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    return MetadataValidator(load_schema(path), rules=())


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_number_that_is_not_finite_never_passes_a_bound(tmp_path: Any, value: float) -> None:
    # json.loads reads 1e400 as Infinity; the engine would see null and skip the bounds.
    validator = _user_schema(tmp_path, {"properties": {"x": {"maximum": 5, "minimum": -5}}})
    violations = validator.validate({"x": value})
    assert [(v.code, v.path) for v in violations if v.is_error][:1] == [("MC109", "$.x")]


def test_a_document_too_deep_for_the_engine_is_refused_not_crashed(tmp_path: Any) -> None:
    # A recursive schema makes the engine recurse with the document: it must never see one
    # deep enough to overflow its stack (a segfault at about 10,000 levels).
    validator = _user_schema(
        tmp_path, {"properties": {"a": {"$ref": "#"}}, "additionalProperties": False}
    )
    doc: Any = {"b": 1}
    for _ in range(10_000):
        doc = {"a": doc}
    [violation] = validator.validate(doc)
    assert violation.code == "MC110"
    assert violation.pointer.count("/a") == 1001


def test_keys_in_messages_cannot_forge_a_line_or_reorder_one() -> None:
    doc = {
        **VALID,
        "training_config": {},
        "evaluation_metrics": {"auroc\nd.json:9:9: MC999 forged": float("nan")},
        "framewor\u202e": 1,
        "framework": "pytorch",
    }
    for violation in VALIDATOR.validate(doc):
        assert "\n" not in violation.message
        assert "\u202e" not in violation.message


def test_messages_stay_bounded_whatever_the_schema(tmp_path: Any) -> None:
    validator = _user_schema(
        tmp_path,
        {
            "properties": {"x": {"enum": list(range(100_000))}},
            "required": ["r" * 100_000],
        },
    )
    violations = validator.validate({"x": -1})
    assert {v.code for v in violations} == {"MC101", "MC107"}
    assert all(len(v.message) <= 1000 for v in violations)


def test_additional_properties_false_names_each_extra_key(tmp_path: Any) -> None:
    validator = _user_schema(tmp_path, {"additionalProperties": False})
    violations = validator.validate({"a": 1, "b": 2})
    assert [(v.code, v.pointer) for v in violations] == [("MC106", "/a"), ("MC106", "/b")]


def test_a_pattern_past_the_backtracking_limit_is_explained(tmp_path: Any) -> None:
    validator = _user_schema(tmp_path, {"properties": {"x": {"pattern": "^(?:(a*)*\\1b|a)"}}})
    [violation] = validator.validate({"x": "a" * 20})
    assert violation.code == "MC199"
    assert violation.pointer == "/x"
    assert "backtracking limit" in violation.message


def test_the_digit_limit_is_exact() -> None:
    assert not [
        v for v in VALIDATOR.validate({"parameter_count": int("9" * 4300)}) if v.code == "MC109"
    ]
    assert [
        v.code for v in VALIDATOR.validate({"parameter_count": 10**4300}) if v.code == "MC109"
    ] == ["MC109"]


@pytest.mark.parametrize("levels", [300, 990])
def test_a_failing_document_deeper_than_the_engine_lists_is_still_explained(levels: int) -> None:
    deep: Any = "leaf"
    for _ in range(levels):
        deep = [deep]
    doc = {**VALID, "training_config": {"a": deep}}
    assert VALIDATOR.is_valid(doc)  # the engine judges the whole depth
    del doc["framework"]
    violations = VALIDATOR.validate(doc)
    assert [v.code for v in violations] == ["MC101", "MC199"]
    assert violations[0].message.startswith("missing `framework`")
    assert "explained from its first 200 levels" in violations[1].message
    assert all(v.is_error for v in violations)


def test_a_schema_the_engine_cannot_apply_at_this_depth_refuses_with_the_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"uniqueItems": True}))
    one: list[Any] = [1]
    two: list[Any] = [2]
    for _ in range(300):
        one, two = [one], [two]
    # Two items 300 levels deep are compared by a recursion the engine stops at 255 levels:
    # no verdict, so no pass.
    [refused] = MetadataValidator(load_schema(path), rules=()).validate([one, two])
    assert refused.code == "MC199"
    assert refused.message.endswith("(Recursion limit reached), so it is not accepted: flatten it")


def test_values_cut_from_a_deep_document_are_not_blamed(tmp_path: Path) -> None:
    # `c` is 240 levels deep and equal to its `const`; `u` holds two distinct 240-deep
    # items. Explained from a copy cut at 200 levels, both would look wrong: they are not
    # reported, the missing key is.
    def chain(levels: int, leaf: Any) -> Any:
        for _ in range(levels):
            leaf = {"a": leaf}
        return leaf

    schema = {
        "required": ["zz"],
        "properties": {"c": {"const": chain(240, 1)}, "u": {"uniqueItems": True}},
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema))
    doc = {"c": chain(240, 1), "u": [chain(240, 1), chain(240, 2)], "deep": chain(300, 0)}
    violations = MetadataValidator(load_schema(path), rules=()).validate(doc)
    assert [(v.code, v.pointer) for v in violations] == [("MC101", ""), ("MC199", "")]
    assert violations[0].message == "missing `zz`"
