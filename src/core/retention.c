/* retention.c: the retention date rule; see retention.h. */
#include <stdio.h>
#include <string.h>

#include "core/retention.h"

static int
retention_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
retention_mdays(int y, int m)
{
	static const int	 days[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };

	return m == 2 && retention_leap(y) ? 29 : days[m - 1];
}

int
retention_date_parse(const char *s, struct retention_date *out)
{
	int	 v[3] = { 0, 0, 0 }, i, j;
	static const int	 width[3] = { 4, 2, 2 };

	if (s == NULL || strlen(s) != 10)
		return -1;
	for (i = 0; i < 3; i++) {
		for (j = 0; j < width[i]; j++, s++) {
			if (*s < '0' || *s > '9')
				return -1;
			v[i] = v[i] * 10 + (*s - '0');
		}
		if (i < 2 && *s++ != '-')
			return -1;
	}
	if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > retention_mdays(v[0], v[1]))
		return -1;
	out->y = v[0];
	out->m = v[1];
	out->d = v[2];
	return 0;
}

void
retention_date_format(const struct retention_date *d, char out[11])
{
	snprintf(out, 11, "%04d-%02d-%02d", d->y % 10000, d->m % 100,
	    d->d % 100);
}

int
retention_date_cmp(const struct retention_date *a,
    const struct retention_date *b)
{
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	return 0;
}

struct retention_date
retention_add_years(const struct retention_date *d, int n)
{
	struct retention_date	 r = *d;

	r.y += n;
	/* 29 February: 1 March in a common year, never the day before. */
	if (r.m == 2 && r.d > retention_mdays(r.y, 2)) {
		r.m = 3;
		r.d = 1;
	}
	return r;
}

void
retention_end(const struct retention_date *dob,
    const struct retention_date *last_appt,
    const struct retention_date *last_intake, struct retention_date *end)
{
	struct retention_date	 adult, minor;
	const struct retention_date *visit;

	/* The last appointment is the last visit; an intake only without one. */
	visit = last_appt != NULL ? last_appt : last_intake;
	/* Two steps, as the rule says: the 18th birthday, then 10 years. */
	adult = retention_add_years(dob, RETENTION_MAJORITY);
	minor = retention_add_years(&adult, RETENTION_YEARS);
	*end = minor;
	if (visit != NULL) {
		adult = retention_add_years(visit, RETENTION_YEARS);
		if (retention_date_cmp(&adult, end) > 0)
			*end = adult;
	}
}

int
retention_due(const struct retention_date *end,
    const struct retention_date *today)
{
	return retention_date_cmp(today, end) > 0;
}
