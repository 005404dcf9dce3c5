-- 0005_promotion_lifecycle: promotion states enforced by the database, and an append-only
-- history of every state change (docs/lifecycle.md).
--
-- * model_versions.line_id: the line a version belongs to. A line is the chain of versions
--   linked by artifacts.parent_version_id; a version without a parent starts its own. It is
--   computed on INSERT (whatever the writer says) and can never change afterwards.
-- * model_versions_one_champion_per_line: at most one `promoted` version per line.
-- * promotion_events: one row per state change; INSERT only (UPDATE, DELETE and TRUNCATE are
--   refused). db_user, at and xact_id are the database's own (column defaults; a check
--   refuses any other value); seq and line_id are filled in when the writer leaves them out.
-- * Triggers refuse a change of promotion_state that is not an allowed transition, or that
--   has no matching event written in the same transaction.
--
-- "Written in the same transaction": each event stores pg_current_xact_id(), the id of the
-- TOP-LEVEL transaction (the same inside savepoints, unlike a row's xmin, which is the
-- subtransaction's id); no other value is accepted. A state change is accepted only when the
-- artifact's latest event (highest seq) carries the current transaction's id and says
-- exactly this change (from OLD to NEW). One event allows one change: after it, the row
-- agrees with the event, and the next change needs a new event. A GUC marker was not used:
-- custom setting names cannot hold arbitrary artifact ids.
--
-- Cost: the checks of INSERTs run once per statement over its new rows (transition tables),
-- so a bulk registration pays one set-based query per batch, not a PL/pgSQL call per row.
--
-- Adoption: every version present when this file is applied gets an initial event recording
-- the state it was found in (set by hand or not). A line that already has more than one
-- promoted version keeps the newest (model_versions.created_at, then artifact id) as its
-- champion; each other one gets a second event, promoted -> superseded, naming the champion,
-- and artifacts.superseded_by is set to the champion where it was empty.
-- Down-migration: migrations/down/0005_promotion_lifecycle.down.sql (never run by the runner).

ALTER TABLE model_versions ADD COLUMN line_id TEXT;

-- The line of `artifact`: its parent's line when the parent has a version row, else the
-- root of its parent_version_id chain among artifacts (so that registration order does not
-- matter). A chain that loops makes the artifact its own line.
CREATE FUNCTION mc_line_of(artifact TEXT) RETURNS TEXT
LANGUAGE plpgsql STABLE AS $$
DECLARE
    node TEXT := artifact;
    parent TEXT;
    parent_line TEXT;
    steps INTEGER := 0;
BEGIN
    LOOP
        SELECT a.parent_version_id INTO parent FROM artifacts a WHERE a.id = node;
        IF parent IS NULL OR parent = node THEN
            RETURN node;
        END IF;
        SELECT v.line_id INTO parent_line FROM model_versions v WHERE v.artifact_id = parent;
        IF parent_line IS NOT NULL THEN
            RETURN parent_line;
        END IF;
        node := parent;
        steps := steps + 1;
        IF node = artifact OR steps > 10000 THEN
            RETURN artifact;
        END IF;
    END LOOP;
END $$;

-- The one definition of an allowed transition (lifecycle/transitions.py says the same).
CREATE FUNCTION mc_transition_allowed(from_state TEXT, to_state TEXT) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_state, to_state) IN (
        ('candidate', 'promoted'), ('candidate', 'rejected'),
        ('promoted', 'superseded'), ('superseded', 'promoted'))
$$;

-- Lines of the versions already there. STABLE: every call sees the table as it was before
-- this UPDATE (all line ids NULL), so each walks to its chain's root: the same answer
-- whatever order rows are updated in.
UPDATE model_versions SET line_id = mc_line_of(artifact_id);
ALTER TABLE model_versions ALTER COLUMN line_id SET NOT NULL;
CREATE INDEX idx_model_versions_line ON model_versions (line_id);

