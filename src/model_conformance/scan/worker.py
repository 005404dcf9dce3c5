"""Part of the metadata pass in a forked process, so that validation uses a second core.

The worker is forked after the imports (it starts with the validator already loaded, at no
start-up cost), opens its own connection that imports the scan's exported snapshot, and
validates the artifacts stored on the ranges of the table's pages it takes from the shared
`PageSlices` (the parent takes the others). Its findings (only failing documents leave any)
go batch by batch to an unlinked temporary file, so it never waits for the parent; a pipe
carries its progress and, last, that it is done. If asked, it also returns the ids it read
(unless there were more than it was asked to keep).

If the worker fails in any way, the parent validates the ranges it took itself: the result is
the same, only slower, and a real problem (the database gone) is then raised by the parent.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from model_conformance.scan.findings import Finding
from model_conformance.scan.metadata import metadata_findings
from model_conformance.scan.slices import PageSlices
from model_conformance.validator import MetadataValidator
from model_conformance.violations import Severity

# Below this many heap pages of `artifacts` (~20,000 artifacts), a second process costs more
# than it saves.
SPLIT_MIN_PAGES = 1_000

_DONE = b"done\n"


@dataclass(slots=True)
class WorkerOutput:
    """What a worker found on the pages it took."""

    findings: list[Finding] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # only when asked for, and all of them


def can_fork() -> bool:
    """Fork is cheap and safe enough on Linux; elsewhere the pass stays in one process."""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2


class MetadataWorker:
    """A forked process validating page ranges of the registry under a shared snapshot."""

    def __init__(self, pid: int, pipe: int, spool: IO[bytes]) -> None:
        self.pid = pid
        self.rows = 0  # rows the worker reported validated so far
        self._pipe = pipe
        self._spool = spool
        self._pending = b""
        self._done = False
        self._ended = False  # the pipe is closed: done, or dead

    @classmethod
    def start(
        cls,
        connect: Callable[[], Any],
        validator: MetadataValidator,
        slices: PageSlices,
        batch_size: int,
        *,
        keep_ids: int = 0,
    ) -> MetadataWorker:
        """Fork; the child runs `metadata_findings` on `connect()` (which must join the
        snapshot) and never returns. Call before starting any thread in this process."""
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (the worker object owns and closes it)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            status = 1
            try:
                os.close(read_fd)
                _run(write_fd, spool, connect, validator, slices, batch_size, keep_ids)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        return cls(pid, read_fd, spool)

    def progress(self) -> int:
        """Rows the worker reported validated since the last call (never blocks)."""
        return self._read(block=False)

    def result(
        self, progress: Callable[[int], None] | None = None, *, room_for_ids: int = 0
    ) -> WorkerOutput | None:
        """What the worker found, or None if it failed (then its ranges still need a pass).

        Blocks until the worker is done, telling `progress` of the rows it reports meanwhile.
        Its ids are loaded only if there are no more than `room_for_ids`.
        """
        while not self._ended:
            rows = self._read(block=True)
            if rows and progress is not None:
                progress(rows)
        ok = self._reap() and self._done
        output = _read_spool(self._spool, room_for_ids) if ok else None
        self._spool.close()
        return output

    def stop(self) -> None:
        """End the worker early (the parent is failing or interrupted)."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self._reap()
        self._spool.close()

    def _read(self, *, block: bool) -> int:
        """Progress lines are row counts; the last line says the worker is done."""
        if self._ended or not (block or select.select([self._pipe], [], [], 0)[0]):
            return 0
        chunk = os.read(self._pipe, 1 << 12)
        if not chunk:
            self._ended = True
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        rows = 0
        for line in lines:
            if line + b"\n" == _DONE:
                self._done = True
            else:
                rows += int(line)
        self.rows += rows
        return rows

    def _reap(self) -> bool:
        """Wait for the worker; True if it exited cleanly."""
        ok = False
        if self.pid:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            ok = os.waitstatus_to_exitcode(status) == 0
        if self._pipe >= 0:
            os.close(self._pipe)
            self._pipe = -1
            self._ended = True
        return ok


# The spool holds pickled (kind, payload) records, written batch by batch; the ids come
# last, after their count, so a reader with no room for them can stop before loading them.
_FINDINGS, _ID_COUNT, _IDS = "findings", "id count", "ids"


def _read_spool(spool: IO[bytes], room_for_ids: int) -> WorkerOutput:
    spool.seek(0)
    output = WorkerOutput()
    while True:
        try:
            kind, payload = pickle.load(spool)
        except EOFError:
            return output
        if kind == _FINDINGS:
            output.findings.extend(
                Finding(artifact_id, code, column, pointer, message, Severity(severity))
                for artifact_id, code, column, pointer, message, severity in payload
            )
        elif kind == _ID_COUNT:
            if payload > room_for_ids:
                return output
        else:
            output.ids.extend(payload)


def _run(
    pipe_fd: int,
    spool: IO[bytes],
    connect: Callable[[], Any],
    validator: MetadataValidator,
    slices: PageSlices,
    batch_size: int,
    keep_ids: int,
) -> None:
    with os.fdopen(pipe_fd, "wb", buffering=0) as pipe:
        found: list[tuple[str, ...]] = []
        ids: list[str] | None = [] if keep_ids else None

        def step(rows: int) -> None:
            if found:
                pickle.dump((_FINDINGS, found), spool)
                found.clear()
            pipe.write(b"%d\n" % rows)

        conn = connect()
        try:
            for f in metadata_findings(
                conn,
                validator,
                pages=iter(slices.take, None),
                batch_size=batch_size,
                progress=step,
                ids=ids,
                max_ids=keep_ids,
            ):
                found.append(
                    (f.artifact_id, f.code, f.column, f.pointer, f.message, f.severity.value)
                )
            step(0)
            if ids and len(ids) <= keep_ids:
                pickle.dump((_ID_COUNT, len(ids)), spool)
                pickle.dump((_IDS, ids), spool, protocol=pickle.HIGHEST_PROTOCOL)
            spool.flush()
            pipe.write(_DONE)
        finally:
            conn.close()
