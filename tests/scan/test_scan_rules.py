"""The scan finds exactly the seeded violations, with the right codes and columns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import (
    SEEDS,
    Seed,
    build_registry,
    model_id,
    valid_internal_metadata,
)

from model_conformance.backfill.policy import decide
from model_conformance.scan import open_snapshot
from model_conformance.scan.findings import NON_MODEL_CHECK
from model_conformance.scan.sql_rules import ROW_RULES
from model_conformance.version_rules import (
    commit_sha_message,
    external_flag_message,
    is_full_commit_sha,
    reference_message,
    self_base_message,
    training_order_message,
)
from model_conformance.violations import Row, Severity, TableCheck, Violation

Conn = psycopg.Connection[TupleRow]
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def findings_of(dsn: str) -> set[tuple[str, str, str]]:
    """(artifact id, code, column) per finding; (artifact id, code, check) for table-level
    findings that name an artifact."""
    with open_snapshot(dsn) as snapshot:
        result = snapshot.scan()
    return {(f.artifact_id, f.code, column_of(f)) for f in result.findings} | {
        (t.artifact_id, t.code, check_of(t)) for t in result.table_findings if t.artifact_id
    }


def column_of(finding: Violation) -> str:
    """The column a registry finding names."""
    assert isinstance(finding.where, Row)
    return finding.where.column


def check_of(finding: Violation) -> str:
    """The table-level check a finding belongs to."""
    assert isinstance(finding.where, TableCheck)
    return finding.where.check


def test_a_clean_registry_has_no_findings(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 200, seeds=())
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert result.model_count == 200
    assert result.findings == []
    assert result.table_findings == []
    assert not result.has_errors


def test_an_empty_registry_is_conformant(db_dsn: str) -> None:
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert (result.model_count, result.findings, result.table_findings) == (0, [], [])


def test_one_seeded_violation_per_rule_is_found_exactly(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 460)
    assert findings_of(db_dsn) == registry.expected
    # every row rule of the scan is among them
    assert {code for _, code, _ in registry.expected} == {
        *(f"MC50{n}" for n in range(1, 9)),
        *("MC402", "MC405", "MC406", "MC407", "MC408", "MC409"),
        *("MC101", "MC102", "MC201", "MC202"),
        *("MC530", "MC531", "MC532", "MC533"),
    }


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_each_rule_fires_alone(db_conn: Conn, db_dsn: str, seed: Seed) -> None:
    registry = build_registry(db_conn, 40, seeds=(seed,))
    assert findings_of(db_dsn) == registry.expected
    assert registry.expected


def test_metadata_findings_carry_the_core_code_and_json_path(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    # model 4 is a candidate (a promoted one would also get MC533, its gate failing now)
    doc = valid_internal_metadata(4) | {"parameter_count": "1.2M"}
    db_conn.execute(
        "UPDATE artifacts SET metadata = %s::jsonb WHERE id = %s", (json.dumps(doc), model_id(4))
    )
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        [finding] = snapshot.scan().findings
    assert (finding.code, column_of(finding), finding.pointer) == (
        "MC102",
        "metadata",
        "/parameter_count",
    )
    assert finding.location == "metadata.parameter_count"


def test_null_metadata_is_reported_not_crashed_on(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute("UPDATE artifacts SET metadata = NULL WHERE id = %s", (model_id(2),))
    db_conn.commit()
    assert findings_of(db_dsn) == {(model_id(2), "MC102", "metadata")}


def test_warnings_are_reported_but_are_not_errors(db_conn: Conn, db_dsn: str) -> None:
    seed = next(s for s in SEEDS if s.name == "metadata-leakage")
    build_registry(db_conn, 20, seeds=(seed,))
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert [f.severity for f in result.findings] == [Severity.WARNING]
    assert not result.has_errors


def test_a_chain_running_into_a_cycle_reports_only_the_cycle(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    # 0 -> 4 -> 8 -> 4: model 0 leads into the loop but is not on it (models 1..3 chain to 0)
    for child, base in [(0, 4), (4, 8), (8, 4)]:
        db_conn.execute(
            "UPDATE model_versions SET base_model_id = %s WHERE artifact_id = %s",
            (model_id(base), model_id(child)),
        )
    db_conn.commit()
    assert findings_of(db_dsn) == {
        (model_id(4), "MC505", "base_model_id"),
        (model_id(8), "MC505", "base_model_id"),
    }


def test_the_scan_sees_one_snapshot(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    with open_snapshot(db_dsn) as snapshot:
        count = snapshot.model_count()
        db_conn.execute("DELETE FROM model_versions WHERE artifact_id = %s", (model_id(5),))
        db_conn.execute("DELETE FROM artifacts WHERE id = %s", (model_id(7),))  # no children
        db_conn.commit()
        result = snapshot.scan()
    assert count == result.model_count == 20
    assert result.findings == []  # the deletion happened after the snapshot was taken
    assert findings_of(db_dsn) == {(model_id(5), "MC501", "model_versions")}


def test_chunks_cover_every_model_in_code_point_order(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 45, seeds=())
    # Ids that sort differently by code point than by a linguistic collation.
    for extra in ["Zeta-model", "alpha-model", "\u00e9-model"]:
        db_conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES (%s, 'model')", (extra,))
    db_conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES ('a-dataset', 'dataset')")
    db_conn.commit()
    with open_snapshot(db_dsn, keep_ids=1_000) as snapshot:
        result = snapshot.scan()
        chunks_in_sql = snapshot.chunks(20)
    ids = result.model_ids
    in_sql = [
        row[0]
        for row in db_conn.execute(
            "SELECT id FROM artifacts WHERE artifact_type = 'model' ORDER BY id COLLATE \"C\""
        )
    ]
    assert ids == sorted(ids) == in_sql
    assert [(c.first, c.last, c.count) for c in result.chunks(20)] == [
        (ids[0], ids[19], 20),
        (ids[20], ids[39], 20),
        (ids[40], ids[47], 8),
    ]
    assert result.chunks(20) == chunks_in_sql  # the listing for registries too large to keep


def test_a_scan_keeps_no_ids_unless_asked(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert (result.model_count, result.model_ids, result.chunks(5)) == (20, [], [])


def test_a_scan_keeps_the_ids_only_up_to_its_limit(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 400, seeds=())
    kept = {}
    for limit in (400, 399, 10):
        with open_snapshot(db_dsn, keep_ids=limit) as snapshot:
            snapshot.batch_size = 50
            result = snapshot.scan()
        kept[limit] = (result.model_count, len(result.model_ids))
    # All of them or none: a partial listing would cut wrong chunks.
    assert kept == {400: (400, 400), 399: (400, 0), 10: (400, 0)}


def test_a_version_of_a_non_model_is_table_level_not_an_artifacts(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute("INSERT INTO artifacts (id, artifact_type) VALUES ('zz-data', 'dataset')")
    db_conn.execute("INSERT INTO model_versions (artifact_id) VALUES ('zz-data')")
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert result.findings == []  # findings name model artifacts only
    assert (result.model_count, result.failing_artifacts) == (20, 0)
    assert result.table_findings == [
        Violation(
            "MC502",
            'zz-data has a model_versions row but is an artifact of type "dataset"; '
            "only model artifacts have one",
            where=TableCheck(NON_MODEL_CHECK, "zz-data"),
        )
    ]
    assert result.has_errors
    assert [t.artifact_id for t in result.by_check()[NON_MODEL_CHECK]] == ["zz-data"]


def test_failing_artifacts_never_outnumber_the_models(db_conn: Conn, db_dsn: str) -> None:
    registry = build_registry(db_conn, 460)
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert result.failing_artifacts == len(registry.failing_ids) <= result.model_count == 460


# (id, code, column) -> (SQL, the words registration uses for the same value)
_SAME_WORDS: dict[str, tuple[str, str, Callable[[int], str]]] = {
    "MC402": (
        "UPDATE model_versions SET code_commit_sha = 'abc1234' WHERE artifact_id = {m}",
        "code_commit_sha",
        lambda i: commit_sha_message("abc1234"),
    ),
    "MC405": (
        "UPDATE model_versions SET training_started_at = '2024-05-01T10:00:00+02:00',"
        " training_completed_at = '2024-05-01T07:00:00Z' WHERE artifact_id = {m}",
        "training_completed_at",
        lambda i: training_order_message("2024-05-01T08:00:00+00:00", "2024-05-01T07:00:00+00:00"),
    ),
    "MC406": (
        "UPDATE model_versions SET base_model_id = 'dataset-000000' WHERE artifact_id = {m}",
        "base_model_id",
        lambda i: reference_message("base_model_id", "dataset-000000", "dataset", "model"),
    ),
    "MC407": (
        "UPDATE model_versions SET base_model_id = {m} WHERE artifact_id = {m}",
        "base_model_id",
        lambda i: self_base_message(model_id(i)),
    ),
    "MC408": (
        "UPDATE model_versions SET eval_dataset_artifact_id = 'model-0000001'"
        " WHERE artifact_id = {m}",
        "eval_dataset_artifact_id",
        lambda i: reference_message(
            "eval_dataset_artifact_id", "model-0000001", "model", "dataset"
        ),
    ),
    "MC409": (
        "UPDATE model_versions SET is_external = true WHERE artifact_id = {m}",
        "is_external",
        lambda i: external_flag_message(True, False),
    ),
}


@pytest.mark.parametrize("code", sorted(_SAME_WORDS))
def test_version_rules_read_as_registration_words_them(
    db_conn: Conn, db_dsn: str, code: str
) -> None:
    statement, column, words = _SAME_WORDS[code]
    build_registry(db_conn, 20, seeds=())
    db_conn.execute(statement.format(m="'model-0000004'").encode())
    db_conn.execute("SET TIME ZONE 'America/New_York'")  # the scan's own session is unaffected
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        snapshot.conn.execute("SET TIME ZONE 'Asia/Tokyo'")  # and it words instants in UTC
        found = [f for f in snapshot.scan().findings if f.code == code]
    assert [(f.artifact_id, column_of(f), f.message) for f in found] == [
        (model_id(4), column, words(4))
    ]


_SHAS = [
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
    "4F3C2A1B9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A",
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4",  # 39
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4aa",  # 41
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4g",
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4\n",
    " f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
    "\uff14f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",  # a full-width digit
    "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f\u00e9",  # 39 characters in 40 bytes
    "abc1234",
    "",
]


def test_the_sql_commit_sha_rule_is_is_full_commit_sha(db_conn: Conn) -> None:
    [rule] = [r for r in ROW_RULES if r.code == "MC402"]
    condition = rule.condition.replace("mv.code_commit_sha", "sha")
    rows = db_conn.execute(
        f"SELECT sha, coalesce(({condition}), false) FROM unnest(%s::text[]) AS sha",
        (_SHAS,),
    ).fetchall()
    assert [(sha, not broken) for sha, broken in rows] == [
        (sha, is_full_commit_sha(sha)) for sha in _SHAS
    ]


def _hold(conn: Conn, i: int, notes: str, *, held: bool) -> None:
    conn.execute(
        "UPDATE model_versions SET promotion_notes = %s, held_for_review = %s"
        " WHERE artifact_id = %s",
        (notes, held, model_id(i)),
    )


def test_failing_models_held_for_review_by_the_backfill_are_marked(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 20, seeds=())
    held_notes = decide({}, ["is the base model the one in the card?"], [], []).notes
    for i in (2, 3, 5):
        db_conn.execute(
            "UPDATE artifacts SET metadata = metadata - 'framework' WHERE id = %s", (model_id(i),)
        )
    _hold(db_conn, 2, held_notes, held=True)  # failing and held
    _hold(db_conn, 3, "Promoted by backfill policy: metadata valid.", held=False)  # not held
    _hold(db_conn, 9, held_notes, held=True)  # held but conformant: nothing to explain
    _hold(db_conn, 5, held_notes, held=False)  # the words alone no longer mark a version
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert result.held == {model_id(2)}


def test_the_migration_marks_versions_whose_notes_said_they_were_held(db_conn: Conn) -> None:
    # What 0004_held_for_review.sql does to a registry the old backfill wrote.
    build_registry(db_conn, 4, seeds=())
    held_notes = decide({}, ["which dataset?"], [], []).notes
    _hold(db_conn, 1, held_notes, held=False)
    db_conn.execute(
        (MIGRATIONS / "0004_held_for_review.sql")
        .read_text()
        .split("\n\n", 1)[1]
        .replace("ADD COLUMN held_for_review", "ADD COLUMN IF NOT EXISTS held_for_review")
    )
    held = db_conn.execute(
        "SELECT artifact_id FROM model_versions WHERE held_for_review ORDER BY artifact_id"
    ).fetchall()
    assert held == [(model_id(1),)]


# (model_versions.is_external, the metadata's is_external as SQL, does MC409 fire?)
_EXTERNAL_FLAGS = [
    ("false", "'false'", False),
    ("false", "'true'", True),
    ("true", "'true'", False),
    ("NULL", "'false'", True),  # an unset flag is not "false"
    ("false", None, False),  # the key left out means false
    ("true", None, True),
    ("false", "'\"yes\"'", False),  # a string: the core reports the metadata, not MC409
    ("NULL", "'1'", False),
]


@pytest.mark.parametrize(("flag", "metadata_value", "fires"), _EXTERNAL_FLAGS)
def test_is_external_must_agree_with_the_metadata(
    db_conn: Conn, db_dsn: str, flag: str, metadata_value: str | None, fires: bool
) -> None:
    build_registry(db_conn, 20, seeds=())
    if metadata_value is None:
        change = "metadata - 'is_external'"
    else:
        change = f"jsonb_set(metadata, '{{is_external}}', {metadata_value}::jsonb)"
    db_conn.execute(f"UPDATE artifacts SET metadata = {change} WHERE id = 'model-0000004'".encode())
    set_flag = f"UPDATE model_versions SET is_external = {flag}"
    db_conn.execute(f"{set_flag} WHERE artifact_id = 'model-0000004'".encode())
    db_conn.commit()
    assert ((model_id(4), "MC409", "is_external") in findings_of(db_dsn)) is fires


@pytest.mark.parametrize("metadata", ["'[\"is_external\"]'", "'\"is_external\"'", "'null'"])
def test_metadata_that_is_no_object_is_not_compared_with_the_flag(
    db_conn: Conn, db_dsn: str, metadata: str
) -> None:
    build_registry(db_conn, 20, seeds=())
    db_conn.execute(
        f"UPDATE artifacts SET metadata = {metadata}::jsonb WHERE id = 'model-0000004'".encode()
    )
    db_conn.execute(
        "UPDATE model_versions SET is_external = NULL WHERE artifact_id = 'model-0000004'"
    )
    db_conn.commit()
    codes = {code for artifact_id, code, _ in findings_of(db_dsn) if artifact_id == model_id(4)}
    assert "MC102" in codes
    assert "MC409" not in codes


def test_the_synthetic_registry_stores_metadata_as_a_client_writes_it(db_conn: Conn) -> None:
    # The benchmark's registry is built in SQL; its documents must read back byte for byte
    # as the JSON a client would have sent (no 0.61000000000000000000 from numeric division).
    registry = build_registry(db_conn, 60, seeds=())
    for i in (0, 1, 11, 49, 50):
        expected = json.dumps(valid_internal_metadata(i, registry.datasets))
        row = db_conn.execute(
            "SELECT metadata::text, %s::jsonb::text FROM artifacts WHERE id = %s",
            (expected, model_id(i)),
        ).fetchone()
        assert row is not None
        assert row[0] == row[1]


def test_a_registry_without_datasets_breaks_no_dataset_rule(db_dsn: str, db_conn: Conn) -> None:
    # NOT IN an empty set is true even for NULL: a model that names no evaluation dataset
    # must not be told it names no dataset artifact.
    db_conn.execute(
        "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (%s, 'model', %s)",
        (model_id(1), json.dumps(valid_internal_metadata(1))),
    )
    db_conn.execute(
        "INSERT INTO artifacts (id, artifact_type) VALUES (%s, 'model')", (model_id(2),)
    )
    db_conn.execute("INSERT INTO model_versions (artifact_id) VALUES (%s)", (model_id(1),))
    db_conn.commit()
    codes = {(artifact_id, code) for artifact_id, code, _ in findings_of(db_dsn)}
    assert (model_id(2), "MC501") in codes
    assert not {code for _, code in codes} & {"MC408"}


def test_stored_metadata_python_cannot_read_back_is_a_finding_not_the_scans_end(
    db_conn: Conn, db_dsn: str
) -> None:
    build_registry(db_conn, 5, seeds=())
    db_conn.execute(
        "UPDATE artifacts SET metadata = jsonb_set(metadata, '{parameter_count}',"
        " (repeat('9', 5000))::jsonb) WHERE id = %s",
        (model_id(1),),
    )
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        result = snapshot.scan()
    assert [(f.artifact_id, f.code, column_of(f)) for f in result.findings] == [
        (model_id(1), "MC109", "metadata")
    ]
    assert result.model_count == 5
