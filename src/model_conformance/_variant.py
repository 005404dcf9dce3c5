"""Explaining a root `oneOf` from a validator of the one variant the document selects.

When a document fails a root `oneOf` (external or internal model), the engine lists every
branch's errors inside one `oneOf` error, each carrying a copy of the whole document: half
the cost of explaining an invalid document. When the document's discriminators
(`is_external`) select exactly one branch, every other branch fails on that discriminator,
so the `oneOf` holds exactly when that branch does: the schema with the `oneOf` replaced by
an `allOf` entry for that branch fails in the same places, and the engine lists only that
branch's errors, as plain errors. The engine lists a root `allOf`'s errors just before its
`anyOf`'s and a `oneOf`'s just after, so with no root `anyOf` they come in the same order.

That holds only where the other branches' `const`s are sure to be checked, and where
nothing refers back to the root (a `$ref` to `#` would then mean the variant): any schema
where that cannot be seen from its text has no variants, and is explained whole. The
verdict is never taken from a variant: only the full schema decides.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urldefrag, urljoin

from model_conformance._explain import Branch, Variants
from model_conformance.schema import DRAFT4, DRAFT6, DRAFT7, Schema


class Variant(NamedTuple):
    """The schema document for one branch, and how that branch's errors are worded."""

    document: dict[str, Any]
    branch: Branch


def root_variants(schema: Schema) -> Variants | None:
    """The root `oneOf`'s variants, when its discriminators can select one of them and a
    variant is sure to fail where the whole schema does, in the same order."""
    document = schema.document
    branches = document.get("oneOf") if isinstance(document, dict) else None
    if not isinstance(branches, list) or len(branches) < 2:
        return None
    if schema.draft is DRAFT4:
        return None  # no `const` in Draft-04: the other branches' discriminators go unchecked
    if schema.draft in (DRAFT6, DRAFT7) and any(
        isinstance(b, dict) and "$ref" in b for b in branches
    ):
        return None  # up to Draft-07 a `$ref` hides its siblings, `const`s included
    if "anyOf" in document:
        return None  # listed between an `allOf`'s errors and a `oneOf`'s: the order would differ
    if _refers_to_root(schema):
        return None
    variants = Variants(branches, len(branches))
    return variants if variants.keys else None


def variant(document: dict[str, Any], variants: Variants, index: int) -> Variant:
    """`document` with its `oneOf` replaced by an `allOf` entry for branch `index`, after any
    `allOf` entries the schema has, so theirs keep their places and keyword locations."""
    existing = document.get("allOf")
    entries = list(existing) if isinstance(existing, list) else []
    replaced = {key: value for key, value in document.items() if key != "oneOf"}
    replaced["allOf"] = [*entries, variants.branches[index]]
    prefix = f"{variants.titles[index]}: "
    return Variant(replaced, Branch(len(entries), prefix, variants.alternatives[index]))


_DYNAMIC = ("$recursiveRef", "$dynamicRef")


def _refers_to_root(schema: Schema) -> bool:
    """Whether any `$ref` (of the schema or a saved schema) may lead back to the root, or a
    dynamic reference may: narrowed, the root would then be a different schema. Each `$ref`
    is read in its own scope (a nested `$id` moves it), and an anchor on the root counts."""
    root = urldefrag(schema.base_uri).url
    names = _root_anchors(schema.document)
    documents = [(schema.base_uri, schema.document), *schema.saved.items()]
    for base, document in documents:
        stack: list[tuple[Any, str]] = [(document, base)]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, list):
                stack.extend((item, scope) for item in node)
                continue
            if not isinstance(node, dict):
                continue
            if any(key in node for key in _DYNAMIC):
                return True
            ident = node.get("$id")
            inner = urljoin(scope, ident) if isinstance(ident, str) else scope
            ref = node.get("$ref")
            # Up to Draft-07 an `$id` beside a `$ref` is ignored, later it is not: try both.
            if isinstance(ref, str) and any(
                _is_root(urljoin(where, ref), root, names) for where in (scope, inner)
            ):
                return True
            stack.extend((value, inner) for value in node.values())
    return False


def _root_anchors(document: Any) -> set[str]:
    """The plain names that lead to the root: its `$anchor`s, or a Draft-07 `$id: "#name"`."""
    if not isinstance(document, dict):
        return set()
    names = {document.get(key) for key in ("$anchor", "$dynamicAnchor")}
    ident = document.get("$id")
    if isinstance(ident, str):
        names.add(urldefrag(ident).fragment)
    return {name for name in names if isinstance(name, str) and name}


def _is_root(uri: str, root: str, names: set[str]) -> bool:
    target, fragment = urldefrag(uri)
    if target not in (root, ""):
        return False
    # `#`, `#/` (read as the root, which only costs the shortcut) or an anchor on the root.
    return fragment.strip("/") == "" or fragment in names
