"""A local git repository, read through plumbing only, with every call bounded in time.

`GitRepository.open(path)` refuses a repository owned by another user (its configuration
could name commands; git's own `safe.directory` check would refuse it too, in words we do
not pass on) and anything that is not a repository. `ObjectReader` is one long-lived
`git cat-file --batch-command --buffer` per repository: requests are written by a thread
while the answers are read, so a whole batch costs one pipe round trip instead of one
process per object. A call that gets no answer in time kills the process.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn

from model_conformance.pins.errors import FetchFailed, RepositoryNotOwned, RepositoryUnreadable
from model_conformance.pins.safety import FETCH_PREFIX, GIT_PREFIX, git_environment

DEFAULT_TIMEOUT = 120.0  # seconds for one command or one batch of object look-ups
_INFO = re.compile(rb"^([0-9a-f]{40}) (blob|tree|commit|tag) (\d+)$")


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    oid: str
    type: str  # blob, tree, commit or tag
    size: int


class GitRepository:
    """A repository's git directory; `label` names it in messages (a key or a path)."""

    def __init__(self, git_dir: Path, label: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.git_dir = git_dir
        self.label = label
        self.timeout = timeout

    @classmethod
    def open(
        cls,
        path: Path,
        label: str,
        *,
        discover: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> GitRepository:
        """The repository at `path` (a work tree or a bare repository); with `discover`, the
        one `path` is inside (as git finds it from a subdirectory)."""
        if not path.is_dir():
            raise RepositoryUnreadable(f"{label}: {path} is not a directory")
        _require_owned(path, label)
        # Without `discover`, git must not walk up into an enclosing repository.
        ceiling = None if discover else str(path.resolve().parent)
        done = _run(
            [*GIT_PREFIX, "rev-parse", "--absolute-git-dir"],
            cwd=path,
            timeout=timeout,
            ceiling=ceiling,
        )
        if done.returncode != 0:
            raise RepositoryUnreadable(f"{label}: {path} is not a git repository")
        git_dir = Path(done.stdout.decode("utf-8", "surrogateescape").strip())
        _require_owned(git_dir, label)
        return cls(git_dir, label, timeout=timeout)

    def git(self, *args: str, stdin: bytes | None = None, timeout: float | None = None) -> bytes:
        """Run one git plumbing command here; its output, or `RepositoryUnreadable`."""
        limit = timeout or self.timeout
        done = _run(
            [*GIT_PREFIX, f"--git-dir={self.git_dir}", *args],
            cwd=self.git_dir,
            timeout=limit,
            stdin=stdin,
        )
        if done.returncode != 0:
            raise RepositoryUnreadable(
                f"{self.label}: `git {args[0]}` failed (exit {done.returncode}); "
                "the repository may be damaged"
            )
        return done.stdout

    def remote_urls(self) -> dict[str, list[str]]:
        """Remote name -> its configured URLs (`remote.<name>.url`)."""
        done = _run(
            [*GIT_PREFIX, f"--git-dir={self.git_dir}", "config", "-z", "--get-regexp",
             r"^remote\..*\.url$"],
            cwd=self.git_dir,
            timeout=self.timeout,
        )  # fmt: skip
        remotes: dict[str, list[str]] = {}
        for entry in done.stdout.decode("utf-8", "replace").split("\0"):
            key, _, url = entry.partition("\n")
            if key.startswith("remote.") and key.endswith(".url"):
                remotes.setdefault(key[len("remote.") : -len(".url")], []).append(url)
        return remotes

    def reachable(self, ref_prefixes: Sequence[str]) -> frozenset[str]:
        """Every commit reachable from the refs under `ref_prefixes` (`refs/heads/`, ...).

        The tips are listed first and only commits (or tags that peel to one) are walked, so
        a tag that names a tree or a blob cannot make the walk fail.
        """
        listing = self.git(
            "for-each-ref",
            "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype)",
            *ref_prefixes,
        )
        tips: set[str] = set()
        for line in listing.decode("ascii", "replace").splitlines():
            oid, kind, peeled, peeled_kind = [*line.split(" "), "", "", ""][:4]
            if kind == "commit":
                tips.add(oid)
            elif peeled_kind == "commit":
                tips.add(peeled)
        if not tips:
            return frozenset()
        walked = self.git("rev-list", "--stdin", stdin="\n".join(sorted(tips)).encode() + b"\n")
        return frozenset(walked.decode("ascii").split())

    def fetch(self, timeout: float) -> None:
        """`git fetch --prune origin`: only when the user asked (`--fetch`)."""
        done = _run(
            [*FETCH_PREFIX, f"--git-dir={self.git_dir}", "fetch", "--quiet", "--prune",
             "--no-recurse-submodules", "--no-write-fetch-head",
             "--upload-pack=git-upload-pack", "origin"],
            cwd=self.git_dir,
            timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise FetchFailed(
                f"{self.label}: `git fetch` in the mirror {self.git_dir} failed "
                f"(exit {done.returncode}); run it by hand to see why"
            )

    def reader(self) -> ObjectReader:
        return ObjectReader(self)


class ObjectReader:
    """One `git cat-file --batch-command --buffer` process; close it (or use `with`)."""

    def __init__(self, repository: GitRepository) -> None:
        self.repository = repository
        try:
            self._process = subprocess.Popen(
                [*GIT_PREFIX, f"--git-dir={repository.git_dir}", "cat-file", "--batch-command",
                 "--buffer"],
                cwd=repository.git_dir,
                env=git_environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # never shown: messages are ours
            )  # fmt: skip
        except OSError as exc:
            raise RepositoryUnreadable(f"git cannot be run: {exc.strerror or exc}") from None

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def info(self, names: Sequence[str]) -> list[ObjectInfo | None]:
        """Each name's object (oid, type, size), or None when the repository has none.

        Names must be free of line breaks (`safety.unsafe_reason` sees to that)."""
        answers: list[ObjectInfo | None] = []
        with self._exchange(f"info {name}\n" for name in names) as stdout:
            for _ in names:
                answers.append(_parse_info(self._line(stdout)))
        return answers

    def contents(
        self, oids: Sequence[str], max_size: int = 1 << 16
    ) -> list[tuple[str, bytes | None] | None]:
        """Each object's (type, content), or None when missing; the content is None when
        the object is larger than `max_size` (it is read and dropped, never held)."""
        answers: list[tuple[str, bytes | None] | None] = []
        with self._exchange(f"contents {oid}\n" for oid in oids) as stdout:
            for _ in oids:
                found = _parse_info(self._line(stdout))
                if found is None:
                    answers.append(None)
                    continue
                if found.size > max_size:
                    left = found.size + 1
                    while left > 0:
                        chunk = stdout.read(min(left, 1 << 16))
                        if not chunk:
                            self._fail("stopped in the middle of an object")
                        left -= len(chunk)
                    answers.append((found.type, None))
                    continue
                data = stdout.read(found.size + 1)  # the content and its newline
                if len(data) != found.size + 1:
                    self._fail("stopped in the middle of an object")
                answers.append((found.type, data[:-1]))
        return answers

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            try:
                if process.stdin is not None:
                    process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _exchange(self, requests: Iterable[str]) -> _Exchange:
        return _Exchange(self, requests)

    def _line(self, stdout: IO[bytes]) -> bytes:
        line = stdout.readline()
        if not line.endswith(b"\n"):
            self._fail("stopped answering")
        return line[:-1]

    def _fail(self, what: str) -> NoReturn:
        repo = self.repository
        self._process.kill()
        raise RepositoryUnreadable(
            f"{repo.label}: git {what} while reading objects "
            f"(a batch may take at most {repo.timeout:g} s)"
        )


class _Exchange:
    """Write a batch of requests from a thread, then `flush`, while the caller reads; a
    timer kills git if the batch is not answered in time (the reads then see the end)."""

    def __init__(self, reader: ObjectReader, requests: Iterable[str]) -> None:
        self._reader = reader
        self._requests = requests
        self._error: BaseException | None = None

    def __enter__(self) -> IO[bytes]:
        process = self._reader._process
        assert process.stdin is not None
        assert process.stdout is not None
        self._writer = threading.Thread(target=self._write, args=(process.stdin,), daemon=True)
        self._timer = threading.Timer(self._reader.repository.timeout, process.kill)
        self._timer.daemon = True
        self._timer.start()
        self._writer.start()
        return process.stdout

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        if exc_info[0] is not None:
            self._reader._process.kill()  # the writer may be blocked on a full pipe
        self._writer.join()
        if self._error is not None and exc_info[0] is None:
            self._reader._fail("refused a request")

    def _write(self, stdin: IO[bytes]) -> None:
        try:
            chunk: list[str] = []
            for request in self._requests:
                chunk.append(request)
                if len(chunk) >= 4096:
                    stdin.write("".join(chunk).encode("utf-8", "surrogateescape"))
                    chunk.clear()
            chunk.append("flush\n")
            stdin.write("".join(chunk).encode("utf-8", "surrogateescape"))
            stdin.flush()
        except (OSError, ValueError) as exc:  # git died: the reads say so
            self._error = exc


def _parse_info(line: bytes) -> ObjectInfo | None:
    match = _INFO.match(line)
    if match is None:
        return None  # "<name> missing" or "<name> ambiguous"
    return ObjectInfo(match[1].decode(), match[2].decode(), int(match[3]))


def _run(
    argv: list[str],
    *,
    cwd: Path,
    timeout: float,
    stdin: bytes | None = None,
    ceiling: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    env = git_environment()
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = ceiling
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RepositoryUnreadable(
            f"git did not finish `{argv[len(GIT_PREFIX)]}` within {timeout:g} s in {cwd}"
        ) from None
    except OSError as exc:
        raise RepositoryUnreadable(f"git cannot be run: {exc.strerror or exc}") from None


def _require_owned(path: Path, label: str) -> None:
    """Refuse a repository another user owns, before git reads its configuration."""
    try:
        owner = path.stat().st_uid
    except OSError as exc:
        raise RepositoryUnreadable(f"{label}: cannot read {path}: {exc.strerror}") from None
    if owner != os.geteuid():
        raise RepositoryNotOwned(
            f"{label}: {path} is owned by another user (uid {owner}); its configuration "
            "could run commands, so it is not read. Clone or mirror it as yourself, or run "
            "as its owner"
        )
