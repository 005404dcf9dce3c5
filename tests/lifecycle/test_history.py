"""The history: every change writes its event, `history` shows the line, `champion_at`
answers for any moment, and the backfill records the states it sets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import events, states

from model_conformance.backfill.run import backfill
from model_conformance.lifecycle import champion_at, history, promote, reject, retire, rollback
from model_conformance.lifecycle.errors import LifecycleInputInvalid, UnknownVersion
from model_conformance.scan import open_snapshot

LEGACY_SQL = Path(__file__).resolve().parents[2] / "examples" / "legacy_registry.sql"


def _now(conn: Conn) -> datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    moment: datetime = row[0]
    time.sleep(0.01)  # the next transaction starts strictly later
    return moment


def test_history_is_the_whole_line_as_a_timeline(conn: Conn, register: Register) -> None:
    register("v1")
    register("v2", parent="v1")
    register("other")
    promote(conn, "v1", reason="first", actor="alice")
    promote(conn, "v2", reason="fine-tuned", actor="bob")
    reject(conn, "other", reason="unrelated line")
    line = history(conn, "v2")
    assert (line.line_id, line.champion) == ("v1", "v2")
    assert [(e.artifact_id, e.action, e.to_state.value) for e in line.events] == [
        ("v1", "register", "candidate"),
        ("v2", "register", "candidate"),
        ("v1", "promote", "promoted"),
        ("v1", "supersede", "superseded"),
        ("v2", "promote", "promoted"),
    ]
    promoted = line.events[-1]
    assert (promoted.actor, promoted.reason, promoted.superseded_artifact) == (
        "bob",
        "fine-tuned",
        "v1",
    )
    assert promoted.db_user  # the database role, filled in by the database
    assert line.events[-2].successor == "v2"
    assert history(conn, "v1").events == line.events


def test_a_page_of_the_history_is_the_newest_events_and_says_if_there_are_earlier(
    conn: Conn, register: Register
) -> None:
    register("v1")
    register("v2", parent="v1")
    register("v3", parent="v2")
    promote(conn, "v1", reason="first")
    promote(conn, "v2", reason="second")
    whole = history(conn, "v3").events  # 3 registrations, promote, supersede, promote
    assert len(whole) == 6
    assert not history(conn, "v3").earlier

    newest = history(conn, "v3", limit=2)
    assert newest.events == whole[-2:]
    assert newest.earlier
    assert (newest.line_id, newest.champion) == ("v1", "v2")

    back = history(conn, "v3", limit=2, before=newest.events[0].id)
    assert back.events == whole[-4:-2]
    assert back.earlier
    first = history(conn, "v3", limit=2, before=back.events[0].id)
    assert first.events == whole[:2]
    assert not first.earlier  # nothing older: paging stops here

    assert history(conn, "v3", limit=6).events == whole
    assert not history(conn, "v3", limit=6).earlier
    assert history(conn, "v3", before=whole[3].id).events == whole[:3]
    assert history(conn, "v3", limit=5, before=whole[0].id).events == []


def test_a_page_holds_at_least_one_event(conn: Conn, register: Register) -> None:
    register("v1")
    with pytest.raises(LifecycleInputInvalid, match="at least 1 event"):
        history(conn, "v1", limit=0)


def test_events_read_back_as_written(conn: Conn, register: Register) -> None:
    """The gate results and waivers of a promotion, the empty lists of a registration, and
    every event equal to the one the change returned."""
    register("v1")
    promoted = promote(conn, "v1", reason="first", actor="alice")
    (registered, shown) = history(conn, "v1").events
    assert shown == promoted.events[-1]
    assert shown.to_dict() == promoted.events[-1].to_dict()
    assert shown.gate_results
    assert all(g["passed"] for g in shown.gate_results)
    assert (registered.gate_results, registered.waivers) == ([], [])
    assert registered.gate_results is not registered.waivers  # each event its own lists


def test_champion_at_before_between_and_after_promotions(conn: Conn, register: Register) -> None:
    register("v1")
    register("v2", parent="v1")
    before = _now(conn)
    promote(conn, "v1", reason="first")
    between = _now(conn)
    promote(conn, "v2", reason="second")
    after_second = _now(conn)
    retire(conn, "v2", reason="withdrawn")
    after_retire = _now(conn)
    rollback(conn, "v1", reason="back to v1")
    after_rollback = _now(conn)
    answers = [
        champion_at(conn, "v2", moment).champion
        for moment in (before, between, after_second, after_retire, after_rollback)
    ]
    assert answers == [None, "v1", "v2", None, "v1"]
    found = champion_at(conn, "v1", between)
    assert found.event is not None
    assert (found.event.action, found.event.artifact_id) == ("promote", "v1")


def test_champion_at_wants_a_time_zone(conn: Conn, register: Register) -> None:
    register("v1")
    with pytest.raises(LifecycleInputInvalid, match="time zone"):
        champion_at(conn, "v1", datetime(2024, 5, 1, 12, 0))
    assert champion_at(conn, "v1", datetime.now(UTC) + timedelta(days=1)).champion is None


def test_history_of_an_unknown_id_is_a_sentence(conn: Conn) -> None:
    with pytest.raises(UnknownVersion, match="no history"):
        history(conn, "nope")


def test_the_history_of_a_deleted_version_survives(conn: Conn, register: Register) -> None:
    register("v1")
    promote(conn, "v1", reason="first")
    conn.execute("DELETE FROM artifacts WHERE id = 'v1'")  # cascades to model_versions
    line = history(conn, "v1")
    assert [e.action for e in line.events] == ["register", "promote"]
    assert line.champion is None


@pytest.fixture
def legacy(conn: Conn) -> Conn:
    conn.execute(LEGACY_SQL.read_text())
    return conn


def test_the_backfill_writes_one_event_per_state_it_sets(legacy: Conn, db_dsn: str) -> None:
    outcomes = backfill(legacy)
    found = states(legacy)
    assert {o.artifact_id for o in outcomes} == set(found)
    for outcome in outcomes:
        assert events(legacy, outcome.artifact_id) == [
            ("backfill", None, outcome.decision.state.value)
        ]
        assert found[outcome.artifact_id] == outcome.decision.state.value
    with open_snapshot(db_dsn) as snapshot:
        codes = {f.code for f in snapshot.scan().findings}
    assert not codes & {"MC530", "MC531"}


def test_the_backfill_does_not_promote_a_second_champion_into_a_line(legacy: Conn) -> None:
    promoted = sorted(
        o.artifact_id
        for o in backfill(legacy, dry_run=True)
        if o.decision.state.value == "promoted"
    )
    first, second = promoted[:2]
    legacy.execute("UPDATE artifacts SET parent_version_id = %s WHERE id = %s", (first, second))
    backfill(legacy)
    found = states(legacy)
    assert (found[first], found[second]) == ("promoted", "candidate")
    row = legacy.execute(
        "SELECT promotion_notes FROM model_versions WHERE artifact_id = %s", (second,)
    ).fetchone()
    assert row is not None
    assert f"its line already has a champion, {first}" in row[0]
