/*
 * test_pages.c: the patient pages of src/intake/pages.c, parsed back with
 * libxml2's HTML parser and walked, so the assertions are about elements
 * and attributes rather than byte patterns. Every page must also be
 * well-formed XML (the writers close every element), which catches a
 * misnested tag the forgiving HTML parser would silently repair.
 *
 * src/intake/ is linked only into the worker, so the file is compiled in.
 */
#include "intake/pages.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "support/support_answers.h"

#define S(x)	((char *)(x))

/* ---- a small form definition, built by hand ---- */

static struct fd_choice yesno[] = {
	{ S("yes"), S("Yes") }, { S("no"), S("No") },
};
static struct fd_choice yesno2[] = {
	{ S("yes"), S("Yes") }, { S("no"), S("No") },
};
static struct fd_choice yesno3[] = {
	{ S("yes"), S("Yes") }, { S("no"), S("No") },
};
static struct fd_choice areas[] = {
	{ S("head"), S("Head") },
	{ S("mid_back"), S("Middle back") },
	{ S("lower_back"), S("Lower back") },
};
static struct fd_choice agree[] = {
	{ S("agree"), S("I agree") },
};

/* Two equal conditions, apart: the section must see they are the same. */
static struct cond c_pain = { .op = COND_YES, .field = 3 };
static struct cond c_back1 = { .op = COND_HOLDS, .field = 4, .mask = 0x6 };
static struct cond c_back2 = { .op = COND_HOLDS, .field = 4, .mask = 0x6 };
static struct cond c_minor = { .op = COND_AGE, .cmp = CMP_LT, .value = 16 };

#define F_GIVEN		0
#define F_EMAIL		1
#define F_DOB		2
#define F_PAIN		3
#define F_AREAS		4
#define F_INTENSITY	5
#define F_FEVER		6
#define F_TRAUMA	7
#define F_NOTES		8
#define F_CONSENT	9
#define F_SIGNATURE	10
#define F_GUARDIAN	11
#define NFIELDS		12

#define FIELD(...)	{ .exclusive = -1, .default_choice = -1, .group = -1, \
			  __VA_ARGS__ }

static struct fd_field fields[NFIELDS] = {
	FIELD(.id = S("given_name"), .type = FD_TEXT, .section = 0,
	    .required = 1, .single_line = 1, .maxlen = 100,
	    .label = S("First name"), .autocomplete = S("given-name")),
	{ .id = S("email"), .type = FD_TEXT, .section = 0,
	    .single_line = 1, .check = FD_CHECK_EMAIL, .maxlen = 254,
	    .exclusive = -1, .default_choice = -1, .group = 0,
	    .label = S("Email"), .autocomplete = S("email") },
	FIELD(.id = S("date_of_birth"), .type = FD_DATE, .section = 0,
	    .required = 1, .max_age = 120, .label = S("Date of birth"),
	    .hint = S("For example 1980-04-23."), .autocomplete = S("bday")),
	FIELD(.id = S("pain_today"), .type = FD_YESNO, .section = 1,
	    .required = 1, .sensitive = 1, .choices = yesno, .nchoices = 2,
	    .label = S("Do you have any pain today?")),
	FIELD(.id = S("pain_areas"), .type = FD_MULTI, .section = 1,
	    .required = 1, .sensitive = 1, .choices = areas, .nchoices = 3,
	    .when = &c_pain, .label = S("Where does it hurt?"),
	    .hint = S("Choose every place that hurts.")),
	FIELD(.id = S("pain_intensity"), .type = FD_INT, .section = 1,
	    .required = 1, .sensitive = 1, .min = 0, .max = 10,
	    .when = &c_pain, .label = S("How bad is the pain?")),
	FIELD(.id = S("rf_fever"), .type = FD_YESNO, .section = 2,
	    .required = 1, .sensitive = 1, .choices = yesno2, .nchoices = 2,
	    .when = &c_back1, .label = S("Fever or chills?")),
	FIELD(.id = S("rf_trauma"), .type = FD_YESNO, .section = 2,
	    .required = 1, .sensitive = 1, .choices = yesno3, .nchoices = 2,
	    .when = &c_back2, .label = S("After a fall?")),
	FIELD(.id = S("notes"), .type = FD_TEXT, .section = 3,
	    .sensitive = 1, .maxlen = 2000,
	    .label = S("Anything else we should know")),
	FIELD(.id = S("consent_treatment"), .type = FD_CHOICE, .section = 4,
	    .required = 1, .choices = agree, .nchoices = 1,
	    .label = S("Consent to treatment")),
	FIELD(.id = S("signature_name"), .type = FD_TEXT, .section = 4,
	    .required = 1, .single_line = 1, .maxlen = 250,
	    .label = S("Type your full name to sign")),
	FIELD(.id = S("guardian_name"), .type = FD_TEXT, .section = 4,
	    .single_line = 1, .maxlen = 200, .required_when = &c_minor,
	    .label = S("Parent or guardian: name")),
};

static struct fd_section sections[] = {
	{ S("about"), S("About you"), NULL, 0, 0, 3 },
	{ S("pain"), S("Pain"), NULL, 0, 3, 3 },
	{ S("back_pain"), S("Back pain safety questions"),
	    S("These keep you safe."), 0, 6, 2 },
	{ S("health"), S("Your health"), NULL, 0, 8, 1 },
	{ S("consent"), S("Your consent"), S("Read, then answer."), 1, 9, 3 },
};

static struct fd_group groups[] = {
	{ S("contact"), S("Give an email or a phone number.") },
};

static struct formdef hand_fd = {
	.version = 1,
	.ns = S("urn:test"),
	.fields = fields, .nfields = NFIELDS,
	.sections = sections, .nsections = 5,
	.groups = groups, .ngroups = 1,
	.f_given_name = F_GIVEN, .f_family_name = -1,
	.f_date_of_birth = F_DOB, .f_signature_name = F_SIGNATURE,
	.f_guardian_name = F_GUARDIAN,
};

