"""What the fuzz test and `bench/fuzz.py` feed the readers: raw bytes, and JSON text built
from hostile values. One property: lint and register's reader answer every input with
findings or a document, never an exception, and never MC399 (the toolkit's own failure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from tests.support.hostile_values import json_values

from model_conformance.json_reader.document import parse_json_document
from model_conformance.lint import lint_file
from model_conformance.validator import MetadataValidator

VALIDATOR = MetadataValidator()


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=True)
    except (ValueError, RecursionError):
        return "{}"


documents_as_text = json_values(max_leaves=20, max_keys=6).map(_json_text)
raw_bytes = st.binary(max_size=2000) | documents_as_text.map(
    lambda text: text.encode("utf-8", "surrogatepass")
)


def judge_file(folder: Path, data: bytes) -> None:
    path = folder / "input.json"
    path.write_bytes(data)
    findings = lint_file(path, VALIDATOR)
    assert all(f.code != "MC399" for f in findings), [str(f) for f in findings]
    for finding in findings:
        f"{finding.location}: {finding.message}".encode()


def judge_line(text: str) -> None:
    doc, findings = parse_json_document(text, "<stdin>:1")
    assert doc is not None or findings
