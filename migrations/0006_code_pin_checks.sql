-- 0006_code_pin_checks: what `verify-pins` proved about a model version's code pin, and when.
-- (0005 is taken by another change landing separately; the runner accepts the gap.)
--
-- Every check is kept (history): the scan reads the latest row per artifact, and the older
-- rows say what was proven before a pin or a repository changed. The pin is copied into the
-- row as it was checked, so a verdict recorded for a different commit than the one stored
-- now can be told apart from a verdict about the current pin.
-- Rows are never rewritten: an UPDATE is refused by a trigger. Deleting the artifact deletes
-- its checks (cascade).
-- New table; no deviation from an original DDL (there was none).
-- Down-migration: migrations/down/0006_code_pin_checks.down.sql (never run by the runner).

CREATE TABLE code_pin_checks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    artifact_id     TEXT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    code_repo_url   TEXT NOT NULL,
    code_commit_sha TEXT NOT NULL,
    code_entrypoint TEXT,
    verdict         TEXT NOT NULL
        CONSTRAINT code_pin_checks_verdict_check
        CHECK (verdict IN ('pass', 'fail', 'unreachable', 'unverifiable')),
    code            TEXT,
    detail          TEXT NOT NULL,
    checked_at      timestamptz NOT NULL DEFAULT now(),
    toolkit_version TEXT NOT NULL,
    -- A pass breaks no rule and has no code; every other verdict names the rule it broke.
    CONSTRAINT code_pin_checks_code_check CHECK ((verdict = 'pass') = (code IS NULL))
);

-- The latest check of each artifact: the scan and `verify-pins --only-changed` read it.
CREATE INDEX idx_code_pin_checks_latest ON code_pin_checks (artifact_id, id DESC);

CREATE FUNCTION code_pin_checks_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'code_pin_checks is append-only: record a new check instead of editing one';
END $$;

CREATE TRIGGER code_pin_checks_no_update BEFORE UPDATE ON code_pin_checks
FOR EACH ROW EXECUTE FUNCTION code_pin_checks_append_only();
