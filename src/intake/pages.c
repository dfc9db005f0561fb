/*
 * pages.c: the patient-facing pages of /intake/; see pages.h.
 *
 * Everything a page shows that is not a literal here goes through the
 * escaping writers of web/html.h. The pages work without JavaScript:
 * every question is in the page, conditional ones say in words when they
 * apply, and static/intake.js only hides what does not apply (it reads the
 * data-when attribute, a JSON form of the question's condition).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "form/answers.h"
#include "form/cond.h"
#include "form/formdef.h"
#include "intake/pages.h"
#include "web/html.h"

#define PAGES_CSS	"/static/intake.css"
#define PAGES_JS	"/static/intake.js"
#define PAGES_FORM	"/intake/"
#define PAGES_ACTION	"/intake/submissions"
#define PAGES_DEPTH	16	/* conditions nest no deeper than this */
#define PAGES_UNKNOWN	20	/* unknown names listed in the summary */
#define PAGES_NAMELEN	80	/* bytes of an unknown name shown */
#define PAGES_TEXTAREA	200	/* longer multi-line text gets a textarea */

/* How the surroundings of a question already explain its condition. */
struct pages_q {
	int	 when_hint;	/* it says in words when it applies */
	int	 required_hint;	/* it says in words when it is required */
	int	 cond_hint;	/* either: it has a "<id>-when" note */
	int	 conditional;	/* it, or its section, has a condition */
};

static const char *
pages_clinic_name(const struct page_clinic *c)
{
	return c != NULL && c->name != NULL && *c->name != '\0' ?
	    c->name : "the clinic";
}

static const char *
pages_clinic_phone(const struct page_clinic *c)
{
	return c != NULL && c->phone != NULL ? c->phone : "";
}

static void
pages_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	html_esc(b, value);
	buf_putc(b, '"');
}

/*
 * Open a page: head, the clinic's name, <main>. title is plain text; an
 * error re-render prefixes "Please check your answers: " so a screen reader
 * hears it first.
 */
static void
pages_open(struct buf *b, const char *title, int error,
    const struct page_clinic *clinic)
{
	struct buf	 t;

	buf_init(&t);
	buf_printf(&t, "%s%s \xe2\x80\x93 %s", error ? "Please check your answers: " : "",
	    title, pages_clinic_name(clinic));
	if (buf_failed(&t))
		b->failed = 1;
	html_begin(b, "en", t.data, PAGES_CSS, PAGES_JS);
	buf_free(&t);
	buf_puts(b, "<header class=\"site-header\"><p class=\"site-name\">");
	html_esc(b, pages_clinic_name(clinic));
	buf_puts(b, "</p></header>\n<main id=\"main\" class=\"page\">\n");
}

static void
pages_close(struct buf *b)
{
	buf_puts(b, "</main>\n");
	html_end(b);
}

/*
 * "<lead> call <clinic> at <phone>." as a paragraph, the number as a tel:
 * link; nothing when the clinic has no phone number configured.
 */
static void
pages_call(struct buf *b, const char *lead, const struct page_clinic *clinic)
{
	const char	*phone = pages_clinic_phone(clinic), *p;
	struct buf	 tel;

	if (*phone == '\0')
		return;
	buf_init(&tel);
	for (p = phone; *p != '\0'; p++)
		if ((*p >= '0' && *p <= '9') || (*p == '+' && tel.len == 0))
			buf_putc(&tel, *p);
	buf_puts(b, "<p class=\"call\">");
	html_esc(b, lead);
	buf_puts(b, " call ");
	html_esc(b, pages_clinic_name(clinic));
	buf_puts(b, " at ");
	if (tel.len > 0 && !buf_failed(&tel)) {
		buf_puts(b, "<a href=\"tel:");
		html_esc(b, tel.data);
		buf_puts(b, "\">");
		html_esc(b, phone);
		buf_puts(b, "</a>");
	} else
		html_esc(b, phone);
	buf_puts(b, ".</p>\n");
	buf_free(&tel);
}

/* Paragraphs of verbatim text: blank lines split them, lines are kept. */
static void
pages_paragraphs(struct buf *b, const char *text)
{
	const char	*p = text, *eol;
	size_t		 n;
	int		 open = 0;

	if (text == NULL)
		return;
	while (*p != '\0') {
		n = strcspn(p, "\r\n");
		eol = p + n;
		if (strspn(p, " \t") == n) {
			if (open)
				buf_puts(b, "</p>\n");
			open = 0;
		} else {
			buf_puts(b, open ? "<br />\n" : "<p>");
			html_escn(b, p, n);
			open = 1;
		}
		if (*eol == '\0')
			break;
		p = eol + (eol[0] == '\r' && eol[1] == '\n' ? 2 : 1);
	}
	if (open)
		buf_puts(b, "</p>\n");
}

/* ---- raw values and errors of a re-render ---- */

static char *const *
pages_raw(const struct form_page *fp, size_t field)
{
	if (fp->raw == NULL || fp->raw->vals == NULL)
		return NULL;
	return fp->raw->vals[field];
}

static const char *
pages_raw_first(const struct form_page *fp, size_t field)
{
	char *const	*v = pages_raw(fp, field);

	return v != NULL ? v[0] : NULL;
}

static int
pages_raw_has(const struct form_page *fp, size_t field, const char *value)
{
	char *const	*v = pages_raw(fp, field);

	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, value) == 0)
			return 1;
	return 0;
}

static int
pages_has_error(const struct form_page *fp, size_t field)
{
	size_t	 i;

	if (fp->errs == NULL)
		return 0;
	for (i = 0; i < fp->errs->n; i++)
		if (fp->errs->v[i].field >= 0 &&
		    (size_t)fp->errs->v[i].field == field)
			return 1;
	return 0;
}

/* ---- conditions: in words for the patient, as JSON for the script ---- */

