-- 04_intake_state.sql: the state 010 keeps on each intake (superseded,
-- open_severity) through submissions and decisions, against the
-- definition intake_states had before (004). Everything is rolled back.
-- Two intakes of one patient at once: tests/sql/run, step 5.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;
SET LOCAL search_path = public, tap;

-- Store a submission of the test patient as intake_writer; its id.
CREATE FUNCTION pg_temp.submit(sid text, ref text, sevs text[],
    highest text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v	integer := (SELECT max(version) FROM consent_documents);
BEGIN
	SET LOCAL ROLE intake_writer;
	PERFORM 1 FROM intake_submit(sid::uuid, 1, v, '1',
	    sha256(sid::bytea), sha256(('receipt-' || sid)::bytea), ref, NULL,
	    'Rosa', 'Pérez', '1975-06-01', 'rosa@example.org', NULL,
	    '<plain/>', '\x0102030405060708', '\xc1e0', NULL, highest,
	    sevs, (SELECT array_agg(sha256(g::text::bytea))
		FROM generate_series(1, coalesce(cardinality(sevs), 0)) g),
	    true, true, '{}', 'Rosa Pérez', NULL, NULL);
	RESET ROLE;
	RETURN (SELECT id FROM intakes WHERE submission_id = sid::uuid);
END
$$;

-- An intake as its state reads: "status open_severity nflags".
CREATE FUNCTION pg_temp.state(p bigint) RETURNS text
LANGUAGE sql AS $$
	SELECT status || ' ' || coalesce(open_severity, '-') || ' ' || nflags
	FROM intake_states WHERE intake_id = p
$$;

-- A decision on intake p's flag at position pos.
CREATE FUNCTION pg_temp.decide(p bigint, pos int, d text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO flag_decisions (flag_id, intake_id, staff_id, decision)
	SELECT f.id, f.intake_id, (SELECT id FROM staff
	    WHERE username = 'state-test'), d
	FROM flags AS f WHERE f.intake_id = p AND f.position = pos
$$;

SELECT plan(14);

INSERT INTO consent_documents (version, body, sha256)
    SELECT coalesce(max(version), 0) + 1, 'Test consent.',
	sha256('Test consent.'::bytea)
    FROM consent_documents;
INSERT INTO staff (username, display_name, role, password_hash)
    VALUES ('state-test', 'State Test', 'therapist', '$argon2id$x');

CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
INSERT INTO ids VALUES ('first', pg_temp.submit(
    '00000000-0000-4000-8000-0000000004a1', 'ST-0001',
    ARRAY['caution', 'urgent'], 'urgent'));

SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'first')),
    'submitted urgent 2',
    'a new intake: submitted, every flag open, the most serious first');

INSERT INTO ids VALUES ('second', pg_temp.submit(
    '00000000-0000-4000-8000-0000000004a2', 'ST-0002',
    ARRAY['caution', 'no_massage', 'local'], 'no_massage'));

SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'first')),
    'superseded urgent 2', 'a newer intake of the patient supersedes it');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'submitted no_massage 3', 'the newer one is current');

SELECT pg_temp.decide((SELECT id FROM ids WHERE name = 'second'), 1, 'refer');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'submitted local 3',
    'a decision on the most serious flag: the next one is open');
SELECT pg_temp.decide((SELECT id FROM ids WHERE name = 'second'), 2, 'modify');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'submitted caution 3', 'and the next');
SELECT pg_temp.decide((SELECT id FROM ids WHERE name = 'second'), 2, 'proceed');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'submitted caution 3', 'a second decision on a decided flag changes nothing');
SELECT pg_temp.decide((SELECT id FROM ids WHERE name = 'second'), 0, 'proceed');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'reviewed - 3', 'every flag decided: reviewed');

INSERT INTO ids VALUES ('third', pg_temp.submit(
    '00000000-0000-4000-8000-0000000004a3', 'ST-0003', '{}', NULL));
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'third')),
    'reviewed - 0', 'an intake without flags: reviewed');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'second')),
    'superseded - 3', 'a reviewed intake is superseded by a newer one too');

-- One stored by a transaction that began earlier but committed later:
-- older by received_at, so superseded at once; the current one stays.
INSERT INTO intakes (submission_id, form_version, consent_version,
    rule_set_version, answers_hash, receipt_hash, reference, given_name,
    family_name, date_of_birth, email, plain_xml, key_id, answers_blob,
    received_at)
SELECT '00000000-0000-4000-8000-0000000004a4', 1, max(version), '1',
    sha256('late'::bytea), sha256('late-r'::bytea), 'ST-0004', 'Rosa',
    'Pérez', '1975-06-01', 'rosa@example.org', '<plain/>',
    '\x0102030405060708', '\xc1e0', now() - interval '1 hour'
FROM consent_documents;
SELECT is(pg_temp.state((SELECT id FROM intakes WHERE reference = 'ST-0004')),
    'superseded - 0', 'an older intake stored late is superseded itself');
SELECT is(pg_temp.state((SELECT id FROM ids WHERE name = 'third')),
    'reviewed - 0', 'and the newest stays current');

SELECT is((SELECT count(*) FROM intakes AS i
    WHERE i.patient_key = patient_key_of('Rosa', 'Pérez', '1975-06-01')
    AND NOT i.superseded), 1::bigint,
    'one intake of the patient is current');

SELECT is((SELECT count(*) FROM intakes AS i JOIN intake_states AS st
    ON st.intake_id = i.id
    WHERE st.status IS DISTINCT FROM CASE
	WHEN EXISTS (SELECT 1 FROM intakes AS n
	    WHERE n.patient_key = i.patient_key
	    AND (n.received_at, n.id) > (i.received_at, i.id)) THEN 'superseded'
	WHEN EXISTS (SELECT 1 FROM flags AS f WHERE f.intake_id = i.id
	    AND NOT EXISTS (SELECT 1 FROM flag_decisions AS d
		WHERE d.flag_id = f.id)) THEN 'submitted'
	ELSE 'reviewed' END
    OR st.open_severity IS DISTINCT FROM (SELECT f.severity FROM flags AS f
	WHERE f.intake_id = i.id AND NOT EXISTS (SELECT 1
	    FROM flag_decisions AS d WHERE d.flag_id = f.id)
	ORDER BY severity_rank(f.severity) LIMIT 1)), 0::bigint,
    'every intake''s stored state agrees with its definition');

SELECT ok((SELECT has_table_privilege('clinic_reader', 'intake_states',
    'SELECT')) AND NOT has_column_privilege('clinic_reader', 'intakes',
    'superseded', 'UPDATE'),
    'clinic_reader reads the state and cannot set it');

SELECT * FROM finish();
ROLLBACK;
