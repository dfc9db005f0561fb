/*
 * handlers.c: routing of /intake/ and the pages that are not the
 * submission itself (form, invite, consent, schema, health, receipt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "crypto/token.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "intake/intake.h"
#include "intake/pages.h"
#include "screen/screen.h"
#include "store/store.h"

#define RECEIPT_PREFIX	"/intake/receipts/"

void
intake_new_uuid(char out[37])
{
	unsigned char	 u[16];

	randombytes_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

void
intake_rfc3339(time_t t, char *out, size_t outsz)
{
	struct tm	 tm;
	char		 z[8];
	size_t		 n;

	localtime_r(&t, &tm);
	n = strftime(out, outsz, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);	/* -0500 -> -05:00 */
	snprintf(out + n, outsz - n, "%.3s:%.2s", z, z + 3);
}

static void
intake_human_time(time_t t, char *out, size_t outsz)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(out, outsz, "%A %e %B %Y at %H:%M (%Z)", &tm);
}

/* Load or refresh this child's copy of the consent text in force. */
int
intake_consent(struct intake_app *app)
{
	struct store_consent	 c;
	time_t			 now = time(NULL);

	if (app->consent_version != 0 &&
	    now - app->consent_at < INTAKE_CONSENT_TTL)
		return 0;
	memset(&c, 0, sizeof(c));
	if (store_consent_current(app->store, &c) != STORE_OK)
		return app->consent_version != 0 ? 0 : -1;
	free(app->consent_text);
	app->consent_text = c.text;
	c.text = NULL;
	app->consent_version = c.version;
	memcpy(app->consent_sha, c.sha256, sizeof(app->consent_sha));
	app->consent_at = now;
	store_consent_clear(&c);
	return 0;
}

static void
intake_page_clinic(const struct intake_app *app, struct page_clinic *pc)
{
	pc->name = app->cfg.clinic_name ? app->cfg.clinic_name : "the clinic";
	pc->phone = app->cfg.clinic_phone ? app->cfg.clinic_phone : "";
}

void
intake_error_page(struct intake_app *app, struct response *resp, int status)
{
	struct page_clinic	 pc;

	intake_page_clinic(app, &pc);
	response_reset(resp);
	resp->status = status;
	response_type(resp, "text/html; charset=utf-8", 1);
	if (status == 503)
		response_header(resp, "Retry-After", "30");
	page_error(&resp->body, status, &pc);
}

static void
intake_allow(struct intake_app *app, struct response *resp, const char *allow)
{
	intake_error_page(app, resp, 405);
	response_header(resp, "Allow", allow);
}

/*
 * The blank form (no invite) is the same page for every patient but for
 * its submission_id: it is rendered once per consent text and copied,
 * with a fresh id written over the placeholder's. 0 when app->blank holds
 * it for the consent in force.
 */
#define INTAKE_SID_PLACEHOLDER	"00000000-0000-4000-8000-000000000000"

static int
intake_blank_form(struct intake_app *app, const struct form_page *tmpl)
{
	struct form_page	 fp = *tmpl;
	const char		*at;
	size_t			 plen = strlen(INTAKE_SID_PLACEHOLDER);

	if (app->blank_version == app->consent_version &&
	    strcmp(app->blank_sha, app->consent_sha) == 0)
		return 0;
	app->blank_version = 0;
	buf_free(&app->blank);
	fp.submission_id = INTAKE_SID_PLACEHOLDER;
	page_form(&app->blank, &fp);
	if (buf_failed(&app->blank) || app->blank.data == NULL ||
	    (at = memmem(app->blank.data, app->blank.len,
	    INTAKE_SID_PLACEHOLDER, plen)) == NULL ||
	    memmem(at + plen, app->blank.len - (size_t)(at -
	    app->blank.data) - plen, INTAKE_SID_PLACEHOLDER, plen) != NULL) {
		buf_free(&app->blank);	/* not exactly once: render each time */
		return -1;
	}
	app->blank_sid_at = (size_t)(at - app->blank.data);
	app->blank_version = app->consent_version;
	memcpy(app->blank_sha, app->consent_sha, sizeof(app->blank_sha));
	return 0;
}

