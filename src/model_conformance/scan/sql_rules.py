"""The structural and referential rules, pushed into PostgreSQL as set-based SQL.

Each row rule is a SQL boolean over one joined row (aliases: `a` the model artifact, `mv`
its `model_versions` row, `b` the base-model artifact). All row rules run in ONE query that
scans the join once and returns only rows breaking at least one rule, with one flag per
rule; Python then words the messages, with the very functions registration words them with
(`version_rules`), so a code reads the same on every surface. Rules that are not row-local
(base-model cycles) have their own query, and so has the table-level check for versions of
artifacts that are not models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from model_conformance.codes import ENTRYPOINT_CODES, violation
from model_conformance.rules import unpinned_external_version
from model_conformance.scan.findings import NON_MODEL_CHECK
from model_conformance.scan.lifecycle_rules import LIFECYCLE_RULES
from model_conformance.version_rules import (
    commit_sha_message,
    external_flag_message,
    reference_message,
    self_base_message,
    training_order_message,
)
from model_conformance.violations import (
    Row,
    TableCheck,
    Violation,
    as_json,
    without_credentials,
)

Record = Mapping[str, Any]  # one joined row, by column name

# `metadata.is_external` as a boolean, absent = false (the schema's default), NULL when the
# metadata is not an object or the key has the wrong type (the core reports those).
# (`?` also matches an array's string element or a string scalar: `->` then gives NULL.)
_META_EXTERNAL = """CASE
    WHEN a.metadata ? 'is_external' THEN CASE
        WHEN jsonb_typeof(a.metadata -> 'is_external') = 'boolean'
        THEN (a.metadata -> 'is_external')::boolean END
    WHEN jsonb_typeof(a.metadata) = 'object' THEN false
