/* sandbox.c: seccomp allow-list for parser children; see sandbox.h. */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <stddef.h>

#ifndef NO_SANDBOX
#include <seccomp.h>
#endif

#include "core/log.h"
#include "web/sandbox.h"

static int
sandbox_limits(size_t memory_limit)
{
	struct rlimit	 zero = { 0, 0 }, mem;

	mem.rlim_cur = mem.rlim_max = memory_limit;
	/* no new processes, no file growth, bounded memory */
	if (setrlimit(RLIMIT_NPROC, &zero) == -1 ||
	    setrlimit(RLIMIT_FSIZE, &zero) == -1 ||
	    (memory_limit > 0 && setrlimit(RLIMIT_AS, &mem) == -1))
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

#ifdef NO_SANDBOX

int
sandbox_available(void)
{
	return 0;
}

int
sandbox_enter(size_t memory_limit)
{
	(void)memory_limit;
	/* RLIMIT_AS would starve the sanitizers' shadow memory */
	return sandbox_limits(0);
}

#else

int
sandbox_available(void)
{
	return 1;
}

int
sandbox_enter(size_t memory_limit)
{
	static const int allowed[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
		SCMP_SYS(exit), SCMP_SYS(exit_group),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mprotect),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(time), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
		SCMP_SYS(getrandom),
	};
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 rc = -1;

	if (sandbox_limits(memory_limit) == -1) {
		log_error("sandbox: resource limits refused");
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) != 0)
			goto out;
	/* a library that tries to open a file learns it may not */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open),
	    0) != 0 || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(openat), 0) != 0)
		goto out;
	if (seccomp_load(ctx) != 0)
		goto out;
	rc = 0;
out:
	seccomp_release(ctx);
	if (rc == -1)
		log_error("sandbox: seccomp filter refused");
	return rc;
}

#endif
