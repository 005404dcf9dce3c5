"""Rules on `model_versions` fields, worded once for every surface that checks them.

Registration checks a document before it is written; the scan checks rows already stored.
Both report these codes with these sentences, so a rule reads the same wherever it fires.
"""

from __future__ import annotations

import re
from typing import Any

from model_conformance.violations import as_json

_HEX_40 = re.compile(r"[0-9a-fA-F]{40}")


def is_full_commit_sha(value: object) -> bool:
    """A full 40-hex-digit commit SHA (either case: git prints lower, some tools upper)."""
    return isinstance(value, str) and _HEX_40.fullmatch(value) is not None


def commit_sha_message(value: Any) -> str:
    """MC402."""
    return f"code_commit_sha must be a full 40-character hex commit SHA, not {as_json(value)}"


def training_order_message(started: str, completed: str) -> str:
    """MC405. Timestamps as ISO 8601 text."""
    return f"training_completed_at {completed} is before training_started_at {started}"


def reference_message(column: str, target: Any, found_type: str | None, expected: str) -> str:
    """MC406 (base model) and MC408 (evaluation dataset)."""
    what = "no artifact" if found_type is None else f"an artifact of type {as_json(found_type)}"
    return f"{column} {as_json(target)} names {what}; it must name an existing {expected} artifact"


def self_base_message(artifact_id: Any) -> str:
    """MC407."""
    return (
        f"base_model_id names the model itself ({as_json(artifact_id)}); "
        "a model cannot be its own base"
    )


def external_flag_message(version_value: Any, metadata_value: Any) -> str:
    """MC409."""
    return (
        f"model_versions.is_external is {as_json(version_value)} but the metadata says "
        f"is_external {as_json(metadata_value)}; make the two agree"
    )
