/*
 * test_screen.c: screening of checked submissions with the shipped rules
 * (screening.md). For every rule, submissions that raise it and near
 * misses at its boundary that do not; combined cases; suppression; areas;
 * sort order. Each case names the exact flags expected, in order, so an
 * extra or a missing flag fails as surely as a wrong one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "form/answers.h"
#include "form/formdef.h"
#include "screen/screen.h"

#include "support/support_answers.h"

#define RULES		"schemas/rules-v1.xml"
#define RULES_XSD	"schemas/rules.xsd"
#define ORDER_RULES	"tests/fixtures/rules/order.xml"

/* Pain today, and where; the other pain questions answered plainly. */
#define PAIN(areas)	"pain_today=yes", "pain_areas=" areas, \
			"pain_intensity=5", "pain_duration=under_6_weeks", \
			"pain_spreads_to_limb=no"
/* Every back pain safety question answered no; override after it. */
#define RF_NO		"rf_leg_weakness=no", "rf_cancer_history=no", \
			"rf_weight_loss=no", "rf_fever=no", "rf_trauma=no", \
			"rf_night_pain=no", "rf_immunosuppressed=no"
#define BACK		PAIN("lower_back"), RF_NO
#define PREG(weeks)	"pregnant=yes", "pregnancy_weeks=" weeks, \
			"pregnancy_high_risk=no", "pregnancy_symptoms=no"
#define AGE_50		"date_of_birth=@-50y"	/* 50th birthday today */
#define AGE_49		"date_of_birth=@-50y+1"	/* 50 tomorrow */

struct screen_case {
	const char	*name;
	const char	*set[32];	/* id=value over the healthy base */
	const char	*want;		/* flag rule ids in order, or "" */
};

