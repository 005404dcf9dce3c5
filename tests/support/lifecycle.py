"""Setting a version's promotion state in a test the way the database allows since 0005:
each step an allowed transition, each recorded by its event in the same transaction."""

from __future__ import annotations

from typing import Any

from psycopg import Connection

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
