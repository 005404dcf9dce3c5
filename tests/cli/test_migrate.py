"""`model-conformance migrate`: exit codes, output, and its refusals as one sentence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from model_conformance.cli import cli
from model_conformance.db.migrate import LEDGER_TABLE, discover_migrations

UNREACHABLE = "postgresql://alice:s3cret-pw@127.0.0.1:1/registry"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("MODEL_CONFORMANCE_DSN", raising=False)
    return CliRunner()


def test_migrate_applies_then_reports_up_to_date(runner: CliRunner, empty_db_dsn: str) -> None:
    first = runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn])
    assert first.exit_code == 0, first.output
    shipped = discover_migrations()
    assert first.output.splitlines() == [
        *(f"applied {m.filename}" for m in shipped),
        f"applied {len(shipped)} migration(s)",
    ]

    second = runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn])
    assert second.exit_code == 0
    assert "up to date" in second.output


def test_dry_run_prints_what_would_run(runner: CliRunner, empty_db_dsn: str) -> None:
    result = runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn, "--dry-run"])
    assert result.exit_code == 0
    assert "would apply 0001_artifacts.sql" in result.output

    status = runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn, "--status"])
    *files, verdict = status.output.splitlines()
    assert {line.split()[1] for line in files} == {"pending"}
    assert verdict == f"migrations: {len(files)} pending"


def test_status_after_migrating(runner: CliRunner, db_dsn: str) -> None:
    result = runner.invoke(cli, ["migrate", "--dsn", db_dsn, "--status"])
    assert result.exit_code == 0
    *lines, verdict = result.output.splitlines()
    assert verdict == f"migrations: {len(lines)} applied"
    assert [line.split()[:2] for line in lines] == [
        [m.filename, "applied"] for m in discover_migrations()
    ]
    assert "by postgres@" in lines[0]


def test_a_tampered_migration_exits_2_with_one_sentence(
    runner: CliRunner, empty_db_dsn: str, tmp_path: Path
) -> None:
    for migration in discover_migrations():
        shutil.copy(migration.path, tmp_path / migration.filename)
    assert runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn, "--migrations-dir", str(tmp_path)])
    (tmp_path / "0001_artifacts.sql").write_text("-- rewritten\n")

    result = runner.invoke(
        cli, ["migrate", "--dsn", empty_db_dsn, "--migrations-dir", str(tmp_path)]
    )

    assert result.exit_code == 2
    assert "0001_artifacts.sql was edited after it was applied" in result.stderr
    assert "[MC604]" in result.stderr
    assert "Traceback" not in result.output


def test_an_unreachable_database_exits_2_naming_the_host_not_the_password(
    runner: CliRunner,
) -> None:
    result = runner.invoke(cli, ["migrate", "--dsn", UNREACHABLE])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot connect to PostgreSQL at 127.0.0.1:1/registry")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cret-pw" not in result.output
    assert "Traceback" not in result.output


def test_the_environment_dsn_is_used_when_no_flag_is_given(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_CONFORMANCE_DSN", UNREACHABLE)
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "127.0.0.1:1" in result.stderr


def test_status_says_how_to_apply_a_migration_numbered_below_the_applied_ones(
    runner: CliRunner, db_dsn: str
) -> None:
    down = Path(__file__).resolve().parents[2] / "migrations/down/0002_model_versions.down.sql"
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(down.read_text())
    result = runner.invoke(cli, ["migrate", "--dsn", db_dsn, "--status"])
    assert result.exit_code == 0
    [line] = [line for line in result.output.splitlines() if "0002" in line]
    highest = max(m.version for m in discover_migrations())
    assert line == (
        f"0002_model_versions.sql  pending  (numbered below applied {highest:04d}: "
        "apply it with --allow-out-of-order)"
    )


def test_status_of_an_edited_or_missing_migration_is_an_error_in_every_format(
    runner: CliRunner, db_dsn: str
) -> None:
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE {LEDGER_TABLE} SET checksum = 'x' WHERE version = 4")
    text = runner.invoke(cli, ["migrate", "--dsn", db_dsn, "--status"])
    assert text.exit_code == 1
    assert "0004_held_for_review.sql  modified" in text.output
    sarif = runner.invoke(cli, ["migrate", "--dsn", db_dsn, "--status", "--format", "sarif"])
    [result] = json.loads(sarif.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "MC604"


def test_applying_renders_in_the_format_asked_for(runner: CliRunner, empty_db_dsn: str) -> None:
    result = runner.invoke(cli, ["migrate", "--dsn", empty_db_dsn, "--dry-run", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0] == {
        "version": 1,
        "name": "artifacts",
        "status": "would apply",
    }
