"""The references a registration makes (base model, evaluation dataset), checked against
what is stored: one function for new registrations and for adopted legacy artifacts."""

from __future__ import annotations

from collections.abc import Container, Mapping

from model_conformance.registry.document import Registration
from model_conformance.registry.store import StoredArtifact
from model_conformance.version_rules import reference_message
from model_conformance.violations import Violation

# column -> (the artifact type it must name, its code)
REFERENCES = {
    "base_model_id": ("model", "MC406"),
    "eval_dataset_artifact_id": ("dataset", "MC408"),
}


def referenced_ids(registration: Registration) -> set[str]:
    row = registration.version_row()
    return {row[column] for column in REFERENCES if row[column] is not None}


def reference_problems(
    registration: Registration,
    stored: Mapping[str, StoredArtifact],
    registered_meanwhile: Container[str] = (),
) -> list[Violation]:
    """Violations for references to missing artifacts or to artifacts of the wrong type.

    `registered_meanwhile` holds model ids created earlier in the same batch: they count as
    existing models. A model naming itself is MC407, reported by the registration checks.
    """
    row = registration.version_row()
    problems = []
    for column, (kind, code) in REFERENCES.items():
        target = row[column]
        if target is None:
            continue
        if kind == "model" and (target == registration.id or target in registered_meanwhile):
            continue
        found = stored.get(target)
        if found is None or found.artifact_type != kind:
            found_type = None if found is None else found.artifact_type
            problems.append(
                Violation(
                    code,
                    reference_message(column, target, found_type, kind),
                    registration.version_pointer(column),
                )
            )
    return problems