static const struct screen_case cases[] = {
	{ "healthy submission", { NULL }, "" },

	/* cauda_equina_signs: urgent, emergency */
	{ "bladder or bowel", { "rf_bladder_bowel=yes" },
	    "cauda_equina_signs" },
	{ "saddle numbness", { "rf_saddle_numbness=yes" },
	    "cauda_equina_signs" },
	{ "both cauda equina answers no", { "rf_bladder_bowel=no",
	    "rf_saddle_numbness=no" }, "" },

	/* aneurysm_with_pain: urgent, emergency */
	{ "aneurysm, abdominal pain", { PAIN("abdomen"),
	    "conditions=aneurysm" }, "aneurysm_with_pain aneurysm" },
	{ "aneurysm, low back pain", { BACK, "conditions=aneurysm" },
	    "aneurysm_with_pain aneurysm" },
	{ "aneurysm, mid back pain", { PAIN("mid_back"), RF_NO,
	    "conditions=aneurysm" }, "aneurysm_with_pain aneurysm" },
	{ "aneurysm, hip pain", { PAIN("hips"), "conditions=aneurysm" },
	    "aneurysm" },
	{ "abdominal pain, no aneurysm", { PAIN("abdomen") }, "" },

	/* progressive_neuro_deficit: urgent, same day */
	{ "low back pain, leg weakness", { BACK, "rf_leg_weakness=yes" },
	    "progressive_neuro_deficit" },
	{ "mid back pain, leg weakness", { PAIN("mid_back"), RF_NO,
	    "rf_leg_weakness=yes" }, "progressive_neuro_deficit" },
	{ "neck pain, leg weakness dropped", { PAIN("neck"), RF_NO,
	    "rf_leg_weakness=yes" }, "" },
	{ "upper back pain, leg weakness dropped", { PAIN("upper_back"),
	    RF_NO, "rf_leg_weakness=yes" }, "" },

	/* spinal_infection_signs: urgent, same day */
	{ "back pain, fever, immunosuppressed", { BACK, "rf_fever=yes",
	    "rf_immunosuppressed=yes" }, "spinal_infection_signs" },
	{ "back pain, fever, age 50", { BACK, "rf_fever=yes", AGE_50 },
	    "spinal_infection_signs" },
	{ "back pain, fever, age 49", { BACK, "rf_fever=yes", AGE_49 },
	    "back_pain_red_flag" },
	{ "back pain, immunosuppressed, no fever", { BACK,
	    "rf_immunosuppressed=yes", AGE_50 }, "back_pain_red_flag" },
	{ "neck pain, fever, immunosuppressed", { PAIN("neck"), RF_NO,
	    "rf_fever=yes", "rf_immunosuppressed=yes" }, "" },

	/* vertebral_fracture_risk: urgent, same day */
	{ "back pain after a fall, age 50", { BACK, "rf_trauma=yes",
	    AGE_50 }, "vertebral_fracture_risk" },
	{ "back pain after a fall, age 49", { BACK, "rf_trauma=yes",
	    AGE_49 }, "back_pain_red_flag" },
	{ "back pain after a fall, osteoporosis", { BACK, "rf_trauma=yes",
	    "conditions=osteoporosis" },
	    "vertebral_fracture_risk osteoporosis" },
	{ "back pain after a fall, long-term steroids", { BACK,
	    "rf_trauma=yes", "steroids_long_term=yes" },
	    "vertebral_fracture_risk steroids_long_term" },
	{ "neck pain after a fall, age 50", { PAIN("neck"), RF_NO,
	    "rf_trauma=yes", AGE_50 }, "" },

	/* possible_dvt: urgent, same day */
	{ "one leg swollen", { "leg_swelling=yes" }, "possible_dvt" },
	{ "no leg swelling", { "leg_swelling=no" }, "" },

	/* preeclampsia_signs: urgent, same day */
	{ "20 weeks with symptoms", { PREG("20"), "pregnancy_symptoms=yes" },
	    "preeclampsia_signs pregnancy pregnancy_positioning" },
	{ "19 weeks with symptoms", { PREG("19"), "pregnancy_symptoms=yes" },
	    "pregnancy_symptoms_early pregnancy" },
	{ "postpartum with symptoms", { "pregnant=postpartum",
	    "pregnancy_symptoms=yes" }, "preeclampsia_signs postpartum" },
	{ "postpartum without symptoms", { "pregnant=postpartum",
	    "pregnancy_symptoms=no" }, "postpartum" },
	{ "36 weeks without symptoms", { PREG("36") },
	    "pregnancy pregnancy_positioning" },

	/* spinal_malignancy_signs: urgent, within days */
	{ "back pain, cancer history, weight loss", { BACK,
	    "rf_cancer_history=yes", "rf_weight_loss=yes" },
	    "spinal_malignancy_signs" },
	{ "back pain, cancer history, night pain", { BACK,
	    "rf_cancer_history=yes", "rf_night_pain=yes" },
	    "spinal_malignancy_signs" },
	{ "back pain, cancer history alone", { BACK,
	    "rf_cancer_history=yes" }, "back_pain_red_flag" },
	{ "back pain, weight loss and night pain, no cancer", { BACK,
	    "rf_weight_loss=yes", "rf_night_pain=yes" },
	    "back_pain_red_flag" },

	/* back_pain_red_flag: clearance; each red flag alone */
	{ "red flag: cancer history", { BACK, "rf_cancer_history=yes" },
	    "back_pain_red_flag" },
	{ "red flag: weight loss", { BACK, "rf_weight_loss=yes" },
	    "back_pain_red_flag" },
	{ "red flag: fever", { BACK, "rf_fever=yes" },
	    "back_pain_red_flag" },
	{ "red flag: trauma", { BACK, "rf_trauma=yes" },
	    "back_pain_red_flag" },
	{ "red flag: night pain", { BACK, "rf_night_pain=yes" },
	    "back_pain_red_flag" },
	{ "red flag: immunosuppressed", { BACK, "rf_immunosuppressed=yes" },
	    "back_pain_red_flag" },
	{ "red flag: mid back", { PAIN("mid_back"), RF_NO,
	    "rf_night_pain=yes" }, "back_pain_red_flag" },
	{ "back pain, no red flag", { BACK }, "" },
	{ "night pain in the neck only, dropped", { PAIN("neck"), RF_NO,
	    "rf_night_pain=yes" }, "" },

	/* pregnancy_symptoms_early: clearance */
	{ "12 weeks with symptoms", { PREG("12"), "pregnancy_symptoms=yes" },
	    "pregnancy_symptoms_early pregnancy" },
	{ "19 weeks without symptoms", { PREG("19") }, "pregnancy" },

	/* chest_pain: clearance */
	{ "chest pain", { PAIN("chest") }, "chest_pain" },
	{ "shoulder pain", { PAIN("shoulders") }, "" },

	/* fever, blood_clot, shingles_active: no massage */
	{ "fever today", { "fever_today=yes" }, "fever" },
	{ "blood clot", { "conditions=blood_clot" }, "blood_clot" },
	{ "shingles", { "conditions=shingles_active" }, "shingles_active" },

	/* uncontrolled_hypertension, hypertension_unclear */
	{ "blood pressure not controlled", {
	    "conditions=high_blood_pressure", "blood_pressure_controlled=no" },
	    "uncontrolled_hypertension" },
	{ "blood pressure unsure", { "conditions=high_blood_pressure",
	    "blood_pressure_controlled=unsure" }, "hypertension_unclear" },
	{ "blood pressure controlled", { "conditions=high_blood_pressure",
	    "blood_pressure_controlled=yes" }, "" },

	/* clearance by condition */
	{ "heart condition", { "conditions=heart_condition" },
	    "heart_condition" },
	{ "stroke or TIA", { "conditions=stroke_tia" }, "stroke_tia" },
	{ "current cancer", { "conditions=cancer_current" },
	    "cancer_current" },
	{ "aneurysm without pain", { "conditions=aneurysm" }, "aneurysm" },

	/* high_risk_pregnancy: clearance */
	{ "high-risk pregnancy", { PREG("12"), "pregnancy_high_risk=yes" },
	    "high_risk_pregnancy pregnancy" },
	{ "pregnancy not high-risk", { PREG("12"),
	    "pregnancy_high_risk=no" }, "pregnancy" },

	/* surgery_recent (clearance), surgery_healing (local) */
	{ "surgery today", { "recent_surgery_date=@-0",
	    "recent_surgery_area=left knee" }, "surgery_recent" },
	{ "surgery 42 days ago", { "recent_surgery_date=@-42",
	    "recent_surgery_area=left knee" }, "surgery_recent" },
	{ "surgery 43 days ago", { "recent_surgery_date=@-43",
	    "recent_surgery_area=left knee" }, "surgery_healing" },
	{ "surgery 90 days ago", { "recent_surgery_date=@-90",
	    "recent_surgery_area=left knee" }, "surgery_healing" },
	{ "surgery 91 days ago", { "recent_surgery_date=@-91",
	    "recent_surgery_area=left knee" }, "" },

	/* fracture_recent: local */
	{ "fracture today", { "recent_fracture_date=@-0",
	    "recent_fracture_area=right wrist" }, "fracture_recent" },
	{ "fracture 90 days ago", { "recent_fracture_date=@-90",
	    "recent_fracture_area=right wrist" }, "fracture_recent" },
	{ "fracture 91 days ago", { "recent_fracture_date=@-91",
	    "recent_fracture_area=right wrist" }, "" },

	/* acute_injury: local */
	{ "injury today", { "recent_injury_date=@-0",
	    "recent_injury_area=left ankle" }, "acute_injury" },
	{ "injury 3 days ago", { "recent_injury_date=@-3",
	    "recent_injury_area=left ankle" }, "acute_injury" },
	{ "injury 4 days ago", { "recent_injury_date=@-4",
	    "recent_injury_area=left ankle" }, "" },

	/* injection_site: local */
	{ "recent injection", { "injection_recent=yes",
	    "injection_area=right shoulder" }, "injection_site" },

	/* local by condition */
	{ "varicose veins", { "conditions=varicose_veins" },
	    "varicose_veins" },
	{ "skin problem", { "conditions=skin_problem",
	    "condition_areas=left forearm" }, "skin_problem" },
	{ "joint flare", { "conditions=joint_flare",
	    "condition_areas=right knee" }, "joint_flare" },
	{ "hernia", { "conditions=hernia" }, "hernia" },
	{ "implant", { "conditions=implant_device",
	    "condition_areas=pacemaker, left chest" }, "implant_device" },
	{ "lymph nodes removed", { "conditions=lymph_nodes_removed",
	    "condition_areas=left armpit" }, "lymph_nodes_removed" },

	/* anticoagulant, deep_pressure_bleeding_risk, antiplatelet,
	 * bleeding_disorder: caution */
	{ "anticoagulant, relaxation", { "anticoagulant=yes" },
	    "anticoagulant" },
	{ "anticoagulant, deep tissue", { "anticoagulant=yes",
	    "massage_type=deep_tissue" },
	    "anticoagulant deep_pressure_bleeding_risk" },
	{ "antiplatelet, sports", { "antiplatelet=yes",
	    "massage_type=sports" },
	    "deep_pressure_bleeding_risk antiplatelet" },
	{ "bleeding disorder, deep tissue", {
	    "conditions=bleeding_disorder", "massage_type=deep_tissue" },
	    "deep_pressure_bleeding_risk bleeding_disorder" },
	{ "antiplatelet, therapist's choice", { "antiplatelet=yes",
	    "massage_type=therapist_choice" }, "antiplatelet" },
	{ "antiplatelet, relaxation", { "antiplatelet=yes" },
	    "antiplatelet" },
	{ "bleeding disorder, relaxation", {
	    "conditions=bleeding_disorder" }, "bleeding_disorder" },
	{ "deep tissue, no bleeding risk", { "massage_type=deep_tissue" },
	    "" },

	/* osteoporosis, deep_pressure_fragile_bone: caution */
	{ "osteoporosis, relaxation", { "conditions=osteoporosis" },
	    "osteoporosis" },
	{ "osteoporosis, deep tissue", { "conditions=osteoporosis",
	    "massage_type=deep_tissue" },
	    "osteoporosis deep_pressure_fragile_bone" },
	{ "osteoporosis, sports", { "conditions=osteoporosis",
	    "massage_type=sports" },
	    "osteoporosis deep_pressure_fragile_bone" },

	/* pregnancy, pregnancy_positioning, pregnancy_acupressure_points,
	 * postpartum: caution */
	{ "pregnant 12 weeks", { PREG("12") }, "pregnancy" },
	{ "maybe pregnant", { "pregnant=unsure" }, "pregnancy" },
	{ "not pregnant", { "pregnant=no" }, "" },
	{ "pregnant 20 weeks", { PREG("20") },
	    "pregnancy pregnancy_positioning" },
	{ "pregnant 12 weeks, shiatsu", { PREG("12"),
	    "massage_type=shiatsu_acupressure" },
	    "pregnancy pregnancy_acupressure_points" },
	{ "maybe pregnant, shiatsu", { "pregnant=unsure",
	    "massage_type=shiatsu_acupressure" },
	    "pregnancy pregnancy_acupressure_points" },
	{ "not pregnant, shiatsu", { "pregnant=no",
	    "massage_type=shiatsu_acupressure" }, "" },
	{ "postpartum, shiatsu", { "pregnant=postpartum",
	    "pregnancy_symptoms=no", "massage_type=shiatsu_acupressure" },
	    "postpartum" },

	/* caution by condition or answer */
	{ "diabetes", { "conditions=diabetes" }, "diabetes" },
	{ "numbness", { "conditions=numbness" }, "reduced_sensation" },
	{ "kidney disease", { "conditions=kidney_disease" },
	    "kidney_disease" },
	{ "pain spreading into a limb", { PAIN("neck"),
	    "pain_spreads_to_limb=yes" }, "radiating_pain" },
	{ "herniated disc", { "conditions=herniated_disc" },
	    "radiating_pain" },
	{ "neck pain not spreading", { PAIN("neck") }, "" },
	{ "epilepsy", { "conditions=epilepsy" }, "epilepsy" },
	{ "long-term steroids", { "steroids_long_term=yes" },
	    "steroids_long_term" },
	{ "pain medication today", { "pain_medication_today=yes" },
	    "pain_medication_today" },
	{ "fragile skin", { "conditions=fragile_skin" }, "fragile_skin" },
	{ "latex allergy", { "product_allergies=latex" },
	    "product_allergy" },
	{ "nut oil and fragrance allergies", {
	    "product_allergies=nut_oils fragrance" }, "product_allergy" },
	{ "allergy details without a product", {
	    "allergies=penicillin" }, "" },

	/* several conditions at once: each its own flag */
	{ "diabetes and kidney disease", {
	    "conditions=diabetes kidney_disease" },
	    "diabetes kidney_disease" },

	/* Combined cases. */
	{ "pregnant 24 weeks, shiatsu, varicose veins", { PREG("24"),
	    "massage_type=shiatsu_acupressure",
	    "conditions=varicose_veins" },
	    "varicose_veins pregnancy pregnancy_positioning "
	    "pregnancy_acupressure_points" },
	{ "older patient, fall, osteoporosis, back pain", { BACK,
	    "rf_trauma=yes", "date_of_birth=@-72y",
	    "conditions=osteoporosis" },
	    "vertebral_fracture_risk osteoporosis" },
	{ "deep tissue on apixaban", { "massage_type=deep_tissue",
	    "anticoagulant=yes",
	    "medications=apixaban 5 mg twice a day" },
	    "anticoagulant deep_pressure_bleeding_risk" },
	{ "every severity at once", { PAIN("lower_back chest"), RF_NO,
	    "rf_cancer_history=yes", "rf_night_pain=yes",
	    "rf_saddle_numbness=yes", "leg_swelling=yes", "fever_today=yes",
	    "conditions=varicose_veins", "anticoagulant=yes" },
	    "cauda_equina_signs possible_dvt spinal_malignancy_signs fever "
	    "chest_pain varicose_veins anticoagulant" },
	{ "all four back pain urgents suppress one red flag", { BACK,
	    "rf_leg_weakness=yes", "rf_fever=yes", "rf_immunosuppressed=yes",
	    "rf_trauma=yes", "rf_cancer_history=yes", "rf_weight_loss=yes",
	    "steroids_long_term=yes" },
	    "progressive_neuro_deficit spinal_infection_signs "
	    "vertebral_fracture_risk spinal_malignancy_signs "
	    "steroids_long_term" },

	/* Answers dropped because their condition did not hold. */
	{ "fall answered, pain only in the neck", { PAIN("neck"), RF_NO,
	    "rf_trauma=yes", "conditions=osteoporosis", AGE_50 },
	    "osteoporosis" },
	{ "pregnancy weeks given, not pregnant", { "pregnant=no",
	    "pregnancy_weeks=24", "pregnancy_symptoms=yes",
	    "pregnancy_high_risk=yes" }, "" },
	{ "pain areas given, no pain today", { "pain_today=no",
	    "pain_areas=chest lower_back", "pain_spreads_to_limb=yes",
	    "rf_bladder_bowel=no", "rf_night_pain=yes" }, "" },
	{ "blood pressure answer, no high blood pressure", {
	    "conditions=none", "blood_pressure_controlled=no" }, "" },
	{ "injection area, no injection", { "injection_recent=no",
	    "injection_area=left hip" }, "" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Answers a dropped case must have lost, by case name. */
static const struct dropped {
	const char	*name;
	const char	*ids[4];
} dropped[] = {
	{ "fall answered, pain only in the neck", { "rf_trauma" } },
	{ "pregnancy weeks given, not pregnant", { "pregnancy_weeks",
	    "pregnancy_symptoms", "pregnancy_high_risk" } },
	{ "pain areas given, no pain today", { "pain_areas",
	    "pain_spreads_to_limb", "rf_night_pain" } },
	{ "blood pressure answer, no high blood pressure", {
	    "blood_pressure_controlled" } },
	{ "injection area, no injection", { "injection_area" } },
};

/* The areas a flag carries: fixed ones, then the answer's text. */
static const struct area_case {
	const char	*set[8];
	const char	*rule;
	const char	*areas[4];
} area_cases[] = {
	{ { "recent_surgery_date=@-10",
	    "recent_surgery_area=left knee" }, "surgery_recent",
	    { "left knee" } },
	{ { "recent_surgery_date=@-60",
	    "recent_surgery_area=right shoulder" }, "surgery_healing",
	    { "right shoulder" } },
	{ { "recent_fracture_date=@-30",
	    "recent_fracture_area=left wrist" }, "fracture_recent",
	    { "left wrist" } },
	{ { "recent_injury_date=@-1",
	    "recent_injury_area=right ankle" }, "acute_injury",
	    { "right ankle" } },
	{ { "injection_recent=yes", "injection_area=left hip" },
	    "injection_site", { "left hip" } },
	{ { "conditions=varicose_veins" }, "varicose_veins",
	    { "lower_legs", "thighs" } },
	{ { "conditions=stroke_tia" }, "stroke_tia", { "neck" } },
	{ { "conditions=aneurysm" }, "aneurysm", { "abdomen" } },
	{ { "conditions=hernia" }, "hernia", { "abdomen" } },
	{ { "conditions=skin_problem joint_flare",
	    "condition_areas=both hands" }, "skin_problem",
	    { "both hands" } },
	{ { "conditions=skin_problem joint_flare",
	    "condition_areas=both hands" }, "joint_flare",
	    { "both hands" } },
	{ { "conditions=implant_device",
	    "condition_areas=insulin pump, abdomen" }, "implant_device",
	    { "insulin pump, abdomen" } },
	{ { "conditions=lymph_nodes_removed",
	    "condition_areas=right armpit" }, "lymph_nodes_removed",
	    { "right armpit" } },
	{ { "anticoagulant=yes" }, "anticoagulant", { NULL } },
};
#define NAREA_CASES	(sizeof(area_cases) / sizeof(area_cases[0]))

static struct formdef	*fd;
static struct ruleset	*rs;
static int32_t		 today;

static int
setup(void **state)
{
	char	 err[512];

	(void)state;
	/* A fixed submission date; answer dates are relative to it. */
	today = date_to_days(2025, 6, 15);
	if ((fd = support_formdef(err, sizeof(err))) == NULL ||
	    ruleset_load(RULES, RULES_XSD, fd, &rs, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ruleset_free(rs);
	formdef_free(fd);
	return 0;
}

static struct answers *
build(const char *name, const char *const *set)
{
	struct answers	*a;
	char		 err[512];

	if ((a = support_answers(fd, today, set, err, sizeof(err))) == NULL)
		fail_msg("%s: submission refused: %s", name, err);
	return a;
}

/* The flags' rule ids joined by spaces, in order. */
static void
flag_ids(const struct flags *f, char *out, size_t outsz)
{
	size_t	 i, len = 0;

	out[0] = '\0';
	for (i = 0; i < f->n; i++) {
		snprintf(out + len, outsz - len, "%s%s", i > 0 ? " " : "",
		    f->v[i].rule->id);
		len = strlen(out);
	}
}

static void
test_cases(void **state)
{
	const struct screen_case	*c;
	struct answers			*a;
	struct flags			 f;
	char				 got[1024];
	size_t				 i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		c = &cases[i];
		a = build(c->name, c->set);
		assert_int_equal(screen_run(rs, a, &f), 0);
		flag_ids(&f, got, sizeof(got));
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: want \"%s\", got \"%s\"", c->name,
			    c->want, got);
		assert_int_equal(f.n == 0, f.v == NULL);
		flags_free(&f);
		answers_free(a);
	}
}

/* Every rule of the shipped file is raised by at least one case. */
static void
test_every_rule_covered(void **state)
{
	const struct rule	*r;
	char			 words[1024], *w, *save;
	unsigned char		 hit[128];
	size_t			 i;

	(void)state;
	assert_true(rs->nrules <= sizeof(hit));
	memset(hit, 0, sizeof(hit));
	for (i = 0; i < NCASES; i++) {
		snprintf(words, sizeof(words), "%s", cases[i].want);
		for (w = strtok_r(words, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save)) {
			if ((r = ruleset_find(rs, w)) == NULL)
				fail_msg("case %s names unknown rule %s",
				    cases[i].name, w);
			hit[r - rs->rules] = 1;
		}
	}
	for (i = 0; i < rs->nrules; i++)
		if (!hit[i])
			fail_msg("no case raises %s", rs->rules[i].id);
}

/* The premise of the "dropped" cases: the answers really were dropped. */
static void
test_dropped_answers(void **state)
{
	const struct screen_case	*c = NULL;
	struct answers			*a;
	size_t				 i, j;
	int				 f;

	(void)state;
	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		for (j = 0; j < NCASES; j++)
			if (strcmp(cases[j].name, dropped[i].name) == 0)
				c = &cases[j];
		assert_non_null(c);
		assert_string_equal(c->name, dropped[i].name);
		a = build(c->name, c->set);
		for (j = 0; j < 4 && dropped[i].ids[j] != NULL; j++) {
			f = formdef_field(fd, dropped[i].ids[j]);
			assert_true(f >= 0);
			if (a->v[f].present)
				fail_msg("%s: %s was kept", c->name,
				    dropped[i].ids[j]);
		}
		answers_free(a);
	}
}

static void
test_areas(void **state)
{
	const struct area_case	*c;
	const struct flag	*fl;
	struct answers		*a;
	struct flags		 f;
	size_t			 i, j, n;

	(void)state;
	for (i = 0; i < NAREA_CASES; i++) {
		c = &area_cases[i];
		a = build(c->rule, c->set);
		assert_int_equal(screen_run(rs, a, &f), 0);
		for (fl = NULL, j = 0; j < f.n; j++)
			if (strcmp(f.v[j].rule->id, c->rule) == 0)
				fl = &f.v[j];
		if (fl == NULL)
			fail_msg("%s: not raised", c->rule);
		for (n = 0; n < 4 && c->areas[n] != NULL; n++)
			;
		assert_int_equal(fl->nareas, n);
		for (j = 0; j < n; j++)
			assert_string_equal(fl->areas[j], c->areas[j]);
		flags_free(&f);
		answers_free(a);
	}
}

/*
 * Sorting: severity first, urgent by timeframe, then file order, on a
 * rule file that lists them the other way round.
 */
static void
test_sort_order(void **state)
{
	static const char *const set[] = {
		"anticoagulant=yes", "antiplatelet=yes", NULL
	};
	struct ruleset	*order = NULL;
	struct answers	*a;
	struct flags	 f;
	char		 err[512] = "", got[512];

	(void)state;
	if (ruleset_load(ORDER_RULES, RULES_XSD, fd, &order, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	a = build("sort order", set);
	assert_int_equal(screen_run(order, a, &f), 0);
	flag_ids(&f, got, sizeof(got));
	assert_string_equal(got, "emergency_last same_day within_days_first "
	    "local_a local_b caution_first caution_last");
	flags_free(&f);
	answers_free(a);
	ruleset_free(order);
}

/* Pure: the same answers give the same flags, and the answers are kept. */
static void
test_repeatable(void **state)
{
	static const char *const set[] = {
		PAIN("lower_back chest"), RF_NO, "rf_trauma=yes",
		"conditions=osteoporosis varicose_veins", NULL
	};
	struct answers	*a;
	struct flags	 f1, f2;
	char		 got1[512], got2[512];
	size_t		 i;

	(void)state;
	a = build("repeatable", set);
	assert_int_equal(screen_run(rs, a, &f1), 0);
	assert_int_equal(screen_run(rs, a, &f2), 0);
	flag_ids(&f1, got1, sizeof(got1));
	flag_ids(&f2, got2, sizeof(got2));
	assert_string_equal(got1, got2);
	assert_string_equal(got1, "vertebral_fracture_risk chest_pain "
	    "varicose_veins osteoporosis");
	for (i = 0; i < f1.n; i++)
		assert_ptr_equal(f1.v[i].rule,
		    ruleset_find(rs, f1.v[i].rule->id));
	flags_free(&f1);
	flags_free(&f2);
	assert_null(f1.v);
	assert_int_equal(f1.n, 0);
	flags_free(NULL);	/* accepts NULL */
	answers_free(a);
}

static void
test_names(void **state)
{
	static const struct {
		const char	*name;
		int		 sev, tf;
	} names[] = {
		{ "urgent", SEV_URGENT, -1 },
		{ "no_massage", SEV_NO_MASSAGE, -1 },
		{ "clearance", SEV_CLEARANCE, -1 },
		{ "local", SEV_LOCAL, -1 },
		{ "caution", SEV_CAUTION, -1 },
		{ "emergency", -1, TF_EMERGENCY },
		{ "same_day", -1, TF_SAME_DAY },
		{ "within_days", -1, TF_WITHIN_DAYS },
		{ "Urgent", -1, -1 },
		{ "none", -1, -1 },
		{ "", -1, -1 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(severity_parse(names[i].name), names[i].sev);
		assert_int_equal(timeframe_parse(names[i].name), names[i].tf);
		if (names[i].sev >= 0)
			assert_string_equal(severity_name(names[i].sev),
			    names[i].name);
		if (names[i].tf >= 0)
			assert_string_equal(timeframe_name(names[i].tf),
			    names[i].name);
	}
	assert_int_equal(severity_parse(NULL), -1);
	assert_int_equal(timeframe_parse(NULL), -1);
	assert_null(timeframe_name(TF_NONE));
	assert_null(severity_name(SEV__MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_every_rule_covered),
		cmocka_unit_test(test_dropped_answers),
		cmocka_unit_test(test_areas),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
