"""What keeps a pin's values and a repository's own configuration from steering git.

Values from the registry are data, never options or paths out of a tree: one that begins
with `-`, or holds `..`, a NUL or a line break, is refused before git sees anything. Git
itself runs with no shell, no system or global configuration, no hooks, no fsmonitor, no
replace objects, no prompts, and only plumbing commands (`cat-file` without `--filters` or
`--textconv`, `rev-list`, `for-each-ref`, `config --get`), so no filter, textconv,
pager or hook that a repository configures can run.
"""

from __future__ import annotations

import os

# Put in front of every git command. `-c` settings given here override the repository's.
GIT_PREFIX: tuple[str, ...] = (
    "git",
    "--no-replace-objects",
    "--no-pager",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "core.pager=cat",
    "-c",
    "credential.helper=",
    # No transport at all: a partial clone's lazy fetch of a missing object (and with it a
    # promisor remote's `uploadpack` command) can neither run nor reach the network.
    "-c",
    "protocol.allow=never",
)

# `--fetch` only (a mirror, when asked): transports allowed but `ext::`, and git's own
# upload-pack and ssh instead of whatever the repository configures.
FETCH_PREFIX: tuple[str, ...] = (
    *GIT_PREFIX[:-2],  # all but `-c protocol.allow=never`
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "core.sshCommand=ssh",
)


def unsafe_reason(value: str) -> str | None:
    """Why `value` may not reach git, or None when it may."""
    if len(value) > 4096:  # PATH_MAX: no URL, commit or entrypoint people write is longer
        return "it is longer than 4,096 characters"
    if value.startswith("-"):
        return "it begins with `-`, which git would read as an option"
    if "\x00" in value:
        return "it contains a NUL character"
    if "\n" in value or "\r" in value:
        return "it contains a line break"
    if ".." in value:
        return "it contains `..`"
    return None


def git_environment() -> dict[str, str]:
    """The process environment without any GIT_* variable a caller (pre-commit sets
    GIT_INDEX_FILE, a user may set GIT_DIR) left behind, plus what makes git inert."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_ASKPASS="true",
        SSH_ASKPASS="true",
        GIT_PAGER="cat",
        GIT_NO_LAZY_FETCH="1",  # git 2.44 and later; protocol.allow=never covers older ones
        LC_ALL="C",
    )
    return env
