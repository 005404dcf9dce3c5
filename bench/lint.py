"""`model-conformance lint` against `check-jsonschema --schemafile`, side by side.

Generates realistic model metadata files (about 1 KB each, by default 10% with errors)
into a temporary directory, then times both tools as whole processes on the same files with
the same bundled schema, alternating runs so machine noise hits both alike. Prints medians
and the ratio lint / check-jsonschema. Targets, with `--jobs 1`: at most 0.15 on 10,000
files of which 20% are invalid, at most 0.25 on 2,000 files that are all invalid.

    .venv/bin/python bench/lint.py [--files 10000] [--invalid 10] [--repeat 5] [--jobs N]

`--baseline-src DIR` times an earlier checkout's `src/` too (`git archive REV src schemas
migrations | tar -x -C DIR`, then `DIR/src`), both through the same launcher, so a change's
cost is measured in one run; the two must agree on the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "model_artifact_metadata.json"
BIN = Path(sys.executable).parent

FAMILIES = ["transformer", "gradient_boosted_trees", "logistic_regression", "cnn", "gnn"]
FRAMEWORKS = ["pytorch", "xgboost", "scikit-learn", "jax", "lightgbm"]
METRICS = [
    "auroc",
    "average_precision",
    "f1",
    "accuracy",
    "log_loss",
    "rmse",
    "mae",
    "brier_score",
    "calibration_error",
]


def metadata(rng: random.Random, i: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "model_family": rng.choice(FAMILIES),
        "framework": rng.choice(FRAMEWORKS),
        "parameter_count": rng.randrange(1_000, 500_000_000),
        "training_data": [
            f"dataset:cohort_{rng.randrange(1000):04d}_{year}q{rng.randrange(1, 5)}"
            for year in rng.sample(range(2019, 2025), rng.randrange(1, 4))
        ],
        "evaluation_dataset": f"dataset:holdout_{rng.randrange(1000):04d}",
        "evaluation_metrics": {m: round(rng.random(), 4) for m in rng.sample(METRICS, 6)},
        "benchmark_id": f"benchmark-{rng.randrange(50)}",
        "base_model_id": f"artifact:model_{rng.randrange(10_000):05d}_base",
        "trained_at": f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T12:00:00Z",
    }
    if i % 3 == 0:
        doc |= {
            "is_external": True,
            "external_source_url": f"https://huggingface.co/org-{i}/model-{i}",
            "external_source_version": f"{rng.getrandbits(160):040x}",
            "license": rng.choice(["apache-2.0", "mit", "cc-by-4.0"]),
            "model_card": f"https://huggingface.co/org-{i}/model-{i}/blob/main/README.md",
        }
    else:
        doc["training_config"] = {
            "entrypoint": "train.py",
            "code_ref": f"git+https://git.example.internal/ml/model-{i}@{rng.getrandbits(160):040x}",
            "learning_rate": round(rng.uniform(1e-5, 1e-1), 6),
            "batch_size": rng.choice([32, 64, 128, 256]),
            "epochs": rng.randrange(1, 100),
            "seed": rng.randrange(2**31),
            "optimizer": rng.choice(["adam", "adamw", "sgd"]),
            "notes": "nightly retrain on the latest cohort snapshot, early stopping on val loss",
            "feature_set": f"features/v{rng.randrange(1, 20)}/customer_window_90d.parquet",
            "hardware": rng.choice(["1x A100 80GB", "8x H100", "cpu-64"]),
        }
    return doc


def break_it(rng: random.Random, doc: dict[str, Any]) -> str:
    """One of the mistakes people make, as file text."""
    kind = rng.randrange(6)
    if kind == 0:
        doc["parameter_count"] = "1.2M"
    elif kind == 1:
        del doc["framework"]
    elif kind == 2:
        doc["training_data"] = []
    elif kind == 3:
        doc["evaluation_metrics"]["auroc"] = "high"
    elif kind == 4:
        return json.dumps(doc, indent=2)[:-2] + ",\n}"  # trailing comma
    else:
        doc["external_source_url"] = "not a url"
    return json.dumps(doc, indent=2)


def generate(folder: Path, count: int, invalid_percent: int = 10, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        doc = metadata(rng, i)
        broken = (i * invalid_percent) % 100 < invalid_percent  # spread evenly
        text = break_it(rng, doc) if broken else json.dumps(doc, indent=2)
        path = folder / f"model_{i:05d}.model.json"
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# The timed processes get a bytecode cache of their own (warmed by an untimed run), as an
# installed package has (pip compiles it): with PYTHONDONTWRITEBYTECODE set and no cache,
# every run would compile this checkout's modules again, while check-jsonschema's are
# compiled in site-packages.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, the process and its workers), exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--invalid", type=int, default=10, help="percent of files with errors")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, help="passed to lint (default: its own choice)")
    parser.add_argument("--baseline-src", type=Path, help="an earlier checkout's src/ to time")
    args = parser.parse_args()

    check_jsonschema = shutil.which("check-jsonschema", path=str(BIN)) or "check-jsonschema"
    with (
        tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp,
        tempfile.TemporaryDirectory(prefix="bench-lint-pyc-") as pyc,
    ):
        ENV["PYTHONPYCACHEPREFIX"] = pyc
        folder = Path(tmp)
        paths = generate(folder, args.files, args.invalid)
        names = [p.name for p in paths]
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        size = sum(p.stat().st_size for p in paths) / len(paths)
        commands = {
            "model-conformance lint": [str(BIN / "model-conformance"), "lint", *jobs, *names],
            "check-jsonschema": [check_jsonschema, "--schemafile", str(SCHEMA), *names],
        }
        if args.baseline_src:
            for name, src in [("lint (this checkout)", ROOT / "src"), ("lint (baseline)", None)]:
                where = (src or args.baseline_src).resolve()
                commands[name] = [*_launcher(where), "lint", *jobs, *names]
        print(
            f"{len(paths)} files, mean {size:.0f} bytes, {args.invalid}% with errors, "
            f"lint {' '.join(jobs) or '(its own --jobs)'}, in {folder}"
        )
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for command in commands.values():
            timed(command, folder)  # untimed: fills the bytecode cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        codes: dict[str, set[int]] = {name: set() for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                wall, cpu, code = timed(command, folder)
                times[name].append(wall)
                cpus[name].append(cpu)
                codes[name].add(code)
        for name in commands:
            runs = ", ".join(f"{t:.2f}" for t in times[name])
            median, cpu = statistics.median(times[name]), statistics.median(cpus[name])
            print(
                f"{name:24} median {median:6.2f} s wall, {cpu:6.2f} s CPU  "
                f"(wall runs: {runs}; exit {sorted(codes[name])})"
            )
        lint, other = "model-conformance lint", "check-jsonschema"
        ratio = statistics.median(times[lint]) / statistics.median(times[other])
        cpu_ratio = statistics.median(cpus[lint]) / statistics.median(cpus[other])
        print(f"ratio lint / check-jsonschema: {ratio:.3f} wall{_spread(times, lint, other)}")
        print(f"ratio lint / check-jsonschema: {cpu_ratio:.3f} CPU time")
        if args.baseline_src:
            now = statistics.median(times["lint (this checkout)"])
            before = statistics.median(times["lint (baseline)"])
            spread = _spread(times, "lint (this checkout)", "lint (baseline)")
            print(f"ratio this checkout / baseline: {now / before:.3f} wall{spread}")
            if codes["lint (this checkout)"] != codes["lint (baseline)"]:
                sys.exit("the baseline's exit codes differ: it did not run as this one does")


def _spread(times: dict[str, list[float]], one: str, other: str) -> str:
    """Each round's own ratio (the two timed back to back): the spread the host's load gives,
    and its median, which a slow moment moves less than the ratio of the medians."""
    rounds = sorted(a / b for a, b in zip(times[one], times[other], strict=True))
    return f" (per round: median {statistics.median(rounds):.3f}, {rounds[0]:.3f}-{rounds[-1]:.3f})"


def _launcher(src: Path) -> list[str]:
    """`model-conformance` from the package under `src`, ahead of the installed one."""
    code = (
        f"import sys; sys.path.insert(0, {str(src)!r}); "
        "from model_conformance import cli; getattr(cli, 'run', cli.main)()"
    )
    return [sys.executable, "-c", code]


if __name__ == "__main__":
    main()
