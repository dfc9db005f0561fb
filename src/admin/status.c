/*
 * status.c: intakectl status. What an operator checks first: migrations
 * applied and pending, the keys on disk and those records are sealed to,
 * the consent version in force, and how many of each record there are.
 * Reads no secret: key files are listed by name, never opened.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "admin/admin.h"
#include "crypto/envelope.h"

static void
admin_status_keys(struct admin *a)
{
	struct env_pubkey	 pk;
	struct dirent		*de;
	DIR			*d;
	char			 hex[2 * ENV_KEYID_BYTES + 1];
	size_t			 len, n = 0;
	enum env_err		 e;

	if ((e = env_pubkey_load(a->cfg.public_key, &pk)) == ENV_OK) {
		sodium_bin2hex(hex, sizeof(hex), pk.id, sizeof(pk.id));
		printf("public key:   %s (%s)\n", hex, a->cfg.public_key);
	} else
		printf("public key:   none usable at %s: %s\n",
		    a->cfg.public_key, env_strerror(e));

	printf("secret keys:  ");
	if ((d = opendir(a->cfg.secret_keys)) == NULL) {
		printf("cannot list %s: %s\n", a->cfg.secret_keys,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		printf("%s%.*s", n++ ? ", " : "", (int)(len - 4), de->d_name);
	}
	closedir(d);
	printf("%s (%s)\n", n ? "" : "none", a->cfg.secret_keys);
}

int
admin_cmd_status(struct admin *a, int argc, char **argv)
{
	struct store_status	 st;
	struct store_migration	*m = NULL;
	struct admin_sqlfile	*f = NULL;
	struct store_consent	 c;
	struct store		*db;
	const char		*opt = NULL;
	char			*dir = NULL, hex[2 * ENV_KEYID_BYTES + 1];
	char			 when[32];
	struct tm		 tm;
	size_t			 nm = 0, n = 0, i, j, pending;
	enum store_err		 e;
	int			 rc = ADMIN_FAIL, i2;

	for (i2 = 1; i2 < argc; i2++) {
		if (strcmp(argv[i2], "--dir") == 0 && i2 + 1 < argc)
			opt = argv[++i2];
		else if (strncmp(argv[i2], "--dir=", 6) == 0)
			opt = argv[i2] + 6;
		else
			return admin_usage("status");
	}
	memset(&st, 0, sizeof(st));
	printf("configuration: %s\n", a->config_path);
	admin_status_keys(a);
	if ((dir = admin_sqldir(a, opt)) == NULL ||
	    (db = admin_db(a)) == NULL)
		goto out;
	/* From here: goto out. */
	if ((e = store_migrations(db, &m, &nm)) != STORE_OK) {
		printf("database:     not reachable\n");
		admin_dberr(a, "reach the database", e);
		goto out;
	}
	printf("database:     reachable\n");
	if (admin_sqlfiles(dir, &f, &n) == 0) {
		for (pending = 0, i = 0; i < n; i++) {
			for (j = 0; j < nm && m[j].version != f[i].version; j++)
				continue;
			pending += j == nm;
		}
	} else
		pending = (size_t)-1;
	if (nm > 0) {
		gmtime_r(&m[nm - 1].applied_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		printf("migrations:   %zu applied, the last %s on %s", nm,
		    m[nm - 1].name, when);
	} else
		printf("migrations:   none applied");
	if (pending == (size_t)-1)
		printf("; cannot read %s\n", dir);
	else
		printf("; %zu pending in %s\n", pending, dir);

	if ((e = store_status_get(db, &st)) != STORE_OK) {
		admin_dberr(a, "count the records", e);
		goto out;
	}
	if (st.intakes < 0) {
		printf("records:      no schema yet: run intakectl migrate\n");
		rc = ADMIN_OK;
		goto out;
	}
	if (st.consent_version > 0 &&
	    store_consent_current(db, &c) == STORE_OK) {
		printf("consent:      version %u, sha256 %s\n", c.version,
		    c.sha256);
		store_consent_clear(&c);
	} else
		printf("consent:      none installed: intakes cannot be "
		    "accepted until intakectl consent-install FILE\n");
	printf("intakes:      %lld (%lld not tied to an appointment), "
	    "%lld flags, %lld consent records\n", st.intakes, st.unassigned,
	    st.flags, st.consents);
	printf("appointments: %lld\n", st.appointments);
	for (i = 0; i < st.nkeys; i++) {
		sodium_bin2hex(hex, sizeof(hex), st.keys[i].id,
		    sizeof(st.keys[i].id));
		printf("sealed to:    %s: %lld intakes\n", hex,
		    st.keys[i].intakes);
	}
	if (st.audit_rows >= 0)
		printf("audit log:    %lld rows\n", st.audit_rows);
	rc = ADMIN_OK;
out:
	store_status_clear(&st);
	admin_sqlfiles_free(f, n);
	free(m);
	free(dir);
	return rc;
}
