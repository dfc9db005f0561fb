-- 004_clinic.sql: the staff side. Accounts, sessions, failed sign-ins,
-- invites that staff can be shown again, and the table of review
-- decisions (written by the review pages, read by the dashboard), with
-- the one definition of an intake's status that every page shares.

-- Staff accounts. Only an Argon2id hash of the password is kept
-- (crypto_pwhash_str). An account is never deleted: audit rows name it.
CREATE TABLE staff (
	id		bigserial PRIMARY KEY,
	username	text NOT NULL UNIQUE
			    CHECK (username ~ '^[a-z0-9._-]{1,64}$'),
	display_name	text NOT NULL
			    CHECK (octet_length(display_name) BETWEEN 1 AND 128),
	role		text NOT NULL
			    CHECK (role IN ('therapist', 'front_desk', 'admin')),
	password_hash	text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	disabled_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- A signed-in browser. Only the hash of the session token is stored;
-- the idle and absolute limits are the worker's configuration.
CREATE TABLE staff_sessions (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	staff_id	bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Failed sign-ins, for the lockout (api.md: five in 15 minutes). The
-- name typed is kept only as a keyed hash: it may be a password typed
-- in the wrong box, and unknown names count as much as known ones.
CREATE TABLE login_failures (
	id		bigserial PRIMARY KEY,
	login_key	bytea NOT NULL CHECK (length(login_key) = 32),
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_at ON login_failures (login_key, at);

-- The invite token is a keyed hash of this nonce under the clinic
-- worker's secret, so the appointment page can show the link again while
-- the database holds neither the token nor anything that yields it.
ALTER TABLE appointments
	ADD COLUMN invite_nonce bytea CHECK (length(invite_nonce) = 32),
	ADD COLUMN updated_at timestamptz;

-- Review decisions, one row per decision: a later one replaces the
-- earlier on the page, and all stay. The note is an envelope blob.
ALTER TABLE flags ADD CONSTRAINT flags_id_intake UNIQUE (id, intake_id);
CREATE TABLE flag_decisions (
	id		bigserial PRIMARY KEY,
	flag_id		bigint NOT NULL,
	intake_id	bigint NOT NULL,
	staff_id	bigint NOT NULL REFERENCES staff (id),
	decided_at	timestamptz NOT NULL DEFAULT now(),
	decision	text NOT NULL CHECK (decision IN
			    ('proceed', 'modify', 'avoid_area', 'defer', 'refer')),
	note_blob	bytea,
	FOREIGN KEY (flag_id, intake_id) REFERENCES flags (id, intake_id)
	    ON DELETE CASCADE
);
CREATE INDEX flag_decisions_flag ON flag_decisions (flag_id, decided_at);
CREATE INDEX flag_decisions_intake ON flag_decisions (intake_id);
CREATE TRIGGER flag_decisions_frozen
	BEFORE UPDATE ON flag_decisions
	FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Each intake's state (api.md, dashboard):
--   superseded  a newer intake of the same patient exists;
--   reviewed    every flag has a decision (so also an intake without flags);
--   submitted   otherwise.
-- open_severity is the most serious severity without a decision (NULL
-- when none); nflags counts every flag.
CREATE VIEW intake_states AS
SELECT i.id AS intake_id,
    i.appointment_id,
    CASE
	WHEN EXISTS (SELECT 1 FROM intakes AS n
	    WHERE n.patient_key = i.patient_key
	    AND (n.received_at, n.id) > (i.received_at, i.id)) THEN 'superseded'
	WHEN EXISTS (SELECT 1 FROM flags AS f
	    WHERE f.intake_id = i.id
	    AND NOT EXISTS (SELECT 1 FROM flag_decisions AS d
		WHERE d.flag_id = f.id)) THEN 'submitted'
	ELSE 'reviewed'
    END AS status,
    (SELECT f.severity FROM flags AS f
	WHERE f.intake_id = i.id
	AND NOT EXISTS (SELECT 1 FROM flag_decisions AS d
	    WHERE d.flag_id = f.id)
	ORDER BY severity_rank(f.severity) LIMIT 1) AS open_severity,
    (SELECT count(*) FROM flags AS f WHERE f.intake_id = i.id) AS nflags
FROM intakes AS i;

-- The clinic worker (clinic_reader): what its pages change, and no more.
-- It may not change a role or a user name, nor delete an account.
REVOKE ALL ON staff, staff_sessions, login_failures, flag_decisions,
    intake_states FROM PUBLIC;
REVOKE ALL ON SEQUENCE staff_id_seq, login_failures_id_seq,
    flag_decisions_id_seq FROM PUBLIC;
GRANT SELECT, INSERT ON staff TO clinic_reader;
GRANT UPDATE (display_name, password_hash, disabled_at) ON staff
    TO clinic_reader;
GRANT USAGE ON SEQUENCE staff_id_seq TO clinic_reader;
GRANT SELECT, INSERT, DELETE ON staff_sessions TO clinic_reader;
GRANT UPDATE (last_seen_at) ON staff_sessions TO clinic_reader;
GRANT SELECT, INSERT, DELETE ON login_failures TO clinic_reader;
GRANT USAGE ON SEQUENCE login_failures_id_seq TO clinic_reader;
GRANT INSERT ON appointments TO clinic_reader;
GRANT UPDATE (patient_name, email, starts_at, therapist, modality,
    invite_expires_at, cancelled_at, updated_at) ON appointments
    TO clinic_reader;
GRANT USAGE ON SEQUENCE appointments_id_seq TO clinic_reader;
GRANT SELECT, INSERT ON flag_decisions TO clinic_reader;
GRANT USAGE ON SEQUENCE flag_decisions_id_seq TO clinic_reader;
GRANT SELECT ON intake_states TO clinic_reader;
