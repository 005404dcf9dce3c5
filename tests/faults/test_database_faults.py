"""Faults during a scan or a registration: a backend terminated under `check` and under
`pytest --model-conformance` (serial and `-n 2`) gives an error and a non-zero exit, never
a pass; a `register` killed with SIGKILL leaves whole registrations only, and a rerun
converges to what an uninterrupted run writes.

The scan is held at a known point without timing tricks: the test takes an ACCESS
EXCLUSIVE lock on `artifacts`, so every backend the scan opens waits on it; the test then
terminates them all (as a server restart does) and lets go.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import build_registry

Conn = psycopg.Connection[TupleRow]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"


@contextmanager
def scan_held(dsn: str) -> Iterator[Callable[[], int]]:
    """While inside, every scan of `dsn` waits on a lock; the callable waits until some
    backend is waiting, terminates every other backend of the database, and says how many."""
    with psycopg.connect(dsn) as holder:
        holder.execute("LOCK TABLE artifacts IN ACCESS EXCLUSIVE MODE")
        me = holder.info.backend_pid

        def terminate() -> int:
            with psycopg.connect(dsn, autocommit=True) as admin:
                deadline = time.monotonic() + 60
                while not _waiting(admin, me):
                    assert time.monotonic() < deadline, "the scan never reached the database"
                    time.sleep(0.05)
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid NOT IN (%s, pg_backend_pid())",
                    (me,),
                ).fetchall()
            return len(rows)

        yield terminate
        holder.rollback()


def _waiting(admin: Conn, holder: int) -> bool:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> %s",
        (holder,),
    ).fetchone()
    return row is not None and row[0] > 0


def _run(args: list[str], terminate: Callable[[], int]) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert terminate() >= 1
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_terminated_backend_under_check_is_an_error_never_a_pass(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 200, seeds=())
    with scan_held(db_dsn) as terminate:
        done = _run(["-m", "model_conformance", "check", "--dsn", db_dsn], terminate)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")
    assert "[MC60" in done.stderr
    assert "checked" not in done.stdout  # no verdict, conformant or not


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_terminated_backend_under_the_plugin_fails_the_run(
    db_conn: Conn, db_dsn: str, tmp_path: Path, workers: list[str]
) -> None:
    build_registry(db_conn, 200, seeds=())
    args = ["-m", "pytest", "--model-conformance", f"--model-conformance-dsn={db_dsn}"]
    args += ["-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir", str(tmp_path), *workers]
    with scan_held(db_dsn) as terminate:
        done = _run([*args, str(tmp_path)], terminate)
    assert done.returncode not in (0, 5), (
        done.stdout + done.stderr
    )  # never a pass, never "no tests"
    output = done.stdout + done.stderr
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    assert "MC60" in output
    assert " passed" not in output


def _registrations(count: int) -> bytes:
    base = json.loads(EXAMPLE.read_text())
    lines = []
    for i in range(count):
        doc = json.loads(json.dumps(base))
        doc["artifact"]["id"] = f"model-fault-{i:05d}"
        lines.append(json.dumps(doc))
    return ("\n".join(lines) + "\n").encode()


def _table(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT a.id, a.metadata, mv.trained_by, mv.promotion_state"
            " FROM artifacts a LEFT JOIN model_versions mv ON mv.artifact_id = a.id ORDER BY a.id"
        ).fetchall()


def test_a_killed_register_leaves_whole_registrations_and_a_rerun_converges(
    db_dsn: str, make_db_dsn: Callable[[], str]
) -> None:
    data = _registrations(3000)
    command = [
        sys.executable, "-m", "model_conformance", "register", "--dsn", db_dsn,
        "--batch-size", "50", "-",
    ]  # fmt: skip
    env = dict(os.environ)
    for _ in range(3):  # three kills, each once some batches are in
        with psycopg.connect(db_dsn, autocommit=True) as watcher:
            before = _count(watcher)
            process = subprocess.Popen(
                command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
            )
            assert process.stdin is not None
            process.stdin.write(data)
            process.stdin.close()
            deadline = time.monotonic() + 60
            while _count(watcher) < before + 100 and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            artifacts, versions = _counts(watcher)
            assert artifacts == versions  # never an artifact without its version row
    subprocess.run(command, input=data, check=True, stdout=subprocess.DEVNULL)
    clean = make_db_dsn()
    clean_command = [*command[:5], clean, *command[6:]]
    subprocess.run(clean_command, input=data, check=True, stdout=subprocess.DEVNULL)
    assert _table(db_dsn) == _table(clean)


def _count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM model_versions").fetchone()
    assert row is not None
    return int(row[0])


def _counts(conn: Conn) -> tuple[int, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM artifacts WHERE artifact_type = 'model'),"
        " (SELECT count(*) FROM model_versions)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_register_cut_off_by_the_database_still_ends_its_json_document(db_dsn: str) -> None:
    args = ["-m", "model_conformance", "register", "--dsn", db_dsn, "--format", "json"]
    args += ["--batch-size", "5", "-"]
    with psycopg.connect(db_dsn) as holder:
        # An uncommitted row with the 11th id: the batch that writes it waits on it, after
        # the first two batches are in.
        holder.execute(
            "INSERT INTO artifacts (id, artifact_type) VALUES ('model-fault-00010', 'model')"
        )
        process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write(_registrations(20).decode())
        process.stdin.close()
        with psycopg.connect(db_dsn, autocommit=True) as admin:
            deadline = time.monotonic() + 60
            while not _waiting(admin, holder.info.backend_pid):
                assert time.monotonic() < deadline, "register never reached the 11th document"
                time.sleep(0.05)
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid NOT IN (%s, pg_backend_pid())",
                (holder.info.backend_pid,),
            )
        assert process.stdout is not None
        assert process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()  # small: no pipe fills up
        process.wait(timeout=120)
        holder.rollback()
    assert process.returncode == 2, err
    assert "Traceback" not in err
    report = json.loads(out)  # a whole document, though the run was cut off
    assert [r["status"] for r in report["results"]] == ["created"] * 10
    assert report["counts"] == {"created": 10}
    assert report["error"]["code"] == "MC609"
    assert report["error"]["message"].startswith("PostgreSQL refused the request: ")
    assert err.splitlines()[-1].endswith("[MC609]")
