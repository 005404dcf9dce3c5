-- Down-migration for 0005_promotion_lifecycle. Run by hand only (psql -f); the runner never
-- runs it. It drops the enforcement and THE HISTORY: keep a copy of promotion_events first
-- (`\copy promotion_events TO 'promotion_events.csv' CSV HEADER`). States stay as they are.
BEGIN;
DROP TRIGGER IF EXISTS model_versions_lifecycle ON model_versions;
DROP FUNCTION IF EXISTS mc_model_version_guard();
DROP TABLE IF EXISTS promotion_events;
DROP FUNCTION IF EXISTS mc_promotion_event_insert();
DROP FUNCTION IF EXISTS mc_promotion_events_append_only();
DROP INDEX IF EXISTS model_versions_one_champion_per_line;
ALTER TABLE model_versions DROP COLUMN IF EXISTS line_id;
DROP FUNCTION IF EXISTS mc_line_of(TEXT);
DROP FUNCTION IF EXISTS mc_transition_allowed(TEXT, TEXT);
DELETE FROM model_conformance_migrations WHERE version = 5;
COMMIT;
