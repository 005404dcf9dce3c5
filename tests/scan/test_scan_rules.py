"""The scan finds exactly the seeded violations, with the right codes and columns."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg.rows import TupleRow

from model_conformance.scan import open_snapshot
from model_conformance.scan.synthetic import (
    SEEDS,
    build_registry,
    model_id,
    valid_internal_metadata,
)
from model_conformance.violations import Severity

Conn = psycopg.Connection[TupleRow]


def findings_of(dsn: str) -> set[tuple[str, str, str]]:
    with open_snapshot(dsn) as snapshot:
        result = snapshot.scan()
    return {(f.artifact_id, f.code, f.column) for f in result.findings}


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
    registry = build_registry(db_conn, 400)
    assert findings_of(db_dsn) == registry.expected
    # every row rule of the scan is among them
    assert {code for _, code, _ in registry.expected} == {
        *(f"MC50{n}" for n in range(1, 9)),
        *("MC402", "MC405", "MC406", "MC407", "MC408", "MC409"),
        *("MC101", "MC102", "MC201", "MC202"),
    }


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_each_rule_fires_alone(db_conn: Conn, db_dsn: str, seed: object) -> None:
    registry = build_registry(db_conn, 40, seeds=(seed,))  # type: ignore[arg-type]
    assert findings_of(db_dsn) == registry.expected
    assert registry.expected


def test_metadata_findings_carry_the_core_code_and_json_path(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 20, seeds=())
    doc = valid_internal_metadata(3) | {"parameter_count": "1.2M"}
    db_conn.execute(
        "UPDATE artifacts SET metadata = %s::jsonb WHERE id = %s", (json.dumps(doc), model_id(3))
    )
    db_conn.commit()
    with open_snapshot(db_dsn) as snapshot:
        [finding] = snapshot.scan().findings
    assert (finding.code, finding.column, finding.pointer) == (
        "MC102",
        "metadata",
        "/parameter_count",
    )
    assert finding.path == "metadata.parameter_count"


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
        ids = snapshot.model_ids()
        db_conn.execute("DELETE FROM model_versions WHERE artifact_id = %s", (model_id(5),))
        db_conn.commit()
        result = snapshot.scan()
    assert len(ids) == 20
    assert result.findings == []  # the deletion happened after the snapshot was taken
    assert findings_of(db_dsn) == {(model_id(5), "MC501", "model_versions")}


def test_chunks_cover_every_model_in_id_order(db_conn: Conn, db_dsn: str) -> None:
    build_registry(db_conn, 45, seeds=())
    with open_snapshot(db_dsn) as snapshot:
        chunks = snapshot.chunks(20)
        ids = snapshot.model_ids()
    assert [(c.first, c.last, c.count) for c in chunks] == [
        (ids[0], ids[19], 20),
        (ids[20], ids[39], 20),
        (ids[40], ids[44], 5),
    ]
    assert ids == sorted(ids)
