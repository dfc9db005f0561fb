/* test_envelope.c: the encryption envelope, key files and keyring. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/envelope.h"

#define OFF_KEYID	5
#define OFF_SEALED	(OFF_KEYID + ENV_KEYID_BYTES)
#define OFF_NONCE	(OFF_SEALED + ENV_SEALED_KEY_BYTES)
#define OFF_CT		(OFF_NONCE + ENV_NONCE_BYTES)

/* A scratch directory holding one generated key pair and its keyring. */
struct fx {
	char			 root[64];
	char			 keys[96];
	char			 pub[96];
	struct env_pubkey	 pk;
	struct env_keyring	*ring;
};

static const struct env_ad ad_answers = {
	{ 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
	  0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
	3, "answers"
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The one key file of dir, as a path. */
static void
key_path(const char *dir, const struct env_pubkey *pk, char *out, size_t sz)
{
	char	 hex[2 * ENV_KEYID_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), pk->id, sizeof(pk->id));
	snprintf(out, sz, "%s/%s.key", dir, hex);
}

static int
fx_setup(void **state)
{
	struct fx	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	strcpy(f->root, "/tmp/test_envelope.XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->root);
	snprintf(f->pub, sizeof(f->pub), "%s/clinic.pub", f->root);
	if (env_keypair_generate(f->keys, f->pub, &f->pk) != ENV_OK ||
	    env_keyring_load(f->keys, &f->ring, err, sizeof(err)) != ENV_OK) {
		rm_rf(f->root);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;

	env_keyring_free(f->ring);
	rm_rf(f->root);
	free(f);
	return 0;
}

/* A blob of pt under a fresh data key for f's public key. */
static void
seal_new(const struct fx *f, const struct env_ad *ad, const void *pt,
    size_t ptlen, unsigned char **blob, size_t *bloblen)
{
	struct env_dk	*dk = NULL;

	assert_int_equal(env_dk_new(&f->pk, &dk), ENV_OK);
	assert_int_equal(env_seal(dk, ad, pt, ptlen, blob, bloblen), ENV_OK);
	env_dk_free(dk);
}

static void
test_roundtrip(void **state)
{
	static const size_t	 sizes[] = { 0, 5, 1u << 20 };
	struct fx		*f = *state;
	unsigned char		*in, *blob, *pt;
	size_t			 i, bloblen, ptlen;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		in = malloc(sizes[i] + 1);
		assert_non_null(in);
		randombytes_buf(in, sizes[i]);
		seal_new(f, &ad_answers, sizes[i] ? in : NULL, sizes[i],
		    &blob, &bloblen);
		assert_int_equal(bloblen, ENV_OVERHEAD + sizes[i]);
		assert_memory_equal(blob, "CIE\001\001", 5);
		assert_memory_equal(blob + OFF_KEYID, f->pk.id,
		    ENV_KEYID_BYTES);
		assert_int_equal(env_open(f->ring, &ad_answers, blob, bloblen,
		    &pt, &ptlen), ENV_OK);
		assert_non_null(pt);
		assert_int_equal(ptlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(pt, in, sizes[i]);
		env_plain_free(pt, ptlen);
		free(blob);
		free(in);
	}
}

static void
test_flip(void **state)
{
	static const struct {
		const char	*region;
		long		 off;	/* < 0: from the end */
		enum env_err	 want;
	} t[] = {
		{ "magic", 0, ENV_ERR_MAGIC },
		{ "magic", 2, ENV_ERR_MAGIC },
		{ "version", 3, ENV_ERR_VERSION },
		{ "alg", 4, ENV_ERR_ALG },
		{ "key id", OFF_KEYID, ENV_ERR_NOKEY },
		{ "key id", OFF_SEALED - 1, ENV_ERR_NOKEY },
		{ "sealed key", OFF_SEALED, ENV_ERR_UNSEAL },
		{ "sealed key", OFF_SEALED + 40, ENV_ERR_UNSEAL },
		{ "sealed key", OFF_NONCE - 1, ENV_ERR_UNSEAL },
		{ "nonce", OFF_NONCE, ENV_ERR_AUTH },
		{ "nonce", OFF_CT - 1, ENV_ERR_AUTH },
		{ "ciphertext", OFF_CT, ENV_ERR_AUTH },
		{ "ciphertext", OFF_CT + 20, ENV_ERR_AUTH },
		{ "tag", -ENV_TAG_BYTES, ENV_ERR_AUTH },
		{ "tag", -1, ENV_ERR_AUTH },
	};
	struct fx	*f = *state;
	unsigned char	*blob, *pt;
	size_t		 i, bloblen, ptlen, off;
	const char	 msg[] = "synthetic answers: nothing real";

	seal_new(f, &ad_answers, msg, sizeof(msg), &blob, &bloblen);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		off = t[i].off < 0 ? bloblen - (size_t)-t[i].off :
		    (size_t)t[i].off;
		blob[off] ^= 0x01;
		pt = (unsigned char *)"untouched";
		ptlen = 99;
		if (env_open(f->ring, &ad_answers, blob, bloblen, &pt,
		    &ptlen) != t[i].want)
			fail_msg("flip in %s at %zu: want %s", t[i].region,
			    off, env_strerror(t[i].want));
		assert_null(pt);
		assert_int_equal(ptlen, 0);
		blob[off] ^= 0x01;
	}
	/* Restored, it opens again: each failure came from its flip. */
	assert_int_equal(env_open(f->ring, &ad_answers, blob, bloblen, &pt,
	    &ptlen), ENV_OK);
	env_plain_free(pt, ptlen);
	free(blob);
}

static void
test_binding(void **state)
{
	struct env_ad	 t[6];
	struct fx	*f = *state;
	unsigned char	*blob, *pt;
	size_t		 i, bloblen, ptlen;

	for (i = 0; i < 6; i++)
		t[i] = ad_answers;
	t[0].submission_id[15] ^= 1;
	t[1].submission_id[0] ^= 0x80;
	t[2].purpose = "flag";
	t[3].purpose = "answers ";
	t[4].form_version = 4;
	t[5].purpose = "answerz";

	seal_new(f, &ad_answers, "x", 1, &blob, &bloblen);
	for (i = 0; i < 6; i++)
		if (env_open(f->ring, &t[i], blob, bloblen, &pt, &ptlen) !=
		    ENV_ERR_AUTH)
			fail_msg("binding case %zu opened", i);
	assert_int_equal(env_open(f->ring, &ad_answers, blob, bloblen, &pt,
	    &ptlen), ENV_OK);
	env_plain_free(pt, ptlen);
	free(blob);

	/* The empty purpose and a NULL one are the same binding. */
	t[0] = ad_answers;
	t[0].purpose = NULL;
	t[1] = ad_answers;
	t[1].purpose = "";
	seal_new(f, &t[0], "y", 1, &blob, &bloblen);
	assert_int_equal(env_open(f->ring, &t[1], blob, bloblen, &pt,
	    &ptlen), ENV_OK);
	env_plain_free(pt, ptlen);
	free(blob);
}

static void
test_short(void **state)
{
	static const size_t	 lens[] = { 0, 1, 5, ENV_HEADER_BYTES,
	    ENV_OVERHEAD - 1 };
	struct fx		*f = *state;
	unsigned char		*blob, *pt, id[ENV_KEYID_BYTES];
	size_t			 i, bloblen, ptlen;

	seal_new(f, &ad_answers, "abc", 3, &blob, &bloblen);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(env_open(f->ring, &ad_answers, blob, lens[i],
		    &pt, &ptlen), ENV_ERR_SHORT);
		assert_int_equal(env_blob_keyid(blob, lens[i], id),
		    ENV_ERR_SHORT);
	}
	assert_int_equal(env_open(f->ring, &ad_answers, NULL, 0, &pt, &ptlen),
	    ENV_ERR_SHORT);
	/* Long enough for a header, but a byte of the tag is gone. */
	assert_int_equal(env_open(f->ring, &ad_answers, blob, bloblen - 1,
	    &pt, &ptlen), ENV_ERR_AUTH);
	free(blob);
}

static void
test_toobig(void **state)
{
	struct fx	*f = *state;
	struct env_dk	*dk;
	struct env_ad	 ad = ad_answers;
	unsigned char	*blob;
	size_t		 bloblen;
	char		 purpose[300];

	assert_int_equal(env_dk_new(&f->pk, &dk), ENV_OK);
	assert_int_equal(env_seal(dk, &ad, "", ENV_MAX_PLAINTEXT + 1, &blob,
	    &bloblen), ENV_ERR_TOOBIG);
	assert_null(blob);
	memset(purpose, 'p', sizeof(purpose) - 1);
	purpose[sizeof(purpose) - 1] = '\0';
	ad.purpose = purpose;
	assert_int_equal(env_seal(dk, &ad, "", 0, &blob, &bloblen),
	    ENV_ERR_TOOBIG);
	purpose[255] = '\0';
	assert_int_equal(env_seal(dk, &ad, "", 0, &blob, &bloblen), ENV_OK);
	free(blob);
	env_dk_free(dk);
}

static void
test_nokey(void **state)
{
	struct fx		*f = *state;
	struct env_pubkey	 other;
	struct env_dk		*dk;
	unsigned char		*blob, *pt, id[ENV_KEYID_BYTES];
	size_t			 bloblen, ptlen;
	char			 dir[128], pub[128];

	snprintf(dir, sizeof(dir), "%s/other", f->root);
	snprintf(pub, sizeof(pub), "%s/other.pub", f->root);
	assert_int_equal(env_keypair_generate(dir, pub, &other), ENV_OK);
	assert_int_equal(env_dk_new(&other, &dk), ENV_OK);
	assert_int_equal(env_seal(dk, &ad_answers, "z", 1, &blob, &bloblen),
	    ENV_OK);
	assert_int_equal(env_open(f->ring, &ad_answers, blob, bloblen, &pt,
	    &ptlen), ENV_ERR_NOKEY);
	assert_int_equal(env_open(NULL, &ad_answers, blob, bloblen, &pt,
	    &ptlen), ENV_ERR_NOKEY);
	assert_int_equal(env_blob_keyid(blob, bloblen, id), ENV_OK);
	assert_memory_equal(id, other.id, ENV_KEYID_BYTES);
	env_dk_free(dk);
	free(blob);
}

static void
test_shared_dk(void **state)
{
	struct fx	*f = *state;
	struct env_dk	*dk, *dk2;
	struct env_ad	 flag = ad_answers;
	unsigned char	*a, *b, *c, *pt;
	size_t		 alen, blen, clen, ptlen;

	flag.purpose = "flag";
	assert_int_equal(env_dk_new(&f->pk, &dk), ENV_OK);
	assert_int_equal(env_seal(dk, &ad_answers, "one", 3, &a, &alen),
	    ENV_OK);
	assert_int_equal(env_seal(dk, &flag, "two", 3, &b, &blen), ENV_OK);
	/* Same key id and sealed key; a fresh nonce each. */
	assert_memory_equal(a, b, OFF_NONCE);
	assert_memory_not_equal(a + OFF_NONCE, b + OFF_NONCE,
	    ENV_NONCE_BYTES);
	assert_int_equal(env_open(f->ring, &ad_answers, a, alen, &pt, &ptlen),
	    ENV_OK);
	assert_memory_equal(pt, "one", 3);
	env_plain_free(pt, ptlen);
	assert_int_equal(env_open(f->ring, &flag, b, blen, &pt, &ptlen),
	    ENV_OK);
	assert_memory_equal(pt, "two", 3);
	env_plain_free(pt, ptlen);

	/* The clinic side adds a note under the submission's data key. */
	flag.purpose = "note";
	assert_int_equal(env_dk_from_blob(f->ring, b, blen, &dk2), ENV_OK);
	assert_int_equal(env_seal(dk2, &flag, "three", 5, &c, &clen), ENV_OK);
	assert_memory_equal(a, c, OFF_NONCE);
	assert_int_equal(env_open(f->ring, &flag, c, clen, &pt, &ptlen),
	    ENV_OK);
	assert_int_equal(ptlen, 5);
	assert_memory_equal(pt, "three", 5);
	env_plain_free(pt, ptlen);
	env_dk_free(dk2);

	assert_int_equal(env_dk_from_blob(NULL, b, blen, &dk2), ENV_ERR_NOKEY);
	assert_null(dk2);
	b[OFF_SEALED] ^= 1;
	assert_int_equal(env_dk_from_blob(f->ring, b, blen, &dk2),
	    ENV_ERR_UNSEAL);
	assert_null(dk2);
	assert_int_equal(env_dk_from_blob(f->ring, b, 10, &dk2),
	    ENV_ERR_SHORT);

	env_dk_free(dk);
	env_dk_free(NULL);
	free(a);
	free(b);
	free(c);
}

static void
test_rewrap(void **state)
{
	struct fx		*f = *state;
	struct env_pubkey	 newpk;
	struct env_keyring	*ring2, *both;
	unsigned char		*blob, *out, *pt, id[ENV_KEYID_BYTES];
	size_t			 bloblen, outlen, ptlen;
	char			 dir[128], pub[128], from[160], to[160];
	char			 err[256];
	const char		 msg[] = "rotated payload";

	snprintf(dir, sizeof(dir), "%s/new", f->root);
	snprintf(pub, sizeof(pub), "%s/new.pub", f->root);
	assert_int_equal(env_keypair_generate(dir, pub, &newpk), ENV_OK);
	assert_int_equal(env_keyring_load(dir, &ring2, err, sizeof(err)),
	    ENV_OK);

	seal_new(f, &ad_answers, msg, sizeof(msg), &blob, &bloblen);
	assert_int_equal(env_rewrap(ring2, &newpk, blob, bloblen, &out,
	    &outlen), ENV_ERR_NOKEY);
	assert_null(out);
	assert_int_equal(env_rewrap(f->ring, &newpk, blob, bloblen, &out,
	    &outlen), ENV_OK);
	assert_int_equal(outlen, bloblen);
	/* Header tags kept, key id and sealed key new, payload untouched. */
	assert_memory_equal(out, blob, OFF_KEYID);
	assert_memory_equal(out + OFF_KEYID, newpk.id, ENV_KEYID_BYTES);
	assert_memory_not_equal(out + OFF_SEALED, blob + OFF_SEALED,
	    ENV_SEALED_KEY_BYTES);
	assert_memory_equal(out + OFF_NONCE, blob + OFF_NONCE,
	    bloblen - OFF_NONCE);
	assert_int_equal(env_blob_keyid(out, outlen, id), ENV_OK);
	assert_memory_equal(id, newpk.id, ENV_KEYID_BYTES);

	assert_int_equal(env_open(f->ring, &ad_answers, out, outlen, &pt,
	    &ptlen), ENV_ERR_NOKEY);
	assert_int_equal(env_open(ring2, &ad_answers, out, outlen, &pt,
	    &ptlen), ENV_OK);
	assert_int_equal(ptlen, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	env_plain_free(pt, ptlen);

	/* During rotation one ring holds both keys and opens both blobs. */
	key_path(dir, &newpk, from, sizeof(from));
	key_path(f->keys, &newpk, to, sizeof(to));
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(env_keyring_load(f->keys, &both, err, sizeof(err)),
	    ENV_OK);
	assert_int_equal(env_keyring_count(both), 2);
	assert_int_equal(env_open(both, &ad_answers, out, outlen, &pt,
	    &ptlen), ENV_OK);
	env_plain_free(pt, ptlen);
	assert_int_equal(env_open(both, &ad_answers, blob, bloblen, &pt,
	    &ptlen), ENV_OK);
	env_plain_free(pt, ptlen);

	env_keyring_free(both);
	env_keyring_free(ring2);
	free(out);
	free(blob);
}

static void
test_keyring_perm(void **state)
{
	static const struct {
		int	 dir;		/* chmod the directory, not the file */
		mode_t	 mode;
		const char *words;
	} t[] = {
		{ 0, 0644, "readable by other users; chmod 600" },
		{ 0, 0640, "readable by other users; chmod 600" },
		{ 0, 0620, "writable by other users; chmod 600" },
		{ 0, 0601, "accessible by other users; chmod 600" },
		{ 1, 0755, "readable by other users; chmod 700" },
		{ 1, 0711, "accessible by other users; chmod 700" },
	};
	struct fx		*f = *state;
	struct env_keyring	*ring;
	char			 path[160], err[512];
	size_t			 i;

	key_path(f->keys, &f->pk, path, sizeof(path));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(chmod(t[i].dir ? f->keys : path, t[i].mode),
		    0);
		err[0] = '\0';
		ring = (struct env_keyring *)&err;
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_PERM);
		assert_null(ring);
		assert_non_null(strstr(err, t[i].dir ? f->keys : path));
		if (strstr(err, t[i].words) == NULL)
			fail_msg("case %zu: \"%s\"", i, err);
		assert_int_equal(chmod(t[i].dir ? f->keys : path,
		    t[i].dir ? 0700 : 0600), 0);
	}
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_OK);
	env_keyring_free(ring);

	/* Owned by another user: only root can arrange that. */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_PERM);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "owned by uid 65534"));
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(chown(f->keys, 65534, 65534), 0);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_PERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
		assert_int_equal(chown(f->keys, 0, 0), 0);
	}

	/* A symbolic link is refused even when it points at a good file. */
	{
		char	 real[160], link[200];

		snprintf(real, sizeof(real), "%s/real", f->root);
		assert_int_equal(rename(path, real), 0);
		snprintf(link, sizeof(link), "%s", path);
		assert_int_equal(symlink(real, link), 0);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_PERM);
		assert_non_null(strstr(err, "symbolic link"));
		assert_int_equal(unlink(link), 0);
		assert_int_equal(rename(real, path), 0);
	}
	assert_int_equal(env_keyring_load(f->keys, &ring, NULL, 0), ENV_OK);
	env_keyring_free(ring);
}

