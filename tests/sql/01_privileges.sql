-- 01_privileges.sql: who may touch what (architecture.md, "Privilege
-- separation"). Run by tests/sql/run as a role that may SET ROLE to the
-- three roles; everything is rolled back.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;
SET LOCAL search_path = public, tap;

-- Run sql as role; 'ok' or the SQLSTATE it failed with.
CREATE FUNCTION pg_temp.try(r text, q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st	text := 'ok';
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	BEGIN
		EXECUTE q;
	EXCEPTION WHEN OTHERS THEN
		st := SQLSTATE;
	END;
	RESET ROLE;
	RETURN st;
END
$$;

SELECT plan(44);

-- A consent text for the row-level checks below to find.
INSERT INTO consent_documents (version, body, sha256)
    SELECT coalesce(max(version), 0) + 1, 'Test consent.',
	sha256('Test consent.'::bytea)
    FROM consent_documents;

SELECT has_role('clinic_owner');
SELECT has_role('intake_writer');
SELECT has_role('clinic_reader');

-- Everything belongs to the owner.
SELECT is((SELECT count(*) FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace
    AND c.relname IN ('consent_documents', 'appointments', 'intakes', 'flags',
	'consents', 'audit_log', 'audit_head', 'schema_migrations')
    AND c.relowner = 'clinic_owner'::regrole), 8::bigint,
    'the tables belong to clinic_owner');

-- The public side's doors run as their owner, with a search path that a
-- temporary table cannot hijack, and are closed to PUBLIC.
SELECT ok((SELECT bool_and(p.prosecdef AND p.proowner = 'clinic_owner'::regrole
	AND p.proconfig @> ARRAY['search_path=pg_catalog, public, pg_temp'])
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    AND p.proname IN ('intake_submit', 'intake_receipt', 'intake_invite_valid',
	'consent_current', 'audit_append')),
    'the SECURITY DEFINER functions are the owner''s, search path pinned');
SELECT is((SELECT count(*) FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
    AND p.proowner = 'clinic_owner'::regrole
    AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a
	WHERE a.grantee = 0))), 0::bigint,
    'no function of the owner is executable by PUBLIC');

-- intake_writer: no table privilege at all.
SELECT is((SELECT count(*) FROM information_schema.role_table_grants g
    WHERE g.grantee = 'intake_writer'), 0::bigint,
    'intake_writer holds no table privilege');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM intakes'), '42501',
    'intake_writer cannot SELECT intakes');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM flags'), '42501',
    'intake_writer cannot SELECT flags');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM consents'), '42501',
    'intake_writer cannot SELECT consents');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM appointments'), '42501',
    'intake_writer cannot SELECT appointments');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM consent_documents'),
    '42501', 'intake_writer cannot SELECT consent_documents');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM audit_log'), '42501',
    'intake_writer cannot SELECT audit_log');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM schema_migrations'),
    '42501', 'intake_writer cannot SELECT schema_migrations');
SELECT is(pg_temp.try('intake_writer',
    'INSERT INTO intakes (submission_id) VALUES (gen_random_uuid())'), '42501',
    'intake_writer cannot INSERT into intakes directly');
SELECT is(pg_temp.try('intake_writer', 'UPDATE intakes SET reference = ''x'''),
    '42501', 'intake_writer cannot UPDATE intakes');
SELECT is(pg_temp.try('intake_writer', 'DELETE FROM intakes'), '42501',
    'intake_writer cannot DELETE intakes');
SELECT is(pg_temp.try('intake_writer', 'UPDATE flags SET severity = ''local'''),
    '42501', 'intake_writer cannot UPDATE flags');
SELECT is(pg_temp.try('intake_writer', 'DELETE FROM flags'), '42501',
    'intake_writer cannot DELETE flags');
SELECT is(pg_temp.try('intake_writer', 'UPDATE consents SET privacy = false'),
    '42501', 'intake_writer cannot UPDATE consents');
SELECT is(pg_temp.try('intake_writer', 'DELETE FROM consents'), '42501',
    'intake_writer cannot DELETE consents');
SELECT is(pg_temp.try('intake_writer', 'UPDATE appointments SET therapist = ''x'''),
    '42501', 'intake_writer cannot UPDATE appointments');
SELECT is(pg_temp.try('intake_writer', 'DELETE FROM audit_log'), '42501',
    'intake_writer cannot DELETE audit_log');
SELECT is(pg_temp.try('intake_writer', 'TRUNCATE intakes'), '42501',
    'intake_writer cannot TRUNCATE intakes');
