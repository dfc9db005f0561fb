/*
 * test_rules_load.c: the shipped rule file loads and says what
 * screening.md says, rule by rule; broken rule files are refused with
 * "file:line: problem".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "form/formdef.h"
#include "screen/screen.h"

#include "support/support_answers.h"

#define RULES		"schemas/rules-v1.xml"
#define RULES_XSD	"schemas/rules.xsd"
#define FIXTURES	"tests/fixtures/rules/"

/* screening.md's table, in its order. */
static const struct shipped {
	const char	*id;
	enum severity	 severity;
	enum timeframe	 timeframe;
	const char	*areas;		/* fixed areas, space-separated */
	const char	*area_field;	/* free-text area answer, or NULL */
	const char	*suppressed_by;	/* space-separated */
} shipped[] = {
	{ "cauda_equina_signs", SEV_URGENT, TF_EMERGENCY, "", NULL, "" },
	{ "aneurysm_with_pain", SEV_URGENT, TF_EMERGENCY, "", NULL, "" },
	{ "progressive_neuro_deficit", SEV_URGENT, TF_SAME_DAY, "", NULL, "" },
	{ "spinal_infection_signs", SEV_URGENT, TF_SAME_DAY, "", NULL, "" },
	{ "vertebral_fracture_risk", SEV_URGENT, TF_SAME_DAY, "", NULL, "" },
	{ "possible_dvt", SEV_URGENT, TF_SAME_DAY, "", NULL, "" },
	{ "preeclampsia_signs", SEV_URGENT, TF_SAME_DAY, "", NULL, "" },
	{ "spinal_malignancy_signs", SEV_URGENT, TF_WITHIN_DAYS, "", NULL, "" },
	{ "back_pain_red_flag", SEV_CLEARANCE, TF_NONE, "", NULL,
	    "progressive_neuro_deficit spinal_infection_signs "
	    "vertebral_fracture_risk spinal_malignancy_signs" },
	{ "pregnancy_symptoms_early", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "chest_pain", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "fever", SEV_NO_MASSAGE, TF_NONE, "", NULL, "" },
	{ "blood_clot", SEV_NO_MASSAGE, TF_NONE, "", NULL, "" },
	{ "shingles_active", SEV_NO_MASSAGE, TF_NONE, "", NULL, "" },
	{ "uncontrolled_hypertension", SEV_NO_MASSAGE, TF_NONE, "", NULL, "" },
	{ "hypertension_unclear", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "heart_condition", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "stroke_tia", SEV_CLEARANCE, TF_NONE, "neck", NULL, "" },
	{ "cancer_current", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "aneurysm", SEV_CLEARANCE, TF_NONE, "abdomen", NULL, "" },
	{ "high_risk_pregnancy", SEV_CLEARANCE, TF_NONE, "", NULL, "" },
	{ "surgery_recent", SEV_CLEARANCE, TF_NONE, "",
	    "recent_surgery_area", "" },
	{ "surgery_healing", SEV_LOCAL, TF_NONE, "", "recent_surgery_area", "" },
	{ "fracture_recent", SEV_LOCAL, TF_NONE, "", "recent_fracture_area", "" },
	{ "acute_injury", SEV_LOCAL, TF_NONE, "", "recent_injury_area", "" },
	{ "injection_site", SEV_LOCAL, TF_NONE, "", "injection_area", "" },
	{ "varicose_veins", SEV_LOCAL, TF_NONE, "lower_legs thighs", NULL, "" },
	{ "skin_problem", SEV_LOCAL, TF_NONE, "", "condition_areas", "" },
	{ "joint_flare", SEV_LOCAL, TF_NONE, "", "condition_areas", "" },
	{ "hernia", SEV_LOCAL, TF_NONE, "abdomen", NULL, "" },
	{ "implant_device", SEV_LOCAL, TF_NONE, "", "condition_areas", "" },
	{ "lymph_nodes_removed", SEV_LOCAL, TF_NONE, "", "condition_areas", "" },
	{ "anticoagulant", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "deep_pressure_bleeding_risk", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "antiplatelet", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "bleeding_disorder", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "osteoporosis", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "deep_pressure_fragile_bone", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "pregnancy", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "pregnancy_positioning", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "pregnancy_acupressure_points", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "postpartum", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "diabetes", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "reduced_sensation", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "kidney_disease", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "radiating_pain", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "epilepsy", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "steroids_long_term", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "pain_medication_today", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "fragile_skin", SEV_CAUTION, TF_NONE, "", NULL, "" },
	{ "product_allergy", SEV_CAUTION, TF_NONE, "", NULL, "" },
};
#define NSHIPPED	(sizeof(shipped) / sizeof(shipped[0]))

