"""A JSON reader that remembers where every value and key starts.

The stdlib parser is fast but forgets positions; this one is slow but remembers them. `lint`
parses with the stdlib first and comes here only when it has something to report, so valid
files never pay for position tracking. Lines and columns are 1-based; columns count
characters (code points), which is what editors show.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NoReturn

# The stdlib's (C) string scanner: decodes escapes exactly as json.loads does.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_skim: Callable[[str, int], tuple[object, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_WS_CHARS = frozenset(" \t\n\r")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}
_NON_STANDARD: dict[str, float] = {
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
# What a stray word most likely meant, for the parse-error message.
_BAREWORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    pointer: str  # pointer of the repeated member
    key: str
    position: Position  # the repeated key
    first: Position  # where the key first appeared


@dataclass(frozen=True, slots=True)
class NonStandardNumber:
    pointer: str
    token: str  # NaN, Infinity or -Infinity
    position: Position


class LineIndex:
    """Turns character offsets into (line, column) with one bisect each."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)


class ParsedDocument:
    """The parsed value plus where everything in it starts.

    Positions are kept as character offsets and turned into line:column only when asked
    for. A value's position is its first character (an object's opening brace); a key's
    is its opening quote. Duplicate keys keep the last value, as `json.loads` does.
    """

    def __init__(self, value: object, text: str = "") -> None:
        self.value = value
        self.lines = LineIndex(text)
        self.value_offsets: dict[str, int] = {}
        self.key_offsets: dict[str, int] = {}
        self.duplicates: list[DuplicateKey] = []
        self.non_standard: list[NonStandardNumber] = []

    @property
    def values(self) -> dict[str, Position]:
        """JSON Pointer -> where the value there starts."""
        return {p: self.lines.position(o) for p, o in self.value_offsets.items()}

    @property
    def keys(self) -> dict[str, Position]:
        """JSON Pointer of an object member -> where its key starts."""
        return {p: self.lines.position(o) for p, o in self.key_offsets.items()}

    def locate(self, pointer: str, *, key: bool = False) -> Position:
        """Where to point for `pointer`: its key (if asked and known), else its value, else
        the nearest enclosing value that exists (the object that lacks a missing key)."""
        if key and pointer in self.key_offsets:
            return self.lines.position(self.key_offsets[pointer])
        while pointer not in self.value_offsets and pointer:
            pointer = pointer[: pointer.rfind("/")]
        return self.lines.position(self.value_offsets.get(pointer, 0))


