"""Which gates a promotion passes: `[tool.model_conformance.gates]` in the nearest
pyproject.toml (found by lint's loader), or a TOML file given with `--gates` whose top level
has the same keys. Every built-in gate is on unless `disable` names it.

    [tool.model_conformance.gates]
    disable = ["no-open-errors"]
    [[tool.model_conformance.gates.metric]]
    metric = "macro_f1"
    comparator = ">="
    threshold = 0.80        # absolute; optional
    min_change = 0.01       # against the line's champion on the same dataset; optional

Any other key, or a value of the wrong type, is an error (MC707), never silently ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_conformance.lifecycle.errors import GatesConfigInvalid
from model_conformance.lint.config import LintConfigError, _tool_table, find_pyproject

BUILTIN_GATES: tuple[str, ...] = (
    "metadata-valid",
    "metrics-present",
    "eval-dataset-registered",
    "no-open-errors",
    "code-pinned",
    "source-pinned",
)
COMPARATORS = (">=", "<=")
_TABLE_KEYS = ("disable", "metric")
_METRIC_KEYS = ("name", "metric", "comparator", "threshold", "min_change")


@dataclass(frozen=True, slots=True)
class MetricGate:
    """`metric` compared with `comparator` to `threshold`, and/or to the champion's value
    moved by `min_change` in the good direction (up for >=, down for <=)."""

    metric: str
    comparator: str = ">="
    threshold: float | None = None
    min_change: float | None = None
    name: str = ""

    @property
    def gate_name(self) -> str:
        return self.name or f"metric:{self.metric}"


@dataclass(frozen=True, slots=True)
class GateConfig:
    disabled: frozenset[str] = frozenset()
    metrics: tuple[MetricGate, ...] = ()
    source: str | None = None  # where the settings came from, for messages

    @property
    def builtin(self) -> tuple[str, ...]:
        return tuple(name for name in BUILTIN_GATES if name not in self.disabled)

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.builtin, *(gate.gate_name for gate in self.metrics))


def load_gates(path: Path | None = None, *, start: Path | None = None) -> GateConfig:
    """The gates of `path` (a --gates file), else of the nearest pyproject.toml at or above
    `start` (the current directory), else the built-in gates alone."""
    if path is not None:
        return parse_gates(_read_toml(path), str(path))
    try:
        pyproject = find_pyproject(start or Path.cwd())
        if pyproject is None:
            return GateConfig()
        table = _tool_table(pyproject)["model_conformance"]
    except LintConfigError as exc:
        raise GatesConfigInvalid(str(exc)) from None
    if not isinstance(table, dict) or "gates" not in table:
        return GateConfig(source=str(pyproject))
    return parse_gates(table["gates"], f"{pyproject}: [tool.model_conformance.gates]")


def parse_gates(table: Any, where: str) -> GateConfig:
    if not isinstance(table, dict):
        raise GatesConfigInvalid(f"{where} must be a table")
    _only_known(table, _TABLE_KEYS, where)
    disable = table.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(n, str) for n in disable):
        raise GatesConfigInvalid(f"{where} `disable` must be a list of gate names")
    for name in disable:
        if name not in BUILTIN_GATES:
            raise GatesConfigInvalid(
                f"{where} `disable` names {name!r}, which is no built-in gate; the built-in "
                "gates are " + ", ".join(BUILTIN_GATES)
            )
    metrics = table.get("metric", [])
    if not isinstance(metrics, list):
        raise GatesConfigInvalid(f"{where} `metric` must be an array of tables ([[...metric]])")
    gates = tuple(_metric_gate(item, f"{where} metric #{n}") for n, item in enumerate(metrics, 1))
    names = [gate.gate_name for gate in gates]
    for name in names:
        if names.count(name) > 1 or name in BUILTIN_GATES:
            raise GatesConfigInvalid(f"{where}: two gates are named {name!r}; give each a `name`")
    return GateConfig(frozenset(disable), gates, where)


def _metric_gate(item: Any, where: str) -> MetricGate:
    if not isinstance(item, dict):
        raise GatesConfigInvalid(f"{where} must be a table")
    _only_known(item, _METRIC_KEYS, where)
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        raise GatesConfigInvalid(f"{where} needs `metric`, the name of an evaluation metric")
    comparator = item.get("comparator", ">=")
    if comparator not in COMPARATORS:
        raise GatesConfigInvalid(f'{where} `comparator` must be ">=" or "<="')
    threshold = _number(item, "threshold", where)
    min_change = _number(item, "min_change", where)
    if threshold is None and min_change is None:
        raise GatesConfigInvalid(f"{where} needs `threshold`, `min_change` or both")
    name = item.get("name", "")
    if not isinstance(name, str):
        raise GatesConfigInvalid(f"{where} `name` must be a string")
    return MetricGate(metric, comparator, threshold, min_change, name.strip())


def _number(item: dict[str, Any], key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GatesConfigInvalid(f"{where} `{key}` must be a finite number")
    return float(value)


def _only_known(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            raise GatesConfigInvalid(
                f"{where} has an unknown key `{key}`; the known keys are "
                + ", ".join(f"`{k}`" for k in known)
            )


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise GatesConfigInvalid(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GatesConfigInvalid(f"{path} is not valid TOML: {exc}") from None
