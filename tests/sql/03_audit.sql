-- 03_audit.sql: the audit log is append-only and hash-chained
-- (sql/003_audit.sql). Everything is rolled back.
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

SELECT plan(22);

-- The head before this test's rows (the database may have some already).
CREATE TEMP TABLE head0 AS SELECT id, hash FROM audit_head;

SELECT is(pg_temp.as_role('clinic_reader',
    'SELECT audit_append(''staff:7'', ''sign-in'', NULL, ''192.0.2.1'')'),
    ((SELECT id FROM head0) + 1)::text,
    'clinic_reader appends a row; ids follow the head');
SELECT is(pg_temp.as_role('clinic_reader',
    'SELECT audit_append(''staff:7'', ''view'', ''intake:12'', ''192.0.2.1'')'),
    ((SELECT id FROM head0) + 2)::text, 'ids are gapless');
SELECT is(pg_temp.as_role('clinic_owner',
    'SELECT audit_append(''intakectl:root'', ''unicode é\n"x"'', ''a:b'', NULL)'),
    ((SELECT id FROM head0) + 3)::text, 'the owner appends through the same function');
-- A failed append leaves no gap and no trace.
SELECT is(pg_temp.as_role('clinic_reader',
    'SELECT audit_append('''', ''empty actor'', NULL, NULL)'), 'ERROR 23514',
    'an append with an empty actor is refused');
SELECT is(pg_temp.as_role('clinic_reader',
    'SELECT audit_append(''staff:7'', ''sign-out'', NULL, NULL)'),
    ((SELECT id FROM head0) + 4)::text, 'a refused append leaves no gap');

CREATE TEMP TABLE mine AS SELECT * FROM audit_log
    WHERE id > (SELECT id FROM head0);

SELECT is((SELECT prev_hash FROM mine ORDER BY id LIMIT 1),
    (SELECT hash FROM head0), 'the first new row links to the old head');
SELECT is((SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id + 1
    WHERE b.prev_hash <> a.hash), 0::bigint,
    'every row carries the hash of the row before it');
SELECT is((SELECT prev_hash FROM audit_log WHERE id = 1),
    decode(repeat('00', 32), 'hex'), 'the first row links to 32 zero bytes');
SELECT is((SELECT count(*) FROM audit_log
    WHERE hash <> sha256(prev_hash || audit_canonical(id, at, actor, action,
	target, address))), 0::bigint, 'every hash is recomputable');
-- The canonical form as documented, written out here independently.
SELECT is((SELECT count(*) FROM mine
    WHERE hash <> sha256(prev_hash || convert_to(
	'clinic-audit-v1' || E'\n' || id || E'\n' ||
	(extract(epoch FROM at) * 1000000)::bigint || E'\n' ||
	octet_length(actor) || ':' || actor || E'\n' ||
	octet_length(action) || ':' || action || E'\n' ||
	coalesce(octet_length(target) || ':' || target, '-') || E'\n' ||
	coalesce(octet_length(address) || ':' || address, '-'), 'UTF8'))),
    0::bigint, 'the canonical form is the documented one');
SELECT is((SELECT id || ' ' || encode(hash, 'hex') FROM audit_head),
    (SELECT id || ' ' || encode(hash, 'hex') FROM audit_log
	ORDER BY id DESC LIMIT 1), 'the head is the last row');
SELECT ok((SELECT bool_and(b.at >= a.at) FROM audit_log a
    JOIN audit_log b ON b.id = a.id + 1), 'times never go backwards');
SELECT is((SELECT count(*) FROM audit_log), (SELECT id FROM audit_head),
    'as many rows as the head''s id');

-- Append-only, for everyone.
SELECT is(pg_temp.as_role('clinic_owner',
    'UPDATE audit_log SET actor = ''someone else'''), 'ERROR 42501',
    'the owner cannot UPDATE the audit log');
SELECT is(pg_temp.as_role('clinic_owner', 'DELETE FROM audit_log'),
    'ERROR 42501', 'the owner cannot DELETE from the audit log');
SELECT is(pg_temp.as_role('clinic_owner', 'TRUNCATE audit_log'),
    'ERROR 42501', 'the owner cannot TRUNCATE the audit log');
SELECT is(pg_temp.as_role('clinic_reader',
    'UPDATE audit_log SET actor = ''someone else'''), 'ERROR 42501',
    'clinic_reader cannot UPDATE the audit log');
SELECT is(pg_temp.as_role('clinic_reader', 'DELETE FROM audit_log'),
    'ERROR 42501', 'clinic_reader cannot DELETE from the audit log');
SELECT is(pg_temp.as_role('intake_writer',
    'UPDATE audit_log SET actor = ''someone else'''), 'ERROR 42501',
    'intake_writer cannot UPDATE the audit log');
SELECT is(pg_temp.as_role('intake_writer', 'DELETE FROM audit_log'),
    'ERROR 42501', 'intake_writer cannot DELETE from the audit log');
SELECT is(pg_temp.as_role('clinic_owner', 'DELETE FROM audit_head'),
    'ERROR 42501', 'the head cannot be deleted');
SELECT is((SELECT count(*) FROM audit_log a JOIN mine m USING (id)
    WHERE a.actor = m.actor), 4::bigint, 'no row was changed');

SELECT * FROM finish();
ROLLBACK;
