"""A document that fails the root `oneOf` is explained from the one variant it selects.

Explaining from that variant's validator (the `oneOf` replaced by the selected branch) must
say word for word what explaining from the whole schema says: same codes, same pointers,
same sentences, same order. Only the cost differs. The verdict always comes from the whole
schema.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.hostile_values import json_values

from model_conformance import MetadataValidator, load_schema
from model_conformance._explain import Variants
from model_conformance._variant import root_variants
from model_conformance.schema import default_schema

EXTERNAL = {
    "model_family": "transformer",
    "framework": "pytorch",
    "parameter_count": 110000000,
    "training_data": ["dataset-a"],
    "evaluation_dataset": "dataset-holdout",
    "evaluation_metrics": {"f1": 0.91},
    "is_external": True,
    "external_source_url": "https://huggingface.co/org/model",
    "external_source_version": "0123456789abcdef0123456789abcdef01234567",
}
INTERNAL = {
    **{k: v for k, v in EXTERNAL.items() if not k.startswith("external")},
    "is_external": False,
    "training_config": {"epochs": 3},
}


def whole_schema_only(validator: MetadataValidator) -> MetadataValidator:
    """The same validator, explaining every failure from the whole schema."""
    whole = copy.copy(validator)
    whole._variants = None
    return whole


def broken(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every way to break one document a key at a time, and a few at once."""
    out = []
    for key in list(doc):
        out.append({k: v for k, v in doc.items() if k != key})  # missing
        wrongs: list[Any] = ["", 1.5, None, [], {"x": 1}, "main", True]
        for wrong in wrongs:
            out.append({**doc, key: wrong})  # a wrong value or type
    out.append({**doc, "is_external": not doc["is_external"]})  # the other variant's flag
    out.append({k: v for k, v in doc.items() if k != "is_external"})  # no flag at all
    out.append({**doc, "external_source_url": "https://x", "training_config": {}})  # both
    out.append({**doc, "parameter_count": "1.2M", "trained_at": "yesterday", "extra": 1})
    return out


def test_every_broken_document_is_explained_as_the_whole_schema_explains_it() -> None:
    fast = MetadataValidator()
    whole = whole_schema_only(fast)
    documents = broken(EXTERNAL) + broken(INTERNAL)
    assert len(documents) > 140
    for doc in documents:
        assert fast.validate(doc) == whole.validate(doc), json.dumps(doc)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([EXTERNAL, INTERNAL]),
    st.dictionaries(
        st.sampled_from(sorted(default_schema().known_keys)), json_values(), max_size=4
    ),
)
def test_any_change_to_a_document_is_explained_as_the_whole_schema_explains_it(
    base: dict[str, Any], changes: dict[str, Any]
) -> None:
    fast = MetadataValidator()
    doc = {**base, **changes}
    assert fast.validate(doc) == whole_schema_only(fast).validate(doc)


def test_a_branch_error_is_worded_with_the_branch_it_belongs_to() -> None:
    doc = {k: v for k, v in EXTERNAL.items() if k != "external_source_version"}
    [violation] = MetadataValidator().validate(doc)
    assert violation.code == "MC101"
    assert violation.message.startswith("external model: missing `external_source_version`: ")


USER_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "description": "what it is called"}},
    "allOf": [{"properties": {"size": {"$ref": "#/definitions/count"}}}],
    "oneOf": [
        {
            "title": "cat",
            "properties": {"kind": {"const": "cat"}, "lives": {"$ref": "#/definitions/count"}},
            "required": ["kind", "lives"],
        },
        {
            "title": "dog",
            "properties": {
                "kind": {"const": "dog"},
                "breed": {"type": "string", "description": "the dog's breed"},
            },
            "required": ["kind", "breed"],
            "not": {"required": ["lives"]},
        },
    ],
    "definitions": {"count": {"type": "integer", "minimum": 0}},
}


def test_a_users_schema_with_its_own_allof_and_refs_is_explained_the_same(tmp_path: Path) -> None:
    path = tmp_path / "pets.json"
    path.write_text(json.dumps(USER_SCHEMA))
    fast = MetadataValidator(load_schema(path), rules=())
    whole = whole_schema_only(fast)
    documents = [
        {"name": "a", "kind": "cat", "lives": -1, "size": "big"},
        {"name": "a", "kind": "cat"},
        {"kind": "dog", "lives": 9, "size": -2},
        {"name": 1, "kind": "dog", "breed": 5},
        {"name": "a", "kind": "bird"},
        {"name": "a"},
    ]
    for doc in documents:
        assert fast.validate(doc) == whole.validate(doc), doc
    dog = fast.validate({"name": "a", "kind": "dog"})
    assert [v.message for v in dog] == ["dog: missing `breed`: the dog's breed"]
    cat = fast.validate({"name": "a", "kind": "cat", "lives": -1, "size": -1})
    assert [v.message for v in cat] == [
        "`size` must be at least 0, not -1",
        "cat: `lives` must be at least 0, not -1",
    ]


