/*
 * dashboard.c: GET /clinic/ (api.md). Today's and upcoming appointments
 * and the intakes tied to none, each with its intake status and the most
 * serious severity still undecided; urgent ones first. Front desk staff
 * see the same list without links to the intakes themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clinic/session.h"
#include "store/store_clinic.h"
#include "web/html.h"

#define DASH_ASSIGN_CHOICES	100	/* appointments offered to assign to */

/* Urgent first, then by start time. */
static int
dash_cmp(const void *a, const void *b)
{
	const struct store_appt	*x = a, *y = b;
	int			 ux = strcmp(x->severity, "urgent") == 0;
	int			 uy = strcmp(y->severity, "urgent") == 0;

	if (ux != uy)
		return uy - ux;
	if (x->starts_at != y->starts_at)
		return x->starts_at < y->starts_at ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static time_t
dash_tomorrow(time_t today)
{
	struct tm	 tm;

	localtime_r(&today, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
dash_appts(struct clinic_req *cr, const char *title, const char *id,
    const struct store_appt *v, size_t n)
{
	struct buf	*b = &cr->resp->body;
	char		 when[32];
	size_t		 i;
	int		 links = clinic_role_allows(cr->sess.role, PAGE_INTAKE);

	buf_printf(b, "<section aria-labelledby=\"%s\">\n<h2 id=\"%s\">", id,
	    id);
	html_esc(b, title);
	buf_puts(b, "</h2>\n");
	if (n == 0) {
		buf_puts(b, "<p>No appointments.</p>\n</section>\n");
		return;
	}
	buf_printf(b, "<table class=\"list appointments\" id=\"%s-list\">\n"
	    "<thead><tr><th scope=\"col\">When</th><th scope=\"col\">Patient"
	    "</th><th scope=\"col\">Therapist</th><th scope=\"col\">Intake</th>"
	    "<th scope=\"col\">Undecided</th></tr></thead>\n<tbody>\n", id);
	for (i = 0; i < n; i++) {
		clinic_time(v[i].starts_at, when, sizeof(when));
		buf_printf(b, "<tr data-appointment=\"%lld\"%s>\n<td>", v[i].id,
		    strcmp(v[i].severity, "urgent") == 0 ?
		    " class=\"urgent\"" : "");
		html_esc(b, when);
		buf_printf(b, "</td>\n<td><a href=\"/clinic/appointments/%lld\">",
		    v[i].id);
		html_user_text(b, v[i].patient_name);
		buf_puts(b, "</a>");
		if (links && v[i].intake_id != 0)
			buf_printf(b, " (<a href=\"/clinic/intakes/%lld\">"
			    "intake</a>)", v[i].intake_id);
		buf_puts(b, "</td>\n<td>");
		html_esc(b, v[i].therapist);
		buf_puts(b, "</td>\n");
		clinic_state_cells(b, v[i].status, v[i].severity, v[i].nflags,
		    v[i].intake_id != 0);
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

/* A form tying an intake to one of the listed appointments. */
static void
dash_assign(struct clinic_req *cr, long long intake,
    const struct store_appt *v, size_t n)
{
	struct buf	*b = &cr->resp->body;
	char		 when[32];
	size_t		 i;

	if (n == 0)
		return;
	buf_printf(b, "<form class=\"assign\" method=\"post\" "
	    "action=\"/clinic/intakes/%lld/assign\">\n", intake);
	clinic_csrf_field(cr);
	buf_printf(b, "<label for=\"assign-%lld\">Appointment</label>\n"
	    "<select id=\"assign-%lld\" name=\"appointment\" "
	    "required=\"required\">\n<option value=\"\">Choose\xe2\x80\xa6"
	    "</option>\n", intake, intake);
	for (i = 0; i < n && i < DASH_ASSIGN_CHOICES; i++) {
		clinic_time(v[i].starts_at, when, sizeof(when));
		buf_printf(b, "<option value=\"%lld\">", v[i].id);
		html_esc(b, when);
		buf_puts(b, " \xe2\x80\x93 ");
		html_esc(b, v[i].patient_name);
		buf_puts(b, "</option>\n");
	}
	buf_puts(b, "</select>\n<button type=\"submit\">Assign</button>\n"
	    "</form>\n");
}

static void
dash_unassigned(struct clinic_req *cr, const struct store_intake_row *iv,
    size_t ni, const struct store_appt *v, size_t n)
{
	struct buf	*b = &cr->resp->body;
	char		 when[32];
	size_t		 i;
	int		 links = clinic_role_allows(cr->sess.role, PAGE_INTAKE);
	int		 assign = clinic_role_allows(cr->sess.role, PAGE_ASSIGN);

	buf_puts(b, "<section aria-labelledby=\"unassigned\">\n"
	    "<h2 id=\"unassigned\">Intakes without an appointment</h2>\n");
	if (ni == 0) {
		buf_puts(b, "<p>None.</p>\n</section>\n");
		return;
	}
	buf_puts(b, "<table class=\"list intakes\" id=\"unassigned-list\">\n"
	    "<thead><tr><th scope=\"col\">Received</th><th scope=\"col\">"
	    "Patient</th><th scope=\"col\">Reference</th><th scope=\"col\">"
	    "Status</th><th scope=\"col\">Undecided</th>");
	if (assign)
		buf_puts(b, "<th scope=\"col\">Assign</th>");
	buf_puts(b, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < ni; i++) {
		clinic_time(iv[i].received_at, when, sizeof(when));
		buf_printf(b, "<tr data-intake=\"%lld\"%s>\n<td>", iv[i].id,
		    strcmp(iv[i].severity, "urgent") == 0 ?
		    " class=\"urgent\"" : "");
		html_esc(b, when);
		buf_puts(b, "</td>\n<td><bdi>");
		html_esc(b, iv[i].given_name);
		buf_puts(b, "</bdi> <bdi>");
		html_esc(b, iv[i].family_name);
		buf_puts(b, "</bdi></td>\n<td>");
		if (links) {
			buf_printf(b, "<a href=\"/clinic/intakes/%lld\">",
			    iv[i].id);
			html_esc(b, iv[i].reference);
			buf_puts(b, "</a>");
		} else
			html_esc(b, iv[i].reference);
		buf_puts(b, "</td>\n");
		clinic_state_cells(b, iv[i].status, iv[i].severity,
		    iv[i].nflags, 1);
		if (assign) {
			buf_puts(b, "<td>");
			dash_assign(cr, iv[i].id, v, n);
			buf_puts(b, "</td>\n");
		}
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

void
dashboard_show(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_appt	*v = NULL, *sorted = NULL;
	struct store_intake_row	*iv = NULL;
	struct buf		*b;
	time_t			 today, tomorrow;
	size_t			 n = 0, ni = 0, ntoday;
	enum store_err		 se;

	(void)args;
	(void)nargs;
	today = clinic_today_start();
	tomorrow = dash_tomorrow(today);
	if ((se = store_appt_list(cr->app->store, today, 0, CLINIC_MAX_ROWS,
	    &v, &n)) != STORE_OK ||
	    (se = store_intake_rows(cr->app->store, 0, CLINIC_MAX_ROWS, &iv,
	    &ni)) != STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	/* The list comes by start time; sort copies for display. */
	if (n > 0) {
		if ((sorted = calloc(n, sizeof(*sorted))) == NULL) {
			clinic_store_error(cr, STORE_ERROR);
			goto out;
		}
		memcpy(sorted, v, n * sizeof(*sorted));
	}
	for (ntoday = 0; ntoday < n && v[ntoday].starts_at < tomorrow; ntoday++)
		continue;
	if (ntoday > 0)
		qsort(sorted, ntoday, sizeof(*sorted), dash_cmp);
	if (n > ntoday)
		qsort(sorted + ntoday, n - ntoday, sizeof(*sorted), dash_cmp);

	clinic_page_begin(cr, "Dashboard");
	b = &cr->resp->body;
	buf_puts(b, "<h1>Dashboard</h1>\n");
	dash_appts(cr, "Today", "today", sorted, ntoday);
	dash_appts(cr, "Upcoming", "upcoming", n > ntoday ? sorted + ntoday :
	    NULL, n - ntoday);
	dash_unassigned(cr, iv, ni, v, n);
	clinic_page_end(cr);
out:
	free(sorted);		/* shallow copies: v owns the strings */
	store_appts_free(v, n);
	store_intake_rows_free(iv, ni);
}
