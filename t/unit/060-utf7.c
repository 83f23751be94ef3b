/* Unit tests: utf8 (strict codec) and utf7 (IMAP modified UTF-7). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf7.h"
#include "utf8.h"
#include "lib/tap.h"

static const struct {
	const char *utf8, *utf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "a&b", "a&-b" },
	{ "&", "&-" },
	{ "\xc3\xa4pfel", "&AOQ-pfel" },
	{ "\xc3\xa4\xc3\xb6", "&AOQA9g-" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail" },		/* U+1F4E7 */
	{ "tab\x09", "tab&AAk-" },
	{ "\xc3\xa4&\xc3\xb6", "&AOQ-&-&APY-" },
};

static const char *const bad_utf7[] = {
	"&AGE-",		/* 'a' encoded */
	"&AOQ",			/* unterminated */
	"&AOQ-&APY-",		/* two runs in a row */
	"&A-",			/* bad padding */
	"&AOR-",		/* non-zero padding bits */
	"&AOQA-",		/* surplus bits */
	"&2D0-",		/* lone high surrogate */
	"&3nM-",		/* lone low surrogate */
	"&AOQ*-",		/* outside the alphabet */
	"caf\xc3\xa9",		/* 8-bit */
	"a\x01",		/* control */
	"&AOQ/-",		/* '/' is not modified base64 */
};

static const char *const bad_utf8[] = {
	"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\xc3", "\xff", "\x80",
};

int
main(void)
{
	struct buf out = BUF_INIT;
	char *why = NULL;
	size_t i, n;
	unsigned char u[4];
	uint32_t cp;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		buf_reset(&out);
		tap_ok(utf7_encode(pairs[i].utf8, strlen(pairs[i].utf8), &out,
		    NULL) == 0, "encode %s", pairs[i].utf7);
		tap_is_str(buf_cstr(&out), pairs[i].utf7, "encode %s", pairs[i].utf7);
		buf_reset(&out);
		tap_ok(utf7_decode(pairs[i].utf7, strlen(pairs[i].utf7), &out,
		    NULL) == 0, "decode %s", pairs[i].utf7);
		tap_is_str(buf_cstr(&out), pairs[i].utf8, "decode %s", pairs[i].utf7);
	}
	for (i = 0; i < sizeof(bad_utf7) / sizeof(bad_utf7[0]); i++) {
		buf_reset(&out);
		buf_puts(&out, "keep");
		tap_ok(utf7_decode(bad_utf7[i], strlen(bad_utf7[i]), &out, &why)
		    < 0, "refused: %s (%s)", bad_utf7[i], why ? why : "-");
		tap_is_str(buf_cstr(&out), "keep", "output restored");
		free(why);
		why = NULL;
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		tap_ok(!utf8_valid(bad_utf8[i], strlen(bad_utf8[i])),
		    "invalid UTF-8 #%zu", i);
		buf_reset(&out);
		tap_ok(utf7_encode(bad_utf8[i], strlen(bad_utf8[i]), &out, NULL) < 0,
		    "encode refuses invalid UTF-8 #%zu", i);
	}
	tap_ok(utf8_valid("a\0b", 3), "NUL is valid UTF-8");
	tap_is_int((long long)utf8_decode((const unsigned char *)"\xe2\x82\xac",
	    3, &cp), 3, "decode length of U+20AC");
	tap_is_int(cp, 0x20ac, "code point U+20AC");
	tap_is_int((long long)utf8_decode((const unsigned char *)"\xe2\x82", 2,
	    &cp), 0, "truncated sequence");
	tap_is_int((long long)utf8_encode(0xd800, u), 0, "no surrogates");
	tap_is_int((long long)utf8_encode(0x110000, u), 0, "nothing past U+10FFFF");
	n = utf8_encode(0x10ffff, u);
	tap_is_mem(u, n, "\xf4\x8f\xbf\xbf", 4, "U+10FFFF");
	/* Every code point of the BMP and a sample above survive both ways. */
	{
		struct buf a = BUF_INIT, b = BUF_INIT;
		int fails = 0;

		for (cp = 1; cp < 0x11000; cp += (cp < 0x10000 ? 1 : 97)) {
			if (cp >= 0xd800 && cp <= 0xdfff)
				continue;
			buf_reset(&a);
			buf_reset(&b);
			buf_reset(&out);
			buf_append(&a, u, utf8_encode(cp, u));
			if (utf7_encode(a.data, a.len, &out, NULL) < 0 ||
			    utf7_decode(out.data, out.len, &b, NULL) < 0 ||
			    b.len != a.len || memcmp(a.data, b.data, a.len) != 0)
				fails++;
		}
		tap_is_int(fails, 0, "round trip of every code point tried");
		buf_free(&a);
		buf_free(&b);
	}
	buf_free(&out);
	return tap_done();
}
