/* formpost.c: form post -> <intake> document; see formpost.h. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/utf8.h"
#include "form/formdef.h"
#include "form/formpost.h"

#define FORMPOST_MAX_UNKNOWN	256	/* bytes of an unknown name kept */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
formpost_unescape(const char *s, size_t len, struct buf *out)
{
	size_t	 i;
	int	 h, l;

	buf_reset(out);
	if (buf_reserve(out, len) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			buf_putc(out, ' ');
		else if (s[i] == '%') {
			if (i + 2 >= len)
				return -1;
			if ((h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				return -1;
			buf_putc(out, (char)(h << 4 | l));
			i += 2;
		} else
			buf_putc(out, s[i]);
	}
	return buf_failed(out) ? -1 : 0;
}

static int
list_push(char ***list, const char *s, size_t len)
{
	size_t	 n = 0;
	char	**l = *list, *dup;

	while (l != NULL && l[n] != NULL)
		n++;
	if ((dup = malloc(len + 1)) == NULL)
		return -1;
	memcpy(dup, s, len);
	dup[len] = '\0';
	if ((l = reallocarray(l, n + 2, sizeof(*l))) == NULL) {
		free(dup);
		return -1;
	}
	l[n] = dup;
	l[n + 1] = NULL;
	*list = l;
	return 0;
}

static void
list_free(char **l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; l[i] != NULL; i++) {
		sodium_memzero(l[i], strlen(l[i]));
		free(l[i]);
	}
	free(l);
}

void
raw_values_free(const struct formdef *fd, struct raw_values *raw)
{
	size_t	 i;

	if (raw == NULL)
		return;
	if (raw->vals != NULL)
		for (i = 0; i < fd->nfields; i++)
			list_free(raw->vals[i]);
	free(raw->vals);
	list_free(raw->unknown);
	free(raw->submission_id);
	free(raw->form_version);
	free(raw->consent_version);
	free(raw->invite);
	memset(raw, 0, sizeof(*raw));
}

int
raw_values_init(const struct formdef *fd, struct raw_values *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->vals = calloc(fd->nfields, sizeof(*raw->vals));
	return raw->vals != NULL ? 0 : -1;
}

int
raw_values_add(struct raw_values *raw, int field, const char *v, size_t len)
{
	return list_push(&raw->vals[field], v, len);
}

int
raw_values_add_unknown(struct raw_values *raw, const char *name, size_t len)
{
	return list_push(&raw->unknown, name, len);
}

static const char *hidden_names[] = {
	"submission_id", "form_version", "consent_version", "invite",
};

static char **hidden_slot(struct raw_values *, const char *);

int
raw_values_set_hidden(struct raw_values *raw, int kind, const char *v,
    size_t len)
{
	char	**slot;

	if (kind < 0 || kind > 3)
		return -1;
	slot = hidden_slot(raw, hidden_names[kind]);
	free(*slot);
	*slot = strndup(v, len);
	return *slot != NULL ? 0 : -1;
}

static char **
hidden_slot(struct raw_values *raw, const char *name)
{
	char	**slots[] = { &raw->submission_id, &raw->form_version,
	    &raw->consent_version, &raw->invite };
	size_t	 i;

	for (i = 0; i < sizeof(hidden_names) / sizeof(hidden_names[0]); i++)
		if (strcmp(name, hidden_names[i]) == 0)
			return slots[i];
	return NULL;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* The value as it will be checked: CRLF -> LF, trimmed. */
static void
value_normalise(const char *s, struct buf *out)
{
	size_t	 i, len = strlen(s), start = 0;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	while (start < len && is_space(s[start]))
		start++;
	buf_reset(out);
	for (i = start; i < len; i++) {
		if (s[i] == '\r') {
			buf_putc(out, '\n');
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else
			buf_putc(out, s[i]);
	}
}

/* 1 when the text holds a character XML cannot carry at all. */
static int
xml_unfit(const char *s, size_t len)
{
	size_t	 i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || utf8_xml_forbidden(cp))
			return 1;
		i += n;
	}
	return 0;
}

static void
xml_text(struct buf *b, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		switch (s[i]) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		default:
			buf_putc(b, s[i]);
		}
}

/*
 * An unknown name is kept only to be named back to the patient: the worker
 * takes at most 512 bytes of it from the parser child (parse_child.c), so
 * a longer one is cut, at a character boundary.
 */
static void
formpost_clip(struct buf *b, size_t max)
{
	size_t	 len = b->len;

	if (len <= max)
		return;
	len = max;
	while (len > 0 && ((unsigned char)b->data[len] & 0xc0) == 0x80)
		len--;
	b->data[len] = '\0';
	b->len = len;
}

