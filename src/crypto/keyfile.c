/* keyfile.c: key file formats and the key directory; see keyfile.h. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keyfile.h"

/* Offsets inside a key line. */
#define KF_OFF_ID	ENV_TAG_LEN
#define KF_OFF_PK	(KF_OFF_ID + 2 * ENV_KEYID_BYTES + 1)
#define KF_OFF_SK	(ENV_PKLINE_LEN + 1)

static void	 kf_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
kf_errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Why a group/other mode is refused, in plain words. */
static const char *
kf_mode_words(mode_t m)
{
	if (m & (S_IRGRP | S_IROTH))
		return "readable by other users";
	if (m & (S_IWGRP | S_IWOTH))
		return "writable by other users";
	return "accessible by other users";
}

void
env_key_id(const unsigned char pk[ENV_PK_BYTES],
    unsigned char id[ENV_KEYID_BYTES])
{
	unsigned char	 h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), pk, ENV_PK_BYTES, NULL, 0);
	memcpy(id, h, ENV_KEYID_BYTES);
}

void
env_key_name(const unsigned char id[ENV_KEYID_BYTES],
    char name[ENV_KEYNAME_LEN + 1])
{
	sodium_bin2hex(name, 2 * ENV_KEYID_BYTES + 1, id, ENV_KEYID_BYTES);
	memcpy(name + 2 * ENV_KEYID_BYTES, ".key", sizeof(".key"));
}

/* Exactly hexlen hex digits (either case) into binlen bytes; 0 or -1. */
static int
kf_hex(const char *hex, size_t hexlen, unsigned char *bin, size_t binlen)
{
	size_t	 got;

	if (hexlen != 2 * binlen)
		return -1;
	/* A NULL hex_end makes sodium_hex2bin insist on every digit. */
	if (sodium_hex2bin(bin, binlen, hex, hexlen, NULL, &got, NULL) != 0)
		return -1;
	return got == binlen ? 0 : -1;
}

void
env_keyfile_format_pk(const struct env_pubkey *pub, char *out)
{
	memcpy(out, ENV_PK_TAG, ENV_TAG_LEN);
	sodium_bin2hex(out + KF_OFF_ID, 2 * ENV_KEYID_BYTES + 1,
	    pub->id, ENV_KEYID_BYTES);
	out[KF_OFF_PK - 1] = ' ';
	sodium_bin2hex(out + KF_OFF_PK, 2 * ENV_PK_BYTES + 1,
	    pub->pk, ENV_PK_BYTES);
	out[ENV_PKLINE_LEN] = '\n';
	out[ENV_PKLINE_LEN + 1] = '\0';
}

void
env_keyfile_format_sk(const struct env_key *k, char *out)
{
	memcpy(out, ENV_SK_TAG, ENV_TAG_LEN);
	sodium_bin2hex(out + KF_OFF_ID, 2 * ENV_KEYID_BYTES + 1,
	    k->id, ENV_KEYID_BYTES);
	out[KF_OFF_PK - 1] = ' ';
	sodium_bin2hex(out + KF_OFF_PK, 2 * ENV_PK_BYTES + 1,
	    k->pk, ENV_PK_BYTES);
	out[KF_OFF_SK - 1] = ' ';
	sodium_bin2hex(out + KF_OFF_SK, 2 * ENV_SK_BYTES + 1,
	    k->sk, ENV_SK_BYTES);
	out[ENV_SKLINE_LEN] = '\n';
	out[ENV_SKLINE_LEN + 1] = '\0';
}

/*
 * The common head of both lines: tag, key id, pk, and the id checked
 * against pk. Returns why it is wrong, or NULL.
 */
static const char *
kf_parse_head(const char *s, size_t len, size_t want, const char *tag,
    unsigned char id[ENV_KEYID_BYTES], unsigned char pk[ENV_PK_BYTES])
{
	unsigned char	 check[ENV_KEYID_BYTES];

	if (len == want + 1 && s[want] == '\n')
		len--;
	if (len != want || memcmp(s, tag, ENV_TAG_LEN) != 0)
		return "it is not a clinic key file of the expected format";
	if (s[KF_OFF_PK - 1] != ' ' ||
	    kf_hex(s + KF_OFF_ID, 2 * ENV_KEYID_BYTES, id,
	    ENV_KEYID_BYTES) != 0 ||
	    kf_hex(s + KF_OFF_PK, 2 * ENV_PK_BYTES, pk, ENV_PK_BYTES) != 0)
		return "it is not a clinic key file of the expected format";
	env_key_id(pk, check);
	if (memcmp(check, id, ENV_KEYID_BYTES) != 0)
		return "its key id does not match its public key";
	return NULL;
}

