/*
 * store_review.c: the review pages' statements; see store_review.h.
 *
 * Statements go through store_query() (store.c's connection, reconnection
 * and sorting of failures) with binary results. An intake's rows are kept
 * in their PGresults and record_src points into them: nothing is copied,
 * and what is held is ciphertext and the details kept in clear.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "record/record.h"
#include "store/store.h"
#include "store/store_review.h"

enum {
	SR_INTAKE,
	SR_FLAGS,
	SR_DECISIONS,
	SR_CONSENTS,
	SR__MAX
};

static const char *const store_review_sql[SR__MAX] = {
	[SR_INTAKE] =
	    "SELECT i.submission_id::text, i.form_version, i.consent_version,"
	    " i.rule_set_version, i.reference,"
	    " floor(extract(epoch FROM i.received_at))::bigint,"
	    " coalesce(i.appointment_id, 0), i.plain_xml, i.answers_blob,"
	    " d.body, encode(d.sha256, 'hex')"
	    " FROM intakes AS i"
	    " LEFT JOIN consent_documents AS d ON d.version = i.consent_version"
	    " WHERE i.id = $1",
	[SR_FLAGS] =
	    "SELECT f.id, f.severity, f.blob FROM flags AS f"
	    " WHERE f.intake_id = $1 ORDER BY f.position",
	[SR_DECISIONS] =
	    "SELECT d.id, d.flag_id,"
	    " floor(extract(epoch FROM d.decided_at))::bigint,"
	    " s.username, s.display_name, d.decision, d.note_blob"
	    " FROM flag_decisions AS d JOIN staff AS s ON s.id = d.staff_id"
	    " WHERE d.intake_id = $1 ORDER BY d.decided_at, d.id",
	[SR_CONSENTS] =
	    "SELECT c.id, c.kind, c.consent_version, c.treatment, c.privacy,"
	    " array_to_string(c.sensitive_areas, ' '), c.signature_name,"
	    " c.guardian_name, c.guardian_relationship,"
	    " floor(extract(epoch FROM c.recorded_at))::bigint,"
	    " c.scope, s.username, c.note_blob"
	    " FROM consents AS c LEFT JOIN staff AS s ON s.id = c.staff_id"
	    " WHERE c.intake_id = $1 ORDER BY c.recorded_at, c.id",
};

static const int store_review_cols[SR__MAX] = { 11, 3, 7, 13 };

struct store_review {
	struct record_src		 src;
	PGresult			*res[SR__MAX];
	struct record_src_flag		*flags;
	struct record_src_decision	*decisions;
	struct record_src_consent	*consents;
};

/* ---- binary result readers: each checks the length first ---- */

static int
sr_i64(const PGresult *res, int row, int col, long long *out)
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
sr_u32(const PGresult *res, int row, int col, unsigned *out)
{
	const unsigned char	*v;

	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 4)
		return -1;
	v = (const unsigned char *)PQgetvalue(res, row, col);
	*out = (unsigned)v[0] << 24 | (unsigned)v[1] << 16 |
	    (unsigned)v[2] << 8 | v[3];
	return 0;
}

static int
sr_bool(const PGresult *res, int row, int col, int *out)
{
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 1)
		return -1;
	*out = PQgetvalue(res, row, col)[0] != 0;
	return 0;
}

/* A text column: libpq NUL-terminates every value; NULL stays NULL. */
static const char *
sr_text(const PGresult *res, int row, int col)
{
	const char	*v;

	if (PQgetisnull(res, row, col))
		return NULL;
	v = PQgetvalue(res, row, col);
	/* text never holds NUL: a shorter string is not what was sent */
	return strlen(v) == (size_t)PQgetlength(res, row, col) ? v : NULL;
}

static const unsigned char *
sr_bytes(const PGresult *res, int row, int col, size_t *len)
{
	*len = 0;
	if (PQgetisnull(res, row, col))
		return NULL;
	*len = (size_t)PQgetlength(res, row, col);
	return (const unsigned char *)PQgetvalue(res, row, col);
}

/* Run one statement with intake id as its only parameter. */
static enum store_err
sr_by_id(struct store *s, const char *sql, long long id, int ncols,
    PGresult **res)
{
	const char	*vals[1];
	char		 idtext[32];
	enum store_err	 rc;

	snprintf(idtext, sizeof(idtext), "%lld", id);
	vals[0] = idtext;
	if ((rc = store_query(s, sql, 1, vals, NULL, NULL, 1,
	    (struct pg_result **)res)) != STORE_OK)
		return rc;
	if (PQnfields(*res) != ncols) {
		log_error("store: review: unexpected result");
		PQclear(*res);
		*res = NULL;
		return STORE_ERROR;
	}
	return STORE_OK;
}

