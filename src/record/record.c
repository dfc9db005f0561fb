/*
 * record.c: open an intake's blobs and read them back; the XML export.
 * See record.h.
 *
 * The documents inside the blobs (the <intake> of the sensitive answers,
 * each <flag>, each <note>) and the plain answers are our own canonical
 * XML: one root, elements holding text, no DOCTYPE, no comment. They are
 * read here by a small strict reader rather than libxml2 so that decrypted
 * text only ever sits in memory this file wipes; anything the reader does
 * not expect marks the part malformed. Every answer goes through
 * answers_set() again, so a value is checked as it was on submission.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "crypto/envelope.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "record/record.h"
#include "screen/screen.h"

#define RX_MAXATTRS	8
#define RX_NAMEMAX	64
#define REC_MAXAREAS	32

static const char *const record_decisions[DECISION__MAX] = {
	[DECISION_PROCEED] = "proceed",
	[DECISION_MODIFY] = "modify",
	[DECISION_AVOID_AREA] = "avoid_area",
	[DECISION_DEFER] = "defer",
	[DECISION_REFER] = "refer",
};

/* ---- wiped strings ---- */

static char *
rec_strndup(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* A copy of s, or NULL for NULL; *failed set when out of memory. */
static char *
rec_strdup(const char *s, int *failed)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = rec_strndup(s, strlen(s))) == NULL)
		*failed = 1;
	return p;
}

static void
rec_wipe(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

/* ---- the strict reader of our own documents ---- */

struct rx {
	const char	*p, *end;
};

struct rx_attr {
	char		 name[RX_NAMEMAX];
	struct buf	 val;
};

struct rx_tag {
	char		 name[RX_NAMEMAX];
	struct rx_attr	 attrs[RX_MAXATTRS];
	size_t		 nattrs;
	int		 empty;		/* <name/> */
};

static void
rx_tag_clear(struct rx_tag *t)
{
	size_t	 i;

	for (i = 0; i < t->nattrs; i++)
		buf_wipe_free(&t->attrs[i].val);
	memset(t, 0, sizeof(*t));
}

static void
rx_space(struct rx *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
rx_namechar(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.' ||
	    c == ':');
}

static int
rx_name(struct rx *r, char out[RX_NAMEMAX])
{
	size_t	 n = 0;

	if (r->p >= r->end || !rx_namechar(*r->p, 1))
		return -1;
	while (r->p < r->end && rx_namechar(*r->p, 0)) {
		if (n + 1 >= RX_NAMEMAX)
			return -1;
		out[n++] = *r->p++;
	}
	out[n] = '\0';
	return 0;
}

static void
rx_utf8(struct buf *out, uint32_t cp)
{
	char	 u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_add(out, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 4);
	}
}

/* One reference after '&': the five predefined ones and &#N; / &#xN;. */
static int
rx_ref(struct rx *r, struct buf *out)
{
	static const struct {
		const char	*name;
		char		 c;
	} named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	size_t		 i, len;
	uint32_t	 cp = 0;
	int		 hex, digits = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		len = strlen(named[i].name);
		if ((size_t)(r->end - r->p) >= len &&
		    memcmp(r->p, named[i].name, len) == 0) {
			r->p += len;
			buf_putc(out, named[i].c);
			return 0;
		}
	}
	if (r->p >= r->end || *r->p != '#')
		return -1;
	r->p++;
	hex = r->p < r->end && *r->p == 'x';
	if (hex)
		r->p++;
	for (; r->p < r->end && *r->p != ';'; r->p++, digits++) {
		char c = *r->p;
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		if (digits > 7)
			return -1;
		cp = cp * (hex ? 16 : 10) + d;
	}
	if (r->p >= r->end || digits == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || utf8_xml_forbidden(cp))
		return -1;
	r->p++;
	rx_utf8(out, cp);
	return 0;
}

/*
 * Character data up to stop ('<' for text, the quote for an attribute),
 * references decoded, into out. The stop character is not consumed.
 */
static int
rx_chars(struct rx *r, char stop, struct buf *out)
{
	const char	*run = r->p;

	while (r->p < r->end && *r->p != stop) {
		if (*r->p == '<')
			return -1;
		if (*r->p != '&') {
			r->p++;
			continue;
		}
		buf_add(out, run, (size_t)(r->p - run));
		r->p++;
		if (rx_ref(r, out) == -1)
			return -1;
		run = r->p;
	}
	buf_add(out, run, (size_t)(r->p - run));
	if (r->p >= r->end || buf_failed(out))
		return -1;
	if (out->data == NULL)
		buf_puts(out, "");	/* an empty value is "", not NULL */
	return buf_failed(out) ? -1 : 0;
}

