"""`model-conformance register`: exit codes, stdin JSON Lines, dry runs and output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from model_conformance.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registration.json"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("MODEL_CONFORMANCE_DSN", raising=False)
    return CliRunner()


def _example() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return loaded


def _count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM model_versions").fetchone()
    assert row is not None
    return int(row[0])


def test_the_shipped_example_registers_into_an_empty_registry(
    runner: CliRunner, db_dsn: str
) -> None:
    result = runner.invoke(cli, ["register", "--dsn", db_dsn, str(EXAMPLE)])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{EXAMPLE}: created model-sea-ad-classifier-v1\n"
    assert _count(db_dsn) == 1

    again = runner.invoke(cli, ["register", "--dsn", db_dsn, str(EXAMPLE)])
    assert again.exit_code == 0
    assert "unchanged model-sea-ad-classifier-v1" in again.stdout


def test_a_rejected_file_exits_1_and_the_good_file_is_still_registered(
    runner: CliRunner, db_dsn: str, tmp_path: Path
) -> None:
    bad = _example()
    bad["artifact"]["id"] = "model-bad"
    bad["model_version"]["code_commit_sha"] = "deadbeef"
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad))

    result = runner.invoke(cli, ["register", "--dsn", db_dsn, str(bad_path), str(EXAMPLE)])

    assert result.exit_code == 1
    assert f"{bad_path}: rejected model-bad" in result.stdout
    assert "$.model_version.code_commit_sha: MC402" in result.stdout
    assert _count(db_dsn) == 1


def test_json_lines_on_stdin(runner: CliRunner, db_dsn: str) -> None:
    first, second = _example(), _example()
    second["artifact"]["id"] = "model-second"
    second["model_version"]["base_model_id"] = first["artifact"]["id"]
    stdin = f"{json.dumps(first)}\n\n{json.dumps(second)}\nnot json\n"

    result = runner.invoke(cli, ["register", "--dsn", db_dsn, "--format", "json", "-"], input=stdin)

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(r["source"], r["status"]) for r in report["results"]] == [
        ("<stdin>:1", "created"),
        ("<stdin>:3", "created"),
        ("<stdin>:4", "rejected"),
    ]
    assert report["results"][2]["violations"][0]["code"] == "MC301"
    assert report["counts"] == {"created": 2, "rejected": 1}


def test_dry_run_validates_without_writing(runner: CliRunner, db_dsn: str) -> None:
    result = runner.invoke(cli, ["register", "--dsn", db_dsn, "--dry-run", str(EXAMPLE)])

    assert result.exit_code == 0
    assert "valid model-sea-ad-classifier-v1" in result.stdout
    assert _count(db_dsn) == 0


def test_dry_run_still_checks_references_in_the_database(
    runner: CliRunner, db_dsn: str, tmp_path: Path
) -> None:
    doc = _example()
    doc["model_version"]["eval_dataset_artifact_id"] = "dataset-missing"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))

    result = runner.invoke(cli, ["register", "--dsn", db_dsn, "--dry-run", str(path)])

    assert result.exit_code == 1
    assert "MC408" in result.stdout


def test_a_missing_file_is_reported_and_rejected(
    runner: CliRunner, db_dsn: str, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["register", "--dsn", db_dsn, str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "MC308" in result.stdout


def test_files_and_stdin_together_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["register", "-", str(EXAMPLE)])
    assert result.exit_code == 2


def test_an_unreachable_database_exits_2_with_one_sentence(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["register", "--dsn", "postgresql://bob:pw-123@127.0.0.1:1/reg", str(EXAMPLE)]
    )

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot connect to PostgreSQL at 127.0.0.1:1/reg: Connection refused [MC601]"
    ]
    assert "pw-123" not in result.output


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"artifact": {"id": "x"},}', "MC301"),
        (b'{"artifact": {"id": "x"}, "artifact": {"id": "y"}, "metadata": {}}', "MC302"),
        (b'{"artifact": {"id": "x"}, "metadata": {"auroc": NaN}}', "MC303"),
        (b"\xef\xbb\xbf{}", "MC304"),
        (b'{"artifact": "\xff"}', "MC305"),
        (b"", "MC306"),
        (b"[1]", "MC307"),
    ],
)
def test_a_broken_file_gets_the_same_words_as_from_lint(
    runner: CliRunner, db_dsn: str, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "registration.json"
    path.write_bytes(content)
    registered = runner.invoke(cli, ["register", "--dsn", db_dsn, "--format", "json", str(path)])
    linted = runner.invoke(cli, ["lint", "--isolated", "--format", "json", str(path)])
    assert registered.exit_code == 1
    [rejection] = json.loads(registered.stdout)["results"][0]["violations"]
    lint_finding = next(f for f in json.loads(linted.stdout) if f["code"] == code)
    assert rejection["code"] == code
    assert rejection["message"].endswith(lint_finding["message"])
    assert _count(db_dsn) == 0


def test_a_lone_surrogate_or_a_newline_in_an_id_prints_escaped(tmp_path: Path, db_dsn: str) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "registration.json"
    doc = json.loads(example.read_text())
    doc["artifact"]["id"] = "model-\ud800\nfake: created"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    done = subprocess.run(
        [sys.executable, "-m", "model_conformance", "register", "--dsn", db_dsn, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "model-\\ud800\\nfake: created" in done.stdout  # one line, escaped
    assert "MC411" in done.stdout
    assert not any(line.startswith("fake") for line in done.stdout.splitlines())


def test_stdin_lines_are_bounded_and_judged_alone(db_dsn: str) -> None:
    # A line over the limit, a line that is not UTF-8, then a document: only the first two
    # are refused, and memory stays within a few times the limit.
    from model_conformance.json_reader.document import MAX_BYTES

    example = Path(__file__).resolve().parents[2] / "examples" / "registration.json"
    good = json.dumps(json.loads(example.read_text())).encode()
    data = b"x" * (MAX_BYTES + 10) + b"\n" + b"\xff\xfe{}\n" + good + b"\n"
    done = subprocess.run(
        [sys.executable, "-m", "model_conformance", "register", "--dsn", db_dsn, "--dry-run", "-"],
        input=data,
        capture_output=True,
    )
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    # Each problem is placed at its line of stdin.
    assert "<stdin>:1: rejected\n  <stdin>:1:1: MC310 the line is longer than 64 MiB" in out
    assert "<stdin>:2: rejected\n  <stdin>:2:1: MC305 byte 1 of the line (0xff) is not UTF-8" in out
    assert "<stdin>:3: valid" in out


def test_a_dense_document_is_refused_alike_on_stdin_and_in_a_file_with_or_without_dry_run(
    db_dsn: str, tmp_path: Path
) -> None:
    # 300,000 {"a":1}: 2.4 MB that would take 200 MB parsed; lint says the same (MC311).
    dense = '{"training_data": [' + ",".join(['{"a":1}'] * 300_000) + "]}"
    (tmp_path / "dense.json").write_text(dense)
    good = json.dumps(_example())
    said = "MC311 parsed, this document of 2.3 MiB would take about"
    for dry_run in (["--dry-run"], []):
        register = [sys.executable, "-m", "model_conformance", "register", "--dsn", db_dsn]
        done = subprocess.run(
            [*register, *dry_run, "-"], input=f"{dense}\n{good}\n".encode(), capture_output=True
        )
        out = done.stdout.decode()
        assert done.returncode == 1, done.stderr
        assert f"<stdin>:1: rejected\n  <stdin>:1:1: {said}" in out
        assert "<stdin>:2: " in out
        assert "<stdin>:2: rejected" not in out  # the next line is judged on its own
        done = subprocess.run(
            [*register, *dry_run, str(tmp_path / "dense.json")], capture_output=True
        )
        assert done.returncode == 1, done.stderr
        assert f"dense.json:1:1: {said}" in done.stdout.decode()
    lint = subprocess.run(
        [sys.executable, "-m", "model_conformance", "lint", "--isolated", "dense.json"],
        cwd=tmp_path,
        capture_output=True,
    )
    assert lint.stdout.decode().startswith(f"dense.json:1:1: {said}")


def test_the_size_limit_of_a_stdin_line_is_a_flag(db_dsn: str) -> None:
    good = json.dumps(_example()).encode()
    data = b'{"pad": "' + b"x" * 5000 + b'"}\n' + good + b"\n"
    args = ["register", "--dsn", db_dsn, "--dry-run", "--max-size", "4KiB", "-"]
    done = subprocess.run(
        [sys.executable, "-m", "model_conformance", *args], input=data, capture_output=True
    )
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert "<stdin>:1: rejected\n  <stdin>:1:1: MC310 the line is longer than 4 KiB" in out
    assert "<stdin>:2: valid" in out


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:S3CRETPW@github.com/acme/train",
        "https://S3CRETPW@github.com/acme/train",  # a token as the user
        "alice:S3CRETPW@github.com:acme/train.git",
    ],
)
def test_a_url_with_a_password_is_refused_and_never_printed(
    runner: CliRunner, db_dsn: str, tmp_path: Path, url: str
) -> None:
    doc = _example()
    doc["model_version"]["code_repo_url"] = url
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(doc))
    for fmt in ("text", "json", "sarif"):
        result = runner.invoke(cli, ["register", "--dsn", db_dsn, "--format", fmt, str(path)])
        assert result.exit_code == 1
        assert "S3CRETPW" not in result.output
        assert "MC403" in result.output
    assert _count(db_dsn) == 0
