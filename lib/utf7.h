/*
 * NAME
 *	utf7 - IMAP modified UTF-7 mailbox names (RFC 3501 5.1.3)
 * DESCRIPTION
 *	Folder names are UTF-8 in the store (mboxlist.h) and modified
 *	UTF-7 on the IMAP wire. Both directions are strict and each name
 *	has exactly one encoding, so decode(encode(x)) == x and
 *	encode(decode(y)) == y whenever both succeed. Refused when decoding:
 *	bytes outside printable US-ASCII; an unterminated or empty shift
 *	("&" without "-"); characters outside the modified base64 alphabet;
 *	non-zero or surplus padding bits; broken UTF-16 surrogate pairs;
 *	a shifted printable ASCII character (it must be written as itself);
 *	two shifted runs in a row ("&AOQ-&APY-" must be "&AOQA9g-").
 * MEMORY
 *	Results are appended to a caller's buffer; *why_r is allocated and
 *	the caller frees it.
 */
#ifndef POPSTORE_UTF7_H
#define POPSTORE_UTF7_H

#include <stddef.h>

struct buf;

/*
 * Decode modified UTF-7 in[0..len) and append UTF-8 to out. 0, or -1
 * with *why_r (out is then restored to its former length).
 */
int utf7_decode(const char *in, size_t len, struct buf *out, char **why_r);

/*
 * Encode UTF-8 in[0..len) as modified UTF-7, appended to out. 0, or -1
 * with *why_r when the input is not valid UTF-8 (out restored).
 */
int utf7_encode(const char *in, size_t len, struct buf *out, char **why_r);

#endif
