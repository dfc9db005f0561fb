/*
 * password.h: staff passwords. Argon2id through crypto_pwhash_str with
 * the interactive limits (64 MiB, 2 passes). Every hash or verification
 * first takes one of PW_SLOTS host-wide slots (flock(2) on slot files),
 * so however many worker children sign people in at once, Argon2 never
 * holds more than PW_SLOTS * 64 MiB.
 */
#ifndef CRYPTO_PASSWORD_H
#define CRYPTO_PASSWORD_H

#include <stddef.h>

#define PW_HASHLEN	128	/* crypto_pwhash_STRBYTES: NUL included */
#define PW_MINCHARS	10	/* the shortest password accepted (code points) */
#define PW_MAXLEN	1024	/* the longest, in bytes */
#define PW_SLOTS	2	/* hashes running at once on this host */
#define PW_WAIT_MS	10000	/* longest wait for a slot */
#define PW_GENLEN	23	/* "xxxxx-xxxxx-xxxxx-xxxxx": 99 random bits */

enum pw_err {
	PW_OK,
	PW_MISMATCH,	/* not the password (or no such account) */
	PW_WEAK,	/* too short or long, not UTF-8, a control character */
	PW_BUSY,	/* no slot came free within PW_WAIT_MS */
	PW_FAILED,	/* Argon2 could not run (its memory could not be had) */
};

const char	*pw_strerror(enum pw_err);

/*
 * The slot files, PW_SLOTS of them in dir ("pwhash-slot-N", mode 0644).
 * pw_slots_create makes the missing ones (run before dropping root);
 * pw_slots_open opens them in this process (each process needs its own
 * open file, for flock). -1 when they cannot be opened: hashing then
 * runs unbounded, which the caller may accept (a one-off command) or not.
 */
int		 pw_slots_create(const char *dir);
int		 pw_slots_open(const char *dir);
void		 pw_slots_close(void);

/* Whether pw (len bytes) may become a password: PW_OK or PW_WEAK. */
enum pw_err	 pw_policy(const char *pw, size_t len);
/* Hash pw into out (NUL-terminated). pw must pass pw_policy. */
enum pw_err	 pw_hash(const char *pw, size_t len, char out[PW_HASHLEN]);
/*
 * Verify pw against a stored hash: PW_OK or PW_MISMATCH (a malformed
 * hash is a mismatch, after the same work as a real one).
 */
enum pw_err	 pw_verify(const char *hash, const char *pw, size_t len);
/*
 * The same work as pw_verify against a fixed hash, for a name with no
 * account: an unknown name and a wrong password cost the same time.
 * Always PW_MISMATCH (or PW_BUSY / PW_FAILED).
 */
enum pw_err	 pw_verify_dummy(const char *pw, size_t len);
/* 1 when the fixed hash uses the limits new hashes get (a test). */
int		 pw_dummy_current(void);
/* A new random password, PW_GENLEN characters plus a NUL. */
void		 pw_generate(char out[PW_GENLEN + 1]);

#endif
