-- 0001_artifacts: the host's `artifacts` table (the baseline).
--
-- The registry extends a host application that already owns `artifacts`. This migration
-- creates the table only where it does not exist yet: a host that has it keeps its own
-- table, untouched, and this file is recorded as applied all the same.
--
-- Deviations from the SQLite-flavoured original DDL (column names unchanged):
--   * metadata   TEXT (JSON text)                -> jsonb
--   * is_latest  INTEGER (0/1)                   -> boolean
--   * created_at TEXT DEFAULT (datetime('now'))  -> timestamptz NOT NULL DEFAULT now()

CREATE TABLE IF NOT EXISTS artifacts (
    id                TEXT PRIMARY KEY,
    artifact_type     TEXT NOT NULL,
    title             TEXT,
    metadata          jsonb,
    version_number    INTEGER,
    parent_version_id TEXT,
    version_tag       TEXT,
    changelog         TEXT,
    is_latest         boolean DEFAULT true,
    lifecycle_state   TEXT,
    superseded_by     TEXT,
    origin_type       TEXT,
    origin_url        TEXT,
    created_at        timestamptz NOT NULL DEFAULT now()
);
