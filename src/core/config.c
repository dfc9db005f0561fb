/*
 * config.c: the configuration file (see config.h).
 *
 * Every key is one row of config_keys: its name, its type, where it lives
 * in struct config, its default and, for numbers, its range. The file is
 * read first, then the environment (CLINIC_<KEY>) overrides it key by key.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"

#define CONFIG_MAXLINE	4096	/* one line, newline included */

enum config_type {
	CONFIG_STR,
	CONFIG_UINT,		/* unsigned */
	CONFIG_SIZE,		/* size_t */
	CONFIG_BOOL,		/* int, 0 or 1 */
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	size_t			 off;		/* offsetof(struct config, ...) */
	const char		*def;		/* default, in file syntax */
	unsigned long long	 min, max;	/* numbers only */
};

#define CK_STR(f, d)		{ #f, CONFIG_STR, offsetof(struct config, f), d, 0, 0 }
#define CK_UINT(f, d, lo, hi)	{ #f, CONFIG_UINT, offsetof(struct config, f), d, lo, hi }
#define CK_SIZE(f, d, lo, hi)	{ #f, CONFIG_SIZE, offsetof(struct config, f), d, lo, hi }
#define CK_BOOL(f, d)		{ #f, CONFIG_BOOL, offsetof(struct config, f), d, 0, 1 }

static const struct config_key config_keys[] = {
	CK_STR(intake_socket, "/run/clinic-intake/intake.sock"),
	CK_STR(clinic_socket, "/run/clinic-intake/clinic.sock"),
	CK_STR(socket_group, ""),
	CK_STR(intake_user, ""),
	CK_STR(clinic_user, ""),
	CK_UINT(workers, "0", 0, 256),
	CK_STR(intake_database, "dbname=clinic_intake user=intake_writer"),
	CK_STR(clinic_database, "dbname=clinic_intake user=clinic_reader"),
	CK_STR(admin_database, "dbname=clinic_intake user=clinic_owner"),
	CK_STR(public_key, "/etc/clinic-intake/clinic.pub"),
	CK_STR(secret_keys, "/etc/clinic-intake/keys"),
	CK_STR(intake_secret, ""),
	CK_STR(clinic_secret, ""),
	CK_STR(share_dir, "/usr/share/clinic-intake"),
	CK_STR(timezone, "America/Toronto"),
	/* Below 1 KiB no intake fits; above 16 MiB is no form post. */
	CK_SIZE(body_limit, "262144", 1024, 16u << 20),
	CK_UINT(statement_timeout_ms, "5000", 1, 600000),
	CK_BOOL(tls, "no"),
	CK_UINT(session_idle_s, "900", 60, 86400),
	CK_UINT(session_max_s, "43200", 60, 7 * 86400),
	CK_STR(clinic_name, "the clinic"),
	CK_STR(clinic_phone, ""),
};
#define CONFIG_NKEYS	(sizeof(config_keys) / sizeof(config_keys[0]))

/* Values may be secrets (a conninfo's password): wipe before freeing. */
static void
config_strfree(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static const struct config_key *
config_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NKEYS; i++)
		if (strlen(config_keys[i].name) == len &&
		    strncmp(config_keys[i].name, name, len) == 0)
			return &config_keys[i];
	return NULL;
}

