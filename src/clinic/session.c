/*
 * session.c: who is asking. The roles table of api.md, the session and
 * pre-session cookies, CSRF tokens and the Origin check, and loading the
 * session of a request. Everything here but clinic_session_load is pure,
 * and tests/unit/test_session.c compiles this file in.
 *
 * A session is a random 32-byte token in a cookie; the database keeps
 * only its hash. Its CSRF token is a keyed hash of the session token
 * under the worker's secret, so a stolen database yields neither; the
 * login form's is bound the same way to a pre-session cookie.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/log.h"
#include "store/store_clinic.h"
#include "web/http.h"

/* api.md, "Roles": 1 where the role may see the page. */
static const unsigned char clinic_roles[PAGE__MAX][3] = {
	/*			 therapist front_desk admin */
	[PAGE_SIGNED_IN]	= { 1, 1, 1 },
	[PAGE_DASHBOARD]	= { 1, 1, 1 },
	[PAGE_APPOINTMENTS]	= { 1, 1, 1 },
	[PAGE_ASSIGN]		= { 1, 1, 1 },
	[PAGE_INTAKE]		= { 1, 0, 0 },
	[PAGE_STAFF]		= { 0, 0, 1 },
};

static const char *const clinic_role_names[] = {
	[ROLE_THERAPIST] = "therapist",
	[ROLE_FRONT_DESK] = "front_desk",
	[ROLE_ADMIN] = "admin",
};

int
clinic_role_allows(enum staff_role role, enum clinic_page page)
{
	if ((unsigned)role > ROLE_ADMIN || (unsigned)page >= PAGE__MAX)
		return 0;
	return clinic_roles[page][role];
}

const char *
clinic_role_name(enum staff_role role)
{
	if ((unsigned)role > ROLE_ADMIN)
		return "unknown";
	return clinic_role_names[role];
}

int
clinic_role_parse(const char *s, enum staff_role *role)
{
	size_t	 i;

	for (i = 0; i < sizeof(clinic_role_names) / sizeof(clinic_role_names[0]);
	    i++)
		if (s != NULL && strcmp(s, clinic_role_names[i]) == 0) {
			*role = (enum staff_role)i;
			return 0;
		}
	return -1;
}

int
clinic_cookie_token(const char *header, const char *name,
    char out[TOKEN_TEXTLEN + 1])
{
	out[0] = '\0';
	if (header == NULL || http_cookie(header, name, out,
	    TOKEN_TEXTLEN + 1) != 1 || token_check(out, strlen(out)) == -1) {
		sodium_memzero(out, TOKEN_TEXTLEN + 1);
		return 0;
	}
	return 1;
}

void
clinic_csrf_derive(const unsigned char secret[32], const char *label,
    const char *bound, char out[TOKEN_TEXTLEN + 1])
{
	char	 l[64];

	snprintf(l, sizeof(l), "clinic-csrf-%s", label);
	token_derive(secret, l, bound, strlen(bound), out);
}

int
clinic_csrf_check(const unsigned char secret[32], const char *label,
    const char *bound, const char *given, size_t len)
{
	char	 want[TOKEN_TEXTLEN + 1];
	int	 ok;

	if (bound == NULL || given == NULL || len != TOKEN_TEXTLEN ||
	    token_check(bound, strlen(bound)) == -1)
		return 0;
	clinic_csrf_derive(secret, label, bound, want);
	ok = token_equal(want, given, TOKEN_TEXTLEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/*
 * api.md: an Origin naming another site is refused; a missing one is
 * allowed. Browsers send "Origin: null" on every form post of a page
 * served with Referrer-Policy: no-referrer (which api.md requires), so
 * "null" names no site and is allowed, unless Sec-Fetch-Site says the
 * post came from elsewhere. The CSRF token is checked in any case.
 */
int
clinic_origin_ok(const char *origin, const char *fetch_site, const char *host,
    int tls)
{
	const char	*scheme = tls ? "https://" : "http://";
	size_t		 sl = strlen(scheme);

	if (fetch_site != NULL && strcmp(fetch_site, "same-origin") != 0 &&
	    strcmp(fetch_site, "none") != 0)
		return 0;
	if (origin == NULL || strcmp(origin, "null") == 0)
		return 1;
	if (host == NULL || *host == '\0' || strncasecmp(origin, scheme, sl) != 0)
		return 0;
	return strcasecmp(origin + sl, host) == 0;
}

int
clinic_username(const char *in, size_t len, char out[STORE_USERNAME_MAX + 1])
{
	size_t	 i;
	char	 c;

	out[0] = '\0';
	if (in == NULL || len == 0 || len > STORE_USERNAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		c = (char)tolower((unsigned char)in[i]);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')) {
			out[0] = '\0';
			return -1;
		}
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

void
clinic_login_key(const unsigned char secret[32], const char *name,
    size_t len, unsigned char out[32])
{
	static const char	 label[] = "clinic-login-key";
	crypto_generichash_state st;

	/* The label's NUL separates it from the name. */
	crypto_generichash_init(&st, secret, 32, 32);
	crypto_generichash_update(&st, (const unsigned char *)label,
	    sizeof(label));
	if (len > 0)
		crypto_generichash_update(&st, (const unsigned char *)name, len);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}

void
clinic_set_cookie(struct clinic_req *cr, const char *name, const char *value,
    long max_age)
{
	struct buf	 b;
	int		 secure = cr->app->cfg.tls || cr->req->https;

	buf_init(&b);
	if (value == NULL)
		buf_printf(&b, "%s=; Path=/clinic/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict%s", name, secure ? "; Secure" : "");
	else
		buf_printf(&b, "%s=%s; Path=/clinic/; HttpOnly; SameSite=Strict"
		    "%s", name, value, secure ? "; Secure" : "");
	if (value != NULL && max_age > 0)
		buf_printf(&b, "; Max-Age=%ld", max_age);
	if (!buf_failed(&b))
		response_header(cr->resp, "Set-Cookie", b.data);
	else
		cr->resp->headers.failed = 1;
	buf_wipe_free(&b);
}

int
clinic_session_load(struct clinic_req *cr)
{
	struct clinic_session	*s = &cr->sess;
	struct store_staff	 st;
	unsigned char		 h[TOKEN_HASHLEN];
	char			 tok[TOKEN_TEXTLEN + 1];
	enum store_err		 se;
	int			 rc = 1;

	memset(s, 0, sizeof(*s));
	if (!clinic_cookie_token(cr->req->cookie, CLINIC_COOKIE_SESSION, tok))
		return 1;
	token_hash(tok, h);
	se = store_session_get(cr->app->store, h, cr->app->cfg.session_idle_s,
	    cr->app->cfg.session_max_s, &st);
	if (se == STORE_NOT_FOUND)
		goto out;
	if (se != STORE_OK) {
		rc = -1;
		goto out;
	}
	if (clinic_role_parse(st.role, &s->role) == -1) {
		log_error("staff account %lld has an unknown role", st.id);
		goto out;
	}
	s->valid = 1;
	s->staff_id = st.id;
	snprintf(s->username, sizeof(s->username), "%s", st.username);
	snprintf(s->display_name, sizeof(s->display_name), "%s",
	    st.display_name);
	clinic_csrf_derive(cr->app->secret, "session", tok, s->csrf);
	rc = 0;
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(&st, sizeof(st));
	return rc;
}
