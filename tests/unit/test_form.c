/*
 * test_form.c: the form path of intake-form.md, unit by unit.
 * UTF-8 and percent-decoding tables; every validator with valid and
 * invalid values; empty-is-absent; conditional dropping; form -> XML;
 * cross-field rules (dates in the clinic's zone, ages around birthdays and
 * 29 February, signer names, guardian); the XSD agrees with the definition.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/utf8.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
#include "form/formxsd.h"
#include "form/intake_xml.h"
#include "form/xmlutil.h"

#define FORM	"schemas/form-v1.xml"
#define FORMXSD	"schemas/form-definition.xsd"
#define INTAKEXSD "schemas/intake-v1.xsd"
#define SID	"6f1c2b1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f"

static struct formdef		*fd;
static struct intake_parser	*parser;

static int32_t
day(int y, int m, int d)
{
	return date_to_days(y, m, d);
}

/* ---- UTF-8 ---- */

static void
test_utf8_table(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 valid;
	} t[] = {
		{ "plain", 5, 1 },
		{ "Zo\xc3\xab", 4, 1 },			/* ë */
		{ "\xe2\x80\x8f", 3, 1 },		/* RLM */
		{ "\xf0\x9f\x98\x80", 4, 1 },		/* emoji */
		{ "\xc3", 1, 0 },			/* truncated */
		{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* > U+10FFFF */
		{ "\xff", 1, 0 },
		{ "a\x80", 2, 0 },			/* stray continuation */
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(utf8_valid(t[i].s, t[i].len), t[i].valid);
	assert_int_equal(utf8_count("Zo\xc3\xab", 4), 3);
}

/* ---- percent-decoding ---- */

static void
test_unescape_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: malformed */
	} t[] = {
		{ "a+b", "a b" },
		{ "a%20b", "a b" },
		{ "%41%62", "Ab" },
		{ "%c3%AB", "\xc3\xab" },
		{ "100%", NULL },
		{ "%4", NULL },
		{ "%zz", NULL },
		{ "%g1", NULL },
		{ "", "" },
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = formpost_unescape(t[i].in, strlen(t[i].in), &b);

		if (t[i].out == NULL)
			assert_int_equal(rc, -1);
		else {
			assert_int_equal(rc, 0);
			assert_memory_equal(b.data ? b.data : "", t[i].out,
			    strlen(t[i].out));
			assert_int_equal(b.len, strlen(t[i].out));
		}
	}
	buf_free(&b);
}

/* ---- per-value validators ---- */

struct vcase {
	const char	*id;
	const char	*value;
	int		 code;	/* 0 ok, else verr_code + 1 */
};

