"""Reading one model version, and its line's champion, for the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from model_conformance.lifecycle.errors import UnknownVersion
from model_conformance.promotion import PromotionState
from model_conformance.violations import as_json

Conn = psycopg.Connection[TupleRow]

_COLUMNS = (
    "artifact_id",
    "line_id",
    "promotion_state",
    "is_external",
    "external_source_url",
    "external_source_version",
    "code_repo_url",
    "code_commit_sha",
    "code_entrypoint",
    "eval_metrics_json",
    "eval_dataset_artifact_id",
)

_SELECT = (
    "SELECT " + ", ".join(f"v.{c}" for c in _COLUMNS) + ", a.artifact_type, a.metadata,"
    " (SELECT d.artifact_type FROM artifacts d WHERE d.id = v.eval_dataset_artifact_id)"
    " FROM model_versions v JOIN artifacts a ON a.id = v.artifact_id"
)


@dataclass(frozen=True, slots=True)
class Version:
    """The columns the gates and the transitions read."""

    artifact_id: str
    line_id: str
    state: PromotionState
    is_external: bool
    external_source_url: str | None
    external_source_version: str | None
    code_repo_url: str | None
    code_commit_sha: str | None
    code_entrypoint: str | None
    eval_metrics: Any
    eval_dataset_id: str | None
    artifact_type: str
    metadata: Any
    eval_dataset_type: str | None

    @property
    def metrics(self) -> dict[str, Any]:
        """The evaluation metrics: `eval_metrics_json`, else the metadata's."""
        if isinstance(self.eval_metrics, dict) and self.eval_metrics:
            return self.eval_metrics
        if isinstance(self.metadata, dict):
            found = self.metadata.get("evaluation_metrics")
            if isinstance(found, dict):
                return found
        return {}


def _version(row: tuple[Any, ...]) -> Version:
    values = list(row)
    values[2] = PromotionState(values[2])
    values[3] = bool(values[3])
    return Version(*values)


def load_version(conn: Conn, artifact_id: str, *, lock: bool = False) -> Version:
    """The version `artifact_id`; `UnknownVersion` when there is none."""
    query = _SELECT + " WHERE v.artifact_id = %s" + (" FOR UPDATE OF v" if lock else "")
    row = conn.execute(query, (artifact_id,)).fetchone()
    if row is None:
        raise UnknownVersion(
            f"{as_json(artifact_id)} is not a registered model version "
            "(no model_versions row has that artifact_id)"
        )
    return _version(row)


def line_champion(conn: Conn, line_id: str, *, lock: bool = False) -> Version | None:
    """The promoted version of `line_id`, if any (the unique index allows one)."""
    query = (
        _SELECT
        + " WHERE v.line_id = %s AND v.promotion_state = 'promoted'"
        + (" FOR UPDATE OF v" if lock else "")
    )
    row = conn.execute(query, (line_id,)).fetchone()
    return None if row is None else _version(row)
