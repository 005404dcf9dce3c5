"""What the fuzz test and `bench/fuzz.py` feed the readers: raw bytes, and JSON text built
from hostile values. One property: lint and register's reader answer every input with
findings or a document, never an exception, and never MC399 (the toolkit's own failure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from model_conformance.lint import lint_file
from model_conformance.lint.document import parse_json_document
from model_conformance.validator import MetadataValidator

VALIDATOR = MetadataValidator()
KEYS = sorted(VALIDATOR.schema.known_keys)

texts = st.text(max_size=20) | st.sampled_from(
    ["\ud800", "\x00", "\u202e", "\n", "https://[x", "1" + ".1" * 500 + "!", "NaN"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
    st.integers(4000, 5000).map(lambda n: 10**n),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | texts, inner, max_size=6)
    ),
    max_leaves=20,
)


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=True)
    except (ValueError, RecursionError):
        return "{}"


documents_as_text = values.map(_json_text)
raw_bytes = st.binary(max_size=2000) | documents_as_text.map(
    lambda text: text.encode("utf-8", "surrogatepass")
)


def judge_file(folder: Path, data: bytes) -> None:
    path = folder / "input.json"
    path.write_bytes(data)
    findings = lint_file(path, VALIDATOR)
    assert all(f.code != "MC399" for f in findings), [str(f.violation) for f in findings]
    for finding in findings:
        f"{finding.path}:{finding.line}:{finding.column}: {finding.message}".encode()


def judge_line(text: str) -> None:
    doc, findings = parse_json_document(text, "<stdin>:1")
    assert doc is not None or findings