CREATE TABLE promotion_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY,  -- the global order
    artifact_id         TEXT NOT NULL,  -- no foreign key: history outlives a deleted row
    line_id             TEXT NOT NULL,
    seq                 integer NOT NULL,  -- 1, 2, ... per artifact
    action              TEXT NOT NULL,  -- register, backfill, adopt, promote, supersede, ...
    from_state          TEXT CHECK (from_state IN ('candidate', 'promoted', 'rejected', 'superseded')),
    to_state            TEXT NOT NULL
        CHECK (to_state IN ('candidate', 'promoted', 'rejected', 'superseded')),
    actor               TEXT NOT NULL CHECK (btrim(actor) <> ''),
    db_user             TEXT NOT NULL DEFAULT current_user,
    at                  timestamptz NOT NULL DEFAULT now(),
    reason              TEXT NOT NULL CHECK (btrim(reason) <> ''),
    gate_results        jsonb NOT NULL DEFAULT '[]'::jsonb,
    waivers             jsonb NOT NULL DEFAULT '[]'::jsonb,
    superseded_artifact TEXT,  -- on a promotion: the champion it superseded
    successor           TEXT,  -- on a supersede: the version that took over
    xact_id             xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- the key: a concurrent fork of one artifact's history fails here
    CONSTRAINT promotion_events_one_history PRIMARY KEY (artifact_id, seq)
);

CREATE INDEX idx_promotion_events_line ON promotion_events (line_id, id);

-- Adoption, before any trigger exists: the initial events, then one champion per line.
INSERT INTO promotion_events (artifact_id, line_id, seq, action, from_state, to_state, actor, reason)
SELECT artifact_id, line_id, 1, 'adopt', NULL, promotion_state, 'migration 0005',
       'state found when the promotion lifecycle was adopted (migration 0005)'
FROM model_versions
ORDER BY line_id, created_at, artifact_id;

CREATE TEMPORARY TABLE mc_extra_champions ON COMMIT DROP AS
SELECT artifact_id, line_id, champion, champions
FROM (
    SELECT artifact_id, line_id,
           first_value(artifact_id) OVER newest_first AS champion,
           count(*) OVER (PARTITION BY line_id) AS champions,
           row_number() OVER newest_first AS rank
    FROM model_versions
    WHERE promotion_state = 'promoted'
    WINDOW newest_first AS (PARTITION BY line_id ORDER BY created_at DESC, artifact_id DESC)
) ranked
WHERE rank > 1;

INSERT INTO promotion_events
    (artifact_id, line_id, seq, action, from_state, to_state, actor, reason, successor)
SELECT artifact_id, line_id, 2, 'adopt', 'promoted', 'superseded', 'migration 0005',
       format('line %s had %s promoted versions when migration 0005 was applied; the newest, '
              '%s, stays the champion', line_id, champions, champion),
       champion
FROM mc_extra_champions;

UPDATE model_versions v SET promotion_state = 'superseded'
FROM mc_extra_champions x WHERE x.artifact_id = v.artifact_id;

-- (A host's own artifacts table may lack superseded_by: then there is nothing to set.)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
               AND table_name = 'artifacts' AND column_name = 'superseded_by') THEN
        UPDATE artifacts a SET superseded_by = x.champion
        FROM mc_extra_champions x WHERE x.artifact_id = a.id AND a.superseded_by IS NULL;
    END IF;
END $$;

CREATE UNIQUE INDEX model_versions_one_champion_per_line
    ON model_versions (line_id) WHERE promotion_state = 'promoted';

