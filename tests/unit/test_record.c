/*
 * test_record.c: an intake sealed as the intake worker seals it, read back
 * by record_load(); its XML export valid against schemas/record.xsd; blobs
 * moved between rows, tampered or sealed to an unknown key fail alone and
 * the record says so.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <sodium.h>

#include "core/buf.h"
#include "crypto/envelope.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/xmlutil.h"
#include "record/record.h"
#include "screen/screen.h"
#include "support/support_answers.h"

#define RECORD_XSD	"schemas/record.xsd"
#define RULES		"schemas/rules-v1.xml"
#define RULES_XSD	"schemas/rules.xsd"

#define SID_A		"6f1c2a4e-8b3d-4c5e-9f60-718293a4b5c6"
#define SID_B		"0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"

#define MAXFLAGS	16

/* One intake as the database would hold it, with its own storage. */
struct sealed {
	char			 sid[37];
	struct buf		 plain;
	unsigned char		*ablob;
	size_t			 ablen;
	unsigned char		*fblob[MAXFLAGS];
	struct record_src_flag	 flags[MAXFLAGS];
	size_t			 nflags;
	struct env_dk		*dk;
};

struct fx {
	char			 root[64];
	char			 keys[96];
	char			 pub[96];
	struct env_pubkey	 pk;
	struct env_keyring	*ring;
	struct formdef		*fd;
	struct ruleset		*rules;
	xmlSchemaPtr		 xsd;
	int32_t			 today;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_setup(void **state)
{
	struct fx	*fx;
	char		 err[512];

	if ((fx = calloc(1, sizeof(*fx))) == NULL || sodium_init() < 0)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/test_record.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->keys, sizeof(fx->keys), "%s/secret", fx->root);
	snprintf(fx->pub, sizeof(fx->pub), "%s/public.key", fx->root);
	if (mkdir(fx->keys, 0700) == -1 ||
	    env_keypair_generate(fx->keys, fx->pub, &fx->pk) != ENV_OK ||
	    env_keyring_load(fx->keys, &fx->ring, err, sizeof(err)) != ENV_OK)
		return -1;
	if ((fx->fd = support_formdef(err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (ruleset_load(RULES, RULES_XSD, fx->fd, &fx->rules, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if ((fx->xsd = xmlu_schema_load(RECORD_XSD, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	fx->today = date_to_days(2025, 6, 15);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	xmlSchemaFree(fx->xsd);
	ruleset_free(fx->rules);
	formdef_free(fx->fd);
	env_keyring_free(fx->ring);
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
xml_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
}

/* A flag's sealed document, as src/intake/submit.c writes it. */
static void
flag_plaintext(const struct ruleset *rs, const struct flag *f,
    struct buf *b)
{
	size_t	 i;

	buf_printf(b, "<flag rule=\"%s\" severity=\"%s\" ruleset=\"%s\"",
	    f->rule->id, severity_name(f->rule->severity), rs->version);
	if (f->rule->severity == SEV_URGENT)
		buf_printf(b, " timeframe=\"%s\"",
		    timeframe_name(f->rule->timeframe));
	buf_puts(b, "><advice>");
	xml_text(b, f->rule->advice ? f->rule->advice : "");
	buf_puts(b, "</advice>");
	for (i = 0; i < f->nareas; i++) {
		buf_puts(b, "<area>");
		xml_text(b, f->areas[i]);
		buf_puts(b, "</area>");
	}
	buf_puts(b, "</flag>");
}

static void
ad_of(const char *sid, const char *purpose, struct env_ad *ad)
{
	memset(ad, 0, sizeof(*ad));
	assert_int_equal(env_uuid_parse(sid, ad->submission_id), 0);
	ad->form_version = 1;
	ad->purpose = purpose;
}

/* Check, screen and seal the answers of pairs as submission sid. */
static void
seal_intake(struct fx *fx, const char *sid, const char *const *pairs,
    long long first_flag_id, struct sealed *s)
{
	struct answers	*a;
	struct flags	 fl;
	struct buf	 sens, fb;
	struct env_ad	 ad;
	char		 err[256];
	size_t		 i;

	memset(s, 0, sizeof(*s));
	memset(&fl, 0, sizeof(fl));
	snprintf(s->sid, sizeof(s->sid), "%s", sid);
	a = support_answers(fx->fd, fx->today, pairs, err, sizeof(err));
	if (a == NULL)
		fail_msg("%s", err);
	snprintf(a->submission_id, sizeof(a->submission_id), "%s", sid);
	a->form_version = 1;
	a->consent_version = 1;
	assert_int_equal(screen_run(fx->rules, a, &fl), 0);
	assert_true(fl.n <= MAXFLAGS);

	buf_init(&s->plain);
	buf_init(&sens);
	buf_init(&fb);
	answers_to_xml(a, ANSWERS_PLAIN, &s->plain);
	answers_to_xml(a, ANSWERS_SENSITIVE, &sens);
	assert_false(buf_failed(&s->plain) || buf_failed(&sens));
	assert_int_equal(env_dk_new(&fx->pk, &s->dk), ENV_OK);
	ad_of(sid, "answers", &ad);
	assert_int_equal(env_seal(s->dk, &ad, sens.data, sens.len, &s->ablob,
	    &s->ablen), ENV_OK);
	ad.purpose = "flag";
	for (i = 0; i < fl.n; i++) {
		buf_reset(&fb);
		flag_plaintext(fx->rules, &fl.v[i], &fb);
		assert_int_equal(env_seal(s->dk, &ad, fb.data, fb.len,
		    &s->fblob[i], &s->flags[i].bloblen), ENV_OK);
		s->flags[i].blob = s->fblob[i];
		s->flags[i].id = first_flag_id + (long long)i;
		s->flags[i].severity = severity_name(fl.v[i].rule->severity);
	}
	s->nflags = fl.n;
	flags_free(&fl);
	answers_free(a);
	buf_wipe_free(&sens);
	buf_wipe_free(&fb);
}

static void
sealed_free(struct sealed *s)
{
	size_t	 i;

	buf_free(&s->plain);
	free(s->ablob);
	for (i = 0; i < s->nflags; i++)
		free(s->fblob[i]);
	env_dk_free(s->dk);
}

/* A note as review.c seals it: a fresh data key, purpose "note". */
static unsigned char *
seal_note(struct fx *fx, const char *sid, long long flag_id,
    const char *text, size_t *len)
{
	struct env_dk	*dk;
	struct env_ad	 ad;
	struct buf	 pt;
	unsigned char	*blob = NULL;

	buf_init(&pt);
	record_note_plaintext(flag_id, text, &pt);
	assert_int_equal(env_dk_new(&fx->pk, &dk), ENV_OK);
	ad_of(sid, RECORD_NOTE_PURPOSE, &ad);
	assert_int_equal(env_seal(dk, &ad, pt.data, pt.len, &blob, len),
	    ENV_OK);
	env_dk_free(dk);
	buf_wipe_free(&pt);
	return blob;
}

static void
src_of(const struct sealed *s, long long intake_id, struct record_src *src)
{
	memset(src, 0, sizeof(*src));
	src->intake_id = intake_id;
	src->submission_id = s->sid;
	src->form_version = 1;
	src->consent_version = 1;
	src->rule_set_version = "1";
	src->reference = "ABCD-2345";
	src->received_at = 1750000000;
	src->plain_xml = s->plain.data;
	src->answers_blob = s->ablob;
	src->answers_bloblen = s->ablen;
	src->flags = s->flags;
	src->nflags = s->nflags;
	src->consent_text = "Example consent text.\nVersion 1 & <all>.";
	src->consent_sha256 =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

/* The export, parsed and checked against the XSD; the document. */
static xmlDoc *
export_valid(struct fx *fx, const struct record *rec)
{
	xmlSchemaValidCtxtPtr	 v;
	xmlDoc			*doc;
	struct buf		 out;

	buf_init(&out);
	buf_puts(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	record_write_xml(rec, 1750000100, &out);
	assert_false(buf_failed(&out));
	doc = xmlReadMemory(out.data, (int)out.len, "record.xml", "UTF-8",
	    XMLU_PARSE_OPTIONS);
	if (doc == NULL)
		fail_msg("export is not well-formed:\n%s", out.data);
	assert_non_null(v = xmlSchemaNewValidCtxt(fx->xsd));
	if (xmlSchemaValidateDoc(v, doc) != 0)
		fail_msg("export is not valid against %s:\n%s", RECORD_XSD,
		    out.data);
	xmlSchemaFreeValidCtxt(v);
	buf_wipe_free(&out);
	return doc;
}

/* Does the export hold s (as text anywhere)? */
static int
export_has(const struct record *rec, const char *s)
{
	struct buf	 out;
	int		 found;

	buf_init(&out);
	record_write_xml(rec, 0, &out);
	found = out.data != NULL && strstr(out.data, s) != NULL;
	buf_wipe_free(&out);
	return found;
}

static const struct record_flag *
flag_by_rule(const struct record *rec, const char *rule)
{
	size_t	 i;

	for (i = 0; i < rec->nflags; i++)
		if (rec->flags[i].part.state == RECORD_READ &&
		    strcmp(rec->flags[i].rule, rule) == 0)
			return &rec->flags[i];
	return NULL;
}

static const char *const flagged[] = {
	"reason_for_visit=Calf pain <since> Monday & \"sore\" \xe2\x80\xae"
	    "reversed\nsecond line",
	"leg_swelling=yes",
	"conditions=varicose_veins skin_problem",
	"condition_areas=left forearm",
	"consent_sensitive_areas=glutes abdomen",
	NULL
};

/* The whole path: sealed, loaded, every part read, the export valid. */
static void
test_record_roundtrip(void **state)
{
	struct fx			*fx = *state;
	struct sealed			 s;
	struct record_src		 src;
	struct record_src_decision	 dec[2];
	struct record_src_consent	 cons[2];
	struct record			*rec = NULL;
	const struct record_flag	*f;
	unsigned char			*n1, *n2;
	size_t				 n1len, n2len, i;
	int				 fi;
	xmlDoc				*doc;

	seal_intake(fx, SID_A, flagged, 100, &s);
	src_of(&s, 7, &src);
	assert_true(s.nflags >= 3);

	/* two decisions on the urgent flag (id 100: flags are sorted) */
	n1 = seal_note(fx, SID_A, 100, "Sent to a walk-in clinic.", &n1len);
	n2 = seal_note(fx, SID_A, 0, "Asked by phone <today>.", &n2len);
	memset(dec, 0, sizeof(dec));
	dec[0] = (struct record_src_decision){ 1, 100, 1750000200, "therapist1",
	    "Robin Therapist", "defer", NULL, 0 };
	dec[1] = (struct record_src_decision){ 2, 100, 1750000300, "therapist1",
	    NULL, "refer", n1, n1len };
	src.decisions = dec;
	src.ndecisions = 2;
	memset(cons, 0, sizeof(cons));
	cons[0] = (struct record_src_consent){ .id = 3, .kind = "given",
	    .version = 1, .treatment = 1, .privacy = 1,
	    .sensitive_areas = "glutes abdomen", .signature_name = "Alex Sample",
	    .recorded_at = 1750000000 };
	cons[1] = (struct record_src_consent){ .id = 4, .kind = "withdrawn",
	    .version = 1, .treatment = 1, .privacy = 1,
	    .sensitive_areas = "abdomen", .recorded_at = 1750000400,
	    .scope = "glutes", .staff = "therapist1", .note_blob = n2,
	    .note_bloblen = n2len };
	src.consents = cons;
	src.nconsents = 2;

	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec), RECORD_OK);
	assert_int_equal(rec->plain.state, RECORD_READ);
	assert_int_equal(rec->sensitive.state, RECORD_READ);

	/* answers: plain and sensitive, decrypted */
	fi = formdef_field(fx->fd, "reason_for_visit");
	assert_true(rec->answers->v[fi].present);
	assert_non_null(strstr(rec->answers->v[fi].text, "Calf pain <since>"));
	fi = formdef_field(fx->fd, "given_name");
	assert_string_equal(rec->answers->v[fi].text, "Alex");
	fi = formdef_field(fx->fd, "leg_swelling");
	assert_true(rec->answers->v[fi].present);

	/* flags: urgent first, advice and areas read */
	assert_int_equal(rec->nflags, s.nflags);
	assert_int_equal(rec->flags[0].severity, SEV_URGENT);
	assert_string_equal(rec->flags[0].rule, "possible_dvt");
	assert_int_equal(rec->flags[0].timeframe, TF_SAME_DAY);
	for (i = 1; i < rec->nflags; i++)
		assert_true(rec->flags[i - 1].severity <= rec->flags[i].severity);
	assert_non_null(f = flag_by_rule(rec, "varicose_veins"));
	assert_int_equal(f->nareas, 2);
	assert_string_equal(f->areas[0], "lower_legs");
	assert_non_null(f = flag_by_rule(rec, "skin_problem"));
	assert_int_equal(f->nareas, 1);
	assert_string_equal(f->areas[0], "left forearm");

	/* decisions: every one kept, oldest first; the note decrypted */
	f = &rec->flags[0];
	assert_int_equal(f->ndecisions, 2);
	assert_int_equal(f->decisions[0].kind, DECISION_DEFER);
	assert_false(f->decisions[0].note.present);
	assert_int_equal(f->decisions[1].kind, DECISION_REFER);
	assert_int_equal(f->decisions[1].note.part.state, RECORD_READ);
	assert_string_equal(f->decisions[1].note.text,
	    "Sent to a walk-in clinic.");

	/* consent: given, then the withdrawal with its note */
	assert_int_equal(rec->nconsents, 2);
	assert_false(rec->consents[0].withdrawn);
	assert_true(rec->consents[1].withdrawn);
	assert_string_equal(rec->consents[1].scope, "glutes");
	assert_string_equal(rec->consents[1].note.text,
	    "Asked by phone <today>.");

	doc = export_valid(fx, rec);
	xmlFreeDoc(doc);
	assert_true(export_has(rec, "rule=\"possible_dvt\""));
	assert_true(export_has(rec, "Calf pain &lt;since&gt; Monday &amp;"));
	assert_true(export_has(rec, "<value code=\"glutes\">"));
	assert_true(export_has(rec, "Version 1 &amp; &lt;all&gt;."));
	assert_false(export_has(rec, "<unreadable"));

	record_free(rec);
	free(n1);
	free(n2);
	sealed_free(&s);
}

/*
 * A ciphertext moved to another intake's row does not open there
 * (ENV_ERR_AUTH: the submission id is associated data); only that part is
 * lost, and both the record and its export say so.
 */
static void
test_record_moved_blob(void **state)
{
	struct fx		*fx = *state;
	struct sealed		 a, b;
	struct record_src	 src;
	struct record		*rec = NULL;
	struct record_src_flag	 fl[MAXFLAGS];
	static const char *const other[] = { "fever_today=yes", NULL };
	int			 fi;
	xmlDoc			*doc;

	seal_intake(fx, SID_A, flagged, 100, &a);
	seal_intake(fx, SID_B, other, 200, &b);
	assert_true(b.nflags >= 1);

	/* B's answers in A's row */
	src_of(&a, 7, &src);
	src.answers_blob = b.ablob;
	src.answers_bloblen = b.ablen;
	/* and B's first flag in place of A's second */
	memcpy(fl, a.flags, sizeof(fl));
	fl[1].blob = b.flags[0].blob;
	fl[1].bloblen = b.flags[0].bloblen;
	src.flags = fl;

	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec), RECORD_OK);
	assert_int_equal(rec->sensitive.state, RECORD_SEALED);
	assert_int_equal(rec->sensitive.err, ENV_ERR_AUTH);
	assert_int_equal(rec->plain.state, RECORD_READ);
	/* nothing of B leaks in, the plain answers are still there */
	fi = formdef_field(fx->fd, "fever_today");
	assert_false(rec->answers->v[fi].present);
	fi = formdef_field(fx->fd, "reason_for_visit");
	assert_false(rec->answers->v[fi].present);
	fi = formdef_field(fx->fd, "given_name");
	assert_true(rec->answers->v[fi].present);
	assert_non_null(strstr(record_part_message(&rec->sensitive),
	    "could not be decrypted"));

	assert_int_equal(rec->flags[0].part.state, RECORD_READ);
	{
		size_t i, sealed = 0;

		for (i = 0; i < rec->nflags; i++)
			if (rec->flags[i].id == 101) {
				assert_int_equal(rec->flags[i].part.state,
				    RECORD_SEALED);
				assert_int_equal(rec->flags[i].part.err,
				    ENV_ERR_AUTH);
				assert_null(rec->flags[i].rule);
				sealed++;
			}
		assert_int_equal(sealed, 1);
	}

	doc = export_valid(fx, rec);
	xmlFreeDoc(doc);
	assert_true(export_has(rec,
	    "<unreadable part=\"sensitive\" reason=\"authentication\">"));
	assert_true(export_has(rec,
	    "<unreadable part=\"flag\" reason=\"authentication\">"));
	record_free(rec);
	sealed_free(&a);
	sealed_free(&b);
}

/* Tampered bytes, an unknown key, a note about another flag. */
static void
test_record_tampered(void **state)
{
	struct fx			*fx = *state;
	struct sealed			 a;
	struct record_src		 src;
	struct record_src_decision	 dec;
	struct record			*rec = NULL;
	struct env_pubkey		 otherpk;
	struct env_dk			*dk;
	struct env_ad			 ad;
	unsigned char			*blob, *note, *alien = NULL;
	size_t				 alen, nlen;
	char				 dir[128], pub[128];

	seal_intake(fx, SID_A, flagged, 100, &a);

	/* one bit flipped in the ciphertext */
	blob = malloc(a.ablen);
	memcpy(blob, a.ablob, a.ablen);
	blob[a.ablen - 1] ^= 1;
	src_of(&a, 7, &src);
	src.answers_blob = blob;
	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec), RECORD_OK);
	assert_int_equal(rec->sensitive.err, ENV_ERR_AUTH);
	record_free(rec);
	free(blob);

	/* sealed to a key pair the clinic does not hold */
	snprintf(dir, sizeof(dir), "%s/other", fx->root);
	snprintf(pub, sizeof(pub), "%s/other.key", fx->root);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(env_keypair_generate(dir, pub, &otherpk), ENV_OK);
	assert_int_equal(env_dk_new(&otherpk, &dk), ENV_OK);
	ad_of(SID_A, "answers", &ad);
	assert_int_equal(env_seal(dk, &ad, "<x/>", 4, &alien, &alen), ENV_OK);
	env_dk_free(dk);
	src.answers_blob = alien;
	src.answers_bloblen = alen;
	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec), RECORD_OK);
	assert_int_equal(rec->sensitive.state, RECORD_SEALED);
	assert_int_equal(rec->sensitive.err, ENV_ERR_NOKEY);
	xmlFreeDoc(export_valid(fx, rec));
	record_free(rec);
	free(alien);

	/* a note written about flag 101, stored on a decision of flag 100 */
	src_of(&a, 7, &src);
	note = seal_note(fx, SID_A, 101, "About another flag.", &nlen);
	dec = (struct record_src_decision){ 1, 100, 1750000200, "t", NULL,
	    "defer", note, nlen };
	src.decisions = &dec;
	src.ndecisions = 1;
	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec), RECORD_OK);
	assert_int_equal(rec->flags[0].decisions[0].note.part.state,
	    RECORD_MALFORMED);
	assert_null(rec->flags[0].decisions[0].note.text);
	xmlFreeDoc(export_valid(fx, rec));
	assert_false(export_has(rec, "About another flag."));
	record_free(rec);
	free(note);

