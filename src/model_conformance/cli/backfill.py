"""`model-conformance backfill`: bring legacy model artifacts onto the schema."""

from __future__ import annotations

import json

import click
from psycopg import Connection
from psycopg.rows import TupleRow

from model_conformance.backfill import Outcome, pending_ids
from model_conformance.backfill import backfill as run_backfill
from model_conformance.cli._common import progress, registry_connection
from model_conformance.cli.db import DSN_HELP
from model_conformance.promotion import PromotionState


@click.command("backfill")
@click.option("--dsn", help=DSN_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format.",
)
def backfill(dsn: str | None, dry_run: bool, output_format: str) -> None:
    """Give every model artifact without a model_versions row one, from its legacy metadata.

    Each artifact is written in its own transaction through the registration checks; the
    old metadata is recorded first. Anything that cannot be derived is held for review as
    a candidate whose notes say what to decide. A rerun does nothing; an interrupted run
    resumes. Exit 0 done (holds included), 2 no database.
    """
    outcomes: list[Outcome] = []
    with registry_connection(dsn) as conn:
        outcomes = backfill_with_progress(conn, dry_run=dry_run)
    if output_format == "json":
        click.echo(json.dumps([_as_dict(o) for o in outcomes], indent=2))
        return
    verb = "would backfill" if dry_run else "backfilled"
    for outcome in outcomes:
        state = "held for review" if outcome.decision.held else outcome.decision.state
        click.echo(f"{outcome.artifact_id}: {state}")
        click.echo(f"    {outcome.decision.notes}")
    if not outcomes:
        click.echo("nothing to backfill: every model artifact has a model_versions row")
        return
    held = sum(o.decision.held for o in outcomes)
    promoted = sum(o.decision.state is PromotionState.PROMOTED for o in outcomes)
    click.echo(
        f"{verb} {len(outcomes)} model artifact(s): {promoted} promoted, "
        f"{len(outcomes) - promoted - held} candidate, {held} held for review"
    )


def backfill_with_progress(conn: Connection[TupleRow], *, dry_run: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with progress(len(pending_ids(conn)), "backfilling") as bar:

        def tick(outcome: Outcome) -> None:
            outcomes.append(outcome)
            if bar is not None:
                bar.update(1)

        run_backfill(conn, dry_run=dry_run, on_each=tick)
    return outcomes


def _as_dict(outcome: Outcome) -> dict[str, object]:
    return {
        "artifact_id": outcome.artifact_id,
        "promotion_state": outcome.decision.state,
        "held_for_review": outcome.decision.held,
        "notes": outcome.decision.notes,
        "metadata": outcome.metadata,
    }
