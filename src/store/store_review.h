/*
 * store_review.h: the review pages' statements (sql/005_review.sql): an
 * intake's rows as record_load() takes them, its summary, and the three
 * changes (a decision, an assignment, a withdrawal), each written with
 * its audit row by one statement. Run as clinic_reader by the clinic
 * worker; store_review_load also as the owner by intakectl's export.
 * Every statement is parameterised; nothing here logs a value.
 */
#ifndef STORE_STORE_REVIEW_H
#define STORE_STORE_REVIEW_H

#include <stddef.h>
#include <time.h>

#include "record/record.h"
#include "store/store.h"

/* What the database holds of one intake; its storage is its own. */
struct store_review;

/*
 * Fetch intake id: the row, its flags (stored order), every decision
 * (oldest first, with the staff's username and display name), every
 * consent record (oldest first) and the consent text of its version.
 * STORE_NOT_FOUND when there is no such intake. Ciphertext only: nothing
 * is opened here.
 */
enum store_err	 store_review_load(struct store *, long long id,
		    struct store_review **out);
/* The rows as record_load() takes them; valid until store_review_free. */
const struct record_src *store_review_src(const struct store_review *);
void		 store_review_free(struct store_review *);	/* accepts NULL */

/* An intake's identity and state, no answer (sql/004's intake_states). */
struct store_review_summary {
	long long	 id;
	char		 submission_id[37];
	unsigned	 form_version;
	char		 reference[32];
	time_t		 received_at;
	long long	 appointment_id;	/* 0: unassigned */
	char		*given_name;		/* malloc'ed */
	char		*family_name;		/* malloc'ed */
	char		 status[16];		/* submitted, reviewed, superseded */
	char		 severity[16];		/* most serious undecided, or "" */
	long long	 nflags;
};
enum store_err	 store_review_summary(struct store *, long long id,
		    struct store_review_summary *);
void		 store_review_summary_clear(struct store_review_summary *);

/* What a change came to (the functions' outcome words). */
enum store_review_outcome {
	REVIEW_DONE,			/* decided, assigned, withdrawn */
	REVIEW_SAME,			/* assign: already to that appointment */
	REVIEW_NO_INTAKE,
	REVIEW_NO_FLAG,			/* the intake has no such flag */
	REVIEW_NOT_ALLOWED,		/* only defer or refer on that flag */
	REVIEW_NO_APPOINTMENT,
	REVIEW_CANCELLED,		/* the appointment is cancelled */
	REVIEW_ASSIGNED_ELSEWHERE,
	REVIEW_NOT_IN_FORCE,		/* withdrawal of what is not given */
	REVIEW_FORBIDDEN,		/* the account may not (role, disabled) */
};

/*
 * Record decision on flag of intake by staff (a therapist), with its
 * sealed note (NULL: none); *id (may be NULL) gets the decision's id.
 * address is the client's, for the audit row.
 */
enum store_err	 store_review_decide(struct store *, long long intake,
		    long long flag, long long staff, const char *decision,
		    const unsigned char *note, size_t notelen,
		    const char *address, enum store_review_outcome *,
		    long long *id);
/* Tie an unassigned intake to appointment appt. */
enum store_err	 store_review_assign(struct store *, long long intake,
		    long long appt, long long staff, const char *address,
		    enum store_review_outcome *);
/*
 * Withdraw consent: scope "all" or one sensitive area value; the sealed
 * note may be NULL. *id (may be NULL) gets the new consent record's id.
 */
enum store_err	 store_review_withdraw(struct store *, long long intake,
		    const char *scope, const unsigned char *note,
		    size_t notelen, long long staff, const char *address,
		    enum store_review_outcome *, long long *id);

#endif
