"""The forward-only migration runner.

Every applied file is recorded in a ledger table with the sha256 of its content (line endings
normalised), when, and by whom. Each migration and its ledger row commit in one transaction;
a session advisory lock makes a second runner wait, then find nothing left to do.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from model_conformance._resources import resource_dir
from model_conformance.db.errors import (
    DatabaseNotMigrated,
    MigrationFailed,
    MigrationFileInvalid,
    MigrationMissing,
    MigrationModified,
    MigrationOutOfOrder,
)

LEDGER_TABLE = "model_conformance_migrations"
# An arbitrary, fixed key: every runner of this project contends for the same lock.
ADVISORY_LOCK_KEY = 0x6D635F6D6967  # "mc_mig"

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_LEDGER = f"""
CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL
)
"""

# Who applied it: the database role, the client's address and its application_name.
_APPLIED_BY = (
    "current_user || '@' || coalesce(host(inet_client_addr()), 'local socket')"
    " || coalesce(' (' || nullif(current_setting('application_name'), '') || ')', '')"
)

Conn = psycopg.Connection[TupleRow]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str
    checksum: str

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class MigrationState:
    version: int
    name: str
    status: str  # "applied", "pending", or "modified"/"missing" for an applied file that changed
    checksum: str
    applied_at: datetime | None = None
    applied_by: str | None = None


def default_directory() -> Path:
    return resource_dir("migrations")


def checksum(text: str) -> str:
    """sha256 of the content with CRLF/CR line endings normalised to LF."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def discover_migrations(directory: Path | None = None) -> list[Migration]:
    """The `NNNN_name.sql` files at the top of `directory`, in version order."""
    folder = directory or default_directory()
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationFileInvalid(
                f"migration file {path.name} is not named NNNN_name.sql "
                "(four digits, an underscore, lower-case letters, digits or underscores)"
            )
        version = int(match["version"])
        if version in found:
            raise MigrationFileInvalid(
                f"migration files {found[version].filename} and {path.name} "
                f"share number {version:04d}"
            )
        text = path.read_text(encoding="utf-8")
        found[version] = Migration(version, match["name"], path, text, checksum(text))
    return [found[v] for v in sorted(found)]


def migration_status(conn: Conn, *, directory: Path | None = None) -> list[MigrationState]:
    """Applied and pending migrations, in version order (applied rows with no file included)."""
    files = {m.version: m for m in discover_migrations(directory)}
    ledger = _read_ledger(conn)
    states = [
        MigrationState(version, name, _applied_status(files.get(version), digest), digest, at, by)
        for version, (name, digest, at, by) in ledger.items()
    ]
    states += [
        MigrationState(m.version, m.name, "pending", m.checksum)
        for v, m in files.items()
        if v not in ledger
    ]
    return sorted(states, key=lambda s: s.version)


def require_migrated(conn: Conn, *, directory: Path | None = None) -> None:
    """Raise `DatabaseNotMigrated` unless every migration file is applied, unchanged."""
    behind = [s for s in migration_status(conn, directory=directory) if s.status != "applied"]
    if behind:
        listed = ", ".join(f"{s.version:04d}_{s.name} ({s.status})" for s in behind)
        raise DatabaseNotMigrated(
            f"the database is not migrated: {listed}; run `model-conformance migrate` "
            "(or `migrate --status` to see why it refuses)"
        )


def _applied_status(migration: Migration | None, digest: str) -> str:
    if migration is None:
        return "missing"
    return "applied" if migration.checksum == digest else "modified"


def apply_migrations(
    conn: Conn,
    *,
    directory: Path | None = None,
    allow_out_of_order: bool = False,
    dry_run: bool = False,
) -> list[Migration]:
    """Apply every pending migration; return those applied (or, with dry_run, those that would be).

    `conn` must not be inside a transaction: the runner switches it to autocommit while it
    holds the lock, and gives every migration a transaction of its own.
    Refuses, before applying anything, when an applied file was edited or removed, or when a
    pending file is numbered below the highest applied one (unless `allow_out_of_order`).
    """
    migrations = discover_migrations(directory)
    if dry_run:
        return _pending(migrations, _read_ledger(conn), allow_out_of_order)
    with _session_lock(conn):
        conn.execute(_CREATE_LEDGER)
        pending = _pending(migrations, _read_ledger(conn), allow_out_of_order)
        for migration in pending:
            _apply_one(conn, migration)
    return pending


def _apply_one(conn: Conn, migration: Migration) -> None:
    try:
        with conn.transaction():
            conn.execute(migration.sql.encode("utf-8"))
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (version, name, checksum, applied_by) VALUES (%s, %s, %s, {})"
                ).format(sql.Identifier(LEDGER_TABLE), sql.SQL(_APPLIED_BY)),
                (migration.version, migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        detail = (exc.diag.message_primary or str(exc)).strip()
        raise MigrationFailed(
            f"migration {migration.filename} failed and was rolled back: {detail}"
        ) from None


def _pending(
    migrations: list[Migration],
    ledger: dict[int, tuple[str, str, datetime, str]],
    allow_out_of_order: bool,
) -> list[Migration]:
    files = {m.version: m for m in migrations}
    for version, (name, digest, _, _) in ledger.items():
        migration = files.get(version)
        if migration is None:
            raise MigrationMissing(
                f"migration {version:04d}_{name}.sql was applied but its file is missing"
            )
        if migration.checksum != digest:
            raise MigrationModified(
                f"migration {migration.filename} was edited after it was applied "
                f"(applied checksum {digest}, file checksum {migration.checksum}); "
                "add a new migration instead of editing an applied one"
            )
    highest = max(ledger, default=0)
    pending = [m for m in migrations if m.version not in ledger]
    late = [m for m in pending if m.version < highest]
    if late and not allow_out_of_order:
        names = ", ".join(m.filename for m in late)
        raise MigrationOutOfOrder(
            f"migration {names} is numbered below the highest applied migration "
            f"({highest:04d}); renumber it, or pass --allow-out-of-order"
        )
    return pending


def _read_ledger(conn: Conn) -> dict[int, tuple[str, str, datetime, str]]:
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (LEDGER_TABLE,)).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute(
        sql.SQL(
            "SELECT version, name, checksum, applied_at, applied_by FROM {} ORDER BY version"
        ).format(sql.Identifier(LEDGER_TABLE))
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


@contextmanager
def _session_lock(conn: Conn) -> Iterator[None]:
    """Hold the runner's session advisory lock; the connection runs in autocommit meanwhile."""
    previous = conn.autocommit
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        conn.autocommit = previous