/* A start tag: '<' name (attr="value")* ('>' | '/>'). */
static int
rx_start(struct rx *r, struct rx_tag *t)
{
	struct rx_attr	*a;
	char		 q;

	memset(t, 0, sizeof(*t));
	rx_space(r);
	if (r->p >= r->end || *r->p != '<')
		return -1;
	r->p++;
	if (rx_name(r, t->name) == -1)
		return -1;
	for (;;) {
		rx_space(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == '>') {
			r->p++;
			return 0;
		}
		if (*r->p == '/') {
			if (r->end - r->p < 2 || r->p[1] != '>')
				return -1;
			r->p += 2;
			t->empty = 1;
			return 0;
		}
		if (t->nattrs == RX_MAXATTRS)
			return -1;
		a = &t->attrs[t->nattrs++];
		buf_init(&a->val);
		if (rx_name(r, a->name) == -1)
			return -1;
		rx_space(r);
		if (r->p >= r->end || *r->p++ != '=')
			return -1;
		rx_space(r);
		if (r->p >= r->end || (*r->p != '"' && *r->p != '\''))
			return -1;
		q = *r->p++;
		if (rx_chars(r, q, &a->val) == -1)
			return -1;
		r->p++;
	}
}

/* "</name>" */
static int
rx_end(struct rx *r, const char *name)
{
	size_t	 len = strlen(name);

	rx_space(r);
	if (r->end - r->p < (ptrdiff_t)(len + 3) || r->p[0] != '<' ||
	    r->p[1] != '/' || memcmp(r->p + 2, name, len) != 0)
		return -1;
	r->p += 2 + len;
	rx_space(r);
	if (r->p >= r->end || *r->p != '>')
		return -1;
	r->p++;
	return 0;
}

/* Is the next thing (after white space) an end tag? */
static int
rx_at_end(struct rx *r)
{
	rx_space(r);
	return r->end - r->p >= 2 && r->p[0] == '<' && r->p[1] == '/';
}

/* The text of an element whose start tag t was just read, and its end. */
static int
rx_text(struct rx *r, const struct rx_tag *t, struct buf *out)
{
	if (t->empty) {
		buf_puts(out, "");
		return buf_failed(out) ? -1 : 0;
	}
	if (rx_chars(r, '<', out) == -1)
		return -1;
	return rx_end(r, t->name);
}

static const char *
rx_attr(const struct rx_tag *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->nattrs; i++)
		if (strcmp(t->attrs[i].name, name) == 0)
			return t->attrs[i].val.data;
	return NULL;
}

/* Only the attributes named in allowed (NULL-terminated), each once. */
static int
rx_attrs_only(const struct rx_tag *t, const char *const *allowed)
{
	size_t	 i, j, k;

	for (i = 0; i < t->nattrs; i++) {
		for (k = 0; allowed[k] != NULL; k++)
			if (strcmp(t->attrs[i].name, allowed[k]) == 0)
				break;
		if (allowed[k] == NULL)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(t->attrs[i].name, t->attrs[j].name) == 0)
				return -1;
	}
	return 0;
}

/* Start reading doc: an optional XML declaration, then the root. */
static int
rx_begin(struct rx *r, const char *doc, size_t len)
{
	const char	*e;

	r->p = doc;
	r->end = doc + len;
	if (len >= 5 && memcmp(doc, "<?xml", 5) == 0) {
		if ((e = memmem(doc, len, "?>", 2)) == NULL)
			return -1;
		r->p = e + 2;
	}
	/* Our documents never hold a DOCTYPE, comment or processing
	 * instruction; the reader has no code for them and refuses. */
	return 0;
}

/* Nothing but white space after the root. */
static int
rx_finish(struct rx *r)
{
	rx_space(r);
	return r->p == r->end ? 0 : -1;
}

/* ---- reading the documents ---- */

/*
 * Read an <intake> document holding only the answers of one sensitivity
 * (plain: sensitive == 0) into a fresh answers, then move them into
 * rec->answers. A document naming another submission or form version,
 * an unknown question, an answer of the other sensitivity or a value
 * answers_set refuses is malformed.
 */
static enum record_state
record_read_answers(struct record *rec, const char *doc, size_t len,
    int sensitive)
{
	static const char *const rootattrs[] = { "xmlns", "submission_id",
	    "form_version", "consent_version", "invite", NULL };
	const struct formdef	*fd = rec->fd;
	struct answers		*a = NULL;
	struct rx		 r;
	struct rx_tag		 root, t;
	struct buf		 text;
	const char		*v;
	enum record_state	 st = RECORD_MALFORMED;
	size_t			 i;
	int			 f;

	memset(&root, 0, sizeof(root));
	memset(&t, 0, sizeof(t));
	buf_init(&text);
	if ((a = answers_new(fd)) == NULL)
		goto err;
	if (rx_begin(&r, doc, len) == -1 || rx_start(&r, &root) == -1 ||
	    strcmp(root.name, "intake") != 0 ||
	    rx_attrs_only(&root, rootattrs) == -1)
		goto err;
	if ((v = rx_attr(&root, "xmlns")) == NULL || strcmp(v, fd->ns) != 0)
		goto err;
	if ((v = rx_attr(&root, "submission_id")) == NULL ||
	    strcasecmp(v, rec->submission_id) != 0)
		goto err;
	if ((v = rx_attr(&root, "form_version")) == NULL ||
	    strtoul(v, NULL, 10) != rec->form_version)
		goto err;
	while (!root.empty && !rx_at_end(&r)) {
		if (rx_start(&r, &t) == -1 ||
		    (f = formdef_field(fd, t.name)) < 0 ||
		    !fd->fields[f].sensitive != !sensitive || t.nattrs > 0)
			goto err;
		buf_reset(&text);
		if (rx_text(&r, &t, &text) == -1 ||
		    answers_set(a, f, text.data, text.len) != 0)
			goto err;
		rx_tag_clear(&t);
	}
	if ((!root.empty && rx_end(&r, "intake") == -1) || rx_finish(&r) == -1)
		goto err;

	/* Both documents are read before either is trusted: move now. */
	for (i = 0; i < fd->nfields; i++) {
		if (!fd->fields[i].sensitive != !sensitive)
			continue;
		rec->answers->v[i] = a->v[i];
		memset(&a->v[i], 0, sizeof(a->v[i]));
	}
	st = RECORD_READ;
err:
	rx_tag_clear(&root);
	rx_tag_clear(&t);
	buf_wipe_free(&text);
	answers_free(a);
	return st;
}

