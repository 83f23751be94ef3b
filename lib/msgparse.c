/* msgparse - the one parse of a message at delivery; see msgparse.h. */
#include <string.h>

#include "buf.h"
#include "cache.h"
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
	(void)payload;
	return 0;
}
