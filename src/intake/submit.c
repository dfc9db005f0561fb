/*
 * submit.c: POST /intake/submissions, both front doors.
 *
 *   form post -> formpost_decode -> <intake> document --+   in the
 *   XML post ---------------------------------------------+-> sandboxed
 *                                         intake_parse <--+   parser child
 *   -> answers re-checked -> answers_check -> screen_run -> seal
 *   -> store_submit (one round trip)
 *
 * Nothing is stored unless every check passed; every failure answers with
 * what api.md says, and a form post gets its form back with every value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "crypto/envelope.h"
#include "crypto/token.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
#include "intake/intake.h"
#include "intake/pages.h"
#include "screen/screen.h"
#include "store/store.h"

enum front { FRONT_FORM, FRONT_XML };

struct submission {
	enum front		 front;
	char			*body;
	size_t			 bodylen;
	struct raw_values	 raw;		/* as sent, for the form again */
	struct answers		*a;
	struct verrs		 errs;
	struct flags		 flags;
};

void
intake_xml_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default: buf_putc(b, *s);
		}
}

/* ---- answering ---- */

static void
xml_errors(struct intake_app *app, struct response *resp, int status,
    const struct verrs *errs, const char *field, const char *message)
{
	size_t	 i;

	response_reset(resp);
	resp->status = status;
	response_type(resp, "application/xml; charset=utf-8", 1);
	if (status == 503)
		response_header(resp, "Retry-After", "30");
	buf_puts(&resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<errors>\n");
	for (i = 0; errs != NULL && i < errs->n; i++) {
		const struct verr *e = &errs->v[i];

		if (e->code == VE_STRUCTURE) {
			buf_puts(&resp->body, "  <error xpath=\"");
			intake_xml_text(&resp->body, e->name ? e->name : "/");
			buf_putc(&resp->body, '"');
			if (e->line > 0)
				buf_printf(&resp->body, " line=\"%d\"", e->line);
			buf_putc(&resp->body, '>');
		} else {
			buf_puts(&resp->body, "  <error field=\"");
			intake_xml_text(&resp->body, e->name ? e->name : "");
			buf_puts(&resp->body, "\">");
		}
		intake_xml_text(&resp->body,
		    verr_message(e->code, app->fd, e->field));
		buf_puts(&resp->body, "</error>\n");
	}
	if (message != NULL) {
		buf_puts(&resp->body, "  <error");
		if (field != NULL)
			buf_printf(&resp->body, " field=\"%s\"", field);
		buf_putc(&resp->body, '>');
		intake_xml_text(&resp->body, message);
		buf_puts(&resp->body, "</error>\n");
	}
	buf_puts(&resp->body, "</errors>\n");
}

static const char *
status_message(int status)
{
	switch (status) {
	case 400:
		return "The document could not be read: it must be well-formed "
		    "UTF-8 XML with no DOCTYPE.";
	case 413:
		return "The document is larger than this service accepts.";
	case 415:
		return "Send application/xml, text/xml or a form post.";
	case 409:
		return "An intake with this submission_id was already received "
		    "with different answers. Send the corrected intake with a "
		    "new submission_id.";
	case 503:
		return "The service cannot save intakes right now. Nothing was "
		    "saved. Please try again shortly.";
	default:
		return "Something went wrong on our side. Nothing was saved.";
	}
}

/* A failure with no form to show again: a page or an <errors> document. */
static void
fail(struct intake_app *app, struct submission *s, struct response *resp,
    int status)
{
	if (s->front == FRONT_XML)
		xml_errors(app, resp, status, NULL, NULL,
		    status_message(status));
	else
		intake_error_page(app, resp, status);
}

/* The form again, with everything the patient sent (422, 409, 503). */
static void
form_again(struct intake_app *app, struct submission *s,
    struct response *resp, int status, enum form_banner banner)
{
	struct page_consent	 pcons;
	struct page_clinic	 pc;
	struct form_page	 fp;
	char			 sid[37];
	const char		*use_sid = s->raw.submission_id;

	response_reset(resp);
	resp->status = status;
	response_type(resp, "text/html; charset=utf-8", 1);
	if (status == 503)
		response_header(resp, "Retry-After", "30");
	/* 409: a fresh id, so sending again files a new, corrected intake */
	if (banner == BANNER_CONFLICT || use_sid == NULL ||
	    env_uuid_parse(use_sid, (unsigned char[16]){0}) == -1) {
		intake_new_uuid(sid);
		use_sid = sid;
	}
	pc.name = app->cfg.clinic_name ? app->cfg.clinic_name : "the clinic";
	pc.phone = app->cfg.clinic_phone ? app->cfg.clinic_phone : "";
	pcons.version = app->consent_version;
	pcons.text = app->consent_text ? app->consent_text : "";
	pcons.sha256 = app->consent_sha;
	memset(&fp, 0, sizeof(fp));
	fp.fd = app->fd;
	fp.consent = &pcons;
	fp.clinic = &pc;
	fp.submission_id = use_sid;
	fp.invite = s->raw.invite;
	fp.raw = &s->raw;
	fp.errs = banner == BANNER_ERRORS ? &s->errs : NULL;
	fp.banner = banner;
	page_form(&resp->body, &fp);
}

static void
receipt_xml(struct response *resp, const struct store_receipt *rc,
    const struct flags *fl)
{
	char	 when[48];
	size_t	 i, n = 0;

	intake_rfc3339(rc->received_at, when, sizeof(when));
	buf_printf(&resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<receipt reference=\"%s\" received=\"%s\"", rc->reference, when);
	for (i = 0; i < fl->n; i++) {
		const struct rule *r = fl->v[i].rule;

		if (r->severity != SEV_URGENT)
			continue;
		if (n++ == 0)
			buf_puts(&resp->body, ">\n");
		buf_printf(&resp->body, "  <advice severity=\"urgent\" "
		    "rule=\"%s\" timeframe=\"%s\">", r->id,
		    timeframe_name(r->timeframe));
		intake_xml_text(&resp->body,
		    r->patient_advice ? r->patient_advice : r->advice);
		buf_puts(&resp->body, "</advice>\n");
	}
	buf_puts(&resp->body, n == 0 ? "/>\n" : "</receipt>\n");
}

/* ---- sealing and storing ---- */

/* A flag as the clinic will read it; sealed, never stored in clear. */
static void
flag_plaintext(const struct ruleset *rs, const struct flag *f,
    struct buf *b)
{
	size_t	 i;

	buf_printf(b, "<flag rule=\"%s\" severity=\"%s\" ruleset=\"",
	    f->rule->id, severity_name(f->rule->severity));
	intake_xml_text(b, rs->version);
	buf_putc(b, '"');
	if (f->rule->severity == SEV_URGENT)
		buf_printf(b, " timeframe=\"%s\"",
		    timeframe_name(f->rule->timeframe));
	buf_puts(b, "><advice>");
	intake_xml_text(b, f->rule->advice ? f->rule->advice : "");
	buf_puts(b, "</advice>");
	for (i = 0; i < f->nareas; i++) {
		buf_puts(b, "<area>");
		intake_xml_text(b, f->areas[i]);
		buf_puts(b, "</area>");
	}
	buf_puts(b, "</flag>");
}

static const char *
text_or_null(const struct answers *a, int field)
{
	if (field < 0 || !a->v[field].present)
		return NULL;
	return a->v[field].text;
}

/* "glutes abdomen" from a multi answer; "" when none. */
static void
multi_words(const struct answers *a, const char *id, struct buf *out)
{
	int	 f = formdef_field(a->fd, id);

	if (f >= 0)
		answers_value_text(a, f, out);
	if (out->data == NULL)
		buf_puts(out, "");
}

static int
choice_is(const struct answers *a, const char *id, const char *value)
{
	int		 f = formdef_field(a->fd, id), c;

	if (f < 0 || !a->v[f].present)
		return 0;
	c = fd_choice_index(&a->fd->fields[f], value, strlen(value));
	return c >= 0 && (a->v[f].mask & ((uint64_t)1 << c));
}

static void
reference_code(char out[10])
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
	size_t	 i, o = 0;

	for (i = 0; i < 8; i++) {
		if (i == 4)
			out[o++] = '-';
		out[o++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	}
	out[o] = '\0';
}

/*
 * Seal and store. Returns the HTTP outcome: 0 stored or same (rc filled),
 * 409, 503 or 500.
 */
static int
seal_and_store(struct intake_app *app, struct submission *s,
    char token[TOKEN_TEXTLEN + 1], struct store_receipt *rc)
{
	struct answers		*a = s->a;
	struct buf		 all, plain, sens, fb, urgent, areas;
	struct env_dk		*dk = NULL;
	struct env_ad		 ad;
	struct store_submission	 sub;
	struct store_flag	*sf = NULL;
	unsigned char		 ahash[32], rhash[TOKEN_HASHLEN];
	unsigned char		 ihash[TOKEN_HASHLEN];
	unsigned char		*ablob = NULL, *useal = NULL;
	unsigned char		**fblobs = NULL;
	size_t			 ablen = 0, uslen = 0, i;
	char			 ref[10], dob[11];
	enum store_outcome	 out;
	enum store_err		 se;
	int			 status = 500, y, m, d;

	buf_init(&all);
	buf_init(&plain);
	buf_init(&sens);
	buf_init(&fb);
	buf_init(&urgent);
	buf_init(&areas);
	memset(&sub, 0, sizeof(sub));

	/* Same answers, same hash, same receipt token: a resend lands on
	 * the receipt of the first success without the token being stored. */
	answers_to_xml(a, ANSWERS_ALL, &all);
	answers_to_xml(a, ANSWERS_PLAIN, &plain);
	answers_to_xml(a, ANSWERS_SENSITIVE, &sens);
	if (buf_failed(&all) || buf_failed(&plain) || buf_failed(&sens))
		goto out;
	crypto_generichash(ahash, sizeof(ahash), (unsigned char *)all.data,
	    all.len, app->secret, 32);
	token_derive(app->secret, "receipt", ahash, sizeof(ahash), token);
	token_hash(token, rhash);

	memset(&ad, 0, sizeof(ad));
	if (env_uuid_parse(a->submission_id, ad.submission_id) == -1)
		goto out;
	ad.form_version = a->form_version;
	if (env_dk_new(&app->pk, &dk) != ENV_OK)
		goto out;
	ad.purpose = "answers";
	if (env_seal(dk, &ad, sens.data, sens.len, &ablob, &ablen) != ENV_OK)
		goto out;

	if (s->flags.n > 0) {
		sf = calloc(s->flags.n, sizeof(*sf));
		fblobs = calloc(s->flags.n, sizeof(*fblobs));
		if (sf == NULL || fblobs == NULL)
			goto out;
	}
	ad.purpose = "flag";
	for (i = 0; i < s->flags.n; i++) {
		const struct rule *r = s->flags.v[i].rule;

		buf_reset(&fb);
		flag_plaintext(app->rules, &s->flags.v[i], &fb);
		if (buf_failed(&fb) || env_seal(dk, &ad, fb.data, fb.len,
		    &fblobs[i], &sf[i].bloblen) != ENV_OK)
			goto out;
		sf[i].blob = fblobs[i];
		sf[i].severity = severity_name(r->severity);
		if (r->severity == SEV_URGENT)
			buf_printf(&urgent, "%s\n", r->id);
	}
	if (urgent.len > 0 && token_seal(token, urgent.data, urgent.len,
	    &useal, &uslen) == -1)
		goto out;

	reference_code(ref);
	days_to_date(a->v[app->fd->f_date_of_birth].day, &y, &m, &d);
	snprintf(dob, sizeof(dob), "%04d-%02d-%02d", y, m, d);
	multi_words(a, "consent_sensitive_areas", &areas);

	sub.submission_id = a->submission_id;
	sub.form_version = a->form_version;
	sub.consent_version = a->consent_version;
	sub.rule_set_version = app->rules->version;
	sub.answers_hash = ahash;
	sub.receipt_hash = rhash;
	sub.reference = ref;
	if (a->invite[0] != '\0' && token_check(a->invite,
	    strlen(a->invite)) == 0) {
		token_hash(a->invite, ihash);
		sub.invite_hash = ihash;
	}
	sub.given_name = text_or_null(a, app->fd->f_given_name);
	sub.family_name = text_or_null(a, app->fd->f_family_name);
	sub.date_of_birth = dob;
	sub.email = text_or_null(a, formdef_field(app->fd, "email"));
	sub.phone = text_or_null(a, formdef_field(app->fd, "phone"));
	sub.plain_xml = plain.data;
	sub.key_id = app->pk.id;
	sub.answers_blob = ablob;
	sub.answers_bloblen = ablen;
	sub.urgent_sealed = useal;
	sub.urgent_sealedlen = uslen;
	sub.highest_severity = s->flags.n > 0 ?
	    severity_name(s->flags.v[0].rule->severity) : NULL;
	sub.flags = sf;
	sub.nflags = s->flags.n;
	sub.consent_treatment = choice_is(a, "consent_treatment", "agree");
	sub.consent_privacy = choice_is(a, "consent_privacy", "agree");
	sub.consent_sensitive_areas = areas.data;
	sub.signature_name = text_or_null(a, app->fd->f_signature_name);
	sub.guardian_name = text_or_null(a, app->fd->f_guardian_name);
	sub.guardian_relationship = text_or_null(a,
	    formdef_field(app->fd, "guardian_relationship"));

	se = store_submit(app->store, &sub, &out, rc);
	if (se == STORE_UNAVAILABLE)
		status = 503;
	else if (se != STORE_OK)
		status = 500;
	else if (out == STORE_CONFLICT)
		status = 409;
	else
		status = 0;
	log_info("submission %s: %s", a->submission_id,
	    status == 0 ? (out == STORE_NEW ? "stored" : "repeat") :
	    status == 409 ? "conflict" : status == 503 ? "database unavailable" :
	    "store error");
out:
	for (i = 0; fblobs != NULL && i < s->flags.n; i++)
		free(fblobs[i]);
	free(fblobs);
	free(sf);
	free(ablob);
	free(useal);
	env_dk_free(dk);
	buf_wipe_free(&all);
	buf_wipe_free(&plain);
	buf_wipe_free(&sens);
	buf_wipe_free(&fb);
	buf_wipe_free(&urgent);
	buf_free(&areas);
	return status;
}

static int
has_structure_error(const struct verrs *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].code == VE_STRUCTURE)
			return 1;
	return 0;
}

