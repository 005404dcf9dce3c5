"""`model-conformance verify-pins [FILE...]`: check code pins against local repositories.

Without FILEs, every pin in the registry is checked and each verdict is recorded in
`code_pin_checks`. With FILEs (the `model-code-pins` pre-commit hook), the pins in those
registration documents are checked and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli.db import DSN_HELP
from model_conformance.lint.document import read_json_document
from model_conformance.pins.record import record_verdicts, registry_pins
from model_conformance.pins.report import FORMATS, failing, render
from model_conformance.pins.resolve import Resolver, configured_repositories
from model_conformance.pins.verdict import Pin, Verdict
from model_conformance.pins.verify import verify_pins
from model_conformance.violations import Violation

MIRRORS_HELP = "A folder of bare clones laid out as DIR/<host>/<owner>/<repo>.git."


@click.command("verify-pins")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dsn", help=DSN_HELP)
@click.option(
    "--mirrors",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=MIRRORS_HELP,
)
@click.option(
    "--only-changed",
    is_flag=True,
    help="Only pins with no verdict recorded for their current URL, commit and entrypoint.",
)
@click.option("--fetch", is_flag=True, help="Run `git fetch` in each mirror used first.")
@click.option("--strict", is_flag=True, help="Warnings (unreachable, unverifiable) are errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
def verify_pins_command(
    files: tuple[Path, ...],
    dsn: str | None,
    mirrors: Path | None,
    only_changed: bool,
    fetch: bool,
    strict: bool,
    fmt: str,
) -> None:
    """Check that each pinned commit exists (on a branch or tag) and has its entrypoint.

    Repositories are found offline: the repository this runs in (when a remote matches),
    [tool.model_conformance.repositories], then --mirrors. See docs/code-pins.md.
    Exit 0 no errors, 1 a pin failed (or, with --strict, warned), 2 usage or setup error.
    """
    if files and (only_changed or dsn):
        raise click.UsageError("--dsn and --only-changed check the registry, not FILEs")
    cwd = Path.cwd()
    resolver = Resolver(cwd, configured_repositories(cwd), mirrors, fetch)
    unread: list[tuple[str, Violation]] = []
    if files:
        pins = [pin for path in files for pin in _document_pins(path, unread)]
        verdicts = verify_pins(pins, resolver)
    else:
        verdicts = _verify_registry(dsn, resolver, only_changed)
    click.echo(render(verdicts, fmt, strict=strict, unread=unread))
    sys.exit(1 if failing(verdicts, strict=strict) or unread else 0)


def _verify_registry(dsn: str | None, resolver: Resolver, only_changed: bool) -> list[Verdict]:
    with registry_connection(dsn, autocommit=False) as conn:
        pins = list(registry_pins(conn, only_changed=only_changed))
        conn.rollback()  # no transaction held open while git works
        verdicts = verify_pins(pins, resolver)
        with conn.transaction():
            record_verdicts(conn, verdicts)
        conn.commit()
    return verdicts


def _document_pins(path: Path, unread: list[tuple[str, Violation]]) -> list[Pin]:
    """The pin of a registration document, if it has one (its other problems are
    `register`'s and `lint`'s to report)."""
    doc, findings = read_json_document(path)
    if doc is None or findings:
        unread.extend(
            (f"{path}:{f.line}:{f.column}", f.violation) for f in findings if f.violation.is_error
        )
        return []
    version = doc.get("model_version")
    if not isinstance(version, dict):
        return []
    url, commit = version.get("code_repo_url"), version.get("code_commit_sha")
    entrypoint = version.get("code_entrypoint")
    if not isinstance(url, str) or not isinstance(commit, str):
        return []
    return [Pin(str(path), url, commit, entrypoint if isinstance(entrypoint, str) else None)]