/* A sealed <flag> document into f. */
static enum record_state
record_read_flag(struct record_flag *f, const char *doc, size_t len)
{
	static const char *const flagattrs[] = { "rule", "severity",
	    "ruleset", "timeframe", NULL };
	struct rx	 r;
	struct rx_tag	 root, t;
	struct buf	 text;
	const char	*v;
	enum record_state st = RECORD_MALFORMED;
	int		 sev, tf = TF_NONE, failed = 0;

	memset(&root, 0, sizeof(root));
	memset(&t, 0, sizeof(t));
	buf_init(&text);
	if (rx_begin(&r, doc, len) == -1 || rx_start(&r, &root) == -1 ||
	    strcmp(root.name, "flag") != 0 || root.empty ||
	    rx_attrs_only(&root, flagattrs) == -1)
		goto err;
	if ((v = rx_attr(&root, "severity")) == NULL ||
	    (sev = severity_parse(v)) < 0)
		goto err;
	if ((v = rx_attr(&root, "timeframe")) != NULL &&
	    (tf = timeframe_parse(v)) < 0)
		goto err;
	if ((sev == SEV_URGENT) != (tf != TF_NONE))
		goto err;
	if ((v = rx_attr(&root, "rule")) == NULL || *v == '\0')
		goto err;
	f->rule = rec_strdup(v, &failed);
	f->ruleset = rec_strdup(rx_attr(&root, "ruleset") != NULL ?
	    rx_attr(&root, "ruleset") : "", &failed);

	if (rx_start(&r, &t) == -1 || strcmp(t.name, "advice") != 0 ||
	    t.nattrs > 0 || rx_text(&r, &t, &text) == -1)
		goto err;
	f->advice = rec_strdup(text.data, &failed);
	rx_tag_clear(&t);
	if ((f->areas = calloc(REC_MAXAREAS, sizeof(*f->areas))) == NULL)
		failed = 1;
	while (!failed && !rx_at_end(&r)) {
		buf_reset(&text);
		if (f->nareas == REC_MAXAREAS || rx_start(&r, &t) == -1 ||
		    strcmp(t.name, "area") != 0 || t.nattrs > 0 ||
		    rx_text(&r, &t, &text) == -1)
			goto err;
		f->areas[f->nareas++] = rec_strdup(text.data, &failed);
		rx_tag_clear(&t);
	}
	if (failed || rx_end(&r, "flag") == -1 || rx_finish(&r) == -1)
		goto err;
	if (f->severity != (enum severity)sev)
		log_warn("flag %lld: the stored severity differs from the "
		    "sealed one; the sealed one is shown", f->id);
	f->severity = (enum severity)sev;
	f->timeframe = (enum timeframe)tf;
	st = RECORD_READ;
err:
	rx_tag_clear(&root);
	rx_tag_clear(&t);
	buf_wipe_free(&text);
	return st;
}

/* A sealed <note> document: its text, if it is about what we expect. */
static enum record_state
record_read_note(struct record_note *n, long long flag_id, const char *doc,
    size_t len)
{
	static const char *const noteattrs[] = { "flag", "withdrawal", NULL };
	struct rx	 r;
	struct rx_tag	 root;
	struct buf	 text;
	const char	*fl, *wd;
	enum record_state st = RECORD_MALFORMED;
	int		 failed = 0;

	memset(&root, 0, sizeof(root));
	buf_init(&text);
	if (rx_begin(&r, doc, len) == -1 || rx_start(&r, &root) == -1 ||
	    strcmp(root.name, "note") != 0 ||
	    rx_attrs_only(&root, noteattrs) == -1)
		goto err;
	fl = rx_attr(&root, "flag");
	wd = rx_attr(&root, "withdrawal");
	if (flag_id > 0 ? (fl == NULL || wd != NULL ||
	    strtoll(fl, NULL, 10) != flag_id) :
	    (fl != NULL || wd == NULL || strcmp(wd, "1") != 0))
		goto err;
	if (rx_text(&r, &root, &text) == -1 || rx_finish(&r) == -1 ||
	    !utf8_valid(text.data, text.len))
		goto err;
	if ((n->text = rec_strdup(text.data, &failed)) == NULL)
		goto err;
	st = RECORD_READ;
err:
	rx_tag_clear(&root);
	buf_wipe_free(&text);
	return st;
}

/* ---- loading ---- */