def _schema(tmp_path: Path, document: dict[str, Any]) -> MetadataValidator:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    return MetadataValidator(load_schema(path), rules=())


def _pets(draft: str, **root: Any) -> dict[str, Any]:
    a = {
        "title": "A",
        "required": ["k"],
        "properties": {"k": {"const": "a"}, "x": {"type": "string"}},
    }
    b = {"title": "B", "required": ["k"], "properties": {"k": {"const": "b"}}}
    return {"$schema": draft, "properties": {"w": {"type": "integer"}}, "oneOf": [a, b], **root}


DRAFT7 = "http://json-schema.org/draft-07/schema#"
_KINDS = [
    {"title": "external", "properties": {"kind": {"const": True}}, "required": ["kind", "url"]},
    {"title": "internal", "properties": {"kind": {"const": False}}, "required": ["cfg"]},
]
# Schemas a reviewer built to make the narrowed explanation say something the whole one does
# not, each with the document that did.
TRICKY = {
    "a $ref back to the root inside a branch": (
        {
            "$schema": DRAFT7,
            "properties": {"w": {"type": "integer"}},
            "oneOf": [
                {
                    "title": "A",
                    "required": ["k"],
                    "properties": {"k": {"const": "a"}, "base": {"$ref": "#"}},
                },
                {"title": "B", "required": ["k"], "properties": {"k": {"const": "b"}}},
            ],
        },
        {"k": "a", "base": {"k": "b"}, "w": "x"},
    ),
    "a $ref back to the root through a nested $id": (
        {
            "$schema": DRAFT7,
            "properties": {
                "n": {"type": "integer"},
                "child": {"$id": "sub/child.json", "allOf": [{"$ref": "../s.json"}]},
            },
            "oneOf": _KINDS,
        },
        {"kind": False, "cfg": 1, "n": "s", "child": {"kind": True, "url": "x"}},
    ),
    "a $ref back to the root by its $anchor": (
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$anchor": "top",
            "properties": {"n": {"type": "integer"}, "child": {"$ref": "#top"}},
            "oneOf": _KINDS,
        },
        {"kind": False, "cfg": 1, "n": "s", "child": {"kind": True, "url": "x"}},
    ),
    "Draft-04, which has no const": (
        _pets("http://json-schema.org/draft-04/schema#"),
        {"k": "a", "x": 1, "w": "x"},
    ),
    "a $ref beside a branch's const (Draft-07 ignores the const)": (
        {**_pets(DRAFT7), "definitions": {"s": {}}}
        | {
            "oneOf": [
                {**_pets(DRAFT7)["oneOf"][0], "$ref": "#/definitions/s"},
                _pets(DRAFT7)["oneOf"][1],
            ]
        },
        {"k": "a", "x": 1, "w": "x"},
    ),
    "a discriminator written as NaN": (
        {
            "$schema": DRAFT7,
            "oneOf": [
                {"title": "A", "properties": {"k": {"const": None}, "x": {"type": "string"}}},
                {"title": "B", "required": ["k"], "properties": {"k": {"const": "b"}}},
            ],
        },
        {"k": float("nan"), "x": 1},
    ),
    "a root anyOf and not beside the oneOf": (
        _pets(DRAFT7, anyOf=[{"required": ["u"]}], **{"not": {"required": ["v"]}}),
        {"k": "a", "x": 1, "v": 1},
    ),
    "more errors in the branch than are listed": (
        {
            "$schema": DRAFT7,
            "oneOf": [
                {
                    "title": "A",
                    "properties": {"k": {"const": "a"}}
                    | {f"p{i}": {"type": "string"} for i in range(150)},
                },
                {"title": "B", "required": ["k"], "properties": {"k": {"const": "b"}}},
            ],
        },
        {"k": "a"} | {f"p{i}": i for i in range(150)},
    ),
}


@pytest.mark.parametrize("case", list(TRICKY))
def test_a_tricky_schema_is_explained_as_the_whole_schema_explains_it(
    tmp_path: Path, case: str
) -> None:
    document, doc = TRICKY[case]
    fast = _schema(tmp_path, document)
    assert fast.validate(doc) == whole_schema_only(fast).validate(doc)


@pytest.mark.parametrize(
    "case",
    [
        "a $ref back to the root inside a branch",
        "a $ref back to the root through a nested $id",
        "a $ref back to the root by its $anchor",
        "Draft-04, which has no const",
    ],
)
def test_a_schema_whose_narrowing_could_mislead_has_no_variants(tmp_path: Path, case: str) -> None:
    assert _schema(tmp_path, TRICKY[case][0])._variants is None