END"""


def _meta_string(key: str) -> str:
    return f"""CASE WHEN jsonb_typeof(a.metadata -> '{key}') = 'string'
        THEN a.metadata ->> '{key}' END"""


@dataclass(frozen=True, slots=True)
class RowRule:
    code: str
    column: str
    condition: str  # SQL boolean over the joined row; NULL counts as passing
    message: Callable[[Record], str]
    # Rules with the same guard are tested together behind it: a row that fails the guard
    # (most rows) costs one test instead of one per rule. The condition implies the guard.
    guard: str | None = None


def _blank(column: str) -> str:
    return f"({column} IS NULL OR btrim({column}) = '')"


_EXTERNAL = "mv.is_external"
_HAS_BASE = "mv.base_model_id IS NOT NULL"

ROW_RULES: tuple[RowRule, ...] = (
    RowRule(
        "MC501",
        "model_versions",
        "mv.artifact_id IS NULL",
        lambda r: "model artifact has no model_versions row",
    ),
    RowRule(
        "MC409",
        "is_external",
        "mv.artifact_id IS NOT NULL"
        " AND mv.is_external IS DISTINCT FROM coalesce(meta_external, mv.is_external)",
        lambda r: external_flag_message(r["is_external"], r["meta_external"]),
    ),
    RowRule(
        "MC503",
        "external_source_url",
        f"mv.is_external AND {_blank('mv.external_source_url')}",
        lambda r: "external model has no external_source_url",
        guard=_EXTERNAL,
    ),
    RowRule(
        "MC503",
        "external_source_version",
        f"mv.is_external AND {_blank('mv.external_source_version')}",
        lambda r: "external model has no external_source_version",
        guard=_EXTERNAL,
    ),
    RowRule(
        "MC504",
        "external_source_url",
        "mv.is_external AND meta_source_url IS NOT NULL AND btrim(mv.external_source_url) <> ''"
        " AND mv.external_source_url <> meta_source_url",
        lambda r: (
            f"external_source_url {as_json(without_credentials(r['external_source_url']))} "
            f"differs from the metadata's {as_json(without_credentials(r['meta_source_url']))}"
        ),
        guard=_EXTERNAL,
    ),
    RowRule(
        "MC504",
        "external_source_version",
        "mv.is_external AND meta_source_version IS NOT NULL"
        " AND btrim(mv.external_source_version) <> ''"
        " AND mv.external_source_version <> meta_source_version",
        lambda r: (
            f"external_source_version {as_json(r['external_source_version'])} differs "
            f"from the metadata's {as_json(r['meta_source_version'])}"
        ),
        guard=_EXTERNAL,
    ),
    RowRule(
        "MC406",
        "base_model_id",
        "mv.base_model_id IS NOT NULL AND mv.base_model_id <> a.id"
        " AND b.artifact_type IS DISTINCT FROM 'model'",
        lambda r: reference_message("base_model_id", r["base_model_id"], r["base_type"], "model"),
        guard=_HAS_BASE,
    ),
    RowRule(
        "MC407",
        "base_model_id",
        "mv.base_model_id = a.id",
        lambda r: self_base_message(r["artifact_id"]),
        guard=_HAS_BASE,
    ),
    RowRule(
        "MC408",
        "eval_dataset_artifact_id",
        # NOT IN a subquery without correlation: hashed once (datasets are few), then one
        # probe per row; a join costs a look-up per row. `datasets` is read once (see below).
        # (NOT IN an empty set is true even for NULL: hence the first test.)
        "mv.eval_dataset_artifact_id IS NOT NULL"
        " AND mv.eval_dataset_artifact_id NOT IN (SELECT id FROM datasets)",
        lambda r: reference_message(
            "eval_dataset_artifact_id", r["eval_dataset_artifact_id"], r["dataset_type"], "dataset"
        ),
    ),
    RowRule(
        "MC405",
        "training_completed_at",
        "mv.training_completed_at < mv.training_started_at",
        # In UTC, whatever the session's time zone: the same row reads the same everywhere.
        lambda r: training_order_message(
            r["training_started_at"].astimezone(UTC).isoformat(),
            r["training_completed_at"].astimezone(UTC).isoformat(),
        ),
    ),
    RowRule(
        "MC402",
        "code_commit_sha",
        # `not version_rules.is_full_commit_sha` in SQL (a test holds the two together);
        # anchored `!~ '^[0-9a-f]{40}$'` costs seven times more per row than this. Bytes,
        # not characters, are counted (no decoding): a multibyte character is no hex digit.
        "octet_length(mv.code_commit_sha) <> 40 OR mv.code_commit_sha ~ '[^0-9a-fA-F]'",
        lambda r: commit_sha_message(r["code_commit_sha"]),
    ),
    RowRule(
        "MC506",
        "training_params_json",
        "jsonb_typeof(mv.training_params_json) <> 'object'",
        lambda r: f"training_params_json is a JSON {r['params_type']}, not an object",
    ),
    RowRule(
        "MC506",
        "eval_metrics_json",
        "jsonb_typeof(mv.eval_metrics_json) <> 'object'",
        lambda r: f"eval_metrics_json is a JSON {r['metrics_type']}, not an object",
    ),
    RowRule(
        "MC507",
        "eval_metrics_json",
        "mv.promotion_state = 'promoted'"
        " AND (mv.eval_metrics_json IS NULL OR mv.eval_metrics_json = '{}'::jsonb)",
        lambda r: (
            "promoted version has "
            + ("no eval_metrics_json" if r["metrics_type"] is None else "empty eval_metrics_json")
        ),
    ),
    RowRule(
        "MC508",
        "superseded_by",
        # A count, not NOT EXISTS: that the planner may hash over every artifact, while
        # this looks up only the superseded rows' successors.
        "mv.promotion_state = 'superseded' AND (a.superseded_by IS NULL"
        " OR a.superseded_by = a.id"
        " OR (SELECT count(*) FROM artifacts s WHERE s.id = a.superseded_by) = 0)"
        # A retired champion (`model-conformance retire`) has no successor, rightly.
        " AND (SELECT e.action FROM promotion_events e WHERE e.artifact_id = a.id"
        " ORDER BY e.seq DESC LIMIT 1) IS DISTINCT FROM 'retire'",
        lambda r: (
            "superseded version "
            + (
                "does not name its successor in superseded_by"
                if r["superseded_by"] is None
                else f"names {as_json(r['superseded_by'])} as successor, "
                + ("itself" if r["superseded_by"] == r["artifact_id"] else "which does not exist")
            )
        ),
    ),
)

_ROW_QUERY_COLUMNS = f"""
    a.id AS artifact_id,
    mv.is_external,
    {_META_EXTERNAL} AS meta_external,
    mv.external_source_url,
    mv.external_source_version,
    {_meta_string("external_source_url")} AS meta_source_url,
    {_meta_string("external_source_version")} AS meta_source_version,
    mv.base_model_id,
    b.artifact_type AS base_type,
    mv.eval_dataset_artifact_id,
    (SELECT d.artifact_type FROM artifacts d WHERE d.id = mv.eval_dataset_artifact_id)
        AS dataset_type,
    mv.training_started_at,
    mv.training_completed_at,
    mv.code_commit_sha,
    jsonb_typeof(mv.training_params_json) AS params_type,
    jsonb_typeof(mv.eval_metrics_json) AS metrics_type,
    a.superseded_by"""


def _row_query() -> str:
    """One SELECT: the filter tests each guard once and its rules behind it; the flags (one
    per rule, for the messages) are computed only for the rows the filter lets through.

    Conditions reference `meta_*` names; their SQL is substituted in.
    """
    substitutions = {
        "meta_external": f"({_META_EXTERNAL})",
        "meta_source_url": f"({_meta_string('external_source_url')})",
        "meta_source_version": f"({_meta_string('external_source_version')})",
    }

    def expand(condition: str) -> str:
        for name, expression in substitutions.items():
            condition = condition.replace(name, expression)
        return f"({condition})"

    groups: dict[str | None, list[str]] = {}
    for rule in ROW_RULES:
        groups.setdefault(rule.guard, []).append(expand(rule.condition))
    tests = []
    for guard, conditions in groups.items():
        if guard is None:
            tests += conditions
        else:
            tests.append(f"({guard} AND ({' OR '.join(conditions)}))")
    filter_ = "\n    OR ".join(tests)
    flags = ",\n    ".join(
        f"coalesce({expand(rule.condition)}, false) AS rule_{i}" for i, rule in enumerate(ROW_RULES)
    )
    return f"""
