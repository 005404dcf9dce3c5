"""Reading JSON documents from files and lines, bounded, with every problem placed.

`lint` and `register` read through here, so the same broken input gets the same words from
both. `positions` is the position-tracking parser that places what the fast stdlib parser
only detects.
"""

from __future__ import annotations

from model_conformance.json_reader.document import (
    MAX_BYTES,
    NotRegularFile,
    TooLarge,
    format_size,
    os_reason,
    parse_json_document,
    parse_size,
    read_bytes,
    read_json_document,
)

__all__ = [
    "MAX_BYTES",
    "NotRegularFile",
    "TooLarge",
    "format_size",
    "os_reason",
    "parse_json_document",
    "parse_size",
    "read_bytes",
    "read_json_document",
]
