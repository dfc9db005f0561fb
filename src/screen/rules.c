/*
 * rules.c: load and check the screening rule file; see screen.h and
 * docs/rules.md. The file is trusted configuration, but a clinic edits it
 * by hand, so every problem is reported as "file:line: what is wrong".
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "form/cond.h"
#include "form/formdef.h"
#include "form/xmlutil.h"
#include "screen/screen.h"

#define RULES_NS	"urn:clinic-intake:rules:1"
#define RULES_NSBRACE	"{" RULES_NS "}"
#define RULES_MAX_FILE	(4 * 1024 * 1024)	/* bytes; v1 is about 20 KiB */

/* One load: where its first problem is written. */
struct rules_load {
	const char	*path;		/* the rule file, as given */
	const char	*xsd_path;	/* its schema */
	char		*err;
	size_t		 errsz;
	int		 failed;	/* err holds the first problem */
};

static void	 rules_errf(struct rules_load *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/*
 * Record a problem as "file:line: message", keeping the first one: later
 * problems are often consequences of it.
 */
static void
rules_errf(struct rules_load *ld, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (ld->failed)
		return;
	ld->failed = 1;
	if (ld->err == NULL || ld->errsz == 0)
		return;
	if (line > 0)
		n = snprintf(ld->err, ld->errsz, "%s:%d: ", file, line);
	else
		n = snprintf(ld->err, ld->errsz, "%s: ", file);
	if (n < 0 || (size_t)n >= ld->errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errsz - n, fmt, ap);
	va_end(ap);
}

/*
 * A libxml2 message made plain: our namespace in braces is noise to a
 * reader who wrote <rule>, and the trailing newline is not ours to print.
 */
static void
rules_xml_message(struct rules_load *ld, const char *file, xmlErrorPtr e)
{
	char	 msg[1024], *p;
	size_t	 skip = sizeof(RULES_NSBRACE) - 1;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s",
	    e->message != NULL ? e->message : "not well-formed XML");
	while ((p = strstr(msg, RULES_NSBRACE)) != NULL)
		memmove(p, p + skip, strlen(p + skip) + 1);
	p = msg + strlen(msg);
	while (p > msg && (p[-1] == '\n' || p[-1] == ' '))
		*--p = '\0';
	rules_errf(ld, file, e->line, "%s", msg);
}

/* Parser errors: the context's _private is the load. */
static void
rules_parse_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr	 ctxt = ctx;

	rules_xml_message(ctxt->_private, ((struct rules_load *)
	    ctxt->_private)->path, e);
}

static void
rules_valid_error(void *arg, xmlErrorPtr e)
{
	struct rules_load	*ld = arg;

	rules_xml_message(ld, ld->path, e);
}

/*
 * A DOCTYPE is where entities are declared (external files, the
 * "billion laughs"); a rule file needs none, so stop at the first one.
 */
static void
rules_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr	 ctxt = ctx;
	struct rules_load	*ld = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	rules_errf(ld, ld->path, xmlSAX2GetLineNumber(ctx),
	    "a DOCTYPE is not allowed in a rule file "
	    "(it can declare entities that pull in other files)");
	xmlStopParser(ctxt);
}

/*
 * Read the whole file (rule files are small) into a malloc'd buffer.
 * Reading it ourselves keeps libxml2's loader, which only opens files
 * while xmlutil says so, out of it. Returns 0 or -1 with the problem.
 */
static int
rules_slurp(struct rules_load *ld, char **out, size_t *lenp)
{
	struct stat	 st;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, n, cap;

	*out = NULL;
	if ((f = fopen(ld->path, "r")) == NULL) {
		rules_errf(ld, ld->path, 0, "cannot read the rule file: %s",
		    strerror(errno));
		return -1;
	}
	/* From here: goto err. */
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
		rules_errf(ld, ld->path, 0, "the rule file is not a plain "
		    "file");
		goto err;
	}
	if (st.st_size > RULES_MAX_FILE) {
		rules_errf(ld, ld->path, 0, "the rule file is larger than "
		    "%d bytes", RULES_MAX_FILE);
		goto err;
	}
	/* One byte more than its size: a file that grew is noticed. */
	cap = (size_t)st.st_size + 1;
	if ((buf = calloc(1, cap + 1)) == NULL) {
		rules_errf(ld, ld->path, 0, "out of memory");
		goto err;
	}
	while (len < cap && (n = fread(buf + len, 1, cap - len, f)) > 0)
		len += n;
	if (ferror(f) || len == cap) {
		rules_errf(ld, ld->path, 0, "cannot read the rule file: %s",
		    ferror(f) ? strerror(errno) : "it changed while read");
		goto err;
	}
	fclose(f);
	*out = buf;
	*lenp = len;
	return 0;
