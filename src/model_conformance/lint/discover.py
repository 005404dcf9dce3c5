"""Which files `lint` reads: files as given, directories walked for `*.json`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def metadata_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """(path, how to show it) for each file to lint, each once, in a stable order.

    A path that is not a directory is yielded as is, even when it does not exist: reading
    it reports the problem (MC308) in its place. Hidden directories (.git, .venv, ...) are
    not walked.
    """
    seen: set[str] = set()
    for given in paths:
        found = _walk(given) if given.is_dir() else iter([given])
        for path in found:
            key = os.path.abspath(path)  # no realpath: it costs a syscall per component
            if key not in seen:
                seen.add(key)
                yield path, str(path)


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".json"):
                yield Path(folder, name)