WITH datasets AS MATERIALIZED (SELECT id FROM artifacts WHERE artifact_type = 'dataset')
SELECT {_ROW_QUERY_COLUMNS},
    {flags}
FROM artifacts a
LEFT JOIN model_versions mv ON mv.artifact_id = a.id
LEFT JOIN artifacts b ON b.id = mv.base_model_id
WHERE a.artifact_type = 'model' AND ({filter_})"""


ROW_QUERY = _row_query()

# MC502: a model_versions row whose artifact is not a model.
NON_MODEL_QUERY = """
SELECT mv.artifact_id, a.artifact_type
FROM model_versions mv JOIN artifacts a ON a.id = mv.artifact_id
WHERE a.artifact_type <> 'model'"""

# MC505: models on a base-model cycle. A model on a cycle has a base on the cycle and is the
# base of one, so each pruning round keeps only such rows: chains that merely lead somewhere
# melt away (a few rounds clear typical fine-tuning depths), and cycles always survive. The
# walk then follows what is left; CYCLE stops walks that run into a loop they are not part of.
# Self-references are MC407 and not walked. The first round reads the table itself (hash
# joins over it cost less than over a materialised copy), and the few rows found at the end
# look their artifact up by key instead of joining every artifact.
_PRUNING_ROUNDS = 3


def _linked(alias: str) -> str:
    """The row names a base other than itself."""
    return f"{alias}.base_model_id IS NOT NULL AND {alias}.base_model_id <> {alias}.artifact_id"


def _cycle_query(rounds: int = _PRUNING_ROUNDS) -> str:
    if rounds < 1:
        raise ValueError("the first pruning round reads the table: at least one round")
    steps = [
        f"""linked1 AS MATERIALIZED (
    SELECT l.artifact_id, l.base_model_id FROM model_versions l
    WHERE {_linked("l")}
      AND EXISTS (SELECT 1 FROM model_versions x
                  WHERE x.artifact_id = l.base_model_id AND {_linked("x")})
      AND EXISTS (SELECT 1 FROM model_versions y
                  WHERE y.base_model_id = l.artifact_id AND y.artifact_id <> l.artifact_id))"""
    ]
    for n in range(2, rounds + 1):
        steps.append(
            f"""linked{n} AS MATERIALIZED (
    SELECT l.artifact_id, l.base_model_id FROM linked{n - 1} l
    WHERE EXISTS (SELECT 1 FROM linked{n - 1} x WHERE x.artifact_id = l.base_model_id)
      AND EXISTS (SELECT 1 FROM linked{n - 1} y WHERE y.base_model_id = l.artifact_id))"""
        )
    return f"""
