"""Read one metadata file as JSON, or say why it is not a metadata document: MC301-MC311.

`lint` and `register` both read files through here, so the same broken file gets the same
words from both. Only the standard library, the rule catalogue and the position-tracking
parser are imported: no validator, no click, no database. Every problem is a `Violation`
placed at a `FileSpan`.

The common case is a good file, so that path stays cheap: bytes -> text -> stdlib
`json.loads` (C). Only when something is wrong is the text parsed a second time by the
position-tracking reader, to give each problem its line and column.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from model_conformance._engine_input import DIGIT_LIMIT
from model_conformance.codes import violation
from model_conformance.json_reader.cost import parse_cost
from model_conformance.json_reader.positions import (
    LineIndex,
    ParsedDocument,
    Position,
    locate_pointers,
    parse,
    syntax_error,
)
from model_conformance.violations import FileSpan, Violation, as_json

_UTF8_BOM = b"\xef\xbb\xbf"
_BOM_FIRST_BYTES = frozenset([b"\xef", b"\xff", b"\xfe", b"\x00"])
_OTHER_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_BOM_MESSAGE = "the file starts with a UTF-8 byte-order mark; remove it"
_START = Position(1, 1)


def placed(display: str, position: Position, found: Violation) -> Violation:
    """`found`, placed at `position` in the file named `display`."""
    return found.at(FileSpan(display, position.line, position.column))


def file_order(found: Violation) -> tuple[int, int]:
    """Where a placed violation is, for sorting in file order."""
    where = found.where
    return (where.line, where.column) if isinstance(where, FileSpan) else (0, 0)


def read_json_document(
    path: str | Path, limit: int | None = None
) -> tuple[dict[str, Any] | None, list[Violation]]:
    """The metadata object in the file at `path`, and the file-level findings, in file order.

    The object is None when the file holds none: it cannot be read (MC308), is not UTF-8
    (MC305), is empty (MC306), is not JSON (MC301) or holds another JSON value (MC307); the
    findings then say why. With an object, the findings are those that do not stop it from
    being used: a byte-order mark (MC304), a duplicate key (MC302, the last value is kept,
    as `json.loads` does), NaN or Infinity (MC303). Findings name the file as `path` is spelled.
    """
    display = os.fspath(path)
    return document_of(display, load(display, limit))


def parse_json_document(
    text: str, name: str, first_line: int = 1
) -> tuple[dict[str, Any] | None, list[Violation]]:
    """`read_json_document` for text already in hand (a line of JSON Lines, say); `name` is
    what the findings call it, and `text` starts at line `first_line` of it."""
    found: list[Violation] = []
    if text.startswith("\ufeff"):
        found = _at(name, _START, "MC304", _BOM_MESSAGE)
        text = text[1:]
    doc, found = document_of(name, load_text(name, text, found))
    if first_line != 1:
        found = [_moved(v, first_line - 1) for v in found]
    return doc, found


def _moved(found: Violation, lines: int) -> Violation:
    where = found.where
    assert isinstance(where, FileSpan)
    return found.at(where._replace(line=where.line + lines))


class Loaded(NamedTuple):
    """Text that parsed as JSON, before anything is placed."""

    text: str
    value: object
    findings: list[Violation]  # found before parsing (a byte-order mark)
    suspicious: bool  # duplicate keys or NaN/Infinity: only the full walk can place them
    duplicate: str | None = None  # the first duplicate key the stdlib parser met
    constant: str | None = None  # the first NaN or Infinity it met


def load(display: str, limit: int | None = None) -> Loaded | list[Violation]:
    """The file parsed by the fast stdlib parser, or the findings that say why it cannot be."""
    try:
        data = read_bytes(display, MAX_BYTES if limit is None else limit)
    except NotRegularFile as exc:
        return _at(display, _START, "MC309", str(exc))
    except TooLarge as exc:
        return _at(display, _START, "MC310", str(exc))
    except OSError as exc:
        return _at(display, _START, "MC308", f"cannot read the file: {os_reason(exc)}")
    except ValueError:  # os.open: "embedded null byte"; only a caller of the API can pass one
        return _at(display, _START, "MC308", "cannot read the file: its name holds a NUL byte")

    found: list[Violation] = []
    if data[:1] in _BOM_FIRST_BYTES:  # one check on the fast path instead of five
        for bom, encoding in _OTHER_BOMS.items():
            if data.startswith(bom):
                return _at(display, _START, "MC305", f"the file is {encoding}; save it as UTF-8")
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
            found += _at(display, _START, "MC304", _BOM_MESSAGE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = (
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} cannot start or continue a "
            "UTF-8 character"
        )
        return found + _at(display, _byte_position(data, exc.start), "MC305", message)
    del data  # the text is what is parsed: its bytes are not held beside it
    return load_text(display, text, found)


def load_text(display: str, text: str, found: list[Violation]) -> Loaded | list[Violation]:
    if not text.strip(" \t\n\r"):
        message = "the file is empty; a metadata file holds a JSON object"
        return found + _at(display, _START, "MC306", message)
    if len(text) > _COSTLY:
        refused = _too_costly(display, text)
        if refused:
            return found + refused
    _FLAGS.reset()
    try:
        value = _load(text)
    except json.JSONDecodeError as exc:
        return found + _syntax_error(display, text, exc)
    except RecursionError:
        message = (
            "the document is nested too deeply to be read (Python's JSON parser stops short of "
            "1,000 levels): flatten it"
        )
        return found + _at(display, _START, "MC110", message)
    except ValueError:  # Python's limit on the digits of an integer (4,300)
        return found + _at(display, _long_integer(text), "MC109", _LONG_INTEGER)
    if _FLAGS.long_number:  # rare: the parser saw a number literal of 100 digits or more
        found = found + _rounded_numbers(display, text)
    return Loaded(text, value, found, _FLAGS.suspicious, _FLAGS.duplicate, _FLAGS.constant_token)


# Parsed, a text costs up to 48 times its size (`[[[1]]]...`, measured): up to this size that
# stays within the constant of the memory bound, so smaller texts are not estimated at all.
_COSTLY = 1024 * 1024
_ALLOWED_PER_BYTE = 4  # the bound: 4 times the input, the text itself included
_ALLOWED_ABOVE = 64 * 1024 * 1024


def _too_costly(display: str, text: str) -> list[Violation]:
    """MC311 if `text` parsed would take more memory than the bound allows, before it is."""
    cost = parse_cost(text)
    size = len(text)  # characters: at most its bytes, so the bound errs strict
    # What the text itself takes comes off the allowance: its size for ASCII, up to 4 times
    # that when one character is past U+FFFF (Python then stores every one in 4 bytes).
    allowed = _ALLOWED_PER_BYTE * size + _ALLOWED_ABOVE - sys.getsizeof(text)
    if cost.bytes <= allowed:
        return []
    message = (
        f"parsed, this document of {_mib(size)} would take about {_mib(cost.bytes)} of memory "
        f"({cost.values:,} values), more than 4 times its size plus 64 MiB: not parsed; split "
        "it, or keep large arrays in an artifact rather than in metadata"
    )
    return _at(display, _START, "MC311", message)


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


# A number literal with this many digits is no measurement: a double keeps 17, so it would
# silently read as something else (0.999... with 5,000 nines reads as 1.0).
_MANY_DIGITS = 100
_LONG_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def _rounded_numbers(display: str, text: str) -> list[Violation]:
    found: list[Violation] = []
    lines = LineIndex(text)
    for match in _LONG_FLOAT.finditer(text):
        literal = match.group()
        digits = sum(ch.isdigit() for ch in literal)
        if digits < _MANY_DIGITS or not any(ch in literal for ch in ".eE"):
            continue
        if not _is_number_token(text, match.start(), match.end()):
            continue  # digits inside a string or a key: no number
        message = (
            f"a number written with {digits} digits reads as {float(literal)!r}: a double "
            "keeps 17; write the value it really is"
        )
        found += _at(display, lines.position(match.start()), "MC109", message)
        if len(found) >= 20:
            break
    return found


def _is_number_token(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands where a JSON value does: after `:`, `[` or `,` (or at
    the start) and before `,`, `]`, `}` (or the end), whitespace aside. Digits quoted in a
    string or a key are not."""
    before = text[max(0, start - 256) : start].rstrip(" \t\n\r")[-1:]  # bounded: no copy
    after = text[end : end + 256].lstrip(" \t\n\r")[:1]  # of the whole text per number
    return before in ("", ":", "[", ",") and after in ("", ",", "]", "}")


