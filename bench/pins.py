"""Code-pin verification: `verify_pins` (one `cat-file --batch-command` per repository)
against the naive one-`git`-process-per-pin check, and against pygit2 when it is installed.

Generates 10 bare repositories of about 10,000 commits each with `git fast-import` (a side
history on a ref that is neither a branch nor a tag, so its commits are unreachable), laid
out as a mirrors folder, and 100,000 pins: 5% broken in each of these ways (a missing
commit, an abbreviated SHA, a tree id, a blob id, an unreachable commit, a missing
entrypoint, a directory, a symlink out of the tree, a hostile value, a repository with no
local copy), the rest passing (plain files, `-m` modules, files renamed by a later commit).

Times `verify_pins` over every pin (target: at most 10 s), checks every verdict against
what was generated, then times the naive check (`git ls-tree <sha> -- <path>`, one process
per pin, reachability not even checked) on a sample and extrapolates to every pin (target:
the batched run at least 20 times faster). With pygit2 importable, times the same checks
through libgit2 in-process.

    .venv/bin/python bench/pins.py [--repos 10] [--commits 10000] [--pins 100000]
                                   [--sample 2000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from model_conformance.pins import Pin, PinOutcome, Resolver, verify_pins  # noqa: E402
from model_conformance.pins.safety import GIT_PREFIX, git_environment  # noqa: E402

HOST = "git.example.org"
ENV = {
    **git_environment(),
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}
# How each kind of pin is expected to end: (outcome, code).
KINDS: dict[str, tuple[PinOutcome, str | None]] = {
    "missing-commit": (PinOutcome.FAIL, "MC801"),
    "abbreviated": (PinOutcome.FAIL, "MC402"),
    "tree-id": (PinOutcome.FAIL, "MC802"),
    "blob-id": (PinOutcome.FAIL, "MC802"),
    "unreachable": (PinOutcome.UNREACHABLE, "MC803"),
    "missing-entrypoint": (PinOutcome.FAIL, "MC804"),
    "directory": (PinOutcome.FAIL, "MC805"),
    "symlink-out": (PinOutcome.FAIL, "MC806"),
    "hostile": (PinOutcome.FAIL, "MC809"),
    "no-local-copy": (PinOutcome.UNVERIFIABLE, "MC808"),
}
BROKEN_SHARE = 0.05  # of the pins, for each kind above
PASSING = ("file", "module", "renamed-later")


@dataclass
class Generated:
    path: Path
    url: str
    main: list[str]  # commits on refs/heads/main, oldest first
    side: list[str]  # commits on refs/side/old (unreachable)
    rename_at: int  # index in `main` from which train.py is called fit.py


def fast_import_stream(commits: int, side: int, rename_at: int) -> bytes:
    """A history: src/pkg/train.py edited by every commit (fit.py from `rename_at` on),
    pkg/tool/__main__.py, a data/ folder, a symlink out of the tree; a side history."""
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(ref: str, mark: int, parent: int | None, files: dict[str, tuple[str, str]]) -> None:
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"committer bench <bench@example.org> {1_700_000_000 + mark} +0000\n".encode())
        data(f"change {mark}")
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        for path, (mode, content) in files.items():
            if mode == "D":
                out.append(f"D {path}\n".encode())
            else:
                out.append(f"M {mode} inline {path}\n".encode())
                data(content)

    base = {
        "src/pkg/train.py": ("100644", "print(0)\n"),
        "pkg/tool/__main__.py": ("100644", "print('tool')\n"),
        "pkg/tool/__init__.py": ("100644", ""),
        "data/README": ("100644", "data lives elsewhere\n"),
        "configs/v1.yaml": ("100644", "lr: 0.001\n"),
        "evil.py": ("120000", "../../../etc/passwd"),
    }
    commit("refs/heads/main", 1, None, base)
    for i in range(2, commits + 1):
        if i - 1 == rename_at:
            files = {"src/pkg/train.py": ("D", ""), "src/pkg/fit.py": ("100644", f"print({i})\n")}
        elif i - 1 > rename_at:
            files = {"src/pkg/fit.py": ("100644", f"print({i})\n")}
        else:
            files = {"src/pkg/train.py": ("100644", f"print({i})\n")}
        commit("refs/heads/main", i, i - 1, files)
    out.append(b"tag v1\nfrom :%d\ntagger bench <b@e.org> 1700000000 +0000\n" % commits)
    data("release")
    for j in range(side):
        mark = commits + 1 + j
        parent = rename_at // 2 if j == 0 else mark - 1
        commit("refs/side/old", mark, parent, {"src/pkg/train.py": ("100644", f"side {j}\n")})
    return b"".join(out)


def generate(mirrors: Path, index: int, commits: int, side: int) -> Generated:
    path = mirrors / HOST / "team" / f"repo{index}.git"
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(path)], env=ENV, check=True)
    rename_at = commits * 3 // 4
    marks = path / "marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=path,
        input=fast_import_stream(commits, side, rename_at),
        env=ENV,
        check=True,
    )
    by_mark = dict(
        (int(mark[1:]), sha)
        for mark, sha in (line.split() for line in marks.read_text().split("\n") if line)
    )
    marks.unlink()
    main = [by_mark[m] for m in range(1, commits + 1)]
    side_commits = [by_mark[commits + 1 + j] for j in range(side)]
    return Generated(path, f"https://{HOST}/team/repo{index}.git", main, side_commits, rename_at)


def object_ids(repo: Generated, names: list[str]) -> list[str]:
    done = subprocess.run(
        [*GIT_PREFIX, f"--git-dir={repo.path}", "cat-file", "--batch-check=%(objectname)"],
        input="".join(n + "\n" for n in names).encode(),
        capture_output=True,
        env=ENV,
        check=True,
    )
    return done.stdout.decode().split()


def make_pins(repos: list[Generated], total: int, rng: random.Random) -> list[tuple[Pin, str]]:
    per_repo = total // len(repos)
    pins: list[tuple[Pin, str]] = []
    hostile = ["--upload-pack=touch /tmp/x", "src/../../etc/passwd", "train.py\ninfo HEAD"]
    for r, repo in enumerate(repos):
        broken = int(per_repo * BROKEN_SHARE)
        kinds = [k for k in KINDS for _ in range(broken)]
        kinds += [PASSING[i % len(PASSING)] for i in range(per_repo - len(kinds))]
        rng.shuffle(kinds)
        sampled = [rng.randrange(len(repo.main)) for _ in kinds]
        trees = object_ids(repo, [f"{repo.main[i]}^{{tree}}" for i in sampled])
        blobs = object_ids(repo, [f"{repo.main[i]}:configs/v1.yaml" for i in sampled])
        for n, (kind, i) in enumerate(zip(kinds, sampled, strict=True)):
            commit = repo.main[i]
            current = "src/pkg/train.py" if i < repo.rename_at else "src/pkg/fit.py"
            entry, url = f"python {current} --config configs/v1.yaml", repo.url
            if kind == "missing-commit":
                commit = f"{rng.getrandbits(160):040x}"
            elif kind == "abbreviated":
                commit = commit[:10]
            elif kind == "tree-id":
                commit = trees[n]
            elif kind == "blob-id":
                commit = blobs[n]
            elif kind == "unreachable":
                commit = rng.choice(repo.side)
                entry = "src/pkg/train.py"
            elif kind == "missing-entrypoint":
                entry = "python src/pkg/evaluate.py"
            elif kind == "directory":
                entry = "data/"
            elif kind == "symlink-out":
                entry = "python evil.py"
            elif kind == "hostile":
                entry = hostile[n % len(hostile)]
            elif kind == "no-local-copy":
                url = f"https://{HOST}/elsewhere/repo{r}.git"
            elif kind == "module":
                entry = "python -m pkg.tool --serve"
            elif kind == "renamed-later":
                i = rng.randrange(repo.rename_at)  # before the rename: train.py is there
                commit, entry = repo.main[i], "src/pkg/train.py"
            pins.append((Pin(f"model-{len(pins):06d}", url, commit, entry), kind))
    return pins


def naive(pins: list[tuple[Pin, str]], mirrors: Path) -> float:
    """One `git ls-tree <sha> -- <path>` per pin (the file's mode, if commit and file exist)."""
    started = time.perf_counter()
    for pin, _ in pins:
        key = pin.repo_url.removeprefix("https://").removesuffix(".git")
        git_dir = mirrors.joinpath(*f"{key}.git".split("/"))
        if not git_dir.is_dir() or "\n" in (pin.entrypoint or ""):
            continue
        words = (pin.entrypoint or "").split()
        path = next((w for w in words if "/" in w or w.endswith(".py")), "x")
        subprocess.run(
            ["git", f"--git-dir={git_dir}", "ls-tree", pin.commit, "--", path],
            env=ENV,
            capture_output=True,
            check=False,
        )
    return time.perf_counter() - started


def with_pygit2(pins: list[tuple[Pin, str]], mirrors: Path) -> float | None:
    """The same checks through libgit2, in-process: object type, tree entry mode,
    reachability from a set walked once per repository."""
    try:
        import pygit2
    except ImportError:
        return None
    started = time.perf_counter()
    repos: dict[str, tuple[Any, set[str]] | None] = {}
    for pin, _ in pins:
        key = pin.repo_url.removeprefix("https://").removesuffix(".git")
        if key not in repos:
            git_dir = mirrors.joinpath(*f"{key}.git".split("/"))
            if not git_dir.is_dir():
                repos[key] = None
                continue
            repo = pygit2.Repository(str(git_dir))
            reachable: set[str] = set()
            walker = repo.walk(repo.references["refs/heads/main"].target)
            reachable.update(str(c.id) for c in walker)
            repos[key] = (repo, reachable)
        found = repos[key]
        if found is None or len(pin.commit) != 40 or "\n" in (pin.entrypoint or ""):
            continue
        repo, reachable = found
        obj = repo.get(pin.commit)
        if obj is None or obj.type != pygit2.enums.ObjectType.COMMIT:
            continue
        words = (pin.entrypoint or "").split()
        path = next((w for w in words if "/" in w or w.endswith(".py")), "x").rstrip("/")
        try:
            entry = obj.tree[path]
            _ = entry.filemode, pin.commit in reachable
        except KeyError:
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--pins", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into DIR and leave it there")
    args = parser.parse_args()
    rng = random.Random(15)
    work = Path(tempfile.mkdtemp(prefix="bench-pins-")) if args.keep is None else args.keep
    mirrors = work / "mirrors"
    try:
        started = time.perf_counter()
        side = max(1, args.commits // 20)
        repos = [generate(mirrors, i, args.commits, side) for i in range(args.repos)]
        pins = make_pins(repos, args.pins, rng)
        print(
            f"generated {args.repos} repositories x {args.commits + side} commits and "
            f"{len(pins)} pins in {time.perf_counter() - started:.1f} s"
        )

        times = []
        for _ in range(args.repeat):  # a fresh resolver each time: nothing carried over
            started = time.perf_counter()
            verdicts = verify_pins([p for p, _ in pins], Resolver(work, mirrors=mirrors))
            times.append(time.perf_counter() - started)
        batched = statistics.median(times)
        wrong = [
            (kind, v.outcome, v.code, v.detail)
            for (_, kind), v in zip(pins, verdicts, strict=True)
            if (v.outcome, v.code) != KINDS.get(kind, (PinOutcome.PASS, None))
        ]
        if wrong:
            sys.exit(f"{len(wrong)} verdicts differ from the generated truth, e.g. {wrong[:3]}")
        print(
            f"verify_pins: {len(pins)} pins in {batched:.2f} s (median of {args.repeat}), "
            "every verdict as generated"
        )

        sample = rng.sample(pins, min(args.sample, len(pins)))
        per_pin = naive(sample, mirrors) / len(sample)
        extrapolated = per_pin * len(pins)
        print(
            f"naive (one git process per pin): {per_pin * 1e3:.2f} ms per pin on a sample of "
            f"{len(sample)}, {extrapolated:.0f} s for {len(pins)} pins (extrapolated): "
            f"verify_pins is {extrapolated / batched:.0f}x faster"
        )
        runs = [with_pygit2(pins, mirrors) for _ in range(args.repeat)]
        if None not in runs:
            libgit2 = statistics.median(t for t in runs if t is not None)
            print(
                f"pygit2 (libgit2 in-process, same checks, no symlink following): {libgit2:.2f} s"
            )
        ok = batched <= 10 and extrapolated / batched >= 20
        print("targets (<= 10 s, >= 20x the naive check):", "met" if ok else "NOT met")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    main()
