/* lock - fcntl record locks with a timeout; see lock.h. */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "lock.h"

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
lock_fd(int fd, int exclusive, unsigned timeout)
{
	struct flock fl = { 0 };
	struct timespec nap = { 0, 1000000 };
	double deadline = now_seconds() + timeout;

	fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			return -1;
		if (now_seconds() >= deadline) {
			errno = EWOULDBLOCK;
			return -1;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 20000000)
			nap.tv_nsec *= 2;
	}
	return 0;
}

int
lock_acquire(const char *path, int exclusive, unsigned timeout, char **why_r)
{
	int fd, saved;

	fd = file_open(path, (exclusive ? O_RDWR : O_RDONLY) | O_CREAT, 0600);
	if (fd < 0 && !exclusive && errno == EACCES)
		fd = file_open(path, O_RDONLY, 0);
	if (fd < 0)
		return file_why(why_r, path);
	if (lock_fd(fd, exclusive, timeout) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		if (saved == EWOULDBLOCK)
			return file_whyf(why_r, "lock timeout: %s", path);
		return file_why(why_r, path);
	}
	return fd;
}

void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