static const struct page_consent consent = {
	7,
	"First paragraph, line one.\nLine two <b>&amp;</b>.\n\n  \n"
	    "Second paragraph: you may withdraw consent at any time.\n",
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

static const struct page_clinic clinic = { "Maple & <Oak> Clinic",
	"+1 (416) 555-0100" };
static const struct page_clinic clinic_nophone = { NULL, "" };

#define SUBMISSION_ID	"0b0c5e0e-1111-4222-8333-444455556666"

/* ---- walking the parsed page ---- */

struct page {
	struct buf	 b;
	htmlDocPtr	 doc;
	xmlNode		**el;		/* every element, document order */
	size_t		 nel, cap;
};

static void
collect(struct page *p, xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (p->nel == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 256;
			p->el = realloc(p->el, p->cap * sizeof(*p->el));
			assert_non_null(p->el);
		}
		p->el[p->nel++] = n;
		collect(p, n->children);
	}
}

/* Parse p->b: strictly as XML (must succeed), then as HTML to walk it. */
static void
page_parse(struct page *p)
{
	xmlDocPtr	 x;

	assert_false(buf_failed(&p->b));
	assert_non_null(p->b.data);
	x = xmlReadMemory(p->b.data, (int)p->b.len, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (x == NULL)
		fail_msg("page is not well-formed: %s",
		    xmlGetLastError() ? xmlGetLastError()->message : "?");
	xmlFreeDoc(x);
	p->doc = htmlReadMemory(p->b.data, (int)p->b.len, NULL, "UTF-8",
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	assert_non_null(p->doc);
	collect(p, xmlDocGetRootElement(p->doc));
}

static void
page_free(struct page *p)
{
	if (p->doc != NULL)
		xmlFreeDoc(p->doc);
	free(p->el);
	buf_free(&p->b);
	memset(p, 0, sizeof(*p));
}

static int
is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* Attribute value as a fresh string (free), or NULL. */
static char *
attr(xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static int
attr_is(xmlNode *n, const char *name, const char *value)
{
	char	*v = attr(n, name);
	int	 r = v != NULL && strcmp(v, value) == 0;

	xmlFree(v);
	return r;
}

static int
has_attr(xmlNode *n, const char *name)
{
	return xmlHasProp(n, (const xmlChar *)name) != NULL;
}

/* Space-separated token list attribute holds tok. */
static int
attr_has_token(xmlNode *n, const char *name, const char *tok)
{
	char	*v = attr(n, name), *s, *save = NULL;
	int	 r = 0;

	for (s = v ? strtok_r(v, " ", &save) : NULL; s != NULL;
	    s = strtok_r(NULL, " ", &save))
		if (strcmp(s, tok) == 0)
			r = 1;
	xmlFree(v);
	return r;
}

static char *
text(xmlNode *n)
{
	return (char *)xmlNodeGetContent(n);
}

static int
text_has(xmlNode *n, const char *needle)
{
	char	*t = text(n);
	int	 r = t != NULL && strstr(t, needle) != NULL;

	xmlFree(t);
	return r;
}

static xmlNode *
by_id(struct page *p, const char *id)
{
	size_t	 i;

	for (i = 0; i < p->nel; i++)
		if (attr_is(p->el[i], "id", id))
			return p->el[i];
	return NULL;
}

static size_t
count_attr(struct page *p, const char *name, const char *value)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->nel; i++)
		if (value != NULL ? attr_is(p->el[i], name, value) :
		    has_attr(p->el[i], name))
			n++;
	return n;
}

static int
is_control(xmlNode *n)
{
	return is(n, "input") || is(n, "textarea") || is(n, "select");
}

/* The controls named name, in document order. */
static size_t
controls(struct page *p, const char *name, xmlNode **out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->nel; i++)
		if (is_control(p->el[i]) && attr_is(p->el[i], "name", name)) {
			if (n < max)
				out[n] = p->el[i];
			n++;
		}
	return n;
}

static xmlNode *
control(struct page *p, const char *name)
{
	xmlNode	*n[1];

	return controls(p, name, n, 1) == 1 ? n[0] : NULL;
}

static xmlNode *
label_for(struct page *p, const char *id)
{
	size_t	 i;

	for (i = 0; i < p->nel; i++)
		if (is(p->el[i], "label") && attr_is(p->el[i], "for", id))
			return p->el[i];
	return NULL;
}

static int
inside(xmlNode *n, xmlNode *ancestor)
{
	for (; n != NULL; n = n->parent)
		if (n == ancestor)
			return 1;
	return 0;
}

/*
 * What holds for every page: ids unique, every aria-describedby token
 * and every in-page link names an element, nothing the CSP forbids
 * (inline style or script, event handlers), one h1.
 */
static void
check_page(struct page *p)
{
	size_t		 i, j, h1 = 0;
	xmlAttr		*a;
	char		*v, *w, *s, *save;

	for (i = 0; i < p->nel; i++) {
		xmlNode *n = p->el[i];

		if (is(n, "h1"))
			h1++;
		assert_false(is(n, "style"));
		if (is(n, "script")) {
			assert_true(has_attr(n, "src"));
			assert_null(n->children);
		}
		for (a = n->properties; a != NULL; a = a->next) {
			assert_false(strcmp((const char *)a->name, "style") == 0);
			assert_false(strncmp((const char *)a->name, "on", 2) == 0);
		}
		if ((v = attr(n, "id")) != NULL) {
			for (j = i + 1; j < p->nel; j++)
				if (attr_is(p->el[j], "id", v))
					fail_msg("duplicate id \"%s\"", v);
			xmlFree(v);
		}
		if ((v = attr(n, "aria-describedby")) != NULL) {
			save = NULL;
			for (s = strtok_r(v, " ", &save); s != NULL;
			    s = strtok_r(NULL, " ", &save))
				if (by_id(p, s) == NULL)
					fail_msg("aria-describedby names "
					    "missing \"%s\"", s);
			xmlFree(v);
		}
		if (is(n, "a") && (w = attr(n, "href")) != NULL) {
			if (w[0] == '#' && by_id(p, w + 1) == NULL)
				fail_msg("link to missing #%s", w + 1);
			if (strncmp(w, "javascript:", 11) == 0)
				fail_msg("javascript: link");
			xmlFree(w);
		}
	}
	assert_int_equal(h1, 1);
}

