/*
 * store_clinic.c: the staff side's statements; see store_clinic.h.
 *
 * Results come back as text. Times travel as whole seconds since the
 * epoch; a clinic-time input ("YYYY-MM-DDTHH:MM") is turned into a
 * timestamptz by the database, in the zone the caller names, so the
 * database and the pages agree on what "the day after" means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "core/log.h"
#include "store/store_clinic.h"

#define EPOCH(x)	"floor(extract(epoch FROM " x "))::bigint"

/* One call's parameters: text unless set binary. */
struct sc_params {
	const char	*v[12];
	int		 l[12];
	int		 f[12];
	int		 n;
};

static void
sc_text(struct sc_params *p, const char *v)
{
	p->v[p->n] = v;
	p->l[p->n] = 0;
	p->f[p->n] = 0;
	p->n++;
}

static void
sc_bin(struct sc_params *p, const unsigned char *v, int len)
{
	p->v[p->n] = (const char *)v;
	p->l[p->n] = len;
	p->f[p->n] = 1;
	p->n++;
}

static enum store_err
sc_run(struct store *s, const char *sql, const struct sc_params *p,
    PGresult **res)
{
	return store_query(s, sql, p->n, p->v, p->l, p->f, 0, res);
}

static enum store_err
sc_bad(PGresult *res, const char *what)
{
	log_error("store: %s: unexpected result", what);
	PQclear(res);
	return STORE_ERROR;
}

/* A decimal column (NULL reads as 0); -1 when it is not one. */
static int
sc_ll(const PGresult *res, int row, int col, long long *out)
{
	const char	*v;
	char		*end;

	*out = 0;
	if (PQgetisnull(res, row, col))
		return 0;
	v = PQgetvalue(res, row, col);
	*out = strtoll(v, &end, 10);
	return *v != '\0' && *end == '\0' ? 0 : -1;
}

static int
sc_time(const PGresult *res, int row, int col, time_t *out)
{
	long long	 v;

	if (sc_ll(res, row, col, &v) == -1)
		return -1;
	*out = (time_t)v;
	return 0;
}

/* Copy a text column into a fixed buffer ("" for NULL); -1 if too long. */
static int
sc_copy(const PGresult *res, int row, int col, char *out, size_t outsz)
{
	int	 len = PQgetlength(res, row, col);

	out[0] = '\0';
	if (PQgetisnull(res, row, col))
		return 0;
	if (len < 0 || (size_t)len >= outsz)
		return -1;
	memcpy(out, PQgetvalue(res, row, col), (size_t)len);
	out[len] = '\0';
	return 0;
}

/* A malloc'ed copy of a text column; *out NULL for NULL. -1: no memory. */
static int
sc_dup(const PGresult *res, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(res, row, col))
		return 0;
	return (*out = strdup(PQgetvalue(res, row, col))) != NULL ? 0 : -1;
}

/* A 32-byte value sent back as encode(x, 'hex'): 1, 0 for NULL, -1. */
static int
sc_hex32(const PGresult *res, int row, int col, unsigned char out[32])
{
	const char	*v;
	size_t		 got;

	if (PQgetisnull(res, row, col))
		return 0;
	v = PQgetvalue(res, row, col);
	if (sodium_hex2bin(out, 32, v, strlen(v), NULL, &got, NULL) != 0 ||
	    got != 32)
		return -1;
	return 1;
}

