"""The scan's promotion-lifecycle rules (MC530-MC533), each one set-based query.

They read `promotion_events` (migration 0005); on a registry without it they report
nothing, and the migration check says what is pending.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from psycopg import Connection

from model_conformance.codes import violation
from model_conformance.lifecycle.gates import (
    BUILTIN,
    GateContext,
    GateResult,
)
from model_conformance.lifecycle.versions import Version
from model_conformance.promotion import PromotionState
from model_conformance.validator import default_validator
from model_conformance.violations import Row, Violation, as_json


def _has_history(conn: Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass('promotion_events') IS NOT NULL").fetchone()
    return bool(row and row[0])


# MC530: the last event per artifact, by a sort of the events (one pass), against the row;
# a version with no history is a candidate registered before its history began.
HISTORY_QUERY = """
WITH last AS (
    SELECT DISTINCT ON (artifact_id) artifact_id, to_state, action
    FROM promotion_events ORDER BY artifact_id, seq DESC)
SELECT mv.artifact_id, mv.promotion_state, last.to_state, last.action
FROM model_versions mv
JOIN artifacts a ON a.id = mv.artifact_id AND a.artifact_type = 'model'
LEFT JOIN last ON last.artifact_id = mv.artifact_id
WHERE mv.promotion_state IS DISTINCT FROM coalesce(last.to_state, 'candidate')"""


def history_findings(conn: Connection[Any]) -> Iterator[Violation]:
    if not _has_history(conn):
        return
    for artifact_id, state, last_state, action in conn.execute(HISTORY_QUERY):
        said = (
            f"its last event ({action}) says {last_state}"
            if last_state is not None
            else "it has no history, which makes it a candidate"
        )
        message = f"promotion_state is {state}, but {said}"
        yield violation("MC530", message, where=Row(artifact_id, "promotion_state"))


# MC531: lines with more than one promoted version (the partial unique index forbids it;
# this finds registries where it was dropped or bypassed).
CHAMPIONS_QUERY = """
SELECT mv.line_id, array_agg(mv.artifact_id ORDER BY mv.artifact_id)
FROM model_versions mv JOIN artifacts a ON a.id = mv.artifact_id AND a.artifact_type = 'model'
WHERE mv.promotion_state = 'promoted'
GROUP BY mv.line_id HAVING count(*) > 1"""


def champion_findings(conn: Connection[Any]) -> Iterator[Violation]:
    if not _has_history(conn):
        return
    for line_id, champions in conn.execute(CHAMPIONS_QUERY):
        for artifact_id in champions:
            others = ", ".join(c for c in champions if c != artifact_id)
            message = (
                f"line {as_json(line_id)} has {len(champions)} promoted versions; "
                f"this one and {others}"
            )
            yield violation("MC531", message, where=Row(artifact_id, "promotion_state"))


# MC532: the event that made each champion promoted, when it waived a failing gate.
WAIVED_QUERY = """
SELECT mv.artifact_id, e.actor, e.reason,
       (SELECT string_agg(g ->> 'name', ', ' ORDER BY g ->> 'name')
        FROM jsonb_array_elements(e.gate_results) g WHERE (g ->> 'waived')::boolean)
FROM model_versions mv
JOIN artifacts a ON a.id = mv.artifact_id AND a.artifact_type = 'model'
CROSS JOIN LATERAL (
    SELECT p.actor, p.reason, p.gate_results FROM promotion_events p
    WHERE p.artifact_id = mv.artifact_id ORDER BY p.seq DESC LIMIT 1) e