SELECT is(pg_temp.try('intake_writer',
    'SELECT audit_append(''x'', ''y'', NULL, NULL)'), '42501',
    'intake_writer cannot append to the audit log');
SELECT is(pg_temp.try('intake_writer', 'SELECT * FROM consent_current()'), 'ok',
    'intake_writer may read the consent in force');
SELECT is(pg_temp.try('intake_writer',
    'SELECT intake_invite_valid(sha256(''nothing''::bytea))'), 'ok',
    'intake_writer may check an invite');
SELECT is(pg_temp.try('intake_writer',
    'SELECT * FROM intake_receipt(sha256(''nothing''::bytea))'), 'ok',
    'intake_writer may read a receipt by its hash');
-- A temporary table named like ours changes nothing for the functions.
SELECT is(pg_temp.try('intake_writer',
    'CREATE TEMP TABLE consent_documents (version int, body text, sha256 bytea);'
    ' INSERT INTO pg_temp.consent_documents VALUES (999, ''fake'', NULL);'
    ' DO $d$ BEGIN IF (SELECT version FROM consent_current()) = 999 THEN'
    ' RAISE EXCEPTION ''hijacked'' USING ERRCODE = ''XX999''; END IF; END $d$'),
    'ok', 'a temporary table cannot stand in for consent_documents');
DROP TABLE pg_temp.consent_documents;

-- clinic_reader: reads, appends to the audit log, changes nothing else.
SELECT is(pg_temp.try('clinic_reader', 'SELECT * FROM intakes'), 'ok',
    'clinic_reader may SELECT intakes');
SELECT is(pg_temp.try('clinic_reader',
    'SELECT * FROM flags, consents, appointments, consent_documents LIMIT 1'),
    'ok', 'clinic_reader may SELECT flags, consents, appointments, consent texts');
SELECT is(pg_temp.try('clinic_reader', 'UPDATE intakes SET reference = ''x'''),
    '42501', 'clinic_reader cannot UPDATE intakes');
SELECT is(pg_temp.try('clinic_reader', 'DELETE FROM intakes'), '42501',
    'clinic_reader cannot DELETE intakes');
SELECT is(pg_temp.try('clinic_reader',
    'INSERT INTO flags (intake_id, position, severity, blob) VALUES (1, 0, ''local'', ''\x00'')'),
    '42501', 'clinic_reader cannot INSERT flags');
SELECT is(pg_temp.try('clinic_reader', 'UPDATE consents SET privacy = false'),
    '42501', 'clinic_reader cannot UPDATE consents');
SELECT is(pg_temp.try('clinic_reader', 'DELETE FROM consent_documents'),
    '42501', 'clinic_reader cannot DELETE consent texts');
SELECT is(pg_temp.try('clinic_reader', 'SELECT * FROM audit_log'), '42501',
    'clinic_reader cannot read the audit log');
SELECT is(pg_temp.try('clinic_reader',
    'INSERT INTO audit_log (id, at, actor, action, prev_hash, hash) VALUES'
    ' (999, now(), ''x'', ''y'', sha256(''a''::bytea), sha256(''b''::bytea))'),
    '42501', 'clinic_reader cannot write audit_log but through audit_append');
SELECT is(pg_temp.try('clinic_reader', 'UPDATE audit_head SET id = 0'), '42501',
    'clinic_reader cannot move the audit head');
SELECT is(pg_temp.try('clinic_reader',
    'SELECT * FROM intake_submit(NULL, NULL, NULL, NULL, NULL, NULL, NULL,'
    ' NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,'
    ' NULL, NULL, NULL, NULL, NULL, NULL, NULL)'), '42501',
    'clinic_reader cannot submit intakes');
SELECT is(pg_temp.try('clinic_reader',
    'SELECT audit_append(''staff:1'', ''test'', NULL, NULL)'), 'ok',
    'clinic_reader may append to the audit log');

-- Consent texts are kept verbatim, even against the owner.
SELECT is(pg_temp.try('clinic_owner', 'UPDATE consent_documents SET body = body'),
    '42501', 'a consent text cannot be rewritten, even by the owner');
SELECT is(pg_temp.try('clinic_owner', 'DELETE FROM consent_documents'),
    '42501', 'a consent text cannot be deleted, even by the owner');
SELECT is(pg_temp.try('clinic_owner',
    'INSERT INTO consent_documents (version, body, sha256) VALUES'
    ' (1000000, ''text'', sha256(''other''::bytea))'), '23514',
    'a consent text''s sha256 must be that of its body');

SELECT * FROM finish();
ROLLBACK;
