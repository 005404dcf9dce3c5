"""Real git repositories for the code-pin tests, built with git itself in a temporary folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    """A work tree (or, with `bare`, a bare repository) at `path`."""

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = path
        self.bare = bare

    @classmethod
    def init(cls, path: Path, *, remote: str | None = None) -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        if remote is not None:
            repo.git("remote", "add", "origin", remote)
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=ENV, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(
        self,
        files: dict[str, str] | None = None,
        *,
        links: dict[str, str] | None = None,
        remove: tuple[str, ...] = (),
        message: str = "change",
    ) -> str:
        """Write `files` (path -> text) and `links` (path -> symlink target), remove
        `remove`, commit everything; the new commit's SHA."""
        for name, text in (files or {}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for name, destination in (links or {}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(destination)
        for name in remove:
            self.git("rm", "-q", "-r", name)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def publish(self, remote: str = "origin") -> None:
        """Pretend HEAD was pushed: the remote-tracking branch points at it (no network)."""
        self.git("update-ref", f"refs/remotes/{remote}/main", "HEAD")

    def mirror_into(self, mirrors: Path, key: str) -> Repo:
        """A bare mirror clone at `<mirrors>/<key>.git`, its origin this repository."""
        destination = mirrors.joinpath(*f"{key}.git".split("/"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "-q", "--mirror", self.path.as_uri(), str(destination)],
            env=ENV,
            check=True,
            capture_output=True,
        )
        return Repo(destination, bare=True)
