"""The PostgreSQL layer: where the database comes from, the embedded server, migrations."""

from __future__ import annotations

from model_conformance.db.dsn import connect, describe_target, refused, resolve_dsn
from model_conformance.db.errors import (
    DatabaseError,
    DatabaseNotMigrated,
    DatabaseUnavailable,
    EmbeddedServerUnavailable,
    MigrationError,
)

__all__ = [
    "DatabaseError",
    "DatabaseNotMigrated",
    "DatabaseUnavailable",
    "EmbeddedServerUnavailable",
    "MigrationError",
    "connect",
    "describe_target",
    "refused",
    "resolve_dsn",
]
