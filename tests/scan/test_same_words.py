"""A version rule reads the same whether registration refuses a value or the scan finds it
stored: the same value gives the same code and the same sentence on both surfaces, and the
rule reference shows those sentences."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from model_conformance.registry import RegistrationRejected, register_model
from model_conformance.scan import open_snapshot
from model_conformance.version_rules import (
    commit_sha_message,
    external_flag_message,
    reference_message,
    self_base_message,
    training_order_message,
)

Conn = psycopg.Connection[TupleRow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"
MODEL = "model-sea-ad-classifier-v1"

# code -> (the change to the registration's model_version, the same change to the stored row)
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "MC402": ({"code_commit_sha": "4f3c2a1"}, "code_commit_sha = '4f3c2a1'"),
    "MC405": (
        {
            "training_started_at": "2024-05-01T08:00:00Z",
            "training_completed_at": "2024-05-01T07:00:00Z",
        },
        "training_started_at = '2024-05-01T08:00:00Z',"
        " training_completed_at = '2024-05-01T07:00:00Z'",
    ),
    "MC406": ({"base_model_id": "dataset-x"}, "base_model_id = 'dataset-x'"),
    "MC407": ({"base_model_id": MODEL}, f"base_model_id = '{MODEL}'"),
    "MC408": (
        {"eval_dataset_artifact_id": "model-other"},
        "eval_dataset_artifact_id = 'model-other'",
    ),
    "MC409": ({"is_external": True}, "is_external = true"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_registration_and_scan_word_a_rule_alike(db_conn: Conn, db_dsn: str, code: str) -> None:
    change, assignment = CASES[code]
    db_conn.execute(
        "INSERT INTO artifacts (id, artifact_type) VALUES"
        " ('dataset-x', 'dataset'), ('model-other', 'model')"
    )
    db_conn.commit()
    doc = json.loads(EXAMPLE.read_text())
    bad = copy.deepcopy(doc)
    bad["model_version"].update(change)
    with pytest.raises(RegistrationRejected) as refused:
        register_model(db_conn, bad)
    registration = [v.message for v in refused.value.result.errors if v.code == code]

    register_model(db_conn, doc)
    db_conn.execute(
        f"UPDATE model_versions SET {assignment} WHERE artifact_id = '{MODEL}'".encode()
    )
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        found = snapshot.scan().findings
    scan = [f.message for f in found if f.code == code and f.artifact_id == MODEL]

    assert len(registration) == 1
    assert scan == registration


RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_the_scan_examples_in_rules_md_are_the_version_rules_words() -> None:
    scan_section = RULES_DOC.read_text().split("<!-- section: scan (MC5xx) -->")[1]
    rows = {
        line.split("|")[1].strip(): line.split("|")[3].strip().strip("`")
        for line in scan_section.splitlines()
        if line.startswith("| MC4")
    }
    assert rows == {
        "MC402": "code_commit_sha: MC402 " + commit_sha_message("abc1234"),
        "MC405": "training_completed_at: MC405 "
        + training_order_message("2024-01-01T03:20:00+00:00", "2024-01-01T02:20:00+00:00"),
        "MC406": "base_model_id: MC406 "
        + reference_message("base_model_id", "ds1", "dataset", "model"),
        "MC407": "base_model_id: MC407 " + self_base_message("m1"),
        "MC408": "eval_dataset_artifact_id: MC408 "
        + reference_message("eval_dataset_artifact_id", "m2", "model", "dataset"),
        "MC409": "is_external: MC409 " + external_flag_message(False, True),
    }