static void
test_validators_table(void **state)
{
	static const struct vcase t[] = {
		{ "given_name", "Zo\xc3\xab", 0 },
		{ "given_name", "  padded  ", 0 },
		{ "given_name", "a\nb", VE_LINE_BREAK + 1 },
		{ "given_name", "a\x01" "b", VE_CONTROL_CHAR + 1 },
		{ "given_name", "a\x7f" "b", VE_CONTROL_CHAR + 1 },
		{ "given_name", "a\xc2\x85" "b", VE_CONTROL_CHAR + 1 },	/* NEL */
		{ "given_name", "\xe2\x80\x8f" "bidi", 0 },
		{ "reason_for_visit", "line one\r\nline two\ttab", 0 },
		{ "email", "pat@example.org", 0 },
		{ "email", "pat@example", VE_EMAIL + 1 },
		{ "email", "pat@@example.org", VE_EMAIL + 1 },
		{ "email", "p at@example.org", VE_EMAIL + 1 },
		{ "email", "@example.org", VE_EMAIL + 1 },
		{ "email", "pat@example.", VE_EMAIL + 1 },
		{ "phone", "+1 (416) 555-0199", 0 },
		{ "phone", "416.555.0199", 0 },
		{ "phone", "555-0199", 0 },
		{ "phone", "555-019", VE_PHONE + 1 },
		{ "phone", "555-01", VE_PHONE + 1 },
		{ "phone", "555-0199 ext 2", VE_PHONE + 1 },
		{ "emergency_contact_phone", "call me", VE_PHONE + 1 },
		{ "date_of_birth", "1980-04-23", 0 },
		{ "date_of_birth", "2024-02-29", 0 },
		{ "date_of_birth", "2023-02-29", VE_BAD_DATE + 1 },
		{ "date_of_birth", "2023-02-30", VE_BAD_DATE + 1 },
		{ "date_of_birth", "2023-13-01", VE_BAD_DATE + 1 },
		{ "date_of_birth", "23-02-01", VE_BAD_DATE + 1 },
		{ "date_of_birth", "2023/02/01", VE_BAD_DATE + 1 },
		{ "date_of_birth", "1980-04-23T00:00", VE_BAD_DATE + 1 },
		{ "pain_intensity", "0", 0 },
		{ "pain_intensity", "10", 0 },
		{ "pain_intensity", "11", VE_RANGE + 1 },
		{ "pain_intensity", "-1", VE_RANGE + 1 },
		{ "pain_intensity", "5.5", VE_NOT_INT + 1 },
		{ "pain_intensity", "five", VE_NOT_INT + 1 },
		{ "pain_intensity", "99999999999999999999", VE_RANGE + 1 },
		{ "pregnancy_weeks", "42", 0 },
		{ "pregnancy_weeks", "43", VE_RANGE + 1 },
		{ "pregnancy_weeks", "0", VE_RANGE + 1 },
		{ "first_massage", "yes", 0 },
		{ "first_massage", "Yes", VE_UNKNOWN_CHOICE + 1 },
		{ "first_massage", "maybe", VE_UNKNOWN_CHOICE + 1 },
		{ "massage_type", "shiatsu_acupressure", 0 },
		{ "massage_type", "hot_stone", VE_UNKNOWN_CHOICE + 1 },
		{ "pain_areas", "lower_back", 0 },
		{ "pain_areas", "tail", VE_UNKNOWN_CHOICE + 1 },
		{ "pain_duration", "6_to_12_weeks", 0 },
		{ "given_name", "   ", 0 },		/* empty is absent */
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct answers	*a = answers_new(fd);
		int		 f = formdef_field(fd, t[i].id);

		assert_non_null(a);
		assert_true(f >= 0);
		if (answers_set(a, f, t[i].value, strlen(t[i].value)) !=
		    t[i].code)
			fail_msg("%s=\"%s\": expected %d", t[i].id, t[i].value,
			    t[i].code);
		answers_free(a);
	}
}

static void
test_text_limits(void **state)
{
	struct answers	*a = answers_new(fd);
	char		 s[402];
	int		 f = formdef_field(fd, "given_name");

	(void)state;
	/* 100 code points of 2 bytes each is within text(100) */
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 100; i++)
		memcpy(s + 2 * i, "\xc3\xab", 2);
	assert_int_equal(answers_set(a, f, s, 200), 0);
	answers_free(a);
	a = answers_new(fd);
	memcpy(s + 200, "\xc3\xab", 2);
	assert_int_equal(answers_set(a, f, s, 202), VE_TOO_LONG + 1);
	/* a second value of a single answer */
	assert_int_equal(answers_set(a, f, "Ann", 3), 0);
	assert_int_equal(answers_set(a, f, "Bob", 3), VE_DUPLICATE + 1);
	answers_free(a);
}

/* ---- whole submissions ---- */

static const char *base_pairs[] = {
	"given_name=Zo\xc3\xab", "family_name=Tremblay",
	"date_of_birth=1970-02-28", "email=zoe@example.org",
	"reason_for_visit=Sore shoulders", "massage_type=relaxation",
	"first_massage=no", "pain_today=no", "rf_bladder_bowel=no",
	"rf_saddle_numbness=no", "fever_today=no", "leg_swelling=no",
	"conditions=none", "pregnant=not_applicable", "injection_recent=no",
	"anticoagulant=no", "antiplatelet=no", "steroids_long_term=no",
	"pain_medication_today=no", "consent_treatment=agree",
	"consent_privacy=agree", "signature_name=Zo\xc3\xab Tremblay",
	NULL
};

/*
 * Build answers from base_pairs with overrides ("id=value" replaces the
 * base value of id; "id=" removes it; extra ids are added), check them
 * as of today, and return them with errs filled.
 */
