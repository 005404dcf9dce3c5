"""Map a legacy, free-form model metadata blob onto the schema, without guessing.

Each target key has a documented list of legacy spellings (docs/backfill.md). A value is
taken only when the legacy blob states it; when two spellings disagree, or nothing states
a required answer, the mapping records a *question* for a person instead of choosing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from model_conformance.version_rules import is_full_commit_sha
from model_conformance.violations import as_json

# target key -> legacy paths that may hold it, in order of preference ("a.b" is nested).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "model_family": (
        "model_family",
        "family",
        "architecture",
        "model_type",
        "algorithm",
        "method",
        "type",
    ),
    "framework": ("framework", "library", "package", "implementation", "tool"),
    "parameter_count": (
        "parameter_count",
        "n_params",
        "num_parameters",
        "n_parameters",
        "parameters",
        "params",
        "coefficients",
    ),
    "training_data": (
        "training_data",
        "training_datasets",
        "trained_on",
        "train_set",
        "datasets.train",
        "fit_to",
        "calibration_data",
        "inputs",
    ),
    "evaluation_dataset": (
        "evaluation_dataset",
        "eval_dataset",
        "evaluated_on",
        "holdout",
        "datasets.test",
        "eval.dataset",
        "evaluation.dataset",
        "validation.dataset",
    ),
    "evaluation_metrics": (
        "evaluation_metrics",
        "eval_metrics",
        "metrics",
        "performance",
        "scores",
        "evaluation.metrics",
        "eval",
        "validation",
    ),
    "training_config": (
        "training_config",
        "config",
        "hyperparameters",
        "training",
        "regularization",
        "rules",
    ),
    "benchmark_id": ("benchmark_id", "benchmark"),
    "base_model_id": ("base_model_id", "base_model", "finetuned_from"),
    "is_external": ("is_external",),
    "external_source_url": ("external_source_url", "hf_repo", "source_url"),
    "external_source_version": ("external_source_version", "revision"),
}

# Keys that describe how a mechanistic model is fitted: gathered into training_config.
PROCEDURE_KEYS = ("solver", "equations", "species")
# Calibration fit statistics describe the training data, not a held-out evaluation.
CALIBRATION_KEYS = ("fit",)
CODE_LINK_KEYS = ("code", "source", "git.repo", "training.code_url", "code_url", "repo")
COMMIT_KEYS = ("git.commit", "training.commit", "commit")
ENTRYPOINT_KEYS = ("entrypoint", "git.entrypoint")
TRAINED_BY_KEYS = ("trained_by", "owner", "author")
GPU_KEYS = ("gpu_allocation_id", "gpu")
STARTED_KEYS = ("training_started_at", "trained.start")
COMPLETED_KEYS = ("training_completed_at", "trained.end")
EXTERNAL_SOURCES = frozenset({"huggingface", "hugging face", "hf", "github", "external"})

_COUNT = re.compile(r"^\s*([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([kKmMbB]?)\s*$")
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9}


@dataclass
class LegacyMapping:
    """What the legacy blob says, in the schema's terms, and what a person must decide."""

    metadata: dict[str, Any] = field(default_factory=dict)
    version: dict[str, Any] = field(default_factory=dict)  # model_versions fields
    sources: dict[str, str] = field(default_factory=dict)  # target -> legacy path(s)
    questions: list[str] = field(default_factory=list)  # why a person must review it
    remarks: list[str] = field(default_factory=list)  # facts the notes should carry
    unsettled: set[str] = field(default_factory=set)  # schema keys a question is about

    def ask(self, question: str, *about: str) -> None:
        self.questions.append(question)
        self.unsettled.update(about)


def map_legacy(blob: dict[str, Any]) -> LegacyMapping:
    mapping = LegacyMapping()
    used: set[str] = set()
    for target in SYNONYMS:
        _take(blob, target, mapping, used)
    _gather_procedure(blob, mapping, used)
    _settle_evaluation(mapping)
    _decide_provenance(blob, mapping, used)
    _find_code_pin(blob, mapping, used)
    _take_version_facts(blob, mapping, used)
    leftovers = {k: v for k, v in blob.items() if k not in used}
    if leftovers:
        mapping.metadata["legacy"] = leftovers
        mapping.sources["legacy"] = ", ".join(sorted(leftovers))
    return mapping