/* Run a change that answers one row per audit row written. */
static enum store_err
sc_change(struct store *s, const char *sql, const struct sc_params *p,
    const char *what, int *changed)
{
	PGresult	*res;
	enum store_err	 rc;

	*changed = 0;
	if ((rc = sc_run(s, sql, p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) > 1)
		return sc_bad(res, what);
	*changed = PQntuples(res);
	PQclear(res);
	return STORE_OK;
}

/* ---- staff ---- */

#define STAFF_COLS \
	"id, username, display_name, role, disabled_at IS NOT NULL," \
	EPOCH("created_at")

static int
sc_staff_row(const PGresult *res, int row, struct store_staff *st)
{
	memset(st, 0, sizeof(*st));
	if (sc_ll(res, row, 0, &st->id) == -1 ||
	    sc_copy(res, row, 1, st->username, sizeof(st->username)) == -1 ||
	    sc_copy(res, row, 2, st->display_name,
	    sizeof(st->display_name)) == -1 ||
	    sc_copy(res, row, 3, st->role, sizeof(st->role)) == -1 ||
	    sc_time(res, row, 5, &st->created_at) == -1)
		return -1;
	st->disabled = strcmp(PQgetvalue(res, row, 4), "t") == 0;
	return 0;
}

enum store_err
store_staff_get(struct store *s, const char *username, struct store_staff *st)
{
	struct sc_params	 p = { .n = 0 };
	PGresult		*res;
	enum store_err		 rc;

	memset(st, 0, sizeof(*st));
	sc_text(&p, username);
	if ((rc = sc_run(s, "SELECT " STAFF_COLS ", password_hash FROM staff"
	    " WHERE username = $1", &p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	if (PQnfields(res) != 7 || sc_staff_row(res, 0, st) == -1 ||
	    sc_copy(res, 0, 6, st->hash, sizeof(st->hash)) == -1) {
		sodium_memzero(st, sizeof(*st));
		return sc_bad(res, "staff");
	}
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_staff_list(struct store *s, struct store_staff **out, size_t *n)
{
	struct sc_params	 p = { .n = 0 };
	struct store_staff	*v = NULL;
	PGresult		*res;
	enum store_err		 rc;
	int			 i, rows;

	*out = NULL;
	*n = 0;
	if ((rc = sc_run(s, "SELECT " STAFF_COLS " FROM staff"
	    " ORDER BY username", &p, &res)) != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (PQnfields(res) != 6)
		return sc_bad(res, "staff list");
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(res);
		return STORE_ERROR;
	}
	for (i = 0; i < rows; i++)
		if (sc_staff_row(res, i, &v[i]) == -1) {
			free(v);
			return sc_bad(res, "staff list");
		}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return STORE_OK;
}

enum store_err
store_staff_add(struct store *s, const struct store_staff *in,
    const struct store_actor *a, int *added)
{
	struct sc_params	 p = { .n = 0 };

	sc_text(&p, in->username);
	sc_text(&p, in->display_name);
	sc_text(&p, in->role);
	sc_text(&p, in->hash);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	return sc_change(s,
	    "WITH ins AS (INSERT INTO staff"
	    "  (username, display_name, role, password_hash)"
	    "  VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING"
	    "  RETURNING username, role)"
	    " SELECT audit_append($5::text, 'staff-add',"
	    "  'staff:' || username || ' role:' || role, $6::text) FROM ins",
	    &p, "staff add", added);
}

enum store_err
store_staff_disable(struct store *s, const char *username,
    const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	enum store_err		 rc;
	int			 done;

	sc_text(&p, username);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH upd AS (UPDATE staff"
	    "  SET disabled_at = coalesce(disabled_at, now())"
	    "  WHERE username = $1 RETURNING id, username),"
	    " ended AS (DELETE FROM staff_sessions AS x USING upd"
	    "  WHERE x.staff_id = upd.id)"
	    " SELECT audit_append($2::text, 'staff-disable',"
	    "  'staff:' || username, $3::text) FROM upd",
	    &p, "staff disable", &done);
	return rc == STORE_OK && !done ? STORE_NOT_FOUND : rc;
}

enum store_err
store_staff_password(struct store *s, const char *username, const char *hash,
    const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	enum store_err		 rc;
	int			 done;

	sc_text(&p, username);
	sc_text(&p, hash);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH upd AS (UPDATE staff SET password_hash = $2"
	    "  WHERE username = $1 RETURNING id, username),"
	    " ended AS (DELETE FROM staff_sessions AS x USING upd"
	    "  WHERE x.staff_id = upd.id)"
	    " SELECT audit_append($3::text, 'staff-reset',"
	    "  'staff:' || username, $4::text) FROM upd",
	    &p, "staff password", &done);
	return rc == STORE_OK && !done ? STORE_NOT_FOUND : rc;
}

/* ---- sign-in and sessions ---- */

enum store_err
store_login_locked(struct store *s, const unsigned char key[32], time_t *until)
{
	struct sc_params	 p = { .n = 0 };
	PGresult		*res;
	enum store_err		 rc;

	*until = 0;
	sc_bin(&p, key, 32);
	/*
	 * A failure "triggers" when it is the fifth within 15 minutes; the
	 * lock runs 15 minutes from the latest trigger. Failures are not
	 * recorded while locked, so attempts cannot stretch the lock.
	 */
	if ((rc = sc_run(s,
	    "SELECT " EPOCH("max(f.at) + interval '15 minutes'")
	    " FROM login_failures AS f"
	    " WHERE f.login_key = $1 AND f.at > now() - interval '15 minutes'"
	    " AND (SELECT count(*) FROM login_failures AS g"
	    "  WHERE g.login_key = f.login_key"
	    "  AND g.at > f.at - interval '15 minutes' AND g.at <= f.at) >= 5",
	    &p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || sc_time(res, 0, 0, until) == -1)
		return sc_bad(res, "lockout");
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_login_failed(struct store *s, const unsigned char key[32],
    const struct store_actor *a, const char *target)
{
	struct sc_params	 p = { .n = 0 };
	int			 done;

	sc_bin(&p, key, 32);
	sc_text(&p, a->who);
	sc_text(&p, target);
	sc_text(&p, a->address);
	return sc_change(s,
	    "WITH ins AS (INSERT INTO login_failures (login_key) VALUES ($1)"
	    "  RETURNING id)"
	    " SELECT audit_append($2::text, 'sign-in-failed', $3::text,"
	    "  $4::text) FROM ins", &p, "sign-in failure", &done);
}

enum store_err
store_session_start(struct store *s, const unsigned char hash[32],
    long long staff_id, const unsigned char key[32], unsigned idle_s,
    unsigned max_s, const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	char			 id[24], idle[16], max[16];
	enum store_err		 rc;
	int			 done;

	snprintf(id, sizeof(id), "%lld", staff_id);
	snprintf(idle, sizeof(idle), "%u", idle_s);
	snprintf(max, sizeof(max), "%u", max_s);
	sc_bin(&p, hash, 32);
	sc_text(&p, id);
	sc_bin(&p, key, 32);
	sc_text(&p, idle);
	sc_text(&p, max);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH dead AS (DELETE FROM staff_sessions"
	    "  WHERE last_seen_at <= now() - $4::integer * interval '1 second'"
	    "  OR created_at <= now() - $5::integer * interval '1 second'),"
	    " cleared AS (DELETE FROM login_failures"
	    "  WHERE login_key = $3 OR at < now() - interval '1 day'),"
	    " ins AS (INSERT INTO staff_sessions (token_hash, staff_id)"
	    "  VALUES ($1, $2) RETURNING staff_id)"
	    " SELECT audit_append($6::text, 'sign-in', 'staff:' || $6::text,"
	    "  $7::text) FROM ins", &p, "session start", &done);
	return rc == STORE_OK && !done ? STORE_ERROR : rc;
}

enum store_err
store_session_get(struct store *s, const unsigned char hash[32],
    unsigned idle_s, unsigned max_s, struct store_staff *st)
{
	struct sc_params	 p = { .n = 0 };
	char			 idle[16], max[16];
	PGresult		*res;
	enum store_err		 rc;

	memset(st, 0, sizeof(*st));
	snprintf(idle, sizeof(idle), "%u", idle_s);
	snprintf(max, sizeof(max), "%u", max_s);
	sc_bin(&p, hash, 32);
	sc_text(&p, idle);
	sc_text(&p, max);
	/*
	 * A live session's last_seen_at is refreshed only once it is older
	 * than a tenth of the idle timeout (30 s at most): most page views
	 * then write nothing, and commit without waiting for the disk.
	 */
	if ((rc = sc_run(s,
	    "WITH live AS (SELECT st.id, st.username,"
	    " st.display_name, st.role, st.disabled_at, st.created_at,"
	    " x.last_seen_at"
	    " FROM staff_sessions AS x JOIN staff AS st ON st.id = x.staff_id"
	    " WHERE x.token_hash = $1"
	    " AND st.disabled_at IS NULL"
	    " AND x.last_seen_at > now() - $2::integer * interval '1 second'"
	    " AND x.created_at > now() - $3::integer * interval '1 second'),"
	    " seen AS (UPDATE staff_sessions SET last_seen_at = now()"
	    " WHERE token_hash = $1 AND EXISTS (SELECT 1 FROM live"
	    " WHERE last_seen_at <"
	    " now() - least(30.0, $2::integer / 10.0)::float8 * interval '1 second'))"
	    " SELECT live.id, live.username, live.display_name, live.role,"
	    " live.disabled_at IS NOT NULL, " EPOCH("live.created_at")
	    " FROM live",
	    &p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 1 && PQnfields(res) == 6) {
		if (sc_staff_row(res, 0, st) == -1)
			return sc_bad(res, "session");
		PQclear(res);
		return STORE_OK;
	}
	if (PQntuples(res) != 0)
		return sc_bad(res, "session");
	PQclear(res);
	/* Dead or unknown: make sure it stays dead. */
	p.n = 1;
	if ((rc = sc_run(s, "DELETE FROM staff_sessions WHERE token_hash = $1",
	    &p, &res)) != STORE_OK)
		return rc;
	PQclear(res);
	return STORE_NOT_FOUND;
}

enum store_err
store_session_end(struct store *s, const unsigned char hash[32],
    const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	enum store_err		 rc;
	int			 done;

	sc_bin(&p, hash, 32);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH del AS (DELETE FROM staff_sessions WHERE token_hash = $1"
	    "  RETURNING staff_id)"
	    " SELECT audit_append($2::text, 'sign-out', 'staff:' || $2::text,"
	    "  $3::text) FROM del", &p, "session end", &done);
	return rc == STORE_OK && !done ? STORE_NOT_FOUND : rc;
}

/* ---- appointments ---- */

/* The start of the day after $3 (clinic time, zone $6) as timestamptz. */
#define INVITE_EXPIRY \
	"((date_trunc('day', $3::timestamp) + interval '1 day')" \
	" AT TIME ZONE $6::text)"

enum store_err
store_appt_create(struct store *s, const struct store_appt_in *in,
    const unsigned char nonce[32], const unsigned char invite_hash[32],
    const struct store_actor *a, long long *id)
{
	struct sc_params	 p = { .n = 0 };
	PGresult		*res;
	enum store_err		 rc;

	*id = 0;
	sc_text(&p, in->patient_name);
	sc_text(&p, in->email);
	sc_text(&p, in->starts_at);
	sc_text(&p, in->therapist);
	sc_text(&p, in->modality);
	sc_text(&p, in->timezone);
	sc_bin(&p, invite_hash, 32);
	sc_bin(&p, nonce, 32);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	if ((rc = sc_run(s,
	    "WITH ins AS (INSERT INTO appointments (patient_name, email,"
	    "  starts_at, therapist, modality, invite_hash, invite_nonce,"
	    "  invite_expires_at)"
	    "  VALUES ($1, $2, $3::timestamp AT TIME ZONE $6::text, $4, $5,"
	    "  $7, $8, " INVITE_EXPIRY ")"
	    "  RETURNING id)"
	    " SELECT id, audit_append($9::text, 'appointment-create',"
	    "  'appointment:' || id, $10::text) FROM ins", &p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1 || sc_ll(res, 0, 0, id) == -1 || *id <= 0)
		return sc_bad(res, "appointment create");
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_appt_update(struct store *s, long long id, const struct store_appt_in *in,
    const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	char			 ids[24];
	enum store_err		 rc;
	int			 done;

	snprintf(ids, sizeof(ids), "%lld", id);
	sc_text(&p, in->patient_name);
	sc_text(&p, in->email);
	sc_text(&p, in->starts_at);
	sc_text(&p, in->therapist);
	sc_text(&p, in->modality);
	sc_text(&p, in->timezone);
	sc_text(&p, ids);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH upd AS (UPDATE appointments SET patient_name = $1,"
	    "  email = $2, starts_at = $3::timestamp AT TIME ZONE $6::text,"
	    "  therapist = $4, modality = $5,"
	    "  invite_expires_at = CASE WHEN invite_hash IS NULL THEN NULL"
	    "   ELSE " INVITE_EXPIRY " END,"
	    "  updated_at = now()"
	    "  WHERE id = $7::bigint AND cancelled_at IS NULL RETURNING id)"
	    " SELECT audit_append($8::text, 'appointment-edit',"
	    "  'appointment:' || id, $9::text) FROM upd",
	    &p, "appointment edit", &done);
	return rc == STORE_OK && !done ? STORE_NOT_FOUND : rc;
}

enum store_err
store_appt_cancel(struct store *s, long long id, const struct store_actor *a)
{
	struct sc_params	 p = { .n = 0 };
	char			 ids[24];
	enum store_err		 rc;
	int			 done;

	snprintf(ids, sizeof(ids), "%lld", id);
	sc_text(&p, ids);
	sc_text(&p, a->who);
	sc_text(&p, a->address);
	rc = sc_change(s,
	    "WITH upd AS (UPDATE appointments SET cancelled_at = now(),"
	    "  updated_at = now()"
	    "  WHERE id = $1::bigint AND cancelled_at IS NULL RETURNING id)"
	    " SELECT audit_append($2::text, 'appointment-cancel',"
	    "  'appointment:' || id, $3::text) FROM upd",
	    &p, "appointment cancel", &done);
	return rc == STORE_OK && !done ? STORE_NOT_FOUND : rc;
}

/* Columns of an appointment with its newest intake's state. */
#define APPT_SELECT \
	"SELECT a.id, a.patient_name, a.email, " EPOCH("a.starts_at") "," \
	" a.therapist, a.modality, " EPOCH("a.invite_expires_at") "," \
	" " EPOCH("a.cancelled_at") ", encode(a.invite_nonce, 'hex')," \
	" encode(a.invite_hash, 'hex'), n.id, st.status, st.open_severity," \
	" st.nflags" \
	" FROM appointments AS a" \
	" LEFT JOIN LATERAL (SELECT i.id FROM intakes AS i" \
	"  WHERE i.appointment_id = a.id" \
	"  ORDER BY i.received_at DESC, i.id DESC LIMIT 1) AS n ON true" \
	" LEFT JOIN intake_states AS st ON st.intake_id = n.id"
#define APPT_NCOLS	14

static int
sc_appt_row(const PGresult *res, int row, struct store_appt *ap)
{
	int	 r;

	memset(ap, 0, sizeof(*ap));
	if (sc_ll(res, row, 0, &ap->id) == -1 ||
	    sc_dup(res, row, 1, &ap->patient_name) == -1 ||
	    ap->patient_name == NULL ||
	    sc_dup(res, row, 2, &ap->email) == -1 ||
	    sc_time(res, row, 3, &ap->starts_at) == -1 ||
	    sc_copy(res, row, 4, ap->therapist, sizeof(ap->therapist)) == -1 ||
	    sc_copy(res, row, 5, ap->modality, sizeof(ap->modality)) == -1 ||
	    sc_time(res, row, 6, &ap->invite_expires_at) == -1 ||
	    sc_time(res, row, 7, &ap->cancelled_at) == -1 ||
	    (r = sc_hex32(res, row, 8, ap->invite_nonce)) == -1 ||
	    sc_hex32(res, row, 9, ap->invite_hash) == -1 ||
	    sc_ll(res, row, 10, &ap->intake_id) == -1 ||
	    sc_copy(res, row, 11, ap->status, sizeof(ap->status)) == -1 ||
	    sc_copy(res, row, 12, ap->severity, sizeof(ap->severity)) == -1 ||
	    sc_ll(res, row, 13, &ap->nflags) == -1) {
		store_appt_clear(ap);
		return -1;
	}
	ap->has_nonce = r == 1 && !PQgetisnull(res, row, 9);
	if (ap->intake_id == 0)
		snprintf(ap->status, sizeof(ap->status), "invited");
	return 0;
}

enum store_err
store_appt_get(struct store *s, long long id, struct store_appt *ap)
{
	struct sc_params	 p = { .n = 0 };
	char			 ids[24];
	PGresult		*res;
	enum store_err		 rc;

	memset(ap, 0, sizeof(*ap));
	snprintf(ids, sizeof(ids), "%lld", id);
	sc_text(&p, ids);
	if ((rc = sc_run(s, APPT_SELECT " WHERE a.id = $1::bigint", &p,
	    &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != APPT_NCOLS ||
	    sc_appt_row(res, 0, ap) == -1)
		return sc_bad(res, "appointment");
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_appt_list(struct store *s, time_t from, int with_cancelled, size_t max,
    struct store_appt **out, size_t *n)
{
	struct sc_params	 p = { .n = 0 };
	struct store_appt	*v = NULL;
	char			 f[24], m[24];
	PGresult		*res;
	enum store_err		 rc;
	int			 i, rows;

	*out = NULL;
	*n = 0;
	snprintf(f, sizeof(f), "%lld", (long long)from);
	snprintf(m, sizeof(m), "%zu", max);
	sc_text(&p, f);
	sc_text(&p, with_cancelled ? "t" : "f");
	sc_text(&p, m);
	if ((rc = sc_run(s, APPT_SELECT
	    " WHERE a.starts_at >= to_timestamp($1::bigint)"
	    " AND ($2::boolean OR a.cancelled_at IS NULL)"
	    " ORDER BY a.starts_at, a.id LIMIT $3::bigint", &p, &res)) != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (PQnfields(res) != APPT_NCOLS)
		return sc_bad(res, "appointment list");
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(res);
		return STORE_ERROR;
	}
	for (i = 0; i < rows; i++)
		if (sc_appt_row(res, i, &v[i]) == -1) {
			store_appts_free(v, (size_t)i);
			return sc_bad(res, "appointment list");
		}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return STORE_OK;
}

void
store_appt_clear(struct store_appt *ap)
{
	if (ap == NULL)
		return;
	free(ap->patient_name);
	free(ap->email);
	memset(ap, 0, sizeof(*ap));
}

void
store_appts_free(struct store_appt *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_appt_clear(&v[i]);
	free(v);
}

/* ---- intakes, as the dashboard lists them ---- */

#define INTAKE_ROW_SELECT \
	"SELECT i.id, i.appointment_id, i.reference, i.given_name," \
	" i.family_name, " EPOCH("i.received_at") ", st.status," \
	" st.open_severity, st.nflags" \
	" FROM intakes AS i JOIN intake_states AS st ON st.intake_id = i.id"

enum store_err
store_intake_rows(struct store *s, long long appt, size_t max,
    struct store_intake_row **out, size_t *n)
{
	struct sc_params	 p = { .n = 0 };
	struct store_intake_row	*v = NULL;
	char			 a[24], m[24];
	PGresult		*res;
	enum store_err		 rc;
	int			 i, rows;

	*out = NULL;
	*n = 0;
	snprintf(m, sizeof(m), "%zu", max);
	sc_text(&p, m);
	/*
	 * Unassigned ones in the dashboard's order, which is the expression
	 * of the index intakes_unassigned_queue (sql/010): a page of it is
	 * read, however many intakes the clinic holds.
	 */
	if (appt == 0)
		rc = sc_run(s, INTAKE_ROW_SELECT
		    " WHERE i.appointment_id IS NULL"
		    " ORDER BY (i.superseded::integer * 10 +"
		    "  coalesce(severity_rank(i.open_severity), 5)),"
		    " i.received_at DESC, i.id DESC LIMIT $1::bigint", &p, &res);
	else {
		snprintf(a, sizeof(a), "%lld", appt);
		sc_text(&p, a);
		rc = sc_run(s, INTAKE_ROW_SELECT
		    " WHERE i.appointment_id = $2::bigint"
		    " ORDER BY i.received_at DESC, i.id DESC LIMIT $1::bigint",
		    &p, &res);
	}
	if (rc != STORE_OK)
		return rc;
	rows = PQntuples(res);
	if (PQnfields(res) != 9)
		return sc_bad(res, "intake rows");
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(res);
		return STORE_ERROR;
	}
	for (i = 0; i < rows; i++) {
		if (sc_ll(res, i, 0, &v[i].id) == -1 ||
		    sc_ll(res, i, 1, &v[i].appointment_id) == -1 ||
		    sc_copy(res, i, 2, v[i].reference,
		    sizeof(v[i].reference)) == -1 ||
		    sc_dup(res, i, 3, &v[i].given_name) == -1 ||
		    sc_dup(res, i, 4, &v[i].family_name) == -1 ||
		    sc_time(res, i, 5, &v[i].received_at) == -1 ||
		    sc_copy(res, i, 6, v[i].status, sizeof(v[i].status)) == -1 ||
		    sc_copy(res, i, 7, v[i].severity,
		    sizeof(v[i].severity)) == -1 ||
		    sc_ll(res, i, 8, &v[i].nflags) == -1 ||
		    v[i].given_name == NULL || v[i].family_name == NULL) {
			store_intake_rows_free(v, (size_t)i + 1);
			return sc_bad(res, "intake rows");
		}
	}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return STORE_OK;
}

void
store_intake_rows_free(struct store_intake_row *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].given_name);
		free(v[i].family_name);
	}
	free(v);
}
