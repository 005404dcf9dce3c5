"""Judge one metadata file: read it (document.py), validate it, and place every problem.

The common case is a valid file, so that path stays cheap: the stdlib parser and the
compiled validator. Only when something is wrong is the file parsed a second time by the
position-tracking reader to find each problem's line and column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from model_conformance.lint.document import (
    Finding,
    file_violation,
    load,
    placed_findings,
    positions,
)
from model_conformance.lint.reader import Position
from model_conformance.violations import Violation

__all__ = ["Finding", "Validator", "file_violation", "lint_file"]

# Codes whose problem is the key itself rather than its value: point at the key.
_KEY_CODES = frozenset({"MC106", "MC203", "MC302"})


class Validator(Protocol):
    def validate(self, doc: object) -> list[Violation]: ...


def lint_file(
    path: str | Path, validator: Validator, keep: Callable[[str], bool] = bool
) -> list[Finding]:
    """Every problem in one file, in file order; `keep(code)` says which codes are wanted.

    Findings name the file as `path` is spelled.
    """
    display = os.fspath(path)
    try:
        return [f for f in _findings(display, validator, keep) if keep(f.code)]
    except Exception as exc:  # one file's surprise never costs the other files their report
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        message = (
            f"model_conformance could not judge this file ({reason[:200]}); the other files "
            "were judged. Please report this with the file"
        )
        return [Finding(display, Position(1, 1), file_violation("MC399", message))]


def _findings(display: str, validator: Validator, keep: Callable[[str], bool]) -> list[Finding]:
    loaded = load(display)
    if isinstance(loaded, list):
        return loaded  # no JSON to validate

    violations: list[Violation] = []
    is_object = isinstance(loaded.value, dict)
    if is_object:
        violations = [v for v in validator.validate(loaded.value) if keep(v.code)]
    if not (violations or loaded.suspicious or not is_object or loaded.findings):
        return []  # the fast path: nothing to place, so no position tracking

    # Flagged files get the full walk (duplicates, NaN); otherwise only the reported paths.
    doc = positions(loaded, [v.pointer for v in violations])
    found = placed_findings(display, loaded, doc)
    reported_non_standard = {f.violation.pointer for f in found if f.code == "MC303"}
    for violation in violations:
        if violation.code == "MC204" and violation.pointer in reported_non_standard:
            continue  # already reported where it was written, as NaN/Infinity
        position = doc.locate(violation.pointer, key=violation.code in _KEY_CODES)
        found.append(Finding(display, position, violation))
    return sorted(found, key=lambda f: f.position)
