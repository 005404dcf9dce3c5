"""What lint adds to the reporting layer: its JSON record per finding and its summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model_conformance.codes import rule_name
from model_conformance.reporting import Subject
from model_conformance.violations import FileSpan, Violation


def file_of(finding: Violation) -> str:
    """The file a lint finding is in."""
    return finding.where.path if isinstance(finding.where, FileSpan) else ""


def lint_records(subject: Subject) -> list[dict[str, Any]]:
    """One JSON object per finding: file, line, column, code, name, severity, message,
    pointer and JSON path."""
    records = []
    for f in subject.violations:
        where = f.where if isinstance(f.where, FileSpan) else FileSpan(subject.name, 1, 1)
        records.append(
            {
                "file": where.path,
                "line": where.line,
                "column": where.column,
                "code": f.code,
                "name": rule_name(f.code) or f.code,
                "severity": f.severity.value,
                "message": f.message,
                "pointer": f.pointer,
                "json_path": f.path,
            }
        )
    return records


def summary(findings: Sequence[Violation], files_checked: int) -> str:
    files = _plural(files_checked, "file")
    if not findings:
        return f"Checked {files}: no problems."
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    bad_files = len({file_of(f) for f in findings})
    counts = [_plural(n, noun) for n, noun in [(errors, "error"), (warnings, "warning")] if n]
    return f"Found {' and '.join(counts)} in {bad_files} of {files}."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
