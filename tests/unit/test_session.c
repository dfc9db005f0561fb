/*
 * test_session.c: the pure parts of src/clinic/session.c: api.md's roles
 * table, cookie parsing, CSRF tokens, the Origin check, usernames, the
 * lockout key and the cookie attributes.
 *
 * src/clinic/ is linked only into the worker, so the file is compiled in.
 */
#include "clinic/session.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static const unsigned char secret_a[32] = { 7, 7, 7 };
static const unsigned char secret_b[32] = { 7, 7, 8 };

static void
test_roles(void **state)
{
	/* api.md, "Roles": every page against every role. */
	static const struct {
		enum clinic_page	 page;
		int			 therapist, front_desk, admin;
	} t[] = {
		{ PAGE_SIGNED_IN,	1, 1, 1 },
		{ PAGE_DASHBOARD,	1, 1, 1 },
		{ PAGE_APPOINTMENTS,	1, 1, 1 },
		{ PAGE_ASSIGN,		1, 1, 1 },
		{ PAGE_INTAKE,		1, 0, 0 },
		{ PAGE_STAFF,		0, 0, 1 },
	};
	size_t	 i;

	(void)state;
	assert_int_equal(sizeof(t) / sizeof(t[0]), PAGE__MAX);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(clinic_role_allows(ROLE_THERAPIST, t[i].page),
		    t[i].therapist);
		assert_int_equal(clinic_role_allows(ROLE_FRONT_DESK, t[i].page),
		    t[i].front_desk);
		assert_int_equal(clinic_role_allows(ROLE_ADMIN, t[i].page),
		    t[i].admin);
	}
	/* anything outside the table is refused */
	assert_int_equal(clinic_role_allows(ROLE_ADMIN, PAGE__MAX), 0);
	assert_int_equal(clinic_role_allows((enum staff_role)3, PAGE_DASHBOARD),
	    0);
	assert_int_equal(clinic_role_allows((enum staff_role)-1,
	    PAGE_DASHBOARD), 0);
}

static void
test_role_names(void **state)
{
	static const char *const good[] = { "therapist", "front_desk", "admin" };
	static const char *const bad[] = { "", "Admin", "front-desk", "root",
	    "therapist ", "adm" };
	enum staff_role	 r = ROLE_ADMIN;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(clinic_role_parse(good[i], &r), 0);
		assert_string_equal(clinic_role_name(r), good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(clinic_role_parse(bad[i], &r), -1);
	assert_int_equal(clinic_role_parse(NULL, &r), -1);
}

#define TOK	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"	/* 43 */

static void
test_cookies(void **state)
{
	static const struct {
		const char	*header;
		int		 found;
	} t[] = {
		{ "clinic_session=" TOK, 1 },
		{ "a=b; clinic_session=" TOK, 1 },
		{ "a=b;clinic_session=" TOK "; c=d", 1 },
		{ "clinic_session=" TOK " ; c=d", 1 },
		{ "clinic_sessionx=" TOK, 0 },		/* another name */
		{ "xclinic_session=" TOK, 0 },
		{ "clinic_login=" TOK, 0 },
		{ "clinic_session=" TOK "R", 0 },	/* 44 characters */
		{ "clinic_session=abc", 0 },		/* too short */
		{ "clinic_session=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP=", 0 },
		{ "clinic_session=abcdefghijklmnopqrstuvwxyz+BCDEFGHIJKLMNOPQ", 0 },
		{ "clinic_session=", 0 },
		{ "", 0 },
	};
	char	 out[TOKEN_TEXTLEN + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(clinic_cookie_token(t[i].header,
		    CLINIC_COOKIE_SESSION, out), t[i].found);
		if (t[i].found)
			assert_string_equal(out, TOK);
		else
			assert_string_equal(out, "");
	}
	assert_int_equal(clinic_cookie_token(NULL, CLINIC_COOKIE_SESSION, out),
	    0);
	assert_int_equal(clinic_cookie_token("clinic_login=" TOK,
	    CLINIC_COOKIE_LOGIN, out), 1);
}

static void
test_csrf(void **state)
{
	char	 a[TOKEN_TEXTLEN + 1], b[TOKEN_TEXTLEN + 1];
	char	 other[TOKEN_TEXTLEN + 1], tampered[TOKEN_TEXTLEN + 1];
	char	 bound[TOKEN_TEXTLEN + 1];

	(void)state;
	token_random(bound);
	token_random(other);
	clinic_csrf_derive(secret_a, "session", bound, a);
	clinic_csrf_derive(secret_a, "session", bound, b);
	assert_string_equal(a, b);			/* nothing stored */
	assert_string_not_equal(a, bound);		/* not the cookie */
	assert_int_equal(token_check(a, strlen(a)), 0);
	assert_int_equal(clinic_csrf_check(secret_a, "session", bound, a,
	    strlen(a)), 1);
	/* bound to its session, its label and the secret */
	assert_int_equal(clinic_csrf_check(secret_a, "session", other, a,
	    strlen(a)), 0);
	assert_int_equal(clinic_csrf_check(secret_a, "login", bound, a,
	    strlen(a)), 0);
	assert_int_equal(clinic_csrf_check(secret_b, "session", bound, a,
	    strlen(a)), 0);
	/* missing, short, long, one character changed */
	assert_int_equal(clinic_csrf_check(secret_a, "session", bound, NULL, 0),
	    0);
	assert_int_equal(clinic_csrf_check(secret_a, "session", bound, "", 0),
	    0);
	assert_int_equal(clinic_csrf_check(secret_a, "session", bound, a,
	    strlen(a) - 1), 0);
	memcpy(tampered, a, sizeof(tampered));
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	assert_int_equal(clinic_csrf_check(secret_a, "session", bound,
	    tampered, strlen(tampered)), 0);
	/* a malformed binding never checks */
	assert_int_equal(clinic_csrf_check(secret_a, "session", "short", a,
	    strlen(a)), 0);
	assert_int_equal(clinic_csrf_check(secret_a, "session", NULL, a,
	    strlen(a)), 0);
}

static void
test_origin(void **state)
{
	static const struct {
		const char	*origin, *site, *host;
		int		 tls, ok;
	} t[] = {
		{ NULL, NULL, "127.0.0.1:8080", 0, 1 },	/* no Origin: allowed */
		{ NULL, NULL, "", 1, 1 },
		{ "http://127.0.0.1:8080", NULL, "127.0.0.1:8080", 0, 1 },
		{ "HTTP://Clinic.Example", NULL, "clinic.example", 0, 1 },
		{ "https://clinic.example", NULL, "clinic.example", 1, 1 },
		{ "http://clinic.example", NULL, "clinic.example", 1, 0 },
		{ "https://clinic.example", NULL, "clinic.example", 0, 0 },
		{ "http://evil.example", NULL, "clinic.example", 0, 0 },
		{ "http://clinic.example.evil.example", NULL, "clinic.example",
		    0, 0 },
		{ "http://127.0.0.1:8081", NULL, "127.0.0.1:8080", 0, 0 },
		{ "http://127.0.0.1", NULL, "127.0.0.1:8080", 0, 0 },
		{ "http://127.0.0.1:8080/", NULL, "127.0.0.1:8080", 0, 0 },
		{ "", NULL, "127.0.0.1:8080", 0, 0 },
		{ "http://127.0.0.1:8080", NULL, "", 0, 0 },	/* no Host */
		{ "http://127.0.0.1:8080", NULL, NULL, 0, 0 },
		/* a no-referrer page's own form posts: Origin "null" */
		{ "null", NULL, "127.0.0.1:8080", 0, 1 },
		{ "null", "same-origin", "127.0.0.1:8080", 0, 1 },
		{ "null", "cross-site", "127.0.0.1:8080", 0, 0 },
		{ "null", "same-site", "127.0.0.1:8080", 0, 0 },
		{ NULL, "cross-site", "127.0.0.1:8080", 0, 0 },
		{ "http://127.0.0.1:8080", "cross-site", "127.0.0.1:8080", 0, 0 },
		{ "http://127.0.0.1:8080", "same-origin", "127.0.0.1:8080", 0, 1 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (clinic_origin_ok(t[i].origin, t[i].site, t[i].host,
		    t[i].tls) != t[i].ok)
			fail_msg("origin case %zu", i);
}

static void
test_usernames(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "alice", "alice" },
		{ "Alice", "alice" },
		{ "a.b-c_d9", "a.b-c_d9" },
		{ "0", "0" },
		{ "", NULL },
		{ "a b", NULL },
		{ "al/ice", NULL },
		{ "al'ice", NULL },
		{ "\xc3\xa9", NULL },
		{ "alice\n", NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    NULL },				/* 65 */
	};
	char	 out[STORE_USERNAME_MAX + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].out == NULL) {
			assert_int_equal(clinic_username(t[i].in,
			    strlen(t[i].in), out), -1);
			assert_string_equal(out, "");
		} else {
			assert_int_equal(clinic_username(t[i].in,
			    strlen(t[i].in), out), 0);
			assert_string_equal(out, t[i].out);
		}
	}
	assert_int_equal(clinic_username(NULL, 0, out), -1);
}

