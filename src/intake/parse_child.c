/*
 * parse_child.c: the sandboxed parser child and the worker's reader of its
 * reply; see parse_child.h.
 *
 * Request: 'Q', front (1 byte), length (4 bytes, big-endian), body.
 * Reply: records of a 13-byte header (type 1, a 2, b 2, c 4, length 4, all
 * big-endian) and length bytes, ending with a 'Z' record:
 *   'R' raw value (a field)          'U' unknown name
 *   'H' hidden input (a kind)        'T' document attribute (a kind)
 *   'A' answer (a field)             'E' error (a code, b field+1, c line)
 *   'Z' end (a status)
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "crypto/envelope.h"
#include "form/answers.h"
#include "form/formdef.h"
#include "form/formpost.h"
#include "form/intake_xml.h"
#include "intake/parse_child.h"
#include "web/sandbox.h"

#define PARSE_HDR		13
#define PARSE_TIMEOUT_MS	10000
#define PARSE_MEMORY		(512u << 20)	/* the child's address space */
#define PARSE_MAX_NAME		512

/* ---- the child ---- */

static void
rec(struct buf *b, char type, unsigned a, unsigned bb, uint32_t c,
    const void *data, size_t len)
{
	unsigned char	 h[PARSE_HDR];

	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(a >> 8);
	h[2] = (unsigned char)a;
	h[3] = (unsigned char)(bb >> 8);
	h[4] = (unsigned char)bb;
	h[5] = (unsigned char)(c >> 24);
	h[6] = (unsigned char)(c >> 16);
	h[7] = (unsigned char)(c >> 8);
	h[8] = (unsigned char)c;
	h[9] = (unsigned char)(len >> 24);
	h[10] = (unsigned char)(len >> 16);
	h[11] = (unsigned char)(len >> 8);
	h[12] = (unsigned char)len;
	buf_add(b, h, sizeof(h));
	if (len > 0)
		buf_add(b, data, len);
}

