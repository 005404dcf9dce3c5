"""Throughput of `validate_metadata` against a plain, reused `jsonschema.Draft7Validator`.

Both run in the same process on the same documents, alternating, several rounds; the
figures are medians. Run: `.venv/bin/python bench/validate.py [--docs 2000] [--rounds 7]`.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from model_conformance import validate_metadata
from model_conformance.schema import default_schema
from model_conformance.validator import default_validator

FULL_SHA = "0123456789abcdef0123456789abcdef01234567"


def valid_document(rng: random.Random, index: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "model_family": rng.choice(["transformer", "logistic_regression", "gbdt", "cnn"]),
        "framework": rng.choice(["pytorch", "scikit-learn", "xgboost", "jax"]),
        "parameter_count": rng.randrange(1_000, 10**9),
        "training_data": [f"dataset-{rng.randrange(10**6):06d}" for _ in range(rng.randint(1, 3))],
        "evaluation_dataset": f"dataset-holdout-{index}",
        "evaluation_metrics": {
            name: round(rng.random(), 4) for name in ("auroc", "accuracy", "f1", "brier")
        },
        "benchmark_id": f"bench-{rng.randrange(100)}",
        "trained_at": "2024-05-01T12:00:00Z",
        "owner_team": "neuro-ml",
    }
    if index % 3 == 0:
        doc |= {
            "is_external": True,
            "external_source_url": f"https://huggingface.co/org/model-{index}",
            "external_source_version": FULL_SHA,
        }
    else:
        doc["training_config"] = {"learning_rate": 3e-4, "epochs": rng.randint(1, 50)}
    return doc


def invalid_document(rng: random.Random, index: int) -> dict[str, Any]:
    doc = valid_document(rng, index)
    breakage = index % 4
    if breakage == 0:
        doc["parameter_count"] = "1.2M"
    elif breakage == 1:
        del doc["framework"]
    elif breakage == 2:
        doc["is_external"] = True
        doc.pop("training_config", None)
        doc.pop("external_source_version", None)
        doc["external_source_url"] = "https://huggingface.co/org/model"
    else:
        doc["trained_at"] = "yesterday"
    return doc


def docs_per_second(check: Callable[[Any], object], docs: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for doc in docs:
        check(doc)
    return len(docs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(7)
    valid = [valid_document(rng, i) for i in range(args.docs)]
    invalid = [invalid_document(rng, i) for i in range(args.docs)]
    assert all(validate_metadata(d) == [] for d in valid)
    assert all(validate_metadata(d) for d in invalid)

    reference = jsonschema.Draft7Validator(
        default_schema().document, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )

    def jsonschema_check(doc: Any) -> object:
        return list(reference.iter_errors(doc))

    # The same validator explaining every failure from the whole schema, without the
    # variant shortcut (_variant.py): what that second path buys, in the same run.
    whole = copy.copy(default_validator())
    whole._variants = None

    rows: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for label, docs in (("valid", valid), ("invalid", invalid)):
            rows.setdefault(f"model_conformance {label}", []).append(
                docs_per_second(validate_metadata, docs)
            )
            rows.setdefault(f"jsonschema {label}", []).append(
                docs_per_second(jsonschema_check, docs)
            )
        rows.setdefault("whole-schema explanation invalid", []).append(
            docs_per_second(whole.validate, invalid)
        )
    medians = {name: statistics.median(values) for name, values in rows.items()}
    print(f"{args.docs} documents per set, {args.rounds} alternating rounds, medians:")
    for name, value in medians.items():
        print(f"  {name:<28} {value:>12,.0f} docs/s")
    for label in ("valid", "invalid"):
        ratio = medians[f"model_conformance {label}"] / medians[f"jsonschema {label}"]
        # Each round's own ratio (both timed back to back): the spread the host's load gives.
        rounds = sorted(
            ours / theirs
            for ours, theirs in zip(
                rows[f"model_conformance {label}"], rows[f"jsonschema {label}"], strict=True
            )
        )
        print(
            f"  ratio on {label} documents: {ratio:.1f}x jsonschema "
            f"(per round: {rounds[0]:.1f}-{rounds[-1]:.1f}x)"
        )
    shortcut = medians["model_conformance invalid"] / medians["whole-schema explanation invalid"]
    print(f"  the variant shortcut on invalid documents: {shortcut:.2f}x the whole-schema path")


if __name__ == "__main__":
    main()
