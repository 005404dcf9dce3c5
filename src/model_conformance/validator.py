"""The one validator every surface calls: one engine decides and explains.

jsonschema-rs answers "valid?" and, only when the answer is no, lists the errors that the
explanations are built from, so the verdict and the violations cannot disagree: a document
is valid exactly when no error-severity violation is reported. Semantic rules run on every
document.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from typing import Any, NamedTuple

from model_conformance._engine_input import for_engine
from model_conformance._explain import MASK, Branch, Explainer
from model_conformance._variant import root_variants, variant
from model_conformance.rules import SEMANTIC_RULES, RuleFunction
from model_conformance.schema import Schema, default_schema
from model_conformance.violations import (
    MetadataInvalid,
    Violation,
    escape_surrogates,
    make_pointer,
    pointer_parts,
)

MAX_VIOLATIONS = 100  # per document; past this, one more says how the list was cut


WIDTH = 10_000  # entries of a list or object, characters of a string explained; then cut
_CUT = "the document has lists, objects or strings"  # how the note on a cut copy begins


class _Cut(NamedTuple):
    """What a copy cut to WIDTH left out: entries of lists and objects, string characters."""

    entries: int = 0
    characters: int = 0


_UNCUT = _Cut()


def _within_width(doc: Any, size: int | None) -> tuple[Any, _Cut]:
    """`doc`, or a copy with every list and object cut to its first WIDTH entries and every
    string to its first WIDTH characters, and what was cut (nothing: `doc` itself). `size`
    is the length of `doc` as JSON, when known. Iterative: the document may be 1,000 deep.

    The engine builds every error it finds before the first is read, each with its own
    message and paths, so a list of 300,000 wrong items would cost 700 MB, and a 10 MB key
    10 MB in each path through it."""
    if size is not None and size <= WIDTH:  # nothing in it can be wider
        return doc, _UNCUT  # the common case: no walk
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            if len(node) > WIDTH:
                break
            stack.extend(node.values() if isinstance(node, dict) else node)
        elif isinstance(node, str) and len(node) > WIDTH:
            break
    else:
        return doc, _UNCUT
    entries = characters = 0
    root: list[Any] = [None]
    work: list[tuple[Any, Any, Any]] = [(doc, root, 0)]
    while work:
        node, parent, slot = work.pop()
        if isinstance(node, dict):
            items = list(islice(node.items(), WIDTH))
            entries += len(node) - len(items)
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, value in items:
                copy[key] = None
                work.append((value, copy, key))
        elif isinstance(node, list):
            kept = node[:WIDTH]
            entries += len(node) - len(kept)
            parent[slot] = listed = [None] * len(kept)
            work.extend((value, listed, index) for index, value in enumerate(kept))
        elif isinstance(node, str) and len(node) > WIDTH:
            characters += len(node) - WIDTH
            parent[slot] = node[:WIDTH]
        else:
            parent[slot] = node
    return root[0], _Cut(entries, characters)


EXPLAIN_DEPTH = 200  # the engine lists errors only for values up to 255 levels deep
_TOO_DEEP = "Recursion limit reached"  # what the engine raises past that


# Missing key, wrong type, empty, key not allowed: what a list or an object cut below shows.
_SHAPE_CODES = frozenset({"MC101", "MC102", "MC105", "MC106"})


def _value_at(doc: Any, pointer: str) -> Any:
    """The value at a JSON Pointer, or None when there is none."""
    node = doc
    for key in pointer_parts(pointer):
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _within_depth(doc: Any, depth: int) -> Any:
    """A copy of `doc` with every value below `depth` levels replaced by null (iterative)."""
    root: list[Any] = [None]
    work: list[tuple[Any, Any, Any, int]] = [(doc, root, 0, 0)]
    while work:
        node, parent, slot, level = work.pop()
        if level >= depth:
            parent[slot] = None
        elif isinstance(node, dict):
            parent[slot] = copy = dict.fromkeys(node)
            work.extend((value, copy, key, level + 1) for key, value in node.items())
        elif isinstance(node, list):
            parent[slot] = listed = [None] * len(node)
            work.extend((value, listed, i, level + 1) for i, value in enumerate(node))
        else:
            parent[slot] = node
    return root[0]


def _cut_note(cut: _Cut) -> Violation:
    left = [f"{cut.entries} entries"] if cut.entries else []
    left += [f"{cut.characters} characters"] if cut.characters else []
    return Violation(
        "MC199",
        f"{_CUT} of more than {WIDTH} entries or characters: it was explained from their "
        f"first {WIDTH} each ({' and '.join(left)} not looked at); there may be more problems",
        "",
    )


def _capped(violations: list[Violation]) -> list[Violation]:
    """The first MAX_VIOLATIONS, errors first, and one more saying the rest is not listed."""
    ordered = sorted(violations, key=lambda v: not v.is_error)  # stable: file order kept
    note = Violation(
        "MC199",
        f"more than {MAX_VIOLATIONS} problems: only the first {MAX_VIOLATIONS} are listed; "
        "fix these and judge the document again",
        "",
    )
    return [*ordered[:MAX_VIOLATIONS], note]


class _Engine:
    """One schema document compiled, and what explains its errors (its keyword locations
    are looked up in that document)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.compiled = schema.compile(mask=MASK)
        self._nodes: dict[str, Any] = {}
        self._resolver: Any = None
        self._explainer = Explainer(self._node_at)

    def explain(self, judged: Any, original: Any, branch: Branch | None = None) -> list[Violation]:
        errors = self.compiled.iter_errors(judged)
        return self._explainer.explain(errors, original, branch, most=MAX_VIOLATIONS + 1)

    def _node_at(self, location: str) -> Any:
        """The schema node at an absolute keyword location (URI#pointer), or None."""
        if location not in self._nodes:
            try:
                if self._resolver is None:
                    self._resolver = self.schema.registry().resolver(self.schema.base_uri)
                self._nodes[location] = self._resolver.lookup(location).contents
            except Exception:  # a missing hint, never a missing verdict
                self._nodes[location] = None
        return self._nodes[location]


