/*
 * NAME
 *	rlog - append-only log of fixed-size checksummed records
 * DESCRIPTION
 *	Small state that changes often (an account's usage counters, a
 *	folder's UIDNEXT and counts) is kept as a log: every change appends
 *	one whole record, and the current state is the last record whose
 *	checksum is right. A torn tail after a crash is detected and the
 *	record before it used; nothing is ever rewritten in place.
 *
 *	File: a 16-byte header - magic "PSRL", version (2 bytes, 1), record
 *	size (2 bytes), kind (4 bytes, e.g. "USAG"), 4 zero bytes - then
 *	records. A record's last 4 bytes are the CRC-32C of the rest. All
 *	numbers big-endian. When the log passes RLOG_COMPACT_AT records the
 *	writer replaces it (write new + rename) with its last record.
 *
 *	Callers serialise writers with their own lock; readers need none.
 * MEMORY
 *	Records are caller buffers of exactly recsize bytes.
 */
#ifndef POPSTORE_RLOG_H
#define POPSTORE_RLOG_H

#include <stddef.h>
#include <stdint.h>

#define RLOG_HEADER		16
#define RLOG_COMPACT_AT		4096

/*
 * The last valid record of the log at fd into rec. Returns 1, 0 when the
 * log holds no valid record (empty, or every record damaged), -1 when
 * the header is wrong (kind or size) or on an I/O error, with *why_r.
 */
int rlog_read_last(int fd, uint32_t kind, size_t recsize, unsigned char *rec,
    char **why_r);

#define RLOG_SYNC	0x01	/* durable (fdatasync) before return */
#define RLOG_KEEP	0x02	/* never compact: the caller trims */

/*
 * Append rec (its checksum is filled in) to the log at path, creating
 * the log if needed; compacts when the log is long unless RLOG_KEEP.
 * 0 or -1 with *why_r.
 */
int rlog_append(const char *path, uint32_t kind, size_t recsize,
    unsigned char *rec, int flags, char **why_r);

/*
 * Call fn for each valid record of the log at fd, in order (damaged
 * records are skipped). fn returns nonzero to stop. -1 on a bad header
 * or I/O error.
 */
int rlog_scan(int fd, uint32_t kind, size_t recsize,
    int (*fn)(const unsigned char *rec, void *ctx), void *ctx, char **why_r);

/* 1 if a record's checksum is right. */
int rlog_record_ok(const unsigned char *rec, size_t recsize);

/* Open a log for reading (O_NOFOLLOW); -1 with errno (ENOENT if none). */
int rlog_open(const char *path);

/* Build a kind from four characters, e.g. RLOG_KIND('U','S','A','G'). */
#define RLOG_KIND(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#endif
