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


def dry_run_option(help_text: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option("--dry-run", is_flag=True, help=help_text)(command)

    return decorate
