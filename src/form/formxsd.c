/*
 * formxsd.c: write the <intake> XSD from the form definition.
 *
 * Every answer element is optional here: whether a question is required
 * depends on other answers, and answers_check() reports a missing one by
 * its question id, which a schema error could not do. What the schema
 * fixes: the element names and their order, types, lengths, ranges and
 * choices, how often each may appear, and the attributes.
 */
#include <string.h>

#include "form/formdef.h"
#include "form/formxsd.h"

static void
formxsd_field(struct buf *b, const struct fd_field *f)
{
	size_t	 c;

	buf_printf(b, "      <xs:element name=\"%s\" minOccurs=\"0\"", f->id);
	if (f->type == FD_MULTI)
		buf_printf(b, " maxOccurs=\"%zu\"", f->nchoices);
	buf_puts(b, ">\n        <xs:simpleType>\n");
	switch (f->type) {
	case FD_TEXT:
		buf_printf(b, "          <xs:restriction base=\"xs:string\">\n"
		    "            <xs:maxLength value=\"%zu\"/>\n", f->maxlen);
		break;
	case FD_DATE:
		buf_puts(b, "          <xs:restriction base=\"xs:date\">\n"
		    "            <xs:pattern value=\"\\d{4}-\\d{2}-\\d{2}\"/>\n");
		break;
	case FD_INT:
		buf_printf(b, "          <xs:restriction base=\"xs:integer\">\n"
		    "            <xs:minInclusive value=\"%ld\"/>\n"
		    "            <xs:maxInclusive value=\"%ld\"/>\n",
		    f->min, f->max);
		break;
	default:
		buf_puts(b, "          <xs:restriction base=\"xs:token\">\n");
		for (c = 0; c < f->nchoices; c++)
			buf_printf(b, "            <xs:enumeration "
			    "value=\"%s\"/>\n", f->choices[c].value);
		break;
	}
	buf_puts(b, "          </xs:restriction>\n        </xs:simpleType>\n"
	    "      </xs:element>\n");
}

void
formxsd_write(const struct formdef *fd, struct buf *b)
{
	size_t	 i;

	buf_printf(b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!--\n"
	    "  The <intake> submission document, form version %u.\n"
	    "  Written from schemas/form-v1.xml by `intakectl schema`; do not\n"
	    "  edit by hand. Whether an answer is required depends on other\n"
	    "  answers, so every element is optional here and the service\n"
	    "  reports a missing required answer by its question id.\n"
	    "-->\n"
	    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
	    "           targetNamespace=\"%s\"\n"
	    "           xmlns=\"%s\"\n"
	    "           elementFormDefault=\"qualified\">\n\n",
	    fd->version, fd->ns, fd->ns);
	buf_puts(b,
	    "  <xs:simpleType name=\"Uuid\">\n"
	    "    <xs:restriction base=\"xs:string\">\n"
	    "      <xs:pattern value=\"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
	    "[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\"/>\n"
	    "    </xs:restriction>\n"
	    "  </xs:simpleType>\n\n"
	    "  <xs:simpleType name=\"Token\">\n"
	    "    <xs:restriction base=\"xs:string\">\n"
	    "      <xs:pattern value=\"[A-Za-z0-9_\\-]{1,128}\"/>\n"
	    "    </xs:restriction>\n"
	    "  </xs:simpleType>\n\n"
	    "  <xs:element name=\"intake\">\n"
	    "    <xs:complexType>\n"
	    "      <xs:sequence>\n");
	for (i = 0; i < fd->nfields; i++)
		formxsd_field(b, &fd->fields[i]);
	buf_puts(b,
	    "      </xs:sequence>\n"
	    "      <xs:attribute name=\"submission_id\" type=\"Uuid\" "
	    "use=\"required\"/>\n"
	    "      <xs:attribute name=\"form_version\" "
	    "type=\"xs:positiveInteger\" use=\"required\"/>\n"
	    "      <xs:attribute name=\"consent_version\" "
	    "type=\"xs:positiveInteger\" use=\"required\"/>\n"
	    "      <xs:attribute name=\"invite\" type=\"Token\"/>\n"
	    "    </xs:complexType>\n"
	    "  </xs:element>\n"
	    "</xs:schema>\n");
}