static void
intake_form(struct intake_app *app, struct request *req, struct response *resp)
{
	struct page_consent	 pcons;
	struct page_clinic	 pc;
	struct form_page	 fp;
	struct buf		 invite;
	unsigned char		 h[TOKEN_HASHLEN];
	char			 sid[37];
	int			 r;

	buf_init(&invite);
	r = http_query_param(req->query, "invite", &invite);
	if (r == 1 || r == -1) {
		enum store_err se = STORE_NOT_FOUND;

		if (r == 1 && token_check(invite.data, invite.len) == 0) {
			token_hash(invite.data, h);
			se = store_invite_valid(app->store, h);
		}
		if (se == STORE_UNAVAILABLE) {
			intake_error_page(app, resp, 503);
			goto out;
		}
		if (se != STORE_OK) {
			intake_page_clinic(app, &pc);
			resp->status = 404;
			response_type(resp, "text/html; charset=utf-8", 1);
			page_invite_invalid(&resp->body, &pc);
			goto out;
		}
	}
	if (intake_consent(app) == -1) {
		intake_error_page(app, resp, 503);
		goto out;
	}
	intake_page_clinic(app, &pc);
	pcons.version = app->consent_version;
	pcons.text = app->consent_text;
	pcons.sha256 = app->consent_sha;
	intake_new_uuid(sid);
	memset(&fp, 0, sizeof(fp));
	fp.fd = app->fd;
	fp.consent = &pcons;
	fp.clinic = &pc;
	fp.submission_id = sid;
	fp.invite = r == 1 ? invite.data : NULL;
	resp->status = 200;
	response_type(resp, "text/html; charset=utf-8", 1);
	if (r == 0 && intake_blank_form(app, &fp) == 0) {
		size_t	 start = resp->body.len;

		buf_add(&resp->body, app->blank.data, app->blank.len);
		if (!buf_failed(&resp->body))
			memcpy(resp->body.data + start + app->blank_sid_at, sid,
			    strlen(sid));
	} else
		page_form(&resp->body, &fp);
out:
	buf_free(&invite);
}

static void
intake_consent_page(struct intake_app *app, struct response *resp)
{
	struct page_consent	 pcons;
	struct page_clinic	 pc;

	if (intake_consent(app) == -1) {
		intake_error_page(app, resp, 503);
		return;
	}
	intake_page_clinic(app, &pc);
	pcons.version = app->consent_version;
	pcons.text = app->consent_text;
	pcons.sha256 = app->consent_sha;
	response_type(resp, "text/html; charset=utf-8", 0);
	page_consent(&resp->body, &pcons, &pc);
}

/*
 * The receipt: its token is the only key to it. The urgent advice comes
 * from rule ids sealed under that token, so the database holds none of it
 * in clear.
 */
void
intake_receipt(struct intake_app *app, struct request *req,
    struct response *resp, const char *token)
{
	struct store_receipt	 rc;
	struct receipt_advice	 adv[16];
	struct receipt_page	 rp;
	struct page_clinic	 pc;
	unsigned char		 h[TOKEN_HASHLEN], *pt = NULL;
	size_t			 ptlen = 0, n = 0, i;
	char			 when[80], *line, *save = NULL;
	enum store_err		 se;

