"""What a command hands the reporters: the run, its subjects one by one, and its outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, TextIO

from model_conformance.violations import Violation

_NOTHING: Mapping[str, Any] = MappingProxyType({})  # one shared, read-only empty mapping


# Named tuples, not frozen dataclasses: as immutable, and a fifth of the cost to define,
# which every `lint` pays at start-up.
class Subject(NamedTuple):
    """One thing a command judged, and what it found.

    `heading` is the first line of its block in text ("<id>: registered"); without one, its
    violations are printed one a line with their locations, as lint prints them. `notes` are
    more lines of the block. `group` separates kinds of subjects (artifacts, then table-level
    checks) by a blank line in text. `data` is what the command's JSON records say beyond
    the violations. Everything here may come from input: reporters escape it.
    """

    name: str
    violations: Sequence[Violation] = ()
    heading: str | None = None
    notes: Sequence[str] = ()
    group: str = ""
    data: Mapping[str, Any] = _NOTHING  # the command's own JSON fields
    heading_says_it: bool = False  # text: the heading already words the violations

    @property
    def failed(self) -> bool:
        return any(v.is_error for v in self.violations)


class Outcome(NamedTuple):
    """How the run ended. `line` is the one-line verdict; `sections` are blocks of text shown
    before it, each after a blank line (`verdict_apart` puts one before `line` too);
    `fields` are the JSON document's members beside the list of records."""

    line: str
    sections: Sequence[Sequence[str]] = ()
    verdict_apart: bool = False
    fields: Mapping[str, Any] = _NOTHING


def _violation_records(subject: Subject) -> Iterable[Mapping[str, Any]]:
    return [v.to_dict() for v in subject.violations]


def data_record(subject: Subject) -> list[Mapping[str, Any]]:
    """The subject's own `data` as its one JSON record (a migration, a gate, an event)."""
    return [dict(subject.data)]


@dataclass(slots=True)
class Run:
    """One command's run: where output goes and how its JSON is shaped.

    `records` gives a subject's entries in the JSON list; `list_key` names that list in the
    JSON document (None: the document is the bare list). `verdict_to_stderr` sends the text
    verdict to stderr, where `register` keeps its count so that stdout stays per document.
    """

    command: str
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool | None = None  # None: colour text on a terminal unless NO_COLOR is set
    list_key: str | None = None
    records: Callable[[Subject], Iterable[Mapping[str, Any]]] = _violation_records
    verdict_to_stderr: bool = False


class Reporter(Protocol):
    """A format: takes the run's subjects in order, then its outcome, and writes them."""

    def __init__(self, run: Run) -> None: ...

    def subject(self, subject: Subject) -> None: ...

    def finish(self, outcome: Outcome) -> None: ...
