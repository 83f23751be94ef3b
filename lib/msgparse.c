/* msgparse - the one parse of a message at delivery; see msgparse.h. */
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "mime.h"
#include "msgparse.h"

/*
 * Header length: up to and including the first empty line (CRLF CRLF or
 * LF LF); the whole message when there is none.
 */
static size_t
header_length(const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* The CACHE_MIME field: what FETCH, SEARCH and SORT serve from the cache.
 * A message too large for the parser gets none (readers parse the file). */
static int
add_mime(const char *msg, size_t len, struct buf *payload)
{
	struct mime_info info;
	struct buf blob = BUF_INIT;

	if (mime_parse(msg, len, &info) == 0) {
		mime_info_encode(&info, &blob);
		cache_put(payload, CACHE_MIME, blob.data, blob.len);
	}
	mime_info_free(&info);
	buf_free(&blob);
	return 0;
}

int
msgparse_run(const char *msg, size_t len, struct msgparse *mp,
    struct buf *payload)
{
	size_t i, hl = header_length(msg, len);
	uint32_t lines = 0;
	int bol = 1;

	memset(mp, 0, sizeof(*mp));
	mp->header_len = (uint32_t)(hl > 0xffffffffU ? 0xffffffffU : hl);
	for (i = 0; i < len; i++) {
		if (bol && msg[i] == '.')
			mp->needs_stuffing = 1;
		bol = msg[i] == '\n';
		if (bol && i >= hl)
			lines++;
	}
	if (len > hl && msg[len - 1] != '\n')
		lines++;
	mp->body_lines = lines;
	return add_mime(msg, len, payload);
}
