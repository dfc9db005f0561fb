/*
 * intake.h: the public intake worker (/intake/). It holds the clinic's
 * PUBLIC key only: it can seal what it stores and never read it back.
 */
#ifndef INTAKE_INTAKE_H
#define INTAKE_INTAKE_H

#include <time.h>

#include "core/config.h"
#include "crypto/envelope.h"
#include "intake/parse_child.h"
#include "web/http.h"

struct formdef;
struct intake_parser;
struct ruleset;
struct store;
struct store_consent;

#define INTAKE_CONSENT_TTL	30	/* seconds a child trusts its copy */

struct intake_app {
	struct config		 cfg;
	struct formdef		*fd;
	struct intake_parser	*parser;
	struct ruleset		*rules;
	struct env_pubkey	 pk;
	unsigned char		*secret;	/* 32 bytes, sodium_malloc'ed */
	char			*schema_xsd;	/* served at /intake/schema.xsd */
	size_t			 schema_len;
	/* per child */
	struct parse_pool	 pool;		/* its sandboxed parser */
	struct store		*store;
	unsigned		 consent_version;	/* 0: not loaded */
	char			*consent_text;
	char			 consent_sha[65];
	time_t			 consent_at;
	/* the blank form, rendered once per consent text (handlers.c) */
	struct buf		 blank;
	size_t			 blank_sid_at;	/* where its submission_id is */
	unsigned		 blank_version;	/* 0: none */
	char			 blank_sha[65];
};

void	intake_handle(void *arg, struct request *, struct response *);
void	intake_submit(struct intake_app *, struct request *, struct response *);
void	intake_receipt(struct intake_app *, struct request *, struct response *,
	    const char *token);

/* Helpers shared by the handlers (handlers.c). */
int	intake_consent(struct intake_app *);	/* 0 when a consent is loaded */
void	intake_error_page(struct intake_app *, struct response *, int status);
void	intake_new_uuid(char out[37]);
void	intake_rfc3339(time_t t, char *out, size_t outsz);
/* XML-escape text into b (element content or attribute). */
void	intake_xml_text(struct buf *b, const char *s);

#endif
