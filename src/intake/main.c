/*
 * intake-worker: the public FastCGI worker for /intake/.
 *
 *   intake-worker [-t] [-c CONFIG]
 *
 * Everything that can be wrong with the installation (configuration, form
 * definition, schemas, rules, keys) is checked here, before serving, and
 * stops the worker with a message naming the file and the problem. -t
 * checks and exits.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "form/formdef.h"
#include "form/intake_xml.h"
#include "intake/intake.h"
#include "screen/screen.h"
#include "store/store.h"
#include "web/boot.h"
#include "web/server.h"

static void
usage(void)
{
	fprintf(stderr, "usage: intake-worker [-t] [-c config]\n");
	exit(2);
}

/* The token secret: 32 bytes, readable by its owner only. */
static unsigned char *
load_secret(const char *path)
{
	struct stat	 st;
	unsigned char	*s;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_error("cannot open the token secret %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		log_error("%s is readable by other users; chmod 600 it", path);
		close(fd);
		return NULL;
	}
	if ((s = sodium_malloc(32)) == NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, s, 32);
	close(fd);
	if (n != 32) {
		log_error("%s must hold 32 random bytes", path);
		sodium_free(s);
		return NULL;
	}
	sodium_mprotect_readonly(s);
	return s;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*b = NULL;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = '\0';
	}
	fclose(f);
	return b;
}

/* In a new parser child: it must hold no secret. */
static void
parser_forget(void *arg)
{
	struct intake_app	*app = arg;

	sodium_free(app->secret);
	app->secret = NULL;
}

static int
child_init(void *arg)
{
	struct intake_app	*app = arg;

	app->pool.fd = app->fd;
	app->pool.parser = app->parser;
	app->pool.body_limit = app->cfg.body_limit;
	app->pool.forget = parser_forget;
	app->pool.forget_arg = app;
	app->pool.pid = -1;
	app->pool.fd_sock = -1;
	(void)parse_pool_start(&app->pool);	/* retried per request */
	app->store = store_open(app->cfg.intake_database,
	    app->cfg.statement_timeout_ms);
	return app->store != NULL ? 0 : -1;
}

static void
child_fini(void *arg)
{
	struct intake_app	*app = arg;

	parse_pool_stop(&app->pool);
	store_close(app->store);
	app->store = NULL;
}

int
main(int argc, char *argv[])
{
	static struct intake_app app;
	struct server_opts	 so;
	struct server_app	 sa;
	char			 err[1024], path[4096], xsd[4096];
	const char		*conf = getenv("CLINIC_CONFIG");
	enum env_err		 ee;
	int			 ch, check_only = 0;

	log_init("intake-worker");
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
	snprintf(xsd, sizeof(xsd), "%s/schemas/intake-v1.xsd",
	    app.cfg.share_dir);
	if ((app.parser = intake_parser_new(app.fd, xsd, err,
	    sizeof(err))) == NULL) {
		log_error("intake schema refused: %s", err);
		return 1;
	}
	if ((app.schema_xsd = slurp(xsd, &app.schema_len)) == NULL) {
		log_error("cannot read %s", xsd);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/schemas/rules-v1.xml",
	    app.cfg.share_dir);
	snprintf(xsd, sizeof(xsd), "%s/schemas/rules.xsd", app.cfg.share_dir);
	if (ruleset_load(path, xsd, app.fd, &app.rules, err,
	    sizeof(err)) == -1) {
		log_error("screening rules refused: %s", err);
		return 1;
	}
	if ((ee = env_pubkey_load(app.cfg.public_key, &app.pk)) != ENV_OK) {
		log_error("clinic public key %s: %s", app.cfg.public_key,
		    env_strerror(ee));
		return 1;
	}
	if ((app.secret = load_secret(app.cfg.intake_secret)) == NULL)
		return 1;
	if (check_only) {
		printf("intake-worker: configuration, form, schema, rules and "
		    "keys are in order\n");
		return 0;
	}

	memset(&so, 0, sizeof(so));
	so.socket_path = app.cfg.intake_socket;
	so.socket_group = app.cfg.socket_group;
	so.user = app.cfg.intake_user;
	so.children = app.cfg.workers;
	memset(&sa, 0, sizeof(sa));
	sa.arg = &app;
	sa.child_init = child_init;
	sa.child_fini = child_fini;
	sa.handle = intake_handle;
	return server_run(&so, &sa);
}
