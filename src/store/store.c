/*
 * store.c: the one file that speaks libpq (see store.h).
 *
 * A struct store holds a conninfo and at most one connection, opened on
 * first use and re-opened after a failure. The service's statements are
 * prepared once per connection, on first use, and run with PQexecPrepared:
 * bytea parameters go in binary, arrays as binary arrays, results come
 * back binary. Failures are sorted into STORE_UNAVAILABLE (the database is
 * down, busy or restarting: try again later) and STORE_ERROR (a bug); only
 * the SQLSTATE is logged, never a value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/store.h"

/* Type OIDs of the binary array elements we send (pg_type.dat, fixed). */
#define STORE_OID_BYTEA		17
#define STORE_OID_TEXT		25

/* Serialises migrators: an arbitrary constant, ours alone. */
#define STORE_MIGRATE_LOCK	"7231911364"

#define STORE_MAXPARAMS		26

struct store {
	char		*conninfo;
	unsigned	 timeout_ms;
	PGconn		*conn;
	uint32_t	 prepared;	/* bit per store_stmt, this connection */
	char		 lasterr[256];
};

/* The prepared statements of the service, prepared lazily per connection. */
enum store_stmt {
	STMT_PING,
	STMT_SUBMIT,
	STMT_RECEIPT,
	STMT_INVITE,
	STMT_CONSENT,
	STMT_AUDIT,
	STMT__MAX
};

static const struct {
	const char	*name;
	const char	*sql;
} store_stmts[STMT__MAX] = {
	[STMT_PING] = { "ping", "SELECT 1" },
	[STMT_SUBMIT] = { "submit",
	    "SELECT outcome, reference, received_at, urgent_sealed"
	    " FROM intake_submit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
	    " $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,"
	    " $23, $24, $25, $26)" },
	[STMT_RECEIPT] = { "receipt",
	    "SELECT reference, received_at, urgent_sealed"
	    " FROM intake_receipt($1)" },
	[STMT_INVITE] = { "invite", "SELECT intake_invite_valid($1)" },
	[STMT_CONSENT] = { "consent",
	    "SELECT version, body, sha256 FROM consent_current()" },
	[STMT_AUDIT] = { "audit", "SELECT audit_append($1, $2, $3, $4)" },
};

/* The parameters of one call, text or binary, with their lengths. */
struct store_params {
	const char	*values[STORE_MAXPARAMS];
	int		 lengths[STORE_MAXPARAMS];
	int		 formats[STORE_MAXPARAMS];
	int		 n;
	int		 failed;
};

