/*
 * review.c: one intake for its therapist (api.md, clinic side).
 *
 *   GET  /clinic/intakes/{id}        the answers, flags, body map, consent
 *   GET  /clinic/intakes/{id}.xml    the same record as XML (record.xsd)
 *   POST /clinic/intakes/{id}/flags/{flag}          a review decision
 *   POST /clinic/intakes/{id}/assign                tie it to an appointment
 *   POST /clinic/intakes/{id}/consent-withdrawal    withdraw consent
 *
 * main.c has checked the session, the role and (POST) the CSRF token.
 * A view fetches the rows (ciphertext), writes its audit row, and only
 * then opens anything: a view that cannot be audited shows nothing. The
 * changes are one statement each with their audit row (sql/005).
 *
 * A note is sealed under a fresh data key to the clinic's public key,
 * not under the intake's data key: that key was chosen by the
 * internet-facing side, which must not be able to read notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "clinic/clinic.h"
#include "core/buf.h"
#include "core/log.h"
#include "crypto/envelope.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "record/record.h"
#include "screen/screen.h"
#include "store/store.h"
#include "store/store_clinic.h"
#include "store/store_review.h"
#include "web/html.h"

#define REVIEW_APPT_DAYS	30	/* assign: appointments from this long ago */
#define REVIEW_APPT_MAX		200

/* ---- small helpers ---- */

/* The id main.c matched (digits, no leading zero); 0 if none. */
static long long
review_arg(const char *const *args, size_t nargs, size_t i)
{
	long long	 v;
	char		*end;

	if (i >= nargs || args[i] == NULL)
		return 0;
	v = strtoll(args[i], &end, 10);
	return *end == '\0' && v > 0 ? v : 0;
}

static void
review_store_error(struct clinic_req *cr, enum store_err se)
{
	if (se == STORE_NOT_FOUND)
		clinic_error(cr, 404, "There is no such intake.");
	else if (se == STORE_UNAVAILABLE)
		clinic_error(cr, 503, "The database cannot be reached just "
		    "now. Nothing was changed; please try again in a moment.");
	else
		clinic_error(cr, 500, "Something went wrong on our side. "
		    "Nothing was changed.");
}

static const char *
review_timeframe_words(enum timeframe tf)
{
	switch (tf) {
	case TF_EMERGENCY:
		return "emergency department now";
	case TF_SAME_DAY:
		return "see a doctor today";
	case TF_WITHIN_DAYS:
		return "see a doctor within a few days";
	default:
		return NULL;
	}
}

static const char *
review_decision_words(enum record_decision_kind k)
{
	switch (k) {
	case DECISION_PROCEED:
		return "proceed";
	case DECISION_MODIFY:
		return "proceed, modified";
	case DECISION_AVOID_AREA:
		return "proceed, avoiding the area";
	case DECISION_DEFER:
		return "defer the session";
	case DECISION_REFER:
		return "refer to a physician";
	default:
		return "";
	}
}

/* The label of choice value of field id, or the value itself. */
static const char *
review_choice_label(const struct formdef *fd, const char *id,
    const char *value, size_t len)
{
	int	 f, c;

	if ((f = formdef_field(fd, id)) < 0 ||
	    (c = fd_choice_index(&fd->fields[f], value, len)) < 0)
		return NULL;
	return fd->fields[f].choices[c].label;
}

static void
review_time(struct buf *b, time_t t)
{
	char	 when[64], iso[32];

	clinic_time(t, when, sizeof(when));
	record_time(t, iso, sizeof(iso));
	buf_printf(b, "<time datetime=\"%s\">", iso);
	html_esc(b, when);
	buf_puts(b, "</time>");
}

static void
review_unreadable(struct buf *b, const struct record_part *p)
{
	buf_puts(b, "<p class=\"unreadable\" data-unreadable=\"1\">");
	html_esc(b, record_part_message(p));
	buf_puts(b, "</p>\n");
}

/* "/clinic/intakes/{id}" (+ suffix) into out. */
static void
review_path(char *out, size_t outsz, long long id, const char *suffix)
{
	snprintf(out, outsz, "/clinic/intakes/%lld%s", id,
	    suffix != NULL ? suffix : "");
}

/* ---- the body map ---- */

/*
 * Regions of a front and a back outline, named as pain_areas' values
 * (intake-form.md). A region is a rectangle (rounded) or an ellipse.
 * The colours are SVG presentation attributes: the Content-Security-
 * Policy allows no inline style, and these are not style.
 */
static const struct bm_region {
	const char	*area;
	char		 shape;		/* 'r' rectangle, 'e' ellipse */
	int		 x, y, w, h;	/* ellipse: cx, cy, rx, ry */
} bm_regions[] = {
	/* front, centred on x = 80 */
	{ "head", 'e', 80, 28, 16, 20 },
	{ "neck", 'r', 72, 48, 16, 10 },
	{ "shoulders", 'r', 46, 58, 68, 12 },
	{ "chest", 'r', 56, 70, 48, 34 },
	{ "abdomen", 'r', 58, 104, 44, 36 },
	{ "hips", 'r', 56, 140, 48, 18 },
	{ "arms", 'r', 34, 70, 12, 80 },
	{ "arms", 'r', 114, 70, 12, 80 },
	{ "hands", 'e', 40, 160, 7, 10 },
	{ "hands", 'e', 120, 160, 7, 10 },
	{ "thighs", 'r', 58, 158, 21, 58 },
	{ "thighs", 'r', 81, 158, 21, 58 },
	{ "knees", 'r', 59, 216, 19, 14 },
	{ "knees", 'r', 82, 216, 19, 14 },
	{ "lower_legs", 'r', 60, 230, 17, 68 },
	{ "lower_legs", 'r', 83, 230, 17, 68 },
	{ "feet", 'r', 56, 298, 22, 10 },
	{ "feet", 'r', 82, 298, 22, 10 },
	/* back, centred on x = 240 */
	{ "head", 'e', 240, 28, 16, 20 },
	{ "neck", 'r', 232, 48, 16, 10 },
	{ "shoulders", 'r', 206, 58, 68, 12 },
	{ "upper_back", 'r', 216, 70, 48, 24 },
	{ "mid_back", 'r', 216, 94, 48, 22 },
	{ "lower_back", 'r', 218, 116, 44, 24 },
	{ "glutes", 'r', 216, 140, 48, 22 },
	{ "arms", 'r', 194, 70, 12, 80 },
	{ "arms", 'r', 274, 70, 12, 80 },
	{ "hands", 'e', 200, 160, 7, 10 },
	{ "hands", 'e', 280, 160, 7, 10 },
	{ "thighs", 'r', 218, 162, 21, 54 },
	{ "thighs", 'r', 241, 162, 21, 54 },
	{ "knees", 'r', 219, 216, 19, 14 },
	{ "knees", 'r', 242, 216, 19, 14 },
	{ "lower_legs", 'r', 220, 230, 17, 68 },
	{ "lower_legs", 'r', 243, 230, 17, 68 },
	{ "feet", 'r', 216, 298, 22, 10 },
	{ "feet", 'r', 242, 298, 22, 10 },
};
#define BM_NREGIONS	(sizeof(bm_regions) / sizeof(bm_regions[0]))

