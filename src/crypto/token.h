/*
 * token.h: bearer tokens (receipt, invite, session, CSRF). A token is 32
 * bytes, shown as 43 characters of unpadded base64url. The database stores
 * only token_hash() of it.
 */
#ifndef CRYPTO_TOKEN_H
#define CRYPTO_TOKEN_H

#include <stddef.h>

#define TOKEN_BYTES	32
#define TOKEN_TEXTLEN	43	/* base64url, no padding */
#define TOKEN_HASHLEN	32

/* 32 random bytes, as text (out holds TOKEN_TEXTLEN + 1). */
void	token_random(char out[TOKEN_TEXTLEN + 1]);
/* A keyed hash of (label, msg) under a 32-byte server secret, as a token. */
void	token_derive(const unsigned char secret[32], const char *label,
	    const void *msg, size_t msglen, char out[TOKEN_TEXTLEN + 1]);
/* 0 if text is exactly a well-formed token, else -1. */
int	token_check(const char *text, size_t len);
/* BLAKE2b-256 of the token text: what the database stores. */
void	token_hash(const char *text, unsigned char out[TOKEN_HASHLEN]);

/*
 * Seal / open a small payload under a key derived from a token (receipt:
 * the urgent rule ids, so nothing urgent is stored in clear).
 * token_seal: *out malloc'ed, caller frees. token_open returns -1 if the
 * token does not open it; else *pt is malloc'ed with a NUL after its
 * *ptlen bytes, caller frees. Both return -1 for a malformed token.
 */
int	token_seal(const char *token, const void *pt, size_t ptlen,
	    unsigned char **out, size_t *outlen);
int	token_open(const char *token, const unsigned char *ct, size_t ctlen,
	    unsigned char **pt, size_t *ptlen);

/*
 * Constant-time comparison of two equal-length byte strings, as
 * sodium_memcmp: 0 when equal, -1 when not (not a boolean "equal").
 */
int	token_equal(const void *a, const void *b, size_t len);

#endif