void
intake_submit(struct intake_app *app, struct request *req,
    struct response *resp)
{
	struct submission	 s;
	struct store_receipt	 rc;
	char			 mtype[64], token[TOKEN_TEXTLEN + 1];
	char			 loc[128];
	enum body_result	 br;
	int			 status;

	memset(&s, 0, sizeof(s));
	memset(&rc, 0, sizeof(rc));

	http_media_type(req->content_type, mtype, sizeof(mtype));
	if (strcmp(mtype, "application/x-www-form-urlencoded") == 0)
		s.front = FRONT_FORM;
	else if (strcmp(mtype, "application/xml") == 0 ||
	    strcmp(mtype, "text/xml") == 0)
		s.front = FRONT_XML;
	else {
		/* which page to show: what the client says it takes */
		s.front = http_wants_xml(req->accept) ? FRONT_XML : FRONT_FORM;
		fail(app, &s, resp, 415);
		goto out;
	}
	if (req->length_bad) {
		fail(app, &s, resp, 400);
		goto out;
	}
	br = http_read_body(req, app->cfg.body_limit, &s.body, &s.bodylen);
	if (br != BODY_OK) {
		fail(app, &s, resp, br == BODY_TOO_LARGE ? 413 :
		    br == BODY_SHORT ? 400 : 500);
		goto out;
	}