/*
 * Every question has a control named by its id; every visible control has
 * an id and a <label for> it; choice questions are grouped in a fieldset
 * whose legend is the question.
 */
static void
check_form_fields(struct page *p, const struct formdef *fd)
{
	xmlNode		*c[FD_MAX_CHOICES + 1], *fs, *lg;
	size_t		 i, k, n;
	char		*id, want[256];

	for (i = 0; i < fd->nfields; i++) {
		const struct fd_field *f = &fd->fields[i];

		n = controls(p, f->id, c, FD_MAX_CHOICES + 1);
		if (n == 0)
			fail_msg("no control named \"%s\"", f->id);
		if (f->type == FD_CHOICE || f->type == FD_YESNO ||
		    f->type == FD_MULTI) {
			assert_int_equal(n, f->nchoices);
			for (k = 0; k < n; k++) {
				snprintf(want, sizeof(want), "%s-%s", f->id,
				    f->choices[k].value);
				assert_true(attr_is(c[k], "id", want));
				assert_true(attr_is(c[k], "value",
				    f->choices[k].value));
				assert_true(attr_is(c[k], "type",
				    f->type == FD_MULTI ? "checkbox" :
				    "radio"));
				assert_true(text_has(label_for(p, want),
				    f->choices[k].label));
			}
			for (fs = c[0]->parent; fs != NULL &&
			    !is(fs, "fieldset"); fs = fs->parent)
				;
			assert_non_null(fs);
			for (lg = fs->children; lg != NULL &&
			    lg->type != XML_ELEMENT_NODE; lg = lg->next)
				;
			assert_true(is(lg, "legend"));
			assert_true(text_has(lg, f->label));
			for (k = 0; k < n; k++)
				assert_true(inside(c[k], fs));
		} else {
			assert_int_equal(n, 1);
			assert_true(attr_is(c[0], "id", f->id));
			assert_true(text_has(label_for(p, f->id), f->label));
		}
	}
	for (i = 0; i < p->nel; i++) {
		if (!is_control(p->el[i]) ||
		    attr_is(p->el[i], "type", "hidden"))
			continue;
		id = attr(p->el[i], "id");
		assert_non_null(id);
		if (label_for(p, id) == NULL)
			fail_msg("no label for #%s", id);
		xmlFree(id);
	}
}

/* Each section: a fieldset with a legend holding its title. */
static void
check_sections(struct page *p, const struct formdef *fd)
{
	xmlNode		*fs, *lg;
	size_t		 s;
	char		 id[128];

	assert_int_equal(count_attr(p, "class", "section"), fd->nsections);
	for (s = 0; s < fd->nsections; s++) {
		snprintf(id, sizeof(id), "section-%s", fd->sections[s].id);
		fs = by_id(p, id);
		assert_true(is(fs, "fieldset"));
		for (lg = fs->children; lg != NULL &&
		    lg->type != XML_ELEMENT_NODE; lg = lg->next)
			;
		assert_true(is(lg, "legend"));
		assert_true(text_has(lg, fd->sections[s].title));
		if (fd->sections[s].intro != NULL)
			assert_true(text_has(fs, fd->sections[s].intro));
	}
}

static void
render_form(struct page *p, const struct form_page *fp)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->b);
	page_form(&p->b, fp);
	page_parse(p);
	check_page(p);
	check_form_fields(p, fp->fd);
	check_sections(p, fp->fd);
}

/* ---- the fresh form ---- */