def test_only_a_root_oneof_with_a_discriminator_has_variants(tmp_path: Path) -> None:
    assert root_variants(default_schema()) is not None
    assert _schema(tmp_path, _pets(DRAFT7))._variants is not None
    plain = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert _schema(tmp_path, plain)._variants is None
    assert _schema(tmp_path, {"anyOf": [{"properties": {"k": {"const": 1}}}]})._variants is None


@pytest.mark.parametrize(
    ("doc", "selected"),
    [
        ({"kind": True}, 1),  # true is not 1 in JSON...
        ({"kind": 1}, 0),
        ({"kind": 1.0}, 0),  # ...but 1.0 is
        ({"kind": False}, None),
        ({"kind": "1"}, None),
        ({}, 2),  # absent: only the branch that does not require it
        ([], None),
    ],
)
def test_a_discriminator_selects_by_json_equality(doc: Any, selected: int | None) -> None:
    branches = [
        {"properties": {"kind": {"const": 1}}, "required": ["kind"]},
        {"properties": {"kind": {"const": True}}, "required": ["kind"]},
        {"properties": {"kind": {"const": None}}},
    ]
    assert Variants(branches, len(branches)).selected(doc) == selected


_A = {"title": "a", "properties": {"k": {"const": "x"}}, "required": ["k", "n"]}
_B = {"title": "b", "properties": {"k": {"const": "y"}}, "required": ["k"]}


@pytest.mark.parametrize(
    ("branches", "doc", "said"),
    [
        # A discriminator no branch takes is the one thing to fix.
        (
            [_A, _B],
            {"k": "z"},
            [("/k", '`k` selects the kind of document: use "x" for a; "y" for b, not "z"')],
        ),
        (
            [_A, _B],
            {},
            [("", 'missing `k`, which selects the kind of document: use "x" for a; "y" for b')],
        ),
        ([_A, _B], {"k": "x"}, [("", "a: missing `n`")]),
        # A branch with no `const` takes any value: both branches say what they lack, and
        # the one without a const is not offered as `null`.
        (
            [_A, {"title": "b", "required": ["m"]}],
            {"k": "x"},
            [("", "a: missing `n`"), ("", "b: missing `m`")],
        ),
        # The discriminator no branch takes is the one named, not the first.
        (
            [
                {
                    "title": "a",
                    "properties": {"k": {"const": "x"}, "m": {"const": 1}},
                    "required": ["m"],
                },
                {
                    "title": "b",
                    "properties": {"k": {"const": "y"}, "m": {"const": 2}},
                    "required": ["m"],
                },
            ],
            {"k": "x"},
            [("", "missing `m`, which selects the kind of document: use 1 for a; 2 for b")],
        ),
        # ...so a value the others refuse selects it.
        ([_A, {"title": "b", "required": ["m"]}], {"k": "z"}, [("", "b: missing `m`")]),
    ],
)
def test_a_failed_oneof_is_worded_by_the_branches_its_discriminators_allow(
    tmp_path: Path, branches: list[Any], doc: dict[str, Any], said: list[tuple[str, str]]
) -> None:
    violations = _schema(tmp_path, {"$schema": DRAFT7, "oneOf": branches}).validate(doc)
    assert [(v.pointer, v.message) for v in violations] == said
    assert all(v.is_error for v in violations)


@pytest.mark.parametrize(
    "ref",
    [
        "HTTPS://EX.COM/s/root.json",
        "https://ex.com:443/s/root.json",
        "https://ex.com/s/./root.json",
        "ro%6Ft.json",
    ],
)
def test_a_ref_to_the_root_however_it_is_spelt_means_no_variants(tmp_path: Path, ref: str) -> None:
    root = {
        "$id": "https://ex.com/s/root.json",
        "$schema": DRAFT7,
        "properties": {"child": {"$ref": ref}},
        "oneOf": _KINDS,
    }
    assert _schema(tmp_path, root)._variants is None


def test_a_file_beside_the_schema_that_refers_back_means_no_variants(tmp_path: Path) -> None:
    (tmp_path / "child.json").write_text(json.dumps({"$ref": "s.json"}))
    (tmp_path / "leaf.json").write_text(json.dumps({"type": "integer"}))
    back = {"$schema": DRAFT7, "properties": {"child": {"$ref": "child.json"}}, "oneOf": _KINDS}
    fast = _schema(tmp_path, back)
    assert fast._variants is None
    doc = {"kind": True, "url": "x", "child": {"kind": False, "cfg": 1}, "n": "s"}
    assert fast.validate(doc) == whole_schema_only(fast).validate(doc)
    # A file that does not lead back keeps the shortcut.
    leaf = {"$schema": DRAFT7, "properties": {"n": {"$ref": "leaf.json"}}, "oneOf": _KINDS}
    assert _schema(tmp_path, leaf)._variants is not None
