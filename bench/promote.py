"""Benchmark the promotion lifecycle on a large registry.

1. Builds a registry of --versions model versions in --lines lines inside PostgreSQL
   (set-based SQL, generate_series; each line a parent_version_id chain whose first version
   is the champion, every version with its registration event), then times `promote` with
   every built-in gate on plus a metric gate against the champion, on --promotions lines
   picked at random: each promotion supersedes its line's champion. Median and p90, ms.
2. Times `history` of one line holding --history-events events, each at its own time (median
   of --repeat runs, at least 5), and a page of it: the newest --page events, and the page
   before the line's middle event. With --baseline-src (another checkout's `src`, e.g. of
   the commit before a change), also the whole history read by this checkout and by that
   one side by side: each in its own process, the processes interleaved.
3. Times a bulk `register_many` of --register-docs documents (bench/register.py's stream)
   with the lifecycle (migration 0005's triggers, and one event written per version) against
   the same run without it (the same schema with the triggers dropped, and no events
   written), runs interleaved, median of --repeat each.

    .venv/bin/python bench/promote.py                       # 1,000,000 versions, 100,000 lines
    .venv/bin/python bench/promote.py --versions 100000 --lines 10000 --register-docs 20000
    git archive <commit> src | tar -x -C /tmp/before && \
        .venv/bin/python bench/promote.py --skip register --baseline-src /tmp/before/src

Without --dsn it starts its own embedded server under a temporary directory. Building the
registry loads it with triggers off (`session_replication_role = replica`, superuser only)
and gives the line ids and events the triggers would have written: the rows are valid by
construction, and a million row-level trigger calls would only time the load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from model_conformance.db.migrate import apply_migrations, discover_migrations
from model_conformance.lifecycle import GateConfig, MetricGate, history, promote
from model_conformance.registry import register_many

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: bench.register
from bench.register import stream as register_stream  # the same documents as bench/register.py
from bench.scan import server  # a throw-away embedded server, as the scan bench starts one

DATASETS = 100
SRC = Path(__file__).resolve().parents[1] / "src"
GATES = GateConfig(metrics=(MetricGate("auroc", ">=", threshold=0.5, min_change=0.0),))


@contextmanager
def database(admin_dsn: str, *, up_to: int | None = None) -> Iterator[str]:
    """A scratch database with the migrations applied (all, or those numbered <= up_to)."""
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(admin_dsn, dbname=name)
    try:
        with psycopg.connect(dsn) as conn:
            if up_to is None:
                apply_migrations(conn)
            else:
                with tempfile.TemporaryDirectory() as folder:
                    for migration in discover_migrations():
                        if migration.version <= up_to:
                            shutil.copy(migration.path, Path(folder) / migration.filename)
                    apply_migrations(conn, directory=Path(folder))
        yield dsn
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# Version k (0-based) of line l is `v-<l>-<k>`; its parent is `v-<l>-<k-1>`; version 0 is the
# line's champion. Every row passes every built-in gate.
_BUILD = """
SET LOCAL session_replication_role = replica;
INSERT INTO artifacts (id, artifact_type, title)
SELECT 'dataset-' || d, 'dataset', 'dataset ' || d FROM generate_series(0, {datasets} - 1) d;
INSERT INTO artifacts (id, artifact_type, title, metadata, version_number, parent_version_id)
SELECT 'v-' || l || '-' || k, 'model', 'line ' || l || ' v' || k,
       jsonb_build_object(
           'model_family', 'transformer', 'framework', 'pytorch',
           'parameter_count', 1000 + k, 'training_data', jsonb_build_array('corpus-' || l),
           'evaluation_dataset', 'dataset-' || (l % {datasets}),
           'evaluation_metrics', jsonb_build_object('auroc', 0.6 + k / 100.0),
           'training_config', jsonb_build_object('learning_rate', 0.001, 'epochs', 3)),
       k + 1, CASE WHEN k > 0 THEN 'v-' || l || '-' || (k - 1) END
FROM generate_series(0, {lines} - 1) l, generate_series(0, {per_line} - 1) k;
INSERT INTO model_versions (artifact_id, code_repo_url, code_commit_sha, code_entrypoint,
    eval_metrics_json, eval_dataset_artifact_id, promotion_state, line_id)
SELECT 'v-' || l || '-' || k, 'https://git.example.org/models.git',
       md5(l || '-' || k) || left(md5(k || '-' || l), 8), 'train.py',
       jsonb_build_object('auroc', 0.6 + k / 100.0), 'dataset-' || (l % {datasets}),
       CASE WHEN k = 0 THEN 'promoted' ELSE 'candidate' END, 'v-' || l || '-0'
