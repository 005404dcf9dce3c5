"""JUnit XML, for CI test reports: one test case per subject, failed by its errors.

Warnings are written to the case's `system-out`. Characters XML 1.0 cannot carry (control
characters, lone surrogates) are written as escapes first, so the file always parses.
"""

from __future__ import annotations

from html import escape

from model_conformance.reporting.model import Outcome, Run, Subject
from model_conformance.violations import Violation, terminal_safe


class JunitReporter:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._cases: list[str] = []
        self._failures = 0

    def subject(self, subject: Subject) -> None:
        name = _attribute(terminal_safe(subject.name))
        classname = _attribute(f"model-conformance.{self.run.command}")
        errors = [v for v in subject.violations if v.is_error]
        warnings = [v for v in subject.violations if not v.is_error]
        body = ""
        if errors:
            self._failures += 1
            codes = ", ".join(dict.fromkeys(v.code for v in errors))
            text = escape("\n".join(_line(v) for v in errors))
            body += f"<failure message={_attribute(codes)}>{text}</failure>"
        if warnings:
            body += f"<system-out>{escape(chr(10).join(_line(v) for v in warnings))}</system-out>"
        self._cases.append(f"  <testcase classname={classname} name={name}>{body}</testcase>")

    def finish(self, outcome: Outcome) -> None:
        suite = _attribute(f"model-conformance {self.run.command}")
        head = (
            f'<testsuite name={suite} tests="{len(self._cases)}" failures="{self._failures}" '
            f'errors="0">'
        )
        summary = f"  <system-out>{escape(terminal_safe(outcome.line))}</system-out>"
        lines = ['<?xml version="1.0" encoding="utf-8"?>', head, *self._cases, summary]
        self.run.out.write("\n".join([*lines, "</testsuite>"]) + "\n")
        self.run.out.flush()


def _line(v: Violation) -> str:
    return terminal_safe(str(v))


def _attribute(text: str) -> str:
    """A quoted XML attribute value (html.escape, not xml.sax.saxutils: that one imports
    urllib.request, 30 ms of start-up for every lint run)."""
    return f'"{escape(text, quote=True)}"'
