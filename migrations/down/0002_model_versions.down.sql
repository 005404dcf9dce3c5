-- Down-migration for 0002_model_versions. Run by hand only (psql -f); the runner never runs it.
-- Drops the table (its indexes go with it) and forgets the ledger row, so that
-- `model-conformance migrate` applies 0002 again afterwards.
BEGIN;
DROP TABLE IF EXISTS model_versions;
DELETE FROM model_conformance_migrations WHERE version = 2;
COMMIT;
