"""model_conformance: keep a PostgreSQL model registry honest.

The public API. Everything not named here is internal and may change.
"""

from model_conformance.codes import RULES, Rule
from model_conformance.schema import Schema, SchemaError, load_schema
from model_conformance.validator import MetadataValidator, check_metadata, validate_metadata
from model_conformance.violations import ConformanceError, MetadataInvalid, Severity, Violation

__all__ = [
    "RULES",
    "ConformanceError",
    "MetadataInvalid",
    "MetadataValidator",
    "Rule",
    "Schema",
    "SchemaError",
    "Severity",
    "Violation",
    "check_metadata",
    "load_schema",
    "validate_metadata",
]
