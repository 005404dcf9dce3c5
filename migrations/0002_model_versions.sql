-- 0002_model_versions: one row per registered model version, keyed by its artifact.
--
-- Deviations from the SQLite-flavoured original DDL (column names unchanged):
--   * is_external            INTEGER (0/1)                  -> boolean DEFAULT false
--   * training_started_at    TEXT                           -> timestamptz
--   * training_completed_at  TEXT                           -> timestamptz
--   * training_params_json   TEXT (JSON text)               -> jsonb
--   * eval_metrics_json      TEXT (JSON text)               -> jsonb
--   * created_at             TEXT DEFAULT (datetime('now')) -> timestamptz NOT NULL DEFAULT now()
-- Down-migration: migrations/down/0002_model_versions.down.sql (never run by the runner).

CREATE TABLE model_versions (
    artifact_id              TEXT PRIMARY KEY REFERENCES artifacts (id) ON DELETE CASCADE,
    is_external              boolean DEFAULT false,
    external_source_url      TEXT,
    external_source_version  TEXT,
    base_model_id            TEXT REFERENCES artifacts (id),
    code_repo_url            TEXT,
    code_commit_sha          TEXT,
    code_entrypoint          TEXT,
    training_started_at      timestamptz,
    training_completed_at    timestamptz,
    trained_by               TEXT,
    gpu_allocation_id        TEXT,
    training_params_json     jsonb,
    eval_metrics_json        jsonb,
    eval_dataset_artifact_id TEXT REFERENCES artifacts (id),
    benchmark_id             TEXT,
    promotion_state          TEXT NOT NULL DEFAULT 'candidate'
        CONSTRAINT model_versions_promotion_state_check
        CHECK (promotion_state IN ('candidate', 'promoted', 'rejected', 'superseded')),
    promotion_notes          TEXT,
    created_at               timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_model_versions_base ON model_versions (base_model_id);
CREATE INDEX idx_model_versions_trained_by ON model_versions (trained_by);
CREATE INDEX idx_model_versions_promotion ON model_versions (promotion_state);