WHERE mv.promotion_state = 'promoted'
  AND jsonb_typeof(e.gate_results) = 'array'
  AND jsonb_path_exists(e.gate_results, '$[*] ? (@.waived == true)')"""


def waived_findings(conn: Connection[Any]) -> Iterator[Violation]:
    if not _has_history(conn):
        return
    for artifact_id, actor, reason, gates in conn.execute(WAIVED_QUERY):
        message = f"promoted with gate(s) {gates} waived by {as_json(actor)}: {as_json(reason)}"
        yield violation("MC532", message, where=Row(artifact_id, "promotion_state"))


# MC533: champions that may fail a cheap gate now; the gates themselves judge the few rows
# this lets through, so the scan and `promote` say the same thing in the same words.
_SQL_GATES = ("metrics-present", "eval-dataset-registered", "code-pinned", "source-pinned")
FAILING_GATES_QUERY = """
SELECT mv.artifact_id, mv.line_id, mv.promotion_state, coalesce(mv.is_external, false),
       mv.external_source_url, mv.external_source_version, mv.code_repo_url,
       mv.code_commit_sha, mv.code_entrypoint, mv.eval_metrics_json,
       mv.eval_dataset_artifact_id, a.artifact_type,
       jsonb_build_object('evaluation_metrics', a.metadata -> 'evaluation_metrics'),
       (SELECT d.artifact_type FROM artifacts d WHERE d.id = mv.eval_dataset_artifact_id)
FROM model_versions mv JOIN artifacts a ON a.id = mv.artifact_id AND a.artifact_type = 'model'
WHERE mv.promotion_state = 'promoted' AND (
    coalesce(mv.eval_metrics_json, '{}'::jsonb) = '{}'::jsonb
    OR mv.eval_dataset_artifact_id IS NULL
    OR (SELECT d.artifact_type FROM artifacts d WHERE d.id = mv.eval_dataset_artifact_id)
        IS DISTINCT FROM 'dataset'
    OR (NOT coalesce(mv.is_external, false) AND (
        btrim(coalesce(mv.code_repo_url, '')) = '' OR btrim(coalesce(mv.code_entrypoint, '')) = ''
        OR octet_length(mv.code_commit_sha) IS DISTINCT FROM 40
        OR mv.code_commit_sha ~ '[^0-9a-fA-F]'))
    OR (mv.is_external AND (btrim(coalesce(mv.external_source_url, '')) = ''
        OR coalesce(mv.external_source_version, '') !~ '^[0-9a-f]{40}$')))"""


def failing_gate_findings(conn: Connection[Any]) -> Iterator[Violation]:
    if not _has_history(conn):
        return
    validator = default_validator()  # not used by these gates; the context wants one
    for row in conn.execute(FAILING_GATES_QUERY):
        values = list(row)
        values[2] = PromotionState(values[2])
        version = Version(*values)
        context = GateContext(conn, version, None, validator)
        failed = [r for r in (BUILTIN[name](context) for name in _SQL_GATES) if not r.passed]
        if failed:
            yield failing_gates_finding(version.artifact_id, "promotion_state", failed)


def failing_gates_finding(artifact_id: str, column: str, failed: list[GateResult]) -> Violation:
    listed = "; ".join(f"{r.name}: {r.detail}" for r in failed)
    message = f"promoted, but fails gate(s) now: {listed}"
    return violation("MC533", message, where=Row(artifact_id, column))


LIFECYCLE_RULES = (history_findings, champion_findings, waived_findings, failing_gate_findings)

# MC533 for the metadata-valid gate: the metadata pass already judged every model; of the
# artifacts it found errors in, these are promoted.
PROMOTED_AMONG = """
SELECT artifact_id FROM model_versions
WHERE artifact_id = ANY(%s) AND promotion_state = 'promoted'"""


def metadata_gate_findings(conn: Connection[Any], findings: list[Violation]) -> list[Violation]:
    """MC533 for the champions among the artifacts whose metadata the scan found invalid."""
    first: dict[str, Violation] = {}
    for finding in findings:
        where = finding.where
        if isinstance(where, Row) and where.column == "metadata" and finding.is_error:
            first.setdefault(finding.artifact_id, finding)
    if not first:
        return []
    rows = conn.execute(PROMOTED_AMONG, (sorted(first),)).fetchall()
    return [
        failing_gates_finding(
            artifact_id,
            "metadata",
            [GateResult("metadata-valid", False, str(first[artifact_id]))],
        )
        for (artifact_id,) in rows
    ]
