"""`model-conformance rule`: explain a code from the catalogue, or list them all."""

from __future__ import annotations

from click.testing import CliRunner

from model_conformance import RULES
from model_conformance.cli import cli


def test_a_code_prints_its_section_of_the_rules_doc() -> None:
    result = CliRunner().invoke(cli, ["rule", "mc203"])
    assert result.exit_code == 0
    assert result.stdout.startswith("### MC203 misspelled-key (warning)\n")
    assert "did you mean `evaluation_metrics`?" in result.stdout


def test_without_codes_every_rule_is_listed_once() -> None:
    lines = CliRunner().invoke(cli, ["rule"]).stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)


def test_an_unknown_code_is_a_usage_error_that_names_it_escaped() -> None:
    result = CliRunner().invoke(cli, ["rule", "MC999\n::error::x"])
    assert result.exit_code == 2
    assert "no rule MC999\\n::error::x" in result.output
