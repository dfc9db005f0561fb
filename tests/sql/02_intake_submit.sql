-- 02_intake_submit.sql: intake_submit and the other doors of the public
-- side, called as intake_writer. Everything is rolled back.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;
SET LOCAL search_path = public, tap;

-- Run sql as role: the first column of its first row as text, or
-- 'ERROR <SQLSTATE>'.
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v	text;
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	BEGIN
		EXECUTE q INTO v;
	EXCEPTION WHEN OTHERS THEN
		v := 'ERROR ' || SQLSTATE;
	END;
	RESET ROLE;
	RETURN v;
END
$$;

-- A submission with everything but what a test varies; returns the
-- SQL text of the call, for as_role().
CREATE FUNCTION pg_temp.submit_sql(sid text, answers text, invite bytea,
    ref text, sevs text[] DEFAULT ARRAY['caution', 'urgent'],
    highest text DEFAULT 'urgent', blobs_n int DEFAULT 2,
    what text DEFAULT 'outcome || '' '' || coalesce(reference, ''-'')')
RETURNS text LANGUAGE sql AS $$
	SELECT format('SELECT %s FROM intake_submit(%L, 1, %s, ''1'','
	    ' sha256(%L::bytea), sha256(%L::bytea), %L, %L::bytea,'
	    ' '' Ana   María '', ''Díaz'', ''1980-02-29'', ''ana@example.org'', NULL,'
	    ' ''<plain/>'', ''\x0102030405060708'', ''\xc1e0'', ''\x5ea1'', %L,'
	    ' %L::text[], (SELECT array_agg(sha256(g::text::bytea)) FROM'
	    ' generate_series(1, %s) g), true, true, ARRAY[''glutes'', ''abdomen''],'
	    ' ''Ana María Díaz'', NULL, NULL)',
	    what, sid, (SELECT max(version) FROM consent_documents), answers,
	    'receipt-' || sid, ref, invite, highest, sevs,
	    blobs_n)
$$;

SELECT plan(33);

INSERT INTO consent_documents (version, body, sha256)
    SELECT coalesce(max(version), 0) + 1, 'Test consent.',
	sha256('Test consent.'::bytea)
    FROM consent_documents;

INSERT INTO appointments (patient_name, starts_at, therapist, modality,
    invite_hash, invite_expires_at, cancelled_at) VALUES
    ('Live', now() + interval '1 day', 'pat', 'relaxation',
	sha256('invite-live'::bytea), now() + interval '7 days', NULL),
    ('Expired', now() - interval '1 day', 'pat', 'relaxation',
	sha256('invite-expired'::bytea), now() - interval '1 hour', NULL),
    ('Cancelled', now() + interval '1 day', 'pat', 'relaxation',
	sha256('invite-cancelled'::bytea), now() + interval '7 days',
	now() - interval '1 hour');

-- New, same, conflict.
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers A', NULL, 'TST-0001')),
    'new TST-0001', 'a first submission is stored: new');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers A', NULL, 'TST-0001')),
    'same TST-0001', 'the same submission again: same, with the first reference');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers A', NULL, 'TST-0099')),
    'same TST-0001', 'a retry is answered with the stored reference');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers B', NULL, 'TST-0002')),
    'conflict -', 'the same submission_id with other answers: conflict');
SELECT is((SELECT count(*) FROM intakes
    WHERE submission_id = '00000000-0000-4000-8000-000000000001'), 1::bigint,
    'only one intake is stored for one submission_id');
SELECT is((SELECT count(*) FROM intakes WHERE reference IN ('TST-0002', 'TST-0099')),
    0::bigint, 'nothing of the retry or the conflict is stored');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers A', NULL, 'TST-0001',
    what => 'encode(urgent_sealed, ''hex'')')), '5ea1',
    'same returns the stored urgent_sealed');
SELECT ok(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers A', NULL, 'TST-0001',
    what => 'received_at'))::bigint
    = (SELECT floor(extract(epoch FROM received_at))::bigint FROM intakes
	WHERE reference = 'TST-0001'),
    'same returns the stored time, in epoch seconds');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000001', 'answers B', NULL, 'TST-0001',
    what => 'coalesce(received_at::text, ''null'')')), 'null',
    'conflict reveals nothing of the stored row');

-- What the first submission stored.
SELECT is((SELECT array_agg(severity || ':' || position ORDER BY position)
    FROM flags f JOIN intakes i ON i.id = f.intake_id
    WHERE i.reference = 'TST-0001'),
    ARRAY['caution:0', 'urgent:1'], 'the flags are stored in order');
SELECT is((SELECT highest_severity FROM intakes WHERE reference = 'TST-0001'),
    'urgent', 'the highest severity is stored');
