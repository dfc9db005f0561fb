/*
 * store_clinic.h: the staff side's statements (sql/004_clinic.sql): staff
 * accounts, sessions, failed sign-ins, appointments and the dashboard's
 * lists. Run as clinic_reader by the clinic worker, and as the owner by
 * intakectl's staff commands. A change and its audit row are written by
 * one statement, so both happen or neither. Every statement is
 * parameterised; nothing here logs a value.
 */
#ifndef STORE_STORE_CLINIC_H
#define STORE_STORE_CLINIC_H

#include <stddef.h>
#include <time.h>

#include "store/store.h"

#define STORE_USERNAME_MAX	64	/* [a-z0-9._-], sql/004 */
#define STORE_DISPLAY_MAX	128	/* bytes of UTF-8 */
#define STORE_HASH_MAX		128	/* crypto_pwhash_str, NUL included */

/* Who does it, for the audit row: never a health answer. */
struct store_actor {
	const char	*who;		/* a username, or "intakectl:<user>" */
	const char	*address;	/* the client's address, or NULL */
};

struct store_staff {
	long long	 id;
	char		 username[STORE_USERNAME_MAX + 1];
	char		 display_name[STORE_DISPLAY_MAX + 1];
	char		 role[16];	/* "therapist", "front_desk", "admin" */
	int		 disabled;
	time_t		 created_at;
	char		 hash[STORE_HASH_MAX];	/* store_staff_get only, else "" */
};

/* The account called username (hash included); STORE_NOT_FOUND if none. */
enum store_err	 store_staff_get(struct store *, const char *username,
		    struct store_staff *);
/* Every account by username (no hash); *out malloc'ed, caller frees. */
enum store_err	 store_staff_list(struct store *, struct store_staff **out,
		    size_t *n);
/*
 * Add in->username, in->display_name, in->role with in->hash. *added is
 * 0 when the username is taken (nothing written).
 */
enum store_err	 store_staff_add(struct store *, const struct store_staff *in,
		    const struct store_actor *, int *added);
/* Disable an account and end its sessions. STORE_NOT_FOUND if none. */
enum store_err	 store_staff_disable(struct store *, const char *username,
		    const struct store_actor *);
/* Replace an account's password hash and end its sessions. */
enum store_err	 store_staff_password(struct store *, const char *username,
		    const char *hash, const struct store_actor *);

/*
 * Sign-in. key is a keyed hash of the name typed (never the name), the
 * unit of the lockout. *until is the end of a lockout in force, else 0:
 * five failures within 15 minutes lock for 15 minutes from the fifth.
 */
enum store_err	 store_login_locked(struct store *, const unsigned char key[32],
		    time_t *until);
/* Record a failure of key, and its audit row (target may be NULL). */
enum store_err	 store_login_failed(struct store *, const unsigned char key[32],
		    const struct store_actor *, const char *target);
/*
 * Start a session (token hash) for staff_id: clears key's failures,
 * removes every session past its limits, writes the "sign-in" row.
 */
enum store_err	 store_session_start(struct store *, const unsigned char hash[32],
		    long long staff_id, const unsigned char key[32],
		    unsigned idle_s, unsigned max_s, const struct store_actor *);
/*
 * The live session of a token hash, touched (its idle time starts
 * again): fills st (no hash). STORE_NOT_FOUND when unknown, idle longer
 * than idle_s, older than max_s, or its account is disabled; such a
 * session is removed.
 */
enum store_err	 store_session_get(struct store *, const unsigned char hash[32],
		    unsigned idle_s, unsigned max_s, struct store_staff *st);
/* End a session, with its "sign-out" row. STORE_NOT_FOUND if none. */
enum store_err	 store_session_end(struct store *, const unsigned char hash[32],
		    const struct store_actor *);

/* An appointment as a form gives it (text, checked by the caller). */
struct store_appt_in {
	const char	*patient_name;
	const char	*email;		/* NULL when none */
	const char	*starts_at;	/* "YYYY-MM-DDTHH:MM" in timezone */
	const char	*therapist;	/* a username */
	const char	*modality;	/* a massage_type value */
	const char	*timezone;	/* the clinic's */
};

/* An appointment, and the state of its newest intake. */
struct store_appt {
	long long	 id;
	char		*patient_name;	/* malloc'ed */
	char		*email;		/* malloc'ed, NULL when none */
	time_t		 starts_at;
	char		 therapist[STORE_USERNAME_MAX + 1];
	char		 modality[65];
	time_t		 invite_expires_at;	/* 0: no invite */
	time_t		 cancelled_at;		/* 0: not cancelled */
	int		 has_nonce;
	unsigned char	 invite_nonce[32];
	unsigned char	 invite_hash[32];
	long long	 intake_id;	/* 0: no intake yet */
	char		 status[16];	/* "invited" when no intake */
	char		 severity[16];	/* most serious undecided, or "" */
	long long	 nflags;
};

/*
 * Create an appointment whose invite token hashes to invite_hash (and is
 * derived from nonce); its invite expires at the start of the day after
 * the appointment, clinic time. *id gets its id.
 */
enum store_err	 store_appt_create(struct store *, const struct store_appt_in *,
		    const unsigned char nonce[32],
		    const unsigned char invite_hash[32],
		    const struct store_actor *, long long *id);
/* Edit (the invite's expiry follows the date). NOT_FOUND: none, or cancelled. */
enum store_err	 store_appt_update(struct store *, long long id,
		    const struct store_appt_in *, const struct store_actor *);
/* Cancel: its invite stops working. NOT_FOUND: none, or already cancelled. */
enum store_err	 store_appt_cancel(struct store *, long long id,
		    const struct store_actor *);
enum store_err	 store_appt_get(struct store *, long long id, struct store_appt *);
/*
 * Appointments starting at or after from, by start time, at most max;
 * cancelled ones only when with_cancelled. *out malloc'ed (free with
 * store_appts_free).
 */
enum store_err	 store_appt_list(struct store *, time_t from, int with_cancelled,
		    size_t max, struct store_appt **out, size_t *n);
void		 store_appt_clear(struct store_appt *);		/* accepts NULL */
void		 store_appts_free(struct store_appt *, size_t);	/* accepts NULL */

/* One intake as the dashboard lists it: identity and state, no answer. */
struct store_intake_row {
	long long	 id;
	long long	 appointment_id;	/* 0: unassigned */
	char		 reference[32];
	char		*given_name;		/* malloc'ed */
	char		*family_name;		/* malloc'ed */
	time_t		 received_at;
	char		 status[16];
	char		 severity[16];		/* most serious undecided, or "" */
	long long	 nflags;
};

/*
 * Intakes tied to no appointment (appt 0) or to appointment appt. The
 * unassigned come most serious undecided severity first, superseded ones
 * last; an appointment's come newest first. At most max.
 */
enum store_err	 store_intake_rows(struct store *, long long appt, size_t max,
		    struct store_intake_row **out, size_t *n);
void		 store_intake_rows_free(struct store_intake_row *, size_t);

#endif
