/* buf.c: growable byte buffer; see buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	buf_init(b);
}

void
buf_wipe_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	buf_free(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
buf_failed(const struct buf *b)
{
	return b->failed;
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t	 need, cap;
	char	*p;

	if (b->failed)
		return -1;
	if (extra > SIZE_MAX - b->len - 1)
		goto err;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			goto err;
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		goto err;
	b->data = p;
	b->cap = cap;
	return 0;
err:
	b->failed = 1;
	return -1;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/*
 * One formatting pass when the text fits in the room left (the usual
 * case), a second one only after growing.
 */
void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	size_t	 room;
	int	 n;

	if (b->failed)
		return;
	room = b->data != NULL ? b->cap - b->len : 0;
	va_copy(aq, ap);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0) {
		if (b->data != NULL)
			b->data[b->len] = '\0';
		b->failed = 1;
		return;
	}
	if ((size_t)n >= room) {
		if (buf_reserve(b, (size_t)n) == -1) {
			if (b->data != NULL)
				b->data[b->len] = '\0';
			return;
		}
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_steal(struct buf *b, size_t *lenp)
{
	char	*p;

	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	if (b->data == NULL && buf_reserve(b, 0) == -1)
		return NULL;
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	buf_init(b);
	return p;
}