def _get(blob: dict[str, Any], path: str) -> Any:
    node: Any = blob
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _take(blob: dict[str, Any], target: str, mapping: LegacyMapping, used: set[str]) -> None:
    found: list[tuple[str, Any]] = []
    for path in SYNONYMS[target]:
        raw = _get(blob, path)
        if raw is None:
            continue
        value, problem = _NORMALISE.get(target, _as_text)(raw)
        if problem:
            mapping.ask(f"`{path}` is {as_json(raw)}: {problem}", target)
            _use(used, path)
            continue
        if value is None:
            continue  # e.g. a nested block with nothing for this target
        found.append((path, value))
        _use(used, path)
    if not found:
        return
    distinct = {_canonical(v) for _, v in found}
    if target == "training_config":
        merged, clash = _merge_objects(found)
        if clash:
            mapping.ask(clash, target)
            return
        mapping.metadata[target] = merged
    elif len(distinct) > 1:
        said = ", ".join(f"`{p}` = {as_json(v)}" for p, v in found)
        mapping.ask(f"legacy fields disagree on `{target}`: {said}; which is right?", target)
        return
    else:
        mapping.metadata[target] = found[0][1]
    mapping.sources[target] = ", ".join(p for p, _ in found)


def _use(used: set[str], path: str) -> None:
    used.add(path.split(".")[0])


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold().replace("-", "_").replace(" ", "_")
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    return value


def _merge_objects(found: list[tuple[str, Any]]) -> tuple[dict[str, Any], str | None]:
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path, block in found:
        for key, value in block.items():
            if key in merged and merged[key] != value:
                return {}, (
                    f"legacy fields disagree on training_config `{key}`: `{origin[key]}` says "
                    f"{as_json(merged[key])}, `{path}` says {as_json(value)}; which is right?"
                )
            merged[key] = value
            origin[key] = path
    return merged, None


# --- value normalisers: (value or None, problem or None) ---