class MetadataValidator:
    """Validate model metadata documents against a schema plus the semantic rules."""

    def __init__(
        self, schema: Schema | None = None, rules: tuple[RuleFunction, ...] = SEMANTIC_RULES
    ) -> None:
        self.schema = schema if schema is not None else default_schema()
        self.rules = rules
        self._known_keys = self.schema.known_keys
        self._full = _Engine(self.schema)
        self._variants = root_variants(self.schema)
        self._by_variant: dict[int, tuple[_Engine, Branch] | None] = {}

    def validate(self, doc: Any) -> list[Violation]:
        """Every problem in `doc`: schema violations first, then semantic rules."""
        judged, violations, size = for_engine(doc)
        replaced = bool(violations)
        if judged is not None or not replaced:  # None: too deep to hand to the engine at all
            violations.extend(self._schema_violations(judged, doc, size))
        if isinstance(doc, dict):
            known = self._known_keys
            for rule in self.rules:
                found = rule(doc, known)
                if found:
                    violations.extend(found)
            if len(violations) > 1:
                violations = _said_once(violations)
        if len(violations) > MAX_VIOLATIONS:
            notes = [v for v in violations if v.message.startswith(_CUT)]
            violations = _capped([v for v in violations if v not in notes]) + notes
        if replaced:  # the rules saw the original: no lone surrogate may reach a message
            violations = [
                v._replace(
                    message=escape_surrogates(v.message), pointer=escape_surrogates(v.pointer)
                )
                for v in violations
            ]
        return violations

    def _schema_violations(self, judged: Any, original: Any, size: int | None) -> list[Violation]:
        """The engine's verdict on `judged`, explained with the values of `original` (the
        document as the user wrote it, where `judged` had values replaced; `size` is
        `judged`'s length as JSON, when known)."""
        try:
            if self._full.compiled.is_valid(judged):
                return []
            # The engine lists every error at once (300,000 wrong list items: 700 MB), so
            # a document with a very long list, object or string is explained from a copy
            # cut to WIDTH; the verdict is still the whole document's.
            explained, cut = _within_width(judged, size)
            try:
                found = self._explained(explained, original)
            except ValueError as exc:
                if _TOO_DEEP not in str(exc):
                    raise
                found = self._explained_shallow(explained, original)
        except Exception as exc:  # the engine could not judge: fail closed
            return [_engine_failure(exc)]
        # The engine said no; an explanation must never turn that into a pass. Every
        # explanation is an error (so is the note on a cut copy), so any keeps the verdict.
        if any(cut):  # anything left out
            found.append(_cut_note(cut))
        elif not found:
            found.append(Violation("MC199", "the document does not match the schema", ""))
        return found

    def _explained(self, judged: Any, original: Any) -> list[Violation]:
        """The errors of a document the full schema refused, explained. When it selects one
        variant of the root `oneOf`, from that variant's validator: it lists only that
        variant's errors (see _variant); if that finds none, from the full schema's."""
        variants = self._variants
        # Selected as the whole explanation would select: by the values as written.
        selected = variants.selected(original) if variants is not None else None
        if selected is not None:
            if selected not in self._by_variant:
                self._by_variant[selected] = self._variant_engine(selected)
            chosen = self._by_variant[selected]
            if chosen is not None:
                found = chosen[0].explain(judged, original, chosen[1])
                if found:
                    return found
        return self._full.explain(judged, original)

    def _explained_shallow(self, judged: Any, original: Any) -> list[Violation]:
        """The errors of a document too deep for the engine to list (it converts each error's
        value, up to 255 levels), explained from a copy whose values below EXPLAIN_DEPTH are
        null. Errors at or next to the cut are left out; a note says so."""
        shallow = _within_depth(judged, EXPLAIN_DEPTH)
        found = [
            v
            for v in self._explained(shallow, original)
            if v.pointer.count("/") < EXPLAIN_DEPTH - 1  # "/" escapes as ~1: one per level
            # A list or object may have lost values to the cut: only what its own keys,
            # length and type show is sure (`const` or `uniqueItems` would compare nulls).
            and (
                v.code in _SHAPE_CODES or not isinstance(_value_at(shallow, v.pointer), dict | list)
            )
        ]
        found.append(
            Violation(
                "MC199",
                f"the document is nested more than {EXPLAIN_DEPTH} levels deep, deeper than "
                "the schema engine can list errors: it was explained from its first "
                f"{EXPLAIN_DEPTH} levels (of a list or an object, only missing, extra and "
                "mistyped values); there may be more problems",
                "",
            )
        )
        return found

    def _variant_engine(self, index: int) -> tuple[_Engine, Branch] | None:
        if self._variants is None or not isinstance(self.schema.document, dict):
            return None
        chosen = variant(self.schema.document, self._variants, index)
        try:
            return _Engine(replace(self.schema, document=chosen.document)), chosen.branch
        except Exception:  # the full schema still explains: slower, never wrong
            return None

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
        f"the schema engine could not judge this document ({reason}), so it is not accepted"
        + (": flatten it" if reason == _TOO_DEEP else ""),
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
