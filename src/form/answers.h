/*
 * answers.h: one submission's checked answers, indexed like the form
 * definition's fields, and the list of validation errors.
 *
 * The path of every submission (intake_xml.h): bytes -> <intake> document
 * -> XSD -> answers_set() per element -> answers_check() (empty is absent,
 * conditional dropping, required, cross-field rules of intake-form.md).
 */
#ifndef FORM_ANSWERS_H
#define FORM_ANSWERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

struct formdef;

struct answer {
	int	 present;
	char	*text;		/* FD_TEXT: normalised (CRLF->LF, trimmed) UTF-8 */
	size_t	 textlen;
	long	 num;		/* FD_INT */
	int32_t	 day;		/* FD_DATE: days since 1970-01-01 */
	uint64_t mask;		/* FD_YESNO/FD_CHOICE: one bit; FD_MULTI: the set */
};

#define ANSWERS_IDLEN	36	/* a UUID in its text form */
#define ANSWERS_INVITE_MAX 128

struct answers {
	const struct formdef *fd;
	struct answer	*v;		/* fd->nfields entries */
	char		 submission_id[ANSWERS_IDLEN + 1]; /* lower case */
	unsigned	 form_version;
	unsigned	 consent_version;
	char		 invite[ANSWERS_INVITE_MAX + 1]; /* "" when none */
	int32_t		 today;		/* submission date, clinic zone */
	int		 age;		/* whole years on today, or -1 */
};

/* Why a value or a submission was refused. Messages: verr_message(). */
enum verr_code {
	VE_REQUIRED,		/* a required answer is missing */
	VE_TOO_LONG,		/* text over its limit */
	VE_CONTROL_CHAR,	/* control character or NUL in text */
	VE_LINE_BREAK,		/* line break in a single-line field */
	VE_NOT_INT,		/* not a whole number */
	VE_RANGE,		/* number out of range */
	VE_BAD_DATE,		/* not YYYY-MM-DD or not a calendar date */
	VE_FUTURE_DATE,		/* after today in the clinic's time zone */
	VE_BEFORE_BIRTH,	/* before date_of_birth */
	VE_TOO_OLD,		/* date of birth gives an age over max_age */
	VE_UNKNOWN_CHOICE,	/* not one of the listed values */
	VE_EXCLUSIVE,		/* "none" together with other values */
	VE_DUPLICATE,		/* a single-valued answer given twice */
	VE_UNKNOWN_FIELD,	/* a name the form does not have */
	VE_EMAIL,		/* not a plausible e-mail address */
	VE_PHONE,		/* not a plausible phone number */
	VE_GROUP,		/* none of a "one of these" group answered */
	VE_SIGNATURE,		/* signature does not name the signer */
	VE_CONSENT_VERSION,	/* consent_version is not the one in force */
	VE_FORM_VERSION,	/* form_version unknown */
	VE_SUBMISSION_ID,	/* submission_id is not a UUID */
	VE_INVITE,		/* invite token malformed */
	VE_STRUCTURE,		/* the document's shape is wrong (XSD) */
	VE__MAX
};

struct verr {
	enum verr_code	 code;
	int		 field;		/* field index, or -1 */
	char		*name;		/* field id, or XPath for VE_STRUCTURE,
					   or the unknown name; never a value */
	int		 line;		/* XML line, or 0 */
};

struct verrs {
	struct verr	*v;
	size_t		 n, cap;
};

struct answers	*answers_new(const struct formdef *);
void		 answers_free(struct answers *);	/* accepts NULL; wipes texts */

/*
 * Set field `field` from its wire form (value, len bytes, UTF-8 already
 * checked). Applies the per-value rules of intake-form.md for the field's
 * type. A value that is empty after trimming is absent: nothing is set and
 * VE_OK-equivalent 0 is returned. A second value for a single-valued field
 * is VE_DUPLICATE; a multi accumulates. Returns 0 or a verr_code + 1.
 */
int		 answers_set(struct answers *, int field, const char *value,
		    size_t len);

/*
 * After all values are set: drop answers whose condition does not hold,
 * apply defaults, check required-ness, groups, dates against today and
 * date_of_birth, the signer's name. Appends every problem to errs.
 * `today` is the submission date (days since epoch, clinic zone).
 */
void		 answers_check(struct answers *, int32_t today,
		    unsigned consent_version_in_force, struct verrs *errs);

/*
 * Canonical <intake> document of the answers, in definition order. which:
 * ANSWERS_ALL, ANSWERS_PLAIN (only non-sensitive) or ANSWERS_SENSITIVE.
 * Same answers give the same bytes: it is what idempotency compares.
 */
enum answers_part { ANSWERS_ALL, ANSWERS_PLAIN, ANSWERS_SENSITIVE };
void		 answers_to_xml(const struct answers *, enum answers_part,
		    struct buf *out);

/* The wire form of one answer's value(s): for multi, values joined by ' '. */
void		 answers_value_text(const struct answers *, int field,
		    struct buf *out);

void		 verrs_add(struct verrs *, enum verr_code, int field,
		    const char *name, int line);
void		 verrs_free(struct verrs *);
const char	*verr_message(enum verr_code, const struct formdef *, int field);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (negative before
 * 1970); DATE_INVALID when it is not a calendar date.
 */
#define DATE_INVALID	(-1 - 1000000)
int32_t		 date_to_days(int y, int m, int d);
void		 days_to_date(int32_t days, int *y, int *m, int *d);
/* The date of now in the local time zone (TZ = the clinic's zone). */
int32_t		 date_today(time_t now);
/* Whole years from birth to on (birthday of 29 Feb reached on 1 Mar). */
int		 age_years(int32_t birth, int32_t on);

#endif
