"""model_conformance: keep a PostgreSQL model registry honest.

The public API. Everything not named here is internal and may change.

Names are imported on first use (PEP 562): the pytest plugin, loaded by every pytest run
where this package is installed, then costs nothing until `--model-conformance` is given.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model_conformance.codes import RULES, Rule
    from model_conformance.schema import Schema, SchemaError, load_schema
    from model_conformance.validator import MetadataValidator, check_metadata, validate_metadata
    from model_conformance.violations import ConformanceError, MetadataInvalid, Severity, Violation

_HOMES = {
    "RULES": "codes",
    "Rule": "codes",
    "Schema": "schema",
    "SchemaError": "schema",
    "load_schema": "schema",
    "MetadataValidator": "validator",
    "check_metadata": "validator",
    "validate_metadata": "validator",
    "ConformanceError": "violations",
    "MetadataInvalid": "violations",
    "Severity": "violations",
    "Violation": "violations",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # the next look-up is a plain one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
