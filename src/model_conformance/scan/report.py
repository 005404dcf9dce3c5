"""How a scan is shown: text for people, JSON for scripts, GitHub Actions annotations.

Every format carries the same content: a count per rule with the first failing ids, the
table-level checks, and each failing model artifact with its violations (column or JSON
path). The pytest plugin prints an artifact's block with `artifact_block`, as `check` does.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from model_conformance.codes import RULES
from model_conformance.scan.findings import Finding, ScanResult, TableFinding
from model_conformance.violations import escape_surrogates, terminal_safe

FORMATS = ("text", "json", "github")
FIRST_IDS = 5  # failing ids named per rule in the summary
HELD_NOTE = "held for review by the backfill: see model_versions.promotion_notes"


def render(result: ScanResult, fmt: str) -> str:
    if fmt == "json":
        return render_json(result)
    if fmt == "github":
        return render_github(result)
    return render_text(result)


def severity_tag(finding: Finding | TableFinding) -> str:
    """` [warning]` for a warning, nothing for an error: as lint and register write it."""
    return "" if finding.is_error else " [warning]"


def artifact_block(
    artifact_id: str, findings: Sequence[Finding], *, held: bool = False, indent: str = ""
) -> list[str]:
    """`<id>: <codes>`, the held-for-review note if any, then one line per finding."""
    codes = ", ".join(dict.fromkeys(f.code for f in findings))
    lines = [f"{indent}{terminal_safe(artifact_id)}: {codes}"]
    if held:
        lines.append(f"{indent}  {HELD_NOTE}")
    lines += [
        f"{indent}  {terminal_safe(f.path)}: {f.code}{severity_tag(f)} {terminal_safe(f.message)}"
        for f in findings
    ]
    return lines


def table_lines(findings: Sequence[TableFinding], indent: str = "") -> list[str]:
    """One line per finding of a table-level check."""
    return [f"{indent}{t.code}{severity_tag(t)} {t.message}" for t in findings]


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
            "name": _name(code),
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


def to_dict(result: ScanResult) -> dict[str, Any]:
    by_artifact = result.by_artifact()
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
        "artifacts": [
            {
                "artifact_id": artifact_id,
                "held_for_review": artifact_id in result.held,
                "violations": [
                    {k: v for k, v in f.to_dict().items() if k != "artifact_id"} for f in found
                ],
            }
            for artifact_id, found in by_artifact.items()
        ],
    }


def render_json(result: ScanResult) -> str:
    return escape_surrogates(json.dumps(to_dict(result), indent=2, ensure_ascii=False))


def render_text(result: ScanResult) -> str:
    """Sections separated by one blank line: the failing artifacts, the failing table-level
    checks, the summary per rule and per table-level check, the verdict. Empty ones go."""
    artifacts: list[str] = []
    for artifact_id, found in result.by_artifact().items():
        artifacts += artifact_block(artifact_id, found, held=artifact_id in result.held)
    tables: list[str] = []
    for check, of_check in sorted(result.by_check().items()):
        if of_check:
            tables += [f"{check}:", *table_lines(of_check, indent="  ")]
    rules: list[str] = []
    if summary := rule_summary(result):
        rules.append("code   findings  artifacts  first failing ids (rule)")
        for entry in summary:
            more = ", ..." if entry["artifacts"] > len(entry["first_ids"]) else ""
            rules.append(
                f"{entry['code']}  {entry['findings']:>8}  {entry['artifacts']:>9}  "
                f"{', '.join(entry['first_ids'])}{more} ({entry['name']})"
            )
    checks: list[str] = []
    failing = [
        (check, of_check) for check, of_check in sorted(result.by_check().items()) if of_check
    ]
    if failing:
        width = max(len("table-level check"), *(len(check) for check, _ in failing))
        checks.append(f"{'table-level check':<{width}}  code   findings  first ids")
        for check, of_check in failing:
            for code in sorted({t.code for t in of_check}):
                of_code = [t for t in of_check if t.code == code]
                ids = [t.artifact_id for t in of_code if t.artifact_id]
                more = ", ..." if len(ids) > FIRST_IDS else ""
                checks.append(
                    f"{check:<{width}}  {code}  {len(of_code):>8}  "
                    f"{', '.join(ids[:FIRST_IDS])}{more}".rstrip()
                )
    sections = [artifacts, tables, rules, checks, [verdict(result)]]
    return "\n\n".join("\n".join(section) for section in sections if section)


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


def render_github(result: ScanResult) -> str:
    """Workflow commands: one annotation per finding (no file: the subject is a row)."""
    lines = []
    for f in result.findings:
        title = _escape_property(f"{f.code} {_name(f.code)}")
        held = f" ({HELD_NOTE})" if f.artifact_id in result.held else ""
        body = _escape_data(f"{f.artifact_id} {f.path}: {f.message}{held}")
        lines.append(f"::{_level(f)} title={title}::{body}")
    for t in result.table_findings:
        title = _escape_property(f"{t.code} {_name(t.code)}")
        lines.append(f"::{_level(t)} title={title}::{_escape_data(f'{t.check}: {t.message}')}")
    lines.append(verdict(result))
    return "\n".join(lines)


def _tally(result: ScanResult) -> tuple[int, int]:
    """(errors, warnings) over every finding, per artifact and table-level."""
    errors = sum(f.is_error for f in result.findings)
    errors += sum(t.is_error for t in result.table_findings)
    return errors, len(result.findings) + len(result.table_findings) - errors


def _name(code: str) -> str:
    return RULES[code].name if code in RULES else ""


def _level(finding: Finding | TableFinding) -> str:
    return "error" if finding.is_error else "warning"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
