"""JSON for scripts, written as the run goes: memory stays bounded however many subjects.

The document is the list of records (`Run.list_key` None), or an object whose `list_key`
member is that list and whose other members are the outcome's `fields`. Lone surrogates
from input are written as `\\uXXXX` escapes, so the output is always valid UTF-8 JSON.
"""

from __future__ import annotations

import json
from textwrap import indent
from typing import Any

from model_conformance.reporting.model import Outcome, Run, Subject
from model_conformance.violations import escape_surrogates


class JsonReporter:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._count = 0
        self._depth = "  " if run.list_key is None else "    "

    def subject(self, subject: Subject) -> None:
        for record in self.run.records(subject):
            head = self._open() if self._count == 0 else ",\n"
            self._count += 1
            self.run.out.write(head + indent(_dumps(record), self._depth))

    def finish(self, outcome: Outcome) -> None:
        out = self.run.out
        if self._count == 0:
            out.write(self._open().rstrip("\n"))
            close = "]"
        else:
            close = "\n" + self._depth[2:] + "]"
        if self.run.list_key is not None:
            members = "".join(
                f",\n  {_dumps(key)}: {indent(_dumps(value), '  ').lstrip()}"
                for key, value in outcome.fields.items()
            )
            close += members + "\n}"
        out.write(close + "\n")
        out.flush()

    def _open(self) -> str:
        if self.run.list_key is None:
            return "[\n"
        return "{\n  " + _dumps(self.run.list_key) + ": [\n"


def _dumps(value: Any) -> str:
    return escape_surrogates(json.dumps(value, indent=2, ensure_ascii=False))