WITH RECURSIVE {", ".join(steps)},
walk(start, node, chain) AS (
    SELECT artifact_id, base_model_id, ARRAY[artifact_id, base_model_id] FROM linked{rounds}
    UNION ALL
    SELECT w.start, l.base_model_id, w.chain || l.base_model_id
    FROM walk w JOIN linked{rounds} l ON l.artifact_id = w.node
    WHERE w.node <> w.start
) CYCLE node SET looped USING trail
SELECT w.start, w.chain FROM walk w
WHERE w.node = w.start AND NOT w.looped
  AND (SELECT a.artifact_type FROM artifacts a WHERE a.id = w.start) = 'model'"""


CYCLE_QUERY = _cycle_query()


def row_findings(conn: Connection[Any]) -> Iterator[Violation]:
    """Findings of every row rule, from one pass over the model artifacts."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(ROW_QUERY)
        for row in cur:
            for i, rule in enumerate(ROW_RULES):
                if row[f"rule_{i}"]:
                    where = Row(row["artifact_id"], rule.column)
                    yield violation(rule.code, rule.message(row), where=where)


def non_model_findings(conn: Connection[Any]) -> Iterator[Violation]:
    """MC502, table-level: the artifact is no model, so it has no item or entry of its own."""
    for artifact_id, artifact_type in conn.execute(NON_MODEL_QUERY):
        message = (
            f"{artifact_id} has a model_versions row but is an artifact of type "
            f"{as_json(artifact_type)}; only model artifacts have one"
        )
        yield violation("MC502", message, where=TableCheck(NON_MODEL_CHECK, artifact_id))


def cycle_findings(conn: Connection[Any]) -> Iterator[Violation]:
    for start, chain in conn.execute(CYCLE_QUERY):
        message = "base-model chain loops back to this model: " + " -> ".join(chain)
        yield violation("MC505", message, where=Row(start, "base_model_id"))


# External versions whose pin the core's MC201 rule judges, so the rule is written once.
EXTERNAL_VERSION_QUERY = """
SELECT mv.artifact_id, mv.external_source_url, mv.external_source_version
FROM model_versions mv JOIN artifacts a ON a.id = mv.artifact_id
WHERE a.artifact_type = 'model' AND mv.is_external
  AND btrim(coalesce(mv.external_source_version, '')) <> ''
  AND mv.external_source_version !~ '^[0-9a-f]{40}$'"""


def external_version_findings(conn: Connection[Any]) -> Iterator[Violation]:
    """MC201 on the `model_versions` columns, judged by the core's own rule function."""
    for artifact_id, url, version in conn.execute(EXTERNAL_VERSION_QUERY):
        doc = {"is_external": True, "external_source_url": url, "external_source_version": version}
        for found in unpinned_external_version(doc, frozenset()):
            # Judged on the columns, so the document's pointer names no place here.
            yield found._replace(pointer="", where=Row(artifact_id, "external_source_version"))


# MC540-MC543: what `verify-pins` recorded, read back offline. Only the latest check of each
# artifact counts. Registries that never ran `verify-pins` (no check recorded at all) are
# not told that each of their pins is unverified: the first run opts a registry in.
# (Two statements: a query naming a table that does not exist fails when it is parsed.)
PINS_TABLE_QUERY = "SELECT to_regclass('code_pin_checks') IS NOT NULL"
PINS_IN_USE_QUERY = "SELECT EXISTS (SELECT 1 FROM code_pin_checks)"

