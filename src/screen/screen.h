/*
 * screen.h: contraindication and red-flag screening (screening.md).
 * The rules are data (schemas/rules-v1.xml, checked by schemas/rules.xsd),
 * loaded once at start against the form definition. screen_run() is pure:
 * no I/O, reads only the answers, allocates only the flag array.
 */
#ifndef SCREEN_SCREEN_H
#define SCREEN_SCREEN_H

#include <stddef.h>

struct formdef;
struct answers;
struct cond;

enum severity {		/* most serious first: the order sorts */
	SEV_URGENT,
	SEV_NO_MASSAGE,
	SEV_CLEARANCE,
	SEV_LOCAL,
	SEV_CAUTION,
	SEV__MAX
};

enum timeframe {	/* urgent only; most urgent first */
	TF_EMERGENCY,
	TF_SAME_DAY,
	TF_WITHIN_DAYS,
	TF_NONE,
};

#define RULE_MAX_AREAS	8

struct rule {
	char		*id;
	enum severity	 severity;
	enum timeframe	 timeframe;	/* TF_NONE unless urgent */
	struct cond	*when;
	char		*advice;	/* for the therapist */
	char		*patient_advice; /* urgent: for the patient; else NULL */
	char		*areas[RULE_MAX_AREAS];	/* fixed body areas */
	size_t		 nareas;
	int		 area_field;	/* free-text area answer, or -1 */
	size_t		*suppressed_by;	/* rule indices */
	size_t		 nsuppressed_by;
};

struct ruleset {
	char		*version;
	struct rule	*rules;
	size_t		 nrules;
};

struct flag {
	const struct rule *rule;
	/* areas: the rule's fixed areas, then the answer text of area_field */
	const char	*areas[RULE_MAX_AREAS + 1];
	size_t		 nareas;
};

struct flags {
	struct flag	*v;
	size_t		 n;
};

/*
 * Load and check the rule file: valid against its XSD; every question id,
 * choice, severity and suppressing rule known. On failure returns -1 and
 * writes "file:line: problem" into err.
 */
int		 ruleset_load(const char *path, const char *xsd_path,
		    const struct formdef *, struct ruleset **out,
		    char *err, size_t errsz);
void		 ruleset_free(struct ruleset *);
const struct rule *ruleset_find(const struct ruleset *, const char *id);

/*
 * Evaluate every rule on checked answers; apply suppression. Flags come
 * out sorted by severity, then urgent by timeframe, then rule file order.
 * Returns 0, or -1 on allocation failure. The flags point into the rule set
 * and the answers; free with flags_free() before either.
 */
int		 screen_run(const struct ruleset *, const struct answers *,
		    struct flags *out);
void		 flags_free(struct flags *);

const char	*severity_name(enum severity);	/* "urgent", ... */
const char	*timeframe_name(enum timeframe);	/* "emergency", ... or NULL */
int		 severity_parse(const char *);		/* -1 if unknown */
int		 timeframe_parse(const char *);

#endif
