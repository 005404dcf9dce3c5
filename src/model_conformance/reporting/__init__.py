"""One reporting layer for every command: a run's subjects go to a reporter of the chosen
format, one at a time, then its outcome.

A command describes what it judged as `Subject`s (a file, a stdin line, an artifact, a
migration, a table-level check), each with its `Violation`s, and ends with an `Outcome`.
The reporter of the format writes them. Adding a format is one class (a `Reporter`) and
one entry in `FORMATS`; every command's `--format` choices are the keys of `FORMATS`.
"""

from __future__ import annotations

from model_conformance.reporting.github import GithubReporter
from model_conformance.reporting.json import JsonReporter
from model_conformance.reporting.junit import JunitReporter
from model_conformance.reporting.model import Outcome, Reporter, Run, Subject
from model_conformance.reporting.sarif import SarifReporter
from model_conformance.reporting.text import TextReporter, wants_color

FORMATS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
    "sarif": SarifReporter,
    "junit": JunitReporter,
}

FORMAT_HELP = (
    "text for people, json for scripts, github for Actions annotations, sarif 2.1.0 for "
    "code scanning, junit for CI test reports."
)


def open_reporter(fmt: str, run: Run) -> Reporter:
    """The reporter of format `fmt` for `run`."""
    return FORMATS[fmt](run)


__all__ = [
    "FORMATS",
    "FORMAT_HELP",
    "Outcome",
    "Reporter",
    "Run",
    "Subject",
    "open_reporter",
    "wants_color",
]
