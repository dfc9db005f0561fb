/*
 * store.h: everything that talks to PostgreSQL. store.c is the only file
 * that includes libpq-fe.h; no libpq type escapes it. Every statement is
 * parameterised. Each worker child owns one struct store (one connection,
 * opened after fork, re-opened after a failure).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum store_err {
	STORE_OK,
	STORE_UNAVAILABLE,	/* cannot connect, or the server failed: 503 */
	STORE_NOT_FOUND,
	STORE_ERROR,		/* a bug or constraint we did not expect: 500 */
};

struct store;

/* Never fails to allocate-or-NULL; connecting is lazy (store_ensure). */
struct store	*store_open(const char *conninfo, unsigned statement_timeout_ms);
void		 store_close(struct store *);		/* accepts NULL */
/* Connected and answering (reconnects when needed). */
enum store_err	 store_ping(struct store *);

/* ---- intake side (role intake_writer) ---- */

struct store_flag {
	const char		*severity;	/* "urgent", ... in clear */
	const unsigned char	*blob;		/* envelope: rule id, advice, areas */
	size_t			 bloblen;
};

struct store_submission {
	const char		*submission_id;	/* UUID text */
	unsigned		 form_version;
	unsigned		 consent_version;
	const char		*rule_set_version;
	const unsigned char	*answers_hash;	/* 32: keyed hash of all answers */
	const unsigned char	*receipt_hash;	/* 32: hash of the receipt token */
	const char		*reference;	/* short code for the patient */
	const unsigned char	*invite_hash;	/* 32, or NULL when not invited */
	/* identity and contact, in clear (architecture.md) */
	const char		*given_name, *family_name, *date_of_birth;
	const char		*email, *phone;	/* NULL when absent */
	const char		*plain_xml;	/* every non-sensitive answer */
	const unsigned char	*key_id;	/* 8: key the data key is sealed to */
	const unsigned char	*answers_blob;	/* envelope of sensitive answers */
	size_t			 answers_bloblen;
	const unsigned char	*urgent_sealed;	/* token_seal()ed, or NULL */
	size_t			 urgent_sealedlen;
	const char		*highest_severity; /* NULL when no flag */
	const struct store_flag	*flags;
	size_t			 nflags;
	/* consent record, in clear */
	int			 consent_treatment, consent_privacy;
	const char		*consent_sensitive_areas; /* space-separated, may be "" */
	const char		*signature_name;
	const char		*guardian_name, *guardian_relationship; /* or NULL */
};

enum store_outcome {
	STORE_NEW,		/* stored now */
	STORE_SAME,		/* this submission_id with these answers was stored before */
	STORE_CONFLICT,		/* this submission_id was stored with other answers */
};

struct store_receipt {
	char		 reference[32];
	time_t		 received_at;
	unsigned char	*urgent_sealed;		/* malloc'ed or NULL */
	size_t		 urgent_sealedlen;
};

/*
 * Store one submission in one transaction and one round trip; the database
 * decides NEW / SAME / CONFLICT (submission_id is unique). On NEW and SAME,
 * receipt is filled from the stored row. An unknown or expired invite
 * stores the intake unassigned.
 */
enum store_err	 store_submit(struct store *, const struct store_submission *,
		    enum store_outcome *, struct store_receipt *);
enum store_err	 store_receipt_get(struct store *, const unsigned char hash[32],
		    struct store_receipt *);
void		 store_receipt_clear(struct store_receipt *);
/* STORE_OK when the invite token hash names a live appointment. */
enum store_err	 store_invite_valid(struct store *, const unsigned char hash[32]);

struct store_consent {
	unsigned	 version;
	char		*text;		/* verbatim */
	char		 sha256[65];	/* hex */
};
/* The consent text in force (highest installed version). */
enum store_err	 store_consent_current(struct store *, struct store_consent *);
void		 store_consent_clear(struct store_consent *);

/* ---- audit (clinic_reader, and the owner for intakectl) ---- */

/*
 * Append one row to the hash-chained audit log (sql/003_audit.sql) through
 * audit_append(); *id (may be NULL) gets the row's id. Never pass a health
 * answer: who, what, which record, from which address (target and address
 * may be NULL).
 */
enum store_err	 store_audit_append(struct store *, const char *actor,
		    const char *action, const char *target,
		    const char *address, long long *id);

/* ---- for the other files of src/store/ ---- */

struct pg_result;	/* libpq's PGresult: seen inside src/store/ only */

/*
 * Run one parameterised statement on this store's connection, with
 * store.c's connecting, reconnecting and sorting of failures. n values
 * (NULL is SQL NULL); lengths and formats may be NULL (all text). binary
 * asks for binary results. On STORE_OK *res holds the result, which the
 * caller PQclear()s. Only for store_*.c files, which alone include libpq.
 */
enum store_err	 store_query(struct store *, const char *sql, int n,
		    const char *const *values, const int *lengths,
		    const int *formats, int binary, struct pg_result **res);

/* ---- administration (owner role: intakectl) ---- */

/*
 * Why the last call on this store failed, for an operator's eyes: the
 * SQLSTATE, or libpq's message when connecting failed. Never a value.
 * Empty when nothing failed.
 */
const char	*store_last_error(const struct store *);

struct store_migration {
	unsigned	 version;	/* NNN of sql/NNN_name.sql */
	char		 name[256];	/* the file name */
	char		 sha256[65];	/* hex of the file's bytes */
	time_t		 applied_at;
};

/*
 * Take the migration lock (a session advisory lock: one migrator at a
 * time) and create schema_migrations when missing. store_migrate_end
 * releases the lock; closing the store does too.
 */
enum store_err	 store_migrate_begin(struct store *);
enum store_err	 store_migrate_end(struct store *);
/* Applied migrations by version; *out malloc'ed (caller frees), NULL if none. */
enum store_err	 store_migrations(struct store *, struct store_migration **out,
		    size_t *n);
/*
 * Run one migration script and record m (version, name, sha256) in
 * schema_migrations, in one transaction: either both happen or neither.
 * The script holds no transaction control. On failure err holds the
 * server's message (the script is ours, so the message is safe to show).
 */
enum store_err	 store_migrate_apply(struct store *,
		    const struct store_migration *m, const char *sql,
		    char *err, size_t errsz);

/*
 * Install text as the next consent version (highest + 1), its sha256
 * computed and checked by the database. When text is already the version
 * in force, nothing is installed and *installed is 0.
 */
enum store_err	 store_consent_install(struct store *, const char *text,
		    unsigned *version, char sha256[65], int *installed);
/* One installed version; STORE_NOT_FOUND when there is no such version. */
enum store_err	 store_consent_get(struct store *, unsigned version,
		    struct store_consent *);

struct store_keyuse {
	unsigned char	 id[8];		/* key id the data keys are sealed to */
	long long	 intakes;
};

/* Counts for `intakectl status`; -1 where the table does not exist yet. */
struct store_status {
	long long		 intakes, unassigned, flags, consents;
	long long		 appointments, audit_rows;
	long long		 consent_version;	/* 0: none installed */
	struct store_keyuse	*keys;			/* malloc'ed */
	size_t			 nkeys;
};
enum store_err	 store_status_get(struct store *, struct store_status *);
void		 store_status_clear(struct store_status *);

#endif
