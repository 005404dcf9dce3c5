"""Where a repository URL's local copy is, offline, in this order:

1. the repository the command runs in, when one of its remotes has that URL (the pre-commit
   case): reachability then means "on a branch of that remote, or a tag", so a commit that
   was never pushed is told apart;
2. `[tool.model_conformance.repositories]`: URL = "path" (relative to the pyproject.toml);
3. `--mirrors DIR`: a bare clone at `DIR/<host>/<owner>/<repo>.git`.

Nothing else is searched and nothing is fetched unless `fetch` is set (mirrors only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_conformance.lint.config import find_pyproject, tool_table
from model_conformance.pins.errors import PinSettingsInvalid
from model_conformance.pins.git import GitRepository
from model_conformance.pins.urls import UnusableUrl, repository_key

BRANCHES_AND_TAGS = ("refs/heads/", "refs/tags/")
FETCH_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Located:
    """A local copy of a repository, how it was found, and which refs count as published."""

    repository: GitRepository
    source: str  # "working", "configured" or "mirror"
    published_refs: tuple[str, ...]


@dataclass
class Resolver:
    working_dir: Path | None = None
    configured: dict[str, Path] = field(default_factory=dict)
    mirrors: Path | None = None
    fetch: bool = False
    _working: dict[str, Located] | None = None
    _found: dict[str, Located | None] = field(default_factory=dict)

    def locate(self, key: str) -> Located | None:
        """The local copy of the repository with normal-form `key`, or None."""
        if key not in self._found:
            self._found[key] = self._locate(key)
        return self._found[key]

    def _locate(self, key: str) -> Located | None:
        working = self._working_remotes().get(key)
        if working is not None:
            return working
        path = self.configured.get(key)
        if path is not None:
            if not path.exists():
                raise PinSettingsInvalid(
                    f"[tool.model_conformance.repositories] maps {key} to {path}, "
                    "which does not exist"
                )
            return Located(GitRepository.open(path, key), "configured", BRANCHES_AND_TAGS)
        if self.mirrors is not None:
            mirror = self.mirrors.joinpath(*f"{key}.git".split("/"))
            if mirror.is_dir():
                repository = GitRepository.open(mirror, key)
                if self.fetch:
                    repository.fetch(FETCH_TIMEOUT)
                return Located(repository, "mirror", BRANCHES_AND_TAGS)
        return None

    def _working_remotes(self) -> dict[str, Located]:
        """The working repository's remotes by normal-form URL (none outside a repository)."""
        if self._working is not None:
            return self._working
        self._working = {}
        if self.working_dir is None or not _inside_git_work_tree(self.working_dir):
            return self._working
        repository = GitRepository.open(self.working_dir, "this repository", discover=True)
        for remote, urls in repository.remote_urls().items():
            for url in urls:
                try:
                    key = repository_key(url)
                except UnusableUrl:
                    continue
                published = (f"refs/remotes/{remote}/", "refs/tags/")
                self._working.setdefault(key, Located(repository, "working", published))
        return self._working


def _inside_git_work_tree(start: Path) -> bool:
    """Whether `start` or a folder above it has a `.git`: checked without running git, so
    that a command run outside any repository never starts one."""
    return any((folder / ".git").exists() for folder in [start, *start.parents])


def configured_repositories(start: Path) -> dict[str, Path]:
    """`[tool.model_conformance.repositories]` of the nearest pyproject.toml, by URL key."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return {}
    table: Any = tool_table(pyproject)["model_conformance"]
    mapping = table.get("repositories", {}) if isinstance(table, dict) else {}
    where = f"{pyproject}: [tool.model_conformance.repositories]"
    if not isinstance(mapping, dict):
        raise PinSettingsInvalid(f'{where} must be a table of URL = "path"')
    found: dict[str, Path] = {}
    for url, path in mapping.items():
        if not isinstance(path, str) or not path.strip():
            raise PinSettingsInvalid(f"{where}: {url!r} must map to a path string")
        try:
            key = repository_key(url)
        except UnusableUrl as exc:
            raise PinSettingsInvalid(f"{where}: {url!r} cannot be used: {exc}") from None
        if key in found:
            raise PinSettingsInvalid(f"{where}: two URLs name the repository {key}")
        found[key] = (pyproject.parent / path).resolve()
    return found
