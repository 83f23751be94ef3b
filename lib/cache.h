/*
 * NAME
 *	cache - the payload of a folder cache record
 * DESCRIPTION
 *	What delivery computes once and sessions serve many times is kept in
 *	the folder's cache (folder.h) as a payload of typed fields: each
 *	field is a type byte, a 4-byte big-endian length and the bytes.
 *	Unknown types are skipped, so newer fields do not break older
 *	readers. Types:
 *
 *	CACHE_MIME	the MIME information blob (mime.h encoding)
 *	CACHE_SENDER	the envelope sender (Return-Path address, may be "")
 *	CACHE_RCPT	the original recipient address of this copy
 *	CACHE_UIDL	a POP3 UIDL kept from a migrated mailbox
 *
 *	The payload is data read from disk: cache_field() checks every
 *	length against the payload size.
 * MEMORY
 *	cache_field() returns pointers into the caller's payload.
 */
#ifndef POPSTORE_CACHE_H
#define POPSTORE_CACHE_H

#include <stddef.h>

struct buf;

#define CACHE_MIME	1
#define CACHE_SENDER	2
#define CACHE_RCPT	3
#define CACHE_UIDL	4

/* Append one field to a payload being built. */
void cache_put(struct buf *payload, int type, const void *data, size_t len);

/*
 * Find the first field of a type: 1 found (*p_r, *len_r set), 0 absent,
 * -1 when the payload is malformed.
 */
int cache_field(const void *payload, size_t len, int type, const void **p_r,
    size_t *len_r);

#endif
