/*
 * audit.c: intakectl audit-verify and audit-head (architecture.md,
 * "Audit"). The verifier recomputes every row's hash from its canonical
 * text as sql/003_audit.sql defines it, independently of the database's
 * own functions, checks that ids have no gap and that each row names the
 * hash of the one before, compares the last row with the head row, and
 * with a head printed earlier and kept elsewhere, so that an edit, a
 * deletion in the middle and a truncated tail all show.
 */
#include <err.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin.h"
#include "store/store_admin.h"

#define ADMIN_AUDIT_TAG		"clinic-audit-v1"
#define ADMIN_AUDIT_PROGRESS	100000	/* rows between progress lines */

struct admin_audit {
	long long	 next;		/* id the next row must have */
	unsigned char	 prev[STORE_HASH_BYTES]; /* stored hash of the last row */
	long long	 rows;		/* rows walked */
	long long	 total;		/* rows counted before the walk */
	long long	 first;		/* first broken row, 0: none */
	char		 why[256];	/* what is wrong with it */
	long long	 problems;
	/* the head kept elsewhere (--head) */
	int		 kept;		/* 0 none, 1 hash only, 2 id and hash */
	long long	 kept_id;
	unsigned char	 kept_hash[STORE_HASH_BYTES];
	long long	 kept_at;	/* row holding kept_hash, 0: not seen */
	int		 kept_differs;	/* row kept_id has another hash */
};

void
admin_actor(char *out, size_t outsz)
{
	struct passwd	*pw;

	/* Who ran it, for the audit log: the login, not a role. */
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(out, outsz, "intakectl:%s", pw->pw_name);
	else
		snprintf(out, outsz, "intakectl:uid%u", (unsigned)getuid());
}

static void
admin_audit_problem(struct admin_audit *v, long long id, const char *why)
{
	v->problems++;
	if (v->first != 0)
		return;
	v->first = id;
	snprintf(v->why, sizeof(v->why), "%s", why);
}

/*
 * hash = sha256(prev_hash || canonical), the canonical text being
 * "clinic-audit-v1", id, at (microseconds since the Unix epoch), then
 * actor, action, target, address each as "-" for NULL or "<bytes>:<value>",
 * joined by "\n" with no final newline (sql/003_audit.sql).
 */
static void
admin_audit_hash(const struct store_audit_row *r,
    unsigned char out[STORE_HASH_BYTES])
{
	crypto_hash_sha256_state	 st;
	char				 num[64];
	int				 i, len;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, r->prev_hash, r->prev_hashlen);
	len = snprintf(num, sizeof(num), ADMIN_AUDIT_TAG "\n%lld\n%lld",
	    r->id, r->at_us);
	crypto_hash_sha256_update(&st, (const unsigned char *)num,
	    (unsigned long long)len);
	for (i = 0; i < 4; i++) {
		if (r->field[i] == NULL)
			len = snprintf(num, sizeof(num), "\n-");
		else
			len = snprintf(num, sizeof(num), "\n%zu:",
			    r->fieldlen[i]);
		crypto_hash_sha256_update(&st, (const unsigned char *)num,
		    (unsigned long long)len);
		if (r->field[i] != NULL)
			crypto_hash_sha256_update(&st,
			    (const unsigned char *)r->field[i], r->fieldlen[i]);
	}
	crypto_hash_sha256_final(&st, out);
}

