"""The errors of code-pin verification that stop a run (exit 2): a repository the toolkit
must not or cannot read, settings it cannot use, a fetch that failed. A single pin's
problems are verdicts (`verdict.py`), not errors."""

from __future__ import annotations

from model_conformance.violations import ConformanceError


class RepositoryNotOwned(ConformanceError):
    """The repository belongs to another user; its configuration could run commands."""

    code = "MC810"


class RepositoryUnreadable(ConformanceError):
    """git cannot read the repository: not a repository, corrupt, or it did not answer."""

    code = "MC811"


class PinSettingsInvalid(ConformanceError):
    """`[tool.model_conformance.repositories]` or `--mirrors` cannot be used."""

    code = "MC812"


class FetchFailed(ConformanceError):
    """`--fetch` asked for a `git fetch` in a mirror, and it failed."""

    code = "MC813"
