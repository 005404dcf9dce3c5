"""The migration runner: applies forward-only files once, refuses tampering, serialises runners."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow

from model_conformance.db.errors import (
    MigrationFailed,
    MigrationFileInvalid,
    MigrationMissing,
    MigrationModified,
    MigrationOutOfOrder,
)
from model_conformance.db.migrate import (
    ADVISORY_LOCK_KEY,
    LEDGER_TABLE,
    apply_migrations,
    checksum,
    default_directory,
    discover_migrations,
    migration_status,
)

Conn = psycopg.Connection[TupleRow]

SHIPPED = discover_migrations()
VERSIONS = [m.version for m in SHIPPED]
NEXT = max(VERSIONS) + 1  # the number a test's own new migration file takes


def _name(version: int, name: str) -> str:
    return f"{version:04d}_{name}.sql"


@pytest.fixture
def empty_conn(empty_db_dsn: str) -> Iterator[Conn]:
    """Autocommit: the runner needs an idle connection, and reads here must not leave it busy."""
    with psycopg.connect(empty_db_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped migrations that a test may edit."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in SHIPPED:
        shutil.copy(migration.path, folder / migration.filename)
    return folder


def _tables(conn: Conn) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    return {row[0] for row in rows}


def _ledger(conn: Conn) -> list[tuple[int, str, str]]:
    rows = conn.execute(f"SELECT version, name, checksum FROM {LEDGER_TABLE} ORDER BY version")
    return [(v, n, c) for v, n, c in rows.fetchall()]


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    assert sorted(set(VERSIONS)) == VERSIONS
    assert list(range(1, max(VERSIONS) + 1)) == VERSIONS
    assert [(m.version, m.name) for m in SHIPPED[:2]] == [(1, "artifacts"), (2, "model_versions")]


def test_an_empty_database_gets_every_table_and_a_ledger_row_per_file(empty_conn: Conn) -> None:
    applied = apply_migrations(empty_conn)

    assert [m.version for m in applied] == VERSIONS
    assert {"artifacts", "model_versions", LEDGER_TABLE} <= _tables(empty_conn)
    assert _ledger(empty_conn) == [(m.version, m.name, m.checksum) for m in applied]


def test_the_ledger_records_when_and_by_whom(empty_conn: Conn) -> None:
    apply_migrations(empty_conn)
    rows = empty_conn.execute(f"SELECT applied_at, applied_by FROM {LEDGER_TABLE}").fetchall()
    for applied_at, applied_by in rows:
        assert applied_at is not None
        assert applied_by.startswith("postgres@")


def test_rerunning_is_a_no_op(empty_conn: Conn) -> None:
    apply_migrations(empty_conn)
    before = empty_conn.execute(f"SELECT * FROM {LEDGER_TABLE} ORDER BY version").fetchall()

    assert apply_migrations(empty_conn) == []
    after = empty_conn.execute(f"SELECT * FROM {LEDGER_TABLE} ORDER BY version").fetchall()
    assert after == before


def test_a_host_that_already_has_artifacts_keeps_its_table(empty_conn: Conn) -> None:
    empty_conn.execute("CREATE TABLE artifacts (id TEXT PRIMARY KEY, artifact_type TEXT NOT NULL)")
    empty_conn.execute("INSERT INTO artifacts VALUES ('existing', 'model')")

    apply_migrations(empty_conn)

    assert empty_conn.execute("SELECT id FROM artifacts").fetchall() == [("existing",)]
    assert "model_versions" in _tables(empty_conn)


def test_an_edited_applied_migration_is_refused_naming_both_checksums(
    empty_conn: Conn, migrations_dir: Path
) -> None:
    apply_migrations(empty_conn, directory=migrations_dir)
    target = migrations_dir / "0002_model_versions.sql"
    original = checksum(target.read_text())
    target.write_text(target.read_text() + "\n-- an innocent-looking edit\n")

    with pytest.raises(MigrationModified) as excinfo:
        apply_migrations(empty_conn, directory=migrations_dir)

    message = str(excinfo.value)
    assert "0002_model_versions.sql" in message
    assert original in message
    assert checksum(target.read_text()) in message


def test_line_ending_changes_are_not_edits(empty_conn: Conn, migrations_dir: Path) -> None:
    apply_migrations(empty_conn, directory=migrations_dir)
    target = migrations_dir / "0002_model_versions.sql"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))

    assert apply_migrations(empty_conn, directory=migrations_dir) == []


def test_a_missing_applied_migration_is_refused(empty_conn: Conn, migrations_dir: Path) -> None:
    apply_migrations(empty_conn, directory=migrations_dir)
    (migrations_dir / "0001_artifacts.sql").unlink()

    with pytest.raises(MigrationMissing, match=r"0001_artifacts\.sql"):
        apply_migrations(empty_conn, directory=migrations_dir)


def test_a_new_file_numbered_below_the_highest_applied_is_refused(
    empty_conn: Conn, migrations_dir: Path
) -> None:
    (migrations_dir / _name(NEXT + 1, "later")).write_text("SELECT 1;\n")
    apply_migrations(empty_conn, directory=migrations_dir)
    (migrations_dir / _name(NEXT, "late")).write_text("CREATE TABLE late (id integer);\n")

    with pytest.raises(MigrationOutOfOrder, match=_name(NEXT, "late")):
        apply_migrations(empty_conn, directory=migrations_dir)
    assert "late" not in _tables(empty_conn)


def test_out_of_order_runs_when_asked(empty_conn: Conn, migrations_dir: Path) -> None:
    (migrations_dir / _name(NEXT + 1, "later")).write_text("SELECT 1;\n")
    apply_migrations(empty_conn, directory=migrations_dir)
    (migrations_dir / _name(NEXT, "late")).write_text("CREATE TABLE late (id integer);\n")

    applied = apply_migrations(empty_conn, directory=migrations_dir, allow_out_of_order=True)

    assert [m.filename for m in applied] == [_name(NEXT, "late")]
    assert "late" in _tables(empty_conn)


@pytest.mark.parametrize("name", ["1_short.sql", "0003-dash.sql", "0003_Upper.sql"])
def test_a_misnamed_file_is_refused(migrations_dir: Path, name: str) -> None:
    (migrations_dir / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationFileInvalid, match=name):
        discover_migrations(migrations_dir)


def test_two_files_with_one_number_are_refused(migrations_dir: Path) -> None:
    (migrations_dir / "0002_other.sql").write_text("SELECT 1;\n")
    with pytest.raises(MigrationFileInvalid, match="share number 0002"):
        discover_migrations(migrations_dir)


def test_a_failing_migration_leaves_neither_its_changes_nor_a_ledger_row(
    empty_conn: Conn, migrations_dir: Path
) -> None:
    (migrations_dir / _name(NEXT, "broken")).write_text(
        "CREATE TABLE half (id integer);\nSELECT * FROM no_such_table;\n"
    )

    with pytest.raises(MigrationFailed, match=_name(NEXT, "broken") + ".*no_such_table"):
        apply_migrations(empty_conn, directory=migrations_dir)

    assert "half" not in _tables(empty_conn)
    assert [version for version, _, _ in _ledger(empty_conn)] == VERSIONS


def test_dry_run_lists_pending_and_changes_nothing(empty_conn: Conn) -> None:
    pending = apply_migrations(empty_conn, dry_run=True)

    assert [m.version for m in pending] == VERSIONS
    assert _tables(empty_conn) == set()


def test_status_lists_applied_and_pending(empty_conn: Conn, migrations_dir: Path) -> None:
    apply_migrations(empty_conn, directory=migrations_dir)
    (migrations_dir / _name(NEXT, "next")).write_text("SELECT 1;\n")

    states = migration_status(empty_conn, directory=migrations_dir)

    assert [(s.version, s.status) for s in states] == [
        *((version, "applied") for version in VERSIONS),
        (NEXT, "pending"),
    ]
    assert states[0].applied_at is not None


def test_down_migration_then_up_again(empty_conn: Conn) -> None:
    apply_migrations(empty_conn)
    down = default_directory() / "down" / "0002_model_versions.down.sql"
    empty_conn.execute(down.read_bytes())

    assert "model_versions" not in _tables(empty_conn)
    assert [version for version, _, _ in _ledger(empty_conn)] == [v for v in VERSIONS if v != 2]

    # Later migrations are still applied, so re-applying 0002 is out of order by design.
    assert [m.version for m in apply_migrations(empty_conn, allow_out_of_order=True)] == [2]
    assert "model_versions" in _tables(empty_conn)


def test_a_second_runner_waits_for_the_lock_then_finds_nothing_to_do(
    empty_db_dsn: str,
) -> None:
    results: list[list[int]] = []

    def run() -> None:
        with psycopg.connect(empty_db_dsn) as conn:
            results.append([m.version for m in apply_migrations(conn)])

    with psycopg.connect(empty_db_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        second = threading.Thread(target=run)
        second.start()
        _wait_until_blocked_on_advisory_lock(holder)
        assert results == []  # it is waiting, not applying
        apply_migrations_while_holding = [
            m.version for m in apply_migrations(holder)
        ]  # the holder applies (re-entrant session lock)
        holder.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        second.join(timeout=30)

    assert apply_migrations_while_holding == VERSIONS
    assert results == [[]]


def test_two_runners_started_together_apply_each_migration_once(
    empty_db_dsn: str, migrations_dir: Path
) -> None:
    # A slow migration makes the two runners overlap.
    (migrations_dir / _name(NEXT, "slow")).write_text(
        "SELECT pg_sleep(0.3);\nCREATE TABLE slow (id integer);\n"
    )
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(empty_db_dsn) as conn:
                results.append(
                    [m.version for m in apply_migrations(conn, directory=migrations_dir)]
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [[], [*VERSIONS, NEXT]]
    with psycopg.connect(empty_db_dsn) as conn:
        assert [version for version, _, _ in _ledger(conn)] == [*VERSIONS, NEXT]


def _wait_until_blocked_on_advisory_lock(conn: Conn) -> None:
    for _ in range(200):
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
        if row and row[0] > 0:
            return
        time.sleep(0.05)
    raise AssertionError("the second runner never waited for the advisory lock")
