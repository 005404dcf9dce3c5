"""`model-conformance migrate`: apply the forward-only migrations, show their status."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from model_conformance.cli._options import dry_run_option, dsn_option, format_option
from model_conformance.db import connect
from model_conformance.db.migrate import MigrationState, apply_migrations, migration_status
from model_conformance.reporting import Outcome, Run, Subject, open_reporter, wants_color


@click.command("migrate")
@dsn_option
@click.option("--status", "show_status", is_flag=True, help="List applied and pending migrations.")
@dry_run_option("Print what would be applied; change nothing.")
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply a new migration numbered below the highest applied one.",
)
@click.option(
    "--migrations-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Use the migrations in this directory instead of the bundled ones.",
)
@format_option
def migrate(
    dsn: str | None,
    show_status: bool,
    dry_run: bool,
    allow_out_of_order: bool,
    migrations_dir: Path | None,
    fmt: str,
) -> None:
    """Apply the schema migrations that have not been applied yet.

    Re-running is a no-op. An applied file that was edited or removed, or a new file numbered
    below the highest applied one, is refused. Exit 0 done, 2 refused or no database.
    """
    with connect(dsn, autocommit=True) as conn:
        if show_status:
            _report_status(migration_status(conn, directory=migrations_dir), fmt)
            return
        done = apply_migrations(
            conn,
            directory=migrations_dir,
            allow_out_of_order=allow_out_of_order,
            dry_run=dry_run,
        )
    verb = "would apply" if dry_run else "applied"
    for migration in done:
        click.echo(f"{verb} {migration.filename}")
    if not done:
        click.echo("nothing to apply: the database is up to date")


def _report_status(states: list[MigrationState], fmt: str) -> None:
    """One subject per migration file or ledger row, then the count per status."""
    color = wants_color(fmt, sys.stdout.isatty(), os.environ)
    reporter = open_reporter(fmt, Run("migrate", color=color, records=lambda s: [s.data]))
    applied = [s.version for s in states if s.status != "pending"]
    for state in states:
        name = f"{state.version:04d}_{state.name}.sql"
        line = f"{name}  {state.status}"
        if state.status == "pending" and applied and state.version < max(applied):
            line += (
                f"  (numbered below applied {max(applied):04d}: apply it with --allow-out-of-order)"
            )
        if state.applied_at is not None:
            line += f"  {state.applied_at:%Y-%m-%d %H:%M:%S%z} by {state.applied_by}"
        data = {
            "version": state.version,
            "name": state.name,
            "status": state.status,
            "applied_at": state.applied_at.isoformat() if state.applied_at else None,
            "applied_by": state.applied_by,
        }
        reporter.subject(Subject(name, (), line, data=data))
    counts = Counter(state.status for state in states)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    reporter.finish(Outcome(f"migrations: {summary or 'none'}"))
