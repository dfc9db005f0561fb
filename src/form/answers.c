/*
 * answers.c: one submission's answers and the rules of intake-form.md
 * ("Rules that apply to every question", types, cross-field rules).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicase.h>
#include <uninorm.h>

#include "core/utf8.h"
#include "form/answers.h"
#include "form/cond.h"
#include "form/formdef.h"

/* ---- dates ---- */

static int
date_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_mdays(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && date_leap(y) ? 29 : days[m - 1];
}

/* Days from civil (proleptic Gregorian), after H. Hinnant's algorithm. */
int32_t
date_to_days(int y, int m, int d)
{
	int	 era, yoe, doy, doe;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > date_mdays(y, m))
		return DATE_INVALID;
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void
days_to_date(int32_t z, int *y, int *m, int *d)
{
	long	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int32_t
date_today(time_t now)
{
	struct tm	 tm;

	localtime_r(&now, &tm);
	return date_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int
age_years(int32_t birth, int32_t on)
{
	int	 by, bm, bd, y, m, d, age;

	days_to_date(birth, &by, &bm, &bd);
	days_to_date(on, &y, &m, &d);
	age = y - by;
	/* Birthday reached when month and day are reached: 29 February
	 * therefore counts from 1 March in other years. */
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

/* Strict YYYY-MM-DD; DATE_INVALID when it is not a calendar date. */
static int32_t
date_parse(const char *s, size_t len)
{
	int	 y, m, d;
	size_t	 i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return DATE_INVALID;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return DATE_INVALID;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	return date_to_days(y, m, d);
}

/* ---- errors ---- */

void
verrs_add(struct verrs *e, enum verr_code code, int field, const char *name,
    int line)
{
	struct verr	*v;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;

		if ((v = reallocarray(e->v, cap, sizeof(*v))) == NULL)
			return;	/* the submission still fails: n > 0 */
		e->v = v;
		e->cap = cap;
	}
	v = &e->v[e->n++];
	v->code = code;
	v->field = field;
	v->name = name != NULL ? strdup(name) : NULL;
	v->line = line;
}

void
verrs_free(struct verrs *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* A dropped question is "not an error" whatever was sent for it. */
static void
verrs_forget(struct verrs *e, int field)
{
	size_t	 i, o = 0;

	for (i = 0; i < e->n; i++) {
		if (e->v[i].field == field) {
			free(e->v[i].name);
			continue;
		}
		e->v[o++] = e->v[i];
	}
	e->n = o;
}

static int
verrs_has(const struct verrs *e, int field)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].field == field)
			return 1;
	return 0;
}

