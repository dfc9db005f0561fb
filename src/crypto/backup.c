/* backup.c: secret keys backed up under a passphrase; see backup.h. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/backup.h"
#include "crypto/keyfile.h"

#define BK_MAGIC	"CIB"
#define BK_MAGIC_LEN	3
#define BK_VERSION	1
#define BK_ALG		1	/* Argon2id13 + XChaCha20-Poly1305 */
#define BK_SALTBYTES	crypto_pwhash_SALTBYTES
#define BK_NONCEBYTES	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define BK_TAGBYTES	crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BK_KEYBYTES	crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define BK_OFF_VERSION	BK_MAGIC_LEN
#define BK_OFF_ALG	(BK_OFF_VERSION + 1)
#define BK_OFF_OPS	(BK_OFF_ALG + 1)
#define BK_OFF_MEM	(BK_OFF_OPS + 8)
#define BK_OFF_SALT	(BK_OFF_MEM + 8)
#define BK_OFF_NONCE	(BK_OFF_SALT + BK_SALTBYTES)
#define BK_HEADER	(BK_OFF_NONCE + BK_NONCEBYTES)
#define BK_LINE		(ENV_SKLINE_LEN + 1)	/* with its newline */
#define BK_MAX_KEYS	4096
#define BK_FILE_MAX	(BK_HEADER + BK_MAX_KEYS * BK_LINE + BK_TAGBYTES)

_Static_assert(ENV_BACKUP_OPSLIMIT == crypto_pwhash_OPSLIMIT_MODERATE,
    "ENV_BACKUP_OPSLIMIT");
_Static_assert(ENV_BACKUP_MEMLIMIT == crypto_pwhash_MEMLIMIT_MODERATE,
    "ENV_BACKUP_MEMLIMIT");
_Static_assert(BK_SALTBYTES == 16, "backup layout");

