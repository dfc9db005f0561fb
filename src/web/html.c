/*
 * html.c: escaping writers for HTML output; see html.h.
 *
 * The output is also well-formed XML (void elements closed with " />",
 * boolean attributes given a value), so tests can check its structure
 * with a strict parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "web/html.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), or 0 when
 * the bytes there are not one: overlong forms, surrogates and code points
 * above U+10FFFF are refused (RFC 3629).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t	 len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Append len bytes of s escaped for text and quoted attributes. Bytes that
 * are not UTF-8, NUL and control characters other than TAB, LF and CR
 * become U+FFFD: the page stays valid whatever the value holds.
 */
/*
 * What an ASCII byte becomes: NULL when it stays as it is. The same rules
 * as below, looked up: most text is ASCII and needs no decoding.
 */
static const char *const html_ascii[0x80] = {
	[0x00] = REPLACEMENT, [0x01] = REPLACEMENT, [0x02] = REPLACEMENT,
	[0x03] = REPLACEMENT, [0x04] = REPLACEMENT, [0x05] = REPLACEMENT,
	[0x06] = REPLACEMENT, [0x07] = REPLACEMENT, [0x08] = REPLACEMENT,
	[0x0b] = REPLACEMENT, [0x0c] = REPLACEMENT, [0x0e] = REPLACEMENT,
	[0x0f] = REPLACEMENT, [0x10] = REPLACEMENT, [0x11] = REPLACEMENT,
	[0x12] = REPLACEMENT, [0x13] = REPLACEMENT, [0x14] = REPLACEMENT,
	[0x15] = REPLACEMENT, [0x16] = REPLACEMENT, [0x17] = REPLACEMENT,
	[0x18] = REPLACEMENT, [0x19] = REPLACEMENT, [0x1a] = REPLACEMENT,
	[0x1b] = REPLACEMENT, [0x1c] = REPLACEMENT, [0x1d] = REPLACEMENT,
	[0x1e] = REPLACEMENT, [0x1f] = REPLACEMENT, [0x7f] = REPLACEMENT,
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&#39;",
};

void
html_escn(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, run = 0, n;
	uint32_t		 cp;
	const char		*rep;

	if (s == NULL)
		return;
	while (i < len) {
		if (p[i] < 0x80) {
			if ((rep = html_ascii[p[i]]) == NULL) {
				i++;
				run++;
				continue;
			}
			buf_add(b, p + i - run, run);
			buf_puts(b, rep);
			run = 0;
			i++;
			continue;
		}
		rep = NULL;
		n = utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			rep = REPLACEMENT;
			n = 1;
		} else if (cp == '&')
			rep = "&amp;";
		else if (cp == '<')
			rep = "&lt;";
		else if (cp == '>')
			rep = "&gt;";
		else if (cp == '"')
			rep = "&quot;";
		else if (cp == '\'')
			rep = "&#39;";
		else if ((cp < 0x20 && cp != '\t' && cp != '\n' &&
		    cp != '\r') || (cp >= 0x7f && cp <= 0x9f))
			rep = REPLACEMENT;
		if (rep == NULL) {
			i += n;
			run += n;
			continue;
		}
		buf_add(b, p + i - run, run);
		buf_puts(b, rep);
		run = 0;
		i += n;
	}
	buf_add(b, p + i - run, run);
}

void
html_esc(struct buf *b, const char *s)
{
	if (s != NULL)
		html_escn(b, s, strlen(s));
}

/*
 * Each line in its own <bdi>: a right-to-left override or an unclosed
 * embedding in the patient's text then ends with its line and cannot
 * reorder the page around it. CRLF, CR and LF all end a line.
 */
void
html_user_text(struct buf *b, const char *s)
{
	const char	*nl;
	size_t		 n;

	if (s == NULL || *s == '\0')
		return;
	for (;;) {
		n = strcspn(s, "\r\n");
		nl = s + n;
		buf_puts(b, "<bdi>");
		html_escn(b, s, n);
		buf_puts(b, "</bdi>");
		if (*nl == '\0')
			break;
		buf_puts(b, "<br />");
		s = nl + (nl[0] == '\r' && nl[1] == '\n' ? 2 : 1);
	}
}

/*
 * Open a page: doctype, head and <body>. lang defaults to "en"; the
 * stylesheet and the script are optional (NULL). The script is external
 * and deferred: the Content-Security-Policy allows nothing inline.
 */
void
html_begin(struct buf *b, const char *lang, const char *title,
    const char *stylesheet, const char *script)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
	html_esc(b, lang != NULL && *lang != '\0' ? lang : "en");
	buf_puts(b, "\">\n<head>\n<meta charset=\"utf-8\" />\n"
	    "<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\" />\n<title>");
	html_esc(b, title);
	buf_puts(b, "</title>\n");
	if (stylesheet != NULL) {
		buf_puts(b, "<link rel=\"stylesheet\" href=\"");
		html_esc(b, stylesheet);
		buf_puts(b, "\" />\n");
	}
	if (script != NULL) {
		buf_puts(b, "<script src=\"");
		html_esc(b, script);
		buf_puts(b, "\" defer=\"defer\"></script>\n");
	}
	buf_puts(b, "</head>\n<body>\n");
}

void
html_end(struct buf *b)
{
	buf_puts(b, "</body>\n</html>\n");
}
