/* test_html.c: the escaping writers of web/html.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "web/html.h"

struct esc_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	const char	*out;
};

#define FFFD	"\xef\xbf\xbd"

static const struct esc_case esc_cases[] = {
	{ "", 0, "" },
	{ "plain text", 0, "plain text" },
	{ "&", 0, "&amp;" },
	{ "<", 0, "&lt;" },
	{ ">", 0, "&gt;" },
	{ "\"", 0, "&quot;" },
	{ "'", 0, "&#39;" },
	{ "<script>alert('x')</script>", 0,
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
	{ "\" onmouseover=\"x", 0, "&quot; onmouseover=&quot;x" },
	{ "&amp;", 0, "&amp;amp;" },
	{ "a&b<c>d\"e'f", 0, "a&amp;b&lt;c&gt;d&quot;e&#39;f" },
	/* UTF-8 passes through */
	{ "Élodie Ñúñez 日本 \xf0\x9f\x98\x80", 0,
	    "Élodie Ñúñez 日本 \xf0\x9f\x98\x80" },
	/* TAB, LF and CR are text */
	{ "a\tb\nc\r\nd", 0, "a\tb\nc\r\nd" },
	/* bidirectional marks are text too */
	{ "\xe2\x80\xae" "abc\xe2\x80\xac", 0, "\xe2\x80\xae" "abc\xe2\x80\xac" },
	/* other control characters, NUL, DEL and C1 are not */
	{ "a\x01" "b\x1b" "c\x7f" "d", 0, "a" FFFD "b" FFFD "c" FFFD "d" },
	{ "a\0b", 3, "a" FFFD "b" },
	{ "x\xc2\x85y", 0, "x" FFFD "y" },
	/* bytes that are not UTF-8 */
	{ "\xff", 0, FFFD },
	{ "a\xc3", 0, "a" FFFD },		/* truncated */
	{ "\xc0\xbc", 0, FFFD FFFD },		/* overlong '<' */
	{ "\xe0\x80\xbc", 0, FFFD FFFD FFFD },	/* overlong '<' */
	{ "\xed\xa0\x80", 0, FFFD FFFD FFFD },	/* surrogate */
	{ "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD },	/* > U+10FFFF */
	{ "\xc3<", 0, FFFD "&lt;" },		/* never swallows markup */
	/* len is respected */
	{ "<abc>", 2, "&lt;a" },
};

static void
test_esc_table(void **state)
{
	struct buf	 b;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		buf_init(&b);
		len = esc_cases[i].len ? esc_cases[i].len :
		    strlen(esc_cases[i].in);
		html_escn(&b, esc_cases[i].in, len);
		assert_false(buf_failed(&b));
		assert_int_equal(b.len, strlen(esc_cases[i].out));
		if (b.len > 0)
			assert_memory_equal(b.data, esc_cases[i].out, b.len);
		if (esc_cases[i].len == 0) {
			buf_reset(&b);
			html_esc(&b, esc_cases[i].in);
			assert_int_equal(b.len, strlen(esc_cases[i].out));
			if (b.len > 0)
				assert_string_equal(b.data, esc_cases[i].out);
		}
		buf_free(&b);
	}
}

