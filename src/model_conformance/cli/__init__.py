"""The `model-conformance` command line.

Subcommands live in their own modules and are imported only when invoked, so that
`model-conformance lint` never pays for the database layer (see `python -X importtime`).
"""

from __future__ import annotations

import atexit
import errno
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn, TextIO, cast

import click

from model_conformance.violations import ConformanceError, terminal_safe

# command name -> (module, attribute, one-line help shown by --help without importing it)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "lint": ("model_conformance.cli.lint", "lint", "Validate model metadata JSON files."),
    "migrate": ("model_conformance.cli.migrate", "migrate", "Apply the schema migrations."),
    "db": ("model_conformance.cli.db", "db", "Manage the embedded PostgreSQL server."),
    "register": ("model_conformance.cli.register", "register", "Register model versions."),
    "check": ("model_conformance.cli.check", "check", "Scan a registry for conformance."),
    "backfill": ("model_conformance.cli.backfill", "backfill", "Backfill legacy model artifacts."),
    "report": ("model_conformance.cli.report", "report", "Write the migration report."),
    "rule": ("model_conformance.cli.rule", "rule", "Explain a rule code, or list them all."),
    "demo": (
        "model_conformance.cli.demo",
        "demo",
        "Run the end-to-end example on the embedded server.",
    ),
    "verify-pins": (
        "model_conformance.cli.pins",
        "verify_pins_command",
        "Check code pins against local git repositories.",
    ),
    "promote": (
        "model_conformance.cli.lifecycle",
        "promote_command",
        "Promote a candidate, superseding its line's champion.",
    ),
    "rollback": (
        "model_conformance.cli.lifecycle",
        "rollback_command",
        "Make a superseded version the champion again.",
    ),
    "reject": ("model_conformance.cli.lifecycle", "reject_command", "Reject a candidate."),
    "retire": ("model_conformance.cli.lifecycle", "retire_command", "Retire a champion."),
    "history": ("model_conformance.cli.lifecycle", "history_command", "Show a line's history."),
    "champion": (
        "model_conformance.cli.lifecycle",
        "champion_command",
        "Which version of a line was promoted at a given time.",
    ),
}


class _LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        """The one place where the toolkit's errors become exit code 2: one sentence with
        its code on stderr, never a traceback. A PostgreSQL error that escaped its layer
        (a permission, a lost connection) is the server's first line, as MC609; output that
        cannot be written (a full disk, a closed descriptor) is MC398."""
        try:
            with _checked_stdout():
                return super().invoke(ctx)
        except ConformanceError as exc:
            _fail(exc)
        except Exception as exc:
            psycopg = sys.modules.get("psycopg")  # never imported just for this (lint)
            if psycopg is None or not isinstance(exc, psycopg.Error):
                raise
            from model_conformance.db.dsn import refused

            _fail(refused(exc))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The group's own --help and --version print here, before any command runs."""
        try:
            with _checked_stdout():
                return super().parse_args(ctx, args)
        except ReportUnwritable as exc:
            _fail(exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _, _) in _COMMANDS.items() if _exists(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None or not _exists(entry[0]):
            return None
        module, attribute, _ = entry
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _fail(exc: ConformanceError) -> NoReturn:
    if isinstance(exc, ReportUnwritable):
        _spent("stdout")
    try:
        # The sentence may quote input (a path, a DSN): escaped, it cannot forge a line.
        click.echo(f"error: {terminal_safe(str(exc))} [{exc.code}]", err=True)
    except OSError:  # stderr cannot be written either: the exit status alone says it
        _spent("stderr")
    sys.exit(2)


class ReportUnwritable(ConformanceError):
    """Standard output could not be written (a full disk, an I/O error, a closed descriptor):
    whatever the command found, its report is lost."""

    code = "MC398"

    def __init__(self, exc: OSError) -> None:
        super().__init__(f"cannot write the report to standard output: {exc.strerror or exc}")


class _Checked:
    """sys.stdout while a command runs: a write or flush that fails for any reason but a
    broken pipe is ReportUnwritable. A broken pipe (a reader that left, `| head -1`) stays
    an OSError, which click answers itself: no message, exit 1."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream  # None: the program was started without one (`>&-`)

    def write(self, text: str) -> int:
        return int(self._call("write", text))

    def flush(self) -> None:
        self._call("flush")

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def _call(self, method: str, *args: str) -> Any:
        try:
            if self.stream is None:
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            return getattr(self.stream, method)(*args)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise ReportUnwritable(exc) from None


@contextmanager
def _checked_stdout() -> Iterator[None]:
    stdout = sys.stdout
    sys.stdout = cast(TextIO, _Checked(stdout))
    try:
        yield
    finally:
        sys.stdout = stdout


class _Spent:
    """A standard stream that could not be written. Python's exit flushes sys.stdout and
    sys.stderr once more, which would fail again on what they still hold ("Exception
    ignored", exit status 120): this flush fails quietly instead."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def flush(self) -> None:
        with suppress(OSError):
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _spent(name: str) -> None:
    stream = getattr(sys, name)
    if stream is not None and not isinstance(stream, _Spent):
        setattr(sys, name, _Spent(stream))


def _exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="model-conformance")
def cli() -> None:
    """Keep a PostgreSQL model registry honest.

    Exit codes: 0 clean, 1 violations found, 2 usage, configuration or connection error.
    """


def main(argv: list[str] | None = None) -> Any:
    """The command line, for callers that stay in the process afterwards (it raises
    SystemExit); the program itself is `run`."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["lint"]:  # lint never connects: it need not load logging (~3 ms)
        import logging

        # psycopg logs a second, internal line when a pipeline dies with its connection;
        # the one error line of _fail already says what happened.
        logging.getLogger("psycopg").setLevel(logging.ERROR)
    return cli.main(args=argv, prog_name="model-conformance")


def run() -> NoReturn:
    """The `model-conformance` program. `lint` ends without tearing the interpreter down:
    freeing the schema engine, the validator and every module costs about 20 ms, an eighth
    of linting one file, and pre-commit starts lint on every commit. Its output is flushed
    and atexit handlers still run; only the freeing is skipped, as mypy does. Other
    commands hold connections and servers that must close the usual way."""
    status: str | int | None = 0
    try:
        main()
    except SystemExit as done:
        status = done.code
    if sys.argv[1:2] != ["lint"] or not (status is None or isinstance(status, int)):
        sys.exit(status)
    code = status if isinstance(status, int) else 0  # None: success, as for sys.exit
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: started without one (`>&-`)
                stream.flush()
    except OSError:  # the reader left: Python's own exit says so, as it always has
        sys.exit(code)
    os._exit(code)
