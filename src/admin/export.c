/*
 * export.c: intakectl export --given NAME --family NAME --dob YYYY-MM-DD
 * [-o FILE]. One patient's records (api.md: the same normalised given
 * name, family name and date of birth) as one <records> document of
 * schemas/record.xsd, for a patient's access request. Each intake is read
 * as the clinic worker reads it (store_review_load, record_load) with the
 * clinic's secret keys. The export is written to the audit log before a
 * byte of it is written out; if that fails, nothing is.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/buf.h"
#include "core/retention.h"
#include "crypto/envelope.h"
#include "form/formdef.h"
#include "form/xmlutil.h"
#include "record/record.h"
#include "store/store_admin.h"
#include "store/store_review.h"

#define ADMIN_EXPORT_FORMS	8	/* form versions held at once */
#define ADMIN_EXPORT_NAMEMAX	250	/* as the form's name fields */

/* The form definitions by version, loaded on first use. */
struct admin_forms {
	struct formdef	*fd[ADMIN_EXPORT_FORMS];
	size_t		 n;
};

static const struct formdef *
admin_export_form(struct admin *a, struct admin_forms *f, unsigned version)
{
	char	 path[4096], xsd[4096], why[512];
	size_t	 i;

	for (i = 0; i < f->n; i++)
		if (f->fd[i]->version == version)
			return f->fd[i];
	if (f->n == ADMIN_EXPORT_FORMS) {
		warnx("more form versions than intakectl holds at once");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/schemas/form-v%u.xml",
	    a->cfg.share_dir, version);
	snprintf(xsd, sizeof(xsd), "%s/schemas/form-definition.xsd",
	    a->cfg.share_dir);
	if (formdef_load(path, xsd, &f->fd[f->n], why, sizeof(why)) == -1) {
		warnx("cannot read form version %u: %s", version, why);
		return NULL;
	}
	if (f->fd[f->n]->version != version) {
		warnx("%s is not form version %u", path, version);
		formdef_free(f->fd[f->n]);
		return NULL;
	}
	return f->fd[f->n++];
}

/* Say which parts of a record could not be read (no value, ever). */
static void
admin_export_unreadable(const struct record *r)
{
	size_t	 i, j, bad = 0;

	bad += r->plain.state != RECORD_READ;
	bad += r->sensitive.state != RECORD_READ;
	for (i = 0; i < r->nflags; i++) {
		bad += r->flags[i].part.state != RECORD_READ;
		for (j = 0; j < r->flags[i].ndecisions; j++)
			bad += r->flags[i].decisions[j].note.present &&
			    r->flags[i].decisions[j].note.part.state !=
			    RECORD_READ;
	}
	for (i = 0; i < r->nconsents; i++)
		bad += r->consents[i].note.present &&
		    r->consents[i].note.part.state != RECORD_READ;
	if (bad > 0)
		warnx("intake %lld: %zu part%s could not be read and %s marked "
		    "<unreadable> in the export (%s)", r->intake_id, bad,
		    bad == 1 ? "" : "s", bad == 1 ? "is" : "are",
		    r->sensitive.state != RECORD_READ ?
		    record_part_message(&r->sensitive) :
		    "see the export");
}

static int
admin_export_name(const char *opt, const char *v)
{
	size_t	 len = strlen(v);

	if (len == 0 || len > ADMIN_EXPORT_NAMEMAX) {
		warnx("%s wants a name of 1 to %d bytes", opt,
		    ADMIN_EXPORT_NAMEMAX);
		return -1;
	}
	return 0;
}

