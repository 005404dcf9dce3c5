"""The table-level check: every migration applied, checksums matching the files."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from model_conformance.db.migrate import LEDGER_TABLE
from model_conformance.scan import open_snapshot
from model_conformance.scan.migrations_check import migration_findings


def table_codes(dsn: str) -> list[tuple[str, str]]:
    with open_snapshot(dsn) as snapshot:
        return [(t.location, t.code) for t in snapshot.scan().table_findings]


def test_a_migrated_database_passes(db_dsn: str) -> None:
    assert table_codes(db_dsn) == []


def test_an_unmigrated_database_reports_every_pending_migration(empty_db_dsn: str) -> None:
    codes = table_codes(empty_db_dsn)
    assert codes
    assert set(codes) == {("migrations", "MC520")}


def test_an_edited_migration_is_drift(db_conn: psycopg.Connection[TupleRow], db_dsn: str) -> None:
    db_conn.execute(f"UPDATE {LEDGER_TABLE} SET checksum = 'deadbeef' WHERE version = 1")
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        [finding] = snapshot.scan().table_findings
    assert finding.code == "MC521"
    assert "deadbeef" in finding.message


def test_an_applied_migration_without_its_file_is_drift(
    db_conn: psycopg.Connection[TupleRow], db_dsn: str
) -> None:
    db_conn.execute(
        f"INSERT INTO {LEDGER_TABLE} (version, name, checksum, applied_by)"
        " VALUES (9999, 'gone', 'x', 'test')"
    )
    db_conn.commit()
    assert table_codes(db_dsn) == [("migrations", "MC521")]


def test_a_migration_below_the_applied_ones_names_the_flag_it_needs(db_dsn: str) -> None:
    down = Path(__file__).resolve().parents[2] / "migrations/down/0002_model_versions.down.sql"
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(down.read_text())
        [finding] = migration_findings(conn)
    assert finding.code == "MC520"
    assert finding.message == (
        "migration 0002_model_versions.sql is not applied "
        "(run `model-conformance migrate --allow-out-of-order`)"
    )
