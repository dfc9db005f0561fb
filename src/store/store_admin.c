/*
 * store_admin.c: the owner's statements behind intakectl's audit, key
 * rotation and retention commands (see store_admin.h). Every statement
 * goes through store_query (store.c: connecting, reconnecting, sorting
 * of failures) and is one statement, so each is its own transaction;
 * what must change together is one statement or one function of
 * sql/008_admin.sql. Only SQLSTATEs are logged, never a value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/store_admin.h"

#define STORE_AUDIT_PAGE	2000	/* rows per audit page */
/* PostgreSQL's epoch (2000-01-01) in Unix microseconds. */
#define STORE_PG_EPOCH_US	946684800000000LL
#define STORE_KEYID_BYTES	8

/* ---- small helpers ---- */

static int
store_admin_i64(const PGresult *res, int row, int col, long long *out)
{
	const unsigned char	*v;
	uint64_t		 u = 0;
	int			 i;

	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 8)
		return -1;
	v = (const unsigned char *)PQgetvalue(res, row, col);
	for (i = 0; i < 8; i++)
		u = (u << 8) | v[i];
	*out = (long long)u;
	return 0;
}

/* A decimal bigint column of a text result. */
static int
store_admin_ll(const PGresult *res, int row, int col, long long *out)
{
	char	*end;

	if (PQgetisnull(res, row, col))
		return -1;
	*out = strtoll(PQgetvalue(res, row, col), &end, 10);
	return *end == '\0' && end != PQgetvalue(res, row, col) ? 0 : -1;
}

static enum store_err
store_admin_unexpected(struct store *s, PGresult *res, const char *what)
{
	(void)s;
	log_error("store: %s: unexpected result", what);
	PQclear(res);
	return STORE_ERROR;
}

/* "1,2,3" into a malloc'ed array; "" is none. -1 on a bad list or memory. */
static int
store_admin_ids(const char *list, long long **out, size_t *n)
{
	const char	*p;
	char		*end;
	size_t		 cap = 1, i = 0;
	long long	*v;

	*out = NULL;
	*n = 0;
	if (*list == '\0')
		return 0;
	for (p = list; *p != '\0'; p++)
		cap += *p == ',';
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return -1;
	for (p = list; i < cap; i++) {
		v[i] = strtoll(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0')) {
			free(v);
			return -1;
		}
		p = end + (*end == ',');
	}
	*out = v;
	*n = cap;
	return 0;
}

/* "{1,2,3}": a bigint[] parameter in text form. */
static void
store_admin_idarray(struct buf *b, const long long *ids, size_t n)
{
	size_t	 i;

	buf_putc(b, '{');
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", ids[i]);
	buf_putc(b, '}');
}

/* ---- the audit chain ---- */

