"""Synthetic registries with a known set of seeded violations, built inside PostgreSQL.

Used by `bench/scan.py` (a million rows in seconds: `generate_series`, no row-by-row inserts)
and by the tests (a few hundred rows). Every model is valid except the seeded victims; the
builder returns exactly which (artifact id, code, column) findings a correct scan reports.

Layout, by model index i (ids `model-0000000`, zero-padded so id order is index order):
- i % 20 == 7: an external model (metadata and `model_versions` agree, version pinned);
  every other model is internal with a training_config;
- i % 4 != 0: fine-tuned from model i - 1 (base-model chains three deep);
- i % 20 == 3: promoted with metrics; i % 20 == 11: superseded by model i + 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from model_conformance.scan.findings import NON_MODEL_CHECK, TABLE_CHECKS

# (artifact_id, code, column); for a table-level finding naming an artifact (MC502), the
# third element is the check's name instead of a column.
Expected = tuple[str, str, str]

WARNING_CODES = frozenset({"MC202", "MC532", "MC533", "MC541", "MC543"})  # seeded rules that warn
BLOCK = 20  # victims sit one per block of 20 models, so seeded rows never touch each other
EXTERNAL_OFFSET = 7


def model_id(i: int) -> str:
    return f"model-{i:07d}"


def dataset_id(i: int) -> str:
    return f"dataset-{i:06d}"


def valid_internal_metadata(i: int = 0, datasets: int = 1) -> dict[str, Any]:
    """The metadata document the builder writes for internal model i (valid)."""
    return {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": i * 1000,
        "training_data": [dataset_id(i % datasets)],
        "evaluation_dataset": f"holdout-{i % datasets}",
        "evaluation_metrics": {"auroc": 0.5 + (i % 50) / 100},
        "training_config": {"learning_rate": 0.001, "epochs": 3},
    }


_METADATA_SQL = """
jsonb_build_object(
    'model_family', 'transformer',
    'framework', 'pytorch',
    'parameter_count', i * 1000,
    'training_data', jsonb_build_array('dataset-' || lpad((i %% %(datasets)s)::text, 6, '0')),
    'evaluation_dataset', 'holdout-' || (i %% %(datasets)s),
    -- trim_scale: 0.61 as a client writes it, not numeric division's 0.61000000000000000000
    'evaluation_metrics', jsonb_build_object('auroc', trim_scale(0.5 + (i %% 50) / 100.0))
) || CASE WHEN i %% 20 = 7 THEN jsonb_build_object(
    'is_external', true,
    'external_source_url', 'https://huggingface.co/org/model-' || i,
    'external_source_version', 'v1.' || (i %% 9) || '.0')
ELSE jsonb_build_object('training_config', jsonb_build_object('learning_rate', 0.001, 'epochs', 3))
END"""

_INSERT_DATASETS = """
INSERT INTO artifacts (id, artifact_type, title)
SELECT 'dataset-' || lpad(i::text, 6, '0'), 'dataset', 'dataset ' || i
FROM generate_series(0, %(datasets)s - 1) AS i"""

_INSERT_MODELS = f"""
INSERT INTO artifacts (id, artifact_type, title, metadata, superseded_by)
SELECT 'model-' || lpad(i::text, 7, '0'), 'model', 'model ' || i, {_METADATA_SQL},
       CASE WHEN i %% 20 = 11 AND i + 1 < %(models)s
            THEN 'model-' || lpad((i + 1)::text, 7, '0') END
FROM generate_series(0, %(models)s - 1) AS i"""

# A version inserted in a state other than candidate needs its event first, in the same
# transaction (migration 0005); line_id is given for bulk loads, where no trigger computes it
# (no model has a parent_version_id, so each is its own line).
_INSERT_EVENTS = """
INSERT INTO promotion_events (artifact_id, line_id, seq, action, from_state, to_state, actor,
    reason)
SELECT 'model-' || lpad(i::text, 7, '0'), 'model-' || lpad(i::text, 7, '0'), 1, 'backfill', NULL,
       CASE WHEN i %% 20 = 3 THEN 'promoted' ELSE 'superseded' END, 'synthetic', 'synthetic'
