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
_IDS = ("id", "$id")  # the last one present sets the scope of what is below


def _refers_to_root(schema: Schema) -> bool:
    """Whether any `$ref` may lead back to the root, or a dynamic reference may: narrowed,
    the root would then be a different schema. Each `$ref` is resolved as the engine
    resolves it (in its own scope, URIs normalised, anchors), and every document one leads
    to is read in turn (files beside the schema, saved schemas). Anything that cannot be
    followed counts as leading back: that only costs the shortcut."""
    root = schema.document
    try:
        registry = schema.registry()
    except Exception:
        return True
    work: list[tuple[str, Any]] = [(schema.base_uri, root), *schema.saved.items()]
    read = {urldefrag(uri).url for uri, _ in work}
    while work:
        stack = [work.pop()[::-1]]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, list):
                stack.extend((item, scope) for item in node)
                continue
            if not isinstance(node, dict):
                continue
            if any(key in node for key in _DYNAMIC):
                return True
            # Draft-04's `id` or a later `$id`; up to Draft-07 one beside a `$ref` is ignored,
            # later it is not: the `$ref` is followed from each scope it may have.
            scopes = [scope] + [
                urljoin(scope, node[k]) for k in _IDS if isinstance(node.get(k), str)
            ]
            ref = node.get("$ref")
            if isinstance(ref, str):
                for where in scopes:
                    try:
                        resolved = registry.resolver(where).lookup(ref)
                        if resolved.contents == root:
                            return True
                        target = urldefrag(resolved.resolver.base_uri).url
                        if target not in read:
                            read.add(target)
                            work.append((target, schema.retrieve(target)))
                    except Exception:
                        return True
            stack.extend((value, scopes[-1]) for value in node.values())
    return False