static struct answers *
submit(int32_t today, const char *const *over, struct verrs *errs)
{
	struct answers	*a = answers_new(fd);
	const char	*pairs[128];
	size_t		 n = 0, i, j;

	for (i = 0; base_pairs[i] != NULL; i++) {
		size_t idl = strcspn(base_pairs[i], "=");
		int replaced = 0;

		for (j = 0; over != NULL && over[j] != NULL; j++)
			if (strncmp(over[j], base_pairs[i], idl + 1) == 0)
				replaced = 1;
		if (!replaced)
			pairs[n++] = base_pairs[i];
	}
	for (j = 0; over != NULL && over[j] != NULL; j++)
		pairs[n++] = over[j];
	for (i = 0; i < n; i++) {
		char	 id[64];
		size_t	 idl = strcspn(pairs[i], "=");
		const char *v = pairs[i] + idl + 1;
		int	 f, rc;

		snprintf(id, sizeof(id), "%.*s", (int)idl, pairs[i]);
		f = formdef_field(fd, id);
		assert_true(f >= 0);
		if (fd->fields[f].type == FD_MULTI && strchr(v, ' ')) {
			char tmp[256], *p, *save = NULL, *tok;

			snprintf(tmp, sizeof(tmp), "%s", v);
			for (p = tmp; (tok = strtok_r(p, " ", &save)); p = NULL)
				assert_int_equal(answers_set(a, f, tok,
				    strlen(tok)), 0);
			continue;
		}
		rc = answers_set(a, f, v, strlen(v));
		if (rc != 0)
			verrs_add(errs, (enum verr_code)(rc - 1), f, id, 0);
	}
	memcpy(a->submission_id, SID, sizeof(SID));
	a->form_version = 1;
	a->consent_version = 1;
	answers_check(a, today, 1, errs);
	return a;
}

static int
has_err(const struct verrs *e, const char *id, enum verr_code code)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].code == code && e->v[i].name != NULL &&
		    strcmp(e->v[i].name, id) == 0)
			return 1;
	return 0;
}

static int
present(const struct answers *a, const char *id)
{
	return a->v[formdef_field(fd, id)].present;
}

static void
test_base_is_valid(void **state)
{
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), NULL, &e);

	(void)state;
	for (size_t i = 0; i < e.n; i++)
		fail_msg("unexpected error %d on %s", e.v[i].code,
		    e.v[i].name ? e.v[i].name : "-");
	/* the default applies: preferred_language en */
	assert_true(present(a, "preferred_language"));
	assert_int_equal(a->age, 56);
	answers_free(a);
	verrs_free(&e);
}

static void
test_required_and_groups(void **state)
{
	static const char *over[] = { "given_name=", "email=", "conditions=",
	    "consent_privacy=", NULL };
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), over, &e);

	(void)state;
	assert_true(has_err(&e, "given_name", VE_REQUIRED));
	assert_true(has_err(&e, "conditions", VE_REQUIRED));
	assert_true(has_err(&e, "consent_privacy", VE_REQUIRED));
	assert_true(has_err(&e, "email", VE_GROUP));	/* nor phone */
	answers_free(a);
	verrs_free(&e);

	/* a phone alone satisfies the group */
	{
		static const char *o2[] = { "email=", "phone=416 555 0199",
		    NULL };
		struct verrs e2 = { 0 };
		struct answers *a2 = submit(day(2026, 11, 23), o2, &e2);

		assert_int_equal(e2.n, 0);
		answers_free(a2);
		verrs_free(&e2);
	}
}

