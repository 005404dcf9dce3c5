"""`validate_metadata` / `check_metadata`: every problem, explained per variant, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model_conformance import (
    MetadataInvalid,
    MetadataValidator,
    Severity,
    Violation,
    check_metadata,
    load_schema,
    validate_metadata,
)


def codes_at(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.code, v.path) for v in violations]


def test_a_complete_internal_model_has_no_violations(internal_doc: dict[str, Any]) -> None:
    assert validate_metadata(internal_doc) == []


def test_a_complete_external_model_has_no_violations(external_doc: dict[str, Any]) -> None:
    assert validate_metadata(external_doc) == []


def test_every_problem_is_reported_not_only_the_first(internal_doc: dict[str, Any]) -> None:
    del internal_doc["framework"]
    internal_doc["parameter_count"] = -5
    internal_doc["training_data"] = []
    internal_doc["model_family"] = ""
    assert sorted(codes_at(validate_metadata(internal_doc))) == [
        ("MC101", "$"),
        ("MC104", "$.parameter_count"),
        ("MC105", "$.model_family"),
        ("MC105", "$.training_data"),
    ]


def test_a_missing_key_points_at_the_object_and_says_what_the_key_is_for(
    internal_doc: dict[str, Any],
) -> None:
    del internal_doc["evaluation_metrics"]
    [violation] = validate_metadata(internal_doc)
    assert violation.pointer == ""
    assert violation.message.startswith("missing `evaluation_metrics`: metric name to a finite")


@pytest.mark.parametrize(
    "key",
    [
        "model_family",
        "framework",
        "parameter_count",
        "training_data",
        "evaluation_dataset",
        "evaluation_metrics",
    ],
)
def test_every_missing_required_key_says_what_the_key_is_for(
    internal_doc: dict[str, Any], key: str
) -> None:
    description = load_schema().document["properties"][key]["description"]
    del internal_doc[key]
    [violation] = validate_metadata(internal_doc)
    assert violation.message == f"missing `{key}`: {description}"


def test_external_model_missing_version_is_explained_against_the_external_variant(
    external_doc: dict[str, Any],
) -> None:
    del external_doc["external_source_version"]
    [violation] = validate_metadata(external_doc)
    assert violation.code == "MC101"
    assert violation.message == (
        "external model: missing `external_source_version`: the pinned revision of the "
        "external source: a tag or a full 40-hex commit"
    )
    assert "not valid under any" not in violation.message


def test_internal_model_is_not_told_about_the_external_variant(
    internal_doc: dict[str, Any],
) -> None:
    del internal_doc["training_config"]
    [violation] = validate_metadata(internal_doc)
    assert violation.message.startswith("internal model: missing `training_config`")


def test_is_external_false_selects_the_internal_variant(internal_doc: dict[str, Any]) -> None:
    internal_doc["is_external"] = False
    assert validate_metadata(internal_doc) == []
    del internal_doc["training_config"]
    assert validate_metadata(internal_doc)[0].message.startswith("internal model:")


def test_external_fields_on_an_internal_model_are_named_one_by_one(
    internal_doc: dict[str, Any],
) -> None:
    internal_doc["external_source_url"] = "https://huggingface.co/x/y"
    internal_doc["external_source_version"] = "v1.0"
    violations = validate_metadata(internal_doc)
    assert codes_at(violations) == [
        ("MC106", "$.external_source_url"),
        ("MC106", "$.external_source_version"),
    ]
    assert violations[0].message == (
        "internal model: `external_source_url` is not allowed here: remove it, "
        "or make this an external model (`is_external`: true)"
    )


def test_a_non_boolean_discriminator_is_one_type_error(internal_doc: dict[str, Any]) -> None:
    internal_doc["is_external"] = "yes"
    assert codes_at(validate_metadata(internal_doc)) == [("MC102", "$.is_external")]


def test_values_in_messages_are_written_as_json(internal_doc: dict[str, Any]) -> None:
    internal_doc["parameter_count"] = "1.2M"
    internal_doc["is_external"] = None
    messages = " ".join(v.message for v in validate_metadata(internal_doc))
    assert 'not "1.2M"' in messages
    assert "not null" in messages
    assert "None" not in messages
    assert "'1.2M'" not in messages


@pytest.mark.parametrize(
    ("key", "value", "code", "path"),
    [
        ("parameter_count", 1.5, "MC102", "$.parameter_count"),
        ("parameter_count", True, "MC102", "$.parameter_count"),
        ("parameter_count", -1, "MC104", "$.parameter_count"),
        ("training_data", "dataset-a", "MC102", "$.training_data"),
        ("training_data", ["ok", ""], "MC105", "$.training_data[1]"),
        ("training_data", ["   "], "MC105", "$.training_data[0]"),
        ("evaluation_metrics", {"auroc": "high"}, "MC102", "$.evaluation_metrics.auroc"),
        ("evaluation_metrics", [0.9], "MC102", "$.evaluation_metrics"),
        ("evaluation_dataset", "", "MC105", "$.evaluation_dataset"),
        ("evaluation_dataset", 7, "MC102", "$.evaluation_dataset"),
        ("training_config", "lr=0.1", "MC102", "$.training_config"),
        ("framework", 3, "MC102", "$.framework"),
        ("trained_at", "yesterday", "MC103", "$.trained_at"),
    ],
)
def test_types_a_user_would_expect(
    internal_doc: dict[str, Any], key: str, value: Any, code: str, path: str
) -> None:
    internal_doc[key] = value
    assert codes_at(validate_metadata(internal_doc)) == [(code, path)]


def test_evaluation_dataset_may_be_null_until_evaluated(internal_doc: dict[str, Any]) -> None:
    internal_doc["evaluation_dataset"] = None
    internal_doc["evaluation_metrics"] = {}
    assert validate_metadata(internal_doc) == []


def test_unknown_keys_are_allowed(internal_doc: dict[str, Any]) -> None:
    internal_doc["owner_team"] = "neuro-ml"
    assert validate_metadata(internal_doc) == []


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://example.org/model", "huggingface.co/x/y", "https://"]
)
def test_external_source_url_must_be_an_http_uri(external_doc: dict[str, Any], url: str) -> None:
    external_doc["external_source_url"] = url
    violations = validate_metadata(external_doc)
    assert [v.path for v in violations] == ["$.external_source_url"]
    assert violations[0].code in ("MC103", "MC107")


@pytest.mark.parametrize("value", ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00"])
def test_date_time_format_accepts_rfc3339(internal_doc: dict[str, Any], value: str) -> None:
    internal_doc["trained_at"] = value
    assert validate_metadata(internal_doc) == []


@pytest.mark.parametrize("value", ["2024-05-01", "2024-13-01T00:00:00Z", "05/01/2024 12:00"])
def test_date_time_format_is_really_checked(internal_doc: dict[str, Any], value: str) -> None:
    internal_doc["trained_at"] = value
    assert codes_at(validate_metadata(internal_doc)) == [("MC103", "$.trained_at")]


def test_the_reference_validator_checks_formats_too(internal_doc: dict[str, Any]) -> None:
    """Guards the format extras: without rfc3339-validator jsonschema skips date-time silently."""
    import jsonschema

    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    assert not checker.conforms("yesterday", "date-time")
    assert not checker.conforms("not a url", "uri")


def test_a_document_that_is_not_an_object_is_one_violation() -> None:
    assert codes_at(validate_metadata([1, 2])) == [("MC102", "$")]
    assert codes_at(validate_metadata(None)) == [("MC102", "$")]


def test_check_metadata_raises_with_every_error(internal_doc: dict[str, Any]) -> None:
    del internal_doc["framework"]
    del internal_doc["model_family"]
    with pytest.raises(MetadataInvalid) as caught:
        check_metadata(internal_doc)
    assert [v.code for v in caught.value.violations] == ["MC101", "MC101"]
    assert caught.value.code == "MC100"
    assert "missing `framework`" in str(caught.value)


def test_check_metadata_lets_warnings_through(internal_doc: dict[str, Any]) -> None:
    internal_doc["evaluation_dataset"] = internal_doc["training_data"][0]
    check_metadata(internal_doc)
    assert [v.severity for v in validate_metadata(internal_doc)] == [Severity.WARNING]


def test_is_valid_ignores_warnings_and_counts_errors(internal_doc: dict[str, Any]) -> None:
    validator = MetadataValidator()
    internal_doc["evaluation_metric"] = {}
    assert validator.is_valid(internal_doc)
    del internal_doc["framework"]
    assert not validator.is_valid(internal_doc)


def test_violation_renders_pointer_path_and_dict() -> None:
    violation = Violation("MC204", "bad", "/evaluation_metrics/a b/0")
    assert violation.path == '$.evaluation_metrics["a b"][0]'
    assert violation.to_dict() == {
        "code": "MC204",
        "severity": "error",
        "pointer": "/evaluation_metrics/a b/0",
        "path": '$.evaluation_metrics["a b"][0]',
        "message": "bad",
    }


def test_a_list_of_many_wrong_items_is_explained_within_bounds() -> None:
    from model_conformance.validator import MAX_VIOLATIONS, WIDTH

    doc = {"training_data": [{"a": 1}] * (WIDTH * 5)}
    found = validate_metadata(doc)
    # The first ones, that the list was cut there, and that the copy explained was cut.
    assert len(found) == MAX_VIOLATIONS + 2
    assert f"only the first {MAX_VIOLATIONS} are listed" in found[-2].message
    assert f"({WIDTH * 4} entries not looked at)" in found[-1].message


def test_a_long_list_whose_problems_lie_past_the_width_is_still_invalid() -> None:
    from model_conformance.validator import WIDTH

    doc = {"training_data": ["ds"] * WIDTH + [1] * 10}
    found = validate_metadata(doc)
    assert any(v.is_error for v in found)  # the verdict is the whole document's
    assert any("not looked at" in v.message for v in found)


DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("schema", "doc", "said"),
    [
        (
            {"properties": {"a": {"contains": {"type": "null"}, "maxContains": 1}}},
            {"a": [None, None]},
            (
                "/a",
                "`a` must hold at most 1 item that matches its `contains` schema, not [null, null]",
            ),
        ),
        (
            {"contains": {"type": "null"}, "minContains": 2},
            [None, True],
            (
                "",
                "the document must hold at least 2 items that match its `contains` schema, "
                "not [null, true]",
            ),
        ),
        (
            {"contains": {"type": "null"}},
            [1],
            (
                "",
                "the document must hold at least one item that matches its `contains` schema, "
                "not [1]",
            ),
        ),
        (
            {"unevaluatedProperties": False, "properties": {"a": {}}},
            {"a": 1, "x": 2},
            ("/x", "key `x` is not allowed here"),
        ),
        (  # a schema, not false: the key is allowed, its value is not
            {"unevaluatedProperties": {"type": "string"}, "properties": {"a": True}},
            {"a": 1, "b": 2},
            (
                "/b",
                "the value of `b` does not match the `unevaluatedProperties` schema of the "
                "document",
            ),
        ),
        (  # 1.0 is 1, as JSON numbers go
            {"contains": {"type": "string"}, "maxContains": 1.0},
            ["a", "b"],
            (
                "",
                "the document must hold at most 1 item that matches its `contains` schema, "
                'not ["a", "b"]',
            ),
        ),
    ],
)
def test_later_drafts_keywords_are_worded_not_passed_through(
    tmp_path: Path, schema: dict[str, Any], doc: Any, said: tuple[str, str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"$schema": DRAFT2020, **schema}))
    [violation] = MetadataValidator(load_schema(path), rules=()).validate(doc)
    assert (violation.pointer, violation.message) == said
