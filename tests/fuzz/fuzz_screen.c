/*
 * fuzz_screen.c: the rule engine (screen_run with the shipped rules) over
 * answers built from the input: for each question in form order, one byte
 * says whether it is answered and the next bytes its value (a choice by
 * index, a number around its range, a date up to ~110 years back or a
 * few days ahead, printable text). Values go in through answers_set and
 * answers_check, so the engine sees answers shaped as in production.
 *
 * Properties (screening.md): a flag is raised exactly when its rule holds
 * and no rule suppressing it holds; each rule at most once; most serious
 * first, urgent by timeframe; areas within bounds; the same answers give
 * the same flags.
 */
#include <stdio.h>
#include <string.h>

#include "form/answers.h"
#include "form/cond.h"
#include "form/formdef.h"
#include "screen/screen.h"

#include "fuzz.h"

static struct formdef	*fd;
static struct ruleset	*rs;

struct cursor {
	const uint8_t	*p;
	size_t		 left;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = fuzz_formdef();
	rs = fuzz_rules(fd);
	return 0;
}

static unsigned
next(struct cursor *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

static void
set(struct answers *a, size_t f, const char *v)
{
	(void)answers_set(a, (int)f, v, strlen(v));
}

static void
build(struct answers *a, struct cursor *c)
{
	char	 v[128];
	size_t	 f, i, n;
	int	 y, m, d;

	for (f = 0; f < fd->nfields; f++) {
		const struct fd_field *fl = &fd->fields[f];
		unsigned b = next(c);

		if (b % 4 == 0)
			continue;	/* not answered */
		switch (fl->type) {
		case FD_TEXT:
			n = next(c) % 40;
			for (i = 0; i < n; i++)
				v[i] = (char)(0x20 + next(c) % 0x5f);
			v[n] = '\0';
			set(a, f, v);
			break;
		case FD_DATE:
			n = next(c) << 8 | next(c);
			days_to_date(fuzz_today() + 5 - (int32_t)(n % 40000),
			    &y, &m, &d);
			snprintf(v, sizeof(v), "%04d-%02d-%02d", y, m, d);
			set(a, f, v);
			break;
		case FD_INT:
			snprintf(v, sizeof(v), "%ld", fl->min - 1 +
			    (long)(next(c) % (unsigned long)(fl->max -
			    fl->min + 3)));
			set(a, f, v);
			break;
		case FD_YESNO:
		case FD_CHOICE:
			i = next(c) % (fl->nchoices + 1);
			set(a, f, i < fl->nchoices ? fl->choices[i].value :
			    "none_of_these");
			break;
		case FD_MULTI:
			/* one bit per choice */
			for (i = 0; i < fl->nchoices; i += 8) {
				unsigned bits = next(c);
				size_t k;

				for (k = i; k < i + 8 && k < fl->nchoices; k++)
					if (bits & (1u << (k - i)))
						set(a, f, fl->choices[k].value);
			}
			break;
		}
	}
}

/* The oracle: screening.md's definition, rule by rule. */
static int
should_raise(const struct answers *a, size_t r)
{
	const struct rule	*rule = &rs->rules[r];
	size_t			 k;

	if (!cond_eval(rule->when, a))
		return 0;
	for (k = 0; k < rule->nsuppressed_by; k++)
		if (cond_eval(rs->rules[rule->suppressed_by[k]].when, a))
			return 0;
	return 1;
}

static void
check(const struct answers *a, const struct flags *fl)
{
	size_t	 i, r, seen;

	for (i = 0; i < fl->n; i++) {
		const struct flag *f = &fl->v[i];

		if (f->rule < rs->rules || f->rule >= rs->rules + rs->nrules)
			fuzz_fail("a flag points outside the rule set");
		if (f->nareas > RULE_MAX_AREAS + 1)
			fuzz_fail("rule %s: %zu areas", f->rule->id, f->nareas);
		for (r = 0; r < f->nareas; r++)
			if (f->areas[r] == NULL)
				fuzz_fail("rule %s: a NULL area", f->rule->id);
		if (i > 0) {
			const struct rule *p = fl->v[i - 1].rule;

			if (p->severity > f->rule->severity ||
			    (p->severity == f->rule->severity &&
			    p->timeframe > f->rule->timeframe))
				fuzz_fail("flags out of order: %s before %s",
				    p->id, f->rule->id);
		}
	}
	for (r = 0; r < rs->nrules; r++) {
		for (i = seen = 0; i < fl->n; i++)
			if (fl->v[i].rule == &rs->rules[r])
				seen++;
		if (seen > 1)
			fuzz_fail("rule %s raised %zu times", rs->rules[r].id,
			    seen);
		if (seen != (size_t)should_raise(a, r))
			fuzz_fail("rule %s: raised %zu, should be %d",
			    rs->rules[r].id, seen, should_raise(a, r));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor	 c = { data, size };
	struct verrs	 errs = { 0 };
	struct flags	 one, two;
	struct answers	*a;
	size_t		 i;

	if ((a = answers_new(fd)) == NULL)
		return 0;
	a->form_version = fd->version;
	a->consent_version = 1;
	build(a, &c);
	answers_check(a, fuzz_today(), 1, &errs);
	if (screen_run(rs, a, &one) == 0) {
		check(a, &one);
		if (screen_run(rs, a, &two) == 0) {
			if (two.n != one.n)
				fuzz_fail("the same answers gave %zu, then %zu "
				    "flags", one.n, two.n);
			for (i = 0; i < one.n; i++)
				if (one.v[i].rule != two.v[i].rule)
					fuzz_fail("the same answers gave other "
					    "flags");
			flags_free(&two);
		}
		flags_free(&one);
	}
	verrs_free(&errs);
	answers_free(a);
	return 0;
}