static const char *
kf_parse_sk(const char *s, size_t len, struct env_key *k)
{
	unsigned char	 pk[ENV_PK_BYTES];
	const char	*why;

	if ((why = kf_parse_head(s, len, ENV_SKLINE_LEN, ENV_SK_TAG,
	    k->id, k->pk)) != NULL)
		return why;
	if (s[KF_OFF_SK - 1] != ' ' ||
	    kf_hex(s + KF_OFF_SK, 2 * ENV_SK_BYTES, k->sk, ENV_SK_BYTES) != 0)
		return "it is not a clinic key file of the expected format";
	if (crypto_scalarmult_base(pk, k->sk) != 0 ||
	    sodium_memcmp(pk, k->pk, ENV_PK_BYTES) != 0)
		return "its public key does not match its secret key";
	return NULL;
}

enum env_err
env_keyfile_parse_pk(const char *s, size_t len, struct env_pubkey *out)
{
	struct env_pubkey	 pub;

	if (kf_parse_head(s, len, ENV_PKLINE_LEN, ENV_PK_TAG,
	    pub.id, pub.pk) != NULL)
		return ENV_ERR_FORMAT;
	*out = pub;
	return ENV_OK;
}

enum env_err
env_keyfile_parse_sk(const char *s, size_t len, struct env_key *out)
{
	return kf_parse_sk(s, len, out) == NULL ? ENV_OK : ENV_ERR_FORMAT;
}

enum env_err
env_keyfile_read(int dfd, const char *dir, const char *name, int strict,
    struct env_key *out, char *err, size_t errsz)
{
	struct stat	 st;
	char		 want[ENV_KEYNAME_LEN + 1];
	char		*text = NULL;
	const char	*why;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, saved;
	enum env_err	 rc;

