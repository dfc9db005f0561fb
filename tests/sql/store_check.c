/*
 * store_check.c: store.c against a real, migrated database, as TAP.
 * Built and run by tests/sql/run:
 *
 *   store_check CONNINFO SUBMISSION_ID
 *
 * CONNINFO must be allowed to take the roles clinic_owner and
 * intake_writer (through PGOPTIONS "-c role=..."); an appointment whose
 * invite hash is sha256("store-check-invite") must exist and be live.
 * Twice it prints a "# pause ..." line and waits for a line on standard
 * input: after the first the runner kills our connection (the next call
 * must reconnect by itself), after the second it holds a lock on
 * consent_documents (a call must time out as STORE_UNAVAILABLE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "store/store.h"

static int	 tap_n, tap_failed;

static void
tap(int ok, const char *what)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_n, what);
	fflush(stdout);
}

static void
pause_for(const char *what)
{
	char	 line[64];

	printf("# pause %s\n", what);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		printf("# no go-ahead on stdin\n");
}

/* A store whose connections take role (PGOPTIONS is read at connect). */
static struct store *
open_as(const char *conninfo, const char *role, const char *app,
    unsigned timeout_ms)
{
	char	 opt[64];

	snprintf(opt, sizeof(opt), "-c role=%s", role);
	setenv("PGOPTIONS", opt, 1);
	setenv("PGAPPNAME", app, 1);
	return store_open(conninfo, timeout_ms);
}

