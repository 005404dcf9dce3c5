"""Parsing a registration document: every problem becomes a violation with a JSON path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from model_conformance.registry import Registration
from model_conformance.registry.checks import check_registration
from model_conformance.validator import MetadataValidator


def _codes_at(doc: object) -> list[tuple[str, str]]:
    registration, violations = Registration.from_dict(doc)
    assert registration is None
    return [(v.code, v.path) for v in violations]


def test_the_example_parses_into_typed_fields(doc: dict[str, Any]) -> None:
    registration, violations = Registration.from_dict(doc)

    assert violations == []
    assert registration is not None
    assert registration.id == "model-sea-ad-classifier-v1"
    assert registration.artifact.version_number == 1
    assert registration.model_version.training_started_at == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_version_fields_default_from_the_metadata(doc: dict[str, Any]) -> None:
    registration, _ = Registration.from_dict(doc)
    assert registration is not None

    row = registration.version_row()

    assert row["is_external"] is False
    assert row["training_params_json"] == doc["metadata"]["training_config"]
    assert row["eval_metrics_json"] == doc["metadata"]["evaluation_metrics"]


def test_not_an_object() -> None:
    assert _codes_at([1, 2]) == [("MC401", "$")]


def test_missing_sections_and_id(doc: dict[str, Any]) -> None:
    del doc["artifact"]["id"]
    del doc["metadata"]
    assert _codes_at(doc) == [("MC401", "$.artifact"), ("MC401", "$")]


def test_unknown_keys_are_named_where_they_are(doc: dict[str, Any]) -> None:
    doc["extra"] = 1
    doc["model_version"]["promotion_state"] = "promoted"
    assert _codes_at(doc) == [("MC401", "$.extra"), ("MC401", "$.model_version.promotion_state")]


def test_every_bad_field_is_reported_in_one_pass(doc: dict[str, Any]) -> None:
    doc["artifact"]["version_number"] = "1"
    doc["artifact"]["is_latest"] = 1
    doc["model_version"]["code_commit_sha"] = "4f3c2a1"
    doc["model_version"]["code_repo_url"] = "git@github.com:org/repo.git"
    doc["model_version"]["training_started_at"] = "2024-05-01 08:00"
    doc["model_version"]["training_params_json"] = "{}"

    assert _codes_at(doc) == [
        ("MC401", "$.artifact.version_number"),
        ("MC401", "$.artifact.is_latest"),
        ("MC403", "$.model_version.code_repo_url"),
        ("MC402", "$.model_version.code_commit_sha"),
        ("MC404", "$.model_version.training_started_at"),
        ("MC401", "$.model_version.training_params_json"),
    ]


@pytest.mark.parametrize(
    "sha",
    [
        "4f3c2a1",
        "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a0",
        "zz3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
    ],
)
def test_commit_sha_must_be_40_hex(doc: dict[str, Any], sha: str) -> None:
    doc["model_version"]["code_commit_sha"] = sha
    assert _codes_at(doc) == [("MC402", "$.model_version.code_commit_sha")]


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "https://", "not a url", "https://host:99999/x", 42]
)
def test_urls_must_be_http_urls(doc: dict[str, Any], url: object) -> None:
    doc["model_version"]["code_repo_url"] = url
    assert _codes_at(doc) == [("MC403", "$.model_version.code_repo_url")]


def test_timestamps_need_a_time_zone(doc: dict[str, Any]) -> None:
    doc["model_version"]["training_completed_at"] = "2024-05-01T12:30:00"
    assert _codes_at(doc) == [("MC404", "$.model_version.training_completed_at")]


def _checked(doc: dict[str, Any]) -> list[tuple[str, str]]:
    registration, violations = Registration.from_dict(doc)
    assert registration is not None, violations
    return [(v.code, v.path) for v in check_registration(registration, MetadataValidator())]


def test_the_example_passes_every_check(doc: dict[str, Any]) -> None:
    assert _checked(doc) == []


def test_training_cannot_complete_before_it_started(doc: dict[str, Any]) -> None:
    doc["model_version"]["training_completed_at"] = "2024-05-01T07:59:59Z"
    assert _checked(doc) == [("MC405", "$.model_version.training_completed_at")]


def test_time_zones_are_respected_when_comparing(doc: dict[str, Any]) -> None:
    doc["model_version"]["training_started_at"] = "2024-05-01T10:00:00+02:00"  # 08:00Z
    doc["model_version"]["training_completed_at"] = "2024-05-01T09:00:00+01:00"  # 08:00Z
    assert _checked(doc) == []


def test_a_model_cannot_be_its_own_base(doc: dict[str, Any]) -> None:
    doc["model_version"]["base_model_id"] = doc["artifact"]["id"]
    assert _checked(doc) == [("MC407", "$.model_version.base_model_id")]


def test_is_external_must_agree_with_the_metadata(doc: dict[str, Any]) -> None:
    doc["model_version"]["is_external"] = True
    assert _checked(doc) == [("MC409", "$.model_version.is_external")]


def test_metadata_violations_are_reported_under_metadata(doc: dict[str, Any]) -> None:
    del doc["metadata"]["training_data"]
    doc["metadata"]["parameter_count"] = -1
    codes = _checked(doc)
    assert sorted(codes) == [("MC101", "$.metadata"), ("MC104", "$.metadata.parameter_count")]
