"""Explaining a root `oneOf` from a validator of the one variant the document selects.

When a document fails a root `oneOf` (external or internal model), the engine lists every
branch's errors, each carrying a copy of the whole document: half the cost of explaining an
invalid document. When the document's discriminators (`is_external`) select exactly one
branch, every other branch fails on that discriminator, so the `oneOf` holds exactly when
that branch does: the schema with the `oneOf` replaced by an `allOf` entry for that branch
fails in the same places, and lists only that branch's errors.

The verdict is never taken from a variant: only the full schema decides. A variant only
explains a document the full schema has already refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model_conformance._explain import Branch, Variants


@dataclass(frozen=True)
class Variant:
    """The schema document for one branch, and how that branch's errors are worded."""

    document: dict[str, Any]
    branch: Branch


def root_variants(document: Any) -> Variants | None:
    """The root `oneOf`'s variants, when its discriminators can select one of them."""
    branches = document.get("oneOf") if isinstance(document, dict) else None
    if not isinstance(branches, list) or len(branches) < 2:
        return None
    variants = Variants(branches, len(branches))
    return variants if variants.keys else None


def variant(document: dict[str, Any], variants: Variants, index: int) -> Variant:
    """`document` with its `oneOf` replaced by an `allOf` entry for branch `index`.

    The branch goes after any `allOf` entries the schema has, so theirs keep their places
    (and their keyword locations) and the branch's errors are those under `allOf/<last>`.
    """
    existing = document.get("allOf")
    entries = list(existing) if isinstance(existing, list) else []
    replaced = {key: value for key, value in document.items() if key != "oneOf"}
    replaced["allOf"] = [*entries, variants.branches[index]]
    branch = Branch(
        at=len(entries),
        prefix=f"{variants.titles[index]}: ",
        alternative=variants.alternatives[index],
    )
    return Variant(replaced, branch)
