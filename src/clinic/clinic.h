/*
 * clinic.h: the staff worker (/clinic/). It holds the clinic's SECRET keys
 * (sodium_malloc'ed, from a directory only its user may read) and connects
 * as clinic_reader. Two halves share this header:
 *   accounts.c, session.c, main.c, appointments.c, staff.c, dashboard.c:
 *     sign-in, sessions, CSRF, roles, accounts, appointments, dashboard
 *   review.c (+ src/record/): an intake's decrypted answers, flags,
 *     decisions, assignment, consent withdrawal, the XML export
 */
#ifndef CLINIC_CLINIC_H
#define CLINIC_CLINIC_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "web/http.h"

struct formdef;
struct ruleset;
struct env_keyring;
struct store;

enum staff_role { ROLE_THERAPIST, ROLE_FRONT_DESK, ROLE_ADMIN };

struct clinic_app {
	struct config		 cfg;
	struct formdef		*fd;
	struct ruleset		*rules;
	struct env_keyring	*keys;
	unsigned char		*secret;	/* 32 bytes: CSRF keys */
	struct store		*store;		/* per child */
};

/* The signed-in member of staff, or none. */
struct clinic_session {
	int		 valid;
	long long	 staff_id;
	char		 username[65];
	char		 display_name[129];
	enum staff_role	 role;
	char		 csrf[64];	/* the token every form of this session carries */
};

/* One request being served. */
struct clinic_req {
	struct clinic_app	*app;
	struct request		*req;
	struct response		*resp;
	struct clinic_session	 sess;
	char			*body;		/* POST body, NUL-terminated, or NULL */
	size_t			 bodylen;
};

/*
 * Routing (main.c): the path is matched, the session checked (303 to
 * /clinic/login for a page, 401 for an .xml resource), the role checked
 * against api.md's table (403), and for a POST the body read, the CSRF
 * token and the Origin checked (403) before the handler runs.
 */
typedef void (*clinic_handler)(struct clinic_req *, const char *const *args,
    size_t nargs);

/* Page frame: header with the signed-in name and sign-out form, nav. */
void	clinic_page_begin(struct clinic_req *, const char *title);
void	clinic_page_end(struct clinic_req *);
/* <input type=hidden name=csrf_token value=...> for this session. */
void	clinic_csrf_field(struct clinic_req *);
/* A form field's strictly decoded value (1 found, 0 absent, -1 malformed). */
int	clinic_form_value(struct clinic_req *, const char *name, struct buf *);
/* 303 to location. */
void	clinic_redirect(struct clinic_req *, const char *location);
/* A plain error page (400, 403, 404, 409, 422, 500, 503). */
void	clinic_error(struct clinic_req *, int status, const char *message);
/*
 * Append an audit row (who = this session's username, from = REMOTE_ADDR).
 * action and target never hold health data. -1 when the row could not be
 * written: the caller must then not show what it was about to show.
 */
int	clinic_audit(struct clinic_req *, const char *action, const char *target);
/* Times in the clinic's zone (TZ set at start). */
void	clinic_time(time_t, char *out, size_t outsz);

/* review.c: the handlers of the second half. */
void	review_intake(struct clinic_req *, const char *const *, size_t);
void	review_intake_xml(struct clinic_req *, const char *const *, size_t);
void	review_decide(struct clinic_req *, const char *const *, size_t);
void	review_assign(struct clinic_req *, const char *const *, size_t);
void	review_withdraw(struct clinic_req *, const char *const *, size_t);

#endif
