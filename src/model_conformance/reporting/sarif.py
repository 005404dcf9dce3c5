"""SARIF 2.1.0, for code scanning: one run, every rule of the catalogue, one result each.

A problem in a file has a physical location (columns counted in code points); one in a
registry row has a logical location, `artifacts/<id>/<column>`; one in a document from
stdin or without a file is located by its subject's name.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from model_conformance.codes import RULES
from model_conformance.reporting.model import Outcome, Run, Subject
from model_conformance.violations import FileSpan, Row, TableCheck, Violation, escape_surrogates

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class SarifReporter:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._results: list[dict[str, Any]] = []
        self._index = {code: i for i, code in enumerate(sorted(RULES))}

    def subject(self, subject: Subject) -> None:
        for v in subject.violations:
            result: dict[str, Any] = {
                "ruleId": v.code,
                "level": "error" if v.is_error else "warning",
                "message": {"text": v.message},
                "locations": [_location(v, subject)],
            }
            if v.code in self._index:
                result["ruleIndex"] = self._index[v.code]
            if v.pointer:
                result["properties"] = {"pointer": v.pointer}
            self._results.append(result)

    def finish(self, outcome: Outcome) -> None:
        rules = [
            {
                "id": code,
                "name": RULES[code].name,
                "shortDescription": {"text": RULES[code].summary},
                "defaultConfiguration": {"level": RULES[code].severity.value},
            }
            for code in sorted(RULES)
        ]
        driver = {"name": "model-conformance", "version": _version(), "rules": rules}
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": driver},
                    "columnKind": "unicodeCodePoints",
                    "results": self._results,
                }
            ],
        }
        text = escape_surrogates(json.dumps(log, indent=2, ensure_ascii=False))
        self.run.out.write(text + "\n")
        self.run.out.flush()


def _location(v: Violation, subject: Subject) -> dict[str, Any]:
    where = v.where
    if isinstance(where, FileSpan):
        region = {"startLine": where.line, "startColumn": where.column}
        return {
            "physicalLocation": {"artifactLocation": {"uri": _uri(where.path)}, "region": region}
        }
    if isinstance(where, Row):
        name = f"artifacts/{where.artifact_id}/{where.column}"
        return {"logicalLocations": [{"fullyQualifiedName": name, "kind": "member"}]}
    if isinstance(where, TableCheck):
        return {"logicalLocations": [{"fullyQualifiedName": where.check, "kind": "module"}]}
    return {"logicalLocations": [{"fullyQualifiedName": subject.name, "kind": "object"}]}


def _uri(path: str) -> str:
    # The bytes of the name, percent-encoded: a name that is not UTF-8 (surrogate-escaped
    # by Python) is still a valid URI.
    pure = PurePath(path)
    encoded = quote(os.fsencode(pure.as_posix()))
    return "file://" + encoded if pure.is_absolute() else encoded


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # only SARIF needs it

    try:
        return version("model-conformance")
    except PackageNotFoundError:
        return "0+unknown"