/* Intake id, which part (a row id or 0), the envelope's code: no value. */
static void
record_part_log(long long intake, const char *what, long long id,
    const struct record_part *p)
{
	char	 row[32] = "";

	if (id > 0)
		snprintf(row, sizeof(row), " %lld", id);
	if (p->state == RECORD_SEALED)
		log_warn("intake %lld: %s%s cannot be opened: %s (%d)", intake,
		    what, row, env_strerror(p->err), (int)p->err);
	else if (p->state == RECORD_MALFORMED)
		log_warn("intake %lld: %s%s is not in a form this service "
		    "writes", intake, what, row);
}

/*
 * Open blob bound to the record's submission with purpose, into *pt
 * (sodium_malloc'ed). part is set: RECORD_READ or RECORD_SEALED.
 */
static int
record_open(const struct env_keyring *ring, const struct record *rec,
    const unsigned char sid[16], const char *purpose,
    const unsigned char *blob, size_t bloblen, unsigned char **pt,
    size_t *ptlen, struct record_part *part)
{
	struct env_ad	 ad;

	memset(&ad, 0, sizeof(ad));
	memcpy(ad.submission_id, sid, 16);
	ad.form_version = rec->form_version;
	ad.purpose = purpose;
	part->err = env_open(ring, &ad, blob, bloblen, pt, ptlen);
	part->state = part->err == ENV_OK ? RECORD_READ : RECORD_SEALED;
	return part->err == ENV_OK ? 0 : -1;
}

static int
record_note_load(const struct env_keyring *ring, const struct record *rec,
    const unsigned char sid[16], long long flag_id,
    const unsigned char *blob, size_t bloblen, struct record_note *n)
{
	unsigned char	*pt = NULL;
	size_t		 ptlen = 0;

	if (blob == NULL)
		return 0;
	n->present = 1;
	if (record_open(ring, rec, sid, RECORD_NOTE_PURPOSE, blob, bloblen,
	    &pt, &ptlen, &n->part) == 0) {
		n->part.state = record_read_note(n, flag_id, (char *)pt, ptlen);
		env_plain_free(pt, ptlen);
	}
	if (n->part.err == ENV_ERR_NOMEM)
		return -1;
	return 0;
}

static int
sev_rank(const struct record_flag *f)
{
	return (int)f->severity * 8 + (f->severity == SEV_URGENT &&
	    f->part.state == RECORD_READ ? (int)f->timeframe : 0);
}

