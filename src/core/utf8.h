/* utf8.h: strict UTF-8 (RFC 3629): no overlongs, surrogates or > U+10FFFF. */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s[0..len) is well-formed UTF-8. */
int	utf8_valid(const char *s, size_t len);
/* Decode one code point at s (well-formed input); returns bytes used. */
size_t	utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Number of code points of well-formed s. */
size_t	utf8_count(const char *s, size_t len);
/* 1 when cp may not appear in XML 1.0 at all (C0 but TAB/LF/CR, FFFE/FFFF). */
int	utf8_xml_forbidden(uint32_t cp);

#endif
