/*
 * parse_child.h: untrusted bytes are decoded, parsed and validated in a
 * child process that holds no key, no database connection and nothing but
 * its pipe to the worker, under a seccomp filter (web/sandbox.h). A child
 * serves one request, so a compromised parser sees no other patient. One
 * spare child is forked ahead, keeping the fork off the request path.
 *
 * The worker trusts nothing that comes back: every record is bounded and
 * every answer is set again through answers_set(), which re-checks it.
 */
#ifndef INTAKE_PARSE_CHILD_H
#define INTAKE_PARSE_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct formdef;
struct intake_parser;
struct answers;
struct verrs;
struct raw_values;

enum parse_front { PARSE_FORM, PARSE_XML };

enum parse_status {
	PARSE_OK,		/* answers and errs filled */
	PARSE_MALFORMED,	/* 400 */
	PARSE_FAILED,		/* the child crashed, hung or lied: 500 */
};

struct parse_pool {
	const struct formdef	*fd;
	struct intake_parser	*parser;
	size_t			 body_limit;
	pid_t			 pid;		/* the spare child, or -1 */
	pid_t			 reap;		/* a child that answered and is
						   still exiting, or 0 */
	int			 fd_sock;	/* our end of its socket */
	/* Called in a new child first: wipe what it must not hold. */
	void			(*forget)(void *);
	void			*forget_arg;
};

/* Fork the spare. Returns 0, or -1 (the next parse_run retries). */
int		 parse_pool_start(struct parse_pool *);
void		 parse_pool_stop(struct parse_pool *);

/*
 * Hand body to the spare child and read back its answer. Fills raw (form
 * posts), a and errs. Whatever the outcome, the child is reaped and a new
 * spare is forked.
 */
enum parse_status parse_run(struct parse_pool *, enum parse_front,
		    const char *body, size_t len, struct raw_values *raw,
		    struct answers *a, struct verrs *errs);

/* The child's side, exposed for the fuzz target of the reader. */
enum parse_status parse_read_reply(const struct formdef *, const char *msg,
		    size_t len, struct raw_values *raw, struct answers *a,
		    struct verrs *errs);

#endif
