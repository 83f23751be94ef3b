/* rlog - append-only log of checksummed records; see rlog.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be.h"
#include "buf.h"
#include "crc.h"
#include "file.h"
#include "rlog.h"

static void
make_header(unsigned char *h, uint32_t kind, size_t recsize)
{
	memcpy(h, "PSRL", 4);
	be16_put(h + 4, 1);
	be16_put(h + 6, (uint16_t)recsize);
	be32_put(h + 8, kind);
	be32_put(h + 12, 0);
}

static int
check_header(int fd, uint32_t kind, size_t recsize, char **why_r)
{
	unsigned char want[RLOG_HEADER], got[RLOG_HEADER];
	ssize_t n = pread(fd, got, sizeof(got), 0);

	if (n < 0)
		return file_why(why_r, "rlog header");
	make_header(want, kind, recsize);
	if (n != RLOG_HEADER || memcmp(got, want, RLOG_HEADER) != 0)
		return file_whyf(why_r, "rlog: bad header");
	return 0;
}

int
rlog_record_ok(const unsigned char *rec, size_t recsize)
{
	return crc32c(rec, recsize - 4) == be32_get(rec + recsize - 4);
}

int
rlog_open(const char *path)
{
	return file_open(path, O_RDONLY, 0);
}

int
rlog_read_last(int fd, uint32_t kind, size_t recsize, unsigned char *rec,
    char **why_r)
{
	struct stat st;
	off_t off;

	if (recsize < 8 || recsize > 65535)
		return file_whyf(why_r, "rlog: bad record size");
	if (fstat(fd, &st) < 0)
		return file_why(why_r, "rlog");
	if (st.st_size < RLOG_HEADER)
		return st.st_size == 0 ? 0 : file_whyf(why_r, "rlog: short header");
	if (check_header(fd, kind, recsize, why_r) < 0)
		return -1;
	off = RLOG_HEADER +
	    (st.st_size - RLOG_HEADER) / (off_t)recsize * (off_t)recsize;
	/* Walk back over a torn or damaged tail; bounded by the log size,
	 * which compaction keeps small. */
	while (off > RLOG_HEADER) {
		off -= (off_t)recsize;
		if (pread(fd, rec, recsize, off) != (ssize_t)recsize)
			return file_why(why_r, "rlog read");
		if (rlog_record_ok(rec, recsize))
			return 1;
	}
	return 0;
}

static int
compact(const char *path, uint32_t kind, size_t recsize,
    const unsigned char *rec, int sync, char **why_r)
{
	struct buf b = BUF_INIT;
	unsigned char h[RLOG_HEADER];
	int rc;

	make_header(h, kind, recsize);
	buf_append(&b, h, sizeof(h));
	buf_append(&b, rec, recsize);
	rc = file_write_atomic(path, b.data, b.len, 0600,
	    sync ? 0 : FILE_NOSYNC, why_r);
	buf_free(&b);
	return rc;
}

int
rlog_append(const char *path, uint32_t kind, size_t recsize,
    unsigned char *rec, int flags, char **why_r)
{
	unsigned char h[RLOG_HEADER];
	int sync = flags & RLOG_SYNC;
	struct stat st;
	off_t off;
	int fd, rc = -1;

	be32_put(rec + recsize - 4, crc32c(rec, recsize - 4));
	fd = file_open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return file_why(why_r, path);
	if (fstat(fd, &st) < 0) {
		file_why(why_r, path);
		goto out;
	}
	if (st.st_size < RLOG_HEADER) {
		make_header(h, kind, recsize);
		if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
			file_why(why_r, path);
			goto out;
		}
		st.st_size = RLOG_HEADER;
	} else if (check_header(fd, kind, recsize, why_r) < 0) {
		goto out;
	}
	off = RLOG_HEADER +
	    (st.st_size - RLOG_HEADER) / (off_t)recsize * (off_t)recsize;
	if (!(flags & RLOG_KEEP) &&
	    off >= RLOG_HEADER + (off_t)recsize * RLOG_COMPACT_AT) {
		rc = compact(path, kind, recsize, rec, sync, why_r);
		goto out;
	}
	if (pwrite(fd, rec, recsize, off) != (ssize_t)recsize ||
	    (sync && fdatasync(fd) < 0)) {
		if (errno == 0)
			errno = ENOSPC;
		file_why(why_r, path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
rlog_scan(int fd, uint32_t kind, size_t recsize,
    int (*fn)(const unsigned char *, void *), void *ctx, char **why_r)
{
	unsigned char buf[65536];
	size_t per = sizeof(buf) / recsize, i, got;
	off_t off = RLOG_HEADER;
	ssize_t n;
	struct stat st;
	int rc = 0;

	if (recsize < 8 || recsize > sizeof(buf))
		return file_whyf(why_r, "rlog: bad record size");
	if (fstat(fd, &st) < 0)
		return file_why(why_r, "rlog");
	if (st.st_size == 0)
		return 0;
	if (check_header(fd, kind, recsize, why_r) < 0)
		return -1;
	while (rc == 0) {
		n = pread(fd, buf, per * recsize, off);
		if (n < 0)
			return file_why(why_r, "rlog read");
		got = (size_t)n / recsize;
		if (got == 0)
			break;
		for (i = 0; i < got && rc == 0; i++)
			if (rlog_record_ok(buf + i * recsize, recsize))
				rc = fn(buf + i * recsize, ctx);
		off += (off_t)(got * recsize);
	}
	return rc;
}