/* Valid until the next call: callers escape it into a page at once. */
const char *
verr_message(enum verr_code code, const struct formdef *fd, int field)
{
	static char		 msg[320];
	const struct fd_field	*f = (fd != NULL && field >= 0 &&
	    (size_t)field < fd->nfields) ? &fd->fields[field] : NULL;

	switch (code) {
	case VE_REQUIRED:
		if (f != NULL && f->type == FD_MULTI)
			return "Please choose at least one answer.";
		if (f != NULL && (f->type == FD_CHOICE || f->type == FD_YESNO))
			return "Please choose an answer.";
		return "Please answer this question.";
	case VE_TOO_LONG:
		snprintf(msg, sizeof(msg), "Please shorten this answer to %zu "
		    "characters or fewer.", f != NULL ? f->maxlen : 0);
		return msg;
	case VE_CONTROL_CHAR:
		return "This answer has a character we cannot accept "
		    "(an invisible control character). Please retype it.";
	case VE_LINE_BREAK:
		return "Please keep this answer on one line.";
	case VE_NOT_INT:
	case VE_RANGE:
		if (f == NULL)
			return "Please enter a whole number in the range shown.";
		snprintf(msg, sizeof(msg), "Please enter a whole number from "
		    "%ld to %ld.", f->min, f->max);
		return msg;
	case VE_BAD_DATE:
		return "Please enter a real date as year-month-day, for example "
		    "1980-04-23.";
	case VE_FUTURE_DATE:
		return "This date is in the future. Please check it.";
	case VE_BEFORE_BIRTH:
		return "This date is before the date of birth. Please check it.";
	case VE_TOO_OLD:
		snprintf(msg, sizeof(msg), "Please check the date of birth: it "
		    "gives an age over %d.", f != NULL ? f->max_age : 120);
		return msg;
	case VE_UNKNOWN_CHOICE:
		return "Please choose one of the answers listed.";
	case VE_EXCLUSIVE:
		if (f != NULL && f->exclusive >= 0) {
			snprintf(msg, sizeof(msg), "You chose \"%s\" together "
			    "with other answers. Please choose one or the "
			    "other.", f->choices[f->exclusive].label);
			return msg;
		}
		return "One of your choices must be given alone.";
	case VE_DUPLICATE:
		return "This question was answered more than once. Please give "
		    "one answer.";
	case VE_UNKNOWN_FIELD:
		return "This form has no question with that name.";
	case VE_EMAIL:
		return "Please enter an email address like name@example.com.";
	case VE_PHONE:
		return "Please enter a phone number with at least 7 digits, "
		    "using only digits, spaces and + - ( ) .";
	case VE_GROUP:
		if (f != NULL && f->group >= 0)
			return fd->groups[f->group].message;
		return "Please answer at least one of these questions.";
	case VE_SIGNATURE:
		return "Please type the signer's full name: the patient's first "
		    "and last name, or, if a parent or substitute "
		    "decision-maker signs, their name as given below.";
	case VE_CONSENT_VERSION:
		return "The consent text has changed since this form was "
		    "opened. Please read the current consent and send the "
		    "form again.";
	case VE_FORM_VERSION:
		return "This form is out of date. Please reload the page and "
		    "fill it in again.";
	case VE_SUBMISSION_ID:
		return "The form is missing its submission number. Please "
		    "reload the page.";
	case VE_INVITE:
		return "The invitation code in this form is not valid.";
	case VE_STRUCTURE:
	case VE__MAX:
		break;
	}
	return "The document does not have the expected structure.";
}

/* ---- answers ---- */

struct answers *
answers_new(const struct formdef *fd)
{
	struct answers	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->v = calloc(fd->nfields, sizeof(*a->v))) == NULL) {
		free(a);
		return NULL;
	}
	a->fd = fd;
	a->age = -1;
	return a;
}

static void
answer_clear(struct answer *v)
{
	if (v->text != NULL) {
		sodium_memzero(v->text, v->textlen);
		free(v->text);
	}
	memset(v, 0, sizeof(*v));
}

void
answers_free(struct answers *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->fd->nfields; i++)
		answer_clear(&a->v[i]);
	free(a->v);
	free(a);
}

static int
text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
check_email(const char *s, size_t len)
{
	const char	*at = memchr(s, '@', len), *dot;
	size_t		 i, dlen;

	if (at == NULL || at == s || memchr(at + 1, '@', len -
	    (size_t)(at + 1 - s)) != NULL)
		return -1;
	for (i = 0; i < len; i++)
		if (text_is_space(s[i]) || (i + 1 < len &&
		    (unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] == 0xa0))
			return -1;	/* white space, no-break space included */
	dlen = len - (size_t)(at + 1 - s);
	dot = memchr(at + 1, '.', dlen);
	if (dot == NULL || dot == at + 1 || at[dlen] == '.')
		return -1;
	return 0;
}

static int
check_phone(const char *s, size_t len)
{
	size_t	 i, digits = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (strchr(" +-().", s[i]) == NULL)
			return -1;
	}
	return digits >= 7 ? 0 : -1;
}

/*
 * Normalise text per intake-form.md: CRLF (and a lone CR) become LF, white
 * space around is trimmed. Returns the new length, in place.
 */