static void
test_keyring_format(void **state)
{
	struct fx		*f = *state;
	struct env_keyring	*ring;
	char			 path[160], other[160], err[512], *line;
	char			 hex[2 * ENV_KEYID_BYTES + 1];
	FILE			*fp;
	size_t			 n;
	static const struct {
		size_t	 off;	/* byte of the good line to change */
		char	 to;
		const char *words;
	} t[] = {
		{ 0, 'C', "expected format" },		/* tag */
		{ 10, '_', "expected format" },		/* separator */
		{ 11, 'g', "expected format" },		/* id hex */
		{ 11 + 16 + 1, 'x', "expected format" }, /* pk hex */
		{ 156, 'z', "expected format" },	/* sk hex */
		{ 157, ' ', "expected format" },	/* trailing junk */
	};
	size_t			 i;

	key_path(f->keys, &f->pk, path, sizeof(path));
	line = calloc(1, 512);
	assert_non_null(line);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(line, 1, 511, fp);
	fclose(fp);
	assert_int_equal(n, 158);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char	 bad[512];

		memcpy(bad, line, n + 1);
		bad[t[i].off] = t[i].to;
		write_file(path, bad, 0600);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_FORMAT);
		assert_null(ring);
		if (strstr(err, t[i].words) == NULL ||
		    strstr(err, path) == NULL)
			fail_msg("case %zu: \"%s\"", i, err);
	}

	/* The secret key of another pair under this pair's public key. */
	{
		char	 bad[512];

		memcpy(bad, line, n + 1);
		/* Byte 2 of sk: untouched by X25519 clamping. */
		bad[11 + 16 + 1 + 64 + 1 + 5] =
		    bad[11 + 16 + 1 + 64 + 1 + 5] == '0' ? '1' : '0';
		write_file(path, bad, 0600);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_FORMAT);
		assert_non_null(strstr(err, "does not match its secret key"));
	}
	/* A changed public key no longer matches its key id. */
	{
		char	 bad[512];

		memcpy(bad, line, n + 1);
		bad[11 + 16 + 1] = bad[11 + 16 + 1] == '0' ? '1' : '0';
		write_file(path, bad, 0600);
		assert_int_equal(env_keyring_load(f->keys, &ring, err,
		    sizeof(err)), ENV_ERR_FORMAT);
		assert_non_null(strstr(err, "key id does not match"));
	}
	/* Without its newline it is still the same key. */
	line[157] = '\0';
	write_file(path, line, 0600);
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_OK);
	env_keyring_free(ring);

	/* Good contents under another name. */
	sodium_bin2hex(hex, sizeof(hex), f->pk.id, sizeof(f->pk.id));
	hex[0] = hex[0] == 'a' ? 'b' : 'a';
	snprintf(other, sizeof(other), "%s/%s.key", f->keys, hex);
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_ERR_FORMAT);
	assert_non_null(strstr(err, "file name does not match"));

	/* No key file at all, and no directory. */
	assert_int_equal(unlink(other), 0);
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_ERR_IO);
	assert_non_null(strstr(err, "holds no key file"));
	assert_int_equal(rmdir(f->keys), 0);
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_ERR_IO);
	assert_non_null(strstr(err, f->keys));
	free(line);
}

