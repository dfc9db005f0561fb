/* token.c: bearer tokens; see token.h. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/token.h"

#define TOKEN_VARIANT		sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* Key of the hash that turns a token into a sealing key (16..64 bytes). */
#define TOKEN_SEAL_CONTEXT	"clinic-intake token_seal v1"
#define TOKEN_SEAL_KEYBYTES	crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define TOKEN_SEAL_NONCEBYTES	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TOKEN_SEAL_TAGBYTES	crypto_aead_xchacha20poly1305_ietf_ABYTES
#define TOKEN_SEAL_MAX		(1u << 20)

_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_BYTES, TOKEN_VARIANT) ==
    TOKEN_TEXTLEN + 1, "token text length");
_Static_assert(sizeof(TOKEN_SEAL_CONTEXT) - 1 >= crypto_generichash_KEYBYTES_MIN,
    "seal context too short to key BLAKE2b");

static const unsigned char token_empty[1];

static void
token_text(const unsigned char bin[TOKEN_BYTES], char out[TOKEN_TEXTLEN + 1])
{
	sodium_bin2base64(out, TOKEN_TEXTLEN + 1, bin, TOKEN_BYTES,
	    TOKEN_VARIANT);
}

void
token_random(char out[TOKEN_TEXTLEN + 1])
{
	unsigned char	 bin[TOKEN_BYTES];

	randombytes_buf(bin, sizeof(bin));
	token_text(bin, out);
	sodium_memzero(bin, sizeof(bin));
}

/*
 * BLAKE2b-256 keyed by secret over label || 0x00 || msg: the NUL keeps
 * ("ab", "c") and ("a", "bc") apart.
 */
void
token_derive(const unsigned char secret[32], const char *label,
    const void *msg, size_t msglen, char out[TOKEN_TEXTLEN + 1])
{
	crypto_generichash_state	 st;
	unsigned char			 bin[TOKEN_BYTES];
	static const unsigned char	 sep = 0;

	crypto_generichash_init(&st, secret, 32, sizeof(bin));
	crypto_generichash_update(&st, (const unsigned char *)label,
	    strlen(label));
	crypto_generichash_update(&st, &sep, 1);
	if (msglen > 0)
		crypto_generichash_update(&st, msg, msglen);
	crypto_generichash_final(&st, bin, sizeof(bin));
	token_text(bin, out);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(bin, sizeof(bin));
}

static int
token_b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Exactly 43 base64url characters. 43 * 6 = 258 bits carry 256, so the
 * last character's low two bits must be zero: one text per token.
 */
int
token_check(const char *text, size_t len)
{
	size_t	 i;
	int	 v = 0;

	if (text == NULL || len != TOKEN_TEXTLEN)
		return -1;
	for (i = 0; i < len; i++)
		if ((v = token_b64val(text[i])) == -1)
			return -1;
	return (v & 3) == 0 ? 0 : -1;
}

void
token_hash(const char *text, unsigned char out[TOKEN_HASHLEN])
{
	crypto_generichash(out, TOKEN_HASHLEN, (const unsigned char *)text,
	    strlen(text), NULL, 0);
}

/* The sealing key of a well-formed token into key (sodium memory). */
static int
token_seal_key(const char *token, unsigned char *key)
{
	size_t	 len;

	if (token == NULL)
		return -1;
	len = strnlen(token, TOKEN_TEXTLEN + 1);
	if (token_check(token, len) != 0)
		return -1;
	crypto_generichash(key, TOKEN_SEAL_KEYBYTES,
	    (const unsigned char *)token, len,
	    (const unsigned char *)TOKEN_SEAL_CONTEXT,
	    sizeof(TOKEN_SEAL_CONTEXT) - 1);
	return 0;
}

/*
 * Takes a well-formed token and ptlen bytes at pt (NULL when ptlen is 0).
 * *out = nonce || ciphertext || tag, malloc'ed, caller frees. 0 or -1.
 */
int
token_seal(const char *token, const void *pt, size_t ptlen,
    unsigned char **out, size_t *outlen)
{
	unsigned char		*key = NULL, *c = NULL;
	unsigned long long	 clen;
	int			 rc = -1;

	*out = NULL;
	*outlen = 0;
	if (ptlen > TOKEN_SEAL_MAX)
		return -1;
	/* From here: goto err. */
	if ((key = sodium_malloc(TOKEN_SEAL_KEYBYTES)) == NULL)
		goto err;
	if (token_seal_key(token, key) != 0)
		goto err;
	if ((c = malloc(TOKEN_SEAL_NONCEBYTES + ptlen +
	    TOKEN_SEAL_TAGBYTES)) == NULL)
		goto err;
	randombytes_buf(c, TOKEN_SEAL_NONCEBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(c + TOKEN_SEAL_NONCEBYTES,
	    &clen, ptlen == 0 ? token_empty : pt, ptlen, NULL, 0, NULL, c,
	    key);
	*out = c;
	*outlen = TOKEN_SEAL_NONCEBYTES + ptlen + TOKEN_SEAL_TAGBYTES;
	c = NULL;
	rc = 0;
err:
	free(c);
	sodium_free(key);
	return rc;
}

/*
 * Takes the token and what token_seal made. *pt is malloc'ed with a NUL
 * after its ptlen bytes (for text payloads), caller frees. 0, or -1 when
 * the token is malformed or does not open ct.
 */
int
token_open(const char *token, const unsigned char *ct, size_t ctlen,
    unsigned char **pt, size_t *ptlen)
{
	unsigned char		*key = NULL, *m = NULL;
	unsigned long long	 mlen;
	size_t			 len;
	int			 rc = -1;

	*pt = NULL;
	*ptlen = 0;
	if (ct == NULL || ctlen < TOKEN_SEAL_NONCEBYTES + TOKEN_SEAL_TAGBYTES ||
	    ctlen - TOKEN_SEAL_NONCEBYTES - TOKEN_SEAL_TAGBYTES > TOKEN_SEAL_MAX)
		return -1;
	len = ctlen - TOKEN_SEAL_NONCEBYTES - TOKEN_SEAL_TAGBYTES;
	/* From here: goto err. */
	if ((key = sodium_malloc(TOKEN_SEAL_KEYBYTES)) == NULL)
		goto err;
	if (token_seal_key(token, key) != 0)
		goto err;
	if ((m = malloc(len + 1)) == NULL)
		goto err;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL,
	    ct + TOKEN_SEAL_NONCEBYTES, ctlen - TOKEN_SEAL_NONCEBYTES,
	    NULL, 0, ct, key) != 0 || mlen != len)
		goto err;
	m[len] = '\0';
	*pt = m;
	*ptlen = len;
	m = NULL;
	rc = 0;
err:
	free(m);
	sodium_free(key);
	return rc;
}

/* 0 when equal, -1 when not (sodium_memcmp), in constant time. */
int
token_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len);
}
