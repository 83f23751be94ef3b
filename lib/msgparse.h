/*
 * NAME
 *	msgparse - the one parse of a message at delivery
 * DESCRIPTION
 *	Runs the MIME parser (mime.h) over a complete stored message and
 *	produces what the folder keeps for it: the header length, the body
 *	line count, whether POP3 must dot-stuff it, and the cache payload
 *	field CACHE_MIME (cache.h) holding the encoded MIME information.
 *	Any byte sequence is accepted: a message that is not MIME, has NUL
 *	bytes or no header/body separator is still described.
 * MEMORY
 *	The payload is appended to a caller's buffer.
 */
#ifndef POPSTORE_MSGPARSE_H
#define POPSTORE_MSGPARSE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct msgparse {
	uint32_t header_len;	/* bytes, including the empty line */
	uint32_t body_lines;
	int	 needs_stuffing;
};

/* Parse msg[0..len) and append the CACHE_MIME field to payload. 0 or -1. */
int msgparse_run(const char *msg, size_t len, struct msgparse *mp,
    struct buf *payload);

#endif