static void
test_generate(void **state)
{
	struct fx		*f = *state;
	struct env_pubkey	 loaded, second;
	struct env_keyring	*ring;
	struct stat		 st;
	char			 path[160], dir[128], err[256];

	assert_int_equal(env_pubkey_load(f->pub, &loaded), ENV_OK);
	assert_memory_equal(&loaded, &f->pk, sizeof(loaded));
	assert_int_equal(env_keyring_count(f->ring), 1);
	assert_int_equal(env_keyring_count(NULL), 0);

	key_path(f->keys, &f->pk, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->pub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(f->keys, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* A second pair joins the directory; the public file is replaced. */
	assert_int_equal(env_keypair_generate(f->keys, f->pub, &second),
	    ENV_OK);
	assert_memory_not_equal(second.id, f->pk.id, ENV_KEYID_BYTES);
	assert_int_equal(env_pubkey_load(f->pub, &loaded), ENV_OK);
	assert_memory_equal(&loaded, &second, sizeof(loaded));
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_OK);
	assert_int_equal(env_keyring_count(ring), 2);
	env_keyring_free(ring);

	/* A directory others can enter is not used; nothing is written. */
	snprintf(dir, sizeof(dir), "%s/open", f->root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/open.pub", f->root);
	assert_int_equal(env_keypair_generate(dir, path, NULL), ENV_ERR_PERM);
	assert_int_equal(stat(path, &st), -1);
	/* No public file can be written: the secret key is removed too. */
	snprintf(dir, sizeof(dir), "%s/k3", f->root);
	snprintf(path, sizeof(path), "%s/missing/k3.pub", f->root);
	assert_int_equal(env_keypair_generate(dir, path, NULL), ENV_ERR_IO);
	assert_int_equal(env_keyring_load(dir, &ring, err, sizeof(err)),
	    ENV_ERR_IO);
	assert_non_null(strstr(err, "holds no key file"));
}

static void
test_pubkey_load(void **state)
{
	struct fx		*f = *state;
	struct env_pubkey	 pk;
	char			 good[128], bad[128], path[128];
	FILE			*fp;
	size_t			 n, i;
	static const struct {
		size_t		 off;
		char		 to;
	} t[] = {
		{ 9, '2' },		/* "clinic-pk2" */
		{ 10, '\t' },
		{ 11, 'G' },		/* id hex */
		{ 12, '0' },		/* id no longer the pk's */
		{ 27, '-' },
		{ 40, 'q' },		/* pk hex */
		{ 91, '\n' },		/* one digit short */
		{ 92, 'x' },		/* junk after the line */
	};

	fp = fopen(f->pub, "r");
	assert_non_null(fp);
	n = fread(good, 1, sizeof(good) - 1, fp);
	fclose(fp);
	assert_int_equal(n, 93);
	good[n] = '\0';
	snprintf(path, sizeof(path), "%s/test.pub", f->root);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(bad, good, n + 1);
		if (bad[t[i].off] == t[i].to)
			bad[t[i].off] = '1';
		else
			bad[t[i].off] = t[i].to;
		write_file(path, bad, 0644);
		if (env_pubkey_load(path, &pk) != ENV_ERR_FORMAT)
			fail_msg("case %zu loaded", i);
	}
	write_file(path, "", 0644);
	assert_int_equal(env_pubkey_load(path, &pk), ENV_ERR_FORMAT);
	write_file(path, good, 0664);
	assert_int_equal(env_pubkey_load(path, &pk), ENV_ERR_PERM);
	write_file(path, good, 0444);
	assert_int_equal(env_pubkey_load(path, &pk), ENV_OK);
	assert_memory_equal(&pk, &f->pk, sizeof(pk));
	assert_int_equal(env_pubkey_load(f->root, &pk), ENV_ERR_FORMAT);
	snprintf(path, sizeof(path), "%s/nope.pub", f->root);
	assert_int_equal(env_pubkey_load(path, &pk), ENV_ERR_IO);
}

static void
test_uuid(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
	} t[] = {
		{ "12345678-9abc-4def-8123-456789abcdef", 1 },
		{ "12345678-9ABC-4DEF-8123-456789ABCDEF", 1 },
		{ "12345678-9aBc-4dEf-8123-456789AbCdEf", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "", 0 },
		{ "12345678-9abc-4def-8123-456789abcde", 0 },
		{ "12345678-9abc-4def-8123-456789abcdef0", 0 },
		{ "12345678-9abc-4def-8123-456789abcdeg", 0 },
		{ "123456789abc4def8123456789abcdef", 0 },
		{ "12345678-9abc-4def-8123_456789abcdef", 0 },
		{ "1234567-89abc-4def-8123-456789abcdef", 0 },
		{ "{12345678-9abc-4def-8123-456789abcdef}", 0 },
		{ " 12345678-9abc-4def-8123-456789abcdef", 0 },
		{ "12345678-9abc-4def-8123-456789abcdef ", 0 },
		{ "12345678-9abc-4def-8123-456789abcdef\n", 0 },
		{ "+2345678-9abc-4def-8123-456789abcdef", 0 },
		{ "12345678-9abc-4def-8123--56789abcdef", 0 },
	};
	static const unsigned char want[16] = {
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
		0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
	};
	unsigned char	 out[16];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 0xee, sizeof(out));
		if ((env_uuid_parse(t[i].in, out) == 0) != t[i].ok)
			fail_msg("\"%s\": want %s", t[i].in,
			    t[i].ok ? "ok" : "refused");
		if (t[i].ok && i < 3)
			assert_memory_equal(out, want, 16);
		if (!t[i].ok)
			assert_int_equal(out[0], 0xee);
	}
	assert_int_equal(env_uuid_parse(NULL, out), -1);
}

static void
test_strerror(void **state)
{
	enum env_err	 e, f;

	(void)state;
	for (e = ENV_OK; e <= ENV_ERR_EXISTS; e++)
		for (f = ENV_OK; f < e; f++)
			assert_string_not_equal(env_strerror(e),
			    env_strerror(f));
	assert_string_equal(env_strerror((enum env_err)99), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_flip, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_binding, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_short, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_toobig, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_nokey, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_shared_dk, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_rewrap, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_keyring_perm, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_keyring_format, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_generate, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_pubkey_load, fx_setup,
		    fx_teardown),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_strerror),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
