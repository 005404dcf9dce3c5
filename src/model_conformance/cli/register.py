"""`model-conformance register FILE... | -`: register model versions from JSON documents."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli.db import DSN_HELP
from model_conformance.lint.document import (
    MAX_BYTES,
    Finding,
    parse_json_document,
    read_json_document,
)
from model_conformance.registry.service import (
    CREATED,
    DEFAULT_BATCH_SIZE,
    REJECTED,
    RegistrationResult,
    register_many,
)
from model_conformance.violations import Violation, terminal_safe

if TYPE_CHECKING:
    from model_conformance.pins.registration import PinGate


@dataclass(frozen=True, slots=True)
class _Input:
    label: str
    doc: Any = None
    problems: tuple[Violation, ...] = ()  # why the text is not one registration document


@click.command("register")
@click.argument("files", nargs=-1, required=True)
@click.option("--dsn", help=DSN_HELP)
@click.option("--dry-run", is_flag=True, help="Validate (against the database too); write nothing.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Registrations written per transaction; a bad document still fails alone.",
)
@click.option(
    "--verify-pins",
    is_flag=True,
    help="Reject a registration whose code pin fails verification (docs/code-pins.md).",
)
@click.option(
    "--mirrors",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="With --verify-pins: bare clones laid out as DIR/<host>/<owner>/<repo>.git.",
)
@click.option("--strict", is_flag=True, help="With --verify-pins: pin warnings reject too.")
def register(
    files: tuple[str, ...],
    dsn: str | None,
    dry_run: bool,
    fmt: str,
    batch_size: int,
    verify_pins: bool,
    mirrors: Path | None,
    strict: bool,
) -> None:
    """Register model versions: one JSON document per FILE, or JSON Lines on stdin (`-`).

    The document format is described in docs/registration.md. Each document is validated and
    written (its artifact and model_versions rows together) or rejected on its own.
    Exit 0 all registered or unchanged, 1 some rejected, 2 usage or connection error.
    """
    if "-" in files and len(files) > 1:
        raise click.UsageError("read either FILEs or stdin (-), not both")
    if (mirrors or strict) and not verify_pins:
        raise click.UsageError("--mirrors and --strict go with --verify-pins")
    gate = _pin_gate(mirrors, strict) if verify_pins else None
    inputs = _read_stdin() if files == ("-",) else (_read_file(Path(name)) for name in files)
    counts: Counter[str] = Counter()
    records: list[dict[str, Any]] = []
    created: list[RegistrationResult] = []
    with registry_connection(dsn) as conn:
        while chunk := list(islice(inputs, batch_size)):
            readable = [item for item in chunk if not item.problems]
            registered = iter(
                register_many(
                    conn,
                    [item.doc for item in readable],
                    dry_run=dry_run,
                    batch_size=batch_size,
                    batch_check=gate,
                )
            )
            for item in chunk:
                result = (
                    RegistrationResult(None, REJECTED, item.problems)
                    if item.problems
                    else next(registered)
                )
                counts[result.status] += 1
                if fmt == "json":
                    records.append(_record(item.label, result))
                else:
                    _print_text(item.label, result)
                created.append(result)
            if gate is not None and not dry_run:
                _record_pins(conn, gate, created)
            created.clear()
    if fmt == "json":
        click.echo(json.dumps({"results": records, "counts": dict(counts)}, indent=2))  # ASCII
    else:
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        click.echo(f"{'dry run: ' if dry_run else ''}{summary or 'no documents'}", err=True)
    if not counts:
        raise click.UsageError("no registration documents were given (stdin was empty)")
    sys.exit(1 if counts[REJECTED] else 0)


def _pin_gate(mirrors: Path | None, strict: bool) -> PinGate:
    """Imported here: a registration without --verify-pins never loads the git layer."""
    from model_conformance.pins.registration import PinGate
    from model_conformance.pins.resolve import Resolver, configured_repositories

    cwd = Path.cwd()
    return PinGate(Resolver(cwd, configured_repositories(cwd), mirrors), strict=strict)


def _record_pins(conn: Any, gate: PinGate, results: list[RegistrationResult]) -> None:
    """The verdicts of the pins of the versions just created, as `verify-pins` records them."""
    from model_conformance.pins.record import record_verdicts

    verdicts = [
        gate.verdicts[r.artifact_id]
        for r in results
        if r.status == CREATED and r.artifact_id in gate.verdicts
    ]
    if verdicts:
        with conn.transaction():
            record_verdicts(conn, verdicts)


def _read_file(path: Path) -> _Input:
    doc, findings = read_json_document(path)
    return _from_reading(str(path), doc, findings)


def _read_stdin() -> Iterator[_Input]:
    """One document per line, each judged alone: a line longer than MAX_BYTES is refused
    without being held (the rest of it is read and dropped), and bytes that are not UTF-8
    reject only their line."""
    stream = sys.stdin.buffer
    number = 0
    while raw := stream.readline(MAX_BYTES + 1):
        number += 1
        label = f"<stdin>:{number}"
        if len(raw) > MAX_BYTES and not raw.endswith(b"\n"):
            yield _Input(label, problems=(_too_long(),))
            if not _skip_line(stream):
                return  # no end of line in sight (say, /dev/zero): the rest is not read
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"byte {exc.start + 1} of the line (0x{raw[exc.start]:02x}) is not UTF-8"
            yield _Input(label, problems=(Violation("MC305", message, ""),))
            continue
        if line.strip():
            doc, findings = parse_json_document(line, label)
            yield _from_reading(label, doc, findings)


_SKIP = 1 << 20


def _skip_line(stream: Any) -> bool:
    """Read and drop the rest of an over-long line; False when no line end came within
    16 times the limit (then nothing more is read)."""
    skipped = 0
    while rest := stream.readline(_SKIP):
        if rest.endswith(b"\n"):
            return True
        skipped += len(rest)
        if skipped > 16 * MAX_BYTES:
            return False
    return False  # the end of the input


def _too_long() -> Violation:
    limit = MAX_BYTES // (1024 * 1024)
    return Violation("MC310", f"the line is longer than {limit} MiB: not read", "")


def _from_reading(label: str, doc: Any, findings: list[Finding]) -> _Input:
    """Read through lint's reader, so a broken file gets the same words from both commands.

    A registration must be unambiguous: a duplicate key, NaN or a byte-order mark rejects it
    as well, where lint would report the file and go on.
    """
    if doc is None or findings:
        return _Input(label, problems=tuple(_placed(finding) for finding in findings))
    return _Input(label, doc)


def _placed(finding: Finding) -> Violation:
    violation = finding.violation
    return Violation(
        violation.code,
        f"line {finding.line}, column {finding.column}: {violation.message}",
        violation.pointer,
        violation.severity,
    )


def _record(label: str, result: RegistrationResult) -> dict[str, Any]:
    return {
        "source": label,
        "artifact_id": result.artifact_id,
        "status": result.status,
        "violations": [v.to_dict() for v in result.violations],
    }


def _print_text(label: str, result: RegistrationResult) -> None:
    name = f" {terminal_safe(result.artifact_id)}" if result.artifact_id else ""
    click.echo(f"{terminal_safe(label)}: {result.status}{name}")
    for violation in _sorted(result.violations):
        tag = "" if violation.is_error else " [warning]"  # as lint writes it
        where, message = terminal_safe(violation.path), terminal_safe(violation.message)
        click.echo(f"  {where}: {violation.code}{tag} {message}")


def _sorted(violations: Iterable[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (not v.is_error, v.pointer))
