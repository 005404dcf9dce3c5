"""What the database commands share: a checked registry connection, progress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import psycopg
from psycopg.rows import TupleRow

from model_conformance.db import connect, refused
from model_conformance.db.migrate import require_migrated


@contextmanager
def registry_connection(
    dsn: str | None, *, autocommit: bool = True
) -> Iterator[psycopg.Connection[TupleRow]]:
    """Connect, insist that the registry is migrated, and turn whatever PostgreSQL refuses
    into one sentence (`DatabaseError`) instead of a traceback."""
    try:
        with connect(dsn, autocommit=autocommit) as conn:
            require_migrated(conn)
            yield conn
    except psycopg.Error as exc:
        raise refused(exc) from None


@contextmanager
def progress(total: int, label: str) -> Iterator[Any]:
    """A progress bar on a terminal (stderr), nothing when output is piped or in CI."""
    if sys.stderr.isatty() and total > 1:
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield None
