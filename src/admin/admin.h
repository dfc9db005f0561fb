/*
 * admin.h: intakectl, the operator's command-line tool. main.c reads the
 * configuration and dispatches to one function per command (its table is
 * in main.c); each command returns an exit status.
 */
#ifndef ADMIN_ADMIN_H
#define ADMIN_ADMIN_H

#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

/* Exit statuses. */
#define ADMIN_OK	0
#define ADMIN_FAIL	1	/* the command could not do its job */
#define ADMIN_USAGE	2	/* the command line was wrong */

struct admin {
	const char	*config_path;
	struct config	 cfg;
	struct store	*db;		/* admin_db(): opened on first use */
};

/* The owner's connection (admin_database); NULL only if out of memory. */
struct store	*admin_db(struct admin *);
/* Say in plain words why a database call failed ("cannot <doing>: ..."). */
void		 admin_dberr(struct admin *, const char *doing, enum store_err);
/* Print the usage line of command name to stderr; returns ADMIN_USAGE. */
int		 admin_usage(const char *name);

/* Migration files of a directory: NNN_name.sql, in version order. */
struct admin_sqlfile {
	unsigned	 version;
	char		*name;		/* file name */
	char		*text;		/* contents, NUL-terminated */
	char		 sha256[65];	/* hex of the contents */
};
/*
 * Read every migration of dir, sorted by version. Returns 0, or -1 after
 * telling the operator why (duplicate version, unreadable file, a *.sql
 * that is not NNN_name.sql). Free with admin_sqlfiles_free.
 */
int		 admin_sqlfiles(const char *dir, struct admin_sqlfile **out,
		    size_t *n);
void		 admin_sqlfiles_free(struct admin_sqlfile *, size_t);
/* The migration directory: --dir, else <share_dir>/sql (malloc'ed). */
char		*admin_sqldir(struct admin *, const char *opt);

/* The commands: argv[0] is the command's name. */
int	admin_cmd_migrate(struct admin *, int argc, char **argv);
int	admin_cmd_keygen(struct admin *, int argc, char **argv);
int	admin_cmd_consent_install(struct admin *, int argc, char **argv);
int	admin_cmd_consent_show(struct admin *, int argc, char **argv);
int	admin_cmd_status(struct admin *, int argc, char **argv);
/* audit.c, keyops.c, export.c, purge.c */
int	admin_cmd_audit_verify(struct admin *, int argc, char **argv);
int	admin_cmd_audit_head(struct admin *, int argc, char **argv);
int	admin_cmd_key_backup(struct admin *, int argc, char **argv);
int	admin_cmd_key_restore(struct admin *, int argc, char **argv);
int	admin_cmd_key_rotate(struct admin *, int argc, char **argv);
int	admin_cmd_key_rewrap(struct admin *, int argc, char **argv);
int	admin_cmd_export(struct admin *, int argc, char **argv);
int	admin_cmd_purge(struct admin *, int argc, char **argv);
/* staff.c */
int	admin_cmd_staff_add(struct admin *, int argc, char **argv);
int	admin_cmd_staff_disable(struct admin *, int argc, char **argv);
int	admin_cmd_staff_reset(struct admin *, int argc, char **argv);

/* The audit log's actor for what intakectl does: "intakectl:<login>". */
void	admin_actor(char *out, size_t outsz);
struct env_keyring;
/*
 * The clinic's secret keys (keyops.c), read as the owner of the key
 * directory when run as root; -1 after saying why. The caller frees the
 * keyring with env_keyring_free.
 */
int	admin_keyring(struct admin *, struct env_keyring **);

#endif
