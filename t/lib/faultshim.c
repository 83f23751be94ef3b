/*
 * faultshim - an LD_PRELOAD library that makes the Nth call of chosen
 * system calls fail, for popstore's fault-injection tests.
 *
 * Environment:
 *	FAULT_FUNCS	comma-separated calls to count (default: all of
 *			write, pwrite, fsync, fdatasync, syncfs, link, rename,
 *			open, openat); open counts open/open64/__open_2,
 *			openat likewise, pwrite counts pwrite64
 *	FAULT_NTH	the 1-based number of the counted call that fails
 *			(unset or 0: none fails)
 *	FAULT_STICKY	1: every counted call from the Nth on fails
 *	FAULT_ERRNO	the errno it fails with: a number or EIO, ENOSPC,
 *			EDQUOT, EROFS, EACCES, EMFILE (default EIO)
 *	FAULT_COUNT_FILE  at exit, the number of counted calls is written
 *			here (to learn how many calls a run makes)
 *	FAULT_LOG	a file that gets "N name" of the call that failed
 *
 * Counting is per process; a forked child starts from its parent's count.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long count, nth;
static int sticky, fail_errno = EIO, inited;
static char funcs[512];

static void
init(void)
{
	const char *s;

	if (inited)
		return;
	inited = 1;
	if ((s = getenv("FAULT_NTH")) != NULL)
		nth = strtoul(s, NULL, 10);
	sticky = (s = getenv("FAULT_STICKY")) != NULL && *s == '1';
	if ((s = getenv("FAULT_ERRNO")) != NULL) {
		if (strcmp(s, "ENOSPC") == 0)
			fail_errno = ENOSPC;
		else if (strcmp(s, "EDQUOT") == 0)
			fail_errno = EDQUOT;
		else if (strcmp(s, "EROFS") == 0)
			fail_errno = EROFS;
		else if (strcmp(s, "EACCES") == 0)
			fail_errno = EACCES;
		else if (strcmp(s, "EMFILE") == 0)
			fail_errno = EMFILE;
		else if (strcmp(s, "EIO") == 0)
			fail_errno = EIO;
		else if (atoi(s) > 0)
			fail_errno = atoi(s);
	}
	s = getenv("FAULT_FUNCS");
	snprintf(funcs, sizeof(funcs), ",%s,", s && *s ? s :
	    "write,pwrite,fsync,fdatasync,syncfs,link,rename,open,openat");
}

/* Record the failed call, bypassing the wrappers (raw system calls). */
static void
note(const char *name)
{
	const char *path = getenv("FAULT_LOG");
	char line[128];
	long fd;
	int n;

	if (path == NULL)
		return;
	fd = syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%lu %s\n", count, name);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)syscall(SYS_write, fd, line, (size_t)n);
	(void)syscall(SYS_close, fd);
}

/* 1 when this call of name must fail. */
static int
hit(const char *name)
{
	char key[64];

	init();
	snprintf(key, sizeof(key), ",%s,", name);
	if (strstr(funcs, key) == NULL)
		return 0;
	count++;
	if (nth == 0 || (sticky ? count < nth : count != nth))
		return 0;
	note(name);
	errno = fail_errno;
	return 1;
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("FAULT_COUNT_FILE");
	FILE *fp;

	if (path && (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%lu\n", count);
		fclose(fp);
	}
}

#define REAL(type, name, args) \
	static type (*real)args; \
	if (real == NULL) \
		real = (type (*)args)dlsym(RTLD_NEXT, name)

ssize_t
write(int fd, const void *p, size_t n)
{
	REAL(ssize_t, "write", (int, const void *, size_t));
	return hit("write") ? -1 : real(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(ssize_t, "pwrite", (int, const void *, size_t, off_t));
	return hit("pwrite") ? -1 : real(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	REAL(ssize_t, "pwrite64", (int, const void *, size_t, off_t));
	return hit("pwrite") ? -1 : real(fd, p, n, off);
}

int
fsync(int fd)
{
	REAL(int, "fsync", (int));
	return hit("fsync") ? -1 : real(fd);
}

int
fdatasync(int fd)
{
	REAL(int, "fdatasync", (int));
	return hit("fdatasync") ? -1 : real(fd);
}

int
syncfs(int fd)
{
	REAL(int, "syncfs", (int));
	return hit("syncfs") ? -1 : real(fd);
}

int
link(const char *a, const char *b)
{
	REAL(int, "link", (const char *, const char *));
	return hit("link") ? -1 : real(a, b);
}

int
rename(const char *a, const char *b)
{
	REAL(int, "rename", (const char *, const char *));
	return hit("rename") ? -1 : real(a, b);
}

#define OPEN_LIKE(fn, sym, counted) \
int \
fn(const char *path, int flags, ...) \
{ \
	mode_t mode = 0; \
	va_list ap; \
	REAL(int, sym, (const char *, int, ...)); \
	if (flags & (O_CREAT | O_TMPFILE)) { \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
	return hit(counted) ? -1 : real(path, flags, mode); \
}
OPEN_LIKE(open, "open", "open")
OPEN_LIKE(open64, "open64", "open")

#define OPENAT_LIKE(fn, sym) \
int \
fn(int dirfd, const char *path, int flags, ...) \
{ \
	mode_t mode = 0; \
	va_list ap; \
	REAL(int, sym, (int, const char *, int, ...)); \
	if (flags & (O_CREAT | O_TMPFILE)) { \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
	return hit("openat") ? -1 : real(dirfd, path, flags, mode); \
}
OPENAT_LIKE(openat, "openat")
OPENAT_LIKE(openat64, "openat64")

int __open_2(const char *path, int flags);
int
__open_2(const char *path, int flags)
{
	REAL(int, "__open_2", (const char *, int));
	return hit("open") ? -1 : real(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags);
int
__openat_2(int dirfd, const char *path, int flags)
{
	REAL(int, "__openat_2", (int, const char *, int));
	return hit("openat") ? -1 : real(dirfd, path, flags);
}