static int
admin_audit_row(const struct store_audit_row *r, void *arg)
{
	struct admin_audit	*v = arg;
	unsigned char		 h[STORE_HASH_BYTES];
	char			 why[256];
	int			 bad = 0;

	v->rows++;
	if (v->rows % ADMIN_AUDIT_PROGRESS == 0) {
		printf("checked %lld of %lld rows\n", v->rows,
		    v->total > v->rows ? v->total : v->rows);
		fflush(stdout);
	}
	if (r->id != v->next) {
		if (r->id == v->next + 1)
			snprintf(why, sizeof(why), "row %lld is missing: it "
			    "was deleted", v->next);
		else
			snprintf(why, sizeof(why), "rows %lld to %lld are "
			    "missing: they were deleted", v->next, r->id - 1);
		admin_audit_problem(v, v->next, why);
		bad = 1;
	}
	if (r->hashlen != STORE_HASH_BYTES ||
	    r->prev_hashlen != STORE_HASH_BYTES) {
		snprintf(why, sizeof(why), "row %lld holds a malformed hash",
		    r->id);
		admin_audit_problem(v, r->id, why);
		memset(v->prev, 0, sizeof(v->prev));
		v->next = r->id + 1;
		return 0;
	}
	if (!bad && memcmp(r->prev_hash, v->prev, STORE_HASH_BYTES) != 0) {
		if (r->id == 1)
			snprintf(why, sizeof(why), "row 1 does not start the "
			    "chain: earlier rows were removed or it was "
			    "rewritten");
		else
			snprintf(why, sizeof(why), "row %lld does not follow "
			    "row %lld (it names another hash as the one "
			    "before): one of them was rewritten", r->id,
			    r->id - 1);
		admin_audit_problem(v, r->id, why);
	}
	admin_audit_hash(r, h);
	if (sodium_memcmp(h, r->hash, sizeof(h)) != 0) {
		snprintf(why, sizeof(why), "row %lld was changed after it was "
		    "written: its hash does not match its contents", r->id);
		admin_audit_problem(v, r->id, why);
	}
	if (v->kept == 2 && r->id == v->kept_id) {
		if (memcmp(r->hash, v->kept_hash, STORE_HASH_BYTES) == 0)
			v->kept_at = r->id;
		else
			v->kept_differs = 1;
	} else if (v->kept == 1 && v->kept_at == 0 &&
	    memcmp(r->hash, v->kept_hash, STORE_HASH_BYTES) == 0)
		v->kept_at = r->id;
	/* Go on from what is stored: one problem is reported once. */
	memcpy(v->prev, r->hash, STORE_HASH_BYTES);
	v->next = r->id + 1;
	return 0;
}

/* "ID:HEX" or "HEX" (64 hex digits). Returns 0, or -1. */
static int
admin_audit_parse_head(const char *s, struct admin_audit *v)
{
	const char	*hex = s, *colon;
	char		*end;
	size_t		 len;

	if ((colon = strchr(s, ':')) != NULL) {
		if (colon == s || *s < '0' || *s > '9')
			return -1;
		errno = 0;
		v->kept_id = strtoll(s, &end, 10);
		if (end != colon || errno != 0 || v->kept_id < 0)
			return -1;
		hex = colon + 1;
	}
	len = strlen(hex);
	if (len != 2 * STORE_HASH_BYTES ||
	    sodium_hex2bin(v->kept_hash, sizeof(v->kept_hash), hex, len,
	    NULL, NULL, NULL) != 0)
		return -1;
	v->kept = colon != NULL ? 2 : 1;
	return 0;
}

static void
admin_audit_print_head(const char *what, long long id,
    const unsigned char hash[STORE_HASH_BYTES])
{
	char	 hex[2 * STORE_HASH_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), hash, STORE_HASH_BYTES);
	printf("%s %lld:%s\n", what, id, hex);
}

