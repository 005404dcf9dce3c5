"""Rendering findings: colour only where it helps, and exact text."""

from __future__ import annotations

from model_conformance.lint.document import Finding, file_violation
from model_conformance.lint.reader import Position
from model_conformance.lint.report import render_text, summary, wants_color
from model_conformance.violations import Severity, Violation

ERROR = Finding("a.json", Position(3, 5), file_violation("MC301", "not valid JSON: x"))
WARNING = Finding(
    "a.json", Position(4, 1), Violation("MC203", "unknown key", "/x", Severity.WARNING)
)


def test_colour_only_for_text_on_a_terminal_without_no_color() -> None:
    assert wants_color("text", True, {})
    assert not wants_color("text", False, {})
    assert not wants_color("text", True, {"NO_COLOR": "1"})
    assert not wants_color("json", True, {})
    assert wants_color("text", True, {"NO_COLOR": ""})  # the spec: set *and* non-empty


def test_plain_text() -> None:
    assert render_text([ERROR, WARNING], 2, color=False).splitlines() == [
        "a.json:3:5: MC301 not valid JSON: x",
        "a.json:4:1: MC203 [warning] unknown key",
        "Found 1 error and 1 warning in 1 of 2 files.",
    ]


def test_coloured_text_keeps_the_same_words() -> None:
    text = render_text([ERROR], 1, color=True)
    assert "\033[31mMC301\033[0m" in text
    assert text.replace("\033[31m", "").replace("\033[1m", "").replace("\033[2m", "").replace(
        "\033[0m", ""
    ) == render_text([ERROR], 1, color=False)


def test_summary_of_a_clean_run() -> None:
    assert summary([], 1) == "Checked 1 file: no problems."
