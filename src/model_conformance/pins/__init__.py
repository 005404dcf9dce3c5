"""Code-pin verification: a model version's `code_repo_url`, `code_commit_sha` and
`code_entrypoint` checked against a local copy of the repository, offline.

`urls` (normal form), `entrypoint` (which file a command runs), `safety` (what may reach
git), `git` (plumbing, bounded), `resolve` (where the local copy is), `verify` (batched
verdicts), `verdict` (the types), `record` (the `code_pin_checks` table), `report`
(rendering). docs/code-pins.md describes all of it.
"""

from __future__ import annotations

from model_conformance.pins.resolve import Resolver
from model_conformance.pins.verdict import Pin, PinOutcome, Verdict
from model_conformance.pins.verify import verify_pins

__all__ = ["Pin", "PinOutcome", "Resolver", "Verdict", "verify_pins"]
