/*
 * accounts.c: signing in and out (api.md, POST /clinic/login and
 * /clinic/logout).
 *
 * A wrong name and a wrong password get the same page, the same status
 * and the same work: a name without an account is verified against a
 * fixed hash, and both record a failure. Failures are counted per name
 * typed (as a keyed hash), known or not, so the lockout tells nobody
 * whether an account exists.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/log.h"
#include "crypto/password.h"
#include "store/store_clinic.h"
#include "web/html.h"

#define ACCOUNTS_WRONG	"The username or the password is not right."

/* The sign-in page, with a message (status 200, 401, 429, 503). */
static void
accounts_page(struct clinic_req *cr, int status, const char *message,
    const char *username, const char *csrf)
{
	struct buf	*b = &cr->resp->body;

	cr->resp->status = status;
	clinic_page_begin(cr, "Sign in");
	buf_puts(b, "<h1>Staff sign-in</h1>\n");
	if (message != NULL) {
		buf_puts(b, "<div class=\"error-summary\" role=\"alert\">"
		    "<p>");
		html_esc(b, message);
		buf_puts(b, "</p></div>\n");
	}
	buf_puts(b, "<form class=\"signin\" method=\"post\" "
	    "action=\"/clinic/login\">\n"
	    "<input type=\"hidden\" name=\"csrf_token\" value=\"");
	html_esc(b, csrf);
	buf_puts(b, "\" />\n<div class=\"field\">\n<label for=\"username\">"
	    "Username</label>\n<input type=\"text\" id=\"username\" "
	    "name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" "
	    "spellcheck=\"false\" maxlength=\"64\" required=\"required\" "
	    "value=\"");
	html_esc(b, username != NULL ? username : "");
	buf_puts(b, "\" />\n</div>\n<div class=\"field\">\n<label "
	    "for=\"password\">Password</label>\n<input type=\"password\" "
	    "id=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required=\"required\" />\n"
	    "</div>\n<button type=\"submit\">Sign in</button>\n</form>\n");
	clinic_page_end(cr);
}

/* The pre-session cookie of this request, or a new one (set now). */
static void
accounts_pre(struct clinic_req *cr, char pre[TOKEN_TEXTLEN + 1])
{
	if (clinic_cookie_token(cr->req->cookie, CLINIC_COOKIE_LOGIN, pre))
		return;
	token_random(pre);
	clinic_set_cookie(cr, CLINIC_COOKIE_LOGIN, pre, CLINIC_LOGIN_MAX_AGE);
}

void
accounts_login_form(struct clinic_req *cr, const char *const *args,
    size_t nargs)
{
	char	 pre[TOKEN_TEXTLEN + 1], csrf[TOKEN_TEXTLEN + 1];

	(void)args;
	(void)nargs;
	response_type(cr->resp, "text/html; charset=utf-8", 1);
	accounts_pre(cr, pre);
	clinic_csrf_derive(cr->app->secret, "login", pre, csrf);
	accounts_page(cr, 200, NULL, NULL, csrf);
	sodium_memzero(pre, sizeof(pre));
}

/* The page again after a refusal; the form stays bound to its cookie. */
static void
accounts_again(struct clinic_req *cr, int status, const char *message,
    const char *username)
{
	char	 pre[TOKEN_TEXTLEN + 1], csrf[TOKEN_TEXTLEN + 1];

	response_reset(cr->resp);
	response_type(cr->resp, "text/html; charset=utf-8", 1);
	if (status == 503)
		response_header(cr->resp, "Retry-After", "30");
	accounts_pre(cr, pre);
	clinic_csrf_derive(cr->app->secret, "login", pre, csrf);
	accounts_page(cr, status, message, username, csrf);
	sodium_memzero(pre, sizeof(pre));
}

static void
accounts_locked(struct clinic_req *cr, time_t until, const char *username)
{
	struct tm	 tm;
	char		 when[64], msg[256], secs[24];
	time_t		 now = time(NULL);

	localtime_r(&until, &tm);
	strftime(when, sizeof(when), "%H:%M on %Y-%m-%d (%Z)", &tm);
	snprintf(msg, sizeof(msg), "Too many failed sign-ins for this "
	    "account. It is locked until %s, clinic time. Please try again "
	    "then, or ask an administrator.", when);
	accounts_again(cr, 429, msg, username);
	snprintf(secs, sizeof(secs), "%lld", (long long)(until > now ?
	    until - now : 1));
	response_header(cr->resp, "Retry-After", secs);
}

