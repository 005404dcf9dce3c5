"""Setting a version's promotion state in a test the way the database allows since 0005:
each step an allowed transition, each recorded by its event in the same transaction."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from psycopg import Connection

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"
DATASET = "dataset-holdout"
OTHER_DATASET = "dataset-holdout-2"

# The allowed path from candidate to each state.
PATHS: dict[str, tuple[str, ...]] = {
    "candidate": (),
    "promoted": ("promoted",),
    "rejected": ("rejected",),
    "superseded": ("promoted", "superseded"),
}

EVENT = (
    "INSERT INTO promotion_events (artifact_id, action, from_state, to_state, actor, reason)"
    " VALUES (%s, 'test', %s, %s, 'test', 'set by the test')"
)


def force_state(conn: Connection[Any], artifact_id: str, state: str) -> None:
    """Walk candidate `artifact_id` to `state`, one event and one UPDATE per step (the
    caller's transaction)."""
    current = "candidate"
    for step in PATHS[state]:
        conn.execute(EVENT, (artifact_id, current, step))
        conn.execute(
            "UPDATE model_versions SET promotion_state = %s WHERE artifact_id = %s",
            (step, artifact_id),
        )
        current = step


def document(
    artifact_id: str,
    *,
    parent: str | None = None,
    metrics: dict[str, float] | None = None,
    dataset: str = DATASET,
    **version: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    doc["artifact"]["id"] = artifact_id
    doc["artifact"]["parent_version_id"] = parent
    if metrics is not None:
        doc["metadata"]["evaluation_metrics"] = metrics
    doc["metadata"]["evaluation_dataset"] = dataset
    doc["model_version"]["eval_dataset_artifact_id"] = dataset
    doc["model_version"].update(version)
    return doc


def state(conn: Connection[Any], artifact_id: str) -> str:
    row = conn.execute(
        "SELECT promotion_state FROM model_versions WHERE artifact_id = %s", (artifact_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def states(conn: Connection[Any]) -> dict[str, str]:
    rows = conn.execute("SELECT artifact_id, promotion_state FROM model_versions").fetchall()
    return {artifact_id: value for artifact_id, value in rows}


def events(conn: Connection[Any], artifact_id: str) -> list[tuple[str, str | None, str]]:
    """(action, from, to) of each event of `artifact_id`, oldest first."""
    rows = conn.execute(
        "SELECT action, from_state, to_state FROM promotion_events"
        " WHERE artifact_id = %s ORDER BY seq",
        (artifact_id,),
    ).fetchall()
    return [(action, source, target) for action, source, target in rows]
