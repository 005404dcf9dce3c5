-- Down-migration for 0004_held_for_review. Run by hand only (psql -f); the runner never
-- runs it. The notes still start with "Held for review" where the flag was set by the
-- backfill, so the old reading survives the drop.
BEGIN;
ALTER TABLE model_versions DROP COLUMN IF EXISTS held_for_review;
DELETE FROM model_conformance_migrations WHERE version = 4;
COMMIT;
