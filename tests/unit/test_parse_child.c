/*
 * test_parse_child.c: the sandboxed parser child, from the worker's side.
 * A child that crashes costs its request a clean PARSE_FAILED and nothing
 * else; the next request gets a fresh child; the seccomp filter kills a
 * forbidden system call and refuses open() softly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "web/sandbox.h"

/*
 * Under valgrind the forked child runs inside valgrind too, whose own
 * system calls the seccomp filter kills: there, and only there, the child
 * runs unconfined (the sandbox itself is tested by the normal run).
 */
static int
under_valgrind(void)
{
	const char	*p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static int
test_sandbox_enter(size_t limit)
{
	return under_valgrind() ? 0 : sandbox_enter(limit);
}

/* parse_child.c is linked into the worker only: test it in place. */
#define sandbox_enter test_sandbox_enter
#include "intake/parse_child.c"
#undef sandbox_enter

#include "form/xmlutil.h"

#define SID	"6f1c2b1e-8a2b-4c3d-9e4f-0a1b2c3d4e5f"

static struct formdef		*fd;
static struct intake_parser	*parser;

static void
forget_crash(void *arg)
{
	(void)arg;
	abort();	/* as a parser hit by a bad input would */
}

static void
pool_init(struct parse_pool *p, void (*forget)(void *))
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->parser = parser;
	p->body_limit = 262144;
	p->pid = -1;
	p->fd_sock = -1;
	p->forget = forget;
}

static enum parse_status
run(struct parse_pool *p, enum parse_front front, const char *body,
    struct answers **ap, struct verrs *errs)
{
	struct raw_values	 raw;
	enum parse_status	 st;

	*ap = answers_new(fd);
	memset(&raw, 0, sizeof(raw));
	st = parse_run(p, front, body, strlen(body), &raw, *ap, errs);
	raw_values_free(fd, &raw);
	return st;
}

static void
test_a_form_post_round_trip(void **state)
{
	struct parse_pool	 p;
	struct verrs		 e = { 0 };
	struct answers		*a;

	(void)state;
	pool_init(&p, NULL);
	assert_int_equal(run(&p, PARSE_FORM, "submission_id=" SID
	    "&form_version=1&consent_version=1&given_name=Zo%C3%AB"
	    "&pain_intensity=11&pain_areas=neck&pain_areas=head", &a, &e),
	    PARSE_OK);
	assert_string_equal(a->submission_id, SID);
	assert_int_equal(a->form_version, 1);
	assert_string_equal(a->v[formdef_field(fd, "given_name")].text,
	    "Zo\xc3\xab");
	assert_int_equal(__builtin_popcountll(
	    a->v[formdef_field(fd, "pain_areas")].mask), 2);
	assert_int_equal(e.n, 1);	/* pain_intensity out of range */
	assert_int_equal(e.v[0].code, VE_RANGE);
	answers_free(a);
	verrs_free(&e);
	parse_pool_stop(&p);
}

static void
test_malformed_xml_is_malformed(void **state)
{
	struct parse_pool	 p;
	struct verrs		 e = { 0 };
	struct answers		*a;

	(void)state;
	pool_init(&p, NULL);
	assert_int_equal(run(&p, PARSE_XML, "<intake", &a, &e),
	    PARSE_MALFORMED);
	answers_free(a);
	verrs_free(&e);
	parse_pool_stop(&p);
}

static void
test_a_crashing_child_fails_cleanly(void **state)
{
	struct parse_pool	 p;
	struct verrs		 e = { 0 };
	struct answers		*a;

	(void)state;
	pool_init(&p, forget_crash);
	assert_int_equal(run(&p, PARSE_FORM, "given_name=Ann", &a, &e),
	    PARSE_FAILED);
	assert_int_equal(e.n, 0);
	assert_false(a->v[formdef_field(fd, "given_name")].present);
	answers_free(a);
	/* the next request gets a new, healthy child */
	p.forget = NULL;
	parse_pool_stop(&p);
	assert_int_equal(run(&p, PARSE_FORM, "submission_id=" SID
	    "&form_version=1&consent_version=1&given_name=Ann", &a, &e),
	    PARSE_OK);
	assert_int_equal(e.n, 0);
	assert_true(a->v[formdef_field(fd, "given_name")].present);
	answers_free(a);
	verrs_free(&e);
	parse_pool_stop(&p);
}

static void
test_a_lying_reply_is_refused(void **state)
{
	/* a header that promises more bytes than there are, and an answer
	   for a field that does not exist */
	static const char	 short_rec[] = { 'Z', 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 9 };
	static const char	 bad_field[] = { 'A', 0x7f, 0x7f, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 1, 'x', 'Z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct raw_values	 raw;
	struct verrs		 e = { 0 };
	struct answers		*a = answers_new(fd);

	(void)state;
	assert_int_equal(parse_read_reply(fd, short_rec, sizeof(short_rec),
	    &raw, a, &e), PARSE_FAILED);
	raw_values_free(fd, &raw);
	assert_int_equal(parse_read_reply(fd, bad_field, sizeof(bad_field),
	    &raw, a, &e), PARSE_FAILED);
	raw_values_free(fd, &raw);
	/* no end record */
	assert_int_equal(parse_read_reply(fd, "", 0, &raw, a, &e),
	    PARSE_FAILED);
	raw_values_free(fd, &raw);
	answers_free(a);
	verrs_free(&e);
}

static void
test_the_sandbox(void **state)
{
	pid_t	 pid;
	int	 status;

	(void)state;
	if (under_valgrind()) {
		print_message("under valgrind: the seccomp filter is tested by "
		    "the normal run, not here\n");
		return;
	}
	if ((pid = fork()) == 0) {
		if (sandbox_enter(64u << 20) == -1)
			_exit(10);
		/* open() is refused softly, with EACCES */
		if (open("/etc/hostname", O_RDONLY) != -1 || errno != EACCES)
			_exit(11);
		/* a forbidden system call kills the process */
		(void)socket(AF_INET, SOCK_STREAM, 0);
		_exit(12);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (sandbox_available()) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
	} else {
		/* sanitizer builds run without the filter, by design */
		print_message("this build has no seccomp filter (NO_SANDBOX): "
		    "only the limits are checked\n");
		assert_true(WIFEXITED(status));
		assert_int_not_equal(WEXITSTATUS(status), 10);
	}
}

static int
setup(void **state)
{
	char	 err[1024];

	(void)state;
	xmlu_init();
	signal(SIGPIPE, SIG_IGN);
	if (formdef_load("schemas/form-v1.xml", "schemas/form-definition.xsd",
	    &fd, err, sizeof(err)) == -1 || (parser = intake_parser_new(fd,
	    "schemas/intake-v1.xsd", err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	intake_parser_free(parser);
	formdef_free(fd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_form_post_round_trip),
		cmocka_unit_test(test_malformed_xml_is_malformed),
		cmocka_unit_test(test_a_crashing_child_fails_cleanly),
		cmocka_unit_test(test_a_lying_reply_is_refused),
		cmocka_unit_test(test_the_sandbox),
	};

	return cmocka_run_group_tests_name("parse_child", tests, setup,
	    teardown);
}
