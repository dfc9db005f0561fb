/*
 * log.h: one line per event to stderr (nginx / the supervisor collects it).
 * Never pass a health answer, a request body or a token to these functions:
 * log codes, ids and counts only.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

void	log_init(const char *progname);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
