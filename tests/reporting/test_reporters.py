"""The reporters themselves: exact text, colour only where it helps, JSON written as it goes."""

from __future__ import annotations

import io
import json

import pytest

from model_conformance.reporting import Outcome, Run, Subject, open_reporter, wants_color
from model_conformance.violations import FileSpan, Row, Severity, Violation

ERROR = Violation("MC301", "not valid JSON: x", where=FileSpan("a.json", 3, 5))
WARNING = Violation("MC203", "unknown key", "/x", Severity.WARNING, FileSpan("a.json", 4, 1))


def render(fmt: str, subjects: list[Subject], outcome: Outcome, **run: object) -> str:
    out = io.StringIO()
    reporter = open_reporter(fmt, Run("test", out=out, **run))  # type: ignore[arg-type]
    for subject in subjects:
        reporter.subject(subject)
    reporter.finish(outcome)
    return out.getvalue()


def test_colour_only_for_text_on_a_terminal_without_no_color() -> None:
    assert wants_color("text", True, {})
    assert not wants_color("text", False, {})
    assert not wants_color("text", True, {"NO_COLOR": "1"})
    assert not wants_color("json", True, {})
    assert wants_color("text", True, {"NO_COLOR": ""})  # the spec: set *and* non-empty


def test_plain_text_is_one_line_per_problem_then_the_verdict() -> None:
    text = render("text", [Subject("a.json", [ERROR, WARNING])], Outcome("Found 2."))
    assert text.splitlines() == [
        "a.json:3:5: MC301 not valid JSON: x",
        "a.json:4:1: MC203 [warning] unknown key",
        "Found 2.",
    ]


def test_coloured_text_keeps_the_same_words() -> None:
    subjects, outcome = [Subject("a.json", [ERROR])], Outcome("Found 1.")
    coloured = render("text", subjects, outcome, color=True)
    assert "\033[31mMC301\033[0m" in coloured
    for code in ("\033[31m", "\033[1m", "\033[2m", "\033[0m"):
        coloured = coloured.replace(code, "")
    assert coloured == render("text", subjects, outcome)


def test_a_block_has_its_heading_notes_and_indented_problems() -> None:
    found = Violation("MC102", "wrong", "/a", where=Row("m\n1", "metadata"))
    text = render("text", [Subject("m\n1", [found], "m\n1: MC102", ["  held"])], Outcome("1."))
    assert text.splitlines() == ["m\\n1: MC102", "  held", "  metadata.a: MC102 wrong", "1."]


def test_json_streams_the_same_document_json_dumps_would_write() -> None:
    subjects = [Subject("a.json", [ERROR, WARNING]), Subject("b.json", [ERROR])]
    bare = render("json", subjects, Outcome("done"))
    records = [v.to_dict() for s in subjects for v in s.violations]
    assert bare == json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    keyed = render("json", subjects, Outcome("done", fields={"n": {"x": 1}}), list_key="items")
    assert json.loads(keyed) == {"items": records, "n": {"x": 1}}
    assert render("json", [], Outcome("", fields={"n": 0}), list_key="items") == (
        '{\n  "items": [],\n  "n": 0\n}\n'
    )
    assert render("json", [], Outcome("")) == "[]\n"


def test_json_writes_lone_surrogates_as_escapes() -> None:
    found = Violation("MC108", "bad \ud800 key", where=FileSpan("a.json", 1, 1))
    out = render("json", [Subject("a.json", [found])], Outcome(""))
    out.encode("utf-8")
    assert json.loads(out)[0]["message"] == "bad \ud800 key"  # an escape JSON decodes


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_that_does_not_say_is_coloured_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for out, coloured in [(_Terminal(), True), (io.StringIO(), False)]:
        reporter = open_reporter("text", Run("test", out=out))
        reporter.subject(Subject("a.json", [ERROR]))
        reporter.finish(Outcome("Found 1."))
        assert ("\033[31mMC301" in out.getvalue()) is coloured
    monkeypatch.setenv("NO_COLOR", "1")
    out = _Terminal()
    open_reporter("text", Run("test", out=out)).finish(Outcome("Found 0."))
    assert "\033[" not in out.getvalue()
