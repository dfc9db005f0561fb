/*
 * micro: the cost of each stage of one submission, in process, on the
 * library the workers link (build/libclinic.a) and the intake worker's own
 * parser child and pages (src/intake/parse_child.c, pages.c). Built and
 * run by bench/run:
 *
 *   cc ... bench/micro.c src/intake/parse_child.c src/intake/pages.c \
 *       build/libclinic.a ...
 *   micro -s SHARE -b BODY [-d CONNINFO] [-n N] [-o STAGE]
 *
 *   -s SHARE     directory holding schemas/ (the checkout will do)
 *   -b BODY      a form body (as a browser sends it) holding @SID@ once
 *   -d CONNINFO  libpq string for intake_writer: adds the database stage
 *                (one intake_submit round trip, durable commit)
 *   -n N         iterations of the cheap stages (default 2000; the parser
 *                child and the database get N/8)
 *   -o STAGE     run only that stage (for callgrind / perf)
 *
 * Stages, in the order a submission meets them:
 *   decode       formpost_decode: form body -> raw values + <intake> document
 *   xml_parse    xmlReadMemory of that document (the options of intake_parse)
 *   xsd_validate xmlSchemaValidateDoc against the compiled intake XSD
 *   intake_parse parse + validate + answers_set of every answer, together
 *   parser_child parse_run: the whole trip through the sandboxed child
 *                (request, decode + intake_parse there, reply, re-check,
 *                reaping it and forking the next spare)
 *   check        answers_check (conditions, required, dates, signature)
 *   screening    screen_run (rule set 1) and flags_free
 *   xml_build    answers_to_xml x3 (all, plain, sensitive)
 *   encryption   keyed hash, receipt token, data key sealed to the clinic's
 *                public key, the sensitive answers and each flag sealed
 *   database     store_submit: one prepared intake_submit, one round trip
 *   form_page    page_form: GET /intake/'s page (the example consent text),
 *                what the worker does for a GET besides FastCGI
 *
 * Each stage is timed one call at a time (its inputs made outside the
 * timed part); it prints the median and the mean per call:
 *   MICRO stage=NAME n=N median_us=X mean_us=Y
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "crypto/envelope.h"
#include "crypto/token.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
#include "form/intake_xml.h"
#include "form/xmlutil.h"
#include "intake/pages.h"
#include "intake/parse_child.h"
#include "screen/screen.h"
#include "store/store.h"

#define MICRO_BODY_LIMIT	262144

struct micro {
	struct formdef		*fd;
	struct intake_parser	*parser;
	xmlSchemaPtr		 schema;
	xmlSchemaValidCtxtPtr	 vctx;
	struct ruleset		*rules;
	struct env_pubkey	 pk;
	unsigned char		 secret[32];
	struct parse_pool	 pool;
	struct store		*store;
	char			*tmpl;		/* body with @SID@ */
	char			*body;		/* with a UUID */
	size_t			 bodylen;
	struct buf		 doc;		/* the <intake> document */
	int32_t			 today;
	unsigned		 consent_version;
};

static double *samples;
static size_t nsamples;

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *stage)
{
	double	 sum = 0;
	size_t	 i;

	if (nsamples == 0)
		return;
	for (i = 0; i < nsamples; i++)
		sum += samples[i];
	qsort(samples, nsamples, sizeof(*samples), cmp_double);
	printf("MICRO stage=%s n=%zu median_us=%.2f mean_us=%.2f\n", stage,
	    nsamples, samples[nsamples / 2], sum / (double)nsamples);
	fflush(stdout);
	nsamples = 0;
}

static void
die(const char *what)
{
	fprintf(stderr, "micro: %s\n", what);
	exit(1);
}