/* Most serious first, then stored order (the ids grow with it). */
static int
record_flag_cmp(const void *x, const void *y)
{
	const struct record_flag *a = x, *b = y;

	if (sev_rank(a) != sev_rank(b))
		return sev_rank(a) < sev_rank(b) ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
record_decisions_load(const struct env_keyring *ring, struct record *rec,
    const unsigned char sid[16], const struct record_src *src,
    struct record_flag *f)
{
	const struct record_src_decision *sd;
	struct record_decision	*d;
	size_t			 i, n = 0;
	int			 kind, failed = 0;

	for (i = 0; i < src->ndecisions; i++)
		if (src->decisions[i].flag_id == f->id)
			n++;
	if (n == 0)
		return 0;
	if ((f->decisions = calloc(n, sizeof(*f->decisions))) == NULL)
		return -1;
	for (i = 0; i < src->ndecisions; i++) {
		sd = &src->decisions[i];
		if (sd->flag_id != f->id)
			continue;
		if (sd->decision == NULL ||
		    (kind = record_decision_parse(sd->decision)) < 0)
			return -2;
		d = &f->decisions[f->ndecisions++];
		d->id = sd->id;
		d->at = sd->decided_at;
		d->kind = (enum record_decision_kind)kind;
		d->staff = rec_strdup(sd->staff != NULL ? sd->staff : "",
		    &failed);
		d->staff_name = rec_strdup(sd->staff_name, &failed);
		if (failed || record_note_load(ring, rec, sid, f->id,
		    sd->note_blob, sd->note_bloblen, &d->note) == -1)
			return -1;
		record_part_log(rec->intake_id, "note of decision", d->id,
		    &d->note.part);
	}
	return 0;
}

static int
record_flags_load(const struct env_keyring *ring, struct record *rec,
    const unsigned char sid[16], const struct record_src *src)
{
	struct record_flag	*f;
	unsigned char		*pt;
	size_t			 i, ptlen, used = 0;
	int			 sev, rc;

	if (src->nflags == 0)
		return 0;
	if ((rec->flags = calloc(src->nflags, sizeof(*rec->flags))) == NULL)
		return -1;
	for (i = 0; i < src->nflags; i++) {
		f = &rec->flags[i];
		rec->nflags++;
		f->id = src->flags[i].id;
		if (src->flags[i].severity == NULL ||
		    (sev = severity_parse(src->flags[i].severity)) < 0)
			return -2;
		f->severity = (enum severity)sev;
		f->timeframe = TF_NONE;
		pt = NULL;
		ptlen = 0;
		if (record_open(ring, rec, sid, "flag", src->flags[i].blob,
		    src->flags[i].bloblen, &pt, &ptlen, &f->part) == 0) {
			f->part.state = record_read_flag(f, (char *)pt, ptlen);
			env_plain_free(pt, ptlen);
		}
		if (f->part.err == ENV_ERR_NOMEM)
			return -1;
		record_part_log(rec->intake_id, "flag", f->id, &f->part);
		if ((rc = record_decisions_load(ring, rec, sid, src, f)) != 0)
			return rc;
		used += f->ndecisions;
	}
	/* A decision on a flag of another intake: the caller's bug. */
	if (used != src->ndecisions)
		return -2;
	qsort(rec->flags, rec->nflags, sizeof(*rec->flags), record_flag_cmp);
	return 0;
}

static int
record_consents_load(const struct env_keyring *ring, struct record *rec,
    const unsigned char sid[16], const struct record_src *src)
{
	const struct record_src_consent	*sc;
	struct record_consent		*c;
	size_t				 i;
	int				 failed = 0;

	if (src->nconsents == 0)
		return 0;
	if ((rec->consents = calloc(src->nconsents,
	    sizeof(*rec->consents))) == NULL)
		return -1;
	for (i = 0; i < src->nconsents; i++) {
		sc = &src->consents[i];
		c = &rec->consents[rec->nconsents++];
		if (sc->kind == NULL || (strcmp(sc->kind, "given") != 0 &&
		    strcmp(sc->kind, "withdrawn") != 0))
			return -2;
		c->id = sc->id;
		c->withdrawn = strcmp(sc->kind, "withdrawn") == 0;
		c->version = sc->version;
		c->treatment = sc->treatment;
		c->privacy = sc->privacy;
		c->sensitive_areas = rec_strdup(sc->sensitive_areas != NULL ?
		    sc->sensitive_areas : "", &failed);
		c->signature_name = rec_strdup(sc->signature_name, &failed);
		c->guardian_name = rec_strdup(sc->guardian_name, &failed);
		c->guardian_relationship = rec_strdup(
		    sc->guardian_relationship, &failed);
		c->recorded_at = sc->recorded_at;
		c->scope = rec_strdup(sc->scope, &failed);
		c->staff = rec_strdup(sc->staff, &failed);
		if (failed || record_note_load(ring, rec, sid, 0,
		    sc->note_blob, sc->note_bloblen, &c->note) == -1)
			return -1;
		record_part_log(rec->intake_id, "note of consent record",
		    c->id, &c->note.part);
	}
	return 0;
}

enum record_err
record_load(const struct formdef *fd, const struct env_keyring *ring,
    const struct record_src *src, struct record **out)
{
	struct record	*rec;
	unsigned char	 sid[16], *pt = NULL;
	size_t		 ptlen = 0, i;
	enum record_err	 rc = RECORD_ERR_NOMEM;
	int		 failed = 0, r;

	*out = NULL;
	if (src->submission_id == NULL ||
	    strlen(src->submission_id) != ANSWERS_IDLEN ||
	    env_uuid_parse(src->submission_id, sid) == -1 ||
	    src->plain_xml == NULL || src->answers_blob == NULL)
		return RECORD_ERR_INPUT;
	if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return RECORD_ERR_NOMEM;
	/* From here: goto err. */
	rec->fd = fd;
	rec->intake_id = src->intake_id;
	for (i = 0; i < ANSWERS_IDLEN; i++)
		rec->submission_id[i] = (char)(src->submission_id[i] |
		    (src->submission_id[i] >= 'A' &&
		    src->submission_id[i] <= 'F' ? 0x20 : 0));
	rec->form_version = src->form_version;
	rec->consent_version = src->consent_version;
	rec->received_at = src->received_at;
	rec->appointment_id = src->appointment_id;
	rec->rule_set_version = rec_strdup(src->rule_set_version != NULL ?
	    src->rule_set_version : "", &failed);
	rec->reference = rec_strdup(src->reference != NULL ?
	    src->reference : "", &failed);
	rec->consent_text = rec_strdup(src->consent_text, &failed);
	rec->consent_sha256 = rec_strdup(src->consent_sha256, &failed);
	if (failed || (rec->answers = answers_new(fd)) == NULL)
		goto err;
	memcpy(rec->answers->submission_id, rec->submission_id,
	    sizeof(rec->answers->submission_id));
	rec->answers->form_version = src->form_version;
	rec->answers->consent_version = src->consent_version;

	/* An intake of another form version cannot be read with fd. */
	rec->plain.state = rec->sensitive.state = RECORD_MALFORMED;
	if (src->form_version == fd->version)
		rec->plain.state = record_read_answers(rec, src->plain_xml,
		    strlen(src->plain_xml), 0);
	if (record_open(ring, rec, sid, "answers", src->answers_blob,
	    src->answers_bloblen, &pt, &ptlen, &rec->sensitive) == 0) {
		rec->sensitive.state = src->form_version != fd->version ?
		    RECORD_MALFORMED :
		    record_read_answers(rec, (char *)pt, ptlen, 1);
		env_plain_free(pt, ptlen);
	}
	if (rec->sensitive.err == ENV_ERR_NOMEM)
		goto err;
	record_part_log(rec->intake_id, "plain answers", 0, &rec->plain);
	record_part_log(rec->intake_id, "sealed answers", 0, &rec->sensitive);

	if ((r = record_flags_load(ring, rec, sid, src)) == 0)
		r = record_consents_load(ring, rec, sid, src);
	if (r != 0) {
		rc = r == -2 ? RECORD_ERR_INPUT : RECORD_ERR_NOMEM;
		goto err;
	}
	*out = rec;
	return RECORD_OK;
err:
	record_free(rec);
	return rc;
}

static void
record_note_clear(struct record_note *n)
{
	rec_wipe(n->text);
	n->text = NULL;
}

void
record_free(struct record *rec)
{
	size_t	 i, j;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nflags; i++) {
		struct record_flag *f = &rec->flags[i];

		rec_wipe(f->rule);
		rec_wipe(f->ruleset);
		rec_wipe(f->advice);
		for (j = 0; f->areas != NULL && j < f->nareas; j++)
			rec_wipe(f->areas[j]);
		free(f->areas);
		for (j = 0; j < f->ndecisions; j++) {
			rec_wipe(f->decisions[j].staff);
			rec_wipe(f->decisions[j].staff_name);
			record_note_clear(&f->decisions[j].note);
		}
		free(f->decisions);
	}
	free(rec->flags);
	for (i = 0; i < rec->nconsents; i++) {
		struct record_consent *c = &rec->consents[i];

		rec_wipe(c->sensitive_areas);
		rec_wipe(c->signature_name);
		rec_wipe(c->guardian_name);
		rec_wipe(c->guardian_relationship);
		rec_wipe(c->scope);
		rec_wipe(c->staff);
		record_note_clear(&c->note);
	}
	free(rec->consents);
	answers_free(rec->answers);
	rec_wipe(rec->rule_set_version);
	rec_wipe(rec->reference);
	rec_wipe(rec->consent_text);
	rec_wipe(rec->consent_sha256);
	free(rec);
}

