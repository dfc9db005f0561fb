/*
 * backup.h: the clinic's secret keys backed up under a passphrase
 * (api.md, Administration). Losing the keys loses every record.
 *
 * One file holds every key of the directory:
 *
 *   magic "CIB" | format version (1) | alg (1 = Argon2id13 +
 *   XChaCha20-Poly1305) | opslimit (uint64 BE) | memlimit (uint64 BE) |
 *   salt (16) | nonce (24) | ciphertext + tag
 *
 * with everything before the ciphertext as associated data; the
 * plaintext is the keys' file lines, one after another.
 */
#ifndef CRYPTO_BACKUP_H
#define CRYPTO_BACKUP_H

#include <stddef.h>

#include "crypto/envelope.h"

/* crypto_pwhash_OPSLIMIT_MODERATE / MEMLIMIT_MODERATE (checked in backup.c). */
#define ENV_BACKUP_OPSLIMIT	3ULL
#define ENV_BACKUP_MEMLIMIT	((size_t)268435456)
/* Ceilings: a backup file cannot make a restore run for hours. */
#define ENV_BACKUP_OPSLIMIT_MAX	32ULL
#define ENV_BACKUP_MEMLIMIT_MAX	((size_t)4 << 30)

/*
 * Takes the secret key directory (checked as env_keyring_load checks it),
 * a passphrase of passlen bytes, Argon2id limits between
 * crypto_pwhash_*_MIN and the ceilings above, and a path that must not
 * exist. Writes the backup there, mode 0600. ENV_ERR_FORMAT for limits
 * out of range; ENV_ERR_IO when out_path exists or cannot be written.
 */
enum env_err	env_backup_write(const char *secret_dir, const char *passphrase,
		    size_t passlen, unsigned long long opslimit, size_t memlimit,
		    const char *out_path);
/*
 * Takes a backup, its passphrase, and the secret key directory (created
 * 0700 when missing; ENV_ERR_PERM if open to group or others). Verifies
 * the whole backup, then writes each key file mode 0600, skipping one
 * that already holds the same key. Refuses with ENV_ERR_EXISTS, writing
 * nothing, when a key file of the same name holds anything else.
 * ENV_ERR_AUTH: wrong passphrase or a damaged backup.
 */
enum env_err	env_backup_restore(const char *backup_path,
		    const char *passphrase, size_t passlen,
		    const char *secret_dir);

#endif
