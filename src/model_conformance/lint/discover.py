"""Which files `lint` reads: files as given, directories walked for `*.json`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def metadata_files(paths: Iterable[str | Path]) -> Iterator[str]:
    """Each file to lint, once, in a stable order, spelled as the user will see it.

    A path that is not a directory is yielded as is, even when it does not exist: reading
    it reports the problem (MC308) in its place. Hidden directories (.git, .venv, ...) are
    not walked. Plain strings, not Paths: with thousands of files the objects show up.
    """
    cwd = os.getcwd()
    seen: set[str] = set()
    # An empty path is the current directory, as pathlib reads it.
    for given in (os.fspath(p) or os.curdir for p in paths):
        found = _walk(given) if os.path.isdir(given) else (given,)
        for path in found:
            key = os.path.normpath(os.path.join(cwd, path))
            if key not in seen:
                seen.add(key)
                yield os.path.normpath(path)


def _walk(root: str) -> Iterator[str]:
    # A folder that cannot be listed (no permission) is yielded itself, in its place: reading
    # it then says why (MC308). os.walk would otherwise skip it without a word.
    unlisted: list[str] = []
    for folder, dirnames, filenames in os.walk(root, onerror=lambda e: unlisted.append(e.filename)):
        yield from unlisted
        unlisted.clear()
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".json"):
                yield os.path.join(folder, name)
    yield from unlisted