def _as_text(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, "expected text"
    if isinstance(raw, str) and raw.strip():
        return raw.strip(), None
    if isinstance(raw, int | float):
        return str(raw), None
    return None, "expected text"


def _as_framework(raw: Any) -> tuple[Any, str | None]:
    text, problem = _as_text(raw)
    return (text.lower() if isinstance(text, str) else text), problem


def _as_family(raw: Any) -> tuple[Any, str | None]:
    text, problem = _as_text(raw)
    if isinstance(text, str):
        text = re.sub(r"[\s-]+", "_", text.strip().lower())
    return text, problem


def parse_count(raw: Any) -> tuple[int | None, str | None]:
    """`350K` -> 350000, `12.5M` -> 12500000, `1.5e5` -> 150000, `1,200` -> 1200."""
    if isinstance(raw, bool):
        return None, "a parameter count must be a number"
    if isinstance(raw, int):
        return (raw, None) if raw >= 0 else (None, "a parameter count cannot be negative")
    if isinstance(raw, float):
        if math.isfinite(raw) and raw >= 0 and raw.is_integer():
            return int(raw), None
        return None, "not a whole number of parameters"
    if isinstance(raw, str):
        match = _COUNT.match(raw)
        if match:
            number = float(match.group(1).replace(",", "").replace("_", ""))
            value = number * _UNITS[match.group(2).lower()]
            if value.is_integer():
                return int(value), None
        return None, "not a parameter count this backfill can read (e.g. 350000, 350K, 12.5M)"
    return None, "a parameter count must be a number"


def _as_dataset_list(raw: Any) -> tuple[Any, str | None]:
    items = [raw] if isinstance(raw, str) else raw
    if isinstance(items, list) and items and all(isinstance(i, str) and i.strip() for i in items):
        return [i.strip() for i in items], None
    return None, "expected a dataset id or a list of dataset ids"


def _as_metrics(raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, dict):
        return None, "expected an object of metric name to number"
    metrics: dict[str, float] = {}
    for name, value in raw.items():
        if name == "dataset" or isinstance(value, dict | list):
            continue  # the dataset or a nested block, mapped on its own
        number = _as_number(value)
        if number is None:
            return None, f"metric `{name}` is {as_json(value)}, not a number"
        metrics[re.sub(r"[\s-]+", "_", name.strip()).lower()] = number
    return (metrics or None), None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _as_config(raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, dict):
        return None, "expected an object of training settings"
    settings = {k: v for k, v in raw.items() if f"training.{k}" not in CODE_LINK_KEYS + COMMIT_KEYS}
    return (settings or None), None


def _as_bool(raw: Any) -> tuple[Any, str | None]:
    return (raw, None) if isinstance(raw, bool) else (None, "expected true or false")


_NORMALISE = {
    "model_family": _as_family,
    "framework": _as_framework,
    "parameter_count": parse_count,
    "training_data": _as_dataset_list,
    "evaluation_dataset": _as_text,
    "evaluation_metrics": _as_metrics,
    "training_config": _as_config,
    "is_external": _as_bool,
}


def _gather_procedure(blob: dict[str, Any], mapping: LegacyMapping, used: set[str]) -> None:
    """Mechanistic models state their procedure as loose keys; keep them as training_config."""
    procedure = {k: blob[k] for k in PROCEDURE_KEYS if k in blob}
    calibration = {k: blob[k] for k in CALIBRATION_KEYS if k in blob}
    if calibration:
        procedure["calibration_fit"] = calibration["fit"]
    if not procedure:
        return
    config = mapping.metadata.setdefault("training_config", {})
    clash = sorted(set(config) & set(procedure))
    if clash:
        mapping.ask(
            f"training_config keys {clash} are stated twice; which is right?", "training_config"
        )
        return
    config.update(procedure)
    keys = [k for k in (*PROCEDURE_KEYS, *CALIBRATION_KEYS) if k in blob]
    used.update(keys)
    existing = mapping.sources.get("training_config")
    mapping.sources["training_config"] = ", ".join(filter(None, [existing, *keys]))


def _settle_evaluation(mapping: LegacyMapping) -> None:
    """No evaluation at all is a fact (null dataset, no metrics); half of one is a question."""
    metadata = mapping.metadata
    has_dataset = "evaluation_dataset" in metadata
    has_metrics = "evaluation_metrics" in metadata
    if not has_dataset and not has_metrics:
        metadata["evaluation_dataset"] = None
        metadata["evaluation_metrics"] = {}
    elif not has_dataset:
        mapping.ask(
            "metrics are recorded but no dataset: what were they computed on?",
            "evaluation_dataset",
        )
    elif not has_metrics:
        mapping.ask(
            f"evaluated on {as_json(metadata['evaluation_dataset'])} but no metrics are recorded: "
            "what were the results?",
            "evaluation_metrics",
        )


def _decide_provenance(blob: dict[str, Any], mapping: LegacyMapping, used: set[str]) -> None:
    """External or internal: from `is_external`, a `source` naming a hub, or a hub URL."""
    metadata = mapping.metadata
    source = blob.get("source")
    says_hub = isinstance(source, str) and source.strip().lower() in EXTERNAL_SOURCES
    if says_hub:
        used.add("source")
    has_external_fields = "external_source_url" in metadata or "external_source_version" in metadata
    stated = metadata.get("is_external")
    if stated is False and (says_hub or has_external_fields):
        mapping.ask(
            "the blob says `is_external: false` but also names an external source; is the "
            "model trained here or taken from outside?",
            "is_external",
            "training_config",
        )
        return
    if stated is True or says_hub or has_external_fields:
        metadata["is_external"] = True
        mapping.sources.setdefault("is_external", "source" if says_hub else "external fields")
        if "external_source_url" not in metadata:
            mapping.ask(
                "an external model with no source URL: where does it come from?",
                "external_source_url",
            )
        if "external_source_version" not in metadata:
            mapping.ask(
                "an external model with no pinned revision: which tag or commit was used?",
                "external_source_version",
            )
    elif "training_config" not in metadata:
        mapping.ask(
            "no training configuration in the legacy blob: how was this model trained?",
            "training_config",
        )


def _find_code_pin(blob: dict[str, Any], mapping: LegacyMapping, used: set[str]) -> None:
    """Repository, commit and entrypoint, from wherever the host happened to put them."""
    links = [(p, v) for p in CODE_LINK_KEYS if isinstance(v := _get(blob, p), str)]
    links = [(p, v) for p, v in links if not (p == "source" and v.lower() in EXTERNAL_SOURCES)]
    commits = [(p, v) for p in COMMIT_KEYS if isinstance(v := _get(blob, p), str)]
    entrypoints = [(p, v) for p in ENTRYPOINT_KEYS if isinstance(v := _get(blob, p), str)]
    for path, _ in links + commits + entrypoints:
        _use(used, path)
    repo = ref = path_in_repo = None
    for path, url in links:
        parsed = _parse_code_url(url)
        if parsed is None:
            mapping.questions.append(f"`{path}` is {as_json(url)}, not a repository URL")
            return
        if repo is not None and parsed[0] != repo:
            mapping.questions.append(f"two code repositories are named: {repo} and {parsed[0]}")
            return
        repo, ref, path_in_repo = parsed[0], ref or parsed[1], path_in_repo or parsed[2]
    if repo is None:
        if commits:
            mapping.questions.append("a commit is named but no repository: where is the code?")
        elif mapping.metadata.get("is_external") is not True:
            mapping.remarks.append("no code link in the legacy metadata")
        return
    version = mapping.version
    version["code_repo_url"] = repo
    shas = {c.lower() for _, c in commits} | (
        {ref.lower()} if ref and is_full_commit_sha(ref) else set()
    )
    if len(shas) > 1:
        mapping.questions.append(f"the legacy fields name different commits: {sorted(shas)}")
    elif shas:
        version["code_commit_sha"] = shas.pop()
    elif ref:
        mapping.remarks.append(f"code pinned to tag or branch `{ref}`, no commit SHA recorded")
    if commits and not all(is_full_commit_sha(c) for _, c in commits):
        mapping.questions.append("a commit is not a full 40-character SHA: which commit is it?")
        version.pop("code_commit_sha", None)
    entry = entrypoints[0][1] if entrypoints else path_in_repo
    if entry:
        version["code_entrypoint"] = entry


def _parse_code_url(url: str) -> tuple[str, str | None, str | None] | None:
    """`https://github.com/o/r/blob/<ref>/a/b.py` -> (repo, ref, "a/b.py")."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[1].endswith(".git"):
        segments[1] = segments[1][:-4]
    if len(segments) < 2:
        return None
    repo = f"{parts.scheme}://{parts.hostname}/{segments[0]}/{segments[1]}"
    if len(segments) >= 4 and segments[2] in ("blob", "tree", "commit"):
        rest = "/".join(segments[4:]) or None
        return repo, segments[3], rest
    return repo, None, None


def _take_version_facts(blob: dict[str, Any], mapping: LegacyMapping, used: set[str]) -> None:
    for column, keys in (
        ("trained_by", TRAINED_BY_KEYS),
        ("gpu_allocation_id", GPU_KEYS),
        ("training_started_at", STARTED_KEYS),
        ("training_completed_at", COMPLETED_KEYS),
    ):
        values = [(p, v) for p in keys if isinstance(v := _get(blob, p), str) and v.strip()]
        for path, _ in values:
            _use(used, path)
        if len({v for _, v in values}) > 1:
            mapping.questions.append(f"legacy fields disagree on `{column}`: {values}")
        elif values:
            mapping.version[column] = values[0][1].strip()
