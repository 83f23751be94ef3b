/*
 * NAME
 *	utf8 - strict UTF-8 validation, decoding and encoding
 * DESCRIPTION
 *	The one UTF-8 codec of popstore (account names, folder names,
 *	modified UTF-7). Strict per RFC 3629: no overlong forms, no
 *	surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated
 *	sequences. NUL is a valid character here; callers that refuse
 *	control characters check for them separately.
 * MEMORY
 *	Nothing is allocated.
 */
#ifndef POPSTORE_UTF8_H
#define POPSTORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at p (at most n bytes available): its length
 * (1 to 4) with the code point in *cp_r (may be NULL), or 0 when the
 * bytes are not a valid UTF-8 sequence or n is 0.
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp_r);

/* 1 when s[0..len) is entirely valid UTF-8, else 0. */
int utf8_valid(const char *s, size_t len);

/*
 * Write the UTF-8 form of cp to out (room for 4 bytes): its length, or
 * 0 for a surrogate or a value above U+10FFFF.
 */
size_t utf8_encode(uint32_t cp, unsigned char *out);

#endif