static int
pages_cond_same(const struct cond *a, const struct cond *b)
{
	size_t	 i;

	if (a == b)
		return 1;
	if (a == NULL || b == NULL || a->op != b->op || a->field != b->field ||
	    a->cmp != b->cmp || a->value != b->value || a->min != b->min ||
	    a->max != b->max || a->mask != b->mask || a->nkids != b->nkids)
		return 0;
	for (i = 0; i < a->nkids; i++)
		if (!pages_cond_same(a->kids[i], b->kids[i]))
			return 0;
	return 1;
}

static const struct fd_field *
pages_cond_field(const struct formdef *fd, const struct cond *c)
{
	if (c->field < 0 || (size_t)c->field >= fd->nfields)
		return NULL;
	return &fd->fields[c->field];
}

/* The labels of the choices in mask: “A”, “B” or “C”. */
static void
pages_choice_words(struct buf *t, const struct fd_field *f, uint64_t mask)
{
	size_t	 i, n = 0, total = 0;

	for (i = 0; i < f->nchoices && i < FD_MAX_CHOICES; i++)
		if (mask & ((uint64_t)1 << i))
			total++;
	for (i = 0; i < f->nchoices && i < FD_MAX_CHOICES; i++) {
		if (!(mask & ((uint64_t)1 << i)))
			continue;
		if (n > 0)
			buf_puts(t, n + 1 == total ? " or " : ", ");
		buf_printf(t, "\xe2\x80\x9c%s\xe2\x80\x9d", f->choices[i].label);
		n++;
	}
}

static const char *
pages_cmp_words(enum cond_cmp cmp)
{
	switch (cmp) {
	case CMP_LT:
		return "less than %ld";
	case CMP_LE:
		return "%ld or less";
	case CMP_EQ:
		return "%ld";
	case CMP_GE:
		return "%ld or more";
	case CMP_GT:
		break;
	}
	return "more than %ld";
}

static const char *
pages_age_words(enum cond_cmp cmp)
{
	switch (cmp) {
	case CMP_LT:
		return "you are younger than %ld";
	case CMP_LE:
		return "you are %ld or younger";
	case CMP_EQ:
		return "you are %ld";
	case CMP_GE:
		return "you are %ld or older";
	case CMP_GT:
		break;
	}
	return "you are older than %ld";
}

/*
 * Append condition c in plain words (plain text: the caller escapes it),
 * phrased to follow "If ", e.g. "you chose “Lower back” or “Middle back”
 * for “Where does it hurt?”".
 */
static void
pages_cond_words(struct buf *t, const struct formdef *fd,
    const struct cond *c, int depth)
{
	const struct fd_field	*f;
	const struct cond	*k;
	size_t			 i;

	if (depth > PAGES_DEPTH) {
		buf_puts(t, "your other answers call for it");
		return;
	}
	f = pages_cond_field(fd, c);
	switch (c->op) {
	case COND_ALL:
	case COND_ANY:
		for (i = 0; i < c->nkids; i++) {
			if (i > 0)
				buf_puts(t, c->op == COND_ALL ? " and " :
				    " or ");
			pages_cond_words(t, fd, c->kids[i], depth + 1);
		}
		return;
	case COND_NOT:
		k = c->nkids > 0 ? c->kids[0] : NULL;
		f = k != NULL ? pages_cond_field(fd, k) : NULL;
		if (k != NULL && f != NULL && k->op == COND_YES)
			buf_printf(t, "you did not answer \xe2\x80\x9cYes\xe2"
			    "\x80\x9d to \xe2\x80\x9c%s\xe2\x80\x9d", f->label);
		else if (k != NULL && f != NULL && k->op == COND_ANSWERED)
			buf_printf(t, "you left \xe2\x80\x9c%s\xe2\x80\x9d "
			    "empty", f->label);
		else if (k != NULL && f != NULL && (k->op == COND_HOLDS ||
		    (k->op == COND_EQUALS && f->type != FD_INT))) {
			buf_puts(t, "you did not choose ");
			pages_choice_words(t, f, k->mask);
			buf_printf(t, " for \xe2\x80\x9c%s\xe2\x80\x9d",
			    f->label);
		} else if (k != NULL) {
			buf_puts(t, "this is not the case: ");
			pages_cond_words(t, fd, k, depth + 1);
		}
		return;
	case COND_AGE:
		buf_printf(t, pages_age_words(c->cmp), c->value);
		return;
	default:
		break;
	}
	if (f == NULL) {
		buf_puts(t, "your other answers call for it");
		return;
	}
	switch (c->op) {
	case COND_YES:
		buf_printf(t, "you answered \xe2\x80\x9cYes\xe2\x80\x9d to "
		    "\xe2\x80\x9c%s\xe2\x80\x9d", f->label);
		break;
	case COND_EQUALS:
	case COND_HOLDS:
		if (f->type == FD_INT) {
			buf_printf(t, "your answer to \xe2\x80\x9c%s\xe2\x80\x9d "
			    "is %ld", f->label, c->value);
			break;
		}
		buf_puts(t, f->type == FD_YESNO ? "you answered " :
		    "you chose ");
		pages_choice_words(t, f, c->mask);
		buf_printf(t, " %s \xe2\x80\x9c%s\xe2\x80\x9d",
		    f->type == FD_YESNO ? "to" : "for", f->label);
		break;
	case COND_ANSWERED:
		buf_printf(t, "you %s \xe2\x80\x9c%s\xe2\x80\x9d",
		    f->type == FD_TEXT || f->type == FD_DATE ||
		    f->type == FD_INT ? "filled in" : "answered", f->label);
		break;
	case COND_COMPARE:
		buf_printf(t, "your answer to \xe2\x80\x9c%s\xe2\x80\x9d is ",
		    f->label);
		buf_printf(t, pages_cmp_words(c->cmp), c->value);
		break;
	case COND_DAYS_SINCE:
		buf_printf(t, "the date you gave for \xe2\x80\x9c%s\xe2\x80\x9d "
		    "is %ld to %ld days ago", f->label, c->min, c->max);
		break;
	default:
		buf_puts(t, "your other answers call for it");
		break;
	}
}