static size_t
text_normalise(char *s, size_t len)
{
	size_t	 i, o = 0, start = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else
			s[o++] = s[i];
	}
	while (o > 0 && text_is_space(s[o - 1]))
		o--;
	while (start < o && text_is_space(s[start]))
		start++;
	memmove(s, s + start, o - start);
	s[o - start] = '\0';
	return o - start;
}

static enum verr_code
text_check(const struct fd_field *f, const char *s, size_t len)
{
	size_t	 i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return VE_CONTROL_CHAR;
		if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
			return VE_CONTROL_CHAR;
		if (cp == '\n' && f->single_line)
			return VE_LINE_BREAK;
		i += n;
	}
	if (utf8_count(s, len) > f->maxlen)
		return VE_TOO_LONG;
	if (f->check == FD_CHECK_EMAIL && check_email(s, len) == -1)
		return VE_EMAIL;
	if (f->check == FD_CHECK_PHONE && check_phone(s, len) == -1)
		return VE_PHONE;
	return 0;
}

static int
int_parse(const char *s, size_t len, long *out)
{
	size_t	 i = 0;
	long	 v = 0;
	int	 neg = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > 100000000L)
			return 1;	/* a number, but far out of any range */
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

int
answers_set(struct answers *a, int field, const char *value, size_t len)
{
	const struct fd_field	*f = &a->fd->fields[field];
	struct answer		*v = &a->v[field];
	char			*s;
	enum verr_code		 code = 0;
	int			 c, rc;
	long			 num;
	int32_t			 day;

	if ((s = malloc(len + 1)) == NULL)
		return VE_STRUCTURE + 1;
	memcpy(s, value, len);
	s[len] = '\0';
	len = text_normalise(s, len);
	if (len == 0) {		/* empty is absent */
		free(s);
		return 0;
	}
	if (v->present && f->type != FD_MULTI) {
		code = VE_DUPLICATE;
		goto out;
	}
	switch (f->type) {
	case FD_TEXT:
		if ((code = text_check(f, s, len)) != 0)
			goto out;
		v->text = s;
		v->textlen = len;
		v->present = 1;
		return 0;
	case FD_DATE:
		if ((day = date_parse(s, len)) == DATE_INVALID) {
			code = VE_BAD_DATE;
			goto out;
		}
		v->day = day;
		break;
	case FD_INT:
		if ((rc = int_parse(s, len, &num)) == -1) {
			code = VE_NOT_INT;
			goto out;
		}
		if (rc == 1 || num < f->min || num > f->max) {
			code = VE_RANGE;
			goto out;
		}
		v->num = num;
		break;
	case FD_YESNO:
	case FD_CHOICE:
	case FD_MULTI:
		if ((c = fd_choice_index(f, s, len)) < 0) {
			code = VE_UNKNOWN_CHOICE;
			goto out;
		}
		v->mask |= (uint64_t)1 << c;
		break;
	}
	v->present = 1;
out:
	sodium_memzero(s, len);
	free(s);
	return code == 0 ? 0 : (int)code + 1;
}

/* NFC + case folding + white space collapsed and trimmed (intake-form.md). */
static char *
name_fold(const char *s, size_t len)
{
	uint8_t	*f;
	size_t	 flen, i, o = 0;
	char	*out;
	int	 space = 0;

	f = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFC, NULL, &flen);
	if (f == NULL)
		return NULL;
	if ((out = malloc(flen + 1)) == NULL) {
		free(f);
		return NULL;
	}
	for (i = 0; i < flen; i++) {
		/* U+00A0 no-break space counts as white space too */
		int sp = text_is_space((char)f[i]) ||
		    (f[i] == 0xc2 && i + 1 < flen && f[i + 1] == 0xa0);

		if (sp) {
			if (f[i] == 0xc2)
				i++;
			space = o > 0;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = 0;
		}
		out[o++] = (char)f[i];
	}
	out[o] = '\0';
	free(f);
	return out;
}

