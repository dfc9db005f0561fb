/* cond.c: conditions over answers; see cond.h for the vocabulary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/answers.h"
#include "form/cond.h"
#include "form/formdef.h"
#include "form/xmlutil.h"

static const struct {
	const char	*name;
	enum cond_op	 op;
} cond_names[] = {
	{ "yes", COND_YES },
	{ "equals", COND_EQUALS },
	{ "holds", COND_HOLDS },
	{ "answered", COND_ANSWERED },
	{ "compare", COND_COMPARE },
	{ "days-since", COND_DAYS_SINCE },
	{ "age", COND_AGE },
	{ "all", COND_ALL },
	{ "any", COND_ANY },
	{ "not", COND_NOT },
};

static int
cond_cmp_parse(const char *s, enum cond_cmp *out)
{
	static const char *names[] = { "lt", "le", "eq", "ge", "gt" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = (enum cond_cmp)i;
			return 0;
		}
	return -1;
}

static int
cond_long(const char *s, long *out)
{
	char	*end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

void
cond_free(struct cond *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkids; i++)
		cond_free(c->kids[i]);
	free(c->kids);
	free(c);
}

/*
 * Resolve the q="" attribute: a known field, earlier than limit when
 * limit >= 0. Returns the field index or -1 with err set.
 */
static int
cond_field(const struct formdef *fd, xmlNode *n, int limit, char *err,
    size_t errsz)
{
	char	*q;
	int	 f;

	if ((q = xmlu_attr(n, "q")) == NULL) {
		snprintf(err, errsz, "line %d: <%s> needs a q attribute",
		    n->line, n->name);
		return -1;
	}
	f = formdef_field(fd, q);
	if (f < 0)
		snprintf(err, errsz, "line %d: no question with id \"%s\"",
		    n->line, q);
	else if (limit >= 0 && f >= limit) {
		snprintf(err, errsz, "line %d: a condition may only read an "
		    "earlier question, and \"%s\" comes later", n->line, q);
		f = -1;
	}
	free(q);
	return f;
}

/* Choice bits of a space-separated value list, checked against field f. */
static int
cond_mask(const struct formdef *fd, int f, xmlNode *n, const char *attr,
    uint64_t *mask, char *err, size_t errsz)
{
	const struct fd_field	*fld = &fd->fields[f];
	char			*list, *p, *tok, *save = NULL;
	int			 c, rc = 0;

	*mask = 0;
	if ((list = xmlu_attr(n, attr)) == NULL) {
		snprintf(err, errsz, "line %d: <%s> needs a %s attribute",
		    n->line, n->name, attr);
		return -1;
	}
	for (p = list; (tok = strtok_r(p, " \t\n", &save)) != NULL; p = NULL) {
		c = fd_choice_index(fld, tok, strlen(tok));
		if (c < 0) {
			snprintf(err, errsz, "line %d: \"%s\" is not a choice "
			    "of question \"%s\"", n->line, tok, fld->id);
			rc = -1;
			break;
		}
		*mask |= (uint64_t)1 << c;
	}
	if (rc == 0 && *mask == 0) {
		snprintf(err, errsz, "line %d: <%s> names no value", n->line,
		    n->name);
		rc = -1;
	}
	free(list);
	return rc;
}

static int
cond_is_choice(const struct fd_field *f)
{
	return f->type == FD_YESNO || f->type == FD_CHOICE ||
	    f->type == FD_MULTI;
}

