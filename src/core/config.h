/*
 * config.h: the one configuration file the workers and intakectl read.
 * Format: "key = value" lines, '#' comments, blank lines. Every key can be
 * overridden from the environment as CLINIC_<KEY in upper case> (tests use
 * this). Unknown keys are an error, so a typo is never silently ignored.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stddef.h>

struct config {
	char	*intake_socket;		/* unix socket nginx reaches the intake worker on */
	char	*clinic_socket;		/* same for the clinic worker */
	char	*socket_group;		/* group of nginx's worker user; "" = keep */
	char	*intake_user;		/* Unix user the intake worker runs as; "" = keep */
	char	*clinic_user;		/* Unix user the clinic worker runs as */
	unsigned workers;		/* children per worker; 0 = 2 per core */
	char	*intake_database;	/* libpq conninfo, role intake_writer */
	char	*clinic_database;	/* libpq conninfo, role clinic_reader */
	char	*admin_database;	/* libpq conninfo, owner (migrations) */
	char	*public_key;		/* clinic public key file (intake side) */
	char	*secret_keys;		/* directory of clinic secret keys (clinic side) */
	char	*intake_secret;		/* intake worker's token secret (32 bytes) */
	char	*clinic_secret;		/* clinic worker's token secret */
	char	*share_dir;		/* schemas/, static text */
	char	*timezone;		/* clinic time zone, default America/Toronto */
	size_t	 body_limit;		/* bytes, default 262144 */
	unsigned statement_timeout_ms;	/* per query, default 5000 */
	int	 tls;			/* served over TLS: Secure cookies */
	unsigned session_idle_s;	/* default 900 */
	unsigned session_max_s;		/* default 43200 */
	char	*clinic_name;		/* shown to patients */
	char	*clinic_phone;		/* "whom to call" */
};

/*
 * Read path (NULL: only defaults and environment). On failure returns -1
 * with "path:line: problem" in err. config_free accepts NULL.
 */
int	 config_load(const char *path, struct config *, char *err, size_t errsz);
void	 config_free(struct config *);

#endif
