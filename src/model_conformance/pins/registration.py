"""`register --verify-pins`: judge each registration's pin before it is written.

`PinGate` is handed to `register_many`: for a batch of registrations it verifies their pins
together (one reader per repository) and says, per registration, what is wrong. A failed
pin rejects its registration only; a warning (unreachable, unverifiable) is reported, and
rejects it too under `strict`. The verdicts are kept so the caller can record those of the
registrations that were created.
"""

from __future__ import annotations

from collections.abc import Sequence

from model_conformance.codes import ENTRYPOINT_CODES
from model_conformance.pins.resolve import Resolver
from model_conformance.pins.verdict import Pin, Verdict
from model_conformance.pins.verify import verify_pins
from model_conformance.registry.document import Registration
from model_conformance.violations import Violation

_URL_CODES = frozenset({"MC403", "MC808"})


class PinGate:
    def __init__(self, resolver: Resolver, *, strict: bool = False) -> None:
        self.resolver = resolver
        self.strict = strict
        self.verdicts: dict[str, Verdict] = {}  # by artifact id, for recording

    def __call__(self, registrations: Sequence[Registration]) -> list[list[Violation]]:
        pins = [_pin(r) for r in registrations]
        wanted = [p for p in pins if p is not None]
        verdicts = iter(verify_pins(wanted, self.resolver))
        problems: list[list[Violation]] = []
        for pin in pins:
            if pin is None:
                problems.append([])
                continue
            verdict = next(verdicts)
            self.verdicts[pin.subject] = verdict
            severity = verdict.severity(strict=self.strict)
            if severity is None or verdict.code is None:
                problems.append([])
                continue
            problems.append(
                [Violation(verdict.code, verdict.detail, _pointer(verdict.code), severity)]
            )
        return problems


def _pin(registration: Registration) -> Pin | None:
    version = registration.model_version
    if version.code_repo_url is None or version.code_commit_sha is None:
        return None
    return Pin(
        registration.id, version.code_repo_url, version.code_commit_sha, version.code_entrypoint
    )


def _pointer(code: str) -> str:
    if code in ENTRYPOINT_CODES:
        return "/model_version/code_entrypoint"
    if code in _URL_CODES:
        return "/model_version/code_repo_url"
    return "/model_version/code_commit_sha"
