"""The promotion lifecycle: enforced transitions, gates stored as data, one-step
promote-and-supersede, and an append-only history (docs/lifecycle.md)."""

from __future__ import annotations

from model_conformance.lifecycle.api import (
    ChampionAt,
    History,
    TransitionResult,
    champion_at,
    history,
    promote,
    reject,
    retire,
    rollback,
)
from model_conformance.lifecycle.config import GateConfig, MetricGate, load_gates
from model_conformance.lifecycle.errors import (
    GateFailed,
    LifecycleRefused,
    PromotionConflict,
    TransitionRefused,
)
from model_conformance.lifecycle.events import Event
from model_conformance.lifecycle.gates import GateResult

__all__ = [
    "ChampionAt",
    "Event",
    "GateConfig",
    "GateFailed",
    "GateResult",
    "History",
    "LifecycleRefused",
    "MetricGate",
    "PromotionConflict",
    "TransitionRefused",
    "TransitionResult",
    "champion_at",
    "history",
    "load_gates",
    "promote",
    "reject",
    "retire",
    "rollback",
]
