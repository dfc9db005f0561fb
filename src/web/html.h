/*
 * html.h: HTML output through escaping writers only. Every value that did
 * not come from a string literal in our own code goes through html_esc().
 */
#ifndef WEB_HTML_H
#define WEB_HTML_H

#include <stddef.h>

#include "core/buf.h"

/* Append s escaped for text and double-quoted attribute context. */
void	html_esc(struct buf *, const char *s);
void	html_escn(struct buf *, const char *s, size_t len);
/*
 * Append user text for display on a staff page: escaped, with each line
 * wrapped so bidirectional marks cannot reorder what surrounds it
 * (<bdi>), newlines kept as <br>.
 */
void	html_user_text(struct buf *, const char *s);
/* Page head with title (escaped), stylesheet and optional script. */
void	html_begin(struct buf *, const char *lang, const char *title,
	    const char *stylesheet, const char *script);
void	html_end(struct buf *);

#endif