FROM generate_series(0, %(models)s - 1) AS i
WHERE i %% 20 = 3 OR (i %% 20 = 11 AND i + 1 < %(models)s)"""

_INSERT_VERSIONS = """
INSERT INTO model_versions (
    artifact_id, is_external, external_source_url, external_source_version, base_model_id,
    code_repo_url, code_commit_sha, code_entrypoint, training_started_at, training_completed_at,
    trained_by, training_params_json, eval_metrics_json, eval_dataset_artifact_id,
    promotion_state, line_id)
SELECT 'model-' || lpad(i::text, 7, '0'),
       i %% 20 = 7,
       CASE WHEN i %% 20 = 7 THEN 'https://huggingface.co/org/model-' || i END,
       CASE WHEN i %% 20 = 7 THEN 'v1.' || (i %% 9) || '.0' END,
       CASE WHEN i %% 4 <> 0 THEN 'model-' || lpad((i - 1)::text, 7, '0') END,
       'https://git.example.org/models.git',
       md5(i::text) || left(md5((i + 1)::text), 8),
       'train.py',
       timestamptz '2024-01-01' + i * interval '1 minute',
       timestamptz '2024-01-01' + i * interval '1 minute' + interval '2 hours',
       'trainer-' || (i %% 7),
       jsonb_build_object('learning_rate', 0.001),
       jsonb_build_object('auroc', 0.9),
       'dataset-' || lpad((i %% %(datasets)s)::text, 6, '0'),
       CASE WHEN i %% 20 = 3 THEN 'promoted'
            WHEN i %% 20 = 11 AND i + 1 < %(models)s THEN 'superseded' ELSE 'candidate' END,
       'model-' || lpad(i::text, 7, '0')
FROM generate_series(0, %(models)s - 1) AS i"""


@dataclass
class SyntheticRegistry:
    models: int
    datasets: int
    expected: set[Expected] = field(default_factory=set)

    @property
    def per_artifact(self) -> set[Expected]:
        """What the model artifacts' own findings (and pytest items) must show."""
        return {e for e in self.expected if e[2] not in TABLE_CHECKS}

    @property
    def table_level(self) -> set[Expected]:
        """What the table-level checks must show, as (artifact_id, code, check)."""
        return {e for e in self.expected if e[2] in TABLE_CHECKS}

    @property
    def failing_ids(self) -> set[str]:
        """The model artifacts with seeded errors (a warning alone does not fail one)."""
        return {a for a, code, _ in self.per_artifact if code not in WARNING_CODES}


# One seeding per rule: SQL applied to victim model index i, and what it must produce.
# `{m}` is the victim's id, `{m4}` the id of model i + 4 (also chain-free), `{d}` a dataset.
@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    sql: str
    expected: Callable[[int], list[Expected]]
    external: bool = False  # the victim must be an external model


def _event(artifact: str, source: str, target: str) -> str:
    """SQL appending the event that lets `artifact` go from `source` to `target`."""
    return (
        "INSERT INTO promotion_events (artifact_id, action, from_state, to_state, actor, reason)"
        f" VALUES ({artifact}, 'seed', '{source}', '{target}', 'seed', 'seed')"
    )


def _one(code: str, column: str) -> Callable[[int], list[Expected]]:
    return lambda i: [(model_id(i), code, column)]