const char *
record_part_message(const struct record_part *p)
{
	if (p->state == RECORD_MALFORMED)
		return "This part was decrypted but is not in a form this "
		    "service wrote; it is not shown.";
	switch (p->err) {
	case ENV_OK:
		return "";
	case ENV_ERR_NOKEY:
	case ENV_ERR_UNSEAL:
		return "This part could not be decrypted: it was encrypted "
		    "to a clinic key this service does not hold.";
	case ENV_ERR_AUTH:
		return "This part could not be decrypted: it was altered, or "
		    "belongs to another record.";
	default:
		return "This part could not be decrypted: the stored value "
		    "is damaged.";
	}
}

/* A short, stable code for the export: why a part is unreadable. */
static const char *
record_part_code(const struct record_part *p)
{
	if (p->state == RECORD_MALFORMED)
		return "malformed";
	switch (p->err) {
	case ENV_ERR_SHORT:
		return "truncated";
	case ENV_ERR_MAGIC:
	case ENV_ERR_VERSION:
	case ENV_ERR_ALG:
		return "format";
	case ENV_ERR_NOKEY:
	case ENV_ERR_UNSEAL:
		return "key";
	case ENV_ERR_AUTH:
		return "authentication";
	default:
		return "other";
	}
}

/* ---- decisions and notes ---- */

const char *
record_decision_name(enum record_decision_kind k)
{
	return k < DECISION__MAX ? record_decisions[k] : "";
}

int
record_decision_parse(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < DECISION__MAX; i++)
		if (strcmp(s, record_decisions[i]) == 0)
			return i;
	return -1;
}

int
record_decision_allowed(enum severity sev, enum record_decision_kind k)
{
	if (k >= DECISION__MAX)
		return 0;
	if (sev == SEV_URGENT || sev == SEV_NO_MASSAGE)
		return k == DECISION_DEFER || k == DECISION_REFER;
	return 1;
}

/*
 * Append s escaped for XML text (attr == 0) or a double-quoted attribute.
 * Bytes that are not UTF-8 and characters XML 1.0 forbids become U+FFFD,
 * so the output is well-formed whatever s holds.
 */
static void
rec_xml_esc(struct buf *b, const char *s, int attr)
{
	size_t		 len, n, i = 0;
	uint32_t	 cp;
	unsigned char	 c;

	if (s == NULL)
		return;
	len = strlen(s);
	while (i < len) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || n > len - i || !utf8_valid(s + i, n)) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		utf8_decode(s + i, n, &cp);
		if (utf8_xml_forbidden(cp))
			buf_puts(b, "\xef\xbf\xbd");
		else if (cp == '&')
			buf_puts(b, "&amp;");
		else if (cp == '<')
			buf_puts(b, "&lt;");
		else if (cp == '>')
			buf_puts(b, "&gt;");
		else if (cp == '"')
			buf_puts(b, "&quot;");
		else if (cp == '\r')
			buf_puts(b, "&#13;");
		else if (attr && cp == '\t')
			buf_puts(b, "&#9;");
		else if (attr && cp == '\n')
			buf_puts(b, "&#10;");
		else
			buf_add(b, s + i, n);
		i += n;
	}
}

void
record_note_plaintext(long long flag_id, const char *text, struct buf *out)
{
	if (flag_id > 0)
		buf_printf(out, "<note flag=\"%lld\">", flag_id);
	else
		buf_puts(out, "<note withdrawal=\"1\">");
	rec_xml_esc(out, text, 0);
	buf_puts(out, "</note>");
}

