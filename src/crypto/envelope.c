/* envelope.c: the encryption envelope of architecture.md; see envelope.h. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/envelope.h"
#include "crypto/keyfile.h"

#define ENV_MAGIC		"CIE"
#define ENV_MAGIC_LEN		3
#define ENV_VERSION		1
#define ENV_ALG			1	/* XChaCha20-Poly1305 + box_seal */
#define ENV_OFF_VERSION		ENV_MAGIC_LEN
#define ENV_OFF_ALG		(ENV_OFF_VERSION + 1)
#define ENV_OFF_KEYID		(ENV_OFF_ALG + 1)
#define ENV_OFF_SEALED		(ENV_OFF_KEYID + ENV_KEYID_BYTES)
#define ENV_OFF_NONCE		(ENV_OFF_SEALED + ENV_SEALED_KEY_BYTES)
#define ENV_OFF_CT		(ENV_OFF_NONCE + ENV_NONCE_BYTES)
#define ENV_DK_BYTES		crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define ENV_PURPOSE_MAX		255
/* version | submission id | form version | purpose length | purpose */
#define ENV_AD_MAX		(1 + 16 + 4 + 1 + ENV_PURPOSE_MAX)
#define ENV_PUBFILE_MAX		256

_Static_assert(ENV_SEALED_KEY_BYTES == crypto_box_SEALBYTES + ENV_DK_BYTES,
    "sealed key size");
_Static_assert(ENV_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "nonce size");
_Static_assert(ENV_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "tag size");
_Static_assert(ENV_PK_BYTES == crypto_box_PUBLICKEYBYTES &&
    ENV_SK_BYTES == crypto_box_SECRETKEYBYTES, "box key sizes");
_Static_assert(ENV_OFF_CT == ENV_HEADER_BYTES, "header layout");
_Static_assert(UINT_MAX == 0xffffffffU, "form version is 32 bits");

/* All in one sodium_malloc'ed block, read-only once made. */
struct env_dk {
	unsigned char	key[ENV_DK_BYTES];
	unsigned char	id[ENV_KEYID_BYTES];
	unsigned char	sealed[ENV_SEALED_KEY_BYTES];
};

/* Both the struct and keys are sodium_malloc'ed and read-only. */
struct env_keyring {
	size_t		 n;
	struct env_key	*keys;
};

static const unsigned char env_empty[1];

const char *
env_strerror(enum env_err e)
{
	switch (e) {
	case ENV_OK:
		return "no error";
	case ENV_ERR_NOMEM:
		return "out of memory";
	case ENV_ERR_SHORT:
		return "encrypted value is truncated";
	case ENV_ERR_MAGIC:
		return "not an encrypted value of this program";
	case ENV_ERR_VERSION:
		return "unknown encrypted value format version";
	case ENV_ERR_ALG:
		return "unknown encryption algorithm";
	case ENV_ERR_NOKEY:
		return "encrypted to a key this program does not hold";
	case ENV_ERR_UNSEAL:
		return "data key does not open with the clinic key";
	case ENV_ERR_AUTH:
		return "encrypted value fails authentication";
	case ENV_ERR_TOOBIG:
		return "value too large";
	case ENV_ERR_IO:
		return "key file missing or unreadable";
	case ENV_ERR_PERM:
		return "key file open to other users, or owned by another user";
	case ENV_ERR_FORMAT:
		return "malformed key or backup file";
	case ENV_ERR_EXISTS:
		return "a different key file with that key id already exists";
	}
	return "unknown error";
}

