/* log.c: one line per event on stderr. See log.h for what may be logged. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static const char *log_prog = "clinic";

void
log_init(const char *progname)
{
	log_prog = progname;
}

static void
log_line(const char *level, const char *fmt, va_list ap)
{
	char		 msg[1024], when[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	size_t		 i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: a message never spans lines. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = ' ';
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%ld] %s: %s\n", when, log_prog, (long)getpid(),
	    level, msg);
}

#define LOG_FN(name, level)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_line(level, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_info, "info")
LOG_FN(log_warn, "warning")
LOG_FN(log_error, "error")
