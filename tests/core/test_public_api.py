"""Everything the docs tell a user to import is public: listed once, imported from there."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import model_conformance

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_IMPORT = re.compile(r"from (model_conformance[\w.]*) import (\([^)]*\)|[\w, ]+)")


def documented_imports() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for module, names in _IMPORT.findall(doc.read_text(encoding="utf-8")):
            for name in re.findall(r"\w+", names):
                found.append((doc.name, module, name))
    return found


def test_the_docs_show_imports_at_all() -> None:
    assert len(documented_imports()) >= 8


@pytest.mark.parametrize(("doc", "module", "name"), documented_imports())
def test_each_documented_import_is_the_public_api(doc: str, module: str, name: str) -> None:
    assert module == "model_conformance", f"{doc} imports {name} from internal {module}"
    assert name in model_conformance.__all__
    assert getattr(importlib.import_module(module), name) is not None


def test_every_public_name_resolves() -> None:
    for name in model_conformance.__all__:
        assert getattr(model_conformance, name) is not None
    assert sorted(model_conformance.__all__) == sorted(set(model_conformance.__all__))
