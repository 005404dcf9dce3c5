"""`model-conformance migrate`: apply the forward-only migrations, show their status."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from model_conformance.cli._options import dry_run_option, dsn_option, format_option
from model_conformance.codes import violation
from model_conformance.db import connect
from model_conformance.db.migrate import MigrationState, apply_migrations, migration_status
from model_conformance.reporting import (
    Outcome,
    Reporter,
    Run,
    Subject,
    data_record,
    open_reporter,
)
from model_conformance.violations import TableCheck


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
    below the highest applied one, is refused. Exit 0 done, 2 refused or no database;
    --status exits 1 when an applied file was edited or is gone.
    """
    with connect(dsn, autocommit=True) as conn:
        if show_status:
            drifted = _report_status(migration_status(conn, directory=migrations_dir), fmt)
            sys.exit(1 if drifted else 0)
        done = apply_migrations(
            conn,
            directory=migrations_dir,
            allow_out_of_order=allow_out_of_order,
            dry_run=dry_run,
        )
    verb = "would apply" if dry_run else "applied"
    reporter = _reporter(fmt)
    for migration in done:
        data = {"version": migration.version, "name": migration.name, "status": verb}
        reporter.subject(Subject(migration.filename, (), f"{verb} {migration.filename}", data=data))
    line = (
        f"{verb} {len(done)} migration(s)"
        if done
        else "nothing to apply: the database is up to date"
    )
    reporter.finish(Outcome(line))


def _reporter(fmt: str) -> Reporter:
    return open_reporter(fmt, Run("migrate", records=data_record))


# An applied migration that changed or went missing: the finding `check` reports too.
_DRIFT = {"modified": "MC604", "missing": "MC605"}


def _report_status(states: list[MigrationState], fmt: str) -> bool:
    """One subject per migration file or ledger row, then the count per status; whether an
    applied migration drifted (edited or gone: an error, as `check` says too)."""
    reporter = _reporter(fmt)
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
        drift = []
        if state.status in _DRIFT:
            what = "was edited after it was applied" if state.status == "modified" else "is gone"
            message = f"applied migration {name} {what}"
            drift = [violation(_DRIFT[state.status], message, where=TableCheck(name))]
        reporter.subject(Subject(name, drift, line, data=data, heading_says_it=True))
    counts = Counter(state.status for state in states)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    reporter.finish(Outcome(f"migrations: {summary or 'none'}"))
    return any(state.status in _DRIFT for state in states)