static void
store_param_text(struct store_params *p, const char *v)
{
	if (p->n >= STORE_MAXPARAMS) {
		p->failed = 1;
		return;
	}
	p->values[p->n] = v;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

/* A binary parameter; NULL v is SQL NULL. */
static void
store_param_bin(struct store_params *p, const void *v, size_t len)
{
	if (p->n >= STORE_MAXPARAMS || len > INT32_MAX) {
		p->failed = 1;
		return;
	}
	p->values[p->n] = v;
	p->lengths[p->n] = v != NULL ? (int)len : 0;
	p->formats[p->n] = 1;
	p->n++;
}

static void
store_put32(struct buf *b, uint32_t v)
{
	unsigned char	 be[4];

	be[0] = v >> 24;
	be[1] = v >> 16;
	be[2] = v >> 8;
	be[3] = v;
	buf_add(b, be, sizeof(be));
}

/*
 * Append to b the binary form of a one-dimensional array (array_recv):
 * ndim, has-nulls flag, element type, then dimension and lower bound, then
 * each element as length and bytes. No element is NULL. An empty array
 * has no dimension.
 */
static void
store_array(struct buf *b, uint32_t elemtype, size_t n,
    const void *const *vals, const size_t *lens)
{
	size_t	 i;

	if (n > INT32_MAX) {
		b->failed = 1;
		return;
	}
	store_put32(b, n > 0 ? 1 : 0);
	store_put32(b, 0);
	store_put32(b, elemtype);
	if (n > 0) {
		store_put32(b, (uint32_t)n);
		store_put32(b, 1);
	}
	for (i = 0; i < n; i++) {
		if (vals[i] == NULL || lens[i] > INT32_MAX) {
			b->failed = 1;
			return;
		}
		store_put32(b, (uint32_t)lens[i]);
		buf_add(b, vals[i], lens[i]);
	}
}

static void
store_seterr(struct store *s, const char *fmt, const char *arg)
{
	snprintf(s->lasterr, sizeof(s->lasterr), fmt, arg);
}

/* Server notices are not ours to print, and may quote data. */
static void
store_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void
store_disconnect(struct store *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->prepared = 0;
}

/*
 * Open a fresh connection and set it up: UTF-8, the statement timeout
 * (0: none). STORE_UNAVAILABLE when the server cannot be reached or
 * refuses us.
 */
static enum store_err
store_connect(struct store *s)
{
	PGresult	*res = NULL;
	const char	*vals[1];
	char		 ms[16], *nl;

	store_disconnect(s);
	if ((s->conn = PQconnectdb(s->conninfo)) == NULL) {
		store_seterr(s, "%s", "out of memory");
		goto err;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		/* libpq's own words: names host, role or database, no data. */
		store_seterr(s, "%s", PQerrorMessage(s->conn));
		if ((nl = strchr(s->lasterr, '\n')) != NULL)
			*nl = '\0';
		log_warn("store: cannot connect: %s", s->lasterr);
		goto err;
	}
	PQsetNoticeProcessor(s->conn, store_notice, NULL);
	if (PQsetClientEncoding(s->conn, "UTF8") != 0) {
		store_seterr(s, "%s", "cannot set the client encoding");
		goto err;
	}
	snprintf(ms, sizeof(ms), "%u", s->timeout_ms);
	vals[0] = ms;
	/*
	 * No JIT: every statement here is short, and compiling one costs
	 * more than running it (tens of ms once a plan's estimate passes
	 * jit_above_cost).
	 */
	res = PQexecParams(s->conn,
	    "SELECT set_config('statement_timeout', $1, false),"
	    " set_config('jit', 'off', false)",
	    1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_seterr(s, "SQLSTATE %s while setting up the connection",
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "?");
		log_warn("store: %s", s->lasterr);
		goto err;
	}
	PQclear(res);
	return STORE_OK;
err:
	PQclear(res);
	store_disconnect(s);
	return STORE_UNAVAILABLE;
}

enum store_class {
	CLASS_OK,
	CLASS_RECONNECT,	/* connection lost or server going away */
	CLASS_BUSY,		/* timed out, locked, deadlocked: later */
	CLASS_ERROR,		/* anything else: a bug */
};

/*
 * Sort a result. Connection trouble, shutdowns and a read-only server (a
 * multi-host conninfo may find the primary on a fresh connection) ask for
 * a reconnection; timeouts, lock waits, serialization failures, deadlocks
 * and exhausted resources are "busy".
 */
static enum store_class
store_classify(struct store *s, const PGresult *res, const char *what)
{
	const char	*st;

	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		s->lasterr[0] = '\0';
		return CLASS_OK;
	default:
		break;
	}
	st = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (st == NULL || PQstatus(s->conn) == CONNECTION_BAD) {
		if (PQstatus(s->conn) == CONNECTION_BAD || res == NULL) {
			store_seterr(s, "%s", "lost the connection to the database");
			log_warn("store: %s: connection lost", what);
			return CLASS_RECONNECT;
		}
		store_seterr(s, "%s", "the client library failed");
		log_error("store: %s: client-side failure", what);
		return CLASS_ERROR;
	}
	store_seterr(s, "SQLSTATE %s", st);
	if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	    strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 ||
	    strcmp(st, "25006") == 0 || strcmp(st, "26000") == 0) {
		log_warn("store: %s: SQLSTATE %s, reconnecting", what, st);
		return CLASS_RECONNECT;
	}
	if (strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0 ||
	    strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0) {
		log_warn("store: %s: SQLSTATE %s", what, st);
		return CLASS_BUSY;
	}
	log_error("store: %s: SQLSTATE %s", what, st);
	return CLASS_ERROR;
}

/*
 * Run one statement: prepared statement stmt, or (stmt == STMT__MAX) the
 * ad hoc sql through PQexecParams. Connects when there is no connection;
 * when a connection that was already open turns out broken, retries once
 * on a fresh one (every statement run this way is safe to repeat). On
 * STORE_OK *resp holds the result (caller PQclear()s).
 */
