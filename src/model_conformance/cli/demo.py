"""`model-conformance demo`: the main job, end to end, on the embedded PostgreSQL.

Start the server, migrate, load the shipped legacy registry if the database is empty,
backfill, promote a fine-tuned v2 of one model over its parent (and print the line's
history), write the migration report, and run `pytest --model-conformance` against the
result. Running it again changes nothing: every step is idempotent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import psycopg
from psycopg.rows import TupleRow

from model_conformance._resources import resource_dir
from model_conformance.cli._common import registry_connection
from model_conformance.cli._options import dsn_option
from model_conformance.cli.backfill import backfill_with_progress
from model_conformance.cli.lifecycle import render_history
from model_conformance.cli.report import write_report
from model_conformance.db import connect, describe_target, resolve_dsn
from model_conformance.db.migrate import apply_migrations
from model_conformance.lifecycle import GateConfig, MetricGate, history, promote
from model_conformance.migration_report import read_models, render_report, state_as_of
from model_conformance.promotion import PromotionState
from model_conformance.registry import register_model

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
        promote_fine_tuned(conn)
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


# The demo's promotion gate: v2 must beat its parent's macro F1 on the same holdout.
DEMO_GATES = GateConfig(metrics=(MetricGate("macro_f1", ">=", threshold=0.8, min_change=0.01),))


def promote_fine_tuned(conn: psycopg.Connection[TupleRow]) -> None:
    """Register the fine-tuned v2 of the Cell Type Classifier, promote it (superseding v1,
    its parent, in the same step) and print the line's history. Once is enough: a rerun
    finds v2 registered and promoted, and only prints the history."""
    document = json.loads((resource_dir("examples") / "fine_tuned_v2.json").read_text("utf-8"))
    artifact_id, parent = document["artifact"]["id"], document["artifact"]["parent_version_id"]
    if register_model(conn, document).status == "created":
        step(f"registered {artifact_id}, fine-tuned from {parent}")
    if history(conn, artifact_id).champion != artifact_id:
        result = promote(
            conn,
            artifact_id,
            reason="fine-tuned on SEA-AD 2024: macro F1 0.90 against v1's 0.88 on the same holdout",
            actor="demo",
            gates=DEMO_GATES,
        )
        passed = sum(gate.passed for gate in result.gates)
        step(f"promoted {artifact_id} ({passed} gates passed), superseding {result.superseded}")
    else:
        step(f"{artifact_id} is already the champion of its line")
    step("history of its line")
    click.echo(render_history(history(conn, artifact_id)))


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
