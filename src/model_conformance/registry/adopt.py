"""Adopting a pre-existing model artifact: the registration path for rows already stored.

A legacy artifact already has its `artifacts` row, but no `model_versions` row and a
free-form metadata blob. Adopting it records the old blob, rewrites the metadata and adds
the version row, all in the caller's transaction, after the same checks a new
registration passes. Holding it adds only a candidate version row that says what a
person must decide; its metadata is left as it was.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from model_conformance.promotion import PromotionState
from model_conformance.registry.checks import check_registration
from model_conformance.registry.document import Registration
from model_conformance.registry.references import reference_problems, referenced_ids
from model_conformance.registry.store import VERSION_COLUMNS, fetch_artifacts
from model_conformance.validator import MetadataValidator
from model_conformance.violations import Violation

Conn = psycopg.Connection[TupleRow]
_JSON_COLUMNS = frozenset({"training_params_json", "eval_metrics_json"})

_INSERT_VERSION = sql.SQL("INSERT INTO model_versions ({}) VALUES ({})").format(
    sql.SQL(", ").join(
        map(sql.Identifier, (*VERSION_COLUMNS, "promotion_state", "held_for_review"))
    ),
    sql.SQL(", ").join(sql.Placeholder() * (len(VERSION_COLUMNS) + 2)),
)


def adoption_problems(
    conn: Conn, registration: Registration, validator: MetadataValidator
) -> list[Violation]:
    """Every problem adopting `registration` would have: the registration checks, plus the
    references it makes, looked up in the database."""
    problems = check_registration(registration, validator)
    return problems + reference_problems(
        registration, fetch_artifacts(conn, referenced_ids(registration))
    )


def record_previous_metadata(conn: Conn, artifact_id: str, metadata: Any, reason: str) -> None:
    conn.execute(
        "INSERT INTO artifact_metadata_history (artifact_id, metadata, reason) VALUES (%s, %s, %s)",
        (artifact_id, Jsonb(metadata), reason),
    )


def adopt_artifact(
    conn: Conn,
    registration: Registration,
    *,
    previous_metadata: Any,
    promotion_state: PromotionState,
    promotion_notes: str,
) -> None:
    """Record the old metadata, write the new, add the version row (caller's transaction).

    The caller has checked `adoption_problems(...)` is free of errors.
    """
    record_previous_metadata(conn, registration.id, previous_metadata, "backfill")
    conn.execute(
        "UPDATE artifacts SET metadata = %s WHERE id = %s",
        (Jsonb(registration.metadata), registration.id),
    )
    row = registration.version_row()
    row["promotion_notes"] = promotion_notes
    _insert_version(conn, row, promotion_state, held_for_review=False)


def hold_artifact(
    conn: Conn, artifact_id: str, *, previous_metadata: Any, is_external: bool, notes: str
) -> None:
    """A candidate version row whose notes say what a person must decide; metadata unchanged."""
    record_previous_metadata(conn, artifact_id, previous_metadata, "backfill: held for review")
    row = dict.fromkeys(VERSION_COLUMNS)
    row |= {"artifact_id": artifact_id, "is_external": is_external, "promotion_notes": notes}
    _insert_version(conn, row, PromotionState.CANDIDATE, held_for_review=True)


def _insert_version(
    conn: Conn, row: dict[str, Any], promotion_state: PromotionState, *, held_for_review: bool
) -> None:
    values = [
        Jsonb(row[c]) if c in _JSON_COLUMNS and row[c] is not None else row[c]
        for c in VERSION_COLUMNS
    ]
    conn.execute(_INSERT_VERSION, [*values, promotion_state.value, held_for_review])