static void
new_uuid(char out[37])
{
	unsigned char	 u[16];

	randombytes_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* A fresh body: the template with a new submission_id. */
static void
fresh_body(struct micro *m)
{
	char	 sid[37], *at;

	at = strstr(m->tmpl, "@SID@");
	new_uuid(sid);
	free(m->body);
	m->bodylen = strlen(m->tmpl) - 5 + 36;
	if ((m->body = malloc(m->bodylen + 1)) == NULL)
		die("out of memory");
	memcpy(m->body, m->tmpl, (size_t)(at - m->tmpl));
	memcpy(m->body + (at - m->tmpl), sid, 36);
	strcpy(m->body + (at - m->tmpl) + 36, at + 5);
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	b[fread(b, 1, (size_t)n, f)] = '\0';
	fclose(f);
	/* one trailing newline from an editor is not part of the body */
	if (n > 0 && b[n - 1] == '\n')
		b[n - 1] = '\0';
	return b;
}

/* Checked answers of a fresh body, as the worker has them before screening. */
static struct answers *
answers_of_body(struct micro *m, int check)
{
	struct raw_values	 raw;
	struct verrs		 errs = { 0 };
	struct buf		 doc;
	struct answers		*a;

	memset(&raw, 0, sizeof(raw));
	buf_init(&doc);
	fresh_body(m);
	if ((a = answers_new(m->fd)) == NULL)
		die("out of memory");
	if (formpost_decode(m->fd, m->body, m->bodylen, &raw, &doc,
	    &errs) != FORMPOST_OK)
		die("the body does not decode");
	if (intake_parse(m->parser, doc.data, doc.len, a, &errs) != INTAKE_OK)
		die("the document does not parse");
	if (check)
		answers_check(a, m->today, m->consent_version, &errs);
	if (errs.n > 0) {
		fprintf(stderr, "micro: the body is not a valid intake: %s\n",
		    errs.v[0].name ? errs.v[0].name : "?");
		exit(1);
	}
	raw_values_free(m->fd, &raw);
	buf_free(&doc);
	return a;
}

static void
st_decode(struct micro *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		struct raw_values raw;
		struct verrs	 errs = { 0 };
		struct buf	 doc;
		double		 t0;

		memset(&raw, 0, sizeof(raw));
		buf_init(&doc);
		fresh_body(m);
		t0 = now_us();
		if (formpost_decode(m->fd, m->body, m->bodylen, &raw, &doc,
		    &errs) != FORMPOST_OK || errs.n > 0)
			die("decode failed");
		raw_values_free(m->fd, &raw);
		buf_free(&doc);
		samples[nsamples++] = now_us() - t0;
		verrs_free(&errs);
	}
	report("decode");
}

static void
st_xml_parse(struct micro *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		double	 t0 = now_us();
		xmlDoc	*x = xmlReadMemory(m->doc.data, (int)m->doc.len,
		    "intake.xml", "UTF-8", XMLU_PARSE_OPTIONS);

		if (x == NULL)
			die("xml parse failed");
		xmlFreeDoc(x);
		samples[nsamples++] = now_us() - t0;
	}
	report("xml_parse");
}

static void
st_xsd(struct micro *m, size_t n)
{
	xmlDoc	*x;
	size_t	 i;

	x = xmlReadMemory(m->doc.data, (int)m->doc.len, "intake.xml", "UTF-8",
	    XMLU_PARSE_OPTIONS);
	if (x == NULL)
		die("xml parse failed");
	for (i = 0; i < n; i++) {
		double	 t0 = now_us();

		if (xmlSchemaValidateDoc(m->vctx, x) != 0)
			die("the document is not valid against the XSD");
		samples[nsamples++] = now_us() - t0;
	}
	xmlFreeDoc(x);
	report("xsd_validate");
}

static void
st_intake_parse(struct micro *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		struct verrs	 errs = { 0 };
		struct answers	*a = answers_new(m->fd);
		double		 t0 = now_us();

		if (a == NULL || intake_parse(m->parser, m->doc.data,
		    m->doc.len, a, &errs) != INTAKE_OK || errs.n > 0)
			die("intake_parse failed");
		samples[nsamples++] = now_us() - t0;
		answers_free(a);
	}
	report("intake_parse");
}

