/* support.c: loading the shipped files for the fuzz targets; see fuzz.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/intake_xml.h"
#include "form/xmlutil.h"
#include "screen/screen.h"

#include "fuzz.h"

int32_t
fuzz_today(void)
{
	return date_to_days(2026, 6, 15);
}

const char *
fuzz_path(const char *rel)
{
	static char	 paths[8][4096];
	static size_t	 next;
	const char	*root = getenv("FUZZ_ROOT");
	char		*p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s",
	    root != NULL && *root != '\0' ? root : ".", rel);
	return p;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("fuzz: property broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

struct formdef *
fuzz_formdef(void)
{
	struct formdef	*fd = NULL;
	char		 err[1024];

	xmlu_init();
	if (formdef_load(fuzz_path("schemas/form-v1.xml"),
	    fuzz_path("schemas/form-definition.xsd"), &fd, err,
	    sizeof(err)) == -1)
		fuzz_fail("form definition: %s (set FUZZ_ROOT to the source "
		    "tree)", err);
	return fd;
}

struct intake_parser *
fuzz_parser(const struct formdef *fd)
{
	struct intake_parser	*p;
	char			 err[1024];

	if ((p = intake_parser_new(fd, fuzz_path("schemas/intake-v1.xsd"),
	    err, sizeof(err))) == NULL)
		fuzz_fail("intake schema: %s", err);
	return p;
}

struct ruleset *
fuzz_rules(const struct formdef *fd)
{
	struct ruleset	*rs = NULL;
	char		 err[1024];

	if (ruleset_load(fuzz_path("schemas/rules-v1.xml"),
	    fuzz_path("schemas/rules.xsd"), fd, &rs, err, sizeof(err)) == -1)
		fuzz_fail("rules: %s", err);
	return rs;
}

/*
 * The log, in place of src/core/log.c: every message is still formatted
 * (a bad format or argument shows up here too), but printed only with
 * FUZZ_LOG=1, so refused inputs do not fill the disk with log lines.
 */
static void
fuzz_log(const char *level, const char *fmt, va_list ap)
{
	static int	 show = -1;
	char		 msg[1024];

	if (show == -1)
		show = getenv("FUZZ_LOG") != NULL && *getenv("FUZZ_LOG") == '1';
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (show)
		fprintf(stderr, "%s: %s\n", level, msg);
}

void
log_init(const char *progname)
{
	(void)progname;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log("warning", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_log("error", fmt, ap);
	va_end(ap);
}
