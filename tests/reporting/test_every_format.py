"""Every command renders through one reporting layer: each accepts every format, and each
format's output is what its readers parse (JSON, SARIF 2.1.0, JUnit XML, GitHub commands).

The registry holds a broken model, an artifact whose id would forge output lines, and the
legacy models the backfill adopts, so that every command has something to say.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from model_conformance.cli import cli
from model_conformance.reporting import FORMATS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "registration.json"
LEGACY_SQL = ROOT / "examples" / "legacy_registry.sql"
MODEL = json.loads(EXAMPLE.read_text())["artifact"]["id"]
FORGED_ID = "evil\n::error title=forged::every model conforms\u202e"


@pytest.fixture
def registry(db_dsn: str) -> str:
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(LEGACY_SQL.read_text())
        conn.execute(
            "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (%s, 'model', '{}')",
            (FORGED_ID,),
        )
    registered = CliRunner().invoke(cli, ["register", "--dsn", db_dsn, str(EXAMPLE)])
    assert registered.exit_code == 0, registered.output
    return db_dsn


def commands(dsn: str, tmp_path: Path) -> dict[str, list[str]]:
    bad = tmp_path / "bad\u202e.json"
    bad.write_text('{"framework": 3}')
    return {
        "lint": ["lint", "--isolated", str(bad)],
        "check": ["check", "--dsn", dsn],
        "register": ["register", "--dsn", dsn, "--dry-run", str(EXAMPLE), str(bad)],
        "backfill": ["backfill", "--dsn", dsn, "--dry-run"],
        "migrate --status": ["migrate", "--dsn", dsn, "--status"],
        "verify-pins": ["verify-pins", "--dsn", dsn],
        "promote --dry-run": ["promote", MODEL, "--dry-run", "--dsn", dsn],
        "history": ["history", MODEL, "--dsn", dsn],
        "champion": ["champion", MODEL, "--dsn", dsn],
    }


def parses_as_json(out: str) -> None:
    json.loads(out)


def parses_as_sarif(out: str) -> None:
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    for result in log["runs"][0]["results"]:
        assert result["locations"], result


def parses_as_junit(out: str) -> None:
    suite = ET.fromstring(out)
    assert suite.tag == "testsuite"
    assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))


def github_commands_only(out: str) -> None:
    *annotations, verdict = out.splitlines()
    assert all(line.startswith(("::error ", "::warning ")) for line in annotations)
    assert not verdict.startswith("::")


def one_line_per_thing(out: str) -> None:
    assert out.strip()
    assert "\u202e" not in out  # bidi overrides are escaped, never echoed


READERS: dict[str, Callable[[str], None]] = {
    "text": one_line_per_thing,
    "json": parses_as_json,
    "github": github_commands_only,
    "sarif": parses_as_sarif,
    "junit": parses_as_junit,
}


def test_every_format_has_a_reader_here() -> None:
    assert set(READERS) == set(FORMATS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_command_accepts_every_format(registry: str, tmp_path: Path, fmt: str) -> None:
    for name, args in commands(registry, tmp_path).items():
        result = CliRunner().invoke(cli, [*args, "--format", fmt])
        assert result.exit_code in (0, 1), (name, result.output)
        assert "Traceback" not in result.output, name
        READERS[fmt](result.stdout)
        forged = [line for line in result.stdout.splitlines() if line.startswith("::error title=f")]
        assert forged == [], name


def test_no_id_can_forge_a_line_of_text_or_an_annotation(registry: str) -> None:
    for fmt in ("text", "github"):
        out = CliRunner().invoke(cli, ["check", "--dsn", registry, "--format", fmt]).stdout
        assert not any(line.startswith("::error title=forged") for line in out.splitlines())
        assert "evil\\n::error title=forged::every model conforms\\u202e" in out