#define BM_PAIN		0x1
#define BM_AVOID	0x2

static const char *const bm_fill[4] = {
	"#f2f2f2",	/* neither */
	"#f5b041",	/* pain */
	"#c0392b",	/* avoid */
	"#7d3c98",	/* pain, and to be avoided */
};

/* Is area (as stored on a flag, or typed) one of the map's regions? */
static const char *
bm_area(const struct formdef *fd, const char *area)
{
	const char	*label;
	size_t		 i, len = strlen(area);

	for (i = 0; i < BM_NREGIONS; i++) {
		if (strcmp(area, bm_regions[i].area) == 0)
			return bm_regions[i].area;
		label = review_choice_label(fd, "pain_areas",
		    bm_regions[i].area, strlen(bm_regions[i].area));
		if (label != NULL && strlen(label) == len &&
		    strncasecmp(label, area, len) == 0)
			return bm_regions[i].area;
	}
	return NULL;
}

/* Which of the map's areas are marked: bit per distinct area name. */
struct bm_marks {
	const char	*area[BM_NREGIONS];
	int		 mark[BM_NREGIONS];
	size_t		 n;
};

static void
bm_mark(struct bm_marks *m, const char *area, int bit)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->area[i], area) == 0) {
			m->mark[i] |= bit;
			return;
		}
	if (m->n < BM_NREGIONS) {
		m->area[m->n] = area;
		m->mark[m->n++] = bit;
	}
}

static int
bm_marked(const struct bm_marks *m, const char *area)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->area[i], area) == 0)
			return m->mark[i];
	return 0;
}

static void
review_bodymap(struct buf *b, const struct record *rec)
{
	const struct formdef	*fd = rec->fd;
	const struct fd_field	*pf;
	struct bm_marks		 m;
	const char		*label, *area;
	size_t			 i, j, nfree = 0;
	int			 f, mark;

	memset(&m, 0, sizeof(m));
	if ((f = formdef_field(fd, "pain_areas")) >= 0 &&
	    rec->answers->v[f].present) {
		pf = &fd->fields[f];
		for (i = 0; i < pf->nchoices; i++)
			if (rec->answers->v[f].mask & ((uint64_t)1 << i) &&
			    (area = bm_area(fd, pf->choices[i].value)) != NULL)
				bm_mark(&m, area, BM_PAIN);
	}
	for (i = 0; i < rec->nflags; i++) {
		if (rec->flags[i].part.state != RECORD_READ)
			continue;
		for (j = 0; j < rec->flags[i].nareas; j++) {
			if ((area = bm_area(fd, rec->flags[i].areas[j])) != NULL)
				bm_mark(&m, area, BM_AVOID);
			else
				nfree++;
		}
	}

	buf_puts(b, "<section class=\"bodymap\" aria-labelledby=\"bodymap-h\">\n"
	    "<h2 id=\"bodymap-h\">Body map</h2>\n");
	if (rec->sensitive.state != RECORD_READ)
		buf_puts(b, "<p class=\"unreadable\" data-unreadable=\"1\">The "
		    "pain areas are among the answers that could not be "
		    "decrypted; the map shows only the flags' areas.</p>\n");
	buf_puts(b, "<svg class=\"bodymap-svg\" xmlns=\"http://www.w3.org/2000/"
	    "svg\" viewBox=\"0 0 320 330\" width=\"320\" height=\"330\" "
	    "role=\"img\" aria-labelledby=\"bodymap-title\">\n"
	    "<title id=\"bodymap-title\">Front and back outline: where it "
	    "hurts and which areas to avoid</title>\n"
	    "<text x=\"80\" y=\"324\" text-anchor=\"middle\" "
	    "font-size=\"12\">Front</text>\n"
	    "<text x=\"240\" y=\"324\" text-anchor=\"middle\" "
	    "font-size=\"12\">Back</text>\n");
	for (i = 0; i < BM_NREGIONS; i++) {
		const struct bm_region *r = &bm_regions[i];

		mark = bm_marked(&m, r->area);
		if (r->shape == 'e')
			buf_printf(b, "<ellipse cx=\"%d\" cy=\"%d\" rx=\"%d\" "
			    "ry=\"%d\"", r->x, r->y, r->w, r->h);
		else
			buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" rx=\"4\"", r->x, r->y, r->w, r->h);
		buf_printf(b, " class=\"bm-area%s%s\" data-area=\"%s\" "
		    "fill=\"%s\" stroke=\"#555555\" stroke-width=\"1\"><title>",
		    mark & BM_PAIN ? " bm-pain" : "",
		    mark & BM_AVOID ? " bm-avoid" : "", r->area, bm_fill[mark]);
		label = review_choice_label(fd, "pain_areas", r->area,
		    strlen(r->area));
		html_esc(b, label != NULL ? label : r->area);
		if (mark & BM_PAIN)
			buf_puts(b, ": pain");
		if (mark & BM_AVOID)
			buf_puts(b, ": avoid");
		buf_printf(b, "</title></%s>\n", r->shape == 'e' ? "ellipse" :
		    "rect");
	}
	buf_puts(b, "</svg>\n");

	/* The same in words: the map is a picture of these lists. */
	buf_puts(b, "<dl class=\"bodymap-legend\">\n<dt><svg width=\"14\" "
	    "height=\"14\" aria-hidden=\"true\"><rect width=\"14\" "
	    "height=\"14\" fill=\"");
	buf_puts(b, bm_fill[BM_PAIN]);
	buf_puts(b, "\" /></svg> Pain</dt>\n<dd class=\"bm-pain-list\">");
	for (i = j = 0; i < m.n; i++)
		if (m.mark[i] & BM_PAIN) {
			label = review_choice_label(fd, "pain_areas",
			    m.area[i], strlen(m.area[i]));
			buf_puts(b, j++ > 0 ? ", " : "");
			html_esc(b, label != NULL ? label : m.area[i]);
		}
	if (j == 0)
		buf_puts(b, "none given");
	buf_puts(b, "</dd>\n<dt><svg width=\"14\" height=\"14\" "
	    "aria-hidden=\"true\"><rect width=\"14\" height=\"14\" fill=\"");
	buf_puts(b, bm_fill[BM_AVOID]);
	buf_puts(b, "\" /></svg> Avoid (from the flags)</dt>\n"
	    "<dd class=\"bm-avoid-list\">");
	for (i = j = 0; i < m.n; i++)
		if (m.mark[i] & BM_AVOID) {
			label = review_choice_label(fd, "pain_areas",
			    m.area[i], strlen(m.area[i]));
			buf_puts(b, j++ > 0 ? ", " : "");
			html_esc(b, label != NULL ? label : m.area[i]);
		}
	if (j == 0 && nfree == 0)
		buf_puts(b, "none");
	buf_puts(b, "</dd>\n");
	if (nfree > 0) {
		/* Areas the patient described in words: not on the map. */
		buf_puts(b, "<dt>Also avoid, in the patient's words</dt>\n"
		    "<dd><ul class=\"bm-free\">\n");
		for (i = 0; i < rec->nflags; i++) {
			if (rec->flags[i].part.state != RECORD_READ)
				continue;
			for (j = 0; j < rec->flags[i].nareas; j++) {
				if (bm_area(fd, rec->flags[i].areas[j]) != NULL)
					continue;
				buf_puts(b, "<li>");
				html_user_text(b, rec->flags[i].areas[j]);
				buf_puts(b, "</li>\n");
			}
		}
		buf_puts(b, "</ul></dd>\n");
	}
	buf_puts(b, "</dl>\n</section>\n");
}

