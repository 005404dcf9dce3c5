"""Each gate passing, failing and waived; metric gates against the line's champion; the
settings they come from."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.lifecycle.conftest import Conn, Register
from tests.support.lifecycle import OTHER_DATASET, state

from model_conformance.lifecycle import (
    GateConfig,
    GateFailed,
    GateResult,
    MetricGate,
    load_gates,
    promote,
)
from model_conformance.lifecycle.config import BUILTIN_GATES
from model_conformance.lifecycle.errors import GatesConfigInvalid, WaiverInvalid
from model_conformance.lint.config import find_pyproject, load_settings

# SQL that breaks exactly the named gate's condition for version 'm1'.
BREAKERS: dict[str, list[str]] = {
    "metadata-valid": ["UPDATE artifacts SET metadata = metadata - 'framework' WHERE id = 'm1'"],
    "metrics-present": [
        "UPDATE model_versions SET eval_metrics_json = '{}' WHERE artifact_id = 'm1'",
        "UPDATE artifacts SET metadata = metadata - 'evaluation_metrics' WHERE id = 'm1'",
    ],
    "eval-dataset-registered": [
        "UPDATE model_versions SET eval_dataset_artifact_id = NULL WHERE artifact_id = 'm1'"
    ],
    "no-open-errors": [
        "UPDATE model_versions SET training_completed_at = training_started_at - interval '1h'"
        " WHERE artifact_id = 'm1'"
    ],
    "code-pinned": [
        "UPDATE model_versions SET code_commit_sha = 'abc1234' WHERE artifact_id = 'm1'"
    ],
    "source-pinned": [
        "UPDATE model_versions SET is_external = true,"
        " external_source_url = 'https://huggingface.co/org/model', external_source_version ="
        " 'main' WHERE artifact_id = 'm1'"
    ],
}


def _gate(gates: list[GateResult], name: str) -> GateResult:
    [found] = [g for g in gates if g.name == name]
    return found


def test_every_builtin_gate_has_a_breaker() -> None:
    assert sorted(BREAKERS) == sorted(BUILTIN_GATES)


def test_a_valid_version_passes_every_builtin_gate(conn: Conn, register: Register) -> None:
    register("m1")
    result = promote(conn, "m1", reason="check", dry_run=True)
    assert [g.name for g in result.gates] == list(BUILTIN_GATES)
    assert all(g.passed for g in result.gates), [g for g in result.gates if not g.passed]
    assert result.passed
    assert state(conn, "m1") == "candidate"


@pytest.mark.parametrize("gate", sorted(BREAKERS))
def test_each_builtin_gate_fails_and_refuses_the_promotion(
    conn: Conn, register: Register, gate: str
) -> None:
    register("m1")
    for statement in BREAKERS[gate]:
        conn.execute(statement.encode())
    dry = promote(conn, "m1", reason="check", dry_run=True)
    assert not _gate(dry.gates, gate).passed
    with pytest.raises(GateFailed) as excinfo:
        promote(conn, "m1", reason="ship it")
    assert excinfo.value.code == "MC705"
    assert gate in str(excinfo.value)
    assert state(conn, "m1") == "candidate"
    assert conn.execute("SELECT count(*) FROM promotion_events").fetchone() == (1,)


@pytest.mark.parametrize("gate", sorted(BREAKERS))
def test_each_builtin_gate_can_be_waived_and_the_waiver_is_recorded(
    conn: Conn, register: Register, gate: str
) -> None:
    register("m1")
    for statement in BREAKERS[gate]:
        conn.execute(statement.encode())
    failing = [g.name for g in promote(conn, "m1", reason="x", dry_run=True).gates if not g.passed]
    result = promote(conn, "m1", reason="hotfix approved by the board", waive=failing, actor="al")
    assert state(conn, "m1") == "promoted"
    [event] = result.events
    recorded = {g["name"]: g for g in event.gate_results}
    assert recorded[gate]["passed"] is False
    assert recorded[gate]["waived"] is True
    assert {"gate": gate, "reason": "hotfix approved by the board", "actor": "al"} in event.waivers


def test_no_open_errors_runs_the_scan_s_row_rules_for_the_one_row(
    conn: Conn, register: Register
) -> None:
    register("m1")
    register("m2")
    # an evaluation dataset that is a model (MC408) and a short commit (MC402)
    conn.execute(
        "UPDATE model_versions SET eval_dataset_artifact_id = 'm2', code_commit_sha = 'abc'"
        " WHERE artifact_id = 'm1'"
    )
    gate = _gate(promote(conn, "m1", reason="x", dry_run=True).gates, "no-open-errors")
    assert gate.detail == "open scan findings: MC402, MC408"
    assert _gate(promote(conn, "m2", reason="x", dry_run=True).gates, "no-open-errors").passed


def test_a_waiver_for_a_gate_that_does_not_exist_is_refused(conn: Conn, register: Register) -> None:
    register("m1")
    with pytest.raises(WaiverInvalid, match="metadata-vaild") as excinfo:
        promote(conn, "m1", reason="x", waive=["metadata-vaild"])
    assert excinfo.value.code == "MC706"
    assert state(conn, "m1") == "candidate"


F1 = MetricGate("macro_f1", ">=", threshold=0.8, min_change=0.01)


def _metric(conn: Conn, artifact_id: str, gate: MetricGate) -> dict[str, object]:
    result = promote(conn, artifact_id, reason="x", dry_run=True, gates=GateConfig(metrics=(gate,)))
    return _gate(result.gates, gate.gate_name).to_dict()


def test_a_metric_gate_with_only_a_threshold(conn: Conn, register: Register) -> None:
    register("low", metrics={"macro_f1": 0.7})
    register("high", metrics={"macro_f1": 0.85})
    gate = MetricGate("macro_f1", ">=", threshold=0.8)
    assert _metric(conn, "low", gate)["passed"] is False
    passed = _metric(conn, "high", gate)
    assert (passed["passed"], passed["value"], passed["threshold"]) == (True, 0.85, 0.8)


def test_a_metric_gate_against_a_champion_that_has_the_metric(
    conn: Conn, register: Register
) -> None:
    register("v1", metrics={"macro_f1": 0.87})
    register("v2-small-gain", parent="v1", metrics={"macro_f1": 0.875})
    register("v2-real-gain", parent="v1", metrics={"macro_f1": 0.9})
    promote(conn, "v1", reason="first")
    small = _metric(conn, "v2-small-gain", F1)
    assert small["passed"] is False
    assert (small["champion_id"], small["champion_value"]) == ("v1", 0.87)
    assert small["threshold"] == pytest.approx(0.88)
    real = _metric(conn, "v2-real-gain", F1)
    assert real["passed"] is True
    assert real["champion_value"] == 0.87
    # and the values are stored in the event of the real promotion
    result = promote(conn, "v2-real-gain", reason="better", gates=GateConfig(metrics=(F1,)))
    stored = _gate(result.gates, "metric:macro_f1")
    assert (stored.value, stored.champion_id, stored.champion_value) == (0.9, "v1", 0.87)
    row = conn.execute(
        "SELECT gate_results FROM promotion_events WHERE artifact_id = 'v2-real-gain'"
        " ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert row is not None
    assert {"name": "metric:macro_f1", "value": 0.9, "champion_value": 0.87}.items() <= {
        k: v for g in row[0] if g["name"] == "metric:macro_f1" for k, v in g.items()
    }.items()


def test_a_metric_gate_against_a_champion_without_the_metric(
    conn: Conn, register: Register
) -> None:
    register("v1", metrics={"accuracy": 0.9})
    register("v2", parent="v1", metrics={"macro_f1": 0.85})
    promote(conn, "v1", reason="first")
    found = _metric(conn, "v2", F1)
    assert found["passed"] is True  # the threshold holds; there is nothing to beat
    assert (found["champion_id"], found["champion_value"]) == ("v1", None)
    assert "champion v1 has no macro_f1" in str(found["detail"])


def test_a_champion_evaluated_on_another_dataset_sets_no_bar(
    conn: Conn, register: Register
) -> None:
    register("v1", metrics={"macro_f1": 0.95}, dataset=OTHER_DATASET)
    register("v2", parent="v1", metrics={"macro_f1": 0.85})
    promote(conn, "v1", reason="first")
    found = _metric(conn, "v2", F1)
    assert found["passed"] is True
    assert found["champion_value"] is None
    assert "another dataset" in str(found["detail"])


def test_a_lower_is_better_metric(conn: Conn, register: Register) -> None:
    register("v1", metrics={"loss": 0.30})
    register("v2", parent="v1", metrics={"loss": 0.295})
    register("v3", parent="v1", metrics={"loss": 0.25})
    promote(conn, "v1", reason="first")
    gate = MetricGate("loss", "<=", min_change=0.01)
    assert _metric(conn, "v2", gate)["passed"] is False
    assert _metric(conn, "v3", gate)["passed"] is True


def test_a_candidate_without_the_metric_fails_the_gate(conn: Conn, register: Register) -> None:
    register("m1", metrics={"accuracy": 0.9})
    found = _metric(conn, "m1", F1)
    assert found["passed"] is False
    assert "no finite macro_f1" in str(found["detail"])


def test_gates_come_from_pyproject_with_the_lint_loader(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.model_conformance]\n"
        'select = ["MC1"]\n'
        "[tool.model_conformance.gates]\n"
        'disable = ["no-open-errors"]\n'
        "[[tool.model_conformance.gates.metric]]\n"
        'metric = "macro_f1"\n'
        'comparator = ">="\n'
        "min_change = 0.01\n"
    )
    config = load_gates(start=tmp_path)
    assert "no-open-errors" not in config.builtin
    assert config.metrics == (MetricGate("macro_f1", ">=", None, 0.01),)
    # lint reads the same table and accepts the key
    assert load_settings(find_pyproject(tmp_path)).selection.select == ("MC1",)


def test_a_gates_file_replaces_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "gates.toml"
    path.write_text('[[metric]]\nmetric = "auroc"\nthreshold = 0.9\nname = "auroc-floor"\n')
    assert load_gates(path).names == (*BUILTIN_GATES, "auroc-floor")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("disable = 'all'", "`disable` must be a list"),
        ("disable = ['metadata-vaild']", "no built-in gate"),
        ("thresholds = 1", "unknown key `thresholds`"),
        ("[[metric]]\nmetric = 'f1'", "needs `threshold`, `min_change` or both"),
        ("[[metric]]\nmetric = 'f1'\ncomparator = '>'\nthreshold = 1", "comparator"),
        ("[[metric]]\nmetric = 'f1'\nthreshold = 'high'", "finite number"),
        ("[[metric]]\nmetric = 'f1'\nthreshold = nan", "finite number"),
        ("[[metric]]\nthreshold = 1", "needs `metric`"),
        (
            "[[metric]]\nmetric = 'f1'\nthreshold = 1\n[[metric]]\nmetric = 'f1'\nmin_change = 1",
            "two gates",
        ),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_gate_settings_are_one_sentence(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(text)
    with pytest.raises(GatesConfigInvalid, match=words) as excinfo:
        load_gates(path)
    assert excinfo.value.code == "MC707"


def _record(conn: Conn, artifact_id: str, outcome: str, commit: str | None = None) -> None:
    from model_conformance.pins.record import record_verdicts
    from model_conformance.pins.verdict import Pin, PinOutcome, Verdict

    row = conn.execute(
        "SELECT code_repo_url, code_commit_sha, code_entrypoint FROM model_versions"
        " WHERE artifact_id = %s",
        (artifact_id,),
    ).fetchone()
    assert row is not None
    pin = Pin(artifact_id, row[0], commit or row[1], row[2])
    code = None if outcome == "pass" else "MC804"
    record_verdicts(conn, [Verdict(pin, PinOutcome(outcome), code, "train.py is gone")])


def _code_pinned(conn: Conn, artifact_id: str) -> GateResult:
    result = promote(conn, artifact_id, reason="check", dry_run=True)
    [gate] = [g for g in result.gates if g.name == "code-pinned"]
    return gate


def test_the_code_pin_gate_needs_a_passing_verdict_once_pins_are_verified(
    conn: Conn, register: Register
) -> None:
    register("m1")
    register("m2")
    # No verdict anywhere yet: the registry does not verify pins, the pin's shape is judged.
    assert _code_pinned(conn, "m1").passed
    _record(conn, "m2", "pass")  # now it does
    never = _code_pinned(conn, "m1")
    assert not never.passed
    assert "never verified; run `model-conformance verify-pins`" in never.detail
    _record(conn, "m1", "fail")
    failed = _code_pinned(conn, "m1")
    assert not failed.passed
    assert "fail (MC804: train.py is gone)" in failed.detail
    _record(conn, "m1", "pass", commit="f" * 40)  # a verdict about another commit
    assert "another URL, commit or entrypoint" in _code_pinned(conn, "m1").detail
    _record(conn, "m1", "pass")
    proven = _code_pinned(conn, "m1")
    assert proven.passed
    assert ", verified " in proven.detail
