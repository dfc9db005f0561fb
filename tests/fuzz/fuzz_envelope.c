/*
 * fuzz_envelope.c: env_open and the other readers of a stored blob
 * (env_blob_keyid, env_dk_from_blob, env_rewrap) on bytes from the
 * database, which a thief or a bug may have changed.
 *
 * The keyring is the seed key of corpus/envelope/: crypto_box_seed_keypair
 * with the seed 0x01..0x20, plus a second key (seed 0x21..0x40) to rewrap
 * to. A blob is bound to submission id 00 01 .. 0f, form version 1,
 * purpose "answers".
 *
 * Properties: a blob that opens still opens, to the same plaintext, after
 * a rewrap; a data key taken from it seals a new blob that opens; a blob
 * that is refused by its header is refused the same way by every reader.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/envelope.h"
#include "crypto/keyfile.h"

#include "fuzz.h"

static struct env_keyring	*ring;
static struct env_pubkey	 second;
static struct env_ad		 ad;

/*
 * Write the key pair of the seed first, first+1, ... (32 bytes) into dir as
 * a secret key file, its path into path; its public half into pub.
 */
static void
seed_key(const char *dir, unsigned char first, struct env_pubkey *pub,
    char *path, size_t pathsz)
{
	struct env_key	*k;
	unsigned char	 seed[32];
	char		 line[ENV_SKLINE_LEN + 2], name[ENV_KEYNAME_LEN + 1];
	size_t		 i;

	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		fuzz_fail("out of memory");
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (unsigned char)(first + i);
	crypto_box_seed_keypair(k->pk, k->sk, seed);
	env_key_id(k->pk, k->id);
	env_key_name(k->id, name);
	env_keyfile_format_sk(k, line);
	snprintf(path, pathsz, "%s/%s", dir, name);
	if (env_keyfile_create(AT_FDCWD, path, 0600, line,
	    ENV_SKLINE_LEN + 1) != ENV_OK)
		fuzz_fail("cannot write %s", path);
	memcpy(pub->id, k->id, ENV_KEYID_BYTES);
	memcpy(pub->pk, k->pk, ENV_PK_BYTES);
	sodium_memzero(line, sizeof(line));
	sodium_free(k);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct env_pubkey	 first;
	char			 dir[] = "/tmp/fuzz-envelope.XXXXXX", err[512];
	char			 p1[4096], p2[4096];
	size_t			 i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		fuzz_fail("libsodium cannot start");
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp failed");
	seed_key(dir, 0x01, &first, p1, sizeof(p1));
	seed_key(dir, 0x21, &second, p2, sizeof(p2));
	if (env_keyring_load(dir, &ring, err, sizeof(err)) != ENV_OK)
		fuzz_fail("keyring: %s", err);
	/* The keys are in memory now: leave nothing on disk. */
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	for (i = 0; i < sizeof(ad.submission_id); i++)
		ad.submission_id[i] = (unsigned char)i;
	ad.form_version = 1;
	ad.purpose = "answers";
	return 0;
}

static int
header_error(enum env_err e)
{
	return e == ENV_ERR_SHORT || e == ENV_ERR_MAGIC ||
	    e == ENV_ERR_VERSION || e == ENV_ERR_ALG || e == ENV_ERR_TOOBIG;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*pt = NULL, *pt2 = NULL, *re = NULL, *blob = NULL;
	unsigned char	 id[ENV_KEYID_BYTES];
	size_t		 ptlen = 0, pt2len = 0, relen = 0, bloblen = 0;
	struct env_dk	*dk = NULL;
	enum env_err	 eo, ek, ed, er;

	eo = env_open(ring, &ad, data, size, &pt, &ptlen);
	ek = env_blob_keyid(data, size, id);
	ed = env_dk_from_blob(ring, data, size, &dk);
	er = env_rewrap(ring, &second, data, size, &re, &relen);

	if (header_error(eo) && (ek != eo || ed != eo || er != eo))
		fuzz_fail("readers disagree on a bad header: open %d, keyid "
		    "%d, dk %d, rewrap %d", eo, ek, ed, er);
	if (eo == ENV_OK) {
		if (ek != ENV_OK || ed != ENV_OK || er != ENV_OK)
			fuzz_fail("a blob that opens is refused: keyid %d, dk "
			    "%d, rewrap %d", ek, ed, er);
		if (relen != size || env_open(ring, &ad, re, relen, &pt2,
		    &pt2len) != ENV_OK || pt2len != ptlen ||
		    (ptlen > 0 && memcmp(pt, pt2, ptlen) != 0))
			fuzz_fail("a rewrapped blob does not open to the same "
			    "plaintext");
		env_plain_free(pt2, pt2len);
		pt2 = NULL;
	}
	if (ed == ENV_OK) {
		if (env_seal(dk, &ad, data, size > 64 ? 64 : size, &blob,
		    &bloblen) != ENV_OK)
			fuzz_fail("cannot seal with a data key from a blob");
		if (env_open(ring, &ad, blob, bloblen, &pt2, &pt2len) !=
		    ENV_OK || pt2len != (size > 64 ? 64 : size) ||
		    (pt2len > 0 && memcmp(pt2, data, pt2len) != 0))
			fuzz_fail("a blob sealed with a recovered data key "
			    "does not open");
		env_plain_free(pt2, pt2len);
	}
	env_plain_free(pt, ptlen);
	env_dk_free(dk);
	free(re);
	free(blob);
	return 0;
}
