/*
 * pages.h: the patient-facing HTML pages of /intake/, rendered from the
 * form definition. Each function appends one whole page to out.
 */
#ifndef INTAKE_PAGES_H
#define INTAKE_PAGES_H

#include <time.h>

#include "core/buf.h"
#include "form/formpost.h"	/* struct raw_values */

struct formdef;
struct answers;
struct verrs;

struct page_consent {
	unsigned	 version;
	const char	*text;		/* verbatim; paragraphs split on blank lines */
	const char	*sha256;	/* hex */
};

struct page_clinic {
	const char	*name;		/* "the clinic" by default */
	const char	*phone;		/* may be "" */
};

enum form_banner {
	BANNER_NONE,
	BANNER_ERRORS,		/* 422: fix the marked answers */
	BANNER_CONFLICT,	/* 409: an earlier version was already received;
				   sending again files a new, corrected intake */
	BANNER_RETRY,		/* 503: could not save, please try again */
};

struct form_page {
	const struct formdef	*fd;
	const struct page_consent *consent;
	const struct page_clinic *clinic;
	const char		*submission_id;	/* fresh UUIDv4 for this render */
	const char		*invite;	/* token or NULL */
	/*
	 * On a re-render: the values as the patient sent them (every value
	 * kept, even ones that failed), as raw[field] = array of strings,
	 * and the errors. NULL on a fresh form.
	 */
	const struct raw_values	*raw;
	const struct verrs	*errs;
	enum form_banner	 banner;
};

void	page_form(struct buf *, const struct form_page *);

struct receipt_advice {
	const char	*rule_id;
	const char	*timeframe;	/* "emergency", "same_day", "within_days" */
	const char	*patient_advice;
};

struct receipt_page {
	const struct page_clinic *clinic;
	const char		*reference;
	const char		*received;	/* already formatted, clinic time */
	const struct receipt_advice *advice;	/* urgent only, most urgent first */
	size_t			 nadvice;
};

void	page_receipt(struct buf *, const struct receipt_page *);
void	page_consent(struct buf *, const struct page_consent *,
	    const struct page_clinic *);
/* The invite link is not valid: whom to call, link to the plain form. */
void	page_invite_invalid(struct buf *, const struct page_clinic *);
/*
 * A plain error page for status (400, 404, 405, 413, 415, 500, 503):
 * what went wrong in plain words; for 500, that nothing was saved and the
 * answers are still in the form (Back). Never echoes the request.
 */
void	page_error(struct buf *, int status, const struct page_clinic *);

#endif
