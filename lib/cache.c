/* cache - typed fields of a folder cache record; see cache.h. */
#include <string.h>

#include "be.h"
#include "buf.h"
#include "cache.h"
#include "mem.h"

void
cache_put(struct buf *payload, int type, const void *data, size_t len)
{
	unsigned char h[5];

	if (len > 0xffffffffU)
		mem_fatal("cache field too large");
	h[0] = (unsigned char)type;
	be32_put(h + 1, (uint32_t)len);
	buf_append(payload, h, sizeof(h));
	buf_append(payload, data, len);
}

int
cache_field(const void *payload, size_t len, int type, const void **p_r,
    size_t *len_r)
{
	const unsigned char *p = payload, *end = p + len;
	uint32_t flen;

	while (p < end) {
		if ((size_t)(end - p) < 5)
			return -1;
		flen = be32_get(p + 1);
		if (flen > (size_t)(end - p) - 5)
			return -1;
		if (p[0] == type) {
			*p_r = p + 5;
			*len_r = flen;
			return 1;
		}
		p += 5 + flen;
	}
	return 0;
}
