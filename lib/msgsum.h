/*
 * NAME
 *	msgsum - what listings show of a stored message, from its cache
 * SYNOPSIS
 *	#include "msgsum.h"
 * DESCRIPTION
 *	A listing of messages (popmgr show -messages, the web interface)
 *	shows each message's sender and subject without parsing it again:
 *	delivery cached the common header fields (mime.h, view.fields) and
 *	the envelope facts (cache.h). Only a message without them (one
 *	stored before the cache had them) is read, and then only its
 *	header block, at most MSGSUM_HEADER_MAX bytes.
 *
 *	Header text is decoded (RFC 2047, mime_decode_words) to UTF-8, and
 *	control characters become spaces, so a value is one safe line.
 * MEMORY
 *	Results are appended to caller buffers.
 */
#ifndef POPSTORE_MSGSUM_H
#define POPSTORE_MSGSUM_H

#include <stddef.h>

struct buf;
struct folder;
struct msgrec;

#define MSGSUM_HEADER_MAX	65536	/* header bytes read from a file */

/*
 * Append cache field type (CACHE_SENDER, CACHE_RCPT, ...) of record r
 * to out: 1 found, 0 not (or a damaged cache record).
 */
int msgsum_cached(struct folder *f, const struct msgrec *r, int type,
    struct buf *out);

/* Append the message file's header block (at most MSGSUM_HEADER_MAX). */
void msgsum_header(struct folder *f, const struct msgrec *r, struct buf *out);

/*
 * Append the header fields a listing needs: the cached common fields,
 * else the file's header block.
 */
void msgsum_fields(struct folder *f, const struct msgrec *r, struct buf *out);

/*
 * Append the value of field name of hdr[0..len), decoded and on one
 * line (see DESCRIPTION); nothing when there is no such field.
 */
void msgsum_text(const char *hdr, size_t len, const char *name,
    struct buf *out);

#endif
