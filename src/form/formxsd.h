/*
 * formxsd.h: the XSD of the <intake> submission document, written from the
 * form definition so the two cannot disagree. schemas/intake-v1.xsd is its
 * output (make schemas); a unit test checks the committed file is current.
 */
#ifndef FORM_FORMXSD_H
#define FORM_FORMXSD_H

#include "core/buf.h"

struct formdef;

void	formxsd_write(const struct formdef *, struct buf *out);

#endif
