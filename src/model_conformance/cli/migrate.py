"""`model-conformance migrate`: apply the forward-only migrations, show their status."""

from __future__ import annotations

from pathlib import Path

import click

from model_conformance.cli.db import DSN_HELP
from model_conformance.db import connect
from model_conformance.db.migrate import apply_migrations, migration_status


@click.command("migrate")
@click.option("--dsn", help=DSN_HELP)
@click.option("--status", "show_status", is_flag=True, help="List applied and pending migrations.")
@click.option("--dry-run", is_flag=True, help="Print what would be applied; change nothing.")
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
def migrate(
    dsn: str | None,
    show_status: bool,
    dry_run: bool,
    allow_out_of_order: bool,
    migrations_dir: Path | None,
) -> None:
    """Apply the schema migrations that have not been applied yet.

    Re-running is a no-op. An applied file that was edited or removed, or a new file numbered
    below the highest applied one, is refused. Exit 0 done, 2 refused or no database.
    """
    with connect(dsn, autocommit=True) as conn:
        if show_status:
            states = migration_status(conn, directory=migrations_dir)
            applied = [s.version for s in states if s.status != "pending"]
            for state in states:
                line = f"{state.version:04d}_{state.name}.sql  {state.status}"
                if state.status == "pending" and applied and state.version < max(applied):
                    line += (
                        f"  (numbered below applied {max(applied):04d}: "
                        "apply it with --allow-out-of-order)"
                    )
                if state.applied_at is not None:
                    line += f"  {state.applied_at:%Y-%m-%d %H:%M:%S%z} by {state.applied_by}"
                click.echo(line)
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