err:
	free(buf);
	fclose(f);
	return -1;
}

/*
 * Parse the file: no network, no entity substitution, no DTD loading,
 * no DOCTYPE at all. Returns the document (xmlFreeDoc) or NULL.
 */
static xmlDocPtr
rules_parse(struct rules_load *ld)
{
	xmlParserCtxtPtr	 ctxt = NULL;
	xmlDocPtr		 doc = NULL;
	char			*text;
	size_t			 len;

	if (rules_slurp(ld, &text, &len) == -1)
		return NULL;
	if ((ctxt = xmlCreateMemoryParserCtxt(text, (int)len)) == NULL) {
		rules_errf(ld, ld->path, 0, "out of memory");
		free(text);
		return NULL;
	}
	/* From here: goto err. */
	ctxt->_private = ld;
	ctxt->sax->serror = rules_parse_error;
	ctxt->sax->internalSubset = rules_doctype;
	ctxt->sax->externalSubset = NULL;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);

	xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (ld->failed)
		goto err;
	if (!ctxt->wellFormed || doc == NULL) {
		rules_errf(ld, ld->path, ctxt->input != NULL ?
		    ctxt->input->line : 0, "not well-formed XML");
		goto err;
	}
	/* Defence in depth: the SAX hook above should have stopped it. */
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rules_errf(ld, ld->path, 1,
		    "a DOCTYPE is not allowed in a rule file");
		goto err;
	}
	xmlFreeParserCtxt(ctxt);
	free(text);
	return doc;
err:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(text);
	return NULL;
}

/*
 * Validate doc against the XSD at ld->xsd_path, loaded through xmlutil
 * (the one place allowed to let a schema read its includes). Returns 0
 * or -1 with the first problem recorded.
 */
static int
rules_validate(struct rules_load *ld, xmlDocPtr doc)
{
	xmlSchemaPtr		 schema;
	xmlSchemaValidCtxtPtr	 vctxt = NULL;
	int			 rc = -1;

	if ((schema = xmlu_schema_load(ld->xsd_path, ld->err,
	    ld->errsz)) == NULL) {
		ld->failed = 1;
		return -1;
	}
	/* From here: goto err. */
	if ((vctxt = xmlSchemaNewValidCtxt(schema)) == NULL) {
		rules_errf(ld, ld->path, 0, "out of memory");
		goto err;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, rules_valid_error, ld);
	if (xmlSchemaValidateDoc(vctxt, doc) != 0) {
		rules_errf(ld, ld->path, 0,
		    "not valid against %s", ld->xsd_path);
		goto err;
	}
	rc = 0;
err:
	xmlSchemaFreeValidCtxt(vctxt);
	xmlSchemaFree(schema);
	return rc;
}

static int
rules_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, RULES_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

/*
 * Text with runs of white space collapsed to one space and trimmed: the
 * file wraps prose across indented lines. Returns a malloc'd string (the
 * caller frees), or NULL on allocation failure.
 */
static char *
rules_collapse(const xmlChar *s)
{
	char	*out, *q;
	int	 space = 0;

	if ((out = calloc(1, strlen((const char *)s) + 1)) == NULL)
		return NULL;
	for (q = out; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = q != out;
			continue;
		}
		if (space)
			*q++ = ' ';
		space = 0;
		*q++ = (char)*s;
	}
	*q = '\0';
	return out;
}

