/*
 * appointments.c: /clinic/appointments (api.md): the list, creating,
 * editing and cancelling, and each appointment's page with its invite
 * link.
 *
 * The invite token is a keyed hash, under the worker's secret, of a
 * random nonce stored with the appointment; the database holds the
 * token's hash (what the intake worker looks up) and the nonce, so the
 * page can show the link again and a stolen database cannot. The invite
 * expires at the start of the day after the appointment (clinic time),
 * and stops working when the appointment is cancelled (sql/002's
 * intake_invite_valid reads both columns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/utf8.h"
#include "form/formdef.h"
#include "store/store_clinic.h"
#include "web/html.h"

#define APPT_NAME_MAX	250	/* code points (sql/001) */
#define APPT_EMAIL_MAX	254
#define APPT_PAST_DAYS	7	/* the list starts this many days back */

/* A form as sent: every value kept for showing it again. */
struct appt_form {
	struct buf	 patient_name;
	struct buf	 email;
	struct buf	 starts_at;
	struct buf	 therapist;
	struct buf	 modality;
};

#define APPT_MAXERR	5

static void
appt_form_init(struct appt_form *f)
{
	buf_init(&f->patient_name);
	buf_init(&f->email);
	buf_init(&f->starts_at);
	buf_init(&f->therapist);
	buf_init(&f->modality);
}

static void
appt_form_free(struct appt_form *f)
{
	buf_wipe_free(&f->patient_name);
	buf_wipe_free(&f->email);
	buf_wipe_free(&f->starts_at);
	buf_wipe_free(&f->therapist);
	buf_wipe_free(&f->modality);
}

/* An appointment's values as its edit form shows them. */
static void
appt_form_from(struct appt_form *f, const struct store_appt *ap)
{
	struct tm	 tm;
	char		 when[32];

	buf_puts(&f->patient_name, ap->patient_name);
	if (ap->email != NULL)
		buf_puts(&f->email, ap->email);
	localtime_r(&ap->starts_at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M", &tm);
	buf_puts(&f->starts_at, when);
	buf_puts(&f->therapist, ap->therapist);
	buf_puts(&f->modality, ap->modality);
}

/* One line of text: no control character, at least one visible one. */
static int
appt_line_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 visible = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] != ' ')
			visible = 1;
	}
	return visible;
}

