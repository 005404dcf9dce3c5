"""What the database commands share: the `--dsn` option, error reporting, progress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


@contextmanager
def progress(total: int, label: str) -> Iterator[Any]:
    """A progress bar on a terminal (stderr), nothing when output is piped or in CI."""
    if sys.stderr.isatty() and total > 1:
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield None
