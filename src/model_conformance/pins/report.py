"""Verdicts as text or JSON: one function, so the shared reporter layer can take it over."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from model_conformance.pins.urls import UnusableUrl, repository_key
from model_conformance.pins.verdict import Outcome, Verdict
from model_conformance.violations import Severity, Violation, terminal_safe

FORMATS = ("text", "json")


def render(
    verdicts: Sequence[Verdict],
    fmt: str,
    *,
    strict: bool = False,
    unread: Sequence[tuple[str, Violation]] = (),
) -> str:
    """The report; `unread` are documents that could not be read, with why."""
    counts = Counter(v.outcome.value for v in verdicts)
    if fmt == "json":
        return json.dumps(
            {
                "results": [_record(v, strict) for v in verdicts],
                "unread": [{"source": s} | v.to_dict() for s, v in unread],
                "counts": {o.value: counts[o.value] for o in Outcome},
            },
            indent=2,
        )  # ASCII: every character outside it is escaped
    lines = []
    for verdict in verdicts:
        severity = verdict.severity(strict=strict)
        if severity is None:
            continue
        tag = "" if severity is Severity.ERROR else " [warning]"
        lines.append(
            f"{terminal_safe(verdict.pin.subject)}: {verdict.code}{tag} {verdict.outcome.value}: "
            f"{terminal_safe(verdict.detail)}"
        )
    for source, violation in unread:
        lines.append(
            f"{terminal_safe(source)}: {violation.code} {terminal_safe(violation.message)}"
        )
    summary = ", ".join(f"{counts[o.value]} {o.value}" for o in Outcome)
    lines.append(f"{len(verdicts)} pin(s) checked: {summary}")
    return "\n".join(lines)


def _record(verdict: Verdict, strict: bool) -> dict[str, object]:
    pin = verdict.pin
    severity = verdict.severity(strict=strict)
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
