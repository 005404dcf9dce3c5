"""Registering model versions: validated, transactional writes to artifacts + model_versions."""

from __future__ import annotations

from model_conformance.registry.document import ArtifactFields, Registration, VersionFields
from model_conformance.registry.service import (
    RegistrationRejected,
    RegistrationResult,
    register_many,
    register_model,
)

__all__ = [
    "ArtifactFields",
    "Registration",
    "RegistrationRejected",
    "RegistrationResult",
    "VersionFields",
    "register_many",
    "register_model",
]