int
admin_cmd_audit_verify(struct admin *a, int argc, char **argv)
{
	struct admin_audit	 v;
	struct store_audit_head	 head;
	struct store		*db;
	unsigned char		 zero[STORE_HASH_BYTES];
	char			 why[256];
	long long		 last;
	enum store_err		 e;
	int			 i;

	memset(&v, 0, sizeof(v));
	memset(zero, 0, sizeof(zero));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--head") == 0 && i + 1 < argc) {
			if (admin_audit_parse_head(argv[++i], &v) == -1) {
				warnx("--head wants ID:HASH as audit-head "
				    "prints it, or the 64 hex digits of the "
				    "hash alone");
				return ADMIN_USAGE;
			}
		} else
			return admin_usage("audit-verify");
	}
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	v.next = 1;
	if ((e = store_audit_walk(db, &head, &v.total, admin_audit_row,
	    &v)) != STORE_OK) {
		admin_dberr(a, "read the audit log", e);
		return ADMIN_FAIL;
	}
	last = v.next - 1;

	/* The tail: the head row is written with every append. */
	if (head.id > last) {
		snprintf(why, sizeof(why), "the log ends at row %lld but its "
		    "head records row %lld: rows %lld to %lld were deleted "
		    "from the end", last, head.id, last + 1, head.id);
		admin_audit_problem(&v, last + 1, why);
	} else if (head.id < last) {
		snprintf(why, sizeof(why), "rows %lld to %lld come after the "
		    "head row (row %lld): they were not written by "
		    "audit_append", head.id + 1, last, head.id);
		admin_audit_problem(&v, head.id + 1, why);
	} else if (memcmp(head.hash, last > 0 ? v.prev : zero,
	    sizeof(zero)) != 0) {
		snprintf(why, sizeof(why), "the head row's hash is not row "
		    "%lld's: the head or the last row was rewritten", last);
		admin_audit_problem(&v, last, why);
	}
	/* The head kept elsewhere: catches a tail deleted head and all. */
	if (v.kept == 2 && v.kept_id > last) {
		snprintf(why, sizeof(why), "the head kept elsewhere is row "
		    "%lld but the log ends at row %lld: rows were deleted from "
		    "the end", v.kept_id, last);
		admin_audit_problem(&v, last + 1, why);
	} else if (v.kept == 2 && v.kept_id == 0 &&
	    memcmp(v.kept_hash, zero, sizeof(zero)) != 0) {
		admin_audit_problem(&v, 0, "the head kept elsewhere names row "
		    "0 with a hash other than the empty log's");
	} else if (v.kept == 2 && v.kept_id > 0 && v.kept_differs) {
		snprintf(why, sizeof(why), "row %lld's hash is not the one "
		    "kept elsewhere: the log was rewritten up to that row",
		    v.kept_id);
		admin_audit_problem(&v, v.kept_id, why);
	} else if (v.kept == 1 && v.kept_at == 0 &&
	    memcmp(v.kept_hash, zero, sizeof(zero)) != 0) {
		admin_audit_problem(&v, last + 1, "the head kept elsewhere is "
		    "not in the log: rows were deleted from the end, or the "
		    "log was rewritten");
	}

	if (v.problems > 0) {
		warnx("the audit log is broken at row %lld: %s", v.first,
		    v.why);
		if (v.problems > 1)
			warnx("%lld more problem%s after it", v.problems - 1,
			    v.problems > 2 ? "s" : "");
		return ADMIN_FAIL;
	}
	printf("audit log: %lld row%s checked, the chain is intact\n",
	    v.rows, v.rows == 1 ? "" : "s");
	admin_audit_print_head("head", head.id, head.hash);
	if (v.kept != 0)
		printf("the head kept elsewhere (row %lld) is in the chain\n",
		    v.kept == 2 ? v.kept_id : v.kept_at);
	else
		printf("without --head, a deletion of the last rows together "
		    "with the head row cannot be seen: keep the head "
		    "(intakectl audit-head) elsewhere\n");
	return ADMIN_OK;
}

int
admin_cmd_audit_head(struct admin *a, int argc, char **argv)
{
	struct store_audit_head	 head;
	struct store		*db;
	char			 hex[2 * STORE_HASH_BYTES + 1];
	enum store_err		 e;

	(void)argv;
	if (argc != 1)
		return admin_usage("audit-head");
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	if ((e = store_audit_head(db, &head)) != STORE_OK) {
		admin_dberr(a, "read the audit log's head", e);
		return ADMIN_FAIL;
	}
	sodium_bin2hex(hex, sizeof(hex), head.hash, sizeof(head.hash));
	admin_audit_print_head("audit log head", head.id, head.hash);
	printf("Keep this line away from this machine; check the log against "
	    "it with: intakectl audit-verify --head %lld:%s\n", head.id, hex);
	return ADMIN_OK;
}
