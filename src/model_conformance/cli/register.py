"""`model-conformance register FILE... | -`: register model versions from JSON documents."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli._options import (
    dry_run_option,
    dsn_option,
    format_option,
    max_size_option,
)
from model_conformance.json_reader import (
    MAX_BYTES,
    format_size,
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
from model_conformance.reporting import Outcome, Run, Subject, open_reporter
from model_conformance.violations import ConformanceError, FileSpan, TableCheck, Violation

if TYPE_CHECKING:
    from model_conformance.pins.registration import PinGate


@dataclass(frozen=True, slots=True)
class _Input:
    label: str
    doc: Any = None
    problems: tuple[Violation, ...] = ()  # why the text is not one registration document


@click.command("register")
@click.argument("files", nargs=-1, required=True)
@dsn_option
@dry_run_option("Validate (against the database too); write nothing.")
@format_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Registrations written per transaction; a bad document still fails alone.",
)
@max_size_option("file or stdin line")
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
    max_size: int | None,
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
    limit = max_size or MAX_BYTES
    if files == ("-",):
        inputs = _read_stdin(limit)
    else:
        inputs = (_read_file(Path(name), limit) for name in files)
    counts: Counter[str] = Counter()
    run = Run("register", list_key="results", records=_records, verdict_to_stderr=True)
    reporter = open_reporter(fmt, run)
    try:
        with registry_connection(dsn) as conn:
            for label, result in _registered(conn, inputs, dry_run, batch_size, gate):
                counts[result.status] += 1
                reporter.subject(_subject(label, result))
    except ConformanceError as exc:
        # What was committed stays. A report begun ends as a whole document (the JSON with
        # the error and the counts so far); one not begun is left to the error line alone.
        if counts:
            error = {"code": exc.code, "message": str(exc)}
            cause = Violation(exc.code, str(exc), "", where=TableCheck("database"))
            reporter.subject(Subject("<database>", [cause], "<database>: stopped"))
            line = f"stopped after {sum(counts.values())} document(s)"
            reporter.finish(Outcome(line, fields={"counts": dict(counts), "error": error}))
        raise
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    line = f"{'dry run: ' if dry_run else ''}{summary or 'no documents'}"
    reporter.finish(Outcome(line, fields={"counts": dict(counts)}))
    if not counts:
        raise click.UsageError("no registration documents were given (stdin was empty)")
    sys.exit(1 if counts[REJECTED] else 0)


def _registered(
    conn: Any,
    inputs: Iterator[_Input],
    dry_run: bool,
    batch_size: int,
    gate: PinGate | None,
) -> Iterator[tuple[str, RegistrationResult]]:
    """Each input's label and result, in input order, a batch at a time."""
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
        created = []
        for item in chunk:
            if item.problems:
                result = RegistrationResult(None, REJECTED, item.problems)
            else:
                result = next(registered)
            created.append(result)
            yield item.label, result
        if gate is not None and not dry_run:
            _record_pins(conn, gate, created)


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


def _read_file(path: Path, limit: int) -> _Input:
    doc, findings = read_json_document(path, limit)
    return _from_reading(str(path), doc, findings)


def _read_stdin(limit: int) -> Iterator[_Input]:
    """One document per line, each judged alone: a line longer than `limit` is refused
    without being held (the rest of it is read and dropped), and bytes that are not UTF-8
    reject only their line."""
    stream = sys.stdin.buffer
    number = 0
    while raw := stream.readline(limit + 1):
        number += 1
        label = f"<stdin>:{number}"
        where = FileSpan("<stdin>", number, 1)
        if len(raw) > limit and not raw.endswith(b"\n"):
            yield _Input(label, problems=(_too_long(limit).at(where),))
            if not _skip_line(stream, limit):
                # No end of line in sight (say, /dev/zero): the rest is not read, and says so.
                message = (
                    "no line end within 16 times the size limit after an over-long line: "
                    "the rest of the input is not read"
                )
                yield _Input(
                    f"<stdin>:{number + 1}",
                    problems=(
                        Violation("MC310", message, "", where=FileSpan("<stdin>", number + 1, 1)),
                    ),
                )
                return
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"byte {exc.start + 1} of the line (0x{raw[exc.start]:02x}) is not UTF-8"
            yield _Input(label, problems=(Violation("MC305", message, "", where=where),))
            continue
        del raw  # the line is what is parsed: its bytes are not held beside it
        if line.strip():
            doc, findings = parse_json_document(line, "<stdin>", first_line=number)
            yield _from_reading(label, doc, findings)


_SKIP = 1 << 20


def _skip_line(stream: Any, limit: int) -> bool:
    """Read and drop the rest of an over-long line; False when no line end came within
    16 times the limit (then nothing more is read)."""
    skipped = 0
    while rest := stream.readline(_SKIP):
        if rest.endswith(b"\n"):
            return True
        skipped += len(rest)
        if skipped > 16 * max(limit, MAX_BYTES):
            return False
    return False  # the end of the input


def _too_long(limit: int) -> Violation:
    return Violation("MC310", f"the line is longer than {format_size(limit)}: not read", "")


def _from_reading(label: str, doc: Any, findings: list[Violation]) -> _Input:
    """Read through the same reader as lint, so a broken file gets the same words from both.

    A registration must be unambiguous: a duplicate key, NaN or a byte-order mark rejects it
    as well, where lint would report the file and go on.
    """
    if doc is None or findings:
        return _Input(label, problems=tuple(findings))
    return _Input(label, doc)


def _subject(label: str, result: RegistrationResult) -> Subject:
    name = f" {result.artifact_id}" if result.artifact_id else ""
    heading = f"{label}: {result.status}{name}"
    data = {"artifact_id": result.artifact_id, "status": result.status}
    return Subject(label, _sorted(result.violations), heading, data=data)


def _records(subject: Subject) -> list[dict[str, Any]]:
    if not subject.data:  # the database's error: the document's `error` member says it
        return []
    violations = [v.to_dict() for v in subject.violations]
    return [{"source": subject.name, **subject.data, "violations": violations}]


def _sorted(violations: Iterable[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (not v.is_error, v.pointer))
