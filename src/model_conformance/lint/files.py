"""Judge one metadata file: read it, parse it, validate it, and place every problem.

The common case is a valid file, so that path stays cheap: bytes -> text -> stdlib
`json.loads` (C) -> compiled validator. Only when something is wrong is the file parsed a
second time by the position-tracking reader to find each problem's line and column.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from model_conformance.codes import RULES
from model_conformance.lint.reader import (
    JSONSyntaxError,
    ParsedDocument,
    Position,
    parse,
)
from model_conformance.violations import Severity, Violation, as_json

_UTF8_BOM = b"\xef\xbb\xbf"
_BOM_FIRST_BYTES = frozenset([b"\xef", b"\xff", b"\xfe", b"\x00"])
_OTHER_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
# Codes whose problem is the key itself rather than its value: point at the key.
_KEY_CODES = frozenset({"MC106", "MC203", "MC302"})
_START = Position(1, 1)


class Validator(Protocol):
    def validate(self, doc: object) -> list[Violation]: ...


@dataclass(frozen=True, slots=True)
class Finding:
    """A violation placed in a file."""

    path: str
    position: Position
    violation: Violation

    @property
    def line(self) -> int:
        return self.position.line

    @property
    def column(self) -> int:
        return self.position.column

    @property
    def code(self) -> str:
        return self.violation.code

    @property
    def message(self) -> str:
        return self.violation.message

    @property
    def severity(self) -> Severity:
        return self.violation.severity


def file_violation(code: str, message: str, pointer: str = "") -> Violation:
    return Violation(code, message, pointer, RULES[code].severity)


def lint_file(
    path: str | Path, validator: Validator, keep: Callable[[str], bool] = bool
) -> list[Finding]:
    """Every problem in one file, in file order; `keep(code)` says which codes are wanted.

    Findings name the file as `path` is spelled.
    """
    display = os.fspath(path)
    return [f for f in _findings(display, validator, keep) if keep(f.code)]


def _at(display: str, position: Position, code: str, message: str) -> list[Finding]:
    return [Finding(display, position, file_violation(code, message))]


def _findings(display: str, validator: Validator, keep: Callable[[str], bool]) -> list[Finding]:
    try:
        with open(display, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return _at(display, _START, "MC308", f"cannot read the file: {_os_reason(exc)}")

    found: list[Finding] = []
    if data[:1] in _BOM_FIRST_BYTES:  # one check on the fast path instead of five
        for bom, encoding in _OTHER_BOMS.items():
            if data.startswith(bom):
                return _at(display, _START, "MC305", f"the file is {encoding}; save it as UTF-8")
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
            message = "the file starts with a UTF-8 byte-order mark; remove it"
            found += _at(display, _START, "MC304", message)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = (
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} cannot start or continue a "
            "UTF-8 character"
        )
        return found + _at(display, _byte_position(data, exc.start), "MC305", message)
    if not text.strip(" \t\n\r"):
        message = "the file is empty; a metadata file holds a JSON object"
        return found + _at(display, _START, "MC306", message)

    _FLAGS.suspicious = False
    try:
        value = _load(text)
    except json.JSONDecodeError as exc:
        return found + _syntax_error(display, text, exc)
    except RecursionError:
        message = "not valid JSON: the document is nested too deeply"
        return found + _at(display, _START, "MC301", message)

    violations: list[Violation] = []
    if isinstance(value, dict):
        violations = [v for v in validator.validate(value) if keep(v.code)]
    if not (violations or _FLAGS.suspicious or not isinstance(value, dict) or found):
        return []  # the fast path: nothing to place, so no position tracking

    # Flagged files need the full walk (duplicates, NaN); otherwise only the reported paths.
    only = None if _FLAGS.suspicious else [v.pointer for v in violations]
    try:
        doc = parse(text, only)
    except (RecursionError, ValueError):  # JSONSyntaxError is a ValueError
        doc = ParsedDocument(value, text)  # the readers disagree; place everything at 1:1
    found += _file_findings(display, doc)
    if not isinstance(value, dict):
        message = f"the top-level value is {_kind(value)}; model metadata is a JSON object"
        found += _at(display, doc.locate(""), "MC307", message)
    reported_non_standard = {f.violation.pointer for f in found if f.code == "MC303"}
    for violation in violations:
        if violation.code == "MC204" and violation.pointer in reported_non_standard:
            continue  # already reported where it was written, as NaN/Infinity
        position = doc.locate(violation.pointer, key=violation.code in _KEY_CODES)
        found.append(Finding(display, position, violation))
    return sorted(found, key=lambda f: f.position)


class _Flags:
    """stdlib-parser hooks that notice what `lint` must report but `json.loads` accepts."""

    def __init__(self) -> None:
        self.suspicious = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.suspicious = True
        return result

    def constant(self, token: str) -> float:
        self.suspicious = True
        return float(token)


# One decoder for all files (json.loads would build one per call); its hooks set the flag.
_FLAGS = _Flags()
_DECODER = json.JSONDecoder(object_pairs_hook=_FLAGS.pairs, parse_constant=_FLAGS.constant)
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _load(text: str) -> object:
    """`json.loads` without its Python wrapper: straight to the C scanner. Anything unusual
    (an error, trailing data) goes through the full decoder, which raises the proper error."""
    start = 0 if text[:1] == "{" else len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _SCAN(text, start)
    except StopIteration:
        return _DECODER.decode(text)
    if text[end:].strip(" \t\n\r"):
        return _DECODER.decode(text)
    return value


def _file_findings(display: str, doc: ParsedDocument) -> list[Finding]:
    out: list[Finding] = []
    for dup in doc.duplicates:
        message = (
            f"duplicate key {as_json(dup.key)} (first at line {dup.first.line}, column "
            f"{dup.first.column}); JSON readers disagree on which value wins"
        )
        out.append(Finding(display, dup.position, file_violation("MC302", message, dup.pointer)))
    for number in doc.non_standard:
        message = f"{number.token} is not a JSON number; write a finite number or null"
        out.append(
            Finding(display, number.position, file_violation("MC303", message, number.pointer))
        )
    return out


def _syntax_error(display: str, text: str, exc: json.JSONDecodeError) -> list[Finding]:
    # The reader explains more plainly ("trailing comma before '}'"); the stdlib error is
    # the fallback should the two ever disagree about whether the text is JSON.
    try:
        parse(text)
    except JSONSyntaxError as error:
        message, position = error.message, error.position
    else:
        message, position = exc.msg[0].lower() + exc.msg[1:], Position(exc.lineno, exc.colno)
    return [Finding(display, position, file_violation("MC301", f"not valid JSON: {message}"))]


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Position(data.count(b"\n", 0, offset) + 1, column)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "it is a directory"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return "a number"
