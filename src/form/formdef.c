/*
 * formdef.c: load the form definition (schemas/form-v1.xml) into the field
 * table. Two passes: first every section, question and choice (so any id
 * can be looked up), then the conditions, each allowed to read only
 * earlier questions so dropping can run in one forward pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/cond.h"
#include "form/formdef.h"
#include "form/xmlutil.h"

static int
fd_bool(xmlNode *n, const char *name)
{
	char	*v = xmlu_attr(n, name);
	int	 b = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	free(v);
	return b;
}

static int
fd_long(xmlNode *n, const char *name, long *out)
{
	char	*v = xmlu_attr(n, name), *end;
	int	 rc = 0;

	if (v == NULL)
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v)
		rc = -1;
	free(v);
	return rc == 0 ? 1 : -1;
}

static const char *fd_type_names[] = {
	"text", "date", "int", "yesno", "choice", "multi",
};

int
fd_choice_index(const struct fd_field *f, const char *value, size_t len)
{
	size_t	 i;

	for (i = 0; i < f->nchoices; i++)
		if (strlen(f->choices[i].value) == len &&
		    memcmp(f->choices[i].value, value, len) == 0)
			return (int)i;
	return -1;
}

int
formdef_field(const struct formdef *fd, const char *id)
{
	size_t	 i;

	for (i = 0; i < fd->nfields; i++)
		if (strcmp(fd->fields[i].id, id) == 0)
			return (int)i;
	return -1;
}

void
formdef_free(struct formdef *fd)
{
	size_t	 i, j;

	if (fd == NULL)
		return;
	for (i = 0; i < fd->nfields; i++) {
		struct fd_field *f = &fd->fields[i];

		for (j = 0; j < f->nchoices; j++) {
			free(f->choices[j].value);
			free(f->choices[j].label);
		}
		free(f->choices);
		cond_free(f->when);
		cond_free(f->required_when);
		free(f->id);
		free(f->label);
		free(f->hint);
		free(f->autocomplete);
	}
	for (i = 0; i < fd->nsections; i++) {
		free(fd->sections[i].id);
		free(fd->sections[i].title);
		free(fd->sections[i].intro);
	}
	for (i = 0; i < fd->ngroups; i++) {
		free(fd->groups[i].id);
		free(fd->groups[i].message);
	}
	free(fd->fields);
	free(fd->sections);
	free(fd->groups);
	free(fd->ns);
	free(fd);
}

static size_t
fd_count(xmlNode *parent, const char *name)
{
	xmlNode	*n;
	size_t	 c = 0;

	for (n = xmlu_first(parent, name); n != NULL; n = xmlu_next(n, name))
		c++;
	return c;
}

static int
fd_add_choice(struct fd_field *f, const char *value, const char *label)
{
	struct fd_choice *c;

	c = reallocarray(f->choices, f->nchoices + 1, sizeof(*c));
	if (c == NULL)
		return -1;
	f->choices = c;
	c[f->nchoices].value = strdup(value);
	c[f->nchoices].label = strdup(label);
	f->nchoices++;
	if (c[f->nchoices - 1].value == NULL || c[f->nchoices - 1].label == NULL)
		return -1;
	return 0;
}

/* First pass over one <question>: everything but conditions. */
static int
fd_question(struct formdef *fd, struct fd_field *f, xmlNode *q,
    const char *path, char *err, size_t errsz)
{
	xmlNode	*n;
	char	*v;
	long	 l;
	size_t	 i;
	int	 rc;

	f->id = xmlu_attr(q, "id");
	v = xmlu_attr(q, "type");
	for (i = 0; i < sizeof(fd_type_names) / sizeof(fd_type_names[0]); i++)
		if (v != NULL && strcmp(v, fd_type_names[i]) == 0)
			f->type = (enum fd_type)i;
	free(v);
	f->required = fd_bool(q, "required");
	f->sensitive = fd_bool(q, "sensitive");
	f->single_line = fd_bool(q, "single-line");
	f->exclusive = f->default_choice = f->group = -1;
	f->autocomplete = xmlu_attr(q, "autocomplete");
	f->min = 0;
	f->max = 0;
	if (fd_long(q, "max-length", &l) == 1)
		f->maxlen = (size_t)l;
	if (fd_long(q, "min", &f->min) == -1 || fd_long(q, "max", &f->max) == -1)
		goto bad;
	if ((rc = fd_long(q, "max-age", &l)) == 1)
		f->max_age = (int)l;
	if ((v = xmlu_attr(q, "check")) != NULL) {
		f->check = strcmp(v, "email") == 0 ? FD_CHECK_EMAIL :
		    FD_CHECK_PHONE;
		free(v);
	}
	if ((n = xmlu_first(q, "label")) != NULL)
		f->label = xmlu_text(n);
	if ((n = xmlu_first(q, "hint")) != NULL)
		f->hint = xmlu_text(n);
	if (f->id == NULL || f->label == NULL)
		goto nomem;

	if (f->type == FD_YESNO) {
		if (fd_add_choice(f, "yes", "Yes") == -1 ||
		    fd_add_choice(f, "no", "No") == -1)
			goto nomem;
	}
	for (n = xmlu_first(q, "choice"); n != NULL; n = xmlu_next(n, "choice")) {
		char	*cv = xmlu_attr(n, "value"), *cl = xmlu_text(n);

		if (cv == NULL || cl == NULL || fd_add_choice(f, cv, cl) == -1) {
			free(cv);
			free(cl);
			goto nomem;
		}
		if (fd_choice_index(f, cv, strlen(cv)) !=
		    (int)f->nchoices - 1) {
			snprintf(err, errsz, "%s:%d: question \"%s\" lists "
			    "choice \"%s\" twice", path, n->line, f->id, cv);
			free(cv);
			free(cl);
			return -1;
		}
		free(cv);
		free(cl);
	}
	if ((f->type == FD_CHOICE || f->type == FD_MULTI) != (f->nchoices > 0) &&
	    f->type != FD_YESNO) {
		snprintf(err, errsz, "%s:%d: question \"%s\": only choice and "
		    "multi questions list choices, and they must", path,
		    q->line, f->id);
		return -1;
	}
	if (f->type == FD_TEXT && f->maxlen == 0) {
		snprintf(err, errsz, "%s:%d: text question \"%s\" needs "
		    "max-length", path, q->line, f->id);
		return -1;
	}
	if (f->type == FD_INT && f->min > f->max) {
		snprintf(err, errsz, "%s:%d: number question \"%s\" needs "
		    "min <= max", path, q->line, f->id);
		return -1;
	}
	if ((v = xmlu_attr(q, "exclusive")) != NULL) {
		f->exclusive = fd_choice_index(f, v, strlen(v));
		free(v);
		if (f->exclusive < 0 || f->type != FD_MULTI)
			goto badchoice;
	}
	if ((v = xmlu_attr(q, "default")) != NULL) {
		f->default_choice = fd_choice_index(f, v, strlen(v));
		free(v);
		if (f->default_choice < 0 || f->type != FD_CHOICE)
			goto badchoice;
	}
	if ((v = xmlu_attr(q, "group")) != NULL) {
		for (i = 0; i < fd->ngroups; i++)
			if (strcmp(fd->groups[i].id, v) == 0)
				f->group = (int)i;
		free(v);
		if (f->group < 0) {
			snprintf(err, errsz, "%s:%d: question \"%s\" names an "
			    "unknown group", path, q->line, f->id);
			return -1;
		}
	}
	return 0;
badchoice:
	snprintf(err, errsz, "%s:%d: question \"%s\": exclusive= and default= "
	    "must name one of its choices (multi and choice questions only)",
	    path, q->line, f->id);
	return -1;
bad:
	snprintf(err, errsz, "%s:%d: question \"%s\" has a bad number", path,
	    q->line, f->id ? f->id : "?");
	return -1;
nomem:
	snprintf(err, errsz, "%s: out of memory", path);
	return -1;
}