/* Strict decimal: digits only, no sign, no space, no overflow. */
static int
config_number(const char *v, unsigned long long *out)
{
	unsigned long long	 n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		if (n > (ULLONG_MAX - (unsigned)(*v - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(*v - '0');
	}
	*out = n;
	return 0;
}

static int
config_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A time zone name as the tz database writes them; no path tricks. */
static int
config_tzname(const char *v)
{
	const char	*p;

	if (*v == '\0' || *v == '/' || strstr(v, "..") != NULL)
		return -1;
	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return -1;
	return 0;
}

/*
 * Set key k of cfg from its text value v. Returns 0, or -1 with a short
 * reason in why (static text).
 */
static int
config_set(struct config *cfg, const struct config_key *k, const char *v,
    const char **why)
{
	unsigned long long	 n;
	char			*s, **slot;
	int			 b;

	switch (k->type) {
	case CONFIG_STR:
		if (strcmp(k->name, "timezone") == 0 && config_tzname(v) == -1) {
			*why = "not a time zone name";
			return -1;
		}
		if ((s = strdup(v)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		slot = (char **)((char *)cfg + k->off);
		config_strfree(*slot);
		*slot = s;
		return 0;
	case CONFIG_UINT:
	case CONFIG_SIZE:
		if (config_number(v, &n) == -1) {
			*why = "not a whole number";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		if (k->type == CONFIG_UINT)
			*(unsigned *)((char *)cfg + k->off) = (unsigned)n;
		else
			*(size_t *)((char *)cfg + k->off) = (size_t)n;
		return 0;
	case CONFIG_BOOL:
		if (config_bool(v, &b) == -1) {
			*why = "not yes or no";
			return -1;
		}
		*(int *)((char *)cfg + k->off) = b;
		return 0;
	}
	*why = "unknown type";
	return -1;
}

/* "where:line: key: why", ranges spelt out; line 0 is left out. */
static void
config_seterr(char *err, size_t errsz, const char *where, long line,
    const struct config_key *k, const char *why)
{
	char	 at[PATH_MAX + 32];

	if (err == NULL || errsz == 0)
		return;
	if (line > 0)
		snprintf(at, sizeof(at), "%s:%ld", where, line);
	else
		snprintf(at, sizeof(at), "%s", where);
	if (k != NULL && strcmp(why, "out of range") == 0)
		snprintf(err, errsz, "%s: %s: out of range (%llu to %llu)",
		    at, k->name, k->min, k->max);
	else if (k != NULL)
		snprintf(err, errsz, "%s: %s: %s", at, k->name, why);
	else
		snprintf(err, errsz, "%s: %s", at, why);
}

static char *
config_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Read "key = value" lines from path into cfg. A line whose first
 * non-blank character is '#' is a comment (so a value, a password in a
 * conninfo say, may hold '#'). A key given twice is an error, like an
 * unknown one.
 */
static int
config_file(const char *path, struct config *cfg, char *err, size_t errsz)
{
	FILE			*f;
	char			 line[CONFIG_MAXLINE], *p, *eq, *key, *val;
	char			 unknown[128];
	unsigned char		 seen[CONFIG_NKEYS];
	const struct config_key	*k;
	const char		*why;
	long			 lineno = 0;

	memset(seen, 0, sizeof(seen));
	if ((f = fopen(path, "r")) == NULL) {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			config_seterr(err, errsz, path, lineno, NULL,
			    "line too long");
			goto err;
		}
		p = config_trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			config_seterr(err, errsz, path, lineno, NULL,
			    "expected \"key = value\"");
			goto err;
		}
		*eq = '\0';
		key = config_trim(p);
		val = config_trim(eq + 1);
		if ((k = config_find(key, strlen(key))) == NULL) {
			snprintf(unknown, sizeof(unknown),
			    "unknown key \"%.64s\"", key);
			config_seterr(err, errsz, path, lineno, NULL, unknown);
			goto err;
		}
		if (seen[k - config_keys]) {
			config_seterr(err, errsz, path, lineno, k,
			    "given twice");
			goto err;
		}
		seen[k - config_keys] = 1;
		if (config_set(cfg, k, val, &why) == -1) {
			config_seterr(err, errsz, path, lineno, k, why);
			goto err;
		}
	}
	if (ferror(f)) {
		config_seterr(err, errsz, path, 0, NULL, "read error");
		goto err;
	}
	fclose(f);
	return 0;
err:
	fclose(f);
	return -1;
}

/* CLINIC_<KEY> from the environment, over whatever the file said. */
static int
config_env(struct config *cfg, char *err, size_t errsz)
{
	char		 var[64], where[80];
	const char	*v, *why;
	size_t		 i, j;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		snprintf(var, sizeof(var), "CLINIC_%s", config_keys[i].name);
		for (j = 0; var[j] != '\0'; j++)
			var[j] = (char)toupper((unsigned char)var[j]);
		if ((v = getenv(var)) == NULL)
			continue;
		if (config_set(cfg, &config_keys[i], v, &why) == -1) {
			snprintf(where, sizeof(where), "environment %s", var);
			config_seterr(err, errsz, where, 0, &config_keys[i],
			    why);
			return -1;
		}
	}
	return 0;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errsz)
{
	const char	*why;
	size_t		 i;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	for (i = 0; i < CONFIG_NKEYS; i++)
		if (config_set(cfg, &config_keys[i], config_keys[i].def,
		    &why) == -1) {
			config_seterr(err, errsz, "defaults", 0,
			    &config_keys[i], why);
			goto err;
		}
	if (path != NULL && config_file(path, cfg, err, errsz) == -1)
		goto err;
	if (config_env(cfg, err, errsz) == -1)
		goto err;
	if (cfg->session_idle_s > cfg->session_max_s) {
		config_seterr(err, errsz, path != NULL ? path : "environment",
		    0, NULL, "session_idle_s is longer than session_max_s");
		goto err;
	}
	return 0;
err:
	config_free(cfg);
	return -1;
}

void
config_free(struct config *cfg)
{
	size_t	 i;
	char	**slot;

	if (cfg == NULL)
		return;
	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].type != CONFIG_STR)
			continue;
		slot = (char **)((char *)cfg + config_keys[i].off);
		config_strfree(*slot);
		*slot = NULL;
	}
	memset(cfg, 0, sizeof(*cfg));
}