static int
sr_fill_intake(struct store_review *r, long long id)
{
	const PGresult		*res = r->res[SR_INTAKE];
	struct record_src	*src = &r->src;
	long long		 at;

	src->intake_id = id;
	src->submission_id = sr_text(res, 0, 0);
	src->rule_set_version = sr_text(res, 0, 3);
	src->reference = sr_text(res, 0, 4);
	src->plain_xml = sr_text(res, 0, 7);
	src->answers_blob = sr_bytes(res, 0, 8, &src->answers_bloblen);
	src->consent_text = sr_text(res, 0, 9);
	src->consent_sha256 = sr_text(res, 0, 10);
	if (src->submission_id == NULL || src->rule_set_version == NULL ||
	    src->reference == NULL || src->plain_xml == NULL ||
	    src->answers_blob == NULL ||
	    sr_u32(res, 0, 1, &src->form_version) == -1 ||
	    sr_u32(res, 0, 2, &src->consent_version) == -1 ||
	    sr_i64(res, 0, 5, &at) == -1 ||
	    sr_i64(res, 0, 6, &src->appointment_id) == -1)
		return -1;
	src->received_at = (time_t)at;
	return 0;
}

static int
sr_fill_flags(struct store_review *r)
{
	const PGresult	*res = r->res[SR_FLAGS];
	size_t		 i, n = (size_t)PQntuples(res);

	if (n == 0)
		return 0;
	if ((r->flags = calloc(n, sizeof(*r->flags))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct record_src_flag *f = &r->flags[i];

		f->severity = sr_text(res, (int)i, 1);
		f->blob = sr_bytes(res, (int)i, 2, &f->bloblen);
		if (sr_i64(res, (int)i, 0, &f->id) == -1 ||
		    f->severity == NULL || f->blob == NULL)
			return -1;
	}
	r->src.flags = r->flags;
	r->src.nflags = n;
	return 0;
}

static int
sr_fill_decisions(struct store_review *r)
{
	const PGresult	*res = r->res[SR_DECISIONS];
	size_t		 i, n = (size_t)PQntuples(res);
	long long	 at;

	if (n == 0)
		return 0;
	if ((r->decisions = calloc(n, sizeof(*r->decisions))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct record_src_decision *d = &r->decisions[i];

		d->staff = sr_text(res, (int)i, 3);
		d->staff_name = sr_text(res, (int)i, 4);
		d->decision = sr_text(res, (int)i, 5);
		d->note_blob = sr_bytes(res, (int)i, 6, &d->note_bloblen);
		if (sr_i64(res, (int)i, 0, &d->id) == -1 ||
		    sr_i64(res, (int)i, 1, &d->flag_id) == -1 ||
		    sr_i64(res, (int)i, 2, &at) == -1 ||
		    d->staff == NULL || d->decision == NULL)
			return -1;
		d->decided_at = (time_t)at;
	}
	r->src.decisions = r->decisions;
	r->src.ndecisions = n;
	return 0;
}

static int
sr_fill_consents(struct store_review *r)
{
	const PGresult	*res = r->res[SR_CONSENTS];
	size_t		 i, n = (size_t)PQntuples(res);
	long long	 at;

	if (n == 0)
		return 0;
	if ((r->consents = calloc(n, sizeof(*r->consents))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct record_src_consent *c = &r->consents[i];
		int row = (int)i;

		c->kind = sr_text(res, row, 1);
		c->sensitive_areas = sr_text(res, row, 5);
		c->signature_name = sr_text(res, row, 6);
		c->guardian_name = sr_text(res, row, 7);
		c->guardian_relationship = sr_text(res, row, 8);
		c->scope = sr_text(res, row, 10);
		c->staff = sr_text(res, row, 11);
		c->note_blob = sr_bytes(res, row, 12, &c->note_bloblen);
		if (sr_i64(res, row, 0, &c->id) == -1 || c->kind == NULL ||
		    sr_u32(res, row, 2, &c->version) == -1 ||
		    sr_bool(res, row, 3, &c->treatment) == -1 ||
		    sr_bool(res, row, 4, &c->privacy) == -1 ||
		    c->sensitive_areas == NULL ||
		    sr_i64(res, row, 9, &at) == -1)
			return -1;
		c->recorded_at = (time_t)at;
	}
	r->src.consents = r->consents;
	r->src.nconsents = n;
	return 0;
}

enum store_err
store_review_load(struct store *s, long long id, struct store_review **out)
{
	struct store_review	*r;
	enum store_err		 rc;
	int			 i;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return STORE_ERROR;
	/* From here: goto err. */
	for (i = 0; i < SR__MAX; i++) {
		if ((rc = sr_by_id(s, store_review_sql[i], id,
		    store_review_cols[i], &r->res[i])) != STORE_OK)
			goto err;
		if (i == SR_INTAKE && PQntuples(r->res[i]) != 1) {
			rc = STORE_NOT_FOUND;
			goto err;
		}
	}
	rc = STORE_ERROR;
	if (sr_fill_intake(r, id) == -1 || sr_fill_flags(r) == -1 ||
	    sr_fill_decisions(r) == -1 || sr_fill_consents(r) == -1) {
		log_error("store: review: intake %lld: unexpected row", id);
		goto err;
	}
	*out = r;
	return STORE_OK;
err:
	store_review_free(r);
	return rc;
}

const struct record_src *
store_review_src(const struct store_review *r)
{
	return &r->src;
}

void
store_review_free(struct store_review *r)
{
	int	 i;

	if (r == NULL)
		return;
	for (i = 0; i < SR__MAX; i++)
		PQclear(r->res[i]);
	free(r->flags);
	free(r->decisions);
	free(r->consents);
	free(r);
}

/* ---- summary ---- */

static int
sr_copy(char *dst, size_t dstsz, const char *src)
{
	if (src == NULL || strlen(src) >= dstsz)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

enum store_err
store_review_summary(struct store *s, long long id,
    struct store_review_summary *sum)
{
	PGresult	*res = NULL;
	enum store_err	 rc;
	long long	 at;
	const char	*g, *f;

	memset(sum, 0, sizeof(*sum));
	if ((rc = sr_by_id(s,
	    "SELECT i.submission_id::text, i.form_version, i.reference,"
	    " floor(extract(epoch FROM i.received_at))::bigint,"
	    " coalesce(i.appointment_id, 0), i.given_name, i.family_name,"
	    " st.status, coalesce(st.open_severity, ''), st.nflags"
	    " FROM intakes AS i"
	    " JOIN intake_states AS st ON st.intake_id = i.id"
	    " WHERE i.id = $1", id, 10, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	rc = STORE_ERROR;
	g = sr_text(res, 0, 5);
	f = sr_text(res, 0, 6);
	sum->id = id;
	if (sr_copy(sum->submission_id, sizeof(sum->submission_id),
	    sr_text(res, 0, 0)) == -1 ||
	    sr_u32(res, 0, 1, &sum->form_version) == -1 ||
	    sr_copy(sum->reference, sizeof(sum->reference),
	    sr_text(res, 0, 2)) == -1 ||
	    sr_i64(res, 0, 3, &at) == -1 ||
	    sr_i64(res, 0, 4, &sum->appointment_id) == -1 ||
	    g == NULL || f == NULL ||
	    sr_copy(sum->status, sizeof(sum->status), sr_text(res, 0, 7)) == -1 ||
	    sr_copy(sum->severity, sizeof(sum->severity),
	    sr_text(res, 0, 8)) == -1 ||
	    sr_i64(res, 0, 9, &sum->nflags) == -1) {
		log_error("store: review: summary of intake %lld: unexpected "
		    "row", id);
		goto err;
	}
	sum->received_at = (time_t)at;
	if ((sum->given_name = strdup(g)) == NULL ||
	    (sum->family_name = strdup(f)) == NULL)
		goto err;
	rc = STORE_OK;
err:
	PQclear(res);
	if (rc != STORE_OK)
		store_review_summary_clear(sum);
	return rc;
}

void
store_review_summary_clear(struct store_review_summary *sum)
{
	if (sum == NULL)
		return;
	free(sum->given_name);
	free(sum->family_name);
	memset(sum, 0, sizeof(*sum));
}

/* ---- the changes ---- */

static const struct {
	const char			*word;
	enum store_review_outcome	 outcome;
} store_review_outcomes[] = {
	{ "decided", REVIEW_DONE },
	{ "assigned", REVIEW_DONE },
	{ "withdrawn", REVIEW_DONE },
	{ "same", REVIEW_SAME },
	{ "no_intake", REVIEW_NO_INTAKE },
	{ "no_flag", REVIEW_NO_FLAG },
	{ "not_allowed", REVIEW_NOT_ALLOWED },
	{ "no_appointment", REVIEW_NO_APPOINTMENT },
	{ "cancelled", REVIEW_CANCELLED },
	{ "assigned_elsewhere", REVIEW_ASSIGNED_ELSEWHERE },
	{ "not_in_force", REVIEW_NOT_IN_FORCE },
	{ "forbidden", REVIEW_FORBIDDEN },
};

/*
 * Run one of sql/005's functions: outcome word in column 0 and, when
 * wanted (id != NULL), the new row's id in column 1.
 */
static enum store_err
sr_change(struct store *s, const char *what, const char *sql, int n,
    const char *const *vals, const int *lens, const int *fmts,
    enum store_review_outcome *outcome, long long *id)
{
	PGresult	*res = NULL;
	const char	*word;
	enum store_err	 rc;
	size_t		 i;

	if (id != NULL)
		*id = 0;
	if ((rc = store_query(s, sql, n, vals, lens, fmts, 1,
	    (struct pg_result **)&res)) != STORE_OK)
		return rc;
	rc = STORE_ERROR;
	if (PQntuples(res) != 1 || PQnfields(res) < (id != NULL ? 2 : 1) ||
	    (word = sr_text(res, 0, 0)) == NULL)
		goto err;
	for (i = 0; i < sizeof(store_review_outcomes) /
	    sizeof(store_review_outcomes[0]); i++)
		if (strcmp(word, store_review_outcomes[i].word) == 0)
			break;
	if (i == sizeof(store_review_outcomes) /
	    sizeof(store_review_outcomes[0]))
		goto err;
	*outcome = store_review_outcomes[i].outcome;
	if (id != NULL && *outcome == REVIEW_DONE &&
	    sr_i64(res, 0, 1, id) == -1)
		goto err;
	rc = STORE_OK;
err:
	if (rc != STORE_OK)
		log_error("store: %s: unexpected result", what);
	PQclear(res);
	return rc;
}

enum store_err
store_review_decide(struct store *s, long long intake, long long flag,
    long long staff, const char *decision, const unsigned char *note,
    size_t notelen, const char *address, enum store_review_outcome *outcome,
    long long *id)
{
	const char	*vals[6];
	int		 lens[6] = { 0 }, fmts[6] = { 0 };
	char		 in[32], fl[32], st[32];

	if (notelen > INT32_MAX)
		return STORE_ERROR;
	snprintf(in, sizeof(in), "%lld", intake);
	snprintf(fl, sizeof(fl), "%lld", flag);
	snprintf(st, sizeof(st), "%lld", staff);
	vals[0] = in;
	vals[1] = fl;
	vals[2] = st;
	vals[3] = decision;
	vals[4] = (const char *)note;
	lens[4] = note != NULL ? (int)notelen : 0;
	fmts[4] = 1;
	vals[5] = address;
	return sr_change(s, "decide",
	    "SELECT outcome, decision_id"
	    " FROM review_decide($1, $2, $3, $4, $5, $6)",
	    6, vals, lens, fmts, outcome, id);
}

enum store_err
store_review_assign(struct store *s, long long intake, long long appt,
    long long staff, const char *address, enum store_review_outcome *outcome)
{
	const char	*vals[4];
	char		 in[32], ap[32], st[32];

	snprintf(in, sizeof(in), "%lld", intake);
	snprintf(ap, sizeof(ap), "%lld", appt);
	snprintf(st, sizeof(st), "%lld", staff);
	vals[0] = in;
	vals[1] = ap;
	vals[2] = st;
	vals[3] = address;
	return sr_change(s, "assign",
	    "SELECT review_assign($1, $2, $3, $4)",
	    4, vals, NULL, NULL, outcome, NULL);
}

enum store_err
store_review_withdraw(struct store *s, long long intake, const char *scope,
    const unsigned char *note, size_t notelen, long long staff,
    const char *address, enum store_review_outcome *outcome, long long *id)
{
	const char	*vals[5];
	int		 lens[5] = { 0 }, fmts[5] = { 0 };
	char		 in[32], st[32];

	if (notelen > INT32_MAX)
		return STORE_ERROR;
	snprintf(in, sizeof(in), "%lld", intake);
	snprintf(st, sizeof(st), "%lld", staff);
	vals[0] = in;
	vals[1] = scope;
	vals[2] = (const char *)note;
	lens[2] = note != NULL ? (int)notelen : 0;
	fmts[2] = 1;
	vals[3] = st;
	vals[4] = address;
	return sr_change(s, "withdraw",
	    "SELECT outcome, consent_id"
	    " FROM review_withdraw($1, $2, $3, $4, $5)",
	    5, vals, lens, fmts, outcome, id);
}
