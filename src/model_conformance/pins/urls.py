"""Repository URLs in normal form, so that the forms people write compare equal.

`https://GitHub.com/Org/Repo.git/`, `ssh://git@github.com/Org/Repo` and
`git@github.com:Org/Repo.git` all become the key `github.com/Org/Repo`: the host in lower
case, no user, password or default port, no trailing `.git` or slash. The path keeps its
case (some hosts tell `Repo` from `repo`). The key is also the mirror's place on disk
(`<mirrors>/<key>.git`), so it is refused unless every part of it is a plain name. A
path of one part (`https://host/models.git`) or of more than two (GitLab's subgroups) is
kept as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from model_conformance.pins.safety import unsafe_reason
from model_conformance.violations import has_password

# scp-like syntax: [user@]host:path, where the path does not start with a slash-slash.
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^@/:]+):(?P<path>(?!//)[^:].*)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~+-]*$")
_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git")


class UnusableUrl(ValueError):
    """The URL has no normal form (the message says why)."""


@lru_cache(maxsize=1024)  # a registry names few repositories, each many times
def repository_key(url: str) -> str:
    """`host/owner/repo` for a repository URL; raises `UnusableUrl` with the reason."""
    reason = unsafe_reason(url)
    if reason:
        raise UnusableUrl(reason)
    if has_password(url):
        raise UnusableUrl("it carries a password or token; let git's credential helper hold it")
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in _SCHEMES:
            raise UnusableUrl(f"the scheme {parts.scheme!r} is not a git hosting URL")
        try:
            host = parts.hostname or ""
        except ValueError:
            host = ""
        path = parts.path
        if parts.query or parts.fragment:
            raise UnusableUrl("a repository URL has no query or fragment")
    else:
        match = _SCP.match(text)
        if match is None:
            raise UnusableUrl("not an https, ssh or user@host:owner/repo URL")
        host, path = match["host"], match["path"]
    host = host.lower().rstrip(".")
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][: -len(".git")]
    if not host or not _NAME.match(host):
        raise UnusableUrl("the URL names no host")
    if not segments:
        raise UnusableUrl("the URL names no repository path")
    for segment in segments:
        if not _NAME.match(segment):
            raise UnusableUrl(f"the path part {segment!r} is not a plain name")
    return "/".join([host, *segments])


def same_repository(a: str, b: str) -> bool:
    """Whether two URLs name one repository (False when either has no normal form)."""
    try:
        return repository_key(a) == repository_key(b)
    except UnusableUrl:
        return False
