"""`lint`: validate model metadata JSON files and say where each problem is (line:column).

Kept free of the database layer: the pre-commit hook imports only this, the core and click.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from model_conformance.lint.discover import metadata_files
from model_conformance.lint.files import Finding, Validator, lint_file

__all__ = ["Finding", "Validator", "lint_file", "lint_paths", "metadata_files"]


def lint_paths(
    paths: Iterable[Path], validator: Validator, keep: Callable[[str], bool] = bool
) -> tuple[list[Finding], int]:
    """Findings for every file under `paths` (each file judged on its own) and the number
    of files checked."""
    findings: list[Finding] = []
    checked = 0
    for path, display in metadata_files(paths):
        checked += 1
        findings += lint_file(path, display, validator, keep)
    return findings, checked
