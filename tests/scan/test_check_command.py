"""`model-conformance check`: the summary, the three formats, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import psycopg
from click.testing import CliRunner
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import build_registry, model_id

from model_conformance.cli import cli

Conn = psycopg.Connection[TupleRow]


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output


def test_a_clean_registry_exits_0(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 25, seeds=())
    code, out = check("--dsn", db_dsn)
    assert code == 0
    assert out == "25 model artifact(s) checked: conformant, 0 error(s), 0 warning(s)\n"


def test_violations_exit_1_with_a_summary_per_rule(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 460)
    code, out = check("--dsn", db_dsn)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{model_id(0)}: MC501"  # no blank line before the report
    assert (
        f"{model_id(140)}: MC407\n  base_model_id: MC407 base_model_id names the model itself "
        f'("{model_id(140)}"); a model cannot be its own base\n'
    ) in out
    assert "MC505         2          2  model-0000160, model-0000164 (base-model-cycle)" in out
    failing = len(registry.failing_ids)
    assert failing == 20
    assert lines[-1] == (
        f"460 model artifact(s) checked: {failing} failing artifact(s), 22 error(s), "
        "3 warning(s); 1 of 2 table-level check(s) failing (version-of-non-model)"
    )


def test_warnings_are_tagged_as_lint_and_register_tag_them(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 460)
    _, out = check("--dsn", db_dsn)
    assert f"{model_id(340)}: MC202\n  metadata.evaluation_dataset: MC202 [warning] " in out
    assert "(warning)" not in out
    assert "MC407 [warning]" not in out  # errors carry no tag


def test_a_version_of_a_non_model_is_its_own_table_level_section(
    db_conn: Conn, db_dsn: str
) -> None:
    registry = build_registry(db_conn, 460)
    victim = model_id(20) + "-data"
    assert registry.table_level == {(victim, "MC502", "version-of-non-model")}
    _, out = check("--dsn", db_dsn)
    sections = out.split("\n\n")
    assert sections[1] == (
        "version-of-non-model:\n"
        f'  MC502 {victim} has a model_versions row but is an artifact of type "dataset"; '
        "only model artifacts have one"
    )
    assert sections[3] == (
        "table-level check     code   findings  first ids\n"
        f"version-of-non-model  MC502         1  {victim}"
    )
    assert f"\n{victim}:" not in out  # not reported as if it were a model artifact
    assert "MC502" not in sections[2]  # nor counted in the per-rule summary of the artifacts


def test_failing_models_held_for_review_say_so(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 460)
    db_conn.execute(
        "UPDATE model_versions SET held_for_review = true,"
        " promotion_notes = 'Held for review by the backfill; a person must decide:"
        " (1) which base model?' WHERE artifact_id IN (%s, %s)",
        (model_id(140), model_id(141)),  # 140 breaks MC407, 141 is conformant
    )
    db_conn.commit()
    _, out = check("--dsn", db_dsn)
    assert (
        f"{model_id(140)}: MC407\n"
        "  held for review by the backfill: see model_versions.promotion_notes\n"
        "  base_model_id: MC407 "
    ) in out
    assert out.count("held for review") == 1
    _, as_json = check("--dsn", db_dsn, "--format", "json")
    held = {a["artifact_id"] for a in json.loads(as_json)["artifacts"] if a["held_for_review"]}
    assert held == {model_id(140)}


def test_json_lists_every_finding(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 460)
    code, out = check("--dsn", db_dsn, "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {
        (artifact["artifact_id"], v["code"], v["column"])
        for artifact in report["artifacts"]
        for v in artifact["violations"]
    }
    assert found == registry.per_artifact
    by_code = {rule["code"]: rule for rule in report["rules"]}
    assert by_code["MC505"]["first_ids"] == [model_id(160), model_id(164)]
    assert "MC502" not in by_code
    victim = model_id(20) + "-data"
    assert report["table_checks"] == [
        {"check": "migrations", "passed": True, "findings": []},
        {
            "check": "version-of-non-model",
            "passed": False,
            "findings": [
                {
                    "code": "MC502",
                    "severity": "error",
                    "message": f"{victim} has a model_versions row but is an artifact of type "
                    '"dataset"; only model artifacts have one',
                    "artifact_id": victim,
                }
            ],
        },
    ]
    assert report["summary"] == {
        "model_artifacts": 460,
        "failing_artifacts": len(registry.failing_ids),
        "table_checks": 2,
        "failing_table_checks": 1,
        "errors": 22,
        "warnings": 3,
    }
    assert report["summary"]["failing_artifacts"] <= report["summary"]["model_artifacts"]


def test_github_format_annotates_each_finding(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 460)
    code, out = check("--dsn", db_dsn, "--format", "github")
    assert code == 1
    assert (
        "::error title=MC407 self-based-model::model-0000140 base_model_id: "
        'base_model_id names the model itself ("model-0000140"); a model cannot be its own base'
    ) in out.splitlines()
    assert (
        "::error title=MC502 version-of-non-model::version-of-non-model: model-0000020-data "
        'has a model_versions row but is an artifact of type "dataset"; only model artifacts '
        "have one"
    ) in out.splitlines()
    assert any(line.startswith("::warning title=MC202") for line in out.splitlines())


def test_an_unreachable_database_exits_2_with_one_sentence() -> None:
    code, out = check("--dsn", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert code == 2
    assert out.startswith("error: cannot connect to PostgreSQL at 127.0.0.1:1/none")
    assert "Traceback" not in out