static void
test_form_fresh(void **state)
{
	struct form_page fp = { &hand_fd, &consent, &clinic, SUBMISSION_ID,
	    NULL, NULL, NULL, BANNER_NONE };
	struct page	 p;
	xmlNode		*n, *form, *ct, *c[4];
	char		*t;
	size_t		 i;

	(void)state;
	render_form(&p, &fp);

	/* the form posts to the one endpoint, browsers may help validate */
	for (form = NULL, i = 0; i < p.nel; i++)
		if (is(p.el[i], "form"))
			form = p.el[i];
	assert_non_null(form);
	assert_true(attr_is(form, "method", "post"));
	assert_true(attr_is(form, "action", "/intake/submissions"));
	assert_true(attr_is(form, "accept-charset", "UTF-8"));
	assert_false(has_attr(form, "novalidate"));
	assert_int_equal(count_attr(&p, "role", "alert"), 0);
	assert_null(by_id(&p, "error-summary"));

	/* hidden inputs */
	n = control(&p, "submission_id");
	assert_true(attr_is(n, "type", "hidden"));
	assert_true(attr_is(n, "value", SUBMISSION_ID));
	assert_true(attr_is(control(&p, "form_version"), "value", "1"));
	assert_true(attr_is(control(&p, "consent_version"), "value", "7"));
	assert_null(control(&p, "invite"));
	assert_true(inside(control(&p, "submission_id"), form));

	/* the consent text in force, its version, in the consent section */
	ct = by_id(&p, "consent-text");
	assert_non_null(ct);
	assert_true(inside(ct, by_id(&p, "section-consent")));
	assert_true(text_has(ct, "version 7"));
	for (i = 0, n = ct->children; n != NULL; n = n->next) {
		if (!is(n, "p"))
			continue;
		t = text(n);
		if (i == 0)
			assert_string_equal(t, "First paragraph, line one.\n"
			    "Line two <b>&amp;</b>.");
		else
			assert_string_equal(t, "Second paragraph: you may "
			    "withdraw consent at any time.");
		xmlFree(t);
		i++;
	}
	assert_int_equal(i, 2);

	/* required in words; the attribute only where always required */
	assert_true(text_has(label_for(&p, "given_name"), "(required)"));
	assert_true(has_attr(control(&p, "given_name"), "required"));
	assert_true(has_attr(by_id(&p, "pain_today-yes"), "required"));
	assert_false(text_has(label_for(&p, "email"), "(required)"));
	assert_false(has_attr(control(&p, "email"), "required"));
	assert_false(has_attr(control(&p, "pain_intensity"), "required"));
	assert_false(has_attr(control(&p, "guardian_name"), "required"));
	for (i = 0; i < p.nel; i++)
		if (is_control(p.el[i]) && has_attr(p.el[i], "required")) {
			for (n = p.el[i]; n != NULL; n = n->parent)
				assert_false(n->type == XML_ELEMENT_NODE &&
				    has_attr(n, "data-when"));
		}
	assert_int_equal(controls(&p, "rf_fever", c, 4), 2);
	assert_false(has_attr(c[0], "required"));

	/* controls */
	n = control(&p, "given_name");
	assert_true(is(n, "input"));
	assert_true(attr_is(n, "type", "text"));
	assert_true(attr_is(n, "maxlength", "100"));
	assert_true(attr_is(n, "autocomplete", "given-name"));
	assert_false(has_attr(n, "value"));
	n = control(&p, "email");
	assert_true(attr_is(n, "type", "email"));
	assert_true(attr_has_token(n, "aria-describedby", "email-hint"));
	assert_true(text_has(by_id(&p, "email-hint"),
	    "Give an email or a phone number."));
	n = control(&p, "date_of_birth");
	assert_true(attr_is(n, "type", "date"));
	assert_true(attr_is(n, "autocomplete", "bday"));
	assert_true(attr_has_token(n, "aria-describedby",
	    "date_of_birth-hint"));
	n = control(&p, "pain_intensity");
	assert_true(attr_is(n, "type", "number"));
	assert_true(attr_is(n, "min", "0"));
	assert_true(attr_is(n, "max", "10"));
	n = control(&p, "notes");
	assert_true(is(n, "textarea"));
	assert_true(attr_is(n, "maxlength", "2000"));
	/* long but single-line: an input, not a textarea */
	assert_true(is(control(&p, "signature_name"), "input"));
	assert_int_equal(controls(&p, "consent_treatment", c, 4), 1);
	assert_true(attr_is(c[0], "id", "consent_treatment-agree"));

	/* a conditional question says in words when it applies */
	n = by_id(&p, "q-pain_areas");
	assert_true(attr_is(n, "data-when",
	    "{\"op\":\"yes\",\"q\":\"pain_today\"}"));
	assert_true(text_has(by_id(&p, "pain_areas-when"),
	    "If you answered \xe2\x80\x9cYes\xe2\x80\x9d to \xe2\x80\x9c"
	    "Do you have any pain today?\xe2\x80\x9d"));
	assert_int_equal(controls(&p, "pain_areas", c, 4), 3);
	assert_true(attr_has_token(c[0], "aria-describedby",
	    "pain_areas-when"));
	assert_true(attr_has_token(c[0], "aria-describedby",
	    "pain_areas-hint"));

	/* a section whose questions share a condition carries it once */
	n = by_id(&p, "section-back_pain");
	assert_true(attr_is(n, "data-when", "{\"op\":\"in\",\"q\":"
	    "\"pain_areas\",\"v\":[\"mid_back\",\"lower_back\"]}"));
	assert_true(text_has(n, "If you chose \xe2\x80\x9cMiddle back\xe2\x80"
	    "\x9d or \xe2\x80\x9cLower back\xe2\x80\x9d for \xe2\x80\x9c"
	    "Where does it hurt?\xe2\x80\x9d, answer these questions."));
	assert_true(attr_has_token(n, "aria-describedby",
	    "section-back_pain-when"));
	assert_false(has_attr(by_id(&p, "q-rf_fever"), "data-when"));
	assert_null(by_id(&p, "rf_fever-when"));

	/* required only in some cases: said in words, no attribute */
	n = control(&p, "guardian_name");
	assert_true(attr_has_token(n, "aria-describedby", "guardian_name-when"));
	assert_true(text_has(by_id(&p, "guardian_name-when"),
	    "If you are younger than 16, this question must be answered."));
	assert_false(has_attr(by_id(&p, "q-guardian_name"), "data-when"));

	/* nothing marked as wrong on a fresh form */
	assert_int_equal(count_attr(&p, "aria-invalid", NULL), 0);
	assert_int_equal(count_attr(&p, "class", "error-message"), 0);

	/* the page names the clinic, escaped */
	assert_non_null(strstr(p.b.data, "Maple &amp; &lt;Oak&gt; Clinic"));
	assert_non_null(strstr(p.b.data, "href=\"tel:+14165550100\""));
	page_free(&p);

	/* invited: the token rides along, escaped */
	fp.invite = "tok\"<en>";
	render_form(&p, &fp);
	assert_true(attr_is(control(&p, "invite"), "type", "hidden"));
	assert_true(attr_is(control(&p, "invite"), "value", "tok\"<en>"));
	page_free(&p);
}

/* ---- re-rendering a refused submission ---- */

#define EVIL_NAME	"<script>alert(\"x\")</script> O'Brien & co"
#define EVIL_NOTES	"\nstarts after a newline\n<b>bold</b> \"q\" 'a'\n"
#define EVIL_SIGN	"Sam \"Q\" <Smith>"
#define EVIL_UNKNOWN	"evil<b>\"name"