/* The associated data of architecture.md; *len set on ENV_OK. */
static enum env_err
env_ad_build(const struct env_ad *ad, unsigned char out[ENV_AD_MAX],
    size_t *len)
{
	const char	*purpose = ad->purpose == NULL ? "" : ad->purpose;
	size_t		 plen = strlen(purpose);
	uint32_t	 fv = ad->form_version;

	if (plen > ENV_PURPOSE_MAX)
		return ENV_ERR_TOOBIG;
	out[0] = ENV_VERSION;
	memcpy(out + 1, ad->submission_id, 16);
	out[17] = (unsigned char)(fv >> 24);
	out[18] = (unsigned char)(fv >> 16);
	out[19] = (unsigned char)(fv >> 8);
	out[20] = (unsigned char)fv;
	out[21] = (unsigned char)plen;
	memcpy(out + 22, purpose, plen);
	*len = 22 + plen;
	return ENV_OK;
}

/* Length, magic, version and alg, in that order; no key material. */
static enum env_err
env_header_check(const unsigned char *blob, size_t bloblen)
{
	if (blob == NULL || bloblen < ENV_OVERHEAD)
		return ENV_ERR_SHORT;
	if (memcmp(blob, ENV_MAGIC, ENV_MAGIC_LEN) != 0)
		return ENV_ERR_MAGIC;
	if (blob[ENV_OFF_VERSION] != ENV_VERSION)
		return ENV_ERR_VERSION;
	if (blob[ENV_OFF_ALG] != ENV_ALG)
		return ENV_ERR_ALG;
	if (bloblen - ENV_OVERHEAD > ENV_MAX_PLAINTEXT)
		return ENV_ERR_TOOBIG;
	return ENV_OK;
}

static const struct env_key *
env_keyring_find(const struct env_keyring *ring,
    const unsigned char id[ENV_KEYID_BYTES])
{
	size_t	 i;

	if (ring == NULL)
		return NULL;
	for (i = 0; i < ring->n; i++)
		if (memcmp(ring->keys[i].id, id, ENV_KEYID_BYTES) == 0)
			return &ring->keys[i];
	return NULL;
}

/* The data key of a header-checked blob into dk (sodium memory). */
static enum env_err
env_unseal(const struct env_keyring *ring, const unsigned char *blob,
    unsigned char dk[ENV_DK_BYTES])
{
	const struct env_key	*k;

	if ((k = env_keyring_find(ring, blob + ENV_OFF_KEYID)) == NULL)
		return ENV_ERR_NOKEY;
	if (crypto_box_seal_open(dk, blob + ENV_OFF_SEALED,
	    ENV_SEALED_KEY_BYTES, k->pk, k->sk) != 0)
		return ENV_ERR_UNSEAL;
	return ENV_OK;
}

enum env_err
env_dk_new(const struct env_pubkey *pub, struct env_dk **dkp)
{
	struct env_dk	*dk;

	*dkp = NULL;
	if ((dk = sodium_malloc(sizeof(*dk))) == NULL)
		return ENV_ERR_NOMEM;
	crypto_aead_xchacha20poly1305_ietf_keygen(dk->key);
	memcpy(dk->id, pub->id, ENV_KEYID_BYTES);
	/* Fails only for a public key no one can hold the secret of. */
	if (crypto_box_seal(dk->sealed, dk->key, ENV_DK_BYTES,
	    pub->pk) != 0) {
		sodium_free(dk);
		return ENV_ERR_FORMAT;
	}
	sodium_mprotect_readonly(dk);
	*dkp = dk;
	return ENV_OK;
}

enum env_err
env_dk_from_blob(const struct env_keyring *ring, const unsigned char *blob,
    size_t bloblen, struct env_dk **dkp)
{
	struct env_dk	*dk;
	enum env_err	 rc;

	*dkp = NULL;
	if ((rc = env_header_check(blob, bloblen)) != ENV_OK)
		return rc;
	if (env_keyring_find(ring, blob + ENV_OFF_KEYID) == NULL)
		return ENV_ERR_NOKEY;
	if ((dk = sodium_malloc(sizeof(*dk))) == NULL)
		return ENV_ERR_NOMEM;
	if ((rc = env_unseal(ring, blob, dk->key)) != ENV_OK) {
		sodium_free(dk);
		return rc;
	}
	memcpy(dk->id, blob + ENV_OFF_KEYID, ENV_KEYID_BYTES);
	memcpy(dk->sealed, blob + ENV_OFF_SEALED, ENV_SEALED_KEY_BYTES);
	sodium_mprotect_readonly(dk);
	*dkp = dk;
	return ENV_OK;
}

