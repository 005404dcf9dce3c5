"""`register --verify-pins`: a registration whose pin fails is rejected, on its own."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import TupleRow
from tests.support.git_repos import Repo

from model_conformance.cli import cli

Conn = psycopg.Connection[TupleRow]
EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "examples/registration.json").read_text()
)
URL = EXAMPLE["model_version"]["code_repo_url"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo.init(tmp_path / "classifier", remote=URL)
    repo.commit({"train.py": "", "configs/v1.yaml": ""})
    repo.publish()
    monkeypatch.chdir(repo.path)
    return repo


def document(artifact_id: str, commit: str, entrypoint: str = "train.py") -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(EXAMPLE)
    doc["artifact"]["id"] = artifact_id
    doc["model_version"]["code_commit_sha"] = commit
    doc["model_version"]["code_entrypoint"] = entrypoint
    return doc


def register(tmp_path: Path, docs: list[dict[str, Any]], *args: str) -> tuple[int, str]:
    stdin = "".join(json.dumps(d) + "\n" for d in docs)
    result = CliRunner().invoke(cli, ["register", *args, "-"], input=stdin)
    return result.exit_code, result.output


def test_each_document_is_judged_on_its_own_pin(
    tmp_path: Path, repo: Repo, db_conn: Conn, db_dsn: str
) -> None:
    docs = [
        document("model-good", repo.head(), "train.py --config configs/v1.yaml"),
        document("model-renamed", repo.head(), "python train_v2.py"),
        document("model-unpushed", "0" * 40),
    ]
    code, out = register(tmp_path, docs, "--dsn", db_dsn, "--verify-pins")
    assert code == 1
    assert "<stdin>:1: created model-good" in out
    assert "<stdin>:2: rejected model-renamed" in out
    assert "$.model_version.code_entrypoint: MC804 git.example.org/ml/sea-ad-classifier at" in out
    assert "<stdin>:3: rejected model-unpushed" in out
    assert "$.model_version.code_commit_sha: MC801 " in out
    stored = db_conn.execute("SELECT id FROM artifacts ORDER BY id").fetchall()
    assert stored == [("model-good",)]
    recorded = db_conn.execute("SELECT artifact_id, verdict FROM code_pin_checks").fetchall()
    assert recorded == [("model-good", "pass")]


def test_without_the_flag_pins_are_checked_for_shape_only(
    tmp_path: Path, repo: Repo, db_conn: Conn, db_dsn: str
) -> None:
    code, _ = register(tmp_path, [document("model-x", "0" * 40)], "--dsn", db_dsn)
    assert code == 0
    assert db_conn.execute("SELECT count(*) FROM code_pin_checks").fetchone() == (0,)


def test_an_unpushed_commit_warns_and_is_rejected_only_under_strict(
    tmp_path: Path, repo: Repo, db_dsn: str
) -> None:
    local = repo.commit({"train.py": "v2"})
    code, out = register(tmp_path, [document("model-a", local)], "--dsn", db_dsn, "--verify-pins")
    assert code == 0
    assert "MC803 [warning]" in out
    code, out = register(
        tmp_path, [document("model-b", local)], "--dsn", db_dsn, "--verify-pins", "--strict"
    )
    assert code == 1
    assert "rejected model-b" in out


def test_mirrors_without_verify_pins_is_a_usage_error(tmp_path: Path, db_dsn: str) -> None:
    code, out = register(tmp_path, [EXAMPLE], "--dsn", db_dsn, "--mirrors", str(tmp_path))
    assert code == 2
    assert "--mirrors and --strict go with --verify-pins" in out
