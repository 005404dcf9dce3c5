"""Migration 0005 on a registry whose states were set by hand, with two champions in a line."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from tests.support.lifecycle import events, states

from model_conformance.db.migrate import apply_migrations, discover_migrations
from model_conformance.scan import open_snapshot

_HAND_SET = """
INSERT INTO artifacts (id, artifact_type, parent_version_id) VALUES
    ('old-champion', 'model', NULL), ('new-champion', 'model', 'old-champion'),
    ('grandchild', 'model', 'new-champion'), ('loner', 'model', NULL),
    ('retired', 'model', NULL), ('turned-down', 'model', NULL);
INSERT INTO model_versions (artifact_id, promotion_state, created_at) VALUES
    ('old-champion', 'promoted', '2024-01-01'), ('new-champion', 'promoted', '2024-02-01'),
    ('grandchild', 'candidate', '2024-03-01'), ('loner', 'promoted', '2024-01-01'),
    ('retired', 'superseded', '2024-01-01'), ('turned-down', 'rejected', '2024-01-01');
"""


def test_the_migration_adopts_hand_set_states_and_keeps_one_champion_per_line(
    empty_db_dsn: str, tmp_path: Path
) -> None:
    before = tmp_path / "up-to-0004"
    before.mkdir()
    for migration in discover_migrations():
        if migration.version <= 4:
            shutil.copy(migration.path, before / migration.filename)
    with psycopg.connect(empty_db_dsn, autocommit=True) as conn:
        apply_migrations(conn, directory=before)
        conn.execute(_HAND_SET)
        applied = apply_migrations(conn)
        assert 5 in [m.version for m in applied]

        rows = conn.execute("SELECT artifact_id, line_id FROM model_versions").fetchall()
        lines: dict[str, str] = dict(rows)
        assert lines["grandchild"] == lines["new-champion"] == "old-champion"
        assert lines["loner"] == "loner"
        # the newest promoted version of the line stays champion; the other is superseded
        assert states(conn) == {
            "old-champion": "superseded",
            "new-champion": "promoted",
            "grandchild": "candidate",
            "loner": "promoted",
            "retired": "superseded",
            "turned-down": "rejected",
        }
        assert events(conn, "old-champion") == [
            ("adopt", None, "promoted"),
            ("adopt", "promoted", "superseded"),
        ]
        row = conn.execute(
            "SELECT e.reason, e.successor, a.superseded_by FROM promotion_events e"
            " JOIN artifacts a ON a.id = e.artifact_id"
            " WHERE e.artifact_id = 'old-champion' AND e.seq = 2"
        ).fetchone()
        assert row is not None
        assert "had 2 promoted versions" in row[0]
        assert row[1:] == ("new-champion", "new-champion")
        for artifact_id in ("new-champion", "grandchild", "loner", "retired", "turned-down"):
            [(action, source, target)] = events(conn, artifact_id)
            assert (action, source, target) == ("adopt", None, states(conn)[artifact_id])
    with open_snapshot(empty_db_dsn) as snapshot:
        found = {(f.artifact_id, f.code) for f in snapshot.scan().findings}
    assert not {code for _, code in found} & {"MC530", "MC531"}
    # the hand-set superseded version still names no successor: reported, not invented
    assert ("retired", "MC508") in found
