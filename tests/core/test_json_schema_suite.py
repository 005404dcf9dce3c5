"""The official JSON-Schema-Test-Suite, draft7 and draft7/optional, through the user's path.

Each case's schema is written to a file and loaded with `load_schema(path)`, then every
instance is judged by `MetadataValidator`, the way `lint --schema` judges a user's files. The
suite is vendored under `tests/json_schema_suite/` (the copy the jsonschema 4.26.0 sdist
carries, with its licence), so nothing is fetched when the tests run.

Targets: no instance called valid that the suite calls invalid, no crash, and at least as
many right answers as the reference implementation (the pure-Python `jsonschema`) in the
same run. The few cases refused by design are listed once, below, each with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from model_conformance import MetadataValidator, SchemaError, load_schema

SUITE = Path(__file__).resolve().parents[1] / "json_schema_suite" / "draft7"

# (file, case description) -> why the toolkit does not pass it. Nothing else may fail.
EXPECTED_FAILURES: dict[tuple[str, str], str] = {
    **{
        ("refRemote.json", case): "needs a remote $ref (localhost:1234); never fetched by design"
        for case in (
            "remote ref",
            "fragment within remote ref",
            "ref within remote ref",
            "base URI change",
            "base URI change - change folder",
            "base URI change - change folder in subschema",
            "root ref in remote ref",
            "remote ref with ref to definitions",
            "Location-independent identifier in remote ref",
            "retrieved nested refs resolve relative to their URI not $id",
            "$ref to $ref finds location-independent $id",
        )
    },
    ("optional/cross-draft.json", "refs to future drafts are processed as future drafts"): (
        "needs a remote $ref (localhost:1234); never fetched by design"
    ),
}


@dataclass
class Case:
    file: str
    description: str
    schema: Any
    tests: list[dict[str, Any]]


def _cases() -> list[Case]:
    cases = []
    for path in sorted(SUITE.rglob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            name = path.relative_to(SUITE).as_posix()
            cases.append(Case(name, case["description"], case["schema"], case["tests"]))
    return cases


def _ours(case: Case, folder: Path) -> Callable[[Any], bool] | str:
    """A verdict function for the case's schema, or why the schema was refused."""
    path = folder / "schema.json"
    path.write_text(json.dumps(case.schema), encoding="utf-8")
    try:
        validator = MetadataValidator(load_schema(path), rules=())
    except SchemaError as exc:
        return str(exc)
    engine = validator.schema.compile()

    def verdict(instance: Any) -> bool:
        violations = validator.validate(instance)
        valid = not any(v.is_error for v in violations)
        # One engine decides and explains: its own verdict and "no errors" never disagree.
        assert valid == engine.is_valid(instance), (case.description, violations)
        return valid

    return verdict


def _reference(case: Case) -> Callable[[Any], bool] | None:
    try:
        cls = jsonschema.validators.validator_for(case.schema, default=jsonschema.Draft7Validator)
        cls.check_schema(case.schema)
        validator = cls(case.schema, format_checker=cls.FORMAT_CHECKER)
    except Exception:  # the reference refusing a schema counts as wrong answers
        return None

    def verdict(instance: Any) -> bool:
        return bool(validator.is_valid(instance))

    return verdict


def test_the_official_draft7_suite(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    ours: Counter[str] = Counter()
    reference: Counter[str] = Counter()
    unexpected: list[str] = []
    still_failing: set[tuple[str, str]] = set()
    for index, case in enumerate(_cases()):
        folder = tmp_path / str(index)
        folder.mkdir()
        key = (case.file, case.description)
        judge = _ours(case, folder)
        needs_network = key in EXPECTED_FAILURES
        ref_judge = None if needs_network else _reference(case)
        for test in case.tests:
            where = f"{case.file} / {case.description} / {test['description']}"
            if isinstance(judge, str):
                outcome = "refused"
            else:
                try:
                    outcome = "right" if judge(test["data"]) == test["valid"] else "wrong"
                except AssertionError:
                    raise
                except Exception as exc:
                    outcome = "crash"
                    unexpected.append(f"{where}: crashed: {exc!r}")
                if outcome == "wrong" and test["valid"] is False:
                    outcome = "wrongly valid"
            ours[outcome] += 1
            if outcome != "right":
                still_failing.add(key)
                if not needs_network:
                    unexpected.append(
                        f"{where}: {outcome} ({judge if outcome == 'refused' else ''})"
                    )
            if not needs_network:
                if ref_judge is None:
                    reference["refused"] += 1
                else:
                    try:
                        right = ref_judge(test["data"]) == test["valid"]
                    except Exception:
                        right = False
                    reference["right" if right else "wrong"] += 1
    total = sum(ours.values())
    record_property(
        "json_schema_suite",
        f"JSON-Schema-Test-Suite draft7 + optional: model_conformance {ours['right']}/{total} "
        f"right ({ours['refused']} refused by design, {ours['wrongly valid']} wrongly valid, "
        f"{ours['crash']} crashes); reference jsonschema {jsonschema_version()} "
        f"{reference['right']}/{sum(reference.values())} right on the tests that need no "
        "remote $ref",
    )
    assert ours["wrongly valid"] == 0
    assert ours["crash"] == 0
    assert unexpected == []
    stale = sorted(set(EXPECTED_FAILURES) - still_failing)
    assert stale == [], f"these now pass: remove them from EXPECTED_FAILURES: {stale}"
    assert ours["right"] >= reference["right"]


def jsonschema_version() -> str:
    from importlib.metadata import version

    return version("jsonschema")


@pytest.mark.parametrize("key", sorted(EXPECTED_FAILURES))
def test_every_expected_failure_names_a_real_case_and_a_reason(key: tuple[str, str]) -> None:
    assert key in {(c.file, c.description) for c in _cases()}
    assert EXPECTED_FAILURES[key]
