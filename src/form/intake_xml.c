/* intake_xml.c: <intake> document -> answers; see intake_xml.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "core/utf8.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/intake_xml.h"
#include "form/xmlutil.h"

#define INTAKE_MAX_DEPTH	8	/* <intake><answer>text: depth 2 is all */
#define INTAKE_MAX_ERRORS	200
#define INTAKE_MAX_VERSION	999999999UL	/* nine digits, as the worker
						   re-checks (parse_child.c) */

struct intake_parser {
	const struct formdef	*fd;
	xmlSchemaPtr		 schema;
	xmlSchemaValidCtxtPtr	 vctx;
};

struct intake_parser *
intake_parser_new(const struct formdef *fd, const char *xsd_path, char *err,
    size_t errsz)
{
	struct intake_parser	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	p->fd = fd;
	if ((p->schema = xmlu_schema_load(xsd_path, err, errsz)) == NULL)
		goto err;
	if ((p->vctx = xmlSchemaNewValidCtxt(p->schema)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto err;
	}
	return p;
err:
	intake_parser_free(p);
	return NULL;
}

void
intake_parser_free(struct intake_parser *p)
{
	if (p == NULL)
		return;
	if (p->vctx != NULL)
		xmlSchemaFreeValidCtxt(p->vctx);
	if (p->schema != NULL)
		xmlSchemaFree(p->schema);
	free(p);
}

/*
 * Only UTF-8 is accepted: a declaration naming another encoding is refused
 * rather than converted (api.md: "not UTF-8" is a 400).
 */
static int
intake_prolog_ok(const char *doc, size_t len)
{
	const char	*end, *enc;
	size_t		 plen;

	if (len >= 3 && memcmp(doc, "\xef\xbb\xbf", 3) == 0) {
		doc += 3;
		len -= 3;
	}
	if (len < 5 || memcmp(doc, "<?xml", 5) != 0)
		return 1;
	if ((end = memmem(doc, len, "?>", 2)) == NULL)
		return 0;
	plen = (size_t)(end - doc);
	if ((enc = memmem(doc, plen, "encoding", 8)) == NULL)
		return 1;
	enc += 8;
	while (enc < end && (*enc == ' ' || *enc == '=' || *enc == '\t'))
		enc++;
	if (enc < end && (*enc == '"' || *enc == '\''))
		enc++;
	return (size_t)(end - enc) >= 5 && strncasecmp(enc, "UTF-8", 5) == 0 &&
	    (enc[5] == '"' || enc[5] == '\'');
}

/* A DOCTYPE anywhere in the markup is refused before parsing. */
static int
intake_has_doctype(const char *doc, size_t len)
{
	return memmem(doc, len, "<!DOCTYPE", 9) != NULL ||
	    memmem(doc, len, "<!ENTITY", 8) != NULL;
}

struct intake_errctx {
	const struct formdef	*fd;
	xmlNode			*root;
	struct verrs		*errs;
	char			*bad;	/* per field: had a schema error */
	int			 structural;
};

static int
intake_field_of(struct intake_errctx *c, xmlNode *n)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE || n->parent != c->root)
		return -1;
	return formdef_field(c->fd, (const char *)n->name);
}

/* The specific reason a value failed its type, from the same rules. */
static enum verr_code
intake_value_code(const struct formdef *fd, int f, xmlNode *n)
{
	struct answers	*tmp;
	xmlChar		*v;
	int		 rc = 0;

	if ((tmp = answers_new(fd)) != NULL &&
	    (v = xmlNodeGetContent(n)) != NULL) {
		rc = answers_set(tmp, f, (const char *)v, strlen((char *)v));
		xmlFree(v);
	}
	answers_free(tmp);
	if (rc > 0)
		return (enum verr_code)(rc - 1);
	switch (fd->fields[f].type) {
	case FD_TEXT:
		return VE_TOO_LONG;
	case FD_DATE:
		return VE_BAD_DATE;
	case FD_INT:
		return VE_RANGE;
	default:
		return VE_UNKNOWN_CHOICE;
	}
}

/* "/intake/given_name[2]": local names, a position where names repeat. */
static void
intake_xpath(xmlNode *n, char *out, size_t outsz)
{
	char	 tail[512], step[160];
	size_t	 pos, count;
	xmlNode	*s;

	tail[0] = '\0';
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		pos = count = 0;
		for (s = n->parent ? n->parent->children : n; s; s = s->next)
			if (s->type == XML_ELEMENT_NODE &&
			    xmlStrEqual(s->name, n->name)) {
				count++;
				if (s == n)
					pos = count;
			}
		if (count > 1)
			snprintf(step, sizeof(step), "/%.100s[%zu]", n->name,
			    pos);
		else
			snprintf(step, sizeof(step), "/%.100s", n->name);
		if (strlen(step) + strlen(tail) + 1 > sizeof(tail))
			break;
		memmove(tail + strlen(step), tail, strlen(tail) + 1);
		memcpy(tail, step, strlen(step));
	}
	snprintf(out, outsz, "%s", tail[0] ? tail : "/");
}