static void
test_conditional_dropping(void **state)
{
	/* back-pain questions answered while only the neck hurts: dropped */
	static const char *over[] = { "pain_today=yes", "pain_areas=neck",
	    "pain_intensity=4", "pain_duration=under_6_weeks",
	    "pain_spreads_to_limb=no", "rf_trauma=yes", "rf_fever=banana",
	    "pregnancy_weeks=99", NULL };
	static const char *back[] = { "pain_today=yes", "pain_areas=lower_back",
	    "pain_intensity=4", "pain_duration=under_6_weeks",
	    "pain_spreads_to_limb=no", "rf_trauma=yes", NULL };
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), over, &e);

	(void)state;
	assert_int_equal(e.n, 0);	/* a dropped answer is not an error */
	assert_false(present(a, "rf_trauma"));
	assert_false(present(a, "pregnancy_weeks"));
	assert_true(present(a, "pain_intensity"));
	answers_free(a);
	verrs_free(&e);

	/* lower back: the safety questions become required */
	a = submit(day(2026, 11, 23), back, &e);
	assert_true(present(a, "rf_trauma"));
	assert_true(has_err(&e, "rf_fever", VE_REQUIRED));
	assert_true(has_err(&e, "rf_leg_weakness", VE_REQUIRED));
	assert_false(has_err(&e, "rf_trauma", VE_REQUIRED));
	answers_free(a);
	verrs_free(&e);

	/* pain_today=no drops the pain details and their dependants */
	{
		static const char *o[] = { "pain_today=no",
		    "pain_areas=lower_back", "rf_trauma=yes", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_int_equal(e.n, 0);
		assert_false(present(a, "pain_areas"));
		assert_false(present(a, "rf_trauma"));
		answers_free(a);
		verrs_free(&e);
	}
	/* an area is required once a surgery date is given */
	{
		static const char *o[] = { "recent_surgery_date=2026-11-01",
		    NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "recent_surgery_area", VE_REQUIRED));
		answers_free(a);
		verrs_free(&e);
	}
}

static void
test_exclusive_none(void **state)
{
	static const char *over[] = { "conditions=none diabetes", NULL };
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), over, &e);

	(void)state;
	assert_true(has_err(&e, "conditions", VE_EXCLUSIVE));
	answers_free(a);
	verrs_free(&e);
}

static void
test_dates_against_today(void **state)
{
	struct verrs	 e = { 0 };
	struct answers	*a;

	(void)state;
	{
		static const char *o[] = { "recent_injury_date=2026-11-24",
		    "recent_injury_area=ankle", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "recent_injury_date", VE_FUTURE_DATE));
		answers_free(a);
		verrs_free(&e);
	}
	{	/* today itself is fine */
		static const char *o[] = { "recent_injury_date=2026-11-23",
		    "recent_injury_area=ankle", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_int_equal(e.n, 0);
		answers_free(a);
		verrs_free(&e);
	}
	{	/* before birth */
		static const char *o[] = { "recent_injury_date=1969-01-01",
		    "recent_injury_area=ankle", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "recent_injury_date", VE_BEFORE_BIRTH));
		answers_free(a);
		verrs_free(&e);
	}
	{	/* older than a question's window: accepted */
		static const char *o[] = { "recent_surgery_date=2001-05-05",
		    "recent_surgery_area=knee", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_int_equal(e.n, 0);
		answers_free(a);
		verrs_free(&e);
	}
	{	/* age at most 120 */
		static const char *o[] = { "date_of_birth=1905-11-23",
		    "signature_name=Zo\xc3\xab Tremblay", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "date_of_birth", VE_TOO_OLD));
		answers_free(a);
		verrs_free(&e);
	}
	{
		static const char *o[] = { "date_of_birth=1905-11-24", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_false(has_err(&e, "date_of_birth", VE_TOO_OLD));
		assert_int_equal(a->age, 120);
		answers_free(a);
		verrs_free(&e);
	}
}

static void
test_age_birthdays(void **state)
{
	(void)state;
	assert_int_equal(age_years(day(1976, 5, 10), day(2026, 5, 9)), 49);
	assert_int_equal(age_years(day(1976, 5, 10), day(2026, 5, 10)), 50);
	/* 29 February: reached on 1 March in other years */
	assert_int_equal(age_years(day(2008, 2, 29), day(2026, 2, 28)), 17);
	assert_int_equal(age_years(day(2008, 2, 29), day(2026, 3, 1)), 18);
	assert_int_equal(age_years(day(2008, 2, 29), day(2028, 2, 29)), 20);
	assert_int_equal(age_years(day(2008, 2, 29), day(2028, 2, 28)), 19);
	/* round trip of the calendar */
	for (int32_t d = day(1900, 1, 1); d < day(2100, 1, 1); d += 37) {
		int y, m, dd;

		days_to_date(d, &y, &m, &dd);
		assert_int_equal(date_to_days(y, m, dd), d);
	}
}

static void
test_today_in_the_clinic_zone(void **state)
{
	/* 2026-11-24 03:30 UTC is still 23 November in Toronto */
	time_t	 t = 1795491000;

	(void)state;
	setenv("TZ", "America/Toronto", 1);
	tzset();
	assert_int_equal(date_today(t), day(2026, 11, 23));
	assert_int_equal(date_today(t + 2 * 3600), day(2026, 11, 24));
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(date_today(t), day(2026, 11, 24));
}

