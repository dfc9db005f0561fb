/* test_password.c: staff passwords (src/crypto/password.c). */
#include <sys/file.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/password.h"

static void
test_policy(void **state)
{
	static const struct {
		const char	*pw;
		size_t		 len;	/* 0: strlen */
		enum pw_err	 want;
	} t[] = {
		{ "", 0, PW_WEAK },
		{ "short", 0, PW_WEAK },
		{ "123456789", 0, PW_WEAK },		/* nine characters */
		{ "1234567890", 0, PW_OK },		/* ten */
		{ "correct horse battery staple", 0, PW_OK },
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9", 0, PW_WEAK },	/* nine é: 18 bytes */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9", 0, PW_OK },	/* ten é */
		{ "with a\ttab12", 0, PW_WEAK },
		{ "with a\nnewline", 0, PW_WEAK },
		{ "with a \x7f del", 0, PW_WEAK },
		{ "not utf-8 \xff\xfe here", 0, PW_WEAK },
		{ "overlong \xc0\xaf slash", 0, PW_WEAK },
		{ "nul\0inside the password", 23, PW_WEAK },
	};
	char	*big;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(pw_policy(t[i].pw, t[i].len ? t[i].len :
		    strlen(t[i].pw)), t[i].want);
	big = malloc(PW_MAXLEN + 1);
	assert_non_null(big);
	memset(big, 'a', PW_MAXLEN + 1);
	assert_int_equal(pw_policy(big, PW_MAXLEN), PW_OK);
	assert_int_equal(pw_policy(big, PW_MAXLEN + 1), PW_WEAK);
	free(big);
}

static void
test_hash_verify(void **state)
{
	char	 h[PW_HASHLEN], h2[PW_HASHLEN];
	char	 bad[PW_HASHLEN];
	const char *pw = "a perfectly good password";

	(void)state;
	assert_int_equal(pw_hash(pw, strlen(pw), h), PW_OK);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_non_null(strstr(h, "m=65536,t=2,p=1"));
	assert_int_equal(pw_verify(h, pw, strlen(pw)), PW_OK);
	assert_int_equal(pw_verify(h, "a perfectly good passworD", strlen(pw)),
	    PW_MISMATCH);
	assert_int_equal(pw_verify(h, pw, strlen(pw) - 1), PW_MISMATCH);
	/* salted: the same password hashes differently */
	assert_int_equal(pw_hash(pw, strlen(pw), h2), PW_OK);
	assert_string_not_equal(h, h2);
	/* a weak password is never hashed */
	assert_int_equal(pw_hash("short", 5, h2), PW_WEAK);
	/* a hash we could not have written is a mismatch, not a crash */
	assert_int_equal(pw_verify(NULL, pw, strlen(pw)), PW_MISMATCH);
	assert_int_equal(pw_verify("$2y$10$notargon", pw, strlen(pw)),
	    PW_MISMATCH);
	memset(bad, 'x', sizeof(bad));	/* not NUL-terminated */
	memcpy(bad, "$argon2id$", 10);
	assert_int_equal(pw_verify(bad, pw, strlen(pw)), PW_MISMATCH);
	snprintf(bad, sizeof(bad), "%s", h);
	bad[strlen(bad) - 2] ^= 1;
	assert_int_equal(pw_verify(bad, pw, strlen(pw)), PW_MISMATCH);
}

static double
elapsed(const struct timespec *a)
{
	struct timespec	 b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void
test_dummy(void **state)
{
	struct timespec	 t0;
	char		 h[PW_HASHLEN];
	const char	*pw = "the password of a real account";
	double		 real, dummy, t;
	int		 i;

	(void)state;
	/* The fixed hash costs what a new hash costs. */
	assert_int_equal(pw_dummy_current(), 1);
	assert_int_equal(pw_verify_dummy(pw, strlen(pw)), PW_MISMATCH);
	assert_int_equal(pw_verify_dummy("", 0), PW_MISMATCH);
	assert_int_equal(pw_hash(pw, strlen(pw), h), PW_OK);
	/* the fastest of three runs each: a busy machine only slows */
	real = dummy = 1e9;
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(pw_verify(h, "wrong", 5), PW_MISMATCH);
		if ((t = elapsed(&t0)) < real)
			real = t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(pw_verify_dummy("wrong", 5), PW_MISMATCH);
		if ((t = elapsed(&t0)) < dummy)
			dummy = t;
	}
	/* the same work: neither is a fraction of the other */
	assert_true(dummy > real / 3 && real > dummy / 3);
}

static void
test_generate(void **state)
{
	char	 a[PW_GENLEN + 1], b[PW_GENLEN + 1];
	size_t	 i;

	(void)state;
	pw_generate(a);
	pw_generate(b);
	assert_int_equal(strlen(a), PW_GENLEN);
	assert_string_not_equal(a, b);
	for (i = 0; i < PW_GENLEN; i++) {
		if (i % 6 == 5)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("abcdefghjkmnpqrstuvwxyz23456789",
			    a[i]));
	}
	assert_int_equal(pw_policy(a, strlen(a)), PW_OK);
}

/*
 * Slots: with both held by another process, a hash waits for one to be
 * released, then runs.
 */
static void
test_slots(void **state)
{
	char		 dir[] = "/tmp/test-pwslots.XXXXXX", path[64];
	char		 h[PW_HASHLEN];
	struct timespec	 t0;
	int		 p[2], fd0, fd1, i, status;
	pid_t		 pid;
	char		 c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pw_slots_open(dir), -1);	/* not made yet */
	assert_int_equal(pw_slots_create(dir), 0);
	assert_int_equal(pw_slots_create(dir), 0);	/* again: no harm */
	assert_int_equal(pw_slots_open(dir), 0);
	assert_int_equal(pw_hash("with free slots", 15, h), PW_OK);

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/pwhash-slot-0", dir);
		fd0 = open(path, O_RDONLY);
		snprintf(path, sizeof(path), "%s/pwhash-slot-1", dir);
		fd1 = open(path, O_RDONLY);
		if (fd0 == -1 || fd1 == -1 || flock(fd0, LOCK_EX) == -1 ||
		    flock(fd1, LOCK_EX) == -1)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(400000);
		_exit(0);	/* the kernel releases both */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pw_hash("while slots are busy", 20, h), PW_OK);
	assert_true(elapsed(&t0) > 0.25);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pw_slots_close();
	for (i = 0; i < PW_SLOTS; i++) {
		snprintf(path, sizeof(path), "%s/pwhash-slot-%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_dummy),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_slots),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
