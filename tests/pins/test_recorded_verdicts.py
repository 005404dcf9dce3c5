"""`verify-pins` records each verdict; `check` and the pytest plugin read them back offline."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import TupleRow
from tests.support.git_repos import Repo
from tests.support.synthetic_registry import PIN_SEEDS, build_registry, model_id

from model_conformance.cli import cli
from model_conformance.db.migrate import apply_migrations, discover_migrations
from model_conformance.pins import PinOutcome
from model_conformance.pins.record import latest_checks
from model_conformance.scan import open_snapshot

Conn = psycopg.Connection[TupleRow]
URL = "https://git.example.org/models.git"  # the synthetic registry's code_repo_url
MODELS = 100  # 5 blocks of 20: room for the four pin seeds


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """The registry's code repository; commands run inside it."""
    repo = Repo.init(tmp_path / "models", remote=URL)
    repo.commit({"train.py": ""})
    repo.publish()
    monkeypatch.chdir(repo.path)
    return repo


def pin(conn: Conn, artifact_id: str, commit: str, entrypoint: str = "train.py") -> None:
    conn.execute(
        "UPDATE model_versions SET code_commit_sha = %s, code_entrypoint = %s"
        " WHERE artifact_id = %s",
        (commit, entrypoint, artifact_id),
    )
    conn.commit()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def checks(conn: Conn) -> list[tuple[str, str, str | None]]:
    rows = conn.execute(
        "SELECT artifact_id, verdict, code FROM code_pin_checks ORDER BY id"
    ).fetchall()
    conn.commit()
    return [(a, v, c) for a, v, c in rows]


def test_verify_pins_records_every_verdict_and_exits_1_on_a_failure(
    db_conn: Conn, db_dsn: str, repo: Repo
) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute("UPDATE model_versions SET code_repo_url = NULL WHERE artifact_id > %s",
                    (model_id(2),))  # fmt: skip
    pin(db_conn, model_id(0), repo.head())
    pin(db_conn, model_id(1), repo.head(), "python gone.py")
    # model 2 keeps the synthetic SHA, which the repository does not have
    code, out = invoke("verify-pins", "--dsn", db_dsn)
    assert code == 1, out
    assert checks(db_conn) == [
        (model_id(0), "pass", None),
        (model_id(1), "fail", "MC804"),
        (model_id(2), "fail", "MC801"),
    ]
    assert out.splitlines()[-1] == (
        "3 pin(s) checked: 1 pass, 2 fail, 0 unreachable, 0 unverifiable"
    )
    assert f"{model_id(1)}: MC804\n  code_entrypoint: MC804 fail: git.example.org/models at " in out
    version = db_conn.execute("SELECT DISTINCT toolkit_version FROM code_pin_checks").fetchone()
    assert version is not None
    assert version[0] not in ("", None)


def test_only_changed_checks_just_the_pins_without_a_verdict_for_their_current_value(
    db_conn: Conn, db_dsn: str, repo: Repo
) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute("UPDATE model_versions SET code_repo_url = NULL WHERE artifact_id > %s",
                    (model_id(1),))  # fmt: skip
    pin(db_conn, model_id(0), repo.head())
    pin(db_conn, model_id(1), repo.head())
    assert invoke("verify-pins", "--dsn", db_dsn)[0] == 0
    assert invoke("verify-pins", "--dsn", db_dsn, "--only-changed")[1].endswith(
        "0 pin(s) checked: 0 pass, 0 fail, 0 unreachable, 0 unverifiable\n"
    )
    newer = repo.commit({"train.py": "v2"})
    pin(db_conn, model_id(1), newer)  # pushed nowhere: unreachable
    code, out = invoke("verify-pins", "--dsn", db_dsn, "--only-changed", "--format", "json")
    assert code == 0  # a warning
    report = json.loads(out)
    assert [(r["subject"], r["verdict"], r["severity"]) for r in report["results"]] == [
        (model_id(1), "unreachable", "warning")
    ]
    assert report["results"][0]["repository"] == "git.example.org/models"
    # Its verdict is recorded now: --only-changed leaves it alone, a full run re-checks it.
    assert invoke("verify-pins", "--dsn", db_dsn, "--only-changed", "--strict")[0] == 0
    assert invoke("verify-pins", "--dsn", db_dsn, "--strict")[0] == 1
    assert len(checks(db_conn)) == 5