/* ---- the page ---- */

static void
review_header(struct clinic_req *cr, const struct record *rec,
    const struct store_review_summary *sum)
{
	struct buf	*b = &cr->resp->body;
	char		 path[96];

	buf_puts(b, "<h1>Intake <span class=\"reference\">");
	html_esc(b, rec->reference);
	buf_puts(b, "</span>: <bdi class=\"patient-name\">");
	html_esc(b, sum->given_name);
	buf_puts(b, " ");
	html_esc(b, sum->family_name);
	buf_puts(b, "</bdi></h1>\n<dl class=\"intake-facts\">\n"
	    "<dt>Received</dt><dd>");
	review_time(b, rec->received_at);
	buf_puts(b, "</dd>\n<dt>Status</dt><dd><span class=\"status status-");
	html_esc(b, sum->status);
	buf_puts(b, "\" data-status=\"");
	html_esc(b, sum->status);
	buf_puts(b, "\">");
	html_esc(b, sum->status);
	buf_puts(b, "</span>");
	if (strcmp(sum->status, "superseded") == 0)
		buf_puts(b, " (a newer intake of this patient exists)");
	buf_puts(b, "</dd>\n<dt>Appointment</dt><dd>");
	if (rec->appointment_id > 0)
		buf_printf(b, "<a href=\"/clinic/appointments/%lld\" "
		    "data-appointment=\"%lld\">Appointment %lld</a>",
		    rec->appointment_id, rec->appointment_id,
		    rec->appointment_id);
	else
		buf_puts(b, "not tied to an appointment");
	buf_puts(b, "</dd>\n</dl>\n");
	review_path(path, sizeof(path), rec->intake_id, ".xml");
	buf_puts(b, "<p class=\"export\"><a href=\"");
	html_esc(b, path);
	buf_puts(b, "\">Download this record as XML</a></p>\n");
}

/* A form to tie an unassigned intake to an appointment. */
static void
review_assign_form(struct clinic_req *cr, long long id)
{
	struct buf		*b = &cr->resp->body;
	struct store_appt	*ap = NULL;
	size_t			 n = 0, i;
	char			 path[96], when[64];

	if (store_appt_list(cr->app->store, time(NULL) -
	    REVIEW_APPT_DAYS * 86400, 0, REVIEW_APPT_MAX, &ap, &n) != STORE_OK)
		n = 0;	/* the form still takes a number */
	review_path(path, sizeof(path), id, "/assign");
	buf_puts(b, "<section class=\"assign\" aria-labelledby=\"assign-h\">\n"
	    "<h2 id=\"assign-h\">Tie to an appointment</h2>\n"
	    "<form method=\"post\" action=\"");
	html_esc(b, path);
	buf_puts(b, "\">\n");
	clinic_csrf_field(cr);
	buf_puts(b, "<div class=\"field\">\n<label for=\"appointment\">"
	    "Appointment</label>\n");
	if (n > 0) {
		buf_puts(b, "<select id=\"appointment\" name=\"appointment\" "
		    "required=\"required\">\n<option value=\"\">Choose"
		    "</option>\n");
		for (i = 0; i < n; i++) {
			clinic_time(ap[i].starts_at, when, sizeof(when));
			buf_printf(b, "<option value=\"%lld\">", ap[i].id);
			html_esc(b, when);
			buf_puts(b, " \xe2\x80\x93 ");
			html_esc(b, ap[i].patient_name);
			buf_puts(b, " (");
			html_esc(b, ap[i].therapist);
			buf_puts(b, ")</option>\n");
		}
		buf_puts(b, "</select>\n");
	} else
		buf_puts(b, "<input type=\"number\" id=\"appointment\" "
		    "name=\"appointment\" min=\"1\" required=\"required\" />\n");
	buf_puts(b, "</div>\n<button type=\"submit\">Tie to this appointment"
	    "</button>\n</form>\n</section>\n");
	store_appts_free(ap, n);
}

