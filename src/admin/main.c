/*
 * main.c: intakectl [-c CONFIG] COMMAND [ARGS]. Reads the configuration
 * the workers read, then runs one command from admin_cmds. Exit status 0
 * on success, 1 on failure, 2 for a wrong command line.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "core/log.h"

#define ADMIN_DEFAULT_CONFIG	"/etc/clinic-intake/clinic.conf"

static int	admin_cmd_help(struct admin *, int, char **);

/* One row per command; later commands slot in here. */
static const struct admin_cmd {
	const char	*name;
	int		(*fn)(struct admin *, int, char **);
	const char	*args;
	const char	*summary;
} admin_cmds[] = {
	{ "migrate", admin_cmd_migrate, "[--dir SQLDIR]",
	    "apply the database migrations not applied yet" },
	{ "keygen", admin_cmd_keygen, "",
	    "create the clinic's key pair (refused if one exists)" },
	{ "consent-install", admin_cmd_consent_install, "FILE",
	    "install FILE as the next version of the consent text" },
	{ "consent-show", admin_cmd_consent_show, "[-t] [VERSION]",
	    "print the consent text in force, or VERSION" },
	{ "status", admin_cmd_status, "[--dir SQLDIR]",
	    "migrations, keys, consent version and counts" },
	{ "audit-verify", admin_cmd_audit_verify, "[--head ID:HASH]", "check the audit log's hash chain, and against a head kept elsewhere" },
	{ "audit-head", admin_cmd_audit_head, "", "print the audit log's head, to keep elsewhere" },
	{ "key-backup", admin_cmd_key_backup, "FILE", "back the secret keys up to FILE under a passphrase (standard input or terminal)" },
	{ "key-restore", admin_cmd_key_restore, "FILE", "restore the secret keys of backup FILE (passphrase as for key-backup)" },
	{ "key-rotate", admin_cmd_key_rotate, "", "make a new key pair for new submissions; old secret keys stay" },
	{ "key-rewrap", admin_cmd_key_rewrap, "[--batch N]", "re-seal every record's data key to the current key" },
	{ "export", admin_cmd_export, "--given NAME --family NAME --dob YYYY-MM-DD [-o FILE]", "one patient's records as XML (audited)" },
	{ "purge", admin_cmd_purge, "[--dry-run]", "delete the records past retention (audited)" },
	{ "staff-add", admin_cmd_staff_add, "USERNAME ROLE [--name NAME]", "add a staff account (role therapist, front_desk or admin; password on standard input)" },
	{ "staff-disable", admin_cmd_staff_disable, "USERNAME", "disable a staff account and end its sessions" },
	{ "staff-reset", admin_cmd_staff_reset, "USERNAME", "set a new password (standard input) and end its sessions" },
	{ "help", admin_cmd_help, "", "this list" },
};
#define ADMIN_NCMDS	(sizeof(admin_cmds) / sizeof(admin_cmds[0]))

static void
admin_list(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: intakectl [-c CONFIG] COMMAND [ARGS]\ncommands:\n");
	for (i = 0; i < ADMIN_NCMDS; i++)
		fprintf(f, "  %-16s %-16s %s\n", admin_cmds[i].name,
		    admin_cmds[i].args, admin_cmds[i].summary);
}

int
admin_usage(const char *name)
{
	size_t	 i;

	for (i = 0; i < ADMIN_NCMDS; i++)
		if (strcmp(admin_cmds[i].name, name) == 0) {
			fprintf(stderr, "usage: intakectl [-c CONFIG] %s %s\n",
			    name, admin_cmds[i].args);
			return ADMIN_USAGE;
		}
	admin_list(stderr);
	return ADMIN_USAGE;
}

static int
admin_cmd_help(struct admin *a, int argc, char **argv)
{
	(void)a;
	(void)argv;
	if (argc != 1)
		return admin_usage("help");
	admin_list(stdout);
	return ADMIN_OK;
}

struct store *
admin_db(struct admin *a)
{
	/* No statement timeout: a migration may rightly take long. */
	if (a->db == NULL && (a->db = store_open(a->cfg.admin_database, 0)) ==
	    NULL)
		warnx("out of memory");
	return a->db;
}

void
admin_dberr(struct admin *a, const char *doing, enum store_err e)
{
	const char	*why = a->db != NULL ? store_last_error(a->db) : "";

	switch (e) {
	case STORE_UNAVAILABLE:
		warnx("cannot %s: the database is not available%s%s", doing,
		    *why != '\0' ? ": " : "", why);
		break;
	case STORE_NOT_FOUND:
		warnx("cannot %s: not found", doing);
		break;
	default:
		warnx("cannot %s: the database refused%s%s", doing,
		    *why != '\0' ? ": " : "", why);
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct admin		 a;
	const struct admin_cmd	*cmd = NULL;
	char			 errbuf[512];
	size_t			 i;
	int			 ch, rc;

	log_init("intakectl");
	memset(&a, 0, sizeof(a));
	if ((a.config_path = getenv("CLINIC_CONFIG")) == NULL ||
	    *a.config_path == '\0')
		a.config_path = ADMIN_DEFAULT_CONFIG;
	/* '+': options after the command belong to the command. */
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'h':
			admin_list(stdout);
			return ADMIN_OK;
		default:
			admin_list(stderr);
			return ADMIN_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		admin_list(stderr);
		return ADMIN_USAGE;
	}
	for (i = 0; i < ADMIN_NCMDS; i++)
		if (strcmp(admin_cmds[i].name, argv[0]) == 0)
			cmd = &admin_cmds[i];
	if (cmd == NULL) {
		warnx("unknown command \"%s\"", argv[0]);
		admin_list(stderr);
		return ADMIN_USAGE;
	}
	if (sodium_init() < 0) {
		warnx("cannot initialise libsodium");
		return ADMIN_FAIL;
	}
	if (cmd->fn != admin_cmd_help &&
	    config_load(a.config_path, &a.cfg, errbuf, sizeof(errbuf)) == -1) {
		warnx("cannot read the configuration: %s", errbuf);
		return ADMIN_FAIL;
	}
	rc = cmd->fn(&a, argc, argv);
	store_close(a.db);
	config_free(&a.cfg);
	return rc;
}