def test_unverifiable_pins_warn_and_fail_only_under_strict(
    db_conn: Conn, db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no repository here, no mirrors given
    build_registry(db_conn, 20, seeds=())
    code, out = invoke("verify-pins", "--dsn", db_dsn)
    assert code == 0
    assert "MC808 [warning] unverifiable: no local copy of git.example.org/models" in out
    assert invoke("verify-pins", "--dsn", db_dsn, "--strict")[0] == 1
    assert {v for _, v, _ in checks(db_conn)} == {"unverifiable"}


def test_an_unmigrated_registry_is_exit_2(empty_db_dsn: str) -> None:
    code, out = invoke("verify-pins", "--dsn", empty_db_dsn)
    assert code == 2
    assert "MC608" in out


def test_recorded_checks_cannot_be_rewritten(db_conn: Conn, repo: Repo, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    pin(db_conn, model_id(0), repo.head())
    invoke("verify-pins", "--dsn", db_dsn)
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db_conn.execute("UPDATE code_pin_checks SET verdict = 'pass'")


def test_the_scan_reports_each_seeded_pin_rule_and_nothing_else(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, MODELS, seeds=PIN_SEEDS, verified_pins=True)
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    found = {(f.artifact_id, f.code, f.location) for f in result.findings}
    assert found == registry.per_artifact
    by_code = {f.code: f for f in result.findings}
    assert by_code["MC540"].message.endswith("MC804 train.py is not in the commit")
    assert "is stored now; run `model-conformance verify-pins`" in by_code["MC542"].message
    assert {c for c, f in by_code.items() if not f.is_error} == {"MC541", "MC543"}


def test_a_registry_that_never_ran_verify_pins_gets_no_pin_warnings(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 40, seeds=())
    with open_snapshot(db_dsn) as snapshot:
        assert snapshot.scan().findings == []


def test_check_fails_on_a_recorded_failure_after_verify_pins(
    db_conn: Conn, db_dsn: str, repo: Repo
) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute("UPDATE model_versions SET code_repo_url = NULL WHERE artifact_id > %s",
                    (model_id(1),))  # fmt: skip
    pin(db_conn, model_id(0), repo.head())
    pin(db_conn, model_id(1), repo.head(), "gone.py")
    invoke("verify-pins", "--dsn", db_dsn)
    code, out = invoke("check", "--dsn", db_dsn)
    assert code == 1
    assert f"{model_id(1)}: MC540" in out
    assert f"{model_id(0)}: MC54" not in out
    pin(db_conn, model_id(0), repo.commit({"train.py": "later"}))  # changed after its check
    code, out = invoke("check", "--dsn", db_dsn)
    assert f"{model_id(0)}: MC542" in out


def test_the_pytest_plugin_fails_the_items_of_failed_and_stale_pins(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    registry = build_registry(db_conn, MODELS, seeds=PIN_SEEDS, verified_pins=True)
    result = pytester.runpytest(
        "--model-conformance", f"--model-conformance-dsn={db_dsn}", "-p", "no:cacheprovider"
    )
    errors = {a for a, c, _ in registry.per_artifact if c in ("MC540", "MC542")}
    assert len(errors) == 2
    result.assert_outcomes(passed=MODELS + 2 - len(errors), failed=len(errors))
    out = result.stdout.str()
    for artifact in errors:
        assert f"FAILED model-conformance::{artifact}" in out


def test_a_registry_not_migrated_to_code_pin_checks_is_scanned_without_pin_rules(
    empty_db_dsn: str, tmp_path: Path
) -> None:
    older = tmp_path / "migrations"
    older.mkdir()
    for migration in discover_migrations():
        if migration.version < 6:
            (older / migration.filename).write_text(migration.sql)
    with psycopg.connect(empty_db_dsn) as conn:
        apply_migrations(conn, directory=older)
        build_registry(conn, 20, seeds=())
    with open_snapshot(empty_db_dsn) as snapshot:
        result = snapshot.scan()
    assert result.findings == []
    assert [t.code for t in result.table_findings] == ["MC520"]


def test_a_gate_can_ask_whether_the_current_pin_is_proven(
    db_conn: Conn, db_dsn: str, repo: Repo
) -> None:
    build_registry(db_conn, 20, seeds=())
    pin(db_conn, model_id(0), repo.head())
    pin(db_conn, model_id(1), repo.head(), "gone.py")
    invoke("verify-pins", "--dsn", db_dsn)
    found = latest_checks(db_conn, [model_id(0), model_id(1), "no-such-model"])
    assert sorted(found) == [model_id(0), model_id(1)]
    assert found[model_id(0)].proven
    assert (found[model_id(1)].outcome, found[model_id(1)].code) == (PinOutcome.FAIL, "MC804")
    assert not found[model_id(1)].proven
    pin(db_conn, model_id(0), repo.commit({"train.py": "later"}))
    assert not latest_checks(db_conn, [model_id(0)])[model_id(0)].proven
