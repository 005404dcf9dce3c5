"""Judge one metadata file: read it (json_reader), validate it, and place every problem.

The common case is a valid file, so that path stays cheap: the stdlib parser and the
compiled validator. Only when something is wrong is the file parsed a second time by the
position-tracking reader to find each problem's line and column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from model_conformance.codes import RULES, violation
from model_conformance.json_reader.document import (
    file_order,
    load,
    placed,
    placed_findings,
    positions,
)
from model_conformance.json_reader.positions import Position
from model_conformance.violations import Violation

__all__ = ["Validator", "lint_file"]

# Codes whose problem is the key itself rather than its value, as the catalogue says.
_KEY_CODES = frozenset(code for code, rule in RULES.items() if rule.points_at == "key")
# What MC303 (NaN or Infinity, where it is written) already says about the same value: the
# metric rule and the engine-input check.
_SAID_AS_WRITTEN = ("MC204", "MC109")


class Validator(Protocol):
    def validate(self, doc: object) -> list[Violation]: ...


def lint_file(
    path: str | Path,
    validator: Validator,
    keep: Callable[[str], bool] = bool,
    limit: int | None = None,
) -> list[Violation]:
    """Every problem in one file, in file order; `keep(code)` says which codes are wanted,
    `limit` the largest file read (default 64 MiB). Findings name the file as `path` is
    spelled.
    """
    display = os.fspath(path)
    try:
        return [f for f in _findings(display, validator, keep, limit) if keep(f.code)]
    except Exception as exc:  # one file's surprise never costs the other files their report
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        message = (
            f"model_conformance could not judge this file ({reason[:200]}); the other files "
            "were judged. Please report this with the file"
        )
        return [placed(display, Position(1, 1), violation("MC399", message))]


def _findings(
    display: str, validator: Validator, keep: Callable[[str], bool], limit: int | None
) -> list[Violation]:
    loaded = load(display, limit)
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
    reported_non_standard = {f.pointer for f in found if f.code == "MC303"}
    for problem in violations:
        if problem.code in _SAID_AS_WRITTEN and problem.pointer in reported_non_standard:
            continue  # already reported where it was written, as NaN/Infinity
        position = doc.locate(problem.pointer, key=problem.code in _KEY_CODES)
        found.append(placed(display, position, problem))
    return sorted(found, key=file_order)
