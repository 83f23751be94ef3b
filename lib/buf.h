/*
 * NAME
 *	buf - growable byte buffer with length and capacity
 * SYNOPSIS
 *	#include "buf.h"
 * DESCRIPTION
 *	The one string type of popstore. A struct buf holds arbitrary bytes
 *	(NUL included) and is always NUL-terminated after its length, so
 *	buf->data can be handed to C string functions when the content has
 *	no NUL. Growth is checked for overflow; running out of memory is
 *	fatal (see mem.h). A zero-initialised struct buf is an empty buffer.
 * MEMORY
 *	The buffer owns data; buf_free() releases it. buf_steal() hands the
 *	data to the caller and leaves the buffer empty.
 */
#ifndef POPSTORE_BUF_H
#define POPSTORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for at least extra more bytes (plus the terminating NUL). */
void buf_reserve(struct buf *b, size_t extra);

/* Append n bytes, a C string, one byte. */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);

/* Append formatted text (vsnprintf, never truncated). */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Set the length to n (n <= len) and keep the NUL terminator. */
void buf_truncate(struct buf *b, size_t n);

/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* The content as a C string ("" for an empty, never-used buffer). */
const char *buf_cstr(const struct buf *b);

/* Hand the data to the caller (never NULL); the buffer becomes empty. */
char *buf_steal(struct buf *b);

/* Release the memory; the buffer is empty and usable afterwards. */
void buf_free(struct buf *b);

/* Wipe the content (for secrets) and release the memory. */
void buf_free_secret(struct buf *b);

#endif