static int
io_full(int fd, void *p, size_t len, int writing)
{
	size_t	 done = 0;
	ssize_t	 n;

	while (done < len) {
		n = writing ? write(fd, (char *)p + done, len - done) :
		    read(fd, (char *)p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void
child_reply(const struct formdef *fd, int sock, int status,
    struct raw_values *raw, struct answers *a, struct verrs *errs)
{
	struct buf	 out, v;
	size_t		 i, j;
	char		 num[16];

	buf_init(&out);
	buf_init(&v);
	if (status == PARSE_OK) {
		const char *h[4] = { raw->submission_id, raw->form_version,
		    raw->consent_version, raw->invite };

		for (i = 0; raw->vals != NULL && i < fd->nfields; i++)
			for (j = 0; raw->vals[i] && raw->vals[i][j]; j++)
				rec(&out, 'R', (unsigned)i, 0, 0,
				    raw->vals[i][j], strlen(raw->vals[i][j]));
		for (j = 0; raw->unknown && raw->unknown[j]; j++)
			rec(&out, 'U', 0, 0, 0, raw->unknown[j],
			    strlen(raw->unknown[j]));
		for (i = 0; i < 4; i++)
			if (h[i] != NULL)
				rec(&out, 'H', (unsigned)i, 0, 0, h[i],
				    strlen(h[i]));
		rec(&out, 'T', 0, 0, 0, a->submission_id,
		    strlen(a->submission_id));
		snprintf(num, sizeof(num), "%u", a->form_version);
		rec(&out, 'T', 1, 0, 0, num, strlen(num));
		snprintf(num, sizeof(num), "%u", a->consent_version);
		rec(&out, 'T', 2, 0, 0, num, strlen(num));
		rec(&out, 'T', 3, 0, 0, a->invite, strlen(a->invite));
		for (i = 0; i < fd->nfields; i++) {
			const struct fd_field *f = &fd->fields[i];

			if (!a->v[i].present)
				continue;
			if (f->type == FD_MULTI) {
				for (j = 0; j < f->nchoices; j++)
					if (a->v[i].mask & ((uint64_t)1 << j))
						rec(&out, 'A', (unsigned)i, 0, 0,
						    f->choices[j].value,
						    strlen(f->choices[j].value));
				continue;
			}
			buf_reset(&v);
			answers_value_text(a, (int)i, &v);
			rec(&out, 'A', (unsigned)i, 0, 0, v.data ? v.data : "",
			    v.len);
		}
		for (i = 0; i < errs->n; i++) {
			const struct verr *e = &errs->v[i];

			rec(&out, 'E', (unsigned)e->code,
			    (unsigned)(e->field + 1), (uint32_t)e->line,
			    e->name ? e->name : "",
			    e->name ? strlen(e->name) : 0);
		}
	}
	rec(&out, 'Z', (unsigned)status, 0, 0, NULL, 0);
	if (!buf_failed(&out))
		(void)io_full(sock, out.data, out.len, 1);
	buf_wipe_free(&out);
	buf_wipe_free(&v);
}

/* Runs in the child; never returns. */
static void
child_main(struct parse_pool *p, int sock)
{
	unsigned char	 h[6];
	struct raw_values raw;
	struct verrs	 errs = { 0 };
	struct buf	 xml;
	struct answers	*a = NULL;
	char		*body = NULL;
	size_t		 len;
	int		 status = PARSE_MALFORMED;

	if (sandbox_enter(PARSE_MEMORY) == -1)
		_exit(3);
	memset(&raw, 0, sizeof(raw));
	buf_init(&xml);
	if (io_full(sock, h, sizeof(h), 0) == -1 || h[0] != 'Q')
		_exit(0);	/* the worker is gone: nothing to do */
	len = (size_t)h[2] << 24 | (size_t)h[3] << 16 | (size_t)h[4] << 8 | h[5];
	if (len > p->body_limit || (body = malloc(len + 1)) == NULL)
		_exit(3);
	if (io_full(sock, body, len, 0) == -1)
		_exit(3);
	body[len] = '\0';
	if ((a = answers_new(p->fd)) == NULL)
		_exit(3);
	if (h[1] == PARSE_FORM) {
		switch (formpost_decode(p->fd, body, len, &raw, &xml, &errs)) {
		case FORMPOST_OK:
			break;
		case FORMPOST_MALFORMED:
			goto reply;
		default:
			_exit(3);
		}
	} else {
		if (raw_values_init(p->fd, &raw) == -1)
			_exit(3);
		buf_add(&xml, body, len);
	}
	if (buf_failed(&xml))
		_exit(3);
	switch (intake_parse(p->parser, xml.data ? xml.data : "", xml.len, a,
	    &errs)) {
	case INTAKE_OK:
		status = PARSE_OK;
		break;
	case INTAKE_MALFORMED:
		/* a document we made ourselves cannot be malformed */
		if (h[1] == PARSE_FORM)
			_exit(3);
		break;
	default:
		_exit(3);
	}
reply:
	child_reply(p->fd, sock, status, &raw, a, &errs);
	/* The worker reads until end of file: give it that now, not after
	 * the kernel has torn this process's memory down. */
	close(sock);
	_exit(0);
}

int
parse_pool_start(struct parse_pool *p)
{
	int	 sv[2];
	pid_t	 pid;

	p->pid = -1;
	p->fd_sock = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("parser: socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_error("parser: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Keep the pipe to the worker and stderr; drop everything
		 * else, the database connection included. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		if (dup2(sv[1], 3) == -1)
			_exit(3);
		close_range(4, ~0U, 0);
		if (p->forget != NULL)
			p->forget(p->forget_arg);
		child_main(p, 3);
	}
	close(sv[1]);
	p->pid = pid;
	p->fd_sock = sv[0];
	return 0;
}

/* Reap the child that answered last time: at once when wait, else only
 * when it is already gone. */
static void
parse_reap(struct parse_pool *p, int wait)
{
	int	 status;

	if (p->reap > 0 && waitpid(p->reap, &status, wait ? 0 : WNOHANG) != 0)
		p->reap = 0;
}

void
parse_pool_stop(struct parse_pool *p)
{
	int	 status;

	if (p->fd_sock != -1)
		close(p->fd_sock);
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
	}
	parse_reap(p, 1);
	p->pid = -1;
	p->fd_sock = -1;
}

/* ---- the worker's reader ---- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
attr_ok(int kind, const char *v, size_t len)
{
	size_t	 i;

	switch (kind) {
	case 0: {	/* "" or a UUID */
		char	 id[ANSWERS_IDLEN + 1];

		if (len == 0)
			return 1;
		if (len != ANSWERS_IDLEN)
			return 0;
		memcpy(id, v, len);
		id[len] = '\0';
		return env_uuid_parse(id, (unsigned char[16]){ 0 }) == 0;
	}
	case 1:
	case 2:
		if (len == 0 || len > 9)
			return 0;
		for (i = 0; i < len; i++)
			if (v[i] < '0' || v[i] > '9')
				return 0;
		return 1;
	default:
		if (len > ANSWERS_INVITE_MAX)
			return 0;
		for (i = 0; i < len; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= 'A' && v[i] <= 'Z') ||
			    (v[i] >= '0' && v[i] <= '9') || v[i] == '-' ||
			    v[i] == '_'))
				return 0;
		return 1;
	}
}

enum parse_status
parse_read_reply(const struct formdef *fd, const char *msg, size_t len,
    struct raw_values *raw, struct answers *a, struct verrs *errs)
{
	const unsigned char	*m = (const unsigned char *)msg;
	size_t			 off = 0;
	char			*v = NULL;

