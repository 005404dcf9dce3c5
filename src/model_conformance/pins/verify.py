"""Verify pins in batches: one object reader per repository, a few pipelined rounds.

Per repository, whatever the number of pins:
1. `info <sha>` for every pinned commit: missing (MC801), or not a commit (MC802);
2. `info <sha>:<path>` and `info <sha>:<folder>` for every entrypoint candidate: missing
   (MC804), a tree or a submodule (MC805), or a blob, whose mode is in its folder's tree;
3. `contents` of each distinct folder tree: the entry's mode says regular file or symlink;
   a symlink's target is read and followed inside the tree (MC806 when it leaves it);
4. the commits reachable from the published refs, walked once (`rev-list`): a commit on
   none is `unreachable` (MC803, a warning).
Values that could steer git are refused before any of this (MC809, MC402, MC807).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from model_conformance.pins.entrypoint import UnparsableEntrypoint, entrypoint_file
from model_conformance.pins.git import ObjectInfo, ObjectReader
from model_conformance.pins.resolve import Located, Resolver
from model_conformance.pins.safety import unsafe_reason
from model_conformance.pins.urls import UnusableUrl, repository_key
from model_conformance.pins.verdict import Outcome, Pin, Verdict, failed, passed
from model_conformance.version_rules import commit_sha_message, is_full_commit_sha
from model_conformance.violations import as_json

REGULAR_MODES = (b"100644", b"100755", b"100664")
_SYMLINK = b"120000"
_MAX_SYMLINK_HOPS = 8


def verify_pins(pins: Sequence[Pin], resolver: Resolver) -> list[Verdict]:
    """One verdict per pin, in order."""
    verdicts: list[Verdict | None] = [None] * len(pins)
    by_repository: dict[str, list[int]] = {}
    for index, pin in enumerate(pins):
        refused = _refusal(pin)
        if refused is not None:
            verdicts[index] = refused
            continue
        by_repository.setdefault(repository_key(pin.repo_url), []).append(index)
    for key, indexes in by_repository.items():
        located = resolver.locate(key)
        group = [pins[i] for i in indexes]
        if located is None:
            found = [_unverifiable(pin, key) for pin in group]
        else:
            found = _verify_in(located, key, group)
        for index, verdict in zip(indexes, found, strict=True):
            verdicts[index] = verdict
    return [v for v in verdicts if v is not None]


def _refusal(pin: Pin) -> Verdict | None:
    """A verdict before git is asked anything: unsafe values, a bad SHA, no file named."""
    fields = [("code_repo_url", pin.repo_url), ("code_commit_sha", pin.commit)]
    if pin.entrypoint is not None:
        fields.append(("code_entrypoint", pin.entrypoint))
    for name, value in fields:
        reason = unsafe_reason(value)
        if reason is not None:
            return failed(pin, "MC809", f"{name} {as_json(value)} is refused: {reason}")
    if not is_full_commit_sha(pin.commit):
        return failed(pin, "MC402", commit_sha_message(pin.commit))
    try:
        repository_key(pin.repo_url)
    except UnusableUrl as exc:
        return failed(pin, "MC403", f"code_repo_url {as_json(pin.repo_url)} cannot be used: {exc}")
    if pin.entrypoint is not None:
        try:
            entrypoint_file(pin.entrypoint)
        except UnparsableEntrypoint as exc:
            return failed(
                pin, "MC807", f"code_entrypoint {as_json(pin.entrypoint)} names no file: {exc}"
            )
    return None


def _unverifiable(pin: Pin, key: str) -> Verdict:
    return Verdict(
        pin,
        Outcome.UNVERIFIABLE,
        "MC808",
        f"no local copy of {key}: run in a clone of it, map it in "
        "[tool.model_conformance.repositories], or give --mirrors",
    )


@dataclass
class _Check:
    """What is known so far about one pin in one repository."""

    pin: Pin
    commit: str
    verdict: Verdict | None = None
    candidates: tuple[str, ...] = ()
    found: str | None = None  # the candidate that is a regular file


def _verify_in(located: Located, key: str, pins: list[Pin]) -> list[Verdict]:
    checks = [_Check(pin, pin.commit.lower()) for pin in pins]
    with located.repository.reader() as reader:
        _check_commits(reader, key, checks)
        _check_entrypoints(reader, key, checks)
    pending = [c for c in checks if c.verdict is None]
    if pending:
        published = located.repository.reachable(located.published_refs)
        where = (
            "a branch of its remote or a tag" if located.source == "working" else "a branch or tag"
        )
        for check in pending:
            short = check.commit[:12]
            what = f"commit {short} of {key}" + (
                f" has {check.found} as a regular file" if check.found else ""
            )
            if check.commit in published:
                check.verdict = passed(check.pin, f"{what}, and is on {where}")
            else:
                check.verdict = Verdict(
                    check.pin,
                    Outcome.UNREACHABLE,
                    "MC803",
                    f"{what}, but is on no {where.removeprefix('a ')}: it was never pushed, "
                    "or a force-push or a deleted branch left it behind",
                )
    return [c.verdict for c in checks if c.verdict is not None]


def _check_commits(reader: ObjectReader, key: str, checks: list[_Check]) -> None:
    distinct = sorted({c.commit for c in checks})
    infos = dict(zip(distinct, reader.info(distinct), strict=True))
    for check in checks:
        info = infos[check.commit]
        short = check.commit[:12]
        if info is None:
            check.verdict = failed(
                check.pin,
                "MC801",
                f"commit {short} is not in {key}: it was never pushed there, or the local "
                "copy is out of date (--fetch updates a mirror)",
            )
        elif info.type != "commit":
            check.verdict = failed(
                check.pin,
                "MC802",
                f"{short} is a {info.type} in {key}, not a commit; pin the commit itself",
            )
        elif check.pin.entrypoint is not None:
            check.candidates = entrypoint_file(check.pin.entrypoint).candidates


def _check_entrypoints(reader: ObjectReader, key: str, checks: list[_Check]) -> None:
    todo = [c for c in checks if c.verdict is None and c.candidates]
    names: set[str] = set()
    for check in todo:
        for path in check.candidates:
            names.add(f"{check.commit}:{path}")
            names.add(f"{check.commit}:{posixpath.dirname(path)}")
    ordered = sorted(names)
    infos = dict(zip(ordered, reader.info(ordered), strict=True))
    folders = sorted(
        {info.oid for name, info in infos.items() if info is not None and info.type == "tree"}
    )
    trees = _read_trees(reader, folders)
    for check in todo:
        outcomes = [
            _judge_path(reader, infos, trees, check.commit, path) for path in check.candidates
        ]
        pairs = zip(check.candidates, outcomes, strict=True)
        regular = [path for path, problem in pairs if problem is None]
        if regular:
            check.found = regular[0]
            continue
        code, sentence = next(p for p in outcomes if p is not None)
        if len(check.candidates) > 1 and code == "MC804":
            sentence = f"neither {' nor '.join(check.candidates)} is in the commit"
        check.verdict = failed(check.pin, code, f"{key} at {check.commit[:12]}: {sentence}")


def _read_trees(reader: ObjectReader, oids: list[str]) -> dict[str, dict[bytes, tuple[bytes, str]]]:
    """Each tree's entries: name -> (mode, oid)."""
    trees: dict[str, dict[bytes, tuple[bytes, str]]] = {}
    for oid, found in zip(oids, reader.contents(oids), strict=True):
        trees[oid] = _parse_tree(found[1]) if found is not None and found[0] == "tree" else {}
    return trees


