/*
 * NAME
 *	mem - memory allocation that cannot fail
 * SYNOPSIS
 *	#include "mem.h"
 * DESCRIPTION
 *	Every allocation in popstore goes through these functions. Running
 *	out of memory is fatal in this one place: the program logs one line
 *	and exits with the code set by mem_set_fatal_exit() (default 75,
 *	EX_TEMPFAIL, so that a delivery is retried rather than bounced).
 *	Sizes are size_t and products are checked for overflow before any
 *	allocation is attempted.
 * MEMORY
 *	The caller owns what these functions return and frees it with free().
 */
#ifndef POPSTORE_MEM_H
#define POPSTORE_MEM_H

#include <stddef.h>

/* Exit code used when an allocation fails or a size overflows. */
void mem_set_fatal_exit(int code);

/*
 * Text put before the reason on the one stderr line (default "fatal: ";
 * deliver uses "4.3.0 deliver: " so the MTA reads an enhanced status
 * code). The string must stay valid.
 */
void mem_set_fatal_prefix(const char *prefix);

/* Report a fatal resource problem and exit; used by mem itself. */
void mem_fatal(const char *what) __attribute__((noreturn));

/* malloc(n * size); n * size overflowing is fatal. */
void *mem_alloc(size_t n, size_t size);

/* calloc(n, size). */
void *mem_zalloc(size_t n, size_t size);

/* realloc(p, n * size); n * size overflowing is fatal. */
void *mem_realloc(void *p, size_t n, size_t size);

/* Copies of a C string and of the first len bytes of s (NUL added). */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t len);

/* a + b, fatal on overflow. */
size_t mem_add(size_t a, size_t b);

/* Wipe and free a secret; NULL is allowed. */
void mem_free_secret(char *s);

#endif
