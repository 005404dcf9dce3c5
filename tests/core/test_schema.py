"""The bundled schema and `load_schema`: Draft-07, local `$ref`s only, clear errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from model_conformance import MetadataValidator, SchemaError, load_schema
from model_conformance.schema import RemoteReference, bundled_schema_path, inline_local_references

REQUIRED = [
    "model_family",
    "framework",
    "parameter_count",
    "training_data",
    "evaluation_dataset",
    "evaluation_metrics",
]
OPTIONAL = [
    "benchmark_id",
    "base_model_id",
    "training_config",
    "is_external",
    "external_source_url",
    "external_source_version",
]


def test_bundled_schema_is_a_valid_draft07_schema_with_an_id() -> None:
    document = json.loads(bundled_schema_path().read_text())
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert document["$id"].startswith("https://")
    jsonschema.Draft7Validator.check_schema(document)


def test_bundled_schema_passes_the_checks_a_user_schema_gets() -> None:
    """`load_schema()` trusts the bundled file to start fast; this is where it earns that."""
    checked = load_schema(bundled_schema_path())
    assert checked.document == load_schema().document
    assert checked.base_uri == load_schema().base_uri


def test_bundled_schema_requires_the_six_answers_and_declares_the_optional_keys() -> None:
    document = load_schema().document
    assert document["required"] == REQUIRED
    assert set(REQUIRED + OPTIONAL) <= set(document["properties"])


def test_each_variant_of_is_external_states_its_own_required_keys() -> None:
    external, internal = load_schema().document["oneOf"]
    assert external["title"] == "external model"
    assert external["properties"]["is_external"] == {"const": True}
    assert set(external["required"]) == {
        "is_external",
        "external_source_url",
        "external_source_version",
    }
    assert internal["title"] == "internal model"
    assert internal["required"] == ["training_config"]


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_a_user_schema_replaces_the_bundled_one(tmp_path: Path) -> None:
    schema = load_schema(_write(tmp_path / "s.json", {"type": "object", "required": ["name"]}))
    validator = MetadataValidator(schema)
    assert validator.validate({"name": "x"}) == []
    assert [v.code for v in validator.validate({})] == ["MC101"]


def test_a_ref_to_a_sibling_file_resolves_locally(tmp_path: Path) -> None:
    _write(tmp_path / "common.json", {"definitions": {"count": {"type": "integer"}}})
    main = _write(
        tmp_path / "main.json",
        {"properties": {"n": {"$ref": "common.json#/definitions/count"}}},
    )
    validator = MetadataValidator(load_schema(main))
    assert validator.validate({"n": 3}) == []
    assert [v.code for v in validator.validate({"n": "3"})] == ["MC102"]


def test_a_remote_ref_is_refused_at_load_time_without_touching_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("model_conformance tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    path = _write(
        tmp_path / "s.json", {"properties": {"a": {"$ref": "https://example.com/x.json"}}}
    )
    with pytest.raises(RemoteReference) as caught:
        load_schema(path)
    message = str(caught.value)
    assert "https://example.com/x.json" in message
    assert "never fetches schemas from the network" in message
    assert caught.value.code == "MC620"


def test_a_ref_to_a_missing_location_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.json", {"properties": {"a": {"$ref": "#/definitions/nope"}}})
    with pytest.raises(SchemaError, match="does not exist"):
        load_schema(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "s.json:1:2: schema is not valid JSON"),
        ('{"type": "strnig"}', "not a valid JSON Schema at $.type"),
        ("[1, 2]", "a schema must be a JSON object"),
    ],
)
def test_a_broken_schema_file_gets_one_clear_sentence(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    assert expected in str(caught.value)


def test_a_missing_schema_file_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="cannot read schema"):
        load_schema(tmp_path / "absent.json")


def test_local_references_are_inlined_for_the_explaining_validator() -> None:
    document = {
        "properties": {"a": {"$ref": "#/definitions/x", "description": "ignored in Draft-07"}},
        "definitions": {"x": {"type": "integer"}},
    }
    inlined = inline_local_references(document)
    assert inlined is not None
    assert inlined["properties"]["a"] == {"type": "integer", "description": "ignored in Draft-07"}


@pytest.mark.parametrize(
    "document",
    [
        {"properties": {"a": {"$ref": "other.json#/x"}}},
        {"definitions": {"n": {"items": {"$ref": "#/definitions/n"}}}, "$ref": "#/definitions/n"},
        {"properties": {"a": {"$id": "https://x.example/a", "type": "string"}}},
        {"properties": {"a": {"$ref": "#/definitions/missing"}}},
    ],
)
def test_references_that_cannot_be_inlined_leave_the_schema_as_it_is(
    document: dict[str, Any],
) -> None:
    assert inline_local_references(document) is None