/* One '@' with something before it, a dot inside the domain, no spaces. */
static int
appt_email_ok(const char *s, size_t len)
{
	const char	*at, *dot;
	size_t		 i;

	if (len < 3 || len > APPT_EMAIL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	if ((at = strchr(s, '@')) == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* "YYYY-MM-DDTHH:MM", a real date and time (years 2000 to 2199). */
static int
appt_when_ok(const char *s, size_t len)
{
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	static const char	 shape[] = "dddd-dd-ddTdd:dd";
	int			 y, mo, d, h, mi, dim;
	size_t			 i;

	if (len != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < len; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return 0;
	y = atoi(s);
	mo = atoi(s + 5);
	d = atoi(s + 8);
	h = atoi(s + 11);
	mi = atoi(s + 14);
	if (y < 2000 || y > 2199 || mo < 1 || mo > 12 || h > 23 || mi > 59)
		return 0;
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	return d >= 1 && d <= dim;
}

static const struct fd_field *
appt_modalities(const struct clinic_req *cr)
{
	int	 i = formdef_field(cr->app->fd, "massage_type");

	return i >= 0 ? &cr->app->fd->fields[i] : NULL;
}

static const char *
appt_modality_label(const struct clinic_req *cr, const char *v)
{
	const struct fd_field	*f = appt_modalities(cr);
	int			 i;

	if (f == NULL || (i = fd_choice_index(f, v, strlen(v))) < 0)
		return v;
	return f->choices[i].label;
}

/*
 * Read and check the form. Returns 0 (errors, if any, in e), or -1 when
 * the body is malformed (400). keep_therapist: an edit may keep a
 * therapist who is no longer active.
 */
static int
appt_form_read(struct clinic_req *cr, struct appt_form *f,
    const struct store_staff *staff, size_t nstaff, const char *keep_therapist,
    struct clinic_ferr *e, size_t *nerr)
{
	const struct fd_field	*mod = appt_modalities(cr);
	size_t			 i;
	int			 ok;

	*nerr = 0;
	if (clinic_form_value(cr, "patient_name", &f->patient_name) == -1 ||
	    clinic_form_value(cr, "email", &f->email) == -1 ||
	    clinic_form_value(cr, "starts_at", &f->starts_at) == -1 ||
	    clinic_form_value(cr, "therapist", &f->therapist) == -1 ||
	    clinic_form_value(cr, "modality", &f->modality) == -1)
		return -1;
	if (!appt_line_ok(clinic_str(&f->patient_name), f->patient_name.len) ||
	    utf8_count(clinic_str(&f->patient_name), f->patient_name.len) >
	    APPT_NAME_MAX)
		e[(*nerr)++] = (struct clinic_ferr){ "patient_name",
		    "Enter the patient's name (one line, at most 250 "
		    "characters)." };
	if (f->email.len > 0 && !appt_email_ok(clinic_str(&f->email),
	    f->email.len))
		e[(*nerr)++] = (struct clinic_ferr){ "email",
		    "Enter an email address like name@example.org, or leave it "
		    "empty." };
	if (!appt_when_ok(clinic_str(&f->starts_at), f->starts_at.len))
		e[(*nerr)++] = (struct clinic_ferr){ "starts_at",
		    "Enter the date and time as YYYY-MM-DDTHH:MM, for example "
		    "2026-03-14T09:30." };
	ok = keep_therapist != NULL &&
	    strcmp(clinic_str(&f->therapist), keep_therapist) == 0;
	for (i = 0; !ok && i < nstaff; i++)
		ok = !staff[i].disabled &&
		    strcmp(staff[i].role, "therapist") == 0 &&
		    strcmp(staff[i].username, clinic_str(&f->therapist)) == 0;
	if (!ok)
		e[(*nerr)++] = (struct clinic_ferr){ "therapist",
		    "Choose one of the clinic's therapists." };
	if (mod == NULL || fd_choice_index(mod, clinic_str(&f->modality),
	    f->modality.len) < 0)
		e[(*nerr)++] = (struct clinic_ferr){ "modality",
		    "Choose the kind of massage." };
	return 0;
}

static void
appt_select_open(struct buf *b, const char *name, const char *label,
    const struct clinic_ferr *e, size_t nerr)
{
	const char	*msg = clinic_ferr_find(e, nerr, name);

	buf_printf(b, "<div class=\"field%s\">\n<label for=\"%s\">",
	    msg != NULL ? " field-error" : "", name);
	html_esc(b, label);
	buf_puts(b, "</label>\n");
	if (msg != NULL) {
		buf_printf(b, "<p class=\"message\" id=\"%s-error\">", name);
		html_esc(b, msg);
		buf_puts(b, "</p>\n");
	}
	buf_printf(b, "<select id=\"%s\" name=\"%s\" required=\"required\"",
	    name, name);
	if (msg != NULL)
		buf_printf(b, " aria-invalid=\"true\" "
		    "aria-describedby=\"%s-error\"", name);
	buf_puts(b, ">\n<option value=\"\">Choose\xe2\x80\xa6</option>\n");
}

static void
appt_option(struct buf *b, const char *value, const char *label,
    const char *current)
{
	buf_puts(b, "<option value=\"");
	html_esc(b, value);
	buf_puts(b, "\"");
	if (strcmp(value, current) == 0)
		buf_puts(b, " selected=\"selected\"");
	buf_puts(b, ">");
	html_esc(b, label);
	buf_puts(b, "</option>\n");
}

/* The create or edit form. */
static void
appt_form_html(struct clinic_req *cr, const char *action, const char *button,
    const struct appt_form *f, const struct store_staff *staff, size_t nstaff,
    const char *keep_therapist, const struct clinic_ferr *e, size_t nerr)
{
	struct buf		*b = &cr->resp->body;
	const struct fd_field	*mod = appt_modalities(cr);
	size_t			 i;

	clinic_ferr_summary(b, e, nerr);
	buf_puts(b, "<form class=\"appointment\" method=\"post\" action=\"");
	html_esc(b, action);
	buf_puts(b, "\">\n");
	clinic_csrf_field(cr);
	clinic_input(b, "patient_name", "Patient's name", "text",
	    clinic_str(&f->patient_name), e, nerr, 1);
	clinic_input(b, "email", "Patient's email (for sending the invite)",
	    "email", clinic_str(&f->email), e, nerr, 0);
	clinic_input(b, "starts_at", "Date and time (clinic time)",
	    "datetime-local", clinic_str(&f->starts_at), e, nerr, 1);
	appt_select_open(b, "therapist", "Therapist", e, nerr);
	for (i = 0; i < nstaff; i++)
		if ((!staff[i].disabled &&
		    strcmp(staff[i].role, "therapist") == 0) ||
		    (keep_therapist != NULL &&
		    strcmp(staff[i].username, keep_therapist) == 0))
			appt_option(b, staff[i].username, staff[i].display_name,
			    clinic_str(&f->therapist));
	buf_puts(b, "</select>\n</div>\n");
	appt_select_open(b, "modality", "Kind of massage", e, nerr);
	for (i = 0; mod != NULL && i < mod->nchoices; i++)
		appt_option(b, mod->choices[i].value, mod->choices[i].label,
		    clinic_str(&f->modality));
	buf_puts(b, "</select>\n</div>\n<button type=\"submit\">");
	html_esc(b, button);
	buf_puts(b, "</button>\n</form>\n");
}

static void
appt_row(struct clinic_req *cr, const struct store_appt *ap)
{
	struct buf	*b = &cr->resp->body;
	char		 when[32];

	clinic_time(ap->starts_at, when, sizeof(when));
	buf_printf(b, "<tr%s>\n<td><a href=\"/clinic/appointments/%lld\">",
	    ap->cancelled_at ? " class=\"cancelled\"" : "", ap->id);
	html_esc(b, when);
	buf_puts(b, "</a></td>\n<td>");
	html_user_text(b, ap->patient_name);
	buf_puts(b, "</td>\n<td>");
	html_esc(b, ap->therapist);
	buf_puts(b, "</td>\n<td>");
	html_esc(b, appt_modality_label(cr, ap->modality));
	buf_puts(b, "</td>\n");
	if (ap->cancelled_at)
		buf_puts(b, "<td><span class=\"status status-cancelled\" "
		    "data-status=\"cancelled\">cancelled</span></td>\n"
		    "<td></td>\n");
	else
		clinic_state_cells(b, ap->status, ap->severity, ap->nflags,
		    ap->intake_id != 0);
	buf_puts(b, "</tr>\n");
}

/* The list page, with the create form (status 200, or 422 with errors). */
static void
appt_list_page(struct clinic_req *cr, int status, const struct appt_form *f,
    const struct clinic_ferr *e, size_t nerr)
{
	struct store_appt	*v = NULL;
	struct store_staff	*staff = NULL;
	struct buf		*b;
	size_t			 n = 0, nstaff = 0, i;
	enum store_err		 se;

	if ((se = store_appt_list(cr->app->store, clinic_today_start() -
	    APPT_PAST_DAYS * 86400, 1, CLINIC_MAX_ROWS, &v, &n)) != STORE_OK ||
	    (se = store_staff_list(cr->app->store, &staff, &nstaff)) !=
	    STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	cr->resp->status = status;
	clinic_page_begin(cr, "Appointments");
	b = &cr->resp->body;
	buf_puts(b, "<h1>Appointments</h1>\n"
	    "<h2 id=\"new\">New appointment</h2>\n");
	appt_form_html(cr, "/clinic/appointments", "Create the appointment", f,
	    staff, nstaff, NULL, e, nerr);
	buf_printf(b, "<h2>From %d days ago on</h2>\n", APPT_PAST_DAYS);
	if (n == 0)
		buf_puts(b, "<p>No appointments.</p>\n");
	else {
		buf_puts(b, "<table class=\"list appointments\">\n<thead><tr>"
		    "<th scope=\"col\">When</th><th scope=\"col\">Patient</th>"
		    "<th scope=\"col\">Therapist</th><th scope=\"col\">Massage"
		    "</th><th scope=\"col\">Intake</th><th scope=\"col\">"
		    "Undecided</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < n; i++)
			appt_row(cr, &v[i]);
		buf_puts(b, "</tbody>\n</table>\n");
	}
	clinic_page_end(cr);
out:
	store_appts_free(v, n);
	free(staff);
}

void
appts_list(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct appt_form	 f;

	(void)args;
	(void)nargs;
	appt_form_init(&f);
	appt_list_page(cr, 200, &f, NULL, 0);
	appt_form_free(&f);
}

static void
appt_actor(struct clinic_req *cr, struct store_actor *a)
{
	const char	*addr = cr->req->remote_addr;

	a->who = cr->sess.username;
	a->address = addr != NULL && *addr != '\0' ? addr : NULL;
}

static void
appt_in(struct clinic_req *cr, const struct appt_form *f,
    struct store_appt_in *in)
{
	in->patient_name = clinic_str(&f->patient_name);
	in->email = f->email.len > 0 ? clinic_str(&f->email) : NULL;
	in->starts_at = clinic_str(&f->starts_at);
	in->therapist = clinic_str(&f->therapist);
	in->modality = clinic_str(&f->modality);
	in->timezone = cr->app->cfg.timezone;
}

void
appts_create(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct appt_form	 f;
	struct clinic_ferr	 e[APPT_MAXERR];
	struct store_staff	*staff = NULL;
	struct store_appt_in	 in;
	struct store_actor	 a;
	unsigned char		 nonce[32], h[TOKEN_HASHLEN];
	char			 tok[TOKEN_TEXTLEN + 1], loc[64];
	size_t			 nstaff = 0, nerr = 0;
	long long		 id;
	enum store_err		 se;

	(void)args;
	(void)nargs;
	appt_form_init(&f);
	if ((se = store_staff_list(cr->app->store, &staff, &nstaff)) !=
	    STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	if (appt_form_read(cr, &f, staff, nstaff, NULL, e, &nerr) == -1) {
		clinic_error(cr, 400, "The form could not be read.");
		goto out;
	}
	if (nerr > 0) {
		appt_list_page(cr, 422, &f, e, nerr);
		goto out;
	}
	randombytes_buf(nonce, sizeof(nonce));
	token_derive(cr->app->secret, "clinic-invite", nonce, sizeof(nonce),
	    tok);
	token_hash(tok, h);
	appt_in(cr, &f, &in);
	appt_actor(cr, &a);
	if ((se = store_appt_create(cr->app->store, &in, nonce, h, &a,
	    &id)) != STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	snprintf(loc, sizeof(loc), "/clinic/appointments/%lld", id);
	clinic_redirect(cr, loc);
out:
	sodium_memzero(tok, sizeof(tok));
	free(staff);
	appt_form_free(&f);
}

/* The appointment's id from the path: 0 when it is not one. */
static long long
appt_id(const char *const *args, size_t nargs)
{
	long long	 id;
	char		*end;

	if (nargs < 1)
		return 0;
	id = strtoll(args[0], &end, 10);
	return *end == '\0' && id > 0 ? id : 0;
}

/* The invite link of an appointment, when it has a live one. */
static void
appt_invite_html(struct clinic_req *cr, const struct store_appt *ap)
{
	struct buf	*b = &cr->resp->body;
	unsigned char	 h[TOKEN_HASHLEN];
	char		 tok[TOKEN_TEXTLEN + 1], when[32];
	const char	*host = clinic_host(cr);

	buf_puts(b, "<h2>Invite link</h2>\n");
	if (ap->cancelled_at) {
		clinic_time(ap->cancelled_at, when, sizeof(when));
		buf_puts(b, "<p class=\"invite-none\">The appointment was "
		    "cancelled on ");
		html_esc(b, when);
		buf_puts(b, ": its invite link no longer works.</p>\n");
		return;
	}
	if (!ap->has_nonce) {
		buf_puts(b, "<p class=\"invite-none\">This appointment has no "
		    "invite link.</p>\n");
		return;
	}
	token_derive(cr->app->secret, "clinic-invite", ap->invite_nonce,
	    sizeof(ap->invite_nonce), tok);
	token_hash(tok, h);
	if (sodium_memcmp(h, ap->invite_hash, sizeof(h)) != 0) {
		/* made under another secret: the link cannot be shown again */
		buf_puts(b, "<p class=\"invite-none\">The invite link cannot be "
		    "shown any more.</p>\n");
		goto out;
	}
	clinic_time(ap->invite_expires_at, when, sizeof(when));
	if (ap->invite_expires_at <= time(NULL)) {
		buf_puts(b, "<p class=\"invite-none\">The invite link "
		    "expired on ");
		html_esc(b, when);
		buf_puts(b, ".</p>\n");
		goto out;
	}
	buf_puts(b, "<p>Send this link to the patient: it opens the intake "
	    "form tied to this appointment.</p>\n<p><a class=\"invite-link\" "
	    "id=\"invite-link\" href=\"/intake/?invite=");
	html_esc(b, tok);
	buf_puts(b, "\">");
	if (*host != '\0') {
		html_esc(b, clinic_tls(cr) ? "https://" : "http://");
		html_esc(b, host);
	}
	buf_puts(b, "/intake/?invite=");
	html_esc(b, tok);
	buf_puts(b, "</a></p>\n<p class=\"hint\">It works until ");
	html_esc(b, when);
	buf_puts(b, ", clinic time, unless the appointment is cancelled.</p>\n");
out:
	sodium_memzero(tok, sizeof(tok));
}

/* The appointment's page (status 200, or 422 with the edit form's errors). */
static void
appt_page(struct clinic_req *cr, int status, const struct store_appt *ap,
    const struct appt_form *edit, const struct clinic_ferr *e, size_t nerr)
{
	struct store_intake_row	*iv = NULL;
	struct store_staff	*staff = NULL;
	struct appt_form	 cur;
	struct buf		*b;
	char			 when[32], action[96];
	size_t			 ni = 0, nstaff = 0, i;
	enum store_err		 se;

	appt_form_init(&cur);
	if ((se = store_intake_rows(cr->app->store, ap->id, CLINIC_MAX_ROWS,
	    &iv, &ni)) != STORE_OK ||
	    (se = store_staff_list(cr->app->store, &staff, &nstaff)) !=
	    STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	cr->resp->status = status;
	clinic_page_begin(cr, "Appointment");
	b = &cr->resp->body;
	clinic_time(ap->starts_at, when, sizeof(when));
	buf_puts(b, "<h1>Appointment</h1>\n<dl class=\"appointment\">\n"
	    "<dt>Patient</dt><dd class=\"patient\">");
	html_user_text(b, ap->patient_name);
	buf_puts(b, "</dd>\n<dt>Email</dt><dd>");
	html_esc(b, ap->email != NULL ? ap->email : "none given");
	buf_puts(b, "</dd>\n<dt>When</dt><dd>");
	html_esc(b, when);
	buf_puts(b, "</dd>\n<dt>Therapist</dt><dd>");
	html_esc(b, ap->therapist);
	buf_puts(b, "</dd>\n<dt>Massage</dt><dd>");
	html_esc(b, appt_modality_label(cr, ap->modality));
	buf_puts(b, "</dd>\n<dt>State</dt><dd>");
	buf_puts(b, ap->cancelled_at ? "<span class=\"status status-cancelled\" "
	    "data-status=\"cancelled\">cancelled</span>" : "booked");
	buf_puts(b, "</dd>\n</dl>\n");
	appt_invite_html(cr, ap);

	buf_puts(b, "<h2>Intakes</h2>\n");
	if (ni == 0)
		buf_puts(b, "<p>No intake has been received for this "
		    "appointment yet.</p>\n");
	else {
		buf_puts(b, "<table class=\"list intakes\">\n<thead><tr>"
		    "<th scope=\"col\">Received</th><th scope=\"col\">Reference"
		    "</th><th scope=\"col\">Status</th><th scope=\"col\">"
		    "Undecided</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < ni; i++) {
			clinic_time(iv[i].received_at, when, sizeof(when));
			buf_puts(b, "<tr><td>");
			html_esc(b, when);
			buf_puts(b, "</td><td>");
			if (clinic_role_allows(cr->sess.role, PAGE_INTAKE)) {
				buf_printf(b, "<a href=\"/clinic/intakes/%lld\">",
				    iv[i].id);
				html_esc(b, iv[i].reference);
				buf_puts(b, "</a>");
			} else
				html_esc(b, iv[i].reference);
			buf_puts(b, "</td>\n");
			clinic_state_cells(b, iv[i].status, iv[i].severity,
			    iv[i].nflags, 1);
			buf_puts(b, "</tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}

	if (!ap->cancelled_at) {
		if (edit == NULL) {
			appt_form_from(&cur, ap);
			edit = &cur;
		}
		snprintf(action, sizeof(action), "/clinic/appointments/%lld",
		    ap->id);
		buf_puts(b, "<h2 id=\"change\">Change</h2>\n");
		appt_form_html(cr, action, "Save the changes", edit, staff,
		    nstaff, ap->therapist, e, nerr);
		buf_printf(b, "<h2>Cancel</h2>\n<form class=\"cancel\" "
		    "method=\"post\" "
		    "action=\"/clinic/appointments/%lld/cancel\">\n",
		    ap->id);
		clinic_csrf_field(cr);
		buf_puts(b, "<p>Cancelling stops the invite link from "
		    "working.</p>\n<button type=\"submit\" class=\"danger\">"
		    "Cancel the appointment</button>\n</form>\n");
	}
	buf_puts(b, "<p><a href=\"/clinic/appointments\">All appointments</a>"
	    "</p>\n");
	clinic_page_end(cr);
out:
	appt_form_free(&cur);
	store_intake_rows_free(iv, ni);
	free(staff);
}

/* Load the appointment of the path, or answer 404 / 503. */
static int
appt_load(struct clinic_req *cr, const char *const *args, size_t nargs,
    struct store_appt *ap)
{
	long long	 id = appt_id(args, nargs);
	enum store_err	 se;

	memset(ap, 0, sizeof(*ap));
	se = id > 0 ? store_appt_get(cr->app->store, id, ap) : STORE_NOT_FOUND;
	if (se == STORE_NOT_FOUND) {
		clinic_error(cr, 404, "There is no such appointment.");
		return -1;
	}
	if (se != STORE_OK) {
		clinic_store_error(cr, se);
		return -1;
	}
	return 0;
}

void
appts_show(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_appt	 ap;

	if (appt_load(cr, args, nargs, &ap) == -1)
		return;
	appt_page(cr, 200, &ap, NULL, NULL, 0);
	store_appt_clear(&ap);
}

void
appts_edit(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct appt_form	 f;
	struct clinic_ferr	 e[APPT_MAXERR];
	struct store_staff	*staff = NULL;
	struct store_appt	 ap;
	struct store_appt_in	 in;
	struct store_actor	 a;
	char			 loc[64];
	size_t			 nstaff = 0, nerr = 0;
	enum store_err		 se;

	appt_form_init(&f);
	if (appt_load(cr, args, nargs, &ap) == -1)
		goto out;
	if (ap.cancelled_at) {
		clinic_error(cr, 409, "This appointment was cancelled and can "
		    "no longer be changed.");
		goto out;
	}
	if ((se = store_staff_list(cr->app->store, &staff, &nstaff)) !=
	    STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	if (appt_form_read(cr, &f, staff, nstaff, ap.therapist, e,
	    &nerr) == -1) {
		clinic_error(cr, 400, "The form could not be read.");
		goto out;
	}
	if (nerr > 0) {
		appt_page(cr, 422, &ap, &f, e, nerr);
		goto out;
	}
	appt_in(cr, &f, &in);
	appt_actor(cr, &a);
	se = store_appt_update(cr->app->store, ap.id, &in, &a);
	if (se == STORE_NOT_FOUND) {
		clinic_error(cr, 409, "This appointment was cancelled and can "
		    "no longer be changed.");
		goto out;
	}
	if (se != STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	snprintf(loc, sizeof(loc), "/clinic/appointments/%lld", ap.id);
	clinic_redirect(cr, loc);
out:
	free(staff);
	store_appt_clear(&ap);
	appt_form_free(&f);
}

void
appts_cancel(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_appt	 ap;
	struct store_actor	 a;
	char			 loc[64];
	enum store_err		 se;

	if (appt_load(cr, args, nargs, &ap) == -1)
		return;
	appt_actor(cr, &a);
	/* Cancelling twice changes nothing: the first one stands. */
	if (!ap.cancelled_at &&
	    (se = store_appt_cancel(cr->app->store, ap.id, &a)) != STORE_OK &&
	    se != STORE_NOT_FOUND) {
		clinic_store_error(cr, se);
		store_appt_clear(&ap);
		return;
	}
	snprintf(loc, sizeof(loc), "/clinic/appointments/%lld", ap.id);
	store_appt_clear(&ap);
	clinic_redirect(cr, loc);
}