_LONG_INTEGER = (
    f"an integer of more than {DIGIT_LIMIT} digits cannot be read as a number: store it as "
    "a string, or check the value"
)
_DIGITS = re.compile(rf"-?\d{{{DIGIT_LIMIT + 1},}}")


def _long_integer(text: str) -> Position:
    """Where the first integer too long to read starts (1:1 if it cannot be found)."""
    match = _DIGITS.search(text)
    return _START if match is None else LineIndex(text).position(match.start())


def positions(loaded: Loaded, only: Iterable[str]) -> ParsedDocument:
    """Where things are in `loaded`: everything if it is suspicious, else just the way to
    the JSON Pointers in `only` (cheaper)."""
    only = list(only)
    # A key with a lone surrogate is named with U+FFFD (see _engine_input): only the full
    # walk learns how the text spells it.
    whole = loaded.suspicious or any("\ufffd" in pointer for pointer in only)
    try:
        # The full walk keeps a position per value: only for texts of moderate size.
        if whole and len(loaded.text) <= _EXPLAINED:
            return parse(loaded.text)
        return locate_pointers(loaded.text, loaded.value, only)
    except (RecursionError, ValueError):  # JSONSyntaxError is a ValueError
        return ParsedDocument(loaded.value, loaded.text)  # the readers disagree: all at 1:1


