/*
 * staff.c: /clinic/staff, the accounts page of administrators: list,
 * add, disable, reset a password. A password the administrator leaves
 * empty is generated and shown once, on the answer to that POST, and
 * never again (only its hash is kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/log.h"
#include "crypto/password.h"
#include "store/store_clinic.h"
#include "web/html.h"

#define STAFF_MAXERR	4

struct staff_form {
	struct buf	 username;
	struct buf	 display_name;
	struct buf	 role;
};

static void
staff_actor(struct clinic_req *cr, struct store_actor *a)
{
	const char	*addr = cr->req->remote_addr;

	a->who = cr->sess.username;
	a->address = addr != NULL && *addr != '\0' ? addr : NULL;
}

static void
staff_row(struct clinic_req *cr, const struct store_staff *st)
{
	struct buf	*b = &cr->resp->body;
	char		 when[32];
	int		 self = strcmp(st->username, cr->sess.username) == 0;

	clinic_time(st->created_at, when, sizeof(when));
	buf_puts(b, "<tr data-username=\"");
	html_esc(b, st->username);
	buf_puts(b, "\">\n<td>");
	html_esc(b, st->username);
	buf_puts(b, "</td>\n<td><bdi>");
	html_esc(b, st->display_name);
	buf_puts(b, "</bdi></td>\n<td>");
	html_esc(b, st->role);
	buf_puts(b, "</td>\n<td>");
	buf_puts(b, st->disabled ? "<span class=\"status status-disabled\">"
	    "disabled</span>" : "active");
	buf_puts(b, "</td>\n<td>");
	html_esc(b, when);
	buf_puts(b, "</td>\n<td class=\"actions\">\n");
	if (!st->disabled && !self) {
		buf_puts(b, "<form class=\"disable\" method=\"post\" "
		    "action=\"/clinic/staff/");
		html_esc(b, st->username);
		buf_puts(b, "/disable\">\n");
		clinic_csrf_field(cr);
		buf_puts(b, "<button type=\"submit\" class=\"danger\">Disable"
		    "</button>\n</form>\n");
	}
	buf_puts(b, "<form class=\"reset\" method=\"post\" "
	    "action=\"/clinic/staff/");
	html_esc(b, st->username);
	buf_puts(b, "/reset\">\n");
	clinic_csrf_field(cr);
	buf_puts(b, "<label for=\"reset-");
	html_esc(b, st->username);
	buf_puts(b, "\">New password (empty: make one up)</label>\n"
	    "<input type=\"password\" autocomplete=\"new-password\" "
	    "name=\"password\" id=\"reset-");
	html_esc(b, st->username);
	buf_puts(b, "\" />\n<button type=\"submit\">Reset password</button>\n"
	    "</form>\n</td>\n</tr>\n");
}

/* The accounts page (200; 422 with the add form's errors). */
static void
staff_page(struct clinic_req *cr, int status, const struct staff_form *f,
    const struct clinic_ferr *e, size_t nerr)
{
	static const char *const roles[][2] = {
		{ "therapist", "Therapist" },
		{ "front_desk", "Front desk" },
		{ "admin", "Administrator" },
	};
	struct store_staff	*v = NULL;
	struct buf		*b;
	const char		*msg, *cur;
	size_t			 n = 0, i;
	enum store_err		 se;

	if ((se = store_staff_list(cr->app->store, &v, &n)) != STORE_OK) {
		clinic_store_error(cr, se);
		return;
	}
	cr->resp->status = status;
	clinic_page_begin(cr, "Staff accounts");
	b = &cr->resp->body;
	buf_puts(b, "<h1>Staff accounts</h1>\n<table class=\"list staff\">\n"
	    "<thead><tr><th scope=\"col\">Username</th><th scope=\"col\">Name"
	    "</th><th scope=\"col\">Role</th><th scope=\"col\">State</th>"
	    "<th scope=\"col\">Created</th><th scope=\"col\">Actions</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < n; i++)
		staff_row(cr, &v[i]);
	buf_puts(b, "</tbody>\n</table>\n<h2 id=\"add\">Add an account</h2>\n");
	clinic_ferr_summary(b, e, nerr);
	buf_puts(b, "<form class=\"staff-add\" method=\"post\" "
	    "action=\"/clinic/staff\">\n");
	clinic_csrf_field(cr);
	clinic_input(b, "username", "Username (lower-case letters, digits, "
	    ". _ -)", "text", f != NULL ? clinic_str(&f->username) : "", e,
	    nerr, 1);
	clinic_input(b, "display_name", "Name shown on the pages", "text",
	    f != NULL ? clinic_str(&f->display_name) : "", e, nerr, 1);
	msg = clinic_ferr_find(e, nerr, "role");
	cur = f != NULL ? clinic_str(&f->role) : "";
	buf_printf(b, "<div class=\"field%s\">\n<label for=\"role\">Role"
	    "</label>\n", msg != NULL ? " field-error" : "");
	if (msg != NULL) {
		buf_puts(b, "<p class=\"message\" id=\"role-error\">");
		html_esc(b, msg);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<select id=\"role\" name=\"role\" required=\"required\">\n");
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>\n",
		    roles[i][0], strcmp(cur, roles[i][0]) == 0 ?
		    " selected=\"selected\"" : "", roles[i][1]);
	buf_puts(b, "</select>\n</div>\n");
	clinic_input(b, "password", "Password (empty: make one up)",
	    "password", "", e, nerr, 0);
	buf_puts(b, "<button type=\"submit\">Add the account</button>\n"
	    "</form>\n");
	clinic_page_end(cr);
	free(v);
}