/* A broken rule file and what the refusal must say. */
static const struct broken {
	const char	*file;		/* under FIXTURES */
	int		 line;		/* 0: no line in the message */
	const char	*says[3];	/* each must appear in the message */
} broken[] = {
	{ "malformed.xml", 7, { "tag mismatch", "advice" } },
	{ "unknown-question.xml", 8, { "rule \"fever\"", "\"rf_flying\"",
	    "no question" } },
	{ "unknown-choice.xml", 5, { "rule \"joint_flare\"", "\"gout\"",
	    "not a choice of question \"conditions\"" } },
	{ "bad-severity.xml", 4, { "severity", "'serious'" } },
	{ "urgent-no-timeframe.xml", 4, { "\"possible_dvt\"",
	    "urgent but has no timeframe" } },
	{ "suppressed-unknown.xml", 7, { "\"back_pain_red_flag\"",
	    "\"spinal_malignancy_signs\"", "no rule has that id" } },
	{ "doctype-entity.xml", 3, { "DOCTYPE is not allowed" } },
	{ "duplicate-id.xml", 8, { "\"fever\"", "used twice" } },
	{ "timeframe-not-urgent.xml", 4, { "\"fever\"",
	    "only urgent rules have one" } },
	{ "patient-advice-not-urgent.xml", 7, { "\"fever\"",
	    "patient advice", "only urgent" } },
	{ "urgent-no-patient-advice.xml", 4, { "\"possible_dvt\"",
	    "no patient advice" } },
	{ "area-from-not-text.xml", 7, { "\"pain_areas\"",
	    "not a free-text question" } },
	{ "area-from-unknown.xml", 7, { "\"skin_area\"",
	    "not a question of the form" } },
	{ "suppressed-by-less-serious.xml", 7, { "\"fever\" (no_massage)",
	    "\"pain_medication_today\" (caution)", "more serious" } },
	{ "suppression-loop.xml", 4, { "\"heart_condition\"", "loop" } },
	{ "wrong-namespace.xml", 3, { "urn:clinic-intake:form:1",
	    "No matching global declaration" } },
	{ "no-such-file.xml", 0, { "cannot read the rule file" } },
};
#define NBROKEN		(sizeof(broken) / sizeof(broken[0]))

static struct formdef	*fd;