static void
review_decision_form(struct clinic_req *cr, const struct record *rec,
    const struct record_flag *f)
{
	struct buf	*b = &cr->resp->body;
	char		 path[128];
	int		 k;

	snprintf(path, sizeof(path), "/clinic/intakes/%lld/flags/%lld",
	    rec->intake_id, f->id);
	buf_puts(b, "<form class=\"decide\" method=\"post\" action=\"");
	html_esc(b, path);
	buf_puts(b, "\">\n");
	clinic_csrf_field(cr);
	buf_printf(b, "<div class=\"field\">\n<label for=\"decision-%lld\">"
	    "Decision</label>\n<select id=\"decision-%lld\" name=\"decision\" "
	    "required=\"required\">\n", f->id, f->id);
	for (k = 0; k < DECISION__MAX; k++) {
		if (!record_decision_allowed(f->severity, k))
			continue;
		buf_printf(b, "<option value=\"%s\">%s</option>\n",
		    record_decision_name(k), review_decision_words(k));
	}
	buf_printf(b, "</select>\n</div>\n<div class=\"field\">\n"
	    "<label for=\"note-%lld\">Note (optional)</label>\n"
	    "<textarea id=\"note-%lld\" name=\"note\" rows=\"3\" "
	    "maxlength=\"%d\"></textarea>\n</div>\n"
	    "<button type=\"submit\">Record decision</button>\n</form>\n",
	    f->id, f->id, RECORD_NOTE_MAX);
	if (f->severity == SEV_URGENT || f->severity == SEV_NO_MASSAGE)
		buf_puts(b, "<p class=\"hint\">This flag allows only deferring "
		    "the session or referring the client.</p>\n");
}

static void
review_note(struct buf *b, const struct record_note *n)
{
	if (!n->present)
		return;
	if (n->part.state != RECORD_READ) {
		buf_puts(b, "<p class=\"unreadable\" data-unreadable=\"1\">");
		html_esc(b, record_part_message(&n->part));
		buf_puts(b, "</p>");
		return;
	}
	buf_puts(b, "<p class=\"note\">");
	html_user_text(b, n->text);
	buf_puts(b, "</p>");
}

static void
review_decision_by(struct buf *b, const struct record_decision *d)
{
	buf_puts(b, "<bdi>");
	html_esc(b, d->staff_name != NULL ? d->staff_name : d->staff);
	buf_puts(b, "</bdi>");
	if (d->staff_name != NULL) {
		buf_puts(b, " (");
		html_esc(b, d->staff);
		buf_puts(b, ")");
	}
	buf_puts(b, ", ");
	review_time(b, d->at);
}