FROM generate_series(0, {lines} - 1) l, generate_series(0, {per_line} - 1) k;
INSERT INTO promotion_events (artifact_id, line_id, seq, action, from_state, to_state, actor,
    reason)
SELECT 'v-' || l || '-' || k, 'v-' || l || '-0', 1, 'register', NULL, 'candidate', 'bench',
       'registered'
FROM generate_series(0, {lines} - 1) l, generate_series(0, {per_line} - 1) k;
INSERT INTO promotion_events (artifact_id, line_id, seq, action, from_state, to_state, actor,
    reason)
SELECT 'v-' || l || '-0', 'v-' || l || '-0', 2, 'promote', 'candidate', 'promoted', 'bench',
       'first champion'
FROM generate_series(0, {lines} - 1) l;
-- one long line for `history`: its versions' registration events
INSERT INTO artifacts (id, artifact_type, metadata, parent_version_id)
SELECT 'h-' || k, 'model', '{{}}'::jsonb, CASE WHEN k > 0 THEN 'h-' || (k - 1) END
FROM generate_series(0, {history} - 1) k;
INSERT INTO model_versions (artifact_id, line_id)
SELECT 'h-' || k, 'h-0' FROM generate_series(0, {history} - 1) k;
-- (a minute apart: a long line's events come from many transactions, each its own `at`)
INSERT INTO promotion_events (artifact_id, line_id, seq, action, from_state, to_state, actor,
    reason, at)
SELECT 'h-' || k, 'h-0', 1, 'register', NULL, 'candidate', 'bench', 'registered',
       now() - make_interval(mins => {history} - k)
FROM generate_series(0, {history} - 1) k;
SET LOCAL session_replication_role = origin
"""


def build(dsn: str, lines: int, per_line: int, history_events: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        script = _BUILD.format(
            datasets=DATASETS, lines=lines, per_line=per_line, history=history_events
        )
        with conn.transaction():
            for statement in script.split(";\n"):
                if statement.strip():
                    conn.execute(statement.encode())
        conn.execute("ANALYZE artifacts, model_versions, promotion_events")
        conn.commit()
    return time.perf_counter() - started


def time_promotions(dsn: str, lines: int, per_line: int, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    picked = rng.sample(range(lines), min(count, lines))
    timings = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        promote(conn, f"v-{picked[0]}-1", reason="warm-up", actor="bench", gates=GATES)
        for line in picked[1:]:
            candidate = f"v-{line}-{per_line - 1}"
            started = time.perf_counter()
            result = promote(conn, candidate, reason="bench", actor="bench", gates=GATES)
            timings.append(time.perf_counter() - started)
            assert result.superseded == f"v-{line}-0"
            assert result.passed
    return timings


def time_history(
    dsn: str, events: int, repeat: int, *, limit: int | None = None, middle: bool = False
) -> list[float]:
    """`history` of the long line: whole, or its newest `limit` events (before its middle
    event with `middle`)."""
    timings = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = history(conn, "h-0").events[events // 2].id if middle else None
        for _ in range(repeat + 1):
            started = time.perf_counter()
            found = history(conn, "h-0", limit=limit, before=before)
            timings.append(time.perf_counter() - started)
            assert len(found.events) == (limit or events)
            del found  # as a caller that is done with it: freed before the next run
    return timings[1:]  # the first run warms the caches


# A process that reads the whole history with whichever `model_conformance` is on its path
# (PYTHONPATH: a --baseline-src, or this checkout's src) and prints its timings as JSON.
_HISTORY_CHILD = """
import json, sys, time
import psycopg
from model_conformance.lifecycle import history
dsn, events, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
timings = []
with psycopg.connect(dsn, autocommit=True) as conn:
    for _ in range(repeat + 1):
        started = time.perf_counter()
        found = history(conn, "h-0")
        timings.append(time.perf_counter() - started)
        assert len(found.events) == events
        del found
print(json.dumps(timings[1:]))
"""


def time_history_side_by_side(
    dsn: str, events: int, repeat: int, sources: dict[str, Path], rounds: int
) -> dict[str, list[float]]:
    """The whole history read by each source tree, `rounds` processes each, interleaved."""
    timings: dict[str, list[float]] = {name: [] for name in sources}
    for _ in range(rounds):
        for name, source in sources.items():
            env = {**os.environ, "PYTHONPATH": str(source)}
            command = [sys.executable, "-c", _HISTORY_CHILD, dsn, str(events), str(repeat)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            timings[name] += json.loads(done.stdout)
    return timings


# Without the lifecycle: the same schema with the triggers dropped and no events written.
_DROP_TRIGGERS = (
    "DROP TRIGGER model_versions_line ON model_versions",
    "DROP TRIGGER model_versions_check ON model_versions",
    "DROP TRIGGER promotion_events_fill ON promotion_events",
    "DROP TRIGGER promotion_events_check ON promotion_events",
)


def time_register(admin_dsn: str, lines: list[str], *, lifecycle: bool) -> float:
    with database(admin_dsn) as dsn, psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO artifacts (id, artifact_type) VALUES (%s, 'dataset')",
                [(f"dataset-holdout-{n}",) for n in range(50)],
            )
            if not lifecycle:
                for statement in _DROP_TRIGGERS:
                    cur.execute(statement.encode())
        conn.commit()
        no_events = mock.patch("model_conformance.registry.store.write_initial_events")
        with no_events if not lifecycle else _nothing():
            started = time.perf_counter()
            docs = (json.loads(line) for line in lines)
            results = list(register_many(conn, docs))
            elapsed = time.perf_counter() - started
        created = sum(r.status == "created" for r in results)
        row = conn.execute("SELECT count(*) FROM model_versions").fetchone()
        assert row is not None
        assert row[0] == created
        events = conn.execute("SELECT count(*) FROM promotion_events").fetchone()
        assert events is not None
        assert events[0] == (created if lifecycle else 0)
    return elapsed


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--promotions", type=int, default=201)
    parser.add_argument("--history-events", type=int, default=10_000)
    parser.add_argument("--register-docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", choices=["registry", "register"], action="append", default=[])
    parser.add_argument("--dsn", help="server to use (scratch databases are created on it)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page", type=int, default=100, help="events in a page of history")
    parser.add_argument(
        "--baseline-src",
        type=lambda text: Path(text).resolve(),
        help="another checkout's src: its `history` timed side by side with this one's",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="processes per side with --baseline-src"
    )
    args = parser.parse_args()
    per_line = args.versions // args.lines
    if per_line < 2:
        raise SystemExit("--versions must be at least twice --lines (a champion and a candidate)")

    with server(args.dsn) as admin_dsn:
        if "registry" not in args.skip:
            with database(admin_dsn) as dsn:
                built = build(dsn, args.lines, per_line, args.history_events)
                print(
                    f"registry: {args.lines * per_line:,} versions in {args.lines:,} lines "
                    f"(+ a line of {args.history_events:,}), built in {built:.1f} s"
                )
                timings = time_promotions(dsn, args.lines, per_line, args.promotions, args.seed)
                print(
                    f"promote (every built-in gate + a metric gate vs the champion, "
                    f"superseding it): {_ms(timings)} over {len(timings)} promotions"
                )
                repeat = max(args.repeat, 5)
                shown = time_history(dsn, args.history_events, repeat)
                print(f"history of a line with {args.history_events:,} events: {_ms(shown)}")
                for middle in (False, True):
                    paged = time_history(
                        dsn, args.history_events, repeat, limit=args.page, middle=middle
                    )
                    where = "before its middle event" if middle else "its newest"
                    print(f"history, a page of {args.page} events ({where}): {_ms(paged)}")
                if args.baseline_src:
                    sources = {"this checkout": SRC, "--baseline-src": args.baseline_src}
                    sides = time_history_side_by_side(
                        dsn, args.history_events, repeat, sources, args.rounds
                    )
                    now, before = (statistics.median(sides[name]) for name in sources)
                    print(
                        "history, side by side (processes interleaved): this checkout "
                        f"{_ms(sides['this checkout'])}; --baseline-src "
                        f"{_ms(sides['--baseline-src'])}; ratio {now / before:.2f} "
                        f"({len(sides['this checkout'])} runs each)"
                    )
        if "register" not in args.skip:
            stream = register_stream(args.register_docs, args.seed)
            runs: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(args.repeat):
                for lifecycle in (False, True):  # interleaved: load changes hit both alike
                    runs[lifecycle].append(time_register(admin_dsn, stream, lifecycle=lifecycle))
            without, with_ = (statistics.median(runs[flag]) for flag in (False, True))
            print(
                f"register {args.register_docs:,} documents: without the lifecycle "
                f"{without:.2f} s ({args.register_docs / without:,.0f}/s), with it "
                f"{with_:.2f} s ({args.register_docs / with_:,.0f}/s): "
                f"{(with_ / without - 1) * 100:+.1f}% (medians of {args.repeat}; runs "
                f"{[round(t, 2) for t in runs[False]]} vs {[round(t, 2) for t in runs[True]]})"
            )


if __name__ == "__main__":
    main()
