"""One reporting layer for every command: a run's subjects go to a reporter of the chosen
format, one at a time, then its outcome.

A command describes what it judged as `Subject`s (a file, a stdin line, an artifact, a
migration, a table-level check), each with its `Violation`s, and ends with an `Outcome`.
The reporter of the format writes them. Adding a format is one class (a `Reporter`) and
one entry in `FORMATS`; every command's `--format` choices are the keys of `FORMATS`.
A reporter's module is imported only when its format is asked for: a run pays for one.
"""

from __future__ import annotations

import importlib
import os

from model_conformance.reporting.model import Outcome, Reporter, Run, Subject, data_record
from model_conformance.reporting.text import wants_color

# format -> (module, class) of its reporter
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("model_conformance.reporting.text", "TextReporter"),
    "json": ("model_conformance.reporting.json", "JsonReporter"),
    "github": ("model_conformance.reporting.github", "GithubReporter"),
    "sarif": ("model_conformance.reporting.sarif", "SarifReporter"),
    "junit": ("model_conformance.reporting.junit", "JunitReporter"),
}

FORMAT_HELP = (
    "text for people, json for scripts, github for Actions annotations, sarif 2.1.0 "
    "(GitHub code scanning takes it for files; registry rows have logical locations only), "
    "junit for CI test reports."
)


def open_reporter(fmt: str, run: Run) -> Reporter:
    """The reporter of format `fmt` for `run`; a run that does not say whether to colour
    is coloured where people read it (text, on a terminal, without NO_COLOR)."""
    if run.color is None:
        run.color = wants_color(fmt, run.out.isatty(), os.environ)
    module, name = FORMATS[fmt]
    reporter: type[Reporter] = getattr(importlib.import_module(module), name)
    return reporter(run)


__all__ = [
    "FORMATS",
    "FORMAT_HELP",
    "Outcome",
    "Reporter",
    "Run",
    "Subject",
    "data_record",
    "open_reporter",
    "wants_color",
]
