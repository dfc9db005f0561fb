/*
 * store_admin.h: what intakectl's audit, key and retention commands need
 * of PostgreSQL, as the owner role (admin_database). Like store.h, no
 * libpq type escapes it, and every statement is parameterised.
 */
#ifndef STORE_STORE_ADMIN_H
#define STORE_STORE_ADMIN_H

#include <stddef.h>

#include "store/store.h"

/* ---- the audit chain (sql/003_audit.sql) ---- */

#define STORE_HASH_BYTES	32

struct store_audit_head {
	long long	 id;			/* 0: the log is empty */
	unsigned char	 hash[STORE_HASH_BYTES];
};

/* One row as stored; the pointers live until the callback returns. */
struct store_audit_row {
	long long		 id;
	long long		 at_us;		/* microseconds since 1970 UTC */
	const char		*field[4];	/* actor, action, target, address */
	size_t			 fieldlen[4];	/* (NULL pointer: SQL NULL) */
	const unsigned char	*prev_hash, *hash;
	size_t			 prev_hashlen, hashlen;
};

/* Called per row in id order; a non-zero return stops the walk. */
typedef int	(*store_audit_fn)(const struct store_audit_row *, void *arg);

/* The head row (audit_head): the id and hash of the last append. */
enum store_err	 store_audit_head(struct store *, struct store_audit_head *);
/*
 * Walk the whole log in id order within one snapshot, fetched in pages.
 * *head is the head row of that same snapshot and *nrows its row count,
 * both filled before the first call of fn.
 */
enum store_err	 store_audit_walk(struct store *, struct store_audit_head *head,
		    long long *nrows, store_audit_fn fn, void *arg);

/* ---- sealed blobs, for key rotation (key-rewrap) ---- */

/*
 * Where blobs sealed to the clinic key live: intakes' answers, flags,
 * consent withdrawal notes, review decision notes. A place whose table
 * does not exist yet answers STORE_NOT_FOUND.
 */
size_t		 store_sealed_places(void);
const char	*store_sealed_name(size_t place);	/* "flags.blob" */

struct store_sealed {
	long long	 id;		/* the row */
	unsigned char	*blob;		/* malloc'ed */
	size_t		 bloblen;
};

/* How many blobs of place are not sealed to keyid. */
enum store_err	 store_sealed_count(struct store *, size_t place,
		    const unsigned char keyid[8], long long *n);
/*
 * Up to max blobs of place not sealed to keyid, of rows after row id
 * after, in row order. *out is calloc'ed (store_sealed_free).
 */
enum store_err	 store_sealed_next(struct store *, size_t place,
		    const unsigned char keyid[8], long long after, size_t max,
		    struct store_sealed **out, size_t *n);
void		 store_sealed_free(struct store_sealed *, size_t n);
/*
 * In one transaction, give each row old[i].id the blob repl[i] where it
 * still holds old[i]'s bytes (a row changed meanwhile is left alone),
 * and, for intakes, the key id column keyid. *done: rows changed.
 */
enum store_err	 store_sealed_replace(struct store *, size_t place,
		    const unsigned char keyid[8], const struct store_sealed *old,
		    const struct store_sealed *repl, size_t n, size_t *done);

/* ---- patients, for export and retention (purge) ---- */

/*
 * One patient (api.md: the same normalised given name, family name and
 * date of birth, sql/001's patient_key_of), with dates in the clinic's
 * time zone as "YYYY-MM-DD" ("" when there is none).
 */
struct store_patient {
	char		*key;		/* patient_key */
	char		*given, *family; /* as on the latest intake */
	char		 dob[11];
	char		 last_intake[11];
	char		 last_appt[11];	/* latest appointment not cancelled */
	long long	*intakes;	/* intake ids, oldest first */
	size_t		 nintakes;
	long long	*appts;		/* appointment ids they are tied to */
	size_t		 nappts;
};

/*
 * Every patient, by family and given name; *today is the date in the
 * clinic's time zone tz (an IANA name) by the database's clock.
 */
enum store_err	 store_patients(struct store *, const char *tz,
		    char today[11], struct store_patient **out, size_t *n);
/* One patient by name and date of birth ("YYYY-MM-DD"): STORE_NOT_FOUND. */
enum store_err	 store_patient_find(struct store *, const char *tz,
		    const char *given, const char *family, const char *dob,
		    struct store_patient *out);
void		 store_patient_clear(struct store_patient *);
void		 store_patients_free(struct store_patient *, size_t n);

struct store_purged {
	long long	 intakes, flags, consents, decisions, appointments;
};

/*
 * Delete patient p as listed, in one transaction with its audit row
 * (actor, action "purge", the ids deleted as target): the intakes with
 * their flags, consent records and review decisions, and the
 * appointments they are tied to that no other intake is. When the
 * patient changed since listed (a new intake or appointment), nothing is
 * deleted and *stale is 1. Consent texts and the audit log stay.
 */
enum store_err	 store_patient_purge(struct store *,
		    const struct store_patient *p, const char *tz,
		    const char *actor, struct store_purged *, int *stale);

#endif