static enum store_err
store_run(struct store *s, enum store_stmt stmt, const char *sql,
    const struct store_params *p, int binary, PGresult **resp)
{
	PGresult	*res = NULL;
	const char	*what;
	int		 attempt, fresh;
	enum store_err	 rc;

	*resp = NULL;
	if (p->failed) {
		store_seterr(s, "%s", "a parameter is too large");
		log_error("store: parameter too large");
		return STORE_ERROR;
	}
	what = stmt < STMT__MAX ? store_stmts[stmt].name : "query";
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = 0;
		if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
			if ((rc = store_connect(s)) != STORE_OK)
				return rc;
			fresh = 1;
		}
		if (stmt < STMT__MAX && !(s->prepared & (1u << stmt))) {
			res = PQprepare(s->conn, store_stmts[stmt].name,
			    store_stmts[stmt].sql, 0, NULL);
			switch (store_classify(s, res, what)) {
			case CLASS_OK:
				s->prepared |= 1u << stmt;
				PQclear(res);
				res = NULL;
				break;
			case CLASS_RECONNECT:
				PQclear(res);
				store_disconnect(s);
				if (fresh)
					return STORE_UNAVAILABLE;
				continue;
			case CLASS_BUSY:
				PQclear(res);
				return STORE_UNAVAILABLE;
			default:
				PQclear(res);
				return STORE_ERROR;
			}
		}
		if (stmt < STMT__MAX)
			res = PQexecPrepared(s->conn, store_stmts[stmt].name,
			    p->n, p->values, p->lengths, p->formats, binary);
		else
			res = PQexecParams(s->conn, sql, p->n, NULL, p->values,
			    p->lengths, p->formats, binary);
		switch (store_classify(s, res, what)) {
		case CLASS_OK:
			*resp = res;
			return STORE_OK;
		case CLASS_RECONNECT:
			PQclear(res);
			store_disconnect(s);
			if (fresh)
				return STORE_UNAVAILABLE;
			continue;
		case CLASS_BUSY:
			PQclear(res);
			return STORE_UNAVAILABLE;
		default:
			PQclear(res);
			return STORE_ERROR;
		}
	}
	return STORE_UNAVAILABLE;
}

/* A fixed statement with no parameter and no row wanted. */
static enum store_err
store_simple(struct store *s, const char *sql)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;

	memset(&p, 0, sizeof(p));
	if ((rc = store_run(s, STMT__MAX, sql, &p, 0, &res)) == STORE_OK)
		PQclear(res);
	return rc;
}

/* Binary result readers: each checks the length before reading. */
static int
store_get_i64(const PGresult *res, int row, int col, long long *out)
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

static int
store_get_i32(const PGresult *res, int row, int col, long *out)
{
	const unsigned char	*v;
	uint32_t		 u;

	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 4)
		return -1;
	v = (const unsigned char *)PQgetvalue(res, row, col);
	u = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	    (uint32_t)v[2] << 8 | v[3];
	*out = (long)(int32_t)u;
	return 0;
}

/* A copy of a bytea column (NULL stays NULL): *out malloc'ed. */
static int
store_get_bytes(const PGresult *res, int row, int col, unsigned char **out,
    size_t *outlen)
{
	size_t	 len;

	*out = NULL;
	*outlen = 0;
	if (PQgetisnull(res, row, col))
		return 0;
	len = (size_t)PQgetlength(res, row, col);
	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	memcpy(*out, PQgetvalue(res, row, col), len);
	*outlen = len;
	return 0;
}

/* Fill r from columns reference, received_at, urgent_sealed at col. */
static enum store_err
store_fill_receipt(struct store *s, const PGresult *res, int col,
    struct store_receipt *r)
{
	long long	 at;
	int		 len;

	memset(r, 0, sizeof(*r));
	len = PQgetlength(res, 0, col);
	if (PQgetisnull(res, 0, col) || len <= 0 ||
	    (size_t)len >= sizeof(r->reference) ||
	    store_get_i64(res, 0, col + 1, &at) == -1)
		goto err;
	memcpy(r->reference, PQgetvalue(res, 0, col), (size_t)len);
	r->reference[len] = '\0';
	r->received_at = (time_t)at;
	if (store_get_bytes(res, 0, col + 2, &r->urgent_sealed,
	    &r->urgent_sealedlen) == -1) {
		store_seterr(s, "%s", "out of memory");
		log_error("store: out of memory");
		return STORE_ERROR;
	}
	return STORE_OK;
err:
	store_seterr(s, "%s", "unexpected receipt row");
	log_error("store: unexpected receipt row");
	return STORE_ERROR;
}