	memset(&rc, 0, sizeof(rc));
	if (token_check(token, strlen(token)) == -1) {
		intake_error_page(app, resp, 404);
		return;
	}
	token_hash(token, h);
	if ((se = store_receipt_get(app->store, h, &rc)) != STORE_OK) {
		intake_error_page(app, resp, se == STORE_NOT_FOUND ? 404 :
		    se == STORE_UNAVAILABLE ? 503 : 500);
		return;
	}
	if (rc.urgent_sealed != NULL &&
	    token_open(token, rc.urgent_sealed, rc.urgent_sealedlen, &pt,
	    &ptlen) == 0) {
		/* "rule_id\n" per urgent flag, most urgent first */
		for (line = strtok_r((char *)pt, "\n", &save); line != NULL &&
		    n < sizeof(adv) / sizeof(adv[0]);
		    line = strtok_r(NULL, "\n", &save)) {
			const struct rule *r = ruleset_find(app->rules, line);

			if (r == NULL || r->severity != SEV_URGENT)
				continue;
			adv[n].rule_id = r->id;
			adv[n].timeframe = timeframe_name(r->timeframe);
			adv[n].patient_advice = r->patient_advice ?
			    r->patient_advice : r->advice;
			n++;
		}
	}
	if (http_wants_xml(req->accept)) {
		intake_rfc3339(rc.received_at, when, sizeof(when));
		response_type(resp, "application/xml; charset=utf-8", 1);
		buf_printf(&resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<receipt reference=\"%s\" received=\"%s\"", rc.reference,
		    when);
		if (n == 0)
			buf_puts(&resp->body, "/>\n");
		else {
			buf_puts(&resp->body, ">\n");
			for (i = 0; i < n; i++) {
				buf_printf(&resp->body, "  <advice severity="
				    "\"urgent\" rule=\"%s\" timeframe=\"%s\">",
				    adv[i].rule_id, adv[i].timeframe);
				intake_xml_text(&resp->body,
				    adv[i].patient_advice);
				buf_puts(&resp->body, "</advice>\n");
			}
			buf_puts(&resp->body, "</receipt>\n");
		}
	} else {
		intake_human_time(rc.received_at, when, sizeof(when));
		intake_page_clinic(app, &pc);
		rp.clinic = &pc;
		rp.reference = rc.reference;
		rp.received = when;
		rp.advice = adv;
		rp.nadvice = n;
		response_type(resp, "text/html; charset=utf-8", 1);
		page_receipt(&resp->body, &rp);
	}
	if (pt != NULL) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	store_receipt_clear(&rc);
}

static int
is_get(const struct request *req)
{
	return strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;
}

void
intake_handle(void *arg, struct request *req, struct response *resp)
{
	struct intake_app	*app = arg;
	const char		*p = req->path;

	if (strcmp(p, "/intake/submissions") == 0) {
		if (strcmp(req->method, "POST") != 0)
			intake_allow(app, resp, "POST");
		else
			intake_submit(app, req, resp);
		return;
	}
	if (strcmp(p, "/intake/") == 0 || strcmp(p, "/intake") == 0 ||
	    strcmp(p, "/intake/schema.xsd") == 0 ||
	    strcmp(p, "/intake/consent") == 0 ||
	    strcmp(p, "/intake/healthz") == 0 ||
	    strncmp(p, RECEIPT_PREFIX, strlen(RECEIPT_PREFIX)) == 0) {
		if (!is_get(req)) {
			intake_allow(app, resp, "GET, HEAD");
			return;
		}
	} else {
		intake_error_page(app, resp, 404);
		return;
	}

	if (strcmp(p, "/intake/") == 0 || strcmp(p, "/intake") == 0)
		intake_form(app, req, resp);
	else if (strcmp(p, "/intake/schema.xsd") == 0) {
		response_type(resp, "application/xml; charset=utf-8", 0);
		buf_add(&resp->body, app->schema_xsd, app->schema_len);
	} else if (strcmp(p, "/intake/consent") == 0)
		intake_consent_page(app, resp);
	else if (strcmp(p, "/intake/healthz") == 0) {
		int up = store_ping(app->store) == STORE_OK;

		resp->status = up ? 200 : 503;
		response_type(resp, "text/plain; charset=utf-8", 1);
		if (!up)
			response_header(resp, "Retry-After", "30");
		buf_puts(&resp->body, up ? "ok\n" : "database unavailable\n");
	} else
		intake_receipt(app, req, resp, p + strlen(RECEIPT_PREFIX));
}
