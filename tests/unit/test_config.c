/* test_config.c: the configuration file, its defaults and overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

extern char **environ;

/* Tests must not see the CLINIC_* of whoever runs them. */
static void
clear_env(void)
{
	char	**e, name[128];
	size_t	 n;
	int	 again = 1;

	while (again) {
		again = 0;
		for (e = environ; *e != NULL; e++) {
			if (strncmp(*e, "CLINIC_", 7) != 0)
				continue;
			n = strcspn(*e, "=");
			if (n >= sizeof(name))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
}

/* Write text to a fresh temporary file; returns its path (static). */
static const char *
write_conf(const char *text)
{
	static char	 path[64];
	int		 fd;
	size_t		 len = strlen(text);

	snprintf(path, sizeof(path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

static void
test_defaults(void **state)
{
	struct config	 c;
	char		 err[256];

	(void)state;
	assert_int_equal(config_load(NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.workers, 0);
	assert_string_equal(c.timezone, "America/Toronto");
	assert_int_equal(c.body_limit, 262144);
	assert_int_equal(c.statement_timeout_ms, 5000);
	assert_int_equal(c.session_idle_s, 900);
	assert_int_equal(c.session_max_s, 43200);
	assert_int_equal(c.tls, 0);
	assert_string_equal(c.clinic_name, "the clinic");
	assert_string_equal(c.clinic_phone, "");
	/* Every string is allocated, never NULL. */
	assert_non_null(c.intake_socket);
	assert_non_null(c.socket_group);
	assert_non_null(c.intake_secret);
	assert_non_null(c.share_dir);
	config_free(&c);
	config_free(&c);
	config_free(NULL);
}

static const struct good {
	const char	*text;
	unsigned	 workers;
	size_t		 body_limit;
	int		 tls;
	const char	*clinic_name;
	const char	*admin_database;
} goods[] = {
	{ "", 0, 262144, 0, "the clinic", NULL },
	{ "# a comment\n\n   # indented comment\n", 0, 262144, 0,
	    "the clinic", NULL },
	{ "workers = 4\nbody_limit=1024\ntls = yes\n", 4, 1024, 1,
	    "the clinic", NULL },
	{ "\tworkers\t=\t8\t\r\nclinic_name =   Main Street Massage  \n",
	    8, 262144, 0, "Main Street Massage", NULL },
	{ "tls = true\n", 0, 262144, 1, "the clinic", NULL },
	{ "tls = 1\n", 0, 262144, 1, "the clinic", NULL },
	{ "tls = FALSE\n", 0, 262144, 0, "the clinic", NULL },
	{ "tls = 0\nbody_limit = 16777216\n", 0, 16777216, 0,
	    "the clinic", NULL },
	/* '#' inside a value is kept: passwords may hold one. */
	{ "admin_database = host=/tmp password=a#b\n", 0, 262144, 0,
	    "the clinic", "host=/tmp password=a#b" },
	{ "clinic_name =\n", 0, 262144, 0, "", NULL },
	/* No newline at the end of the last line. */
	{ "workers = 2", 2, 262144, 0, "the clinic", NULL },
};

static void
test_good_files(void **state)
{
	struct config	 c;
	char		 err[256];
	const char	*path;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		path = write_conf(goods[i].text);
		if (config_load(path, &c, err, sizeof(err)) != 0)
			fail_msg("good file %zu refused: %s", i, err);
		assert_int_equal(c.workers, goods[i].workers);
		assert_int_equal(c.body_limit, goods[i].body_limit);
		assert_int_equal(c.tls, goods[i].tls);
		assert_string_equal(c.clinic_name, goods[i].clinic_name);
		if (goods[i].admin_database != NULL)
			assert_string_equal(c.admin_database,
			    goods[i].admin_database);
		config_free(&c);
		unlink(path);
	}
}

static const struct bad {
	const char	*text;
	const char	*msg;	/* what follows "path:" in the error */
} bads[] = {
	{ "workers = 2\ncolour = blue\n", "2: unknown key \"colour\"" },
	{ "workers = many\n", "1: workers: not a whole number" },
	{ "workers = -1\n", "1: workers: not a whole number" },
	{ "workers = 4 cores\n", "1: workers: not a whole number" },
	{ "workers = 99999999999999999999999\n",
	    "1: workers: not a whole number" },
	{ "workers = 1000\n", "1: workers: out of range (0 to 256)" },
	{ "\n# fine\nworkers 4\n", "3: expected \"key = value\"" },
	{ "body_limit = 16777217\n",
	    "1: body_limit: out of range (1024 to 16777216)" },
	{ "body_limit = 100\n", "1: body_limit: out of range (1024 to 16777216)" },
	{ "statement_timeout_ms = 0\n",
	    "1: statement_timeout_ms: out of range (1 to 600000)" },
	{ "tls = maybe\n", "1: tls: not yes or no" },
	{ "workers = 1\nworkers = 2\n", "2: workers: given twice" },
	{ "timezone = ../../etc/passwd\n", "1: timezone: not a time zone name" },
	{ "session_idle_s = 7200\nsession_max_s = 3600\n",
	    " session_idle_s is longer than session_max_s" },
	{ " = 3\n", "1: unknown key \"\"" },
};

static void
test_bad_files(void **state)
{
	struct config	 c;
	char		 err[256], want[512];
	const char	*path;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		path = write_conf(bads[i].text);
		memset(&c, 0xa5, sizeof(c));
		if (config_load(path, &c, err, sizeof(err)) != -1)
			fail_msg("bad file %zu accepted", i);
		snprintf(want, sizeof(want), "%s:%s", path, bads[i].msg);
		assert_string_equal(err, want);
		/* A failed load leaves nothing to free, and freeing is safe. */
		assert_null(c.share_dir);
		config_free(&c);
		unlink(path);
	}
}

static void
test_missing_file(void **state)
{
	struct config	 c;
	char		 err[256];

	(void)state;
	assert_int_equal(config_load("/nonexistent/clinic.conf", &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "/nonexistent/clinic.conf: No such file or directory");
}

static void
test_env_override(void **state)
{
	struct config	 c;
	char		 err[256];
	const char	*path;

	(void)state;
	path = write_conf("body_limit = 4096\nclinic_name = From File\n"
	    "workers = 3\n");
	setenv("CLINIC_BODY_LIMIT", "2048", 1);
	setenv("CLINIC_TIMEZONE", "Europe/Paris", 1);
	setenv("CLINIC_TLS", "yes", 1);
	setenv("CLINIC_CONFIG", "/not/a/key", 1);	/* not a key: ignored */
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.body_limit, 2048);
	assert_string_equal(c.timezone, "Europe/Paris");
	assert_int_equal(c.tls, 1);
	assert_string_equal(c.clinic_name, "From File");
	assert_int_equal(c.workers, 3);
	config_free(&c);

	setenv("CLINIC_WORKERS", "lots", 1);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "environment CLINIC_WORKERS: workers: not a whole number");
	setenv("CLINIC_WORKERS", "300", 1);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "environment CLINIC_WORKERS: workers: out of range (0 to 256)");
	unsetenv("CLINIC_WORKERS");

	/* The environment alone, no file. */
	setenv("CLINIC_ADMIN_DATABASE", "dbname=x", 1);
	assert_int_equal(config_load(NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.admin_database, "dbname=x");
	assert_int_equal(c.body_limit, 2048);
	config_free(&c);
	clear_env();
	unlink(path);
}

static void
test_long_line(void **state)
{
	struct config	 c;
	char		 err[256], want[128], *text;
	const char	*path;

	(void)state;
	text = calloc(1, 10000);
	assert_non_null(text);
	memcpy(text, "clinic_name = ", 14);
	memset(text + 14, 'x', 9000);
	path = write_conf(text);
	free(text);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: line too long", path);
	assert_string_equal(err, want);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_good_files, setup),
		cmocka_unit_test_setup(test_bad_files, setup),
		cmocka_unit_test_setup(test_missing_file, setup),
		cmocka_unit_test_setup(test_env_override, setup),
		cmocka_unit_test_setup(test_long_line, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
