"""`lint`: validate model metadata JSON files and say where each problem is (line:column).

Kept free of the database layer: the pre-commit hook imports only this, the core and click.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from model_conformance.lint.discover import metadata_files
from model_conformance.lint.files import Validator, lint_file
from model_conformance.lint.parallel import default_jobs, map_slices
from model_conformance.violations import Violation

__all__ = [
    "Validator",
    "lint_file",
    "lint_paths",
    "metadata_files",
]


def lint_paths(
    paths: Iterable[str | Path],
    validator: Validator,
    keep: Callable[[str], bool] = bool,
    jobs: int | None = None,
    limit: int | None = None,
) -> tuple[list[Violation], int]:
    """Findings for every file under `paths` (each file judged on its own) and the number
    of files checked. Many files are spread over `jobs` processes (default: the CPUs); no
    file larger than `limit` bytes is read (default 64 MiB)."""
    files = list(metadata_files(paths))

    def work(chunk: Sequence[str]) -> list[Violation]:
        findings: list[Violation] = []
        for path in chunk:
            findings += lint_file(path, validator, keep, limit)
        return findings

    jobs = default_jobs(len(files)) if jobs is None else jobs
    return map_slices(work, files, jobs), len(files)