struct store *
store_open(const char *conninfo, unsigned statement_timeout_ms)
{
	struct store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->conninfo = strdup(conninfo != NULL ? conninfo : "")) == NULL) {
		free(s);
		return NULL;
	}
	s->timeout_ms = statement_timeout_ms;
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_disconnect(s);
	/* A conninfo may carry a password. */
	sodium_memzero(s->conninfo, strlen(s->conninfo));
	free(s->conninfo);
	free(s);
}

const char *
store_last_error(const struct store *s)
{
	return s->lasterr;
}

enum store_err
store_ping(struct store *s)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;

	memset(&p, 0, sizeof(p));
	if ((rc = store_run(s, STMT_PING, NULL, &p, 1, &res)) == STORE_OK)
		PQclear(res);
	return rc;
}

/* ---- intake side ---- */

/*
 * The three array parameters of a submission, in binary: the flags'
 * severities (text[]) and blobs (bytea[]), and the sensitive areas
 * consented to (text[], from space-separated words). -1 when out of
 * memory or a flag has no severity.
 */
static int
store_submit_arrays(const struct store_submission *sub, struct buf *sev,
    struct buf *blobs, struct buf *areas)
{
	const void	**vals;
	size_t		 *lens, i, n, len;
	const char	 *a, *e;
	int		  rc = -1;

	a = sub->consent_sensitive_areas != NULL ?
	    sub->consent_sensitive_areas : "";
	len = strlen(a);
	/* Room for the flags, or for the most words len bytes can hold. */
	n = sub->nflags > len / 2 + 1 ? sub->nflags : len / 2 + 1;
	vals = calloc(n, sizeof(*vals));
	lens = calloc(n, sizeof(*lens));
	if (vals == NULL || lens == NULL)
		goto err;

	for (i = 0; i < sub->nflags; i++) {
		if (sub->flags[i].severity == NULL)
			goto err;
		vals[i] = sub->flags[i].severity;
		lens[i] = strlen(sub->flags[i].severity);
	}
	store_array(sev, STORE_OID_TEXT, sub->nflags, vals, lens);
	for (i = 0; i < sub->nflags; i++) {
		vals[i] = sub->flags[i].blob;
		lens[i] = sub->flags[i].bloblen;
	}
	store_array(blobs, STORE_OID_BYTEA, sub->nflags, vals, lens);

	for (i = 0; *a != '\0'; a = e) {
		while (*a == ' ')
			a++;
		if (*a == '\0')
			break;
		for (e = a; *e != '\0' && *e != ' '; e++)
			continue;
		vals[i] = a;
		lens[i] = (size_t)(e - a);
		i++;
	}
	store_array(areas, STORE_OID_TEXT, i, vals, lens);
	if (!buf_failed(sev) && !buf_failed(blobs) && !buf_failed(areas))
		rc = 0;
err:
	free(vals);
	free(lens);
	return rc;
}

enum store_err
store_submit(struct store *s, const struct store_submission *sub,
    enum store_outcome *outcome, struct store_receipt *r)
{
	struct store_params	 p;
	struct buf		 sev, blobs, areas;
	char			 formv[16], consentv[16];
	const char		*o, *why = NULL;
	PGresult		*res = NULL;
	enum store_err		 rc = STORE_ERROR;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	buf_init(&sev);
	buf_init(&blobs);
	buf_init(&areas);
	/* From here: goto err. */
	if (sub->submission_id == NULL || sub->rule_set_version == NULL ||
	    sub->answers_hash == NULL || sub->receipt_hash == NULL ||
	    sub->reference == NULL || sub->given_name == NULL ||
	    sub->family_name == NULL || sub->date_of_birth == NULL ||
	    sub->plain_xml == NULL || sub->key_id == NULL ||
	    sub->answers_blob == NULL || sub->signature_name == NULL ||
	    (sub->nflags > 0 && sub->flags == NULL)) {
		why = "a required field is missing";
		goto err;
	}
	if (store_submit_arrays(sub, &sev, &blobs, &areas) == -1) {
		why = "out of memory, or a flag without severity";
		goto err;
	}
	snprintf(formv, sizeof(formv), "%u", sub->form_version);
	snprintf(consentv, sizeof(consentv), "%u", sub->consent_version);

