/*
 * envelope.h: the encryption envelope of architecture.md.
 *
 * One fresh data key per submission, sealed once with crypto_box_seal to
 * the clinic's X25519 public key. Every encrypted value of that submission
 * (its sensitive answers, each flag, later each review note) is one blob:
 *
 *   magic "CIE" | format version (1) | alg tag (1 = XChaCha20-Poly1305 +
 *   box_seal) | key id (8) | sealed data key (80) | nonce (24) |
 *   ciphertext + tag
 *
 * Associated data binds a blob to its place: format version, submission id
 * (16 bytes), form version, and a purpose label ("answers", "flag", "note").
 * env_open() checks length, magic, version, alg and key id, in that order,
 * before it touches any key material.
 */
#ifndef CRYPTO_ENVELOPE_H
#define CRYPTO_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENV_KEYID_BYTES		8
#define ENV_PK_BYTES		32
#define ENV_SK_BYTES		32
#define ENV_SEALED_KEY_BYTES	80	/* crypto_box_SEALBYTES + 32 */
#define ENV_NONCE_BYTES		24
#define ENV_TAG_BYTES		16
#define ENV_HEADER_BYTES	(3 + 1 + 1 + ENV_KEYID_BYTES + \
				 ENV_SEALED_KEY_BYTES + ENV_NONCE_BYTES)
#define ENV_OVERHEAD		(ENV_HEADER_BYTES + ENV_TAG_BYTES)
#define ENV_MAX_PLAINTEXT	(1u << 24)

enum env_err {
	ENV_OK,
	ENV_ERR_NOMEM,
	ENV_ERR_SHORT,		/* blob shorter than its header + tag */
	ENV_ERR_MAGIC,		/* not one of our blobs */
	ENV_ERR_VERSION,	/* a format version we do not know */
	ENV_ERR_ALG,		/* an algorithm tag we do not know */
	ENV_ERR_NOKEY,		/* sealed to a key id we do not hold */
	ENV_ERR_UNSEAL,		/* the data key does not open with that key */
	ENV_ERR_AUTH,		/* payload fails authentication: tampered or moved */
	ENV_ERR_TOOBIG,
	ENV_ERR_IO,		/* key file missing or unreadable */
	ENV_ERR_PERM,		/* key file readable by others, or wrong owner */
	ENV_ERR_FORMAT,		/* key file malformed */
	ENV_ERR_EXISTS,		/* restore: a different key file of that id exists */
};

const char *env_strerror(enum env_err);

struct env_pubkey {
	unsigned char	id[ENV_KEYID_BYTES];	/* first 8 bytes of BLAKE2b(pk) */
	unsigned char	pk[ENV_PK_BYTES];
};

/* What a blob is bound to. */
struct env_ad {
	unsigned char	 submission_id[16];	/* the UUID's bytes */
	unsigned	 form_version;
	const char	*purpose;		/* "answers", "flag", "note" */
};

struct env_dk;		/* a data key and its sealed form; sodium_malloc'ed */
struct env_keyring;	/* the clinic's secret keys; sodium_malloc'ed */

/* A fresh data key, sealed to pk. */
enum env_err	 env_dk_new(const struct env_pubkey *, struct env_dk **);
/* The data key of an existing blob (clinic side: to add a note). */
enum env_err	 env_dk_from_blob(const struct env_keyring *,
		    const unsigned char *blob, size_t bloblen, struct env_dk **);
void		 env_dk_free(struct env_dk *);	/* wipes; accepts NULL */

/* Encrypt pt into a new blob (malloc'ed, caller frees). */
enum env_err	 env_seal(const struct env_dk *, const struct env_ad *,
		    const void *pt, size_t ptlen,
		    unsigned char **blob, size_t *bloblen);
/* Check and decrypt; *pt is sodium_malloc'ed: free with env_plain_free. */
enum env_err	 env_open(const struct env_keyring *, const struct env_ad *,
		    const unsigned char *blob, size_t bloblen,
		    unsigned char **pt, size_t *ptlen);
void		 env_plain_free(unsigned char *pt, size_t ptlen);
/* Re-seal a blob's data key to newpk (rotation); payload bytes untouched. */
enum env_err	 env_rewrap(const struct env_keyring *, const struct env_pubkey *,
		    const unsigned char *blob, size_t bloblen,
		    unsigned char **out, size_t *outlen);
/* Key id a blob is sealed to (after the header checks). */
enum env_err	 env_blob_keyid(const unsigned char *blob, size_t bloblen,
		    unsigned char id[ENV_KEYID_BYTES]);

/*
 * Key files. A public key file is one line "clinic-pk1 <keyid hex> <pk hex>".
 * A secret key file "<keyid hex>.key" holds "clinic-sk1 <keyid hex> <pk hex>
 * <sk hex>", mode 0600, owned by the reading user: env_keyring_load refuses
 * anything else (ENV_ERR_PERM), naming the file in err.
 */
enum env_err	 env_keypair_generate(const char *secret_dir,
		    const char *public_path, struct env_pubkey *out);
enum env_err	 env_pubkey_load(const char *path, struct env_pubkey *);
enum env_err	 env_keyring_load(const char *secret_dir,
		    struct env_keyring **, char *err, size_t errsz);
void		 env_keyring_free(struct env_keyring *);
size_t		 env_keyring_count(const struct env_keyring *);

/* Parse a UUID's text form into 16 bytes; -1 if malformed. */
int		 env_uuid_parse(const char *text, unsigned char out[16]);

#endif
