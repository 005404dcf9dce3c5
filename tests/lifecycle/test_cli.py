"""The lifecycle commands through click: output, JSON, exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import state

from model_conformance.cli import cli

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("MODEL_CONFORMANCE_DSN", raising=False)
    monkeypatch.setenv("MODEL_CONFORMANCE_ACTOR", "cli-tester")
    return CliRunner()


def test_promote_then_history_then_champion(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("v1")
    register("v2", parent="v1")
    first = runner.invoke(cli, ["promote", "v1", "--reason", "first", "--dsn", db_dsn])
    assert first.exit_code == 0, first.output + first.stderr
    second = runner.invoke(cli, ["promote", "v2", "--reason", "fine-tuned", "--dsn", db_dsn])
    assert second.exit_code == 0
    assert "promote: v2 candidate -> promoted (line v1)" in second.output
    assert "supersedes v1" in second.output
    shown = runner.invoke(cli, ["history", "v2", "--dsn", db_dsn])
    assert shown.exit_code == 0
    *lines, verdict = shown.output.splitlines()  # the timeline, oldest first, then the line
    assert verdict == "line v1: champion v2, 5 event(s)"
    assert "v2  promote: candidate -> promoted  by cli-tester" in lines[-1]
    assert "[supersedes v1]" in lines[-1]
    as_json = json.loads(
        runner.invoke(cli, ["history", "v1", "--format", "json", "--dsn", db_dsn]).output
    )
    assert [e["action"] for e in as_json["events"]][-2:] == ["supersede", "promote"]
    now = runner.invoke(cli, ["champion", "v1", "--at", "2999-01-01T00:00:00Z", "--dsn", db_dsn])
    assert now.exit_code == 0
    assert "champion v2" in now.output
    before = runner.invoke(
        cli,
        [
            "champion",
            "v1",
            "--at",
            "2000-01-01T00:00:00+02:00",
            "--format",
            "json",
            "--dsn",
            db_dsn,
        ],
    )
    assert json.loads(before.stdout)["champion"] is None


def test_history_pages_with_limit_and_before(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("v1")
    register("v2", parent="v1")
    register("v3", parent="v2")
    whole = json.loads(
        runner.invoke(cli, ["history", "v1", "--format", "json", "--dsn", db_dsn]).output
    )
    assert whole["earlier"] is False
    ids = [e["id"] for e in whole["events"]]
    assert len(ids) == 3
    page = runner.invoke(cli, ["history", "v1", "--limit", "2", "--dsn", db_dsn])
    assert page.exit_code == 0
    *lines, verdict = page.output.splitlines()
    assert verdict == f"line v1: champion none, 2 event(s); earlier ones: --before {ids[1]}"
    assert [line.split()[1] for line in lines] == [f"#{ids[1]}", f"#{ids[2]}"]
    paging = ["--limit", "2", "--before", str(ids[1]), "--format", "json"]
    back = runner.invoke(cli, ["history", "v1", *paging, "--dsn", db_dsn])
    found = json.loads(back.output)
    assert ([e["id"] for e in found["events"]], found["earlier"]) == ([ids[0]], False)
    refused = runner.invoke(cli, ["history", "v1", "--limit", "0", "--dsn", db_dsn])
    assert refused.exit_code == 2


def test_a_dry_run_shows_every_gate_as_json_and_writes_nothing(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    conn.execute("UPDATE model_versions SET code_commit_sha = 'abc' WHERE artifact_id = 'm1'")
    result = runner.invoke(cli, ["promote", "m1", "--dry-run", "--format", "json", "--dsn", db_dsn])
    assert result.exit_code == 1  # the verdict a real run would give
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert report["passed"] is False
    gates = {g["name"]: g["passed"] for g in report["gates"]}
    assert gates["code-pinned"] is False
    assert gates["metadata-valid"] is True
    assert all(isinstance(g["passed"], bool) for g in report["gates"])
    assert state(conn, "m1") == "candidate"


def test_a_failing_gate_exits_1_and_a_waiver_lets_it_through(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    conn.execute(
        "UPDATE model_versions SET eval_dataset_artifact_id = NULL WHERE artifact_id = 'm1'"
    )
    refused = runner.invoke(cli, ["promote", "m1", "--reason", "ship", "--dsn", db_dsn])
    assert refused.exit_code == 1
    assert "FAIL   eval-dataset-registered" in refused.output
    assert "[MC705]" in refused.stderr
    waived = runner.invoke(
        cli,
        [
            "promote",
            "m1",
            "--reason",
            "approved by the board",
            "--waive",
            "eval-dataset-registered",
            "--dsn",
            db_dsn,
        ],
    )
    assert waived.exit_code == 0, waived.output + waived.stderr
    assert "WAIVED eval-dataset-registered" in waived.output
    assert state(conn, "m1") == "promoted"


def test_refused_transitions_exit_1_with_their_code(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    assert runner.invoke(cli, ["reject", "m1", "--reason", "no", "--dsn", db_dsn]).exit_code == 0
    again = runner.invoke(cli, ["rollback", "m1", "--reason", "undo", "--dsn", db_dsn])
    assert again.exit_code == 1
    assert "rejected is final [MC701]" in again.stderr
    as_json = runner.invoke(
        cli, ["retire", "m1", "--reason", "x", "--format", "json", "--dsn", db_dsn]
    )
    assert json.loads(as_json.stdout)["refused"]["code"] == "MC701"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["promote", "m1"], "--reason is required"),
        (["reject", "m1"], "Missing option '--reason'"),
        (["promote", "nope", "--reason", "x"], "[MC708]"),
        (["champion", "m1", "--at", "yesterday"], "[MC709]"),
        (["champion", "m1", "--at", "2024-05-01T12:00:00"], "no time zone"),
        (["promote", "m1", "--reason", "x", "--waive", "bogus"], "[MC706]"),
        (["promote", "m1", "--reason", " "], "[MC709]"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_sentence(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str, args: list[str], words: str
) -> None:
    register("m1")
    result = runner.invoke(cli, [*args, "--dsn", db_dsn])
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_bad_gates_file_exits_2(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str, tmp_path: Path
) -> None:
    register("m1")
    gates = tmp_path / "gates.toml"
    gates.write_text("[[metric]]\nmetric = 'f1'\n")
    result = runner.invoke(
        cli, ["promote", "m1", "--reason", "x", "--gates", str(gates), "--dsn", db_dsn]
    )
    assert result.exit_code == 2
    assert "[MC707]" in result.stderr


def test_no_database_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["history", "m1", "--dsn", UNREACHABLE])
    assert result.exit_code == 2
    assert "MC601" in result.stderr


def test_text_output_escapes_control_and_bidi_characters(
    runner: CliRunner, conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    reason = "fine\n2024-01-01  forged line\u202e"
    result = runner.invoke(cli, ["reject", "m1", "--reason", reason, "--dsn", db_dsn])
    assert result.exit_code == 0
    shown = runner.invoke(cli, ["history", "m1", "--dsn", db_dsn]).output
    assert "fine\\n2024-01-01  forged line\\u202e" in shown
    assert "\u202e" not in shown
    assert len(shown.splitlines()) == 3  # the heading and two events, nothing forged


def test_the_commands_are_listed_by_help() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "model_conformance", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("promote", "rollback", "reject", "retire", "history", "champion"):
        assert f"  {name} " in listed
