"""What the registry reads and writes. Every statement is parameterised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from model_conformance.lifecycle.events import default_actor, write_initial_events
from model_conformance.lifecycle.transitions import Action
from model_conformance.promotion import PromotionState
from model_conformance.registry.document import ARTIFACT_FIELDS, VERSION_FIELDS, Registration

Conn = psycopg.Connection[TupleRow]

ARTIFACT_COLUMNS = ("id", "artifact_type", "metadata", *(c for c in ARTIFACT_FIELDS if c != "id"))
VERSION_COLUMNS = ("artifact_id", *VERSION_FIELDS)
_JSON_COLUMNS = frozenset({"metadata", "training_params_json", "eval_metrics_json"})

# Lineage columns the host updates after registration (a newer version arrives, a model is
# retired): a re-registration is compared on them only when it states them.
HOST_MANAGED = frozenset({"is_latest", "lifecycle_state", "superseded_by"})


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    artifact_type: str
    artifact: dict[str, Any]
    version: dict[str, Any] | None  # None: the artifact has no model_versions row


_SELECT = sql.SQL(
    "SELECT {artifact}, v.artifact_id IS NOT NULL, {version}"
    " FROM artifacts a LEFT JOIN model_versions v ON v.artifact_id = a.id"
    " WHERE a.id = ANY(%s)"
).format(
    artifact=sql.SQL(", ").join(sql.Identifier("a", c) for c in ARTIFACT_COLUMNS),
    version=sql.SQL(", ").join(sql.Identifier("v", c) for c in VERSION_COLUMNS),
)


def fetch_artifacts(conn: Conn, ids: Iterable[str]) -> dict[str, StoredArtifact]:
    """The stored artifacts (and their model_versions rows) among `ids`, by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found: dict[str, StoredArtifact] = {}
    width = len(ARTIFACT_COLUMNS)
    for row in conn.execute(_SELECT, (wanted,)):
        artifact = dict(zip(ARTIFACT_COLUMNS, row[:width], strict=True))
        version = dict(zip(VERSION_COLUMNS, row[width + 1 :], strict=True)) if row[width] else None
        found[artifact["id"]] = StoredArtifact(artifact["artifact_type"], artifact, version)
    return found


def differences(registration: Registration, stored: StoredArtifact) -> list[str]:
    """The columns where `stored` says something other than `registration`."""
    if stored.version is None:
        return ["model_versions row (the artifact exists but is not a registered model version)"]
    provided = {name for name in HOST_MANAGED if getattr(registration.artifact, name) is not None}
    differ = [
        column
        for column, value in registration.artifact_row().items()
        if (column not in HOST_MANAGED or column in provided) and stored.artifact[column] != value
    ]
    differ += [
        column
        for column, value in registration.version_row().items()
        if stored.version[column] != value
    ]
    return differ


def _adapt(column: str, value: Any) -> Any:
    return Jsonb(value) if column in _JSON_COLUMNS and value is not None else value


def _insert(table: str, columns: tuple[str, ...]) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )


_INSERT_ARTIFACT = _insert("artifacts", ARTIFACT_COLUMNS)
_VERSION_INSERTED = (*VERSION_COLUMNS, "promotion_state", "line_id")
_ROWS_PER_STATEMENT = 500  # 500 x 18 parameters, well below PostgreSQL's 65,535


def _insert_versions(rows: int) -> sql.Composed:
    one_row = sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(_VERSION_INSERTED)))
    return sql.SQL("INSERT INTO model_versions ({}) VALUES {}").format(
        sql.SQL(", ").join(map(sql.Identifier, _VERSION_INSERTED)),
        sql.SQL(", ").join([one_row] * rows),
    )


def _line(registration: Registration) -> str | None:
    """A version without a parent starts its own line; for one with a parent the database
    works the line out (and checks whatever is given, migration 0005)."""
    parent = registration.artifact.parent_version_id
    return registration.id if parent is None or parent == registration.id else None


def insert_registrations(conn: Conn, registrations: list[Registration]) -> None:
    """Write the artifact rows, then their model_versions rows (the caller owns the transaction)."""
    if not registrations:
        return
    # Rows in id order: two writers with overlapping batches then lock them in one order,
    # and neither can wait for the other in a cycle (a deadlock).
    registrations = sorted(registrations, key=lambda r: r.id)
    artifacts = [registration.artifact_row() for registration in registrations]
    versions = [registration.version_row() for registration in registrations]
    with conn.cursor() as cur:
        cur.executemany(
            _INSERT_ARTIFACT, [[_adapt(c, row[c]) for c in ARTIFACT_COLUMNS] for row in artifacts]
        )
        rows = [
            [
                *(_adapt(c, row[c]) for c in VERSION_COLUMNS),
                PromotionState.CANDIDATE.value,
                _line(registration),
            ]
            for row, registration in zip(versions, registrations, strict=True)
        ]
        # Multi-row statements: migration 0005 checks each INSERT statement once over all
        # its rows, so one statement per row would pay that check per row.
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            cur.execute(_insert_versions(len(chunk)), [value for row in chunk for value in row])
    # Each new version's history starts here, in the same transaction (migration 0005).
    write_initial_events(
        conn,
        [r.id for r in registrations],
        [_line(r) for r in registrations],
        Action.REGISTER,
        actor=default_actor(),
        reason="registered",
    )
