"""What every surface reports: a `Violation` with a stable code, a location and a sentence."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any, NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class FileSpan(NamedTuple):
    """A place in a file: its name as the user spelled it, line and column (from 1, in
    code points). Stdin lines are files named `<stdin>:N`."""

    path: str
    line: int
    column: int


class Row(NamedTuple):
    """A place in the registry: a model artifact's row and the column at fault."""

    artifact_id: str
    column: str


class TableCheck(NamedTuple):
    """A check of the tables as a whole (the migrations, say); it may name an artifact."""

    check: str
    artifact_id: str = ""


Where = FileSpan | Row | TableCheck | None


class Violation(NamedTuple):
    """One problem, the one type every surface reports and every reporter renders.

    `pointer` is a JSON Pointer (RFC 6901) into the document ("" is the whole document);
    `path` renders it for people, e.g. `$.evaluation_metrics.auroc`. `where` says which
    document: a place in a file (lint, register), a registry row (the scan), a table-level
    check, or None for a document in hand (the core). A named tuple: immutable, hashable,
    and a quarter of the cost of a frozen dataclass to create, which counts where every
    invalid document makes several.
    """

    code: str
    message: str
    pointer: str = ""
    severity: Severity = Severity.ERROR
    where: Where = None

    @property
    def path(self) -> str:
        return pointer_to_path(self.pointer)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        """The place for people: `a.json:3:5`, `metadata$.training_data[0]`, `migrations`,
        or the JSON path of a document in hand."""
        where = self.where
        if isinstance(where, FileSpan):
            return f"{where.path}:{where.line}:{where.column}"
        if isinstance(where, Row):
            return where.column + self.path[1:] if self.pointer else where.column
        if isinstance(where, TableCheck):
            return where.check
        return self.path

    @property
    def artifact_id(self) -> str:
        """The artifact a registry finding names; "" for anything else."""
        where = self.where
        return where.artifact_id if isinstance(where, Row | TableCheck) else ""

    def at(self, where: Where) -> Violation:
        """The same problem, placed."""
        return self._replace(where=where)

    def to_dict(self) -> dict[str, Any]:
        """Code, severity, the place (as its kind names it), pointer, path and message."""
        out: dict[str, Any] = {"code": self.code, "severity": self.severity.value}
        where = self.where
        if isinstance(where, FileSpan):
            out |= {"file": where.path, "line": where.line, "column": where.column}
        elif isinstance(where, Row):
            out |= {"artifact_id": where.artifact_id, "column": where.column}
        elif isinstance(where, TableCheck):  # its check names it; no pointer, no path
            out["message"] = self.message
            return out | {"artifact_id": where.artifact_id} if where.artifact_id else out
        return out | {"pointer": self.pointer, "path": self.location, "message": self.message}

    def __str__(self) -> str:
        return f"{self.location}: {self.code} {self.message}"


class ConformanceError(Exception):
    """Base class of every error model_conformance raises on purpose; `code` is stable."""

    code = "MC000"


class MetadataInvalid(ConformanceError):
    """Raised by `check_metadata`: carries every violation, not only the first."""

    code = "MC100"

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"model metadata has {len(violations)} violation(s):\n{lines}")


def pointer_to_path(pointer: str) -> str:
    """`/evaluation_metrics/auroc` -> `$.evaluation_metrics.auroc`; list indexes as `[0]`."""
    if not pointer:
        return "$"
    out = "$"
    for part in pointer_parts(pointer):
        if part.isdigit():
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def pointer_parts(pointer: str) -> list[str]:
    """`/a~1b/0` -> `["a/b", "0"]`: the keys and indexes of a JSON Pointer, unescaped."""
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def make_pointer(parts: Any) -> str:
    """Build a JSON Pointer from path elements (keys and list indexes)."""
    out = ""
    for part in parts:
        text = str(part)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        out += "/" + text
    return out


_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*://)?([^@/\s]+)@")


def without_credentials(url: str) -> str:
    """`url` with whatever precedes its `@` (a user, a password, a token) written as `***`,
    the plain `git` user of ssh URLs excepted: for messages, which must never show a secret."""
    return _USERINFO.sub(lambda m: (m[1] or "") + ("git" if m[2] == "git" else "***") + "@", url)


