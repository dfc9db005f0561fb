/*
 * consent.c: intakectl consent-install and consent-show. A consent text
 * is installed as a new version, kept verbatim with its sha256; old
 * versions stay, since intakes name the version they were signed under.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/utf8.h"

#define ADMIN_CONSENT_MAX	(1u << 20)	/* far above any consent form */

/* The file's bytes, checked: not empty, UTF-8, no NUL. */
static char *
admin_consent_read(const char *path)
{
	struct stat	 st;
	char		*text = NULL;
	size_t		 off = 0, i;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		warn("%s", path);
		goto err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)ADMIN_CONSENT_MAX) {
		warnx("%s: not a regular file of at most %u bytes", path,
		    ADMIN_CONSENT_MAX);
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
			warnx("%s: short read", path);
			goto err;
		}
		off += (size_t)r;
	}
	if (memchr(text, '\0', off) != NULL || !utf8_valid(text, off)) {
		warnx("%s: not UTF-8 text", path);
		goto err;
	}
	for (i = 0; i < off && strchr(" \t\r\n", text[i]) != NULL; i++)
		continue;
	if (i == off) {
		warnx("%s: the consent text is empty", path);
		goto err;
	}
	close(fd);
	return text;
err:
	free(text);
	close(fd);
	return NULL;
}

int
admin_cmd_consent_install(struct admin *a, int argc, char **argv)
{
	struct store	*db;
	char		*text, sha[65];
	unsigned	 version;
	int		 installed;
	enum store_err	 e;

	if (argc != 2)
		return admin_usage("consent-install");
	if ((text = admin_consent_read(argv[1])) == NULL)
		return ADMIN_FAIL;
	if ((db = admin_db(a)) == NULL) {
		free(text);
		return ADMIN_FAIL;
	}
	e = store_consent_install(db, text, &version, sha, &installed);
	free(text);
	if (e != STORE_OK) {
		admin_dberr(a, "install the consent text", e);
		return ADMIN_FAIL;
	}
	if (installed)
		printf("installed consent version %u (sha256 %s)\n", version,
		    sha);
	else
		printf("%s is already the consent text in force, version %u "
		    "(sha256 %s): nothing installed\n", argv[1], version, sha);
	return ADMIN_OK;
}

int
admin_cmd_consent_show(struct admin *a, int argc, char **argv)
{
	struct store_consent	 c;
	struct store		*db;
	unsigned long		 v = 0;
	char			*end;
	int			 i, textonly = 0;
	size_t			 len;
	enum store_err		 e;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0)
			textonly = 1;
		else if (v == 0 && argv[i][0] >= '1' && argv[i][0] <= '9') {
			errno = 0;
			v = strtoul(argv[i], &end, 10);
			if (*end != '\0' || errno != 0 || v > 1000000)
				return admin_usage("consent-show");
		} else
			return admin_usage("consent-show");
	}
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	e = v != 0 ? store_consent_get(db, (unsigned)v, &c) :
	    store_consent_current(db, &c);
	if (e == STORE_NOT_FOUND) {
		if (v != 0)
			warnx("there is no consent version %lu", v);
		else
			warnx("no consent text is installed yet: install one "
			    "with intakectl consent-install FILE");
		return ADMIN_FAIL;
	}
	if (e != STORE_OK) {
		admin_dberr(a, "read the consent text", e);
		return ADMIN_FAIL;
	}
	if (!textonly)
		printf("consent version %u, sha256 %s\n\n", c.version, c.sha256);
	/* Verbatim: -t output installs back to the same hash. */
	len = strlen(c.text);
	fwrite(c.text, 1, len, stdout);
	if (!textonly && len > 0 && c.text[len - 1] != '\n')
		putchar('\n');
	store_consent_clear(&c);
	return fflush(stdout) == 0 ? ADMIN_OK : ADMIN_FAIL;
}
