"""Promotion states of a model version: `model_versions.promotion_state`, as data."""

from __future__ import annotations

from enum import StrEnum


class PromotionState(StrEnum):
    """A version is a `candidate` until promoted or rejected; a promoted version is
    `superseded` when another version of its line is promoted after it."""

    CANDIDATE = "candidate"
    PROMOTED = "promoted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