static void
test_form_errors(void **state)
{
	char	*v_given[] = { S(EVIL_NAME), NULL };
	char	*v_email[] = { S("a@b"), NULL };
	char	*v_dob[] = { S("1990-02-30"), NULL };
	char	*v_pain[] = { S("yes"), NULL };
	char	*v_areas[] = { S("head"), S("lower_back"), NULL };
	char	*v_int[] = { S("eleven"), NULL };
	char	*v_fever[] = { S("no"), NULL };
	char	*v_notes[] = { S(EVIL_NOTES), NULL };
	char	*v_sign[] = { S(EVIL_SIGN), NULL };
	char	**vals[NFIELDS] = {
		[F_GIVEN] = v_given, [F_EMAIL] = v_email, [F_DOB] = v_dob,
		[F_PAIN] = v_pain, [F_AREAS] = v_areas, [F_INTENSITY] = v_int,
		[F_FEVER] = v_fever, [F_NOTES] = v_notes,
		[F_SIGNATURE] = v_sign,
	};
	char	*unknown[] = { S(EVIL_UNKNOWN), S("x_y"), S(EVIL_UNKNOWN),
	    NULL };
	struct raw_values raw = { .vals = vals, .unknown = unknown };
	struct verrs	 errs = { NULL, 0, 0 };
	struct form_page fp = { &hand_fd, &consent, &clinic, SUBMISSION_ID,
	    NULL, &raw, &errs, BANNER_ERRORS };
	struct page	 p;
	xmlNode		*n, *sum, *c[4], *list;
	char		*t, *h;
	size_t		 i, links = 0, items = 0, unknown_items = 0;

	(void)state;
	verrs_add(&errs, VE_TOO_LONG, F_GIVEN, "given_name", 0);
	verrs_add(&errs, VE_EMAIL, F_EMAIL, "email", 0);
	verrs_add(&errs, VE_BAD_DATE, F_DOB, "date_of_birth", 0);
	verrs_add(&errs, VE_NOT_INT, F_INTENSITY, "pain_intensity", 0);
	verrs_add(&errs, VE_REQUIRED, F_CONSENT, "consent_treatment", 0);
	verrs_add(&errs, VE_REQUIRED, F_TRAUMA, "rf_trauma", 0);
	verrs_add(&errs, VE_CONSENT_VERSION, -1, "consent_version", 0);
	verrs_add(&errs, VE_UNKNOWN_FIELD, -1, EVIL_UNKNOWN, 0);
	verrs_add(&errs, VE_UNKNOWN_FIELD, -1, "another<i>", 0);
	render_form(&p, &fp);

	t = NULL;
	for (i = 0; i < p.nel; i++)
		if (is(p.el[i], "title"))
			t = text(p.el[i]);
	assert_non_null(t);
	assert_true(strncmp(t, "Please check your answers: ", 27) == 0);
	xmlFree(t);

	/* every value sent is back, as sent, and escaped */
	assert_null(strstr(p.b.data, "<script>alert"));
	assert_null(strstr(p.b.data, "<b>bold"));
	assert_null(strstr(p.b.data, "<Smith>"));
	assert_true(attr_is(control(&p, "given_name"), "value", EVIL_NAME));
	assert_true(attr_is(control(&p, "email"), "value", "a@b"));
	assert_true(attr_is(control(&p, "signature_name"), "value", EVIL_SIGN));
	/* a value a date or number input would drop: shown as text */
	n = control(&p, "date_of_birth");
	assert_true(attr_is(n, "type", "text"));
	assert_true(attr_is(n, "value", "1990-02-30"));
	n = control(&p, "pain_intensity");
	assert_true(attr_is(n, "type", "text"));
	assert_true(attr_is(n, "value", "eleven"));
	/* textarea: HTML drops one newline after the start tag */
	t = text(control(&p, "notes"));
	assert_non_null(t);
	assert_string_equal(t[0] == '\n' ? t + 1 : t, EVIL_NOTES);
	xmlFree(t);
	assert_non_null(strstr(p.b.data, "\n\nstarts after a newline\n"
	    "&lt;b&gt;bold&lt;/b&gt; &quot;q&quot; &#39;a&#39;\n</textarea>"));
	assert_true(has_attr(by_id(&p, "pain_today-yes"), "checked"));
	assert_false(has_attr(by_id(&p, "pain_today-no"), "checked"));
	assert_true(has_attr(by_id(&p, "pain_areas-head"), "checked"));
	assert_false(has_attr(by_id(&p, "pain_areas-mid_back"), "checked"));
	assert_true(has_attr(by_id(&p, "pain_areas-lower_back"), "checked"));
	assert_true(has_attr(by_id(&p, "rf_fever-no"), "checked"));
	assert_false(has_attr(by_id(&p, "rf_trauma-yes"), "checked"));
	assert_false(has_attr(by_id(&p, "consent_treatment-agree"),
	    "checked"));

	/* the summary: focusable, first in <main>, a link per question */
	sum = by_id(&p, "error-summary");
	assert_non_null(sum);
	assert_true(attr_is(sum, "tabindex", "-1"));
	assert_true(text_has(sum, "There is a problem"));
	for (n = by_id(&p, "main")->children; n != NULL &&
	    n->type != XML_ELEMENT_NODE; n = n->next)
		;
	assert_ptr_equal(n, sum);
	for (list = NULL, i = 0; i < p.nel; i++)
		if (is(p.el[i], "ul") && inside(p.el[i], sum))
			list = p.el[i];
	assert_non_null(list);
	for (n = list->children; n != NULL; n = n->next) {
		if (!is(n, "li"))
			continue;
		items++;
		if (is(n->children, "a")) {
			links++;
			h = attr(n->children, "href");
			assert_true(h[0] == '#' && by_id(&p, h + 1) != NULL);
			assert_true(is_control(by_id(&p, h + 1)));
			xmlFree(h);
		}
		if (text_has(n, "This form has no question named")) {
			unknown_items++;
			assert_false(is(n->children, "a"));
		}
	}
	assert_int_equal(links, 6);
	assert_int_equal(unknown_items, 3);	/* listed once each */
	assert_int_equal(items, 6 + 1 + 3);
	for (i = 0; i < p.nel; i++)
		if (is(p.el[i], "a") && inside(p.el[i], sum) &&
		    attr_is(p.el[i], "href", "#consent_treatment-agree"))
			break;
	assert_true(i < p.nel);
	assert_true(text_has(sum, verr_message(VE_CONSENT_VERSION,
	    &hand_fd, -1)));
	assert_true(text_has(sum, "This form has no question named "
	    "\xe2\x80\x9c" EVIL_UNKNOWN "\xe2\x80\x9d."));
	assert_true(text_has(sum, "\xe2\x80\x9c" "another<i>" "\xe2\x80\x9d"));
	assert_true(text_has(sum, "\xe2\x80\x9cx_y\xe2\x80\x9d"));
	assert_null(strstr(p.b.data, "evil<b>"));
	assert_null(strstr(p.b.data, "another<i>"));
	/* unknown names appear nowhere but in the summary */
	for (i = 0; i < p.nel; i++)
		if (!inside(p.el[i], sum) && is(p.el[i], "li"))
			assert_false(text_has(p.el[i], "x_y"));
	assert_int_equal(controls(&p, "x_y", c, 4), 0);

	/* each message beside its question, tied to the control */
	n = control(&p, "given_name");
	assert_true(attr_is(n, "aria-invalid", "true"));
	assert_true(attr_has_token(n, "aria-describedby", "given_name-error"));
	assert_true(text_has(by_id(&p, "given_name-error"),
	    "Please shorten this answer to 100 characters or fewer."));
	assert_true(attr_has_token(control(&p, "date_of_birth"),
	    "aria-describedby", "date_of_birth-hint"));
	assert_true(attr_has_token(control(&p, "date_of_birth"),
	    "aria-describedby", "date_of_birth-error"));
	assert_true(attr_has_token(by_id(&p, "q-given_name"), "class",
	    "question-error"));
	assert_false(attr_has_token(by_id(&p, "q-family_name"), "class",
	    "question-error"));
	n = by_id(&p, "consent_treatment-agree");
	assert_true(attr_has_token(n, "aria-describedby",
	    "consent_treatment-error"));
	for (n = n->parent; n != NULL && !is(n, "fieldset"); n = n->parent)
		;
	assert_true(attr_is(n, "role", "radiogroup"));
	assert_true(attr_is(n, "aria-invalid", "true"));
	/* the field messages are the plain messages, no value in them */
	assert_false(text_has(by_id(&p, "given_name-error"), "O'Brien"));
	/* no message beside a question without error */
	assert_null(by_id(&p, "notes-error"));
	assert_null(by_id(&p, "signature_name-error"));
	/* a structural error has no question to sit beside */
	assert_int_equal(count_attr(&p, "class", "error-message"), 6);

	page_free(&p);
	verrs_free(&errs);
}