	/* O_NONBLOCK: a FIFO planted in the directory must not hang us. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP) {
			kf_errf(err, errsz, "%s/%s is a symbolic link; "
			    "a key file must be a plain file", dir, name);
			return ENV_ERR_PERM;
		}
		saved = errno;
		kf_errf(err, errsz, "%s/%s: cannot open: %s", dir, name,
		    strerror(saved));
		return ENV_ERR_IO;
	}

	/* From here: goto err. */
	if (fstat(fd, &st) == -1) {
		kf_errf(err, errsz, "%s/%s: %s", dir, name, strerror(errno));
		rc = ENV_ERR_IO;
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		kf_errf(err, errsz, "%s/%s is not a plain file", dir, name);
		rc = ENV_ERR_PERM;
		goto err;
	}
	if (strict && st.st_uid != geteuid()) {
		kf_errf(err, errsz, "%s/%s is owned by uid %u, not by the user "
		    "reading it (uid %u); chown it", dir, name,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		rc = ENV_ERR_PERM;
		goto err;
	}
	if (strict && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		kf_errf(err, errsz, "%s/%s is %s; chmod 600 it", dir, name,
		    kf_mode_words(st.st_mode));
		rc = ENV_ERR_PERM;
		goto err;
	}
	if (st.st_size > ENV_KEYFILE_MAX) {
		kf_errf(err, errsz, "%s/%s is too large to be a clinic "
		    "secret key file", dir, name);
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	if ((text = sodium_malloc(ENV_KEYFILE_MAX + 1)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	/* One byte more than allowed, so growth since fstat is seen. */
	while (len < ENV_KEYFILE_MAX + 1) {
		n = read(fd, text + len, ENV_KEYFILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			kf_errf(err, errsz, "%s/%s: cannot read: %s", dir,
			    name, strerror(errno));
			rc = ENV_ERR_IO;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if ((why = kf_parse_sk(text, len, out)) != NULL) {
		kf_errf(err, errsz, "%s/%s: %s", dir, name, why);
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	env_key_name(out->id, want);
	if (strcmp(name, want) != 0) {
		kf_errf(err, errsz, "%s/%s: the file name does not match the "
		    "key id inside it (expected %s)", dir, name, want);
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	rc = ENV_OK;
err:
	if (rc != ENV_OK)
		sodium_memzero(out, sizeof(*out));
	sodium_free(text);	/* wipes */
	close(fd);
	return rc;
}

static int
kf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Owner and mode of a key directory, as the keyring demands. */
static enum env_err
kf_dir_check(int dfd, const char *dir, char *err, size_t errsz)
{
	struct stat	 st;

	if (fstat(dfd, &st) == -1) {
		kf_errf(err, errsz, "%s: %s", dir, strerror(errno));
		return ENV_ERR_IO;
	}
	if (st.st_uid != geteuid()) {
		kf_errf(err, errsz, "%s is owned by uid %u, not by the user "
		    "reading it (uid %u); chown it", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		return ENV_ERR_PERM;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		kf_errf(err, errsz, "%s is %s; chmod 700 it", dir,
		    kf_mode_words(st.st_mode));
		return ENV_ERR_PERM;
	}
	return ENV_OK;
}

enum env_err
env_keydir_read(const char *dir, struct env_key **keysp, size_t *nkeysp,
    char *err, size_t errsz)
{
	DIR		 *d = NULL;
	struct dirent	 *de;
	struct env_key	 *keys = NULL;
	char		**names = NULL, **nn;
	size_t		  n = 0, cap = 0, i, len;
	int		  dfd;
	enum env_err	  rc;

	*keysp = NULL;
	*nkeysp = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		kf_errf(err, errsz, "%s: cannot open the key directory: %s",
		    dir, strerror(errno));
		return ENV_ERR_IO;
	}
	if ((rc = kf_dir_check(dfd, dir, err, errsz)) != ENV_OK) {
		close(dfd);
		return rc;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		kf_errf(err, errsz, "%s: %s", dir, strerror(errno));
		close(dfd);
		return ENV_ERR_IO;
	}

	/* From here: goto err. */
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nn = reallocarray(names, cap,
			    sizeof(*names))) == NULL) {
				rc = ENV_ERR_NOMEM;
				goto err;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = ENV_ERR_NOMEM;
			goto err;
		}
		n++;
	}
	if (errno != 0) {
		kf_errf(err, errsz, "%s: %s", dir, strerror(errno));
		rc = ENV_ERR_IO;
		goto err;
	}
	if (n == 0) {
		kf_errf(err, errsz, "%s holds no key file (<key id>.key)", dir);
		rc = ENV_ERR_IO;
		goto err;
	}
	qsort(names, n, sizeof(*names), kf_name_cmp);
	if ((keys = sodium_allocarray(n, sizeof(*keys))) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	for (i = 0; i < n; i++)
		if ((rc = env_keyfile_read(dirfd(d), dir, names[i], 1,
		    &keys[i], err, errsz)) != ENV_OK)
			goto err;
	*keysp = keys;
	*nkeysp = n;
	keys = NULL;
	rc = ENV_OK;
err:
	sodium_free(keys);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

enum env_err
env_keydir_open(const char *dir, int *dfdp)
{
	struct stat	 st;
	int		 dfd;

	*dfdp = -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return ENV_ERR_IO;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return ENV_ERR_IO;
	if (fstat(dfd, &st) == -1) {
		close(dfd);
		return ENV_ERR_IO;
	}
	/* A secret key in a directory others can list or write is not kept. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(dfd);
		return ENV_ERR_PERM;
	}
	*dfdp = dfd;
	return ENV_OK;
}

enum env_err
env_keyfile_create(int dfd, const char *name, unsigned mode,
    const void *data, size_t len)
{
	const unsigned char	*p = data;
	ssize_t			 n;
	int			 fd, saved;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, (mode_t)mode);
	if (fd == -1)
		return ENV_ERR_IO;
	/* From here: goto err. The umask must not decide the mode. */
	if (fchmod(fd, (mode_t)mode) == -1)
		goto err;
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto err;
	if (close(fd) == -1) {
		fd = -1;
		goto err;
	}
	if (dfd != AT_FDCWD)
		(void)fsync(dfd);	/* the new name; best effort */
	return ENV_OK;
err:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlinkat(dfd, name, 0);
	errno = saved;
	return ENV_ERR_IO;
}
