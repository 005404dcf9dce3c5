"""A whole scan in a forked process, started as soon as the caller knows it wants one.

The pytest plugin forks it at configure time. The scan then overlaps the rest of pytest's
start-up and its collection of the user's own tests, and the pytest process never loads the
database layer or the validator (psycopg with its bundled libpq and OpenSSL, jsonschema-rs,
the explaining jsonschema): it stays as small as pytest alone, and so does its exit, where
the interpreter's last garbage collections walk every object still loaded.

The child reports on a pipe, one pickled message after another:
  ("connected",) once it holds the snapshot, or ("refused", sentence) if it could not;
  ("result", ScanResult, chunks) when the scan is done, or ("refused", sentence) if a
  database error stopped it.
The parent answers on a second pipe whether to scan: one byte to go, or the pipe closed (an
xdist controller, which scans nothing, or a session ending early). A child that dies without
a result leaves `result()` returning None: the caller scans in its own process instead, so a
crash costs time, never findings.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from dataclasses import dataclass
from typing import IO, Any

from model_conformance.scan.findings import Chunk, ScanResult

_GO = b"g"


def can_fork() -> bool:
    """Fork is cheap and safe enough on Linux; elsewhere the caller scans in its own process."""
    return sys.platform.startswith("linux")


class ScanRefused(Exception):
    """The scan could not run (unreachable or unmigrated database): one sentence, no trace."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished scan and, above the chunk threshold, its artifacts cut into chunks (then
    `result.model_ids` is empty: the chunks list them)."""

    result: ScanResult
    chunks: list[Chunk]


class BackgroundScan:
    """The parent's handle on a scan running in a forked child."""

    def __init__(self, pid: int, reports: IO[bytes], go_fd: int) -> None:
        self.pid = pid
        self._reports = reports
        self._go_fd = go_fd
        self._connected = False
        self._outcome: Outcome | None = None
        self._ended = False

    @classmethod
    def start(
        cls, dsn: str | None, *, keep_ids: int, chunk_threshold: int, chunk_size: int
    ) -> BackgroundScan:
        """Fork the child: it connects at once and waits for `go()` before scanning.

        Call it before this process starts threads of its own.
        """
        report_read, report_write = os.pipe()
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            status = 1
            try:
                os.close(report_read)
                os.close(go_write)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
                with os.fdopen(report_write, "wb") as reports:
                    _scan(reports, go_read, dsn, keep_ids, chunk_threshold, chunk_size)
                status = 0
            finally:
                os._exit(status)
        os.close(report_write)
        os.close(go_read)
        return cls(pid, os.fdopen(report_read, "rb"), go_write)

    def go(self) -> None:
        """Let the child scan (it may still be connecting)."""
        if self._go_fd >= 0:
            with contextlib.suppress(OSError):  # a child gone already shows in `result`
                os.write(self._go_fd, _GO)
            self._close_go()

    def wait_connected(self) -> None:
        """Block until the child holds its snapshot; raise `ScanRefused` if it cannot."""
        if not self._connected:
            self._next()

    def result(self) -> Outcome | None:
        """Block until the scan is done: its outcome, or None if the child died first.

        Raises `ScanRefused` with the child's sentence for an unreachable or unmigrated
        database, or a database error during the scan.
        """
        while self._outcome is None and not self._ended:
            self._next()
        self._reap()
        return self._outcome

    def stop(self) -> None:
        """End the child now (the session is over or failing). Its metadata worker, if it
        started one, ends at its next report to the child, which is gone."""
        self._close_go()
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _next(self) -> None:
        try:
            message = pickle.load(self._reports)
        except (EOFError, pickle.UnpicklingError, OSError):
            self._ended = True  # died without a word: `result` says None
            return
        kind = message[0]
        if kind == "connected":
            self._connected = True
        elif kind == "result":
            self._connected = True
            self._outcome = Outcome(message[1], message[2])
        else:
            self._reap()  # the child ends once it has said why
            raise ScanRefused(message[1])

    def _close_go(self) -> None:
        if self._go_fd >= 0:
            os.close(self._go_fd)
            self._go_fd = -1

    def _reap(self) -> None:
        self._close_go()
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if not self._reports.closed:
            self._reports.close()
        self._ended = True


def _scan(
    reports: IO[bytes],
    go_fd: int,
    dsn: str | None,
    keep_ids: int,
    chunk_threshold: int,
    chunk_size: int,
) -> None:
    from model_conformance.scan.snapshot import open_snapshot
    from model_conformance.violations import ConformanceError

    try:
        with open_snapshot(dsn, keep_ids=keep_ids) as snapshot:
            _send(reports, ("connected",))
            if os.read(go_fd, 1) != _GO:
                return
            result = snapshot.scan()
            chunks: list[Chunk] = []
            if result.model_count > chunk_threshold:
                chunks = result.chunks(chunk_size) or snapshot.chunks(chunk_size)
                result.model_ids = []
            _send(reports, ("result", result, chunks))
    except ConformanceError as exc:
        _send(reports, ("refused", str(exc)))
    except BrokenPipeError:  # the parent is gone
        pass


def _send(reports: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, reports, protocol=pickle.HIGHEST_PROTOCOL)
    reports.flush()
