"""Values the schema engine cannot take as they are.

- A lone surrogate (JSON's unpaired `\\ud800` escape) cannot be encoded for the engine at all.
- An integer longer than Python prints (4,300 digits) reaches it as something that passes
  `minimum`, `maximum` and `type` alike.
- NaN and infinity (Python's `float("nan")`, or a `1e400` that overflowed) reach it as
  `null`, which `minimum` and `maximum` ignore.
- A document nested thousands of levels deep can overflow the engine's stack.

Any of these would cost a verdict, so each is reported with its location (MC108, MC109,
MC110) and the engine judges a copy where it is replaced. Finding out costs one orjson
encoding of the document: it fails on surrogates, giant integers and deep nesting, and
writes NaN and infinity as `null`, so only a document that holds a `null` (or fails) takes
the slower walk.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import orjson

from model_conformance.violations import SURROGATE, Violation, make_pointer

_MAX_REPORTED = 20  # a document full of them needs no more than this to be understood
# Python's default limit on the digits of an integer it converts to text (and back).
DIGIT_LIMIT = sys.get_int_max_str_digits() or 4300
_TOO_LONG = 10**DIGIT_LIMIT  # the smallest integer with one digit too many
_MIN_BITS_TOO_LONG = int(DIGIT_LIMIT / 0.30103) - 4  # below this bit length, never too long
MAX_DEPTH = 1000  # deeper than this, the document is not judged (json's own limit is ~1000)
_LARGEST = sys.float_info.max


def for_engine(doc: Any) -> tuple[Any, list[Violation], int | None]:
    """`doc` and no violations when the engine can take it as it is; otherwise a copy it can
    take, and a violation for each value that had to be replaced. The copy is None when the
    document is too deep to be judged at all. Last, the length of `doc` as JSON when it was
    learnt on the way (the explanation uses it to know the document is small)."""
    try:
        encoded = orjson.dumps(doc)
    except (TypeError, orjson.JSONEncodeError):
        size = None
    else:
        size = len(encoded)
        if b"null" not in encoded:
            return doc, [], size
    found: list[Violation] = []
    judged = _clean(doc, found)
    return judged, found, size if not found else None


# A location as a linked list, (parent, key): copying a tuple path at every level would
# make a document nested 100,000 deep cost 5 billion steps.
_Path = tuple[Any, str | int] | None


def _clean(doc: Any, found: list[Violation]) -> Any:
    # Iterative, so that a deeply nested document cannot exhaust the stack.
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, _Path, int]] = [(doc, root, 0, None, 0)]
    while stack:
        node, parent, slot, path, depth = stack.pop()
        if depth > MAX_DEPTH and isinstance(node, dict | list):
            _report(
                found,
                "MC110",
                path,
                f"the document is nested more than {MAX_DEPTH} levels deep here; it is not "
                "judged further: flatten it",
            )
            return None
        if isinstance(node, str):
            parent[slot] = _clean_text(node, "a string", path, found)
        elif isinstance(node, float):
            parent[slot] = node if math.isfinite(node) else _non_finite(node, path, found)
        elif isinstance(node, bool) or not isinstance(node, int | dict | list):
            parent[slot] = node
        elif isinstance(node, int):
            parent[slot] = node
            if node.bit_length() >= _MIN_BITS_TOO_LONG and (
                node >= _TOO_LONG or -node >= _TOO_LONG
            ):
                _report(
                    found,
                    "MC109",
                    path,
                    f"an integer of more than {DIGIT_LIMIT} digits cannot be written or read "
                    "back as a number: store it as a string, or check the value",
                )
                # Same sign, still beyond any sensible limit: comparisons keep their answer.
                parent[slot] = (1 if node > 0 else -1) * (_TOO_LONG - 1)
        elif isinstance(node, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, value in node.items():
                name = (
                    _clean_text(key, "a key", (path, key), found) if isinstance(key, str) else key
                )
                copy[name] = None
                stack.append((value, copy, name, (path, name), depth + 1))
        else:
            items: list[Any] = [None] * len(node)
            parent[slot] = items
            stack.extend((item, items, i, (path, i), depth + 1) for i, item in enumerate(node))
    return root[0]


def _non_finite(value: float, path: _Path, found: list[Violation]) -> float | None:
    word = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    _report(
        found,
        "MC109",
        path,
        f"{word} is not a JSON number (a number written beyond what a double can hold, such "
        "as 1e400, reads as Infinity): record a finite number",
    )
    if math.isnan(value):
        return None
    # The largest finite double of the same sign: `maximum` and `minimum` keep their answer.
    return _LARGEST if value > 0 else -_LARGEST


def _clean_text(text: str, what: str, path: _Path, found: list[Violation]) -> str:
    position = SURROGATE.search(text)
    if position is None:
        return text
    offset = position.start()
    _report(
        found,
        "MC108",
        path,
        f"{what} holds a lone surrogate (U+{ord(text[offset]):04X} at character {offset}), "
        "which is not Unicode text: fix the \\u escape that produced it",
    )
    return engine_spelling(text)


def engine_spelling(text: str) -> str:
    """`text` as the engine's copy spells it, and its locations name it: each lone surrogate
    written as U+FFFD."""
    return SURROGATE.sub("\ufffd", text)


def _report(found: list[Violation], code: str, path: _Path, message: str) -> None:
    if len(found) < _MAX_REPORTED:
        parts: list[str | int] = []
        while path is not None:
            path, key = path
            parts.append(engine_spelling(key) if isinstance(key, str) else key)
        found.append(Violation(code, message, make_pointer(reversed(parts))))
