"""A pin and what was found about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from model_conformance.violations import Severity


class PinOutcome(StrEnum):
    """What a check proved. Only `pass` proves the pin; `unreachable` proves the commit and
    the entrypoint but warns that no branch or tag keeps the commit; `unverifiable` proves
    nothing (no local copy of the repository)."""

    PASS = "pass"
    FAIL = "fail"
    UNREACHABLE = "unreachable"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True)
class Pin:
    """One model version's code: `subject` names it in reports (an artifact id, a file)."""

    subject: str
    repo_url: str
    commit: str
    entrypoint: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one pin, the rule code it broke (None for a pass) and a sentence."""

    pin: Pin
    outcome: PinOutcome
    code: str | None
    detail: str

    def severity(self, *, strict: bool = False) -> Severity | None:
        """How the verdict counts: None for a pass; warnings are errors under `strict`."""
        if self.outcome is PinOutcome.PASS:
            return None
        if self.outcome is PinOutcome.FAIL or strict:
            return Severity.ERROR
        return Severity.WARNING


def passed(pin: Pin, detail: str) -> Verdict:
    return Verdict(pin, PinOutcome.PASS, None, detail)


def failed(pin: Pin, code: str, detail: str) -> Verdict:
    return Verdict(pin, PinOutcome.FAIL, code, detail)
