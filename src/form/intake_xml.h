/*
 * intake_xml.h: the one validator both front doors share. An <intake>
 * document (posted as XML, or made from a form post by formpost.c) is
 * parsed from memory with no network, no entity substitution and no DTD,
 * validated against the compiled XSD, and read into answers.
 */
#ifndef FORM_INTAKE_XML_H
#define FORM_INTAKE_XML_H

#include <stddef.h>

struct formdef;
struct answers;
struct verrs;

struct intake_parser;

enum intake_result {
	INTAKE_OK,		/* answers filled; errs may still hold problems */
	INTAKE_MALFORMED,	/* not well-formed, not UTF-8, DOCTYPE: 400 */
	INTAKE_NOMEM,
};

/* Compile the XSD once (at start). NULL with err on failure. */
struct intake_parser *intake_parser_new(const struct formdef *,
		    const char *xsd_path, char *err, size_t errsz);
void		 intake_parser_free(struct intake_parser *);

/*
 * Parse and validate doc[0..len) into a (from answers_new). Every problem
 * of the document goes to errs together: field errors by question id,
 * structural ones by XPath and line. The caller then runs answers_check.
 */
enum intake_result intake_parse(struct intake_parser *, const char *doc,
		    size_t len, struct answers *a, struct verrs *errs);

#endif
