"""The database enforces the lifecycle on its own: hand-written SQL cannot skip a rule."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import EVENT, state

from model_conformance.lifecycle import promote
from model_conformance.lifecycle.transitions import ALLOWED
from model_conformance.promotion import PromotionState

STATES = [s.value for s in PromotionState]


def _in_one_transaction(conn: Conn, statements: tuple[tuple[str, tuple[object, ...]], ...]) -> None:
    with conn.transaction():
        for statement, params in statements:
            conn.execute(statement.encode(), params)


def _refused(conn: Conn, *statements: tuple[str, tuple[object, ...]]) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as excinfo:
        _in_one_transaction(conn, statements)
    return excinfo.value


def _set(artifact_id: str, target: str) -> tuple[str, tuple[object, ...]]:
    return (
        "UPDATE model_versions SET promotion_state = %s WHERE artifact_id = %s",
        (target, artifact_id),
    )


def _event(artifact_id: str, source: str | None, target: str) -> tuple[str, tuple[object, ...]]:
    return EVENT, (artifact_id, source, target)


def test_an_update_without_an_event_is_refused(conn: Conn, register: Register) -> None:
    register("m1")
    error = _refused(conn, _set("m1", "promoted"))
    assert error.sqlstate == "MC702"
    assert "without a promotion_events row" in str(error)
    assert state(conn, "m1") == "candidate"


def test_an_update_with_its_event_in_the_same_transaction_is_allowed(
    conn: Conn, register: Register
) -> None:
    register("m1")
    with conn.transaction():
        conn.execute(EVENT, ("m1", "candidate", "promoted"))
        conn.execute("SAVEPOINT inner_work")  # the event counts inside a savepoint too
        conn.execute(*_set("m1", "promoted"))
        conn.execute("RELEASE SAVEPOINT inner_work")
    assert state(conn, "m1") == "promoted"


def test_an_event_of_an_earlier_transaction_does_not_count(conn: Conn, register: Register) -> None:
    register("m1")
    conn.execute(EVENT, ("m1", "candidate", "promoted"))  # committed, never applied
    assert _refused(conn, _set("m1", "promoted")).sqlstate == "MC702"


def test_one_event_allows_one_change(conn: Conn, register: Register) -> None:
    register("v1")
    promote(conn, "v1", reason="first")
    error = _refused(
        conn,
        _event("v1", "promoted", "superseded"),
        _set("v1", "superseded"),
        _set("v1", "promoted"),  # back again on the same event: needs its own
    )
    assert error.sqlstate == "MC702"


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for s in STATES for t in STATES if s != t and (s, t) not in ALLOWED],
)
def test_every_transition_not_allowed_is_refused_even_with_an_event(
    conn: Conn, register: Register, source: str, target: str
) -> None:
    register("m1")
    _walk(conn, "m1", source)
    # the event itself is refused: the history never records a forbidden change
    assert _refused(conn, _event("m1", source, target)).sqlstate == "MC701"
    # and so is the row change, whatever events say
    assert _refused(conn, _set("m1", target)).sqlstate == "MC701"
    assert state(conn, "m1") == source


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_transition_passes_with_its_event(
    conn: Conn, register: Register, source: PromotionState, target: PromotionState
) -> None:
    register("m1")
    _walk(conn, "m1", source.value)
    with conn.transaction():
        conn.execute(EVENT, ("m1", source.value, target.value))
        conn.execute(*_set("m1", target.value))
    assert state(conn, "m1") == target.value


def _walk(conn: Conn, artifact_id: str, target: str) -> None:
    path = {
        "candidate": [],
        "promoted": ["promoted"],
        "rejected": ["rejected"],
        "superseded": ["promoted", "superseded"],
    }[target]
    current = "candidate"
    for step in path:
        with conn.transaction():
            conn.execute(EVENT, (artifact_id, current, step))
            conn.execute(*_set(artifact_id, step))
        current = step


def test_an_event_that_does_not_follow_the_history_is_refused(
    conn: Conn, register: Register
) -> None:
    register("m1")
    error = _refused(conn, _event("m1", "superseded", "promoted"))
    assert error.sqlstate == "MC701"
    promote(conn, "m1", reason="first")
    assert _refused(conn, _event("m1", None, "candidate")).sqlstate == "MC701"


def test_delete_and_insert_cannot_reset_a_state(conn: Conn, register: Register) -> None:
    register("m1")
    promote(conn, "m1", reason="first")
    error = _refused(
        conn,
        ("DELETE FROM model_versions WHERE artifact_id = %s", ("m1",)),
        ("INSERT INTO model_versions (artifact_id) VALUES (%s)", ("m1",)),
    )
    assert error.sqlstate == "MC702"
    assert "its history says promoted" in str(error)
    assert state(conn, "m1") == "promoted"


def test_delete_and_insert_cannot_forge_a_promotion(conn: Conn, register: Register) -> None:
    register("m1")
    error = _refused(
        conn,
        ("DELETE FROM model_versions WHERE artifact_id = %s", ("m1",)),
        (
            "INSERT INTO model_versions (artifact_id, promotion_state) VALUES (%s, 'promoted')",
            ("m1",),
        ),
    )
    assert error.sqlstate == "MC702"


def test_a_new_version_inserted_as_promoted_needs_its_event_first(conn: Conn) -> None:
    conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES ('m9', 'model')")
    insert = ("INSERT INTO model_versions (artifact_id, promotion_state) VALUES ('m9', %s)",)
    assert _refused(conn, (insert[0], ("promoted",))).sqlstate == "MC702"
    with conn.transaction():
        conn.execute(
            "INSERT INTO promotion_events (artifact_id, action, to_state, actor, reason)"
            " VALUES ('m9', 'backfill', 'promoted', 'me', 'imported')"
        )
        conn.execute(insert[0].encode(), ("promoted",))
    assert state(conn, "m9") == "promoted"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE promotion_events SET reason = 'rewritten'",
        "UPDATE promotion_events SET reason = 'none matched' WHERE false",
        "DELETE FROM promotion_events",
        "TRUNCATE promotion_events",
    ],
)
def test_the_history_cannot_be_rewritten(conn: Conn, register: Register, statement: str) -> None:
    register("m1")
    error = _refused(conn, (statement, ()))
    assert error.sqlstate == "MC703"
    assert "append-only" in str(error)
    assert conn.execute("SELECT count(*) FROM promotion_events").fetchone() == (1,)


def test_the_database_fills_in_who_when_and_which_transaction(
    conn: Conn, register: Register
) -> None:
    register("m1")
    conn.execute(EVENT, ("m1", "candidate", "rejected"))
    row = conn.execute(
        "SELECT db_user = current_user, at <= now(), line_id, seq FROM promotion_events"
        " WHERE artifact_id = 'm1' ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert row == (True, True, "m1", 2)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("db_user", "'someone-else'", "MC703"),
        ("at", "'2000-01-01'", "MC703"),
        ("xact_id", "'42'", "MC703"),
        ("line_id", "'another-line'", "MC710"),
        ("seq", "5", "MC701"),
    ],
)
def test_an_event_cannot_claim_who_when_where_or_its_place(
    conn: Conn, register: Register, column: str, value: str, code: str
) -> None:
    register("m1")
    statement = (
        f"INSERT INTO promotion_events (artifact_id, action, from_state, to_state, actor,"
        f" reason, {column}) VALUES ('m1', 'test', 'candidate', 'rejected', 'me', 'r', {value})"
    )
    assert _refused(conn, (statement, ())).sqlstate == code


def test_a_version_cannot_be_inserted_into_another_line(conn: Conn, register: Register) -> None:
    register("v1")
    conn.execute(
        "INSERT INTO artifacts (id, artifact_type, parent_version_id) VALUES ('v2', 'model', 'v1')"
    )
    insert = "INSERT INTO model_versions (artifact_id, line_id) VALUES ('v2', 'elsewhere')"
    assert _refused(conn, (insert, ())).sqlstate == "MC710"


def test_a_line_cannot_have_two_champions(conn: Conn, register: Register) -> None:
    register("v1")
    register("v2", parent="v1")
    promote(conn, "v1", reason="first")
    error = _refused(conn, _event("v2", "candidate", "promoted"), _set("v2", "promoted"))
    assert isinstance(error, pg_errors.UniqueViolation)
    assert error.diag.constraint_name == "model_versions_one_champion_per_line"


def test_line_ids_follow_parent_links_and_cannot_be_changed(conn: Conn, register: Register) -> None:
    register("v2-first", parent="v1")  # registered before its parent: same line all the same
    register("v1")
    register("v3", parent="v2-first")
    rows = conn.execute("SELECT artifact_id, line_id FROM model_versions ORDER BY 1").fetchall()
    assert rows == [("v1", "v1"), ("v2-first", "v1"), ("v3", "v1")]
    error = _refused(conn, ("UPDATE model_versions SET line_id = 'x' WHERE artifact_id = 'v3'", ()))
    assert error.sqlstate == "MC710"


def test_sql_and_python_agree_on_the_allowed_transitions(conn: Conn) -> None:
    allowed = {
        (s, t)
        for s in STATES
        for t in STATES
        if conn.execute("SELECT mc_transition_allowed(%s, %s)", (s, t)).fetchone() == (True,)
    }
    assert allowed == {(s.value, t.value) for s, t in ALLOWED}
