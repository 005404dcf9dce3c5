"""Mapping legacy blobs: synonyms, units, code pins — and questions instead of guesses."""

from __future__ import annotations

from typing import Any

import pytest

from model_conformance import validate_metadata
from model_conformance.backfill import map_legacy
from model_conformance.backfill.legacy import parse_count

SHA = "9b1e4c7a2d5f8e0b3c6a9d2f5e8b1c4a7d0e3f6b"


def complete_blob(**changes: Any) -> dict[str, Any]:
    blob: dict[str, Any] = {
        "architecture": "transformer",
        "library": "PyTorch",
        "params": "12.5M",
        "trained_on": ["dataset-a"],
        "eval": {"dataset": "dataset-b", "accuracy": "0.93"},
        "config": {"lr": 0.001},
    }
    blob.update(changes)
    return blob


def test_synonyms_units_and_string_metrics_map_onto_a_valid_document() -> None:
    mapping = map_legacy(complete_blob())
    assert mapping.questions == []
    assert mapping.metadata == {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 12_500_000,
        "training_data": ["dataset-a"],
        "evaluation_dataset": "dataset-b",
        "evaluation_metrics": {"accuracy": 0.93},
        "training_config": {"lr": 0.001},
    }
    assert validate_metadata(mapping.metadata) == []
    assert mapping.sources["framework"] == "library"
    assert mapping.sources["parameter_count"] == "params"


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("350K", 350_000),
        ("12.5M", 12_500_000),
        ("1.2B", 1_200_000_000),
        ("1,200", 1200),
        (1.5e5, 150_000),
        (24, 24),
        (" 7 k ", 7000),
    ],
)
def test_parameter_counts_are_parsed_with_units(raw: Any, count: int) -> None:
    assert parse_count(raw) == (count, None)


@pytest.mark.parametrize("raw", ["about a million", "1.23456K", 2.5, -3, True, "12.5X"])
def test_unreadable_parameter_counts_are_questions(raw: Any) -> None:
    value, problem = parse_count(raw)
    assert value is None
    assert problem


def test_contradicting_synonyms_are_a_question_not_a_choice() -> None:
    mapping = map_legacy(complete_blob(framework="tensorflow"))
    assert "framework" not in mapping.metadata
    [question] = mapping.questions
    assert "disagree on `framework`" in question
    assert '`framework` = "tensorflow"' in question
    assert '`library` = "pytorch"' in question


def test_agreeing_synonyms_are_not_a_contradiction() -> None:
    mapping = map_legacy(complete_blob(framework="pytorch"))
    assert mapping.questions == []
    assert mapping.sources["framework"] == "framework, library"


def test_a_missing_required_answer_is_left_out_not_invented() -> None:
    blob = complete_blob()
    del blob["library"]
    mapping = map_legacy(blob)
    assert "framework" not in mapping.metadata
    assert [v.message[:19] for v in validate_metadata(mapping.metadata)] == ["missing `framework`"]


def test_a_github_blob_link_gives_repository_commit_and_entrypoint() -> None:
    url = f"https://github.com/neuro-lab/amyloid-ode/blob/{SHA}/src/model.py"
    mapping = map_legacy(complete_blob(code=url))
    assert mapping.version == {
        "code_repo_url": "https://github.com/neuro-lab/amyloid-ode",
        "code_commit_sha": SHA,
        "code_entrypoint": "src/model.py",
    }


def test_a_tag_link_keeps_the_repository_and_says_no_commit_is_recorded() -> None:
    mapping = map_legacy(complete_blob(source="https://github.com/org/repo/tree/v1.4.0"))
    assert mapping.version == {"code_repo_url": "https://github.com/org/repo"}
    assert "code pinned to tag or branch `v1.4.0`, no commit SHA recorded" in mapping.remarks


def test_two_different_commits_are_a_question() -> None:
    mapping = map_legacy(
        complete_blob(git={"repo": "https://github.com/o/r", "commit": SHA}, commit="a" * 40)
    )
    assert any("different commits" in q for q in mapping.questions)
    assert "code_commit_sha" not in mapping.version


def test_a_hub_source_makes_an_external_model_with_its_pin() -> None:
    blob = complete_blob(
        source="huggingface", hf_repo="https://huggingface.co/org/model", revision="v1.0.0"
    )
    del blob["config"]
    mapping = map_legacy(blob)
    assert mapping.questions == []
    assert mapping.metadata["is_external"] is True
    assert mapping.metadata["external_source_version"] == "v1.0.0"
    assert validate_metadata(mapping.metadata) == []


def test_is_external_false_beside_a_hub_link_is_a_contradiction() -> None:
    mapping = map_legacy(complete_blob(is_external=False, hf_repo="https://huggingface.co/o/m"))
    assert any("trained here or taken from outside" in q for q in mapping.questions)


def test_an_external_model_without_a_revision_asks_for_one() -> None:
    mapping = map_legacy(complete_blob(source="huggingface", hf_repo="https://huggingface.co/o/m"))
    assert any("which tag or commit" in q for q in mapping.questions)


def test_no_evaluation_at_all_is_recorded_as_not_yet_evaluated() -> None:
    blob = complete_blob()
    del blob["eval"]
    mapping = map_legacy(blob)
    assert mapping.metadata["evaluation_dataset"] is None
    assert mapping.metadata["evaluation_metrics"] == {}
    assert mapping.questions == []


def test_metrics_without_a_dataset_are_a_question() -> None:
    blob = complete_blob(metrics={"auc": 0.8})
    del blob["eval"]
    mapping = map_legacy(blob)
    assert any("no dataset" in q for q in mapping.questions)


def test_calibration_fit_is_kept_as_training_config_not_evaluation() -> None:
    blob = complete_blob(solver="LSODA", fit={"rmse": 0.08})
    del blob["eval"]
    mapping = map_legacy(blob)
    assert mapping.metadata["training_config"]["calibration_fit"] == {"rmse": 0.08}
    assert mapping.metadata["evaluation_metrics"] == {}


def test_keys_the_mapping_does_not_know_are_kept_under_legacy() -> None:
    mapping = map_legacy(complete_blob(notes="code not pushed yet"))
    assert mapping.metadata["legacy"] == {"notes": "code not pushed yet"}
