"""What a JSON text would cost in memory once parsed into Python objects, estimated from the
text alone, before it is parsed (MC311).

A JSON text of tiny values parses into many times its size: `[{"a":1},...]` costs 25 times
its bytes, `[[],[],...]` 25 times, because every dict, list, float or string is an object of
its own. The estimate counts what would become an object, outside string literals, with
C-speed passes (`str.replace`, `str.split`, `str.count`) over chunks of the text: no Python
loop per character or per value, and a chunk's worth of memory whatever the text holds. It
errs on the high side: each constant below is at least what CPython 3.11 (64-bit, pymalloc)
was measured to spend.
"""

from __future__ import annotations

import re
import sys
from itertools import compress, repeat
from typing import NamedTuple

# Bytes per thing, each at least what was measured (peak RSS of the stdlib parser with this
# reader's hooks, docs/reliability.md) on a text made of nothing else:
_SLOT = 20  # a pointer in a list (8), over-allocated by 1/8, twice while a growing list moves
_LIST = 96  # a list: the object (56, rounded to 64) and its first item array (32)
_DICT = 192  # a dict of up to 5 keys: the object (64) and its keys table (120, rounded)
_EMPTY = 80  # `{}` or `[]`: the bare object (64) and its slot, no table or item array
# Each key: its pair, a 2-tuple (64) with its pointer in the pairs list the object_pairs_hook
# receives (both alive until the dict is built), and its entry in a dict that outgrew 5
# keys, with the slack of a table just grown (48).
_KEY = 120
# A key met for the first time: its str object (49 + its characters, rounded: 64) and its
# entry in the parser's memo of keys (48), which makes a repeated key cost nothing more.
_NEW_KEY = 112
_STRING = 64  # a string value (never shared): the str object (49, rounded) less its characters
_WIDE = 32  # more for a str of 2- or 4-byte characters: its header is 72, not 48
_NUMBER = 32  # a float, or an int outside CPython's cache of -5..256 (24-28, rounded)

_CHUNK = 1 << 17  # text scanned at a time: bounds the passes' own copies and lists
_NEW_KEYS_SEEN = 1 << 16  # distinct keys remembered; past this every key counts as new
_NUMBER_CHARS = b"0123456789-"


class Cost(NamedTuple):
    """What the text would become: how many values (keys aside), and the bytes they are
    estimated to cost."""

    values: int
    bytes: int


