/*
 * keyops.c: intakectl key-backup, key-restore, key-rotate and key-rewrap
 * (api.md, Administration; architecture.md: "rotation re-seals data keys
 * only; payloads are untouched").
 *
 * Passphrases come from the terminal (echo off; asked twice for a backup)
 * or, when standard input is not a terminal, from its first line; never
 * from the command line. They live in sodium_malloc'ed memory, wiped.
 *
 * Run as root, intakectl acts on the secret keys as their owner: it reads
 * them with that user's effective ids (the keyring, like the clinic
 * worker, refuses key files owned by anyone else) and gives the files it
 * creates to the clinic worker's user.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "crypto/backup.h"
#include "crypto/envelope.h"
#include "store/store_admin.h"

#define ADMIN_PASS_MAX		1024	/* bytes of a passphrase */
#define ADMIN_PASS_MIN		12	/* for a new backup */
#define ADMIN_BATCH_DEFAULT	500	/* blobs per rewrap transaction */
#define ADMIN_BATCH_MAX		10000
#define ADMIN_COPY_MAX		(64u << 20)	/* far above any key backup */

/* ---- passphrases ---- */

static volatile sig_atomic_t admin_gotsig;

static void
admin_pass_sig(int sig)
{
	admin_gotsig = sig;
}

/*
 * One line from fd into buf (bufsz bytes, sodium memory), without its
 * newline. Returns its length, -1 on a read error, end of input with
 * nothing read, or a signal, -2 when longer than bufsz - 1.
 */
static ssize_t
admin_pass_line(int fd, char *buf, size_t bufsz)
{
	size_t	 len = 0;
	ssize_t	 r;
	char	 c;
	int	 toolong = 0;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR && !admin_gotsig)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			if (len == 0 && !toolong)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (len + 1 < bufsz)
			buf[len++] = c;
		else
			toolong = 1;
	}
	sodium_memzero(&c, sizeof(c));
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return toolong ? -2 : (ssize_t)len;
}

/*
 * Ask for a passphrase on the terminal with echo off, restoring the
 * terminal whatever happens; a signal that arrives meanwhile is delivered
 * once the terminal is restored.
 */
static ssize_t
admin_pass_tty(int fd, const char *prompt, char *buf, size_t bufsz)
{
	struct sigaction	 sa, old[4];
	struct termios		 t, saved;
	static const int	 sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGTSTP };
	ssize_t			 len;
	int			 i, restore;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = admin_pass_sig;	/* no SA_RESTART: read stops */
	sigemptyset(&sa.sa_mask);
	admin_gotsig = 0;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	restore = tcgetattr(fd, &saved) == 0;
	if (restore) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		t.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &t);
	}
	/* A prompt that cannot be shown still leaves the read to do. */
	if (write(fd, prompt, strlen(prompt)) == -1)
		(void)0;
	len = admin_pass_line(fd, buf, bufsz);
	if (write(fd, "\n", 1) == -1)
		(void)0;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &saved);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (admin_gotsig) {
		sodium_memzero(buf, bufsz);
		raise(admin_gotsig);
		return -1;
	}
	return len;
}

/*
 * The passphrase, in *out (sodium_malloc'ed, NUL-terminated; free with
 * sodium_free). On a terminal it is asked for, twice when confirm is
 * set; otherwise it is the first line of standard input. newpass: a
 * passphrase for a new backup, which must be long enough.
 */
