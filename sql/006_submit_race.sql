-- 006: two identical submissions sent at the same moment.
--
-- Identical answers give an identical receipt hash, which is unique too.
-- With "ON CONFLICT (submission_id)" only that index arbitrated, so the
-- second of two concurrent identical posts could fail on the receipt hash
-- index instead of waiting and answering "same". Any unique conflict now
-- leads to reading the row by submission_id; a conflict that is not on
-- submission_id (a reference code drawn twice) is a retryable failure.

CREATE OR REPLACE FUNCTION intake_submit(
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
	ON CONFLICT DO NOTHING
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
	IF NOT FOUND THEN
		-- The conflict was on another unique key (a reference code drawn
		-- twice): nothing was stored; the caller may simply send again.
		RAISE EXCEPTION 'intake_submit: reference code already in use'
		    USING ERRCODE = 'serialization_failure';
	END IF;
	IF v_same THEN
		RETURN QUERY SELECT 'same'::text, v_ref,
		    floor(extract(epoch FROM v_at))::bigint, v_sealed;
	ELSE
		RETURN QUERY SELECT 'conflict'::text, NULL::text, NULL::bigint,
		    NULL::bytea;
	END IF;
END
$$;
