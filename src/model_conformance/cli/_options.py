"""The options commands share, defined once: `--dsn`, `--format`, `--dry-run`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DSN_HELP = (
    "PostgreSQL connection string. Default: $MODEL_CONFORMANCE_DSN, else libpq's PG* "
    "variables, else the embedded server (started on demand)."
)


def dsn_option(command: F) -> F:
    return click.option("--dsn", help=DSN_HELP)(command)


def format_option(command: F) -> F:
    """`--format`, its choices the reporting layer's formats (imported when parsed, so that
    `--help` stays cheap), passed to the command as `fmt`."""
    from model_conformance.reporting import FORMAT_HELP, FORMATS

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(FORMATS)),
        default="text",
        show_default=True,
        help=FORMAT_HELP,
    )(command)


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """`--max-size` in bytes: 64MiB, 200MB, 1048576."""
    if value is None:
        return None
    from model_conformance.json_reader import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def max_size_option(what: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option(
            "--max-size",
            callback=_size,
            default=None,
            metavar="SIZE",
            help=f"The largest {what} read, e.g. 64MiB (the default) or 200MB; larger ones "
            "are refused with MC310, unread.",
        )(command)

    return decorate


def dry_run_option(help_text: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option("--dry-run", is_flag=True, help=help_text)(command)

    return decorate
