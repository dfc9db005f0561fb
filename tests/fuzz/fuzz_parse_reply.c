/*
 * fuzz_parse_reply.c: the worker's reader of its parser child's reply
 * (parse_read_reply in src/intake/parse_child.c, compiled into this
 * target), fed what a compromised child could send; then what the worker
 * does with an accepted reply: answers_check, the error messages, the form
 * again with every value kept (src/intake/pages.c), the canonical document.
 *
 * Property: whatever the child sends, the worker neither misbehaves nor
 * accepts a value its own rules refuse (answers_set re-checks each one).
 */
#include <string.h>

#include "core/buf.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
#include "intake/pages.h"
#include "intake/parse_child.h"

#include "fuzz.h"

static struct formdef	*fd;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = fuzz_formdef();
	return 0;
}

/* What submit.c does with a reply it accepted. */
static void
use_reply(struct raw_values *raw, struct answers *a, struct verrs *errs)
{
	static const struct page_consent pcons = { 1, "Consent text.",
	    "0000000000000000000000000000000000000000000000000000000000000000" };
	static const struct page_clinic pc = { "the clinic", "555-0100" };
	struct form_page	 fp;
	struct buf		 out;
	size_t			 i;

	buf_init(&out);
	answers_check(a, fuzz_today(), 1, errs);
	for (i = 0; i < errs->n; i++)
		buf_puts(&out, verr_message(errs->v[i].code, fd,
		    errs->v[i].field));
	buf_reset(&out);
	memset(&fp, 0, sizeof(fp));
	fp.fd = fd;
	fp.consent = &pcons;
	fp.clinic = &pc;
	fp.submission_id = "00000000-0000-4000-8000-000000000000";
	fp.invite = raw->invite;
	fp.raw = raw;
	fp.errs = errs;
	fp.banner = BANNER_ERRORS;
	page_form(&out, &fp);
	buf_reset(&out);
	answers_to_xml(a, ANSWERS_ALL, &out);
	buf_wipe_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_values	 raw;
	struct verrs		 errs = { 0 };
	struct answers		*a;

	if ((a = answers_new(fd)) == NULL)
		return 0;
	if (parse_read_reply(fd, (const char *)data, size, &raw, a,
	    &errs) == PARSE_OK)
		use_reply(&raw, a, &errs);
	answers_free(a);
	raw_values_free(fd, &raw);
	verrs_free(&errs);
	return 0;
}
