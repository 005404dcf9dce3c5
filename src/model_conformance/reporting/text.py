"""Text for people: one line per problem, blocks per subject, then the verdict.

Every value from input is written through `terminal_safe`, so no file name, id, key or
value can forge a line of output or reorder one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from model_conformance.reporting.model import Outcome, Run, Subject
from model_conformance.violations import TableCheck, Violation, terminal_safe

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


def wants_color(fmt: str, is_tty: bool, environ: Mapping[str, str]) -> bool:
    """Colour only plain text, only on a terminal, and never when NO_COLOR is set."""
    return fmt == "text" and is_tty and not environ.get("NO_COLOR")


class TextReporter:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._group: str | None = None  # the group of the last subject printed
        self._printed = False

    def subject(self, subject: Subject) -> None:
        lines = self._block(subject)
        if not lines:
            return
        if self._printed and subject.group != self._group:
            lines.insert(0, "")
        self._group = subject.group
        self._printed = True
        self.run.out.write("\n".join(lines) + "\n")

    def finish(self, outcome: Outcome) -> None:
        out = self.run.out
        for section in outcome.sections:
            if section:
                out.write(("\n" if self._printed else "") + _lines(section))
                self._printed = True
        verdict = self._paint(_DIM, terminal_safe(outcome.line))
        if self.run.verdict_to_stderr:
            self.run.err.write(verdict + "\n")
        else:
            out.write(("\n" if self._printed and outcome.verdict_apart else "") + verdict + "\n")
        out.flush()

    def _block(self, subject: Subject) -> list[str]:
        return block_lines(subject, bool(self.run.color))

    def _paint(self, style: str, text: str) -> str:
        return _paint(style, text, bool(self.run.color))


def block_lines(subject: Subject, color: bool = False) -> list[str]:
    """A subject's lines: its heading, notes and indented violations; without a heading,
    its violations alone, each with its location."""
    if subject.heading is None:
        return [violation_line(v, color) for v in subject.violations]
    lines = [terminal_safe(subject.heading)]
    lines += [terminal_safe(note) for note in subject.notes]
    if not subject.heading_says_it:
        lines += ["  " + violation_line(v, color) for v in subject.violations]
    return lines


def violation_line(violation: Violation, color: bool = False) -> str:
    """`location: CODE [warning] message`; a table-level check's block already names it."""
    code = _paint(_RED if violation.is_error else _YELLOW, violation.code, color)
    label = "" if violation.is_error else f" {_paint(_YELLOW, '[warning]', color)}"
    text = f"{code}{label} {terminal_safe(violation.message)}"
    if isinstance(violation.where, TableCheck):
        return text
    return f"{_paint(_BOLD, terminal_safe(violation.location), color)}: {text}"


def _paint(style: str, text: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _lines(section: Sequence[str]) -> str:
    return "".join(terminal_safe(line) + "\n" for line in section)
