/*
 * migrate.c: intakectl migrate. Applies sql/NNN_name.sql in version
 * order, each in its own transaction together with its row in
 * schema_migrations (version, name, sha256 of the file, time applied).
 * A file once applied is never edited: a changed hash, a missing file or
 * a gap in the order stops everything before anything is applied.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"

#define ADMIN_SQL_MAX	(16u << 20)	/* no migration is this large */

/* NNN_name.sql: the version number, or -1 if name is not a migration. */
static long
admin_sqlversion(const char *name)
{
	const char	*p = name;
	long		 v = 0;
	size_t		 len = strlen(name);

	if (len < 5 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 99999999)
			return -1;
	}
	if (p == name || *p != '_' || v == 0)
		return -1;
	for (p++; p < name + len - 4; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return -1;
	if (name[len - 5] == '_')	/* "001_.sql": no name */
		return -1;
	return v;
}

/* Read a whole regular file (no NUL byte) into *out, NUL-terminated. */
static int
admin_readfile(int dfd, const char *dir, const char *name, char **out)
{
	struct stat	 st;
	char		*text = NULL;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	*out = NULL;
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s/%s", dir, name);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		warn("%s/%s", dir, name);
		goto err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)ADMIN_SQL_MAX) {
		warnx("%s/%s: not a regular file of a sensible size", dir, name);
		goto err;
	}
	if ((text = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		warnx("out of memory");
		goto err;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, text + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			warnx("%s/%s: short read", dir, name);
			goto err;
		}
		off += (size_t)r;
	}
	if (memchr(text, '\0', off) != NULL) {
		warnx("%s/%s: holds a NUL byte", dir, name);
		goto err;
	}
	close(fd);
	*out = text;
	return 0;
err:
	free(text);
	close(fd);
	return -1;
}

static int
admin_sqlfile_cmp(const void *a, const void *b)
{
	const struct admin_sqlfile	*x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

void
admin_sqlfiles_free(struct admin_sqlfile *f, size_t n)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].text);
	}
	free(f);
}

int
admin_sqlfiles(const char *dir, struct admin_sqlfile **out, size_t *np)
{
	DIR			*d;
	struct dirent		*de;
	struct admin_sqlfile	*f = NULL, *nf;
	unsigned char		 h[crypto_hash_sha256_BYTES];
	size_t			 n = 0, cap = 0, i;
	long			 v;

	*out = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		warn("migrations directory %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((v = admin_sqlversion(de->d_name)) == -1) {
			if (strlen(de->d_name) > 4 && strcmp(de->d_name +
			    strlen(de->d_name) - 4, ".sql") == 0) {
				warnx("%s/%s: a migration is named NNN_name.sql",
				    dir, de->d_name);
				goto err;
			}
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nf = reallocarray(f, cap, sizeof(*f))) == NULL) {
				warnx("out of memory");
				goto err;
			}
			f = nf;
		}
		memset(&f[n], 0, sizeof(f[n]));
		f[n].version = (unsigned)v;
		if ((f[n].name = strdup(de->d_name)) == NULL) {
			warnx("out of memory");
			goto err;
		}
		n++;
		if (admin_readfile(dirfd(d), dir, de->d_name,
		    &f[n - 1].text) == -1)
			goto err;
		crypto_hash_sha256(h, (const unsigned char *)f[n - 1].text,
		    strlen(f[n - 1].text));
		sodium_bin2hex(f[n - 1].sha256, sizeof(f[n - 1].sha256), h,
		    sizeof(h));
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(f, n, sizeof(*f), admin_sqlfile_cmp);
	for (i = 1; i < n; i++)
		if (f[i].version == f[i - 1].version) {
			warnx("%s: %s and %s have the same number", dir,
			    f[i - 1].name, f[i].name);
			goto err;
		}
	*out = f;
	*np = n;
	return 0;
err:
	if (d != NULL)
		closedir(d);
	admin_sqlfiles_free(f, n);
	return -1;
}