static int
admin_passphrase(int confirm, int newpass, char **out, size_t *outlen)
{
	char	*p = NULL, *q = NULL;
	ssize_t	 len, len2;
	int	 fd = -1, rc = -1;

	*out = NULL;
	*outlen = 0;
	if ((p = sodium_malloc(ADMIN_PASS_MAX + 1)) == NULL ||
	    (q = sodium_malloc(ADMIN_PASS_MAX + 1)) == NULL) {
		warnx("out of memory");
		goto err;
	}
	/* From here: goto err. */
	if (isatty(STDIN_FILENO)) {
		if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
			fd = STDIN_FILENO;
		len = admin_pass_tty(fd, newpass ? "New backup passphrase: " :
		    "Backup passphrase: ", p, ADMIN_PASS_MAX + 1);
	} else
		len = admin_pass_line(STDIN_FILENO, p, ADMIN_PASS_MAX + 1);
	if (len == -2) {
		warnx("the passphrase is longer than %d bytes", ADMIN_PASS_MAX);
		goto err;
	}
	if (len <= 0) {
		warnx("no passphrase given (it is read from the terminal, or "
		    "from the first line of standard input)");
		goto err;
	}
	if (newpass && len < ADMIN_PASS_MIN) {
		warnx("the passphrase must be at least %d characters: it alone "
		    "protects every record's key", ADMIN_PASS_MIN);
		goto err;
	}
	if (confirm && fd != -1) {
		len2 = admin_pass_tty(fd, "Again: ", q, ADMIN_PASS_MAX + 1);
		if (len2 != len || sodium_memcmp(p, q, (size_t)len) != 0) {
			warnx("the two passphrases differ: nothing was done");
			goto err;
		}
	}
	*out = p;
	*outlen = (size_t)len;
	p = NULL;
	rc = 0;
err:
	if (fd != -1 && fd != STDIN_FILENO)
		close(fd);
	sodium_free(p);
	sodium_free(q);
	return rc;
}

/* ---- whose keys ---- */

struct admin_owner {
	int	 set;		/* 0: act as we are */
	uid_t	 uid;
	gid_t	 gid;
};

/*
 * The owner of the secret key directory, when root runs us and it is
 * another user: its key files are then read as that user.
 */
static int
admin_key_reader(struct admin *a, struct admin_owner *o)
{
	struct stat	 st;

	memset(o, 0, sizeof(*o));
	if (geteuid() != 0)
		return 0;
	if (stat(a->cfg.secret_keys, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		warn("%s", a->cfg.secret_keys);
		return -1;
	}
	if (st.st_uid == 0)
		return 0;
	o->set = 1;
	o->uid = st.st_uid;
	o->gid = st.st_gid;
	return 0;
}

/*
 * Who must own key files created here: the clinic worker's user when
 * root runs us with clinic_user set, else the directory's owner.
 */
static int
admin_key_writer(struct admin *a, struct admin_owner *o)
{
	struct passwd	*pw;

	memset(o, 0, sizeof(*o));
	if (geteuid() != 0)
		return 0;
	if (*a->cfg.clinic_user != '\0') {
		if ((pw = getpwnam(a->cfg.clinic_user)) == NULL) {
			warnx("clinic_user %s: no such user",
			    a->cfg.clinic_user);
			return -1;
		}
		o->set = 1;
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
		return 0;
	}
	return admin_key_reader(a, o);
}

/* Take (on) or drop (off) the effective ids of o; no-op when unset. */
static int
admin_become(const struct admin_owner *o, int on)
{
	if (!o->set)
		return 0;
	if (on) {
		if (setegid(o->gid) == -1 || seteuid(o->uid) == -1) {
			warn("cannot act as uid %u", (unsigned)o->uid);
			if (setegid(0) == -1)
				err(ADMIN_FAIL, "cannot return to root");
			return -1;
		}
		return 0;
	}
	if (seteuid(0) == -1 || setegid(0) == -1)
		err(ADMIN_FAIL, "cannot return to root");	/* never */
	return 0;
}

int
admin_keyring(struct admin *a, struct env_keyring **ring)
{
	struct admin_owner	 o;
	char			 why[512];
	enum env_err		 e;

	*ring = NULL;
	if (admin_key_reader(a, &o) == -1 || admin_become(&o, 1) == -1)
		return -1;
	why[0] = '\0';
	e = env_keyring_load(a->cfg.secret_keys, ring, why, sizeof(why));
	admin_become(&o, 0);
	if (e != ENV_OK) {
		warnx("cannot load the secret keys: %s", *why != '\0' ? why :
		    env_strerror(e));
		return -1;
	}
	return 0;
}

/* Give path (a key file or the key directory) to o. */
static int
admin_give(const struct admin_owner *o, const char *dir, const char *name)
{
	char	 path[4096];

	if (!o->set)
		return 0;
	if (name != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", dir);
	if (lchown(path, o->uid, o->gid) == -1) {
		warn("%s: cannot give it to uid %u", path, (unsigned)o->uid);
		return -1;
	}
	return 0;
}

/* The *.key names of dir, as one string "a.key\nb.key\n" (malloc'ed). */
static char *
admin_keynames(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*s, *ns;
	size_t		 len = 0, n;

	if ((s = calloc(1, 1)) == NULL)
		return NULL;
	if ((d = opendir(dir)) == NULL)
		return s;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 4 || strcmp(de->d_name + n - 4, ".key") != 0)
			continue;
		if ((ns = realloc(s, len + n + 2)) == NULL) {
			free(s);
			closedir(d);
			return NULL;
		}
		s = ns;
		memcpy(s + len, de->d_name, n);
		s[len + n] = '\n';
		s[len + n + 1] = '\0';
		len += n + 1;
	}
	closedir(d);
	return s;
}

