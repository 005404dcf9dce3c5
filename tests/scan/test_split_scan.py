"""A scan split over two processes reports exactly what a one-process scan reports."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import build_registry

from model_conformance.scan import Finding, ScanResult, open_snapshot
from model_conformance.scan import worker as worker_module
from model_conformance.scan.metadata import metadata_findings
from model_conformance.scan.slices import PageSlices
from model_conformance.scan.worker import MetadataWorker, can_fork

Conn = psycopg.Connection[TupleRow]

pytestmark = pytest.mark.skipif(not can_fork(), reason="the metadata pass forks on Linux only")


def scan(dsn: str, split_pages: int | None) -> tuple[ScanResult, bool]:
    """The result, and whether a worker process took part."""
    with open_snapshot(dsn, split_pages=split_pages) as snapshot:
        snapshot.start()
        forked = snapshot._worker is not None
        return snapshot.scan(), forked


def test_split_and_single_process_scans_agree(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400, per_rule=1)
    split, forked = scan(db_dsn, split_pages=1)
    single, not_forked = scan(db_dsn, split_pages=None)
    assert (forked, not_forked) == (True, False)
    assert split.findings == single.findings
    assert split.table_findings == single.table_findings
    assert {(f.artifact_id, f.code, f.column) for f in split.findings} == registry.per_artifact
    assert split.model_count == single.model_count == 400


def test_small_registries_stay_in_one_process(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 40, seeds=())
    _, forked = scan(db_dsn, split_pages=10_000)
    assert not forked


def test_progress_counts_every_artifact_once_across_both_processes(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 400, seeds=())
    steps: dict[int | None, list[int]] = {1: [], None: []}
    for split_pages, reported in steps.items():
        with open_snapshot(db_dsn, split_pages=split_pages) as snapshot:
            snapshot.batch_size = 50  # many batches
            snapshot.scan(progress=reported.append)
    # How two processes share the page ranges varies from run to run; the total does not.
    assert sum(steps[1]) == 400
    assert steps[None] == [50] * 8  # alone, the pass reports every batch


def test_a_worker_that_dies_is_replaced_by_the_parent(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400, per_rule=1)
    with open_snapshot(db_dsn, split_pages=1) as snapshot:
        snapshot.start()
        worker = snapshot._worker
        assert worker is not None
        os.kill(worker.pid, signal.SIGKILL)
        result = snapshot.scan()
    assert {(f.artifact_id, f.code, f.column) for f in result.findings} == registry.per_artifact


def test_an_interrupted_scan_leaves_no_worker_behind(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 400, seeds=())
    with open_snapshot(db_dsn, split_pages=1) as snapshot:
        snapshot.start()
        worker = snapshot._worker
        assert worker is not None
        pid = worker.pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped by close()


def test_the_parent_loads_the_workers_ids_only_if_it_has_room_for_them(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 400, seeds=())
    loaded = {}
    for room in (400, 399):
        with open_snapshot(db_dsn, split_pages=1) as snapshot:
            snapshot.start()
            assert snapshot._join is not None
            slices = PageSlices(snapshot._page_count())
            worker = MetadataWorker.start(
                snapshot._join, snapshot.validator, slices, 100, keep_ids=400
            )
            output = worker.result(room_for_ids=room)
            slices.close()
        assert output is not None
        loaded[room] = len(output.ids)
    # The worker took every range (the parent took none) and kept all 400 ids.
    assert loaded == {400: 400, 399: 0}


def test_a_worker_dying_midway_leaves_the_result_and_the_progress_total_whole(
    db_conn: Conn, db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = build_registry(db_conn, 400, per_rule=1)

    def dies_after_one_batch(*args: Any, progress: Any, **kwargs: Any) -> Iterator[Finding]:
        def then_die(rows: int) -> None:
            progress(rows)  # reported to the parent, then the worker is gone
            os._exit(1)

        yield from metadata_findings(*args, progress=then_die, **kwargs)

    # The worker is forked after this: it runs the patched pass, the parent the real one.
    monkeypatch.setattr(worker_module, "metadata_findings", dies_after_one_batch)
    steps: list[int] = []
    with open_snapshot(db_dsn, split_pages=1) as snapshot:
        snapshot.batch_size = 20
        result = snapshot.scan(progress=steps.append)
    assert {(f.artifact_id, f.code, f.column) for f in result.findings} == registry.per_artifact
    assert result.model_count == 400
    assert sum(steps) == 400
