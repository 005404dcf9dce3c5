"""In a batch, one registration's problem rejects only that registration, before or after
PostgreSQL sees it; a dry run gives the real run's verdict; concurrent batches never deadlock."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from model_conformance.registry import RegistrationResult, register_many

Conn = psycopg.Connection[TupleRow]


def _variant(doc: dict[str, Any], artifact_id: str) -> dict[str, Any]:
    copied = copy.deepcopy(doc)
    copied["artifact"]["id"] = artifact_id
    return copied


def _hostile(doc: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(document, the pointer its MC411 names)."""
    nul = _variant(doc, "model-nul")
    nul["model_version"]["trained_by"] = "ali\x00ce"
    long_id = _variant(doc, "m" * 3000)
    surrogate = _variant(doc, "model-surrogate")
    surrogate["artifact"]["title"] = "caf\ud800"
    nul_in_metadata = _variant(doc, "model-nul-metadata")
    nul_in_metadata["metadata"]["training_config"]["note\x00"] = "x"
    return [
        (nul, "/model_version/trained_by"),
        (long_id, "/artifact/id"),
        (surrogate, "/artifact/title"),
        (nul_in_metadata, "/metadata/training_config/note\ufffd"),
    ]


def _statuses(results: list[RegistrationResult]) -> list[tuple[str | None, str, list[str]]]:
    return [(r.artifact_id, r.status, sorted({v.code for v in r.errors})) for r in results]


def test_what_postgresql_cannot_store_rejects_only_its_own_registration(
    db_conn: Conn, doc: dict[str, Any]
) -> None:
    hostile = _hostile(doc)
    batch = [_variant(doc, "model-good-1"), *(d for d, _ in hostile), _variant(doc, "model-good-2")]
    dry = list(register_many(db_conn, batch, dry_run=True))
    real = list(register_many(db_conn, batch))
    assert [r.status for r in real] == ["created", *["rejected"] * len(hostile), "created"]
    for result, (_, pointer) in zip(real[1:-1], hostile, strict=True):
        assert [(v.code, v.pointer) for v in result.errors] == [("MC411", pointer)]
    # The dry run said exactly this, with "valid" for what the real run created.
    assert [(a, "created" if s == "valid" else s, c) for a, s, c in _statuses(dry)] == _statuses(
        real
    )
    ids = db_conn.execute("SELECT id FROM artifacts ORDER BY id").fetchall()
    assert ids == [("model-good-1",), ("model-good-2",)]


def test_a_refusal_nobody_foresaw_rejects_only_its_registration(
    db_conn: Conn, doc: dict[str, Any]
) -> None:
    db_conn.execute("ALTER TABLE model_versions ADD CONSTRAINT no_bob CHECK (trained_by <> 'bob')")
    db_conn.commit()
    bob = _variant(doc, "model-bob")
    bob["model_version"]["trained_by"] = "bob"
    batch = [_variant(doc, "model-a"), bob, _variant(doc, "model-c")]
    for dry_run in (True, False):
        results = list(register_many(db_conn, batch, dry_run=dry_run))
        assert [r.status for r in results] == (
            ["valid", "rejected", "valid"] if dry_run else ["created", "rejected", "created"]
        )
        [refusal] = results[1].errors
        assert refusal.code == "MC609"
        assert "no_bob" in refusal.message


def _race(db_dsn: str, batches: list[list[dict[str, Any]]]) -> list[list[RegistrationResult]]:
    """Run the batches at once, each on a connection of its own."""
    outcomes: list[list[RegistrationResult]] = [[] for _ in batches]
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(batches))

    def run(which: int) -> None:
        try:
            with psycopg.connect(db_dsn) as conn:
                barrier.wait()
                outcomes[which] = list(register_many(conn, batches[which], batch_size=60))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return outcomes


def _deadlocks(db_dsn: str) -> int:
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_concurrent_batches_in_opposite_orders_never_deadlock(
    db_dsn: str, doc: dict[str, Any]
) -> None:
    before = _deadlocks(db_dsn)
    for round_number in range(5):
        ids = [f"model-{round_number}-{i:03d}" for i in range(60)]
        forward = [_variant(doc, i) for i in ids]
        outcomes = _race(db_dsn, [forward, forward[::-1]])
        for results in outcomes:
            assert {r.status for r in results} <= {"created", "unchanged"}
        created = [r.artifact_id or "" for rs in outcomes for r in rs if r.status == "created"]
        assert sorted(created) == ids  # each id created exactly once, by one of the two
    time.sleep(1.1)  # the server publishes its statistics at most once a second
    assert _deadlocks(db_dsn) == before  # rows are locked in one order: not even a hidden one
