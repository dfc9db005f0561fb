-- 008_admin.sql: what intakectl's key rotation and retention commands
-- need (api.md, Administration). Run as the owner; nothing here is
-- granted to the service roles.

-- The key id a sealed blob names (src/crypto/envelope.h: magic "CIE",
-- format version, algorithm tag, then the 8-byte key id).
CREATE FUNCTION envelope_key_id(p_blob bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog
AS $$
	SELECT substring(p_blob FROM 6 FOR 8)
$$;

-- Whether p_new is p_old re-sealed to another key (architecture.md:
-- "rotation re-seals data keys only; payloads are untouched"): the same
-- length, magic, version and algorithm, the same nonce and ciphertext;
-- only the key id and the sealed data key (bytes 6 to 93) differ.
CREATE FUNCTION envelope_rewrapped(p_old bytea, p_new bytea) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog
AS $$
	SELECT length(p_old) = length(p_new)
	    AND length(p_old) >= 133	-- header 117 + tag 16
	    AND substring(p_old FROM 1 FOR 5) = substring(p_new FROM 1 FOR 5)
	    AND substring(p_old FROM 94) = substring(p_new FROM 94)
$$;

-- For rows that are a record once written but hold a sealed note: refuse
-- every UPDATE (as refuse_change() does) except one that re-seals the
-- blob in column TG_ARGV[0] and changes nothing else, which is what
-- `intakectl key-rewrap` does after a key rotation.
CREATE FUNCTION refuse_change_but_rewrap() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_col	text := TG_ARGV[0];
	v_old	jsonb := to_jsonb(OLD);
	v_new	jsonb := to_jsonb(NEW);
BEGIN
	-- bytea appears in jsonb as the text "\x<hex>".
	IF TG_OP = 'UPDATE' AND (v_old - v_col) = (v_new - v_col)
	    AND envelope_rewrapped(
		decode(substring(v_old ->> v_col FROM 3), 'hex'),
		decode(substring(v_new ->> v_col FROM 3), 'hex')) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER consents_frozen ON consents;
CREATE TRIGGER consents_frozen
	BEFORE UPDATE ON consents
	FOR EACH ROW EXECUTE FUNCTION refuse_change_but_rewrap('note_blob');
DROP TRIGGER flag_decisions_frozen ON flag_decisions;
CREATE TRIGGER flag_decisions_frozen
	BEFORE UPDATE ON flag_decisions
	FOR EACH ROW EXECUTE FUNCTION refuse_change_but_rewrap('note_blob');

-- Delete one patient past retention, in the caller's one transaction:
-- the intakes p_intakes with their flags, consent records and review
-- decisions (flag_decisions), and the appointments p_appts that no other
-- intake is tied to, then one audit row naming the ids deleted. The
-- rule itself is intakectl's (src/core/retention.c), which decided from
-- a listing (the patient's intakes and appointments, the dates of the
-- last intake and last appointment not cancelled, in zone p_tz); when
-- the patient no longer matches it (a new intake, a moved appointment),
-- nothing is deleted and stale is true. Consent texts and the audit log
-- are never deleted.
CREATE FUNCTION admin_purge_patient(p_key text, p_intakes bigint[],
    p_appts bigint[], p_tz text, p_last_intake date, p_last_appt date,
    p_actor text)
RETURNS TABLE (stale boolean, intakes bigint, flags bigint, consents bigint,
    decisions bigint, appointments bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v_intakes	bigint[];
	v_appts		bigint[];
	v_last_intake	date;
	v_last_appt	date;
	v_flags		bigint := 0;
	v_consents	bigint := 0;
	v_decisions	bigint := 0;
	v_gone		bigint := 0;
	v_appts_gone	bigint[];
BEGIN
	-- Hold the patient's rows still while they are judged and deleted.
	PERFORM 1 FROM intakes AS i WHERE i.patient_key = p_key FOR UPDATE;
	PERFORM 1 FROM appointments AS a
	    WHERE a.id IN (SELECT i.appointment_id FROM intakes AS i
		WHERE i.patient_key = p_key)
	    FOR UPDATE;
	SELECT array_agg(i.id ORDER BY i.id),
	    coalesce(array_agg(DISTINCT a.id) FILTER (WHERE a.id IS NOT NULL),
		'{}'),
	    max((i.received_at AT TIME ZONE p_tz)::date),
	    max((a.starts_at AT TIME ZONE p_tz)::date)
		FILTER (WHERE a.cancelled_at IS NULL)
	    INTO v_intakes, v_appts, v_last_intake, v_last_appt
	    FROM intakes AS i LEFT JOIN appointments AS a
		ON a.id = i.appointment_id
	    WHERE i.patient_key = p_key;
	IF v_intakes IS NULL
	    OR v_intakes <> (SELECT array_agg(x ORDER BY x) FROM unnest(p_intakes) AS x)
	    OR v_appts <> coalesce((SELECT array_agg(DISTINCT x) FROM unnest(p_appts) AS x), '{}')
	    OR v_last_intake IS DISTINCT FROM p_last_intake
	    OR v_last_appt IS DISTINCT FROM p_last_appt THEN
		RETURN QUERY SELECT true, 0::bigint, 0::bigint, 0::bigint,
		    0::bigint, 0::bigint;
		RETURN;
	END IF;

	DELETE FROM flag_decisions AS d WHERE d.intake_id = ANY (v_intakes);
	GET DIAGNOSTICS v_decisions = ROW_COUNT;
	DELETE FROM flags AS f WHERE f.intake_id = ANY (v_intakes);
	GET DIAGNOSTICS v_flags = ROW_COUNT;
	DELETE FROM consents AS c WHERE c.intake_id = ANY (v_intakes);
	GET DIAGNOSTICS v_consents = ROW_COUNT;
	DELETE FROM intakes AS i WHERE i.id = ANY (v_intakes);
	GET DIAGNOSTICS v_gone = ROW_COUNT;
	-- An appointment another patient's intake is tied to stays.
	WITH d AS (
		DELETE FROM appointments AS a
		WHERE a.id = ANY (v_appts)
		    AND NOT EXISTS (SELECT 1 FROM intakes AS i
			WHERE i.appointment_id = a.id)
		RETURNING a.id)
	SELECT coalesce(array_agg(d.id ORDER BY d.id), '{}') INTO v_appts_gone
	    FROM d;

	PERFORM audit_append(p_actor, 'purge',
	    'intakes:' || array_to_string(v_intakes, ',')
	    || CASE WHEN cardinality(v_appts_gone) > 0
		THEN ' appointments:' || array_to_string(v_appts_gone, ',')
		ELSE '' END,
	    NULL);
	RETURN QUERY SELECT false, v_gone, v_flags, v_consents, v_decisions,
	    cardinality(v_appts_gone)::bigint;
END
$$;

REVOKE ALL ON FUNCTION envelope_key_id(bytea), envelope_rewrapped(bytea, bytea),
    refuse_change_but_rewrap(),
    admin_purge_patient(text, bigint[], bigint[], text, date, date, text)
    FROM PUBLIC;
