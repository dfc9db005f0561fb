/*
 * fuzz.h: what the fuzz targets share. Each target is one file
 * tests/fuzz/fuzz_<target>.c with LLVMFuzzerTestOneInput (and, when it
 * loads the shipped schemas or keys, LLVMFuzzerInitialize); tests/fuzz/run
 * builds each with libFuzzer, AddressSanitizer and UBSan and runs it over
 * corpus/<target>/ with <target>.dict.
 *
 * support.c also stands in for src/core/log.c: messages are formatted but
 * printed only with FUZZ_LOG=1.
 *
 * A target aborts (fuzz_fail) when a property the service relies on is
 * broken, not only when memory is misused: libFuzzer then keeps the input.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct formdef;
struct intake_parser;
struct ruleset;

int		 LLVMFuzzerInitialize(int *argc, char ***argv);
int		 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The submission date every target checks against: 2026-06-15. */
int32_t		 fuzz_today(void);

/* A file of the source tree: $FUZZ_ROOT/rel, or rel from the cwd. */
const char	*fuzz_path(const char *rel);

/* The shipped form definition, intake schema and rules; abort on failure. */
struct formdef	*fuzz_formdef(void);
struct intake_parser *fuzz_parser(const struct formdef *);
struct ruleset	*fuzz_rules(const struct formdef *);

/* Report a broken property and abort, so libFuzzer keeps the input. */
void		 fuzz_fail(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

#endif
