/*
 * pages.c: the helpers of clinic.h both halves build their pages with,
 * and the page pieces of session.h. Every value that is not a literal
 * of ours goes out through html_esc() or html_user_text().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/log.h"
#include "core/utf8.h"
#include "form/formpost.h"
#include "store/store.h"
#include "web/html.h"

#define CLINIC_CSS	"/static/clinic.css"

/* The page's media type, unless the handler chose one already. */
static void
clinic_html_type(struct clinic_req *cr)
{
	const struct buf	*h = &cr->resp->headers;

	if (h->len > 0 && (strncmp(h->data, "Content-Type:", 13) == 0 ||
	    strstr(h->data, "\nContent-Type:") != NULL))
		return;
	/* Staff pages hold patients' details: never kept by a cache. */
	response_type(cr->resp, "text/html; charset=utf-8", 1);
}

void
clinic_page_begin(struct clinic_req *cr, const char *title)
{
	struct buf		*b = &cr->resp->body;
	const struct clinic_session *s = &cr->sess;
	struct buf		 t;

	clinic_html_type(cr);
	buf_init(&t);
	buf_printf(&t, "%s \xe2\x80\x93 staff", title);
	html_begin(b, "en", buf_failed(&t) ? title : t.data, CLINIC_CSS, NULL);
	buf_free(&t);
	buf_puts(b, "<header class=\"staff-header\">\n<p class=\"site-name\">");
	html_esc(b, cr->app->cfg.clinic_name);
	buf_puts(b, " \xc2\xb7 staff</p>\n");
	if (s->valid) {
		buf_puts(b, "<nav aria-label=\"Main\"><ul>\n");
		if (clinic_role_allows(s->role, PAGE_DASHBOARD))
			buf_puts(b, "<li><a href=\"/clinic/\">Dashboard</a>"
			    "</li>\n");
		if (clinic_role_allows(s->role, PAGE_APPOINTMENTS))
			buf_puts(b, "<li><a href=\"/clinic/appointments\">"
			    "Appointments</a></li>\n");
		if (clinic_role_allows(s->role, PAGE_STAFF))
			buf_puts(b, "<li><a href=\"/clinic/staff\">Staff accounts"
			    "</a></li>\n");
		buf_puts(b, "</ul></nav>\n<form class=\"signout\" method=\"post\" "
		    "action=\"/clinic/logout\">\n<p>Signed in as <bdi>");
		html_esc(b, s->display_name);
		buf_puts(b, "</bdi> (");
		html_esc(b, s->username);
		buf_puts(b, ", ");
		html_esc(b, clinic_role_name(s->role));
		buf_puts(b, ")</p>\n");
		clinic_csrf_field(cr);
		buf_puts(b, "<button type=\"submit\">Sign out</button>\n"
		    "</form>\n");
	}
	buf_puts(b, "</header>\n<main class=\"page\" id=\"main\">\n");
}

void
clinic_page_end(struct clinic_req *cr)
{
	buf_puts(&cr->resp->body, "</main>\n");
	html_end(&cr->resp->body);
}

void
clinic_csrf_field(struct clinic_req *cr)
{
	struct buf	*b = &cr->resp->body;

	buf_puts(b, "<input type=\"hidden\" name=\"csrf_token\" value=\"");
	html_esc(b, cr->sess.csrf);
	buf_puts(b, "\" />\n");
}

int
clinic_form_value(struct clinic_req *cr, const char *name, struct buf *out)
{
	const char	*p, *amp, *eq, *end;
	struct buf	 n;
	int		 rc = 0, r;

	buf_reset(out);
	out->failed = 0;
	if (cr->body == NULL)
		return 0;
	buf_init(&n);
	end = cr->body + cr->bodylen;
	for (p = cr->body; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		buf_reset(&n);
		if (formpost_unescape(p, (size_t)(eq - p), &n) == -1) {
			rc = -1;
			break;
		}
		if (n.len != strlen(name) || memcmp(n.data, name, n.len) != 0)
			continue;
		r = eq < amp ? formpost_unescape(eq + 1, (size_t)(amp - eq - 1),
		    out) : 0;
		/* A form of ours sends UTF-8 text without NUL: else malformed. */
		if (r == -1 || buf_failed(out) || (out->len > 0 &&
		    (memchr(out->data, '\0', out->len) != NULL ||
		    !utf8_valid(out->data, out->len))))
			rc = -1;
		else
			rc = 1;
		break;
	}
	buf_free(&n);
	if (rc != 1)
		buf_wipe_free(out);
	return rc;
}

const char *
clinic_str(const struct buf *b)
{
	return b->len > 0 && b->data != NULL ? b->data : "";
}

void
clinic_redirect(struct clinic_req *cr, const char *location)
{
	response_reset(cr->resp);
	cr->resp->status = 303;
	response_header(cr->resp, "Location", location);
	response_type(cr->resp, "text/plain; charset=utf-8", 1);
	buf_puts(&cr->resp->body, "See other\n");
}

static const struct {
	int		 status;
	const char	*title;
} clinic_titles[] = {
	{ 400, "The request could not be read" },
	{ 401, "Please sign in" },
	{ 403, "Not allowed" },
	{ 404, "Not found" },
	{ 405, "Not allowed here" },
	{ 409, "That cannot be done now" },
	{ 413, "Too much was sent" },
	{ 415, "Not a form this page accepts" },
	{ 422, "Please check the form" },
	{ 429, "Too many attempts" },
	{ 500, "Something went wrong" },
	{ 503, "Temporarily unavailable" },
};

