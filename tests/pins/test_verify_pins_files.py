"""`verify-pins FILE...` (what the hook runs): registration documents, no database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.git_repos import Repo

from model_conformance.cli import cli

URL = "https://git.example.org/team/train.git"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo.init(tmp_path / "train", remote=URL)
    repo.commit({"train.py": ""})
    repo.publish()
    monkeypatch.chdir(repo.path)
    return repo


def write(repo: Repo, name: str, version: object) -> str:
    doc = {"artifact": {"id": name}, "metadata": {}, "model_version": version}
    (repo.path / name).write_text(json.dumps(doc))
    return name


def test_documents_without_a_pin_are_skipped_and_a_good_pin_passes(repo: Repo) -> None:
    files = [
        write(
            repo, "good.registration.json", {"code_repo_url": URL, "code_commit_sha": repo.head()}
        ),
        write(repo, "nopin.registration.json", {"trained_by": "alice"}),
        write(repo, "odd.registration.json", "not an object"),
    ]
    result = CliRunner().invoke(cli, ["verify-pins", *files])
    assert result.exit_code == 0, result.output
    assert result.output == "1 pin(s) checked: 1 pass, 0 fail, 0 unreachable, 0 unverifiable\n"


def test_a_file_that_is_not_json_is_reported_with_its_lint_code(repo: Repo) -> None:
    (repo.path / "broken.registration.json").write_text('{"model_version": ')
    result = CliRunner().invoke(cli, ["verify-pins", "broken.registration.json"])
    assert result.exit_code == 1
    assert result.output.startswith("broken.registration.json:1:19: MC301 ")


def test_files_and_the_registry_options_do_not_mix(repo: Repo) -> None:
    name = write(repo, "a.json", {})
    result = CliRunner().invoke(cli, ["verify-pins", "--only-changed", name])
    assert result.exit_code == 2
    assert "--dsn and --only-changed check the registry, not FILEs" in result.output


def test_a_hostile_subject_cannot_forge_a_line_of_the_report(repo: Repo) -> None:
    name = "x\nfake: MC000 pass.registration.json"
    write(repo, name, {"code_repo_url": URL, "code_commit_sha": "0" * 40})
    result = CliRunner().invoke(cli, ["verify-pins", name])
    assert result.exit_code == 1
    assert "\nfake: MC000" not in result.output
    assert "x\\nfake: MC000 pass.registration.json:1:" in result.output
    assert ": MC801 fail: commit 000000000000" in result.output


def test_a_fifo_is_named_with_its_code_not_skipped_in_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.registration.json")  # nobody writes to it: reading would block
    result = CliRunner().invoke(cli, ["verify-pins", "pipe.registration.json"])
    assert result.exit_code == 0  # a warning: nothing was proven wrong
    assert "pipe.registration.json:1:1: MC309 [warning]" in result.output
