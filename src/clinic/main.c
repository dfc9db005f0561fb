/*
 * clinic-worker: the staff FastCGI worker for /clinic/.
 *
 *   clinic-worker [-t] [-c CONFIG]
 *
 * It holds the clinic's secret keys, so it refuses to start when a key
 * file is missing, open to other users or not its user's: started as
 * root, it reads the keys as the user it is about to become, so the
 * checks are against that user. -t checks everything and exits.
 *
 * Every request goes through clinic_handle: the route is found, the
 * session checked (303 to the sign-in page, 401 for an .xml resource),
 * the role checked against api.md's table (403), and a POST's Origin,
 * body and CSRF token checked (403) before its handler runs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clinic/session.h"
#include "core/log.h"
#include "crypto/envelope.h"
#include "crypto/password.h"
#include "form/formdef.h"
#include "screen/screen.h"
#include "store/store.h"
#include "web/boot.h"
#include "web/server.h"

#define CLINIC_MAX_ARGS		4
#define CLINIC_ID_DIGITS	18	/* a bigint id, without overflow */

/* Route flags. */
#define R_PUBLIC	0x01	/* no session needed (the sign-in page) */
#define R_XML		0x02	/* a resource: 401 rather than a redirect */
#define R_LOGIN		0x04	/* CSRF bound to the pre-session cookie */

/*
 * The routes. In a pattern '#' is a positive decimal id and '@' a
 * username; each is passed to the handler in order.
 */
static const struct clinic_route {
	const char		*method;
	const char		*pattern;
	enum clinic_page	 page;
	unsigned		 flags;
	clinic_handler		 fn;
} clinic_routes[] = {
	{ "GET", "/clinic/login", PAGE__MAX, R_PUBLIC, accounts_login_form },
	{ "POST", "/clinic/login", PAGE__MAX, R_PUBLIC | R_LOGIN,
	    accounts_login },
	{ "POST", "/clinic/logout", PAGE_SIGNED_IN, 0, accounts_logout },
	{ "GET", "/clinic/", PAGE_DASHBOARD, 0, dashboard_show },
	{ "GET", "/clinic/appointments", PAGE_APPOINTMENTS, 0, appts_list },
	{ "POST", "/clinic/appointments", PAGE_APPOINTMENTS, 0, appts_create },
	{ "GET", "/clinic/appointments/#", PAGE_APPOINTMENTS, 0, appts_show },
	{ "POST", "/clinic/appointments/#", PAGE_APPOINTMENTS, 0, appts_edit },
	{ "POST", "/clinic/appointments/#/cancel", PAGE_APPOINTMENTS, 0,
	    appts_cancel },
	{ "GET", "/clinic/intakes/#", PAGE_INTAKE, 0, review_intake },
	{ "GET", "/clinic/intakes/#.xml", PAGE_INTAKE, R_XML,
	    review_intake_xml },
	{ "POST", "/clinic/intakes/#/flags/#", PAGE_INTAKE, 0, review_decide },
	{ "POST", "/clinic/intakes/#/assign", PAGE_ASSIGN, 0, review_assign },
	{ "POST", "/clinic/intakes/#/consent-withdrawal", PAGE_INTAKE, 0,
	    review_withdraw },
	{ "GET", "/clinic/staff", PAGE_STAFF, 0, staff_list },
	{ "POST", "/clinic/staff", PAGE_STAFF, 0, staff_add },
	{ "POST", "/clinic/staff/@/disable", PAGE_STAFF, 0, staff_disable },
	{ "POST", "/clinic/staff/@/reset", PAGE_STAFF, 0, staff_reset },
};
#define CLINIC_NROUTES	(sizeof(clinic_routes) / sizeof(clinic_routes[0]))

/* The captured path segments of one match. */
struct clinic_args {
	char		 v[CLINIC_MAX_ARGS][STORE_USERNAME_MAX + 1];
	const char	*p[CLINIC_MAX_ARGS];
	size_t		 n;
};

