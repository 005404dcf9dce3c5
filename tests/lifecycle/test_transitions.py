"""Every allowed and refused transition through the Python API."""

from __future__ import annotations

import pytest
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import events, state, states

from model_conformance.lifecycle import (
    TransitionRefused,
    promote,
    reject,
    retire,
    rollback,
)
from model_conformance.lifecycle.errors import LifecycleInputInvalid, UnknownVersion
from model_conformance.lifecycle.transitions import ALLOWED, Action, check_action
from model_conformance.promotion import PromotionState


def test_a_registered_version_is_a_candidate_with_its_registration_recorded(
    conn: Conn, register: Register
) -> None:
    register("m1")
    assert state(conn, "m1") == "candidate"
    assert events(conn, "m1") == [("register", None, "candidate")]


def test_candidate_to_promoted(conn: Conn, register: Register) -> None:
    register("m1")
    result = promote(conn, "m1", reason="best so far", actor="alice")
    assert (result.from_state, result.to_state, result.superseded) == (
        PromotionState.CANDIDATE,
        PromotionState.PROMOTED,
        None,
    )
    assert state(conn, "m1") == "promoted"
    assert events(conn, "m1")[-1] == ("promote", "candidate", "promoted")


def test_candidate_to_rejected_and_rejected_is_final(conn: Conn, register: Register) -> None:
    register("m1")
    reject(conn, "m1", reason="leaks the holdout", actor="bob")
    assert state(conn, "m1") == "rejected"
    for action in (promote, rollback):
        with pytest.raises(TransitionRefused, match="rejected is final") as excinfo:
            action(conn, "m1", reason="try anyway")
        assert excinfo.value.code == "MC701"
    with pytest.raises(TransitionRefused, match="rejected is final"):
        reject(conn, "m1", reason="again")
    with pytest.raises(TransitionRefused):
        retire(conn, "m1", reason="no")
    assert events(conn, "m1")[-1] == ("reject", "candidate", "rejected")


def test_promoting_supersedes_the_champion_in_the_same_step(conn: Conn, register: Register) -> None:
    register("v1")
    register("v2", parent="v1")
    promote(conn, "v1", reason="first", actor="alice")
    result = promote(conn, "v2", reason="fine-tuned", actor="alice")
    assert result.superseded == "v1"
    assert states(conn) == {"v1": "superseded", "v2": "promoted"}
    assert conn.execute("SELECT superseded_by FROM artifacts WHERE id = 'v1'").fetchone() == ("v2",)
    assert events(conn, "v1")[-1] == ("supersede", "promoted", "superseded")
    [event] = [e for e in result.events if e.artifact_id == "v2"]
    assert event.superseded_artifact == "v1"


def test_versions_of_other_lines_are_not_touched(conn: Conn, register: Register) -> None:
    register("a1")
    register("b1")
    promote(conn, "a1", reason="a")
    promote(conn, "b1", reason="b")
    assert states(conn) == {"a1": "promoted", "b1": "promoted"}


def test_retire_leaves_the_line_without_a_champion(conn: Conn, register: Register) -> None:
    register("v1")
    promote(conn, "v1", reason="first")
    retire(conn, "v1", reason="end of life", actor="carol")
    assert state(conn, "v1") == "superseded"
    assert events(conn, "v1")[-1] == ("retire", "promoted", "superseded")


def test_rollback_brings_a_superseded_version_back_and_supersedes_the_champion(
    conn: Conn, register: Register
) -> None:
    register("v1")
    register("v2", parent="v1")
    promote(conn, "v1", reason="first")
    promote(conn, "v2", reason="second")
    result = rollback(conn, "v1", reason="v2 regressed in production", actor="alice")
    assert result.superseded == "v2"
    assert states(conn) == {"v1": "promoted", "v2": "superseded"}
    rows = conn.execute("SELECT id, superseded_by FROM artifacts WHERE id IN ('v1', 'v2')")
    assert dict(rows.fetchall()) == {"v1": None, "v2": "v1"}
    assert events(conn, "v1")[-1] == ("rollback", "superseded", "promoted")


@pytest.mark.parametrize(
    ("prepare", "action", "words"),
    [
        ((), rollback, "a candidate is promoted with `promote`"),
        ((), retire, "only the champion can be retired"),
        (("promote",), promote, "already the champion"),
        (("promote",), reject, "reject starts from candidate"),
        (("promote",), rollback, "already the champion"),
        (("promote", "retire"), promote, "comes back with `rollback`"),
        (("promote", "retire"), reject, "reject starts from candidate"),
        (("promote", "retire"), retire, "retire starts from promoted"),
    ],
)
def test_every_other_transition_is_refused_with_a_sentence(
    conn: Conn, register: Register, prepare: tuple[str, ...], action: object, words: str
) -> None:
    register("m1")
    steps = {"promote": promote, "retire": retire}
    for step in prepare:
        steps[step](conn, "m1", reason="setup")
    before = events(conn, "m1")
    with pytest.raises(TransitionRefused, match=words):
        action(conn, "m1", reason="try")  # type: ignore[operator]
    assert events(conn, "m1") == before


def test_the_api_table_is_exactly_the_issue_s_transitions() -> None:
    c, p, r, s = (PromotionState(x) for x in ("candidate", "promoted", "rejected", "superseded"))
    assert {(c, p), (c, r), (p, s), (s, p)} == ALLOWED
    assert check_action("x", Action.PROMOTE, c) is p


def test_an_unknown_id_is_a_sentence_not_a_traceback(conn: Conn) -> None:
    with pytest.raises(UnknownVersion, match="is not a registered model version") as excinfo:
        promote(conn, "nope", reason="why")
    assert excinfo.value.code == "MC708"


@pytest.mark.parametrize("reason", ["", "   ", "a\x00b"])
def test_a_reason_is_required_and_storable(conn: Conn, register: Register, reason: str) -> None:
    register("m1")
    with pytest.raises(LifecycleInputInvalid) as excinfo:
        reject(conn, "m1", reason=reason)
    assert excinfo.value.code == "MC709"
    assert state(conn, "m1") == "candidate"


def test_the_actor_defaults_to_the_environment_then_the_os_user(
    conn: Conn, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    register("m1")
    register("m2")
    monkeypatch.setenv("MODEL_CONFORMANCE_ACTOR", "release-bot")
    assert reject(conn, "m1", reason="r").events[0].actor == "release-bot"
    monkeypatch.delenv("MODEL_CONFORMANCE_ACTOR")
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")
    assert reject(conn, "m2", reason="r").events[0].actor == "os-user"
