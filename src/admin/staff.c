/*
 * staff.c: intakectl staff-add, staff-disable, staff-reset. Passwords
 * come from standard input only, never from the command line (where
 * other users could read them in the process list): one line when it is
 * a pipe or a file, typed twice without echo when it is a terminal.
 * Each change writes its audit row, with "intakectl:<user>" as actor.
 */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "crypto/password.h"
#include "store/store_clinic.h"

#define ADMIN_PWBUF	(PW_MAXLEN + 2)

/* A username as sql/004 wants it, lower-cased into out; -1 if not one. */
static int
admin_username(const char *in, char out[STORE_USERNAME_MAX + 1])
{
	size_t	 i, len = strlen(in);
	char	 c;

	if (len == 0 || len > STORE_USERNAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		c = in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return -1;
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

/*
 * One line from fd 0 into buf (ADMIN_PWBUF bytes), without its line
 * end. Returns its length, or -1 (nothing read, or longer than
 * PW_MAXLEN).
 */
static ssize_t
admin_read_line(char *buf)
{
	size_t	 n = 0;
	ssize_t	 r = 0;
	char	 c;

	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n == ADMIN_PWBUF - 1)
			return -1;
		buf[n++] = c;
	}
	if (r <= 0 && n == 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return n > PW_MAXLEN ? -1 : (ssize_t)n;
}

/* Prompt on the terminal and read a line without echo. */
static ssize_t
admin_read_tty(const char *prompt, char *buf)
{
	struct termios	 old, quiet;
	ssize_t		 n;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
		return -1;
	n = admin_read_line(buf);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return n;
}

/*
 * The new password, checked against the policy and hashed into hash.
 * The slot files beside the clinic worker's socket bound the hashing
 * when they exist; a one-off command may go without.
 */
static int
admin_new_password(struct admin *a, const char *username,
    char hash[PW_HASHLEN])
{
	char		*p1 = NULL, *p2 = NULL, prompt[128], *sock, *dir;
	ssize_t		 n1, n2;
	enum pw_err	 pe;
	int		 rc = -1;

	if ((p1 = sodium_malloc(ADMIN_PWBUF)) == NULL ||
	    (p2 = sodium_malloc(ADMIN_PWBUF)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (isatty(STDIN_FILENO)) {
		snprintf(prompt, sizeof(prompt), "New password for %s: ",
		    username);
		n1 = admin_read_tty(prompt, p1);
		n2 = n1 >= 0 ? admin_read_tty("The same password again: ", p2) :
		    -1;
		if (n1 < 0 || n2 < 0) {
			warnx("no password read");
			goto out;
		}
		if (n1 != n2 || sodium_memcmp(p1, p2, (size_t)n1) != 0) {
			warnx("the two passwords differ: nothing changed");
			goto out;
		}
	} else if ((n1 = admin_read_line(p1)) < 0) {
		warnx("no password on standard input (one line, at most %d "
		    "bytes)", PW_MAXLEN);
		goto out;
	}
	if (pw_policy(p1, (size_t)n1) != PW_OK) {
		warnx("%s", pw_strerror(PW_WEAK));
		goto out;
	}
	if ((sock = strdup(a->cfg.clinic_socket)) != NULL) {
		dir = dirname(sock);
		(void)pw_slots_open(dir);
		free(sock);
	}
	pe = pw_hash(p1, (size_t)n1, hash);
	pw_slots_close();
	if (pe != PW_OK) {
		warnx("%s", pw_strerror(pe));
		goto out;
	}
	rc = 0;
out:
	sodium_free(p1);
	sodium_free(p2);
	return rc;
}

int
admin_cmd_staff_add(struct admin *a, int argc, char **argv)
{
	struct store_staff	 st, old;
	struct store_actor	 actor;
	struct store		*db;
	const char		*user = NULL, *role = NULL, *name = NULL;
	char			 who[96];
	enum store_err		 se;
	int			 i, added, rc = ADMIN_FAIL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strncmp(argv[i], "--name=", 7) == 0)
			name = argv[i] + 7;
		else if (argv[i][0] == '-')
			return admin_usage(argv[0]);
		else if (user == NULL)
			user = argv[i];
		else if (role == NULL)
			role = argv[i];
		else
			return admin_usage(argv[0]);
	}
	if (user == NULL || role == NULL)
		return admin_usage(argv[0]);
	memset(&st, 0, sizeof(st));
	if (admin_username(user, st.username) == -1) {
		warnx("\"%s\" is not a username: 1 to 64 lower-case letters, "
		    "digits, dots, dashes or underscores", user);
		return ADMIN_FAIL;
	}
	if (strcmp(role, "therapist") != 0 && strcmp(role, "front_desk") != 0 &&
	    strcmp(role, "admin") != 0) {
		warnx("the role is one of therapist, front_desk, admin");
		return ADMIN_FAIL;
	}
	if (name == NULL)
		name = st.username;
	if (*name == '\0' || strlen(name) > STORE_DISPLAY_MAX ||
	    strpbrk(name, "\t\r\n") != NULL) {
		warnx("the name is one line of 1 to %d bytes", STORE_DISPLAY_MAX);
		return ADMIN_FAIL;
	}
	snprintf(st.display_name, sizeof(st.display_name), "%s", name);
	snprintf(st.role, sizeof(st.role), "%s", role);
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	/* Refuse before asking for a password nobody will use. */
	se = store_staff_get(db, st.username, &old);
	sodium_memzero(&old, sizeof(old));
	if (se == STORE_OK) {
		warnx("there is already an account %s", st.username);
		return ADMIN_FAIL;
	}
	if (se != STORE_NOT_FOUND) {
		admin_dberr(a, "look the account up", se);
		return ADMIN_FAIL;
	}
	if (admin_new_password(a, st.username, st.hash) == -1)
		goto out;
	admin_actor(who, sizeof(who));
	actor.who = who;
	actor.address = NULL;
	if ((se = store_staff_add(db, &st, &actor, &added)) != STORE_OK) {
		admin_dberr(a, "add the account", se);
		goto out;
	}
	if (!added) {
		warnx("there is already an account %s", st.username);
		goto out;
	}
	printf("added %s (%s)\n", st.username, st.role);
	rc = ADMIN_OK;
out:
	sodium_memzero(&st, sizeof(st));
	return rc;
}

int
admin_cmd_staff_disable(struct admin *a, int argc, char **argv)
{
	struct store_actor	 actor;
	struct store		*db;
	char			 user[STORE_USERNAME_MAX + 1], who[96];
	enum store_err		 se;

	if (argc != 2)
		return admin_usage(argv[0]);
	if (admin_username(argv[1], user) == -1) {
		warnx("\"%s\" is not a username", argv[1]);
		return ADMIN_FAIL;
	}
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	admin_actor(who, sizeof(who));
	actor.who = who;
	actor.address = NULL;
	se = store_staff_disable(db, user, &actor);
	if (se == STORE_NOT_FOUND) {
		warnx("there is no account %s", user);
		return ADMIN_FAIL;
	}
	if (se != STORE_OK) {
		admin_dberr(a, "disable the account", se);
		return ADMIN_FAIL;
	}
	printf("disabled %s; its sessions are ended\n", user);
	return ADMIN_OK;
}

int
admin_cmd_staff_reset(struct admin *a, int argc, char **argv)
{
	struct store_staff	 st;
	struct store_actor	 actor;
	struct store		*db;
	char			 user[STORE_USERNAME_MAX + 1], who[96];
	char			 hash[PW_HASHLEN];
	enum store_err		 se;
	int			 rc = ADMIN_FAIL;

	if (argc != 2)
		return admin_usage(argv[0]);
	if (admin_username(argv[1], user) == -1) {
		warnx("\"%s\" is not a username", argv[1]);
		return ADMIN_FAIL;
	}
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	se = store_staff_get(db, user, &st);
	sodium_memzero(&st, sizeof(st));
	if (se == STORE_NOT_FOUND) {
		warnx("there is no account %s", user);
		return ADMIN_FAIL;
	}
	if (se != STORE_OK) {
		admin_dberr(a, "look the account up", se);
		return ADMIN_FAIL;
	}
	if (admin_new_password(a, user, hash) == -1)
		goto out;
	admin_actor(who, sizeof(who));
	actor.who = who;
	actor.address = NULL;
	if ((se = store_staff_password(db, user, hash, &actor)) != STORE_OK) {
		admin_dberr(a, "set the password", se);
		goto out;
	}
	printf("new password set for %s; its sessions are ended\n", user);
	rc = ADMIN_OK;
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