static void
pages_json_str(struct buf *t, const char *s)
{
	buf_putc(t, '"');
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_printf(t, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			buf_printf(t, "\\u%04x", (unsigned)(unsigned char)*s);
		else
			buf_putc(t, *s);
	}
	buf_putc(t, '"');
}

static const char *
pages_cmp_name(enum cond_cmp cmp)
{
	static const char *const names[] = { "lt", "le", "eq", "ge", "gt" };

	return (size_t)cmp < sizeof(names) / sizeof(names[0]) ?
	    names[cmp] : "eq";
}

/*
 * Append c as JSON for static/intake.js: {"op":"yes","q":id},
 * {"op":"in","q":id,"v":[values]}, {"op":"eq","q":id,"n":N},
 * {"op":"answered","q":id}, {"op":"cmp","q":id,"cmp":"ge","n":N},
 * {"op":"days","q":id,"min":N,"max":N}, {"op":"age","q":dob,"cmp":..,"n":N},
 * {"op":"all"|"any"|"not","c":[...]}. The script shows a question whose
 * condition it cannot read ({"op":"?"}): showing is always safe.
 */
static void
pages_cond_json(struct buf *t, const struct formdef *fd,
    const struct cond *c, int depth)
{
	const struct fd_field	*f = pages_cond_field(fd, c);
	size_t			 i, n;

	if (depth > PAGES_DEPTH) {
		buf_puts(t, "{\"op\":\"?\"}");
		return;
	}
	switch (c->op) {
	case COND_ALL:
	case COND_ANY:
	case COND_NOT:
		buf_printf(t, "{\"op\":\"%s\",\"c\":[", c->op == COND_ALL ?
		    "all" : c->op == COND_ANY ? "any" : "not");
		for (i = 0; i < c->nkids; i++) {
			if (i > 0)
				buf_putc(t, ',');
			pages_cond_json(t, fd, c->kids[i], depth + 1);
		}
		buf_puts(t, "]}");
		return;
	case COND_AGE:
		buf_puts(t, "{\"op\":\"age\",\"q\":");
		pages_json_str(t, fd->f_date_of_birth >= 0 &&
		    (size_t)fd->f_date_of_birth < fd->nfields ?
		    fd->fields[fd->f_date_of_birth].id : "");
		buf_printf(t, ",\"cmp\":\"%s\",\"n\":%ld}",
		    pages_cmp_name(c->cmp), c->value);
		return;
	default:
		break;
	}
	if (f == NULL) {
		buf_puts(t, "{\"op\":\"?\"}");
		return;
	}
	switch (c->op) {
	case COND_YES:
		buf_puts(t, "{\"op\":\"yes\",\"q\":");
		pages_json_str(t, f->id);
		break;
	case COND_EQUALS:
	case COND_HOLDS:
		if (f->type == FD_INT) {
			buf_puts(t, "{\"op\":\"eq\",\"q\":");
			pages_json_str(t, f->id);
			buf_printf(t, ",\"n\":%ld", c->value);
			break;
		}
		buf_puts(t, "{\"op\":\"in\",\"q\":");
		pages_json_str(t, f->id);
		buf_puts(t, ",\"v\":[");
		for (i = n = 0; i < f->nchoices && i < FD_MAX_CHOICES; i++) {
			if (!(c->mask & ((uint64_t)1 << i)))
				continue;
			if (n++ > 0)
				buf_putc(t, ',');
			pages_json_str(t, f->choices[i].value);
		}
		buf_putc(t, ']');
		break;
	case COND_ANSWERED:
		buf_puts(t, "{\"op\":\"answered\",\"q\":");
		pages_json_str(t, f->id);
		break;
	case COND_COMPARE:
		buf_puts(t, "{\"op\":\"cmp\",\"q\":");
		pages_json_str(t, f->id);
		buf_printf(t, ",\"cmp\":\"%s\",\"n\":%ld",
		    pages_cmp_name(c->cmp), c->value);
		break;
	case COND_DAYS_SINCE:
		buf_puts(t, "{\"op\":\"days\",\"q\":");
		pages_json_str(t, f->id);
		buf_printf(t, ",\"min\":%ld,\"max\":%ld", c->min, c->max);
		break;
	default:
		buf_puts(t, "{\"op\":\"?\"");
		break;
	}
	buf_putc(t, '}');
}

/* Append "If <condition in words>, <then>", escaped. */
static void
pages_cond_sentence(struct buf *b, const struct formdef *fd,
    const struct cond *c, const char *then)
{
	struct buf	 t;

	buf_init(&t);
	buf_puts(&t, "If ");
	pages_cond_words(&t, fd, c, 0);
	buf_printf(&t, ", %s", then);
	if (buf_failed(&t))
		b->failed = 1;
	html_esc(b, t.data);
	buf_free(&t);
}

/* Append the condition as the data-when attribute the script reads. */
static void
pages_cond_attr(struct buf *b, const struct formdef *fd,
    const struct cond *c)
{
	struct buf	 t;

	buf_init(&t);
	pages_cond_json(&t, fd, c, 0);
	if (buf_failed(&t))
		b->failed = 1;
	pages_attr(b, "data-when", t.data != NULL ? t.data : "");
	buf_free(&t);
}

/* ---- one question ---- */

/* A string a browser keeps in <input type=date> (else it empties it). */
static int
pages_is_date(const char *s)
{
	static const int dim[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int		 y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > dim[m - 1])
		return 0;
	return !(m == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0)));
}

