"""Promote-and-supersede is one step: it all happens or none of it, however many race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import events, states

from model_conformance.db.errors import DatabaseError
from model_conformance.lifecycle import PromotionConflict, history, promote
from model_conformance.violations import ConformanceError

# A fault between the two halves: the old champion's supersede event and state change are
# written, then writing the new champion's promotion event fails.
_FAULT = """
CREATE FUNCTION fail_on_promote() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.action = 'promote' THEN RAISE EXCEPTION 'injected fault'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fail_on_promote BEFORE INSERT ON promotion_events
    FOR EACH ROW EXECUTE FUNCTION fail_on_promote();
"""


def test_a_failure_between_superseding_and_promoting_leaves_both_as_they_were(
    conn: Conn, register: Register
) -> None:
    register("v1")
    register("v2", parent="v1")
    promote(conn, "v1", reason="first")
    before = (states(conn), events(conn, "v1"), events(conn, "v2"))
    conn.execute(_FAULT)
    with pytest.raises(DatabaseError, match="injected fault"):
        promote(conn, "v2", reason="second")
    assert (states(conn), events(conn, "v1"), events(conn, "v2")) == before
    assert conn.execute("SELECT superseded_by FROM artifacts WHERE id = 'v1'").fetchone() == (None,)


RACERS = 16


def test_sixteen_concurrent_promotions_in_one_line_leave_one_champion(
    conn: Conn, register: Register, db_dsn: str
) -> None:
    register("v0")
    candidates = [register(f"v{n:02d}", parent="v0") for n in range(1, RACERS + 1)]
    promote(conn, "v0", reason="the champion they all race to replace")
    start = threading.Barrier(RACERS)

    def race(artifact_id: str) -> str | ConformanceError:
        with psycopg.connect(db_dsn, autocommit=True) as own:
            start.wait()
            try:
                promote(own, artifact_id, reason="race", actor=artifact_id)
            except ConformanceError as exc:
                return exc
            return "promoted"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = dict(zip(candidates, pool.map(race, candidates), strict=True))

    winners = [c for c, outcome in outcomes.items() if outcome == "promoted"]
    losers = {c: o for c, o in outcomes.items() if o != "promoted"}
    assert winners
    for loser, error in losers.items():
        assert isinstance(error, PromotionConflict), (loser, error)
        assert error.code == "MC704"
        assert loser in str(error)
    final = states(conn)
    assert sum(s == "promoted" for s in final.values()) == 1
    assert all(final[loser] == "candidate" for loser in losers)
    # Linear: each promotion supersedes exactly the champion before it, starting from v0.
    line = history(conn, "v0")
    promotions = [e for e in line.events if e.action == "promote"]
    assert promotions[0].artifact_id == "v0"
    chain = [e.superseded_artifact for e in promotions[1:]]
    assert chain == [e.artifact_id for e in promotions[:-1]]
    assert {e.artifact_id for e in promotions[1:]} == set(winners)
    assert line.champion == promotions[-1].artifact_id
