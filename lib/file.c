/* file - safe, durable file operations; see file.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"

int
file_why(char **why_r, const char *what)
{
	int saved = errno;

	if (why_r) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s: %s", what, strerror(saved));
		*why_r = buf_steal(&b);
	}
	errno = saved;
	return -1;
}

int
file_whyf(char **why_r, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (why_r) {
		struct buf b = BUF_INIT;

		va_start(ap, fmt);
		buf_vprintf(&b, fmt, ap);
		va_end(ap);
		*why_r = buf_steal(&b);
	}
	errno = saved;
	return -1;
}

int
file_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

int
file_open_store_at(int dfd, uid_t owner, const char *name)
{
	struct stat st;
	int fd, saved;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		saved = errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != owner)
		saved = EPERM;
	else
		return fd;
	close(fd);
	errno = saved;
	return -1;
}

int
file_open_store(const char *dir, const char *name)
{
	struct stat dst;
	int dfd, fd, saved;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(dfd, &dst) < 0)
		fd = -1;
	else
		fd = file_open_store_at(dfd, dst.st_uid, name);
	saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int flags, char **why_r)
{
	struct buf tmp = BUF_INIT;
	int fd, saved;

	buf_printf(&tmp, "%s.new.%ld", path, (long)getpid());
	(void)unlink(tmp.data);
	fd = file_open(tmp.data, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		goto fail;
	if (write_all(fd, data, len) < 0 ||
	    (!(flags & FILE_NOSYNC) && fsync(fd) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (close(fd) < 0 || rename(tmp.data, path) < 0)
		goto fail_unlink;
	if (!(flags & FILE_NOSYNC) && file_fsync_parent(path) < 0)
		goto fail;
	buf_free(&tmp);
	return 0;
fail_unlink:
	saved = errno;
	(void)unlink(tmp.data);
	errno = saved;
fail:
	file_why(why_r, path);
	buf_free(&tmp);
	return -1;
}

int
file_read(const char *path, size_t max, struct buf *out, char **why_r)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = file_open(path, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return file_why(why_r, path);
	}
	if (fstat(fd, &st) < 0) {
		file_why(why_r, path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return file_whyf(why_r, "%s: %s", path, S_ISREG(st.st_mode) ?
		    "file too large" : "not a regular file");
	}
	buf_reserve(out, (size_t)st.st_size);
	for (;;) {
		buf_reserve(out, 4096);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		got += (size_t)n;
		if (got > max) {
			close(fd);
			return file_whyf(why_r, "%s: file too large", path);
		}
	}
	out->data[out->len] = '\0';
	if (n < 0) {
		file_why(why_r, path);
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

int
file_mkdirs(const char *path, mode_t mode, char **why_r)
{
	struct buf p = BUF_INIT;
	size_t i;

	buf_puts(&p, path);
	for (i = 1; i <= p.len; i++) {
		if (p.data[i] != '/' && p.data[i] != '\0')
			continue;
		p.data[i] = '\0';
		if (mkdir(p.data, mode) < 0 && errno != EEXIST) {
			file_why(why_r, p.data);
			buf_free(&p);
			return -1;
		}
		if (i < p.len)
			p.data[i] = '/';
	}
	buf_free(&p);
	return 0;
}

int
file_mkparents(const char *path, mode_t mode, char **why_r)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = BUF_INIT;
	int rc;

	if (slash == NULL || slash == path)
		return 0;
	buf_append(&dir, path, (size_t)(slash - path));
	rc = file_mkdirs(dir.data, mode, why_r);
	buf_free(&dir);
	return rc;
}

int
file_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
file_fsync_parent(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int rc;

	if (slash == NULL)
		buf_puts(&dir, ".");
	else if (slash == path)
		buf_puts(&dir, "/");
	else
		buf_append(&dir, path, (size_t)(slash - path));
	rc = file_fsync_dir(dir.data);
	buf_free(&dir);
	return rc;
}

int
file_syncfs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int
remove_at(int parent, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = remove_at(dirfd(d), de->d_name);
	}
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int
file_remove_tree(const char *path, char **why_r)
{
	if (remove_at(AT_FDCWD, path) < 0)
		return file_why(why_r, path);
	return 0;
}

int
file_errno_temporary(int err)
{
	switch (err) {
	case ENAMETOOLONG:	/* the same input will always fail */
	case EINVAL:
		return 0;
	default:
		/* Disk full, quota, I/O errors, locks, resource limits, a
		 * missing or unwritable directory a site can fix: never worth
		 * a bounce. */
		return 1;
	}
}
