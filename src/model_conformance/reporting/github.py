"""GitHub Actions workflow commands: one annotation per problem, then the verdict.

A problem in a file is annotated on its line; one in a registry row or a document from
stdin names its subject in the message. Properties and data are escaped as the runner
reads them, after `terminal_safe`, so no value can end an annotation or start another.
"""

from __future__ import annotations

from model_conformance.codes import rule_name
from model_conformance.reporting.model import Outcome, Run, Subject
from model_conformance.violations import FileSpan, Row, TableCheck, terminal_safe


class GithubReporter:
    def __init__(self, run: Run) -> None:
        self.run = run

    def subject(self, subject: Subject) -> None:
        lines = []
        notes = "".join(f" ({note.strip()})" for note in subject.notes)
        for v in subject.violations:
            level = "error" if v.is_error else "warning"
            props = [f"title={_escape_property(f'{v.code} {rule_name(v.code)}'.rstrip())}"]
            where = v.where
            if isinstance(where, FileSpan):
                props[:0] = [
                    f"file={_escape_property(terminal_safe(where.path))}",
                    f"line={where.line}",
                    f"col={where.column}",
                ]
                body = f"{v.code} {v.message}"
            elif isinstance(where, TableCheck):
                body = f"{where.check}: {v.message}"
            else:  # a registry row, or a document named by its subject
                name = where.artifact_id if isinstance(where, Row) else subject.name
                body = f"{name} {v.location}: {v.message}{notes}"
            lines.append(f"::{level} {','.join(props)}::{_escape_data(terminal_safe(body))}")
        if lines:
            self.run.out.write("\n".join(lines) + "\n")

    def finish(self, outcome: Outcome) -> None:
        self.run.out.write(terminal_safe(outcome.line) + "\n")
        self.run.out.flush()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
