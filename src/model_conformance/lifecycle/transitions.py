"""The allowed state changes, as data. Migration 0005's `mc_transition_allowed` says the same
in SQL (a test holds the two together)."""

from __future__ import annotations

from enum import StrEnum

from model_conformance.lifecycle.errors import TransitionRefused
from model_conformance.promotion import PromotionState

CANDIDATE = PromotionState.CANDIDATE
PROMOTED = PromotionState.PROMOTED
REJECTED = PromotionState.REJECTED
SUPERSEDED = PromotionState.SUPERSEDED


class Action(StrEnum):
    """Why an event was written; shown in the history."""

    REGISTER = "register"
    BACKFILL = "backfill"
    ADOPT = "adopt"  # migration 0005 recording the state it found
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    SUPERSEDE = "supersede"
    REJECT = "reject"
    RETIRE = "retire"


ALLOWED: frozenset[tuple[PromotionState, PromotionState]] = frozenset(
    {
        (CANDIDATE, PROMOTED),
        (CANDIDATE, REJECTED),
        (PROMOTED, SUPERSEDED),
        (SUPERSEDED, PROMOTED),
    }
)

# The one state each action may start from, and where it leads.
ACTION_STEPS: dict[Action, tuple[PromotionState, PromotionState]] = {
    Action.PROMOTE: (CANDIDATE, PROMOTED),
    Action.ROLLBACK: (SUPERSEDED, PROMOTED),
    Action.SUPERSEDE: (PROMOTED, SUPERSEDED),
    Action.REJECT: (CANDIDATE, REJECTED),
    Action.RETIRE: (PROMOTED, SUPERSEDED),
}

_HINTS: dict[tuple[Action, PromotionState], str] = {
    (Action.PROMOTE, SUPERSEDED): "a superseded version comes back with `rollback`",
    (Action.PROMOTE, PROMOTED): "it is already the champion of its line",
    (Action.ROLLBACK, CANDIDATE): "a candidate is promoted with `promote`",
    (Action.ROLLBACK, PROMOTED): "it is already the champion of its line",
    (Action.RETIRE, CANDIDATE): "only the champion can be retired; a candidate is rejected",
}


def is_allowed(source: PromotionState, target: PromotionState) -> bool:
    return (source, target) in ALLOWED


def check_action(artifact_id: str, action: Action, state: PromotionState) -> PromotionState:
    """The state `action` leads `artifact_id` to from `state`; `TransitionRefused` when it
    cannot start there."""
    source, target = ACTION_STEPS[action]
    if state == source:
        return target
    if state == REJECTED:
        hint = "rejected is final"
    else:
        hint = _HINTS.get((action, state), f"{action.value} starts from {source.value}")
    raise TransitionRefused(f"cannot {action.value} {artifact_id}: it is {state.value}, and {hint}")