SEEDS: tuple[Seed, ...] = (
    Seed(
        "no-version-row",
        "DELETE FROM model_versions WHERE artifact_id = {m}",
        _one("MC501", "model_versions"),
    ),
    Seed(
        "version-of-dataset",
        "INSERT INTO artifacts (id, artifact_type) VALUES ({m} || '-data', 'dataset');"
        " INSERT INTO model_versions (artifact_id) VALUES ({m} || '-data')",
        lambda i: [(model_id(i) + "-data", "MC502", NON_MODEL_CHECK)],
    ),
    Seed(
        "flag-mismatch",
        "UPDATE model_versions SET is_external = false WHERE artifact_id = {m}",
        _one("MC409", "is_external"),
        external=True,
    ),
    Seed(
        "no-external-version",
        "UPDATE model_versions SET external_source_version = NULL WHERE artifact_id = {m}",
        _one("MC503", "external_source_version"),
        external=True,
    ),
    Seed(
        "floating-version",
        "UPDATE model_versions SET external_source_version = 'main' WHERE artifact_id = {m};"
        ' UPDATE artifacts SET metadata = metadata || \'{{"external_source_version": "main"}}\''
        " WHERE id = {m}",
        lambda i: [
            (model_id(i), "MC201", "external_source_version"),
            (model_id(i), "MC201", "metadata"),
        ],
        external=True,
    ),
    Seed(
        "source-mismatch",
        "UPDATE model_versions SET external_source_url = 'https://huggingface.co/other/x'"
        " WHERE artifact_id = {m}",
        _one("MC504", "external_source_url"),
        external=True,
    ),
    Seed(
        "base-not-model",
        "UPDATE model_versions SET base_model_id = {d} WHERE artifact_id = {m}",
        _one("MC406", "base_model_id"),
    ),
    Seed(
        "base-self",
        "UPDATE model_versions SET base_model_id = {m} WHERE artifact_id = {m}",
        _one("MC407", "base_model_id"),
    ),
    Seed(
        "base-cycle",
        "UPDATE model_versions SET base_model_id = {m4} WHERE artifact_id = {m};"
        " UPDATE model_versions SET base_model_id = {m} WHERE artifact_id = {m4}",
        lambda i: [
            (model_id(i), "MC505", "base_model_id"),
            (model_id(i + 4), "MC505", "base_model_id"),
        ],
    ),
    Seed(
        "eval-not-dataset",
        "UPDATE model_versions SET eval_dataset_artifact_id = {m4} WHERE artifact_id = {m}",
        _one("MC408", "eval_dataset_artifact_id"),
    ),
    Seed(
        "time-order",
        "UPDATE model_versions SET training_completed_at = training_started_at - interval '1 hour'"
        " WHERE artifact_id = {m}",
        _one("MC405", "training_completed_at"),
    ),
    Seed(
        "short-sha",
        "UPDATE model_versions SET code_commit_sha = 'abc1234' WHERE artifact_id = {m}",
        _one("MC402", "code_commit_sha"),
    ),
    Seed(
        "params-array",
        "UPDATE model_versions SET training_params_json = '[1, 2]' WHERE artifact_id = {m}",
        _one("MC506", "training_params_json"),
    ),
    Seed(
        "promoted-no-metrics",
        _event("{m}", "candidate", "promoted")
        + "; UPDATE model_versions SET promotion_state = 'promoted', eval_metrics_json = '{{}}'"
        " WHERE artifact_id = {m}",
        _one("MC507", "eval_metrics_json"),
    ),
    Seed(
        "superseded-no-successor",
        _event("{m}", "candidate", "promoted")
        + "; UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = {m}; "
        + _event("{m}", "promoted", "superseded")
        + "; UPDATE model_versions SET promotion_state = 'superseded' WHERE artifact_id = {m}",
        _one("MC508", "superseded_by"),
    ),
    Seed(
        "metadata-missing-key",
        "UPDATE artifacts SET metadata = metadata - 'framework' WHERE id = {m}",
        _one("MC101", "metadata"),
    ),
    Seed(
        "metadata-wrong-type",
        "UPDATE artifacts SET metadata = jsonb_set(metadata, '{{parameter_count}}', '\"1.2M\"')"
        " WHERE id = {m}",
        _one("MC102", "metadata"),
    ),
    Seed(
        "metadata-leakage",
        "UPDATE artifacts SET metadata = jsonb_set(metadata, '{{evaluation_dataset}}',"
        " metadata -> 'training_data' -> 0) WHERE id = {m}",
        _one("MC202", "metadata"),
    ),
    Seed(
        "event-not-applied",
        _event("{m}", "candidate", "rejected"),
        _one("MC530", "promotion_state"),
    ),
    Seed(
        "two-champions",
        # Only with the unique index gone and the trigger bypassed (a superuser can do both).
        "SET LOCAL session_replication_role = replica;"
        " DROP INDEX IF EXISTS model_versions_one_champion_per_line;"
        " UPDATE model_versions SET line_id = {m} WHERE artifact_id = {m4};"
        " SET LOCAL session_replication_role = origin; "
        + _event("{m}", "candidate", "promoted")
        + "; UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = {m}; "
        + _event("{m4}", "candidate", "promoted")
        + "; UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = {m4}",
        lambda i: [
            (model_id(i), "MC531", "promotion_state"),
            (model_id(i + 4), "MC531", "promotion_state"),
        ],
    ),
    Seed(
        "waived-gate",
        "INSERT INTO promotion_events (artifact_id, action, from_state, to_state, actor, reason,"
        " gate_results, waivers) VALUES ({m}, 'promote', 'candidate', 'promoted', 'seed', 'seed',"
        ' \'[{{"name": "code-pinned", "passed": false, "waived": true}}]\','
        ' \'[{{"gate": "code-pinned", "reason": "seed"}}]\');'
        " UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = {m}",
        _one("MC532", "promotion_state"),
    ),
    Seed(
        "promoted-failing-gate",
        _event("{m}", "candidate", "promoted")
        + "; UPDATE model_versions SET promotion_state = 'promoted',"
        " eval_dataset_artifact_id = NULL WHERE artifact_id = {m}",
        _one("MC533", "promotion_state"),
    ),
)


