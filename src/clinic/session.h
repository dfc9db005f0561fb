/*
 * session.h: what the sign-in half of the clinic worker shares between
 * its files (main.c, session.c, accounts.c, appointments.c, staff.c,
 * dashboard.c, pages.c). The review half sees clinic.h only.
 */
#ifndef CLINIC_SESSION_H
#define CLINIC_SESSION_H

#include <stddef.h>
#include <time.h>

#include "clinic/clinic.h"
#include "crypto/token.h"
#include "store/store_clinic.h"

#define CLINIC_COOKIE_SESSION	"clinic_session"
#define CLINIC_COOKIE_LOGIN	"clinic_login"	/* the pre-session cookie */
#define CLINIC_LOGIN_MAX_AGE	3600		/* seconds a login form lasts */
#define CLINIC_LOCK_FAILURES	5		/* api.md: five failures ... */
#define CLINIC_LOCK_MINUTES	15		/* ... in 15 minutes: 15 locked */
#define CLINIC_MAX_ROWS		200		/* longest list on a page */

/* The pages of api.md's roles table. */
enum clinic_page {
	PAGE_SIGNED_IN,		/* any signed-in member of staff (sign-out) */
	PAGE_DASHBOARD,
	PAGE_APPOINTMENTS,
	PAGE_ASSIGN,
	PAGE_INTAKE,		/* answers, flags, .xml, decisions, withdrawal */
	PAGE_STAFF,
	PAGE__MAX
};

/* ---- session.c: pure parts (tests/unit/test_session.c) ---- */

/* 1 when role may see page (api.md's table), else 0. */
int		 clinic_role_allows(enum staff_role, enum clinic_page);
const char	*clinic_role_name(enum staff_role);
/* "therapist" ... into *role: 0, or -1 when not a role. */
int		 clinic_role_parse(const char *, enum staff_role *);
/*
 * A bearer token from the Cookie header: 1 and out filled when cookie
 * name holds exactly one well-formed token, else 0.
 */
int		 clinic_cookie_token(const char *header, const char *name,
		    char out[TOKEN_TEXTLEN + 1]);
/*
 * The CSRF token bound to a session token (label "session") or to a
 * pre-session cookie (label "login"): a keyed hash under the worker's
 * secret, so nothing is stored.
 */
void		 clinic_csrf_derive(const unsigned char secret[32],
		    const char *label, const char *bound,
		    char out[TOKEN_TEXTLEN + 1]);
/* 1 when given (len bytes) is the CSRF token bound to bound. */
int		 clinic_csrf_check(const unsigned char secret[32],
		    const char *label, const char *bound, const char *given,
		    size_t len);
/*
 * 1 when an Origin header may post: absent (NULL), or naming this site
 * (scheme and host of the request's Host, https only when tls).
 */
int		 clinic_origin_ok(const char *origin, const char *fetch_site,
		    const char *host, int tls);
/* A username as typed, lower-cased into out: 0, or -1 if not a username. */
int		 clinic_username(const char *in, size_t len,
		    char out[STORE_USERNAME_MAX + 1]);
/* The key a name is locked out under: a keyed hash, never the name. */
void		 clinic_login_key(const unsigned char secret[32],
		    const char *name, size_t len, unsigned char out[32]);

/* ---- session.c: cookies and the session of a request ---- */

/* Set-Cookie for name; value NULL clears it. */
void		 clinic_set_cookie(struct clinic_req *, const char *name,
		    const char *value, long max_age);
/*
 * Load the request's session into cr->sess: 0 signed in, 1 not, -1 the
 * database failed (503).
 */
int		 clinic_session_load(struct clinic_req *);

/* ---- main.c ---- */

/* The Host header of the request ("" when none). */
const char	*clinic_host(struct clinic_req *);
/* Whether the request came over TLS (configured, or nginx says so). */
int		 clinic_tls(struct clinic_req *);

/* ---- pages.c: shared page pieces ---- */

/* A severity code in words ("no_massage" -> "no massage"). */
const char	*clinic_severity_words(const char *);
/* Intake status and undecided severity as two table cells. */
void		 clinic_state_cells(struct buf *, const char *status,
		    const char *severity, long long nflags, int has_intake);
/* An error summary and field messages for a form shown again (422). */
struct clinic_ferr {
	const char	*field;		/* the input's name (and id) */
	const char	*message;
};
void		 clinic_ferr_summary(struct buf *, const struct clinic_ferr *,
		    size_t n);
/* The message of field, or NULL. */
const char	*clinic_ferr_find(const struct clinic_ferr *, size_t n,
		    const char *field);
/* A labelled text input with its value and, if any, its message. */
void		 clinic_input(struct buf *, const char *name, const char *label,
		    const char *type, const char *value,
		    const struct clinic_ferr *, size_t nerr, int required);
/* A buffer's text, "" when empty. */
const char	*clinic_str(const struct buf *);
/* 503 or 500 for a store error. */
void		 clinic_store_error(struct clinic_req *, int store_err);
/* The start of today, clinic time. */
time_t		 clinic_today_start(void);

/* ---- the handlers ---- */

void	accounts_login_form(struct clinic_req *, const char *const *, size_t);
void	accounts_login(struct clinic_req *, const char *const *, size_t);
void	accounts_logout(struct clinic_req *, const char *const *, size_t);
void	dashboard_show(struct clinic_req *, const char *const *, size_t);
void	appts_list(struct clinic_req *, const char *const *, size_t);
void	appts_create(struct clinic_req *, const char *const *, size_t);
void	appts_show(struct clinic_req *, const char *const *, size_t);
void	appts_edit(struct clinic_req *, const char *const *, size_t);
void	appts_cancel(struct clinic_req *, const char *const *, size_t);
void	staff_list(struct clinic_req *, const char *const *, size_t);
void	staff_add(struct clinic_req *, const char *const *, size_t);
void	staff_disable(struct clinic_req *, const char *const *, size_t);
void	staff_reset(struct clinic_req *, const char *const *, size_t);

#endif
