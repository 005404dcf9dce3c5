from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow

LEGACY_SQL = Path(__file__).resolve().parents[2] / "examples" / "legacy_registry.sql"


@pytest.fixture
def legacy_dsn(db_dsn: str) -> str:
    """A migrated database holding the shipped legacy registry, as a host would have it."""
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(LEGACY_SQL.read_text())
    return db_dsn


@pytest.fixture
def legacy_conn(legacy_dsn: str) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(legacy_dsn, autocommit=True) as conn:
        yield conn