def placed_findings(display: str, loaded: Loaded, doc: ParsedDocument) -> list[Violation]:
    """The file-level findings that need positions: duplicate keys, NaN, a non-object."""
    out = list(loaded.findings)
    if loaded.suspicious and len(loaded.text) > _EXPLAINED:
        out += _unplaced(display, loaded)
    for dup in doc.duplicates:
        message = (
            f"duplicate key {as_json(dup.key)} (first at line {dup.first.line}, column "
            f"{dup.first.column}); JSON readers disagree on which value wins"
        )
        out.append(placed(display, dup.position, violation("MC302", message, dup.pointer)))
    for number in doc.non_standard:
        message = f"{number.token} is not a JSON number; write a finite number or null"
        out.append(placed(display, number.position, violation("MC303", message, number.pointer)))
    if not isinstance(loaded.value, dict):
        message = f"the top-level value is {_kind(loaded.value)}; model metadata is a JSON object"
        out += _at(display, doc.locate(""), "MC307", message)
    return out


def _unplaced(display: str, loaded: Loaded) -> list[Violation]:
    """Duplicate keys and NaN in a text too large to walk for positions: said once each,
    at 1:1, with the first one the parser met."""
    out = []
    untracked = "in a file over 1 MiB their places are not tracked"
    if loaded.duplicate is not None:
        message = (
            f"duplicate key {as_json(loaded.duplicate)} (and perhaps others; {untracked}); "
            "JSON readers disagree on which value wins"
        )
        out += _at(display, _START, "MC302", message)
    if loaded.constant is not None:
        message = (
            f"{loaded.constant} is not a JSON number (and perhaps others; {untracked}); "
            "write a finite number or null"
        )
        out += _at(display, _START, "MC303", message)
    return out


def document_of(
    display: str, loaded: Loaded | list[Violation]
) -> tuple[dict[str, Any] | None, list[Violation]]:
    """What `read_json_document` says of text already loaded (`load`): the object, if the
    text holds one, and the file-level findings."""
    if isinstance(loaded, list):
        return None, loaded
    value = loaded.value if isinstance(loaded.value, dict) else None
    if value is not None and not (loaded.suspicious or loaded.findings):
        return value, []
    found = placed_findings(display, loaded, positions(loaded, ()))
    return value, sorted(found, key=file_order)


def _at(display: str, position: Position, code: str, message: str) -> list[Violation]:
    return [placed(display, position, violation(code, message))]


