"""`model-conformance lint [PATH]...`: the pre-commit hook's command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from model_conformance.cli._options import format_option, max_size_option
from model_conformance.lint.config import (
    LintConfigError,
    LintSettings,
    Selection,
    find_pyproject,
    load_settings,
    parse_codes,
)
from model_conformance.lint.output import file_of
from model_conformance.violations import Severity, Violation


@click.command("lint")
# Plain strings, not click.Path: it stats each argument and checks it is readable, which
# costs more than judging a small file's syntax, and an unreadable file would stop the
# whole run with a usage error; read in its turn, it is reported (MC308) and the rest judged.
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "--schema",
    type=click.Path(path_type=Path),
    help="Validate against this JSON Schema instead of the bundled one.",
)
@click.option(
    "--schema-dir",
    type=click.Path(path_type=Path),
    help="A folder of saved schemas, keyed by their $id, that $refs may name (never fetched).",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Report only codes starting with these prefixes (comma-separated, e.g. MC1,MC302).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODES",
    help="Do not report codes starting with these prefixes (comma-separated).",
)
@click.option("--strict/--no-strict", default=None, help="Fail on warnings too.")
@format_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes to spread many files over [default: one per CPU for large runs].",
)
@max_size_option("file")
@click.option("--isolated", is_flag=True, help="Ignore [tool.model_conformance] in pyproject.toml.")
def lint(
    paths: tuple[str, ...],
    schema: Path | None,
    schema_dir: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool | None,
    fmt: str,
    jobs: int | None,
    max_size: int | None,
    isolated: bool,
) -> None:
    """Validate model metadata JSON files; directories are walked for *.json.

    Each problem is printed as `path:line:col: CODE message`. Settings may also live in
    [tool.model_conformance] of the nearest pyproject.toml (schema, schema_dir, select,
    ignore, strict, paths); flags win. Exit 0 clean (warnings allowed unless --strict),
    1 problems found, 2 usage or configuration error.
    """
    settings = _settings(isolated, schema, schema_dir, select, ignore, strict)
    if max_size is not None:
        settings = settings._replace(max_size=max_size)
    targets = paths or settings.paths
    if not targets:
        raise LintConfigError(
            "no PATH given and no `paths` in [tool.model_conformance]; name the metadata "
            "files or directories to lint"
        )
    findings, checked = _run(targets, settings, jobs)
    _report(fmt, findings, checked)
    if any(f.code == "MC399" for f in findings):
        sys.exit(2)  # the toolkit failed, not (only) the files: not a plain "violations found"
    failing = any(f.severity is Severity.ERROR or settings.strict for f in findings)
    sys.exit(1 if failing else 0)


def _settings(
    isolated: bool,
    schema: Path | None,
    schema_dir: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool | None,
) -> LintSettings:
    settings = LintSettings() if isolated else load_settings(find_pyproject(Path.cwd()))
    selection = settings.selection
    if select:
        selection = Selection(parse_codes(select, "--select"), selection.ignore)
    if ignore:
        selection = Selection(selection.select, parse_codes(ignore, "--ignore"))
    return LintSettings(
        schema=schema or settings.schema,
        schema_dir=schema_dir or settings.schema_dir,
        selection=selection,
        strict=settings.strict if strict is None else strict,
        paths=settings.paths,
        source=settings.source,
        max_size=settings.max_size,
    )


def _run(
    targets: tuple[str | Path, ...], settings: LintSettings, jobs: int | None
) -> tuple[list[Violation], int]:
    # Imported here so that `lint --help` and usage errors stay instant.
    from model_conformance.lint import lint_paths
    from model_conformance.schema import load_schema
    from model_conformance.validator import MetadataValidator

    schema = None
    if settings.schema or settings.schema_dir:
        schema = load_schema(settings.schema, settings.schema_dir)
    validator = MetadataValidator(schema)
    return lint_paths(targets, validator, settings.selection, jobs, settings.max_size)


def _report(fmt: str, findings: list[Violation], checked: int) -> None:
    """One subject per file with problems, in report order; the summary counts them all."""
    from model_conformance.lint.output import lint_records, summary
    from model_conformance.reporting import Outcome, Run, Subject, open_reporter

    reporter = open_reporter(fmt, Run("lint", records=lint_records))
    by_file: dict[str, list[Violation]] = {}
    for finding in findings:
        by_file.setdefault(file_of(finding), []).append(finding)
    for name, found in by_file.items():
        reporter.subject(Subject(name, found))
    reporter.finish(Outcome(summary(findings, checked)))