static void
bk_put64(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
bk_get64(const unsigned char *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
bk_limits_ok(uint64_t ops, uint64_t mem)
{
	return ops >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	    ops <= ENV_BACKUP_OPSLIMIT_MAX &&
	    mem >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    mem <= ENV_BACKUP_MEMLIMIT_MAX;
}

/* The file key from a header's salt and limits, into key (sodium memory). */
static enum env_err
bk_derive(unsigned char *key, const char *pass, size_t passlen,
    const unsigned char *hdr)
{
	if (crypto_pwhash(key, BK_KEYBYTES, pass == NULL ? "" : pass, passlen,
	    hdr + BK_OFF_SALT, bk_get64(hdr + BK_OFF_OPS),
	    (size_t)bk_get64(hdr + BK_OFF_MEM),
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ENV_ERR_NOMEM;	/* the limits were checked */
	return ENV_OK;
}

enum env_err
env_backup_write(const char *secret_dir, const char *passphrase,
    size_t passlen, unsigned long long opslimit, size_t memlimit,
    const char *out_path)
{
	struct env_key		*keys = NULL;
	unsigned char		*key = NULL, *file = NULL;
	char			*pt = NULL;
	unsigned long long	 clen;
	size_t			 n = 0, i, ptlen, filelen;
	enum env_err		 rc;

	if (!bk_limits_ok(opslimit, memlimit))
		return ENV_ERR_FORMAT;
	if ((rc = env_keydir_read(secret_dir, &keys, &n, NULL, 0)) != ENV_OK)
		return rc;

	/* From here: goto err. */
	if (n > BK_MAX_KEYS) {
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	ptlen = n * BK_LINE;
	filelen = BK_HEADER + ptlen + BK_TAGBYTES;
	/* One more byte for the NUL the last line's formatting writes. */
	if ((pt = sodium_malloc(ptlen + 1)) == NULL ||
	    (key = sodium_malloc(BK_KEYBYTES)) == NULL ||
	    (file = malloc(filelen)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	for (i = 0; i < n; i++)
		env_keyfile_format_sk(&keys[i], pt + i * BK_LINE);

	memcpy(file, BK_MAGIC, BK_MAGIC_LEN);
	file[BK_OFF_VERSION] = BK_VERSION;
	file[BK_OFF_ALG] = BK_ALG;
	bk_put64(file + BK_OFF_OPS, opslimit);
	bk_put64(file + BK_OFF_MEM, memlimit);
	randombytes_buf(file + BK_OFF_SALT, BK_SALTBYTES);
	randombytes_buf(file + BK_OFF_NONCE, BK_NONCEBYTES);
	if ((rc = bk_derive(key, passphrase, passlen, file)) != ENV_OK)
		goto err;
	/* The whole header is associated data: limits cannot be swapped. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + BK_HEADER, &clen,
	    (unsigned char *)pt, ptlen, file, BK_HEADER, NULL,
	    file + BK_OFF_NONCE, key);
	rc = env_keyfile_create(AT_FDCWD, out_path, 0600, file, filelen);
err:
	free(file);
	sodium_free(key);
	sodium_free(pt);
	sodium_free(keys);
	return rc;
}

/* The whole of path into a malloc'ed buffer of at most max bytes. */
static enum env_err
bk_read_file(const char *path, size_t max, unsigned char **out, size_t *lenp)
{
	struct stat	 st;
	unsigned char	*b = NULL;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd;
	enum env_err	 rc;

	*out = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return ENV_ERR_IO;
	/* From here: goto err. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = ENV_ERR_IO;
		goto err;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	/* One byte more than fstat said, so growth since then is seen. */
	cap = (size_t)st.st_size + 1;
	if ((b = malloc(cap)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	while (len < cap) {
		n = read(fd, b + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = ENV_ERR_IO;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap) {
		rc = ENV_ERR_IO;
		goto err;
	}
	*out = b;
	*lenp = len;
	b = NULL;
	rc = ENV_OK;
err:
	free(b);
	close(fd);
	return rc;
}

/* Check and decrypt a backup into *keysp (sodium_allocarray'ed). */
static enum env_err
bk_decrypt(const unsigned char *file, size_t len, const char *pass,
    size_t passlen, struct env_key **keysp, size_t *nkeysp)
{
	struct env_key		*keys = NULL;
	unsigned char		*key = NULL, *pt = NULL;
	unsigned long long	 mlen;
	size_t			 ptlen, n, i, j;
	enum env_err		 rc;

	*keysp = NULL;
	*nkeysp = 0;
	if (len < BK_HEADER + BK_TAGBYTES)
		return ENV_ERR_SHORT;
	if (memcmp(file, BK_MAGIC, BK_MAGIC_LEN) != 0)
		return ENV_ERR_MAGIC;
	if (file[BK_OFF_VERSION] != BK_VERSION)
		return ENV_ERR_VERSION;
	if (file[BK_OFF_ALG] != BK_ALG)
		return ENV_ERR_ALG;
	if (!bk_limits_ok(bk_get64(file + BK_OFF_OPS),
	    bk_get64(file + BK_OFF_MEM)))
		return ENV_ERR_FORMAT;
	ptlen = len - BK_HEADER - BK_TAGBYTES;

	/* From here: goto err. */
	if ((key = sodium_malloc(BK_KEYBYTES)) == NULL ||
	    (pt = sodium_malloc(ptlen == 0 ? 1 : ptlen)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	if ((rc = bk_derive(key, pass, passlen, file)) != ENV_OK)
		goto err;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL,
	    file + BK_HEADER, len - BK_HEADER, file, BK_HEADER,
	    file + BK_OFF_NONCE, key) != 0 || mlen != ptlen) {
		rc = ENV_ERR_AUTH;
		goto err;
	}
	if (ptlen == 0 || ptlen % BK_LINE != 0) {
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	n = ptlen / BK_LINE;
	if ((keys = sodium_allocarray(n, sizeof(*keys))) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	for (i = 0; i < n; i++) {
		if (pt[i * BK_LINE + ENV_SKLINE_LEN] != '\n' ||
		    env_keyfile_parse_sk((const char *)pt + i * BK_LINE,
		    ENV_SKLINE_LEN, &keys[i]) != ENV_OK) {
			rc = ENV_ERR_FORMAT;
			goto err;
		}
		for (j = 0; j < i; j++)
			if (memcmp(keys[j].id, keys[i].id,
			    ENV_KEYID_BYTES) == 0) {
				rc = ENV_ERR_FORMAT;
				goto err;
			}
	}
	*keysp = keys;
	*nkeysp = n;
	keys = NULL;
	rc = ENV_OK;
err:
	sodium_free(keys);
	sodium_free(pt);
	sodium_free(key);
	return rc;
}

/*
 * Whether key k must be written into dfd: 1 if its file is missing, 0 if
 * the file holds the same key; otherwise an error (ENV_ERR_EXISTS when it
 * holds anything else). old is scratch sodium memory.
 */
static enum env_err
bk_need(int dfd, const char *dir, const struct env_key *k,
    struct env_key *old, int *need)
{
	struct stat	 st;
	char		 name[ENV_KEYNAME_LEN + 1];
	enum env_err	 rc;

	*need = 0;
	env_key_name(k->id, name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			return ENV_ERR_IO;
		*need = 1;
		return ENV_OK;
	}
	rc = env_keyfile_read(dfd, dir, name, 0, old, NULL, 0);
	if (rc == ENV_ERR_FORMAT)
		return ENV_ERR_EXISTS;
	if (rc != ENV_OK)
		return rc;
	rc = sodium_memcmp(old, k, sizeof(*k)) == 0 ? ENV_OK : ENV_ERR_EXISTS;
	sodium_memzero(old, sizeof(*old));
	return rc;
}

enum env_err
env_backup_restore(const char *backup_path, const char *passphrase,
    size_t passlen, const char *secret_dir)
{
	struct env_key	*keys = NULL, *old = NULL;
	unsigned char	*file = NULL, *need = NULL, *made = NULL;
	char		*line = NULL, name[ENV_KEYNAME_LEN + 1];
	size_t		 filelen, n = 0, i;
	int		 dfd = -1, want;
	enum env_err	 rc;

	if ((rc = bk_read_file(backup_path, BK_FILE_MAX, &file,
	    &filelen)) != ENV_OK)
		return rc;

	/* From here: goto err. */
	if ((rc = bk_decrypt(file, filelen, passphrase, passlen, &keys,
	    &n)) != ENV_OK)
		goto err;
	if ((rc = env_keydir_open(secret_dir, &dfd)) != ENV_OK)
		goto err;
	if ((need = calloc(n, 1)) == NULL || (made = calloc(n, 1)) == NULL ||
	    (old = sodium_malloc(sizeof(*old))) == NULL ||
	    (line = sodium_malloc(ENV_SKLINE_LEN + 2)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	/* Every existing file is judged before anything is written. */
	for (i = 0; i < n; i++) {
		if ((rc = bk_need(dfd, secret_dir, &keys[i], old,
		    &want)) != ENV_OK)
			goto err;
		need[i] = (unsigned char)want;
	}
	for (i = 0; i < n; i++) {
		if (!need[i])
			continue;
		env_key_name(keys[i].id, name);
		env_keyfile_format_sk(&keys[i], line);
		if ((rc = env_keyfile_create(dfd, name, 0600, line,
		    BK_LINE)) != ENV_OK) {
			/* Appeared since it was judged: still refuse. */
			if (errno == EEXIST)
				rc = ENV_ERR_EXISTS;
			goto err;
		}
		made[i] = 1;
	}
	rc = ENV_OK;
err:
	/* A failed restore leaves the directory as it found it. */
	if (rc != ENV_OK && made != NULL)
		for (i = 0; i < n; i++)
			if (made[i]) {
				env_key_name(keys[i].id, name);
				unlinkat(dfd, name, 0);
			}
	if (dfd != -1)
		close(dfd);
	sodium_free(line);
	sodium_free(old);
	free(made);
	free(need);
	sodium_free(keys);
	free(file);
	return rc;
}