static void
test_login_key(void **state)
{
	unsigned char	 a[32], b[32], c[32], d[32];

	(void)state;
	clinic_login_key(secret_a, "alice", 5, a);
	clinic_login_key(secret_a, "alice", 5, b);
	clinic_login_key(secret_a, "alicf", 5, c);
	clinic_login_key(secret_b, "alice", 5, d);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	assert_memory_not_equal(a, d, 32);
	/* the name is not in the key */
	assert_null(memmem(a, 32, "alice", 5));
}

/* The Set-Cookie header clinic_set_cookie writes. */
static char *
cookie_for(int cfg_tls, int https, const char *value)
{
	static struct clinic_app	 app;
	struct request			 req;
	struct response			 resp;
	struct clinic_req		 cr;
	char				*h;

	memset(&app, 0, sizeof(app));
	memset(&req, 0, sizeof(req));
	memset(&cr, 0, sizeof(cr));
	app.cfg.tls = cfg_tls;
	req.https = https;
	response_init(&resp);
	cr.app = &app;
	cr.req = &req;
	cr.resp = &resp;
	clinic_set_cookie(&cr, CLINIC_COOKIE_SESSION, value, 0);
	assert_false(buf_failed(&resp.headers));
	h = strdup(resp.headers.data);
	response_free(&resp);
	return h;
}

static void
test_cookie_attributes(void **state)
{
	char	*h;

	(void)state;
	h = cookie_for(0, 0, TOK);
	assert_string_equal(h, "Set-Cookie: clinic_session=" TOK
	    "; Path=/clinic/; HttpOnly; SameSite=Strict\r\n");
	free(h);
	h = cookie_for(1, 0, TOK);			/* tls = yes */
	assert_non_null(strstr(h, "; Secure"));
	assert_non_null(strstr(h, "HttpOnly"));
	assert_non_null(strstr(h, "SameSite=Strict"));
	free(h);
	h = cookie_for(0, 1, TOK);			/* nginx says https */
	assert_non_null(strstr(h, "; Secure"));
	free(h);
	h = cookie_for(0, 0, NULL);			/* cleared */
	assert_non_null(strstr(h, "clinic_session=; Path=/clinic/; Max-Age=0"));
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_usernames),
		cmocka_unit_test(test_login_key),
		cmocka_unit_test(test_cookie_attributes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
