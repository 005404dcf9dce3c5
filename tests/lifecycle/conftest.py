"""A small registry of model lines, registered the way users register them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from tests.support.lifecycle import DATASET, OTHER_DATASET, document

from model_conformance.registry import register_model

Conn = psycopg.Connection[TupleRow]

Register = Callable[..., str]


@pytest.fixture
def conn(db_dsn: str) -> Iterator[Conn]:
    """Autocommit: every lifecycle call is its own transaction, seen at once by others."""
    with psycopg.connect(db_dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO artifacts (id, artifact_type) VALUES (%s, 'dataset'), (%s, 'dataset')",
            (DATASET, OTHER_DATASET),
        )
        yield connection


@pytest.fixture
def register(conn: Conn) -> Register:
    """Register a valid version (every built-in gate passes); returns its id."""

    def make(artifact_id: str, **options: Any) -> str:
        register_model(conn, document(artifact_id, **options))
        return artifact_id

    return make
