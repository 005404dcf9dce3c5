"""The rule catalogue's documentation is checked against the tool: docs/rules.md is what the
catalogue generates, and every example's shown output is what the tool prints for it today.
A new rule's example is so its first test.

Examples of the schema and semantic rules (MC1xx, MC2xx) are fragments of a document: each
line shown must be among what `validate_metadata` reports for it. Examples of the file rules
(MC3xx) are whole files: the lines shown are exactly what `lint --select MC3` prints for
them, after the file name. Registration examples (MC4xx) change fields of
`examples/registration.json`: each line shown is among what `register --dry-run` prints.
Scan examples (MC5xx) are SQL run against a registry of three conformant models, `m1` and
`m2` (internal) and `m3` (external): each line shown is among what `check` prints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from model_conformance import RULES, MetadataValidator, load_schema
from model_conformance._rules_doc import render
from model_conformance.cli import cli
from model_conformance.violations import Severity

ROOT = Path(__file__).resolve().parents[2]
RULES_DOC = ROOT / "docs" / "rules.md"
REGISTRATION = ROOT / "examples" / "registration.json"
_HEADING = re.compile(r"^### (MC\d{3}) (\S+)( \(warning\))?$", re.MULTILINE)
_BLOCKS = re.compile(r"```(json|python|sql)?\n(.*?)```\n```\n(.*?)```", re.DOTALL)


def sections() -> dict[str, tuple[str, bool, str]]:
    """code -> (name, documented as a warning, the section's text), as docs/rules.md has it."""
    text = RULES_DOC.read_text()
    found = {}
    headings = list(_HEADING.finditer(text))
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        end = following.start() if following else len(text)
        found[heading[1]] = (heading[2], bool(heading[3]), text[heading.end() : end])
    return found


def test_the_rules_doc_is_what_the_catalogue_generates() -> None:
    text = RULES_DOC.read_text()
    assert text == render(text), "run: python -m model_conformance._rules_doc docs/rules.md"


def examples(prefix: str, kinds: tuple[str, ...] = ("json", "python")) -> list[Any]:
    """(code, example input, the output lines shown) of every section under `prefix` whose
    example is written in one of `kinds` (other examples describe bytes or commands)."""
    out = []
    for code, rule in RULES.items():
        body = rule.doc
        if code.startswith(prefix):
            for match in _BLOCKS.finditer(body):
                if match[1] in kinds:
                    out.append(pytest.param(code, match[2], match[3].splitlines(), id=code))
    return out


def _schema_of(code: str, tmp_path: Path) -> MetadataValidator:
    """The validator an example names ("With a schema `{...}`:"), else the bundled one."""
    named = re.search(r"With a schema `(\{.*?\})`:", RULES[code].doc)
    if named is None:
        return MetadataValidator()
    path = tmp_path / "schema.json"
    path.write_text(named[1])
    return MetadataValidator(load_schema(path))


def test_every_heading_names_its_rule_and_severity_as_catalogued() -> None:
    documented = sections()
    assert sorted(documented) == sorted(RULES)
    for code, (name, warning, _) in documented.items():
        rule = RULES[code]
        assert (name, warning) == (rule.name, rule.severity is Severity.WARNING), code


def _document(example: str, kind: str) -> Any:
    if kind == "python":  # our own docs: a document only Python can write (NaN, 10**5000)
        return eval(example, {"float": float})
    return json.loads(example)


@pytest.mark.parametrize(("code", "example", "shown"), examples("MC1") + examples("MC2"))
def test_metadata_examples_print_what_the_docs_show(
    code: str, example: str, shown: list[str], tmp_path: Path
) -> None:
    kind = "python" if f"```python\n{example}" in RULES[code].doc else "json"
    printed = [str(v) for v in _schema_of(code, tmp_path).validate(_document(example, kind))]
    assert shown
    for line in shown:
        assert line in printed, (code, printed)


@pytest.mark.parametrize(("code", "example", "shown"), examples("MC3", ("json",)))
def test_file_examples_print_what_the_docs_show(
    code: str, example: str, shown: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = shown[0].split(":", 1)[0]
    (tmp_path / name).write_text(example)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["lint", "--isolated", "--select", "MC3", name])
    assert result.stdout.splitlines()[:-1] == shown, code


def _merged(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merged(base[key], value)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("code", "example", "shown"), examples("MC4"))
def test_registration_examples_print_what_the_docs_show(
    code: str, example: str, shown: list[str], db_dsn: str, tmp_path: Path
) -> None:
    document = _merged(json.loads(REGISTRATION.read_text()), json.loads(example))
    path = tmp_path / "registration.json"
    if code == "MC410":  # a conflict needs the example registered first
        CliRunner().invoke(cli, ["register", "--dsn", db_dsn, str(REGISTRATION)])
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(cli, ["register", "--dsn", db_dsn, "--dry-run", str(path)])
    printed = [line.strip() for line in result.stdout.splitlines()]
    for line in shown:
        assert line in printed, (code, printed)


_THREE_ARTIFACTS = """
INSERT INTO artifacts (id, artifact_type, metadata) VALUES
  ('m1', 'model', %(internal)s), ('m2', 'model', %(internal)s), ('m3', 'model', %(external)s)
"""
_THREE_VERSIONS = """
INSERT INTO model_versions (artifact_id, is_external, external_source_url,
                            external_source_version, eval_metrics_json) VALUES
  ('m1', false, NULL, NULL, '{"auroc": 0.9}'), ('m2', false, NULL, NULL, '{"auroc": 0.8}'),
  ('m3', true, 'https://huggingface.co/org/m1', 'v1.0.0', '{"auroc": 0.7}')
"""


@pytest.mark.parametrize(("code", "example", "shown"), examples("MC5", ("sql",)))
def test_scan_examples_print_what_the_docs_show(
    code: str, example: str, shown: list[str], db_dsn: str
) -> None:
    internal = {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 10,
        "training_data": ["ds-a"],
        "evaluation_dataset": "ds-b",
        "evaluation_metrics": {"auroc": 0.9},
        "training_config": {"lr": 0.1},
    }
    external = {k: v for k, v in internal.items() if k != "training_config"} | {
        "is_external": True,
        "external_source_url": "https://huggingface.co/org/m1",
        "external_source_version": "v1.0.0",
    }
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        documents = {"internal": json.dumps(internal), "external": json.dumps(external)}
        conn.execute(_THREE_ARTIFACTS, documents)
        conn.execute(_THREE_VERSIONS)
        assert CliRunner().invoke(cli, ["check", "--dsn", db_dsn]).exit_code == 0
        if "UPDATE model_versions SET promotion_state" in example:
            # A state set by hand, as before migration 0005: its triggers would refuse it.
            conn.execute("SET session_replication_role = replica")
        conn.execute(example.encode())
    printed = CliRunner().invoke(cli, ["check", "--dsn", db_dsn]).stdout.splitlines()
    for line in shown:
        if line:
            assert line in printed, (code, printed)