class JSONSyntaxError(ValueError):
    """The text is not JSON; `position` is where the reader gave up."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(f"{message} at line {position.line}, column {position.column}")
        self.message = message
        self.position = position


def parse(text: str, only: Iterable[str] | None = None) -> ParsedDocument:
    """Parse one JSON text (no byte-order mark), recording positions.

    Raises `JSONSyntaxError` with a line and column for anything that is not JSON.
    NaN and Infinity are accepted (like `json.loads`) and recorded in `non_standard`.

    With `only` (JSON Pointers), just the way to those pointers is walked in Python: every
    other value is skipped by the stdlib's C scanner, so its inner positions, duplicate keys
    and NaNs are not recorded. For text already known to be JSON with nothing to flag.
    """
    reader = _Reader(text)
    if only is not None:
        reader.ancestors = {p[:i] for p in only for i, c in enumerate(p) if c == "/"}
    return reader.read()


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.doc = ParsedDocument(None, text)
        self.values = self.doc.value_offsets
        self.keys = self.doc.key_offsets
        self.ancestors: set[str] | None = None  # walk only into these values, if set

    def read(self) -> ParsedDocument:
        pos = self._skip(0)
        if pos == len(self.text):
            self._fail("the document is empty: expected a JSON value", pos)
        try:
            self.doc.value, pos = self._value(pos, "")
        except RecursionError:
            self._fail("the document is nested too deeply", 0)
        pos = self._skip(pos)
        if pos != len(self.text):
            self._fail(f"unexpected {self._describe(pos)} after the end of the JSON value", pos)
        return self.doc

    # --- values ---------------------------------------------------------------------------

    def _value(self, pos: int, pointer: str) -> tuple[object, int]:
        text = self.text
        self.values[pointer] = pos
        if self.ancestors is not None and pointer not in self.ancestors:
            try:
                return _skim(text, pos)
            except StopIteration:
                self._fail(f"expected a JSON value, found {self._describe(pos)}", pos)
        char = text[pos : pos + 1]
        if char == '"':
            return self._string(pos)
        if char == "{":
            return self._object(pos, pointer)
        if char == "[":
            return self._array(pos, pointer)
        number = _NUMBER.match(text, pos)
        if number:
            integer, fraction, exponent = number.groups()
            if fraction or exponent:
                return float(number.group()), number.end()
            return int(integer), number.end()
        for word, constant in _LITERALS.items():
            if text.startswith(word, pos):
                return constant, pos + len(word)
        for word, number_value in _NON_STANDARD.items():
            if text.startswith(word, pos):
                position = self.doc.lines.position(pos)
                self.doc.non_standard.append(NonStandardNumber(pointer, word, position))
                return number_value, pos + len(word)
        self._fail(f"expected a JSON value, found {self._describe(pos)}", pos)

    def _string(self, pos: int) -> tuple[str, int]:
        try:
            return _scanstring(self.text, pos + 1, True)
        except ValueError as exc:  # JSONDecodeError: unterminated string, bad escape, ...
            offset = getattr(exc, "pos", pos)
            message = str(getattr(exc, "msg", "invalid string")).removesuffix(" at")
            self._fail(message[0].lower() + message[1:], offset)

    def _object(self, pos: int, pointer: str) -> tuple[object, int]:
        text = self.text
        result: dict[str, object] = {}
        pos = self._skip(pos + 1)
        if text.startswith("}", pos):
            return result, pos + 1
        first_seen: dict[str, int] = {}
        while True:
            if not text.startswith('"', pos):
                if text.startswith("}", pos):
                    self._fail("trailing comma before '}'", self._comma_before(pos))
                self._fail(f"expected a key in double quotes, found {self._describe(pos)}", pos)
            key_pos = pos
            key, pos = self._string(pos)
            member = f"{pointer}/{_escape(key)}"
            if key in first_seen:
                self._duplicate(member, key, key_pos, first_seen[key])
            else:
                first_seen[key] = key_pos
            self.keys[member] = key_pos
            pos = self._skip(pos)
            if not text.startswith(":", pos):
                found = self._describe(pos)
                self._fail(f"expected ':' after key {json.dumps(key)}, found {found}", pos)
            result[key], pos = self._value(self._skip(pos + 1), member)
            pos = self._skip(pos)
            if text.startswith(",", pos):
                pos = self._skip(pos + 1)
            elif text.startswith("}", pos):
                return result, pos + 1
            else:
                self._fail(f"expected ',' or '}}', found {self._describe(pos)}", pos)

    def _array(self, pos: int, pointer: str) -> tuple[object, int]:
        text = self.text
        result: list[object] = []
        pos = self._skip(pos + 1)
        if text.startswith("]", pos):
            return result, pos + 1
        while True:
            if text.startswith("]", pos):
                self._fail("trailing comma before ']'", self._comma_before(pos))
            item, pos = self._value(pos, f"{pointer}/{len(result)}")
            result.append(item)
            pos = self._skip(pos)
            if text.startswith(",", pos):
                pos = self._skip(pos + 1)
            elif text.startswith("]", pos):
                return result, pos + 1
            else:
                self._fail(f"expected ',' or ']', found {self._describe(pos)}", pos)

    # --- helpers --------------------------------------------------------------------------

    def _skip(self, pos: int) -> int:
        if self.text[pos : pos + 1] not in _WS_CHARS:
            return pos  # most tokens follow no whitespace: skip the regex call
        match = _WS.match(self.text, pos)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def _duplicate(self, member: str, key: str, offset: int, first: int) -> None:
        # The last value wins: forget the positions inside the value it replaces.
        for table in (self.values, self.keys):
            for stale in [p for p in table if p.startswith(member + "/")]:
                del table[stale]
        lines = self.doc.lines
        self.doc.duplicates.append(
            DuplicateKey(member, key, lines.position(offset), lines.position(first))
        )

    def _comma_before(self, pos: int) -> int:
        return self.text.rfind(",", 0, pos)

    def _describe(self, pos: int) -> str:
        if pos >= len(self.text):
            return "the end of the file"
        word = _BAREWORD.match(self.text, pos)
        if word:
            return f"'{word.group()}'"
        return repr(self.text[pos])

    def _fail(self, message: str, offset: int) -> NoReturn:
        raise JSONSyntaxError(message, self.doc.lines.position(offset))
