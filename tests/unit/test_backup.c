/* test_backup.c: secret keys backed up under a passphrase and restored. */
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

#include "crypto/backup.h"
#include "crypto/envelope.h"

#define OPS	crypto_pwhash_argon2id_OPSLIMIT_MIN
#define MEM	crypto_pwhash_argon2id_MEMLIMIT_MIN
#define PASS	"synthetic passphrase for tests"
#define NKEYS	2

/* Offsets in a backup file (backup.h). */
#define B_OFF_OPS	5
#define B_OFF_MEM	13
#define B_OFF_SALT	21
#define B_OFF_NONCE	37
#define B_HEADER	61

/* Two key pairs, a blob sealed to each, and a backup of both. */
struct fx {
	char			 root[64];
	char			 keys[96];
	char			 pub[96];
	char			 backup[96];
	char			 restored[96];
	struct env_pubkey	 pk[NKEYS];
	unsigned char		*blob[NKEYS];
	size_t			 bloblen[NKEYS];
};

static const struct env_ad ad = {
	{ 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0x4c, 0xc2,
	  0x8d, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6 },
	1, "answers"
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

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char	*b;
	FILE		*fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	b = calloc(1, 1 << 16);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, fp);
	fclose(fp);
	return b;
}

static void
spit(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

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
	struct env_dk	*dk;
	size_t		 i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	strcpy(f->root, "/tmp/test_backup.XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->root);
	snprintf(f->pub, sizeof(f->pub), "%s/clinic.pub", f->root);
	snprintf(f->backup, sizeof(f->backup), "%s/keys.backup", f->root);
	snprintf(f->restored, sizeof(f->restored), "%s/restored", f->root);
	for (i = 0; i < NKEYS; i++) {
		if (env_keypair_generate(f->keys, f->pub, &f->pk[i]) != ENV_OK ||
		    env_dk_new(&f->pk[i], &dk) != ENV_OK)
			goto err;
		if (env_seal(dk, &ad, "made before the backup", 22,
		    &f->blob[i], &f->bloblen[i]) != ENV_OK) {
			env_dk_free(dk);
			goto err;
		}
		env_dk_free(dk);
	}
	if (env_backup_write(f->keys, PASS, strlen(PASS), OPS, MEM,
	    f->backup) != ENV_OK)
		goto err;
	*state = f;
	return 0;
err:
	for (i = 0; i < NKEYS; i++)
		free(f->blob[i]);
	rm_rf(f->root);
	free(f);
	return -1;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;
	size_t		 i;

	for (i = 0; i < NKEYS; i++)
		free(f->blob[i]);
	rm_rf(f->root);
	free(f);
	return 0;
}

static void
test_roundtrip(void **state)
{
	struct fx		*f = *state;
	struct env_keyring	*ring;
	struct stat		 st;
	unsigned char		*pt, *a, *b;
	size_t			 i, ptlen, alen, blen;
	char			 from[160], to[160], err[256];

	assert_int_equal(stat(f->backup, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_OK);
	assert_int_equal(stat(f->restored, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(env_keyring_load(f->restored, &ring, err,
	    sizeof(err)), ENV_OK);
	assert_int_equal(env_keyring_count(ring), NKEYS);
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(env_open(ring, &ad, f->blob[i],
		    f->bloblen[i], &pt, &ptlen), ENV_OK);
		assert_int_equal(ptlen, 22);
		assert_memory_equal(pt, "made before the backup", 22);
		env_plain_free(pt, ptlen);

		/* Byte for byte the file it came from, mode 0600. */
		key_path(f->keys, &f->pk[i], from, sizeof(from));
		key_path(f->restored, &f->pk[i], to, sizeof(to));
		assert_int_equal(stat(to, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		a = slurp(from, &alen);
		b = slurp(to, &blen);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		free(a);
		free(b);
	}
	env_keyring_free(ring);
}

static void
test_wrong_passphrase(void **state)
{
	struct fx	*f = *state;
	struct stat	 st;

	assert_int_equal(env_backup_restore(f->backup, "wrong", 5,
	    f->restored), ENV_ERR_AUTH);
	/* A prefix of the right one is still wrong. */
	assert_int_equal(env_backup_restore(f->backup, PASS,
	    strlen(PASS) - 1, f->restored), ENV_ERR_AUTH);
	assert_int_equal(env_backup_restore(f->backup, "", 0, f->restored),
	    ENV_ERR_AUTH);
	/* Nothing was created on the way. */
	assert_int_equal(stat(f->restored, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_tamper(void **state)
{
	static const struct {
		const char	*region;
		long		 off;	/* < 0: from the end */
		unsigned char	 x;
		enum env_err	 want;
	} t[] = {
		{ "magic", 0, 0x01, ENV_ERR_MAGIC },
		{ "version", 3, 0x01, ENV_ERR_VERSION },
		{ "alg", 4, 0x01, ENV_ERR_ALG },
		{ "opslimit", B_OFF_OPS + 7, 0x03, ENV_ERR_AUTH },
		{ "opslimit", B_OFF_OPS, 0x80, ENV_ERR_FORMAT },
		{ "memlimit", B_OFF_MEM + 7, 0x01, ENV_ERR_AUTH },
		{ "memlimit", B_OFF_MEM + 6, 0x20, ENV_ERR_FORMAT },
		{ "memlimit", B_OFF_MEM, 0x01, ENV_ERR_FORMAT },
		{ "salt", B_OFF_SALT, 0x01, ENV_ERR_AUTH },
		{ "nonce", B_OFF_NONCE + 23, 0x01, ENV_ERR_AUTH },
		{ "ciphertext", B_HEADER, 0x01, ENV_ERR_AUTH },
		{ "tag", -1, 0x01, ENV_ERR_AUTH },
	};
	struct fx	*f = *state;
	unsigned char	*b;
	size_t		 i, len, off;
	char		 path[128];

	b = slurp(f->backup, &len);
	assert_non_null(b);
	snprintf(path, sizeof(path), "%s/tampered", f->root);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		off = t[i].off < 0 ? len - (size_t)-t[i].off :
		    (size_t)t[i].off;
		b[off] ^= t[i].x;
		spit(path, b, len);
		if (env_backup_restore(path, PASS, strlen(PASS),
		    f->restored) != t[i].want)
			fail_msg("%s at %zu: want %s", t[i].region, off,
			    env_strerror(t[i].want));
		b[off] ^= t[i].x;
	}
	spit(path, b, B_HEADER + 15);
	assert_int_equal(env_backup_restore(path, PASS, strlen(PASS),
	    f->restored), ENV_ERR_SHORT);
	spit(path, b, len - 1);
	assert_int_equal(env_backup_restore(path, PASS, strlen(PASS),
	    f->restored), ENV_ERR_AUTH);
	/* Put back together, it restores: each failure was its change. */
	spit(path, b, len);
	assert_int_equal(env_backup_restore(path, PASS, strlen(PASS),
	    f->restored), ENV_OK);
	snprintf(path, sizeof(path), "%s/none", f->root);
	assert_int_equal(env_backup_restore(path, PASS, strlen(PASS),
	    f->restored), ENV_ERR_IO);
	free(b);
}

static void
test_restore_identical(void **state)
{
	struct fx		*f = *state;
	struct env_keyring	*ring;
	struct stat		 before, after;
	char			 path[160], err[256];
	unsigned char		*b;
	size_t			 len;

	/* Over the very keys it holds: nothing to do, nothing changes. */
	key_path(f->keys, &f->pk[0], path, sizeof(path));
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->keys), ENV_OK);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(env_keyring_load(f->keys, &ring, err, sizeof(err)),
	    ENV_OK);
	assert_int_equal(env_keyring_count(ring), NKEYS);
	env_keyring_free(ring);

	/* One key already there (without its newline), one missing. */
	assert_int_equal(mkdir(f->restored, 0700), 0);
	b = slurp(path, &len);
	assert_non_null(b);
	key_path(f->restored, &f->pk[0], path, sizeof(path));
	spit(path, b, len - 1);
	assert_int_equal(chmod(path, 0600), 0);
	free(b);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_OK);
	assert_int_equal(env_keyring_load(f->restored, &ring, err,
	    sizeof(err)), ENV_OK);
	assert_int_equal(env_keyring_count(ring), NKEYS);
	env_keyring_free(ring);
}

static void
test_restore_conflict(void **state)
{
	static const char	 digits[] = "0123456789abcdef";
	struct fx		*f = *state;
	struct env_keyring	*ring;
	struct stat		 st;
	const char		*hex;
	char			 path[160], other[160];
	unsigned char	*b;
	size_t		 len;

	assert_int_equal(mkdir(f->restored, 0700), 0);
	key_path(f->restored, &f->pk[1], path, sizeof(path));
	key_path(f->restored, &f->pk[0], other, sizeof(other));
	spit(path, "not a key\n", 10);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_ERR_EXISTS);
	/* Refused before anything was written. */
	assert_int_equal(stat(other, &st), -1);
	b = slurp(path, &len);
	assert_non_null(b);
	assert_int_equal(len, 10);
	assert_memory_equal(b, "not a key\n", 10);
	free(b);

	/*
	 * The same key pair written with other secret key bytes: X25519
	 * ignores the low three bits of the first byte, so the file is
	 * valid and means the same key, but its contents differ.
	 */
	key_path(f->keys, &f->pk[1], other, sizeof(other));
	b = slurp(other, &len);
	assert_non_null(b);
	assert_int_equal(len, 158);
	hex = strchr(digits, b[11 + 16 + 1 + 64 + 1 + 1]);
	assert_non_null(hex);
	b[11 + 16 + 1 + 64 + 1 + 1] = digits[(hex - digits) ^ 1];
	spit(path, b, len);
	assert_int_equal(chmod(path, 0600), 0);
	free(b);
	assert_int_equal(env_keyring_load(f->restored, &ring, NULL, 0),
	    ENV_OK);
	env_keyring_free(ring);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_ERR_EXISTS);

	/* The other pair's key line under this pair's name. */
	key_path(f->keys, &f->pk[0], other, sizeof(other));
	b = slurp(other, &len);
	assert_non_null(b);
	spit(path, b, len);
	free(b);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_ERR_EXISTS);
}

static void
test_restore_dir_perm(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(mkdir(f->restored, 0700), 0);
	assert_int_equal(chmod(f->restored, 0750), 0);
	assert_int_equal(env_backup_restore(f->backup, PASS, strlen(PASS),
	    f->restored), ENV_ERR_PERM);
}

static void
test_write_refusals(void **state)
{
	static const struct {
		unsigned long long	 ops;
		size_t			 mem;
		enum env_err		 want;
	} t[] = {
		{ 0, MEM, ENV_ERR_FORMAT },
		{ OPS, MEM - 1, ENV_ERR_FORMAT },
		{ ENV_BACKUP_OPSLIMIT_MAX + 1, MEM, ENV_ERR_FORMAT },
		{ OPS, ENV_BACKUP_MEMLIMIT_MAX + 1, ENV_ERR_FORMAT },
		{ OPS + 1, MEM * 2, ENV_OK },
	};
	struct fx	*f = *state;
	struct stat	 st;
	unsigned char	*before, *after;
	size_t		 i, blen, alen;
	char		 path[128];

	assert_int_equal(ENV_BACKUP_OPSLIMIT, crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal(ENV_BACKUP_MEMLIMIT, crypto_pwhash_MEMLIMIT_MODERATE);
	snprintf(path, sizeof(path), "%s/b2", f->root);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (env_backup_write(f->keys, PASS, strlen(PASS), t[i].ops,
		    t[i].mem, path) != t[i].want)
			fail_msg("limits case %zu", i);
		assert_int_equal(stat(path, &st) == 0, t[i].want == ENV_OK);
	}
	assert_int_equal(env_backup_restore(path, PASS, strlen(PASS),
	    f->restored), ENV_OK);

	/* Never over an existing file: the first backup stays as it was. */
	before = slurp(f->backup, &blen);
	assert_non_null(before);
	assert_int_equal(env_backup_write(f->keys, PASS, strlen(PASS), OPS,
	    MEM, f->backup), ENV_ERR_IO);
	after = slurp(f->backup, &alen);
	assert_non_null(after);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(before);
	free(after);

	/* Keys a worker would refuse are not backed up either. */
	snprintf(path, sizeof(path), "%s/b3", f->root);
	assert_int_equal(chmod(f->keys, 0755), 0);
	assert_int_equal(env_backup_write(f->keys, PASS, strlen(PASS), OPS,
	    MEM, path), ENV_ERR_PERM);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/b4", f->root);
	assert_int_equal(env_backup_write(f->restored, PASS, strlen(PASS),
	    OPS, MEM, path), ENV_OK);
	snprintf(path, sizeof(path), "%s/b5", f->root);
	assert_int_equal(env_backup_write(f->pub, PASS, strlen(PASS), OPS,
	    MEM, path), ENV_ERR_IO);
	assert_int_equal(stat(path, &st), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tamper, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_identical,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_conflict,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_dir_perm,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_refusals,
		    fx_setup, fx_teardown),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
