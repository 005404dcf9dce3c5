"""Turn the reference validator's errors into violations a person can act on.

Two things jsonschema does not do for us: explain a `oneOf` against the variant the
document selects (its discriminator, e.g. `is_external`), and write values as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from model_conformance.violations import Severity, Violation, as_json, make_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# The schema's "not blank" pattern. Spelled as an explicit class, not `\\S`: Python's `re`
# and ECMA-262 (jsonschema-rs) disagree on what `\\s` matches (U+0085, for one).
NOT_BLANK_PATTERN = "[^ \\t\\n\\r\\f\\v]"

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def explain(errors: Iterable[ValidationError], root_schema: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    for error in errors:
        found.extend(_explain_one(error, root_schema, prefix=""))
    # A pattern or discriminator complaint adds nothing where the value's type or format
    # is already reported at the same place.
    primary = {v.pointer for v in found if v.code in ("MC102", "MC103")}
    out: list[Violation] = []
    for violation in found:
        if violation.code == "MC107" and violation.pointer in primary:
            continue
        if violation not in out:
            out.append(violation)
    return out


def _explain_one(
    error: ValidationError, root_schema: Mapping[str, Any], prefix: str, alternative: str = ""
) -> Iterator[Violation]:
    pointer = make_pointer(error.absolute_path)
    keyword = str(error.validator)
    value: Any = error.validator_value
    where = _describe(error.absolute_path)
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        for key in value:
            if key not in instance:
                hint = _description(root_schema, error, key)
                yield Violation("MC101", f"{prefix}missing `{key}`{hint}", pointer)
    elif keyword == "type":
        wanted = value
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        expected = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        yield Violation(
            "MC102", f"{prefix}{where} must be {expected}, not {as_json(error.instance)}", pointer
        )
    elif keyword == "format":
        yield Violation(
            "MC103",
            f"{prefix}{where} is not a valid {value}: {as_json(error.instance)}",
            pointer,
        )
    elif keyword in _RANGE:
        yield Violation(
            "MC104",
            f"{prefix}{where} must be {_RANGE[keyword]} {as_json(value)}, "
            f"not {as_json(error.instance)}",
            pointer,
        )
    elif keyword in ("minLength", "minItems", "minProperties") or (
        keyword == "pattern" and value == NOT_BLANK_PATTERN
    ):
        yield Violation("MC105", f"{prefix}{where} must not be empty", pointer)
    elif keyword in ("oneOf", "anyOf"):
        yield from _explain_variants(error, root_schema, prefix)
    elif keyword == "not":
        yield from _explain_not(error, prefix, pointer, alternative)
    elif keyword == "const":
        yield Violation(
            "MC107",
            f"{prefix}{where} must be {as_json(value)}, not {as_json(error.instance)}",
            pointer,
        )
    elif keyword == "enum":
        allowed = ", ".join(as_json(v) for v in value)
        yield Violation(
            "MC107",
            f"{prefix}{where} must be one of {allowed}, not {as_json(error.instance)}",
            pointer,
        )
    elif keyword == "pattern":
        yield Violation(
            "MC107",
            f"{prefix}{where} must match the pattern {as_json(value)}, "
            f"not {as_json(error.instance)}",
            pointer,
        )
    elif keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed_keys = _allowed_keys(error.schema)
        for key in error.instance:
            if key not in allowed_keys:
                yield Violation(
                    "MC106",
                    f"{prefix}key `{key}` is not allowed here",
                    make_pointer([*error.absolute_path, key]),
                )
    else:
        yield Violation(
            "MC199",
            f"{prefix}{where} fails `{keyword}` {as_json(value)}: "
            f"value is {as_json(error.instance)}",
            pointer,
        )


_RANGE = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
    "multipleOf": "a multiple of",
}


def _explain_variants(
    error: ValidationError, root_schema: Mapping[str, Any], prefix: str
) -> Iterator[Violation]:
    """Explain a failed `oneOf`/`anyOf` against the variant the document itself selects."""
    variants: Any = error.validator_value
    branches: list[Any] = list(variants)
    selected = _selected_branches(branches, error.instance)
    pointer = make_pointer(error.absolute_path)
    if len(selected) == 1:
        index = selected[0]
        title = _title(branches[index], index)
        sub_errors = [e for e in error.context or [] if e.relative_schema_path[0] == index]
        if not sub_errors:  # valid against its own variant but also against another (oneOf)
            yield Violation(
                "MC199", f"{prefix}{title}: the document also matches another variant", pointer
            )
        others = [_kind(b, i) for i, b in enumerate(branches) if i != index]
        alternative = f", or make this {' or '.join(others)}" if others else ""
        for sub in sorted(sub_errors, key=lambda e: list(e.relative_schema_path)):
            yield from _explain_one(sub, root_schema, f"{prefix}{title}: ", alternative)
        return
    discriminators = _discriminators(branches)
    if discriminators and isinstance(error.instance, dict):
        key = discriminators[0]
        choices = "; ".join(
            f"{as_json(_const(b, key))} for {_title(b, i)}" for i, b in enumerate(branches)
        )
        yield Violation(
            "MC107",
            f"{prefix}`{key}` selects the kind of document: use {choices}, "
            f"not {as_json(error.instance.get(key))}",
            make_pointer([*error.absolute_path, key]),
        )
        return
    titles = ", ".join(_title(b, i) for i, b in enumerate(branches))
    yield Violation(
        "MC199",
        f"{prefix}{_describe(error.absolute_path)} matches none of the allowed forms ({titles}): "
        f"value is {as_json(error.instance)}",
        pointer,
    )


def _selected_branches(branches: list[Any], instance: Any) -> list[int]:
    """Branches whose `const` discriminators agree with the instance.

    A discriminator key that is absent from the instance selects a branch only when that
    branch does not require the key (so `is_external` absent selects the internal model).
    """
    if not isinstance(instance, dict):
        return []
    keys = _discriminators(branches)
    if not keys:
        return []
    chosen = []
    for index, branch in enumerate(branches):
        required = branch.get("required", []) if isinstance(branch, dict) else []
        if all(
            (key in instance and _same(instance[key], _const(branch, key)))
            or (key not in instance and key not in required)
            for key in keys
            if _has_const(branch, key)
        ):
            chosen.append(index)
    return chosen


def _discriminators(branches: list[Any]) -> list[str]:
    keys: list[str] = []
    for branch in branches:
        properties = branch.get("properties", {}) if isinstance(branch, dict) else {}
        for key, sub in properties.items():
            if isinstance(sub, dict) and ("const" in sub) and key not in keys:
                keys.append(key)
    return keys


def _has_const(branch: Any, key: str) -> bool:
    sub = branch.get("properties", {}).get(key) if isinstance(branch, dict) else None
    return isinstance(sub, dict) and "const" in sub


def _const(branch: Any, key: str) -> Any:
    return branch["properties"][key]["const"] if _has_const(branch, key) else None


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


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


def _explain_not(
    error: ValidationError, prefix: str, pointer: str, alternative: str
) -> Iterator[Violation]:
    """`not: {anyOf: [{required: [a]}, ...]}` forbids keys; name the keys actually present."""
    forbidden = _forbidden_keys(error.validator_value)
    if forbidden and isinstance(error.instance, dict):
        for key in sorted(forbidden & set(error.instance)):
            yield Violation(
                "MC106",
                f"{prefix}`{key}` is not allowed here: remove it{alternative}",
                make_pointer([*error.absolute_path, key]),
                Severity.ERROR,
            )
        return
    yield Violation(
        "MC199",
        f"{prefix}{_describe(error.absolute_path)} must not match {as_json(error.validator_value)}",
        pointer,
    )


def _forbidden_keys(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    keys = set(schema.get("required", []))
    for combinator in ("anyOf", "oneOf"):
        for sub in schema.get(combinator, []):
            keys |= _forbidden_keys(sub)
    return keys


def _allowed_keys(schema: Any) -> set[str]:
    return set(schema.get("properties", {})) if isinstance(schema, dict) else set()


def _description(root_schema: Mapping[str, Any], error: ValidationError, key: str) -> str:
    properties = error.schema.get("properties") if isinstance(error.schema, dict) else None
    if not isinstance(properties, dict) or key not in properties:
        properties = root_schema.get("properties", {}) if not error.absolute_path else {}
    described = properties.get(key, {}) if isinstance(properties, dict) else {}
    text = described.get("description") if isinstance(described, dict) else None
    return f": {text}" if isinstance(text, str) else ""


def _describe(path: Iterable[Any]) -> str:
    parts = list(path)
    if not parts:
        return "the document"
    rendered = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return f"`{rendered.lstrip('.')}`"
