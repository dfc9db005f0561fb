/*
 * purge.c: intakectl purge [--dry-run]. Deletes what is past retention
 * (api.md, Administration; the rule is src/core/retention.c): for each
 * patient due, their intakes with flags, consent records and review
 * decisions, and the appointments tied to them, one transaction and one
 * audit row per patient (sql/008_admin.sql). Consent texts and the audit
 * log are never deleted. --dry-run lists the same set and deletes
 * nothing.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "core/retention.h"
#include "store/store_admin.h"

/* "3,4,7" (at most the first 50, then "..."), "none" when n is 0. */
static void
admin_purge_ids(const long long *ids, size_t n)
{
	size_t	 i;

	if (n == 0) {
		printf("none");
		return;
	}
	for (i = 0; i < n && i < 50; i++)
		printf("%s%lld", i ? "," : "", ids[i]);
	if (n > 50)
		printf(",... (%zu in all)", n);
}

/*
 * Whether p is due on today; *end gets the end of its retention and
 * *by what the last visit was. -1 when a date does not parse (a bug).
 */
static int
admin_purge_judge(const struct store_patient *p,
    const struct retention_date *today, struct retention_date *end,
    const char **by)
{
	struct retention_date	 dob, appt, intake;
	int			 has_appt = *p->last_appt != '\0';

	if (retention_date_parse(p->dob, &dob) == -1 ||
	    retention_date_parse(p->last_intake, &intake) == -1 ||
	    (has_appt && retention_date_parse(p->last_appt, &appt) == -1))
		return -1;
	retention_end(&dob, has_appt ? &appt : NULL, &intake, end);
	*by = has_appt ? "appointment" : "intake";
	return retention_due(end, today);
}

int
admin_cmd_purge(struct admin *a, int argc, char **argv)
{
	struct store_patient	*v = NULL;
	struct store_purged	 c, sum;
	struct retention_date	 today, end;
	struct store		*db;
	const char		*by;
	char			 todays[11], ends[11], actor[128];
	size_t			 n = 0, i, due = 0, stale = 0, failed = 0;
	int			 dry = 0, j, d, isstale, rc = ADMIN_FAIL;
	enum store_err		 e;

	for (j = 1; j < argc; j++) {
		if (strcmp(argv[j], "--dry-run") == 0 || strcmp(argv[j],
		    "-n") == 0)
			dry = 1;
		else
			return admin_usage("purge");
	}
	if ((db = admin_db(a)) == NULL)
		return ADMIN_FAIL;
	if ((e = store_patients(db, a->cfg.timezone, todays, &v, &n)) !=
	    STORE_OK) {
		admin_dberr(a, "list the patients", e);
		return ADMIN_FAIL;
	}
	/* From here: goto out. */
	if (retention_date_parse(todays, &today) == -1) {
		warnx("the database gave a date that does not parse: %s",
		    todays);
		goto out;
	}
	admin_actor(actor, sizeof(actor));
	memset(&sum, 0, sizeof(sum));
	printf("today is %s (%s); %zu patient%s on record\n", todays,
	    a->cfg.timezone, n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if ((d = admin_purge_judge(&v[i], &today, &end, &by)) == -1) {
			warnx("patient %zu: a date that does not parse", i + 1);
			goto out;
		}
		if (!d)
			continue;
		due++;
		retention_date_format(&end, ends);
		printf("due: %s, %s, born %s: last visit %s (%s), retention "
		    "ended %s; intakes ", v[i].family, v[i].given, v[i].dob,
		    *v[i].last_appt != '\0' ? v[i].last_appt :
		    v[i].last_intake, by, ends);
		admin_purge_ids(v[i].intakes, v[i].nintakes);
		printf("; appointments ");
		admin_purge_ids(v[i].appts, v[i].nappts);
		printf("\n");
		fflush(stdout);
		if (dry)
			continue;
		e = store_patient_purge(db, &v[i], a->cfg.timezone, actor, &c,
		    &isstale);
		if (e != STORE_OK) {
			admin_dberr(a, "delete that patient's records", e);
			failed++;
			continue;
		}
		if (isstale) {
			printf("  kept: the records changed since they were "
			    "listed (a new visit?); run purge again\n");
			stale++;
			continue;
		}
		printf("  deleted %lld intake%s, %lld flag%s, %lld consent "
		    "record%s, %lld review decision%s, %lld appointment%s\n",
		    c.intakes, c.intakes == 1 ? "" : "s", c.flags,
		    c.flags == 1 ? "" : "s", c.consents,
		    c.consents == 1 ? "" : "s", c.decisions,
		    c.decisions == 1 ? "" : "s", c.appointments,
		    c.appointments == 1 ? "" : "s");
		fflush(stdout);
		sum.intakes += c.intakes;
		sum.appointments += c.appointments;
	}
	if (dry)
		printf("%zu patient%s past retention; nothing deleted "
		    "(--dry-run)\n", due, due == 1 ? "" : "s");
	else
		printf("%zu patient%s past retention: %lld intake%s and %lld "
		    "appointment%s deleted%s\n", due - stale - failed,
		    due - stale - failed == 1 ? "" : "s", sum.intakes,
		    sum.intakes == 1 ? "" : "s", sum.appointments,
		    sum.appointments == 1 ? "" : "s",
		    stale > 0 ? "; some were kept, see above" : "");
	rc = failed > 0 ? ADMIN_FAIL : ADMIN_OK;
out:
	store_patients_free(v, n);
	return rc;
}