void
staff_list(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	(void)args;
	(void)nargs;
	staff_page(cr, 200, NULL, NULL, 0);
}

/* A new password shown once, on this page only. */
static void
staff_password_page(struct clinic_req *cr, const char *username,
    const char *password, int added)
{
	struct buf	*b = &cr->resp->body;

	clinic_page_begin(cr, added ? "Account added" : "Password reset");
	buf_puts(b, added ? "<h1>Account added</h1>\n" :
	    "<h1>Password reset</h1>\n");
	buf_puts(b, "<p>The password of <strong>");
	html_esc(b, username);
	buf_puts(b, "</strong> is:</p>\n<p class=\"new-password\"><code "
	    "id=\"new-password\">");
	html_esc(b, password);
	buf_puts(b, "</code></p>\n<p>It is shown only this once. Give it to "
	    "its owner in person; they sign in with it.</p>\n"
	    "<p><a href=\"/clinic/staff\">Back to the staff accounts</a></p>\n");
	clinic_page_end(cr);
}

/*
 * The password field, or a generated one (*generated 1). 0, or -1 when
 * it fails the policy.
 */
static int
staff_password(struct clinic_req *cr, struct buf *pw, int *generated)
{
	char	 gen[PW_GENLEN + 1];
	int	 r;

	*generated = 0;
	if ((r = clinic_form_value(cr, "password", pw)) == -1)
		return -1;
	if (r == 0 || pw->len == 0) {
		pw_generate(gen);
		buf_reset(pw);
		buf_puts(pw, gen);
		sodium_memzero(gen, sizeof(gen));
		*generated = 1;
		return buf_failed(pw) ? -1 : 0;
	}
	return pw_policy(pw->data, pw->len) == PW_OK ? 0 : -1;
}

