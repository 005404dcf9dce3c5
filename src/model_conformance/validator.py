"""The one validator every surface calls: compiled fast path, reference explanations.

`jsonschema-rs` answers "valid?"; only when it says no does the pure-Python reference
validator run, to explain every failure. Semantic rules run on every document.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import jsonschema_rs

from model_conformance._explain import explain
from model_conformance.rules import SEMANTIC_RULES, RuleFunction
from model_conformance.schema import Schema, default_schema, inline_local_references
from model_conformance.violations import MetadataInvalid, Violation


class MetadataValidator:
    """Validate model metadata documents against a schema plus the semantic rules."""

    def __init__(
        self, schema: Schema | None = None, rules: tuple[RuleFunction, ...] = SEMANTIC_RULES
    ) -> None:
        self.schema = schema if schema is not None else default_schema()
        self.rules = rules
        self._known_keys = self.schema.known_keys
        self._compiled = jsonschema_rs.validator_for(
            self.schema.document,
            validate_formats=True,
            retriever=self.schema.retrieve,
            base_uri=self.schema.base_uri,
        )

    @cached_property
    def _reference(self) -> Any:
        # Imported and built on first failure only: valid documents never pay for it.
        import jsonschema.validators

        validator_class = jsonschema.validators.validator_for(
            self.schema.document, default=jsonschema.Draft7Validator
        )
        inlined = inline_local_references(self.schema.document)
        return validator_class(
            inlined if inlined is not None else self.schema.document,
            registry=self.schema.registry(),
            format_checker=validator_class.FORMAT_CHECKER,
        )

    def schema_is_valid(self, doc: Any) -> bool:
        """The compiled verdict on the schema alone (no semantic rules)."""
        try:
            return bool(self._compiled.is_valid(doc))
        except ValueError:  # a value the compiled validator cannot take, e.g. NaN
            return False

    def validate(self, doc: Any) -> list[Violation]:
        """Every problem in `doc`: schema violations first, then semantic rules."""
        if self.schema_is_valid(doc):
            violations: list[Violation] = []
        else:
            violations = explain(self._reference.iter_errors(doc), self.schema.document)
        if isinstance(doc, dict):
            known = self._known_keys
            for rule in self.rules:
                found = rule(doc, known)
                if found:
                    violations.extend(found)
        return violations

    def is_valid(self, doc: Any) -> bool:
        """True when `doc` has no error (warnings allowed)."""
        return not any(v.is_error for v in self.validate(doc))

    def check(self, doc: Any) -> None:
        """Raise `MetadataInvalid` carrying every error (warnings do not raise)."""
        violations = self.validate(doc)
        if any(v.is_error for v in violations):
            raise MetadataInvalid(violations)


_default: MetadataValidator | None = None


def default_validator() -> MetadataValidator:
    global _default
    if _default is None:
        _default = MetadataValidator()
    return _default


def validate_metadata(doc: Any) -> list[Violation]:
    """Every violation of the bundled model metadata schema and the semantic rules."""
    return default_validator().validate(doc)


def check_metadata(doc: Any) -> None:
    """Raise `MetadataInvalid` with all violations when `doc` has any error."""
    default_validator().check(doc)