-- Events. Writers may leave seq and line_id out: a row trigger fills them in (only then, so
-- that registration, which gives them, pays nothing per row). Whoever filled them, a check
-- after each INSERT statement, set-based over the statement's new rows, refuses any event
-- that does not continue its artifact's history: its line, its sequence number, its
-- from_state (the previous event's to_state), an allowed transition, and db_user, at and
-- xact_id, which must be the database's own (the column defaults).
CREATE FUNCTION mc_promotion_event_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    version_line TEXT;
    last_seq INTEGER;
BEGIN
    SELECT (SELECT v.line_id FROM model_versions v WHERE v.artifact_id = NEW.artifact_id),
           (SELECT max(p.seq) FROM promotion_events p WHERE p.artifact_id = NEW.artifact_id)
    INTO version_line, last_seq;
    NEW.line_id := coalesce(NEW.line_id, version_line, mc_line_of(NEW.artifact_id));
    NEW.seq := coalesce(NEW.seq, coalesce(last_seq, 0) + 1);
    RETURN NEW;
END $$;

CREATE TRIGGER promotion_events_fill BEFORE INSERT ON promotion_events
    FOR EACH ROW WHEN (NEW.seq IS NULL OR NEW.line_id IS NULL)
    EXECUTE FUNCTION mc_promotion_event_fill();

CREATE FUNCTION mc_promotion_events_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad RECORD;
BEGIN
    -- Scalar subqueries, not joins: one index probe per new row, never a scan of the whole
    -- table (the planner has no statistics on a transition table).
    SELECT n.artifact_id, n.from_state, n.to_state, n.seq, x.last_to,
           n.db_user = current_user AND n.at = now() AND n.xact_id = pg_current_xact_id()
               AS own_stamp,
           n.line_id = coalesce(x.version_line, mc_line_of(n.artifact_id)) AS right_line
    INTO bad
    FROM added n
    CROSS JOIN LATERAL (SELECT
        (SELECT p.to_state FROM promotion_events p
         WHERE p.artifact_id = n.artifact_id AND p.seq = n.seq - 1) AS last_to,
        (SELECT v.line_id FROM model_versions v WHERE v.artifact_id = n.artifact_id)
            AS version_line) x
    WHERE NOT (n.db_user = current_user AND n.at = now() AND n.xact_id = pg_current_xact_id())
       OR n.line_id IS DISTINCT FROM coalesce(x.version_line, mc_line_of(n.artifact_id))
       OR (n.seq = 1 AND n.from_state IS NOT NULL AND n.from_state <> 'candidate')
       OR (n.seq > 1 AND (x.last_to IS NULL OR n.from_state IS NULL
                          OR n.from_state <> x.last_to))
       OR n.seq < 1
       OR (n.from_state IS NOT NULL AND NOT mc_transition_allowed(n.from_state, n.to_state))
    LIMIT 1;
    IF bad.artifact_id IS NULL THEN
        RETURN NULL;
    ELSIF NOT bad.own_stamp THEN
        RAISE EXCEPTION USING ERRCODE = 'MC703', MESSAGE = format(
            'an event of %s gives its own db_user, at or xact_id; the database records those',
            bad.artifact_id);
    ELSIF NOT coalesce(bad.right_line, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'MC710', MESSAGE = format(
            'an event of %s names another line than the version''s', bad.artifact_id);
    ELSIF bad.seq > 1 AND bad.from_state IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MC701', MESSAGE = format(
            '%s already has a history (its last state is %s); a new initial event is refused',
            bad.artifact_id, bad.last_to);
    ELSIF bad.seq = 1 AND bad.from_state IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MC701', MESSAGE = format(
            '%s has no history yet, so it is a candidate; an event from %s does not follow',
            bad.artifact_id, bad.from_state);
    ELSIF bad.last_to IS DISTINCT FROM bad.from_state THEN
        RAISE EXCEPTION USING ERRCODE = 'MC701', MESSAGE = format(
            'the event says %s goes from %s, but its history says it is %s',
            bad.artifact_id, bad.from_state, coalesce(bad.last_to, 'something else'));
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'MC701', MESSAGE = format(
        '%s cannot go from %s to %s', bad.artifact_id, bad.from_state, bad.to_state);
END $$;

CREATE TRIGGER promotion_events_check AFTER INSERT ON promotion_events
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION mc_promotion_events_check();

CREATE FUNCTION mc_promotion_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'MC703', MESSAGE = format(
        'promotion_events is append-only: %s is refused; the history cannot be rewritten', TG_OP);
END $$;

CREATE TRIGGER promotion_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON promotion_events FOR EACH STATEMENT EXECUTE FUNCTION mc_promotion_events_append_only();

-- Versions. On INSERT a row trigger computes line_id when the writer leaves it out, and a
-- check after each INSERT statement, set-based, refuses a line that is not the version's
-- and a state its history does not end in: no history means candidate, and any other state
-- needs its event in this transaction. So deleting a row and inserting it again cannot change
-- its state. On UPDATE a row trigger refuses a change of artifact_id or line_id, and a state
-- change that is not an allowed transition or has no matching event in this transaction.
CREATE FUNCTION mc_model_version_line() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.line_id := mc_line_of(NEW.artifact_id);
    RETURN NEW;
END $$;

CREATE TRIGGER model_versions_line BEFORE INSERT ON model_versions
    FOR EACH ROW WHEN (NEW.line_id IS NULL) EXECUTE FUNCTION mc_model_version_line();

