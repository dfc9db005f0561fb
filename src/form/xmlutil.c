/* xmlutil.c: safe libxml2 set-up and small tree helpers; see xmlutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "form/xmlutil.h"

static xmlExternalEntityLoader	 xmlu_default_loader;
static int			 xmlu_trusted;	/* loading our own files */

/*
 * No file and no URL is ever opened on behalf of a submitted document.
 * Only while we load our own definition files and schemas (xmlu_trusted)
 * may a local path be read, for the schemas' relative includes.
 */
static xmlParserInputPtr
xmlu_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	if (!xmlu_trusted || url == NULL || strstr(url, "://") != NULL ||
	    xmlu_default_loader == NULL)
		return NULL;
	return xmlu_default_loader(url, id, ctxt);
}

static void
xmlu_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void
xmlu_init(void)
{
	xmlInitParser();
	if (xmlu_default_loader == NULL)
		xmlu_default_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(xmlu_loader);
	/* Errors are collected per call; the default handler would print
	 * fragments of documents to stderr. */
	xmlSetGenericErrorFunc(NULL, xmlu_silent);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

xmlDoc *
xmlu_read_file(const char *path, char *err, size_t errsz)
{
	xmlDoc		*doc;
	const xmlError	*e;

	xmlResetLastError();
	xmlu_trusted = 1;
	doc = xmlReadFile(path, NULL, XMLU_PARSE_OPTIONS);
	xmlu_trusted = 0;
	if (doc == NULL) {
		e = xmlGetLastError();
		snprintf(err, errsz, "%s:%d: not well-formed XML (%s)", path,
		    e != NULL ? e->line : 0,
		    e != NULL && e->message != NULL ? e->message : "cannot read");
		/* libxml2 messages end with a newline */
		err[strcspn(err, "\n")] = '\0';
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		snprintf(err, errsz, "%s:%d: a DOCTYPE is not allowed", path,
		    doc->intSubset != NULL && doc->intSubset->children != NULL ?
	    doc->intSubset->children->line : 1);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

struct xmlu_errs {
	char	*err;
	size_t	 errsz;
	int	 n;
};

static void
xmlu_first_error(void *arg, xmlErrorPtr e)
{
	struct xmlu_errs	*st = arg;
	char			 msg[512];

	if (st->n++ > 0 || e == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "invalid");
	msg[strcspn(msg, "\n")] = '\0';
	snprintf(st->err, st->errsz, "%s:%d: %s", e->file ? e->file : "?",
	    e->line, msg);
}

xmlSchemaPtr
xmlu_schema_load(const char *xsd_path, char *err, size_t errsz)
{
	xmlSchemaParserCtxtPtr	 pctx;
	xmlSchemaPtr		 schema;
	struct xmlu_errs	 st = { err, errsz, 0 };

	if ((pctx = xmlSchemaNewParserCtxt(xsd_path)) == NULL) {
		snprintf(err, errsz, "%s: cannot read schema", xsd_path);
		return NULL;
	}
	xmlSchemaSetParserStructuredErrors(pctx, xmlu_first_error, &st);
	xmlu_trusted = 1;
	schema = xmlSchemaParse(pctx);
	xmlu_trusted = 0;
	xmlSchemaFreeParserCtxt(pctx);
	if (schema == NULL && st.n == 0)
		snprintf(err, errsz, "%s: schema does not compile", xsd_path);
	return schema;
}

int
xmlu_validate_file(xmlDoc *doc, const char *xsd_path, const char *path,
    char *err, size_t errsz)
{
	xmlSchemaPtr		 schema;
	xmlSchemaValidCtxtPtr	 vctx;
	struct xmlu_errs	 st = { err, errsz, 0 };
	int			 rc;

	if ((schema = xmlu_schema_load(xsd_path, err, errsz)) == NULL)
		return -1;
	if ((vctx = xmlSchemaNewValidCtxt(schema)) == NULL) {
		xmlSchemaFree(schema);
		snprintf(err, errsz, "%s: out of memory", path);
		return -1;
	}
	xmlSchemaSetValidStructuredErrors(vctx, xmlu_first_error, &st);
	rc = xmlSchemaValidateDoc(vctx, doc);
	xmlSchemaFreeValidCtxt(vctx);
	xmlSchemaFree(schema);
	if (rc != 0 && st.n == 0)
		snprintf(err, errsz, "%s: not valid against %s", path, xsd_path);
	return rc == 0 ? 0 : -1;
}

char *
xmlu_attr(xmlNode *n, const char *name)
{
	xmlChar	*v;
	char	*s;

	if ((v = xmlGetProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
xmlu_text(xmlNode *n)
{
	xmlChar	*v;
	char	*s;

	if ((v = xmlNodeGetContent(n)) == NULL)
		return strdup("");
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

int
xmlu_is(xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

xmlNode *
xmlu_next(xmlNode *n, const char *name)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (name == NULL || strcmp((const char *)n->name, name) == 0))
			return n;
	return NULL;
}

xmlNode *
xmlu_first(xmlNode *parent, const char *name)
{
	xmlNode	*n = parent->children;

	if (n == NULL)
		return NULL;
	if (n->type == XML_ELEMENT_NODE &&
	    (name == NULL || strcmp((const char *)n->name, name) == 0))
		return n;
	return xmlu_next(n, name);
}