struct cond *
cond_parse(const struct formdef *fd, xmlNode *n, int limit, char *err,
    size_t errsz)
{
	struct cond		*c;
	const struct fd_field	*fld = NULL;
	xmlNode			*k;
	char			*v = NULL;
	size_t			 i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (i = 0; i < sizeof(cond_names) / sizeof(cond_names[0]); i++)
		if (xmlu_is(n, cond_names[i].name))
			break;
	if (i == sizeof(cond_names) / sizeof(cond_names[0])) {
		snprintf(err, errsz, "line %d: <%s> is not a condition",
		    n->line, n->name);
		goto err;
	}
	c->op = cond_names[i].op;
	c->field = -1;

	switch (c->op) {
	case COND_ALL:
	case COND_ANY:
	case COND_NOT:
		for (k = xmlu_first(n, NULL); k != NULL; k = xmlu_next(k, NULL)) {
			struct cond **kids;

			kids = reallocarray(c->kids, c->nkids + 1,
			    sizeof(*kids));
			if (kids == NULL) {
				snprintf(err, errsz, "out of memory");
				goto err;
			}
			c->kids = kids;
			if ((c->kids[c->nkids] = cond_parse(fd, k, limit, err,
			    errsz)) == NULL)
				goto err;
			c->nkids++;
		}
		if (c->nkids == 0 || (c->op == COND_NOT && c->nkids != 1)) {
			snprintf(err, errsz, "line %d: <%s> needs %s", n->line,
			    n->name, c->op == COND_NOT ?
			    "exactly one condition" : "at least one condition");
			goto err;
		}
		return c;
	case COND_AGE:
		v = xmlu_attr(n, "op");
		if (cond_cmp_parse(v, &c->cmp) == -1) {
			snprintf(err, errsz, "line %d: <age> needs op= lt, le, "
			    "eq, ge or gt", n->line);
			goto err;
		}
		free(v);
		v = xmlu_attr(n, "value");
		if (cond_long(v, &c->value) == -1 || c->value < 0) {
			snprintf(err, errsz, "line %d: <age> needs a whole "
			    "number of years", n->line);
			goto err;
		}
		free(v);
		if (fd->f_date_of_birth < 0 ||
		    (limit >= 0 && fd->f_date_of_birth >= limit)) {
			snprintf(err, errsz, "line %d: <age> needs an earlier "
			    "date_of_birth question", n->line);
			return cond_free(c), NULL;
		}
		return c;
	default:
		break;
	}

	if ((c->field = cond_field(fd, n, limit, err, errsz)) < 0)
		goto err;
	fld = &fd->fields[c->field];

	switch (c->op) {
	case COND_YES:
		if (fld->type != FD_YESNO) {
			snprintf(err, errsz, "line %d: <yes> needs a yes/no "
			    "question, and \"%s\" is not one", n->line, fld->id);
			goto err;
		}
		c->mask = (uint64_t)1 << fd_choice_index(fld, "yes", 3);
		break;
	case COND_EQUALS:
		if (fld->type == FD_INT) {
			v = xmlu_attr(n, "value");
			if (cond_long(v, &c->value) == -1) {
				snprintf(err, errsz, "line %d: \"%s\" needs a "
				    "whole number", n->line, fld->id);
				goto err;
			}
			c->op = COND_COMPARE;
			c->cmp = CMP_EQ;
			break;
		}
		if (!cond_is_choice(fld) || fld->type == FD_MULTI) {
			snprintf(err, errsz, "line %d: <equals> needs a yes/no, "
			    "choice or number question; use <holds> for \"%s\"",
			    n->line, fld->id);
			goto err;
		}
		if (cond_mask(fd, c->field, n, "value", &c->mask, err,
		    errsz) == -1)
			goto err;
		break;
	case COND_HOLDS:
		if (!cond_is_choice(fld)) {
			snprintf(err, errsz, "line %d: <holds> needs a question "
			    "with choices, and \"%s\" has none", n->line,
			    fld->id);
			goto err;
		}
		if (cond_mask(fd, c->field, n, "any", &c->mask, err,
		    errsz) == -1)
			goto err;
		break;
	case COND_ANSWERED:
		break;
	case COND_COMPARE:
		if (fld->type != FD_INT) {
			snprintf(err, errsz, "line %d: <compare> needs a number "
			    "question, and \"%s\" is not one", n->line, fld->id);
			goto err;
		}
		v = xmlu_attr(n, "op");
		if (cond_cmp_parse(v, &c->cmp) == -1) {
			snprintf(err, errsz, "line %d: <compare> needs op= lt, "
			    "le, eq, ge or gt", n->line);
			goto err;
		}
		free(v);
		v = xmlu_attr(n, "value");
		if (cond_long(v, &c->value) == -1) {
			snprintf(err, errsz, "line %d: <compare> needs a whole "
			    "number value", n->line);
			goto err;
		}
		break;
	case COND_DAYS_SINCE:
		if (fld->type != FD_DATE) {
			snprintf(err, errsz, "line %d: <days-since> needs a date "
			    "question, and \"%s\" is not one", n->line, fld->id);
			goto err;
		}
		v = xmlu_attr(n, "min");
		if (cond_long(v, &c->min) == -1 || c->min < 0) {
			snprintf(err, errsz, "line %d: <days-since> needs min= "
			    "a whole number of days", n->line);
			goto err;
		}
		free(v);
		v = xmlu_attr(n, "max");
		if (cond_long(v, &c->max) == -1 || c->max < c->min) {
			snprintf(err, errsz, "line %d: <days-since> needs max= "
			    "a whole number of days, not below min", n->line);
			goto err;
		}
		break;
	default:
		break;
	}
	free(v);
	return c;
err:
	free(v);
	cond_free(c);
	return NULL;
}

static int
cond_compare(long a, enum cond_cmp cmp, long b)
{
	switch (cmp) {
	case CMP_LT:
		return a < b;
	case CMP_LE:
		return a <= b;
	case CMP_EQ:
		return a == b;
	case CMP_GE:
		return a >= b;
	case CMP_GT:
		return a > b;
	}
	return 0;
}

int
cond_eval(const struct cond *c, const struct answers *a)
{
	const struct answer	*v = NULL;
	size_t			 i;
	long			 days;

	switch (c->op) {
	case COND_ALL:
		for (i = 0; i < c->nkids; i++)
			if (!cond_eval(c->kids[i], a))
				return 0;
		return 1;
	case COND_ANY:
		for (i = 0; i < c->nkids; i++)
			if (cond_eval(c->kids[i], a))
				return 1;
		return 0;
	case COND_NOT:
		return !cond_eval(c->kids[0], a);
	case COND_AGE:
		return a->age >= 0 && cond_compare(a->age, c->cmp, c->value);
	default:
		break;
	}
	v = &a->v[c->field];
	if (!v->present)
		return 0;	/* absent never matches */
	switch (c->op) {
	case COND_YES:
	case COND_EQUALS:
	case COND_HOLDS:
		return (v->mask & c->mask) != 0;
	case COND_ANSWERED:
		return 1;
	case COND_COMPARE:
		return cond_compare(v->num, c->cmp, c->value);
	case COND_DAYS_SINCE:
		days = (long)a->today - (long)v->day;
		return days >= c->min && days <= c->max;
	default:
		return 0;
	}
}
