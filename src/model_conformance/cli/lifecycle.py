"""`promote`, `rollback`, `reject`, `retire`, `history`, `champion`: the promotion lifecycle.

Each command is a thin layer over `model_conformance.lifecycle`; its output is one small
render function (text or json), so that the shared reporter layer can take it over.
Exit 0 done, 1 refused by a gate or a lifecycle rule, 2 usage, configuration or connection.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from model_conformance.cli._common import registry_connection
from model_conformance.cli.db import DSN_HELP
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
from model_conformance.violations import terminal_safe

F = TypeVar("F", bound=Callable[..., Any])


def _common(command: F) -> F:
    """--dsn and --format, as every database command takes them."""
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text for people, json for scripts.",
    )(command)
    return click.option("--dsn", help=DSN_HELP)(command)


def _say(text: str) -> str:
    return terminal_safe(text)


def _refused(exc: LifecycleRefused, fmt: str) -> NoReturn:
    """A refusal by a rule or a gate: one sentence with its code, exit 1."""
    if fmt == "json":
        click.echo(json.dumps({"refused": {"code": exc.code, "message": str(exc)}}, indent=2))
    click.echo(f"refused: {_say(str(exc))} [{exc.code}]", err=True)
    sys.exit(1)


# --- rendering: one function per command -------------------------------------------------


def _gate_line(result: GateResult) -> str:
    verdict = "pass" if result.passed else ("WAIVED" if result.waived else "FAIL")
    return f"  {verdict:6} {_say(result.name)}: {_say(result.detail)}"


def render_transition(result: TransitionResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2)
    lines = []
    if result.gates:
        lines.append(f"gates for {_say(result.artifact_id)}:")
        lines += [_gate_line(gate) for gate in result.gates]
    if result.dry_run:
        verdict = "would pass" if result.passed else "would be refused"
        lines.append(
            f"dry run: {result.action.value} {_say(result.artifact_id)} {verdict}; nothing written"
        )
    else:
        lines.append(
            f"{result.action.value}: {_say(result.artifact_id)} "
            f"{result.from_state.value} -> {result.to_state.value} "
            f"(line {_say(result.line_id)})"
        )
    if result.superseded:
        lines.append(f"  supersedes {_say(result.superseded)}")
    return "\n".join(lines)


def _event_line(event: Event) -> str:
    source = event.from_state.value if event.from_state else "(new)"
    line = (
        f"{event.at.astimezone(UTC).isoformat(timespec='seconds')}  #{event.id}  "
        f"{_say(event.artifact_id)}  {event.action}: {source} -> {event.to_state.value}  "
        f"by {_say(event.actor)} ({_say(event.db_user)}): {_say(event.reason)}"
    )
    if event.superseded_artifact:
        line += f"  [supersedes {_say(event.superseded_artifact)}]"
    waived = [g.get("name") for g in event.gate_results if isinstance(g, dict) and g.get("waived")]
    if event.gate_results:
        line += f"  [{len(event.gate_results)} gate(s)"
        line += f", waived: {_say(', '.join(map(str, waived)))}]" if waived else "]"
    return line


def render_history(found: History, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(found.to_dict(), indent=2)
    champion = _say(found.champion) if found.champion else "none"
    lines = [f"line {_say(found.line_id)}: champion {champion}, {len(found.events)} event(s)"]
    return "\n".join(lines + [_event_line(event) for event in found.events])


def render_champion(found: ChampionAt, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(found.to_dict(), indent=2)
    when = found.at.astimezone(UTC).isoformat()
    if found.champion is None or found.event is None:
        return f"line {_say(found.line_id)} had no champion at {when}"
    return (
        f"line {_say(found.line_id)} at {when}: champion {_say(found.champion)}"
        f" (since event #{found.event.id}, {found.event.at.astimezone(UTC).isoformat()})"
    )


def render_gate_failure(exc: GateFailed, fmt: str) -> str:
    if fmt == "json":
        gates = [result.to_dict() for result in exc.results]
        return json.dumps({"passed": False, "gates": gates}, indent=2)
    return "gates:\n" + "\n".join(_gate_line(result) for result in exc.results)


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
                click.echo(render_gate_failure(exc, fmt))
                _refused(exc, "text")
            except LifecycleRefused as exc:
                _refused(exc, fmt)
        click.echo(render_transition(result, fmt))
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
                _refused(exc, fmt)
        click.echo(render_transition(result, fmt))

    return command


reject_command = _plain("reject", reject, "Reject candidate ARTIFACT_ID (final).")
retire_command = _plain(
    "retire", retire, "Retire champion ARTIFACT_ID: its line has no champion afterwards."
)


@click.command("history")
@click.argument("artifact_id")
@_common
def history_command(artifact_id: str, dsn: str | None, fmt: str) -> None:
    """Show the line of ARTIFACT_ID as a timeline: every event, oldest first."""
    with registry_connection(dsn) as conn:
        found = history(conn, artifact_id)
    click.echo(render_history(found, fmt))


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a zone (`Z` or an offset); MC709 otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LifecycleInputInvalid(
            f"--at {_say(text)!s} is not an ISO 8601 time (2024-05-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise LifecycleInputInvalid(
            f"--at {_say(text)} has no time zone; add Z or an offset (2024-05-01T12:00:00Z)"
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
    click.echo(render_champion(found, fmt))