static int
setup(void **state)
{
	char	 err[512];

	(void)state;
	if ((fd = support_formdef(err, sizeof(err))) == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	formdef_free(fd);
	return 0;
}

/* Is word one of the space-separated words of list? */
static int
has_word(const char *list, const char *word)
{
	size_t	 n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static size_t
count_words(const char *list)
{
	size_t	 n = 0;
	int	 in = 0;

	for (; *list != '\0'; list++) {
		if (*list != ' ' && !in)
			n++;
		in = *list != ' ';
	}
	return n;
}

static void
test_shipped_loads(void **state)
{
	struct ruleset	*rs = NULL;
	char		 err[512] = "";

	(void)state;
	if (ruleset_load(RULES, RULES_XSD, fd, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(rs);
	assert_string_equal(rs->version, "1");
	assert_int_equal(rs->nrules, NSHIPPED);
	assert_null(ruleset_find(rs, "no_such_rule"));
	assert_ptr_equal(ruleset_find(rs, "fever"), &rs->rules[11]);
	ruleset_free(rs);
}

/* Each rule of the shipped file, against screening.md's table. */
static void
test_shipped_rules(void **state)
{
	struct ruleset		*rs = NULL;
	const struct rule	*r;
	const struct shipped	*s;
	char			 err[512] = "";
	size_t			 i, j;

	(void)state;
	if (ruleset_load(RULES, RULES_XSD, fd, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(rs->nrules, NSHIPPED);
	for (i = 0; i < NSHIPPED; i++) {
		s = &shipped[i];
		r = &rs->rules[i];
		print_message("%s\n", s->id);
		assert_string_equal(r->id, s->id);
		assert_int_equal(r->severity, s->severity);
		assert_int_equal(r->timeframe, s->timeframe);
		assert_non_null(r->when);
		assert_non_null(r->advice);
		assert_true(strlen(r->advice) > 10);
		/* Wrapped prose in the file reads as one line. */
		assert_null(strchr(r->advice, '\n'));
		assert_null(strstr(r->advice, "  "));
		if (s->severity == SEV_URGENT) {
			assert_non_null(r->patient_advice);
			assert_null(strchr(r->patient_advice, '\n'));
			assert_non_null(strstr(r->patient_advice,
			    "Do not wait for your massage appointment."));
		} else
			assert_null(r->patient_advice);
		assert_int_equal(r->nareas, count_words(s->areas));
		for (j = 0; j < r->nareas; j++)
			assert_true(has_word(s->areas, r->areas[j]));
		if (s->area_field == NULL)
			assert_int_equal(r->area_field, -1);
		else
			assert_int_equal(r->area_field,
			    formdef_field(fd, s->area_field));
		assert_int_equal(r->nsuppressed_by,
		    count_words(s->suppressed_by));
		for (j = 0; j < r->nsuppressed_by; j++)
			assert_true(has_word(s->suppressed_by,
			    rs->rules[r->suppressed_by[j]].id));
	}
	ruleset_free(rs);
}

static void
test_broken_refused(void **state)
{
	struct ruleset		*rs, sentinel;
	const struct broken	*b;
	char			 err[1024], path[256], want[300];
	size_t			 i, j;

	(void)state;
	for (i = 0; i < NBROKEN; i++) {
		b = &broken[i];
		snprintf(path, sizeof(path), FIXTURES "%s", b->file);
		print_message("%s\n", b->file);
		rs = &sentinel;		/* a refusal leaves NULL */
		memset(err, 0, sizeof(err));
		assert_int_equal(ruleset_load(path, RULES_XSD, fd, &rs, err,
		    sizeof(err)), -1);
		assert_null(rs);
		if (b->line > 0)
			snprintf(want, sizeof(want), "%s:%d: ", path, b->line);
		else
			snprintf(want, sizeof(want), "%s: ", path);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: want prefix \"%s\", got \"%s\"", b->file,
			    want, err);
		for (j = 0; j < 3 && b->says[j] != NULL; j++)
			if (strstr(err, b->says[j]) == NULL)
				fail_msg("%s: want \"%s\" in \"%s\"", b->file,
				    b->says[j], err);
		/* One line: the start-up log prints it as one event. */
		assert_null(strchr(err, '\n'));
	}
}

/* A broken schema path names the schema, not the rule file. */
static void
test_bad_schema_path(void **state)
{
	struct ruleset	*rs = NULL;
	char		 err[512] = "";

	(void)state;
	assert_int_equal(ruleset_load(RULES, "schemas/no-such.xsd", fd, &rs,
	    err, sizeof(err)), -1);
	assert_null(rs);
	assert_non_null(strstr(err, "schemas/no-such.xsd"));
}

/* A short error buffer is filled, not overrun, and still terminated. */
static void
test_short_error_buffer(void **state)
{
	struct ruleset	*rs = NULL;
	char		 err[24];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(ruleset_load(FIXTURES "duplicate-id.xml", RULES_XSD,
	    fd, &rs, err, 16), -1);
	assert_int_equal(strlen(err), 15);
	assert_int_equal(err[16], 'x');
	assert_int_equal(ruleset_load(FIXTURES "duplicate-id.xml", RULES_XSD,
	    fd, &rs, NULL, 0), -1);
	ruleset_free(NULL);	/* accepts NULL */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_loads),
		cmocka_unit_test(test_shipped_rules),
		cmocka_unit_test(test_broken_refused),
		cmocka_unit_test(test_bad_schema_path),
		cmocka_unit_test(test_short_error_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