CODE_PIN_QUERY = """
SELECT mv.artifact_id, mv.code_repo_url, mv.code_commit_sha, mv.code_entrypoint,
       c.code_repo_url AS checked_url, c.code_commit_sha AS checked_sha,
       c.code_entrypoint AS checked_entrypoint, c.verdict, c.code, c.detail, c.checked_at
FROM model_versions mv
JOIN artifacts a ON a.id = mv.artifact_id
LEFT JOIN LATERAL (
    SELECT * FROM code_pin_checks k WHERE k.artifact_id = mv.artifact_id
    ORDER BY k.id DESC LIMIT 1) c ON true
WHERE a.artifact_type = 'model'
  AND mv.code_repo_url IS NOT NULL AND mv.code_commit_sha IS NOT NULL
  AND (c.verdict IS DISTINCT FROM 'pass'
       OR c.code_repo_url <> mv.code_repo_url
       OR c.code_commit_sha <> mv.code_commit_sha
       OR c.code_entrypoint IS DISTINCT FROM mv.code_entrypoint)"""

_RUN = "run `model-conformance verify-pins`"


def code_pin_findings(conn: Connection[Any]) -> Iterator[Violation]:
    """MC540-MC543 from the latest recorded check of each pinned model version; nothing on
    a registry not migrated to 0006 yet (the migration check reports that)."""
    for query in (PINS_TABLE_QUERY, PINS_IN_USE_QUERY):
        row = conn.execute(query).fetchone()
        if not row or not row[0]:
            return
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(CODE_PIN_QUERY)
        for row in cur:
            yield _code_pin_finding(row)


def _shown(value: object) -> str:
    return as_json(without_credentials(value) if isinstance(value, str) else value)


def _code_pin_finding(row: Record) -> Violation:
    artifact_id, verdict = row["artifact_id"], row["verdict"]
    if verdict is None:
        return violation(
            "MC541",
            f"the code pin was never verified; {_RUN}",
            where=Row(artifact_id, "code_commit_sha"),
        )
    when = row["checked_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for column, now_key, then_key in (
        ("code_commit_sha", "code_commit_sha", "checked_sha"),
        ("code_repo_url", "code_repo_url", "checked_url"),
        ("code_entrypoint", "code_entrypoint", "checked_entrypoint"),
    ):
        if row[now_key] != row[then_key]:
            return violation(
                "MC542",
                f"the latest verdict ({verdict}, {when}) is for {column} "
                f"{_shown(row[then_key])}, but {_shown(row[now_key])} is stored now; {_RUN}",
                where=Row(artifact_id, column),
            )
    if verdict == "fail":
        column = "code_entrypoint" if row["code"] in ENTRYPOINT_CODES else "code_commit_sha"
        return violation(
            "MC540",
            f"code pin failed verification on {when}: {row['code']} {row['detail']}",
            where=Row(artifact_id, column),
        )
    if verdict == "unreachable":
        return violation(
            "MC543",
            f"the pinned commit was on no branch or tag on {when}: {row['detail']}",
            where=Row(artifact_id, "code_commit_sha"),
        )
    return violation(
        "MC541",
        f"the code pin could not be verified on {when} ({row['detail']}); {_RUN}",
        where=Row(artifact_id, "code_commit_sha"),
    )


SqlRules = Callable[[Connection[Any]], Iterator[Violation]]

# Two groups of about equal cost (the row rules; the rest), run on two connections at once.
SQL_GROUPS: tuple[tuple[SqlRules, ...], ...] = (
    (row_findings,),
    (
        cycle_findings,
        external_version_findings,
        non_model_findings,
        code_pin_findings,
        *LIFECYCLE_RULES,
    ),
)


def sql_findings(
    conn: Connection[Any], group: tuple[SqlRules, ...] | None = None
) -> Iterator[Violation]:
    """Findings of the SQL rules of `group`, or of all of them."""
    for rules in (group,) if group is not None else SQL_GROUPS:
        for rule in rules:
            yield from rule(conn)