def _parse_tree(data: bytes) -> dict[bytes, tuple[bytes, str]]:
    """A tree object's entries: `<mode> <name>\\0<20-byte id>` each."""
    entries: dict[bytes, tuple[bytes, str]] = {}
    position = 0
    while position < len(data):
        space = data.index(b" ", position)
        nul = data.index(b"\0", space)
        entries[data[space + 1 : nul]] = (data[position:space], data[nul + 1 : nul + 21].hex())
        position = nul + 21
    return entries


def _judge_path(
    reader: ObjectReader,
    infos: dict[str, ObjectInfo | None],
    trees: dict[str, dict[bytes, tuple[bytes, str]]],
    commit: str,
    path: str,
    hops: int = 0,
) -> tuple[str, str] | None:
    """None when `path` is a regular file at `commit` (through in-tree symlinks), else
    (code, sentence)."""
    info = infos.get(f"{commit}:{path}")
    folder_info = infos.get(f"{commit}:{posixpath.dirname(path)}")
    if info is None:
        return "MC804", f"{path} is not in the commit"
    if info.type == "tree":
        return "MC805", f"{path} is a directory, not a file"
    if info.type == "commit":
        return "MC805", f"{path} is a submodule, not a file"
    if folder_info is None or folder_info.oid not in trees:
        return "MC804", f"{path} is not in the commit"
    entry = trees[folder_info.oid].get(posixpath.basename(path).encode("utf-8", "surrogateescape"))
    if entry is None:
        return "MC804", f"{path} is not in the commit"
    mode, _ = entry
    if mode != _SYMLINK:
        return None if mode in REGULAR_MODES else ("MC805", f"{path} is not a regular file")
    return _follow(reader, commit, path, info.oid, hops)


def _follow(
    reader: ObjectReader, commit: str, path: str, link_oid: str, hops: int
) -> tuple[str, str] | None:
    """A symlink in the tree: its target must stay inside the tree and be a regular file."""
    if hops >= _MAX_SYMLINK_HOPS:
        return "MC806", f"{path} is a chain of more than {_MAX_SYMLINK_HOPS} symlinks"
    [content] = reader.contents([link_oid])
    target = content[1].decode("utf-8", "replace") if content is not None else ""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
        return "MC806", f"{path} is a symlink to {target!r}, outside the repository's tree"
    if unsafe_reason(resolved) is not None or resolved in (".", ""):
        return "MC806", f"{path} is a symlink to {target!r}, which is not a file in the tree"
    folder = posixpath.dirname(resolved)
    names = [f"{commit}:{resolved}", f"{commit}:{folder}"]
    infos = dict(zip(names, reader.info(names), strict=True))
    folder_info = infos[names[1]]
    trees = _read_trees(reader, [folder_info.oid]) if folder_info is not None else {}
    problem = _judge_path(reader, infos, trees, commit, resolved, hops + 1)
    if problem is None:
        return None
    return problem[0], f"{path} is a symlink to {target!r}: {problem[1]}"
