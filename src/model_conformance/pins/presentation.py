"""What `verify-pins` hands the reporting layer: a subject per pin, its JSON record, and the
counts per outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from model_conformance.codes import ENTRYPOINT_CODES
from model_conformance.pins.urls import UnusableUrl, repository_key
from model_conformance.pins.verdict import PinOutcome, Verdict
from model_conformance.reporting import Outcome, Subject
from model_conformance.violations import FileSpan, Row, Severity, Violation

PIN_COLUMNS = ("code_repo_url", "code_commit_sha", "code_entrypoint")


def pin_subject(
    verdict: Verdict, *, strict: bool, in_file: Mapping[str, tuple[int, int]] | None
) -> Subject:
    """One pin: its verdict as a violation (none for a pass), placed at its column's line
    and column in its registration file (`in_file`: the hook) or at its registry row."""
    pin = verdict.pin
    severity = verdict.severity(strict=strict)
    found: list[Violation] = []
    if severity is not None and verdict.code is not None:
        column = _column(verdict)
        if in_file is not None:
            where: FileSpan | Row = FileSpan(pin.subject, *in_file.get(column, (1, 1)))
        else:
            where = Row(pin.subject, column)
        message = f"{verdict.outcome.value}: {verdict.detail}"
        found.append(Violation(verdict.code, message, "", severity, where))
    heading = None if in_file or not found else f"{pin.subject}: {verdict.code}"
    return Subject(pin.subject, found, heading, data=_record(verdict, severity))


def _column(verdict: Verdict) -> str:
    """The pin's column a verdict is about: named first in a refusal (MC809), the URL for
    MC403, the entrypoint for MC804-MC807, else the commit."""
    for column in PIN_COLUMNS:
        if verdict.detail.startswith(column):
            return column
    if verdict.code == "MC403":
        return "code_repo_url"
    return "code_entrypoint" if verdict.code in ENTRYPOINT_CODES else "code_commit_sha"


def unread_subject(source: str, problems: Sequence[Violation]) -> Subject:
    """A registration file whose pin could not be read: the reader's errors."""
    return Subject(source, problems, data={"unread": True})


def records(subject: Subject) -> list[dict[str, Any]]:
    if subject.data.get("unread"):
        return [{"subject": subject.name, "unread": [v.to_dict() for v in subject.violations]}]
    return [dict(subject.data)]


def outcome(verdicts: Sequence[Verdict]) -> Outcome:
    counts = Counter(v.outcome.value for v in verdicts)
    by_outcome = {o.value: counts[o.value] for o in PinOutcome}
    summary = ", ".join(f"{n} {name}" for name, n in by_outcome.items())
    return Outcome(f"{len(verdicts)} pin(s) checked: {summary}", fields={"counts": by_outcome})


def _record(verdict: Verdict, severity: Severity | None) -> dict[str, Any]:
    pin = verdict.pin
    try:
        repository: str | None = repository_key(pin.repo_url)
    except UnusableUrl:
        repository = None
    return {
        "subject": pin.subject,
        "repository": repository,  # the normal form: never a URL's user or password
        "commit": pin.commit,
        "entrypoint": pin.entrypoint,
        "verdict": verdict.outcome.value,
        "code": verdict.code,
        "severity": severity.value if severity else None,
        "detail": verdict.detail,
    }


def failing(verdicts: Sequence[Verdict], *, strict: bool = False) -> bool:
    """Whether any verdict counts as an error (exit 1)."""
    return any(v.severity(strict=strict) is Severity.ERROR for v in verdicts)