/* An attribute, collapsed like text; NULL when absent (or no memory). */
static char *
rules_prop(xmlNode *n, const char *name, int *nomem)
{
	xmlChar	*v;
	char	*s;

	if ((v = xmlGetProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	if ((s = rules_collapse(v)) == NULL)
		*nomem = 1;
	xmlFree(v);
	return s;
}

/* An element's text, collapsed; NULL with *nomem set when out of memory. */
static char *
rules_text(xmlNode *n, int *nomem)
{
	xmlChar	*v;
	char	*s;

	if ((v = xmlNodeGetContent(n)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	if ((s = rules_collapse(v)) == NULL)
		*nomem = 1;
	xmlFree(v);
	return s;
}

static int
rules_index(const struct ruleset *rs, const char *id)
{
	size_t	 i;

	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].id != NULL && strcmp(rs->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

/*
 * Parse the condition inside <when>. cond_parse reports "line N: ...";
 * that becomes "file:N: in rule "id": ...".
 */
static int
rules_when(struct rules_load *ld, const struct formdef *fd, xmlNode *when,
    struct rule *r)
{
	xmlNode	*c;
	char	 cerr[512];
	int	 line, off;

	for (c = when->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			break;
	if (c == NULL) {
		rules_errf(ld, ld->path, when->line,
		    "in rule \"%s\": <when> holds no condition", r->id);
		return -1;
	}
	cerr[0] = '\0';
	if ((r->when = cond_parse(fd, c, -1, cerr, sizeof(cerr))) != NULL)
		return 0;
	off = 0;
	if (sscanf(cerr, "line %d: %n", &line, &off) == 1 && off > 0)
		rules_errf(ld, ld->path, line, "in rule \"%s\": %s",
		    r->id, cerr + off);
	else
		rules_errf(ld, ld->path, c->line, "in rule \"%s\": %s",
		    r->id, cerr[0] != '\0' ? cerr : "bad condition");
	return -1;
}

/*
 * One <rule>, except its suppressed-by references (they may name rules
 * further down). Returns 0 or -1 with the problem recorded.
 */
static int
rules_rule(struct rules_load *ld, const struct formdef *fd, xmlNode *node,
    struct ruleset *rs, struct rule *r)
{
	xmlNode	*c;
	char	*sev = NULL, *tf = NULL, *q = NULL;
	int	 nomem = 0, v, prev, line = node->line, rc = -1, seen_when = 0;

	r->timeframe = TF_NONE;
	r->area_field = -1;
	if ((r->id = rules_prop(node, "id", &nomem)) == NULL) {
		rules_errf(ld, ld->path, line, nomem ? "out of memory" :
		    "a rule has no id");
		return -1;
	}
	/* From here: goto err. */
	if ((prev = rules_index(rs, r->id)) >= 0 &&
	    &rs->rules[prev] != r) {
		rules_errf(ld, ld->path, line, "the rule id \"%s\" is used "
		    "twice; ids must be unique", r->id);
		goto err;
	}

	sev = rules_prop(node, "severity", &nomem);
	if (sev == NULL || (v = severity_parse(sev)) < 0) {
		rules_errf(ld, ld->path, line, "in rule \"%s\": unknown "
		    "severity \"%s\" (use urgent, no_massage, clearance, "
		    "local or caution)", r->id, sev != NULL ? sev : "");
		goto err;
	}
	r->severity = v;
	if ((tf = rules_prop(node, "timeframe", &nomem)) != NULL) {
		if ((v = timeframe_parse(tf)) < 0) {
			rules_errf(ld, ld->path, line, "in rule \"%s\": "
			    "unknown timeframe \"%s\" (use emergency, "
			    "same_day or within_days)", r->id, tf);
			goto err;
		}
		r->timeframe = v;
	}
	if (r->severity == SEV_URGENT && r->timeframe == TF_NONE) {
		rules_errf(ld, ld->path, line, "rule \"%s\" is urgent but "
		    "has no timeframe (emergency, same_day or within_days)",
		    r->id);
		goto err;
	}
	if (r->severity != SEV_URGENT && r->timeframe != TF_NONE) {
		rules_errf(ld, ld->path, line, "rule \"%s\" has a timeframe, "
		    "but only urgent rules have one", r->id);
		goto err;
	}

	for (c = node->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (rules_is(c, "when")) {
			if (seen_when++) {
				rules_errf(ld, ld->path, c->line, "in rule "
				    "\"%s\": more than one <when>", r->id);
				goto err;
			}
			if (rules_when(ld, fd, c, r) == -1)
				goto err;
		} else if (rules_is(c, "advice")) {
			free(r->advice);
			if ((r->advice = rules_text(c, &nomem)) == NULL)
				goto nomem;
		} else if (rules_is(c, "patient-advice")) {
			free(r->patient_advice);
			if ((r->patient_advice = rules_text(c, &nomem)) == NULL)
				goto nomem;
			if (r->severity != SEV_URGENT) {
				rules_errf(ld, ld->path, c->line, "rule \"%s\" "
				    "has patient advice, but only urgent rules "
				    "are shown to the patient", r->id);
				goto err;
			}
		} else if (rules_is(c, "area")) {
			if (r->nareas == RULE_MAX_AREAS) {
				rules_errf(ld, ld->path, c->line, "in rule "
				    "\"%s\": more than %d areas", r->id,
				    RULE_MAX_AREAS);
				goto err;
			}
			if ((r->areas[r->nareas] = rules_text(c,
			    &nomem)) == NULL)
				goto nomem;
			r->nareas++;
		} else if (rules_is(c, "area-from")) {
			free(q);
			if ((q = rules_prop(c, "q", &nomem)) == NULL) {
				if (nomem)
					goto nomem;
				rules_errf(ld, ld->path, c->line, "in rule "
				    "\"%s\": <area-from> needs q", r->id);
				goto err;
			}
			v = formdef_field(fd, q);
			if (v < 0) {
				rules_errf(ld, ld->path, c->line, "in rule "
				    "\"%s\": <area-from> names \"%s\", which "
				    "is not a question of the form", r->id, q);
				goto err;
			}
			if (fd->fields[v].type != FD_TEXT) {
				rules_errf(ld, ld->path, c->line, "in rule "
				    "\"%s\": <area-from> names \"%s\", which "
				    "is not a free-text question", r->id, q);
				goto err;
			}
			r->area_field = v;
		}
		/* suppressed-by: rules_suppress(), once every id is known. */
	}
	if (!seen_when) {
		rules_errf(ld, ld->path, line, "rule \"%s\" has no <when>",
		    r->id);
		goto err;
	}
	if (r->advice == NULL || r->advice[0] == '\0') {
		rules_errf(ld, ld->path, line, "rule \"%s\" has no advice "
		    "for the therapist", r->id);
		goto err;
	}
	if (r->severity == SEV_URGENT &&
	    (r->patient_advice == NULL || r->patient_advice[0] == '\0')) {
		rules_errf(ld, ld->path, line, "rule \"%s\" is urgent but "
		    "has no patient advice", r->id);
		goto err;
	}
	rc = 0;
	goto err;
nomem:
	rules_errf(ld, ld->path, line, "out of memory");
err:
	free(sev);
	free(tf);
	free(q);
	return rc;
}

/*
 * Is `target` among the rules that suppress `from`, directly or through
 * other suppressing rules? seen marks rules already walked.
 */
static int
rules_reaches(const struct ruleset *rs, size_t from, size_t target,
    unsigned char *seen)
{
	const struct rule	*r = &rs->rules[from];
	size_t			 i, j;

	for (i = 0; i < r->nsuppressed_by; i++) {
		j = r->suppressed_by[i];
		if (j == target)
			return 1;
		if (seen[j])
			continue;
		seen[j] = 1;
		if (rules_reaches(rs, j, target, seen))
			return 1;
	}
	return 0;
}

/*
 * Resolve the suppressed-by references of rule i (node is its <rule>).
 * A flag may only be hidden by one at least as serious, and never by
 * itself: a loop would hide every flag in it.
 */
static int
rules_suppress(struct rules_load *ld, xmlNode *node, struct ruleset *rs,
    size_t i)
{
	struct rule	*r = &rs->rules[i];
	xmlNode		*c;
	char		*name;
	size_t		 n = 0, k;
	int		 j, nomem = 0;

	for (c = node->children; c != NULL; c = c->next)
		if (rules_is(c, "suppressed-by"))
			n++;
	if (n == 0)
		return 0;
	if ((r->suppressed_by = calloc(n, sizeof(*r->suppressed_by))) == NULL) {
		rules_errf(ld, ld->path, node->line, "out of memory");
		return -1;
	}
	for (c = node->children; c != NULL; c = c->next) {
		if (!rules_is(c, "suppressed-by"))
			continue;
		if ((name = rules_prop(c, "rule", &nomem)) == NULL) {
			rules_errf(ld, ld->path, c->line, nomem ?
			    "out of memory" : "<suppressed-by> needs rule");
			return -1;
		}
		j = rules_index(rs, name);
		if (j < 0)
			rules_errf(ld, ld->path, c->line, "rule \"%s\" is "
			    "suppressed by \"%s\", but no rule has that id",
			    r->id, name);
		else if ((size_t)j == i)
			rules_errf(ld, ld->path, c->line, "rule \"%s\" "
			    "cannot be suppressed by itself", r->id);
		else if (rs->rules[j].severity > r->severity)
			rules_errf(ld, ld->path, c->line, "rule \"%s\" (%s) "
			    "cannot be suppressed by \"%s\" (%s): only an "
			    "equally or more serious rule may hide a flag",
			    r->id, severity_name(r->severity), name,
			    severity_name(rs->rules[j].severity));
		for (k = 0; j >= 0 && k < r->nsuppressed_by; k++)
			if (r->suppressed_by[k] == (size_t)j)
				rules_errf(ld, ld->path, c->line, "rule \"%s\" "
				    "names \"%s\" in suppressed-by twice",
				    r->id, name);
		free(name);
		if (ld->failed)
			return -1;
		r->suppressed_by[r->nsuppressed_by++] = (size_t)j;
	}
	return 0;
}

int
ruleset_load(const char *path, const char *xsd_path,
    const struct formdef *fd, struct ruleset **out, char *err, size_t errsz)
{
	struct rules_load	 ld;
	struct ruleset		*rs = NULL;
	xmlDocPtr		 doc = NULL;
	xmlNode			*root, *n, **nodes = NULL;
	unsigned char		*seen = NULL;
	size_t			 count = 0, i;
	int			 nomem = 0;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.xsd_path = xsd_path;
	ld.err = err;
	ld.errsz = errsz;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	xmlInitParser();

	if ((doc = rules_parse(&ld)) == NULL)
		return -1;
	/* From here: goto err. */
	if (rules_validate(&ld, doc) == -1)
		goto err;

	root = xmlDocGetRootElement(doc);
	if (root == NULL || !rules_is(root, "rules")) {
		rules_errf(&ld, path, root != NULL ? root->line : 1,
		    "the root element must be <rules xmlns=\"%s\">", RULES_NS);
		goto err;
	}
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		goto nomem;
	if ((rs->version = rules_prop(root, "version", &nomem)) == NULL) {
		if (nomem)
			goto nomem;
		rules_errf(&ld, path, root->line, "<rules> has no version");
		goto err;
	}
	for (n = root->children; n != NULL; n = n->next)
		if (rules_is(n, "rule"))
			count++;
	if (count == 0) {
		rules_errf(&ld, path, root->line, "the file holds no rule");
		goto err;
	}
	if ((rs->rules = calloc(count, sizeof(*rs->rules))) == NULL ||
	    (nodes = calloc(count, sizeof(*nodes))) == NULL ||
	    (seen = calloc(count, 1)) == NULL)
		goto nomem;

	for (n = root->children; n != NULL; n = n->next) {
		if (!rules_is(n, "rule"))
			continue;
		nodes[rs->nrules] = n;
		rs->nrules++;
		if (rules_rule(&ld, fd, n, rs,
		    &rs->rules[rs->nrules - 1]) == -1)
			goto err;
	}
	for (i = 0; i < rs->nrules; i++)
		if (rules_suppress(&ld, nodes[i], rs, i) == -1)
			goto err;
	for (i = 0; i < rs->nrules; i++) {
		memset(seen, 0, count);
		if (rules_reaches(rs, i, i, seen)) {
			rules_errf(&ld, path, nodes[i]->line, "the "
			    "suppressed-by of rule \"%s\" lead back to itself; "
			    "such a loop would hide every flag in it",
			    rs->rules[i].id);
			goto err;
		}
	}

	free(seen);
	free(nodes);
	xmlFreeDoc(doc);
	*out = rs;
	return 0;
nomem:
	rules_errf(&ld, path, 0, "out of memory");
err:
	free(seen);
	free(nodes);
	xmlFreeDoc(doc);
	ruleset_free(rs);
	return -1;
}

void
ruleset_free(struct ruleset *rs)
{
	struct rule	*r;
	size_t		 i, j;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		free(r->id);
		if (r->when != NULL)
			cond_free(r->when);
		free(r->advice);
		free(r->patient_advice);
		for (j = 0; j < r->nareas; j++)
			free(r->areas[j]);
		free(r->suppressed_by);
	}
	free(rs->rules);
	free(rs->version);
	free(rs);
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	int	 i;

	if (rs == NULL || id == NULL || (i = rules_index(rs, id)) < 0)
		return NULL;
	return &rs->rules[i];
}
