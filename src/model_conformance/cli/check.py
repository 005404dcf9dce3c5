"""`model-conformance check`: scan a registry, print what breaks which rule, exit 0/1/2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from model_conformance.cli._options import dsn_option, format_option
from model_conformance.reporting import Run, open_reporter
from model_conformance.scan import Snapshot, open_snapshot
from model_conformance.scan.presentation import LIST_KEY, report_scan, scan_records


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
@dsn_option
@format_option
def check(dsn: str | None, fmt: str) -> None:
    """Check every model artifact in the registry against every rule, in one snapshot.

    Exit 0 conformant (warnings allowed), 1 violations found, 2 no database or bad usage.
    """
    with open_snapshot(dsn) as snapshot:
        snapshot.start()  # the SQL rules run on the server from now on
        with _progress(snapshot) as step:
            result = snapshot.scan(progress=step)
    run = Run("check", list_key=LIST_KEY, records=scan_records)
    report_scan(result, open_reporter(fmt, run))
    sys.exit(1 if result.has_errors else 0)