static double
tv_us(struct timeval tv)
{
	return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

static void
st_parser_child(struct micro *m, size_t n)
{
	struct rusage	 s0, s1, c0, c1;
	size_t		 i;

	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &c0);
	for (i = 0; i < n; i++) {
		struct raw_values raw;
		struct verrs	 errs = { 0 };
		struct answers	*a = answers_new(m->fd);
		double		 t0;

		memset(&raw, 0, sizeof(raw));
		fresh_body(m);
		t0 = now_us();
		if (a == NULL || parse_run(&m->pool, PARSE_FORM, m->body,
		    m->bodylen, &raw, a, &errs) != PARSE_OK || errs.n > 0)
			die("parse_run failed");
		samples[nsamples++] = now_us() - t0;
		raw_values_free(m->fd, &raw);
		answers_free(a);
		verrs_free(&errs);
	}
	parse_pool_stop(&m->pool);	/* every child reaped: counted */
	getrusage(RUSAGE_SELF, &s1);
	getrusage(RUSAGE_CHILDREN, &c1);
	/* CPU and page faults per trip, the worker's side and the child's */
	printf("MICRO info parser_child_cpu_us worker=%.1f child=%.1f "
	    "faults worker=%.1f child=%.1f\n",
	    (tv_us(s1.ru_utime) + tv_us(s1.ru_stime) - tv_us(s0.ru_utime) -
	    tv_us(s0.ru_stime)) / (double)n,
	    (tv_us(c1.ru_utime) + tv_us(c1.ru_stime) - tv_us(c0.ru_utime) -
	    tv_us(c0.ru_stime)) / (double)n,
	    (double)(s1.ru_minflt - s0.ru_minflt) / (double)n,
	    (double)(c1.ru_minflt - c0.ru_minflt) / (double)n);
	report("parser_child");
}

static void
st_check(struct micro *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		struct verrs	 errs = { 0 };
		struct answers	*a = answers_of_body(m, 0);
		double		 t0 = now_us();

		answers_check(a, m->today, m->consent_version, &errs);
		samples[nsamples++] = now_us() - t0;
		if (errs.n > 0)
			die("answers_check refused the body");
		answers_free(a);
	}
	report("check");
}

static size_t
st_screening(struct micro *m, size_t n)
{
	struct answers	*a = answers_of_body(m, 1);
	struct flags	 fl;
	size_t		 i, nflags = 0;

	for (i = 0; i < n; i++) {
		double	 t0 = now_us();

		memset(&fl, 0, sizeof(fl));
		if (screen_run(m->rules, a, &fl) == -1)
			die("screen_run failed");
		nflags = fl.n;
		flags_free(&fl);
		samples[nsamples++] = now_us() - t0;
	}
	answers_free(a);
	report("screening");
	return nflags;
}

static void
st_xml_build(struct micro *m, size_t n)
{
	struct answers	*a = answers_of_body(m, 1);
	size_t		 i;

	for (i = 0; i < n; i++) {
		struct buf	 all, plain, sens;
		double		 t0 = now_us();

		buf_init(&all);
		buf_init(&plain);
		buf_init(&sens);
		answers_to_xml(a, ANSWERS_ALL, &all);
		answers_to_xml(a, ANSWERS_PLAIN, &plain);
		answers_to_xml(a, ANSWERS_SENSITIVE, &sens);
		buf_wipe_free(&all);
		buf_wipe_free(&plain);
		buf_wipe_free(&sens);
		samples[nsamples++] = now_us() - t0;
	}
	answers_free(a);
	report("xml_build");
}

/*
 * What submit.c's seal_and_store does before the database: everything it
 * seals, sealed. *sub is filled for the database stage when asked.
 */
struct sealed {
	unsigned char		 ahash[32], rhash[TOKEN_HASHLEN];
	char			 token[TOKEN_TEXTLEN + 1];
	unsigned char		*ablob;
	size_t			 ablen;
	struct store_flag	 sf[16];
	unsigned char		*fblobs[16];
	size_t			 nflags;
	struct buf		 plain;
};

static void
seal_one(struct micro *m, struct answers *a, const struct flags *fl,
    struct sealed *s)
{
	struct buf	 all, sens, fb;
	struct env_dk	*dk = NULL;
	struct env_ad	 ad;
	size_t		 i;