	if ((s.a = answers_new(app->fd)) == NULL) {
		fail(app, &s, resp, 500);
		goto out;
	}
	/* Untrusted bytes are parsed in the sandboxed child, never here. */
	switch (parse_run(&app->pool, s.front == FRONT_FORM ? PARSE_FORM :
	    PARSE_XML, s.body, s.bodylen, &s.raw, s.a, &s.errs)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		if (s.front == FRONT_XML)
			xml_errors(app, resp, 400, NULL, NULL,
			    status_message(400));
		else
			fail(app, &s, resp, 400);
		goto out;
	default:
		fail(app, &s, resp, 500);
		goto out;
	}

	/* The consent in force decides what consent_version must say. */
	if (intake_consent(app) == -1) {
		if (s.front == FRONT_XML)
			xml_errors(app, resp, 503, NULL, NULL,
			    status_message(503));
		else
			form_again(app, &s, resp, 503, BANNER_RETRY);
		goto out;
	}
	if (!has_structure_error(&s.errs))
		/* "today" is the clinic's (TZ is set at start) */
		answers_check(s.a, date_today(time(NULL)),
		    app->consent_version, &s.errs);
	if (s.errs.n > 0) {
		log_info("submission refused: %zu problem(s)", s.errs.n);
		if (s.front == FRONT_XML)
			xml_errors(app, resp, 422, &s.errs, NULL, NULL);
		else
			form_again(app, &s, resp, 422, BANNER_ERRORS);
		goto out;
	}

