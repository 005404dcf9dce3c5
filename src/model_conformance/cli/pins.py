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
from model_conformance.cli._options import dsn_option, format_option
from model_conformance.json_reader.document import Loaded, document_of, load, positions
from model_conformance.pins.presentation import (
    PIN_COLUMNS,
    failing,
    outcome,
    pin_subject,
    records,
    unread_subject,
)
from model_conformance.pins.record import record_verdicts, registry_pins
from model_conformance.pins.resolve import Resolver, configured_repositories
from model_conformance.pins.verdict import Pin, Verdict
from model_conformance.pins.verify import verify_pins
from model_conformance.reporting import Run, open_reporter
from model_conformance.violations import Violation

MIRRORS_HELP = "A folder of bare clones laid out as DIR/<host>/<owner>/<repo>.git."


@click.command("verify-pins")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@dsn_option
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
@format_option
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
    unread: dict[str, list[Violation]] = {}
    places: dict[str, dict[str, tuple[int, int]]] = {}  # where each file's pin is written
    if files:
        pins = [pin for path in files for pin in _document_pins(path, unread, places)]
        verdicts = verify_pins(pins, resolver)
    else:
        verdicts = _verify_registry(dsn, resolver, only_changed)
    reporter = open_reporter(fmt, Run("verify-pins", list_key="results", records=records))
    for source, problems in unread.items():
        reporter.subject(unread_subject(source, problems))
    for verdict in verdicts:
        place = places.get(verdict.pin.subject) if files else None
        reporter.subject(pin_subject(verdict, strict=strict, in_file=place))
    reporter.finish(outcome(verdicts))
    unreadable = any(f.is_error for found in unread.values() for f in found)
    sys.exit(1 if failing(verdicts, strict=strict) or unreadable else 0)


def _verify_registry(dsn: str | None, resolver: Resolver, only_changed: bool) -> list[Verdict]:
    with registry_connection(dsn, autocommit=False) as conn:
        pins = list(registry_pins(conn, only_changed=only_changed))
        conn.rollback()  # no transaction held open while git works
        verdicts = verify_pins(pins, resolver)
        with conn.transaction():
            record_verdicts(conn, verdicts)
        conn.commit()
    return verdicts


def _document_pins(
    path: Path, unread: dict[str, list[Violation]], places: dict[str, dict[str, tuple[int, int]]]
) -> list[Pin]:
    """The pin of a registration document, if it has one (its other problems are
    `register`'s and `lint`'s to report)."""
    loaded = load(str(path))  # once: for the document, and for where its pin is written
    doc, findings = document_of(str(path), loaded)
    if doc is None or findings:
        if findings:  # a FIFO or device is a warning (MC309): said, not failed
            unread[str(path)] = findings
        return []
    version = doc.get("model_version")
    if not isinstance(version, dict):
        return []
    url, commit = version.get("code_repo_url"), version.get("code_commit_sha")
    entrypoint = version.get("code_entrypoint")
    if not isinstance(url, str) or not isinstance(commit, str):
        return []
    assert not isinstance(loaded, list)  # it held a document
    places[str(path)] = _places(loaded)
    return [Pin(str(path), url, commit, entrypoint if isinstance(entrypoint, str) else None)]


def _places(loaded: Loaded) -> dict[str, tuple[int, int]]:
    """Where the pin's columns are written in the file (line, column), so that the hook
    points at the commit or the entrypoint it refuses."""
    pointers = {column: f"/model_version/{column}" for column in PIN_COLUMNS}
    doc = positions(loaded, pointers.values())
    return {
        column: (where.line, where.column)
        for column, where in ((c, doc.locate(p)) for c, p in pointers.items())
    }
