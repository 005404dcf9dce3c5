"""The PostgreSQL layer: where the database comes from, the embedded server, migrations."""

from __future__ import annotations

from model_conformance.db.dsn import connect, describe_target, resolve_dsn
from model_conformance.db.errors import (
    DatabaseUnavailable,
    EmbeddedServerUnavailable,
    MigrationError,
)

__all__ = [
    "DatabaseUnavailable",
    "EmbeddedServerUnavailable",
    "MigrationError",
    "connect",
    "describe_target",
    "resolve_dsn",
]