static void
test_signature_names(void **state)
{
	static const struct {
		const char	*sig;
		int		 ok;
	} t[] = {
		{ "Zo\xc3\xab Tremblay", 1 },
		{ "  zo\xc3\xab   TREMBLAY ", 1 },
		{ "Tremblay Zo\xc3\xab", 1 },		/* either order */
		{ "Zoe\xcc\x88 Tremblay", 1 },		/* decomposed e + diaeresis */
		{ "ZO\xc3\x8b TREMBLAY", 1 },		/* upper-case accent */
		{ "Zoe Tremblay", 0 },			/* accent missing */
		{ "Zo\xc3\xab", 0 },
		{ "Z. Tremblay", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char		 sig[128];
		const char	*o[] = { sig, NULL };
		struct verrs	 e = { 0 };
		struct answers	*a;

		snprintf(sig, sizeof(sig), "signature_name=%s", t[i].sig);
		a = submit(day(2026, 11, 23), o, &e);
		if (has_err(&e, "signature_name", VE_SIGNATURE) == t[i].ok)
			fail_msg("signature \"%s\"", t[i].sig);
		answers_free(a);
		verrs_free(&e);
	}
}

static void
test_guardian(void **state)
{
	struct verrs	 e = { 0 };
	struct answers	*a;

	(void)state;
	{	/* 15 years old, no guardian: required */
		static const char *o[] = { "date_of_birth=2011-11-24", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "guardian_name", VE_REQUIRED));
		answers_free(a);
		verrs_free(&e);
	}
	{	/* 16 today: not required */
		static const char *o[] = { "date_of_birth=2010-11-23", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_false(has_err(&e, "guardian_name", VE_REQUIRED));
		answers_free(a);
		verrs_free(&e);
	}
	{	/* the guardian signs, with a relationship */
		static const char *o[] = { "date_of_birth=2015-01-01",
		    "guardian_name=Marie-\xc3\x89lise Tremblay",
		    "guardian_relationship=mother",
		    "signature_name=marie-\xc3\xa9lise tremblay", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_int_equal(e.n, 0);
		answers_free(a);
		verrs_free(&e);
	}
	{	/* a guardian named: the patient's name no longer signs */
		static const char *o[] = { "guardian_name=Paul Tremblay",
		    "guardian_relationship=substitute decision-maker", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "signature_name", VE_SIGNATURE));
		answers_free(a);
		verrs_free(&e);
	}
	{	/* a guardian needs a relationship; allowed at any age */
		static const char *o[] = { "guardian_name=Paul Tremblay",
		    "signature_name=Paul Tremblay", NULL };
		a = submit(day(2026, 11, 23), o, &e);
		assert_true(has_err(&e, "guardian_relationship", VE_REQUIRED));
		assert_false(has_err(&e, "guardian_name", VE_REQUIRED));
		answers_free(a);
		verrs_free(&e);
	}
}

static void
test_consent_version(void **state)
{
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), NULL, &e);

	(void)state;
	verrs_free(&e);
	a->consent_version = 2;
	answers_check(a, day(2026, 11, 23), 1, &e);
	assert_true(has_err(&e, "consent_version", VE_CONSENT_VERSION));
	answers_free(a);
	verrs_free(&e);
}

/* ---- form post -> document -> answers ---- */

