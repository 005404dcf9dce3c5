"""`model-conformance check`: the summary, the three formats, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import psycopg
from click.testing import CliRunner
from psycopg.rows import TupleRow

from model_conformance.cli import cli
from model_conformance.scan.synthetic import build_registry, model_id

Conn = psycopg.Connection[TupleRow]


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output


def test_a_clean_registry_exits_0(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 25, seeds=())
    code, out = check("--dsn", db_dsn)
    assert code == 0
    assert out.strip() == "25 model artifact(s) checked: conformant, 0 error(s), 0 warning(s)"


def test_violations_exit_1_with_a_summary_per_rule(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400)
    code, out = check("--dsn", db_dsn)
    assert code == 1
    assert f"{model_id(140)}:\n  base_model_id: MC407 base_model_id names the model itself" in out
    assert "MC505         2          2  model-0000160, model-0000164 (base-model-cycle)" in out
    failing = len({a for a, c, _ in registry.expected if c != "MC202"})
    assert out.splitlines()[-1].startswith(f"400 model artifact(s) checked: {failing} failing")


def test_json_lists_every_finding(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 400)
    code, out = check("--dsn", db_dsn, "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {
        (artifact["artifact_id"], v["code"], v["column"])
        for artifact in report["artifacts"]
        for v in artifact["violations"]
    }
    assert found == registry.expected
    by_code = {rule["code"]: rule for rule in report["rules"]}
    assert by_code["MC505"]["first_ids"] == [model_id(160), model_id(164)]
    assert report["summary"]["model_artifacts"] == 400
    assert report["table_checks"] == []


def test_github_format_annotates_each_finding(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 400)
    code, out = check("--dsn", db_dsn, "--format", "github")
    assert code == 1
    assert (
        "::error title=MC407 self-based-model::model-0000140 base_model_id: "
        "base_model_id names the model itself"
    ) in out.splitlines()
    assert any(line.startswith("::warning title=MC202") for line in out.splitlines())


def test_an_unreachable_database_exits_2_with_one_sentence() -> None:
    code, out = check("--dsn", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert code == 2
    assert out.startswith("error: cannot connect to PostgreSQL at 127.0.0.1:1/none")
    assert "Traceback" not in out