static int
name_matches(const char *sig, const char *a, const char *b)
{
	char	*want, *w;
	size_t	 n;
	int	 eq;

	n = strlen(a) + (b != NULL ? strlen(b) + 1 : 0) + 1;
	if ((want = malloc(n)) == NULL)
		return 0;
	snprintf(want, n, "%s%s%s", a, b != NULL ? " " : "", b != NULL ? b : "");
	w = name_fold(want, strlen(want));
	eq = w != NULL && strcmp(sig, w) == 0;
	free(w);
	free(want);
	return eq;
}

static void
check_signature(const struct answers *a, struct verrs *errs)
{
	const struct formdef	*fd = a->fd;
	const struct answer	*sig, *g, *gn, *fn;
	char			*s;
	int			 ok;

	if (fd->f_signature_name < 0 || !a->v[fd->f_signature_name].present)
		return;
	sig = &a->v[fd->f_signature_name];
	g = fd->f_guardian_name >= 0 ? &a->v[fd->f_guardian_name] : NULL;
	gn = fd->f_given_name >= 0 ? &a->v[fd->f_given_name] : NULL;
	fn = fd->f_family_name >= 0 ? &a->v[fd->f_family_name] : NULL;
	if ((s = name_fold(sig->text, sig->textlen)) == NULL)
		return;
	if (g != NULL && g->present)	/* the guardian signs */
		ok = name_matches(s, g->text, NULL);
	else if (gn != NULL && fn != NULL && gn->present && fn->present)
		ok = name_matches(s, gn->text, fn->text) ||
		    name_matches(s, fn->text, gn->text);
	else
		ok = 1;	/* the missing names are reported already */
	free(s);
	if (!ok)
		verrs_add(errs, VE_SIGNATURE, fd->f_signature_name,
		    fd->fields[fd->f_signature_name].id, 0);
}

static int
verr_cmp(const void *x, const void *y)
{
	const struct verr *a = x, *b = y;

	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	return a < b ? -1 : (a > b);
}

void
answers_check(struct answers *a, int32_t today, unsigned consent_in_force,
    struct verrs *errs)
{
	const struct formdef	*fd = a->fd;
	size_t			 i, j;
	int32_t			 dob = 0;
	int			 have_dob = 0;

	a->today = today;
	a->age = -1;
	if (fd->f_date_of_birth >= 0 && a->v[fd->f_date_of_birth].present) {
		dob = a->v[fd->f_date_of_birth].day;
		have_dob = dob <= today;
		if (have_dob)
			a->age = age_years(dob, today);
	}

	/* One forward pass: a condition reads only earlier answers, which
	 * are final (dropped or kept) by the time it is evaluated. */
	for (i = 0; i < fd->nfields; i++) {
		const struct fd_field	*f = &fd->fields[i];
		struct answer		*v = &a->v[i];
		int			 asked = 1;

		if (f->when != NULL && !cond_eval(f->when, a)) {
			answer_clear(v);
			verrs_forget(errs, (int)i);
			asked = 0;
		}
		if (asked && !v->present && f->default_choice >= 0)
			if (!verrs_has(errs, (int)i)) {
				v->mask = (uint64_t)1 << f->default_choice;
				v->present = 1;
			}
		if (asked && !v->present && !verrs_has(errs, (int)i) &&
		    (f->required || (f->required_when != NULL &&
		    cond_eval(f->required_when, a))))
			verrs_add(errs, VE_REQUIRED, (int)i, f->id, 0);
		if (!v->present)
			continue;
		if (f->type == FD_MULTI && f->exclusive >= 0 &&
		    (v->mask & ((uint64_t)1 << f->exclusive)) &&
		    (v->mask & ~((uint64_t)1 << f->exclusive)))
			verrs_add(errs, VE_EXCLUSIVE, (int)i, f->id, 0);
		if (f->type == FD_DATE) {
			if (v->day > today)
				verrs_add(errs, VE_FUTURE_DATE, (int)i, f->id, 0);
			else if ((int)i == fd->f_date_of_birth) {
				if (f->max_age > 0 && a->age > f->max_age)
					verrs_add(errs, VE_TOO_OLD, (int)i,
					    f->id, 0);
			} else if (have_dob && v->day < dob)
				verrs_add(errs, VE_BEFORE_BIRTH, (int)i, f->id,
				    0);
		}
	}

