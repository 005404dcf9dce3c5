"""The promotion gates: each a name and a verdict with what it compared, stored in the event.

Built-in gates (docs/lifecycle.md): the metadata validates under the current schema; the
evaluation metrics are not empty; the evaluation dataset is a registered `dataset`
artifact; no error-severity finding of the scan's row rules is open on the version; an
internal model has a full code pin; an external model has a pinned source version.
Metric gates compare one metric with a threshold and/or with the line's champion.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg.rows import TupleRow, dict_row

from model_conformance.lifecycle.config import GateConfig, MetricGate
from model_conformance.lifecycle.versions import Version
from model_conformance.rules import unpinned_external_version
from model_conformance.validator import MetadataValidator
from model_conformance.version_rules import is_full_commit_sha
from model_conformance.violations import as_json

Conn = psycopg.Connection[TupleRow]


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate's verdict. `value`, `threshold`, `champion_value` and `champion_id` say what
    a metric gate compared; `waived` is true when it failed and a waiver let it pass."""

    name: str
    passed: bool
    detail: str
    waived: bool = False
    value: float | None = None
    threshold: float | None = None
    champion_value: float | None = None
    champion_id: str | None = None

    @property
    def blocking(self) -> bool:
        return not self.passed and not self.waived

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"name": self.name, "passed": self.passed, "detail": self.detail}
        found["waived"] = self.waived
        for key in ("value", "threshold", "champion_value", "champion_id"):
            found[key] = getattr(self, key)
        return found


@dataclass(frozen=True, slots=True)
class GateContext:
    conn: Conn
    version: Version
    champion: Version | None
    validator: MetadataValidator


def _metadata_valid(ctx: GateContext) -> GateResult:
    errors = [v for v in ctx.validator.validate(ctx.version.metadata) if v.is_error]
    if not errors:
        return GateResult("metadata-valid", True, "the metadata is valid under the schema")
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return GateResult(
        "metadata-valid", False, f"{first.code} at {first.path}: {first.message}{more}"
    )


def _metrics_present(ctx: GateContext) -> GateResult:
    metrics = ctx.version.metrics
    if metrics:
        return GateResult("metrics-present", True, f"{len(metrics)} evaluation metric(s)")
    return GateResult("metrics-present", False, "no evaluation metrics are recorded")


def _eval_dataset_registered(ctx: GateContext) -> GateResult:
    version = ctx.version
    name = "eval-dataset-registered"
    if version.eval_dataset_id is None:
        return GateResult(name, False, "eval_dataset_artifact_id is empty")
    if version.eval_dataset_type != "dataset":
        found = "does not exist" if version.eval_dataset_type is None else "is no dataset"
        return GateResult(name, False, f"{as_json(version.eval_dataset_id)} {found}")
    return GateResult(name, True, f"evaluated on dataset {as_json(version.eval_dataset_id)}")


_ALL_DATASETS = (
    "WITH datasets AS MATERIALIZED (SELECT id FROM artifacts WHERE artifact_type = 'dataset')"
)
# For one row, the one dataset it names: a look-up by key, not a read of every artifact.
_ITS_DATASET = (
    "WITH datasets AS (SELECT d.id FROM artifacts d"
    " WHERE d.id = %(dataset)s AND d.artifact_type = 'dataset')"
)


def one_row_query(row_query: str) -> bytes:
    """The scan's row-rule query (`scan.sql_rules.ROW_QUERY`) for the one artifact `%(id)s`."""
    if _ALL_DATASETS not in row_query or "%" in row_query:
        raise ValueError("the scan's row query changed shape; update lifecycle.gates")
    return (row_query.replace(_ALL_DATASETS, _ITS_DATASET) + " AND a.id = %(id)s").encode()


def _no_open_errors(ctx: GateContext) -> GateResult:
    # Imported here: the scan's lifecycle rules import this module.
    from model_conformance.scan.sql_rules import ROW_QUERY, ROW_RULES

    params = {"id": ctx.version.artifact_id, "dataset": ctx.version.eval_dataset_id}
    with ctx.conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(one_row_query(ROW_QUERY), params).fetchone()
    codes = sorted({r.code for i, r in enumerate(ROW_RULES) if row and row[f"rule_{i}"]})
    if not codes:
        return GateResult("no-open-errors", True, "no scan rule finds an error in the row")
    return GateResult("no-open-errors", False, "open scan findings: " + ", ".join(codes))


def _code_pinned(ctx: GateContext) -> GateResult:
    version = ctx.version
    if version.is_external:
        return GateResult("code-pinned", True, "external model: no code pin needed")
    missing = [
        column
        for column, value in (
            ("code_repo_url", version.code_repo_url),
            ("code_entrypoint", version.code_entrypoint),
        )
        if value is None or not value.strip()
    ]
    if not is_full_commit_sha(version.code_commit_sha):
        missing.append("code_commit_sha (a full 40-hex commit)")
    if missing:
        return GateResult("code-pinned", False, "the code pin lacks " + ", ".join(missing))
    return _verified_pin(ctx) or GateResult(
        "code-pinned", True, f"pinned at {version.code_commit_sha}"
    )


_PINS_IN_USE = """SELECT to_regclass('code_pin_checks') IS NOT NULL
    AND EXISTS (SELECT 1 FROM code_pin_checks)"""
