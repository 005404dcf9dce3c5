"""Database commands on a database they cannot use: one sentence, exit 2, no traceback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg.conninfo import make_conninfo

from model_conformance.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"


@pytest.mark.parametrize(
    "command",
    [["register", str(EXAMPLE)], ["backfill"], ["backfill", "--dry-run"], ["report"]],
)
def test_an_unmigrated_database_is_one_sentence_and_exit_2(
    empty_db_dsn: str, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*command, "--dsn", empty_db_dsn])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: the database is not migrated: 0001_artifacts (pending)")
    assert "run `model-conformance migrate`" in result.output
    assert result.output.rstrip().endswith("[MC608]")


def test_a_dsn_that_cannot_be_parsed_never_shows_the_password() -> None:
    result = CliRunner().invoke(cli, ["report", "--dsn", "postgresql://u:sec ret@[::1:5/db"])
    assert result.exit_code == 2
    assert "sec ret" not in result.output
    assert "cannot be parsed" in result.output
    assert "[MC601]" in result.output


def test_register_with_nothing_on_stdin_is_a_usage_error(db_dsn: str) -> None:
    result = CliRunner().invoke(cli, ["register", "--dsn", db_dsn, "-"], input="")
    assert result.exit_code == 2
    assert "no registration documents were given" in result.output


def test_a_statement_postgresql_refuses_is_one_sentence(db_dsn: str) -> None:
    role = f"mc_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        try:
            result = CliRunner().invoke(cli, ["report", "--dsn", make_conninfo(db_dsn, user=role)])
        finally:
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output == (
        "error: PostgreSQL refused the request: permission denied for table "
        "model_conformance_migrations [MC609]\n"
    )


def test_check_says_in_one_sentence_what_postgresql_refused_mid_scan(db_dsn: str) -> None:
    with psycopg.connect(db_dsn) as holder:
        holder.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")  # the row rules wait
        dsn = make_conninfo(db_dsn, options="-c lock_timeout=200")
        result = CliRunner().invoke(cli, ["check", "--dsn", dsn])
        holder.rollback()
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output == (
        "error: PostgreSQL refused the request: canceling statement due to lock timeout [MC609]\n"
    )


@pytest.fixture
def unprivileged_dsn(db_dsn: str) -> Iterator[str]:
    """A role that may connect and nothing else."""
    role = f"mc_nopriv_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        yield make_conninfo(db_dsn, user=role)
    finally:
        with psycopg.connect(db_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["migrate", "--status"], ["migrate", "--dry-run"], ["check"], ["report"]],
)
def test_a_role_without_privileges_is_one_sentence_and_exit_2(
    unprivileged_dsn: str, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*command, "--dsn", unprivileged_dsn])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1
    assert result.output.startswith("error: ")
    assert "permission denied" in result.output
    assert result.output.rstrip().endswith("]")
