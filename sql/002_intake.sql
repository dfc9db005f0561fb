-- 002_intake.sql: the only doors of the public side (role intake_writer).
--
-- intake_writer holds no table privilege: it calls these SECURITY DEFINER
-- functions, which run as their owner and answer only what idempotency,
-- receipts, invites and the consent page need. pg_temp comes last in their
-- search path so that a temporary table cannot stand in for one of ours.

-- Store one submission: the intake, its flags and its consent, in the
-- caller's one transaction.
--   outcome 'new'       stored now;
--           'same'      this submission_id was stored before with the same
--                       answers_hash: nothing is stored again;
--           'conflict'  it was stored with other answers: nothing stored.
-- reference, received_at (epoch seconds) and urgent_sealed are those of the
-- stored row, NULL on 'conflict'. An invite hash that names no appointment,
-- or a cancelled one, or one whose invite has expired, stores the intake
-- unassigned: never an error. Flags come as two parallel arrays, in order.
CREATE FUNCTION intake_submit(
	p_submission_id		uuid,
	p_form_version		integer,
	p_consent_version	integer,
	p_rule_set_version	text,
	p_answers_hash		bytea,
	p_receipt_hash		bytea,
	p_reference		text,
	p_invite_hash		bytea,
	p_given_name		text,
	p_family_name		text,
	p_date_of_birth		date,
	p_email			text,
	p_phone			text,
	p_plain_xml		text,
	p_key_id		bytea,
	p_answers_blob		bytea,
	p_urgent_sealed		bytea,
	p_highest_severity	text,
	p_flag_severities	text[],
	p_flag_blobs		bytea[],
	p_consent_treatment	boolean,
	p_consent_privacy	boolean,
	p_sensitive_areas	text[],
	p_signature_name	text,
	p_guardian_name		text,
	p_guardian_relationship	text)
RETURNS TABLE (outcome text, reference text, received_at bigint,
    urgent_sealed bytea)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v_nflags	integer := coalesce(cardinality(p_flag_severities), 0);
	v_highest	text;
	v_appt		bigint;
	v_id		bigint;
	v_at		timestamptz;
	v_same		boolean;
	v_ref		text;
	v_sealed	bytea;
BEGIN
	-- A caller that gets these wrong has a bug: refuse rather than store
	-- a record that disagrees with itself.
	IF v_nflags <> coalesce(cardinality(p_flag_blobs), 0) THEN
		RAISE EXCEPTION 'intake_submit: % flag severities, % flag blobs',
		    v_nflags, coalesce(cardinality(p_flag_blobs), 0)
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT s INTO v_highest FROM unnest(p_flag_severities) AS s
	    ORDER BY severity_rank(s) NULLS LAST LIMIT 1;
	IF v_highest IS DISTINCT FROM p_highest_severity THEN
		RAISE EXCEPTION 'intake_submit: highest severity does not match the flags'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;

	IF p_invite_hash IS NOT NULL THEN
		SELECT a.id INTO v_appt FROM appointments AS a
		    WHERE a.invite_hash = p_invite_hash
		    AND a.cancelled_at IS NULL
		    AND a.invite_expires_at > now();
	END IF;

	INSERT INTO intakes AS i (submission_id, form_version, consent_version,
	    rule_set_version, answers_hash, receipt_hash, reference,
	    appointment_id, given_name, family_name, date_of_birth, email,
	    phone, plain_xml, key_id, answers_blob, urgent_sealed,
	    highest_severity)
	VALUES (p_submission_id, p_form_version, p_consent_version,
	    p_rule_set_version, p_answers_hash, p_receipt_hash, p_reference,
	    v_appt, p_given_name, p_family_name, p_date_of_birth, p_email,
	    p_phone, p_plain_xml, p_key_id, p_answers_blob, p_urgent_sealed,
	    p_highest_severity)
	ON CONFLICT (submission_id) DO NOTHING
	RETURNING i.id, i.received_at INTO v_id, v_at;

	IF v_id IS NOT NULL THEN
		INSERT INTO flags (intake_id, position, severity, blob)
		    SELECT v_id, f.n - 1, f.sev, f.blob
		    FROM unnest(p_flag_severities, p_flag_blobs)
		        WITH ORDINALITY AS f (sev, blob, n);
		INSERT INTO consents (intake_id, kind, consent_version,
		    treatment, privacy, sensitive_areas, signature_name,
		    guardian_name, guardian_relationship)
		VALUES (v_id, 'given', p_consent_version, p_consent_treatment,
		    p_consent_privacy, coalesce(p_sensitive_areas, '{}'),
		    p_signature_name, p_guardian_name, p_guardian_relationship);
		RETURN QUERY SELECT 'new'::text, p_reference,
		    floor(extract(epoch FROM v_at))::bigint, p_urgent_sealed;
		RETURN;
	END IF;

	-- Stored before (or by a concurrent call that committed first: the
	-- INSERT waited for it). Read the row now committed.
	SELECT i.answers_hash = p_answers_hash, i.reference, i.received_at,
	    i.urgent_sealed
	    INTO v_same, v_ref, v_at, v_sealed
	    FROM intakes AS i WHERE i.submission_id = p_submission_id;
	IF v_same THEN
		RETURN QUERY SELECT 'same'::text, v_ref,
		    floor(extract(epoch FROM v_at))::bigint, v_sealed;
	ELSE
		RETURN QUERY SELECT 'conflict'::text, NULL::text, NULL::bigint,
		    NULL::bytea;
	END IF;
END
$$;

-- The receipt behind a receipt token's hash: no row when unknown.
CREATE FUNCTION intake_receipt(p_receipt_hash bytea)
RETURNS TABLE (reference text, received_at bigint, urgent_sealed bytea)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
	SELECT i.reference, floor(extract(epoch FROM i.received_at))::bigint,
	    i.urgent_sealed
	FROM intakes AS i
	WHERE i.receipt_hash = p_receipt_hash
$$;

-- Whether an invite token's hash names an appointment that is neither
-- cancelled nor past its invite's expiry. Nothing else is revealed.
CREATE FUNCTION intake_invite_valid(p_invite_hash bytea) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM appointments AS a
	    WHERE a.invite_hash = p_invite_hash
	    AND a.cancelled_at IS NULL
	    AND a.invite_expires_at > now())
$$;

-- The consent text in force: the highest installed version. No row when
-- none is installed. sha256 is lower-case hex.
CREATE FUNCTION consent_current()
RETURNS TABLE (version integer, body text, sha256 text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
	SELECT d.version, d.body, encode(d.sha256, 'hex')
	FROM consent_documents AS d
	ORDER BY d.version DESC
	LIMIT 1
$$;

REVOKE ALL ON FUNCTION
    intake_submit(uuid, integer, integer, text, bytea, bytea, text, bytea,
	text, text, date, text, text, text, bytea, bytea, bytea, text, text[],
	bytea[], boolean, boolean, text[], text, text, text),
    intake_receipt(bytea), intake_invite_valid(bytea), consent_current()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    intake_submit(uuid, integer, integer, text, bytea, bytea, text, bytea,
	text, text, date, text, text, text, bytea, bytea, bytea, text, text[],
	bytea[], boolean, boolean, text[], text, text, text),
    intake_receipt(bytea), intake_invite_valid(bytea), consent_current()
    TO intake_writer;
GRANT EXECUTE ON FUNCTION consent_current() TO clinic_reader;
