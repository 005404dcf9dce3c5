"""Turn the engine's errors into violations a person can act on.

jsonschema-rs gives each error an instance path, a keyword location and a kind; a failed
`oneOf`/`anyOf` carries each branch's errors. What it does not do for us: explain a `oneOf`
against the variant the document selects (its discriminator, e.g. `is_external`), hint at
what a missing key is for (its `description`), and write values as the user wrote them.

Every engine error becomes at least one error-severity violation: an explanation can change
the words, never the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import jsonschema_rs

from model_conformance.violations import Violation, as_json, make_pointer, quote_key

# The schema's "not blank" pattern. Spelled as an explicit class, not `\\S`: Python's `re`
# and ECMA-262 disagree on what `\\s` matches (U+0085, for one).
NOT_BLANK_PATTERN = "[^ \\t\\n\\r\\f\\v]"

# What the engine writes in its messages instead of the instance (see Schema.compile).
MASK = "\u2063value\u2063"

# The schema node at an absolute keyword location, or None when it cannot be found.
Lookup = Callable[[str], Any]

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_RANGE = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
_EMPTY = ("minLength", "minItems", "minProperties")
_MAX_MESSAGE = 1000  # however large the schema or the value, a message stays readable
_MAX_LISTED = 20  # values of an enum, variants of a oneOf
_MISSING = object()
_BACKTRACK_LIMIT = jsonschema_rs.ValidationErrorKind.BacktrackLimitExceeded


class Branch(NamedTuple):
    """A root `oneOf` branch validated as the root's `allOf` entry `at` (see _variant): its
    errors are worded as they would be under the `oneOf`."""

    at: int
    prefix: str  # "external model: "
    alternative: str  # ", or make this an internal model (`is_external`: false)"


class Explainer:
    """Explains one schema's errors; what it learns about the schema is kept between calls."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.doc: Any = None
        self._variants_at: dict[str, Variants] = {}

    def explain(
        self, errors: Iterable[Any], doc: Any, branch: Branch | None = None, *, most: int
    ) -> list[Violation]:
        """`errors` explained, at most `most` of them besides a `branch`'s, which are all
        explained, ordered and worded as a failed `oneOf`'s are for that branch."""
        self.doc = doc
        found: list[Violation] = []
        held: list[Any] = []  # the branch's errors: they come together (one keyword)
        others = 0
        at = branch.at if branch is not None else None
        for error in errors:
            if at is not None:
                path = error.evaluation_path  # as evaluated: through `$ref`s, unlike schema_path
                if len(path) > 1 and path[0] == "allOf" and path[1] == at:
                    held.append(error)
                    continue
            if held:
                self._branch(held, branch, found)
                held = []
            others += 1
            if others > most:
                break
            self.one(error, "", "", found)
        if held:
            self._branch(held, branch, found)
        self.doc = None
        if len(found) == 1:  # the usual case: nothing to cut or repeat, most likely
            return found if len(found[0].message) <= _MAX_MESSAGE else [_cut(found[0])]
        found = [v if len(v.message) <= _MAX_MESSAGE else _cut(v) for v in found]
        return _without_repeats(found)

    def _branch(self, errors: list[Any], branch: Branch | None, out: list[Violation]) -> None:
        assert branch is not None
        for error in _by_keyword(errors):
            self.one(error, branch.prefix, branch.alternative, out)

    def one(self, error: Any, prefix: str, alternative: str, out: list[Violation]) -> None:
        """Append `error`'s violations to `out` (a list, not a generator: one error most
        often makes one violation, and a generator costs more than the violation)."""
        path: list[str | int] = error.instance_path  # read, never changed
        pointer = make_pointer(path)
        kind = error.kind
        name = kind.name
        if name == "required":  # the most common error, and the one that needs no value
            key = kind.property
            hint = self._description(error, path, key)
            out.append(Violation("MC101", f"{prefix}missing `{quote_key(key)}`{hint}", pointer))
            return
        # The value as the user wrote it: the engine shows NaN as null and loses nothing
        # else, but the document is the truth.
        instance = _at(self.doc, path)
        if instance is _MISSING:
            instance = error.instance
        where = _describe(path)
        if name == "type":
            expected = " or ".join([_TYPE_NAMES.get(t, t) for t in kind.types])
            said = Violation(
                "MC102", f"{prefix}{where} must be {expected}, not {as_json(instance)}", pointer
            )
        elif name == "format":
            said = Violation(
                "MC103",
                f"{prefix}{where} is not a valid {kind.format}: {as_json(instance)}",
                pointer,
            )
        elif name == "pattern" and type(kind) is _BACKTRACK_LIMIT:  # a `pattern` with no .pattern
            said = Violation(
                "MC199",
                f"{prefix}{where} could not be matched against its pattern within the regex "
                "engine's backtracking limit: simplify the pattern (nested quantifiers, "
                "back-references)",
                pointer,
            )
        elif name == "falseSchema":
            out.extend(self._false_schema(error, path, instance, prefix))
            return
        elif name in _RANGE:
            said = Violation(
                "MC104",
                f"{prefix}{where} must be {_RANGE[name]} {as_json(kind.limit)}, "
                f"not {as_json(instance)}",
                pointer,
            )
        elif name == "multipleOf":
            said = Violation(
                "MC104",
                f"{prefix}{where} must be a multiple of {as_json(kind.multiple_of)}, "
                f"not {as_json(instance)}",
                pointer,
            )
        elif name in _EMPTY or (name == "pattern" and kind.pattern == NOT_BLANK_PATTERN):
            if name in _EMPTY and kind.limit > 1:
                said = self._fallback(error, prefix, where, pointer, instance)
            elif name == "pattern" and instance:
                said = Violation("MC105", f"{prefix}{where} must not be blank", pointer)
            else:
                said = Violation("MC105", f"{prefix}{where} must not be empty", pointer)
        elif name == "oneOf" and type(kind).__name__ == "OneOfMultipleValid":
            said = Violation(
                "MC199",
                f"{prefix}{where} matches more than one of the allowed forms; it must match "
                "exactly one",
                pointer,
            )
        elif name in ("oneOf", "anyOf"):
            self._explain_variants(error, path, instance, prefix, out)
            return
        elif name == "not":
            out.extend(self._not(kind.schema, path, instance, prefix, alternative))
            return
        elif name == "const":
            said = Violation(
                "MC107",
                f"{prefix}{where} must be {as_json(kind.expected_value)}, not {as_json(instance)}",
                pointer,
            )
        elif name == "enum":
            options = list(kind.options)
            allowed = ", ".join(as_json(v, 60) for v in options[:_MAX_LISTED])
            if len(options) > _MAX_LISTED:
                allowed += f" (and {len(options) - _MAX_LISTED} more)"
            said = Violation(
                "MC107",
                f"{prefix}{where} must be one of {allowed}, not {as_json(instance)}",
                pointer,
            )
        elif name == "pattern":
            said = Violation(
                "MC107",
                f"{prefix}{where} must match the pattern {as_json(kind.pattern)}, "
                f"not {as_json(instance)}",
                pointer,
            )
        elif name == "additionalProperties" or name == "unevaluatedProperties":
            # `unevaluatedProperties` may be a schema the keys' values fail, not `false`.
            refused = name == "additionalProperties" or self.lookup(
                error.absolute_keyword_location or ""
            ) in (False, {"not": {}})
            for key in kind.unexpected:
                out.append(
                    Violation(
                        "MC106",
                        f"{prefix}key `{quote_key(key)}` is not allowed here",
                        make_pointer([*path, key]),
                    )
                    if refused
                    else Violation(
                        "MC199",
                        f"{prefix}the value of `{quote_key(key)}` does not match the "
                        f"`unevaluatedProperties` schema of {where}",
                        make_pointer([*path, key]),
                    )
                )
            return
        elif name == "propertyNames":
            inner = kind.error
            reason = _shorten(inner.message).replace(MASK, "it", 1)
            said = Violation(
                "MC107",
                f"{prefix}key {as_json(inner.instance)} of {where} is not an allowed name: "
                f"{reason}",
                pointer,
            )
        elif name == "contains":
            said = Violation(
                "MC199",
                f"{prefix}{where} must hold {self._how_many(error)} its `contains` schema, "
                f"not {as_json(instance, 100)}",
                pointer,
            )
        else:
            said = self._fallback(error, prefix, where, pointer, instance)
        out.append(said)

    def _how_many(self, error: Any) -> str:
        """`contains`, `minContains` or `maxContains` (whose limit the schema holds) in words."""
        keyword = error.schema_path[-1] if error.schema_path else "contains"
        limit = self.lookup(error.absolute_keyword_location or "")
        bound = {"minContains": "at least", "maxContains": "at most"}.get(keyword)
        if (
            bound is None
            or not isinstance(limit, int | float)
            or isinstance(limit, bool)
            or not float(limit).is_integer()  # 2.0 is 2, as JSON numbers go
        ):
            return "at least one item that matches"
        count = int(limit)
        return f"{bound} {count} item{'' if count == 1 else 's'} that match{'es' * (count == 1)}"

    def _false_schema(
        self, error: Any, path: list[str | int], instance: Any, prefix: str
    ) -> Iterator[Violation]:
        """`false`: nothing is allowed here. Under `additionalProperties`, name the keys."""
        location = error.absolute_keyword_location or ""
        if location.endswith("/additionalProperties") and isinstance(instance, dict):
            parent = self.lookup(location.rsplit("/", 1)[0])
            known = parent.get("properties", {}) if isinstance(parent, dict) else None
            patterns = parent.get("patternProperties") if isinstance(parent, dict) else None
            if isinstance(known, dict) and not patterns:
                extra = [key for key in instance if key not in known]
                for key in extra:
                    yield Violation(
                        "MC106",
                        f"{prefix}key `{quote_key(key)}` is not allowed here",
                        make_pointer([*path, key]),
                    )
                if extra:
                    return
        yield Violation(
            "MC199",
            f"{prefix}{_describe(path)} is not allowed here (the schema says false)",
            make_pointer(path),
        )

    def _fallback(
        self, error: Any, prefix: str, where: str, pointer: str, instance: Any
    ) -> Violation:
        keyword = error.schema_path[-1] if error.schema_path else error.kind.name
        # The engine masks values in its messages (quicker, and never a whole document);
        # the value goes back in, as the user wrote it and bounded.
        said = _shorten(error.message).replace(MASK, as_json(instance, 100), 1)
        return Violation("MC199", f"{prefix}{where} fails `{keyword}`: {said}", pointer)

    def _variants(self, location: str, count: int) -> Variants:
        variants = self._variants_at.get(location)
        if variants is None or len(variants.titles) != count:
            found = self.lookup(location)
            branches = list(found) if isinstance(found, list) and len(found) == count else []
            variants = Variants(branches, count)
            self._variants_at[location] = variants
        return variants

    def _explain_variants(
        self, error: Any, path: list[str | int], instance: Any, prefix: str, out: list[Violation]
    ) -> None:
        """Explain a failed `oneOf`/`anyOf` against the variant the document selects."""
        branch_errors: list[list[Any]] = list(error.kind.context)
        variants = self._variants(error.absolute_keyword_location or "", len(branch_errors))
        pointer = make_pointer(path)
        agreeing = variants.agreeing(instance)
        if len(agreeing) == 1:
            [selected] = agreeing
            title = variants.titles[selected]
            for sub in _by_keyword(branch_errors[selected]):
                self.one(sub, f"{prefix}{title}: ", variants.alternatives[selected], out)
            return
        # Several branches take these discriminators (one has none): each says what it lacks.
        for index in agreeing:
            for sub in _by_keyword(branch_errors[index]):
                self.one(sub, f"{prefix}{variants.titles[index]}: ", "", out)
        if agreeing:
            return
        # A discriminator whose value (or absence) no branch takes is the one thing to fix.
        key = next((k for k in variants.keys if not variants.agreeing(instance, k)), None)
        if key is not None and isinstance(instance, dict):
            if key not in instance:
                said = Violation(
                    "MC101",
                    f"{prefix}missing `{key}`, which selects the kind of document: use "
                    f"{variants.choices(key)}",
                    pointer,
                )
            else:
                said = Violation(
                    "MC107",
                    f"{prefix}`{key}` selects the kind of document: use "
                    f"{variants.choices(key)}, not {as_json(instance[key])}",
                    make_pointer([*path, key]),
                )
            out.append(said)
            return
        out.append(
            Violation(
                "MC199",
                f"{prefix}{_describe(path)} matches none of the allowed forms "
                f"({', '.join(variants.titles)}): "
                f"value is {as_json(instance)}",
                pointer,
            )
        )

    def _not(
        self, schema: Any, path: list[str | int], instance: Any, prefix: str, alternative: str
    ) -> Iterator[Violation]:
        """`not: {anyOf: [{required: [a]}, ...]}` forbids keys; name the keys present."""
        forbidden = _forbidden_keys(schema)
        if forbidden and isinstance(instance, dict):
            present = sorted(forbidden & set(instance))
            if present:
                for key in present:
                    yield Violation(
                        "MC106",
                        f"{prefix}`{quote_key(key)}` is not allowed here: remove it{alternative}",
                        make_pointer([*path, key]),
                    )
                return
        yield Violation(
            "MC199",
            f"{prefix}{_describe(path)} must not match {as_json(schema)}",
            make_pointer(path),
        )

    def _description(self, error: Any, path: Sequence[str | int], key: str) -> str:
        location = error.absolute_keyword_location or ""
        parent = self.lookup(location.rsplit("/", 1)[0]) if location.endswith("/required") else None
        properties = parent.get("properties") if isinstance(parent, dict) else None
        if not isinstance(properties, dict) or key not in properties:
            # A variant's `required` names keys the root schema describes.
            root = self.lookup("#") if not path else None
            properties = root.get("properties") if isinstance(root, dict) else None
        described = properties.get(key) if isinstance(properties, dict) else None
        text = described.get("description") if isinstance(described, dict) else None
        return f": {_shorten(text, 300)}" if isinstance(text, str) else ""