class _Flags:
    """stdlib-parser hooks that notice what `lint` must report but `json.loads` accepts."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.suspicious = False
        self.duplicate: str | None = None
        self.constant_token: str | None = None
        self.long_number = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.suspicious = True
            if self.duplicate is None:
                seen: set[str] = set()
                for key, _ in pairs:
                    if key in seen:
                        self.duplicate = key
                        break
                    seen.add(key)
        return result

    def number(self, literal: str) -> float:
        """A number with a fraction or exponent (integers are exact whatever their length).
        Cheaper than searching the text for long runs of digits: 20 us a kilobyte."""
        if len(literal) >= _MANY_DIGITS:
            self.long_number = True
        return float(literal)

    def constant(self, token: str) -> float:
        self.suspicious = True
        if self.constant_token is None:
            self.constant_token = token
        return float(token)


# One decoder for all files (json.loads would build one per call); its hooks set the flag.
_FLAGS = _Flags()
_DECODER = json.JSONDecoder(
    object_pairs_hook=_FLAGS.pairs, parse_constant=_FLAGS.constant, parse_float=_FLAGS.number
)
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


def _syntax_error(display: str, text: str, exc: json.JSONDecodeError) -> list[Violation]:
    # The reader explains more plainly ("trailing comma before '}'"); the stdlib error is
    # the fallback should the two ever disagree about whether the text is JSON. The reader
    # keeps a position for every value it passes, so past _EXPLAINED bytes (a broken list
    # of millions of numbers) the stdlib's words are used: memory stays near the input's size.
    stdlib = exc.msg[0].lower() + exc.msg[1:], Position(exc.lineno, exc.colno)
    if len(text) > _EXPLAINED:
        message, position = stdlib
    else:
        error = syntax_error(text)
        message, position = (error.message, error.position) if error else stdlib
    return _at(display, position, "MC301", f"not valid JSON: {message}")


MAX_BYTES = 64 * 1024 * 1024  # a metadata document is kilobytes; past this it is not one
_EXPLAINED = 1024 * 1024  # syntax errors in texts up to this size get the reader's words


class NotRegularFile(OSError):
    """A FIFO, a device or a socket: reading it could block forever or never end."""


class TooLarge(OSError):
    """Larger than MAX_BYTES: refused before (or while) it is read, so memory stays bounded."""


def read_bytes(path: str, limit: int = MAX_BYTES) -> bytes:
    """The whole file: `open(path, "rb").read()` without the file objects, which cost more
    than the reading when there are thousands of small files. The same OSErrors, and only
    regular files of at most `limit` bytes."""
    # Non-blocking: opening a FIFO nobody writes to would otherwise wait forever.
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened at all: say what it is
            _refuse_special(os.stat(path).st_mode)
        raise
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        _refuse_special(mode.st_mode)
        if mode.st_size > limit:
            raise TooLarge(_too_large(limit))
        data = os.read(fd, _CHUNK)
        more = os.read(fd, _CHUNK) if data else b""  # a small file ends at the second read
        if more:
            chunks = [data, more]
            size = len(data) + len(more)
            while more:
                more = os.read(fd, _CHUNK)
                chunks.append(more)
                size += len(more)
                if size > limit:  # it grew while being read
                    raise TooLarge(_too_large(limit))
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data


def _refuse_special(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFile(
            f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'special file')}): "
            "skipped; only regular files are read"
        )


def _too_large(limit: int) -> str:
    return f"larger than {format_size(limit)}: not read; a metadata file is far smaller"


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2}
_UNITS |= {"mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3}
_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """`64MiB`, `200 MB`, `1048576` -> bytes; ValueError with a sentence otherwise."""
    match = _SIZE.fullmatch(text)
    unit = _UNITS.get(match[2].lower()) if match else None
    if match is None or unit is None or int(match[1]) == 0:
        raise ValueError(
            f"{text!r} is not a size: write a positive number of bytes, or one with a unit "
            "(KiB, MiB, GiB, or kB, MB, GB), e.g. 64MiB"
        )
    size = int(match[1]) * unit
    if size > _LARGEST:
        raise ValueError(f"{text!r} is larger than any input can be read whole (at most 1 TiB)")
    return size


_LARGEST = 1 << 40


def format_size(size: int) -> str:
    """The size in the largest binary unit that divides it: 64 MiB, 1500 bytes."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_CHUNK = 1 << 16
# Bytes as they are, on Windows too; never block on a FIFO's open.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Position(data.count(b"\n", 0, offset) + 1, column)


def os_reason(exc: OSError) -> str:
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
