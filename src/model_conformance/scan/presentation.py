"""What `check` hands the reporting layer: a subject per failing artifact and per table-level
check, the summary sections and the verdict. The pytest plugin prints an artifact's block
with `artifact_block`, in the words `check` uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from model_conformance.codes import RULES, rule_name
from model_conformance.reporting import Outcome, Reporter, Subject
from model_conformance.reporting.text import block_lines, violation_line
from model_conformance.scan.findings import ScanResult
from model_conformance.violations import Violation

FIRST_IDS = 5  # failing ids named per rule in the summary
HELD_NOTE = "held for review by the backfill: see model_versions.promotion_notes"
LIST_KEY = "artifacts"
_ARTIFACTS, _TABLES = "artifacts", "table-level checks"


def report_scan(result: ScanResult, reporter: Reporter) -> None:
    """Every failing artifact, every table-level check, then the outcome."""
    for artifact_id, found in result.by_artifact().items():
        reporter.subject(artifact_subject(artifact_id, found, held=artifact_id in result.held))
    for check, of_check in sorted(result.by_check().items()):
        if of_check:
            reporter.subject(Subject(check, of_check, heading=f"{check}:", group=_TABLES))
    reporter.finish(outcome(result))


def artifact_subject(artifact_id: str, findings: Sequence[Violation], *, held: bool) -> Subject:
    """`<id>: <codes>`, the held-for-review note if any, then one line per finding."""
    codes = ", ".join(dict.fromkeys(f.code for f in findings))
    notes = [f"  {HELD_NOTE}"] if held else []
    return Subject(artifact_id, findings, f"{artifact_id}: {codes}", notes, _ARTIFACTS)


def artifact_block(
    artifact_id: str, findings: Sequence[Violation], *, held: bool = False, indent: str = ""
) -> list[str]:
    """The text block of one artifact, as `check` prints it."""
    lines = block_lines(artifact_subject(artifact_id, findings, held=held))
    return [indent + line for line in lines]


def table_lines(findings: Sequence[Violation]) -> list[str]:
    """The lines of one table-level check's findings, as `check` prints them."""
    return [violation_line(finding) for finding in findings]


def scan_records(subject: Subject) -> list[dict[str, Any]]:
    """A failing artifact's JSON entry; table-level checks go to the outcome's fields."""
    if subject.group != _ARTIFACTS:
        return []
    return [
        {
            "artifact_id": subject.name,
            "held_for_review": bool(subject.notes),
            "violations": [
                {k: v for k, v in f.to_dict().items() if k != "artifact_id"}
                for f in subject.violations
            ],
        }
    ]


def outcome(result: ScanResult) -> Outcome:
    return Outcome(
        verdict(result),
        sections=[_rules_section(result), _checks_section(result)],
        verdict_apart=True,
        fields=_fields(result),
    )


def rule_summary(result: ScanResult, first: int = FIRST_IDS) -> list[dict[str, Any]]:
    """One entry per code found on model artifacts: findings, artifacts, the first ids."""
    counts: Counter[str] = Counter()
    ids: dict[str, list[str]] = {}
    for f in result.findings:  # sorted by artifact id, so the first ids come first
        counts[f.code] += 1
        seen = ids.setdefault(f.code, [])
        if (not seen or seen[-1] != f.artifact_id) and len(seen) < first:
            seen.append(f.artifact_id)
    artifacts = Counter(code for code, _ in {(f.code, f.artifact_id) for f in result.findings})
    return [
        {
            "code": code,
            "name": rule_name(code),
            "severity": RULES[code].severity.value if code in RULES else "error",
            "findings": counts[code],
            "artifacts": artifacts[code],
            "first_ids": ids[code],
        }
        for code in sorted(counts)
    ]


def table_summary(result: ScanResult) -> list[dict[str, Any]]:
    """One entry per table-level check, run every time: passed or not, and its findings."""
    return [
        {
            "check": check,
            "passed": not any(t.is_error for t in found),
            "findings": [t.to_dict() for t in found],
        }
        for check, found in sorted(result.by_check().items())
    ]


def _fields(result: ScanResult) -> Mapping[str, Any]:
    errors, warnings = _tally(result)
    tables = table_summary(result)
    return {
        "summary": {
            "model_artifacts": result.model_count,
            "failing_artifacts": result.failing_artifacts,
            "table_checks": len(tables),
            "failing_table_checks": sum(not t["passed"] for t in tables),
            "errors": errors,
            "warnings": warnings,
        },
        "rules": rule_summary(result),
        "table_checks": tables,
    }


def _rules_section(result: ScanResult) -> list[str]:
    lines: list[str] = []
    if summary := rule_summary(result):
        lines.append("code   findings  artifacts  first failing ids (rule)")
        for entry in summary:
            more = ", ..." if entry["artifacts"] > len(entry["first_ids"]) else ""
            lines.append(
                f"{entry['code']}  {entry['findings']:>8}  {entry['artifacts']:>9}  "
                f"{', '.join(entry['first_ids'])}{more} ({entry['name']})"
            )
    return lines


def _checks_section(result: ScanResult) -> list[str]:
    lines: list[str] = []
    failing = [
        (check, of_check) for check, of_check in sorted(result.by_check().items()) if of_check
    ]
    if failing:
        width = max(len("table-level check"), *(len(check) for check, _ in failing))
        lines.append(f"{'table-level check':<{width}}  code   findings  first ids")
        for check, of_check in failing:
            for code in sorted({t.code for t in of_check}):
                of_code = [t for t in of_check if t.code == code]
                ids = [t.artifact_id for t in of_code if t.artifact_id]
                more = ", ..." if len(ids) > FIRST_IDS else ""
                lines.append(
                    f"{check:<{width}}  {code}  {len(of_code):>8}  "
                    f"{', '.join(ids[:FIRST_IDS])}{more}".rstrip()
                )
    return lines


def verdict(result: ScanResult) -> str:
    """The one-line summary; failing artifacts are model artifacts, so never more than
    those checked. Table-level checks are counted apart."""
    errors, warnings = _tally(result)
    failing = result.failing_artifacts
    state = "conformant" if not errors else f"{failing} failing artifact(s)"
    by_check = result.by_check()
    failing_checks = [check for check, found in by_check.items() if any(t.is_error for t in found)]
    tables = (
        f"; {len(failing_checks)} of {len(by_check)} table-level check(s) failing "
        f"({', '.join(sorted(failing_checks))})"
        if failing_checks
        else ""
    )
    return (
        f"{result.model_count} model artifact(s) checked: {state}, {errors} error(s), "
        f"{warnings} warning(s){tables}"
    )


def _tally(result: ScanResult) -> tuple[int, int]:
    """(errors, warnings) over every finding, per artifact and table-level."""
    errors = sum(f.is_error for f in result.findings)
    errors += sum(t.is_error for t in result.table_findings)
    return errors, len(result.findings) + len(result.table_findings) - errors
