-- 005_review.sql: what the review pages write (src/clinic/review.c through
-- src/store/store_review.c): a decision on a flag, tying an intake to an
-- appointment, a consent withdrawal.
--
-- Each is one SECURITY DEFINER function that checks the request, makes
-- the change and appends its audit row, all in the caller's one
-- statement: both happen or neither. The actor of the audit row is the
-- staff account's own username, read here, not a value the caller
-- passes. clinic_reader gets EXECUTE on them and no new table privilege.
-- Each answers an outcome word the worker turns into an HTTP status.

-- A withdrawal row says what it withdrew (scope: 'all' or one sensitive
-- area) and who recorded it; its treatment, privacy and sensitive_areas
-- are the consent that remains in force after it. The row given on
-- submission has no scope; the rows before stay as they were.
ALTER TABLE consents
	ADD COLUMN scope text CHECK (scope ~ '^[a-z_]{1,64}$'),
	ADD COLUMN staff_id bigint REFERENCES staff (id),
	ADD CONSTRAINT consents_withdrawal_scope
	    CHECK ((kind = 'withdrawn') = (scope IS NOT NULL)),
	ADD CONSTRAINT consents_withdrawal_staff
	    CHECK (kind = 'withdrawn' OR staff_id IS NULL);

-- screening.md: urgent and no_massage flags accept only defer and refer.
-- Checked on every insert, whoever inserts, against the flag's severity.
CREATE FUNCTION flag_decision_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
	IF NEW.decision NOT IN ('defer', 'refer') AND EXISTS (
	    SELECT 1 FROM flags AS f
	    WHERE f.id = NEW.flag_id
	    AND f.severity IN ('urgent', 'no_massage')) THEN
		RAISE EXCEPTION 'an urgent or no_massage flag accepts only defer or refer'
		    USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER flag_decisions_allowed
	BEFORE INSERT ON flag_decisions
	FOR EACH ROW EXECUTE FUNCTION flag_decision_check();

-- The username of an active account holding one of roles, or NULL.
CREATE FUNCTION review_actor(p_staff bigint, p_roles text[]) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp
AS $$
	SELECT s.username FROM staff AS s
	WHERE s.id = p_staff AND s.disabled_at IS NULL AND s.role = ANY (p_roles)
$$;

-- Record a decision on flag p_flag of intake p_intake by therapist
-- p_staff, with its sealed note (NULL: none).
--   outcome 'decided'     recorded; decision_id is the new row
--           'no_flag'     the intake has no such flag
--           'not_allowed' the flag accepts only defer or refer
--           'forbidden'   p_staff is not an active therapist
CREATE FUNCTION review_decide(p_intake bigint, p_flag bigint, p_staff bigint,
    p_decision text, p_note bytea, p_address text)
