/* utf7 - IMAP modified UTF-7; see utf7.h. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "file.h"
#include "utf7.h"
#include "utf8.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

static int
fail(struct buf *out, size_t start, char **why_r, const char *what)
{
	buf_truncate(out, start);
	return file_whyf(why_r, "bad modified UTF-7 mailbox name: %s", what);
}

/* One shifted run in[0..n) (between '&' and '-'), appended as UTF-8. */
static const char *
decode_run(const unsigned char *in, size_t n, struct buf *out)
{
	uint32_t bits = 0, hi = 0, cp;
	unsigned nbits = 0;
	unsigned char u[4];
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		if ((v = b64_value(in[i])) < 0)
			return "character outside the base64 alphabet";
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		cp = (bits >> nbits) & 0xffff;
		bits &= (1U << nbits) - 1;
		if (hi) {
			if (cp < 0xdc00 || cp > 0xdfff)
				return "high surrogate without low surrogate";
			cp = 0x10000 + ((hi - 0xd800) << 10) + (cp - 0xdc00);
			hi = 0;
		} else if (cp >= 0xd800 && cp <= 0xdbff) {
			hi = cp;
			continue;
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			return "low surrogate without high surrogate";
		} else if (cp >= 0x20 && cp <= 0x7e) {
			return "printable ASCII character encoded";
		}
		buf_append(out, u, utf8_encode(cp, u));
	}
	if (hi)
		return "high surrogate at the end";
	if (nbits >= 6 || bits != 0)
		return "bad padding bits";
	return NULL;
}

int
utf7_decode(const char *in, size_t len, struct buf *out, char **why_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = out->len, i = 0, j;
	const char *problem;
	int after_run = 0;

	while (i < len) {
		if (p[i] < 0x20 || p[i] > 0x7e)
			return fail(out, start, why_r, "8-bit or control byte");
		if (p[i] != '&') {
			buf_putc(out, p[i++]);
			after_run = 0;
			continue;
		}
		for (j = i + 1; j < len && p[j] != '-'; j++)
			;
		if (j == len)
			return fail(out, start, why_r, "unterminated '&'");
		if (j == i + 1) {
			buf_putc(out, '&');
			after_run = 0;
		} else {
			if (after_run)
				return fail(out, start, why_r,
				    "two encoded runs in a row");
			if ((problem = decode_run(p + i + 1, j - i - 1, out)))
				return fail(out, start, why_r, problem);
			after_run = 1;
		}
		i = j + 1;
	}
	return 0;
}

static void
flush_bits(struct buf *out, uint32_t *bits, unsigned *nbits, int final)
{
	while (*nbits >= 6) {
		*nbits -= 6;
		buf_putc(out, b64[(*bits >> *nbits) & 0x3f]);
	}
	if (final && *nbits) {
		buf_putc(out, b64[(*bits << (6 - *nbits)) & 0x3f]);
		*nbits = 0;
	}
	*bits &= (1U << *nbits) - 1;
}

static void
put_unit(struct buf *out, uint32_t unit, uint32_t *bits, unsigned *nbits)
{
	*bits = *bits << 16 | unit;
	*nbits += 16;
	flush_bits(out, bits, nbits, 0);
}

int
utf7_encode(const char *in, size_t len, struct buf *out, char **why_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = out->len, i = 0, n;
	uint32_t cp, bits = 0;
	unsigned nbits = 0;
	int shifted = 0;

	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			buf_truncate(out, start);
			return file_whyf(why_r, "mailbox name is not valid UTF-8");
		}
		i += n;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted) {
				flush_bits(out, &bits, &nbits, 1);
				buf_putc(out, '-');
				shifted = 0;
			}
			buf_putc(out, (int)cp);
			if (cp == '&')
				buf_putc(out, '-');
			continue;
		}
		if (!shifted) {
			buf_putc(out, '&');
			shifted = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_unit(out, 0xd800 + (cp >> 10), &bits, &nbits);
			put_unit(out, 0xdc00 + (cp & 0x3ff), &bits, &nbits);
		} else {
			put_unit(out, cp, &bits, &nbits);
		}
	}
	if (shifted) {
		flush_bits(out, &bits, &nbits, 1);
		buf_putc(out, '-');
	}
	return 0;
}