	for (j = 0; j < fd->ngroups; j++) {
		int first = -1, answered = 0;

		for (i = 0; i < fd->nfields; i++) {
			if (fd->fields[i].group != (int)j)
				continue;
			if (first < 0)
				first = (int)i;
			if (a->v[i].present || verrs_has(errs, (int)i))
				answered = 1;
		}
		if (first >= 0 && !answered)
			verrs_add(errs, VE_GROUP, first, fd->fields[first].id, 0);
	}

	check_signature(a, errs);
	if (a->consent_version != consent_in_force)
		verrs_add(errs, VE_CONSENT_VERSION, -1, "consent_version", 0);
	if (a->form_version != fd->version)
		verrs_add(errs, VE_FORM_VERSION, -1, "form_version", 0);
	if (errs->n > 1)
		qsort(errs->v, errs->n, sizeof(*errs->v), verr_cmp);
}

/* ---- canonical XML ---- */

static void
xml_esc(struct buf *b, const char *s, size_t len)
{
	size_t	 i, start = 0;

	for (i = 0; i < len; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\t':
			rep = "&#9;";	/* survives attribute normalisation too */
			break;
		default:
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, len - start);
}

void
answers_value_text(const struct answers *a, int field, struct buf *out)
{
	const struct fd_field	*f = &a->fd->fields[field];
	const struct answer	*v = &a->v[field];
	int			 y, m, d;
	size_t			 c, n = 0;

	if (!v->present)
		return;
	switch (f->type) {
	case FD_TEXT:
		buf_add(out, v->text, v->textlen);
		break;
	case FD_DATE:
		days_to_date(v->day, &y, &m, &d);
		buf_printf(out, "%04d-%02d-%02d", y, m, d);
		break;
	case FD_INT:
		buf_printf(out, "%ld", v->num);
		break;
	default:
		for (c = 0; c < f->nchoices; c++)
			if (v->mask & ((uint64_t)1 << c)) {
				if (n++ > 0)
					buf_putc(out, ' ');
				buf_puts(out, f->choices[c].value);
			}
		break;
	}
}

void
answers_to_xml(const struct answers *a, enum answers_part part,
    struct buf *out)
{
	const struct formdef	*fd = a->fd;
	struct buf		 tmp;
	size_t			 i, c;

	buf_init(&tmp);
	buf_puts(out, "<intake xmlns=\"");
	xml_esc(out, fd->ns, strlen(fd->ns));
	buf_printf(out, "\" submission_id=\"%s\" form_version=\"%u\" "
	    "consent_version=\"%u\"", a->submission_id, a->form_version,
	    a->consent_version);
	if (a->invite[0] != '\0') {
		buf_puts(out, " invite=\"");
		xml_esc(out, a->invite, strlen(a->invite));
		buf_putc(out, '"');
	}
	buf_puts(out, ">");
	for (i = 0; i < fd->nfields; i++) {
		const struct fd_field *f = &fd->fields[i];

		if (!a->v[i].present ||
		    (part == ANSWERS_PLAIN && f->sensitive) ||
		    (part == ANSWERS_SENSITIVE && !f->sensitive))
			continue;
		if (f->type == FD_MULTI) {
			for (c = 0; c < f->nchoices; c++)
				if (a->v[i].mask & ((uint64_t)1 << c))
					buf_printf(out, "<%s>%s</%s>", f->id,
					    f->choices[c].value, f->id);
			continue;
		}
		buf_reset(&tmp);
		answers_value_text(a, (int)i, &tmp);
		buf_printf(out, "<%s>", f->id);
		xml_esc(out, tmp.data ? tmp.data : "", tmp.len);
		buf_printf(out, "</%s>", f->id);
	}
	buf_puts(out, "</intake>");
	buf_wipe_free(&tmp);
}
