"""A scan in a forked process reports exactly what a scan in this process reports."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from model_conformance.scan import background, open_snapshot
from model_conformance.scan.background import BackgroundScan, ScanRefused, can_fork
from model_conformance.scan.synthetic import build_registry

Conn = psycopg.Connection[TupleRow]

pytestmark = pytest.mark.skipif(not can_fork(), reason="the background scan forks on Linux only")

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def start(dsn: str, threshold: int = 10_000, size: int = 1_000) -> BackgroundScan:
    return BackgroundScan.start(dsn, keep_ids=10_000, chunk_threshold=threshold, chunk_size=size)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_background_scan_reports_what_a_scan_here_reports(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400, per_rule=1)
    scan = start(db_dsn)
    scan.go()
    outcome = scan.result()
    with open_snapshot(db_dsn, keep_ids=10_000) as snapshot:
        here = snapshot.scan()
    assert outcome is not None
    assert outcome.result == here
    assert outcome.chunks == []
    assert {(f.artifact_id, f.code, f.column) for f in here.findings} == registry.per_artifact
    assert len(outcome.result.model_ids) == 400


def test_above_the_threshold_it_sends_the_chunks_instead_of_the_ids(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 400, per_rule=1)
    scan = start(db_dsn, threshold=100, size=50)
    scan.go()
    outcome = scan.result()
    with open_snapshot(db_dsn, keep_ids=10_000) as snapshot:
        here = snapshot.scan()
    assert outcome is not None
    assert outcome.chunks == here.chunks(50)
    assert len(outcome.chunks) == 8
    assert outcome.result.model_ids == []
    assert outcome.result.findings == here.findings


def test_an_unreachable_database_is_refused_in_one_sentence() -> None:
    scan = start(UNREACHABLE)
    with pytest.raises(ScanRefused, match=r"^cannot connect to PostgreSQL at 127\.0\.0\.1:1/none"):
        scan.wait_connected()
    scan.stop()


def test_an_unmigrated_database_is_refused_when_the_scan_runs(empty_db_dsn: str) -> None:
    scan = start(empty_db_dsn)
    scan.wait_connected()  # the connection itself is fine
    scan.go()
    outcome = scan.result()
    # An unmigrated database is the migration check's finding, not a crash.
    assert outcome is not None
    assert outcome.result.model_count == 0
    assert {f.code for f in outcome.result.table_findings} == {"MC520"}


def test_a_scan_never_let_go_scans_nothing_and_ends(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 10, seeds=())
    scan = start(db_dsn)
    pid = scan.pid
    scan.wait_connected()
    scan.stop()  # as an xdist controller does: it checked the connection, it scans nothing
    assert gone(pid)
    assert scan.result() is None


def test_a_child_that_dies_leaves_no_result_to_trust(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any) -> None:
        raise RuntimeError("the scan process broke")

    monkeypatch.setattr(background, "_scan", crash)  # the fork inherits the patch
    scan = start(db_dsn)
    scan.go()
    assert scan.result() is None


def test_stop_ends_a_running_scan_at_once(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 2_000, seeds=())
    scan = start(db_dsn)
    pid = scan.pid
    scan.go()
    scan.stop()
    assert gone(pid)