/* 409 and 503: a plain message, everything kept, a fresh id. */
static void
test_form_banners(void **state)
{
	char	*v_given[] = { S("Ana"), NULL };
	char	**vals[NFIELDS] = { [F_GIVEN] = v_given };
	struct raw_values raw = { .vals = vals };
	struct form_page fp = { &hand_fd, &consent, &clinic,
	    "11111111-2222-4333-8444-555555555555", "inv", &raw, NULL,
	    BANNER_CONFLICT };
	struct page	 p;

	(void)state;
	render_form(&p, &fp);
	assert_null(by_id(&p, "error-summary"));
	assert_true(text_has(by_id(&p, "notice"), "earlier version"));
	assert_true(text_has(by_id(&p, "notice"), "new, corrected form"));
	assert_true(attr_is(control(&p, "given_name"), "value", "Ana"));
	assert_true(attr_is(control(&p, "submission_id"), "value",
	    "11111111-2222-4333-8444-555555555555"));
	assert_true(attr_is(control(&p, "invite"), "value", "inv"));
	assert_int_equal(count_attr(&p, "aria-invalid", NULL), 0);
	page_free(&p);

	fp.banner = BANNER_RETRY;
	render_form(&p, &fp);
	assert_null(by_id(&p, "error-summary"));
	assert_true(text_has(by_id(&p, "notice"), "try again"));
	assert_true(text_has(by_id(&p, "notice"), "still below"));
	assert_true(attr_is(control(&p, "given_name"), "value", "Ana"));
	page_free(&p);
}

/* Many unknown names: a few are listed, the rest counted. */
static void
test_form_many_unknown(void **state)
{
	char		*unknown[PAGES_UNKNOWN + 6], names[PAGES_UNKNOWN + 5][16];
	char		 longname[400];
	struct raw_values raw = { .unknown = unknown };
	struct verrs	 errs = { NULL, 0, 0 };
	struct form_page fp = { &hand_fd, &consent, &clinic, SUBMISSION_ID,
	    NULL, &raw, &errs, BANNER_ERRORS };
	struct page	 p;
	size_t		 i;

	(void)state;
	memset(longname, 'z', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname + PAGES_NAMELEN - 1, "\xc3\xa9", 2);
	for (i = 0; i < PAGES_UNKNOWN + 4; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu", i);
		unknown[i] = names[i];
	}
	unknown[i++] = longname;
	unknown[i] = NULL;
	render_form(&p, &fp);
	assert_true(text_has(by_id(&p, "error-summary"),
	    "And 5 more names this form does not have."));
	assert_true(text_has(by_id(&p, "error-summary"), "n19"));
	assert_false(text_has(by_id(&p, "error-summary"), "n20"));
	page_free(&p);

	/* a long name is cut on a character boundary */
	unknown[0] = longname;
	unknown[1] = NULL;
	render_form(&p, &fp);
	assert_non_null(strstr(p.b.data, "zz\xe2\x80\xa6\xe2\x80\x9d"));
	assert_null(strstr(p.b.data, "\xc3\xe2"));
	page_free(&p);
	verrs_free(&errs);
}

/* ---- the shipped form definition ---- */