int
main(int argc, char *argv[])
{
	struct store		*owner, *w, *slow, *down;
	struct store_submission	 sub;
	struct store_flag	 flags[2];
	struct store_receipt	 r, r2;
	struct store_consent	 c;
	enum store_outcome	 out;
	unsigned char		 ahash[32], ahash2[32], rhash[32], ihash[32];
	unsigned char		 unknown[32];
	static const unsigned char keyid[8] = { 'k', 'e', 'y', '-', 0, 1, 2, 3 };
	static const unsigned char blob0[] = { 0x00, '\\', '"', ',', '}', 0xff };
	static const unsigned char blob1[] = { 'x' };
	static const unsigned char answers[] = { 0xc1, 0xe0, 0x00, 0x01 };
	static const unsigned char sealed[] = { 0x5e, 0xa1, 0x00 };
	char			 text[128], hex[65], want[65], sid2[64];
	char			 ref1[16], ref2[16], ref3[16];
	unsigned char		 h[32];
	unsigned		 version;
	int			 installed;
	time_t			 now = time(NULL);

	if (argc != 3) {
		fprintf(stderr, "usage: store_check CONNINFO SUBMISSION_ID\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	printf("1..24\n");
	/* References are unique: a run's own, so runs can follow each other. */
	snprintf(ref1, sizeof(ref1), "S1-%.8s", argv[2]);
	snprintf(ref2, sizeof(ref2), "S2-%.8s", argv[2]);
	snprintf(ref3, sizeof(ref3), "S3-%.8s", argv[2]);

	/* The owner installs a consent text of its own. */
	owner = open_as(argv[1], "clinic_owner", "store_check_owner", 0);
	snprintf(text, sizeof(text), "Consent for store_check %s.\n", argv[2]);
	tap(store_consent_install(owner, text, &version, hex, &installed) ==
	    STORE_OK && installed && version > 0, "consent_install installs");
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(want, sizeof(want), h, sizeof(h));
	tap(strcmp(hex, want) == 0, "its sha256 is that of the text");
	tap(store_consent_install(owner, text, &version, hex, &installed) ==
	    STORE_OK && !installed, "installing the text in force again: no-op");

	w = open_as(argv[1], "intake_writer", "store_check_writer", 5000);
	tap(store_ping(w) == STORE_OK, "ping as intake_writer");
	memset(&c, 0, sizeof(c));
	tap(store_consent_current(w, &c) == STORE_OK && c.version == version &&
	    strcmp(c.text, text) == 0 && strcmp(c.sha256, hex) == 0,
	    "consent_current is the text just installed");
	store_consent_clear(&c);

	crypto_hash_sha256(ahash, (const unsigned char *)"answers", 7);
	crypto_hash_sha256(ahash2, (const unsigned char *)"other", 5);
	crypto_hash_sha256(rhash, (const unsigned char *)argv[2], strlen(argv[2]));
	crypto_hash_sha256(ihash, (const unsigned char *)"store-check-invite", 18);
	crypto_hash_sha256(unknown, (const unsigned char *)"unknown", 7);

	flags[0].severity = "local";
	flags[0].blob = blob0;
	flags[0].bloblen = sizeof(blob0);
	flags[1].severity = "no_massage";
	flags[1].blob = blob1;
	flags[1].bloblen = sizeof(blob1);
	memset(&sub, 0, sizeof(sub));
	sub.submission_id = argv[2];
	sub.form_version = 1;
	sub.consent_version = version;
	sub.rule_set_version = "1";
	sub.answers_hash = ahash;
	sub.receipt_hash = rhash;
	sub.reference = ref1;
	sub.invite_hash = ihash;
	sub.given_name = "Zoë";
	sub.family_name = "O'Brien \"Jr\"";
	sub.date_of_birth = "2010-03-01";
	sub.email = NULL;
	sub.phone = "+1 416 555 0100";
	sub.plain_xml = "<plain a=\"1\"/>";
	sub.key_id = keyid;
	sub.answers_blob = answers;
	sub.answers_bloblen = sizeof(answers);
	sub.urgent_sealed = sealed;
	sub.urgent_sealedlen = sizeof(sealed);
	sub.highest_severity = "no_massage";
	sub.flags = flags;
	sub.nflags = 2;
	sub.consent_treatment = 1;
	sub.consent_privacy = 1;
	sub.consent_sensitive_areas = " glutes  abdomen ";
	sub.signature_name = "Ann O'Brien";
	sub.guardian_name = "Ann O'Brien";
	sub.guardian_relationship = "mother";

	tap(store_submit(w, &sub, &out, &r) == STORE_OK && out == STORE_NEW,
	    "submit: new");
	tap(strcmp(r.reference, ref1) == 0 && r.received_at >= now - 60 &&
	    r.received_at <= now + 60, "the receipt has the reference and time");
	tap(r.urgent_sealedlen == sizeof(sealed) &&
	    memcmp(r.urgent_sealed, sealed, sizeof(sealed)) == 0,
	    "urgent_sealed comes back byte for byte");
	sub.reference = ref2;
	tap(store_submit(w, &sub, &out, &r2) == STORE_OK && out == STORE_SAME &&
	    strcmp(r2.reference, ref1) == 0 &&
	    r2.received_at == r.received_at, "submit again: same, same receipt");
	store_receipt_clear(&r2);
	sub.answers_hash = ahash2;
	tap(store_submit(w, &sub, &out, &r2) == STORE_OK &&
	    out == STORE_CONFLICT, "other answers: conflict");
	store_receipt_clear(&r2);
	store_receipt_clear(&r);

	tap(store_receipt_get(w, rhash, &r) == STORE_OK &&
	    strcmp(r.reference, ref1) == 0 &&
	    r.urgent_sealedlen == sizeof(sealed), "receipt_get finds it");
	store_receipt_clear(&r);
	tap(store_receipt_get(w, unknown, &r) == STORE_NOT_FOUND,
	    "receipt_get: unknown hash is not found");
	tap(store_invite_valid(w, ihash) == STORE_OK, "a live invite is valid");
	tap(store_invite_valid(w, unknown) == STORE_NOT_FOUND,
	    "an unknown invite is not found");

	/* No flag, no invite, no urgency, a second submission. */
	snprintf(sid2, sizeof(sid2), "%.35s0", argv[2]);
	if (strcmp(sid2, argv[2]) == 0)
		sid2[35] = '1';
	sub.submission_id = sid2;
	sub.answers_hash = ahash;
	crypto_hash_sha256(rhash, (const unsigned char *)sid2, strlen(sid2));
	sub.reference = ref3;
	sub.invite_hash = unknown;
	sub.urgent_sealed = NULL;
	sub.urgent_sealedlen = 0;
	sub.highest_severity = NULL;
	sub.nflags = 0;
	sub.flags = NULL;
	sub.consent_sensitive_areas = "";
	sub.guardian_name = sub.guardian_relationship = NULL;
	sub.email = "zoe@example.org";
	sub.phone = NULL;
	tap(store_submit(w, &sub, &out, &r) == STORE_OK && out == STORE_NEW &&
	    r.urgent_sealed == NULL, "no flags, an unknown invite: new");
	store_receipt_clear(&r);

	/* Mistakes are errors, not unavailability. */
	sub.submission_id = "not-a-uuid";
	tap(store_submit(w, &sub, &out, &r) == STORE_ERROR,
	    "a malformed submission id is STORE_ERROR");
	tap(strcmp(store_last_error(w), "SQLSTATE 22P02") == 0,
	    "the last error names the SQLSTATE only");
	tap(store_ping(w) == STORE_OK, "the connection survives an error");
	tap(store_audit_append(w, "x", "y", NULL, NULL, NULL) == STORE_ERROR,
	    "intake_writer may not append to the audit log: STORE_ERROR");

	/* A killed connection is replaced within the call. */
	pause_for("kill store_check_writer");
	memset(&c, 0, sizeof(c));
	tap(store_consent_current(w, &c) == STORE_OK && c.version == version,
	    "after the server dropped us: reconnected within the call");
	store_consent_clear(&c);

	/* A statement that waits past its timeout: later, not a bug. */
	slow = open_as(argv[1], "intake_writer", "store_check_slow", 300);
	tap(store_ping(slow) == STORE_OK, "a store with a 300 ms timeout");
	pause_for("lock consent_documents");
	tap(store_consent_current(slow, &c) == STORE_UNAVAILABLE,
	    "a statement timeout is STORE_UNAVAILABLE");
	store_consent_clear(&c);

	down = store_open("host=/nonexistent-socket-dir dbname=x connect_timeout=2",
	    1000);
	tap(store_ping(down) == STORE_UNAVAILABLE,
	    "no server: STORE_UNAVAILABLE");
	tap(*store_last_error(down) != '\0', "with libpq's reason for the operator");

	store_close(down);
	store_close(slow);
	store_close(w);
	store_close(owner);
	store_close(NULL);
	printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed != 0;
}
