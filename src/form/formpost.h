/*
 * formpost.h: an HTML form post (application/x-www-form-urlencoded) turned
 * into an <intake> document, so it goes down the same path as an XML post.
 * Strict: a bad %-escape or bytes that are not UTF-8 refuse the whole body
 * (400); a control character, a duplicate single answer or an unknown name
 * is an error of that field (422). Every value is kept as sent, so a form
 * shown again loses nothing the patient typed.
 */
#ifndef FORM_FORMPOST_H
#define FORM_FORMPOST_H

#include <stddef.h>

#include "core/buf.h"
#include "form/answers.h"

#define FORMPOST_MAX_PAIRS	1000	/* the form has ~60 questions */

/* Values exactly as submitted, per field (multi: several). */
struct raw_values {
	char	***vals;	/* vals[field]: NULL-terminated list, or NULL */
	char	**unknown;	/* names the form does not have, NULL-terminated */
	char	*submission_id;	/* hidden inputs, or NULL */
	char	*form_version;
	char	*consent_version;
	char	*invite;
};

enum formpost_result {
	FORMPOST_OK,		/* xml holds a document; errs may hold field errors */
	FORMPOST_MALFORMED,	/* bad encoding: answer 400 */
	FORMPOST_NOMEM,
};

struct formdef;

/*
 * Decode body (len bytes). Fills raw (free with raw_values_free) and
 * writes the <intake> document into xml. Field-level problems go to errs
 * and leave the value out of the document.
 */
enum formpost_result formpost_decode(const struct formdef *,
		    const char *body, size_t len, struct raw_values *raw,
		    struct buf *xml, struct verrs *errs);
void		 raw_values_free(const struct formdef *, struct raw_values *);
/* Building raw values piece by piece (the parser child's reply). */
int		 raw_values_init(const struct formdef *, struct raw_values *);
int		 raw_values_add(struct raw_values *, int field, const char *v,
		    size_t len);
int		 raw_values_add_unknown(struct raw_values *, const char *name,
		    size_t len);
/* kind: 0 submission_id, 1 form_version, 2 consent_version, 3 invite */
int		 raw_values_set_hidden(struct raw_values *, int kind,
		    const char *v, size_t len);

/* Strict percent-decoding of s[0..len) ('+' is a space): -1 if malformed. */
int		 formpost_unescape(const char *s, size_t len, struct buf *out);

#endif