static int
admin_hasname(const char *names, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p;

	for (p = names; (p = strstr(p, name)) != NULL; p++)
		if ((p == names || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* ---- key-backup ---- */

/* Copy the whole of from into the open fd. */
static int
admin_copy(const char *from, int fd)
{
	char	 b[8192];
	size_t	 total = 0;
	ssize_t	 r, w, off;
	int	 in;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((r = read(in, b, sizeof(b))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (total += (size_t)r) > ADMIN_COPY_MAX)
			goto err;
		for (off = 0; off < r; off += w) {
			w = write(fd, b + off, (size_t)(r - off));
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				goto err;
		}
	}
	close(in);
	return fsync(fd);
err:
	close(in);
	return -1;
}

int
admin_cmd_key_backup(struct admin *a, int argc, char **argv)
{
	struct admin_owner	 o;
	const char		*tmpdir;
	char			*pass = NULL, dir[4096], tmp[4200];
	size_t			 passlen;
	enum env_err		 e;
	int			 fd = -1, rc = ADMIN_FAIL, made = 0;

	if (argc != 2 || argv[1][0] == '-')
		return admin_usage("key-backup");
	if (admin_key_reader(a, &o) == -1)
		return ADMIN_FAIL;
	/* Claim the name first: a backup never replaces a file. */
	if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		if (errno == EEXIST)
			warnx("%s exists: a backup never replaces a file", argv[1]);
		else
			warn("%s", argv[1]);
		return ADMIN_FAIL;
	}
	/* From here: goto out. */
	if (fchmod(fd, 0600) == -1) {
		warn("%s", argv[1]);
		goto out;
	}
	if (admin_passphrase(1, 1, &pass, &passlen) == -1)
		goto out;
	/*
	 * The backup is made in a private directory the keys' owner may
	 * write (when that is not us), then copied to its place as root.
	 */
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir != '/')
		tmpdir = "/tmp";
	snprintf(dir, sizeof(dir), "%s/intakectl.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		warn("%s", dir);
		goto out;
	}
	made = 1;
	snprintf(tmp, sizeof(tmp), "%s/backup", dir);
	if (o.set && chown(dir, o.uid, o.gid) == -1) {
		warn("%s", dir);
		goto out;
	}
	printf("deriving the backup key from the passphrase (Argon2id)...\n");
	fflush(stdout);
	if (admin_become(&o, 1) == -1)
		goto out;
	e = env_backup_write(a->cfg.secret_keys, pass, passlen,
	    ENV_BACKUP_OPSLIMIT, ENV_BACKUP_MEMLIMIT, tmp);
	admin_become(&o, 0);
	if (e != ENV_OK) {
		warnx("cannot back up the keys of %s: %s", a->cfg.secret_keys,
		    env_strerror(e));
		goto out;
	}
	if (admin_copy(tmp, fd) == -1 || close(fd) == -1) {
		fd = -1;
		warn("%s", argv[1]);
		goto out;
	}
	fd = -1;
	printf("backed up the secret keys of %s to %s\n", a->cfg.secret_keys,
	    argv[1]);
	printf("Keep the file and its passphrase apart, away from this "
	    "machine: without a key no record sealed to it can be read.\n");
	rc = ADMIN_OK;
out:
	if (made) {
		unlink(tmp);
		rmdir(dir);
	}
	if (fd != -1)
		close(fd);
	if (rc != ADMIN_OK)
		unlink(argv[1]);
	sodium_free(pass);
	return rc;
}

/* ---- key-restore ---- */

int
admin_cmd_key_restore(struct admin *a, int argc, char **argv)
{
	struct admin_owner	 o;
	struct env_keyring	*ring = NULL;
	struct stat		 st;
	char			*pass = NULL, *before = NULL, *after = NULL;
	char			*p, *nl;
	size_t			 passlen, n = 0;
	enum env_err		 e;
	int			 rc = ADMIN_FAIL, existed;

	if (argc != 2 || argv[1][0] == '-')
		return admin_usage("key-restore");
	if (admin_key_writer(a, &o) == -1)
		return ADMIN_FAIL;
	if (stat(argv[1], &st) == -1) {
		warn("%s", argv[1]);
		return ADMIN_FAIL;
	}
	existed = stat(a->cfg.secret_keys, &st) == 0;
	if ((before = admin_keynames(a->cfg.secret_keys)) == NULL) {
		warnx("out of memory");
		return ADMIN_FAIL;
	}
	/* From here: goto out. */
	if (admin_passphrase(0, 0, &pass, &passlen) == -1)
		goto out;
	printf("deriving the backup key from the passphrase (Argon2id)...\n");
	fflush(stdout);
	e = env_backup_restore(argv[1], pass, passlen, a->cfg.secret_keys);
	switch (e) {
	case ENV_OK:
		break;
	case ENV_ERR_AUTH:
		warnx("%s: wrong passphrase, or the file is damaged: nothing "
		    "was restored", argv[1]);
		goto out;
	case ENV_ERR_EXISTS:
		warnx("%s holds a different key under the same name as one in "
		    "the backup: nothing was restored", a->cfg.secret_keys);
		goto out;
	case ENV_ERR_PERM:
		warnx("%s is open to other users: chmod 700 it; nothing was "
		    "restored", a->cfg.secret_keys);
		goto out;
	default:
		warnx("cannot restore %s into %s: %s", argv[1],
		    a->cfg.secret_keys, env_strerror(e));
		goto out;
	}
	/* The clinic worker reads only keys its own user owns. */
	if ((after = admin_keynames(a->cfg.secret_keys)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (o.set && (!existed || (stat(a->cfg.secret_keys, &st) == 0 &&
	    st.st_uid != o.uid)) &&
	    admin_give(&o, a->cfg.secret_keys, NULL) == -1)
		goto out;
	for (p = after; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if (!admin_hasname(before, p)) {
			if (admin_give(&o, a->cfg.secret_keys, p) == -1)
				goto out;
			printf("restored %.*s\n", (int)(strlen(p) - 4), p);
			n++;
		}
		*nl = '\n';
	}
	if (n == 0)
		printf("every key of the backup was already in %s\n",
		    a->cfg.secret_keys);
	/* Read back as the clinic worker will. */
	if (admin_keyring(a, &ring) == -1)
		goto out;
	printf("%s holds %zu key%s; restart the clinic worker so that it "
	    "loads them\n", a->cfg.secret_keys, env_keyring_count(ring),
	    env_keyring_count(ring) == 1 ? "" : "s");
	rc = ADMIN_OK;
out:
	env_keyring_free(ring);
	sodium_free(pass);
	free(before);
	free(after);
	return rc;
}

/* ---- key-rotate ---- */

int
admin_cmd_key_rotate(struct admin *a, int argc, char **argv)
{
	struct admin_owner	 o;
	struct env_pubkey	 old, pk;
	char			 oldhex[2 * ENV_KEYID_BYTES + 1];
	char			 hex[2 * ENV_KEYID_BYTES + 1], name[64];
	enum env_err		 e;

	(void)argv;
	if (argc != 1)
		return admin_usage("key-rotate");
	if ((e = env_pubkey_load(a->cfg.public_key, &old)) != ENV_OK) {
		warnx("%s: %s: rotation replaces an existing key (a first key "
		    "is made by intakectl keygen)", a->cfg.public_key,
		    env_strerror(e));
		return ADMIN_FAIL;
	}
	if (admin_key_writer(a, &o) == -1)
		return ADMIN_FAIL;
	/* The old secret keys stay where they are: old records need them. */
	if ((e = env_keypair_generate(a->cfg.secret_keys, a->cfg.public_key,
	    &pk)) != ENV_OK) {
		warnx("cannot create the new key pair in %s and %s: %s",
		    a->cfg.secret_keys, a->cfg.public_key, env_strerror(e));
		return ADMIN_FAIL;
	}
	sodium_bin2hex(oldhex, sizeof(oldhex), old.id, sizeof(old.id));
	sodium_bin2hex(hex, sizeof(hex), pk.id, sizeof(pk.id));
	snprintf(name, sizeof(name), "%s.key", hex);
	if (admin_give(&o, a->cfg.secret_keys, name) == -1) {
		warnx("the key %s was created but the clinic worker cannot "
		    "read it until it is given to its user", name);
		return ADMIN_FAIL;
	}
	printf("created key %s; %s now names it instead of %s\n", hex,
	    a->cfg.public_key, oldhex);
	printf("The old secret keys stay in %s: records sealed to them remain "
	    "readable.\n", a->cfg.secret_keys);
	printf("Now restart the clinic worker, so that it loads the new secret "
	    "key, then the intake worker: it reads the public key when it "
	    "starts, and seals new submissions to %s only once restarted.\n",
	    hex);
	printf("Then re-seal the older records to the new key (intakectl "
	    "key-rewrap) and back the keys up again (intakectl key-backup "
	    "FILE).\n");
	return ADMIN_OK;
}

/* ---- key-rewrap ---- */

/* 1 when ring holds the secret key of pk: a test blob opens. */
static int
admin_ring_has(const struct env_keyring *ring, const struct env_pubkey *pk)
{
	static const struct env_ad	 ad = { { 0 }, 1, "rewrap-check" };
	struct env_dk			*dk = NULL;
	unsigned char			*blob = NULL, *pt = NULL;
	size_t				 bloblen = 0, ptlen = 0;
	int				 ok = 0;

	if (env_dk_new(pk, &dk) == ENV_OK &&
	    env_seal(dk, &ad, "x", 1, &blob, &bloblen) == ENV_OK &&
	    env_open(ring, &ad, blob, bloblen, &pt, &ptlen) == ENV_OK)
		ok = 1;
	if (pt != NULL)
		env_plain_free(pt, ptlen);
	free(blob);
	env_dk_free(dk);
	return ok;
}

/* Re-seal every blob of one place; counts what was done and what failed. */
static int
admin_rewrap_place(struct admin *a, const struct env_keyring *ring,
    const struct env_pubkey *pk, size_t place, size_t batch,
    long long *donep, long long *failedp)
{
	struct store_sealed	*v = NULL, *repl = NULL;
	const char		*name = store_sealed_name(place);
	char			 hex[2 * ENV_KEYID_BYTES + 1];
	unsigned char		 id[ENV_KEYID_BYTES];
	long long		 total, after = 0, done = 0, failed = 0;
	size_t			 n = 0, i, k, changed;
	enum store_err		 se;
	enum env_err		 e;
	int			 rc = -1;

	if ((se = store_sealed_count(a->db, place, pk->id, &total)) ==
	    STORE_NOT_FOUND)
		return 0;	/* that table is not there (yet) */
	if (se != STORE_OK) {
		admin_dberr(a, "count the sealed values", se);
		return -1;
	}
	if (total == 0) {
		printf("%s: nothing to re-seal\n", name);
		return 0;
	}
	printf("%s: %lld to re-seal\n", name, total);
	fflush(stdout);
	for (;;) {
		if ((se = store_sealed_next(a->db, place, pk->id, after, batch,
		    &v, &n)) != STORE_OK) {
			admin_dberr(a, "read the sealed values", se);
			goto out;
		}
		if (n == 0)
			break;
		if ((repl = calloc(n, sizeof(*repl))) == NULL) {
			warnx("out of memory");
			goto out;
		}
		for (i = k = 0; i < n; i++) {
			after = v[i].id;
			e = env_rewrap(ring, pk, v[i].blob, v[i].bloblen,
			    &repl[k].blob, &repl[k].bloblen);
			if (e != ENV_OK) {
				failed++;
				if (env_blob_keyid(v[i].blob, v[i].bloblen,
				    id) == ENV_OK) {
					sodium_bin2hex(hex, sizeof(hex), id,
					    sizeof(id));
					warnx("%s of row %lld (sealed to key "
					    "%s): %s", name, v[i].id, hex,
					    env_strerror(e));
				} else
					warnx("%s of row %lld: %s", name,
					    v[i].id, env_strerror(e));
				continue;
			}
			repl[k].id = v[i].id;
			/* Keep the pair aligned: old at k, its re-sealing. */
			if (k != i) {
				free(v[k].blob);
				v[k] = v[i];
				v[i].blob = NULL;
			}
			k++;
		}
		if ((se = store_sealed_replace(a->db, place, pk->id, v, repl, k,
		    &changed)) != STORE_OK) {
			admin_dberr(a, "store the re-sealed values", se);
			store_sealed_free(repl, k);
			repl = NULL;
			goto out;
		}
		done += (long long)changed;
		printf("%s: %lld of %lld re-sealed\n", name, done, total);
		fflush(stdout);
		store_sealed_free(repl, k);
		repl = NULL;
		store_sealed_free(v, n);
		v = NULL;
	}
	rc = 0;
out:
	store_sealed_free(v, n);
	*donep += done;
	*failedp += failed;
	return rc;
}

int
admin_cmd_key_rewrap(struct admin *a, int argc, char **argv)
{
	struct env_keyring	*ring = NULL;
	struct env_pubkey	 pk;
	char			 hex[2 * ENV_KEYID_BYTES + 1], *end;
	unsigned long		 batch = ADMIN_BATCH_DEFAULT;
	long long		 done = 0, failed = 0;
	size_t			 place;
	enum env_err		 e;
	int			 i, rc = ADMIN_FAIL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			errno = 0;
			batch = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || errno != 0 || batch == 0 ||
			    batch > ADMIN_BATCH_MAX) {
				warnx("--batch wants a number from 1 to %d",
				    ADMIN_BATCH_MAX);
				return ADMIN_USAGE;
			}
		} else
			return admin_usage("key-rewrap");
	}
	if ((e = env_pubkey_load(a->cfg.public_key, &pk)) != ENV_OK) {
		warnx("%s: %s", a->cfg.public_key, env_strerror(e));
		return ADMIN_FAIL;
	}
	sodium_bin2hex(hex, sizeof(hex), pk.id, sizeof(pk.id));
	if (admin_keyring(a, &ring) == -1)
		return ADMIN_FAIL;
	/* From here: goto out. */
	if (!admin_ring_has(ring, &pk)) {
		warnx("%s holds no secret key for the public key %s (%s): "
		    "re-sealing to it would make every record unreadable; "
		    "nothing was done", a->cfg.secret_keys, hex,
		    a->cfg.public_key);
		goto out;
	}
	if (admin_db(a) == NULL)
		goto out;
	printf("re-sealing every data key to key %s, %lu per transaction\n",
	    hex, batch);
	for (place = 0; place < store_sealed_places(); place++)
		if (admin_rewrap_place(a, ring, &pk, place, (size_t)batch,
		    &done, &failed) == -1)
			goto out;
	if (failed > 0) {
		warnx("%lld value%s could not be re-sealed (see above); the "
		    "others were: restore the missing keys (intakectl "
		    "key-restore) and run key-rewrap again", failed,
		    failed == 1 ? "" : "s");
		goto out;
	}
	printf("done: %lld value%s re-sealed; every record is sealed to key "
	    "%s\n", done, done == 1 ? "" : "s", hex);
	if (done > 0)
		printf("Keep the old secret keys: backups of the database made "
		    "before now still need them.\n");
	rc = ADMIN_OK;
out:
	env_keyring_free(ring);
	return rc;
}
