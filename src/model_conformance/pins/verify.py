"""Verify pins in batches: one object reader per repository, a few pipelined rounds.

Per repository, whatever the number of pins:
1. `info <sha>` for every pinned commit: missing (MC801), or not a commit (MC802);
2. `contents <sha>:<folder>` for every entrypoint candidate's folder: the entry's mode
   says a regular file, missing (MC804), a directory or a submodule (MC805), or a symlink,
   whose target is read (all of a round's links in one batch) and followed inside the tree
   the next round (MC806 when it leaves it);
4. the commits reachable from the published refs, walked once (`rev-list`): a commit on
   none is `unreachable` (MC803, a warning).
Values that could steer git are refused before any of this (MC809, MC402, MC807).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from model_conformance.pins.entrypoint import UnparsableEntrypoint, entrypoint_file
from model_conformance.pins.git import ObjectReader
from model_conformance.pins.resolve import Located, Resolver
from model_conformance.pins.safety import unsafe_reason
from model_conformance.pins.urls import UnusableUrl, repository_key
from model_conformance.pins.verdict import Pin, PinOutcome, Verdict, failed, passed
from model_conformance.version_rules import commit_sha_message, is_full_commit_sha
from model_conformance.violations import as_json, without_credentials

REGULAR_MODES = (b"100644", b"100755", b"100664")
_SYMLINK = b"120000"
_GITLINK = b"160000"
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
        shown = as_json(without_credentials(pin.repo_url))
        return failed(pin, "MC403", f"code_repo_url {shown} cannot be used: {exc}")
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
        PinOutcome.UNVERIFIABLE,
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
            has = f"has {check.found} as a regular file" if check.found else "exists"
            what = f"commit {short} of {key} {has}"
            if check.commit in published:
                check.verdict = passed(check.pin, f"{what} and is on {where}")
            else:
                check.verdict = Verdict(
                    check.pin,
                    PinOutcome.UNREACHABLE,
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
    """Every candidate file of every pin, in rounds: each round reads the folder trees its
    probes need in one batch; symlinks inside the tree become the next round's probes."""
    todo = [c for c in checks if c.verdict is None and c.candidates]
    # One probe per candidate: (check, candidate index, path now examined, how we got there)
    probes = [
        _Probe(check, n, path, path, 0) for check in todo for n, path in enumerate(check.candidates)
    ]
    results: dict[tuple[int, int], tuple[str, str] | None] = {}
    while probes:
        folders = sorted({f"{p.check.commit}:{posixpath.dirname(p.path)}" for p in probes})
        trees = dict(zip(folders, reader.contents(folders, max_size=_MAX_TREE), strict=True))
        links: list[tuple[_Probe, str]] = []
        for probe in probes:
            found = trees[f"{probe.check.commit}:{posixpath.dirname(probe.path)}"]
            outcome = _entry_outcome(found, probe.path)
            if isinstance(outcome, str):  # a symlink: its blob id
                links.append((probe, outcome))
            else:
                results[(id(probe.check), probe.index)] = probe.worded(outcome)
        probes = _follow(reader, links, results)
    for check in todo:
        outcomes = [results[(id(check), n)] for n in range(len(check.candidates))]
        pairs = zip(check.candidates, outcomes, strict=True)
        regular = [path for path, problem in pairs if problem is None]
        if regular:
            check.found = regular[0]
            continue
        code, sentence = next(p for p in outcomes if p is not None)
        if len(check.candidates) > 1 and code == "MC804":
            sentence = f"neither {' nor '.join(check.candidates)} is in the commit"
        check.verdict = failed(check.pin, code, f"{key} at {check.commit[:12]}: {sentence}")


@dataclass(frozen=True, slots=True)
class _Probe:
    check: _Check
    index: int  # which candidate of the check
    path: str  # the path examined now (a symlink's target after a hop)
    named: str  # the path the entrypoint named
    hops: int

    def worded(self, problem: tuple[str, str] | None) -> tuple[str, str] | None:
        """A problem found after following symlinks says which link led there."""
        if problem is None or self.path == self.named:
            return problem
        return problem[0], f"{self.named} is a symlink to {self.path}: {problem[1]}"


_MAX_TREE = 64 << 20  # a folder's tree object: 64 MiB is about a million entries


def _entry_outcome(
    found: tuple[str, bytes | None] | None, path: str
) -> tuple[str, str] | str | None:
    """From the folder tree holding `path`: None for a regular file, (code, sentence) for a
    problem, or the blob id of a symlink to follow."""
    if found is None or found[0] != "tree":
        return "MC804", f"{path} is not in the commit"
    if found[1] is None:
        return "MC804", f"the folder of {path} is a tree larger than 64 MiB: not read"
    entry = _tree_entry(found[1], posixpath.basename(path).encode("utf-8", "surrogateescape"))
    if entry is None:
        return "MC804", f"{path} is not in the commit"
    mode, oid = entry
    if mode in REGULAR_MODES:
        return None
    if mode == _SYMLINK:
        return oid
    if mode == _GITLINK:
        return "MC805", f"{path} is a submodule, not a file"
    return "MC805", f"{path} is a directory, not a file"


def _tree_entry(data: bytes, name: bytes) -> tuple[bytes, str] | None:
    """(mode, id) of `name` in a tree object (`<mode> <name>\0<20-byte id>` each), or None."""
    position = 0
    while position < len(data):
        space = data.index(b" ", position)
        nul = data.index(b"\0", space)
        if data[space + 1 : nul] == name:
            return data[position:space], data[nul + 1 : nul + 21].hex()
        position = nul + 21
    return None


def _follow(
    reader: ObjectReader,
    links: list[tuple[_Probe, str]],
    results: dict[tuple[int, int], tuple[str, str] | None],
) -> list[_Probe]:
    """Read every symlink's target in one batch: a target that leaves the tree is MC806;
    one inside it is the next round's probe."""
    if not links:
        return []
    oids = sorted({oid for _, oid in links})
    # A symlink's target is a path: at most PATH_MAX (4,096) bytes; a larger blob is no path.
    targets = dict(zip(oids, reader.contents(oids, max_size=4096), strict=True))
    next_round: list[_Probe] = []
    for probe, oid in links:
        content = targets[oid]
        where = (id(probe.check), probe.index)
        if content is not None and content[1] is None:
            sentence = f"{probe.named} is a symlink whose target is longer than any path"
            results[where] = ("MC806", sentence)
            continue
        target = content[1].decode("utf-8", "replace") if content and content[1] else ""
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(probe.path), target))
        shown = as_json(target)
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            sentence = f"{probe.named} is a symlink to {shown}, outside the repository's tree"
            results[where] = ("MC806", sentence)
        elif unsafe_reason(resolved) is not None or resolved in (".", ""):
            sentence = f"{probe.named} is a symlink to {shown}, not to a file in the tree"
            results[where] = ("MC806", sentence)
        elif probe.hops + 1 >= _MAX_SYMLINK_HOPS:
            sentence = f"{probe.named} is a chain of more than {_MAX_SYMLINK_HOPS} symlinks"
            results[where] = ("MC806", sentence)
        else:
            next_round.append(
                _Probe(probe.check, probe.index, resolved, probe.named, probe.hops + 1)
            )
    return next_round
