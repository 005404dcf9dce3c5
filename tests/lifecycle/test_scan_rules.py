"""The scan's lifecycle rules on registries the API wrote (check and the plugin share them)."""

from __future__ import annotations

from tests.lifecycle.conftest import Conn, Register

from model_conformance.lifecycle import promote, retire
from model_conformance.scan import open_snapshot
from model_conformance.violations import Severity, Violation


def _findings(dsn: str) -> list[Violation]:
    with open_snapshot(dsn) as snapshot:
        return snapshot.scan().findings


def test_a_registry_the_api_wrote_is_clean(conn: Conn, register: Register, db_dsn: str) -> None:
    register("v1")
    register("v2", parent="v1")
    promote(conn, "v1", reason="first")
    promote(conn, "v2", reason="second")
    assert _findings(db_dsn) == []


def test_a_retired_champion_needs_no_successor(conn: Conn, register: Register, db_dsn: str) -> None:
    register("v1")
    promote(conn, "v1", reason="first")
    retire(conn, "v1", reason="withdrawn")
    assert _findings(db_dsn) == []


def test_a_champion_promoted_past_a_waived_gate_is_a_warning(
    conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    conn.execute("UPDATE model_versions SET code_entrypoint = NULL WHERE artifact_id = 'm1'")
    promote(conn, "m1", reason="approved by the board", waive=["code-pinned"], actor="al")
    found = {(f.code, f.severity) for f in _findings(db_dsn)}
    assert ("MC532", Severity.WARNING) in found
    [waived] = [f for f in _findings(db_dsn) if f.code == "MC532"]
    assert 'code-pinned waived by "al": "approved by the board"' in waived.message
    # the gate still fails today: that is reported too
    assert ("MC533", Severity.WARNING) in found


def test_a_champion_whose_metadata_no_longer_validates_is_a_warning_too(
    conn: Conn, register: Register, db_dsn: str
) -> None:
    register("m1")
    promote(conn, "m1", reason="first")
    conn.execute("UPDATE artifacts SET metadata = metadata - 'framework' WHERE id = 'm1'")
    found = [(f.code, f.location, f.severity) for f in _findings(db_dsn)]
    assert ("MC101", "metadata", Severity.ERROR) in found
    assert ("MC533", "metadata", Severity.WARNING) in found
    [gate] = [f for f in _findings(db_dsn) if f.code == "MC533"]
    assert gate.message.startswith("promoted, but fails gate(s) now: metadata-valid: ")
