"""`model-conformance check`: scan a registry, print what breaks which rule, exit 0/1/2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from model_conformance.cli.db import DSN_HELP
from model_conformance.scan import Snapshot, open_snapshot
from model_conformance.scan.report import FORMATS, render


@contextmanager
def _progress(snapshot: Snapshot) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; nothing in CI or when piped (and then
    no count query either: the scan counts the models as it reads them)."""
    total = snapshot.model_count() if sys.stderr.isatty() else 0
    if total > 0:
        with click.progressbar(length=total, label="checking metadata", file=sys.stderr) as bar:
            yield bar.update
    else:
        yield None


@click.command("check")
@click.option("--dsn", help=DSN_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for scripts, github for Actions annotations.",
)
def check(dsn: str | None, fmt: str) -> None:
    """Check every model artifact in the registry against every rule, in one snapshot.

    Exit 0 conformant (warnings allowed), 1 violations found, 2 no database or bad usage.
    """
    with open_snapshot(dsn) as snapshot:
        snapshot.start()  # the SQL rules run on the server from now on
        with _progress(snapshot) as step:
            result = snapshot.scan(progress=step)
    click.echo(render(result, fmt))
    sys.exit(1 if result.has_errors else 0)