	buf_init(&all);
	buf_init(&sens);
	buf_init(&fb);
	buf_init(&s->plain);
	answers_to_xml(a, ANSWERS_ALL, &all);
	answers_to_xml(a, ANSWERS_PLAIN, &s->plain);
	answers_to_xml(a, ANSWERS_SENSITIVE, &sens);

	crypto_generichash(s->ahash, sizeof(s->ahash),
	    (unsigned char *)all.data, all.len, m->secret, 32);
	token_derive(m->secret, "receipt", s->ahash, sizeof(s->ahash),
	    s->token);
	token_hash(s->token, s->rhash);
	memset(&ad, 0, sizeof(ad));
	if (env_uuid_parse(a->submission_id, ad.submission_id) == -1)
		die("bad submission_id");
	ad.form_version = a->form_version;
	if (env_dk_new(&m->pk, &dk) != ENV_OK)
		die("env_dk_new failed");
	ad.purpose = "answers";
	if (env_seal(dk, &ad, sens.data, sens.len, &s->ablob,
	    &s->ablen) != ENV_OK)
		die("env_seal failed");
	ad.purpose = "flag";
	s->nflags = fl->n < 16 ? fl->n : 16;
	for (i = 0; i < s->nflags; i++) {
		const struct rule *r = fl->v[i].rule;

		buf_reset(&fb);
		buf_printf(&fb, "<flag rule=\"%s\" severity=\"%s\" ruleset=\"%s\">"
		    "<advice>%s</advice></flag>", r->id,
		    severity_name(r->severity), m->rules->version,
		    r->advice ? r->advice : "");
		if (env_seal(dk, &ad, fb.data, fb.len, &s->fblobs[i],
		    &s->sf[i].bloblen) != ENV_OK)
			die("env_seal failed");
		s->sf[i].blob = s->fblobs[i];
		s->sf[i].severity = severity_name(r->severity);
	}
	env_dk_free(dk);
	buf_wipe_free(&all);
	buf_wipe_free(&sens);
	buf_wipe_free(&fb);
}

static void
sealed_free(struct sealed *s)
{
	size_t	 i;

	for (i = 0; i < s->nflags; i++)
		free(s->fblobs[i]);
	free(s->ablob);
	buf_wipe_free(&s->plain);
	memset(s, 0, sizeof(*s));
}

static void
st_encryption(struct micro *m, size_t n)
{
	struct answers	*a = answers_of_body(m, 1);
	struct flags	 fl;
	struct sealed	 s;
	size_t		 i;

	memset(&fl, 0, sizeof(fl));
	if (screen_run(m->rules, a, &fl) == -1)
		die("screen_run failed");
	for (i = 0; i < n; i++) {
		double	 t0;

		memset(&s, 0, sizeof(s));
		t0 = now_us();
		seal_one(m, a, &fl, &s);
		samples[nsamples++] = now_us() - t0;
		sealed_free(&s);
	}
	flags_free(&fl);
	answers_free(a);
	report("encryption");
}

