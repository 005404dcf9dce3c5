"""Errors of the promotion lifecycle: each one a sentence and a stable MC7xx code.

`LifecycleRefused` and its subclasses are refusals by a rule or a gate (exit 1 on the
command line); the others are usage or configuration errors (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model_conformance.violations import ConformanceError

if TYPE_CHECKING:
    from model_conformance.lifecycle.gates import GateResult


class LifecycleRefused(ConformanceError):
    """A lifecycle rule refused the change; nothing was written."""

    code = "MC701"


class TransitionRefused(LifecycleRefused):
    """The state change is not an allowed transition (rejected is final, and so on)."""

    code = "MC701"


class EventRequired(LifecycleRefused):
    """The database refused a state change that no event of its transaction records."""

    code = "MC702"


class HistoryAppendOnly(LifecycleRefused):
    """The database refused an UPDATE, DELETE or TRUNCATE of promotion_events."""

    code = "MC703"


class PromotionConflict(LifecycleRefused):
    """Another change of the same line ran at the same time, or changed the champion after
    this one had judged its gates against it. Judging again is the remedy."""

    code = "MC704"


class GateFailed(LifecycleRefused):
    """At least one gate failed and was not waived; `results` holds every gate's result."""

    code = "MC705"

    def __init__(self, message: str, results: list[GateResult]) -> None:
        super().__init__(message)
        self.results = results


class WaiverInvalid(ConformanceError):
    """A waiver names a gate this promotion does not have."""

    code = "MC706"


class GatesConfigInvalid(ConformanceError):
    """The gate settings (pyproject.toml or --gates FILE) cannot be used."""

    code = "MC707"


class UnknownVersion(ConformanceError):
    """The id names no registered model version."""

    code = "MC708"


class LifecycleInputInvalid(ConformanceError):
    """A reason, actor or point in time is empty or malformed."""

    code = "MC709"


class LineFixed(LifecycleRefused):
    """The database refused a change of a version's artifact_id or line_id."""

    code = "MC710"
