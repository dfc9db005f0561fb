/* test_retention.c: the retention date rule (api.md, Administration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/retention.h"

static struct retention_date
D(const char *s)
{
	struct retention_date	 d;

	if (retention_date_parse(s, &d) == -1)
		fail_msg("bad test date %s", s);
	return d;
}

static void
parse_table(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
	} t[] = {
		{ "2024-02-29", 1 },	/* leap year */
		{ "2000-02-29", 1 },	/* divisible by 400 */
		{ "1900-02-29", 0 },	/* by 100, not 400 */
		{ "2023-02-29", 0 },
		{ "2023-04-31", 0 },
		{ "2023-12-31", 1 },
		{ "2023-13-01", 0 },
		{ "2023-00-10", 0 },
		{ "2023-01-00", 0 },
		{ "0000-01-01", 0 },
		{ "2023-1-01", 0 },
		{ "2023-01-011", 0 },
		{ "2023/01/01", 0 },
		{ " 023-01-01", 0 },
		{ "", 0 },
	};
	struct retention_date	 d;
	char			 out[11];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(retention_date_parse(t[i].in, &d) == 0,
		    t[i].ok);
		if (t[i].ok) {
			retention_date_format(&d, out);
			assert_string_equal(out, t[i].in);
		}
	}
	assert_int_equal(retention_date_parse(NULL, &d), -1);
}

static void
add_years_table(void **state)
{
	static const struct {
		const char	*from;
		int		 n;
		const char	*want;
	} t[] = {
		{ "2010-03-01", 10, "2020-03-01" },
		{ "2012-02-29", 10, "2022-03-01" },	/* no 29 Feb in 2022 */
		{ "2012-02-29", 4, "2016-02-29" },	/* there is one in 2016 */
		{ "2012-02-29", 88, "2100-03-01" },	/* 2100: not leap */
		{ "2012-02-28", 10, "2022-02-28" },
		{ "2012-12-31", 10, "2022-12-31" },
	};
	struct retention_date	 d, r;
	char			 out[11];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		d = D(t[i].from);
		r = retention_add_years(&d, t[i].n);
		retention_date_format(&r, out);
		assert_string_equal(out, t[i].want);
	}
}

/* dob, last appointment ("" none), last intake ("" none), end of retention */
static const struct {
	const char	*what, *dob, *appt, *intake, *end;
} rule[] = {
	{ "adult, intake only", "1980-05-17", "", "2010-03-01",
	    "2020-03-01" },
	{ "adult, appointment after the intake",
	    "1980-05-17", "2012-06-01", "2010-03-01", "2022-06-01" },
	{ "adult, appointment before the intake: the appointment counts",
	    "1980-05-17", "2010-01-15", "2011-01-10", "2020-01-15" },
	{ "adult, appointment the same day", "1980-05-17", "2015-07-01",
	    "2015-07-01", "2025-07-01" },
	{ "minor: 10 years after the 18th birthday is later",
	    "2005-04-10", "2010-01-01", "2009-12-20", "2033-04-10" },
	{ "minor seen at 17: the birthday rule still wins by a year",
	    "2000-06-01", "", "2017-06-01", "2028-06-01" },
	{ "minor whose last visit was as an adult: the visit is later",
	    "2000-06-01", "2025-01-10", "2012-05-05", "2035-01-10" },
	{ "born 29 February: 18 on 1 March of a common year",
	    "2004-02-29", "", "2010-05-01", "2032-03-01" },
	{ "last visit on 29 February", "1970-01-01", "2012-02-29",
	    "2011-11-11", "2022-03-01" },
	{ "no visit at all: the birthday rule alone", "1990-01-31", "", "",
	    "2018-01-31" },
};

static void
end_table(void **state)
{
	struct retention_date	 dob, appt, intake, end;
	char			 out[11];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(rule) / sizeof(rule[0]); i++) {
		dob = D(rule[i].dob);
		if (*rule[i].appt != '\0')
			appt = D(rule[i].appt);
		if (*rule[i].intake != '\0')
			intake = D(rule[i].intake);
		retention_end(&dob, *rule[i].appt != '\0' ? &appt : NULL,
		    *rule[i].intake != '\0' ? &intake : NULL, &end);
		retention_date_format(&end, out);
		if (strcmp(out, rule[i].end) != 0)
			fail_msg("%s: end %s, want %s", rule[i].what, out,
			    rule[i].end);
	}
}

/*
 * A child born on 29 February turns 18 in a common year (4k + 18 never is
 * leap), so on 1 March; 10 years later is 1 March too, even in a leap
 * year, where adding 28 years at once would say 29 February.
 */
static void
leap_minor(void **state)
{
	static const char	*dobs[] = { "1992-02-29", "2000-02-29",
				    "2008-02-29", "2016-02-29" };
	static const char	*ends[] = { "2020-03-01", "2028-03-01",
				    "2036-03-01", "2044-03-01" };
	struct retention_date	 dob, intake, end;
	char			 out[11];
	size_t			 i;

	(void)state;
	for (i = 0; i < 4; i++) {
		dob = D(dobs[i]);
		intake = retention_add_years(&dob, 5);
		retention_end(&dob, NULL, &intake, &end);
		retention_date_format(&end, out);
		assert_string_equal(out, ends[i]);
	}
}

static void
due_boundaries(void **state)
{
	struct retention_date	 dob = D("1980-05-17"), intake = D("2010-03-01");
	struct retention_date	 appt = D("2016-08-20"), end, today;

	(void)state;
	retention_end(&dob, NULL, &intake, &end);
	today = D("2020-03-01");
	assert_false(retention_due(&end, &today));	/* the last day kept */
	today = D("2020-03-02");
	assert_true(retention_due(&end, &today));
	/* An appointment later than the intake keeps everything longer. */
	retention_end(&dob, &appt, &intake, &end);
	assert_false(retention_due(&end, &today));
	today = D("2026-08-21");
	assert_true(retention_due(&end, &today));
	/* A minor: a visit 11 years ago is not enough. */
	dob = D("2008-02-29");
	intake = D("2014-01-01");
	retention_end(&dob, NULL, &intake, &end);
	today = D("2025-06-01");
	assert_false(retention_due(&end, &today));
	today = D("2036-02-29");	/* 2036 is leap: still kept */
	assert_false(retention_due(&end, &today));
	today = D("2036-03-01");
	assert_false(retention_due(&end, &today));
	today = D("2036-03-02");
	assert_true(retention_due(&end, &today));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(add_years_table),
		cmocka_unit_test(end_table),
		cmocka_unit_test(leap_minor),
		cmocka_unit_test(due_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
