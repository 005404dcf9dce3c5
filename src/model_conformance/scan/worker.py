"""Part of the metadata pass in a forked process, so that validation uses a second core.

The worker is forked after the imports (it starts with the validator already loaded, at no
start-up cost), opens its own connection that imports the scan's exported snapshot, and
validates the artifacts stored on its range of the table's pages. It sends back, over a
pipe, its progress and its findings batch by batch (only failing documents leave findings),
so neither side holds more than the findings themselves.

If the worker fails in any way, the parent validates its pages itself: the result is the
same, only slower, and a real problem (the database gone) is then raised by the parent.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
from collections.abc import Callable
from typing import Any

from model_conformance.scan.findings import Finding
from model_conformance.scan.metadata import PageRange, metadata_findings
from model_conformance.validator import MetadataValidator
from model_conformance.violations import Severity

# Below this many heap pages of `artifacts` (~20,000 artifacts), a second process costs more
# than it saves.
SPLIT_MIN_PAGES = 1_000

_HEADER = struct.Struct("!cI")  # kind, payload length
_PROGRESS, _FINDINGS, _DONE = b"P", b"F", b"D"


def can_fork() -> bool:
    """Fork is cheap and safe enough on Linux; elsewhere the pass stays in one process."""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2


class MetadataWorker:
    """A forked process validating one page range of the registry under a shared snapshot."""

    def __init__(self, pid: int, fd: int, pages: PageRange) -> None:
        self.pid = pid
        self.pages = pages
        self._fd = fd
        self._buffer = b""
        self._findings: list[Finding] = []
        self._done = False
        self._failed = False

    @classmethod
    def start(
        cls,
        connect: Callable[[], Any],
        validator: MetadataValidator,
        pages: PageRange,
        batch_size: int,
    ) -> MetadataWorker:
        """Fork; the child runs `metadata_findings` on `connect()` (which must join the
        snapshot) and never returns. Call before starting any thread in this process."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            status = 1
            try:
                os.close(read_fd)
                _run(write_fd, connect, validator, pages, batch_size)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        return cls(pid, read_fd, pages)

    def progress(self) -> int:
        """Rows the worker reported validated since the last call (never blocks)."""
        return self._read(block=False)

    def result(self, progress: Callable[[int], None] | None = None) -> list[Finding] | None:
        """The worker's findings, or None if it failed (then its pages still need a pass).

        Blocks until the worker is done, telling `progress` of the rows it reports meanwhile.
        """
        while not self._done and not self._failed:
            rows = self._read(block=True)
            if rows and progress is not None:
                progress(rows)
        self._reap()
        return None if self._failed else self._findings

    def stop(self) -> None:
        """End the worker early (the parent is failing or interrupted)."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _read(self, *, block: bool) -> int:
        rows = 0
        if self._done or self._failed:
            return rows
        if block or select.select([self._fd], [], [], 0)[0]:
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:  # the worker exited without saying it was done
                self._failed = True
            self._buffer += chunk
        while len(self._buffer) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + size
            if len(self._buffer) < end:
                break
            payload, self._buffer = self._buffer[_HEADER.size : end], self._buffer[end:]
            if kind == _PROGRESS:
                rows += int(payload)
            elif kind == _FINDINGS:
                self._findings.extend(
                    Finding(artifact_id, code, column, pointer, message, Severity(severity))
                    for artifact_id, code, column, pointer, message, severity in pickle.loads(
                        payload
                    )
                )
            elif kind == _DONE:
                self._done = True
        return rows

    def _reap(self) -> None:
        if self.pid:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            self._failed = self._failed or not self._done or os.waitstatus_to_exitcode(status) != 0
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _run(
    fd: int,
    connect: Callable[[], Any],
    validator: MetadataValidator,
    pages: PageRange,
    batch_size: int,
) -> None:
    with os.fdopen(fd, "wb") as pipe:

        def send(kind: bytes, payload: bytes) -> None:
            pipe.write(_HEADER.pack(kind, len(payload)) + payload)
            pipe.flush()

        batch: list[tuple[str, ...]] = []

        def flush(rows: int) -> None:
            if batch:
                send(_FINDINGS, pickle.dumps(batch))
                batch.clear()
            send(_PROGRESS, str(rows).encode())

        conn = connect()
        try:
            for f in metadata_findings(
                conn, validator, pages=pages, batch_size=batch_size, progress=flush
            ):
                fields = (f.artifact_id, f.code, f.column, f.pointer, f.message, f.severity.value)
                batch.append(fields)
            flush(0)
            send(_DONE, b"")
        finally:
            conn.close()