void
staff_add(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct staff_form	 f;
	struct clinic_ferr	 e[STAFF_MAXERR];
	struct store_staff	 st;
	struct store_actor	 a;
	struct buf		 pw;
	enum staff_role		 role;
	enum store_err		 se;
	enum pw_err		 pe;
	size_t			 nerr = 0, i;
	int			 generated = 0, added, bad = 0;

	(void)args;
	(void)nargs;
	memset(&st, 0, sizeof(st));
	buf_init(&f.username);
	buf_init(&f.display_name);
	buf_init(&f.role);
	buf_init(&pw);
	if (clinic_form_value(cr, "username", &f.username) == -1 ||
	    clinic_form_value(cr, "display_name", &f.display_name) == -1 ||
	    clinic_form_value(cr, "role", &f.role) == -1) {
		clinic_error(cr, 400, "The form could not be read.");
		goto out;
	}
	if (clinic_username(clinic_str(&f.username), f.username.len,
	    st.username) == -1)
		e[nerr++] = (struct clinic_ferr){ "username", "A username is 1 "
		    "to 64 lower-case letters, digits, dots, dashes or "
		    "underscores." };
	for (i = 0; i < f.display_name.len; i++)
		if ((unsigned char)f.display_name.data[i] < 0x20 ||
		    f.display_name.data[i] == 0x7f)
			bad = 1;
	if (bad || f.display_name.len == 0 ||
	    f.display_name.len > STORE_DISPLAY_MAX)
		e[nerr++] = (struct clinic_ferr){ "display_name", "Enter the "
		    "name to show (one line, at most 128 bytes)." };
	if (clinic_role_parse(clinic_str(&f.role), &role) == -1)
		e[nerr++] = (struct clinic_ferr){ "role", "Choose a role." };
	if (staff_password(cr, &pw, &generated) == -1)
		e[nerr++] = (struct clinic_ferr){ "password", "A password needs "
		    "at least 10 characters, and no control characters; or "
		    "leave it empty to have one made up." };
	if (nerr > 0) {
		staff_page(cr, 422, &f, e, nerr);
		goto out;
	}
	snprintf(st.display_name, sizeof(st.display_name), "%s",
	    f.display_name.data);
	snprintf(st.role, sizeof(st.role), "%s", clinic_role_name(role));
	if ((pe = pw_hash(pw.data, pw.len, st.hash)) != PW_OK) {
		log_warn("staff add: %s", pw_strerror(pe));
		clinic_error(cr, 503, "The password could not be stored just "
		    "now. Nothing was changed; please try again.");
		goto out;
	}
	staff_actor(cr, &a);
	if ((se = store_staff_add(cr->app->store, &st, &a, &added)) !=
	    STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	if (!added) {
		e[0] = (struct clinic_ferr){ "username", "That username is "
		    "taken: choose another." };
		staff_page(cr, 422, &f, e, 1);
		goto out;
	}
	if (generated)
		staff_password_page(cr, st.username, pw.data, 1);
	else
		clinic_redirect(cr, "/clinic/staff");
out:
	sodium_memzero(&st, sizeof(st));
	buf_wipe_free(&pw);
	buf_free(&f.username);
	buf_free(&f.display_name);
	buf_free(&f.role);
}

void
staff_disable(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_actor	 a;
	enum store_err		 se;

	if (nargs < 1) {
		clinic_error(cr, 404, "There is no such account.");
		return;
	}
	/* The last administrator must not lock everyone out by mistake. */
	if (strcmp(args[0], cr->sess.username) == 0) {
		clinic_error(cr, 409, "You cannot disable your own account.");
		return;
	}
	staff_actor(cr, &a);
	se = store_staff_disable(cr->app->store, args[0], &a);
	if (se == STORE_NOT_FOUND)
		clinic_error(cr, 404, "There is no such account.");
	else if (se != STORE_OK)
		clinic_store_error(cr, se);
	else
		clinic_redirect(cr, "/clinic/staff");
}

void
staff_reset(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_actor	 a;
	struct store_staff	 st;
	struct clinic_ferr	 e;
	struct buf		 pw;
	char			 hash[PW_HASHLEN];
	enum store_err		 se;
	enum pw_err		 pe;
	int			 generated;

	memset(&st, 0, sizeof(st));
	buf_init(&pw);
	if (nargs < 1 || (se = store_staff_get(cr->app->store, args[0],
	    &st)) == STORE_NOT_FOUND) {
		clinic_error(cr, 404, "There is no such account.");
		goto out;
	}
	if (se != STORE_OK) {
		clinic_store_error(cr, se);
		goto out;
	}
	if (staff_password(cr, &pw, &generated) == -1) {
		e = (struct clinic_ferr){ "password", "A password needs at "
		    "least 10 characters, and no control characters; or leave "
		    "it empty to have one made up." };
		clinic_error(cr, 422, e.message);
		goto out;
	}
	if ((pe = pw_hash(pw.data, pw.len, hash)) != PW_OK) {
		log_warn("staff reset: %s", pw_strerror(pe));
		clinic_error(cr, 503, "The password could not be stored just "
		    "now. Nothing was changed; please try again.");
		goto out;
	}
	staff_actor(cr, &a);
	se = store_staff_password(cr->app->store, st.username, hash, &a);
	if (se == STORE_NOT_FOUND)
		clinic_error(cr, 404, "There is no such account.");
	else if (se != STORE_OK)
		clinic_store_error(cr, se);
	else if (generated)
		staff_password_page(cr, st.username, pw.data, 0);
	else
		clinic_redirect(cr, "/clinic/staff");
out:
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(&st, sizeof(st));
	buf_wipe_free(&pw);
}
