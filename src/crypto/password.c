/* password.c: staff passwords; see password.h. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/utf8.h"
#include "crypto/password.h"

#define PW_OPSLIMIT	crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT	crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
#define PW_SLOT_NAME	"pwhash-slot-%d"
#define PW_POLL_MS	20

_Static_assert(PW_HASHLEN == crypto_pwhash_STRBYTES, "hash length");

/*
 * The hash of a random password nobody knows, made with the interactive
 * limits: what a name without an account is verified against.
 */
static const char pw_dummy[PW_HASHLEN] =
    "$argon2id$v=19$m=65536,t=2,p=1$zeI7bey8iAl8/lWVmITvaA$"
    "eeo5NcYKocxsfxYdY9ZY8vnpxU5VLV1w0BueslOkLfo";

/* This process's open slot files; -1 when not open. */
static int	pw_slot_fd[PW_SLOTS] = { -1, -1 };

_Static_assert(PW_SLOTS == 2, "pw_slot_fd's initialiser");

const char *
pw_strerror(enum pw_err e)
{
	switch (e) {
	case PW_OK:
		return "ok";
	case PW_MISMATCH:
		return "wrong password";
	case PW_WEAK:
		return "a password needs at least 10 characters (at most 1024 "
		    "bytes), and no control characters";
	case PW_BUSY:
		return "too many password checks at once; try again";
	case PW_FAILED:
		return "the password hash could not be computed";
	}
	return "unknown error";
}

int
pw_slots_create(const char *dir)
{
	char	 path[4096];
	int	 i, fd;

	for (i = 0; i < PW_SLOTS; i++) {
		if (snprintf(path, sizeof(path), "%s/" PW_SLOT_NAME, dir, i) >=
		    (int)sizeof(path))
			return -1;
		fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0644);
		if (fd == -1)
			return -1;
		/* Readable by the worker's user: flock needs no more. */
		(void)fchmod(fd, 0644);
		close(fd);
	}
	return 0;
}

int
pw_slots_open(const char *dir)
{
	char	 path[4096];
	int	 i;

	pw_slots_close();
	for (i = 0; i < PW_SLOTS; i++) {
		if (snprintf(path, sizeof(path), "%s/" PW_SLOT_NAME, dir, i) >=
		    (int)sizeof(path))
			goto err;
		if ((pw_slot_fd[i] = open(path, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			goto err;
	}
	return 0;
err:
	pw_slots_close();
	return -1;
}

void
pw_slots_close(void)
{
	int	 i;

	for (i = 0; i < PW_SLOTS; i++) {
		if (pw_slot_fd[i] != -1)
			close(pw_slot_fd[i]);
		pw_slot_fd[i] = -1;
	}
}

/*
 * Take a free slot: the index held, -2 when slots are not in use (not
 * opened), -1 when none came free in time. The kernel releases a slot
 * whose holder dies.
 */
static int
pw_slot_take(void)
{
	struct timespec	 ts = { 0, PW_POLL_MS * 1000000L };
	int		 i, waited;

	if (pw_slot_fd[0] == -1)
		return -2;
	for (waited = 0; waited <= PW_WAIT_MS; waited += PW_POLL_MS) {
		for (i = 0; i < PW_SLOTS; i++)
			if (flock(pw_slot_fd[i], LOCK_EX | LOCK_NB) == 0)
				return i;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void
pw_slot_give(int i)
{
	if (i >= 0)
		(void)flock(pw_slot_fd[i], LOCK_UN);
}

enum pw_err
pw_policy(const char *pw, size_t len)
{
	size_t	 i;

	if (len > PW_MAXLEN || memchr(pw, '\0', len) != NULL ||
	    !utf8_valid(pw, len) || utf8_count(pw, len) < PW_MINCHARS)
		return PW_WEAK;
	for (i = 0; i < len; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
			return PW_WEAK;
	return PW_OK;
}

enum pw_err
pw_hash(const char *pw, size_t len, char out[PW_HASHLEN])
{
	int	 slot, rc;

	if (pw_policy(pw, len) != PW_OK)
		return PW_WEAK;
	if ((slot = pw_slot_take()) == -1)
		return PW_BUSY;
	rc = crypto_pwhash_str_alg(out, pw, len, PW_OPSLIMIT, PW_MEMLIMIT,
	    crypto_pwhash_ALG_ARGON2ID13);
	pw_slot_give(slot);
	return rc == 0 ? PW_OK : PW_FAILED;
}

/* Verify against h; the caller made sure h is NUL-terminated. */
static enum pw_err
pw_verify_str(const char *h, const char *pw, size_t len)
{
	int	 slot, rc;

	if ((slot = pw_slot_take()) == -1)
		return PW_BUSY;
	rc = crypto_pwhash_str_verify(h, pw, len);
	pw_slot_give(slot);
	return rc == 0 ? PW_OK : PW_MISMATCH;
}

enum pw_err
pw_verify(const char *hash, const char *pw, size_t len)
{
	enum pw_err	 e;

	/* A hash we could not have written costs the same as a real one. */
	if (hash == NULL || strnlen(hash, PW_HASHLEN) >= PW_HASHLEN ||
	    strncmp(hash, "$argon2id$", 10) != 0 || len > PW_MAXLEN) {
		e = pw_verify_dummy(pw, len > PW_MAXLEN ? PW_MAXLEN : len);
		return e == PW_OK ? PW_MISMATCH : e;
	}
	return pw_verify_str(hash, pw, len);
}

enum pw_err
pw_verify_dummy(const char *pw, size_t len)
{
	enum pw_err	 e;

	e = pw_verify_str(pw_dummy, pw, len);
	return e == PW_OK ? PW_MISMATCH : e;
}

int
pw_dummy_current(void)
{
	return crypto_pwhash_str_needs_rehash(pw_dummy, PW_OPSLIMIT,
	    PW_MEMLIMIT) == 0;
}

void
pw_generate(char out[PW_GENLEN + 1])
{
	/* 31 letters and digits hard to mistake for one another. */
	static const char	 alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
	size_t			 i, o = 0;

	_Static_assert(sizeof(alphabet) - 1 == 31, "alphabet");
	for (i = 0; i < 20; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = '-';
		out[o++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	}
	out[o] = '\0';
}
