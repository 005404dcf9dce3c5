"""`model-conformance rule [CODE]...`: what a rule asks, its example and what it prints."""

from __future__ import annotations

import click

from model_conformance.codes import RULES
from model_conformance.violations import Severity, terminal_safe


@click.command("rule")
@click.argument("codes", nargs=-1, metavar="[CODE]...")
def rule(codes: tuple[str, ...]) -> None:
    """Explain rule codes (MC202, mc302); with none, list every rule: code, name, severity."""
    if not codes:
        for code, entry in RULES.items():
            severity = "warning" if entry.severity is Severity.WARNING else "error"
            click.echo(f"{code}  {entry.name:<30} {severity:<8} {entry.summary}")
        return
    unknown = [code for code in codes if code.upper() not in RULES]
    if unknown:
        raise click.UsageError(
            f"no rule {terminal_safe(', '.join(unknown))}: codes look like MC302 "
            "(`model-conformance rule` lists them all)"
        )
    from model_conformance._rules_doc import section

    click.echo("\n".join(section(RULES[code.upper()]) for code in codes), nl=False)