CREATE FUNCTION mc_model_versions_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad RECORD;
BEGIN
    -- Scalar subqueries and LATERAL ... LIMIT 1: index probes per new row, never a scan of
    -- a whole table (the planner has no statistics on a transition table).
    SELECT n.artifact_id, n.promotion_state, e.to_state AS last_to,
           n.line_id = expected.line_id AS right_line
    INTO bad
    FROM added n
    CROSS JOIN LATERAL (SELECT (SELECT a.parent_version_id FROM artifacts a
                                WHERE a.id = n.artifact_id) AS parent) p
    CROSS JOIN LATERAL (SELECT CASE
        WHEN p.parent IS NULL OR p.parent = n.artifact_id THEN n.artifact_id
        ELSE coalesce((SELECT pv.line_id FROM model_versions pv WHERE pv.artifact_id = p.parent),
                      mc_line_of(n.artifact_id)) END AS line_id) expected
    LEFT JOIN LATERAL (SELECT q.to_state, q.xact_id FROM promotion_events q
                       WHERE q.artifact_id = n.artifact_id ORDER BY q.seq DESC LIMIT 1) e
        ON true
    WHERE n.line_id IS DISTINCT FROM expected.line_id
       OR NOT coalesce(  -- (no event at all: e.* is NULL, and NULL is no pass)
           (n.promotion_state = 'candidate' AND coalesce(e.to_state, 'candidate') = 'candidate')
           OR (e.to_state = n.promotion_state AND e.xact_id = pg_current_xact_id()), false)
    LIMIT 1;
    IF bad.artifact_id IS NULL THEN
        RETURN NULL;
    ELSIF NOT bad.right_line THEN
        RAISE EXCEPTION USING ERRCODE = 'MC710', MESSAGE = format(
            'version %s is inserted with another line than its parent_version_id chain gives',
            bad.artifact_id);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'MC702', MESSAGE = format(
        'version %s cannot be inserted as %s: its history says %s, and no event in this '
        'transaction records it', bad.artifact_id, bad.promotion_state,
        coalesce(bad.last_to, 'nothing (a new version is a candidate)'));
END $$;

CREATE TRIGGER model_versions_check AFTER INSERT ON model_versions
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION mc_model_versions_check();

CREATE FUNCTION mc_model_version_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_from TEXT;
    last_to TEXT;
    last_seq INTEGER;
    last_xact xid8;
BEGIN
    IF NEW.artifact_id IS DISTINCT FROM OLD.artifact_id
       OR NEW.line_id IS DISTINCT FROM OLD.line_id THEN
        RAISE EXCEPTION USING ERRCODE = 'MC710', MESSAGE = format(
            'the artifact_id and line_id of version %s cannot change', OLD.artifact_id);
    END IF;
    IF NEW.promotion_state IS NOT DISTINCT FROM OLD.promotion_state
       OR NEW.promotion_state NOT IN ('candidate', 'promoted', 'rejected', 'superseded') THEN
        RETURN NEW;  -- an unknown state: model_versions_promotion_state_check refuses it
    END IF;
    IF NOT mc_transition_allowed(OLD.promotion_state, NEW.promotion_state) THEN
        RAISE EXCEPTION USING ERRCODE = 'MC701', MESSAGE = format(
            'version %s cannot go from %s to %s', NEW.artifact_id, OLD.promotion_state,
            NEW.promotion_state);
    END IF;
    SELECT e.from_state, e.to_state, e.seq, e.xact_id
    INTO last_from, last_to, last_seq, last_xact
    FROM promotion_events e WHERE e.artifact_id = NEW.artifact_id
    ORDER BY e.seq DESC LIMIT 1;
    IF last_seq IS NULL OR last_xact <> pg_current_xact_id()
       OR last_from IS DISTINCT FROM OLD.promotion_state OR last_to <> NEW.promotion_state THEN
        RAISE EXCEPTION USING ERRCODE = 'MC702', MESSAGE = format(
            'version %s cannot go from %s to %s without a promotion_events row recording it '
            'in the same transaction', NEW.artifact_id, OLD.promotion_state, NEW.promotion_state);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER model_versions_lifecycle BEFORE UPDATE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION mc_model_version_guard();
