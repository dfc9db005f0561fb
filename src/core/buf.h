/*
 * buf.h: a growable byte buffer. Every writer in the project appends to one.
 * A failed allocation latches buf->failed; later appends do nothing, and the
 * owner checks buf_failed() once at the end instead of after each call.
 */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* always NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);		/* accepts NULL; wipes nothing */
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
void	 buf_wipe_free(struct buf *);		/* zeroes then frees: secrets */
int	 buf_reserve(struct buf *, size_t extra);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list);
int	 buf_failed(const struct buf *);
/* Detach the contents (NUL-terminated, caller frees); buffer is reset. */
char	*buf_steal(struct buf *, size_t *lenp);

#endif