SELECT is((SELECT c.kind || ' ' || c.consent_version || ' ' || c.treatment
	|| ' ' || c.privacy || ' ' || array_to_string(c.sensitive_areas, ',')
	|| ' ' || c.signature_name
    FROM consents c JOIN intakes i ON i.id = c.intake_id
    WHERE i.reference = 'TST-0001'),
    'given ' || (SELECT max(version) FROM consent_documents) ||
	' true true glutes,abdomen Ana María Díaz',
    'the consent record is stored with the intake');
SELECT is((SELECT patient_key FROM intakes WHERE reference = 'TST-0001'),
    'ana maría|díaz|1980-02-29', 'the patient key is normalised');
SELECT ok((SELECT received_at BETWEEN now() - interval '1 minute' AND now()
    FROM intakes WHERE reference = 'TST-0001'), 'received_at is the server''s');
SELECT is((SELECT appointment_id FROM intakes WHERE reference = 'TST-0001'),
    NULL, 'no invite: unassigned');

-- Invites.
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000002', 'answers', sha256('invite-live'::bytea),
    'TST-0010')), 'new TST-0010', 'a live invite: new');
SELECT is((SELECT a.patient_name FROM intakes i JOIN appointments a
    ON a.id = i.appointment_id WHERE i.reference = 'TST-0010'), 'Live',
    'a live invite ties the intake to its appointment');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000003', 'answers',
    sha256('invite-unknown'::bytea), 'TST-0011')), 'new TST-0011',
    'an unknown invite is no error');
SELECT is((SELECT appointment_id FROM intakes WHERE reference = 'TST-0011'),
    NULL, 'an unknown invite stores the intake unassigned');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000004', 'answers',
    sha256('invite-expired'::bytea), 'TST-0012')), 'new TST-0012',
    'an expired invite is no error');
SELECT is((SELECT appointment_id FROM intakes WHERE reference = 'TST-0012'),
    NULL, 'an expired invite stores the intake unassigned');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000005', 'answers',
    sha256('invite-cancelled'::bytea), 'TST-0013')), 'new TST-0013',
    'a cancelled appointment''s invite is no error');
SELECT is((SELECT appointment_id FROM intakes WHERE reference = 'TST-0013'),
    NULL, 'a cancelled appointment''s invite stores the intake unassigned');
SELECT is(pg_temp.as_role('intake_writer', format(
    'SELECT string_agg(intake_invite_valid(sha256(x::bytea))::text, '' '' ORDER BY n)'
    ' FROM unnest(%L::text[]) WITH ORDINALITY AS t(x, n)',
    ARRAY['invite-live', 'invite-unknown', 'invite-expired', 'invite-cancelled'])),
    'true false false false', 'intake_invite_valid: only the live invite');

-- Receipts and the consent in force.
SELECT is(pg_temp.as_role('intake_writer',
    'SELECT reference || '' '' || encode(urgent_sealed, ''hex'') FROM'
    ' intake_receipt(sha256(''receipt-00000000-0000-4000-8000-000000000002''::bytea))'),
    'TST-0010 5ea1', 'intake_receipt finds a receipt by its hash');
SELECT is(pg_temp.as_role('intake_writer',
    'SELECT count(*) FROM intake_receipt(sha256(''no such receipt''::bytea))'),
    '0', 'an unknown receipt hash finds nothing');
SELECT is(pg_temp.as_role('intake_writer',
    'SELECT version || '' '' || body || '' '' || sha256 FROM consent_current()'),
    (SELECT max(version) FROM consent_documents) || ' Test consent. ' ||
	encode(sha256('Test consent.'::bytea), 'hex'),
    'consent_current is the highest version, with its hex sha256');

-- Flags without urgency, none at all; calls with mistakes.
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000006', 'answers', NULL, 'TST-0020',
    ARRAY[]::text[], NULL, 0)), 'new TST-0020', 'an intake without flags');
SELECT is((SELECT count(*) FROM flags f JOIN intakes i ON i.id = f.intake_id
    WHERE i.reference = 'TST-0020'), 0::bigint, 'no flag stored');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000007', 'answers', NULL, 'TST-0021',
    ARRAY['local', 'caution'], 'local', 1)), 'ERROR 22023',
    'more severities than blobs is refused');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000008', 'answers', NULL, 'TST-0022',
    ARRAY['local', 'clearance'], 'local', 2)), 'ERROR 22023',
    'a highest severity that is not the flags'' highest is refused');
SELECT is(pg_temp.as_role('intake_writer', pg_temp.submit_sql(
    '00000000-0000-4000-8000-000000000009', 'answers', NULL, 'TST-0023',
    ARRAY['fatal'], 'fatal', 1)), 'ERROR 23514', 'an unknown severity is refused');
SELECT is((SELECT count(*) FROM intakes
    WHERE reference IN ('TST-0021', 'TST-0022', 'TST-0023')), 0::bigint,
    'a refused call stores nothing');

SELECT * FROM finish();
ROLLBACK;
