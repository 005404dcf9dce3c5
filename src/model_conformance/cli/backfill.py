"""`model-conformance backfill`: bring legacy model artifacts onto the schema."""

from __future__ import annotations

from typing import Any

import click
from psycopg import Connection
from psycopg.rows import TupleRow

from model_conformance.backfill import Outcome, pending_ids
from model_conformance.backfill import backfill as run_backfill
from model_conformance.cli._common import progress, registry_connection
from model_conformance.cli._options import dry_run_option, dsn_option, format_option
from model_conformance.promotion import PromotionState
from model_conformance.reporting import Outcome as Ending
from model_conformance.reporting import Run, Subject, open_reporter


@click.command("backfill")
@dsn_option
@dry_run_option("Show what would be written; write nothing.")
@format_option
def backfill(dsn: str | None, dry_run: bool, fmt: str) -> None:
    """Give every model artifact without a model_versions row one, from its legacy metadata.

    Each artifact is written in its own transaction through the registration checks; the
    old metadata is recorded first. Anything that cannot be derived is held for review as
    a candidate whose notes say what to decide. A rerun does nothing; an interrupted run
    resumes. Exit 0 done (holds included), 2 no database.
    """
    outcomes: list[Outcome] = []
    with registry_connection(dsn) as conn:
        outcomes = backfill_with_progress(conn, dry_run=dry_run)
    reporter = open_reporter(fmt, Run("backfill", records=_records))
    for outcome in outcomes:
        reporter.subject(_subject(outcome))
    reporter.finish(Ending(_summary(outcomes, dry_run)))


def _summary(outcomes: list[Outcome], dry_run: bool) -> str:
    if not outcomes:
        return "nothing to backfill: every model artifact has a model_versions row"
    verb = "would backfill" if dry_run else "backfilled"
    held = sum(o.decision.held for o in outcomes)
    promoted = sum(o.decision.state is PromotionState.PROMOTED for o in outcomes)
    return (
        f"{verb} {len(outcomes)} model artifact(s): {promoted} promoted, "
        f"{len(outcomes) - promoted - held} candidate, {held} held for review"
    )


def _subject(outcome: Outcome) -> Subject:
    """One artifact: its new state, and the notes that say why (or what to decide)."""
    decision = outcome.decision
    state = "held for review" if decision.held else decision.state
    data = {
        "promotion_state": decision.state,
        "held_for_review": decision.held,
        "notes": decision.notes,
        "metadata": outcome.metadata,
    }
    heading = f"{outcome.artifact_id}: {state}"
    return Subject(outcome.artifact_id, (), heading, [f"    {decision.notes}"], data=data)


def _records(subject: Subject) -> list[dict[str, Any]]:
    return [{"artifact_id": subject.name, **subject.data}]


def backfill_with_progress(conn: Connection[TupleRow], *, dry_run: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with progress(len(pending_ids(conn)), "backfilling") as bar:

        def tick(outcome: Outcome) -> None:
            outcomes.append(outcome)
            if bar is not None:
                bar.update(1)

        run_backfill(conn, dry_run=dry_run, on_each=tick)
    return outcomes
