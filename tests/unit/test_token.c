/* test_token.c: bearer tokens, their hashes and token-sealed payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/token.h"

static const unsigned char secret_a[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const unsigned char secret_b[32] = { 1, 2, 3, 4, 5, 6, 7, 9 };

static void
test_random(void **state)
{
	char	 a[TOKEN_TEXTLEN + 1], b[TOKEN_TEXTLEN + 1];

	(void)state;
	token_random(a);
	token_random(b);
	assert_int_equal(strlen(a), TOKEN_TEXTLEN);
	assert_int_equal(token_check(a, strlen(a)), 0);
	assert_int_equal(token_check(b, strlen(b)), 0);
	assert_string_not_equal(a, b);
}

static void
test_derive(void **state)
{
	static const struct {
		const unsigned char	*secret;
		const char		*label;
		const char		*msg;
	} t[] = {
		{ secret_a, "receipt", "abc" },		/* the reference */
		{ secret_b, "receipt", "abc" },
		{ secret_a, "invite", "abc" },
		{ secret_a, "receipt", "abd" },
		{ secret_a, "receipt", "" },
		{ secret_a, "receiptabc", "" },		/* label/msg boundary */
		{ secret_a, "receipta", "bc" },
		{ secret_a, "", "receiptabc" },
	};
	char	 out[sizeof(t) / sizeof(t[0])][TOKEN_TEXTLEN + 1];
	char	 again[TOKEN_TEXTLEN + 1];
	size_t	 i, j;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		token_derive(t[i].secret, t[i].label, t[i].msg,
		    strlen(t[i].msg), out[i]);
		assert_int_equal(token_check(out[i], strlen(out[i])), 0);
		token_derive(t[i].secret, t[i].label, t[i].msg,
		    strlen(t[i].msg), again);
		assert_string_equal(out[i], again);
		for (j = 0; j < i; j++)
			if (strcmp(out[i], out[j]) == 0)
				fail_msg("cases %zu and %zu collide", i, j);
	}
	/* An empty message may come without a pointer. */
	token_derive(secret_a, "receipt", NULL, 0, again);
	assert_string_equal(again, out[4]);
}

