/*
 * xmlutil.h: libxml2 set up once for untrusted and trusted input alike:
 * no network, no entity substitution, no DTD loading, and an external
 * entity loader that refuses every file and URL.
 */
#ifndef FORM_XMLUTIL_H
#define FORM_XMLUTIL_H

#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* The options every parse uses. Never NOENT, DTDLOAD, HUGE or XINCLUDE. */
#define XMLU_PARSE_OPTIONS	(XML_PARSE_NONET | XML_PARSE_NOCDATA | \
				 XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Call once at start, before any parse. */
void		 xmlu_init(void);
/*
 * Read one of our own files (form definition, rules, schema). A DOCTYPE is
 * refused. On failure returns NULL and writes "path:line: problem".
 */
xmlDoc		*xmlu_read_file(const char *path, char *err, size_t errsz);
/*
 * Load an XSD and validate doc against it; the first problem goes to err as
 * "path:line: message". Returns 0 when valid.
 */
int		 xmlu_validate_file(xmlDoc *, const char *xsd_path,
		    const char *path, char *err, size_t errsz);
xmlSchemaPtr	 xmlu_schema_load(const char *xsd_path, char *err, size_t errsz);
/* Attribute value as a malloc'ed string, or NULL when absent. */
char		*xmlu_attr(xmlNode *, const char *name);
/* Text content of the node as a malloc'ed string (never NULL on success). */
char		*xmlu_text(xmlNode *);
/* Element children only, by local name. */
xmlNode		*xmlu_first(xmlNode *parent, const char *name);
xmlNode		*xmlu_next(xmlNode *after, const char *name);
int		 xmlu_is(xmlNode *, const char *name);

#endif