char *
admin_sqldir(struct admin *a, const char *opt)
{
	char	*dir;

	if (opt != NULL)
		dir = strdup(opt);
	else if (asprintf(&dir, "%s/sql", a->cfg.share_dir) == -1)
		dir = NULL;
	if (dir == NULL)
		warnx("out of memory");
	return dir;
}

/*
 * Check what the database applied against the files: each applied
 * migration must be there, unchanged, and every file not applied must
 * come after the last one applied. Returns the index of the first file
 * to apply, or -1 after saying what is wrong.
 */
static long
admin_migrate_check(const char *dir, const struct admin_sqlfile *f, size_t n,
    const struct store_migration *m, size_t nm)
{
	size_t	 i, j;

	for (j = 0; j < nm; j++) {
		for (i = 0; i < n && f[i].version != m[j].version; i++)
			continue;
		if (i == n) {
			warnx("the database has migration %s, which %s does "
			    "not hold: this intakectl is older than the "
			    "database", m[j].name, dir);
			return -1;
		}
		if (strcmp(f[i].name, m[j].name) != 0 ||
		    strcmp(f[i].sha256, m[j].sha256) != 0) {
			warnx("%s/%s changed after it was applied as %s "
			    "(sha256 %s, now %s): an applied migration is "
			    "never edited; put the change in a new file",
			    dir, f[i].name, m[j].name, m[j].sha256,
			    f[i].sha256);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nm && m[j].version != f[i].version; j++)
			continue;
		if (j < nm)
			continue;
		if (nm > 0 && f[i].version < m[nm - 1].version) {
			warnx("%s/%s comes before %s, which is already "
			    "applied: give it a number after %u", dir,
			    f[i].name, m[nm - 1].name, m[nm - 1].version);
			return -1;
		}
		return (long)i;
	}
	return (long)n;
}

int
admin_cmd_migrate(struct admin *a, int argc, char **argv)
{
	struct admin_sqlfile	*f = NULL;
	struct store_migration	*m = NULL, rec;
	struct store		*db;
	const char		*opt = NULL;
	char			*dir = NULL, err[1024];
	size_t			 n = 0, nm = 0, i;
	long			 first;
	enum store_err		 e;
	int			 rc = ADMIN_FAIL, locked = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < (size_t)argc)
			opt = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			opt = argv[i] + 6;
		else
			return admin_usage("migrate");
	}
	if ((dir = admin_sqldir(a, opt)) == NULL)
		return ADMIN_FAIL;
	/* From here: goto out. */
	if (admin_sqlfiles(dir, &f, &n) == -1)
		goto out;
	if (n == 0) {
		warnx("%s holds no migration (NNN_name.sql)", dir);
		goto out;
	}
	if ((db = admin_db(a)) == NULL)
		goto out;
	if ((e = store_migrate_begin(db)) != STORE_OK) {
		admin_dberr(a, "start migrating", e);
		goto out;
	}
	locked = 1;
	if ((e = store_migrations(db, &m, &nm)) != STORE_OK) {
		admin_dberr(a, "read the applied migrations", e);
		goto out;
	}
	if ((first = admin_migrate_check(dir, f, n, m, nm)) == -1)
		goto out;
	if ((size_t)first == n) {
		printf("database is up to date\n");
		rc = ADMIN_OK;
		goto out;
	}
	for (i = (size_t)first; i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.version = f[i].version;
		snprintf(rec.name, sizeof(rec.name), "%s", f[i].name);
		snprintf(rec.sha256, sizeof(rec.sha256), "%s", f[i].sha256);
		if ((e = store_migrate_apply(db, &rec, f[i].text, err,
		    sizeof(err))) != STORE_OK) {
			warnx("%s failed, nothing of it was applied: %s",
			    f[i].name, err);
			goto out;
		}
		printf("applied %s\n", f[i].name);
		fflush(stdout);
	}
	rc = ADMIN_OK;
out:
	if (locked)
		store_migrate_end(a->db);
	free(m);
	admin_sqlfiles_free(f, n);
	free(dir);
	return rc;
}
