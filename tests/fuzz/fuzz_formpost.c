/*
 * fuzz_formpost.c: an HTML form post body (formpost_decode), then the
 * <intake> document it made through the one validator (intake_parse) and
 * the cross-field rules (answers_check), as the parser child and the
 * worker do.
 *
 * Properties: a document formpost made is never refused as malformed (the
 * child would die and the patient get a 500); every value kept for the
 * form again is UTF-8 (the worker refuses a reply that is not).
 */
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
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

static void
check_text(const char *what, const char *s)
{
	if (s != NULL && !utf8_valid(s, strlen(s)))
		fuzz_fail("formpost kept a %s that is not UTF-8", what);
}

static void
check_raw(const struct raw_values *raw)
{
	size_t	 i, j;

	for (i = 0; i < fd->nfields; i++)
		for (j = 0; raw->vals[i] != NULL && raw->vals[i][j]; j++)
			check_text("value", raw->vals[i][j]);
	for (j = 0; raw->unknown != NULL && raw->unknown[j]; j++)
		check_text("name", raw->unknown[j]);
	check_text("submission_id", raw->submission_id);
	check_text("form_version", raw->form_version);
	check_text("consent_version", raw->consent_version);
	check_text("invite", raw->invite);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_values	 raw;
	struct verrs		 errs = { 0 };
	struct buf		 xml;
	struct answers		*a = NULL;
	enum formpost_result	 r;

	buf_init(&xml);
	r = formpost_decode(fd, (const char *)data, size, &raw, &xml, &errs);
	if (r != FORMPOST_OK)
		goto out;
	check_raw(&raw);
	if ((a = answers_new(fd)) == NULL)
		goto out;
	switch (intake_parse(parser, xml.data != NULL ? xml.data : "", xml.len,
	    a, &errs)) {
	case INTAKE_OK:
		answers_check(a, fuzz_today(), 1, &errs);
		break;
	case INTAKE_MALFORMED:
		fuzz_fail("formpost made a document the parser refuses: %.*s",
		    (int)(xml.len > 400 ? 400 : xml.len), xml.data);
	case INTAKE_NOMEM:
		break;
	}
out:
	answers_free(a);
	raw_values_free(fd, &raw);
	verrs_free(&errs);
	buf_free(&xml);
	return 0;
}