def has_password(url: str) -> bool:
    """Whether `url` carries a password or a token: anything before an http(s) URL's `@`
    (it needs no user), or a `user:password` before any other's."""
    match = _USERINFO.match(url)
    if match is None:
        return False
    scheme = (match[1] or "").strip().lower()
    return ":" in match[2] or scheme.startswith(("http://", "https://"))


def terminal_safe(text: str) -> str:
    """`text` for a line of output: every control, bidi, separator or surrogate character
    written as an escape (`\\n`, `\\u202e`), so that nothing from input can forge a line,
    reorder one, or stop the output with an encoding error; and a leading `::` written
    `\\x3a:`, so that no line can start a GitHub Actions workflow command."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)
    if text.startswith("::"):
        text = "\\x3a" + text[1:]
    return text


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate written as its own `\\uXXXX` escape: printable and
    encodable, and in JSON text (`ensure_ascii=False` leaves them raw) still valid JSON."""
    if text.isascii() or SURROGATE.search(text) is None:  # isascii: one quick C pass
        return text
    return SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape_char(ch: str) -> str:
    escaped = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    if escaped:
        return escaped
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def quote_key(key: Any, limit: int = 100) -> str:
    """A key or name for a message: as it is when it is short and printable, else as a JSON
    string with every control, bidi and non-ASCII character escaped, so that no key can
    forge a line of output or reorder one."""
    text = str(key)
    if len(text) <= limit and text.isprintable():
        return text
    cut = text[:limit]
    return json.dumps(cut) + ("…" if len(text) > limit else "")


def as_json(value: Any, limit: int = 200) -> str:
    """Render a value for a message the way the user wrote it: JSON, not Python repr.

    Bounded: a message quotes at most `limit` characters of a value, however large or deep
    it is, and an integer too long to print is described by its length.
    """
    kind = type(value)
    if kind is str and len(value) < limit // 2:  # the common case, quick
        text = _encode_string(value)
    elif kind is float or kind is bool or value is None:
        text = _ENCODER.encode(value)
    else:
        parts: list[str] = []
        _render(value, parts, [limit], depth=0)
        text = "".join(parts)
    return escape_surrogates(text)


SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: no UTF-8 encoding exists
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=True)
_encode_string = json.encoder.encode_basestring  # what _ENCODER does with a string, in C
_MAX_DEPTH = 8


def _render(value: Any, parts: list[str], budget: list[int], depth: int) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict | list) and depth >= _MAX_DEPTH:
        piece = "{…}" if isinstance(value, dict) else "[…]"
    elif isinstance(value, dict):
        _emit("{", parts, budget)
        for index, (key, item) in enumerate(value.items()):
            if budget[0] <= 0:
                break
            _emit(
                (", " if index else "") + json.dumps(str(key), ensure_ascii=False) + ": ",
                parts,
                budget,
            )
            _render(item, parts, budget, depth + 1)
        _emit("}", parts, budget)
        return
    elif isinstance(value, list):
        _emit("[", parts, budget)
        for index, item in enumerate(value):
            if budget[0] <= 0:
                break
            _emit(", " if index else "", parts, budget)
            _render(item, parts, budget, depth + 1)
        _emit("]", parts, budget)
        return
    elif isinstance(value, str):
        # Cut before encoding: a 100 MB string costs no more to quote than a short one.
        piece = _encode_string(value[: budget[0] + 1])
        if len(value) > budget[0]:
            piece = piece[:-1]
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        piece = _ENCODER.encode(value)
    elif isinstance(value, int):
        bits = value.bit_length()
        if bits <= 3300:  # up to about 1,000 digits: written out
            piece = str(value)
        elif bits <= 14000:  # still within what Python prints: count exactly
            piece = f"<an integer of {len(str(abs(value)))} digits>"
        else:
            piece = "<an integer of more than 4200 digits>"
    else:
        piece = repr(value)
    _emit(piece, parts, budget)


def _emit(piece: str, parts: list[str], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if len(piece) >= budget[0]:
        parts.append(piece[: max(budget[0] - 1, 0)] + "…")
        budget[0] = 0
    else:
        parts.append(piece)
        budget[0] -= len(piece)
