/*
 * imap_utf7 - fuzz the modified UTF-7 codec (lib/utf7.c): decoding any
 * bytes either fails or gives valid UTF-8 that encodes back to exactly
 * the input (one encoding per name); encoding any valid UTF-8 decodes
 * back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf7.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *in = (const char *)data;

	if (utf7_decode(in, size, &a, NULL) == 0) {
		if (!utf8_valid(buf_cstr(&a), a.len))
			abort();
		if (utf7_encode(buf_cstr(&a), a.len, &b, NULL) < 0 ||
		    b.len != size || memcmp(b.data, in, size) != 0)
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	if (utf7_encode(in, size, &a, NULL) == 0) {
		if (!utf8_valid(in, size))
			abort();
		if (utf7_decode(buf_cstr(&a), a.len, &b, NULL) < 0 ||
		    b.len != size || memcmp(b.data, in, size) != 0)
			abort();
	} else if (utf8_valid(in, size)) {
		abort();
	}
	buf_free(&a);
	buf_free(&b);
	return 0;
}
