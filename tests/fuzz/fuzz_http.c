/*
 * fuzz_http.c: the request header and query parsers of src/web/http.c, on
 * values nginx passes through as they came: http_cookie (the Cookie
 * header), http_query_param (the invite token), http_media_type
 * (Content-Type), http_wants_xml (Accept). The first byte picks the
 * cookie name and the size of the caller's buffer; the rest, up to a NUL
 * (a FastCGI parameter cannot hold one), is the header.
 *
 * Properties: a cookie's value fits the buffer, holds no ';' and is what
 * the header says after "name="; a media type is lower case and holds no
 * parameter.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "web/http.h"

#include "fuzz.h"

static const char *const names[] = {
	"clinic_session", "clinic_pre", "invite", "csrf_token", "a",
};
static const size_t sizes[] = { 1, 2, 8, 44, 64, 128, 4096 };

static void
cookie(const char *header, const char *name, size_t outsz)
{
	char	*out, *want;
	size_t	 n;

	if ((out = malloc(outsz)) == NULL)
		return;
	if (http_cookie(header, name, out, outsz) == 1) {
		n = strnlen(out, outsz);
		if (n >= outsz)
			fuzz_fail("cookie value overruns its buffer");
		if (memchr(out, ';', n) != NULL)
			fuzz_fail("cookie value holds a ';'");
		n += strlen(name) + 2;
		if ((want = malloc(n)) != NULL) {
			strcpy(want, name);
			strcat(want, "=");
			strcat(want, out);
			if (strstr(header, want) == NULL)
				fuzz_fail("cookie %s=%s is not in the header",
				    name, out);
			free(want);
		}
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*h, mtype[64];
	struct buf	 v;
	size_t		 i, n;

	if (size == 0)
		return 0;
	n = strnlen((const char *)data + 1, size - 1);
	if ((h = malloc(n + 1)) == NULL)
		return 0;
	memcpy(h, data + 1, n);
	h[n] = '\0';

	cookie(h, names[data[0] % (sizeof(names) / sizeof(names[0]))],
	    sizes[(data[0] >> 3) % (sizeof(sizes) / sizeof(sizes[0]))]);

	buf_init(&v);
	(void)http_query_param(h, names[data[0] % 5], &v);
	(void)http_query_param(h, "invite", &v);
	buf_wipe_free(&v);

	http_media_type(h, mtype, sizeof(mtype));
	for (i = 0; mtype[i] != '\0'; i++)
		if (mtype[i] == ';' || isupper((unsigned char)mtype[i]))
			fuzz_fail("media type %s", mtype);
	(void)http_wants_xml(h);
	free(h);
	return 0;
}
