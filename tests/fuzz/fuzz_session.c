/*
 * fuzz_session.c: what the clinic worker reads from a request before it
 * knows who is asking (src/clinic/session.c and clinic_form_value in
 * src/clinic/pages.c, compiled into this target): the session and
 * pre-session cookies, the CSRF token field, the Origin and Host headers,
 * the username typed at sign-in.
 *
 * The input is five parts separated by NUL bytes (a header cannot hold
 * one): Cookie header, Origin, Host, form body, Sec-Fetch-Site. The first
 * byte of the input picks whether the request came over TLS (bit 0) and
 * whether Origin and Sec-Fetch-Site were sent at all (bits 1 and 2).
 *
 * Properties: a token taken from a cookie is well-formed; a CSRF token is
 * accepted exactly when it is the one derived from the cookie it is bound
 * to; a POST is let through only when Sec-Fetch-Site, if sent, says
 * same-origin or none, and Origin, if sent, is "null" or names this very
 * site; a
 * username is lower case from [a-z0-9._-]; a form value is UTF-8 without
 * NUL.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clinic/session.h"
#include "core/utf8.h"

#include "fuzz.h"

static const unsigned char secret[32] = "fuzz-session-secret-0123456789ab";

/* Part i of the input (NUL-separated), as a new string. */
static char *
part(const uint8_t *data, size_t size, int i, size_t *len)
{
	const uint8_t	*p = data, *end = data + size, *nul;
	char		*s;

	for (; i > 0 && p < end; i--) {
		nul = memchr(p, '\0', (size_t)(end - p));
		p = nul == NULL ? end : nul + 1;
	}
	nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
	*len = (size_t)((nul == NULL ? end : nul) - p);
	if ((s = malloc(*len + 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(s, p, *len);
	s[*len] = '\0';
	return s;
}

static void
cookies(const char *header, const char *body, size_t bodylen)
{
	static const char *const names[] = { CLINIC_COOKIE_SESSION,
	    CLINIC_COOKIE_LOGIN };
	char	 tok[TOKEN_TEXTLEN + 1], want[TOKEN_TEXTLEN + 1];
	size_t	 i;

	for (i = 0; i < 2; i++) {
		if (!clinic_cookie_token(header, names[i], tok))
			continue;
		if (token_check(tok, strlen(tok)) == -1)
			fuzz_fail("cookie %s gave a malformed token", names[i]);
		clinic_csrf_derive(secret, "login", tok, want);
		if (clinic_csrf_check(secret, "login", tok, want,
		    TOKEN_TEXTLEN) != 1)
			fuzz_fail("the CSRF token of a cookie is refused");
		if (clinic_csrf_check(secret, "session", tok, want,
		    TOKEN_TEXTLEN) != 0)
			fuzz_fail("a login CSRF token passes for a session");
		if (clinic_csrf_check(secret, "login", tok, body, bodylen) !=
		    (bodylen == TOKEN_TEXTLEN && memcmp(body, want,
		    TOKEN_TEXTLEN) == 0))
			fuzz_fail("a forged CSRF token is accepted");
	}
}

static void
origin(const char *o, const char *site, const char *host, int tls)
{
	const char	*scheme = tls ? "https://" : "http://";
	size_t		 sl = strlen(scheme);
	int		 site_ok, origin_ok;

	if (clinic_origin_ok(NULL, NULL, host, tls) != 1)
		fuzz_fail("a POST with neither Origin nor Sec-Fetch-Site is "
		    "refused");
	site_ok = site == NULL || strcmp(site, "same-origin") == 0 ||
	    strcmp(site, "none") == 0;
	origin_ok = o == NULL || strcmp(o, "null") == 0 || (*host != '\0' &&
	    strncasecmp(o, scheme, sl) == 0 && strcasecmp(o + sl, host) == 0);
	if (clinic_origin_ok(o, site, host, tls) == 1 && !(site_ok &&
	    origin_ok))
		fuzz_fail("Origin %s, Sec-Fetch-Site %s accepted for host %s",
		    o ? o : "(none)", site ? site : "(none)", host);
}

static void
username(const char *in, size_t len)
{
	char	 out[STORE_USERNAME_MAX + 1];
	size_t	 i;

	if (clinic_username(in, len, out) != 0)
		return;
	if (strlen(out) != len || len > STORE_USERNAME_MAX)
		fuzz_fail("username of %zu bytes from %zu", strlen(out), len);
	for (i = 0; out[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789._-",
		    out[i]) == NULL)
			fuzz_fail("username holds 0x%02x", out[i]);
}

static void
form(char *body, size_t len)
{
	static const char *const names[] = { "csrf_token", "username",
	    "password", "note" };
	struct clinic_req	 cr;
	struct buf		 v;
	size_t			 i;

	memset(&cr, 0, sizeof(cr));
	cr.body = body;
	cr.bodylen = len;
	buf_init(&v);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (clinic_form_value(&cr, names[i], &v) == 1 && v.len > 0 &&
		    (memchr(v.data, '\0', v.len) != NULL ||
		    !utf8_valid(v.data, v.len)))
			fuzz_fail("form value %s is not text", names[i]);
	buf_wipe_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*header, *o, *host, *body, *site;
	size_t	 hl, ol, hol, bl, sl;

	if (size == 0)
		return 0;
	header = part(data + 1, size - 1, 0, &hl);
	o = part(data + 1, size - 1, 1, &ol);
	host = part(data + 1, size - 1, 2, &hol);
	body = part(data + 1, size - 1, 3, &bl);
	site = part(data + 1, size - 1, 4, &sl);
	cookies(header, body, bl);
	origin(data[0] & 2 ? o : NULL, data[0] & 4 ? site : NULL, host,
	    data[0] & 1);
	username(o, ol);
	username(body, bl);
	form(body, bl);
	free(header);
	free(o);
	free(host);
	free(body);
	free(site);
	return 0;
}