int
record_note_check(char *text)
{
	size_t		 len, i, o, n;
	uint32_t	 cp;

	/* CRLF and CR to LF, in place. */
	len = strlen(text);
	for (i = o = 0; i < len; i++) {
		if (text[i] == '\r') {
			text[o++] = '\n';
			if (text[i + 1] == '\n')
				i++;
		} else
			text[o++] = text[i];
	}
	text[o] = '\0';
	len = o;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
	    text[len - 1] == '\n'))
		text[--len] = '\0';
	for (i = 0; text[i] == ' ' || text[i] == '\t' || text[i] == '\n';)
		i++;
	memmove(text, text + i, len - i + 1);
	len -= i;
	if (!utf8_valid(text, len) || utf8_count(text, len) > RECORD_NOTE_MAX)
		return -1;
	for (i = 0; i < len; i += n) {
		n = utf8_decode(text + i, len - i, &cp);
		if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp <= 0x9f) || utf8_xml_forbidden(cp))
			return -1;
	}
	return 0;
}

void
record_time(time_t t, char *out, size_t outsz)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "1970-01-01T00:00:00Z");
}

/* ---- the XML export (schemas/record.xsd) ---- */

static void
xml_attr(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_printf(b, " %s=\"", name);
	rec_xml_esc(b, value, 1);
	buf_putc(b, '"');
}

static void
xml_time_attr(struct buf *b, const char *name, time_t t)
{
	char	 when[32];

	record_time(t, when, sizeof(when));
	xml_attr(b, name, when);
}

static void
xml_unreadable(struct buf *b, const char *indent, const char *part,
    const struct record_part *p)
{
	buf_printf(b, "%s<unreadable", indent);
	xml_attr(b, "part", part);
	xml_attr(b, "reason", record_part_code(p));
	buf_putc(b, '>');
	rec_xml_esc(b, record_part_message(p), 0);
	buf_puts(b, "</unreadable>\n");
}

static void
xml_answer(struct buf *b, const struct record *rec, size_t fi)
{
	const struct fd_field	*f = &rec->fd->fields[fi];
	const struct answer	*v = &rec->answers->v[fi];
	struct buf		 tmp;
	size_t			 c;

	buf_puts(b, "      <answer");
	xml_attr(b, "question", f->id);
	xml_attr(b, "label", f->label);
	if (f->sensitive)
		buf_puts(b, " sensitive=\"true\"");
	buf_puts(b, ">");
	switch (f->type) {
	case FD_YESNO:
	case FD_CHOICE:
	case FD_MULTI:
		for (c = 0; c < f->nchoices; c++) {
			if (!(v->mask & ((uint64_t)1 << c)))
				continue;
			buf_puts(b, "<value");
			xml_attr(b, "code", f->choices[c].value);
			buf_putc(b, '>');
			rec_xml_esc(b, f->choices[c].label, 0);
			buf_puts(b, "</value>");
		}
		break;
	default:
		buf_init(&tmp);
		answers_value_text(rec->answers, (int)fi, &tmp);
		buf_puts(b, "<value>");
		rec_xml_esc(b, tmp.data != NULL ? tmp.data : "", 0);
		buf_puts(b, "</value>");
		buf_wipe_free(&tmp);
		break;
	}
	buf_puts(b, "</answer>\n");
}

static void
xml_answers(struct buf *b, const struct record *rec)
{
	const struct formdef	*fd = rec->fd;
	const struct fd_section	*s;
	size_t			 i, k, n;

	buf_puts(b, "  <answers>\n");
	if (rec->plain.state != RECORD_READ)
		xml_unreadable(b, "    ", "plain", &rec->plain);
	if (rec->sensitive.state != RECORD_READ)
		xml_unreadable(b, "    ", "sensitive", &rec->sensitive);
	for (i = 0; i < fd->nsections; i++) {
		s = &fd->sections[i];
		for (n = 0, k = s->first; k < s->first + s->count; k++)
			n += rec->answers->v[k].present != 0;
		if (n == 0)
			continue;
		buf_puts(b, "    <section");
		xml_attr(b, "id", s->id);
		xml_attr(b, "title", s->title);
		buf_puts(b, ">\n");
		for (k = s->first; k < s->first + s->count; k++)
			if (rec->answers->v[k].present)
				xml_answer(b, rec, k);
		buf_puts(b, "    </section>\n");
	}
	buf_puts(b, "  </answers>\n");
}

static void
xml_note(struct buf *b, const struct record_note *n)
{
	if (!n->present)
		return;
	if (n->part.state != RECORD_READ) {
		xml_unreadable(b, "", "note", &n->part);
		return;
	}
	buf_puts(b, "<note>");
	rec_xml_esc(b, n->text, 0);
	buf_puts(b, "</note>");
}