	/* a decision naming a flag of no such intake: the caller's bug */
	dec = (struct record_src_decision){ 1, 999, 1750000200, "t", NULL,
	    "defer", NULL, 0 };
	assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec),
	    RECORD_ERR_INPUT);
	assert_null(rec);
	sealed_free(&a);
}

/* Plain answers that are not what the intake worker writes. */
static void
test_record_plain_malformed(void **state)
{
	struct fx		*fx = *state;
	struct sealed		 a;
	struct record_src	 src;
	struct record		*rec = NULL;
	static const char *const bad[] = {
		/* a sensitive answer among the plain ones */
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_A "\" form_version=\"1\" consent_version=\"1\">"
		    "<reason_for_visit>x</reason_for_visit></intake>",
		/* another submission's */
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_B "\" form_version=\"1\" consent_version=\"1\">"
		    "<given_name>Alex</given_name></intake>",
		"<!DOCTYPE intake><intake/>",
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_A "\" form_version=\"1\" consent_version=\"1\">"
		    "<given_name>&xxe;</given_name></intake>",
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_A "\" form_version=\"1\" consent_version=\"1\">"
		    "<no_such_question>1</no_such_question></intake>",
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_A "\" form_version=\"1\" consent_version=\"1\">"
		    "<massage_type>hot_stones</massage_type></intake>",
		"<intake xmlns=\"urn:clinic-intake:intake:1\" submission_id=\""
		    SID_A "\" form_version=\"1\" consent_version=\"1\">"
		    "<given_name>Alex</given_name>",
		"",
	};
	size_t			 i;

	seal_intake(fx, SID_A, flagged, 100, &a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		src_of(&a, 7, &src);
		src.plain_xml = bad[i];
		assert_int_equal(record_load(fx->fd, fx->ring, &src, &rec),
		    RECORD_OK);
		if (rec->plain.state != RECORD_MALFORMED)
			fail_msg("plain document %zu was accepted", i);
		/* the sealed part is read all the same */
		assert_int_equal(rec->sensitive.state, RECORD_READ);
		xmlFreeDoc(export_valid(fx, rec));
		record_free(rec);
	}
	sealed_free(&a);
}