static void
review_flag(struct clinic_req *cr, const struct record *rec,
    const struct record_flag *f)
{
	struct buf			*b = &cr->resp->body;
	const struct record_decision	*d;
	const char			*sev = severity_name(f->severity);
	const char			*tf, *area, *label;
	size_t				 i;

	buf_printf(b, "<article class=\"flag sev-%s\" id=\"flag-%lld\" "
	    "data-flag=\"%lld\" data-severity=\"%s\"", sev, f->id, f->id, sev);
	if (f->part.state == RECORD_READ) {
		buf_puts(b, " data-rule=\"");
		html_esc(b, f->rule);
		buf_puts(b, "\"");
	}
	buf_printf(b, ">\n<h3><span class=\"sev sev-%s\">%s</span> ", sev,
	    sev);
	if (f->part.state == RECORD_READ) {
		buf_puts(b, "<code class=\"rule\">");
		html_esc(b, f->rule);
		buf_puts(b, "</code>");
		if ((tf = review_timeframe_words(f->timeframe)) != NULL) {
			buf_printf(b, " <span class=\"timeframe\" "
			    "data-timeframe=\"%s\">", timeframe_name(f->timeframe));
			html_esc(b, tf);
			buf_puts(b, "</span>");
		}
	} else
		buf_puts(b, "flag");
	buf_puts(b, "</h3>\n");
	if (f->part.state != RECORD_READ)
		review_unreadable(b, &f->part);
	else {
		buf_puts(b, "<p class=\"advice\">");
		html_esc(b, f->advice);
		buf_puts(b, "</p>\n");
		if (f->nareas > 0) {
			buf_puts(b, "<p class=\"areas\">Areas:</p>\n"
			    "<ul class=\"areas\">\n");
			for (i = 0; i < f->nareas; i++) {
				buf_puts(b, "<li>");
				/* one of the map's areas, or the patient's words */
				if ((area = bm_area(rec->fd, f->areas[i])) != NULL &&
				    (label = review_choice_label(rec->fd,
				    "pain_areas", area, strlen(area))) != NULL)
					html_esc(b, label);
				else
					html_user_text(b, f->areas[i]);
				buf_puts(b, "</li>\n");
			}
			buf_puts(b, "</ul>\n");
		}
	}

	/* The last decision is the one in force; all stay in the history. */
	if (f->ndecisions == 0)
		buf_puts(b, "<p class=\"decision-current\" data-decision=\"\">"
		    "Not decided yet.</p>\n");
	else {
		d = &f->decisions[f->ndecisions - 1];
		buf_printf(b, "<div class=\"decision-current\" "
		    "data-decision=\"%s\">\n<p>Decision: <strong>%s</strong> "
		    "\xe2\x80\x93 ", record_decision_name(d->kind),
		    review_decision_words(d->kind));
		review_decision_by(b, d);
		buf_puts(b, "</p>\n");
		review_note(b, &d->note);
		buf_puts(b, "\n</div>\n");
	}
	review_decision_form(cr, rec, f);
	if (f->ndecisions > 0) {
		buf_printf(b, "<h4 id=\"history-%lld\">History</h4>\n"
		    "<ol class=\"history\" aria-labelledby=\"history-%lld\">\n",
		    f->id, f->id);
		for (i = 0; i < f->ndecisions; i++) {
			d = &f->decisions[i];
			buf_printf(b, "<li data-decision=\"%s\"><strong>%s"
			    "</strong> \xe2\x80\x93 ",
			    record_decision_name(d->kind),
			    review_decision_words(d->kind));
			review_decision_by(b, d);
			review_note(b, &d->note);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ol>\n");
	}
	buf_puts(b, "</article>\n");
}

static void
review_flags(struct clinic_req *cr, const struct record *rec)
{
	struct buf	*b = &cr->resp->body;
	size_t		 i;

	buf_puts(b, "<section class=\"flags\" aria-labelledby=\"flags-h\">\n"
	    "<h2 id=\"flags-h\">Screening flags</h2>\n");
	if (rec->nflags == 0)
		buf_puts(b, "<p class=\"no-flags\">No flags: screening found "
		    "nothing to review.</p>\n");
	for (i = 0; i < rec->nflags; i++)
		review_flag(cr, rec, &rec->flags[i]);
	buf_puts(b, "</section>\n");
}

static void
review_answer(struct buf *b, const struct record *rec, size_t fi)
{
	const struct fd_field	*f = &rec->fd->fields[fi];
	const struct answer	*v = &rec->answers->v[fi];
	struct buf		 tmp;
	size_t			 c, n = 0;

	buf_puts(b, "<dt data-question=\"");
	html_esc(b, f->id);
	buf_puts(b, "\">");
	html_esc(b, f->label);
	buf_puts(b, "</dt>\n<dd data-answer=\"");
	html_esc(b, f->id);
	buf_puts(b, "\">");
	switch (f->type) {
	case FD_YESNO:
	case FD_CHOICE:
	case FD_MULTI:
		for (c = 0; c < f->nchoices; c++) {
			if (!(v->mask & ((uint64_t)1 << c)))
				continue;
			buf_puts(b, n++ > 0 ? ", " : "");
			buf_puts(b, "<span data-value=\"");
			html_esc(b, f->choices[c].value);
			buf_puts(b, "\">");
			html_esc(b, f->choices[c].label);
			buf_puts(b, "</span>");
		}
		break;
	case FD_TEXT:
		html_user_text(b, v->text);
		break;
	default:
		buf_init(&tmp);
		answers_value_text(rec->answers, (int)fi, &tmp);
		html_esc(b, tmp.data);
		buf_wipe_free(&tmp);
		break;
	}
	buf_puts(b, "</dd>\n");
}

static void
review_answers(struct buf *b, const struct record *rec)
{
	const struct formdef	*fd = rec->fd;
	const struct fd_section	*s;
	size_t			 i, k, n, nsens;

	buf_puts(b, "<section class=\"answers\" aria-labelledby=\"answers-h\">\n"
	    "<h2 id=\"answers-h\">Answers</h2>\n");
	if (rec->plain.state != RECORD_READ)
		review_unreadable(b, &rec->plain);
	for (i = 0; i < fd->nsections; i++) {
		s = &fd->sections[i];
		for (n = nsens = 0, k = s->first; k < s->first + s->count; k++) {
			n += rec->answers->v[k].present != 0;
			nsens += fd->fields[k].sensitive != 0;
		}
		buf_puts(b, "<section class=\"answer-section\" data-section=\"");
		html_esc(b, s->id);
		buf_puts(b, "\">\n<h3>");
		html_esc(b, s->title);
		buf_puts(b, "</h3>\n");
		if (nsens > 0 && rec->sensitive.state != RECORD_READ)
			review_unreadable(b, &rec->sensitive);
		if (n == 0) {
			buf_puts(b, "<p class=\"none\">No answers in this "
			    "section.</p>\n</section>\n");
			continue;
		}
		buf_puts(b, "<dl>\n");
		for (k = s->first; k < s->first + s->count; k++)
			if (rec->answers->v[k].present)
				review_answer(b, rec, k);
		buf_puts(b, "</dl>\n</section>\n");
	}
	buf_puts(b, "</section>\n");
}

/* "glutes abdomen" as the form's labels, joined by commas. */
static void
review_areas(struct buf *b, const struct formdef *fd, const char *areas)
{
	const char	*a = areas, *e, *label;
	size_t		 n = 0;

	while (a != NULL && *a != '\0') {
		while (*a == ' ')
			a++;
		if (*a == '\0')
			break;
		for (e = a; *e != '\0' && *e != ' '; e++)
			continue;
		buf_puts(b, n++ > 0 ? ", " : "");
		buf_puts(b, "<span data-area=\"");
		html_escn(b, a, (size_t)(e - a));
		buf_puts(b, "\">");
		if ((label = review_choice_label(fd, "consent_sensitive_areas",
		    a, (size_t)(e - a))) != NULL)
			html_esc(b, label);
		else
			html_escn(b, a, (size_t)(e - a));
		buf_puts(b, "</span>");
		a = e;
	}
	if (n == 0)
		buf_puts(b, "none");
}

static void
review_consent_record(struct buf *b, const struct record *rec,
    const struct record_consent *c)
{
	const char	*label;

	buf_printf(b, "<li class=\"consent-%s\" data-consent=\"%lld\" "
	    "data-kind=\"%s\">", c->withdrawn ? "withdrawn" : "given", c->id,
	    c->withdrawn ? "withdrawn" : "given");
	if (c->withdrawn) {
		buf_puts(b, "<strong>Withdrawn</strong>: <span data-scope=\"");
		html_esc(b, c->scope);
		buf_puts(b, "\">");
		if (c->scope == NULL || strcmp(c->scope, "all") == 0)
			buf_puts(b, "all consent");
		else if ((label = review_choice_label(rec->fd,
		    "consent_sensitive_areas", c->scope,
		    strlen(c->scope))) != NULL) {
			buf_puts(b, "consent to treatment of: ");
			html_esc(b, label);
		} else
			html_esc(b, c->scope);
		buf_puts(b, "</span>, recorded by <bdi>");
		html_esc(b, c->staff != NULL ? c->staff : "?");
		buf_puts(b, "</bdi>, ");
		review_time(b, c->recorded_at);
		buf_puts(b, ". Remaining: treatment ");
		buf_puts(b, c->treatment ? "yes" : "no");
		buf_puts(b, ", privacy ");
		buf_puts(b, c->privacy ? "yes" : "no");
		buf_puts(b, ", sensitive areas: ");
		review_areas(b, rec->fd, c->sensitive_areas);
		buf_puts(b, ".");
		review_note(b, &c->note);
	} else {
		buf_puts(b, "<strong>Given</strong> ");
		review_time(b, c->recorded_at);
		buf_printf(b, " under consent text version %u: treatment %s, "
		    "privacy %s; sensitive areas: ", c->version,
		    c->treatment ? "agreed" : "not agreed",
		    c->privacy ? "agreed" : "not agreed");
		review_areas(b, rec->fd, c->sensitive_areas);
		buf_puts(b, ". Signed by <bdi class=\"signature\">");
		html_esc(b, c->signature_name);
		buf_puts(b, "</bdi>");
		if (c->guardian_name != NULL) {
			buf_puts(b, " for the client, as <bdi>");
			html_esc(b, c->guardian_relationship != NULL ?
			    c->guardian_relationship : "guardian");
			buf_puts(b, "</bdi> (<bdi>");
			html_esc(b, c->guardian_name);
			buf_puts(b, "</bdi>)");
		}
		buf_puts(b, ".");
	}
	buf_puts(b, "</li>\n");
}

static void
review_withdraw_form(struct clinic_req *cr, const struct record *rec)
{
	struct buf			*b = &cr->resp->body;
	const struct record_consent	*now;
	const char			*a, *e, *label;
	char				 path[96];

	if (rec->nconsents == 0)
		return;
	now = &rec->consents[rec->nconsents - 1];
	if (!now->treatment && !now->privacy && *now->sensitive_areas == '\0')
		return;
	review_path(path, sizeof(path), rec->intake_id, "/consent-withdrawal");
	buf_puts(b, "<h3 id=\"withdraw-h\">Record a withdrawal</h3>\n"
	    "<form class=\"withdraw\" method=\"post\" "
	    "aria-labelledby=\"withdraw-h\" action=\"");
	html_esc(b, path);
	buf_puts(b, "\">\n");
	clinic_csrf_field(cr);
	buf_puts(b, "<div class=\"field\">\n<label for=\"scope\">What the "
	    "client withdraws</label>\n<select id=\"scope\" name=\"scope\" "
	    "required=\"required\">\n<option value=\"all\">All consent"
	    "</option>\n");
	for (a = now->sensitive_areas; *a != '\0'; a = e) {
		while (*a == ' ')
			a++;
		if (*a == '\0')
			break;
		for (e = a; *e != '\0' && *e != ' '; e++)
			continue;
		buf_puts(b, "<option value=\"");
		html_escn(b, a, (size_t)(e - a));
		buf_puts(b, "\">Treatment of: ");
		if ((label = review_choice_label(rec->fd,
		    "consent_sensitive_areas", a, (size_t)(e - a))) != NULL)
			html_esc(b, label);
		else
			html_escn(b, a, (size_t)(e - a));
		buf_puts(b, "</option>\n");
	}
	buf_printf(b, "</select>\n</div>\n<div class=\"field\">\n"
	    "<label for=\"withdraw-note\">Note (optional)</label>\n"
	    "<textarea id=\"withdraw-note\" name=\"note\" rows=\"3\" "
	    "maxlength=\"%d\"></textarea>\n</div>\n<button type=\"submit\">"
	    "Record withdrawal</button>\n</form>\n", RECORD_NOTE_MAX);
}

static void
review_consent(struct clinic_req *cr, const struct record *rec)
{
	struct buf	*b = &cr->resp->body;
	size_t		 i;

	buf_puts(b, "<section class=\"consent\" aria-labelledby=\"consent-h\">\n"
	    "<h2 id=\"consent-h\">Consent</h2>\n");
	if (rec->nconsents == 0)
		buf_puts(b, "<p>No consent record is stored.</p>\n");
	else {
		buf_puts(b, "<ol class=\"consent-records\">\n");
		for (i = 0; i < rec->nconsents; i++)
			review_consent_record(b, rec, &rec->consents[i]);
		buf_puts(b, "</ol>\n");
	}
	review_withdraw_form(cr, rec);
	buf_printf(b, "<h3>Consent text, version %u</h3>\n",
	    rec->consent_version);
	if (rec->consent_sha256 != NULL) {
		buf_puts(b, "<p class=\"hash\">SHA-256 <code>");
		html_esc(b, rec->consent_sha256);
		buf_puts(b, "</code></p>\n");
	}
	if (rec->consent_text == NULL)
		buf_puts(b, "<p class=\"unreadable\">This version of the consent "
		    "text is not installed.</p>\n");
	else {
		/* it scrolls: keyboard users must be able to reach it */
		buf_puts(b, "<blockquote class=\"consent-text\" tabindex=\"0\" "
		    "role=\"region\" aria-label=\"Consent text\">");
		html_user_text(b, rec->consent_text);
		buf_puts(b, "</blockquote>\n");
	}
	buf_puts(b, "</section>\n");
}

/*
 * Fetch intake id's rows, write the audit row, then open them. On
 * failure the error page is written and -1 returned.
 */
static int
review_open(struct clinic_req *cr, long long id, const char *action,
    struct store_review **sr, struct record **rec)
{
	char		 target[48];
	enum store_err	 se;
	enum record_err	 re;

	*sr = NULL;
	*rec = NULL;
	if ((se = store_review_load(cr->app->store, id, sr)) != STORE_OK) {
		review_store_error(cr, se);
		return -1;
	}
	snprintf(target, sizeof(target), "intake:%lld", id);
	if (clinic_audit(cr, action, target) == -1) {
		clinic_error(cr, 503, "This record cannot be shown now: the "
		    "audit log cannot be written. Please try again in a "
		    "moment.");
		return -1;
	}
	if ((re = record_load(cr->app->fd, cr->app->keys,
	    store_review_src(*sr), rec)) != RECORD_OK) {
		log_error("intake %lld: cannot be read (%s)", id,
		    re == RECORD_ERR_NOMEM ? "out of memory" : "inconsistent "
		    "rows");
		clinic_error(cr, 500, "This record could not be read.");
		return -1;
	}
	return 0;
}

void
review_intake(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_review_summary	 sum;
	struct store_review		*sr = NULL;
	struct record			*rec = NULL;
	struct buf			*b = &cr->resp->body;
	long long			 id;
	enum store_err			 se;
	char				 title[64];

	memset(&sum, 0, sizeof(sum));
	if ((id = review_arg(args, nargs, 0)) == 0) {
		clinic_error(cr, 404, "There is no such intake.");
		return;
	}
	if ((se = store_review_summary(cr->app->store, id, &sum)) !=
	    STORE_OK) {
		review_store_error(cr, se);
		return;
	}
	if (review_open(cr, id, "intake-view", &sr, &rec) == -1)
		goto out;

	snprintf(title, sizeof(title), "Intake %s", rec->reference);
	clinic_page_begin(cr, title);
	review_header(cr, rec, &sum);
	if (rec->appointment_id == 0)
		review_assign_form(cr, id);
	review_flags(cr, rec);
	review_bodymap(b, rec);
	review_answers(b, rec);
	review_consent(cr, rec);
	clinic_page_end(cr);
	if (buf_failed(b)) {
		log_error("intake %lld: page: out of memory", id);
		clinic_error(cr, 500, "This record could not be shown.");
	}
out:
	record_free(rec);
	store_review_free(sr);
	store_review_summary_clear(&sum);
}

void
review_intake_xml(struct clinic_req *cr, const char *const *args,
    size_t nargs)
{
	struct store_review	*sr = NULL;
	struct record		*rec = NULL;
	struct buf		*b = &cr->resp->body;
	long long		 id;

	if ((id = review_arg(args, nargs, 0)) == 0) {
		clinic_error(cr, 404, "There is no such intake.");
		return;
	}
	if (review_open(cr, id, "intake-export", &sr, &rec) == -1)
		goto out;
	response_reset(cr->resp);
	cr->resp->status = 200;
	response_type(cr->resp, "application/xml; charset=utf-8", 1);
	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	record_write_xml(rec, time(NULL), b);
	if (buf_failed(b)) {
		log_error("intake %lld: export: out of memory", id);
		clinic_error(cr, 500, "This record could not be exported.");
	}
out:
	record_free(rec);
	store_review_free(sr);
}

/* ---- changes ---- */

/*
 * The note field, checked; its sealed form in *blob (NULL when the note
 * is empty). 0, or the HTTP status of the failure (page written).
 */
static int
review_note_seal(struct clinic_req *cr, const struct store_review_summary *sum,
    long long flag_id, unsigned char **blob, size_t *bloblen)
{
	struct env_pubkey	 pk;
	struct env_dk		*dk = NULL;
	struct env_ad		 ad;
	struct buf		 note, pt;
	unsigned char		*check = NULL;
	size_t			 checklen = 0;
	enum env_err		 ee;
	int			 status = 500;

	*blob = NULL;
	*bloblen = 0;
	buf_init(&note);
	buf_init(&pt);
	/* From here: goto out. */
	switch (clinic_form_value(cr, "note", &note)) {
	case 0:
		status = 0;
		goto out;
	case 1:
		break;
	default:
		clinic_error(cr, 422, "The note could not be read.");
		status = 422;
		goto out;
	}
	if (note.len == 0) {
		status = 0;
		goto out;
	}
	if (record_note_check(note.data) == -1) {
		clinic_error(cr, 422, "The note may hold at most 2000 characters "
		    "of plain text.");
		status = 422;
		goto out;
	}
	if (*note.data == '\0') {
		status = 0;
		goto out;
	}
	memset(&ad, 0, sizeof(ad));
	if (env_uuid_parse(sum->submission_id, ad.submission_id) == -1)
		goto fail;
	ad.form_version = sum->form_version;
	ad.purpose = RECORD_NOTE_PURPOSE;
	record_note_plaintext(flag_id, note.data, &pt);
	if (buf_failed(&pt))
		goto fail;
	/* A fresh data key, sealed to the clinic key: see the top. */
	if ((ee = env_pubkey_load(cr->app->cfg.public_key, &pk)) != ENV_OK) {
		log_error("review: the clinic public key cannot be read: %s",
		    env_strerror(ee));
		goto fail;
	}
	if ((ee = env_dk_new(&pk, &dk)) != ENV_OK ||
	    (ee = env_seal(dk, &ad, pt.data, pt.len, blob, bloblen)) != ENV_OK) {
		log_error("review: a note cannot be sealed: %s",
		    env_strerror(ee));
		goto fail;
	}
	/* A note sealed to a key we do not hold would be lost for good. */
	if ((ee = env_open(cr->app->keys, &ad, *blob, *bloblen, &check,
	    &checklen)) != ENV_OK) {
		log_error("review: the public key file is not the clinic's "
		    "key (%s): note refused", env_strerror(ee));
		goto fail;
	}
	env_plain_free(check, checklen);
	status = 0;
	goto out;
fail:
	clinic_error(cr, 500, "The note could not be stored safely. Nothing "
	    "was changed.");
	free(*blob);
	*blob = NULL;
out:
	env_dk_free(dk);
	buf_wipe_free(&note);
	buf_wipe_free(&pt);
	return status;
}

void
review_decide(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_review_summary	 sum;
	struct buf			 dec;
	enum store_review_outcome	 outcome;
	enum store_err			 se;
	unsigned char			*blob = NULL;
	size_t				 bloblen = 0;
	long long			 id, flag, did;
	char				 loc[128];
	int				 kind;

	memset(&sum, 0, sizeof(sum));
	buf_init(&dec);
	if ((id = review_arg(args, nargs, 0)) == 0 ||
	    (flag = review_arg(args, nargs, 1)) == 0) {
		clinic_error(cr, 404, "There is no such flag.");
		goto out;
	}
	if (clinic_form_value(cr, "decision", &dec) != 1 ||
	    (kind = record_decision_parse(dec.data)) < 0) {
		clinic_error(cr, 422, "Choose a decision: proceed, modify, "
		    "avoid_area, defer or refer.");
		goto out;
	}
	if ((se = store_review_summary(cr->app->store, id, &sum)) != STORE_OK) {
		review_store_error(cr, se);
		goto out;
	}
	if (review_note_seal(cr, &sum, flag, &blob, &bloblen) != 0)
		goto out;
	se = store_review_decide(cr->app->store, id, flag, cr->sess.staff_id,
	    record_decision_name(kind), blob, bloblen, cr->req->remote_addr,
	    &outcome, &did);
	if (se != STORE_OK) {
		review_store_error(cr, se == STORE_NOT_FOUND ? STORE_ERROR : se);
		goto out;
	}
	switch (outcome) {
	case REVIEW_DONE:
		log_info("intake %lld: flag %lld: decision %lld recorded", id,
		    flag, did);
		snprintf(loc, sizeof(loc), "/clinic/intakes/%lld#flag-%lld",
		    id, flag);
		clinic_redirect(cr, loc);
		break;
	case REVIEW_NO_FLAG:
		clinic_error(cr, 404, "This intake has no such flag.");
		break;
	case REVIEW_NOT_ALLOWED:
		clinic_error(cr, 422, "An urgent or no-massage flag allows only "
		    "two decisions: defer the session, or refer the client. "
		    "Nothing was recorded.");
		break;
	case REVIEW_FORBIDDEN:
		clinic_error(cr, 403, "Only a therapist can record a decision.");
		break;
	default:
		clinic_error(cr, 500, "Something went wrong on our side. "
		    "Nothing was changed.");
		break;
	}
out:
	free(blob);
	buf_free(&dec);
	store_review_summary_clear(&sum);
}

void
review_assign(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct buf			 ap;
	enum store_review_outcome	 outcome;
	enum store_err			 se;
	long long			 id, appt = 0;
	char				*end = NULL, loc[96];

	buf_init(&ap);
	if ((id = review_arg(args, nargs, 0)) == 0) {
		clinic_error(cr, 404, "There is no such intake.");
		goto out;
	}
	if (clinic_form_value(cr, "appointment", &ap) == 1 && ap.len > 0 &&
	    ap.len <= 18 && ap.data[0] >= '1' && ap.data[0] <= '9')
		appt = strtoll(ap.data, &end, 10);
	if (appt <= 0 || end == NULL || *end != '\0') {
		clinic_error(cr, 422, "Choose the appointment to tie this "
		    "intake to.");
		goto out;
	}
	se = store_review_assign(cr->app->store, id, appt, cr->sess.staff_id,
	    cr->req->remote_addr, &outcome);
	if (se != STORE_OK) {
		review_store_error(cr, se == STORE_NOT_FOUND ? STORE_ERROR : se);
		goto out;
	}
	switch (outcome) {
	case REVIEW_DONE:
	case REVIEW_SAME:
		/* front desk assigns from the dashboard and may not read
		   the intake: back to where they came from */
		if (cr->sess.role == ROLE_THERAPIST) {
			review_path(loc, sizeof(loc), id, NULL);
			clinic_redirect(cr, loc);
		} else
			clinic_redirect(cr, "/clinic/");
		break;
	case REVIEW_NO_INTAKE:
		clinic_error(cr, 404, "There is no such intake.");
		break;
	case REVIEW_ASSIGNED_ELSEWHERE:
		clinic_error(cr, 409, "This intake is already tied to another "
		    "appointment. Nothing was changed.");
		break;
	case REVIEW_NO_APPOINTMENT:
		clinic_error(cr, 422, "There is no such appointment.");
		break;
	case REVIEW_CANCELLED:
		clinic_error(cr, 409, "That appointment is cancelled. Nothing "
		    "was changed.");
		break;
	case REVIEW_FORBIDDEN:
		clinic_error(cr, 403, "Your account may not do this.");
		break;
	default:
		clinic_error(cr, 500, "Something went wrong on our side. "
		    "Nothing was changed.");
		break;
	}
out:
	buf_free(&ap);
}

void
review_withdraw(struct clinic_req *cr, const char *const *args, size_t nargs)
{
	struct store_review_summary	 sum;
	struct buf			 scope;
	enum store_review_outcome	 outcome;
	enum store_err			 se;
	unsigned char			*blob = NULL;
	size_t				 bloblen = 0;
	long long			 id, cid;
	char				 loc[96];
	int				 f;

	memset(&sum, 0, sizeof(sum));
	buf_init(&scope);
	if ((id = review_arg(args, nargs, 0)) == 0) {
		clinic_error(cr, 404, "There is no such intake.");
		goto out;
	}
	/* "all", or one of the form's sensitive areas. */
	f = formdef_field(cr->app->fd, "consent_sensitive_areas");
	if (clinic_form_value(cr, "scope", &scope) != 1 || scope.len == 0 ||
	    (strcmp(scope.data, "all") != 0 && (f < 0 ||
	    fd_choice_index(&cr->app->fd->fields[f], scope.data,
	    scope.len) < 0))) {
		clinic_error(cr, 422, "Choose what the client withdraws: all "
		    "consent, or one sensitive area.");
		goto out;
	}
	if ((se = store_review_summary(cr->app->store, id, &sum)) != STORE_OK) {
		review_store_error(cr, se);
		goto out;
	}
	if (review_note_seal(cr, &sum, 0, &blob, &bloblen) != 0)
		goto out;
	se = store_review_withdraw(cr->app->store, id, scope.data, blob,
	    bloblen, cr->sess.staff_id, cr->req->remote_addr, &outcome, &cid);
	if (se != STORE_OK) {
		review_store_error(cr, se == STORE_NOT_FOUND ? STORE_ERROR : se);
		goto out;
	}
	switch (outcome) {
	case REVIEW_DONE:
		log_info("intake %lld: consent record %lld: withdrawal", id,
		    cid);
		review_path(loc, sizeof(loc), id, "#consent-h");
		clinic_redirect(cr, loc);
		break;
	case REVIEW_NO_INTAKE:
		clinic_error(cr, 404, "There is no such intake.");
		break;
	case REVIEW_NOT_IN_FORCE:
		clinic_error(cr, 409, "That consent is not in force, so there is "
		    "nothing to withdraw. Nothing was changed.");
		break;
	case REVIEW_FORBIDDEN:
		clinic_error(cr, 403, "Only a therapist can record a withdrawal.");
		break;
	default:
		clinic_error(cr, 500, "Something went wrong on our side. "
		    "Nothing was changed.");
		break;
	}
out:
	free(blob);
	buf_free(&scope);
	store_review_summary_clear(&sum);
}