# The code-pin rules (MC540-MC543) read what `verify-pins` recorded; they apply to a
# registry built with `verified_pins=True` (every pin's check recorded as a pass first).
def _recorded(verdict: str, code: str, detail: str) -> str:
    return (
        "INSERT INTO code_pin_checks (artifact_id, code_repo_url, code_commit_sha,"
        " code_entrypoint, verdict, code, detail, toolkit_version)"
        f" SELECT artifact_id, code_repo_url, code_commit_sha, code_entrypoint, '{verdict}',"
        f" '{code}', '{detail}', 'test' FROM model_versions WHERE artifact_id = {{m}}"
    )


PIN_SEEDS: tuple[Seed, ...] = (
    Seed(
        "pin-failed",
        _recorded("fail", "MC804", "train.py is not in the commit"),
        _one("MC540", "code_entrypoint"),
    ),
    Seed(
        "pin-never-verified",
        "DELETE FROM code_pin_checks WHERE artifact_id = {m}",
        _one("MC541", "code_commit_sha"),
    ),
    Seed(
        "pin-changed-after-check",
        "UPDATE model_versions SET code_commit_sha = md5({m}) || 'abcdef01'"
        " WHERE artifact_id = {m}",
        _one("MC542", "code_commit_sha"),
    ),
    Seed(
        "pin-unreachable",
        _recorded("unreachable", "MC803", "on no branch or tag"),
        _one("MC543", "code_commit_sha"),
    ),
)

_RECORD_EVERY_PIN = """
INSERT INTO code_pin_checks (artifact_id, code_repo_url, code_commit_sha, code_entrypoint,
                             verdict, code, detail, toolkit_version)
SELECT artifact_id, code_repo_url, code_commit_sha, code_entrypoint, 'pass', NULL,
       'verified', 'test'
FROM model_versions WHERE code_repo_url IS NOT NULL AND code_commit_sha IS NOT NULL"""


def build_registry(
    conn: Connection[Any],
    models: int,
    *,
    per_rule: int = 1,
    seeds: tuple[Seed, ...] = SEEDS,
    datasets: int | None = None,
    bulk: bool = False,
    verified_pins: bool = False,
) -> SyntheticRegistry:
    """Fill an empty, migrated database; commit; return what a scan must find.

    `bulk` skips foreign-key triggers while loading (`session_replication_role = replica`,
    superuser only): the generated references are valid by construction, and per-row
    trigger checks would otherwise dominate a million-row load. `verified_pins` records a
    passing `code_pin_checks` row for every pin before the seeds run (see PIN_SEEDS).
    """
    needed = BLOCK * len(seeds) * per_rule
    if models < needed:
        raise ValueError(f"{len(seeds)} seeds x {per_rule} need at least {needed} models")
    datasets = datasets or max(1, models // 1000)
    params = {"models": models, "datasets": datasets}
    registry = SyntheticRegistry(models, datasets)
    with conn.transaction():
        if bulk:
            conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(_INSERT_DATASETS, params)
        conn.execute(_INSERT_MODELS, params)
        conn.execute(_INSERT_EVENTS, params)
        conn.execute(_INSERT_VERSIONS, params)
        if bulk:
            conn.execute("SET LOCAL session_replication_role = origin")
        if verified_pins:
            conn.execute(_RECORD_EVERY_PIN)
        for r, seed in enumerate(seeds):
            for j in range(per_rule):
                i = BLOCK * (j * len(seeds) + r) + (EXTERNAL_OFFSET if seed.external else 0)
                statement = seed.sql.format(
                    m=_literal(model_id(i)),
                    m4=_literal(model_id(i + 4)),
                    d=_literal(dataset_id(i % datasets)),
                )
                for part in statement.split(";"):
                    conn.execute(part.encode())
                registry.expected.update(seed.expected(i))
        conn.execute("ANALYZE artifacts, model_versions, promotion_events")
    return registry


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