static void
test_formpost_to_xml(void **state)
{
	const char *body = "submission_id=" SID "&form_version=1"
	    "&consent_version=1&given_name=Zo%C3%AB&family_name=A%26B+%3Cc%3E"
	    "&email=&pain_today=yes&pain_areas=neck&pain_areas=lower_back"
	    "&reason_for_visit=line1%0D%0Aline2&bogus=1";
	struct raw_values raw;
	struct verrs	 e = { 0 };
	struct buf	 xml;
	xmlDoc		*doc;
	xmlNode		*root, *n;
	int		 count = 0;

	(void)state;
	buf_init(&xml);
	assert_int_equal(formpost_decode(fd, body, strlen(body), &raw, &xml,
	    &e), FORMPOST_OK);
	/* the unknown name is an error of its own and kept for the summary */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].code, VE_UNKNOWN_FIELD);
	assert_string_equal(raw.unknown[0], "bogus");
	/* raw values exactly as sent, for the re-rendered form */
	assert_string_equal(raw.vals[formdef_field(fd, "reason_for_visit")][0],
	    "line1\r\nline2");
	assert_string_equal(raw.vals[formdef_field(fd, "email")][0], "");

	doc = xmlReadMemory(xml.data, (int)xml.len, NULL, "UTF-8", 0);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "intake");
	assert_string_equal((const char *)root->ns->href, fd->ns);
	for (n = root->children; n != NULL; n = n->next) {
		xmlChar *v = xmlNodeGetContent(n);

		count++;
		if (xmlStrEqual(n->name, BAD_CAST "family_name"))
			assert_string_equal((char *)v, "A&B <c>");
		if (xmlStrEqual(n->name, BAD_CAST "reason_for_visit"))
			assert_string_equal((char *)v, "line1\nline2");
		assert_false(xmlStrEqual(n->name, BAD_CAST "email"));
		xmlFree(v);
	}
	/* given, family, pain_today, 2 areas, reason: in definition order */
	assert_int_equal(count, 6);
	assert_string_equal((const char *)root->children->name, "given_name");
	xmlFreeDoc(doc);
	buf_free(&xml);
	raw_values_free(fd, &raw);
	verrs_free(&e);
}

static void
test_formpost_malformed(void **state)
{
	static const char *bad[] = {
		"given_name=%zz", "given_name=%C3", "given_name=%ff%fe",
		"%=1", "=value", "given_name=ok&%e2%82=1",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct raw_values raw;
		struct verrs	 e = { 0 };
		struct buf	 xml;

		buf_init(&xml);
		if (formpost_decode(fd, bad[i], strlen(bad[i]), &raw, &xml,
		    &e) != FORMPOST_MALFORMED)
			fail_msg("accepted %s", bad[i]);
		raw_values_free(fd, &raw);
		verrs_free(&e);
		buf_free(&xml);
	}
}

static void
test_formpost_field_errors(void **state)
{
	const char *body = "given_name=a%00b&first_massage=yes"
	    "&first_massage=no&family_name=x%01y&pain_areas=neck"
	    "&pain_areas=head";
	struct raw_values raw;
	struct verrs	 e = { 0 };
	struct buf	 xml;

	(void)state;
	buf_init(&xml);
	assert_int_equal(formpost_decode(fd, body, strlen(body), &raw, &xml,
	    &e), FORMPOST_OK);
	assert_true(has_err(&e, "given_name", VE_CONTROL_CHAR));
	assert_true(has_err(&e, "first_massage", VE_DUPLICATE));
	assert_true(has_err(&e, "family_name", VE_CONTROL_CHAR));
	assert_false(has_err(&e, "pain_areas", VE_DUPLICATE));	/* a multi */
	raw_values_free(fd, &raw);
	verrs_free(&e);
	buf_free(&xml);
}

static void
test_xml_path(void **state)
{
	struct verrs	 e = { 0 };
	struct answers	*a = answers_new(fd);
	const char	*good = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\"" SID
	    "\" form_version=\"1\" consent_version=\"1\"><given_name>Ann"
	    "</given_name><pain_intensity>12</pain_intensity></intake>";
	const char	*order = "<intake xmlns=\"urn:clinic-intake:intake:1\" "
	    "submission_id=\"" SID "\" form_version=\"1\" consent_version=\"1\">"
	    "<family_name>B</family_name><given_name>A</given_name></intake>";
	const char	*malformed[] = {
		"<intake",
		"<?xml version=\"1.0\"?><!DOCTYPE intake [<!ENTITY x \"y\">]>"
		    "<intake xmlns=\"urn:clinic-intake:intake:1\"/>",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><intake/>",
		"<intake>\xff</intake>",
		"",
	};
	size_t		 i;

	(void)state;
	assert_int_equal(intake_parse(parser, good, strlen(good), a, &e),
	    INTAKE_OK);
	assert_true(has_err(&e, "pain_intensity", VE_RANGE));
	assert_true(a->v[formdef_field(fd, "given_name")].present);
	answers_free(a);
	verrs_free(&e);

	a = answers_new(fd);
	assert_int_equal(intake_parse(parser, order, strlen(order), a, &e),
	    INTAKE_OK);
	assert_true(e.n >= 1);
	assert_int_equal(e.v[0].code, VE_STRUCTURE);
	print_message("order error at %s line %d\n", e.v[0].name, e.v[0].line);
	assert_non_null(strstr(e.v[0].name, "given_name"));
	answers_free(a);
	verrs_free(&e);

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		a = answers_new(fd);
		if (intake_parse(parser, malformed[i], strlen(malformed[i]), a,
		    &e) != INTAKE_MALFORMED)
			fail_msg("accepted malformed document %zu", i);
		answers_free(a);
		verrs_free(&e);
	}
}

