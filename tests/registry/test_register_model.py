"""register_model against a real, freshly migrated database."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from tests.support.lifecycle import force_state

from model_conformance.registry import RegistrationRejected, register_many, register_model

Conn = psycopg.Connection[TupleRow]


def _add(conn: Conn, artifact_id: str, artifact_type: str) -> None:
    conn.execute(
        "INSERT INTO artifacts (id, artifact_type) VALUES (%s, %s)", (artifact_id, artifact_type)
    )
    conn.commit()


def _count(conn: Conn, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    conn.commit()
    assert row is not None
    return int(row[0])


def _rejected_codes(conn: Conn, doc: dict[str, Any]) -> list[str]:
    with pytest.raises(RegistrationRejected) as excinfo:
        register_model(conn, doc)
    return [v.code for v in excinfo.value.result.errors]


def test_a_good_registration_writes_both_rows_as_a_candidate(
    db_conn: Conn, doc: dict[str, Any]
) -> None:
    result = register_model(db_conn, doc)

    assert (result.artifact_id, result.status) == ("model-sea-ad-classifier-v1", "created")
    artifact = db_conn.execute(
        "SELECT artifact_type, title, metadata, version_tag FROM artifacts WHERE id = %s",
        (result.artifact_id,),
    ).fetchone()
    assert artifact == ("model", doc["artifact"]["title"], doc["metadata"], "v1.0.0")
    version = db_conn.execute(
        "SELECT promotion_state, code_commit_sha, is_external, training_params_json,"
        " training_completed_at - training_started_at"
        " FROM model_versions WHERE artifact_id = %s",
        (result.artifact_id,),
    ).fetchone()
    assert version is not None
    assert version[:4] == (
        "candidate",
        doc["model_version"]["code_commit_sha"],
        False,
        doc["metadata"]["training_config"],
    )
    assert str(version[4]) == "4:30:00"


def test_register_model_commits(db_conn: Conn, db_dsn: str, doc: dict[str, Any]) -> None:
    register_model(db_conn, doc)
    with psycopg.connect(db_dsn) as other:
        assert _count(other, "model_versions") == 1


def test_the_same_payload_twice_is_unchanged(db_conn: Conn, doc: dict[str, Any]) -> None:
    register_model(db_conn, doc)
    again = register_model(db_conn, copy.deepcopy(doc))

    assert again.status == "unchanged"
    assert _count(db_conn, "artifacts") == 1


def test_unchanged_survives_promotion(db_conn: Conn, doc: dict[str, Any]) -> None:
    register_model(db_conn, doc)
    force_state(db_conn, doc["artifact"]["id"], "promoted")
    db_conn.execute("UPDATE artifacts SET is_latest = false")
    db_conn.commit()
    assert register_model(db_conn, doc).status == "unchanged"


def test_a_different_payload_under_an_existing_id_is_refused(
    db_conn: Conn, doc: dict[str, Any]
) -> None:
    register_model(db_conn, doc)
    doc["metadata"]["evaluation_metrics"]["accuracy"] = 0.99
    doc["model_version"]["trained_by"] = "mallory"

    with pytest.raises(RegistrationRejected) as excinfo:
        register_model(db_conn, doc)

    [violation] = excinfo.value.result.errors
    assert violation.code == "MC410"
    assert "metadata" in violation.message
    assert "trained_by" in violation.message
    stored = db_conn.execute("SELECT trained_by FROM model_versions").fetchone()
    assert stored == ("alice",)


def test_an_existing_non_model_artifact_id_is_refused(db_conn: Conn, doc: dict[str, Any]) -> None:
    _add(db_conn, doc["artifact"]["id"], "dataset")
    assert _rejected_codes(db_conn, doc) == ["MC410"]


def test_invalid_metadata_writes_nothing(db_conn: Conn, doc: dict[str, Any]) -> None:
    del doc["metadata"]["training_config"]  # an internal model must say how it was trained
    with pytest.raises(RegistrationRejected) as excinfo:
        register_model(db_conn, doc)
    assert excinfo.value.result.errors[0].path.startswith("$.metadata")
    assert _count(db_conn, "artifacts") == 0


def test_a_bad_sha_is_refused(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["code_commit_sha"] = "abc123"
    assert _rejected_codes(db_conn, doc) == ["MC402"]
    assert _count(db_conn, "artifacts") == 0


def test_a_bad_url_is_refused(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["artifact"]["origin_url"] = "example.org/repo"
    assert _rejected_codes(db_conn, doc) == ["MC403"]


def test_a_bad_timestamp_is_refused(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["training_started_at"] = "yesterday"
    assert _rejected_codes(db_conn, doc) == ["MC404"]


def test_training_ending_before_it_started_is_refused(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["training_completed_at"] = "2024-04-30T12:00:00Z"
    assert _rejected_codes(db_conn, doc) == ["MC405"]


def test_base_model_must_exist(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["base_model_id"] = "model-nowhere"
    assert _rejected_codes(db_conn, doc) == ["MC406"]


def test_base_model_must_be_a_model(db_conn: Conn, doc: dict[str, Any]) -> None:
    _add(db_conn, "dataset-x", "dataset")
    doc["model_version"]["base_model_id"] = "dataset-x"
    assert _rejected_codes(db_conn, doc) == ["MC406"]


def test_an_existing_base_model_is_accepted(db_conn: Conn, doc: dict[str, Any]) -> None:
    _add(db_conn, "model-base", "model")
    doc["model_version"]["base_model_id"] = "model-base"
    assert register_model(db_conn, doc).status == "created"


def test_base_model_from_the_metadata_is_checked_too(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["metadata"]["base_model_id"] = "model-nowhere"
    with pytest.raises(RegistrationRejected) as excinfo:
        register_model(db_conn, doc)
    [violation] = excinfo.value.result.errors
    assert (violation.code, violation.path) == ("MC406", "$.metadata.base_model_id")


def test_a_model_cannot_be_its_own_base(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["base_model_id"] = doc["artifact"]["id"]
    assert _rejected_codes(db_conn, doc) == ["MC407"]


def test_eval_dataset_must_be_an_existing_dataset(db_conn: Conn, doc: dict[str, Any]) -> None:
    _add(db_conn, "model-other", "model")
    doc["model_version"]["eval_dataset_artifact_id"] = "model-other"
    assert _rejected_codes(db_conn, doc) == ["MC408"]
    doc["model_version"]["eval_dataset_artifact_id"] = "dataset-missing"
    assert _rejected_codes(db_conn, doc) == ["MC408"]


def test_an_existing_eval_dataset_is_accepted(db_conn: Conn, doc: dict[str, Any]) -> None:
    _add(db_conn, "dataset-holdout", "dataset")
    doc["model_version"]["eval_dataset_artifact_id"] = "dataset-holdout"
    assert register_model(db_conn, doc).status == "created"


def test_is_external_must_agree_with_the_metadata(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["is_external"] = True
    assert _rejected_codes(db_conn, doc) == ["MC409"]


def test_an_external_model_registers(db_conn: Conn, doc: dict[str, Any]) -> None:
    metadata = doc["metadata"]
    del metadata["training_config"]
    metadata["is_external"] = True
    metadata["external_source_url"] = "https://huggingface.co/bert-base-uncased"
    metadata["external_source_version"] = "86b5e0934494bd15c9632b12f734a8a67f723594"
    doc["model_version"] = {"is_external": True}

    assert register_model(db_conn, doc).status == "created"
    row = db_conn.execute(
        "SELECT is_external, external_source_url, external_source_version FROM model_versions"
    ).fetchone()
    assert row == (True, metadata["external_source_url"], metadata["external_source_version"])


def test_every_violation_is_reported_at_once(db_conn: Conn, doc: dict[str, Any]) -> None:
    doc["model_version"]["code_commit_sha"] = "abc"
    doc["model_version"]["code_repo_url"] = "nope"
    doc["metadata"]["parameter_count"] = "1.2M"
    with pytest.raises(RegistrationRejected):
        register_model(db_conn, doc)
    doc["metadata"]["parameter_count"] = 1
    assert sorted(_rejected_codes(db_conn, doc)) == ["MC402", "MC403"]


def test_artifact_and_version_commit_together_or_not_at_all(
    db_conn: Conn, doc: dict[str, Any]
) -> None:
    # A trigger makes the model_versions insert fail after the artifacts insert succeeded.
    db_conn.execute(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$"
    )
    db_conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON model_versions"
        " FOR EACH ROW EXECUTE FUNCTION refuse()"
    )
    db_conn.commit()

    # The refusal is this registration's verdict (MC609, the server's words), not a crash.
    with pytest.raises(RegistrationRejected) as caught:
        register_model(db_conn, doc)
    [refusal] = caught.value.result.errors
    assert refusal.code == "MC609"
    assert "refused by test" in refusal.message
    assert _count(db_conn, "artifacts") == 0
    # A dry run gives the same verdict: it writes, and rolls back.
    [dry] = register_many(db_conn, [doc], dry_run=True)
    assert (dry.status, [v.code for v in dry.errors]) == ("rejected", ["MC609"])


def test_dry_run_writes_nothing(db_conn: Conn, doc: dict[str, Any]) -> None:
    assert register_model(db_conn, doc, dry_run=True).status == "valid"
    assert _count(db_conn, "artifacts") == 0


def test_a_batch_rejects_only_its_bad_documents(db_conn: Conn, doc: dict[str, Any]) -> None:
    docs = []
    for n in range(5):
        item = copy.deepcopy(doc)
        item["artifact"]["id"] = f"model-{n}"
        docs.append(item)
    docs[2]["model_version"]["code_commit_sha"] = "short"
    docs[4]["model_version"]["base_model_id"] = "model-1"  # created earlier in the same batch
    db_conn.commit()

    results = list(register_many(db_conn, docs, batch_size=3))

    assert [r.status for r in results] == ["created", "created", "rejected", "created", "created"]
    assert [r.artifact_id for r in results] == [f"model-{n}" for n in range(5)]
    assert _count(db_conn, "model_versions") == 4


def test_a_repeated_id_in_one_batch(db_conn: Conn, doc: dict[str, Any]) -> None:
    changed = copy.deepcopy(doc)
    changed["artifact"]["title"] = "something else"

    results = list(register_many(db_conn, [doc, copy.deepcopy(doc), changed]))

    assert [r.status for r in results] == ["created", "unchanged", "rejected"]
    assert results[2].errors[0].code == "MC410"


def test_a_race_lost_inside_a_batch_stays_with_its_document(
    db_conn: Conn, db_dsn: str, doc: dict[str, Any]
) -> None:
    # Another writer registers `doc` and commits only after our batch has looked it up (and
    # found nothing) and is blocked inserting the same id: our batch fails as a whole, and is
    # replayed one registration per transaction.
    first = copy.deepcopy(doc)
    first["artifact"]["id"] = "model-first"
    statuses: list[str] = []

    with psycopg.connect(db_dsn) as other:
        other.execute("SELECT 1")  # open a transaction: register_model then joins it
        register_model(other, copy.deepcopy(doc))
        assert other.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        worker = threading.Thread(
            target=lambda: statuses.extend(r.status for r in register_many(db_conn, [first, doc]))
        )
        worker.start()
        _wait_until_a_backend_waits_for_a_lock(other)
        other.commit()
        worker.join(timeout=30)

    assert statuses == ["created", "unchanged"]
    assert _count(db_conn, "model_versions") == 2


def _wait_until_a_backend_waits_for_a_lock(conn: Conn) -> None:
    for _ in range(200):
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the batch never blocked on the other writer's row")