static void
intake_schema_error(void *arg, xmlErrorPtr e)
{
	struct intake_errctx	*c = arg;
	xmlNode			*n = e != NULL ? e->node : NULL;
	char			 path[512];
	int			 f;

	if (e == NULL || c->errs->n >= INTAKE_MAX_ERRORS)
		return;
	f = intake_field_of(c, n);
	if (f >= 0 && e->code != XML_SCHEMAV_ELEMENT_CONTENT) {
		if (!c->bad[f])
			verrs_add(c->errs, intake_value_code(c->fd, f, n), f,
			    c->fd->fields[f].id, n->line);
		c->bad[f] = 1;
		return;
	}
	if (f >= 0 && c->fd->fields[f].type != FD_MULTI && n->prev != NULL) {
		xmlNode *p = n->prev;

		while (p != NULL && p->type != XML_ELEMENT_NODE)
			p = p->prev;
		if (p != NULL && xmlStrEqual(p->name, n->name)) {
			if (!c->bad[f])
				verrs_add(c->errs, VE_DUPLICATE, f,
				    c->fd->fields[f].id, n->line);
			c->bad[f] = 1;
			return;
		}
	}
	/* Shape: name the place, never quote the document. */
	c->structural = 1;
	intake_xpath(n, path, sizeof(path));
	verrs_add(c->errs, VE_STRUCTURE, -1, path, e->line);
}

/*
 * A version attribute (the XSD allows any positiveInteger): its number, or
 * 0, no version, when it does not fit. Never truncated into another one.
 */
static unsigned
intake_version(const char *v)
{
	unsigned long	 n;

	errno = 0;
	n = strtoul(v, NULL, 10);
	return errno != 0 || n > INTAKE_MAX_VERSION ? 0 : (unsigned)n;
}

/* Read the root's attributes into a (the XSD checked their shape). */
static void
intake_attrs(xmlNode *root, struct answers *a, struct verrs *errs)
{
	char	*v;

	if ((v = xmlu_attr(root, "submission_id")) != NULL) {
		size_t i, len = strlen(v);

		if (len == ANSWERS_IDLEN) {
			for (i = 0; i < len; i++)
				a->submission_id[i] = (char)tolower(
				    (unsigned char)v[i]);
			a->submission_id[len] = '\0';
		}
		free(v);
	}
	if (a->submission_id[0] == '\0')
		verrs_add(errs, VE_SUBMISSION_ID, -1, "submission_id", 0);
	if ((v = xmlu_attr(root, "form_version")) != NULL) {
		a->form_version = intake_version(v);
		free(v);
	}
	if ((v = xmlu_attr(root, "consent_version")) != NULL) {
		a->consent_version = intake_version(v);
		free(v);
	}
	if ((v = xmlu_attr(root, "invite")) != NULL) {
		if (strlen(v) <= ANSWERS_INVITE_MAX)
			memcpy(a->invite, v, strlen(v) + 1);
		else
			verrs_add(errs, VE_INVITE, -1, "invite", 0);
		free(v);
	}
}

enum intake_result
intake_parse(struct intake_parser *p, const char *doc, size_t len,
    struct answers *a, struct verrs *errs)
{
	struct intake_errctx	 c;
	xmlDoc			*x = NULL;
	xmlNode			*root, *n;
	xmlChar			*v;
	enum intake_result	 rc = INTAKE_MALFORMED;
	size_t			 before = errs->n;
	int			 f, r;

	memset(&c, 0, sizeof(c));
	if (len > INT32_MAX || !utf8_valid(doc, len) ||
	    !intake_prolog_ok(doc, len) || intake_has_doctype(doc, len))
		return INTAKE_MALFORMED;
	x = xmlReadMemory(doc, (int)len, "intake.xml", "UTF-8",
	    XMLU_PARSE_OPTIONS);
	if (x == NULL)
		return INTAKE_MALFORMED;
	if (x->intSubset != NULL || x->extSubset != NULL)
		goto out;
	root = xmlDocGetRootElement(x);
	if (root == NULL)
		goto out;

	rc = INTAKE_NOMEM;
	if ((c.bad = calloc(p->fd->nfields, 1)) == NULL)
		goto out;
	c.fd = p->fd;
	c.root = root;
	c.errs = errs;
	xmlSchemaSetValidStructuredErrors(p->vctx, intake_schema_error, &c);
	r = xmlSchemaValidateDoc(p->vctx, x);
	xmlSchemaSetValidStructuredErrors(p->vctx, NULL, NULL);
	if (r != 0 && errs->n == before) {
		/* invalid, yet no error reached us: still a failure */
		verrs_add(errs, VE_STRUCTURE, -1, "/", 0);
		c.structural = 1;
	}
	rc = INTAKE_OK;
	if (c.structural)
		goto out;	/* the shape is wrong: values mean nothing */

	intake_attrs(root, a, errs);
	for (n = xmlu_first(root, NULL); n != NULL; n = xmlu_next(n, NULL)) {
		if ((f = formdef_field(p->fd, (const char *)n->name)) < 0 ||
		    c.bad[f])
			continue;
		if ((v = xmlNodeGetContent(n)) == NULL)
			continue;
		r = answers_set(a, f, (const char *)v, strlen((char *)v));
		xmlFree(v);
		if (r > 0) {
			verrs_add(errs, (enum verr_code)(r - 1), f,
			    p->fd->fields[f].id, n->line);
			c.bad[f] = 1;
		}
	}
out:
	free(c.bad);
	xmlFreeDoc(x);
	return rc;
}
