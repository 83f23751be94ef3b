/* mem - allocation that cannot fail; see mem.h. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "mem.h"

static int fatal_exit = 75;
static const char *fatal_prefix = "fatal: ";

void
mem_set_fatal_exit(int code)
{
	fatal_exit = code;
}

void
mem_set_fatal_prefix(const char *prefix)
{
	fatal_prefix = prefix;
}

void
mem_fatal(const char *what)
{
	/* No allocation, no stdio buffering: memory is what ran out. */
	syslog(LOG_MAIL | LOG_CRIT, "event=fatal reason=%s", what);
	if (write(2, fatal_prefix, strlen(fatal_prefix)) >= 0 &&
	    write(2, what, strlen(what)) >= 0 && write(2, "\n", 1) < 0) {
		/* nothing more to tell, and nowhere to tell it */
	}
	_exit(fatal_exit);
}

/*
 * A block of 4 MB or more (the keys or results of a SORT, SEARCH or
 * FETCH over a folder of a hundred thousand messages) asks for
 * transparent huge pages where the system leaves them to madvise():
 * one page fault per 2 MB instead of 512, and fewer TLB misses. Only
 * the 2 MB-aligned inside of the block is advised; the kernel ignores
 * the advice where huge pages are off.
 */
#define HUGE_MIN	((size_t)4 << 20)
#define HUGE_PAGE	((uintptr_t)2 << 20)

static void *
huge_hint(void *p, size_t total)
{
	uintptr_t a, e;

	if (total >= HUGE_MIN) {
		a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		e = ((uintptr_t)p + total) & ~(HUGE_PAGE - 1);
		if (e > a)
			(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
	return p;
}

void *
mem_alloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		mem_fatal("allocation size overflow");
	p = malloc(total ? total : 1);
	if (p == NULL)
		mem_fatal("out of memory");
	return huge_hint(p, total);
}

void *
mem_zalloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		mem_fatal("allocation size overflow");
	p = calloc(total ? total : 1, 1);
	if (p == NULL)
		mem_fatal("out of memory");
	return huge_hint(p, total);
}

void *
mem_realloc(void *old, size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		mem_fatal("allocation size overflow");
	p = realloc(old, total ? total : 1);
	if (p == NULL)
		mem_fatal("out of memory");
	return huge_hint(p, total);
}

char *
mem_strndup(const char *s, size_t len)
{
	char *p = mem_alloc(mem_add(len, 1), 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

size_t
mem_add(size_t a, size_t b)
{
	size_t r;

	if (__builtin_add_overflow(a, b, &r))
		mem_fatal("size overflow");
	return r;
}

void
mem_free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