static void
test_esc_null(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	html_esc(&b, NULL);
	html_escn(&b, NULL, 5);
	html_user_text(&b, NULL);
	html_user_text(&b, "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Escaped output never holds a markup character, whatever the input. */
static void
test_esc_all_bytes(void **state)
{
	char		 in[256];
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	buf_init(&b);
	html_escn(&b, in, sizeof(in));
	assert_false(buf_failed(&b));
	for (i = 0; i < b.len; i++) {
		assert_false(b.data[i] == '<' || b.data[i] == '>' ||
		    b.data[i] == '"' || b.data[i] == '\'' || b.data[i] == '\0');
		if (b.data[i] == '&')
			assert_true(strncmp(b.data + i, "&amp;", 5) == 0 ||
			    strncmp(b.data + i, "&lt;", 4) == 0 ||
			    strncmp(b.data + i, "&gt;", 4) == 0 ||
			    strncmp(b.data + i, "&quot;", 6) == 0 ||
			    strncmp(b.data + i, "&#39;", 5) == 0);
	}
	buf_free(&b);
}

struct text_case {
	const char	*in;
	const char	*out;
};

static const struct text_case text_cases[] = {
	{ "one line", "<bdi>one line</bdi>" },
	{ "a\nb", "<bdi>a</bdi><br /><bdi>b</bdi>" },
	{ "a\r\nb\rc", "<bdi>a</bdi><br /><bdi>b</bdi><br /><bdi>c</bdi>" },
	{ "a\n\nb", "<bdi>a</bdi><br /><bdi></bdi><br /><bdi>b</bdi>" },
	{ "a\n", "<bdi>a</bdi><br /><bdi></bdi>" },
	/* an override stays inside its line's isolate */
	{ "\xe2\x80\xae" "evil\nnext",
	    "<bdi>\xe2\x80\xae" "evil</bdi><br /><bdi>next</bdi>" },
	{ "\xe2\x81\xa7" "x\xe2\x80\xab" "y",
	    "<bdi>\xe2\x81\xa7" "x\xe2\x80\xab" "y</bdi>" },
	{ "<b>bold</b> & \"q\"",
	    "<bdi>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;q&quot;</bdi>" },
	{ "</bdi><script>", "<bdi>&lt;/bdi&gt;&lt;script&gt;</bdi>" },
};

static void
test_user_text(void **state)
{
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		buf_init(&b);
		html_user_text(&b, text_cases[i].in);
		assert_false(buf_failed(&b));
		assert_non_null(b.data);
		assert_string_equal(b.data, text_cases[i].out);
		buf_free(&b);
	}
}

static void
test_begin_end(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	html_begin(&b, "fr", "Title <&> \"x\"", "/static/a.css",
	    "/static/a.js");
	html_end(&b);
	assert_false(buf_failed(&b));
	assert_true(strncmp(b.data, "<!DOCTYPE html>\n<html lang=\"fr\">",
	    32) == 0);
	assert_non_null(strstr(b.data, "<meta charset=\"utf-8\" />"));
	assert_non_null(strstr(b.data, "<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\" />"));
	assert_non_null(strstr(b.data,
	    "<title>Title &lt;&amp;&gt; &quot;x&quot;</title>"));
	assert_non_null(strstr(b.data,
	    "<link rel=\"stylesheet\" href=\"/static/a.css\" />"));
	assert_non_null(strstr(b.data,
	    "<script src=\"/static/a.js\" defer=\"defer\"></script>"));
	assert_non_null(strstr(b.data, "</head>\n<body>\n"));
	assert_non_null(strstr(b.data, "</body>\n</html>\n"));
	/* no inline script or style: the CSP forbids them */
	assert_null(strstr(b.data, "<style"));
	assert_null(strstr(b.data, "style="));
	buf_free(&b);

	buf_init(&b);
	html_begin(&b, NULL, "t", NULL, NULL);
	assert_non_null(strstr(b.data, "<html lang=\"en\">"));
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "<link"));
	buf_free(&b);
}

/* A failed buffer stays failed: writers never crash on it. */
static void
test_failed_buf(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	b.failed = 1;
	html_esc(&b, "<x>");
	html_user_text(&b, "a\nb");
	html_begin(&b, "en", "t", "s", "j");
	html_end(&b);
	assert_true(buf_failed(&b));
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esc_table),
		cmocka_unit_test(test_esc_null),
		cmocka_unit_test(test_esc_all_bytes),
		cmocka_unit_test(test_user_text),
		cmocka_unit_test(test_begin_end),
		cmocka_unit_test(test_failed_buf),
	};

	return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
