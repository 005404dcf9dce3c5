-- Down-migration for 0006_code_pin_checks. Run by hand only (psql -f); the runner never
-- runs it. The recorded verdicts are lost: export them first if they matter.
BEGIN;
DROP TABLE IF EXISTS code_pin_checks;
DROP FUNCTION IF EXISTS code_pin_checks_append_only();
DELETE FROM model_conformance_migrations WHERE version = 6;
COMMIT;
