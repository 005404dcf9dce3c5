"""The promotion policy: a backfilled model's state follows from its data, never its id.

1. Anything a person must decide (a question from the mapping, a violation of the
   registration checks) holds the model: `candidate`, with notes listing each question.
2. A model with no evaluation against a dataset (no evaluation dataset, or no metrics),
   such as a mechanistic ODE fitted to calibration data, stays `candidate` until it passes
   the evaluation gate.
3. Otherwise — metadata valid, evaluated on a registered dataset artifact, metrics
   present — it is `promoted`.
The backfill never rejects: rejection is a person's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model_conformance.promotion import PromotionState
from model_conformance.violations import Violation

PROMOTED, CANDIDATE = PromotionState.PROMOTED, PromotionState.CANDIDATE


@dataclass(frozen=True, slots=True)
class Decision:
    state: PromotionState
    held: bool
    notes: str


def decide(
    metadata: dict[str, Any], questions: list[str], problems: list[Violation], remarks: list[str]
) -> Decision:
    errors = [v for v in problems if v.is_error]
    if questions or errors:
        items = [*questions, *(f"{v.code} at {v.path}: {v.message}" for v in errors)]
        listed = " ".join(f"({n}) {item}" for n, item in enumerate(items, 1))
        return Decision(
            CANDIDATE,
            True,
            f"Held for review by the backfill; a person must decide: {listed}",
        )
    metrics = metadata.get("evaluation_metrics") or {}
    dataset = metadata.get("evaluation_dataset")
    extra = "".join(f" Note: {remark}." for remark in remarks)
    if not dataset or not metrics:
        return Decision(
            CANDIDATE,
            False,
            "Candidate by backfill policy: no evaluation against a held-out dataset is "
            "recorded, so the model waits for the evaluation gate." + extra,
        )
    scores = ", ".join(f"{name} = {value:g}" for name, value in sorted(metrics.items()))
    return Decision(
        PROMOTED,
        False,
        f"Promoted by backfill policy: metadata valid; evaluated on dataset {dataset} "
        f"({scores})." + extra,
    )
