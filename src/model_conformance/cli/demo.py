"""`model-conformance demo`: the main job, end to end, on the embedded PostgreSQL.

Start the server, migrate, load the shipped legacy registry if the database is empty,
backfill, write the migration report, and run `pytest --model-conformance` against the
result. Running it again changes nothing: every step is idempotent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from model_conformance._resources import resource_dir
from model_conformance.cli._common import registry_connection
from model_conformance.cli._options import dsn_option
from model_conformance.cli.backfill import backfill_with_progress
from model_conformance.cli.report import write_report
from model_conformance.db import connect, describe_target, resolve_dsn
from model_conformance.db.migrate import apply_migrations
from model_conformance.migration_report import read_models, render_report, state_as_of
from model_conformance.promotion import PromotionState

# Beside the embedded server's data; `make demo` passes the repository's docs/ path instead.
DEFAULT_REPORT = Path(".model_conformance/migration_report_ws1.md")


@click.command("demo")
@dsn_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_REPORT,
    show_default=True,
    help="Where to write the migration report.",
)
def demo(dsn: str | None, report_path: Path) -> None:
    """Run the whole example: migrate, load, backfill, report, and check with pytest."""
    resolved = resolve_dsn(dsn)
    step(f"database: {describe_target(resolved)}")
    with connect(resolved, autocommit=True) as conn:
        applied = apply_migrations(conn)
    step(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")
    with registry_connection(resolved) as conn:
        if conn.execute("SELECT count(*) FROM artifacts").fetchone() == (0,):
            example = resource_dir("examples") / "legacy_registry.sql"
            conn.execute(example.read_text(encoding="utf-8"))
            step(f"loaded the legacy example registry ({example.name})")
        else:
            step("the database already holds artifacts: the example is not loaded again")
        outcomes = backfill_with_progress(conn, dry_run=False)
        step(f"backfill: {len(outcomes)} model artifact(s) backfilled")
        models = read_models(conn)
        write_report(report_path, render_report(models, as_of=state_as_of(conn)))
        step(f"report: {report_path}")
    passed = run_pytest_plugin(resolved)
    counts = {state: sum(m.state == state for m in models) for state in PromotionState}
    held = sum(m.held for m in models)
    click.echo("")
    click.echo(
        f"{len(models)} model artifacts: {counts[PromotionState.PROMOTED]} promoted, "
        f"{counts[PromotionState.CANDIDATE] - held} candidate, {held} held for review."
    )
    click.echo(f"Migration report: {report_path}")
    click.echo(
        "pytest --model-conformance: "
        + ("every model conforms." if passed else "violations found (see above).")
    )
    if not passed:
        sys.exit(1)


def step(message: str) -> None:
    click.echo(f"==> {message}")


def run_pytest_plugin(dsn: str) -> bool:
    """`pytest --model-conformance` as a user would run it, in an empty directory."""
    step("pytest --model-conformance")
    with tempfile.TemporaryDirectory(prefix="mc-demo-") as empty:
        env = dict(os.environ, MODEL_CONFORMANCE_DSN=dsn)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--model-conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            empty,
            empty,
        ]
        result = subprocess.run(command, env=env, cwd=empty, check=False)
    return result.returncode == 0