enum formpost_result
formpost_decode(const struct formdef *fd, const char *body, size_t len,
    struct raw_values *raw, struct buf *xml, struct verrs *errs)
{
	struct buf	 name, value, norm;
	const char	*p = body, *end = body + len, *amp, *eq;
	size_t		 pairs = 0, i, j, n;
	enum formpost_result rc = FORMPOST_MALFORMED;
	char		**slot;
	int		 f;

	buf_init(&name);
	buf_init(&value);
	buf_init(&norm);
	if (raw_values_init(fd, raw) == -1)
		return FORMPOST_NOMEM;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {		/* "a=1&&b=2": an empty pair */
			p++;
			continue;
		}
		if (++pairs > FORMPOST_MAX_PAIRS)
			goto out;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		if (formpost_unescape(p, (size_t)(eq - p), &name) == -1)
			goto out;
		if (formpost_unescape(eq < amp ? eq + 1 : amp,
		    eq < amp ? (size_t)(amp - eq - 1) : 0, &value) == -1)
			goto out;
		if (!utf8_valid(name.data ? name.data : "", name.len) ||
		    !utf8_valid(value.data ? value.data : "", value.len))
			goto out;
		/* A NUL cannot travel in a C string: it is a field error. */
		if (memchr(name.data ? name.data : "", '\0', name.len) != NULL)
			goto out;
		p = amp < end ? amp + 1 : end;
		if (name.len == 0)
			goto out;

		if ((slot = hidden_slot(raw, name.data)) != NULL) {
			if (*slot != NULL) {
				verrs_add(errs, VE_DUPLICATE, -1, name.data, 0);
				continue;
			}
			if ((*slot = strndup(value.data ? value.data : "",
			    value.len)) == NULL)
				goto nomem;
			continue;
		}
		if ((f = formdef_field(fd, name.data)) < 0) {
			formpost_clip(&name, FORMPOST_MAX_UNKNOWN);
			if (list_push(&raw->unknown, name.data, name.len) == -1)
				goto nomem;
			verrs_add(errs, VE_UNKNOWN_FIELD, -1, name.data, 0);
			continue;
		}
		if (memchr(value.data ? value.data : "", '\0',
		    value.len) != NULL) {
			verrs_add(errs, VE_CONTROL_CHAR, f, fd->fields[f].id, 0);
			/* kept for the re-rendered form without the NUL */
			value.len = strlen(value.data);
		}
		if (list_push(&raw->vals[f], value.data ? value.data : "",
		    value.len) == -1)
			goto nomem;
	}

	/* The document, in definition order; attributes first. */
	buf_puts(xml, "<intake xmlns=\"");
	xml_text(xml, fd->ns, strlen(fd->ns));
	buf_putc(xml, '"');
	for (i = 0; i < sizeof(hidden_names) / sizeof(hidden_names[0]); i++) {
		char *v = *hidden_slot(raw, hidden_names[i]);

		if (v == NULL || xml_unfit(v, strlen(v)))
			continue;
		value_normalise(v, &norm);
		if (norm.len == 0)
			continue;
		buf_printf(xml, " %s=\"", hidden_names[i]);
		xml_text(xml, norm.data, norm.len);
		buf_putc(xml, '"');
	}
	buf_putc(xml, '>');
	for (i = 0; i < fd->nfields; i++) {
		const struct fd_field *fl = &fd->fields[i];
		char	**vals = raw->vals[i];
		size_t	 given = 0;

		if (vals == NULL)
			continue;
		for (j = 0; vals[j] != NULL; j++) {
			value_normalise(vals[j], &norm);
			if (norm.len > 0)
				given++;
		}
		if (given > 1 && fl->type != FD_MULTI) {
			verrs_add(errs, VE_DUPLICATE, (int)i, fl->id, 0);
			continue;
		}
		for (j = 0; vals[j] != NULL; j++) {
			value_normalise(vals[j], &norm);
			n = norm.len;
			if (n == 0)
				continue;	/* empty is absent */
			if (xml_unfit(norm.data, n)) {
				verrs_add(errs, VE_CONTROL_CHAR, (int)i, fl->id,
				    0);
				break;
			}
			buf_printf(xml, "<%s>", fl->id);
			xml_text(xml, norm.data, n);
			buf_printf(xml, "</%s>", fl->id);
		}
	}
	buf_puts(xml, "</intake>");
	rc = buf_failed(xml) ? FORMPOST_NOMEM : FORMPOST_OK;
	goto out;
nomem:
	rc = FORMPOST_NOMEM;
out:
	buf_wipe_free(&name);
	buf_wipe_free(&value);
	buf_wipe_free(&norm);
	return rc;
}
