/* support_answers.c: test submissions; see support_answers.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/answers.h"
#include "form/formdef.h"
#include "form/xmlutil.h"

#include "support_answers.h"

/* A healthy adult (35 on the test date) asking for a relaxation massage. */
static const char *const support_base[] = {
	"given_name=Alex",
	"family_name=Sample",
	"date_of_birth=@-35y",
	"email=alex.sample@example.org",
	"reason_for_visit=Tight shoulders from desk work",
	"massage_type=relaxation",
	"first_massage=no",
	"pain_today=no",
	"rf_bladder_bowel=no",
	"rf_saddle_numbness=no",
	"fever_today=no",
	"leg_swelling=no",
	"conditions=none",
	"pregnant=not_applicable",
	"injection_recent=no",
	"anticoagulant=no",
	"antiplatelet=no",
	"steroids_long_term=no",
	"pain_medication_today=no",
	"consent_treatment=agree",
	"consent_privacy=agree",
	"signature_name=Alex Sample",
	NULL
};

struct formdef *
support_formdef(char *err, size_t errsz)
{
	struct formdef	*fd = NULL;

	xmlu_init();
	if (formdef_load(SUPPORT_FORM, SUPPORT_FORM_XSD, &fd, err,
	    errsz) == -1)
		return NULL;
	return fd;
}

/* Is y-m-d a calendar date? (date_to_days maps non-dates below any.) */
static int
support_is_date(int y, int m, int d)
{
	int	 yy, mm, dd;

	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	days_to_date(date_to_days(y, m, d), &yy, &mm, &dd);
	return yy == y && mm == m && dd == d;
}

int
support_date(int32_t today, const char *spec, char *out, size_t outsz)
{
	long	 n, k = 0;
	char	*end;
	int	 y, m, d;
	int32_t	 day;

	if (strncmp(spec, "@-", 2) != 0)
		return -1;
	n = strtol(spec + 2, &end, 10);
	if (end == spec + 2 || n < 0)
		return -1;
	if (*end == 'y') {
		days_to_date(today, &y, &m, &d);
		/* 29 February in a year without one: 1 March. */
		if (m == 2 && d == 29 && !support_is_date(y - (int)n, m, d))
			m = 3, d = 1;
		if (!support_is_date(y - (int)n, m, d))
			return -1;
		day = date_to_days(y - (int)n, m, d);
		if (*++end == '+' || *end == '-')
			k = strtol(end, &end, 10);
		day += (int32_t)k;
	} else
		day = today - (int32_t)n;
	if (*end != '\0')
		return -1;
	days_to_date(day, &y, &m, &d);
	if (snprintf(out, outsz, "%04d-%02d-%02d", y, m, d) >= (int)outsz)
		return -1;
	return 0;
}

/* Record pair "id=value" in vals (indexed by field); 0 or -1. */
static int
support_pair(const struct formdef *fd, const char *pair, const char **vals,
    char *err, size_t errsz)
{
	const char	*eq;
	char		 id[65];
	int		 f;

	if ((eq = strchr(pair, '=')) == NULL ||
	    (size_t)(eq - pair) >= sizeof(id)) {
		snprintf(err, errsz, "%s: not an id=value pair", pair);
		return -1;
	}
	memcpy(id, pair, eq - pair);
	id[eq - pair] = '\0';
	if ((f = formdef_field(fd, id)) < 0) {
		snprintf(err, errsz, "%s: no such question", id);
		return -1;
	}
	vals[f] = eq + 1;
	return 0;
}

/* Set one field from its test value; 0 or -1. */
static int
support_set(struct answers *a, int f, const char *val, char *err,
    size_t errsz)
{
	const struct fd_field	*fld = &a->fd->fields[f];
	char			 date[16];
	const char		*p;
	size_t			 len;
	int			 rc;

	if (fld->type == FD_DATE && val[0] == '@') {
		if (support_date(a->today, val, date, sizeof(date)) == -1) {
			snprintf(err, errsz, "%s: bad relative date %s",
			    fld->id, val);
			return -1;
		}
		val = date;
	}
	if (fld->type != FD_MULTI) {
		if ((rc = answers_set(a, f, val, strlen(val))) != 0) {
			snprintf(err, errsz, "%s: %s", fld->id,
			    verr_message(rc - 1, a->fd, f));
			return -1;
		}
		return 0;
	}
	for (p = val; *p != '\0'; p += len) {
		p += strspn(p, " ");
		if ((len = strcspn(p, " ")) == 0)
			break;
		if ((rc = answers_set(a, f, p, len)) != 0) {
			snprintf(err, errsz, "%s: %s", fld->id,
			    verr_message(rc - 1, a->fd, f));
			return -1;
		}
	}
	return 0;
}

struct answers *
support_answers(const struct formdef *fd, int32_t today,
    const char *const *pairs, char *err, size_t errsz)
{
	struct answers	*a = NULL;
	struct verrs	 errs;
	const char	**vals = NULL;
	size_t		 i;

	memset(&errs, 0, sizeof(errs));
	if ((vals = calloc(fd->nfields, sizeof(*vals))) == NULL ||
	    (a = answers_new(fd)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto err;
	}
	/* From here: goto err. */
	a->today = today;	/* for relative dates; answers_check sets it */
	a->form_version = fd->version;
	a->consent_version = SUPPORT_CONSENT_VERSION;
	snprintf(a->submission_id, sizeof(a->submission_id), "%s",
	    "00000000-0000-4000-8000-000000000001");
	for (i = 0; support_base[i] != NULL; i++)
		if (support_pair(fd, support_base[i], vals, err, errsz) == -1)
			goto err;
	for (i = 0; pairs != NULL && pairs[i] != NULL; i++)
		if (support_pair(fd, pairs[i], vals, err, errsz) == -1)
			goto err;
	for (i = 0; i < fd->nfields; i++)
		if (vals[i] != NULL &&
		    support_set(a, (int)i, vals[i], err, errsz) == -1)
			goto err;
	answers_check(a, today, SUPPORT_CONSENT_VERSION, &errs);
	if (errs.n > 0) {
		snprintf(err, errsz, "%s: %s", errs.v[0].name != NULL ?
		    errs.v[0].name : "?", verr_message(errs.v[0].code, fd,
		    errs.v[0].field));
		goto err;
	}
	verrs_free(&errs);
	free(vals);
	return a;
err:
	verrs_free(&errs);
	free(vals);
	answers_free(a);
	return NULL;
}
