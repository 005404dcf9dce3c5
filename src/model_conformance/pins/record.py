"""The registry side of pins: which versions have one, and the `code_pin_checks` table.

A pin is a `model_versions` row of a model artifact with both `code_repo_url` and
`code_commit_sha` (the entrypoint is checked when it is given). Every check is appended;
the latest row per artifact (highest id) is the one the scan and `--only-changed` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from psycopg import Connection

from model_conformance.pins.verdict import Pin, PinOutcome, Verdict

PINS_QUERY = """
SELECT mv.artifact_id, mv.code_repo_url, mv.code_commit_sha, mv.code_entrypoint
FROM model_versions mv JOIN artifacts a ON a.id = mv.artifact_id
WHERE a.artifact_type = 'model'
  AND mv.code_repo_url IS NOT NULL AND mv.code_commit_sha IS NOT NULL"""

# Only pins whose latest check is not about this very pin, or proved nothing (unverifiable:
# a local copy may exist now).
_CHANGED = """
  AND NOT EXISTS (
    SELECT 1 FROM (
        SELECT c.code_repo_url, c.code_commit_sha, c.code_entrypoint, c.verdict
        FROM code_pin_checks c WHERE c.artifact_id = mv.artifact_id
        ORDER BY c.id DESC LIMIT 1) latest
    WHERE latest.code_repo_url = mv.code_repo_url
      AND latest.code_commit_sha = mv.code_commit_sha
      AND latest.code_entrypoint IS NOT DISTINCT FROM mv.code_entrypoint
      AND latest.verdict <> 'unverifiable')"""

_INSERT = """
INSERT INTO code_pin_checks (artifact_id, code_repo_url, code_commit_sha, code_entrypoint,
                             verdict, code, detail, toolkit_version)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""


def registry_pins(conn: Connection[Any], *, only_changed: bool = False) -> Iterator[Pin]:
    """The registry's pins in artifact id order; `only_changed`: those without a verdict
    recorded for their current URL, commit and entrypoint."""
    query = PINS_QUERY + (_CHANGED if only_changed else "") + "\nORDER BY mv.artifact_id"
    with conn.cursor() as cur:
        cur.execute(query)
        for artifact_id, url, commit, entrypoint in cur:
            yield Pin(artifact_id, url, commit, entrypoint)


def record_verdicts(conn: Connection[Any], verdicts: Iterable[Verdict]) -> int:
    """Append one `code_pin_checks` row per verdict (`pin.subject` is the artifact id);
    in the caller's transaction. Returns how many."""
    rows = [
        (
            v.pin.subject,
            v.pin.repo_url,
            v.pin.commit,
            v.pin.entrypoint,
            v.outcome.value,
            v.code,
            v.detail,
            toolkit_version(),
        )
        for v in verdicts
    ]
    with conn.cursor() as cur:
        cur.executemany(_INSERT, rows)
    return len(rows)


@cache
def toolkit_version() -> str:
    try:
        return version("model-conformance")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


@dataclass(frozen=True, slots=True)
class RecordedCheck:
    """The latest check of one artifact's pin; `current` when it was about the URL, commit
    and entrypoint stored now."""

    artifact_id: str
    outcome: PinOutcome
    code: str | None
    detail: str
    checked_at: datetime
    current: bool

    @property
    def proven(self) -> bool:
        """What a gate may require (the lifecycle's code-pin gate): a pass for this pin."""
        return self.current and self.outcome is PinOutcome.PASS


_LATEST = """
SELECT mv.artifact_id, c.verdict, c.code, c.detail, c.checked_at,
       c.code_repo_url = mv.code_repo_url AND c.code_commit_sha = mv.code_commit_sha
       AND c.code_entrypoint IS NOT DISTINCT FROM mv.code_entrypoint
FROM model_versions mv
JOIN LATERAL (
    SELECT * FROM code_pin_checks k WHERE k.artifact_id = mv.artifact_id
    ORDER BY k.id DESC LIMIT 1) c ON true
WHERE mv.artifact_id = ANY(%s)"""


def latest_checks(conn: Connection[Any], artifact_ids: Iterable[str]) -> dict[str, RecordedCheck]:
    """The latest recorded check of each of `artifact_ids` that has one."""
    rows = conn.execute(_LATEST, (list(artifact_ids),))
    return {
        row[0]: RecordedCheck(row[0], PinOutcome(row[1]), row[2], row[3], row[4], bool(row[5]))
        for row in rows
    }
