/* tap - TAP output for C unit tests; see tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int tap_n, tap_failed;
static char tap_dir[4096];

static void
vline(int ok, const char *fmt, va_list ap)
{
	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!ok)
		tap_failed++;
	fflush(stdout);
}

int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
tap_is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got %lld, want %lld\n", got, want);
	return got == want;
}

int
tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	int same = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	vline(same, fmt, ap);
	va_end(ap);
	if (!same)
		printf("#   got \"%s\"\n#  want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

int
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...)
{
	int same = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);
	va_list ap;

	va_start(ap, fmt);
	vline(same, fmt, ap);
	va_end(ap);
	if (!same)
		printf("#   got %zu bytes \"%.*s\"\n#  want %zu bytes \"%.*s\"\n",
		    glen, (int)(glen > 200 ? 200 : glen), (const char *)got,
		    wlen, (int)(wlen > 200 ? 200 : wlen), (const char *)want);
	return same;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static void
cleanup(void)
{
	char cmd[4200];

	if (tap_dir[0] && tap_failed == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tap_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tap_dir);
	}
}

const char *
tap_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (tap_dir[0])
		return tap_dir;
	snprintf(tap_dir, sizeof(tap_dir), "%s/popstore-unit-XXXXXX",
	    t && *t ? t : "/tmp");
	if (mkdtemp(tap_dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(cleanup);
	return tap_dir;
}

void
tap_write_file(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(content, fp) < 0 || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# failed %d of %d\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
