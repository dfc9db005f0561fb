/*
 * support_answers.h: checked submissions for unit tests, built through the
 * real path (answers_set per value, then answers_check) from a healthy
 * adult's answers and a list of "id=value" pairs.
 *
 * Pairs, in order; for each id the last pair wins:
 *   "conditions=osteoporosis varicose_veins"  a multi: values split on spaces
 *   "recent_surgery_area=left knee"            text is taken whole
 *   "recent_surgery_date=@-42"                 42 days before today
 *   "date_of_birth=@-50y"                      same day 50 years before today
 *   "date_of_birth=@-50y+1"                    ... plus one day (so age 49)
 *   "pain_today="                              absent (drops a base answer)
 * Every path is relative to the top of the source tree, where the tests run.
 */
#ifndef SUPPORT_ANSWERS_H
#define SUPPORT_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

struct formdef;
struct answers;

#define SUPPORT_FORM		"schemas/form-v1.xml"
#define SUPPORT_FORM_XSD	"schemas/form-definition.xsd"
#define SUPPORT_CONSENT_VERSION	1u

/* Load the shipped form definition; on failure NULL with err set. */
struct formdef	*support_formdef(char *err, size_t errsz);

/*
 * The healthy base, then pairs (NULL-terminated), set and checked as of
 * `today` (days since 1970-01-01). Returns the answers (answers_free), or
 * NULL with "id: problem" in err when a pair is malformed or the
 * submission does not pass answers_check().
 */
struct answers	*support_answers(const struct formdef *, int32_t today,
		    const char *const *pairs, char *err, size_t errsz);

/* A relative date "@-N", "@-Ny" or "@-Ny+K" as YYYY-MM-DD; 0 or -1. */
int		 support_date(int32_t today, const char *spec, char *out,
		    size_t outsz);

#endif
