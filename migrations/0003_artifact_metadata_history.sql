-- 0003_artifact_metadata_history: what an artifact's metadata said before the product
-- rewrote it (the backfill maps legacy blobs onto the schema). Nothing is lost: the old
-- blob is recorded here, in the same transaction as the rewrite, and the migration report
-- shows old beside new.
--
-- New table; no deviation from an original DDL (there was none).

CREATE TABLE artifact_metadata_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    artifact_id TEXT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    metadata    jsonb,
    reason      TEXT NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by TEXT NOT NULL DEFAULT current_user
);

CREATE INDEX idx_artifact_metadata_history_artifact ON artifact_metadata_history (artifact_id);
