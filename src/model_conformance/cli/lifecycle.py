"""`promote`, `rollback`, `reject`, `retire`, `history`, `champion`: the promotion lifecycle.

Each command is a thin layer over `model_conformance.lifecycle`; its output goes through the
reporting layer: a subject per gate (transitions) or per event (history), then the outcome.
Exit 0 done, 1 refused by a gate or a lifecycle rule, 2 usage, configuration or connection.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli._options import dsn_option, format_option
from model_conformance.lifecycle import (
    ChampionAt,
    GateFailed,
    GateResult,
    History,
    LifecycleRefused,
    TransitionResult,
    champion_at,
    history,
    load_gates,
    promote,
    reject,
    retire,
    rollback,
)
from model_conformance.lifecycle.errors import LifecycleInputInvalid
from model_conformance.lifecycle.events import Event
from model_conformance.reporting import Outcome, Run, Subject, data_record, open_reporter
from model_conformance.violations import Severity, TableCheck, Violation, terminal_safe


def _common(command: Any) -> Any:
    """--dsn and --format, as every database command takes them."""
    return dsn_option(format_option(command))


def _report(
    fmt: str,
    command: str,
    subjects: list[Subject],
    outcome: Outcome,
    list_key: str,
    *,
    to_stderr: bool = False,
) -> None:
    """The run through the reporter of `fmt`: its subjects, then its outcome."""
    run = Run(command, list_key=list_key, records=data_record, verdict_to_stderr=to_stderr)
    reporter = open_reporter(fmt, run)
    for subject in subjects:
        reporter.subject(subject)
    reporter.finish(outcome)


def _refused(
    command: str, exc: LifecycleRefused, fmt: str, gates: tuple[GateResult, ...] = ()
) -> NoReturn:
    """A refusal by a rule or a gate: the gates judged, one sentence with its code, exit 1."""
    refused = {"code": exc.code, "message": str(exc)}
    line = f"refused: {exc!s} [{exc.code}]"
    fields = {"passed": False, "refused": refused}
    subjects = [_gate_subject(gate) for gate in gates]
    _report(fmt, command, subjects, Outcome(line, fields=fields), "gates", to_stderr=True)
    sys.exit(1)


# --- rendering: the subjects and the outcome of each command ------------------------------


def _gate_line(result: GateResult) -> str:
    verdict = "pass" if result.passed else ("WAIVED" if result.waived else "FAIL")
    return f"  {verdict:6} {result.name}: {result.detail}"


def _gate_subject(result: GateResult) -> Subject:
    """One gate: its line in text; a failing gate is an MC705 error, a waived one a warning."""
    found: list[Violation] = []
    if not result.passed:
        severity = Severity.WARNING if result.waived else Severity.ERROR
        message = f"gate {result.name} {'waived' if result.waived else 'fails'}: {result.detail}"
        found.append(Violation("MC705", message, "", severity, TableCheck(result.name)))
    return Subject(
        result.name, found, _gate_line(result), data=result.to_dict(), heading_says_it=True
    )


def _transition_outcome(result: TransitionResult) -> Outcome:
    if result.dry_run:
        verdict = "would pass" if result.passed else "would be refused"
        line = f"dry run: {result.action.value} {result.artifact_id} {verdict}; nothing written"
    else:
        line = (
            f"{result.action.value}: {result.artifact_id} "
            f"{result.from_state.value} -> {result.to_state.value} (line {result.line_id})"
        )
    if result.superseded:
        line += f"; supersedes {result.superseded}"
    fields = {k: v for k, v in result.to_dict().items() if k != "gates"}
    return Outcome(line, fields=fields)


def report_transition(result: TransitionResult, fmt: str, command: str) -> None:
    subjects = [_gate_subject(gate) for gate in result.gates]
    _report(fmt, command, subjects, _transition_outcome(result), "gates")


def _event_line(event: Event) -> str:
    source = event.from_state.value if event.from_state else "(new)"
    line = (
        f"{event.at.astimezone(UTC).isoformat(timespec='seconds')}  #{event.id}  "
        f"{event.artifact_id}  {event.action}: {source} -> {event.to_state.value}  "
        f"by {event.actor} ({event.db_user}): {event.reason}"
    )
    if event.superseded_artifact:
        line += f"  [supersedes {event.superseded_artifact}]"
    waived = [g.get("name") for g in event.gate_results if isinstance(g, dict) and g.get("waived")]
    if event.gate_results:
        line += f"  [{len(event.gate_results)} gate(s)"
        line += f", waived: {', '.join(map(str, waived))}]" if waived else "]"
    return line


def history_report(found: History) -> tuple[list[Subject], Outcome]:
    """One subject per event, oldest first; the verdict names the line and its champion."""
    subjects = [
        Subject(f"#{event.id}", (), _event_line(event), data=event.to_dict())
        for event in found.events
    ]
    champion = found.champion or "none"
    line = f"line {found.line_id}: champion {champion}, {len(found.events)} event(s)"
    if found.earlier:
        line += f"; earlier ones: --before {found.events[0].id}"
    fields = {k: v for k, v in found.to_dict().items() if k != "events"}
    return subjects, Outcome(line, fields=fields)


def render_history(found: History) -> str:
    """The timeline as text, for the demo: the same lines `history` prints."""
    from model_conformance.reporting.text import block_lines

    subjects, outcome = history_report(found)
    lines = [line for subject in subjects for line in block_lines(subject)]
    return "\n".join([*lines, terminal_safe(outcome.line)])


def _champion_outcome(found: ChampionAt) -> Outcome:
    when = found.at.astimezone(UTC).isoformat()
    if found.champion is None or found.event is None:
        line = f"line {found.line_id} had no champion at {when}"
    else:
        line = (
            f"line {found.line_id} at {when}: champion {found.champion}"
            f" (since event #{found.event.id}, {found.event.at.astimezone(UTC).isoformat()})"
        )
    fields = {k: v for k, v in found.to_dict().items() if k != "event"}
    return Outcome(line, fields=fields)


# --- commands ----------------------------------------------------------------------------


def _gated(name: str, run: Callable[..., TransitionResult], help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("artifact_id")
    @click.option("--reason", help="Why (recorded in the history). Required unless --dry-run.")
    @click.option("--actor", help="Who; default $MODEL_CONFORMANCE_ACTOR, else the OS user.")
    @click.option("--waive", multiple=True, metavar="GATE", help="Waive a failing gate (repeat).")
    @click.option(
        "--gates",
        "gates_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="A TOML file of gate settings instead of pyproject.toml's.",
    )
    @click.option("--dry-run", is_flag=True, help="Judge every gate; write nothing.")
    @_common
    def command(
        artifact_id: str,
        reason: str | None,
        actor: str | None,
        waive: tuple[str, ...],
        gates_file: Path | None,
        dry_run: bool,
        dsn: str | None,
        fmt: str,
    ) -> None:
        if reason is None and not dry_run:
            raise click.UsageError("--reason is required: the history records why")
        config = load_gates(gates_file)
        with registry_connection(dsn) as conn:
            try:
                result = run(
                    conn,
                    artifact_id,
                    reason=reason or "dry run",
                    actor=actor,
                    waive=waive,
                    gates=config,
                    dry_run=dry_run,
                )
            except GateFailed as exc:
                _refused(name, exc, fmt, tuple(exc.results))
            except LifecycleRefused as exc:
                _refused(name, exc, fmt)
        report_transition(result, fmt, name)
        sys.exit(0 if result.passed else 1)

    return command


promote_command = _gated(
    "promote",
    promote,
    "Promote candidate ARTIFACT_ID, superseding its line's champion in the same step.\n\n"
    "Every gate must pass or be waived (--waive GATE, recorded with --reason). "
    "Exit 0 promoted, 1 refused by a gate or a rule, 2 usage or connection error.",
)
rollback_command = _gated(
    "rollback",
    rollback,
    "Make superseded ARTIFACT_ID the champion again; gated and recorded like a promotion.",
)


def _plain(name: str, run: Callable[..., TransitionResult], help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("artifact_id")
    @click.option("--reason", required=True, help="Why (recorded in the history).")
    @click.option("--actor", help="Who; default $MODEL_CONFORMANCE_ACTOR, else the OS user.")
    @_common
    def command(
        artifact_id: str, reason: str, actor: str | None, dsn: str | None, fmt: str
    ) -> None:
        with registry_connection(dsn) as conn:
            try:
                result = run(conn, artifact_id, reason=reason, actor=actor)
            except LifecycleRefused as exc:
                _refused(name, exc, fmt)
        report_transition(result, fmt, name)

    return command


reject_command = _plain("reject", reject, "Reject candidate ARTIFACT_ID (final).")
retire_command = _plain(
    "retire", retire, "Retire champion ARTIFACT_ID: its line has no champion afterwards."
)


@click.command("history")
@click.argument("artifact_id")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only the newest N events (before --before); default every event.",
)
@click.option(
    "--before",
    type=int,
    metavar="EVENT_ID",
    help="Only events older than event #EVENT_ID: the next page back.",
)
@_common
def history_command(
    artifact_id: str, limit: int | None, before: int | None, dsn: str | None, fmt: str
) -> None:
    """Show the line of ARTIFACT_ID as a timeline, oldest first: every event, or a page
    (--limit, --before)."""
    with registry_connection(dsn) as conn:
        found = history(conn, artifact_id, limit=limit, before=before)
    subjects, outcome = history_report(found)
    _report(fmt, "history", subjects, outcome, "events")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a zone (`Z` or an offset); MC709 otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LifecycleInputInvalid(
            f"--at {text} is not an ISO 8601 time (2024-05-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise LifecycleInputInvalid(
            f"--at {text} has no time zone; add Z or an offset (2024-05-01T12:00:00Z)"
        )
    return moment


@click.command("champion")
@click.argument("artifact_id")
@click.option("--at", "at_text", help="ISO 8601 time with a zone; default now.")
@_common
def champion_command(artifact_id: str, at_text: str | None, dsn: str | None, fmt: str) -> None:
    """Which version of the line of ARTIFACT_ID was promoted at --at."""
    moment = parse_time(at_text) if at_text else datetime.now(UTC)
    with registry_connection(dsn) as conn:
        found = champion_at(conn, artifact_id, moment)
    event = (
        [Subject(f"#{found.event.id}", (), None, data=found.event.to_dict())] if found.event else []
    )
    _report(fmt, "champion", event, _champion_outcome(found), "event")