	if (raw_values_init(fd, raw) == -1)
		return PARSE_FAILED;
	while (off + PARSE_HDR <= len) {
		unsigned	 type = m[off];
		unsigned	 ra = (unsigned)m[off + 1] << 8 | m[off + 2];
		unsigned	 rb = (unsigned)m[off + 3] << 8 | m[off + 4];
		uint32_t	 rc = be32(m + off + 5);
		uint32_t	 rl = be32(m + off + 9);
		const char	*d;
		int		 ok = 1;

		off += PARSE_HDR;
		if (rl > len - off)
			return PARSE_FAILED;
		d = msg + off;
		off += rl;
		if (memchr(d, '\0', rl) != NULL || !utf8_valid(d, rl))
			return PARSE_FAILED;
		switch (type) {
		case 'R':
			ok = ra < fd->nfields &&
			    raw_values_add(raw, (int)ra, d, rl) == 0;
			break;
		case 'U':
			ok = rl <= PARSE_MAX_NAME &&
			    raw_values_add_unknown(raw, d, rl) == 0;
			break;
		case 'H':
			ok = ra < 4 && raw_values_set_hidden(raw, (int)ra, d,
			    rl) == 0;
			break;
		case 'T':
			if (!(ok = ra < 4 && attr_ok((int)ra, d, rl)))
				break;
			if (ra == 0) {
				memcpy(a->submission_id, d, rl);
				a->submission_id[rl] = '\0';
			} else if (ra == 1)
				a->form_version = (unsigned)strtoul(
				    (v = strndup(d, rl)) ? v : "0", NULL, 10);
			else if (ra == 2)
				a->consent_version = (unsigned)strtoul(
				    (v = strndup(d, rl)) ? v : "0", NULL, 10);
			else {
				memcpy(a->invite, d, rl);
				a->invite[rl] = '\0';
			}
			free(v);
			v = NULL;
			break;
		case 'A':
			/* the re-check: the same rules, in the worker */
			ok = ra < fd->nfields && answers_set(a, (int)ra, d,
			    rl) == 0;
			break;
		case 'E':
			if (!(ok = ra < VE__MAX && rb <= fd->nfields &&
			    rl <= PARSE_MAX_NAME && rc < 10000000))
				break;
			v = strndup(d, rl);
			verrs_add(errs, (enum verr_code)ra, (int)rb - 1, v,
			    (int)rc);
			free(v);
			v = NULL;
			break;
		case 'Z':
			if (off != len || (ra != PARSE_OK &&
			    ra != PARSE_MALFORMED))
				return PARSE_FAILED;
			return (enum parse_status)ra;
		default:
			ok = 0;
		}
		if (!ok) {
			/* the record's kind and field, never its bytes */
			log_error("parser: reply record '%c' (%u) refused",
			    type >= 'A' && type <= 'Z' ? (char)type : '?', ra);
			return PARSE_FAILED;
		}
	}
	return PARSE_FAILED;	/* no end record */
}

enum parse_status
parse_run(struct parse_pool *p, enum parse_front front, const char *body,
    size_t len, struct raw_values *raw, struct answers *a,
    struct verrs *errs)
{
	unsigned char	 h[6];
	struct buf	 reply;
	struct pollfd	 pfd;
	enum parse_status st = PARSE_FAILED;
	size_t		 cap = 8 * p->body_limit + (1u << 20);
	struct timespec	 t0, t1;
	char		 chunk[16384];
	ssize_t		 n;
	long		 left;
	int		 status = 0;

	buf_init(&reply);
	parse_reap(p, 0);
	if (p->pid <= 0 && parse_pool_start(p) == -1)
		return PARSE_FAILED;
	h[0] = 'Q';
	h[1] = (unsigned char)front;
	h[2] = (unsigned char)(len >> 24);
	h[3] = (unsigned char)(len >> 16);
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	if (io_full(p->fd_sock, h, sizeof(h), 1) == -1 ||
	    io_full(p->fd_sock, (void *)body, len, 1) == -1)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = p->fd_sock;
	pfd.events = POLLIN;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = PARSE_TIMEOUT_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			log_error("parser: child took too long; killed");
			goto done;
		}
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			goto done;
		}
		n = read(p->fd_sock, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (reply.len + (size_t)n > cap) {
			log_error("parser: child's reply too large; killed");
			goto done;
		}
		buf_add(&reply, chunk, (size_t)n);
	}
	if (!buf_failed(&reply))
		st = parse_read_reply(p->fd, reply.data ? reply.data : "",
		    reply.len, raw, a, errs);
done:
	close(p->fd_sock);
	p->fd_sock = -1;
	kill(p->pid, SIGKILL);	/* done or hung: either way, it goes */
	/*
	 * A child that answered may still be exiting (unmapping its memory
	 * takes a few hundred microseconds): it is reaped at the next request
	 * rather than waited for now. A failure is waited for, to log why.
	 */
	parse_reap(p, 1);
	if (st == PARSE_FAILED)
		waitpid(p->pid, &status, 0);
	else if (waitpid(p->pid, &status, WNOHANG) == 0)
		p->reap = p->pid;
	if (st == PARSE_FAILED && WIFSIGNALED(status) &&
	    WTERMSIG(status) != SIGKILL)
		log_error("parser: child died of signal %d", WTERMSIG(status));
	else if (st == PARSE_FAILED)
		log_error("parser: the child's reply was refused");
	p->pid = -1;
	sodium_memzero(chunk, sizeof(chunk));
	buf_wipe_free(&reply);
	(void)parse_pool_start(p);	/* the spare for the next request */
	return st;
}
