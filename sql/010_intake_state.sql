-- 010: each intake's state kept on its row, so the dashboard reads a page
-- of its queue instead of working out the state of every intake.
--
-- intake_states (004) answered "superseded?" and "highest severity still
-- undecided?" with subqueries per intake, and the dashboard sorted every
-- unassigned intake on them: its cost grew with the clinic's history. Now
--   superseded     a newer intake (received_at, id) of the same patient
--                  exists; set when that newer intake is stored;
--   open_severity  the most serious severity of a flag without a
--                  decision, NULL when none; set when the intake is
--                  stored and after each decision.
-- Triggers keep both, whoever inserts; the view keeps its columns and
-- meaning. Intakes are deleted only a whole patient at a time (purge), so
-- a deletion never leaves an older intake marked superseded by nothing.

ALTER TABLE intakes
	ADD COLUMN superseded boolean NOT NULL DEFAULT false,
	ADD COLUMN open_severity text CHECK (open_severity IN
	    ('urgent', 'no_massage', 'clearance', 'local', 'caution'));

UPDATE intakes AS i SET superseded = true
WHERE EXISTS (SELECT 1 FROM intakes AS n
    WHERE n.patient_key = i.patient_key
    AND (n.received_at, n.id) > (i.received_at, i.id));

-- The most serious severity of intake p_intake's flags without a decision.
CREATE FUNCTION intake_open_severity(p_intake bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp
AS $$
	SELECT f.severity FROM flags AS f
	WHERE f.intake_id = p_intake
	AND NOT EXISTS (SELECT 1 FROM flag_decisions AS d
	    WHERE d.flag_id = f.id)
	ORDER BY severity_rank(f.severity) LIMIT 1
$$;

UPDATE intakes AS i SET open_severity = intake_open_severity(i.id)
WHERE i.highest_severity IS NOT NULL;

-- At most one intake per patient is not superseded: its newest.
CREATE INDEX intakes_patient_current ON intakes (patient_key)
	WHERE NOT superseded;

-- The dashboard's queue of unassigned intakes, in the order it shows them:
-- undecided urgent first, then by severity, no open flag, superseded
-- last; newest first within each. Must match store_intake_rows' ORDER BY.
CREATE INDEX intakes_unassigned_queue ON intakes
	((superseded::integer * 10 + coalesce(severity_rank(open_severity), 5)),
	 received_at DESC, id DESC)
	WHERE appointment_id IS NULL;

-- A new intake starts with every flag open.
CREATE FUNCTION intake_state_new() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	NEW.superseded := false;
	NEW.open_severity := NEW.highest_severity;
	RETURN NEW;
END
$$;

CREATE TRIGGER intakes_state_new
	BEFORE INSERT ON intakes
	FOR EACH ROW EXECUTE FUNCTION intake_state_new();

-- After an intake is stored: mark what it supersedes, or itself when a
-- newer one of the patient was stored first (its transaction began
-- later but committed sooner). The lock makes two intakes of one patient
-- take turns here, and the second, in a fresh snapshot, sees the first:
-- so one of them always sees both.
CREATE FUNCTION intake_state_supersede() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(20100, hashtext(NEW.patient_key));
	IF EXISTS (SELECT 1 FROM intakes AS n
	    WHERE n.patient_key = NEW.patient_key
	    AND (n.received_at, n.id) > (NEW.received_at, NEW.id)) THEN
		UPDATE intakes SET superseded = true WHERE id = NEW.id;
	ELSE
		UPDATE intakes SET superseded = true
		WHERE patient_key = NEW.patient_key AND NOT superseded
		AND id <> NEW.id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER intakes_state_supersede
	AFTER INSERT ON intakes
	FOR EACH ROW EXECUTE FUNCTION intake_state_supersede();

-- After a decision: the intake's open severity again. The row lock makes
-- decisions on one intake take turns, and the recount, in a fresh
-- snapshot, sees every decision committed before it.
CREATE FUNCTION intake_state_decided() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	PERFORM 1 FROM intakes WHERE id = NEW.intake_id FOR UPDATE;
	UPDATE intakes SET open_severity = intake_open_severity(NEW.intake_id)
	WHERE id = NEW.intake_id;
	RETURN NULL;
END
$$;

CREATE TRIGGER flag_decisions_state
	AFTER INSERT ON flag_decisions
	FOR EACH ROW EXECUTE FUNCTION intake_state_decided();

REVOKE ALL ON FUNCTION intake_open_severity(bigint), intake_state_new(),
    intake_state_supersede(), intake_state_decided() FROM PUBLIC;

CREATE OR REPLACE VIEW intake_states AS
SELECT i.id AS intake_id,
    i.appointment_id,
    CASE
	WHEN i.superseded THEN 'superseded'
	WHEN i.open_severity IS NOT NULL THEN 'submitted'
	ELSE 'reviewed'
    END AS status,
    i.open_severity,
    (SELECT count(*) FROM flags AS f WHERE f.intake_id = i.id) AS nflags
FROM intakes AS i;
