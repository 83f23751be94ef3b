/*
 * netio-test.h - helpers shared by the netio and TLS unit tests
 * (121-netio-fd.c, 122-tls.c): a forked child plays the server on a
 * netio while the test process plays the client.
 */
#ifndef POPSTORE_NETIO_TEST_H
#define POPSTORE_NETIO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "netio.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK()	__lsan_do_leak_check()
#else
#define LEAK_CHECK()	((void)0)
#endif

typedef int (*server_fn)(struct netio *n, void *arg);

/*
 * Run fn on a netio over rfd/wfd (5 s idle timeout) in a child whose
 * exit status is fn's result; close_fd is the client's end, closed in
 * the child. fn leaves the netio to serve(), which closes it (flush,
 * TLS close_notify) and, under ASan, checks the child for leaks. The
 * child leaves with _exit(): no atexit() cleanup, no second TAP plan.
 */
static inline pid_t
serve(int rfd, int wfd, int close_fd, server_fn fn, void *arg)
{
	pid_t pid = fork();
	char *why = NULL;
	struct netio *n;
	int st;

	if (pid != 0)
		return pid;
	if (close_fd >= 0)
		close(close_fd);
	if ((n = netio_create(rfd, wfd, &why)) == NULL)
		_exit(99);
	netio_set_timeout(n, 5000);
	st = fn(n, arg);
	netio_close(n);
	LEAK_CHECK();
	_exit(st);
}

/* The child's exit status, or 128 + signal. */
static inline int
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Append everything up to EOF. */
static inline void
read_all(int fd, struct buf *b)
{
	char tmp[65536];
	ssize_t r;

	while ((r = read(fd, tmp, sizeof(tmp))) > 0 ||
	    (r < 0 && errno == EINTR))
		if (r > 0)
			buf_append(b, tmp, (size_t)r);
}

static inline long long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Write a fixture file; the test stops if it cannot. */
static inline void
make_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0) {
		perror(path);
		exit(2);
	}
}

/* len pseudo-random bytes drawn from alphabet (NULL: any byte). */
static inline void
random_bytes(struct buf *b, size_t len, const char *alphabet,
    unsigned seed)
{
	size_t i, na = alphabet ? strlen(alphabet) : 0;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf_putc(b, na ? alphabet[(seed >> 16) % na] :
		    (int)(seed >> 16));
	}
}

#endif