static void
test_canonical_xml_is_stable(void **state)
{
	static const char *o1[] = { "conditions=diabetes osteoporosis", NULL };
	static const char *o2[] = { "conditions=osteoporosis diabetes",
	    "given_name=  Zo\xc3\xab ", NULL };
	struct verrs	 e = { 0 };
	struct answers	*a = submit(day(2026, 11, 23), o1, &e);
	struct answers	*b = submit(day(2026, 11, 23), o2, &e);
	struct buf	 x1, x2;

	(void)state;
	assert_int_equal(e.n, 0);
	buf_init(&x1);
	buf_init(&x2);
	answers_to_xml(a, ANSWERS_ALL, &x1);
	answers_to_xml(b, ANSWERS_ALL, &x2);
	assert_string_equal(x1.data, x2.data);
	/* the plain part carries no sensitive answer */
	buf_reset(&x1);
	answers_to_xml(a, ANSWERS_PLAIN, &x1);
	assert_null(strstr(x1.data, "conditions"));
	assert_null(strstr(x1.data, "reason_for_visit"));
	assert_non_null(strstr(x1.data, "given_name"));
	buf_reset(&x2);
	answers_to_xml(a, ANSWERS_SENSITIVE, &x2);
	assert_non_null(strstr(x2.data, "<conditions>diabetes</conditions>"));
	assert_null(strstr(x2.data, "given_name"));
	buf_free(&x1);
	buf_free(&x2);
	answers_free(a);
	answers_free(b);
	verrs_free(&e);
}

/* ---- the XSD and the definition agree ---- */

static xmlNode *
xsd_element(xmlNode *n, const char *name)
{
	for (; n != NULL; n = n->next) {
		xmlNode	*r;
		xmlChar	*v;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "element") &&
		    (v = xmlGetProp(n, BAD_CAST "name")) != NULL) {
			int eq = xmlStrEqual(v, BAD_CAST name);

			xmlFree(v);
			if (eq)
				return n;
		}
		if ((r = xsd_element(n->children, name)) != NULL)
			return r;
	}
	return NULL;
}

static int
xsd_facet(xmlNode *n, const char *facet, const char *value)
{
	for (; n != NULL; n = n->next) {
		xmlChar *v;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST facet) &&
		    (v = xmlGetProp(n, BAD_CAST "value")) != NULL) {
			int eq = value == NULL || xmlStrEqual(v, BAD_CAST value);

			xmlFree(v);
			if (eq)
				return 1;
		}
		if (xsd_facet(n->children, facet, value))
			return 1;
	}
	return 0;
}

