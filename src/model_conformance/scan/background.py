"""A whole scan in a process of its own, started as soon as the caller knows it wants one.

The pytest plugin starts it as soon as the registry is known: before the conftest files are
imported, or at configure time. The process imports the database layer and connects while
pytest finishes starting up, scans while pytest collects the user's own tests, and the
pytest process itself never loads psycopg (with its bundled libpq and OpenSSL), the
validator or jsonschema: it stays as small as pytest alone, and so does its
exit, where the interpreter's last garbage collections walk every object still loaded.

It is a new interpreter (`python -P -c`), not a fork: it inherits no lock another thread held
(xdist workers run threads) and no descriptor but its pipes. It needs POSIX pipes passed to
a child; elsewhere `start` says no, and the caller scans in its own process.

The parent writes the request (pickled; a DSN may hold a password, so never on a command
line) and later one byte, "go", on the child's stdin; closing stdin instead means "do not
scan" (an xdist controller, or a session ending early), and once the scan runs it means
"stop now" (the parent is gone or gave up). The child reports on a pipe of its own, one
pickled message after another:
  ("connected",) once it holds the snapshot, or ("refused", sentence);
  ("result", ScanResult, chunks) when the scan is done, or ("refused", sentence) if the
  database refused a statement meanwhile, or ("crashed", traceback) on a bug.
A child that crashes or dies without a result leaves `result()` returning None (with
`crash` saying what happened, if it could): the caller scans in its own process instead, so
a crash costs time, never findings.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from model_conformance.scan.findings import Chunk, ScanResult

_STDIN = 0  # the child reads its commands from the descriptor itself, never `sys.stdin`
_GO = b"g"
_PIPES_TO_CHILDREN = os.name == "posix"  # pass_fds: elsewhere a pipe cannot be handed over
_LENGTH = struct.Struct(">I")  # the request's length, before it on stdin
# The child's program: an import, so that its classes pickle under their own module names.
# It can import this very package even where only the parent's sys.path finds it (pytest's
# `pythonpath` setting): that folder comes last, so an installed package is found as usual.
_CHILD_PROGRAM = (
    "import sys; sys.path.append(sys.argv[2]); "
    "from model_conformance.scan.background import main; main()"
)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class ScanRefused(Exception):
    """The scan could not run (unreachable database, refused statement): one sentence."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the child is asked to do."""

    dsn: str | None
    keep_ids: int
    chunk_threshold: int
    chunk_size: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished scan and, above the chunk threshold, its artifacts cut into chunks (then
    `result.model_ids` is empty: the chunks list them)."""

    result: ScanResult
    chunks: list[Chunk]


class BackgroundScan:
    """The parent's handle on a scan running in a process of its own."""

    def __init__(self, process: subprocess.Popen[bytes], reports: IO[bytes]) -> None:
        self.process = process
        self.crash = ""  # the child's traceback, when it crashed
        self._reports = reports
        self._connected = False
        self._outcome: Outcome | None = None
        self._ended = False

    @classmethod
    def start(cls, request: Request) -> BackgroundScan | None:
        """Start the child (it connects at once, then waits for `go`); None if no process
        can be started here, and the caller should scan in its own process."""
        if not _PIPES_TO_CHILDREN:
            return None
        read_fd, write_fd = os.pipe()
        try:
            process = subprocess.Popen(
                # -P: not the working directory first on sys.path, where a project's own
                # `psycopg.py` would shadow the real one.
                [sys.executable, "-P", "-c", _CHILD_PROGRAM, str(write_fd), _PACKAGE_ROOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # what it has to say comes as a message
                pass_fds=(write_fd,),
            )
        except Exception:  # no process to be had here: the caller scans itself
            os.close(read_fd)
            return None
        finally:
            os.close(write_fd)
        scan = cls(process, os.fdopen(read_fd, "rb"))
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        scan._command(_LENGTH.pack(len(payload)) + payload)
        return scan

    def go(self) -> None:
        """Let the child scan (it may still be connecting)."""
        self._command(_GO)

    def wait_connected(self) -> None:
        """Block until the child holds its snapshot; raise `ScanRefused` if it cannot."""
        while not self._connected and not self._ended:
            self._next()

    def result(self) -> Outcome | None:
        """Block until the scan is done: its outcome, or None if the child crashed or died
        first (`crash` then holds its traceback, if it could send one).

        Raises `ScanRefused` with the child's sentence when the database refused.
        """
        while self._outcome is None and not self._ended:
            self._next()
        return self._outcome

    def stop(self) -> None:
        """Let the child go; calling it again does nothing.

        One that sent its result is exiting by itself, running its own exit handlers: it is
        reaped when this process exits, not waited for now. One waiting for `go`, or
        scanning, stops when its stdin closes; one still connecting may be starting the
        embedded server, and is given ten seconds before it is killed (a scanning one, one).
        """
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):
                stdin.close()
        if not self._reports.closed:
            self._reports.close()
        self._ended = True
        if self.process.returncode is not None:
            return
        if self._outcome is not None:
            atexit.register(_reap, self.process, 5)
            return
        _reap(self.process, 1 if self._connected else 10)

    def exit_status(self) -> int | None:
        """The child's exit status, once it has ended (waiting a second for it)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)
        return self.process.returncode

    def _command(self, data: bytes) -> None:
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):  # a child gone already shows in `result`
                stdin.write(data)
                stdin.flush()

    def _next(self) -> None:
        try:
            message = pickle.load(self._reports)
        except (EOFError, pickle.UnpicklingError, OSError, ValueError):
            self._ended = True  # died without a word: `result` says None
            return
        kind = message[0]
        if kind == "connected":
            self._connected = True
        elif kind == "result":
            self._connected = True
            self._outcome = Outcome(message[1], message[2])
        elif kind == "crashed":
            self._ended = True
            self.crash = message[1]
        else:
            self._ended = True
            raise ScanRefused(message[1])


def main() -> None:
    """The child: read the request, connect, wait for "go", scan, report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    reports = os.fdopen(int(sys.argv[1]), "wb")
    # The metadata worker, forked below, needs neither pipe: were it to keep them open, a
    # parent waiting for the end of the reports would wait for the worker too.
    os.register_at_fork(after_in_child=lambda: _let_go_of_pipes(reports.fileno()))
    try:
        (length,) = _LENGTH.unpack(_read_exactly(_STDIN, _LENGTH.size))
        request: Request = pickle.loads(_read_exactly(_STDIN, length))
        _scan(request, reports)
    except BrokenPipeError:  # the parent is gone
        pass
    except BaseException:
        with contextlib.suppress(OSError):
            _send(reports, ("crashed", traceback.format_exc()))
    finally:
        with contextlib.suppress(OSError):
            reports.close()