_RUN = "run `model-conformance verify-pins`"


def _verified_pin(ctx: GateContext) -> GateResult | None:
    """Where the registry verifies code pins (`verify-pins` has recorded a verdict), the pin
    must be proven: the latest verdict a pass, for the URL, commit and entrypoint stored now.
    None where it does not (the pin's shape is then all there is to judge)."""
    in_use = ctx.conn.execute(_PINS_IN_USE).fetchone()
    if not in_use or not in_use[0]:
        return None
    from model_conformance.pins.record import latest_checks  # only where pins are verified

    version = ctx.version
    check = latest_checks(ctx.conn, [version.artifact_id]).get(version.artifact_id)
    if check is None:
        return GateResult("code-pinned", False, f"the code pin was never verified; {_RUN}")
    if not check.current:
        detail = f"the latest verdict is for another URL, commit or entrypoint; {_RUN}"
        return GateResult("code-pinned", False, detail)
    if not check.proven:
        detail = f"the code pin's latest verification: {check.outcome.value} ({check.code}: "
        return GateResult("code-pinned", False, f"{detail}{check.detail})")
    when = check.checked_at.isoformat(timespec="seconds")
    return GateResult("code-pinned", True, f"pinned at {version.code_commit_sha}, verified {when}")


def _source_pinned(ctx: GateContext) -> GateResult:
    version = ctx.version
    if not version.is_external:
        return GateResult("source-pinned", True, "internal model: no external source")
    pinned = version.external_source_version
    if not version.external_source_url or not pinned or not pinned.strip():
        return GateResult(
            "source-pinned", False, "external_source_url or external_source_version is empty"
        )
    doc = {
        "is_external": True,
        "external_source_url": version.external_source_url,
        "external_source_version": pinned,
    }
    problems = unpinned_external_version(doc, frozenset())
    if problems:
        return GateResult("source-pinned", False, problems[0].message)
    return GateResult("source-pinned", True, f"pinned at {as_json(pinned)}")


BUILTIN: dict[str, Callable[[GateContext], GateResult]] = {
    "metadata-valid": _metadata_valid,
    "metrics-present": _metrics_present,
    "eval-dataset-registered": _eval_dataset_registered,
    "no-open-errors": _no_open_errors,
    "code-pinned": _code_pinned,
    "source-pinned": _source_pinned,
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def metric_gate(gate: MetricGate, ctx: GateContext) -> GateResult:
    """`gate` judged on the version's metrics and, for `min_change`, the champion's on the
    same evaluation dataset. A champion without the metric (or on another dataset, or no
    champion) sets no bar: there is nothing to beat, and the result says so."""
    name = gate.gate_name
    better: Callable[[float, float], bool] = (
        (lambda a, b: a >= b) if gate.comparator == ">=" else (lambda a, b: a <= b)
    )
    value = _number(ctx.version.metrics.get(gate.metric))
    champion = ctx.champion
    comparable = champion is not None and champion.eval_dataset_id == ctx.version.eval_dataset_id
    champion_value = _number(champion.metrics.get(gate.metric)) if champion and comparable else None
    champion_id = champion.artifact_id if champion is not None else None
    bars: list[tuple[float, str]] = []
    if gate.threshold is not None:
        bars.append((gate.threshold, f"{gate.comparator} {gate.threshold:g}"))
    if gate.min_change is not None and champion_value is not None:
        step = gate.min_change if gate.comparator == ">=" else -gate.min_change
        bars.append(
            (
                champion_value + step,
                f"{gate.comparator} champion {champion_id}'s {champion_value:g} "
                f"{'+' if step >= 0 else '-'} {abs(step):g}",
            )
        )
    # the strictest bar is the threshold recorded
    threshold = None
    if bars:
        pick = max if gate.comparator == ">=" else min
        threshold = pick(bar for bar, _ in bars)
    base = GateResult(name, False, "", False, value, threshold, champion_value, champion_id)
    if value is None:
        return replace(base, detail=f"no finite {gate.metric} is recorded")
    failed = [text for bar, text in bars if not better(value, bar)]
    if failed:
        return replace(base, detail=f"{gate.metric} = {value:g}, not " + " and not ".join(failed))
    met = " and ".join(text for _, text in bars) or "no bar set"
    if gate.min_change is not None and champion_value is None:
        met += "; " + _no_bar(champion, comparable, gate.metric)
    return replace(base, passed=True, detail=f"{gate.metric} = {value:g}, {met}")


def _no_bar(champion: Version | None, comparable: bool, metric: str) -> str:
    if champion is None:
        return "the line has no champion to compare with"
    if not comparable:
        return f"champion {champion.artifact_id} was evaluated on another dataset"
    return f"champion {champion.artifact_id} has no {metric}"


def evaluate(config: GateConfig, ctx: GateContext, waive: frozenset[str]) -> list[GateResult]:
    """Every gate of `config`, in order; a failing gate named in `waive` is marked waived."""
    results = [BUILTIN[name](ctx) for name in config.builtin]
    results += [metric_gate(gate, ctx) for gate in config.metrics]
    return [
        replace(result, waived=True) if not result.passed and result.name in waive else result
        for result in results
    ]
