/*
 * fuzz_parse_child.c: both halves of the sandboxed parser in one process.
 * The first byte picks the front door (even: form post, odd: XML post), the
 * rest is the body. The child's work (child_main in
 * src/intake/parse_child.c, minus the socket and the sandbox) turns it into
 * a reply with the child's own encoder; the worker's reader then reads
 * that reply back.
 *
 * Properties: an honest child's reply is never refused by the worker (that
 * would be a 500 for the patient); a form post never makes a document the
 * child cannot parse (the child would exit: a 500); the worker's re-checked
 * answers are the child's answers, byte for byte in canonical form.
 *
 * The file is included, not linked, to reach its static encoder.
 */
#include <sys/mman.h>

#include "intake/parse_child.c"

#include "form/intake_xml.h"

#include "fuzz.h"

static struct formdef		*fdef;
static struct intake_parser	*parser;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fdef = fuzz_formdef();
	parser = fuzz_parser(fdef);
	return 0;
}

/* The reply the child would send, through a memory file. */
static int
encode(int status, struct raw_values *raw, struct answers *a,
    struct verrs *errs, struct buf *out)
{
	char	 chunk[16384];
	ssize_t	 n;
	int	 mfd;

	if ((mfd = memfd_create("reply", MFD_CLOEXEC)) == -1)
		return -1;
	child_reply(fdef, mfd, status, raw, a, errs);
	if (lseek(mfd, 0, SEEK_SET) == -1) {
		close(mfd);
		return -1;
	}
	while ((n = read(mfd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(mfd);
	return n == 0 && !buf_failed(out) ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_values	 raw, praw;
	struct verrs		 errs = { 0 }, perrs = { 0 };
	struct buf		 xml, reply, one, two;
	struct answers		*a = NULL, *pa = NULL;
	enum parse_front	 front;
	enum parse_status	 status = PARSE_MALFORMED, got;
	const char		*body = (const char *)data + 1;
	size_t			 len;

	if (size == 0)
		return 0;
	front = data[0] & 1 ? PARSE_XML : PARSE_FORM;
	len = size - 1;
	memset(&raw, 0, sizeof(raw));
	memset(&praw, 0, sizeof(praw));
	buf_init(&xml);
	buf_init(&reply);
	buf_init(&one);
	buf_init(&two);
	if ((a = answers_new(fdef)) == NULL || (pa = answers_new(fdef)) == NULL)
		goto out;

	/* The child (child_main). */
	if (front == PARSE_FORM) {
		switch (formpost_decode(fdef, body, len, &raw, &xml, &errs)) {
		case FORMPOST_OK:
			break;
		case FORMPOST_MALFORMED:
			goto reply;
		default:
			goto out;
		}
	} else {
		if (raw_values_init(fdef, &raw) == -1)
			goto out;
		buf_add(&xml, body, len);
	}
	if (buf_failed(&xml))
		goto out;
	switch (intake_parse(parser, xml.data ? xml.data : "", xml.len, a,
	    &errs)) {
	case INTAKE_OK:
		status = PARSE_OK;
		break;
	case INTAKE_MALFORMED:
		if (front == PARSE_FORM)
			fuzz_fail("a form post made a document the child "
			    "cannot parse: the child exits, a 500");
		break;
	default:
		goto out;
	}
reply:
	if (encode(status, &raw, a, &errs, &reply) == -1)
		goto out;

	/* The worker (parse_run). */
	got = parse_read_reply(fdef, reply.data ? reply.data : "", reply.len,
	    &praw, pa, &perrs);
	if (got == PARSE_FAILED)
		fuzz_fail("the worker refuses its child's honest reply (%s "
		    "post): a 500", front == PARSE_FORM ? "form" : "XML");
	if (got != status)
		fuzz_fail("reply status %d read as %d", status, got);
	if (status != PARSE_OK)
		goto out;
	if (perrs.n != errs.n)
		fuzz_fail("%zu errors sent, %zu read", errs.n, perrs.n);
	answers_to_xml(a, ANSWERS_ALL, &one);
	answers_to_xml(pa, ANSWERS_ALL, &two);
	if (!buf_failed(&one) && !buf_failed(&two) && (one.len != two.len ||
	    memcmp(one.data, two.data, one.len) != 0))
		fuzz_fail("the worker's answers differ from the child's:\n"
		    "%.*s\n%.*s", (int)one.len, one.data, (int)two.len,
		    two.data);
out:
	answers_free(a);
	answers_free(pa);
	raw_values_free(fdef, &raw);
	raw_values_free(fdef, &praw);
	verrs_free(&errs);
	verrs_free(&perrs);
	buf_wipe_free(&xml);
	buf_wipe_free(&reply);
	buf_wipe_free(&one);
	buf_wipe_free(&two);
	return 0;
}
