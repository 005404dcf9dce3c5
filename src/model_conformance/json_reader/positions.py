"""A JSON reader that remembers where every value and key starts.

The stdlib parser is fast but forgets positions; this one is slow but remembers them. `lint`
parses with the stdlib first and comes here only when it has something to report, so valid
files never pay for position tracking; when all it has to place are the validator's JSON
Pointers, `locate_pointers` looks only along the way to them. Lines and columns are 1-based;
columns count characters (code points), which is what editors show.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import NamedTuple, NoReturn

from model_conformance._engine_input import engine_spelling

# The stdlib's (C) string scanner: decodes escapes exactly as json.loads does.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_skim: Callable[[str, int], tuple[object, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_WS_CHARS = frozenset(" \t\n\r")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # ASCII digits: JSON's
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}
_NON_STANDARD: dict[str, float] = {
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
# What a stray word most likely meant, for the parse-error message.
_BAREWORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Between the tokens of an object or array: a key's ':', and what follows a member or item
# (',' and the space after it, or the closing bracket), each with the space before it.
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_OBJECT_NEXT = re.compile(r"[ \t\n\r]*(?:,[ \t\n\r]*|(\}))")
_ARRAY_NEXT = re.compile(r"[ \t\n\r]*(?:,[ \t\n\r]*|(\]))")
# For walking text already known to be JSON: a member's key up to its value; and from a
# value to the next key or item, reading the value too when it is a scalar (no match at the
# end of the container, or when the value is an object or an array).
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_SCALAR = rf"(?:{_STRING}|-?[0-9][-+.0-9eE]*|true|false|null)"
_KEY = re.compile(rf"[ \t\n\r]*({_STRING})[ \t\n\r]*:[ \t\n\r]*")
_NEXT_KEY = re.compile(rf"{_SCALAR}?[ \t\n\r]*,[ \t\n\r]*({_STRING})[ \t\n\r]*:[ \t\n\r]*")
_NEXT_ITEM = re.compile(rf"{_SCALAR}?[ \t\n\r]*,[ \t\n\r]*")


# Named tuples, not frozen dataclasses: as immutable and ordered, and a tenth of the cost to
# define, which every `lint` pays at start-up.
class Position(NamedTuple):
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class DuplicateKey(NamedTuple):
    pointer: str  # pointer of the repeated member
    key: str
    position: Position  # the repeated key
    first: Position  # where the key first appeared


class NonStandardNumber(NamedTuple):
    pointer: str
    token: str  # NaN, Infinity or -Infinity
    position: Position


class LineIndex:
    """Turns character offsets into (line, column).

    The text is cut into blocks of `_BLOCK` characters, and each block start remembers how
    many line breaks come before it and where the last one is: a position is then counted
    within one block (C speed). A file smaller than a block costs nothing to index.
    """

    _BLOCK = 4096

    def __init__(self, text: str) -> None:
        self._text = text
        self._breaks = [0]  # line breaks before each block
        self._last = [-1]  # the last line break before each block, -1 for none
        for start in range(self._BLOCK, len(text) + 1, self._BLOCK):
            previous = start - self._BLOCK
            self._breaks.append(self._breaks[-1] + text.count("\n", previous, start))
            last = text.rfind("\n", previous, start)
            self._last.append(last if last >= 0 else self._last[-1])

    def position(self, offset: int) -> Position:
        block = min(offset // self._BLOCK, len(self._breaks) - 1)
        start = block * self._BLOCK
        text = self._text
        line = self._breaks[block] + text.count("\n", start, offset) + 1
        last = text.rfind("\n", start, offset)
        return Position(line, offset - (last if last >= 0 else self._last[block]))


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
        if "\ufffd" in pointer and pointer not in self.value_offsets:
            pointer = self._as_written(pointer)
        if key and pointer in self.key_offsets:
            return self.lines.position(self.key_offsets[pointer])
        while pointer not in self.value_offsets and pointer:
            pointer = pointer[: pointer.rfind("/")]
        return self.lines.position(self.value_offsets.get(pointer, 0))

    def _as_written(self, pointer: str) -> str:
        """The pointer as the text spells it, for one that names a key with a lone
        surrogate the way the validator does (each surrogate as U+FFFD); else `pointer`."""
        # `pointer` itself is not among them, so only a key with a surrogate can match.
        for written in self.value_offsets:
            if engine_spelling(written) == pointer:
                return written
        return pointer


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


def syntax_error(text: str) -> JSONSyntaxError | None:
    """What is wrong with a text the stdlib parser refused, in this reader's words, or None
    if this reader finds nothing wrong.

    Only the values that hold the error are walked in Python: each container is first tried
    with the stdlib's C scanner, and walked only if it fails there, so a trailing comma at
    the end of a 1 KB document costs a tenth of a full walk. Nothing is recorded. A list
    nested 500 to 1,000 deep, which the C scanner reads and the walk cannot follow, is
    therefore not reported as "nested too deeply": the error is worded where the stdlib
    parser found it.
    """
    reader = _Reader(text)
    reader.skim_valid = True
    try:
        reader.read()
    except JSONSyntaxError as error:
        return error
    return None


def locate_pointers(text: str, value: object, pointers: Iterable[str]) -> ParsedDocument:
    """`parse(text, only=pointers)`, found faster: `locate` gives the same answers.

    For text already known to be JSON (`value` is what it parses to) with nothing to flag
    (no duplicate key, no NaN). Only the way to each pointer is looked at: member by member
    along that way, every value off it skipped by the stdlib's C scanner, nothing recorded
    but the pointer's own ancestors, keys and values. Very deep text goes to `parse`, so that
    running out of stack ends the same way it always has.
    """
    if not _shallow(text):
        doc = parse(text, pointers)
        doc.value = value
        return doc
    doc = ParsedDocument(value, text)
    finder = _Finder(text, doc)
    for pointer in pointers:
        finder.find(pointer)
    return doc


def _shallow(text: str) -> bool:
    """Too few brackets for any reader to run out of stack (it keeps two frames a level)."""
    return text.count("{") + text.count("[") <= sys.getrecursionlimit() // 4


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.doc = ParsedDocument(None, text)
        self.values = self.doc.value_offsets
        self.keys = self.doc.key_offsets
        self.ancestors: set[str] | None = None  # walk only into these values, if set
        self.skim_valid = False  # skip each container the C scanner reads (syntax_error)

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
        if self.skim_valid and (char == "{" or char == "["):
            try:
                return _skim(text, pos)
            except (StopIteration, ValueError, RecursionError):
                pass  # the error is inside: walk into it to word it
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
        keys = self.keys
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
            keys[member] = key_pos
            colon = _COLON.match(text, pos)  # the ':' and the space around it, in one step
            if colon is None:
                pos = self._skip(pos)
                found = self._describe(pos)
                self._fail(f"expected ':' after key {json.dumps(key)}, found {found}", pos)
            result[key], pos = self._value(colon.end(), member)
            after = _OBJECT_NEXT.match(text, pos)
            if after is None:
                pos = self._skip(pos)
                self._fail(f"expected ',' or '}}', found {self._describe(pos)}", pos)
            if after.group(1):
                return result, after.end()
            pos = after.end()

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
            after = _ARRAY_NEXT.match(text, pos)
            if after is None:
                pos = self._skip(pos)
                self._fail(f"expected ',' or ']', found {self._describe(pos)}", pos)
            if after.group(1):
                return result, after.end()
            pos = after.end()

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


class _Finder:
    """Walks text known to be JSON, with no duplicate keys, down to JSON Pointers."""

    def __init__(self, text: str, doc: ParsedDocument) -> None:
        self.text = text
        self.values = doc.value_offsets
        self.keys = doc.key_offsets
        self.values[""] = _skip_ws(text, 0)

    def find(self, pointer: str) -> None:
        """Record where each ancestor of `pointer` and `pointer` itself are, as far as they
        exist (the way `parse` records them): members' keys and values, items' values."""
        values = self.values
        if pointer in values or not pointer.startswith("/"):
            return
        text = self.text
        found, pos = "", values[""]
        for token in pointer[1:].split("/"):
            member = f"{found}/{token}"
            if member in values:  # on the way to an earlier pointer
                found, pos = member, values[member]
                continue
            char = text[pos : pos + 1]
            if char == "{":
                at = self._member(pos, token)
                if at is None:
                    return
                self.keys[member], pos = at
            elif char == "[":
                item_pos = self._item(pos, token)
                if item_pos is None:
                    return
                pos = item_pos
            else:
                return  # a scalar has nothing inside
            values[member] = pos
            found = member

    def _member(self, pos: int, token: str) -> tuple[int, int] | None:
        """Where the key and the value of member `token` (escaped) of the object at `pos`
        start."""
        key = token.replace("~1", "/").replace("~0", "~") if "~" in token else token
        if _escape(key) != token:
            return None  # not a key's escaped form: `parse` records no such pointer
        quoted = f'"{key}"'  # equals the key as written exactly when that has no escapes
        text = self.text
        match = _KEY.match(text, pos + 1)  # None for an empty object
        while match is not None:
            raw = match.group(1)
            if raw == quoted or (
                "\\" in raw and _scanstring(text, match.start(1) + 1, True)[0] == key
            ):
                return match.start(1), match.end()
            match = self._past(_NEXT_KEY, match.end())
        return None

    def _item(self, pos: int, token: str) -> int | None:
        """Where item `token` of the array at `pos` starts."""
        if not (token.isascii() and token.isdigit()) or (token[0] == "0" and token != "0"):
            return None  # not an index as `parse` writes them
        text = self.text
        pos = _skip_ws(text, pos + 1)
        if text[pos] == "]":
            return None
        for _ in range(int(token)):
            match = self._past(_NEXT_ITEM, pos)
            if match is None:
                return None
            pos = match.end()
        return pos

    def _past(self, after: re.Pattern[str], pos: int) -> re.Match[str] | None:
        """`after` matched past the value at `pos`: in one step for a scalar, else once the
        C scanner has skipped the value. None at the end of the container."""
        match = after.match(self.text, pos)
        if match is None:
            _, end = _skim(self.text, pos)
            match = after.match(self.text, end)
        return match


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
