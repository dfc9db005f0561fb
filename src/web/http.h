/*
 * http.h: one FastCGI request as the handlers see it, and the response
 * they build. Handlers never touch libfcgi: server.c fills the request and
 * writes the response.
 */
#ifndef WEB_HTTP_H
#define WEB_HTTP_H

#include <stddef.h>

#include "core/buf.h"

#define HTTP_MAX_PATH	2048

struct request {
	const char	*method;	/* "GET", ... */
	const char	*path;		/* decoded-free path, no query */
	const char	*query;		/* raw query string, "" when none */
	const char	*content_type;	/* "" when none */
	const char	*accept;	/* "" when none */
	const char	*cookie;	/* "" when none */
	const char	*origin;	/* NULL when absent */
	const char	*host;		/* Host header, "" when none */
	const char	*fetch_site;	/* Sec-Fetch-Site, NULL when absent */
	const char	*remote_addr;
	int		 https;
	int		 has_length;	/* CONTENT_LENGTH was given */
	size_t		 content_length;
	int		 length_bad;	/* CONTENT_LENGTH present but not a number */
	void		*conn;		/* server.c's; for http_read_body */
};

struct response {
	int		 status;
	struct buf	 headers;	/* "Name: value\r\n" lines */
	struct buf	 body;
};

enum body_result {
	BODY_OK,
	BODY_TOO_LARGE,		/* over the limit: 413, nothing read */
	BODY_SHORT,		/* fewer bytes than announced: 400 */
	BODY_NOMEM,
};

void		 response_init(struct response *);
void		 response_free(struct response *);
void		 response_reset(struct response *);
void		 response_header(struct response *, const char *name,
		    const char *value);
/* Content-Type plus, for pages with answers, Cache-Control: no-store. */
void		 response_type(struct response *, const char *type, int no_store);
const char	*http_status_text(int status);

/*
 * Read the whole body (at most limit bytes). *body is malloc'ed and
 * NUL-terminated; the caller wipes and frees it.
 */
enum body_result http_read_body(struct request *, size_t limit, char **body,
		    size_t *len);

/* The media type of a Content-Type value, lower-cased, without params. */
void		 http_media_type(const char *ctype, char *out, size_t outsz);
/* 1 when the Accept header prefers application/xml or text/xml. */
int		 http_wants_xml(const char *accept);
/*
 * A query parameter's value, strictly percent-decoded into out. Returns 1
 * when found, 0 when absent, -1 when malformed.
 */
int		 http_query_param(const char *query, const char *name,
		    struct buf *out);
/* A cookie's value into out (at most outsz-1 bytes); 1 found, 0 not. */
int		 http_cookie(const char *header, const char *name, char *out,
		    size_t outsz);

#endif
