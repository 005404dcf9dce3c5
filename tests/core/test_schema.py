"""The bundled schema and `load_schema`: one draft per schema, local `$ref`s only, clear errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from model_conformance import MetadataValidator, SchemaError, load_schema
from model_conformance.schema import RemoteReference, bundled_schema_path

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
    with pytest.raises(SchemaError, match="/definitions/nope"):
        load_schema(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "s.json:1:2: schema is not valid JSON"),
        ('{"type": "strnig"}', "not a valid Draft-07 schema at $.type"),
        ('{"pattern": "["}', "not a valid Draft-07 schema at $.pattern"),
        ("[1, 2]", "a schema must be a JSON object or a boolean"),
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


def test_a_schema_without_dollar_schema_is_draft07_everywhere(tmp_path: Path) -> None:
    # Array-form `items` and `"$id": "#foo"` are Draft-07; Draft 2020-12 refuses both.
    path = _write(
        tmp_path / "s.json",
        {
            "items": [{"type": "integer"}, {"$id": "#second", "type": "string"}],
            "additionalItems": False,
        },
    )
    schema = load_schema(path)
    assert schema.draft.name == "Draft-07"
    validator = MetadataValidator(schema)
    assert validator.validate([1, "a"]) == []
    assert [v.code for v in validator.validate([1, 2])] == ["MC102"]
    assert [v.code for v in validator.validate([1, "a", 3])] == ["MC199"]


@pytest.mark.parametrize(
    ("declared", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", "Draft-04"),
        ("http://json-schema.org/draft-06/schema", "Draft-06"),
        ("https://json-schema.org/draft-07/schema#", "Draft-07"),
        ("https://json-schema.org/draft/2019-09/schema", "Draft 2019-09"),
        ("https://json-schema.org/draft/2020-12/schema", "Draft 2020-12"),
    ],
)
def test_dollar_schema_picks_the_draft(tmp_path: Path, declared: str, draft: str) -> None:
    schema = load_schema(_write(tmp_path / "s.json", {"$schema": declared, "type": "object"}))
    assert schema.draft.name == draft


@pytest.mark.parametrize(
    "declared", ["http://example.com/my-meta", "https://json-schema.org/draft/2030/schema", 7]
)
def test_an_unsupported_dollar_schema_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: Any
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("model_conformance tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(SchemaError) as caught:
        load_schema(_write(tmp_path / "s.json", {"$schema": declared}))
    assert "is not a draft model_conformance supports" in str(caught.value)
    assert caught.value.code == "MC620"


@pytest.mark.parametrize("document", [True, False])
def test_boolean_schemas_are_schemas(tmp_path: Path, document: bool) -> None:
    validator = MetadataValidator(load_schema(_write(tmp_path / "s.json", document)))
    assert validator.is_valid({"anything": 1}) is document


def test_a_ref_resolves_in_the_scope_of_a_nested_id(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    _write(tmp_path / "nested" / "count.json", {"type": "integer"})
    path = _write(
        tmp_path / "s.json",
        {
            "properties": {
                "n": {"$id": "nested/", "properties": {"m": {"$ref": "count.json"}}},
            }
        },
    )
    validator = MetadataValidator(load_schema(path))
    assert validator.is_valid({"n": {"m": 3}})
    assert [v.code for v in validator.validate({"n": {"m": "3"}})] == ["MC102"]


def test_a_ref_to_the_draft07_meta_schema_resolves_offline(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.json",
        {"properties": {"schema": {"$ref": "http://json-schema.org/draft-07/schema#"}}},
    )
    validator = MetadataValidator(load_schema(path))
    assert validator.is_valid({"schema": {"type": "string"}})
    assert not validator.is_valid({"schema": {"type": "strnig"}})


@pytest.mark.parametrize("pattern", ["^\\p{Letter}+$", "^\\cC$"])
def test_ecma262_patterns_are_accepted(tmp_path: Path, pattern: str) -> None:
    validator = MetadataValidator(load_schema(_write(tmp_path / "s.json", {"pattern": pattern})))
    assert validator.is_valid("\u0003" if "cC" in pattern else "Grüße")


def test_a_saved_schema_folder_resolves_remote_refs_by_their_id(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    _write(saved / "anything.json", {"$id": "https://example.com/license.json", "enum": ["MIT"]})
    path = _write(
        tmp_path / "s.json",
        {"properties": {"license": {"$ref": "https://example.com/license.json"}}},
    )
    validator = MetadataValidator(load_schema(path, schema_dir=saved))
    assert validator.is_valid({"license": "MIT"})
    assert [v.code for v in validator.validate({"license": "GPL"})] == ["MC107"]


def test_a_saved_schema_without_an_absolute_id_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    _write(saved / "x.json", {"type": "string"})
    with pytest.raises(SchemaError, match="needs an absolute `\\$id`"):
        load_schema(_write(tmp_path / "s.json", {}), schema_dir=saved)


def test_a_scheme_relative_ref_names_another_host_not_a_local_file(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", {"type": "string"})  # must not be read as //host/x.json
    path = _write(tmp_path / "s.json", {"properties": {"a": {"$ref": "//host/x.json"}}})
    with pytest.raises(RemoteReference, match=r"host/x\.json"):
        load_schema(path)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"$id": "http://[oops/x.json"}, "the schema cannot be used"),
        ({"properties": {"\ud800": {}}}, "lone surrogate"),
        ({"$schema": None}, "`$schema` null is not a draft"),
        ({"$schema": "x" * 10_000}, "is not a draft"),
    ],
)
def test_a_schema_nothing_can_read_is_one_sentence(
    tmp_path: Path, document: Any, expected: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    assert expected in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_a_schema_folder_path_nothing_can_open_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SchemaError):
        load_schema(_write(tmp_path / "s.json", {}), schema_dir=tmp_path / ("x" * 5000))


def test_a_missing_schema_says_so(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no such file"):
        load_schema(tmp_path / "absent.json")


def test_draft04_id_sets_the_base_uri(tmp_path: Path) -> None:
    _write(tmp_path / "other.json", {"type": "integer"})
    path = _write(
        tmp_path / "s.json",
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "id": "https://example.com/root.json",
            "properties": {"a": {"$ref": "other.json"}},
        },
    )
    validator = MetadataValidator(load_schema(path))
    assert validator.is_valid({"a": 1})
    assert not validator.is_valid({"a": "1"})


def test_a_schema_a_ref_reaches_is_checked_as_the_main_one_is(tmp_path: Path) -> None:
    _write(tmp_path / "tags.json", {"uniqueItems": "yes"})
    main = _write(tmp_path / "s.json", {"properties": {"tags": {"$ref": "tags.json"}}})
    with pytest.raises(
        SchemaError, match=r"tags\.json: not a valid Draft-07 schema at \$\.uniqueItems"
    ):
        load_schema(main)


def test_a_saved_schema_is_checked_under_the_draft_of_the_schema_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    _write(saved / "x.json", {"$id": "https://example.com/x.json", "multipleOf": 0})
    main = _write(
        tmp_path / "s.json", {"properties": {"x": {"$ref": "https://example.com/x.json"}}}
    )
    with pytest.raises(SchemaError, match=r"saved schema https://example\.com/x\.json: not a"):
        load_schema(main, schema_dir=saved)


def test_a_saved_schema_of_an_unknown_draft_is_named_as_such(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    _write(saved / "x.json", {"$id": "https://example.com/x.json", "$schema": "https://e.com/m"})
    main = _write(
        tmp_path / "s.json", {"properties": {"x": {"$ref": "https://example.com/x.json"}}}
    )
    with pytest.raises(SchemaError, match="is not a draft model_conformance supports"):
        load_schema(main, schema_dir=saved)


def test_draft04_id_counts_under_either_spelling_of_its_uri(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    draft4 = "https://json-schema.org/draft-04/schema#"
    _write(
        saved / "x.json", {"$schema": draft4, "id": "https://example.com/x.json", "type": "integer"}
    )
    main = _write(
        tmp_path / "s.json", {"properties": {"x": {"$ref": "https://example.com/x.json"}}}
    )
    validator = MetadataValidator(load_schema(main, schema_dir=saved))
    assert validator.is_valid({"x": 1})
    assert not validator.is_valid({"x": "1"})


def test_a_root_id_that_is_only_a_fragment_names_the_root(tmp_path: Path) -> None:
    main = _write(
        tmp_path / "s.json",
        {"$id": "#node", "properties": {"a": {"type": "integer"}, "b": {"$ref": "#node"}}},
    )
    validator = MetadataValidator(load_schema(main))
    assert validator.is_valid({"b": {"a": 1}})
    assert not validator.is_valid({"b": {"a": "1"}})