static void
st_database(struct micro *m, size_t n)
{
	struct answers		*a = answers_of_body(m, 1);
	struct flags		 fl;
	struct sealed		 s;
	struct store_submission	 sub;
	struct store_receipt	 rc;
	enum store_outcome	 out;
	char			 sid[37], ref[16], dob[11];
	size_t			 i;
	int			 y, mo, d;

	memset(&fl, 0, sizeof(fl));
	memset(&s, 0, sizeof(s));
	if (screen_run(m->rules, a, &fl) == -1)
		die("screen_run failed");
	seal_one(m, a, &fl, &s);
	days_to_date(a->v[m->fd->f_date_of_birth].day, &y, &mo, &d);
	snprintf(dob, sizeof(dob), "%04d-%02d-%02d", y, mo, d);

	memset(&sub, 0, sizeof(sub));
	sub.form_version = a->form_version;
	sub.consent_version = a->consent_version;
	sub.rule_set_version = m->rules->version;
	sub.answers_hash = s.ahash;
	sub.receipt_hash = s.rhash;
	sub.given_name = a->v[m->fd->f_given_name].text;
	sub.family_name = a->v[m->fd->f_family_name].text;
	sub.date_of_birth = dob;
	sub.email = "alex.tremblay@example.org";
	sub.plain_xml = s.plain.data;
	sub.key_id = m->pk.id;
	sub.answers_blob = s.ablob;
	sub.answers_bloblen = s.ablen;
	sub.highest_severity = s.nflags > 0 ? s.sf[0].severity : NULL;
	sub.flags = s.sf;
	sub.nflags = s.nflags;
	sub.consent_treatment = 1;
	sub.consent_privacy = 1;
	sub.consent_sensitive_areas = "";
	sub.signature_name = a->v[m->fd->f_signature_name].text;

	for (i = 0; i < n + 1; i++) {
		double	 t0;

		/* fresh ids: a new row each time */
		new_uuid(sid);
		randombytes_buf(s.rhash, sizeof(s.rhash));
		snprintf(ref, sizeof(ref), "M%08X%04X",
		    randombytes_random(), randombytes_uniform(0x10000));
		sub.submission_id = sid;
		sub.reference = ref;
		memset(&rc, 0, sizeof(rc));
		t0 = now_us();
		if (store_submit(m->store, &sub, &out, &rc) != STORE_OK ||
		    out != STORE_NEW) {
			fprintf(stderr, "micro: store_submit: %s\n",
			    store_last_error(m->store));
			exit(1);
		}
		/* the first call connects and prepares: not counted */
		if (i > 0)
			samples[nsamples++] = now_us() - t0;
		store_receipt_clear(&rc);
	}
	sealed_free(&s);
	flags_free(&fl);
	answers_free(a);
	report("database");
}

static void
st_form_page(struct micro *m, size_t n, const char *share)
{
	struct page_consent	 pc;
	struct page_clinic	 cl;
	struct form_page	 fp;
	char			 path[4096], sid[37];
	size_t			 i, bytes = 0;
	char			*text;

	snprintf(path, sizeof(path), "%s/schemas/consent-v1.txt", share);
	if ((text = slurp(path)) == NULL)
		die("cannot read schemas/consent-v1.txt");
	memset(&pc, 0, sizeof(pc));
	pc.version = 1;
	pc.text = text;
	pc.sha256 = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	cl.name = "Example Massage Clinic";
	cl.phone = "555-0100";
	for (i = 0; i < n; i++) {
		struct buf	 b;
		double		 t0;

		buf_init(&b);
		new_uuid(sid);
		memset(&fp, 0, sizeof(fp));
		fp.fd = m->fd;
		fp.consent = &pc;
		fp.clinic = &cl;
		fp.submission_id = sid;
		t0 = now_us();
		page_form(&b, &fp);
		samples[nsamples++] = now_us() - t0;
		if (buf_failed(&b))
			die("page_form failed");
		bytes = b.len;
		buf_free(&b);
	}
	free(text);
	printf("MICRO info form_page_bytes=%zu\n", bytes);
	report("form_page");
}

static void
usage(void)
{
	fprintf(stderr, "usage: micro -s share -b body [-d conninfo] [-n N] "
	    "[-o stage]\n");
	exit(2);
}

static int
want(const char *only, const char *stage)
{
	return only == NULL || strcmp(only, stage) == 0;
}