void
env_dk_free(struct env_dk *dk)
{
	sodium_free(dk);	/* wipes, read-only or not; accepts NULL */
}

/*
 * Takes a data key, what the blob is bound to and ptlen bytes at pt (NULL
 * when ptlen is 0). Returns a malloc'ed blob the caller frees.
 */
enum env_err
env_seal(const struct env_dk *dk, const struct env_ad *ad, const void *pt,
    size_t ptlen, unsigned char **blobp, size_t *bloblenp)
{
	unsigned char		 adbuf[ENV_AD_MAX], *b;
	unsigned long long	 clen;
	size_t			 adlen;
	enum env_err		 rc;

	*blobp = NULL;
	*bloblenp = 0;
	if (ptlen > ENV_MAX_PLAINTEXT)
		return ENV_ERR_TOOBIG;
	if ((rc = env_ad_build(ad, adbuf, &adlen)) != ENV_OK)
		return rc;
	if ((b = malloc(ENV_OVERHEAD + ptlen)) == NULL)
		return ENV_ERR_NOMEM;
	memcpy(b, ENV_MAGIC, ENV_MAGIC_LEN);
	b[ENV_OFF_VERSION] = ENV_VERSION;
	b[ENV_OFF_ALG] = ENV_ALG;
	memcpy(b + ENV_OFF_KEYID, dk->id, ENV_KEYID_BYTES);
	memcpy(b + ENV_OFF_SEALED, dk->sealed, ENV_SEALED_KEY_BYTES);
	/* 24 random bytes: no nonce bookkeeping across blobs of one key. */
	randombytes_buf(b + ENV_OFF_NONCE, ENV_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(b + ENV_OFF_CT, &clen,
	    ptlen == 0 ? env_empty : pt, ptlen, adbuf, adlen, NULL,
	    b + ENV_OFF_NONCE, dk->key);
	*blobp = b;
	*bloblenp = ENV_OVERHEAD + ptlen;
	return ENV_OK;
}

/*
 * Takes the keyring, what the blob must be bound to, and the blob.
 * Returns the plaintext in *ptp (sodium_malloc'ed, free with
 * env_plain_free), its length in *ptlenp.
 */
enum env_err
env_open(const struct env_keyring *ring, const struct env_ad *ad,
    const unsigned char *blob, size_t bloblen, unsigned char **ptp,
    size_t *ptlenp)
{
	unsigned char		 adbuf[ENV_AD_MAX];
	unsigned char		*dk = NULL, *pt = NULL;
	unsigned long long	 mlen;
	size_t			 adlen, ptlen;
	enum env_err		 rc;

	*ptp = NULL;
	*ptlenp = 0;
	if ((rc = env_header_check(blob, bloblen)) != ENV_OK)
		return rc;
	if (env_keyring_find(ring, blob + ENV_OFF_KEYID) == NULL)
		return ENV_ERR_NOKEY;
	if ((rc = env_ad_build(ad, adbuf, &adlen)) != ENV_OK)
		return rc;
	ptlen = bloblen - ENV_OVERHEAD;

	/* From here: goto err. */
	if ((dk = sodium_malloc(ENV_DK_BYTES)) == NULL ||
	    (pt = sodium_malloc(ptlen == 0 ? 1 : ptlen)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	if ((rc = env_unseal(ring, blob, dk)) != ENV_OK)
		goto err;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL,
	    blob + ENV_OFF_CT, bloblen - ENV_OFF_CT, adbuf, adlen,
	    blob + ENV_OFF_NONCE, dk) != 0 || mlen != ptlen) {
		rc = ENV_ERR_AUTH;
		goto err;
	}
	*ptp = pt;
	*ptlenp = ptlen;
	pt = NULL;
	rc = ENV_OK;
err:
	sodium_free(pt);
	sodium_free(dk);
	return rc;
}

void
env_plain_free(unsigned char *pt, size_t ptlen)
{
	(void)ptlen;	/* sodium_free wipes the whole allocation */
	sodium_free(pt);
}

/*
 * Takes the keyring holding the blob's key, the new public key and the
 * blob. Returns a malloc'ed copy (caller frees) sealed to newpk: only the
 * key id and the sealed key differ, nonce and ciphertext are the same.
 */
enum env_err
env_rewrap(const struct env_keyring *ring, const struct env_pubkey *newpk,
    const unsigned char *blob, size_t bloblen, unsigned char **outp,
    size_t *outlenp)
{
	unsigned char	*dk = NULL, *out = NULL;
	enum env_err	 rc;

	*outp = NULL;
	*outlenp = 0;
	if ((rc = env_header_check(blob, bloblen)) != ENV_OK)
		return rc;
	if (env_keyring_find(ring, blob + ENV_OFF_KEYID) == NULL)
		return ENV_ERR_NOKEY;

	/* From here: goto err. */
	if ((dk = sodium_malloc(ENV_DK_BYTES)) == NULL ||
	    (out = malloc(bloblen)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	if ((rc = env_unseal(ring, blob, dk)) != ENV_OK)
		goto err;
	memcpy(out, blob, bloblen);
	memcpy(out + ENV_OFF_KEYID, newpk->id, ENV_KEYID_BYTES);
	if (crypto_box_seal(out + ENV_OFF_SEALED, dk, ENV_DK_BYTES,
	    newpk->pk) != 0) {
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	*outp = out;
	*outlenp = bloblen;
	out = NULL;
	rc = ENV_OK;
err:
	free(out);
	sodium_free(dk);
	return rc;
}

enum env_err
env_blob_keyid(const unsigned char *blob, size_t bloblen,
    unsigned char id[ENV_KEYID_BYTES])
{
	enum env_err	 rc;

	if ((rc = env_header_check(blob, bloblen)) != ENV_OK)
		return rc;
	memcpy(id, blob + ENV_OFF_KEYID, ENV_KEYID_BYTES);
	return ENV_OK;
}

/* Replace path atomically with the public key line, mode 0644. */
static enum env_err
env_pubkey_write(const char *path, const struct env_pubkey *pub)
{
	char		 line[ENV_PKLINE_LEN + 2], *tmp;
	const char	*p = line;
	size_t		 len = ENV_PKLINE_LEN + 1, tmpsz;
	ssize_t		 n;
	int		 fd;

	tmpsz = strlen(path) + sizeof(".XXXXXX");
	if ((tmp = malloc(tmpsz)) == NULL)
		return ENV_ERR_NOMEM;
	snprintf(tmp, tmpsz, "%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		return ENV_ERR_IO;
	}
	/* From here: goto err. */
	env_keyfile_format_pk(pub, line);
	if (fchmod(fd, 0644) == -1)
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
	fd = -1;
	if (rename(tmp, path) == -1)
		goto err;
	free(tmp);
	return ENV_OK;
err:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return ENV_ERR_IO;
}

/*
 * Takes a secret key directory (created 0700 if missing; refused with
 * ENV_ERR_PERM if open to group or others) and a public key path.
 * Writes <keyid hex>.key (0600, never over an existing file) then the
 * public file (0644, replaced atomically). out may be NULL.
 */
enum env_err
env_keypair_generate(const char *secret_dir, const char *public_path,
    struct env_pubkey *out)
{
	struct env_key		*k = NULL;
	struct env_pubkey	 pub;
	char			*line = NULL, name[ENV_KEYNAME_LEN + 1];
	int			 dfd = -1;
	enum env_err		 rc;

	if ((rc = env_keydir_open(secret_dir, &dfd)) != ENV_OK)
		return rc;
	/* From here: goto err. */
	if ((k = sodium_malloc(sizeof(*k))) == NULL ||
	    (line = sodium_malloc(ENV_SKLINE_LEN + 2)) == NULL) {
		rc = ENV_ERR_NOMEM;
		goto err;
	}
	crypto_box_keypair(k->pk, k->sk);
	env_key_id(k->pk, k->id);
	env_key_name(k->id, name);
	env_keyfile_format_sk(k, line);
	if ((rc = env_keyfile_create(dfd, name, 0600, line,
	    ENV_SKLINE_LEN + 1)) != ENV_OK)
		goto err;
	memcpy(pub.id, k->id, ENV_KEYID_BYTES);
	memcpy(pub.pk, k->pk, ENV_PK_BYTES);
	if ((rc = env_pubkey_write(public_path, &pub)) != ENV_OK) {
		/* Nothing was ever sealed to it: leave no orphan. */
		unlinkat(dfd, name, 0);
		goto err;
	}
	if (out != NULL)
		*out = pub;
	rc = ENV_OK;
err:
	sodium_free(line);
	sodium_free(k);
	close(dfd);
	return rc;
}

/*
 * Read and check a public key file. ENV_ERR_IO if it cannot be read,
 * ENV_ERR_PERM if others may write it (they could swap in their own key),
 * ENV_ERR_FORMAT if malformed or its key id does not match its key.
 */
enum env_err
env_pubkey_load(const char *path, struct env_pubkey *pub)
{
	struct stat	 st;
	char		 text[ENV_PUBFILE_MAX + 1];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;
	enum env_err	 rc;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return ENV_ERR_IO;
	/* From here: goto err. */
	if (fstat(fd, &st) == -1) {
		rc = ENV_ERR_IO;
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ENV_ERR_FORMAT;
		goto err;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		rc = ENV_ERR_PERM;
		goto err;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
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
	rc = env_keyfile_parse_pk(text, len, pub);
err:
	close(fd);
	return rc;
}

/*
 * Takes the secret key directory. Returns every key in it, read-only in
 * sodium memory (free with env_keyring_free); on failure err (may be
 * NULL) says in plain words what is wrong and with which file.
 */
enum env_err
env_keyring_load(const char *secret_dir, struct env_keyring **ringp,
    char *err, size_t errsz)
{
	struct env_keyring	*ring;
	struct env_key		*keys;
	size_t			 n;
	enum env_err		 rc;

	*ringp = NULL;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((rc = env_keydir_read(secret_dir, &keys, &n, err,
	    errsz)) != ENV_OK) {
		if (rc == ENV_ERR_NOMEM && err != NULL && errsz > 0)
			snprintf(err, errsz, "out of memory");
		return rc;
	}
	if ((ring = sodium_malloc(sizeof(*ring))) == NULL) {
		sodium_free(keys);
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "out of memory");
		return ENV_ERR_NOMEM;
	}
	ring->n = n;
	ring->keys = keys;
	sodium_mprotect_readonly(keys);
	sodium_mprotect_readonly(ring);
	*ringp = ring;
	return ENV_OK;
}

void
env_keyring_free(struct env_keyring *ring)
{
	if (ring == NULL)
		return;
	sodium_free(ring->keys);
	sodium_free(ring);
}

size_t
env_keyring_count(const struct env_keyring *ring)
{
	return ring == NULL ? 0 : ring->n;
}

static int
env_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strictly 8-4-4-4-12 hex digits, either case; out untouched on -1. */
int
env_uuid_parse(const char *text, unsigned char out[16])
{
	unsigned char	 b[16];
	size_t		 i, o = 0;
	int		 hi, lo;

	if (text == NULL)
		return -1;
	for (i = 0; i < 36; ) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -1;
			i++;
			continue;
		}
		/* A NUL fails here, so nothing past it is read. */
		if ((hi = env_hexval(text[i])) == -1 ||
		    (lo = env_hexval(text[i + 1])) == -1)
			return -1;
		b[o++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	if (text[36] != '\0')
		return -1;
	memcpy(out, b, sizeof(b));
	return 0;
}
