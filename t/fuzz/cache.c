/*
 * cache - fuzz the reader of folder cache payloads (lib/cache.c) and of
 * the MIME blob they carry (mime_info_decode, lib/mime.c).
 *
 * The input is one cache record's payload as folder_cache() returns it
 * (the seed corpus holds payloads delivery wrote). Checked: every field
 * cache_field() finds lies inside the payload; the fields found, put
 * into a new payload with cache_put(), are found again byte for byte; a
 * MIME blob that decodes has every part, section and string inside the
 * blob and the message size it states, and every numbered part is found
 * again by its section number.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "mime.h"

#define TYPES	6

static int
inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return len == 0 || (q >= data && len <= size &&
	    (size_t)(q - data) <= size - len);
}

static void
check_mime(const uint8_t *blob, size_t len)
{
	struct mime_view v;
	struct mime_part p, q;
	size_t i;

	if (mime_info_decode(blob, len, &v) < 0)
		return;
	if (!inside(v.envelope.s, v.envelope.len, blob, len) ||
	    !inside(v.bodystructure.s, v.bodystructure.len, blob, len) ||
	    !inside(v.body.s, v.body.len, blob, len) ||
	    !inside(v.fields.s, v.fields.len, blob, len) ||
	    v.header_len > v.size)
		abort();
	for (i = 0; mime_view_part(&v, i, &p) == 1; i++) {
		if (p.hdr_off > v.size || p.hdr_len > v.size - p.hdr_off ||
		    p.body_off > v.size || p.body_len > v.size - p.body_off ||
		    !inside(p.section.s, p.section.len, blob, len) ||
		    !inside(p.charset.s, p.charset.len, blob, len) ||
		    (i > 0 && p.parent >= i))
			abort();
		if (p.numbered && p.section.len > 0 &&
		    mime_view_find(&v, p.section.s, p.section.len, &q) != 1)
			abort();
	}
	if (i != v.nparts)
		abort();
	(void)mime_view_find(&v, "1.2.3", 5, &q);
	(void)mime_view_find(&v, "0", 1, &q);
	(void)mime_view_find(&v, "", 0, &q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf again = BUF_INIT;
	const void *p[TYPES], *p2;
	size_t len[TYPES], len2;
	int found[TYPES], type;

	for (type = 0; type < TYPES; type++) {
		found[type] = cache_field(data, size, type, &p[type], &len[type]);
		if (found[type] == 1) {
			if (!inside(p[type], len[type], data, size))
				abort();
			cache_put(&again, type, p[type], len[type]);
		}
	}
	for (type = 0; type < TYPES; type++) {
		if (found[type] != 1)
			continue;
		if (cache_field(again.data, again.len, type, &p2, &len2) != 1 ||
		    len2 != len[type] || (len2 && memcmp(p2, p[type], len2) != 0))
			abort();
	}
	if (found[CACHE_MIME] == 1) {
		/* a private copy: the decoder must not read past it */
		uint8_t *copy = malloc(len[CACHE_MIME] ? len[CACHE_MIME] : 1);

		memcpy(copy, p[CACHE_MIME], len[CACHE_MIME]);
		check_mime(copy, len[CACHE_MIME]);
		free(copy);
	}
	buf_free(&again);
	return 0;
}
