"""`model-conformance db start|stop|status|url`: manage the embedded PostgreSQL server."""

from __future__ import annotations

import click

from model_conformance.db import embedded


@click.group("db")
def db() -> None:
    """Manage the embedded PostgreSQL server.

    Its data lives in .model_conformance/ in the working directory, or in
    $MODEL_CONFORMANCE_HOME. Once started it keeps running until `db stop`.
    """


@db.command("start")
def start() -> None:
    """Start the embedded server (initialising its data directory on first use)."""
    server = embedded.ensure_started()
    click.echo(f"embedded PostgreSQL is running (pid {server.pid}, data in {server.data_dir})")


@db.command("stop")
def stop() -> None:
    """Stop the embedded server."""
    stopped = embedded.stop()
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@db.command("status")
def status() -> None:
    """Say whether the embedded server is running (never starts it)."""
    state = embedded.status()
    if state.running:
        click.echo(f"embedded PostgreSQL is running (pid {state.pid}, data in {state.data_dir})")
    else:
        click.echo(f"embedded PostgreSQL is not running (data in {state.data_dir})")


@db.command("url")
def url() -> None:
    """Print the embedded server's connection URL, starting it if needed."""
    server = embedded.ensure_started()
    click.echo(server.uri)