/* A known answer, so the construction cannot drift unnoticed. */
static void
test_derive_kat(void **state)
{
	crypto_generichash_state	 st;
	unsigned char			 bin[32];
	char				 want[TOKEN_TEXTLEN + 1];
	char				 got[TOKEN_TEXTLEN + 1];

	(void)state;
	crypto_generichash_init(&st, secret_a, 32, 32);
	crypto_generichash_update(&st, (const unsigned char *)"csrf\0sess", 9);
	crypto_generichash_final(&st, bin, 32);
	sodium_bin2base64(want, sizeof(want), bin, 32,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_derive(secret_a, "csrf", "sess", 4, got);
	assert_string_equal(got, want);
}

static void
test_check(void **state)
{
	static const char good[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const struct {
		const char	*text;
		size_t		 len;	/* 0: strlen */
		int		 want;
	} t[] = {
		{ good, 0, 0 },
		{ "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_w", 0, 0 },
		{ "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-8", 0, 0 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 0, -1 },
		{ "AAAAAAAAAA/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAA\0AAAAAAAAAAAAAAAAAAAAA", 43, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3", 0, -1 },
		/* 258 bits carry 256: the last two must be zero. */
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD", 0, -1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", 0, 0 },
		{ "", 0, -1 },
	};
	size_t	 i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t[i].len ? t[i].len : strlen(t[i].text);
		if (token_check(t[i].text, len) != t[i].want)
			fail_msg("case %zu: want %d", i, t[i].want);
	}
	/* Every last character agrees with libsodium's strict decoder. */
	{
		static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		unsigned char	 bin[TOKEN_BYTES + 1];
		char		 tok[TOKEN_TEXTLEN + 1];
		size_t		 binlen;
		int		 sodium_ok;

		memcpy(tok, good, sizeof(tok));
		for (i = 0; i < 64; i++) {
			tok[TOKEN_TEXTLEN - 1] = alpha[i];
			sodium_ok = sodium_base642bin(bin, sizeof(bin), tok,
			    TOKEN_TEXTLEN, NULL, &binlen, NULL,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
			    binlen == TOKEN_BYTES;
			if ((token_check(tok, TOKEN_TEXTLEN) == 0) != sodium_ok)
				fail_msg("last char '%c' disagrees", alpha[i]);
		}
	}
	/* Length is the caller's: a good token with a wrong len fails. */
	assert_int_equal(token_check(good, 42), -1);
	assert_int_equal(token_check(good, 44), -1);
	assert_int_equal(token_check(NULL, 43), -1);
}

static void
test_hash(void **state)
{
	unsigned char	 h[TOKEN_HASHLEN], h2[TOKEN_HASHLEN];
	unsigned char	 want[TOKEN_HASHLEN];
	char		 tok[TOKEN_TEXTLEN + 1];

	(void)state;
	token_random(tok);
	token_hash(tok, h);
	crypto_generichash(want, sizeof(want), (const unsigned char *)tok,
	    TOKEN_TEXTLEN, NULL, 0);
	assert_memory_equal(h, want, sizeof(h));
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	token_hash(tok, h2);
	assert_memory_not_equal(h, h2, sizeof(h));
}

static void
test_seal(void **state)
{
	static const char	*payloads[] = { "", "R1", "R1 R7 R12" };
	char			 tok[TOKEN_TEXTLEN + 1], other[TOKEN_TEXTLEN + 1];
	unsigned char		*ct, *pt;
	size_t			 i, ctlen, ptlen, len;

	(void)state;
	token_random(tok);
	token_random(other);
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		len = strlen(payloads[i]);
		assert_int_equal(token_seal(tok, len ? payloads[i] : NULL, len,
		    &ct, &ctlen), 0);
		assert_int_equal(ctlen, 24 + len + 16);
		assert_int_equal(token_open(tok, ct, ctlen, &pt, &ptlen), 0);
		assert_int_equal(ptlen, len);
		assert_string_equal((char *)pt, payloads[i]);
		free(pt);

		/* Another token does not open it. */
		pt = (unsigned char *)"x";
		assert_int_equal(token_open(other, ct, ctlen, &pt, &ptlen),
		    -1);
		assert_null(pt);
		free(ct);
	}
}

static void
test_seal_tamper(void **state)
{
	char		 tok[TOKEN_TEXTLEN + 1], bad[TOKEN_TEXTLEN + 2];
	unsigned char	*ct, *pt;
	size_t		 i, ctlen, ptlen;

	(void)state;
	token_random(tok);
	assert_int_equal(token_seal(tok, "R3", 2, &ct, &ctlen), 0);
	for (i = 0; i < ctlen; i++) {
		ct[i] ^= 0x20;
		if (token_open(tok, ct, ctlen, &pt, &ptlen) != -1)
			fail_msg("flip at %zu opened", i);
		ct[i] ^= 0x20;
	}
	assert_int_equal(token_open(tok, ct, ctlen - 1, &pt, &ptlen), -1);
	assert_int_equal(token_open(tok, ct, 39, &pt, &ptlen), -1);
	assert_int_equal(token_open(tok, NULL, 0, &pt, &ptlen), -1);
	/* Malformed tokens neither seal nor open. */
	memcpy(bad, tok, sizeof(tok));
	bad[5] = '+';
	assert_int_equal(token_open(bad, ct, ctlen, &pt, &ptlen), -1);
	assert_int_equal(token_seal(bad, "R3", 2, &pt, &ptlen), -1);
	assert_null(pt);
	memcpy(bad, tok, sizeof(tok));
	bad[TOKEN_TEXTLEN] = 'A';
	bad[TOKEN_TEXTLEN + 1] = '\0';
	assert_int_equal(token_open(bad, ct, ctlen, &pt, &ptlen), -1);
	assert_int_equal(token_open(tok, ct, ctlen, &pt, &ptlen), 0);
	free(pt);
	free(ct);
}

static void
test_equal(void **state)
{
	static const unsigned char	 a[4] = { 1, 2, 3, 4 };
	static const unsigned char	 b[4] = { 1, 2, 3, 5 };

	(void)state;
	assert_int_equal(token_equal(a, a, 4), 0);
	assert_int_equal(token_equal(a, b, 3), 0);
	assert_int_equal(token_equal(a, b, 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_derive_kat),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_seal_tamper),
		cmocka_unit_test(test_equal),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
