"""A scan in a process of its own reports exactly what a scan in this process reports, says
in one sentence why it could not run, and stops when it is told to."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from model_conformance.scan import background, open_snapshot
from model_conformance.scan.background import BackgroundScan, Outcome, Request, ScanRefused
from model_conformance.scan.synthetic import build_registry

Conn = psycopg.Connection[TupleRow]

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def start(dsn: str, *, keep_ids: int = 10_000, threshold: int = 10_000) -> BackgroundScan:
    scan = BackgroundScan.start(Request(dsn, keep_ids, threshold, 50))
    assert scan is not None
    return scan


def scanned(dsn: str, **options: int) -> Outcome:
    scan = start(dsn, **options)
    scan.wait_connected()
    scan.go()
    outcome = scan.result()
    scan.stop()
    assert outcome is not None, scan.crash
    return outcome


@contextmanager
def locked_versions(conn: Conn) -> Iterator[None]:
    """`model_versions` locked by this connection's transaction: a scan waits on it."""
    conn.commit()
    conn.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.rollback()


def reads_of_model_versions(dsn: str) -> int:
    """Scans of `model_versions` so far, once every other session of the database is gone
    (a session's counts reach the statistics when it ends). Each look is a transaction of
    its own: within one, PostgreSQL shows the same activity snapshot throughout."""
    deadline = time.monotonic() + 10
    with psycopg.connect(dsn, autocommit=True) as conn:
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the scan's sessions did not end"
            time.sleep(0.05)
        row = conn.execute(
            "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
            " WHERE relname = 'model_versions'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_background_scan_reports_what_a_scan_here_reports(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400, per_rule=1)
    outcome = scanned(db_dsn)
    with open_snapshot(db_dsn, keep_ids=10_000) as snapshot:
        here = snapshot.scan()
    assert outcome.result == here
    assert outcome.chunks == []
    assert {(f.artifact_id, f.code, f.column) for f in here.findings} == registry.per_artifact
    assert len(outcome.result.model_ids) == 400


@pytest.mark.parametrize("keep_ids", [10_000, 100], ids=["ids-kept", "too-many-ids-to-keep"])
def test_above_the_threshold_it_sends_the_chunks_instead_of_the_ids(
    db_conn: Conn, db_dsn: str, keep_ids: int
) -> None:
    # With too many ids to keep, the chunks are listed in SQL: the same chunks.
    build_registry(db_conn, 400, per_rule=1)
    outcome = scanned(db_dsn, keep_ids=keep_ids, threshold=100)
    with open_snapshot(db_dsn, keep_ids=10_000) as snapshot:
        here = snapshot.scan()
    assert outcome.chunks == here.chunks(50)
    assert len(outcome.chunks) == 8
    assert outcome.result.model_ids == []
    assert outcome.result.findings == here.findings


def test_an_unreachable_database_is_refused_in_one_sentence() -> None:
    scan = start(UNREACHABLE)
    with pytest.raises(ScanRefused, match=r"^cannot connect to PostgreSQL at 127\.0\.0\.1:1/none"):
        scan.wait_connected()
    scan.stop()
    assert scan.process.returncode == 0  # it said why and ended by itself


def test_a_statement_refused_during_the_scan_is_one_sentence(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 40, seeds=())
    with locked_versions(db_conn):
        scan = start(make_conninfo(db_dsn, options="-c lock_timeout=200"))
        scan.wait_connected()  # connecting takes no lock on model_versions; the row rules do
        scan.go()
        with pytest.raises(ScanRefused, match=r"^PostgreSQL refused the request: .*lock timeout"):
            scan.result()
        scan.stop()
    assert not scan.crash


def test_an_unmigrated_database_fails_the_migration_check_not_the_scan(
    empty_db_dsn: str,
) -> None:
    outcome = scanned(empty_db_dsn)
    assert outcome.result.model_count == 0
    assert {f.code for f in outcome.result.table_findings} == {"MC520"}


def test_a_scan_never_let_go_reads_no_table(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 40, seeds=())
    db_conn.close()  # its own session must not count as one of the scan's
    before = reads_of_model_versions(db_dsn)
    scan = start(db_dsn)
    scan.wait_connected()
    scan.stop()  # as an xdist controller does: it checked the connection, it scans nothing
    assert scan.process.returncode == 0
    assert reads_of_model_versions(db_dsn) == before
    scanned(db_dsn)  # the same measure sees a scan that does run
    assert reads_of_model_versions(db_dsn) > before


def test_stop_ends_a_running_scan_without_killing_it(
    db_conn: Conn, db_dsn: str, pg_server_dsn: str
) -> None:
    build_registry(db_conn, 40, seeds=())
    with locked_versions(db_conn), psycopg.connect(pg_server_dsn, autocommit=True) as watch:
        scan = start(db_dsn)
        scan.wait_connected()
        scan.go()
        deadline = time.monotonic() + 10
        while watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s",
            (db_conn.info.dbname,),
        ).fetchone() == (0,):
            assert time.monotonic() < deadline, "the scan never reached the locked table"
            time.sleep(0.02)
        scan.stop()
    # Status 1 is the child ending itself when its stdin closed; a kill would be -9.
    assert scan.process.returncode == 1


def test_a_crash_in_the_scan_process_comes_back_as_its_traceback(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "from model_conformance.scan import background as b; b._scan = None; b.main()"
    monkeypatch.setattr(background, "_CHILD_PROGRAM", broken)
    scan = start(db_dsn)
    scan.go()
    assert scan.result() is None
    assert "TypeError: 'NoneType' object is not callable" in scan.crash
    scan.stop()


def test_a_scan_process_that_dies_without_a_word_leaves_no_result(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "_CHILD_PROGRAM", "import os; os._exit(3)")
    scan = start(db_dsn)
    scan.wait_connected()  # returns: there is nothing more to wait for
    scan.go()
    assert scan.result() is None
    assert scan.crash == ""
    scan.stop()
    assert scan.process.returncode == 3


def test_the_scan_process_finds_this_package_without_the_parents_sys_path() -> None:
    # `python -S`: no site-packages, so only the folder the program appends can find it.
    program = background._CHILD_PROGRAM.replace("main()", "print(main.__module__)")
    found = subprocess.run(
        [sys.executable, "-S", "-c", program, "0", background._PACKAGE_ROOT],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout == "model_conformance.scan.background\n"
    unfound = subprocess.run(
        [sys.executable, "-S", "-c", program, "0", "/nonexistent"], capture_output=True, text=True
    )
    assert "ModuleNotFoundError" in unfound.stderr


def test_a_module_in_the_working_directory_does_not_shadow_the_scans_own(
    db_conn: Conn, db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_registry(db_conn, 10, seeds=())
    db_conn.commit()
    (tmp_path / "psycopg.py").write_text("raise ImportError('the project's own psycopg.py')\n")
    monkeypatch.chdir(tmp_path)
    assert scanned(db_dsn).result.model_count == 10


def test_where_no_pipe_can_be_handed_to_a_child_no_process_is_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "_PIPES_TO_CHILDREN", False)
    assert BackgroundScan.start(Request(UNREACHABLE, 1, 1, 1)) is None
