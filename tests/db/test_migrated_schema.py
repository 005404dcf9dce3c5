"""The migrated schema, read back from PostgreSQL's catalogue."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]

# column -> (data_type, is_nullable, column_default)
MODEL_VERSIONS_COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "artifact_id": ("text", "NO", None),
    "is_external": ("boolean", "YES", "false"),
    "external_source_url": ("text", "YES", None),
    "external_source_version": ("text", "YES", None),
    "base_model_id": ("text", "YES", None),
    "code_repo_url": ("text", "YES", None),
    "code_commit_sha": ("text", "YES", None),
    "code_entrypoint": ("text", "YES", None),
    "training_started_at": ("timestamp with time zone", "YES", None),
    "training_completed_at": ("timestamp with time zone", "YES", None),
    "trained_by": ("text", "YES", None),
    "gpu_allocation_id": ("text", "YES", None),
    "training_params_json": ("jsonb", "YES", None),
    "eval_metrics_json": ("jsonb", "YES", None),
    "eval_dataset_artifact_id": ("text", "YES", None),
    "benchmark_id": ("text", "YES", None),
    "promotion_state": ("text", "NO", "'candidate'::text"),
    "promotion_notes": ("text", "YES", None),
    "created_at": ("timestamp with time zone", "NO", "now()"),
    "held_for_review": ("boolean", "NO", "false"),
    "line_id": ("text", "NO", None),  # 0005: computed by a trigger on INSERT
}

ARTIFACTS_COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "id": ("text", "NO", None),
    "artifact_type": ("text", "NO", None),
    "title": ("text", "YES", None),
    "metadata": ("jsonb", "YES", None),
    "version_number": ("integer", "YES", None),
    "parent_version_id": ("text", "YES", None),
    "version_tag": ("text", "YES", None),
    "changelog": ("text", "YES", None),
    "is_latest": ("boolean", "YES", "true"),
    "lifecycle_state": ("text", "YES", None),
    "superseded_by": ("text", "YES", None),
    "origin_type": ("text", "YES", None),
    "origin_url": ("text", "YES", None),
    "created_at": ("timestamp with time zone", "NO", "now()"),
}


def _columns(conn: Conn, table: str) -> dict[str, tuple[str, str, str | None]]:
    rows = conn.execute(
        "SELECT column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return {name: (dtype, nullable, default) for name, dtype, nullable, default in rows}


def test_model_versions_has_every_specified_column_with_its_type_nullability_and_default(
    db_conn: Conn,
) -> None:
    assert _columns(db_conn, "model_versions") == MODEL_VERSIONS_COLUMNS


def test_artifacts_baseline_has_every_specified_column(db_conn: Conn) -> None:
    assert _columns(db_conn, "artifacts") == ARTIFACTS_COLUMNS


def test_model_versions_indexes_exist(db_conn: Conn) -> None:
    rows = db_conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'model_versions'"
    ).fetchall()
    indexes = {name: definition for name, definition in rows}
    assert "(base_model_id)" in indexes["idx_model_versions_base"]
    assert "(trained_by)" in indexes["idx_model_versions_trained_by"]
    assert "(promotion_state)" in indexes["idx_model_versions_promotion"]


def test_foreign_keys_point_at_artifacts(db_conn: Conn) -> None:
    rows = db_conn.execute(
        "SELECT kcu.column_name, ccu.table_name, rc.delete_rule"
        " FROM information_schema.referential_constraints rc"
        " JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name"
        " JOIN information_schema.constraint_column_usage ccu"
        "   ON ccu.constraint_name = rc.unique_constraint_name"
        " WHERE kcu.table_name = 'model_versions'"
    ).fetchall()
    assert {(column, table, rule) for column, table, rule in rows} == {
        ("artifact_id", "artifacts", "CASCADE"),
        ("base_model_id", "artifacts", "NO ACTION"),
        ("eval_dataset_artifact_id", "artifacts", "NO ACTION"),
    }


def _add_artifact(conn: Conn, artifact_id: str, artifact_type: str = "model") -> None:
    conn.execute(
        "INSERT INTO artifacts (id, artifact_type) VALUES (%s, %s)", (artifact_id, artifact_type)
    )


def test_promotion_state_defaults_to_candidate(db_conn: Conn) -> None:
    _add_artifact(db_conn, "m1")
    db_conn.execute("INSERT INTO model_versions (artifact_id) VALUES ('m1')")
    row = db_conn.execute(
        "SELECT promotion_state FROM model_versions WHERE artifact_id = 'm1'"
    ).fetchone()
    assert row == ("candidate",)


@pytest.mark.parametrize("state", ["candidate", "promoted", "rejected", "superseded"])
def test_check_constraint_accepts_each_promotion_state(db_conn: Conn, state: str) -> None:
    _add_artifact(db_conn, "m1")
    # A state other than candidate needs its event in the same transaction (0005).
    db_conn.execute(
        "INSERT INTO promotion_events (artifact_id, action, to_state, actor, reason)"
        " VALUES ('m1', 'backfill', %s, 'test', 'set by the test')",
        (state,),
    )
    db_conn.execute(
        "INSERT INTO model_versions (artifact_id, promotion_state) VALUES ('m1', %s)", (state,)
    )


def test_check_constraint_rejects_bogus_promotion_state(db_conn: Conn) -> None:
    _add_artifact(db_conn, "m1")
    with pytest.raises(psycopg.errors.CheckViolation):
        db_conn.execute(
            "INSERT INTO model_versions (artifact_id, promotion_state) VALUES ('m1', 'bogus')"
        )


def test_deleting_an_artifact_cascades_to_its_model_version(db_conn: Conn) -> None:
    _add_artifact(db_conn, "m1")
    db_conn.execute("INSERT INTO model_versions (artifact_id) VALUES ('m1')")
    db_conn.execute("DELETE FROM artifacts WHERE id = 'm1'")
    assert db_conn.execute("SELECT count(*) FROM model_versions").fetchone() == (0,)


def test_a_base_model_cannot_be_deleted_while_a_version_builds_on_it(db_conn: Conn) -> None:
    _add_artifact(db_conn, "base")
    _add_artifact(db_conn, "child")
    db_conn.execute(
        "INSERT INTO model_versions (artifact_id, base_model_id) VALUES ('child', 'base')"
    )
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db_conn.execute("DELETE FROM artifacts WHERE id = 'base'")


CODE_PIN_CHECKS_COLUMNS = {
    "id": ("bigint", "NO", None),
    "artifact_id": ("text", "NO", None),
    "code_repo_url": ("text", "NO", None),
    "code_commit_sha": ("text", "NO", None),
    "code_entrypoint": ("text", "YES", None),
    "verdict": ("text", "NO", None),
    "code": ("text", "YES", None),
    "detail": ("text", "NO", None),
    "checked_at": ("timestamp with time zone", "NO", "now()"),
    "toolkit_version": ("text", "NO", None),
}


def _pin_check(conn: Conn, verdict: str, code: str | None) -> None:
    conn.execute(
        "INSERT INTO code_pin_checks (artifact_id, code_repo_url, code_commit_sha, verdict,"
        " code, detail, toolkit_version) VALUES ('m', 'https://h/o/r', %s, %s, %s, 'd', '0')",
        ("a" * 40, verdict, code),
    )


def test_code_pin_checks_keeps_every_check_and_cascades_with_its_artifact(db_conn: Conn) -> None:
    assert _columns(db_conn, "code_pin_checks") == CODE_PIN_CHECKS_COLUMNS
    db_conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES ('m', 'model')")
    _pin_check(db_conn, "fail", "MC801")
    _pin_check(db_conn, "pass", None)
    assert db_conn.execute("SELECT count(*) FROM code_pin_checks").fetchone() == (2,)
    db_conn.execute("DELETE FROM artifacts WHERE id = 'm'")
    assert db_conn.execute("SELECT count(*) FROM code_pin_checks").fetchone() == (0,)


@pytest.mark.parametrize(("verdict", "code"), [("pass", "MC801"), ("fail", None), ("ok", None)])
def test_code_pin_checks_refuses_a_verdict_and_code_that_disagree(
    db_conn: Conn, verdict: str, code: str | None
) -> None:
    db_conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES ('m', 'model')")
    with pytest.raises(psycopg.errors.CheckViolation):
        _pin_check(db_conn, verdict, code)


def test_the_down_migration_of_code_pin_checks_removes_it_and_its_ledger_row(
    db_dsn: str,
) -> None:
    down = Path(__file__).resolve().parents[2] / "migrations/down/0006_code_pin_checks.down.sql"
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(down.read_text())
        assert conn.execute("SELECT to_regclass('code_pin_checks')").fetchone() == (None,)
        assert conn.execute(
            "SELECT count(*) FROM model_conformance_migrations WHERE version = 6"
        ).fetchone() == (0,)