void
accounts_login(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_actor	 actor;
	struct store_staff	 st;
	struct buf		 user, pass;
	unsigned char		 key[32], h[TOKEN_HASHLEN];
	char			 name[STORE_USERNAME_MAX + 1], target[96];
	char			 tok[TOKEN_TEXTLEN + 1], old[TOKEN_TEXTLEN + 1];
	const char		*addr = cr->req->remote_addr;
	enum store_err		 se = STORE_NOT_FOUND;
	enum pw_err		 pe;
	time_t			 until;
	int			 found = 0;

	(void)args;
	(void)nargs;
	memset(&st, 0, sizeof(st));
	buf_init(&user);
	buf_init(&pass);
	tok[0] = old[0] = '\0';
	actor.address = addr != NULL && *addr != '\0' ? addr : NULL;
	/* From here: goto out. */

	if (clinic_form_value(cr, "username", &user) != 1 ||
	    clinic_form_value(cr, "password", &pass) != 1) {
		accounts_again(cr, 401, ACCOUNTS_WRONG, NULL);
		goto out;
	}
	if (clinic_username(clinic_str(&user), user.len, name) == 0)
		clinic_login_key(cr->app->secret, name, strlen(name), key);
	else {
		name[0] = '\0';
		clinic_login_key(cr->app->secret, clinic_str(&user), user.len,
		    key);
	}

	if ((se = store_login_locked(cr->app->store, key, &until)) !=
	    STORE_OK) {
		accounts_again(cr, 503, "Signing in is not possible just now. "
		    "Please try again in a moment.", name);
		goto out;
	}
	if (until > time(NULL)) {
		accounts_locked(cr, until, name);
		goto out;
	}
	if (name[0] != '\0') {
		se = store_staff_get(cr->app->store, name, &st);
		if (se != STORE_OK && se != STORE_NOT_FOUND) {
			accounts_again(cr, 503, "Signing in is not possible "
			    "just now. Please try again in a moment.", name);
			goto out;
		}
		found = se == STORE_OK;
	}
	pe = found ? pw_verify(st.hash, clinic_str(&pass), pass.len) :
	    pw_verify_dummy(clinic_str(&pass), pass.len);
	if (pe == PW_BUSY || pe == PW_FAILED) {
		log_warn("sign-in: %s", pw_strerror(pe));
		accounts_again(cr, 503, "Signing in is busy just now. Please "
		    "try again in a moment.", name);
		goto out;
	}

	if (!found || pe != PW_OK || st.disabled) {
		actor.who = found ? st.username : "unknown";
		if (found)
			snprintf(target, sizeof(target), "staff:%s%s",
			    st.username, st.disabled ? " (disabled)" : "");
		se = store_login_failed(cr->app->store, key, &actor,
		    found ? target : NULL);
		if (se != STORE_OK)
			accounts_again(cr, 503, "Signing in is not possible "
			    "just now. Please try again in a moment.", name);
		else
			accounts_again(cr, 401, ACCOUNTS_WRONG, name);
		goto out;
	}

	/* A fresh session: never one the browser brought along. */
	if (clinic_cookie_token(cr->req->cookie, CLINIC_COOKIE_SESSION, old)) {
		token_hash(old, h);
		actor.who = st.username;
		(void)store_session_end(cr->app->store, h, &actor);
	}
	token_random(tok);
	token_hash(tok, h);
	actor.who = st.username;
	if ((se = store_session_start(cr->app->store, h, st.id, key,
	    cr->app->cfg.session_idle_s, cr->app->cfg.session_max_s,
	    &actor)) != STORE_OK) {
		accounts_again(cr, 503, "Signing in is not possible just now. "
		    "Please try again in a moment.", name);
		goto out;
	}
	clinic_redirect(cr, "/clinic/");
	clinic_set_cookie(cr, CLINIC_COOKIE_SESSION, tok, 0);
	clinic_set_cookie(cr, CLINIC_COOKIE_LOGIN, NULL, 0);
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(old, sizeof(old));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	buf_wipe_free(&user);
	buf_wipe_free(&pass);
}

void
accounts_logout(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_actor	 actor;
	unsigned char		 h[TOKEN_HASHLEN];
	char			 tok[TOKEN_TEXTLEN + 1];
	const char		*addr = cr->req->remote_addr;
	enum store_err		 se;

	(void)args;
	(void)nargs;
	if (clinic_cookie_token(cr->req->cookie, CLINIC_COOKIE_SESSION, tok)) {
		token_hash(tok, h);
		actor.who = cr->sess.username;
		actor.address = addr != NULL && *addr != '\0' ? addr : NULL;
		se = store_session_end(cr->app->store, h, &actor);
		sodium_memzero(tok, sizeof(tok));
		if (se != STORE_OK && se != STORE_NOT_FOUND) {
			clinic_store_error(cr, se);
			return;
		}
	}
	clinic_redirect(cr, "/clinic/login");
	clinic_set_cookie(cr, CLINIC_COOKIE_SESSION, NULL, 0);
}
