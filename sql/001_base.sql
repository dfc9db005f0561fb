-- 001_base.sql: roles, the clinical tables and who may touch them.
--
-- Run by `intakectl migrate` as the owner role (clinic_owner), inside one
-- transaction; a migration file holds no transaction control of its own.
-- The owner needs CREATEROLE only when the two service roles do not exist
-- yet; it must not be a superuser, since the SECURITY DEFINER functions of
-- later migrations run with their owner's rights.

DO $$
BEGIN
	IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
		RAISE EXCEPTION 'migrations must run as the owner role (clinic_owner), not as a superuser';
	END IF;
	-- normalize() and the patient key need it; so does any patient's name.
	IF current_setting('server_encoding') <> 'UTF8' THEN
		RAISE EXCEPTION 'the database must use the UTF8 encoding, not %',
		    current_setting('server_encoding');
	END IF;
	-- A production server may have the roles already (NOLOGIN groups
	-- with login members, say): only create what is missing.
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'intake_writer') THEN
		CREATE ROLE intake_writer LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinic_reader') THEN
		CREATE ROLE clinic_reader LOGIN;
	END IF;
END
$$;

-- Nothing this role creates is callable by everyone: each function is
-- granted to the one role that needs it.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The five severities of screening.md, most serious first.
CREATE FUNCTION severity_rank(sev text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog
AS $$
	SELECT CASE sev
	    WHEN 'urgent' THEN 0
	    WHEN 'no_massage' THEN 1
	    WHEN 'clearance' THEN 2
	    WHEN 'local' THEN 3
	    WHEN 'caution' THEN 4
	END
$$;

-- "Same patient" (api.md): the same given name, family name and date of
-- birth, compared after NFC normalisation, trimming, collapsing white space
-- and lower-casing.
CREATE FUNCTION patient_key_of(given text, family text, dob date) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog
AS $$
	SELECT lower(regexp_replace(btrim(normalize(given, NFC)), '\s+', ' ', 'g'))
	    || '|' || lower(regexp_replace(btrim(normalize(family, NFC)), '\s+', ' ', 'g'))
	    || '|' || to_char(dob, 'YYYY-MM-DD')
$$;

-- Each consent text is kept verbatim for ever: intakes name the version
-- they were signed under.
CREATE TABLE consent_documents (
	version		integer PRIMARY KEY CHECK (version > 0),
	body		text NOT NULL CHECK (body <> ''),
	sha256		bytea NOT NULL,
	installed_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (sha256 = sha256(convert_to(body, 'UTF8')))
);

CREATE TABLE appointments (
	id			bigserial PRIMARY KEY,
	patient_name		text NOT NULL CHECK (length(patient_name) BETWEEN 1 AND 250),
	email			text CHECK (length(email) BETWEEN 3 AND 254),
	starts_at		timestamptz NOT NULL,
	therapist		text NOT NULL CHECK (therapist <> ''),
	modality		text NOT NULL CHECK (modality ~ '^[a-z_]{1,64}$'),
	-- Only the hash of the invite token is stored (architecture.md).
	invite_hash		bytea UNIQUE CHECK (length(invite_hash) = 32),
	invite_expires_at	timestamptz,
	cancelled_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (invite_hash IS NULL OR invite_expires_at IS NOT NULL)
);
CREATE INDEX appointments_starts_at ON appointments (starts_at);

-- One row per accepted submission. What the patient answered in the
-- health sections is only in answers_blob (ciphertext); identity and
-- contact details stay in clear for the clinic's dashboard.
CREATE TABLE intakes (
	id			bigserial PRIMARY KEY,
	submission_id		uuid NOT NULL UNIQUE,
	received_at		timestamptz NOT NULL DEFAULT now(),
	form_version		integer NOT NULL CHECK (form_version > 0),
	consent_version		integer NOT NULL REFERENCES consent_documents (version),
	rule_set_version	text NOT NULL CHECK (rule_set_version <> ''),
	answers_hash		bytea NOT NULL CHECK (length(answers_hash) = 32),
	receipt_hash		bytea NOT NULL UNIQUE CHECK (length(receipt_hash) = 32),
	reference		text NOT NULL UNIQUE
				    CHECK (reference ~ '^[A-Za-z0-9_-]{1,31}$'),
	appointment_id		bigint REFERENCES appointments (id),
	given_name		text NOT NULL CHECK (given_name <> ''),
	family_name		text NOT NULL CHECK (family_name <> ''),
	date_of_birth		date NOT NULL,
	email			text,
	phone			text,
	patient_key		text NOT NULL GENERATED ALWAYS AS
				    (patient_key_of(given_name, family_name, date_of_birth)) STORED,
	plain_xml		text NOT NULL,
	key_id			bytea NOT NULL CHECK (length(key_id) = 8),
	answers_blob		bytea NOT NULL,
	urgent_sealed		bytea,
	highest_severity	text CHECK (highest_severity IN
				    ('urgent', 'no_massage', 'clearance', 'local', 'caution')),
	CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX intakes_appointment ON intakes (appointment_id);
CREATE INDEX intakes_patient_key ON intakes (patient_key);
CREATE INDEX intakes_received_at ON intakes (received_at);

-- Screening flags. The severity is in clear for the dashboard; the rule
-- id, advice and areas are in the blob.
CREATE TABLE flags (
	id		bigserial PRIMARY KEY,
	intake_id	bigint NOT NULL REFERENCES intakes (id) ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position >= 0),
	severity	text NOT NULL CHECK (severity IN
			    ('urgent', 'no_massage', 'clearance', 'local', 'caution')),
	blob		bytea NOT NULL,
	UNIQUE (intake_id, position)
);

-- Consent records, in clear: the clinic's legal record. A withdrawal is a
-- new row; a row is never rewritten.
CREATE TABLE consents (
	id			bigserial PRIMARY KEY,
	intake_id		bigint NOT NULL REFERENCES intakes (id) ON DELETE CASCADE,
	kind			text NOT NULL CHECK (kind IN ('given', 'withdrawn')),
	consent_version		integer NOT NULL REFERENCES consent_documents (version),
	treatment		boolean NOT NULL,
	privacy			boolean NOT NULL,
	sensitive_areas		text[] NOT NULL DEFAULT '{}',
	signature_name		text,
	guardian_name		text,
	guardian_relationship	text,
	recorded_at		timestamptz NOT NULL DEFAULT now(),
	note_blob		bytea,
	-- The form accepts a consent only when both are agreed to.
	CHECK (kind <> 'given' OR (treatment AND privacy AND signature_name <> '')),
	CHECK (guardian_relationship IS NULL OR guardian_name IS NOT NULL),
	CHECK (array_position(sensitive_areas, NULL) IS NULL)
);
CREATE INDEX consents_intake ON consents (intake_id);

-- Rows that are a record once written: refuse UPDATE (and DELETE where
-- given) whoever asks, the owner included. A trigger, because the owner
-- is not bound by its own grants.
CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER consent_documents_frozen
	BEFORE UPDATE OR DELETE ON consent_documents
	FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER consent_documents_no_truncate
	BEFORE TRUNCATE ON consent_documents
	FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER consents_frozen
	BEFORE UPDATE ON consents
	FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Least privilege. intake_writer has no table privilege at all: it goes
-- through the SECURITY DEFINER functions of 002. clinic_reader reads; what
-- it may write is granted by the migrations that add those tables.
REVOKE ALL ON consent_documents, appointments, intakes, flags, consents FROM PUBLIC;
REVOKE ALL ON SEQUENCE appointments_id_seq, intakes_id_seq, flags_id_seq,
    consents_id_seq FROM PUBLIC;
GRANT SELECT ON consent_documents, appointments, intakes, flags, consents
    TO clinic_reader;
REVOKE ALL ON FUNCTION severity_rank(text), patient_key_of(text, text, date),
    refuse_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION severity_rank(text), patient_key_of(text, text, date)
    TO clinic_reader;
