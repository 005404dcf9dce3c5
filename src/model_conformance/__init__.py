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
    from model_conformance.db.dsn import connect
    from model_conformance.db.errors import DatabaseError, DatabaseUnavailable
    from model_conformance.db.migrate import apply_migrations, migration_status
    from model_conformance.lifecycle import (
        ChampionAt,
        GateConfig,
        GateFailed,
        GateResult,
        History,
        LifecycleRefused,
        MetricGate,
        PromotionConflict,
        TransitionRefused,
        TransitionResult,
        champion_at,
        history,
        load_gates,
        promote,
        reject,
        retire,
        rollback,
    )
    from model_conformance.pins import Pin, PinOutcome, Resolver, Verdict, verify_pins
    from model_conformance.promotion import PromotionState
    from model_conformance.registry import (
        Registration,
        RegistrationRejected,
        RegistrationResult,
        register_many,
        register_model,
    )
    from model_conformance.schema import Schema, SchemaError, load_schema
    from model_conformance.validator import MetadataValidator, check_metadata, validate_metadata
    from model_conformance.violations import (
        ConformanceError,
        FileSpan,
        MetadataInvalid,
        Row,
        Severity,
        TableCheck,
        Violation,
    )

_HOMES = {
    "connect": "db.dsn",
    "DatabaseError": "db.errors",
    "DatabaseUnavailable": "db.errors",
    "apply_migrations": "db.migrate",
    "migration_status": "db.migrate",
    "PinOutcome": "pins",
    "Pin": "pins",
    "Resolver": "pins",
    "Verdict": "pins",
    "verify_pins": "pins",
    "PromotionState": "promotion",
    "ChampionAt": "lifecycle",
    "GateConfig": "lifecycle",
    "GateFailed": "lifecycle",
    "GateResult": "lifecycle",
    "History": "lifecycle",
    "LifecycleRefused": "lifecycle",
    "MetricGate": "lifecycle",
    "PromotionConflict": "lifecycle",
    "TransitionRefused": "lifecycle",
    "TransitionResult": "lifecycle",
    "champion_at": "lifecycle",
    "history": "lifecycle",
    "load_gates": "lifecycle",
    "promote": "lifecycle",
    "reject": "lifecycle",
    "retire": "lifecycle",
    "rollback": "lifecycle",
    "Registration": "registry",
    "RegistrationRejected": "registry",
    "RegistrationResult": "registry",
    "register_many": "registry",
    "register_model": "registry",
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
    "FileSpan": "violations",
    "Row": "violations",
    "TableCheck": "violations",
}

__all__ = [
    "RULES",
    "ChampionAt",
    "ConformanceError",
    "DatabaseError",
    "DatabaseUnavailable",
    "FileSpan",
    "GateConfig",
    "GateFailed",
    "GateResult",
    "History",
    "LifecycleRefused",
    "MetadataInvalid",
    "MetadataValidator",
    "MetricGate",
    "Pin",
    "PinOutcome",
    "PromotionConflict",
    "PromotionState",
    "Registration",
    "RegistrationRejected",
    "RegistrationResult",
    "Resolver",
    "Row",
    "Rule",
    "Schema",
    "SchemaError",
    "Severity",
    "TableCheck",
    "TransitionRefused",
    "TransitionResult",
    "Verdict",
    "Violation",
    "apply_migrations",
    "champion_at",
    "check_metadata",
    "connect",
    "history",
    "load_gates",
    "load_schema",
    "migration_status",
    "promote",
    "register_many",
    "register_model",
    "reject",
    "retire",
    "rollback",
    "validate_metadata",
    "verify_pins",
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