	/* In the order of intake_submit's parameters (sql/002_intake.sql). */
	store_param_text(&p, sub->submission_id);
	store_param_text(&p, formv);
	store_param_text(&p, consentv);
	store_param_text(&p, sub->rule_set_version);
	store_param_bin(&p, sub->answers_hash, 32);
	store_param_bin(&p, sub->receipt_hash, 32);
	store_param_text(&p, sub->reference);
	store_param_bin(&p, sub->invite_hash, 32);
	store_param_text(&p, sub->given_name);
	store_param_text(&p, sub->family_name);
	store_param_text(&p, sub->date_of_birth);
	store_param_text(&p, sub->email);
	store_param_text(&p, sub->phone);
	store_param_text(&p, sub->plain_xml);
	store_param_bin(&p, sub->key_id, 8);
	store_param_bin(&p, sub->answers_blob, sub->answers_bloblen);
	store_param_bin(&p, sub->urgent_sealed, sub->urgent_sealedlen);
	store_param_text(&p, sub->highest_severity);
	store_param_bin(&p, sev.data, sev.len);
	store_param_bin(&p, blobs.data, blobs.len);
	store_param_text(&p, sub->consent_treatment ? "t" : "f");
	store_param_text(&p, sub->consent_privacy ? "t" : "f");
	store_param_bin(&p, areas.data, areas.len);
	store_param_text(&p, sub->signature_name);
	store_param_text(&p, sub->guardian_name);
	store_param_text(&p, sub->guardian_relationship);

	if ((rc = store_run(s, STMT_SUBMIT, NULL, &p, 1, &res)) != STORE_OK)
		goto err;
	rc = STORE_ERROR;
	why = "unexpected result";
	if (PQntuples(res) != 1 || PQnfields(res) != 4 ||
	    PQgetisnull(res, 0, 0))
		goto err;
	o = PQgetvalue(res, 0, 0);
	if (strcmp(o, "new") == 0)
		*outcome = STORE_NEW;
	else if (strcmp(o, "same") == 0)
		*outcome = STORE_SAME;
	else if (strcmp(o, "conflict") == 0)
		*outcome = STORE_CONFLICT;
	else
		goto err;
	why = NULL;
	/* A conflict reveals nothing of the stored row: no receipt. */
	rc = *outcome == STORE_CONFLICT ? STORE_OK :
	    store_fill_receipt(s, res, 1, r);
err:
	if (why != NULL) {
		store_seterr(s, "%s", why);
		log_error("store: submit: %s", why);
	}
	PQclear(res);
	buf_free(&sev);
	buf_free(&blobs);
	buf_free(&areas);
	return rc;
}

