/*
 * engine.c: run the screening rules on one checked submission; see
 * screen.h. Pure: reads the rule set and the answers, allocates only the
 * flag array, no I/O and no global state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form/answers.h"
#include "form/cond.h"
#include "screen/screen.h"

/* Marks, between two passes, a matched rule whose flag is suppressed. */
#define SCREEN_SUPPRESSED	SIZE_MAX

static const char *const screen_severities[SEV__MAX] = {
	"urgent", "no_massage", "clearance", "local", "caution",
};

static const char *const screen_timeframes[TF_NONE] = {
	"emergency", "same_day", "within_days",
};

const char *
severity_name(enum severity s)
{
	if ((unsigned)s >= SEV__MAX)
		return NULL;
	return screen_severities[s];
}

const char *
timeframe_name(enum timeframe t)
{
	if ((unsigned)t >= TF_NONE)
		return NULL;
	return screen_timeframes[t];
}

int
severity_parse(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < SEV__MAX; i++)
		if (strcmp(s, screen_severities[i]) == 0)
			return i;
	return -1;
}

int
timeframe_parse(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < TF_NONE; i++)
		if (strcmp(s, screen_timeframes[i]) == 0)
			return i;
	return -1;
}

/* Most serious first; urgent by timeframe; then the rule file's order. */
static int
screen_cmp(const void *pa, const void *pb)
{
	const struct rule	*a = ((const struct flag *)pa)->rule;
	const struct rule	*b = ((const struct flag *)pb)->rule;

	if (a->severity != b->severity)
		return a->severity < b->severity ? -1 : 1;
	if (a->timeframe != b->timeframe)
		return a->timeframe < b->timeframe ? -1 : 1;
	/* Both point into one rules array, in file order. */
	if (a != b)
		return a < b ? -1 : 1;
	return 0;
}

/* The areas of a raised flag: the rule's fixed ones, then the answer's. */
static void
screen_areas(struct flag *f, const struct answers *a)
{
	const struct rule	*r = f->rule;
	const struct answer	*ans;
	size_t			 i;

	f->nareas = 0;
	for (i = 0; i < r->nareas && i < RULE_MAX_AREAS; i++)
		f->areas[f->nareas++] = r->areas[i];
	if (r->area_field < 0)
		return;
	ans = &a->v[r->area_field];
	if (ans->present && ans->text != NULL && ans->textlen > 0)
		f->areas[f->nareas++] = ans->text;
}

int
screen_run(const struct ruleset *rs, const struct answers *a,
    struct flags *out)
{
	struct flag		*v;
	const struct rule	*r;
	size_t			 i, k, n;

	out->v = NULL;
	out->n = 0;
	if (rs->nrules == 0)
		return 0;
	if ((v = calloc(rs->nrules, sizeof(*v))) == NULL)
		return -1;

	/* Pass 1: v[i].rule is set when rule i matched. */
	for (i = 0; i < rs->nrules; i++)
		if (cond_eval(rs->rules[i].when, a))
			v[i].rule = &rs->rules[i];

	/*
	 * Pass 2: a flag goes when a rule suppressing it matched, whether or
	 * not that rule's own flag stays; so the order of rules is irrelevant.
	 */
	for (i = 0; i < rs->nrules; i++) {
		if ((r = v[i].rule) == NULL)
			continue;
		for (k = 0; k < r->nsuppressed_by; k++)
			if (r->suppressed_by[k] < rs->nrules &&
			    v[r->suppressed_by[k]].rule != NULL) {
				v[i].nareas = SCREEN_SUPPRESSED;
				break;
			}
	}

	/* Pass 3: compact in place (n <= i) and fill the areas. */
	for (i = n = 0; i < rs->nrules; i++) {
		if ((r = v[i].rule) == NULL || v[i].nareas == SCREEN_SUPPRESSED)
			continue;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].rule = r;
		screen_areas(&v[n], a);
		n++;
	}
	if (n == 0) {
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), screen_cmp);
	out->v = v;
	out->n = n;
	return 0;
}

void
flags_free(struct flags *f)
{
	if (f == NULL)
		return;
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
