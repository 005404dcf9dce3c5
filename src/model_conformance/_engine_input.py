"""Values the schema engine cannot take as they are: lone surrogates and giant integers.

jsonschema-rs cannot encode a lone surrogate (JSON's unpaired `\\ud800` escape), and an
integer longer than Python prints (4,300 digits) reaches it as something that passes
`minimum`, `maximum` and `type` alike. Either would cost a verdict, so each is reported with
its location (MC108, MC109) and the rest of the document is judged on a copy where it is
replaced. Finding out costs one orjson encoding of the document, which fails on exactly such
values (and on a few harmless ones, which then take the slow walk for nothing).
"""

from __future__ import annotations

import re
import sys
from typing import Any

import orjson

from model_conformance.violations import Violation, make_pointer

_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_REPORTED = 20  # a document full of them needs no more than this to be understood
# bit_length beyond which str(int) refuses under Python's default digit limit.
_DIGIT_LIMIT = sys.get_int_max_str_digits() or 4300
_MAX_BITS = int(_DIGIT_LIMIT / 0.30103) - 1


def for_engine(doc: Any) -> tuple[Any, list[Violation]]:
    """`doc` and no violations when the engine can take it as it is; otherwise a copy it can
    take, and a violation for each value that had to be replaced."""
    try:
        orjson.dumps(doc)
        return doc, []
    except (TypeError, orjson.JSONEncodeError):
        pass
    found: list[Violation] = []
    return _clean(doc, found), found


# A location as a linked list, (parent, key): copying a tuple path at every level would
# make a document nested 100,000 deep cost 5 billion steps.
_Path = tuple[Any, str | int] | None


def _clean(doc: Any, found: list[Violation]) -> Any:
    # Iterative, so that a deeply nested document cannot exhaust the stack.
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, _Path]] = [(doc, root, 0, None)]
    while stack:
        node, parent, slot, path = stack.pop()
        if isinstance(node, str):
            parent[slot] = _clean_text(node, "a string", path, found)
        elif isinstance(node, bool) or not isinstance(node, int | dict | list):
            parent[slot] = node
        elif isinstance(node, int):
            parent[slot] = node
            if node.bit_length() > _MAX_BITS:
                digits = node.bit_length() * 30103 // 100000 + 1
                _report(
                    found,
                    "MC109",
                    path,
                    (
                        f"an integer of about {digits} digits is longer than a number can be "
                        f"written here ({_DIGIT_LIMIT} digits at most)"
                    ),
                )
                # Same sign, still beyond any sensible limit: comparisons keep their answer.
                parent[slot] = (1 if node > 0 else -1) * 10 ** (_DIGIT_LIMIT - 1)
        elif isinstance(node, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, value in node.items():
                name = (
                    _clean_text(key, "a key", (path, key), found) if isinstance(key, str) else key
                )
                copy[name] = None
                stack.append((value, copy, name, (path, name)))
        else:
            items: list[Any] = [None] * len(node)
            parent[slot] = items
            stack.extend((item, items, i, (path, i)) for i, item in enumerate(node))
    return root[0]


def _clean_text(text: str, what: str, path: _Path, found: list[Violation]) -> str:
    position = _SURROGATE.search(text)
    if position is None:
        return text
    offset = position.start()
    _report(
        found,
        "MC108",
        path,
        (
            f"{what} holds a lone surrogate (U+{ord(text[offset]):04X} at character {offset}), "
            "which is not Unicode text: fix the \\u escape that produced it"
        ),
    )
    return _SURROGATE.sub("\ufffd", text)


def _report(found: list[Violation], code: str, path: _Path, message: str) -> None:
    if len(found) < _MAX_REPORTED:
        parts: list[str | int] = []
        while path is not None:
            path, key = path
            parts.append(_SURROGATE.sub("\ufffd", key) if isinstance(key, str) else key)
        found.append(Violation(code, message, make_pointer(reversed(parts))))