enum store_err
store_receipt_get(struct store *s, const unsigned char hash[32],
    struct store_receipt *r)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	store_param_bin(&p, hash, 32);
	if ((rc = store_run(s, STMT_RECEIPT, NULL, &p, 1, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = STORE_NOT_FOUND;
	else if (PQnfields(res) != 3) {
		log_error("store: receipt: unexpected result");
		rc = STORE_ERROR;
	} else
		rc = store_fill_receipt(s, res, 0, r);
	PQclear(res);
	return rc;
}

void
store_receipt_clear(struct store_receipt *r)
{
	if (r == NULL)
		return;
	free(r->urgent_sealed);
	memset(r, 0, sizeof(*r));
}

enum store_err
store_invite_valid(struct store *s, const unsigned char hash[32])
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;

	memset(&p, 0, sizeof(p));
	store_param_bin(&p, hash, 32);
	if ((rc = store_run(s, STMT_INVITE, NULL, &p, 1, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
	    PQgetlength(res, 0, 0) != 1) {
		log_error("store: invite: unexpected result");
		rc = STORE_ERROR;
	} else
		rc = PQgetvalue(res, 0, 0)[0] ? STORE_OK : STORE_NOT_FOUND;
	PQclear(res);
	return rc;
}

/* Fill c from a (version int4, body text, sha256 text) binary row. */
static enum store_err
store_fill_consent(struct store *s, const PGresult *res,
    struct store_consent *c)
{
	long	 v;
	size_t	 len;

	if (PQnfields(res) != 3 || store_get_i32(res, 0, 0, &v) == -1 ||
	    v <= 0 || PQgetisnull(res, 0, 1) || PQgetlength(res, 0, 2) != 64) {
		store_seterr(s, "%s", "unexpected consent row");
		log_error("store: consent: unexpected result");
		return STORE_ERROR;
	}
	len = (size_t)PQgetlength(res, 0, 1);
	if ((c->text = malloc(len + 1)) == NULL) {
		store_seterr(s, "%s", "out of memory");
		log_error("store: consent: out of memory");
		return STORE_ERROR;
	}
	memcpy(c->text, PQgetvalue(res, 0, 1), len);
	c->text[len] = '\0';
	c->version = (unsigned)v;
	memcpy(c->sha256, PQgetvalue(res, 0, 2), 64);
	c->sha256[64] = '\0';
	return STORE_OK;
}

enum store_err
store_consent_current(struct store *s, struct store_consent *c)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;

	memset(&p, 0, sizeof(p));
	memset(c, 0, sizeof(*c));
	if ((rc = store_run(s, STMT_CONSENT, NULL, &p, 1, &res)) != STORE_OK)
		return rc;
	rc = PQntuples(res) == 0 ? STORE_NOT_FOUND :
	    store_fill_consent(s, res, c);
	PQclear(res);
	return rc;
}

void
store_consent_clear(struct store_consent *c)
{
	if (c == NULL)
		return;
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/* ---- audit ---- */

enum store_err
store_audit_append(struct store *s, const char *actor, const char *action,
    const char *target, const char *address, long long *id)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;
	long long		 v;

	memset(&p, 0, sizeof(p));
	store_param_text(&p, actor);
	store_param_text(&p, action);
	store_param_text(&p, target);
	store_param_text(&p, address);
	if ((rc = store_run(s, STMT_AUDIT, NULL, &p, 1, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || store_get_i64(res, 0, 0, &v) == -1) {
		log_error("store: audit: unexpected result");
		rc = STORE_ERROR;
	} else if (id != NULL)
		*id = v;
	PQclear(res);
	return rc;
}

/* ---- for the other files of src/store/ ---- */

enum store_err
store_query(struct store *s, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    int binary, struct pg_result **res)
{
	struct store_params	 p;
	int			 i;

	*res = NULL;
	memset(&p, 0, sizeof(p));
	if (n < 0 || n > STORE_MAXPARAMS) {
		store_seterr(s, "%s", "too many parameters");
		log_error("store: query: too many parameters");
		return STORE_ERROR;
	}
	for (i = 0; i < n; i++) {
		p.values[i] = values[i];
		p.lengths[i] = lengths != NULL ? lengths[i] : 0;
		p.formats[i] = formats != NULL ? formats[i] : 0;
	}
	p.n = n;
	return store_run(s, STMT__MAX, sql, &p, binary, res);
}

/* ---- administration ---- */

enum store_err
store_migrate_begin(struct store *s)
{
	enum store_err	 rc;

	/* Lock first: two migrators must not both create the table. */
	if ((rc = store_simple(s,
	    "SELECT pg_advisory_lock(" STORE_MIGRATE_LOCK ")")) != STORE_OK)
		return rc;
	return store_simple(s,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY CHECK (version > 0),"
	    " name text NOT NULL UNIQUE,"
	    " applied_at timestamptz NOT NULL DEFAULT now(),"
	    " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'))");
}

enum store_err
store_migrate_end(struct store *s)
{
	return store_simple(s,
	    "SELECT pg_advisory_unlock(" STORE_MIGRATE_LOCK ")");
}

enum store_err
store_migrations(struct store *s, struct store_migration **out, size_t *n)
{
	struct store_params	 p;
	struct store_migration	*m = NULL;
	PGresult		*res = NULL;
	enum store_err		 rc;
	const char		*name, *sha;
	int			 i, rows;

	*out = NULL;
	*n = 0;
	memset(&p, 0, sizeof(p));
	/* A database never migrated has no table yet: no row, no error. */
	if ((rc = store_run(s, STMT__MAX,
	    "SELECT to_regclass('schema_migrations') IS NOT NULL",
	    &p, 0, &res)) != STORE_OK)
		return rc;
	i = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!i)
		return STORE_OK;
	if ((rc = store_run(s, STMT__MAX,
	    "SELECT version, name, sha256,"
	    " floor(extract(epoch FROM applied_at))::bigint"
	    " FROM schema_migrations ORDER BY version", &p, 0, &res)) != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (rows > 0 && (m = calloc((size_t)rows, sizeof(*m))) == NULL) {
		store_seterr(s, "%s", "out of memory");
		rc = STORE_ERROR;
		goto err;
	}
	for (i = 0; i < rows; i++) {
		name = PQgetvalue(res, i, 1);
		sha = PQgetvalue(res, i, 2);
		m[i].version = (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10);
		if (strlen(name) >= sizeof(m[i].name) ||
		    strlen(sha) >= sizeof(m[i].sha256)) {
			store_seterr(s, "%s", "a schema_migrations row is malformed");
			rc = STORE_ERROR;
			goto err;
		}
		snprintf(m[i].name, sizeof(m[i].name), "%s", name);
		snprintf(m[i].sha256, sizeof(m[i].sha256), "%s", sha);
		m[i].applied_at = (time_t)strtoll(PQgetvalue(res, i, 3), NULL, 10);
	}
	*out = m;
	*n = (size_t)rows;
	m = NULL;
	rc = STORE_OK;
err:
	free(m);
	PQclear(res);
	return rc;
}

/* Copy the server's message for res into err (one line). */
static void
store_server_message(const PGresult *res, const char *fallback, char *err,
    size_t errsz)
{
	const char	*msg, *st, *line;

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	st = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	line = res != NULL ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	if (msg == NULL)
		snprintf(err, errsz, "%s", fallback);
	else if (line != NULL && strchr(line, '\n') == NULL)
		snprintf(err, errsz, "%s (SQLSTATE %s; %s)", msg,
		    st != NULL ? st : "?", line);
	else
		snprintf(err, errsz, "%s (SQLSTATE %s)", msg,
		    st != NULL ? st : "?");
}

enum store_err
store_migrate_apply(struct store *s, const struct store_migration *m,
    const char *sql, char *err, size_t errsz)
{
	PGresult	*res = NULL;
	const char	*vals[3];
	char		 ver[16];
	enum store_err	 rc = STORE_ERROR;

	snprintf(err, errsz, "%s", "");
	/* Not store_run: a script is not repeated behind the caller's back. */
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		if ((rc = store_connect(s)) != STORE_OK) {
			snprintf(err, errsz, "%s", s->lasterr);
			return rc;
		}
	}
	res = PQexec(s->conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto err;
	PQclear(res);
	/* Several statements in one string: the script as written. */
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY)
		goto err;
	PQclear(res);
	snprintf(ver, sizeof(ver), "%u", m->version);
	vals[0] = ver;
	vals[1] = m->name;
	vals[2] = m->sha256;
	res = PQexecParams(s->conn,
	    "INSERT INTO schema_migrations (version, name, sha256)"
	    " VALUES ($1, $2, $3)", 3, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto err;
	PQclear(res);
	res = PQexec(s->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto err;
	PQclear(res);
	s->lasterr[0] = '\0';
	return STORE_OK;
err:
	store_server_message(res, PQerrorMessage(s->conn), err, errsz);
	rc = store_classify(s, res, "migrate") == CLASS_RECONNECT ||
	    PQstatus(s->conn) == CONNECTION_BAD ? STORE_UNAVAILABLE : STORE_ERROR;
	PQclear(res);
	if (PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	else if (PQstatus(s->conn) != CONNECTION_OK)
		store_disconnect(s);
	return rc;
}

enum store_err
store_consent_install(struct store *s, const char *text, unsigned *version,
    char sha256[65], int *installed)
{
	struct store_params	 p;
	PGresult		*res = NULL;
	enum store_err		 rc;
	const char		*v, *h;

	*installed = 0;
	*version = 0;
	sha256[0] = '\0';
	memset(&p, 0, sizeof(p));
	store_param_text(&p, text);
	/*
	 * One statement: the text in force if it is the same, else a new
	 * row. Two installers racing collide on the primary key, which is
	 * an error, not a lost text.
	 */
	rc = store_run(s, STMT__MAX,
	    "WITH cur AS (SELECT version, sha256 FROM consent_documents"
	    "  ORDER BY version DESC LIMIT 1),"
	    " ins AS (INSERT INTO consent_documents (version, body, sha256)"
	    "  SELECT coalesce((SELECT version FROM cur), 0) + 1, $1,"
	    "   sha256(convert_to($1, 'UTF8'))"
	    "  WHERE NOT EXISTS (SELECT 1 FROM cur"
	    "   WHERE sha256 = sha256(convert_to($1, 'UTF8')))"
	    "  RETURNING version, sha256)"
	    " SELECT version, encode(sha256, 'hex'), true FROM ins"
	    " UNION ALL"
	    " SELECT version, encode(sha256, 'hex'), false FROM cur"
	    "  WHERE NOT EXISTS (SELECT 1 FROM ins)", &p, 0, &res);
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || PQgetlength(res, 0, 1) != 64) {
		log_error("store: consent install: unexpected result");
		PQclear(res);
		return STORE_ERROR;
	}
	v = PQgetvalue(res, 0, 0);
	h = PQgetvalue(res, 0, 1);
	*version = (unsigned)strtoul(v, NULL, 10);
	memcpy(sha256, h, 64);
	sha256[64] = '\0';
	*installed = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_consent_get(struct store *s, unsigned version, struct store_consent *c)
{
	struct store_params	 p;
	PGresult		*res;
	enum store_err		 rc;
	char			 ver[16];

	memset(&p, 0, sizeof(p));
	memset(c, 0, sizeof(*c));
	snprintf(ver, sizeof(ver), "%u", version);
	store_param_text(&p, ver);
	if ((rc = store_run(s, STMT__MAX,
	    "SELECT version, body, encode(sha256, 'hex')"
	    " FROM consent_documents WHERE version = $1", &p, 1, &res)) != STORE_OK)
		return rc;
	rc = PQntuples(res) == 0 ? STORE_NOT_FOUND :
	    store_fill_consent(s, res, c);
	PQclear(res);
	return rc;
}

/* Parse a text-format count; -1 for NULL. */
static long long
store_count(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return -1;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

enum store_err
store_status_get(struct store *s, struct store_status *st)
{
	struct store_params	 p;
	PGresult		*res = NULL;
	enum store_err		 rc;
	size_t			 i, n;
	const char		*hex;
	int			 audit;

	memset(st, 0, sizeof(*st));
	memset(&p, 0, sizeof(p));
	/* Each count only if its table exists (a database not migrated). */
	if ((rc = store_run(s, STMT__MAX,
	    "SELECT to_regclass('intakes') IS NOT NULL,"
	    " to_regclass('audit_head') IS NOT NULL", &p, 0, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return STORE_ERROR;
	}
	st->intakes = st->unassigned = st->flags = st->consents = -1;
	st->appointments = st->audit_rows = st->consent_version = -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return STORE_OK;
	}
	audit = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if ((rc = store_run(s, STMT__MAX, audit ?
	    "SELECT (SELECT count(*) FROM intakes),"
	    " (SELECT count(*) FROM intakes WHERE appointment_id IS NULL),"
	    " (SELECT count(*) FROM flags), (SELECT count(*) FROM consents),"
	    " (SELECT count(*) FROM appointments),"
	    " (SELECT coalesce(max(version), 0) FROM consent_documents),"
	    " (SELECT id FROM audit_head)" :
	    "SELECT (SELECT count(*) FROM intakes),"
	    " (SELECT count(*) FROM intakes WHERE appointment_id IS NULL),"
	    " (SELECT count(*) FROM flags), (SELECT count(*) FROM consents),"
	    " (SELECT count(*) FROM appointments),"
	    " (SELECT coalesce(max(version), 0) FROM consent_documents),"
	    " NULL::bigint", &p, 0, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 7)
		goto err;
	st->intakes = store_count(res, 0, 0);
	st->unassigned = store_count(res, 0, 1);
	st->flags = store_count(res, 0, 2);
	st->consents = store_count(res, 0, 3);
	st->appointments = store_count(res, 0, 4);
	st->consent_version = store_count(res, 0, 5);
	st->audit_rows = store_count(res, 0, 6);
	PQclear(res);
	res = NULL;

	if ((rc = store_run(s, STMT__MAX,
	    "SELECT encode(key_id, 'hex'), count(*) FROM intakes"
	    " GROUP BY key_id ORDER BY key_id", &p, 0, &res)) != STORE_OK)
		return rc;
	n = (size_t)PQntuples(res);
	if (n > 0 && (st->keys = calloc(n, sizeof(*st->keys))) == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		hex = PQgetvalue(res, (int)i, 0);
		if (sodium_hex2bin(st->keys[i].id, sizeof(st->keys[i].id),
		    hex, strlen(hex), NULL, NULL, NULL) != 0)
			goto err;
		st->keys[i].intakes = store_count(res, (int)i, 1);
	}
	st->nkeys = n;
	PQclear(res);
	return STORE_OK;
err:
	PQclear(res);
	store_status_clear(st);
	log_error("store: status: unexpected result");
	return STORE_ERROR;
}

void
store_status_clear(struct store_status *st)
{
	if (st == NULL)
		return;
	free(st->keys);
	memset(st, 0, sizeof(*st));
}
