"""What PostgreSQL cannot store, found before anything is written (MC411).

A NUL character cannot be stored in `text` or in a `jsonb` string; a lone surrogate cannot
be encoded at all; a value in an indexed column longer than a B-tree entry can hold aborts the
statement. Any one of these would make PostgreSQL refuse the whole batch's statement, so
each is reported on the registration that carries it, and only that one is rejected.
"""

from __future__ import annotations

import re
from typing import Any

from model_conformance.registry.document import Registration
from model_conformance.violations import Violation, make_pointer

# Columns with a B-tree index (or key). PostgreSQL's limit is about 2,700 bytes per entry;
# this leaves room, and no real id or user name comes near it.
INDEXED_COLUMNS = ("id", "artifact_id", "base_model_id", "trained_by")
MAX_INDEXED_BYTES = 1024
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_REPORTED = 10


def unstorable_values(registration: Registration) -> list[Violation]:
    found: list[Violation] = []
    for section, row in (
        ("artifact", registration.artifact_row()),
        ("model_version", registration.version_row()),
    ):
        for column, value in row.items():
            if section == "model_version" and column == "artifact_id":
                continue  # the artifact's id, judged once, as /artifact/id
            if column == "metadata":
                pointer = make_pointer(["metadata"])
            elif section == "model_version":
                pointer = registration.version_pointer(column)
            else:
                pointer = make_pointer(["artifact", column])
            _walk(value, pointer, found)
            if column in INDEXED_COLUMNS and isinstance(value, str):
                size = len(value.encode("utf-8", "surrogatepass"))
                if size > MAX_INDEXED_BYTES:
                    found.append(
                        Violation(
                            "MC411",
                            f"`{column}` is {size} bytes long; it is indexed, and at most "
                            f"{MAX_INDEXED_BYTES} bytes can be stored: shorten it",
                            pointer,
                        )
                    )
    return _once(found)[:_MAX_REPORTED]


def _walk(value: Any, pointer: str, found: list[Violation]) -> None:
    stack = [(value, pointer)]
    while stack and len(found) < _MAX_REPORTED:
        node, where = stack.pop()
        if isinstance(node, str):
            _text(node, where, found)
        elif isinstance(node, dict):
            for key, item in node.items():
                inner = f"{where}{make_pointer([key])}"
                if isinstance(key, str):
                    _text(key, inner, found, what="a key")
                stack.append((item, inner))
        elif isinstance(node, list):
            stack.extend((item, f"{where}/{i}") for i, item in enumerate(node))


def _text(text: str, pointer: str, found: list[Violation], what: str = "a value") -> None:
    match = _UNSTORABLE.search(text)
    if match is None:
        return
    char = match.group()
    reason = (
        "a NUL character (\\u0000), which PostgreSQL cannot store"
        if char == "\x00"
        else f"a lone surrogate (U+{ord(char):04X}), which is not Unicode text"
    )
    found.append(
        Violation(
            "MC411",
            f"{what} holds {reason} (at character {match.start()}): remove it",
            _UNSTORABLE.sub("\ufffd", pointer),
        )
    )


def _once(found: list[Violation]) -> list[Violation]:
    seen: set[tuple[str, str]] = set()
    out = []
    for violation in found:
        key = (violation.pointer, violation.message)
        if key not in seen:
            seen.add(key)
            out.append(violation)
    return out