def parse_cost(text: str) -> Cost:
    """The estimated memory of `json.loads(text)` (with this reader's hooks), in bytes."""
    # Characters of a str cost what the text's own do (1, 2 or 4 bytes): no string parsed
    # from the text is wider than the text, unless an escape makes it so: \u00e9 keeps one
    # byte, \u0100 to \uffff take two, a surrogate pair (\ud83d\ude00) four.
    width = 1 if text.isascii() else max(1, sys.getsizeof(text) // (len(text) + 1))
    if width < 4 and "\\u" in text:
        if _ASTRAL_ESCAPE.search(text):
            width = 4
        elif width < 2 and _WIDE_ESCAPE.search(text):
            width = 2
    counts = _Counts()
    pos, end = 0, len(text)
    while pos < end:
        stop = min(end, pos + _CHUNK)
        if stop < end and text[stop - 1] == "\\":
            # An escape is never cut in two: the chunk ends past the run of backslashes and
            # the character after it (one regex call, however long the run).
            stop = min(end, _BACKSLASHES.match(text, stop).end() + 1)  # type: ignore[union-attr]
        counts.chunk(text[pos:stop])
        pos = stop
    return counts.cost(width, ascii_text=text.isascii())


_ASTRAL_ESCAPE = re.compile(r"\\u[dD][89abAB]")  # a high surrogate: a character past U+FFFF
_WIDE_ESCAPE = re.compile(r"\\u(?:0[1-9a-fA-F]|[1-9a-fA-F])")  # U+0100 and up
_BACKSLASHES = re.compile(r"\\*")


class _Counts:
    """Running counts over the chunks; `inside` is whether a chunk starts inside a string."""

    def __init__(self) -> None:
        self.inside = False
        self.dicts = self.lists = self.empty_dicts = self.empty_lists = self.commas = 0
        self.quotes = self.characters = self.keys = self.new_keys = 0
        self.literals = self.number_chars = 0
        self.seen: set[int] = set()  # hashes of the keys met so far (at most _NEW_KEYS_SEEN)

    def chunk(self, chunk: str) -> None:
        # Escapes made harmless, a quote is where a string starts or ends: what the split
        # gives is, alternately, text outside strings and the characters of a string.
        if "\\" in chunk:  # one memchr-speed look spares two searches, mostly
            chunk = chunk.replace("\\\\", "__").replace('\\"', "__")
        parts = chunk.split('"')
        if self.inside:  # the first part ends a string begun in an earlier chunk: cut
            strings, outside = parts[2::2], parts[1::2]
        else:
            strings, outside = parts[1::2], parts[0::2]
        following = outside[1:]
        self.inside ^= len(parts) % 2 == 0  # an odd number of quotes
        self.quotes += len(parts) - 1
        bare = "".join(outside)
        self.characters += len(chunk) - len(bare) - (len(parts) - 1)
        dicts, lists = bare.count("{"), bare.count("[")
        self.dicts += dicts
        self.lists += lists
        self.empty_dicts += bare.count("{}") if dicts else 0
        self.empty_lists += bare.count("[]") if lists else 0
        self.commas += bare.count(",")
        colons = bare.count(":")
        self.keys += colons
        # A key is a string followed by its colon (`"a": 1`, as json.dumps writes it); one
        # written `"a" : 1`, or cut by a chunk's end, counts as new.
        keys = list(compress(strings, map(str.startswith, following, repeat(":"))))
        self.new_keys += colons - len(keys) + self._new(keys)
        if "l" in bare or "u" in bare:  # true, false and null have one or the other
            self.literals += bare.count("true") + bare.count("false") + bare.count("null")
        # One C pass for eleven characters (str.count would take eleven).
        ascii_bare = bare.encode("utf-8", "surrogatepass")
        self.number_chars += len(ascii_bare) - len(ascii_bare.translate(None, _NUMBER_CHARS))

    def _new(self, keys: list[str]) -> int:
        if len(self.seen) >= _NEW_KEYS_SEEN:
            return len(keys)
        before = len(self.seen)
        self.seen.update(map(hash, keys))
        return len(self.seen) - before

    def cost(self, width: int, ascii_text: bool = True) -> Cost:
        # Any str with a character past ASCII has the longer header, Latin-1 ones included.
        wide = 0 if width == 1 and ascii_text else _WIDE
        containers = self.dicts + self.lists
        # Every value but the first of a container follows a comma; the first of each
        # container and the top-level value do not. A key's value is one of them.
        values = self.commas + containers + 1
        scalars = max(0, values - containers)
        strings = (self.quotes + 1) // 2
        value_strings = max(0, strings - self.keys)
        numbers = max(0, scalars - value_strings - self.literals)
        # A number that allocates (a float; an int past 256 or below -5) is written with at
        # least two of the characters 0-9 and '-': 0.1, 1e5, 257, -6.
        numbers = min(numbers, self.number_chars // 2)
        estimate = (
            values * _SLOT
            + self.lists * _LIST
            - self.empty_lists * (_LIST - _EMPTY)
            + self.dicts * _DICT
            - self.empty_dicts * (_DICT - _EMPTY)
            + self.keys * _KEY
            + self.new_keys * (_NEW_KEY + wide)
            + value_strings * (_STRING + wide)
            + self.characters * width
            + numbers * _NUMBER
        )
        return Cost(values=values, bytes=estimate)
