"""Fuzzing lint's and register's readers, bounded (`bench/fuzz.py` runs it longer)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from tests.hostile.fuzzing import documents_as_text, judge_file, judge_line, raw_bytes

FOLDER = Path(tempfile.mkdtemp(prefix="mc-fuzz-"))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_bytes)
def test_any_bytes_in_a_file_get_findings_never_an_exception(data: bytes) -> None:
    judge_file(FOLDER, data)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_as_text)
def test_any_json_text_on_a_line_is_read_or_refused_never_raised(text: str) -> None:
    judge_line(text)
