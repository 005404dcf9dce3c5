"""The one validator every surface calls: one engine decides and explains.

jsonschema-rs answers "valid?" and, only when the answer is no, lists the errors that the
explanations are built from, so the verdict and the violations cannot disagree: a document
is valid exactly when no error-severity violation is reported. Semantic rules run on every
document.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from model_conformance._engine_input import for_engine
from model_conformance._explain import MASK, Explainer
from model_conformance.rules import SEMANTIC_RULES, RuleFunction
from model_conformance.schema import Schema, default_schema
from model_conformance.violations import MetadataInvalid, Violation, escape_surrogates, make_pointer


class MetadataValidator:
    """Validate model metadata documents against a schema plus the semantic rules."""

    def __init__(
        self, schema: Schema | None = None, rules: tuple[RuleFunction, ...] = SEMANTIC_RULES
    ) -> None:
        self.schema = schema if schema is not None else default_schema()
        self.rules = rules
        self._known_keys = self.schema.known_keys
        self._compiled = self.schema.compile(mask=MASK)
        self._nodes: dict[str, Any] = {}
        self._resolver: Any = None
        self._explainer = Explainer(self._node_at)

    def validate(self, doc: Any) -> list[Violation]:
        """Every problem in `doc`: schema violations first, then semantic rules."""
        judged, violations = for_engine(doc)
        replaced = bool(violations)
        if judged is not None or not replaced:  # None: too deep to hand to the engine at all
            violations.extend(self._schema_violations(judged, doc))
        if isinstance(doc, dict):
            known = self._known_keys
            for rule in self.rules:
                found = rule(doc, known)
                if found:
                    violations.extend(found)
            violations = _said_once(violations)
        if replaced:  # the rules saw the original: no lone surrogate may reach a message
            violations = [
                v._replace(
                    message=escape_surrogates(v.message), pointer=escape_surrogates(v.pointer)
                )
                for v in violations
            ]
        return violations

    def _schema_violations(self, judged: Any, original: Any) -> list[Violation]:
        """The engine's verdict on `judged`, explained with the values of `original` (the
        document as the user wrote it, where `judged` had values replaced)."""
        try:
            if self._compiled.is_valid(judged):
                return []
            found = self._explainer.explain(self._compiled.iter_errors(judged), original)
        except Exception as exc:  # the engine could not judge: fail closed
            return [_engine_failure(exc)]
        # The engine said no; an explanation must never turn that into a pass.
        if not any(v.is_error for v in found):
            found.append(Violation("MC199", "the document does not match the schema", ""))
        return found

    def _node_at(self, location: str) -> Any:
        """The schema node at an absolute keyword location (URI#pointer), or None."""
        if location not in self._nodes:
            try:
                if self._resolver is None:
                    registry = jsonschema_rs.Registry(
                        [(self.schema.base_uri, self.schema.document), *self.schema.saved.items()],
                        retriever=self.schema.retrieve,
                    )
                    self._resolver = registry.resolver(self.schema.base_uri)
                self._nodes[location] = self._resolver.lookup(location).contents
            except Exception:  # a missing hint, never a missing verdict
                self._nodes[location] = None
        return self._nodes[location]

    def is_valid(self, doc: Any) -> bool:
        """True when `doc` has no error (warnings allowed)."""
        return not any(v.is_error for v in self.validate(doc))

    def check(self, doc: Any) -> None:
        """Raise `MetadataInvalid` carrying every error (warnings do not raise)."""
        violations = self.validate(doc)
        if any(v.is_error for v in violations):
            raise MetadataInvalid(violations)


# (dropped, kept): where both are reported at one place, one sentence is enough. NaN is no
# JSON number, and MC204 (a metric) or MC109 (anywhere) says so better than "must be a
# number"; a URL the engine already calls no valid uri (MC103) needs no second word from
# MC205. All of them are errors.
_SAID_BETTER = (("MC102", "MC204"), ("MC109", "MC204"), ("MC102", "MC109"), ("MC205", "MC103"))


def _said_once(violations: list[Violation]) -> list[Violation]:
    codes = {v.code for v in violations}
    for dropped, kept in _SAID_BETTER:
        if dropped in codes and kept in codes:
            said = {v.pointer for v in violations if v.code == kept}
            violations = [v for v in violations if v.code != dropped or v.pointer not in said]
    return violations


def _engine_failure(exc: Exception) -> Violation:
    reason = str(exc).split("\n", 1)[0][:200] or type(exc).__name__
    return Violation(
        "MC199",
        f"the schema engine could not explain this document ({reason}), so it is not accepted",
        make_pointer([]),
    )


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
