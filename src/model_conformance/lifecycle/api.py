"""The lifecycle's Python API: `promote`, `rollback`, `reject`, `retire`, `history`,
`champion_at`. Each takes a psycopg connection and runs in one transaction of its own (a
savepoint when the caller already has one open); each change writes its events in it.

Concurrency: a promotion judges its gates against the champion it read, then takes the
line's transaction-scoped advisory lock without waiting. If another change of the line holds
it, or the champion (or the version's own state) changed meanwhile, it is refused with
`PromotionConflict` (MC704) and nothing is written: one of any number of racing promotions
wins, the history stays linear, and nobody waits in a cycle, so there is no deadlock. The
unique index "one champion per line" backs this up in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import TupleRow

from model_conformance.db.dsn import refused
from model_conformance.lifecycle.config import GateConfig
from model_conformance.lifecycle.errors import (
    EventRequired,
    GateFailed,
    HistoryAppendOnly,
    LifecycleInputInvalid,
    LineFixed,
    PromotionConflict,
    TransitionRefused,
    UnknownVersion,
    WaiverInvalid,
)
from model_conformance.lifecycle.events import (
    EVENT_COLUMNS,
    Event,
    checked_text,
    default_actor,
    event_from_row,
    line_events,
    write_event,
)
from model_conformance.lifecycle.gates import GateContext, GateResult, evaluate
from model_conformance.lifecycle.transitions import PROMOTED, SUPERSEDED, Action, check_action
from model_conformance.lifecycle.versions import Version, line_champion, load_version
from model_conformance.promotion import PromotionState
from model_conformance.validator import MetadataValidator, default_validator
from model_conformance.violations import ConformanceError, as_json

Conn = psycopg.Connection[TupleRow]

# Without waiting: a busy line is a conflict at once, never a queue (or a deadlock).
_LOCK_LINE = (
    "SELECT pg_try_advisory_xact_lock(hashtextextended('model_conformance.line:' || %s, 0))"
)

# What the triggers of migration 0005 raise, by SQLSTATE (the code itself).
_TRIGGER_ERRORS: dict[str, type[ConformanceError]] = {
    "MC701": TransitionRefused,
    "MC702": EventRequired,
    "MC703": HistoryAppendOnly,
    "MC710": LineFixed,
}
_CONFLICT_CONSTRAINTS = ("model_versions_one_champion_per_line", "promotion_events_one_history")


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """What a lifecycle command did (or, in a dry run, would do)."""

    artifact_id: str
    line_id: str
    action: Action
    from_state: PromotionState
    to_state: PromotionState
    superseded: str | None = None
    gates: list[GateResult] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dry_run: bool = False

    @property
    def passed(self) -> bool:
        """No gate blocks it (every failure waived)."""
        return not any(result.blocking for result in self.gates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact_id": self.artifact_id,
            "line_id": self.line_id,
            "action": self.action.value,
            "from_state": self.from_state.value,
            "to_state": self.to_state.value,
            "superseded": self.superseded,
            "dry_run": self.dry_run,
            "passed": self.passed,
            "gates": [result.to_dict() for result in self.gates],
            "events": [event.to_dict() for event in self.events],
        }


@dataclass(frozen=True, slots=True)
class History:
    """The line of a version as a timeline, oldest event first: the whole line, or a page of
    it. `earlier`: the line has events older than the first one here (a page; the next one
    back is `before=events[0].id`)."""

    artifact_id: str
    line_id: str
    champion: str | None
    events: list[Event]
    earlier: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact_id": self.artifact_id,
            "line_id": self.line_id,
            "champion": self.champion,
            "earlier": self.earlier,
            "events": [event.to_dict() for event in self.events],
        }


@dataclass(frozen=True, slots=True)
class ChampionAt:
    """Which version of the line was promoted at `at` (None: none was), and the event that
    made it so."""

    line_id: str
    at: datetime
    champion: str | None
    event: Event | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "at": self.at.isoformat(),
            "champion": self.champion,
            "event": self.event.to_dict() if self.event else None,
        }


@contextmanager
def _transaction(conn: Conn) -> Iterator[None]:
    """One transaction; what PostgreSQL refuses becomes a lifecycle error with its code."""
    try:
        with conn.transaction():
            yield
    except psycopg.Error as exc:
        raise _translated(exc) from None


def _translated(exc: psycopg.Error) -> ConformanceError:
    message = (exc.diag.message_primary or str(exc)).strip()
    kind = _TRIGGER_ERRORS.get(exc.sqlstate or "")
    if kind is not None:
        return kind(message)
    if isinstance(exc, pg_errors.UniqueViolation) and exc.diag.constraint_name in (
        _CONFLICT_CONSTRAINTS
    ):
        return PromotionConflict(
            f"another change of the line was written at the same time ({message}); "
            "nothing was written, try again"
        )
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.SerializationFailure):
        return PromotionConflict(f"the line is being changed by another session: {message}")
    return refused(exc)


def _lock_line(conn: Conn, version: Version, action: Action) -> None:
    row = conn.execute(_LOCK_LINE, (version.line_id,)).fetchone()
    if not row or not row[0]:
        raise PromotionConflict(
            f"cannot {action.value} {version.artifact_id}: another change of line "
            f"{version.line_id} is in progress; nothing was written, try again"
        )


def _who_and_why(actor: str | None, reason: str | None) -> tuple[str, str]:
    return checked_text(actor or default_actor(), "actor"), checked_text(reason, "reason")


def promote(
    conn: Conn,
    artifact_id: str,
    *,
    reason: str,
    actor: str | None = None,
    waive: Iterable[str] = (),
    gates: GateConfig | None = None,
    dry_run: bool = False,
    validator: MetadataValidator | None = None,
) -> TransitionResult:
    """Promote candidate `artifact_id` to champion of its line, superseding the champion
    (`artifacts.superseded_by` set) in the same transaction, or change nothing.

    Raises `GateFailed` (every result attached) when a gate fails unwaived, except in a dry
    run, which returns the results and writes nothing.
    """
    return _promote(
        conn, artifact_id, Action.PROMOTE, reason, actor, waive, gates, dry_run, validator
    )


def rollback(
    conn: Conn,
    artifact_id: str,
    *,
    reason: str,
    actor: str | None = None,
    waive: Iterable[str] = (),
    gates: GateConfig | None = None,
    dry_run: bool = False,
    validator: MetadataValidator | None = None,
) -> TransitionResult:
    """Make superseded `artifact_id` the champion again, gated and recorded like a
    promotion; the current champion, if any, is superseded by it."""
    return _promote(
        conn, artifact_id, Action.ROLLBACK, reason, actor, waive, gates, dry_run, validator
    )


def _promote(
    conn: Conn,
    artifact_id: str,
    action: Action,
    reason: str | None,
    actor: str | None,
    waive: Iterable[str],
    gates: GateConfig | None,
    dry_run: bool,
    validator: MetadataValidator | None,
) -> TransitionResult:
    who, why = _who_and_why(actor, reason)
    config = gates or GateConfig()
    waived = frozenset(waive)
    unknown = sorted(waived - set(config.names))
    if unknown:
        raise WaiverInvalid(
            f"--waive names {', '.join(map(as_json, unknown))}, which is no gate of this "
            "promotion; the gates are " + ", ".join(config.names)
        )
    with _transaction(conn):
        version = load_version(conn, artifact_id)
        target = check_action(artifact_id, action, version.state)
        champion = line_champion(conn, version.line_id)
        context = GateContext(conn, version, champion, validator or default_validator())
        results = evaluate(config, context, waived)
        superseded = champion.artifact_id if champion else None
        result = TransitionResult(
            artifact_id, version.line_id, action, version.state, target, superseded, results
        )
        if dry_run:
            return replace(result, dry_run=True)
        blocking = [r for r in results if r.blocking]
        if blocking:
            listed = "; ".join(f"{r.name}: {r.detail}" for r in blocking)
            raise GateFailed(
                f"cannot {action.value} {artifact_id}: {len(blocking)} gate(s) failed: {listed}"
                " (a gate can be waived with --waive NAME and a reason)",
                results,
            )
        _lock_line(conn, version, action)
        _still_as_judged(conn, version, champion, action)
        events = []
        if champion is not None:
            events.append(_supersede(conn, champion, artifact_id, who, why))
        events.append(
            write_event(
                conn,
                artifact_id,
                action,
                version.state,
                PROMOTED,
                actor=who,
                reason=why,
                gate_results=[r.to_dict() for r in results],
                waivers=[{"gate": name, "reason": why, "actor": who} for name in sorted(waived)],
                superseded_artifact=superseded,
            )
        )
        _set_state(conn, artifact_id, PROMOTED)
        if action is Action.ROLLBACK:
            conn.execute("UPDATE artifacts SET superseded_by = NULL WHERE id = %s", (artifact_id,))
    return TransitionResult(
        artifact_id, version.line_id, action, version.state, target, superseded, results, events
    )


def _still_as_judged(
    conn: Conn, version: Version, champion: Version | None, action: Action
) -> None:
    """Under the line lock: the version and the champion are still what the gates saw."""
    current = load_version(conn, version.artifact_id, lock=True)
    now = line_champion(conn, version.line_id, lock=True)
    before_id = champion.artifact_id if champion else None
    now_id = now.artifact_id if now else None
    if current.state != version.state or now_id != before_id:
        what = (
            f"{version.artifact_id} became {current.state.value}"
            if current.state != version.state
            else f"the champion of line {version.line_id} changed from "
            f"{before_id or 'none'} to {now_id or 'none'}"
        )
        raise PromotionConflict(
            f"cannot {action.value} {version.artifact_id}: {what} while its gates were being "
            "judged; nothing was written, judge it again"
        )


def _supersede(conn: Conn, champion: Version, successor: str, actor: str, reason: str) -> Event:
    event = write_event(
        conn,
        champion.artifact_id,
        Action.SUPERSEDE,
        PROMOTED,
        SUPERSEDED,
        actor=actor,
        reason=f"superseded by {successor}: {reason}",
        successor=successor,
    )
    _set_state(conn, champion.artifact_id, SUPERSEDED)
    conn.execute(
        "UPDATE artifacts SET superseded_by = %s WHERE id = %s", (successor, champion.artifact_id)
    )
    return event


def _set_state(conn: Conn, artifact_id: str, state: PromotionState) -> None:
    conn.execute(
        "UPDATE model_versions SET promotion_state = %s WHERE artifact_id = %s",
        (state.value, artifact_id),
    )


def reject(
    conn: Conn, artifact_id: str, *, reason: str, actor: str | None = None
) -> TransitionResult:
    """Reject candidate `artifact_id`; rejected is final."""
    return _simple(conn, artifact_id, Action.REJECT, reason, actor)


def retire(
    conn: Conn, artifact_id: str, *, reason: str, actor: str | None = None
) -> TransitionResult:
    """Retire champion `artifact_id` (promoted -> superseded, no successor): its line has no
    champion until the next promotion or rollback."""
    return _simple(conn, artifact_id, Action.RETIRE, reason, actor)


def _simple(
    conn: Conn, artifact_id: str, action: Action, reason: str | None, actor: str | None
) -> TransitionResult:
    who, why = _who_and_why(actor, reason)
    with _transaction(conn):
        version = load_version(conn, artifact_id)
        target = check_action(artifact_id, action, version.state)
        _lock_line(conn, version, action)
        current = load_version(conn, artifact_id, lock=True)
        if current.state != version.state:
            raise PromotionConflict(
                f"cannot {action.value} {artifact_id}: it became {current.state.value} "
                "meanwhile; nothing was written"
            )
        event = write_event(conn, artifact_id, action, version.state, target, actor=who, reason=why)
        _set_state(conn, artifact_id, target)
    return TransitionResult(
        artifact_id, version.line_id, action, version.state, target, events=[event]
    )


def _line_of(conn: Conn, artifact_id: str) -> str:
    """The line of a version, or of a deleted one that has a history."""
    row = conn.execute(
        "SELECT line_id FROM model_versions WHERE artifact_id = %s"
        " UNION ALL (SELECT line_id FROM promotion_events WHERE artifact_id = %s LIMIT 1)"
        " LIMIT 1",
        (artifact_id, artifact_id),
    ).fetchone()
    if row is None:
        raise UnknownVersion(
            f"{as_json(artifact_id)} is not a registered model version and has no history"
        )
    return str(row[0])


def history(
    conn: Conn, artifact_id: str, *, limit: int | None = None, before: int | None = None
) -> History:
    """The events of the line of `artifact_id`, oldest first, and its champion now: every
    event, or a page of the newest `limit` events with an id below `before` (either may be
    left out). Page back with `before=page.events[0].id` while `page.earlier`."""
    if limit is not None and limit < 1:
        raise LifecycleInputInvalid(f"a page of the history holds at least 1 event, not {limit}")
    with _transaction(conn):
        line_id = _line_of(conn, artifact_id)
        # One event more than asked: whether there are earlier ones, without a count.
        events = line_events(
            conn, line_id, limit=None if limit is None else limit + 1, before=before
        )
        champion = line_champion(conn, line_id)
    earlier = limit is not None and len(events) > limit
    return History(
        artifact_id,
        line_id,
        champion.artifact_id if champion else None,
        events[1:] if earlier else events,
        earlier,
    )


def champion_at(conn: Conn, artifact_id: str, at: datetime) -> ChampionAt:
    """The version of the line of `artifact_id` that was promoted at `at` (an aware time)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise LifecycleInputInvalid(
            f"the time {at.isoformat()} has no time zone; give one (2024-05-01T12:00:00Z)"
        )
    with _transaction(conn):
        line_id = _line_of(conn, artifact_id)
        rows = conn.execute(
            f"SELECT DISTINCT ON (artifact_id) {EVENT_COLUMNS} FROM promotion_events"
            " WHERE line_id = %s AND at <= %s ORDER BY artifact_id, seq DESC",
            (line_id, at),
        ).fetchall()
    promoted = [e for e in map(event_from_row, rows) if e.to_state is PROMOTED]
    event = max(promoted, key=lambda e: e.id) if promoted else None
    return ChampionAt(line_id, at, event.artifact_id if event else None, event)
