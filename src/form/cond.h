/*
 * cond.h: conditions over answers, shared by the form definition ("asked
 * when ...") and the screening rules. Written in XML (schemas/conditions.xsd,
 * group "condition", included by the form and rule schemas):
 *
 *   <yes q="rf_fever"/>                      answered yes
 *   <equals q="pregnant" value="postpartum"/> choice / yesno / int equals
 *   <holds q="pain_areas" any="lower_back mid_back"/>
 *                                            multi holds any of; choice is one of
 *   <answered q="recent_surgery_date"/>      present (after dropping)
 *   <compare q="pregnancy_weeks" op="ge" value="20"/>   int: lt le eq ge gt
 *   <days-since q="recent_surgery_date" min="0" max="42"/>
 *                                            date is min..max days (inclusive)
 *                                            before the submission date
 *   <age op="ge" value="50"/>                whole years on the submission date
 *   <all>...</all> <any>...</any> <not>...</not>
 *
 * An absent answer never matches (so <not><yes q=.../></not> is true when
 * the answer is absent). Evaluation is pure: it reads only the answers.
 */
#ifndef FORM_COND_H
#define FORM_COND_H

#include <stdint.h>

#include <libxml/tree.h>

struct formdef;
struct answers;

enum cond_op {
	COND_YES, COND_EQUALS, COND_HOLDS, COND_ANSWERED, COND_COMPARE,
	COND_DAYS_SINCE, COND_AGE, COND_ALL, COND_ANY, COND_NOT,
};

enum cond_cmp { CMP_LT, CMP_LE, CMP_EQ, CMP_GE, CMP_GT };

struct cond {
	enum cond_op	 op;
	int		 field;		/* index, for leaf ops */
	enum cond_cmp	 cmp;
	long		 value;		/* compare / age / equals-int */
	long		 min, max;	/* days-since */
	uint64_t	 mask;		/* equals / holds: choice bits */
	struct cond	**kids;		/* all / any / not */
	size_t		 nkids;
};

/*
 * Parse the condition element `node` (one of the elements above). Fields
 * must exist in fd and, when limit >= 0, have an index below limit (a
 * question may only depend on earlier ones). On failure returns NULL and
 * writes "line N: problem" into err.
 */
struct cond	*cond_parse(const struct formdef *, xmlNode *node, int limit,
		    char *err, size_t errsz);
void		 cond_free(struct cond *);
int		 cond_eval(const struct cond *, const struct answers *);

#endif