/* A string a browser keeps in <input type=number>. */
static int
pages_is_number(const char *s)
{
	size_t	 n;

	if (*s == '-')
		s++;
	if ((n = strspn(s, "0123456789")) == 0)
		return 0;
	s += n;
	if (*s == '.') {
		s++;
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* The id of the control the error summary links to. */
static void
pages_anchor(struct buf *b, const struct fd_field *f)
{
	html_esc(b, f->id);
	if ((f->type == FD_CHOICE || f->type == FD_YESNO ||
	    f->type == FD_MULTI) && f->nchoices > 0) {
		buf_putc(b, '-');
		html_esc(b, f->choices[0].value);
	}
}

/*
 * A question of a "give one of these" group that has no hint of its own
 * shows the group's message, so the patient knows one of them is needed.
 */
static const char *
pages_group_hint(const struct formdef *fd, const struct fd_field *f)
{
	if (f->hint != NULL || f->group < 0 || (size_t)f->group >= fd->ngroups)
		return NULL;
	return fd->groups[f->group].message;
}

static void
pages_describedby(struct buf *b, const struct fd_field *f, int cond_hint,
    int hint, int error)
{
	if (!cond_hint && !hint && !error)
		return;
	buf_puts(b, " aria-describedby=\"");
	if (cond_hint) {
		html_esc(b, f->id);
		buf_puts(b, "-when");
	}
	if (hint) {
		buf_puts(b, cond_hint ? " " : "");
		html_esc(b, f->id);
		buf_puts(b, "-hint");
	}
	if (error) {
		buf_puts(b, cond_hint || hint ? " " : "");
		html_esc(b, f->id);
		buf_puts(b, "-error");
	}
	buf_putc(b, '"');
}

/* Label text, and "(required)" in words when it always must be answered. */
static void
pages_label_text(struct buf *b, const struct fd_field *f)
{
	html_esc(b, f->label);
	if (f->required && f->required_when == NULL)
		buf_puts(b, " <span class=\"required\">(required)</span>");
}

/*
 * The hints and the error message of question i, in the order a reader
 * meets them: when it applies, the question's own hint, what is wrong.
 */
static void
pages_question_notes(struct buf *b, const struct form_page *fp, size_t i,
    const struct pages_q *q)
{
	const struct formdef	*fd = fp->fd;
	const struct fd_field	*f = &fd->fields[i];
	const char		*hint = f->hint ? f->hint :
	    pages_group_hint(fd, f);
	size_t			 k, n = 0;

	if (q->cond_hint) {
		buf_puts(b, "<p class=\"hint condition\"");
		buf_puts(b, " id=\"");
		html_esc(b, f->id);
		buf_puts(b, "-when\">");
		if (q->when_hint)
			pages_cond_sentence(b, fd, f->when,
			    "answer this question. If not, skip it.");
		if (q->when_hint && q->required_hint)
			buf_putc(b, ' ');
		if (q->required_hint)
			pages_cond_sentence(b, fd, f->required_when,
			    "this question must be answered.");
		buf_puts(b, "</p>\n");
	}
	if (hint != NULL) {
		buf_puts(b, "<p class=\"hint\" id=\"");
		html_esc(b, f->id);
		buf_puts(b, "-hint\">");
		html_esc(b, hint);
		buf_puts(b, "</p>\n");
	}
	if (!pages_has_error(fp, i))
		return;
	buf_puts(b, "<p class=\"error-message\" id=\"");
	html_esc(b, f->id);
	buf_puts(b, "-error\">");
	for (k = 0; k < fp->errs->n; k++) {
		if (fp->errs->v[k].field < 0 ||
		    (size_t)fp->errs->v[k].field != i)
			continue;
		if (n++ > 0)
			buf_putc(b, ' ');
		buf_puts(b, "<span class=\"visually-hidden\">Problem: </span>");
		html_esc(b, verr_message(fp->errs->v[k].code, fd, (int)i));
	}
	buf_puts(b, "</p>\n");
}

/*
 * A value that is not one of the choices (sent by an old copy of the form
 * or another client) is still the patient's: it stays on the page, chosen,
 * as one more option they can see and change.
 */
static void
pages_unlisted(struct buf *b, const struct form_page *fp, size_t i, int multi)
{
	const struct fd_field	*f = &fp->fd->fields[i];
	char *const		*vals = pages_raw(fp, i);
	size_t			 k, n = 0;

	for (k = 0; vals != NULL && vals[k] != NULL; k++) {
		if (vals[k][0] == '\0' || fd_choice_index(f, vals[k],
		    strlen(vals[k])) >= 0)
			continue;
		buf_printf(b, "<div class=\"choice\"><input type=\"%s\" "
		    "id=\"", multi ? "checkbox" : "radio");
		html_esc(b, f->id);
		buf_printf(b, "-sent-%zu\"", n);
		pages_attr(b, "name", f->id);
		pages_attr(b, "value", vals[k]);
		buf_puts(b, " checked=\"checked\" aria-invalid=\"true\" /><label "
		    "for=\"");
		html_esc(b, f->id);
		buf_printf(b, "-sent-%zu\">What you sent: \u201c", n++);
		html_esc(b, vals[k]);
		buf_puts(b, "\u201d (not one of the answers above)</label></div>\n");
	}
}

/* Radios or checkboxes, grouped under the question as their legend. */
static void
pages_choices(struct buf *b, const struct form_page *fp, size_t i,
    const struct pages_q *q)
{
	const struct fd_field	*f = &fp->fd->fields[i];
	const char		*hint = f->hint ? f->hint :
	    pages_group_hint(fp->fd, f);
	int			 multi = f->type == FD_MULTI;
	int			 error = pages_has_error(fp, i);
	int			 fresh = pages_raw(fp, i) == NULL;
	int			 checked;
	size_t			 k;

	buf_puts(b, "<fieldset class=\"choices\"");
	if (!multi)
		buf_puts(b, " role=\"radiogroup\"");
	if (error && !multi)
		buf_puts(b, " aria-invalid=\"true\"");
	buf_puts(b, ">\n<legend class=\"label\">");
	pages_label_text(b, f);
	buf_puts(b, "</legend>\n");
	pages_question_notes(b, fp, i, q);
	for (k = 0; k < f->nchoices; k++) {
		/* the default answer shows as chosen until the patient
		   has sent something for this question */
		checked = pages_raw_has(fp, i, f->choices[k].value) ||
		    (fresh && !multi && f->default_choice == (int)k);
		buf_printf(b, "<div class=\"choice\"><input type=\"%s\"",
		    multi ? "checkbox" : "radio");
		buf_puts(b, " id=\"");
		html_esc(b, f->id);
		buf_putc(b, '-');
		html_esc(b, f->choices[k].value);
		buf_putc(b, '"');
		pages_attr(b, "name", f->id);
		pages_attr(b, "value", f->choices[k].value);
		if (checked)
			buf_puts(b, " checked=\"checked\"");
		if (!multi && f->required && !q->conditional &&
		    f->required_when == NULL)
			buf_puts(b, " required=\"required\"");
		if (error && multi)
			buf_puts(b, " aria-invalid=\"true\"");
		pages_describedby(b, f, q->cond_hint, hint != NULL, error);
		buf_puts(b, " /><label for=\"");
		html_esc(b, f->id);
		buf_putc(b, '-');
		html_esc(b, f->choices[k].value);
		buf_puts(b, "\">");
		html_esc(b, f->choices[k].label);
		buf_puts(b, "</label></div>\n");
	}
	pages_unlisted(b, fp, i, multi);
	buf_puts(b, "</fieldset>\n");
}

/*
 * A text, date or number question. A value the browser would throw away
 * in a date or number input (the patient typed it in an older browser, or
 * it failed) is shown in a text input instead, so nothing sent is lost.
 */
static void
pages_input(struct buf *b, const struct form_page *fp, size_t i,
    const struct pages_q *q)
{
	const struct fd_field	*f = &fp->fd->fields[i];
	const char		*hint = f->hint ? f->hint :
	    pages_group_hint(fp->fd, f);
	const char		*value = pages_raw_first(fp, i);
	const char		*type = "text";
	int			 error = pages_has_error(fp, i);
	int			 area = 0;

	buf_puts(b, "<label class=\"label\" for=\"");
	html_esc(b, f->id);
	buf_puts(b, "\">");
	pages_label_text(b, f);
	buf_puts(b, "</label>\n");
	pages_question_notes(b, fp, i, q);

	switch (f->type) {
	case FD_DATE:
		if (value == NULL || pages_is_date(value))
			type = "date";
		break;
	case FD_INT:
		if (value == NULL || pages_is_number(value))
			type = "number";
		break;
	default:
		if (f->check == FD_CHECK_EMAIL)
			type = "email";
		else if (f->check == FD_CHECK_PHONE)
			type = "tel";
		area = !f->single_line && f->maxlen > PAGES_TEXTAREA;
		break;
	}

	if (area)
		buf_printf(b, "<textarea class=\"input\" rows=\"%d\"",
		    f->maxlen >= 1000 ? 6 : 4);
	else
		buf_printf(b, "<input class=\"input input-%s\" type=\"%s\"",
		    f->type == FD_INT ? "number" : type, type);
	pages_attr(b, "id", f->id);
	pages_attr(b, "name", f->id);
	if (f->type == FD_TEXT && f->maxlen > 0)
		buf_printf(b, " maxlength=\"%zu\"", f->maxlen);
	if (f->type == FD_INT) {
		buf_printf(b, " min=\"%ld\" max=\"%ld\"", f->min, f->max);
		buf_puts(b, " step=\"1\" inputmode=\"numeric\"");
	}
	if (f->autocomplete != NULL)
		pages_attr(b, "autocomplete", f->autocomplete);
	if (f->type == FD_TEXT && f->check == FD_CHECK_EMAIL)
		buf_puts(b, " spellcheck=\"false\"");
	else if (f->type == FD_TEXT && f->check == FD_CHECK_NONE)
		buf_puts(b, " dir=\"auto\"");
	if (f->required && !q->conditional && f->required_when == NULL)
		buf_puts(b, " required=\"required\"");
	if (error)
		buf_puts(b, " aria-invalid=\"true\"");
	pages_describedby(b, f, q->cond_hint, hint != NULL, error);
	if (area) {
		/* a parser drops one newline right after <textarea> */
		buf_puts(b, ">\n");
		html_esc(b, value);
		buf_puts(b, "</textarea>\n");
	} else {
		if (value != NULL)
			pages_attr(b, "value", value);
		buf_puts(b, " />\n");
	}
}

static void
pages_question(struct buf *b, const struct form_page *fp, size_t i,
    int section_cond)
{
	const struct fd_field	*f = &fp->fd->fields[i];
	struct pages_q		 q;

	/* a condition the section states is not repeated; a question with
	   its own hint explains itself when it is required */
	q.when_hint = f->when != NULL && !section_cond;
	q.required_hint = f->required_when != NULL && f->hint == NULL;
	q.cond_hint = q.when_hint || q.required_hint;
	q.conditional = f->when != NULL || section_cond;

	buf_puts(b, "<div class=\"question");
	if (pages_has_error(fp, i))
		buf_puts(b, " question-error");
	buf_puts(b, "\" id=\"q-");
	html_esc(b, f->id);
	buf_putc(b, '"');
	if (f->when != NULL && !section_cond)
		pages_cond_attr(b, fp->fd, f->when);
	buf_puts(b, ">\n");
	if (f->type == FD_CHOICE || f->type == FD_YESNO ||
	    f->type == FD_MULTI)
		pages_choices(b, fp, i, &q);
	else
		pages_input(b, fp, i, &q);
	buf_puts(b, "</div>\n");
}

/* ---- the form ---- */

/* The condition every question of section s shares, or NULL. */
static const struct cond *
pages_section_cond(const struct formdef *fd, const struct fd_section *s)
{
	size_t	 i;

	if (s->count == 0 || s->first + s->count > fd->nfields)
		return NULL;
	for (i = s->first; i < s->first + s->count; i++)
		if (fd->fields[i].when == NULL ||
		    !pages_cond_same(fd->fields[i].when,
		    fd->fields[s->first].when))
			return NULL;
	return fd->fields[s->first].when;
}

static void
pages_consent_text(struct buf *b, const struct page_consent *pc,
    int level)
{
	if (pc == NULL)
		return;
	buf_printf(b, "<div class=\"consent-text\" id=\"consent-text\">\n"
	    "<h%d>Consent text, version %u</h%d>\n", level, pc->version,
	    level);
	pages_paragraphs(b, pc->text);
	buf_puts(b, "</div>\n");
}

static void
pages_section(struct buf *b, const struct form_page *fp, size_t s)
{
	const struct formdef	*fd = fp->fd;
	const struct fd_section	*sec = &fd->sections[s];
	const struct cond	*c = pages_section_cond(fd, sec);
	size_t			 i;

	buf_puts(b, "<fieldset class=\"section\" id=\"section-");
	html_esc(b, sec->id);
	buf_putc(b, '"');
	if (c != NULL) {
		pages_cond_attr(b, fd, c);
		buf_puts(b, " aria-describedby=\"section-");
		html_esc(b, sec->id);
		buf_puts(b, "-when\"");
	}
	buf_puts(b, ">\n<legend><h2>");
	html_esc(b, sec->title);
	buf_puts(b, "</h2></legend>\n");
	if (sec->intro != NULL) {
		buf_puts(b, "<p class=\"intro\">");
		html_esc(b, sec->intro);
		buf_puts(b, "</p>\n");
	}
	if (c != NULL) {
		buf_puts(b, "<p class=\"hint condition\" id=\"section-");
		html_esc(b, sec->id);
		buf_puts(b, "-when\">");
		pages_cond_sentence(b, fd, c,
		    "answer these questions. If not, skip them.");
		buf_puts(b, "</p>\n");
	}
	if (sec->consent)
		pages_consent_text(b, fp->consent, 3);
	for (i = sec->first; i < sec->first + sec->count &&
	    i < fd->nfields; i++)
		pages_question(b, fp, i, c != NULL);
	buf_puts(b, "</fieldset>\n");
}

static void
pages_unknown_item(struct buf *b, const char *name)
{
	size_t	 n = strlen(name);

	buf_puts(b, "<li>This form has no question named \xe2\x80\x9c");
	if (n > PAGES_NAMELEN) {
		/* back to the start of a UTF-8 sequence */
		for (n = PAGES_NAMELEN; n > 0 &&
		    ((unsigned char)name[n] & 0xc0) == 0x80; n--)
			;
		html_escn(b, name, n);
		buf_puts(b, "\xe2\x80\xa6");
	} else
		html_esc(b, name);
	buf_puts(b, "\xe2\x80\x9d.</li>\n");
}

/* Names of fields the form does not have: listed once each, a few at most. */
static void
pages_unknown(struct buf *b, const struct form_page *fp)
{
	const char	*names[PAGES_UNKNOWN];
	const char	*name;
	size_t		 n = 0, more = 0, i, k;
	size_t		 nraw = 0, nerr = fp->errs ? fp->errs->n : 0;

	if (fp->raw != NULL && fp->raw->unknown != NULL)
		while (fp->raw->unknown[nraw] != NULL)
			nraw++;
	for (i = 0; i < nraw + nerr; i++) {
		if (i < nraw)
			name = fp->raw->unknown[i];
		else if (fp->errs->v[i - nraw].code == VE_UNKNOWN_FIELD &&
		    fp->errs->v[i - nraw].field < 0)
			name = fp->errs->v[i - nraw].name;
		else
			continue;
		if (name == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(names[k], name) == 0)
				break;
		if (k < n)
			continue;
		if (n == PAGES_UNKNOWN)
			more++;	/* repeats among these count again */
		else
			names[n++] = name;
	}
	for (k = 0; k < n; k++)
		pages_unknown_item(b, names[k]);
	if (more > 0)
		buf_printf(b, "<li>And %zu more names this form does not "
		    "have.</li>\n", more);
}

/*
 * The error summary: a link to each question with a problem, then the
 * problems of the form as a whole. Focused on load (autofocus; the script
 * does the same for browsers without it) so it is read first.
 */
static void
pages_summary(struct buf *b, const struct form_page *fp)
{
	const struct formdef	*fd = fp->fd;
	const struct verr	*e;
	const struct fd_field	*f;
	const char		*label;
	size_t			 i, n;

	buf_puts(b, "<div class=\"error-summary\" id=\"error-summary\" "
	    "tabindex=\"-1\" autofocus=\"autofocus\" "
	    "aria-labelledby=\"error-summary-title\">\n"
	    "<h2 id=\"error-summary-title\">There is a problem</h2>\n"
	    "<p>Nothing was saved yet. Please fix the answers listed here, "
	    "then send the form again. Everything else you wrote is still "
	    "in the form.</p>\n<ul class=\"error-list\">\n");
	for (i = 0; fp->errs != NULL && i < fp->errs->n; i++) {
		e = &fp->errs->v[i];
		if (e->field < 0 || (size_t)e->field >= fd->nfields)
			continue;
		f = &fd->fields[e->field];
		buf_puts(b, "<li><a href=\"#");
		pages_anchor(b, f);
		buf_puts(b, "\">");
		label = f->label;
		html_esc(b, label);
		n = strlen(label);
		buf_puts(b, n > 0 && strchr("?.:!", label[n - 1]) ? " " : ": ");
		html_esc(b, verr_message(e->code, fd, e->field));
		buf_puts(b, "</a></li>\n");
	}
	for (i = 0; fp->errs != NULL && i < fp->errs->n; i++) {
		e = &fp->errs->v[i];
		if ((e->field >= 0 && (size_t)e->field < fd->nfields) ||
		    e->code == VE_UNKNOWN_FIELD)
			continue;
		buf_puts(b, "<li>");
		html_esc(b, verr_message(e->code, fd, -1));
		buf_puts(b, "</li>\n");
	}
	pages_unknown(b, fp);
	buf_puts(b, "</ul>\n</div>\n");
}

static void
pages_banner(struct buf *b, const struct form_page *fp)
{
	switch (fp->banner) {
	case BANNER_ERRORS:
		pages_summary(b, fp);
		break;
	case BANNER_CONFLICT:
		buf_puts(b, "<div class=\"notice\" id=\"notice\">\n"
		    "<h2>We already have an earlier version of this form"
		    "</h2>\n<p>We received this form before, with different "
		    "answers. If you send it again, we will keep it as a new, "
		    "corrected form. Please check your answers below, then "
		    "send the form.</p>\n</div>\n");
		break;
	case BANNER_RETRY:
		buf_puts(b, "<div class=\"notice\" id=\"notice\">\n"
		    "<h2>We could not save your answers</h2>\n<p>Nothing "
		    "was saved, but your answers are still below. Please try "
		    "again in a minute.</p>\n</div>\n");
		break;
	case BANNER_NONE:
		break;
	}
}

/*
 * The whole intake form. On a re-render every value the patient sent is
 * put back (fp->raw) and every problem (fp->errs) is shown beside its
 * question and in the summary at the top.
 */
void
page_form(struct buf *b, const struct form_page *fp)
{
	const struct formdef	*fd = fp->fd;
	size_t			 s;

	pages_open(b, "Before your visit: health and consent form",
	    fp->banner == BANNER_ERRORS, fp->clinic);
	pages_banner(b, fp);
	buf_puts(b, "<h1>Before your visit</h1>\n<p class=\"lead\">Please "
	    "answer these questions so your therapist can plan a safe "
	    "treatment for you.</p>\n<p>Questions marked "
	    "\xe2\x80\x9c(required)\xe2\x80\x9d must be answered. Some "
	    "questions say when they apply: skip them if they do not apply "
	    "to you. Only your clinic can read your answers.</p>\n");
	pages_call(b, "If you need help with this form,", fp->clinic);

	buf_puts(b, "<form class=\"intake\" method=\"post\" action=\""
	    PAGES_ACTION "\" accept-charset=\"UTF-8\">\n");
	buf_puts(b, "<input type=\"hidden\" name=\"submission_id\"");
	pages_attr(b, "value", fp->submission_id ? fp->submission_id : "");
	buf_printf(b, " />\n<input type=\"hidden\" name=\"form_version\" "
	    "value=\"%u\" />\n", fd->version);
	buf_printf(b, "<input type=\"hidden\" name=\"consent_version\" "
	    "value=\"%u\" />\n", fp->consent ? fp->consent->version : 0);
	if (fp->invite != NULL && *fp->invite != '\0') {
		buf_puts(b, "<input type=\"hidden\" name=\"invite\"");
		pages_attr(b, "value", fp->invite);
		buf_puts(b, " />\n");
	}
	for (s = 0; s < fd->nsections; s++)
		pages_section(b, fp, s);
	buf_puts(b, "<div class=\"actions\">\n<p>When you send the form, "
	    "you confirm that your answers are true as far as you know."
	    "</p>\n<button type=\"submit\" class=\"button\">Send my answers"
	    "</button>\n</div>\n</form>\n");
	pages_close(b);
}

/* ---- the receipt ---- */

static const char *
pages_timeframe(const char *tf)
{
	if (tf != NULL && strcmp(tf, "emergency") == 0)
		return "Go to an emergency department now.";
	if (tf != NULL && strcmp(tf, "same_day") == 0)
		return "See a doctor today.";
	if (tf != NULL && strcmp(tf, "within_days") == 0)
		return "See a doctor within the next few days, before any "
		    "massage.";
	return "See a doctor soon, before any massage.";
}

/*
 * The urgent advice: one role="alert" element for all of it (screening.md,
 * "What the patient sees"), in the order given (most urgent first).
 */
static void
pages_advice(struct buf *b, const struct receipt_page *rp)
{
	const struct receipt_advice	*a;
	size_t				 i;
	int				 emergency = 0;

	buf_puts(b, "<div class=\"urgent\" id=\"urgent\" role=\"alert\">\n"
	    "<h2>Please get medical help</h2>\n<p>Some of your answers can "
	    "be signs of a health problem that needs a doctor soon. This is "
	    "not a diagnosis, but please act on it.</p>\n"
	    "<ul class=\"advice-list\">\n");
	for (i = 0; i < rp->nadvice; i++) {
		a = &rp->advice[i];
		if (a->timeframe != NULL && strcmp(a->timeframe,
		    "emergency") == 0)
			emergency = 1;
		buf_puts(b, "<li class=\"advice\"><p class=\"advice-when\">"
		    "<strong>");
		html_esc(b, pages_timeframe(a->timeframe));
		buf_puts(b, "</strong></p>\n");
		if (a->patient_advice != NULL && *a->patient_advice != '\0') {
			buf_puts(b, "<p>");
			html_esc(b, a->patient_advice);
			buf_puts(b, "</p>\n");
		}
		buf_puts(b, "</li>\n");
	}
	buf_puts(b, "</ul>\n");
	if (emergency)
		buf_puts(b, "<p>If you cannot get there safely, call 911."
		    "</p>\n");
	buf_puts(b, "<p class=\"advice-wait\"><strong>Do not wait for your "
	    "massage appointment.</strong></p>\n");
	pages_call(b, "To change your appointment,", rp->clinic);
	buf_puts(b, "</div>\n");
}

/* The receipt: thanks, reference, time; urgent advice; no health answer. */
void
page_receipt(struct buf *b, const struct receipt_page *rp)
{
	pages_open(b, "We received your form", 0, rp->clinic);
	buf_puts(b, "<h1>Thank you: we received your form</h1>\n");
	if (rp->nadvice > 0 && rp->advice != NULL)
		pages_advice(b, rp);
	buf_puts(b, "<dl class=\"receipt\">\n<dt>Your reference code</dt>\n"
	    "<dd class=\"reference\">");
	html_esc(b, rp->reference);
	buf_puts(b, "</dd>\n<dt>Received</dt>\n<dd>");
	html_esc(b, rp->received);
	buf_puts(b, "</dd>\n</dl>\n<p>Keep this reference code in case you "
	    "need to contact ");
	html_esc(b, pages_clinic_name(rp->clinic));
	buf_puts(b, " about your form.</p>\n<p>Your therapist will read "
	    "your answers before your visit. You can close this page now."
	    "</p>\n");
	if (rp->nadvice == 0)
		pages_call(b, "If you have questions,", rp->clinic);
	pages_close(b);
}

/* ---- other pages ---- */

void
page_consent(struct buf *b, const struct page_consent *pc,
    const struct page_clinic *clinic)
{
	pages_open(b, "Consent to treatment and privacy", 0, clinic);
	buf_puts(b, "<h1>Consent to treatment and privacy</h1>\n");
	if (pc == NULL) {
		buf_puts(b, "<p>The consent text is not available right now. "
		    "Please try again in a minute.</p>\n");
	} else {
		buf_printf(b, "<p class=\"lead\">This is the consent text "
		    "the clinic uses now: version %u. The intake form asks "
		    "for your consent to it.</p>\n", pc->version);
		pages_consent_text(b, pc, 2);
		if (pc->sha256 != NULL && *pc->sha256 != '\0') {
			buf_puts(b, "<p class=\"fingerprint\">Fingerprint of "
			    "this text (SHA-256): <code>");
			html_esc(b, pc->sha256);
			buf_puts(b, "</code></p>\n");
		}
	}
	buf_puts(b, "<p><a href=\"" PAGES_FORM "\">Go to the intake form</a>"
	    "</p>\n");
	pages_call(b, "If you have questions,", clinic);
	pages_close(b);
}

/* Says only that the link does not work: nothing about any appointment. */
void
page_invite_invalid(struct buf *b, const struct page_clinic *clinic)
{
	pages_open(b, "This link does not work", 0, clinic);
	buf_puts(b, "<h1>This link does not work</h1>\n<p class=\"lead\">"
	    "The link you used is not valid, or it has expired.</p>\n"
	    "<p>You can still fill in the form without it: <a href=\""
	    PAGES_FORM "\">go to the intake form</a>.</p>\n");
	pages_call(b, "If you have questions,", clinic);
	pages_close(b);
}

struct pages_err {
	int		 status;
	const char	*title;
	const char	*text;
	int		 back;	/* the answers are still in the form */
};

static const struct pages_err pages_errs[] = {
	{ 400, "We could not read your form",
	    "We could not read what your browser sent. Nothing was saved. "
	    "Please go back and try again.", 1 },
	{ 404, "Page not found",
	    "We could not find this page. If you typed the address, please "
	    "check it.", 0 },
	{ 405, "This page cannot do that",
	    "This page does not accept that kind of request. Nothing was "
	    "saved.", 0 },
	{ 413, "What you sent is too large",
	    "What your browser sent is too large for us to accept. Nothing "
	    "was saved. Please go back, make your longest answers shorter, "
	    "and send the form again.", 1 },
	{ 415, "We could not read your form",
	    "Your browser sent the form in a format we cannot read. Nothing "
	    "was saved. Please go back and try again.", 1 },
	{ 500, "Something went wrong",
	    "Something went wrong on our side. Nothing was saved.", 1 },
	{ 503, "Please try again in a minute",
	    "This service is not available for a moment. Nothing was saved. "
	    "Please try again in a minute.", 1 },
};

/* A plain page for status; never shows anything from the request. */
void
page_error(struct buf *b, int status, const struct page_clinic *clinic)
{
	static const struct pages_err	 other = { 0, "Something went wrong",
	    "Something went wrong. Nothing was saved.", 0 };
	const struct pages_err		*e = &other;
	size_t				 i;

	for (i = 0; i < sizeof(pages_errs) / sizeof(pages_errs[0]); i++)
		if (pages_errs[i].status == status)
			e = &pages_errs[i];
	pages_open(b, e->title, 0, clinic);
	buf_puts(b, "<h1>");
	html_esc(b, e->title);
	buf_puts(b, "</h1>\n<p class=\"lead\">");
	html_esc(b, e->text);
	buf_puts(b, "</p>\n");
	if (e->back)
		buf_puts(b, "<p>Your answers are still in the form: use your "
		    "browser's Back button to return to it.</p>\n");
	else
		buf_puts(b, "<p><a href=\"" PAGES_FORM "\">Go to the intake "
		    "form</a></p>\n");
	pages_call(b, "If this keeps happening,", clinic);
	if (e->status != 0)
		buf_printf(b, "<p class=\"code\">Error code: %d</p>\n",
		    e->status);
	pages_close(b);
}
