"""`pytest --model-conformance`, run for real with `pytester` against a real PostgreSQL."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import WARNING_CODES, build_registry, model_id

from model_conformance import pytest_plugin
from model_conformance.cli import cli
from model_conformance.scan import Chunk, Snapshot

Conn = psycopg.Connection[TupleRow]
_FAILED = re.compile(r"^FAILED (model-conformance(?:-tables)?::\S+)", re.MULTILINE)


def run(pytester: pytest.Pytester, dsn: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--model-conformance", f"--model-conformance-dsn={dsn}", "-p", "no:cacheprovider", *args
    )


def failed_ids(result: pytest.RunResult) -> list[str]:
    return sorted(_FAILED.findall(result.stdout.str()))


def junit_failures(path: Path) -> dict[str, str]:
    """testcase name -> failure text, for the failing cases of a junit XML report."""
    failures = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            failures[f"{case.get('classname')}::{case.get('name')}"] = failure.text or ""
    return failures


def codes_by_artifact(text: str) -> set[tuple[str, str]]:
    """(artifact id, code) of the errors in failure text (`<id>: <codes>`, then one line each)."""
    pairs = set()
    artifact = None
    for line in text.splitlines():
        head = re.fullmatch(r"\s*(\S+): (MC\d{3}(?:, MC\d{3})*)", line)
        if head:
            artifact = head.group(1)
            continue
        finding = re.fullmatch(r"\s+\S+: (MC\d{3}) (?!\[warning\]).*", line)
        if finding and artifact is not None:
            pairs.add((artifact, finding.group(1)))
    return pairs


def table_failures(failures: dict[str, str]) -> set[tuple[str, str]]:
    """(check, code) of each error line of the failing table-level items."""
    return {
        (name.removeprefix("model-conformance-tables::"), line.split()[0])
        for name, text in failures.items()
        if name.startswith("model-conformance-tables::")
        for line in text.splitlines()
    }


def test_the_plugin_is_inert_without_the_flag(pytester: pytest.Pytester, db_dsn: str) -> None:
    pytester.makepyfile("def test_ok(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--model-conformance-dsn={db_dsn}")
    result.assert_outcomes(passed=1)
    assert "model-conformance::" not in result.stdout.str()


def test_importing_the_plugin_loads_nothing_of_ours_but_itself() -> None:
    # Every pytest run where the package is installed imports the plugin: inert, it costs
    # no database layer, no validator, no schema.
    code = (
        "import sys, model_conformance.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('psycopg', 'jsonschema_rs', 'jsonschema', 'orjson', 'model_conformance')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['model_conformance', 'model_conformance.pytest_plugin']"


def test_a_statement_the_database_refuses_mid_scan_is_one_clear_error(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 40, seeds=())
    db_conn.commit()
    db_conn.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")  # the row rules wait
    try:
        result = run(pytester, make_conninfo(db_dsn, options="-c lock_timeout=200"))
    finally:
        db_conn.rollback()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --model-conformance: PostgreSQL refused the request: *lock timeout*"]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output


def test_a_registry_a_conftest_names_is_the_one_scanned(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scan started before the conftest loaded aimed elsewhere: it is replaced.
    build_registry(db_conn, 10, seeds=())
    db_conn.commit()
    monkeypatch.setenv("MODEL_CONFORMANCE_DSN", "postgresql://nobody@127.0.0.1:1/none")
    pytester.makeconftest(f"import os\nos.environ['MODEL_CONFORMANCE_DSN'] = {db_dsn!r}\n")
    result = pytester.runpytest("--model-conformance", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=12)


@pytest.mark.parametrize("flag", ["--help", "--version", "--markers"])
def test_printing_help_starts_no_scan(pytester: pytest.Pytester, flag: str) -> None:
    # A server that accepts connections and never answers: a scan would hang on it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        pytester.runpytest(
            "--model-conformance", f"--model-conformance-dsn=host=127.0.0.1 port={port}", flag
        )
        silent.settimeout(0.5)
        with pytest.raises(TimeoutError):
            silent.accept()


def test_a_clean_registry_passes(pytester: pytest.Pytester, db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 30, seeds=())
    result = run(pytester, db_dsn, "-v")
    result.assert_outcomes(passed=32)  # 30 artifacts + two table-level checks
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*model-conformance::model-0000000 PASSED*",
            "*model-conformance-tables::migrations PASSED*",
            "*model-conformance-tables::version-of-non-model PASSED*",
        ]
    )


def test_each_seeded_violation_fails_exactly_its_item(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, tmp_path: Path
) -> None:
    registry = build_registry(db_conn, 460)
    report = tmp_path / "junit.xml"
    result = run(pytester, db_dsn, f"--junitxml={report}")
    errors = {(a, c) for a, c, _ in registry.per_artifact if c not in WARNING_CODES}
    assert failed_ids(result) == sorted(
        {f"model-conformance::{a}" for a, _ in errors}
        | {"model-conformance-tables::version-of-non-model"}
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failures = junit_failures(report)
    assert sorted(failures) == failed_ids(result)
    found = set().union(*(codes_by_artifact(text) for text in failures.values()))
    assert found == errors
    victim = model_id(20) + "-data"  # a dataset with a model_versions row
    assert failures["model-conformance-tables::version-of-non-model"] == (
        f'MC502 {victim} has a model_versions row but is an artifact of type "dataset"; '
        "only model artifacts have one"
    )
    # one item per model artifact: none for the dataset, one for each of the 460 models
    cases = [case.get("name") for case in ET.parse(report).getroot().iter("testcase")]
    assert victim not in cases
    assert len(cases) == 460 + 2
    assert "Traceback" not in result.stdout.str()


def test_the_marker_selects_and_deselects_the_items(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 20, seeds=())
    pytester.makepyfile("def test_ok(): pass")
    run(pytester, db_dsn, "-m", "not model_conformance").assert_outcomes(passed=1)
    run(pytester, db_dsn, "-m", "model_conformance").assert_outcomes(passed=22)


def test_chunked_mode_reports_the_same_failing_artifacts(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, tmp_path: Path
) -> None:
    registry = build_registry(db_conn, 460)
    per_artifact, chunked = tmp_path / "per-artifact.xml", tmp_path / "chunked.xml"
    run(pytester, db_dsn, f"--junitxml={per_artifact}")
    result = run(
        pytester,
        db_dsn,
        f"--junitxml={chunked}",
        "--model-conformance-chunk-threshold=100",
        "--model-conformance-chunk-size=50",
    )
    # 10 chunks (of 50, the last of 10): 8 hold victims with errors (the ninth only warns);
    # the table-level checks: one fails (MC502), one passes
    result.assert_outcomes(failed=9, passed=3)
    assert model_id(0) + ".." + model_id(49) in result.stdout.str()

    def pairs(path: Path) -> set[tuple[str, str]]:
        return set().union(*(codes_by_artifact(t) for t in junit_failures(path).values()))

    assert pairs(chunked) == pairs(per_artifact)
    assert pairs(chunked) == {(a, c) for a, c, _ in registry.per_artifact if c not in WARNING_CODES}
    assert table_failures(junit_failures(chunked)) == table_failures(junit_failures(per_artifact))


def test_chunks_of_a_registry_too_large_to_list_in_memory_are_the_same(
    pytester: pytest.Pytester,
    db_conn: Conn,
    db_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past LISTED_IN_MEMORY ids the chunks are listed in SQL: the items must not change.
    build_registry(db_conn, 460)
    in_memory, in_sql = tmp_path / "in-memory.xml", tmp_path / "in-sql.xml"
    chunked = ("--model-conformance-chunk-threshold=100", "--model-conformance-chunk-size=50")
    run(pytester, db_dsn, f"--junitxml={in_memory}", *chunked)
    monkeypatch.setattr(pytest_plugin, "LISTED_IN_MEMORY", 0)  # keeps 100 ids: too few
    listed: list[int] = []
    chunks_in_sql = Snapshot.chunks

    def spied(snapshot: Snapshot, size: int) -> list[Chunk]:
        listed.append(size)
        return chunks_in_sql(snapshot, size)

    monkeypatch.setattr(Snapshot, "chunks", spied)
    run(pytester, db_dsn, f"--junitxml={in_sql}", *chunked)
    assert listed == [50]
    assert junit_failures(in_sql) == junit_failures(in_memory)
    assert len(junit_failures(in_sql)) == 9


def test_a_chunk_lists_only_its_own_model_artifacts(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, tmp_path: Path
) -> None:
    build_registry(db_conn, 10, seeds=())
    # Sorting before every model id, a dataset with a version row must not join chunk 0.
    db_conn.execute(
        "INSERT INTO artifacts (id, artifact_type) VALUES ('dataset-adni-merge-2023', 'dataset')"
    )
    db_conn.execute("INSERT INTO model_versions (artifact_id) VALUES ('dataset-adni-merge-2023')")
    db_conn.execute(
        "UPDATE model_versions SET code_commit_sha = 'abc' WHERE artifact_id IN (%s, %s)",
        (model_id(1), model_id(9)),
    )
    db_conn.commit()
    report = tmp_path / "junit.xml"
    args = ("--model-conformance-chunk-threshold=2", "--model-conformance-chunk-size=4")
    run(pytester, db_dsn, f"--junitxml={report}", *args).assert_outcomes(failed=3, passed=2)
    failures = junit_failures(report)
    first = f"model-conformance::{model_id(0)}..{model_id(3)}"
    last = f"model-conformance::{model_id(8)}..{model_id(9)}"
    assert set(failures) == {first, last, "model-conformance-tables::version-of-non-model"}
    assert failures[first].splitlines()[:2] == [
        f"1 of 4 artifacts in {model_id(0)}..{model_id(3)} break rules:",
        f"  {model_id(1)}: MC402",
    ]
    assert failures[last].startswith(f"1 of 2 artifacts in {model_id(8)}..{model_id(9)} break")
    assert "dataset-adni-merge-2023" not in failures[first] + failures[last]


def test_failing_models_held_for_review_say_so(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, tmp_path: Path
) -> None:
    build_registry(db_conn, 10, seeds=())
    db_conn.execute(
        "UPDATE model_versions SET code_commit_sha = 'abc', held_for_review = true,"
        " promotion_notes = 'Held for review by the backfill; a person must decide: (1) sha?'"
        " WHERE artifact_id = %s",
        (model_id(2),),
    )
    db_conn.commit()
    note = "  held for review by the backfill: see model_versions.promotion_notes"
    for args in [(), ("--model-conformance-chunk-threshold=2",)]:
        report = tmp_path / "junit.xml"
        run(pytester, db_dsn, f"--junitxml={report}", *args)
        [text] = junit_failures(report).values()
        lines = text.splitlines()
        head = lines.index(next(line for line in lines if line.lstrip().startswith(model_id(2))))
        assert lines[head + 1].lstrip() == note.lstrip()
        assert lines[head + 2].lstrip().startswith("code_commit_sha: MC402 ")


def test_xdist_reports_what_a_serial_run_reports(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 460)
    serial = run(pytester, db_dsn)
    args = ("--model-conformance", f"--model-conformance-dsn={db_dsn}", "-p", "no:cacheprovider")
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    assert parallel.parseoutcomes() == serial.parseoutcomes()
    assert failed_ids(parallel) == failed_ids(serial)
    assert failed_ids(serial)


def test_check_json_lists_what_the_plugin_reports(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str, tmp_path: Path
) -> None:
    registry = build_registry(db_conn, 460)
    report = tmp_path / "junit.xml"
    run(pytester, db_dsn, f"--junitxml={report}")
    failures = junit_failures(report)
    plugin = set().union(*(codes_by_artifact(t) for t in failures.values()))
    out = CliRunner().invoke(cli, ["check", "--dsn", db_dsn, "--format", "json"])
    assert out.exit_code == 1
    as_json = json.loads(out.output)
    check = {
        (artifact["artifact_id"], violation["code"])
        for artifact in as_json["artifacts"]
        for violation in artifact["violations"]
        if violation["severity"] == "error"
    }
    errors = {(a, c) for a, c, _ in registry.per_artifact if c not in WARNING_CODES}
    assert check == plugin == errors
    failing_checks = {
        (table["check"], finding["code"])
        for table in as_json["table_checks"]
        for finding in table["findings"]
        if not table["passed"]
    }
    assert failing_checks == table_failures(failures) == {("version-of-non-model", "MC502")}
    failing_items = sum(name.startswith("model-conformance::") for name in failures)
    assert as_json["summary"]["failing_artifacts"] == failing_items


def test_a_failing_migration_check_fails_its_own_item(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    db_conn.execute("UPDATE model_conformance_migrations SET checksum = 'x' WHERE version = 1")
    db_conn.commit()
    result = run(pytester, db_dsn)
    assert failed_ids(result) == ["model-conformance-tables::migrations"]
    result.stdout.fnmatch_lines(["*MC521 migration 0001_artifacts.sql was edited*"])


def test_an_unreachable_database_is_one_clear_startup_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--model-conformance: cannot connect to PostgreSQL at 127.0.0.1:1*"]
    )
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_bad_chunk_threshold_is_a_usage_error(pytester: pytest.Pytester, db_dsn: str) -> None:
    result = run(pytester, db_dsn, "--model-conformance-chunk-threshold=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--model-conformance-chunk-threshold must be at least 1*"])


def test_an_unreachable_database_under_xdist_is_one_clear_error_not_no_tests_ran(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    dsn = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    args = ("--model-conformance", f"--model-conformance-dsn={dsn}", "-p", "no:cacheprovider")
    result = pytester.runpytest_subprocess(*args, "-n", "2", f"--junitxml={report}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert "--model-conformance: cannot connect to PostgreSQL at 127.0.0.1:1" in errors[0]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_xdist_workers_collect_one_snapshot_while_a_writer_inserts_models(
    pytester: pytest.Pytester, db_conn: Conn, db_dsn: str
) -> None:
    # Only the controller scans; its workers get its plan. A writer adding models all
    # through start-up can then neither make the workers disagree ("Different tests were
    # collected") nor mix snapshots in one report.
    build_registry(db_conn, 50, seeds=())
    db_conn.commit()
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        with psycopg.connect(db_dsn, autocommit=True) as conn:
            while not stop.is_set():
                artifact = f"zz-late-{len(written):05d}"
                # One transaction per model, as a real registration writes it: a snapshot
                # sees the artifact and its version row together, or neither.
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO artifacts (id, artifact_type, metadata)"
                        " SELECT %s, 'model', metadata FROM artifacts WHERE id = %s",
                        (artifact, model_id(0)),
                    )
                    conn.execute(
                        "INSERT INTO model_versions (artifact_id, promotion_state)"
                        " SELECT %s, promotion_state FROM model_versions"
                        " WHERE artifact_id = %s",
                        (artifact, model_id(0)),
                    )
                written.append(artifact)
                time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        args = ("--model-conformance", f"--model-conformance-dsn={db_dsn}")
        result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", "-n", "2")
    finally:
        stop.set()
        thread.join()
    assert written  # the writer really wrote during the run
    assert "Different tests were collected" not in result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.OK
    outcomes = result.parseoutcomes()
    # 50 models, the late ones the snapshot saw, and the two table checks: all passed.
    assert 52 <= outcomes["passed"] <= 52 + len(written)
    assert set(outcomes) == {"passed"}


def test_a_bad_dsn_parameter_is_a_usage_error_not_an_internal_error(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, "postgresql://bob:hunter2@127.0.0.1:1/x?connect_timeout=abc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--model-conformance: *bad value for connect_timeout*"])
    assert "hunter2" not in result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
