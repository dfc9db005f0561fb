/*
 * sandbox.h: confine a process that handles untrusted bytes (kcgi's
 * pattern): no new privileges, no new processes or files, and a seccomp
 * allow-list of the few system calls parsing from memory needs. Anything
 * else kills the process; open() fails softly with EACCES.
 *
 * Built with -DNO_SANDBOX (sanitizer and valgrind runs, whose runtimes need
 * more system calls), sandbox_enter() only sets the resource limits.
 */
#ifndef WEB_SANDBOX_H
#define WEB_SANDBOX_H

#include <stddef.h>

/* Returns 0, or -1 when the filter could not be installed. */
int	sandbox_enter(size_t memory_limit);
/* 1 when this build confines parsers with seccomp. */
int	sandbox_available(void);

#endif
