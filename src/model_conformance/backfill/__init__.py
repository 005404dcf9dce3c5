"""Backfilling legacy model artifacts onto the schema (see docs/backfill.md)."""

from model_conformance.backfill.legacy import LegacyMapping, map_legacy
from model_conformance.backfill.policy import Decision, decide
from model_conformance.backfill.run import Outcome, backfill, pending_ids, plan

__all__ = [
    "Decision",
    "LegacyMapping",
    "Outcome",
    "backfill",
    "decide",
    "map_legacy",
    "pending_ids",
    "plan",
]
