/*
 * formxsd: print the <intake> XSD written from a form definition.
 *   formxsd FORM.xml FORM-DEFINITION.xsd > schemas/intake-v1.xsd
 */
#include <stdio.h>

#include "core/buf.h"
#include "form/formdef.h"
#include "form/formxsd.h"
#include "form/xmlutil.h"

int
main(int argc, char *argv[])
{
	struct formdef	*fd;
	struct buf	 b;
	char		 err[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: formxsd form.xml form-definition.xsd\n");
		return 2;
	}
	xmlu_init();
	if (formdef_load(argv[1], argv[2], &fd, err, sizeof(err)) == -1) {
		fprintf(stderr, "formxsd: %s\n", err);
		return 1;
	}
	buf_init(&b);
	formxsd_write(fd, &b);
	if (buf_failed(&b) || fwrite(b.data, 1, b.len, stdout) != b.len)
		return 1;
	buf_free(&b);
	formdef_free(fd);
	return 0;
}
