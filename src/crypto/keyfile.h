/*
 * keyfile.h: the clinic's key files and key directory, shared by the
 * envelope (keyring, key generation) and the key backup. Internal to
 * src/crypto: other modules go through envelope.h and backup.h.
 *
 *   public:  "clinic-pk1 <keyid hex> <pk hex>\n"
 *   secret:  "clinic-sk1 <keyid hex> <pk hex> <sk hex>\n" in <keyid hex>.key
 */
#ifndef CRYPTO_KEYFILE_H
#define CRYPTO_KEYFILE_H

#include <stddef.h>

#include "crypto/envelope.h"

#define ENV_PK_TAG		"clinic-pk1 "
#define ENV_SK_TAG		"clinic-sk1 "
#define ENV_TAG_LEN		11
/* One line without its newline. */
#define ENV_PKLINE_LEN		(ENV_TAG_LEN + 2 * ENV_KEYID_BYTES + 1 + \
				 2 * ENV_PK_BYTES)
#define ENV_SKLINE_LEN		(ENV_PKLINE_LEN + 1 + 2 * ENV_SK_BYTES)
#define ENV_KEYNAME_LEN		(2 * ENV_KEYID_BYTES + 4)	/* "<hex>.key" */
#define ENV_KEYFILE_MAX		512	/* larger is not one of ours */

/* One key pair; lives only in sodium_malloc memory. */
struct env_key {
	unsigned char	id[ENV_KEYID_BYTES];
	unsigned char	pk[ENV_PK_BYTES];
	unsigned char	sk[ENV_SK_BYTES];
};

/* Key id of pk: the first 8 bytes of BLAKE2b-256(pk). */
void		 env_key_id(const unsigned char pk[ENV_PK_BYTES],
		    unsigned char id[ENV_KEYID_BYTES]);
/* "<keyid hex>.key" into name (ENV_KEYNAME_LEN + 1 bytes). */
void		 env_key_name(const unsigned char id[ENV_KEYID_BYTES],
		    char name[ENV_KEYNAME_LEN + 1]);

/* One line with its newline and a NUL: ENV_PKLINE_LEN + 2 bytes. */
void		 env_keyfile_format_pk(const struct env_pubkey *, char *out);
/* Same for a secret key: ENV_SKLINE_LEN + 2 bytes, in sodium memory. */
void		 env_keyfile_format_sk(const struct env_key *, char *out);
/*
 * Parse one line (the newline optional), check its key id against pk and,
 * for a secret key, pk against sk. ENV_OK or ENV_ERR_FORMAT. A public
 * key is written to *out only on success; a secret key may be partly
 * written on failure (the caller owns *out, in sodium memory, and wipes).
 */
enum env_err	 env_keyfile_parse_pk(const char *, size_t,
		    struct env_pubkey *out);
enum env_err	 env_keyfile_parse_sk(const char *, size_t,
		    struct env_key *out);

/*
 * Read secret key file name in the directory dfd (named dir in messages).
 * With strict, refuse (ENV_ERR_PERM) a file not owned by geteuid() or
 * open to group or others, as a running worker must. The file must be
 * called after its key id. err (may be NULL) gets a plain-words reason.
 */
enum env_err	 env_keyfile_read(int dfd, const char *dir, const char *name,
		    int strict, struct env_key *out, char *err, size_t errsz);
/*
 * Every *.key file of dir, strictly checked, dir itself included: *keys
 * is sodium_allocarray'ed (free with sodium_free), sorted by file name.
 * ENV_ERR_IO when dir cannot be opened or holds no key file.
 */
enum env_err	 env_keydir_read(const char *dir, struct env_key **keys,
		    size_t *nkeys, char *err, size_t errsz);
/*
 * Open dir for writing keys, creating it mode 0700 when missing; refuse
 * (ENV_ERR_PERM) a directory open to group or others. *dfd is the
 * caller's to close.
 */
enum env_err	 env_keydir_open(const char *dir, int *dfd);
/*
 * Create name in dfd (or AT_FDCWD) with O_EXCL and exactly mode, write
 * len bytes and fsync; on failure nothing is left behind. ENV_ERR_IO,
 * errno kept (EEXIST when the name was taken).
 */
enum env_err	 env_keyfile_create(int dfd, const char *name, unsigned mode,
		    const void *data, size_t len);

#endif