def _scan(request: Request, reports: IO[bytes]) -> None:
    from model_conformance.scan.snapshot import open_snapshot
    from model_conformance.violations import ConformanceError

    try:
        with open_snapshot(request.dsn, keep_ids=request.keep_ids) as snapshot:
            _send(reports, ("connected",))
            if os.read(_STDIN, 1) != _GO:
                return
            snapshot.start()  # forks the metadata worker: before any thread of ours
            done = threading.Event()
            threading.Thread(target=_stop_when_closed, args=(done,), daemon=True).start()
            result = snapshot.scan()
            chunks = snapshot.chunks_above(result, request.chunk_threshold, request.chunk_size)
            if chunks:
                result.model_ids = []
            # Done before it is sent: the parent closes stdin once it has the result, and
            # this process must then close its connections and exit normally, not stop.
            done.set()
            _send(reports, ("result", result, chunks))
    except ConformanceError as exc:
        _send(reports, ("refused", str(exc)))


def _stop_when_closed(done: threading.Event) -> None:
    """Once the scan runs, the parent closing stdin (or dying) ends this process at once:
    its metadata worker follows at its next report, its connections close with it.

    (Plain reads of the descriptor: a thread blocked inside `sys.stdin`'s buffer would hold
    its lock, which the interpreter's exit then cannot take.)"""
    while os.read(_STDIN, 1 << 10):
        pass
    if not done.is_set():
        os._exit(1)


def _send(reports: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, reports, protocol=pickle.HIGHEST_PROTOCOL)
    reports.flush()


def _reap(process: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError("the parent closed the request short")
        data += chunk
    return data


def _let_go_of_pipes(reports: int) -> None:
    """In a forked metadata worker: drop the parent's pipes (stdin becomes /dev/null)."""
    with contextlib.suppress(OSError):
        os.close(reports)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, _STDIN)
    os.close(devnull)
