"""The rules a registration must pass before the database is asked anything.

The metadata goes through the one validator core; the version fields are checked against
each other and against the metadata. Rules that need the database (base model, evaluation
dataset, existing ids) live in `store.py`.
"""

from __future__ import annotations

from model_conformance.registry.document import Registration
from model_conformance.registry.storable import unstorable_values
from model_conformance.validator import MetadataValidator
from model_conformance.version_rules import (
    external_flag_message,
    self_base_message,
    training_order_message,
)
from model_conformance.violations import Violation


def check_registration(registration: Registration, validator: MetadataValidator) -> list[Violation]:
    """Every problem of a parsed registration that can be found without the database."""
    violations = unstorable_values(registration)
    violations += [
        Violation(v.code, v.message, "/metadata" + v.pointer, v.severity)
        for v in validator.validate(registration.metadata)
        if v.code != "MC108"  # a lone surrogate is said once, as MC411 (what cannot be stored)
    ]
    version = registration.model_version
    started, completed = version.training_started_at, version.training_completed_at
    if started is not None and completed is not None and completed < started:
        violations.append(
            Violation(
                "MC405",
                training_order_message(started.isoformat(), completed.isoformat()),
                "/model_version/training_completed_at",
            )
        )
    base_model_id = registration.version_row()["base_model_id"]
    if base_model_id is not None and base_model_id == registration.id:
        violations.append(
            Violation(
                "MC407",
                self_base_message(registration.id),
                registration.version_pointer("base_model_id"),
            )
        )
    metadata_external = registration.metadata.get("is_external", False)
    if (
        version.is_external is not None
        and isinstance(metadata_external, bool)
        and version.is_external != metadata_external
    ):
        violations.append(
            Violation(
                "MC409",
                external_flag_message(version.is_external, metadata_external),
                "/model_version/is_external",
            )
        )
    return violations
