"""The backfill on the shipped legacy registry, reruns, interruption, and holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from model_conformance.backfill import Outcome, backfill

Conn = psycopg.Connection[TupleRow]
LEGACY_SQL = Path(__file__).resolve().parents[2] / "examples" / "legacy_registry.sql"
ODE_IDS = {"model-56e6e50d-2b4c-4e8a-8f1d-7c9a0b3e5d61", "model-biophys-microglia-001"}


def states(conn: Conn) -> dict[str, str]:
    return dict(conn.execute("SELECT artifact_id, promotion_state FROM model_versions").fetchall())


def snapshot(conn: Conn) -> list[Any]:
    """Everything the backfill writes, without the timestamps of when it wrote it."""
    return [
        conn.execute("SELECT id, metadata FROM artifacts ORDER BY id").fetchall(),
        conn.execute(
            "SELECT to_jsonb(v) - 'created_at' FROM model_versions v ORDER BY artifact_id"
        ).fetchall(),
        conn.execute(
            "SELECT artifact_id, metadata, reason FROM artifact_metadata_history"
            " ORDER BY artifact_id, id"
        ).fetchall(),
    ]


def backfill_with_one_more(conn: Conn, artifact_id: str, blob: dict[str, Any]) -> Outcome:
    """Add one legacy model artifact to the shipped registry, backfill, return its outcome."""
    conn.execute(
        "INSERT INTO artifacts (id, artifact_type, title, metadata) VALUES (%s, 'model', %s, %s)",
        (artifact_id, artifact_id, Jsonb(blob)),
    )
    return {o.artifact_id: o for o in backfill(conn)}[artifact_id]


def test_every_shipped_model_gets_a_version_row_by_policy(legacy_conn: Conn) -> None:
    outcomes = backfill(legacy_conn)
    assert len(outcomes) == 8
    found = states(legacy_conn)
    assert len(found) == 8
    assert "rejected" not in found.values()
    assert sum(state == "promoted" for state in found.values()) >= 6
    assert {i for i, s in found.items() if s == "candidate"} == ODE_IDS
    assert not any(o.decision.held for o in outcomes)


def test_the_old_metadata_is_kept_before_it_is_rewritten(legacy_conn: Conn) -> None:
    before: dict[str, Any] = dict(
        legacy_conn.execute("SELECT id, metadata FROM artifacts WHERE artifact_type = 'model'")
    )
    backfill(legacy_conn)
    kept: dict[str, Any] = dict(
        legacy_conn.execute("SELECT artifact_id, metadata FROM artifact_metadata_history")
    )
    assert kept == before
    after: dict[str, Any] = dict(
        legacy_conn.execute("SELECT id, metadata FROM artifacts WHERE artifact_type = 'model'")
    )
    assert after["model-14307274-9e2f-4b6a-a3c8-1d5e7f9b2c04"]["parameter_count"] == 12_500_000


def test_version_rows_carry_the_code_pin_and_evaluation(legacy_conn: Conn) -> None:
    backfill(legacy_conn)
    row = legacy_conn.execute(
        "SELECT code_repo_url, code_commit_sha, eval_dataset_artifact_id, eval_metrics_json,"
        " training_completed_at IS NOT NULL FROM model_versions WHERE artifact_id = %s",
        ("model-14307274-9e2f-4b6a-a3c8-1d5e7f9b2c04",),
    ).fetchone()
    assert row == (
        "https://github.com/neuro-lab/celltype-xfmr",
        "9b1e4c7a2d5f8e0b3c6a9d2f5e8b1c4a7d0e3f6b",
        "dataset-sea-ad-holdout",
        {"accuracy": 0.93, "macro_f1": 0.88},
        True,
    )


def test_a_rerun_is_a_no_op(legacy_conn: Conn) -> None:
    backfill(legacy_conn)
    first = snapshot(legacy_conn)
    assert backfill(legacy_conn) == []
    assert snapshot(legacy_conn) == first


def test_a_dry_run_writes_nothing(legacy_conn: Conn) -> None:
    before = snapshot(legacy_conn)
    outcomes = backfill(legacy_conn, dry_run=True)
    assert len(outcomes) == 8
    assert snapshot(legacy_conn) == before


def test_a_contradictory_blob_is_held_for_review_not_guessed(legacy_conn: Conn) -> None:
    blob = {
        "model_family": "cnn",
        "framework": "pytorch",
        "library": "tensorflow",
        "n_params": "3M",
        "training_data": ["dataset-adni-merge-2023"],
        "eval_dataset": "dataset-adni-holdout-2023",
        "metrics": {"auc": 0.7},
        "config": {"lr": 0.1},
    }
    held = backfill_with_one_more(legacy_conn, "model-contradictory", blob)
    assert held.decision.held
    row = legacy_conn.execute(
        "SELECT v.promotion_state, v.promotion_notes, a.metadata FROM model_versions v"
        " JOIN artifacts a ON a.id = v.artifact_id WHERE a.id = 'model-contradictory'"
    ).fetchone()
    assert row is not None
    state, notes, metadata = row
    assert state == "candidate"
    assert notes.startswith("Held for review")
    assert "disagree on `framework`" in notes
    assert "MC101" not in notes  # the question already covers the missing framework
    assert metadata == blob  # left as it was for the person who decides


def test_a_held_row_agrees_with_the_metadata_it_leaves_unchanged(legacy_conn: Conn) -> None:
    blob = {
        "source": "huggingface",
        "hf_repo": "https://huggingface.co/org/model",
        "revision": "main",
        "model_family": "transformer",
        "framework": "pytorch",
        "params": "2M",
        "trained_on": ["dataset-adni-merge-2023"],
        "eval_dataset": "dataset-adni-holdout-2023",
        "eval_metrics": {"auc": 0.7},
    }
    outcome = backfill_with_one_more(legacy_conn, "model-floating-hub", blob)
    assert outcome.decision.held
    assert "MC201" in outcome.decision.notes  # "main" is not a pin
    row = legacy_conn.execute(
        "SELECT is_external, external_source_url FROM model_versions"
        " WHERE artifact_id = 'model-floating-hub'"
    ).fetchone()
    assert row == (False, None)  # as the unchanged metadata says (no is_external)


def test_an_evaluation_dataset_that_is_not_registered_holds_the_model(legacy_conn: Conn) -> None:
    blob = {
        "model_family": "cnn",
        "framework": "pytorch",
        "n_params": 10,
        "training_data": ["dataset-adni-merge-2023"],
        "eval_dataset": "dataset-nobody-registered",
        "metrics": {"auc": 0.7},
        "config": {"lr": 0.1},
    }
    outcome = backfill_with_one_more(legacy_conn, "model-unknown-eval", blob)
    assert outcome.decision.held
    assert "MC408" in outcome.decision.notes


def test_a_killed_run_resumes_to_the_same_database(
    legacy_dsn: str, make_db_dsn: Callable[[], str]
) -> None:
    """Kill the backfill while it waits on the 4th artifact, rerun, compare with a clean run."""
    ids = [
        r[0]
        for r in psycopg.connect(legacy_dsn).execute(
            "SELECT id FROM artifacts WHERE artifact_type = 'model' ORDER BY id"
        )
    ]
    env = dict(os.environ, MODEL_CONFORMANCE_DSN=legacy_dsn)
    command = [sys.executable, "-m", "model_conformance", "backfill"]
    with psycopg.connect(legacy_dsn) as blocker:
        blocker.execute("SELECT 1 FROM artifacts WHERE id = %s FOR UPDATE", (ids[3],))
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        with psycopg.connect(legacy_dsn, autocommit=True) as watcher:
            deadline = time.monotonic() + 30
            while watcher.execute("SELECT count(*) FROM model_versions").fetchone() != (3,):
                assert time.monotonic() < deadline, "the backfill never reached the 4th artifact"
                time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        blocker.rollback()
    with psycopg.connect(legacy_dsn, autocommit=True) as conn:
        assert len(states(conn)) == 3  # the first three committed, nothing half-written
        assert len(conn.execute("SELECT * FROM artifact_metadata_history").fetchall()) == 3
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)

    with psycopg.connect(make_db_dsn(), autocommit=True) as clean:
        clean.execute(LEGACY_SQL.read_text())
        backfill(clean)
        expected = snapshot(clean)
    with psycopg.connect(legacy_dsn, autocommit=True) as resumed:
        assert snapshot(resumed) == expected