def _by_keyword(errors: list[Any]) -> list[Any]:
    """A failed `oneOf` branch's errors in the order of their keywords' locations."""
    if len(errors) < 2:  # the usual one error: nothing to order
        return errors
    return sorted(errors, key=lambda e: [str(p) for p in e.schema_path])


def _without_repeats(found: list[Violation]) -> list[Violation]:
    # A pattern or discriminator complaint adds nothing where the value's type or format
    # is already reported at the same place.
    primary = {v.pointer for v in found if v.code in ("MC102", "MC103")}
    out: list[Violation] = []
    seen: set[Violation] = set()
    for violation in found:
        if violation.code == "MC107" and violation.pointer in primary:
            continue
        if violation not in seen:
            seen.add(violation)
            out.append(violation)
    return out


def _at(doc: Any, path: Sequence[str | int]) -> Any:
    node = doc
    for part in path:
        present = (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not present:
            return _MISSING
        node = node[part]
    return node


class Variants:
    """What a `oneOf`/`anyOf` offers, worked out once per schema location."""

    def __init__(self, branches: list[Any], count: int) -> None:
        self.branches = branches
        self.keys = _discriminators(branches)
        self.titles = [_title(b, i) for i, b in enumerate(branches)] or [
            f"variant {i + 1}" for i in range(count)
        ]
        kinds = [_kind(b, i) for i, b in enumerate(branches)]
        self.alternatives = [
            f", or make this {' or '.join(k for j, k in enumerate(kinds) if j != i)}"
            if len(kinds) > 1
            else ""
            for i in range(len(kinds))
        ]
        # Per branch: (key, the const it demands, whether it requires the key).
        self.selectors = [
            [(key, _const(b, key), key in _required(b)) for key in self.keys if _has_const(b, key)]
            for b in branches
        ]

    def choices(self, key: str) -> str:
        """`"a" for A; "b" for B`: the values of `key` that select each branch."""
        return "; ".join(
            f"{as_json(_const(b, key))} for {self.titles[i]}"
            for i, b in enumerate(self.branches)
            if _has_const(b, key)  # a branch with none is not chosen by this key
        )

    def selected(self, instance: Any) -> int | None:
        """The one branch whose `const` discriminators agree with the instance, if one."""
        agreeing = self.agreeing(instance)
        return agreeing[0] if len(agreeing) == 1 else None

    def agreeing(self, instance: Any, only: str | None = None) -> list[int]:
        """The branches whose `const` discriminators (or the one named `only`) agree with the
        instance.

        A discriminator key that is absent from the instance agrees with a branch only when
        that branch does not require the key (so `is_external` absent selects the internal
        model); a branch with no `const` for a key agrees with any value of it.
        """
        if not self.keys or not isinstance(instance, dict):
            return []
        found = []
        for index, selectors in enumerate(self.selectors):  # loops: once per invalid document
            for key, const, required in selectors:
                if only is not None and key != only:
                    continue
                value = instance.get(key, _MISSING)
                if value is _MISSING:
                    if required:
                        break
                elif value != const or (
                    type(value) is not type(const)
                    and (isinstance(value, bool) or isinstance(const, bool))
                ):
                    break  # not equal as JSON values are: true is not 1
            else:
                found.append(index)
        return found


def _required(branch: Any) -> list[Any]:
    required = branch.get("required") if isinstance(branch, dict) else None
    return required if isinstance(required, list) else []


def _discriminators(branches: list[Any]) -> list[str]:
    keys: list[str] = []
    for branch in branches:
        properties = branch.get("properties", {}) if isinstance(branch, dict) else {}
        if not isinstance(properties, dict):
            continue
        for key, sub in properties.items():
            if isinstance(sub, dict) and "const" in sub and key not in keys:
                keys.append(key)
    return keys


def _has_const(branch: Any, key: str) -> bool:
    properties = branch.get("properties") if isinstance(branch, dict) else None
    sub = properties.get(key) if isinstance(properties, dict) else None
    return isinstance(sub, dict) and "const" in sub


def _const(branch: Any, key: str) -> Any:
    return branch["properties"][key]["const"] if _has_const(branch, key) else None


def _title(branch: Any, index: int) -> str:
    if isinstance(branch, dict) and isinstance(branch.get("title"), str):
        return str(branch["title"])
    return f"variant {index + 1}"


def _kind(branch: Any, index: int) -> str:
    """`an external model (`is_external`: true)` — how to select a variant."""
    selectors = ", ".join(
        f"`{key}`: {as_json(_const(branch, key))}" for key in _discriminators([branch])
    )
    title = _title(branch, index)
    article = "an" if title[:1].lower() in "aeiou" else "a"
    return f"{article} {title} ({selectors})" if selectors else f"{article} {title}"


def _forbidden_keys(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    required = schema.get("required", [])
    keys = {k for k in required if isinstance(k, str)} if isinstance(required, list) else set()
    for combinator in ("anyOf", "oneOf"):
        subs = schema.get(combinator, [])
        for sub in subs if isinstance(subs, list) else []:
            keys |= _forbidden_keys(sub)
    return keys


def _describe(path: Sequence[str | int]) -> str:
    if not path:
        return "the document"
    first = path[0]
    if len(path) == 1 and isinstance(first, str) and len(first) < 100 and first.isprintable():
        return f"`{first}`"  # the common case: a top-level key
    rendered = ""
    for part in path:
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif part.isidentifier() and len(part) < 100:
            rendered += f".{part}"
        else:
            rendered += f"[{json.dumps(part[:100])}]"  # escapes control and bidi characters
    return f"`{_shorten(rendered.lstrip('.'), 200)}`"


def _cut(violation: Violation) -> Violation:
    return violation._replace(message=violation.message[: _MAX_MESSAGE - 1] + "…")


def _shorten(text: str, limit: int = 300) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"