/* 1 when path matches pattern, with its '#' and '@' parts in a. */
static int
clinic_match(const char *pattern, const char *path, struct clinic_args *a)
{
	size_t	 len;

	a->n = 0;
	while (*pattern != '\0') {
		if (*pattern == '#' || *pattern == '@') {
			if (*pattern == '#')
				len = strspn(path, "0123456789");
			else
				len = strspn(path, "abcdefghijklmnopqrstuvwxyz"
				    "0123456789._-");
			if (len == 0 || a->n == CLINIC_MAX_ARGS ||
			    len > (*pattern == '#' ? CLINIC_ID_DIGITS :
			    STORE_USERNAME_MAX) ||
			    (*pattern == '#' && path[0] == '0'))
				return 0;
			memcpy(a->v[a->n], path, len);
			a->v[a->n][len] = '\0';
			a->p[a->n] = a->v[a->n];
			a->n++;
			path += len;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0';
}

const char *
clinic_host(struct clinic_req *cr)
{
	return cr->req->host != NULL ? cr->req->host : "";
}

int
clinic_tls(struct clinic_req *cr)
{
	return cr->app->cfg.tls || cr->req->https;
}

static void
clinic_unauthorised_xml(struct clinic_req *cr)
{
	response_reset(cr->resp);
	cr->resp->status = 401;
	response_type(cr->resp, "application/xml; charset=utf-8", 1);
	buf_puts(&cr->resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<error status=\"401\">Sign in first.</error>\n");
}

/*
 * A POST's checks, in order: Origin (403), media type (415), body
 * (413, 400), CSRF token (403). 0 when the handler may run.
 */
static int
clinic_post_checks(struct clinic_req *cr, const struct clinic_route *r)
{
	struct request	*req = cr->req;
	struct buf	 tok;
	char		 mt[64], pre[TOKEN_TEXTLEN + 1];
	int		 ok = 0;

	if (!clinic_origin_ok(req->origin, req->fetch_site, clinic_host(cr),
	    clinic_tls(cr))) {
		clinic_error(cr, 403, "This form was sent from another site, "
		    "so nothing was changed.");
		return -1;
	}
	http_media_type(req->content_type, mt, sizeof(mt));
	if (req->has_length && req->content_length > 0 &&
	    strcmp(mt, "application/x-www-form-urlencoded") != 0) {
		clinic_error(cr, 415, "This page accepts its own forms only.");
		return -1;
	}
	if (req->length_bad) {
		clinic_error(cr, 400, "The form could not be read.");
		return -1;
	}
	if (req->has_length && req->content_length > 0) {
		switch (http_read_body(req, cr->app->cfg.body_limit, &cr->body,
		    &cr->bodylen)) {
		case BODY_OK:
			break;
		case BODY_TOO_LARGE:
			clinic_error(cr, 413, "The form sent was too large.");
			return -1;
		case BODY_SHORT:
			clinic_error(cr, 400, "The form arrived incomplete.");
			return -1;
		default:
			clinic_error(cr, 500, "The form could not be read.");
			return -1;
		}
	}
	buf_init(&tok);
	if (clinic_form_value(cr, "csrf_token", &tok) == 1) {
		if (r->flags & R_LOGIN)
			ok = clinic_cookie_token(req->cookie,
			    CLINIC_COOKIE_LOGIN, pre) &&
			    clinic_csrf_check(cr->app->secret, "login", pre,
			    tok.data, tok.len);
		else
			ok = cr->sess.valid && tok.len == TOKEN_TEXTLEN &&
			    token_equal(cr->sess.csrf, tok.data,
			    TOKEN_TEXTLEN) == 0;
	}
	sodium_memzero(pre, sizeof(pre));
	buf_wipe_free(&tok);
	if (!ok) {
		clinic_error(cr, 403, r->flags & R_LOGIN ?
		    "This sign-in form has expired. Please load the sign-in "
		    "page again." :
		    "This form has expired or did not come from this site, so "
		    "nothing was changed. Go back, reload the page and try "
		    "again.");
		return -1;
	}
	return 0;
}

static void
clinic_handle(void *arg, struct request *req, struct response *resp)
{
	struct clinic_req		 cr;
	struct clinic_args		 a;
	const struct clinic_route	*r = NULL;
	struct buf			 allow;
	const char			*method;
	size_t				 i;

	memset(&cr, 0, sizeof(cr));
	cr.app = arg;
	cr.req = req;
	cr.resp = resp;
	method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;

	buf_init(&allow);
	for (i = 0; i < CLINIC_NROUTES; i++) {
		if (!clinic_match(clinic_routes[i].pattern, req->path, &a))
			continue;
		if (strcmp(clinic_routes[i].method, method) == 0) {
			r = &clinic_routes[i];
			break;
		}
		buf_printf(&allow, "%s%s", allow.len > 0 ? ", " : "",
		    strcmp(clinic_routes[i].method, "GET") == 0 ? "GET, HEAD" :
		    clinic_routes[i].method);
	}
	if (r == NULL) {
		if (allow.len > 0) {
			clinic_error(&cr, 405, "This address does not take "
			    "that kind of request.");
			response_header(resp, "Allow", allow.data);
		} else
			clinic_error(&cr, 404, "There is no such page.");
		buf_free(&allow);
		return;
	}
	buf_free(&allow);
	/* From here: goto done. */

	if (!(r->flags & R_PUBLIC)) {
		switch (clinic_session_load(&cr)) {
		case 0:
			break;
		case 1:
			if (r->flags & R_XML)
				clinic_unauthorised_xml(&cr);
			else
				clinic_redirect(&cr, "/clinic/login");
			goto done;
		default:
			clinic_store_error(&cr, STORE_UNAVAILABLE);
			goto done;
		}
		if (!clinic_role_allows(cr.sess.role, r->page)) {
			clinic_error(&cr, 403, "Your role does not give access "
			    "to this page.");
			goto done;
		}
	}
	if (strcmp(method, "POST") == 0 && clinic_post_checks(&cr, r) == -1)
		goto done;
	r->fn(&cr, a.p, a.n);
done:
	if (cr.body != NULL) {
		sodium_memzero(cr.body, cr.bodylen);
		free(cr.body);
	}
	sodium_memzero(&cr.sess, sizeof(cr.sess));
}

/* ---- start ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: clinic-worker [-t] [-c config]\n");
	exit(2);
}

/* The CSRF and invite secret: 32 bytes, this user's, no one else's. */
static unsigned char *
clinic_load_secret(const char *path)
{
	struct stat	 st;
	unsigned char	*s;
	ssize_t		 n;
	int		 fd;

	if (path == NULL || *path == '\0') {
		log_error("clinic_secret is not set in the configuration");
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_error("cannot open the clinic secret %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_error("%s must be a file of the clinic worker's user, "
		    "readable by no one else (chmod 600)", path);
		close(fd);
		return NULL;
	}
	if (st.st_size != 32 || (s = sodium_malloc(32)) == NULL) {
		log_error("%s must hold exactly 32 random bytes", path);
		close(fd);
		return NULL;
	}
	n = read(fd, s, 32);
	close(fd);
	if (n != 32) {
		log_error("%s must hold exactly 32 random bytes", path);
		sodium_free(s);
		return NULL;
	}
	sodium_mprotect_readonly(s);
	return s;
}

/*
 * Load the secret keys and the clinic secret. Run as root with a
 * clinic_user, it takes that user's identity for the reading, so a key
 * open to others or owned by anyone else (root included) is refused as
 * the running worker would refuse it.
 */
static int
clinic_load_keys(struct clinic_app *app)
{
	struct passwd	*pw = NULL;
	char		 err[512];
	enum env_err	 ee;
	int		 rc = -1;

	if (geteuid() == 0 && app->cfg.clinic_user != NULL &&
	    *app->cfg.clinic_user != '\0') {
		if ((pw = getpwnam(app->cfg.clinic_user)) == NULL) {
			log_error("no such user: %s", app->cfg.clinic_user);
			return -1;
		}
		if (setegid(pw->pw_gid) == -1 || seteuid(pw->pw_uid) == -1) {
			log_error("cannot act as %s: %s", app->cfg.clinic_user,
			    strerror(errno));
			return -1;
		}
	}
	if ((ee = env_keyring_load(app->cfg.secret_keys, &app->keys, err,
	    sizeof(err))) != ENV_OK)
		log_error("refusing to start: the clinic's secret keys in %s: "
		    "%s%s%s", app->cfg.secret_keys, env_strerror(ee),
		    *err != '\0' ? ": " : "", err);
	else if ((app->secret = clinic_load_secret(app->cfg.clinic_secret)) !=
	    NULL)
		rc = 0;
	if (pw != NULL && (seteuid(0) == -1 || setegid(0) == -1)) {
		log_error("cannot return to root: %s", strerror(errno));
		return -1;
	}
	return rc;
}

/* The slot files of password hashing live beside the worker's socket. */
static char *
clinic_slot_dir(const struct clinic_app *app)
{
	char	*copy, *dir;

	if ((copy = strdup(app->cfg.clinic_socket)) == NULL)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

static char	*clinic_slots;

static int
child_init(void *arg)
{
	struct clinic_app	*app = arg;

	if (clinic_slots == NULL || pw_slots_open(clinic_slots) == -1)
		log_warn("password slots unavailable: hashing is not bounded");
	app->store = store_open(app->cfg.clinic_database,
	    app->cfg.statement_timeout_ms);
	return app->store != NULL ? 0 : -1;
}

static void
child_fini(void *arg)
{
	struct clinic_app	*app = arg;

	pw_slots_close();
	store_close(app->store);
	app->store = NULL;
}

int
main(int argc, char *argv[])
{
	static struct clinic_app app;
	struct server_opts	 so;
	struct server_app	 sa;
	char			 err[1024], path[4096], xsd[4096];
	const char		*conf = getenv("CLINIC_CONFIG");
	int			 ch, check_only = 0;

	log_init("clinic-worker");
	while ((ch = getopt(argc, argv, "c:t")) != -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		default:
			usage();
		}
	if (optind != argc)
		usage();

	if (worker_boot(conf, &app.cfg, &app.fd) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/schemas/rules-v1.xml",
	    app.cfg.share_dir);
	snprintf(xsd, sizeof(xsd), "%s/schemas/rules.xsd", app.cfg.share_dir);
	if (ruleset_load(path, xsd, app.fd, &app.rules, err,
	    sizeof(err)) == -1) {
		log_error("screening rules refused: %s", err);
		return 1;
	}
	if (formdef_field(app.fd, "massage_type") == -1) {
		log_error("the form definition has no massage_type question");
		return 1;
	}
	if (clinic_load_keys(&app) == -1)
		return 1;
	if (check_only) {
		printf("clinic-worker: configuration, form, rules, keys and "
		    "secret are in order\n");
		return 0;
	}
	/* Made now, as whoever starts us: children open them after the drop. */
	if ((clinic_slots = clinic_slot_dir(&app)) == NULL ||
	    pw_slots_create(clinic_slots) == -1)
		log_warn("cannot create the password slot files beside %s",
		    app.cfg.clinic_socket);

	memset(&so, 0, sizeof(so));
	so.socket_path = app.cfg.clinic_socket;
	so.socket_group = app.cfg.socket_group;
	so.user = app.cfg.clinic_user;
	so.children = app.cfg.workers;
	memset(&sa, 0, sizeof(sa));
	sa.arg = &app;
	sa.child_init = child_init;
	sa.child_fini = child_fini;
	sa.handle = clinic_handle;
	return server_run(&so, &sa);
}