static int
fd_conditions(struct formdef *fd, struct fd_field *f, int idx, xmlNode *q,
    const char *path, char *err, size_t errsz)
{
	static const char *which[] = { "when", "required-when" };
	struct cond	**slot[] = { &f->when, &f->required_when };
	char		 cerr[256];
	xmlNode		*w, *c;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if ((w = xmlu_first(q, which[i])) == NULL)
			continue;
		c = xmlu_first(w, NULL);
		if (c == NULL || xmlu_next(c, NULL) != NULL) {
			snprintf(err, errsz, "%s:%d: <%s> holds exactly one "
			    "condition", path, w->line, which[i]);
			return -1;
		}
		if ((*slot[i] = cond_parse(fd, c, idx, cerr,
		    sizeof(cerr))) == NULL) {
			snprintf(err, errsz, "%s: %s", path, cerr);
			return -1;
		}
	}
	return 0;
}

int
formdef_load(const char *path, const char *xsd_path, struct formdef **out,
    char *err, size_t errsz)
{
	struct formdef	*fd = NULL;
	xmlDoc		*doc;
	xmlNode		*root, *s, *q, *g;
	size_t		 nq = 0, si, fi;
	long		 ver;

	*out = NULL;
	if ((doc = xmlu_read_file(path, err, errsz)) == NULL)
		return -1;
	if (xmlu_validate_file(doc, xsd_path, path, err, errsz) == -1)
		goto err;
	root = xmlDocGetRootElement(doc);
	if ((fd = calloc(1, sizeof(*fd))) == NULL)
		goto nomem;
	fd->f_given_name = fd->f_family_name = fd->f_date_of_birth = -1;
	fd->f_signature_name = fd->f_guardian_name = -1;
	if (fd_long(root, "version", &ver) != 1 || ver <= 0)
		goto nomem;
	fd->version = (unsigned)ver;
	if ((fd->ns = xmlu_attr(root, "namespace")) == NULL)
		goto nomem;

	fd->ngroups = fd_count(root, "group");
	fd->nsections = fd_count(root, "section");
	for (s = xmlu_first(root, "section"); s; s = xmlu_next(s, "section"))
		nq += fd_count(s, "question");
	fd->groups = calloc(fd->ngroups ? fd->ngroups : 1, sizeof(*fd->groups));
	fd->sections = calloc(fd->nsections, sizeof(*fd->sections));
	fd->fields = calloc(nq, sizeof(*fd->fields));
	if (fd->groups == NULL || fd->sections == NULL || fd->fields == NULL)
		goto nomem;

	si = 0;
	for (g = xmlu_first(root, "group"); g; g = xmlu_next(g, "group"), si++) {
		fd->groups[si].id = xmlu_attr(g, "id");
		fd->groups[si].message = xmlu_text(g);
		if (fd->groups[si].id == NULL || fd->groups[si].message == NULL)
			goto nomem;
	}

	si = fi = 0;
	for (s = xmlu_first(root, "section"); s; s = xmlu_next(s, "section")) {
		struct fd_section *sec = &fd->sections[si];

		sec->id = xmlu_attr(s, "id");
		sec->title = xmlu_text(xmlu_first(s, "title"));
		if ((q = xmlu_first(s, "intro")) != NULL)
			sec->intro = xmlu_text(q);
		sec->consent = fd_bool(s, "consent");
		sec->first = fi;
		if (sec->id == NULL || sec->title == NULL)
			goto nomem;
		for (q = xmlu_first(s, "question"); q;
		    q = xmlu_next(q, "question")) {
			fd->fields[fi].section = si;
			fd->nfields = fi + 1;
			if (fd_question(fd, &fd->fields[fi], q, path, err,
			    errsz) == -1)
				goto err;
			if (formdef_field(fd, fd->fields[fi].id) != (int)fi) {
				snprintf(err, errsz, "%s:%d: question id \"%s\" "
				    "is used twice", path, q->line,
				    fd->fields[fi].id);
				goto err;
			}
			fi++;
		}
		sec->count = fi - sec->first;
		si++;
	}

	fd->f_given_name = formdef_field(fd, "given_name");
	fd->f_family_name = formdef_field(fd, "family_name");
	fd->f_date_of_birth = formdef_field(fd, "date_of_birth");
	fd->f_signature_name = formdef_field(fd, "signature_name");
	fd->f_guardian_name = formdef_field(fd, "guardian_name");
	if (fd->f_date_of_birth >= 0 &&
	    fd->fields[fd->f_date_of_birth].type != FD_DATE) {
		snprintf(err, errsz, "%s: date_of_birth must be a date", path);
		goto err;
	}

	fi = 0;
	for (s = xmlu_first(root, "section"); s; s = xmlu_next(s, "section"))
		for (q = xmlu_first(s, "question"); q;
		    q = xmlu_next(q, "question"), fi++)
			if (fd_conditions(fd, &fd->fields[fi], (int)fi, q, path,
			    err, errsz) == -1)
				goto err;

	xmlFreeDoc(doc);
	*out = fd;
	return 0;
nomem:
	snprintf(err, errsz, "%s: out of memory or a missing attribute", path);
err:
	xmlFreeDoc(doc);
	formdef_free(fd);
	return -1;
}
