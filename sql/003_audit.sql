-- 003_audit.sql: the append-only, hash-chained audit log (architecture.md,
-- "Audit").
--
-- Row n carries prev_hash = hash of row n-1 (32 zero bytes for row 1) and
--   hash = sha256(prev_hash || audit_canonical(id, at, actor, action,
--                                              target, address))
-- where the canonical form is these UTF-8 lines joined by "\n", with no
-- final newline:
--   clinic-audit-v1
--   <id in decimal>
--   <at as whole microseconds since 1970-01-01T00:00:00Z, in decimal>
--   <actor> <action> <target> <address>, each as "-" when NULL, else
--       "<length in bytes>:<value>"
-- so a verifier written in any language can recompute it. Ids are gapless:
-- with the head kept elsewhere, an edit, a deletion or a truncated tail
-- all show.

CREATE TABLE audit_log (
	id		bigint PRIMARY KEY CHECK (id > 0),
	at		timestamptz NOT NULL,
	actor		text NOT NULL CHECK (actor <> ''),
	action		text NOT NULL CHECK (action <> ''),
	target		text,
	address		text,
	prev_hash	bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash		bytea NOT NULL UNIQUE CHECK (length(hash) = 32)
);

-- The chain's head, one row. Every append locks it FOR UPDATE, so appends
-- are serialised and each sees the row written just before it.
CREATE TABLE audit_head (
	one	boolean PRIMARY KEY DEFAULT true CHECK (one),
	id	bigint NOT NULL CHECK (id >= 0),
	hash	bytea NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (one, id, hash)
    VALUES (true, 0, decode(repeat('00', 32), 'hex'));

-- The bytes hashed for one row (see the top of this file).
CREATE FUNCTION audit_canonical(p_id bigint, p_at timestamptz, p_actor text,
    p_action text, p_target text, p_address text) RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
	SELECT convert_to(concat_ws(E'\n',
	    'clinic-audit-v1',
	    p_id::text,
	    (extract(epoch FROM p_at) * 1000000)::bigint::text,
	    CASE WHEN p_actor IS NULL THEN '-'
		ELSE octet_length(p_actor)::text || ':' || p_actor END,
	    CASE WHEN p_action IS NULL THEN '-'
		ELSE octet_length(p_action)::text || ':' || p_action END,
	    CASE WHEN p_target IS NULL THEN '-'
		ELSE octet_length(p_target)::text || ':' || p_target END,
	    CASE WHEN p_address IS NULL THEN '-'
		ELSE octet_length(p_address)::text || ':' || p_address END),
	    'UTF8')
$$;

-- Append one row; returns its id. The only way anyone but the owner
-- writes to the log. Never pass a health answer: who, what, which record,
-- from where.
CREATE FUNCTION audit_append(p_actor text, p_action text, p_target text,
    p_address text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
	v_prev_id	bigint;
	v_prev		bytea;
	v_at		timestamptz;
	v_hash		bytea;
BEGIN
	SELECT h.id, h.hash INTO STRICT v_prev_id, v_prev
	    FROM audit_head AS h WHERE h.one FOR UPDATE;
	-- Microseconds, as stored, and taken under the lock so that times
	-- never go backwards along the chain.
	v_at := date_trunc('microseconds', clock_timestamp());
	v_hash := sha256(v_prev || audit_canonical(v_prev_id + 1, v_at,
	    p_actor, p_action, p_target, p_address));
	INSERT INTO audit_log (id, at, actor, action, target, address,
	    prev_hash, hash)
	VALUES (v_prev_id + 1, v_at, p_actor, p_action, p_target, p_address,
	    v_prev, v_hash);
	UPDATE audit_head SET id = v_prev_id + 1, hash = v_hash WHERE one;
	RETURN v_prev_id + 1;
END
$$;

-- Append-only for everyone, the owner included: changing history needs a
-- deliberate ALTER TABLE ... DISABLE TRIGGER by the owner, which the
-- chain then exposes.
CREATE TRIGGER audit_log_append_only
	BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate
	BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_head_no_delete
	BEFORE DELETE ON audit_head
	FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_head_no_truncate
	BEFORE TRUNCATE ON audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

REVOKE ALL ON audit_log, audit_head FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_canonical(bigint, timestamptz, text, text, text,
    text), audit_append(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text) TO clinic_reader;