static void
test_xsd_agrees(void **state)
{
	struct buf	 gen;
	FILE		*f;
	char		*file;
	long		 n;
	xmlDoc		*doc;
	xmlNode		*root;
	size_t		 i, c;
	char		 err[512];

	(void)state;
	/* the committed file is the generator's current output */
	buf_init(&gen);
	formxsd_write(fd, &gen);
	assert_non_null(f = fopen(INTAKEXSD, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(file, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (strcmp(file, gen.data) != 0)
		fail_msg("schemas/intake-v1.xsd is stale: run make schemas");
	free(file);
	buf_free(&gen);

	/* and, read independently, it says what the definition says */
	doc = xmlu_read_file(INTAKEXSD, err, sizeof(err));
	if (doc == NULL)
		fail_msg("%s", err);
	root = xmlDocGetRootElement(doc);
	for (i = 0; i < fd->nfields; i++) {
		const struct fd_field	*fl = &fd->fields[i];
		xmlNode			*el = xsd_element(root, fl->id);
		char			 num[32];

		if (el == NULL)
			fail_msg("XSD lacks %s", fl->id);
		switch (fl->type) {
		case FD_TEXT:
			snprintf(num, sizeof(num), "%zu", fl->maxlen);
			assert_true(xsd_facet(el, "maxLength", num));
			break;
		case FD_INT:
			snprintf(num, sizeof(num), "%ld", fl->min);
			assert_true(xsd_facet(el, "minInclusive", num));
			snprintf(num, sizeof(num), "%ld", fl->max);
			assert_true(xsd_facet(el, "maxInclusive", num));
			break;
		case FD_DATE:
			assert_true(xsd_facet(el, "pattern", NULL));
			break;
		default:
			for (c = 0; c < fl->nchoices; c++)
				if (!xsd_facet(el, "enumeration",
				    fl->choices[c].value))
					fail_msg("XSD lacks %s=%s", fl->id,
					    fl->choices[c].value);
			break;
		}
	}
	xmlFreeDoc(doc);
}

static void
test_formdef_refuses_bad_files(void **state)
{
	static const struct {
		const char	*xml;
		const char	*expect;
	} t[] = {
		{ "<form xmlns=\"urn:clinic-intake:form:1\" version=\"1\" "
		  "namespace=\"urn:x\"><section id=\"s\"><title>T</title>"
		  "<question id=\"a\" type=\"yesno\"><label>A</label>"
		  "<when><yes q=\"b\"/></when></question>"
		  "<question id=\"b\" type=\"yesno\"><label>B</label>"
		  "</question></section></form>", "earlier question" },
		{ "<form xmlns=\"urn:clinic-intake:form:1\" version=\"1\" "
		  "namespace=\"urn:x\"><section id=\"s\"><title>T</title>"
		  "<question id=\"a\" type=\"choice\"><label>A</label>"
		  "<choice value=\"x\">X</choice></question>"
		  "<question id=\"b\" type=\"yesno\"><label>B</label>"
		  "<when><holds q=\"a\" any=\"y\"/></when>"
		  "</question></section></form>", "\"y\" is not a choice" },
		{ "<form xmlns=\"urn:clinic-intake:form:1\" version=\"1\" "
		  "namespace=\"urn:x\"><section id=\"s\"><title>T</title>"
		  "<question id=\"a\" type=\"nope\"><label>A</label>"
		  "</question></section></form>", ":1:" },
		{ "<form", "not well-formed" },
	};
	char	 path[] = "/tmp/formdef-XXXXXX", err[512];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct formdef	*bad = NULL;
		int		 fdn = mkstemp(path);
		FILE		*f = fdopen(fdn, "w");

		fputs(t[i].xml, f);
		fclose(f);
		assert_int_equal(formdef_load(path, FORMXSD, &bad, err,
		    sizeof(err)), -1);
		assert_null(bad);
		if (strstr(err, t[i].expect) == NULL ||
		    strstr(err, path) == NULL)
			fail_msg("case %zu: message \"%s\"", i, err);
		unlink(path);
		strcpy(path, "/tmp/formdef-XXXXXX");
	}
}

static int
setup(void **state)
{
	char	 err[1024];

	(void)state;
	xmlu_init();
	if (formdef_load(FORM, FORMXSD, &fd, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if ((parser = intake_parser_new(fd, INTAKEXSD, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	intake_parser_free(parser);
	formdef_free(fd);
	xmlCleanupParser();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_table),
		cmocka_unit_test(test_unescape_table),
		cmocka_unit_test(test_validators_table),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_required_and_groups),
		cmocka_unit_test(test_conditional_dropping),
		cmocka_unit_test(test_exclusive_none),
		cmocka_unit_test(test_dates_against_today),
		cmocka_unit_test(test_age_birthdays),
		cmocka_unit_test(test_today_in_the_clinic_zone),
		cmocka_unit_test(test_signature_names),
		cmocka_unit_test(test_guardian),
		cmocka_unit_test(test_consent_version),
		cmocka_unit_test(test_formpost_to_xml),
		cmocka_unit_test(test_formpost_malformed),
		cmocka_unit_test(test_formpost_field_errors),
		cmocka_unit_test(test_xml_path),
		cmocka_unit_test(test_canonical_xml_is_stable),
		cmocka_unit_test(test_xsd_agrees),
		cmocka_unit_test(test_formdef_refuses_bad_files),
	};

	return cmocka_run_group_tests_name("form", tests, setup, teardown);
}