static void
test_record_decisions(void **state)
{
	static const struct {
		enum severity	 sev;
		const char	*decision;
		int		 allowed;
	} t[] = {
		{ SEV_URGENT, "defer", 1 }, { SEV_URGENT, "refer", 1 },
		{ SEV_URGENT, "proceed", 0 }, { SEV_URGENT, "modify", 0 },
		{ SEV_URGENT, "avoid_area", 0 },
		{ SEV_NO_MASSAGE, "refer", 1 }, { SEV_NO_MASSAGE, "proceed", 0 },
		{ SEV_CLEARANCE, "proceed", 1 }, { SEV_LOCAL, "avoid_area", 1 },
		{ SEV_CAUTION, "modify", 1 }, { SEV_CAUTION, "defer", 1 },
	};
	size_t	 i;
	int	 k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		k = record_decision_parse(t[i].decision);
		assert_true(k >= 0);
		assert_string_equal(record_decision_name(k), t[i].decision);
		assert_int_equal(record_decision_allowed(t[i].sev, k),
		    t[i].allowed);
	}
	assert_int_equal(record_decision_parse("approve"), -1);
	assert_int_equal(record_decision_parse(""), -1);
	assert_int_equal(record_decision_parse(NULL), -1);
}

static void
test_record_note_check(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: refused */
	} t[] = {
		{ "  fine\r\nnext\rlast \n", "fine\nnext\nlast" },
		{ "tab\tkept", "tab\tkept" },
		{ "", "" },
		{ "bell\a", NULL },
		{ "nul-free but \x1b escape", NULL },
		{ "bad \xff utf-8", NULL },
		{ "c1 \xc2\x85 control", NULL },
		{ "\xe2\x80\xae bidi is text", "\xe2\x80\xae bidi is text" },
	};
	char	 s[64], *big;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(s, sizeof(s), "%s", t[i].in);
		if (t[i].out == NULL)
			assert_int_equal(record_note_check(s), -1);
		else {
			assert_int_equal(record_note_check(s), 0);
			assert_string_equal(s, t[i].out);
		}
	}
	big = malloc(RECORD_NOTE_MAX + 2);
	memset(big, 'x', RECORD_NOTE_MAX + 1);
	big[RECORD_NOTE_MAX + 1] = '\0';
	assert_int_equal(record_note_check(big), -1);
	big[RECORD_NOTE_MAX] = '\0';
	assert_int_equal(record_note_check(big), 0);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_moved_blob),
		cmocka_unit_test(test_record_tampered),
		cmocka_unit_test(test_record_plain_malformed),
		cmocka_unit_test(test_record_decisions),
		cmocka_unit_test(test_record_note_check),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