int
main(int argc, char *argv[])
{
	struct micro	 m;
	struct verrs	 errs = { 0 };
	struct raw_values raw;
	char		 err[1024], path[4096], xsd[4096];
	const char	*share = NULL, *bodyf = NULL, *conninfo = NULL;
	const char	*only = NULL;
	unsigned char	 sk[crypto_box_SECRETKEYBYTES];
	size_t		 n = 2000, slow;
	struct tm	 tm;
	time_t		 t;
	int		 ch;

	memset(&m, 0, sizeof(m));
	while ((ch = getopt(argc, argv, "b:d:n:o:s:")) != -1)
		switch (ch) {
		case 'b': bodyf = optarg; break;
		case 'd': conninfo = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'o': only = optarg; break;
		case 's': share = optarg; break;
		default: usage();
		}
	if (share == NULL || bodyf == NULL || n == 0)
		usage();
	slow = n / 8 > 0 ? n / 8 : 1;
	if (sodium_init() < 0)
		die("libsodium cannot start");
	log_init("micro");
	setenv("TZ", "America/Toronto", 1);
	tzset();
	xmlu_init();
	if ((samples = calloc(n + 1, sizeof(*samples))) == NULL)
		die("out of memory");

	snprintf(path, sizeof(path), "%s/schemas/form-v1.xml", share);
	snprintf(xsd, sizeof(xsd), "%s/schemas/form-definition.xsd", share);
	if (formdef_load(path, xsd, &m.fd, err, sizeof(err)) == -1)
		die(err);
	snprintf(xsd, sizeof(xsd), "%s/schemas/intake-v1.xsd", share);
	if ((m.parser = intake_parser_new(m.fd, xsd, err, sizeof(err))) == NULL)
		die(err);
	if ((m.schema = xmlu_schema_load(xsd, err, sizeof(err))) == NULL ||
	    (m.vctx = xmlSchemaNewValidCtxt(m.schema)) == NULL)
		die("cannot compile the intake XSD");
	snprintf(path, sizeof(path), "%s/schemas/rules-v1.xml", share);
	snprintf(xsd, sizeof(xsd), "%s/schemas/rules.xsd", share);
	if (ruleset_load(path, xsd, m.fd, &m.rules, err, sizeof(err)) == -1)
		die(err);
	/* a clinic key pair of our own: only its public half is used */
	crypto_box_keypair(m.pk.pk, sk);
	crypto_generichash(m.pk.id, sizeof(m.pk.id), m.pk.pk, sizeof(m.pk.pk),
	    NULL, 0);
	sodium_memzero(sk, sizeof(sk));
	randombytes_buf(m.secret, sizeof(m.secret));
	if ((m.tmpl = slurp(bodyf)) == NULL || strstr(m.tmpl, "@SID@") == NULL)
		die("the body file is missing or holds no @SID@");
	t = time(NULL);
	localtime_r(&t, &tm);
	m.today = date_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	m.consent_version = 1;

	/* the document the form post becomes */
	memset(&raw, 0, sizeof(raw));
	buf_init(&m.doc);
	fresh_body(&m);
	if (formpost_decode(m.fd, m.body, m.bodylen, &raw, &m.doc,
	    &errs) != FORMPOST_OK || errs.n > 0)
		die("the body does not decode cleanly");
	raw_values_free(m.fd, &raw);
	answers_free(answers_of_body(&m, 1));	/* valid, or die */

	printf("MICRO info body_bytes=%zu document_bytes=%zu\n", m.bodylen,
	    m.doc.len);
	if (want(only, "decode"))
		st_decode(&m, n);
	if (want(only, "xml_parse"))
		st_xml_parse(&m, n);
	if (want(only, "xsd_validate"))
		st_xsd(&m, n);
	if (want(only, "intake_parse"))
		st_intake_parse(&m, n);
	if (want(only, "parser_child")) {
		m.pool.fd = m.fd;
		m.pool.parser = m.parser;
		m.pool.body_limit = MICRO_BODY_LIMIT;
		m.pool.pid = -1;
		m.pool.fd_sock = -1;
		if (parse_pool_start(&m.pool) == -1)
			die("cannot fork the parser child");
		st_parser_child(&m, slow);
	}
	if (want(only, "check"))
		st_check(&m, n);
	if (want(only, "screening"))
		printf("MICRO info flags=%zu\n", st_screening(&m, n));
	if (want(only, "xml_build"))
		st_xml_build(&m, n);
	if (want(only, "encryption"))
		st_encryption(&m, n);
	if (want(only, "form_page"))
		st_form_page(&m, n, share);
	if (conninfo != NULL && want(only, "database")) {
		if ((m.store = store_open(conninfo, 5000)) == NULL)
			die("store_open failed");
		st_database(&m, slow);
		store_close(m.store);
	}
	return 0;
}
