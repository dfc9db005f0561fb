/*
 * keys.c: intakectl keygen. Creates the clinic's X25519 key pair: the
 * secret key in <secret_keys>/<key id>.key (0600), the public key in
 * <public_key>. Refuses when a key exists: replacing a key is rotation,
 * and losing the old one loses every record sealed to it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "crypto/envelope.h"

/* 1 if dir holds a *.key file, 0 if not (or dir does not exist), -1. */
static int
admin_haskey(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 found = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		warn("%s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".key") == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

/*
 * Run as root with clinic_user set: give the secret key to the clinic
 * worker's user, which alone may read it (env_keyring_load refuses a key
 * file owned by anyone else).
 */
static int
admin_give_keys(const char *dir, const char *name, const struct passwd *pw)
{
	int	 dfd, rc = -1;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", dir);
		return -1;
	}
	if (fchown(dfd, pw->pw_uid, pw->pw_gid) == -1)
		warn("%s", dir);
	else if (fchownat(dfd, name, pw->pw_uid, pw->pw_gid,
	    AT_SYMLINK_NOFOLLOW) == -1)
		warn("%s/%s", dir, name);
	else
		rc = 0;
	close(dfd);
	return rc;
}

int
admin_cmd_keygen(struct admin *a, int argc, char **argv)
{
	struct env_pubkey	 pk;
	struct passwd		*pw = NULL;
	struct stat		 st;
	char			 hex[2 * ENV_KEYID_BYTES + 1], name[64];
	enum env_err		 e;
	int			 has;

	(void)argv;
	if (argc != 1)
		return admin_usage("keygen");
	if (*a->cfg.secret_keys == '\0' || *a->cfg.public_key == '\0') {
		warnx("secret_keys and public_key must be set in %s",
		    a->config_path);
		return ADMIN_FAIL;
	}
	if ((has = admin_haskey(a->cfg.secret_keys)) == -1)
		return ADMIN_FAIL;
	if (has || lstat(a->cfg.public_key, &st) == 0) {
		warnx("a clinic key already exists (%s or %s): keygen never "
		    "replaces one, since records sealed to it could no longer "
		    "be read", a->cfg.secret_keys, a->cfg.public_key);
		return ADMIN_FAIL;
	}
	/* Who will own the key, checked before there is a key to own. */
	if (geteuid() == 0 && *a->cfg.clinic_user != '\0' &&
	    (pw = getpwnam(a->cfg.clinic_user)) == NULL) {
		warnx("clinic_user %s: no such user", a->cfg.clinic_user);
		return ADMIN_FAIL;
	}
	if ((e = env_keypair_generate(a->cfg.secret_keys, a->cfg.public_key,
	    &pk)) != ENV_OK) {
		warnx("cannot create the key pair in %s and %s: %s",
		    a->cfg.secret_keys, a->cfg.public_key, env_strerror(e));
		return ADMIN_FAIL;
	}
	sodium_bin2hex(hex, sizeof(hex), pk.id, sizeof(pk.id));
	snprintf(name, sizeof(name), "%s.key", hex);
	if (pw != NULL && admin_give_keys(a->cfg.secret_keys, name, pw) == -1) {
		warnx("the key %s was created but is still owned by root: "
		    "chown it to %s", name, a->cfg.clinic_user);
		return ADMIN_FAIL;
	}
	printf("created key %s\n", hex);
	printf("public key: %s\n", a->cfg.public_key);
	printf("secret key: %s/%s\n", a->cfg.secret_keys, name);
	printf("Back the secret key up now, under a passphrase, and keep the "
	    "copy away from this machine: without it no record can be read.\n");
	return ADMIN_OK;
}
