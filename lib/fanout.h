/*
 * NAME
 *	fanout - hashed directory tree for per-account files
 * DESCRIPTION
 *	Millions of accounts must never put more than a few hundred entries
 *	in one directory. An account (or forwarding) name maps to
 *
 *		BASE/HH/hh/ENCODED
 *
 *	where h = FNV-1a-32 of the canonical name's bytes (offset basis
 *	2166136261, prime 16777619), HH = the top byte of h and hh the next
 *	byte, both as two lowercase hex digits. Two levels of 256 give
 *	65,536 leaf directories: 1,000,000 accounts average 15 per leaf.
 *
 *	ENCODED is the name as one safe path component: the bytes a-z, 0-9,
 *	'-', '_', '+', '@' stand for themselves, '.' too except as the first
 *	byte; every other byte (upper case included, so that names stay
 *	distinct on case-insensitive file systems) becomes %XX with two
 *	upper-case hex digits. "", "." and ".." can never result.
 *
 *	This is part of the on-disk format (popstore(5)): changing the hash
 *	or the encoding needs a store version change.
 * MEMORY
 *	Results are appended to a caller's struct buf.
 */
#ifndef POPSTORE_FANOUT_H
#define POPSTORE_FANOUT_H

#include <stdint.h>

struct buf;

/* FNV-1a 32-bit hash of a C string. */
uint32_t fanout_hash(const char *name);

/* Append the encoded form of name (non-empty) to out. */
void fanout_encode(const char *name, struct buf *out);

/* Append the decoded form of an encoded component; -1 if malformed
 * (bad escape, an escape that was not needed, or a NUL). */
int fanout_decode(const char *comp, struct buf *out);

/* Append "HH/hh" for name to out. */
void fanout_dirs(const char *name, struct buf *out);

/* Append base + "/HH/hh/" + encoded name to out. */
void fanout_path(const char *base, const char *name, struct buf *out);

/*
 * Call fn for every entry under base (two hashed levels), with the
 * decoded name and its full path, in no particular order. Entries whose
 * name does not decode, or which sit in the wrong bucket, are reported
 * through bad (may be NULL) and skipped. A nonzero return from fn stops
 * the walk and is returned. -1 with *why_r on a read error.
 */
int fanout_walk(const char *base,
    int (*fn)(const char *name, const char *path, void *ctx),
    void (*bad)(const char *path, void *ctx), void *ctx, char **why_r);

#endif