enum store_err
store_audit_head(struct store *s, struct store_audit_head *h)
{
	PGresult	*res;
	enum store_err	 rc;

	memset(h, 0, sizeof(*h));
	if ((rc = store_query(s, "SELECT id, hash FROM audit_head",
	    0, NULL, NULL, NULL, 1, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	if (PQntuples(res) != 1 || store_admin_i64(res, 0, 0, &h->id) == -1 ||
	    PQgetlength(res, 0, 1) != STORE_HASH_BYTES)
		return store_admin_unexpected(s, res, "audit head");
	memcpy(h->hash, PQgetvalue(res, 0, 1), STORE_HASH_BYTES);
	PQclear(res);
	return STORE_OK;
}

/* One page of rows after id *last; *got rows passed to fn. */
static enum store_err
store_audit_page(struct store *s, long long *last, int *got,
    store_audit_fn fn, void *arg, int *stopped)
{
	struct store_audit_row	 r;
	PGresult		*res;
	const char		*v[2];
	char			 after[24], limit[16];
	enum store_err		 rc;
	int			 i, j, rows;

	*got = 0;
	snprintf(after, sizeof(after), "%lld", *last);
	snprintf(limit, sizeof(limit), "%d", STORE_AUDIT_PAGE);
	v[0] = after;
	v[1] = limit;
	if ((rc = store_query(s,
	    "SELECT id, at, actor, action, target, address, prev_hash, hash"
	    " FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
	    2, v, NULL, NULL, 1, &res)) != STORE_OK)
		return rc;
	if (PQnfields(res) != 8)
		return store_admin_unexpected(s, res, "audit walk");
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		memset(&r, 0, sizeof(r));
		if (store_admin_i64(res, i, 0, &r.id) == -1 ||
		    store_admin_i64(res, i, 1, &r.at_us) == -1 ||
		    PQgetisnull(res, i, 6) || PQgetisnull(res, i, 7))
			return store_admin_unexpected(s, res, "audit walk");
		/* Binary timestamptz: microseconds since 2000-01-01 UTC. */
		r.at_us += STORE_PG_EPOCH_US;
		for (j = 0; j < 4; j++)
			if (!PQgetisnull(res, i, 2 + j)) {
				r.field[j] = PQgetvalue(res, i, 2 + j);
				r.fieldlen[j] =
				    (size_t)PQgetlength(res, i, 2 + j);
			}
		r.prev_hash = (const unsigned char *)PQgetvalue(res, i, 6);
		r.prev_hashlen = (size_t)PQgetlength(res, i, 6);
		r.hash = (const unsigned char *)PQgetvalue(res, i, 7);
		r.hashlen = (size_t)PQgetlength(res, i, 7);
		*last = r.id;
		(*got)++;
		if (fn(&r, arg) != 0) {
			*stopped = 1;
			break;
		}
	}
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_audit_walk(struct store *s, struct store_audit_head *head,
    long long *nrows, store_audit_fn fn, void *arg)
{
	struct store_audit_head	 h;
	PGresult		*res;
	long long		 last = 0;
	enum store_err		 rc;
	int			 got, stopped = 0;

	*nrows = 0;
	if ((rc = store_audit_head(s, head)) != STORE_OK)
		return rc;
	if ((rc = store_query(s, "SELECT count(*) FROM audit_log",
	    0, NULL, NULL, NULL, 1, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || store_admin_i64(res, 0, 0, nrows) == -1)
		return store_admin_unexpected(s, res, "audit count");
	PQclear(res);
	/*
	 * Pages by id, not one snapshot: rows appended meanwhile are walked
	 * too, and the head is re-read until it stops moving, so the head
	 * handed back belongs to the last row walked.
	 */
	for (;;) {
		do {
			if ((rc = store_audit_page(s, &last, &got, fn, arg,
			    &stopped)) != STORE_OK)
				return rc;
		} while (!stopped && got == STORE_AUDIT_PAGE);
		if (stopped)
			return STORE_OK;
		if ((rc = store_audit_head(s, &h)) != STORE_OK)
			return rc;
		if (h.id <= last || (h.id == head->id &&
		    memcmp(h.hash, head->hash, sizeof(h.hash)) == 0)) {
			*head = h;
			return STORE_OK;
		}
		*head = h;
	}
}

/* ---- sealed blobs ---- */

/*
 * Where blobs sealed to the clinic key live, and the statements that find
 * and replace them. The key id is read from the blob's own header; an
 * intake also names it in key_id, kept equal.
 */
static const struct store_place {
	const char	*name;
	const char	*table;
	const char	*count;
	const char	*next;
	const char	*replace;
} store_places[] = {
	{ "intakes.answers_blob", "intakes",
	    "SELECT count(*) FROM intakes WHERE key_id <> $1"
	    " OR envelope_key_id(answers_blob) <> $1",
	    "SELECT id, answers_blob FROM intakes WHERE id > $2"
	    " AND (key_id <> $1 OR envelope_key_id(answers_blob) <> $1)"
	    " ORDER BY id LIMIT $3",
	    "UPDATE intakes AS t SET answers_blob = decode(u.nb, 'hex'),"
	    " key_id = $1"
	    " FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (id, oh, nb)"
	    " WHERE t.id = u.id AND sha256(t.answers_blob) = decode(u.oh, 'hex')" },
	{ "flags.blob", "flags",
	    "SELECT count(*) FROM flags WHERE envelope_key_id(blob) <> $1",
	    "SELECT id, blob FROM flags WHERE id > $2"
	    " AND envelope_key_id(blob) <> $1 ORDER BY id LIMIT $3",
	    "UPDATE flags AS t SET blob = decode(u.nb, 'hex')"
	    " FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (id, oh, nb)"
	    " WHERE t.id = u.id AND sha256(t.blob) = decode(u.oh, 'hex')"
	    " AND $1::bytea IS NOT NULL" },
	{ "consents.note_blob", "consents",
	    "SELECT count(*) FROM consents WHERE note_blob IS NOT NULL"
	    " AND envelope_key_id(note_blob) <> $1",
	    "SELECT id, note_blob FROM consents WHERE id > $2"
	    " AND note_blob IS NOT NULL AND envelope_key_id(note_blob) <> $1"
	    " ORDER BY id LIMIT $3",
	    "UPDATE consents AS t SET note_blob = decode(u.nb, 'hex')"
	    " FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (id, oh, nb)"
	    " WHERE t.id = u.id AND sha256(t.note_blob) = decode(u.oh, 'hex')"
	    " AND $1::bytea IS NOT NULL" },
	{ "flag_decisions.note_blob", "flag_decisions",
	    "SELECT count(*) FROM flag_decisions WHERE note_blob IS NOT NULL"
	    " AND envelope_key_id(note_blob) <> $1",
	    "SELECT id, note_blob FROM flag_decisions WHERE id > $2"
	    " AND note_blob IS NOT NULL AND envelope_key_id(note_blob) <> $1"
	    " ORDER BY id LIMIT $3",
	    "UPDATE flag_decisions AS t SET note_blob = decode(u.nb, 'hex')"
	    " FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (id, oh, nb)"
	    " WHERE t.id = u.id AND sha256(t.note_blob) = decode(u.oh, 'hex')"
	    " AND $1::bytea IS NOT NULL" },
};
#define STORE_NPLACES	(sizeof(store_places) / sizeof(store_places[0]))

size_t
store_sealed_places(void)
{
	return STORE_NPLACES;
}

const char *
store_sealed_name(size_t place)
{
	return place < STORE_NPLACES ? store_places[place].name : "?";
}

/* STORE_NOT_FOUND when the place's table does not exist (yet). */
static enum store_err
store_place_exists(struct store *s, size_t place)
{
	PGresult	*res;
	const char	*v[1];
	enum store_err	 rc;

	if (place >= STORE_NPLACES)
		return STORE_ERROR;
	v[0] = store_places[place].table;
	if ((rc = store_query(s, "SELECT to_regclass($1) IS NOT NULL",
	    1, v, NULL, NULL, 0, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1)
		return store_admin_unexpected(s, res, "sealed place");
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? STORE_OK :
	    STORE_NOT_FOUND;
	PQclear(res);
	return rc;
}

enum store_err
store_sealed_count(struct store *s, size_t place,
    const unsigned char keyid[8], long long *n)
{
	PGresult	*res;
	const char	*v[1];
	int		 l[1], f[1];
	enum store_err	 rc;

	*n = 0;
	if ((rc = store_place_exists(s, place)) != STORE_OK)
		return rc;
	v[0] = (const char *)keyid;
	l[0] = STORE_KEYID_BYTES;
	f[0] = 1;
	if ((rc = store_query(s, store_places[place].count, 1, v, l, f,
	    0, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || store_admin_ll(res, 0, 0, n) == -1)
		return store_admin_unexpected(s, res, "sealed count");
	PQclear(res);
	return STORE_OK;
}

void
store_sealed_free(struct store_sealed *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].blob);
	free(v);
}

enum store_err
store_sealed_next(struct store *s, size_t place,
    const unsigned char keyid[8], long long after, size_t max,
    struct store_sealed **out, size_t *np)
{
	struct store_sealed	*v = NULL;
	PGresult		*res;
	const char		*p[3];
	int			 l[3], f[3], i, rows;
	char			 a[24], m[24];
	enum store_err		 rc;

	*out = NULL;
	*np = 0;
	if (place >= STORE_NPLACES || max == 0 || max > 100000)
		return STORE_ERROR;
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(m, sizeof(m), "%zu", max);
	p[0] = (const char *)keyid;
	l[0] = STORE_KEYID_BYTES;
	f[0] = 1;
	p[1] = a;
	p[2] = m;
	l[1] = l[2] = 0;
	f[1] = f[2] = 0;
	if ((rc = store_query(s, store_places[place].next, 3, p, l, f, 1,
	    &res)) != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (PQnfields(res) != 2)
		return store_admin_unexpected(s, res, "sealed next");
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(res);
		log_error("store: sealed next: out of memory");
		return STORE_ERROR;
	}
	for (i = 0; i < rows; i++) {
		if (store_admin_i64(res, i, 0, &v[i].id) == -1 ||
		    PQgetisnull(res, i, 1)) {
			store_sealed_free(v, (size_t)rows);
			return store_admin_unexpected(s, res, "sealed next");
		}
		v[i].bloblen = (size_t)PQgetlength(res, i, 1);
		if ((v[i].blob = malloc(v[i].bloblen + 1)) == NULL) {
			store_sealed_free(v, (size_t)rows);
			PQclear(res);
			log_error("store: sealed next: out of memory");
			return STORE_ERROR;
		}
		memcpy(v[i].blob, PQgetvalue(res, i, 1), v[i].bloblen);
	}
	PQclear(res);
	*out = v;
	*np = (size_t)rows;
	return STORE_OK;
}

/* Append the lower-case hex of len bytes. */
static void
store_admin_hex(struct buf *b, const unsigned char *p, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	if (buf_reserve(b, 2 * len + 1) == -1)
		return;
	for (i = 0; i < len; i++) {
		b->data[b->len++] = hex[p[i] >> 4];
		b->data[b->len++] = hex[p[i] & 15];
	}
	b->data[b->len] = '\0';
}

enum store_err
store_sealed_replace(struct store *s, size_t place,
    const unsigned char keyid[8], const struct store_sealed *old,
    const struct store_sealed *repl, size_t n, size_t *done)
{
	struct buf	 ids, oh, nb;
	unsigned char	 h[crypto_hash_sha256_BYTES];
	PGresult	*res = NULL;
	const char	*p[4];
	int		 l[4], f[4];
	size_t		 i;
	char		*end;
	enum store_err	 rc = STORE_ERROR;

	*done = 0;
	if (place >= STORE_NPLACES)
		return STORE_ERROR;
	if (n == 0)
		return STORE_OK;
	buf_init(&ids);
	buf_init(&oh);
	buf_init(&nb);
	/* From here: goto err. */
	buf_putc(&ids, '{');
	buf_putc(&oh, '{');
	buf_putc(&nb, '{');
	for (i = 0; i < n; i++) {
		if (old[i].id != repl[i].id)
			goto err;
		/* The old blob by its hash: a row changed meanwhile stays. */
		crypto_hash_sha256(h, old[i].blob, old[i].bloblen);
		buf_printf(&ids, "%s%lld", i ? "," : "", old[i].id);
		if (i > 0) {
			buf_putc(&oh, ',');
			buf_putc(&nb, ',');
		}
		store_admin_hex(&oh, h, sizeof(h));
		store_admin_hex(&nb, repl[i].blob, repl[i].bloblen);
	}
	buf_putc(&ids, '}');
	buf_putc(&oh, '}');
	buf_putc(&nb, '}');
	if (buf_failed(&ids) || buf_failed(&oh) || buf_failed(&nb)) {
		log_error("store: sealed replace: out of memory");
		goto err;
	}
	p[0] = (const char *)keyid;
	l[0] = STORE_KEYID_BYTES;
	f[0] = 1;
	p[1] = ids.data;
	p[2] = oh.data;
	p[3] = nb.data;
	l[1] = l[2] = l[3] = 0;
	f[1] = f[2] = f[3] = 0;
	/* One statement: the whole batch or none of it. */
	if ((rc = store_query(s, store_places[place].replace, 4, p, l, f,
	    0, &res)) != STORE_OK)
		goto err;
	*done = (size_t)strtoul(PQcmdTuples(res), &end, 10);
	rc = STORE_OK;
err:
	PQclear(res);
	buf_free(&ids);
	buf_free(&oh);
	buf_free(&nb);
	return rc;
}

/* ---- patients ---- */

/*
 * One row per patient: key, given and family name of the latest intake,
 * date of birth, dates of the latest intake and of the latest appointment
 * not cancelled in the clinic's zone ($1), the intake ids, the ids of the
 * appointments they are tied to. $2..$4: one patient, or all when NULL.
 */
#define STORE_PATIENTS_SQL \
	"SELECT i.patient_key," \
	" (array_agg(i.given_name ORDER BY i.received_at DESC, i.id DESC))[1]," \
	" (array_agg(i.family_name ORDER BY i.received_at DESC, i.id DESC))[1]," \
	" to_char(min(i.date_of_birth), 'YYYY-MM-DD')," \
	" to_char(max((i.received_at AT TIME ZONE $1)::date), 'YYYY-MM-DD')," \
	" coalesce(to_char(max((a.starts_at AT TIME ZONE $1)::date)" \
	"  FILTER (WHERE a.cancelled_at IS NULL), 'YYYY-MM-DD'), '')," \
	" array_to_string(array_agg(i.id ORDER BY i.id), ',')," \
	" coalesce(array_to_string(array_agg(DISTINCT a.id)" \
	"  FILTER (WHERE a.id IS NOT NULL), ','), '')" \
	" FROM intakes AS i LEFT JOIN appointments AS a" \
	"  ON a.id = i.appointment_id" \
	" WHERE $2::text IS NULL" \
	"  OR i.patient_key = patient_key_of($2, $3, $4::date)" \
	" GROUP BY i.patient_key ORDER BY 3, 2, 4, 1"

void
store_patient_clear(struct store_patient *p)
{
	if (p == NULL)
		return;
	free(p->key);
	free(p->given);
	free(p->family);
	free(p->intakes);
	free(p->appts);
	memset(p, 0, sizeof(*p));
}

void
store_patients_free(struct store_patient *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_patient_clear(&v[i]);
	free(v);
}

static int
store_patient_fill(const PGresult *res, int row, struct store_patient *p)
{
	int	 c;

	memset(p, 0, sizeof(*p));
	for (c = 0; c < 8; c++)
		if (PQgetisnull(res, row, c) && c != 1 && c != 2)
			return -1;
	if (PQgetlength(res, row, 3) != 10 || PQgetlength(res, row, 4) != 10 ||
	    (PQgetlength(res, row, 5) != 10 && PQgetlength(res, row, 5) != 0))
		return -1;
	if ((p->key = strdup(PQgetvalue(res, row, 0))) == NULL ||
	    (p->given = strdup(PQgetvalue(res, row, 1))) == NULL ||
	    (p->family = strdup(PQgetvalue(res, row, 2))) == NULL)
		return -1;
	memcpy(p->dob, PQgetvalue(res, row, 3), 11);
	memcpy(p->last_intake, PQgetvalue(res, row, 4), 11);
	memcpy(p->last_appt, PQgetvalue(res, row, 5),
	    (size_t)PQgetlength(res, row, 5) + 1);
	if (store_admin_ids(PQgetvalue(res, row, 6), &p->intakes,
	    &p->nintakes) == -1 || p->nintakes == 0 ||
	    store_admin_ids(PQgetvalue(res, row, 7), &p->appts,
	    &p->nappts) == -1)
		return -1;
	return 0;
}

static enum store_err
store_patients_query(struct store *s, const char *tz, const char *given,
    const char *family, const char *dob, struct store_patient **out,
    size_t *np)
{
	struct store_patient	*v = NULL;
	PGresult		*res;
	const char		*p[4];
	enum store_err		 rc;
	int			 i, rows;

	*out = NULL;
	*np = 0;
	p[0] = tz;
	p[1] = given;
	p[2] = family;
	p[3] = dob;
	if ((rc = store_query(s, STORE_PATIENTS_SQL, 4, p, NULL, NULL, 0,
	    &res)) != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (PQnfields(res) != 8)
		return store_admin_unexpected(s, res, "patients");
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(res);
		log_error("store: patients: out of memory");
		return STORE_ERROR;
	}
	for (i = 0; i < rows; i++)
		if (store_patient_fill(res, i, &v[i]) == -1) {
			store_patients_free(v, (size_t)rows);
			return store_admin_unexpected(s, res, "patients");
		}
	PQclear(res);
	*out = v;
	*np = (size_t)rows;
	return STORE_OK;
}

enum store_err
store_patients(struct store *s, const char *tz, char today[11],
    struct store_patient **out, size_t *n)
{
	PGresult	*res;
	const char	*p[1];
	enum store_err	 rc;

	*out = NULL;
	*n = 0;
	p[0] = tz;
	if ((rc = store_query(s,
	    "SELECT to_char((now() AT TIME ZONE $1)::date, 'YYYY-MM-DD')",
	    1, p, NULL, NULL, 0, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || PQgetlength(res, 0, 0) != 10)
		return store_admin_unexpected(s, res, "today");
	memcpy(today, PQgetvalue(res, 0, 0), 11);
	PQclear(res);
	return store_patients_query(s, tz, NULL, NULL, NULL, out, n);
}

enum store_err
store_patient_find(struct store *s, const char *tz, const char *given,
    const char *family, const char *dob, struct store_patient *out)
{
	struct store_patient	*v;
	size_t			 n;
	enum store_err		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_patients_query(s, tz, given, family, dob, &v,
	    &n)) != STORE_OK)
		return rc;
	if (n == 0)
		return STORE_NOT_FOUND;
	/* patient_key is the grouping: one row at most. */
	*out = v[0];
	memset(&v[0], 0, sizeof(v[0]));
	store_patients_free(v, n);
	return STORE_OK;
}

enum store_err
store_patient_purge(struct store *s, const struct store_patient *pt,
    const char *tz, const char *actor, struct store_purged *c, int *stale)
{
	struct buf	 ids, appts;
	PGresult	*res = NULL;
	const char	*p[7];
	enum store_err	 rc = STORE_ERROR;

	memset(c, 0, sizeof(*c));
	*stale = 0;
	buf_init(&ids);
	buf_init(&appts);
	/* From here: goto err. */
	store_admin_idarray(&ids, pt->intakes, pt->nintakes);
	store_admin_idarray(&appts, pt->appts, pt->nappts);
	if (buf_failed(&ids) || buf_failed(&appts)) {
		log_error("store: purge: out of memory");
		goto err;
	}
	p[0] = pt->key;
	p[1] = ids.data;
	p[2] = appts.data;
	p[3] = tz;
	p[4] = pt->last_intake;
	p[5] = *pt->last_appt != '\0' ? pt->last_appt : NULL;
	p[6] = actor;
	/* One function call, one transaction: sql/008_admin.sql. */
	if ((rc = store_query(s,
	    "SELECT stale, intakes, flags, consents, decisions, appointments"
	    " FROM admin_purge_patient($1, $2::bigint[], $3::bigint[], $4,"
	    " $5::date, $6::date, $7)", 7, p, NULL, NULL, 0, &res)) != STORE_OK)
		goto err;
	rc = STORE_ERROR;
	if (PQntuples(res) != 1 || PQnfields(res) != 6 ||
	    PQgetisnull(res, 0, 0) ||
	    store_admin_ll(res, 0, 1, &c->intakes) == -1 ||
	    store_admin_ll(res, 0, 2, &c->flags) == -1 ||
	    store_admin_ll(res, 0, 3, &c->consents) == -1 ||
	    store_admin_ll(res, 0, 4, &c->decisions) == -1 ||
	    store_admin_ll(res, 0, 5, &c->appointments) == -1) {
		log_error("store: purge: unexpected result");
		goto err;
	}
	*stale = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	rc = STORE_OK;
err:
	PQclear(res);
	buf_free(&ids);
	buf_free(&appts);
	return rc;
}