void
clinic_error(struct clinic_req *cr, int status, const char *message)
{
	struct buf	*b;
	const char	*title = "Something went wrong";
	size_t		 i;

	response_reset(cr->resp);
	cr->resp->status = status;
	if (status == 503)
		response_header(cr->resp, "Retry-After", "30");
	for (i = 0; i < sizeof(clinic_titles) / sizeof(clinic_titles[0]); i++)
		if (clinic_titles[i].status == status)
			title = clinic_titles[i].title;
	clinic_page_begin(cr, title);
	b = &cr->resp->body;
	buf_puts(b, "<h1>");
	html_esc(b, title);
	buf_puts(b, "</h1>\n<p class=\"lead\">");
	html_esc(b, message);
	buf_puts(b, "</p>\n");
	if (cr->sess.valid)
		buf_puts(b, "<p><a href=\"/clinic/\">Back to the dashboard</a>"
		    "</p>\n");
	else
		buf_puts(b, "<p><a href=\"/clinic/login\">Sign in</a></p>\n");
	buf_printf(b, "<p class=\"code\">Error code: %d</p>\n", status);
	clinic_page_end(cr);
}

void
clinic_store_error(struct clinic_req *cr, int se)
{
	if (se == STORE_UNAVAILABLE)
		clinic_error(cr, 503, "The database cannot be reached just "
		    "now. Nothing was changed; please try again in a moment.");
	else
		clinic_error(cr, 500, "Something went wrong on our side. "
		    "Nothing was changed.");
}

int
clinic_audit(struct clinic_req *cr, const char *action, const char *target)
{
	const char	*addr = cr->req->remote_addr;
	enum store_err	 se;

	se = store_audit_append(cr->app->store, cr->sess.valid ?
	    cr->sess.username : "anonymous", action, target,
	    addr != NULL && *addr != '\0' ? addr : NULL, NULL);
	if (se != STORE_OK) {
		log_error("audit row not written (%s)", action);
		return -1;
	}
	return 0;
}

void
clinic_time(time_t t, char *out, size_t outsz)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, outsz, "?");
}

time_t
clinic_today_start(void)
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

const char *
clinic_severity_words(const char *sev)
{
	static const struct {
		const char	*code, *words;
	} w[] = {
		{ "urgent", "urgent" },
		{ "no_massage", "no massage" },
		{ "clearance", "clearance needed" },
		{ "local", "local" },
		{ "caution", "caution" },
	};
	size_t	 i;

	for (i = 0; sev != NULL && i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(sev, w[i].code) == 0)
			return w[i].words;
	return "unknown";
}

void
clinic_state_cells(struct buf *b, const char *status, const char *severity,
    long long nflags, int has_intake)
{
	buf_puts(b, "<td><span class=\"status status-");
	html_esc(b, status);
	buf_puts(b, "\" data-status=\"");
	html_esc(b, status);
	buf_puts(b, "\">");
	html_esc(b, status);
	buf_puts(b, "</span></td>\n<td>");
	if (!has_intake)
		buf_puts(b, "<span class=\"sev sev-none\" data-severity=\"\">"
		    "no intake yet</span>");
	else if (nflags == 0)
		buf_puts(b, "<span class=\"sev sev-none\" data-severity=\"\">"
		    "no flags</span>");
	else if (severity == NULL || *severity == '\0')
		buf_puts(b, "<span class=\"sev sev-none\" data-severity=\"\">"
		    "every flag decided</span>");
	else {
		buf_puts(b, "<span class=\"sev sev-");
		html_esc(b, severity);
		buf_puts(b, "\" data-severity=\"");
		html_esc(b, severity);
		buf_puts(b, "\">");
		html_esc(b, clinic_severity_words(severity));
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</td>\n");
}

void
clinic_ferr_summary(struct buf *b, const struct clinic_ferr *e, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	buf_puts(b, "<div class=\"error-summary\" role=\"alert\" "
	    "tabindex=\"-1\">\n<h2>Please correct the following</h2>\n<ul>\n");
	for (i = 0; i < n; i++) {
		buf_puts(b, "<li><a href=\"#");
		html_esc(b, e[i].field);
		buf_puts(b, "\">");
		html_esc(b, e[i].message);
		buf_puts(b, "</a></li>\n");
	}
	buf_puts(b, "</ul>\n</div>\n");
}

const char *
clinic_ferr_find(const struct clinic_ferr *e, size_t n, const char *field)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(e[i].field, field) == 0)
			return e[i].message;
	return NULL;
}

void
clinic_input(struct buf *b, const char *name, const char *label,
    const char *type, const char *value, const struct clinic_ferr *e,
    size_t nerr, int required)
{
	const char	*msg = clinic_ferr_find(e, nerr, name);

	buf_puts(b, "<div class=\"field");
	if (msg != NULL)
		buf_puts(b, " field-error");
	buf_puts(b, "\">\n<label for=\"");
	html_esc(b, name);
	buf_puts(b, "\">");
	html_esc(b, label);
	buf_puts(b, "</label>\n");
	if (msg != NULL) {
		buf_puts(b, "<p class=\"message\" id=\"");
		html_esc(b, name);
		buf_puts(b, "-error\">");
		html_esc(b, msg);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<input type=\"");
	html_esc(b, type);
	buf_puts(b, "\" id=\"");
	html_esc(b, name);
	buf_puts(b, "\" name=\"");
	html_esc(b, name);
	buf_puts(b, "\" value=\"");
	html_esc(b, value != NULL ? value : "");
	buf_puts(b, "\"");
	if (required)
		buf_puts(b, " required=\"required\"");
	if (msg != NULL) {
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"");
		html_esc(b, name);
		buf_puts(b, "-error\"");
	}
	buf_puts(b, " />\n</div>\n");
}
