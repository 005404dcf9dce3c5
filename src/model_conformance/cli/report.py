"""`model-conformance report`: write the Markdown migration report."""

from __future__ import annotations

from pathlib import Path

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli._options import dsn_option
from model_conformance.migration_report import read_models, render_report, state_as_of


@click.command("report")
@dsn_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report here (default: standard output).",
)
def report(dsn: str | None, output: Path | None) -> None:
    """Write the migration report: every model, old metadata beside new, and its decision."""
    with registry_connection(dsn) as conn:
        text = render_report(read_models(conn), as_of=state_as_of(conn))
    if output is None:
        click.echo(text, nl=False)
        return
    write_report(output, text)
    click.echo(f"wrote {output} ({len(text.encode())} bytes)")


def write_report(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot write the report to {path}: {exc.strerror}") from None
