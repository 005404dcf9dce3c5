"""Which file an entrypoint names: `code_entrypoint` is a command as people write it.

The grammar (docs/code-pins.md has the examples):

1. The value is split into words by POSIX shell quoting rules (`shlex`), and nothing is
   expanded or run. Unbalanced quotes: no file.
2. Leading `NAME=value` words (environment settings) are skipped.
3. `-m MODULE` (or `-mMODULE`) names a module: `pkg.train` is `pkg/train.py`, or
   `pkg/train/__main__.py` when that is what the commit has.
4. `-c CODE` names no file (inline code).
5. Otherwise the file is the first path-like word: a relative path that contains a `/`, or
   whose name ends in a script extension (`.py`, `.sh`, `.R`, ...). Words that begin with
   `-` are options and are skipped; so are interpreters and launchers (`python3`, `bash`,
   `torchrun`: no slash, no script extension) and absolute paths (programs such as
   `/usr/bin/python3`, outside any repository).
A leading `./` is dropped.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

_QUOTING = re.compile(r"[\"'\\]")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
SCRIPT_EXTENSIONS = frozenset(
    {
        ".py", ".pyw", ".ipynb", ".sh", ".bash", ".zsh", ".r", ".jl", ".js", ".mjs",
        ".ts", ".rb", ".pl", ".lua", ".scala", ".java", ".go", ".nf", ".smk", ".m",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EntrypointFile:
    """The file(s) an entrypoint names: one path, or for `-m` the module's two candidates
    in the order Python tries them."""

    candidates: tuple[str, ...]
    module: str | None = None

    @property
    def path(self) -> str:
        return self.candidates[0]


class UnparsableEntrypoint(ValueError):
    """The entrypoint names no file (the message says why)."""


@lru_cache(maxsize=4096)  # registries repeat a few commands many times
def entrypoint_file(entrypoint: str) -> EntrypointFile:
    """The file `entrypoint` runs; raises `UnparsableEntrypoint` with the reason."""
    if _QUOTING.search(entrypoint) is None:
        words = entrypoint.split()  # what shlex gives without quotes or escapes, 50x cheaper
    else:
        try:
            words = shlex.split(entrypoint, comments=False, posix=True)
        except ValueError as exc:
            raise UnparsableEntrypoint(f"it cannot be split into words ({exc})") from None
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    absolute = None
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-m" or (word.startswith("-m") and not word.startswith("--")):
            module = word[2:] or (words[index + 1] if index + 1 < len(words) else "")
            return _module(module)
        if word == "-c":
            raise UnparsableEntrypoint("`-c` runs inline code, which names no file")
        if not word.startswith("-") and _path_like(word):
            if not word.startswith("/"):
                return EntrypointFile((_relative(word),))
            absolute = absolute or word  # a program (/usr/bin/python3), not the repository's
        index += 1
    if absolute is not None:
        raise UnparsableEntrypoint(
            f"{absolute!r} is an absolute path, outside any repository; "
            "name the file relative to the repository's root"
        )
    raise UnparsableEntrypoint(
        "no word is a path: name the file relative to the repository's root "
        "(train.py, src/train.py) or a module with `python -m pkg.mod`"
    )


def _module(name: str) -> EntrypointFile:
    if not _MODULE.match(name):
        raise UnparsableEntrypoint(f"`-m` needs a dotted module name, not {name!r}")
    base = name.replace(".", "/")
    return EntrypointFile((f"{base}.py", f"{base}/__main__.py"), module=name)


def _path_like(word: str) -> bool:
    if "/" in word:
        return True
    dot = word.rfind(".")
    return dot > 0 and word[dot:].lower() in SCRIPT_EXTENSIONS


def _relative(word: str) -> str:
    while word.startswith("./"):
        word = word[2:]
    return "/".join(part for part in word.split("/") if part and part != ".")