	if (screen_run(app->rules, s.a, &s.flags) == -1) {
		fail(app, &s, resp, 500);
		goto out;
	}
	status = seal_and_store(app, &s, token, &rc);
	if (status == 409 || status == 503) {
		if (s.front == FRONT_XML)
			xml_errors(app, resp, status, NULL,
			    status == 409 ? "submission_id" : NULL,
			    status_message(status));
		else
			form_again(app, &s, resp, status, status == 409 ?
			    BANNER_CONFLICT : BANNER_RETRY);
		goto out;
	}
	if (status != 0) {
		fail(app, &s, resp, 500);
		goto out;
	}

	snprintf(loc, sizeof(loc), "/intake/receipts/%s", token);
	response_header(resp, "Location", loc);
	if (s.front == FRONT_FORM) {
		resp->status = 303;
		response_type(resp, "text/plain; charset=utf-8", 1);
		buf_puts(&resp->body, "Thank you. Your intake was received.\n");
	} else {
		resp->status = 201;
		response_type(resp, "application/xml; charset=utf-8", 1);
		receipt_xml(resp, &rc, &s.flags);
	}
out:
	sodium_memzero(token, sizeof(token));
	store_receipt_clear(&rc);
	flags_free(&s.flags);
	answers_free(s.a);
	verrs_free(&s.errs);
	raw_values_free(app->fd, &s.raw);
	if (s.body != NULL) {
		sodium_memzero(s.body, s.bodylen);
		free(s.body);
	}
}