RETURNS TABLE (outcome text, decision_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v_actor		text;
	v_sev		text;
	v_id		bigint;
BEGIN
	v_actor := review_actor(p_staff, ARRAY['therapist']);
	IF v_actor IS NULL THEN
		RETURN QUERY SELECT 'forbidden'::text, NULL::bigint;
		RETURN;
	END IF;
	SELECT f.severity INTO v_sev FROM flags AS f
	    WHERE f.id = p_flag AND f.intake_id = p_intake;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'no_flag'::text, NULL::bigint;
		RETURN;
	END IF;
	IF v_sev IN ('urgent', 'no_massage')
	    AND p_decision NOT IN ('defer', 'refer') THEN
		RETURN QUERY SELECT 'not_allowed'::text, NULL::bigint;
		RETURN;
	END IF;
	INSERT INTO flag_decisions AS d (flag_id, intake_id, staff_id,
	    decision, note_blob)
	VALUES (p_flag, p_intake, p_staff, p_decision, p_note)
	RETURNING d.id INTO v_id;
	PERFORM audit_append(v_actor, 'flag-decision',
	    'intake:' || p_intake || ' flag:' || p_flag || ' decision:' || v_id,
	    p_address);
	RETURN QUERY SELECT 'decided'::text, v_id;
END
$$;

-- Tie intake p_intake, while it is unassigned, to appointment
-- p_appointment.
--   'assigned'          done
--   'same'              it was tied to that appointment already: no change
--   'no_intake'         no such intake
--   'assigned_elsewhere' it is tied to another appointment
--   'no_appointment'    no such appointment
--   'cancelled'         the appointment is cancelled
--   'forbidden'         p_staff is not an active account
CREATE FUNCTION review_assign(p_intake bigint, p_appointment bigint,
    p_staff bigint, p_address text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_actor		text;
	v_cur		bigint;
	v_cancelled	timestamptz;
BEGIN
	v_actor := review_actor(p_staff,
	    ARRAY['therapist', 'front_desk', 'admin']);
	IF v_actor IS NULL THEN
		RETURN 'forbidden';
	END IF;
	-- The row lock makes two assignments of one intake take turns.
	SELECT i.appointment_id INTO v_cur FROM intakes AS i
	    WHERE i.id = p_intake FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'no_intake';
	END IF;
	IF v_cur = p_appointment THEN
		RETURN 'same';
	ELSIF v_cur IS NOT NULL THEN
		RETURN 'assigned_elsewhere';
	END IF;
	SELECT a.cancelled_at INTO v_cancelled FROM appointments AS a
	    WHERE a.id = p_appointment;
	IF NOT FOUND THEN
		RETURN 'no_appointment';
	ELSIF v_cancelled IS NOT NULL THEN
		RETURN 'cancelled';
	END IF;
	UPDATE intakes SET appointment_id = p_appointment WHERE id = p_intake;
	PERFORM audit_append(v_actor, 'intake-assign',
	    'intake:' || p_intake || ' appointment:' || p_appointment,
	    p_address);
	RETURN 'assigned';
END
$$;

-- Record a withdrawal of consent for intake p_intake: p_scope 'all', or
-- one sensitive area of those in force. A new consents row holds what
-- remains; every earlier row stays as it is.
--   outcome 'withdrawn'     recorded; consent_id is the new row
--           'no_intake'     no such intake
--           'not_in_force'  nothing of p_scope is in force any more
--           'forbidden'     p_staff is not an active therapist
CREATE FUNCTION review_withdraw(p_intake bigint, p_scope text, p_note bytea,
    p_staff bigint, p_address text)
RETURNS TABLE (outcome text, consent_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v_actor		text;
	v_version	integer;
	v_treatment	boolean;
	v_privacy	boolean;
	v_areas		text[];
	v_id		bigint;
BEGIN
	v_actor := review_actor(p_staff, ARRAY['therapist']);
	IF v_actor IS NULL THEN
		RETURN QUERY SELECT 'forbidden'::text, NULL::bigint;
		RETURN;
	END IF;
	-- Withdrawals of one intake take turns: each reads the one before.
	PERFORM 1 FROM intakes AS i WHERE i.id = p_intake FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'no_intake'::text, NULL::bigint;
		RETURN;
	END IF;
	SELECT c.consent_version, c.treatment, c.privacy, c.sensitive_areas
	    INTO v_version, v_treatment, v_privacy, v_areas
	    FROM consents AS c WHERE c.intake_id = p_intake
	    ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'not_in_force'::text, NULL::bigint;
		RETURN;
	END IF;
	IF p_scope = 'all' THEN
		IF NOT v_treatment AND NOT v_privacy
		    AND cardinality(v_areas) = 0 THEN
			RETURN QUERY SELECT 'not_in_force'::text, NULL::bigint;
			RETURN;
		END IF;
		v_treatment := false;
		v_privacy := false;
		v_areas := '{}';
	ELSE
		IF NOT (p_scope = ANY (v_areas)) THEN
			RETURN QUERY SELECT 'not_in_force'::text, NULL::bigint;
			RETURN;
		END IF;
		v_areas := array_remove(v_areas, p_scope);
	END IF;
	INSERT INTO consents AS c (intake_id, kind, consent_version, treatment,
	    privacy, sensitive_areas, note_blob, scope, staff_id)
	VALUES (p_intake, 'withdrawn', v_version, v_treatment, v_privacy,
	    v_areas, p_note, p_scope, p_staff)
	RETURNING c.id INTO v_id;
	PERFORM audit_append(v_actor, 'consent-withdrawal',
	    'intake:' || p_intake || ' consent:' || v_id, p_address);
	RETURN QUERY SELECT 'withdrawn'::text, v_id;
END
$$;

REVOKE ALL ON FUNCTION flag_decision_check(), review_actor(bigint, text[]),
    review_decide(bigint, bigint, bigint, text, bytea, text),
    review_assign(bigint, bigint, bigint, text),
    review_withdraw(bigint, text, bytea, bigint, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    review_decide(bigint, bigint, bigint, text, bytea, text),
    review_assign(bigint, bigint, bigint, text),
    review_withdraw(bigint, text, bytea, bigint, text)
    TO clinic_reader;