/* Write all of b to fd. */
static int
admin_export_write(int fd, const char *p, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
admin_cmd_export(struct admin *a, int argc, char **argv)
{
	struct admin_forms	 forms;
	struct store_patient	 p;
	struct store_review	*sr = NULL;
	struct env_keyring	*ring = NULL;
	struct record		*rec = NULL;
	struct retention_date	 dob;
	const struct formdef	*fd;
	const char		*given = NULL, *family = NULL, *dobs = NULL;
	const char		*out = NULL;
	struct buf		 x, target;
	struct store		*db;
	char			 when[32], actor[128];
	size_t			 i;
	time_t			 now;
	enum store_err		 e;
	int			 j, fdout = -1, rc = ADMIN_FAIL;

	for (j = 1; j < argc; j++) {
		if (j + 1 >= argc)
			return admin_usage("export");
		if (strcmp(argv[j], "--given") == 0)
			given = argv[++j];
		else if (strcmp(argv[j], "--family") == 0)
			family = argv[++j];
		else if (strcmp(argv[j], "--dob") == 0)
			dobs = argv[++j];
		else if (strcmp(argv[j], "-o") == 0)
			out = argv[++j];
		else
			return admin_usage("export");
	}
	if (given == NULL || family == NULL || dobs == NULL)
		return admin_usage("export");
	if (admin_export_name("--given", given) == -1 ||
	    admin_export_name("--family", family) == -1)
		return ADMIN_USAGE;
	if (retention_date_parse(dobs, &dob) == -1) {
		warnx("--dob wants a date of birth as YYYY-MM-DD");
		return ADMIN_USAGE;
	}
	memset(&forms, 0, sizeof(forms));
	memset(&p, 0, sizeof(p));
	buf_init(&x);
	buf_init(&target);
	/* Health data: a new file only its owner may read, never replaced. */
	if (out != NULL && (fdout = open(out, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		if (errno == EEXIST)
			warnx("%s exists: an export never replaces a file", out);
		else
			warn("%s", out);
		return ADMIN_FAIL;
	}
	/* From here: goto out. */
	if ((db = admin_db(a)) == NULL)
		goto out;
	e = store_patient_find(db, a->cfg.timezone, given, family, dobs, &p);
	if (e == STORE_NOT_FOUND) {
		warnx("no intake of a patient with that given name, family "
		    "name and date of birth");
		goto out;
	}
	if (e != STORE_OK) {
		admin_dberr(a, "find the patient", e);
		goto out;
	}
	if (admin_keyring(a, &ring) == -1)
		goto out;
	xmlu_init();

	now = time(NULL);
	record_time(now, when, sizeof(when));
	buf_printf(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<records xmlns=\"%s\" exported=\"%s\">\n", RECORD_NS, when);
	buf_puts(&target, "intakes:");
	for (i = 0; i < p.nintakes; i++) {
		if ((e = store_review_load(db, p.intakes[i], &sr)) != STORE_OK) {
			admin_dberr(a, "read an intake", e);
			goto out;
		}
		if ((fd = admin_export_form(a, &forms,
		    store_review_src(sr)->form_version)) == NULL)
			goto out;
		if (record_load(fd, ring, store_review_src(sr), &rec) !=
		    RECORD_OK) {
			warnx("intake %lld: cannot read it (out of memory, or "
			    "its rows disagree)", p.intakes[i]);
			goto out;
		}
		admin_export_unreadable(rec);
		record_write_xml(rec, 0, &x);
		record_free(rec);
		rec = NULL;
		store_review_free(sr);
		sr = NULL;
		buf_printf(&target, "%s%lld", i ? "," : "", p.intakes[i]);
		if (p.nintakes > 20 && (i + 1) % 20 == 0)
			fprintf(stderr, "read %zu of %zu intakes\n", i + 1,
			    p.nintakes);
	}
	buf_puts(&x, "</records>\n");
	if (buf_failed(&x) || buf_failed(&target)) {
		warnx("out of memory");
		goto out;
	}
	/* A view whose audit row cannot be written is not shown. */
	admin_actor(actor, sizeof(actor));
	if ((e = store_audit_append(db, actor, "export", target.data, NULL,
	    NULL)) != STORE_OK) {
		admin_dberr(a, "write the export to the audit log (nothing "
		    "was exported)", e);
		goto out;
	}
	if (admin_export_write(fdout != -1 ? fdout : STDOUT_FILENO, x.data,
	    x.len) == -1 || (fdout != -1 && fsync(fdout) == -1)) {
		warn("%s", out != NULL ? out : "standard output");
		goto out;
	}
	if (fdout != -1) {
		j = close(fdout);
		fdout = -1;
		if (j == -1) {
			warn("%s", out);
			goto out;
		}
	}
	fprintf(out != NULL ? stdout : stderr, "exported %zu record%s of %s, "
	    "%s, born %s%s%s\n", p.nintakes, p.nintakes == 1 ? "" : "s",
	    p.family, p.given, p.dob, out != NULL ? " to " : "",
	    out != NULL ? out : "");
	rc = ADMIN_OK;
out:
	if (fdout != -1)
		close(fdout);
	if (rc != ADMIN_OK && out != NULL)
		unlink(out);
	record_free(rec);
	store_review_free(sr);
	env_keyring_free(ring);
	for (i = 0; i < forms.n; i++)
		formdef_free(forms.fd[i]);
	store_patient_clear(&p);
	buf_wipe_free(&x);
	buf_free(&target);
	return rc;
}
