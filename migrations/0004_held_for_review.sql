-- 0004_held_for_review: "held for review" is data, not a sentence. The backfill used to say
-- a version was held by starting its promotion_notes with "Held for review", and other
-- code parsed that prefix. Now it is a column: the notes keep the person-readable reasons,
-- the flag says the version waits for a person's decision. Existing rows whose notes carry
-- the old prefix are marked, so nothing held before is lost.

ALTER TABLE model_versions ADD COLUMN held_for_review boolean NOT NULL DEFAULT false;

UPDATE model_versions SET held_for_review = true
WHERE starts_with(promotion_notes, 'Held for review');