static void
test_form_shipped(void **state)
{
	struct formdef	*fd;
	struct verrs	 errs = { NULL, 0, 0 };
	struct form_page fp = { NULL, &consent, &clinic_nophone,
	    SUBMISSION_ID, NULL, NULL, NULL, BANNER_NONE };
	struct page	 p;
	char		 err[256];
	size_t		 i;
	int		 f;

	(void)state;
	if ((fd = support_formdef(err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	fp.fd = fd;
	render_form(&p, &fp);
	assert_int_equal(count_attr(&p, "aria-invalid", NULL), 0);
	/* the default answer shows as chosen */
	f = formdef_field(fd, "preferred_language");
	if (f >= 0 && fd->fields[f].default_choice >= 0)
		assert_true(has_attr(by_id(&p, "preferred_language-en"),
		    "checked"));
	page_free(&p);

	/* every question wrong at once: every link and message resolves */
	for (i = 0; i < fd->nfields; i++)
		verrs_add(&errs, VE_REQUIRED, (int)i, fd->fields[i].id, 0);
	fp.errs = &errs;
	fp.banner = BANNER_ERRORS;
	render_form(&p, &fp);
	assert_int_equal(count_attr(&p, "class", "error-message"),
	    fd->nfields);
	page_free(&p);
	verrs_free(&errs);
	formdef_free(fd);
}

/* ---- conditions in words ---- */

static void
test_cond_words(void **state)
{
	static struct cond k_yes = { .op = COND_YES, .field = F_PAIN };
	static struct cond k_ans = { .op = COND_ANSWERED, .field = F_DOB };
	static struct cond k_cmp = { .op = COND_COMPARE, .field = F_INTENSITY,
	    .cmp = CMP_GE, .value = 7 };
	static struct cond k_days = { .op = COND_DAYS_SINCE, .field = F_DOB,
	    .min = 0, .max = 42 };
	static struct cond *kids[] = { &k_yes, &k_cmp };
	static struct cond k_all = { .op = COND_ALL, .kids = kids,
	    .nkids = 2 };
	static struct cond *notkid[] = { &k_ans };
	static struct cond k_not = { .op = COND_NOT, .kids = notkid,
	    .nkids = 1 };
	static const struct {
		const struct cond	*c;
		const char		*words;
		const char		*json;
	} cases[] = {
		{ &k_yes, "you answered \xe2\x80\x9cYes\xe2\x80\x9d to "
		    "\xe2\x80\x9c" "Do you have any pain today?\xe2\x80\x9d",
		    "{\"op\":\"yes\",\"q\":\"pain_today\"}" },
		{ &c_back1, "you chose \xe2\x80\x9cMiddle back\xe2\x80\x9d or "
		    "\xe2\x80\x9cLower back\xe2\x80\x9d for \xe2\x80\x9c"
		    "Where does it hurt?\xe2\x80\x9d",
		    "{\"op\":\"in\",\"q\":\"pain_areas\",\"v\":[\"mid_back\","
		    "\"lower_back\"]}" },
		{ &k_ans, "you filled in \xe2\x80\x9c" "Date of birth"
		    "\xe2\x80\x9d", "{\"op\":\"answered\",\"q\":"
		    "\"date_of_birth\"}" },
		{ &k_not, "you left \xe2\x80\x9c" "Date of birth\xe2\x80\x9d "
		    "empty", "{\"op\":\"not\",\"c\":[{\"op\":\"answered\","
		    "\"q\":\"date_of_birth\"}]}" },
		{ &k_all, "you answered \xe2\x80\x9cYes\xe2\x80\x9d to "
		    "\xe2\x80\x9c" "Do you have any pain today?\xe2\x80\x9d and "
		    "your answer to \xe2\x80\x9cHow bad is the pain?\xe2\x80\x9d "
		    "is 7 or more", "{\"op\":\"all\",\"c\":[{\"op\":\"yes\","
		    "\"q\":\"pain_today\"},{\"op\":\"cmp\",\"q\":"
		    "\"pain_intensity\",\"cmp\":\"ge\",\"n\":7}]}" },
		{ &k_days, "the date you gave for \xe2\x80\x9c" "Date of birth"
		    "\xe2\x80\x9d is 0 to 42 days ago", "{\"op\":\"days\","
		    "\"q\":\"date_of_birth\",\"min\":0,\"max\":42}" },
		{ &c_minor, "you are younger than 16", "{\"op\":\"age\","
		    "\"q\":\"date_of_birth\",\"cmp\":\"lt\",\"n\":16}" },
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		pages_cond_words(&b, &hand_fd, cases[i].c, 0);
		assert_string_equal(b.data, cases[i].words);
		buf_free(&b);
		buf_init(&b);
		pages_cond_json(&b, &hand_fd, cases[i].c, 0);
		assert_string_equal(b.data, cases[i].json);
		buf_free(&b);
	}
	assert_true(pages_cond_same(&c_back1, &c_back2));
	assert_false(pages_cond_same(&c_back1, &c_pain));
	assert_false(pages_cond_same(&k_all, &k_not));
}

/* ---- the receipt ---- */

static void
render(struct page *p)
{
	page_parse(p);
	check_page(p);
}

static void
test_receipt_none(void **state)
{
	struct receipt_page rp = { &clinic, "K7M-3QX-9PD",
	    "2025-11-23 14:05", NULL, 0 };
	struct page	 p;

	(void)state;
	memset(&p, 0, sizeof(p));
	page_receipt(&p.b, &rp);
	render(&p);
	assert_int_equal(count_attr(&p, "role", NULL), 0);
	assert_null(strstr(p.b.data, "alert"));
	assert_null(strstr(p.b.data, "medical help"));
	assert_true(text_has(xmlDocGetRootElement(p.doc), "K7M-3QX-9PD"));
	assert_true(text_has(xmlDocGetRootElement(p.doc), "2025-11-23 14:05"));
	assert_true(text_has(xmlDocGetRootElement(p.doc), "Thank you"));
	page_free(&p);
}

static void
test_receipt_urgent(void **state)
{
	static const struct receipt_advice advice[] = {
		{ "cauda_equina_signs", "emergency",
		    "Numbness or bladder changes <now> need care at once." },
		{ "possible_dvt", "same_day",
		    "A swollen, painful leg can be a blood clot." },
		{ "spinal_malignancy_signs", "within_days",
		    "Back pain with these signs needs a check-up." },
	};
	struct receipt_page rp = { &clinic, "REF-1", "now", advice, 2 };
	struct page	 p;
	xmlNode		*alert = NULL;
	char		*t, *a, *b, *c;
	size_t		 i;

	(void)state;
	memset(&p, 0, sizeof(p));
	page_receipt(&p.b, &rp);
	render(&p);
	assert_int_equal(count_attr(&p, "role", "alert"), 1);
	for (i = 0; i < p.nel; i++)
		if (attr_is(p.el[i], "role", "alert"))
			alert = p.el[i];
	t = text(alert);
	assert_non_null(strstr(t, "Please get medical help"));
	assert_non_null(strstr(t, "Do not wait for your massage appointment."));
	assert_non_null(strstr(t, "call 911"));
	a = strstr(t, "Go to an emergency department now.");
	b = strstr(t, "Numbness or bladder changes <now> need care at once.");
	c = strstr(t, "See a doctor today.");
	assert_true(a != NULL && b != NULL && c != NULL);
	assert_true(a < b && b < c);
	assert_true(c < strstr(t, "A swollen, painful leg"));
	assert_null(strstr(t, "within the next few days"));
	xmlFree(t);
	/* rule ids are for staff; the advice text is escaped */
	assert_null(strstr(p.b.data, "cauda_equina_signs"));
	assert_null(strstr(p.b.data, "<now>"));
	assert_true(text_has(xmlDocGetRootElement(p.doc), "REF-1"));
	page_free(&p);

	/* one alert still, whatever the count; the order is the caller's */
	rp.advice = advice + 1;
	rp.nadvice = 2;
	memset(&p, 0, sizeof(p));
	page_receipt(&p.b, &rp);
	render(&p);
	assert_int_equal(count_attr(&p, "role", "alert"), 1);
	t = text(by_id(&p, "urgent"));
	a = strstr(t, "See a doctor today.");
	b = strstr(t, "See a doctor within the next few days");
	assert_true(a != NULL && b != NULL && a < b);
	assert_null(strstr(t, "911"));
	xmlFree(t);
	page_free(&p);
}

/* ---- the other pages ---- */

static void
test_consent_page(void **state)
{
	struct page	 p;
	xmlNode		*root;

	(void)state;
	memset(&p, 0, sizeof(p));
	page_consent(&p.b, &consent, &clinic);
	render(&p);
	root = xmlDocGetRootElement(p.doc);
	assert_true(text_has(root, "version 7"));
	assert_true(text_has(root, "Line two <b>&amp;</b>."));
	assert_true(text_has(root, "withdraw consent"));
	assert_true(text_has(root, consent.sha256));
	assert_int_equal(count_attr(&p, "href", "/intake/"), 1);
	page_free(&p);
}

static void
test_invite_invalid(void **state)
{
	struct page	 p;
	xmlNode		*root;

	(void)state;
	memset(&p, 0, sizeof(p));
	page_invite_invalid(&p.b, &clinic);
	render(&p);
	root = xmlDocGetRootElement(p.doc);
	assert_true(text_has(root, "not valid"));
	assert_true(text_has(root, "expired"));
	assert_true(text_has(root, "+1 (416) 555-0100"));
	assert_int_equal(count_attr(&p, "href", "/intake/"), 1);
	assert_int_equal(count_attr(&p, "href", "tel:+14165550100"), 1);
	page_free(&p);

	memset(&p, 0, sizeof(p));
	page_invite_invalid(&p.b, &clinic_nophone);
	render(&p);
	root = xmlDocGetRootElement(p.doc);
	assert_true(text_has(root, "the clinic"));
	assert_false(text_has(root, " call "));
	assert_int_equal(count_attr(&p, "href", "/intake/"), 1);
	page_free(&p);
}

static void
test_error_pages(void **state)
{
	static const struct {
		int		 status;
		const char	*words[3];
	} cases[] = {
		{ 400, { "could not read what your browser sent",
		    "Nothing was saved", "Back" } },
		{ 404, { "could not find this page", NULL } },
		{ 405, { "does not accept", NULL } },
		{ 413, { "too large", "Nothing was saved", "Back" } },
		{ 415, { "format", "Nothing was saved", NULL } },
		{ 500, { "Nothing was saved",
		    "Your answers are still in the form", "Back button" } },
		{ 503, { "try again in a minute", "Nothing was saved",
		    "Back" } },
		{ 418, { "Something went wrong", NULL } },
	};
	struct page	 p;
	xmlNode		*root;
	size_t		 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&p, 0, sizeof(p));
		page_error(&p.b, cases[i].status, &clinic);
		render(&p);
		root = xmlDocGetRootElement(p.doc);
		for (k = 0; k < 3 && cases[i].words[k] != NULL; k++)
			if (!text_has(root, cases[i].words[k]))
				fail_msg("%d: no \"%s\"", cases[i].status,
				    cases[i].words[k]);
		/* plain: no form, no alert, nothing but our own words */
		for (k = 0; k < p.nel; k++)
			assert_false(is(p.el[k], "form") ||
			    is_control(p.el[k]));
		assert_int_equal(count_attr(&p, "role", NULL), 0);
		assert_null(strstr(p.b.data, "<Oak>"));
		assert_true(text_has(root, "Maple & <Oak> Clinic"));
		page_free(&p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_fresh),
		cmocka_unit_test(test_form_errors),
		cmocka_unit_test(test_form_banners),
		cmocka_unit_test(test_form_many_unknown),
		cmocka_unit_test(test_form_shipped),
		cmocka_unit_test(test_cond_words),
		cmocka_unit_test(test_receipt_none),
		cmocka_unit_test(test_receipt_urgent),
		cmocka_unit_test(test_consent_page),
		cmocka_unit_test(test_invite_invalid),
		cmocka_unit_test(test_error_pages),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("pages", tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
