/* http.c: request helpers and response building; see http.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "form/formpost.h"
#include "web/http.h"

void
response_init(struct response *r)
{
	r->status = 200;
	buf_init(&r->headers);
	buf_init(&r->body);
}

void
response_free(struct response *r)
{
	/* bodies may hold health answers (a re-rendered form) */
	buf_wipe_free(&r->headers);
	buf_wipe_free(&r->body);
}

void
response_reset(struct response *r)
{
	r->status = 200;
	buf_reset(&r->headers);
	if (r->body.data != NULL)
		sodium_memzero(r->body.data, r->body.len);
	buf_reset(&r->body);
	r->headers.failed = r->body.failed = 0;
}

void
response_header(struct response *r, const char *name, const char *value)
{
	size_t	 i;

	buf_puts(&r->headers, name);
	buf_puts(&r->headers, ": ");
	/* a header value never carries a line break */
	for (i = 0; value[i] != '\0'; i++)
		buf_putc(&r->headers, value[i] == '\r' || value[i] == '\n' ?
		    ' ' : value[i]);
	buf_puts(&r->headers, "\r\n");
}

void
response_type(struct response *r, const char *type, int no_store)
{
	response_header(r, "Content-Type", type);
	if (no_store)
		response_header(r, "Cache-Control", "no-store");
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

enum body_result
http_read_body(struct request *req, size_t limit, char **body, size_t *len)
{
	FCGX_Request	*fr = req->conn;
	char		*b;
	size_t		 got = 0;
	int		 n;

	*body = NULL;
	*len = 0;
	if (req->content_length > limit)
		return BODY_TOO_LARGE;
	if ((b = malloc(req->content_length + 1)) == NULL)
		return BODY_NOMEM;
	while (got < req->content_length) {
		size_t want = req->content_length - got;

		n = FCGX_GetStr(b + got, want > 65536 ? 65536 : (int)want,
		    fr->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	b[got] = '\0';
	if (got < req->content_length) {
		sodium_memzero(b, got);
		free(b);
		return BODY_SHORT;
	}
	*body = b;
	*len = got;
	return BODY_OK;
}

void
http_media_type(const char *ctype, char *out, size_t outsz)
{
	size_t	 i = 0;

	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	while (ctype[i] != '\0' && ctype[i] != ';' && ctype[i] != ' ' &&
	    ctype[i] != '\t' && i + 1 < outsz) {
		out[i] = (char)tolower((unsigned char)ctype[i]);
		i++;
	}
	out[i] = '\0';
}

/*
 * Enough content negotiation for a receipt: XML when the client lists an
 * XML type with a q at least that of text/html (or html is absent).
 */
static double
accept_q(const char *accept, const char *type)
{
	const char	*p = accept;
	size_t		 tl = strlen(type);

	while ((p = strcasestr(p, type)) != NULL) {
		const char *end = p + tl, *semi, *q;

		if ((p == accept || p[-1] == ',' || p[-1] == ' ') &&
		    (*end == '\0' || *end == ',' || *end == ';' || *end == ' ')) {
			semi = end;
			while (*semi == ' ')
				semi++;
			if (*semi == ';' && (q = strstr(semi, "q=")) != NULL &&
			    (strchr(semi, ',') == NULL || q < strchr(semi, ',')))
				return strtod(q + 2, NULL);
			return 1.0;
		}
		p = end;
	}
	return -1.0;
}

int
http_wants_xml(const char *accept)
{
	double	 x, h;

	if (accept == NULL || *accept == '\0')
		return 0;
	x = accept_q(accept, "application/xml");
	if (accept_q(accept, "text/xml") > x)
		x = accept_q(accept, "text/xml");
	h = accept_q(accept, "text/html");
	return x > 0 && x >= h;
}

int
http_query_param(const char *query, const char *name, struct buf *out)
{
	const char	*p = query, *amp, *eq;
	size_t		 nl = strlen(name);

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq != NULL && (amp == NULL || eq < amp) &&
		    (size_t)(eq - p) == nl && strncmp(p, name, nl) == 0) {
			size_t vl = amp ? (size_t)(amp - eq - 1) : strlen(eq + 1);

			return formpost_unescape(eq + 1, vl, out) == 0 ? 1 : -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int
http_cookie(const char *header, const char *name, char *out, size_t outsz)
{
	const char	*p = header;
	size_t		 nl = strlen(name), vl;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			vl = strcspn(p, ";");
			while (vl > 0 && p[vl - 1] == ' ')
				vl--;
			if (vl >= outsz)
				return 0;	/* too long to be ours */
			memcpy(out, p, vl);
			out[vl] = '\0';
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}
