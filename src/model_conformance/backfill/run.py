"""`model-conformance backfill`: bring pre-existing model artifacts to conformance.

Each artifact without a `model_versions` row is mapped, checked and written in its own
transaction, through the registration path. A rerun finds nothing left to do; a run that
was interrupted resumes with the artifacts it had not reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from model_conformance.backfill.legacy import LegacyMapping, map_legacy
from model_conformance.backfill.policy import Decision, decide
from model_conformance.lifecycle.events import default_actor, write_event
from model_conformance.lifecycle.transitions import Action
from model_conformance.promotion import PromotionState
from model_conformance.registry.adopt import adopt_artifact, adoption_problems, hold_artifact
from model_conformance.registry.document import Registration
from model_conformance.validator import MetadataValidator, default_validator
from model_conformance.violations import Violation

Conn = psycopg.Connection[TupleRow]

_PENDING = """
    SELECT a.id FROM artifacts a
    WHERE a.artifact_type = 'model'
      AND NOT EXISTS (SELECT 1 FROM model_versions v WHERE v.artifact_id = a.id)
    ORDER BY a.id
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the backfill did (or, in a dry run, would do) with one artifact."""

    artifact_id: str
    title: str | None
    decision: Decision
    registration: Registration | None  # what is written; None when held for review

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self.registration.metadata if self.registration else None


def pending_ids(conn: Conn) -> list[str]:
    # In a transaction block of its own, so that each artifact's block below is a real
    # transaction (not a savepoint inside an implicit one) on a non-autocommit connection.
    with conn.transaction():
        return [row[0] for row in conn.execute(_PENDING)]


def backfill(
    conn: Conn,
    *,
    dry_run: bool = False,
    validator: MetadataValidator | None = None,
    on_each: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Backfill every model artifact that has no model_versions row; one transaction each."""
    checker = validator or default_validator()
    outcomes = []
    for artifact_id in pending_ids(conn):
        outcome = _backfill_one(conn, artifact_id, checker, dry_run)
        if outcome is not None:
            outcomes.append(outcome)
            if on_each is not None:
                on_each(outcome)
    return outcomes


def _backfill_one(
    conn: Conn, artifact_id: str, validator: MetadataValidator, dry_run: bool
) -> Outcome | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT a.title, a.metadata, EXISTS (SELECT 1 FROM model_versions v"
            " WHERE v.artifact_id = a.id) FROM artifacts a WHERE a.id = %s FOR UPDATE",
            (artifact_id,),
        ).fetchone()
        if row is None or row[2]:
            return None  # deleted, or backfilled by another run meanwhile
        title, legacy, _ = row
        outcome = plan(conn, artifact_id, title, legacy, validator)
        if dry_run:
            return outcome  # nothing was written; the transaction only held the row lock
        outcome = _one_champion_per_line(conn, outcome)
        # The version's history starts with the state the backfill gives it (migration 0005).
        write_event(
            conn,
            artifact_id,
            Action.BACKFILL,
            None,
            outcome.decision.state,
            actor=default_actor(),
            reason=outcome.decision.notes,
        )
        if outcome.registration is None:
            # The held row describes the metadata as it stays (unchanged), so they agree.
            hold_artifact(
                conn,
                artifact_id,
                previous_metadata=legacy,
                is_external=isinstance(legacy, dict) and legacy.get("is_external") is True,
                notes=outcome.decision.notes,
            )
        else:
            adopt_artifact(
                conn,
                outcome.registration,
                previous_metadata=legacy,
                promotion_state=outcome.decision.state,
                promotion_notes=outcome.decision.notes,
            )
        return outcome


def _one_champion_per_line(conn: Conn, outcome: Outcome) -> Outcome:
    """A model the policy would promote into a line that has a champion stays a candidate:
    replacing a champion is a promotion, a person's call with its gates."""
    if outcome.decision.state is not PromotionState.PROMOTED:
        return outcome
    row = conn.execute(
        "SELECT v.artifact_id FROM model_versions v"
        " WHERE v.line_id = mc_line_of(%s) AND v.promotion_state = 'promoted'",
        (outcome.artifact_id,),
    ).fetchone()
    if row is None:
        return outcome
    notes = (
        f"Candidate: the backfill would promote it, but its line already has a champion, "
        f"{row[0]}; promote it with `model-conformance promote` to replace that one. "
        + outcome.decision.notes
    )
    decision = Decision(PromotionState.CANDIDATE, outcome.decision.held, notes)
    return Outcome(outcome.artifact_id, outcome.title, decision, outcome.registration)


def plan(
    conn: Conn, artifact_id: str, title: str | None, legacy: Any, validator: MetadataValidator
) -> Outcome:
    """Map, check and decide one artifact, without writing."""
    if not isinstance(legacy, dict):
        mapping = LegacyMapping(questions=["the legacy metadata is not a JSON object: what is it?"])
    else:
        mapping = map_legacy(legacy)
    version = dict(mapping.version)
    dataset = mapping.metadata.get("evaluation_dataset")
    if isinstance(dataset, str):
        version["eval_dataset_artifact_id"] = dataset
    registration, problems = _registration(artifact_id, title, mapping.metadata, version)
    if registration is not None:
        problems += adoption_problems(conn, registration, validator)
    # "missing `framework`" adds nothing where a question about framework is already asked
    problems = [p for p in problems if not _answered_by_a_question(p, mapping.unsettled)]
    decision = decide(mapping.metadata, mapping.questions, problems, mapping.remarks)
    return Outcome(artifact_id, title, decision, None if decision.held else registration)


def _answered_by_a_question(problem: Violation, unsettled: set[str]) -> bool:
    return problem.code == "MC101" and any(
        problem.message.startswith(f"missing `{key}`") or f": missing `{key}`" in problem.message
        for key in unsettled
    )


def _registration(
    artifact_id: str, title: str | None, metadata: dict[str, Any], version: dict[str, Any]
) -> tuple[Registration | None, list[Violation]]:
    document = {
        "artifact": {"id": artifact_id, "title": title},
        "metadata": metadata,
        "model_version": version,
    }
    return Registration.from_dict(document)
