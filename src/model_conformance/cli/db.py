"""`model-conformance db start|stop|status|url`: manage the embedded PostgreSQL server."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from model_conformance.db import embedded
from model_conformance.violations import ConformanceError


def fail(exc: ConformanceError) -> NoReturn:
    """One sentence on stderr and exit code 2: how every database command reports an error."""
    click.echo(f"error: {exc} [{exc.code}]", err=True)
    sys.exit(2)


DSN_HELP = (
    "PostgreSQL connection string. Default: $MODEL_CONFORMANCE_DSN, else libpq's PG* "
    "variables, else the embedded server (started on demand)."
)


@click.group("db")
def db() -> None:
    """Manage the embedded PostgreSQL server.

    Its data lives in .model_conformance/ in the working directory, or in
    $MODEL_CONFORMANCE_HOME. Once started it keeps running until `db stop`.
    """


@db.command("start")
def start() -> None:
    """Start the embedded server (initialising its data directory on first use)."""
    try:
        server = embedded.ensure_started()
    except ConformanceError as exc:
        fail(exc)
    click.echo(f"embedded PostgreSQL is running (pid {server.pid}, data in {server.data_dir})")


@db.command("stop")
def stop() -> None:
    """Stop the embedded server."""
    try:
        stopped = embedded.stop()
    except ConformanceError as exc:
        fail(exc)
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@db.command("status")
def status() -> None:
    """Say whether the embedded server is running (never starts it)."""
    try:
        state = embedded.status()
    except ConformanceError as exc:
        fail(exc)
    if state.running:
        click.echo(f"embedded PostgreSQL is running (pid {state.pid}, data in {state.data_dir})")
    else:
        click.echo(f"embedded PostgreSQL is not running (data in {state.data_dir})")


@db.command("url")
def url() -> None:
    """Print the embedded server's connection URL, starting it if needed."""
    try:
        server = embedded.ensure_started()
    except ConformanceError as exc:
        fail(exc)
    click.echo(server.uri)
