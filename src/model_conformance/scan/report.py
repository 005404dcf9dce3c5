"""How a scan is shown: text for people, JSON for scripts, GitHub Actions annotations.

Every format carries the same content: a count per rule with the first failing ids, the
table-level findings, and each failing artifact with its violations (column or JSON path).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from model_conformance.codes import RULES
from model_conformance.scan.findings import ScanResult

FORMATS = ("text", "json", "github")
FIRST_IDS = 5  # failing ids named per rule in the summary


def render(result: ScanResult, fmt: str) -> str:
    if fmt == "json":
        return render_json(result)
    if fmt == "github":
        return render_github(result)
    return render_text(result)


def rule_summary(result: ScanResult, first: int = FIRST_IDS) -> list[dict[str, Any]]:
    """One entry per code found: how many findings, how many artifacts, the first ids."""
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
            "name": RULES[code].name if code in RULES else "",
            "severity": RULES[code].severity.value if code in RULES else "error",
            "findings": counts[code],
            "artifacts": artifacts[code],
            "first_ids": ids[code],
        }
        for code in sorted(counts)
    ]


def to_dict(result: ScanResult) -> dict[str, Any]:
    by_artifact = result.by_artifact()
    errors = sum(f.is_error for f in result.findings)
    errors += sum(t.is_error for t in result.table_findings)
    return {
        "summary": {
            "model_artifacts": result.model_count,
            "failing_artifacts": sum(
                any(f.is_error for f in found) for found in by_artifact.values()
            ),
            "errors": errors,
            "warnings": len(result.findings) + len(result.table_findings) - errors,
        },
        "rules": rule_summary(result),
        "table_checks": [t.to_dict() for t in result.table_findings],
        "artifacts": [
            {
                "artifact_id": artifact_id,
                "violations": [
                    {k: v for k, v in f.to_dict().items() if k != "artifact_id"} for f in found
                ],
            }
            for artifact_id, found in by_artifact.items()
        ],
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False)


def render_text(result: ScanResult) -> str:
    lines: list[str] = []
    for artifact_id, found in result.by_artifact().items():
        lines.append(f"{artifact_id}:")
        for f in found:
            warning = " (warning)" if not f.is_error else ""
            lines.append(f"  {f.path}: {f.code}{warning} {f.message}")
    for t in result.table_findings:
        lines.append(f"{t.check}: {t.code} {t.message}")
    summary = rule_summary(result)
    if summary:
        lines += ["", "code   findings  artifacts  first failing ids (rule)"]
        for entry in summary:
            more = ", ..." if entry["artifacts"] > len(entry["first_ids"]) else ""
            lines.append(
                f"{entry['code']}  {entry['findings']:>8}  {entry['artifacts']:>9}  "
                f"{', '.join(entry['first_ids'])}{more} ({entry['name']})"
            )
    facts = to_dict_summary(result)
    lines += ["", facts]
    return "\n".join(lines)


def to_dict_summary(result: ScanResult) -> str:
    failing = sum(any(f.is_error for f in found) for found in result.by_artifact().values())
    errors = sum(f.is_error for f in result.findings) + sum(
        t.is_error for t in result.table_findings
    )
    warnings = len(result.findings) + len(result.table_findings) - errors
    verdict = "conformant" if not errors else f"{failing} failing artifact(s)"
    tables = sum(t.is_error for t in result.table_findings)
    table_note = f", {tables} table-level error(s)" if tables else ""
    return (
        f"{result.model_count} model artifact(s) checked: {verdict}, {errors} error(s), "
        f"{warnings} warning(s){table_note}"
    )


def render_github(result: ScanResult) -> str:
    """Workflow commands: one annotation per finding (no file: the subject is a row)."""
    lines = []
    for f in result.findings:
        level = "error" if f.is_error else "warning"
        title = _escape_property(f"{f.code} {RULES[f.code].name if f.code in RULES else ''}")
        body = _escape_data(f"{f.artifact_id} {f.path}: {f.message}")
        lines.append(f"::{level} title={title}::{body}")
    for t in result.table_findings:
        level = "error" if t.is_error else "warning"
        title = _escape_property(f"{t.code} {RULES[t.code].name if t.code in RULES else ''}")
        lines.append(f"::{level} title={title}::{_escape_data(f'{t.check}: {t.message}')}")
    lines.append(to_dict_summary(result))
    return "\n".join(lines)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
