"""Render lint findings: text for people, JSON for scripts, GitHub annotations, SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from model_conformance.codes import RULES
from model_conformance.lint.document import Finding
from model_conformance.violations import Severity, escape_surrogates, terminal_safe

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


def wants_color(fmt: str, is_tty: bool, environ: Mapping[str, str]) -> bool:
    """Colour only plain text, only on a terminal, and never when NO_COLOR is set."""
    return fmt == "text" and is_tty and not environ.get("NO_COLOR")


def render(fmt: str, findings: Sequence[Finding], files_checked: int, color: bool) -> str:
    if fmt == "json":
        return render_json(findings)
    if fmt == "github":
        return render_github(findings)
    if fmt == "sarif":
        return render_sarif(findings)
    return render_text(findings, files_checked, color)


def render_text(findings: Sequence[Finding], files_checked: int, color: bool) -> str:
    """`path:line:col: CODE message`, one a line, then a one-line summary."""

    def paint(style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if color else text

    lines = []
    for f in findings:
        code = paint(_RED if f.severity is Severity.ERROR else _YELLOW, f.code)
        label = f" {paint(_YELLOW, '[warning]')}" if f.severity is Severity.WARNING else ""
        path, message = terminal_safe(f.path), terminal_safe(f.message)
        lines.append(f"{paint(_BOLD, path)}:{f.line}:{f.column}: {code}{label} {message}")
    lines.append(paint(_DIM, summary(findings, files_checked)))
    return "\n".join(lines)


def summary(findings: Sequence[Finding], files_checked: int) -> str:
    files = _plural(files_checked, "file")
    if not findings:
        return f"Checked {files}: no problems."
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    bad_files = len({f.path for f in findings})
    counts = [_plural(n, noun) for n, noun in [(errors, "error"), (warnings, "warning")] if n]
    return f"Found {' and '.join(counts)} in {bad_files} of {files}."


def render_json(findings: Sequence[Finding]) -> str:
    """A JSON array with one object per finding, in report order."""
    return escape_surrogates(
        json.dumps([_as_dict(f) for f in findings], indent=2, ensure_ascii=False)
    )


def render_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line."""
    lines = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = ",".join(
            [
                f"file={_escape_property(terminal_safe(f.path))}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_escape_property(f'{f.code} {_rule_name(f.code)}')}",
            ]
        )
        message = terminal_safe(f.message)
        lines.append(f"::{level} {props}::{_escape_data(f'{f.code} {message}')}")
    return "\n".join(lines)


def render_sarif(findings: Sequence[Finding]) -> str:
    """A SARIF 2.1.0 log with one run; columns are counted in Unicode code points."""
    codes = sorted(RULES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "defaultConfiguration": {"level": RULES[code].severity.value},
        }
        for code in codes
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": "error" if f.severity is Severity.ERROR else "warning",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.violation.pointer:
            result["properties"] = {"pointer": f.violation.pointer}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "model-conformance",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return escape_surrogates(json.dumps(log, indent=2, ensure_ascii=False))


def _as_dict(f: Finding) -> dict[str, Any]:
    return {
        "file": f.path,
        "line": f.line,
        "column": f.column,
        "code": f.code,
        "name": _rule_name(f.code),
        "severity": f.severity.value,
        "message": f.message,
        "pointer": f.violation.pointer,
        "json_path": f.violation.path,
    }


def _rule_name(code: str) -> str:
    rule = RULES.get(code)
    return rule.name if rule else code


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _uri(path: str) -> str:
    pure = PurePath(path)
    if pure.is_absolute():
        return "file://" + quote(pure.as_posix())
    return quote(pure.as_posix())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # only SARIF needs it

    try:
        return version("model-conformance")
    except PackageNotFoundError:
        return "0+unknown"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
