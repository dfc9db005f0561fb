/*
 * fuzz_intake_xml.c: an XML post body through the one validator with the
 * shipped schemas (intake_parse against schemas/intake-v1.xsd), then
 * answers_check, as the parser child and the worker do.
 *
 * Property: an accepted submission's canonical document (what idempotency
 * hashes, answers_to_xml) is accepted again and gives the same bytes, so
 * a resend of the same answers is recognised whatever their spelling.
 */
#include <string.h>

#include "core/buf.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/intake_xml.h"

#include "fuzz.h"

static struct formdef		*fd;
static struct intake_parser	*parser;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = fuzz_formdef();
	parser = fuzz_parser(fd);
	return 0;
}

/* Parse and check doc; the answers, or NULL when it was not accepted. */
static struct answers *
accept_doc(const char *doc, size_t len, enum intake_result *r)
{
	struct verrs	 errs = { 0 };
	struct answers	*a;

	if ((a = answers_new(fd)) == NULL) {
		*r = INTAKE_NOMEM;
		return NULL;
	}
	*r = intake_parse(parser, doc, len, a, &errs);
	if (*r == INTAKE_OK)
		answers_check(a, fuzz_today(), 1, &errs);
	if (*r != INTAKE_OK || errs.n > 0) {
		answers_free(a);
		a = NULL;
	}
	verrs_free(&errs);
	return a;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct answers		*a, *b = NULL;
	struct buf		 one, two;
	enum intake_result	 r;

	buf_init(&one);
	buf_init(&two);
	if ((a = accept_doc((const char *)data, size, &r)) == NULL)
		return 0;
	answers_to_xml(a, ANSWERS_ALL, &one);
	if (buf_failed(&one))
		goto out;
	if ((b = accept_doc(one.data, one.len, &r)) == NULL) {
		if (r == INTAKE_NOMEM)
			goto out;
		fuzz_fail("the canonical form of accepted answers is refused "
		    "(%s): %.*s", r == INTAKE_MALFORMED ? "malformed" :
		    "invalid", (int)(one.len > 400 ? 400 : one.len), one.data);
	}
	answers_to_xml(b, ANSWERS_ALL, &two);
	if (!buf_failed(&two) && (one.len != two.len ||
	    memcmp(one.data, two.data, one.len) != 0))
		fuzz_fail("canonical form is not stable:\n%.*s\n%.*s",
		    (int)one.len, one.data, (int)two.len, two.data);
out:
	answers_free(a);
	answers_free(b);
	buf_wipe_free(&one);
	buf_wipe_free(&two);
	return 0;
}