static void
xml_flags(struct buf *b, const struct record *rec)
{
	const struct record_flag	*f;
	const struct record_decision	*d;
	size_t				 i, j;
	char				 id[32];

	buf_puts(b, "  <flags>\n");
	for (i = 0; i < rec->nflags; i++) {
		f = &rec->flags[i];
		snprintf(id, sizeof(id), "%lld", f->id);
		buf_puts(b, "    <flag");
		xml_attr(b, "id", id);
		if (f->part.state == RECORD_READ)
			xml_attr(b, "rule", f->rule);
		xml_attr(b, "severity", severity_name(f->severity));
		if (f->part.state == RECORD_READ) {
			xml_attr(b, "timeframe", timeframe_name(f->timeframe));
			xml_attr(b, "ruleset", f->ruleset);
		}
		buf_puts(b, ">\n");
		if (f->part.state != RECORD_READ)
			xml_unreadable(b, "      ", "flag", &f->part);
		else {
			buf_puts(b, "      <advice>");
			rec_xml_esc(b, f->advice, 0);
			buf_puts(b, "</advice>\n");
			for (j = 0; j < f->nareas; j++) {
				buf_puts(b, "      <area>");
				rec_xml_esc(b, f->areas[j], 0);
				buf_puts(b, "</area>\n");
			}
		}
		for (j = 0; j < f->ndecisions; j++) {
			d = &f->decisions[j];
			snprintf(id, sizeof(id), "%lld", d->id);
			buf_puts(b, "      <decision");
			xml_attr(b, "id", id);
			xml_attr(b, "decision", record_decision_name(d->kind));
			xml_time_attr(b, "at", d->at);
			xml_attr(b, "by", d->staff);
			xml_attr(b, "by_name", d->staff_name);
			buf_putc(b, '>');
			xml_note(b, &d->note);
			buf_puts(b, "</decision>\n");
		}
		buf_puts(b, "    </flag>\n");
	}
	buf_puts(b, "  </flags>\n");
}

static void
xml_areas(struct buf *b, const char *areas)
{
	const char	*a = areas, *e;
	struct buf	 one;

	buf_init(&one);
	while (a != NULL && *a != '\0') {
		while (*a == ' ')
			a++;
		if (*a == '\0')
			break;
		for (e = a; *e != '\0' && *e != ' '; e++)
			continue;
		buf_reset(&one);
		buf_add(&one, a, (size_t)(e - a));
		buf_puts(b, "<sensitive_area>");
		rec_xml_esc(b, one.data, 0);
		buf_puts(b, "</sensitive_area>");
		a = e;
	}
	buf_free(&one);
}

static void
xml_consent(struct buf *b, const struct record *rec)
{
	const struct record_consent	*c;
	size_t				 i;
	char				 v[32];

	snprintf(v, sizeof(v), "%u", rec->consent_version);
	buf_puts(b, "  <consent");
	xml_attr(b, "version", v);
	xml_attr(b, "sha256", rec->consent_sha256);
	buf_puts(b, ">\n");
	if (rec->consent_text != NULL) {
		buf_puts(b, "    <text>");
		rec_xml_esc(b, rec->consent_text, 0);
		buf_puts(b, "</text>\n");
	}
	for (i = 0; i < rec->nconsents; i++) {
		c = &rec->consents[i];
		buf_printf(b, "    <%s", c->withdrawn ? "withdrawal" : "given");
		snprintf(v, sizeof(v), "%lld", c->id);
		xml_attr(b, "id", v);
		xml_time_attr(b, "at", c->recorded_at);
		snprintf(v, sizeof(v), "%u", c->version);
		xml_attr(b, "version", v);
		if (c->withdrawn) {
			xml_attr(b, "scope", c->scope != NULL ? c->scope : "all");
			xml_attr(b, "by", c->staff);
		}
		xml_attr(b, "treatment", c->treatment ? "true" : "false");
		xml_attr(b, "privacy", c->privacy ? "true" : "false");
		xml_attr(b, "signature", c->signature_name);
		xml_attr(b, "guardian", c->guardian_name);
		xml_attr(b, "relationship", c->guardian_relationship);
		buf_putc(b, '>');
		xml_areas(b, c->sensitive_areas);
		xml_note(b, &c->note);
		buf_printf(b, "</%s>\n", c->withdrawn ? "withdrawal" : "given");
	}
	buf_puts(b, "  </consent>\n");
}

void
record_write_xml(const struct record *rec, time_t exported, struct buf *b)
{
	char	 v[32];

	buf_puts(b, "<record xmlns=\"" RECORD_NS "\"");
	snprintf(v, sizeof(v), "%lld", rec->intake_id);
	xml_attr(b, "intake", v);
	xml_attr(b, "submission_id", rec->submission_id);
	xml_attr(b, "reference", rec->reference);
	xml_time_attr(b, "received", rec->received_at);
	snprintf(v, sizeof(v), "%u", rec->form_version);
	xml_attr(b, "form_version", v);
	snprintf(v, sizeof(v), "%u", rec->consent_version);
	xml_attr(b, "consent_version", v);
	xml_attr(b, "rule_set", rec->rule_set_version);
	if (rec->appointment_id > 0) {
		snprintf(v, sizeof(v), "%lld", rec->appointment_id);
		xml_attr(b, "appointment", v);
	}
	if (exported != 0)
		xml_time_attr(b, "exported", exported);
	buf_puts(b, ">\n");
	xml_answers(b, rec);
	xml_flags(b, rec);
	xml_consent(b, rec);
	buf_puts(b, "</record>\n");
}
