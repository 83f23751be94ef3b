/* mbox - Berkeley mailbox files; see mbox.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crc.h"
#include "file.h"
#include "lock.h"
#include "mbox.h"
#include "mem.h"

#define RD_SIZE		65536	/* read buffer: longest piece of a line */
#define TOUCH_EVERY	60	/* seconds between dotlock refreshes */

struct mbox_file {
	char		*path;
	int		 fd;
	int		 flags;
	int		 rdonly;
	int		 locked;	/* fcntl lock held */
	int		 dotlocked;
	time_t		 touched;	/* last dotlock refresh */
	struct mbox_msg	*msgs;
	size_t		 n, cap;
};

/* ---- a reader handing out lines (or pieces of long lines) ---- */

struct rd {
	int		 fd;
	char		*buf;
	size_t		 pos, len;
	uint64_t	 off;		/* file offset of buf[0] */
	uint64_t	 stop;		/* no piece goes past this offset */
};

static void
rd_init(struct rd *r, int fd, uint64_t start, uint64_t stop)
{
	r->fd = fd;
	r->buf = mem_alloc(1, RD_SIZE);
	r->pos = r->len = 0;
	r->off = start;
	r->stop = stop;
}

static uint64_t
rd_tell(const struct rd *r)
{
	return r->off + r->pos;
}

/* Read more after the buffered bytes. 1, 0 at the stop, -1 error. */
static int
rd_fill(struct rd *r)
{
	uint64_t at, room;
	ssize_t got;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->off += r->pos;
		r->len -= r->pos;
		r->pos = 0;
	}
	at = r->off + r->len;
	if (at >= r->stop || r->len == RD_SIZE)
		return 0;	/* (a stop moved back: the bytes stay buffered) */
	room = RD_SIZE - r->len;
	if (room > r->stop - at)
		room = r->stop - at;
	do
		got = pread(r->fd, r->buf + r->len, (size_t)room, (off_t)at);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	if (got == 0) {
		r->stop = at;	/* the file is shorter than expected */
		return 0;
	}
	r->len += (size_t)got;
	return 1;
}

/* Buffered bytes the reader may hand out (none past the stop). */
static size_t
rd_avail(const struct rd *r)
{
	uint64_t at = r->off + r->pos, have = r->len - r->pos;

	if (at >= r->stop)
		return 0;
	return have < r->stop - at ? (size_t)have : (size_t)(r->stop - at);
}

/*
 * The next piece: a whole line with its LF, or as much of a long line
 * as the buffer holds, or the unterminated end. 1, 0 at the stop, -1.
 */
static int
rd_piece(struct rd *r, const char **p_r, size_t *len_r)
{
	const char *lf;
	size_t have;
	int f;

	for (;;) {
		have = rd_avail(r);
		lf = have ? memchr(r->buf + r->pos, '\n', have) : NULL;
		if (lf) {
			*p_r = r->buf + r->pos;
			*len_r = (size_t)(lf - *p_r) + 1;
			r->pos += *len_r;
			return 1;
		}
		if (have < r->len - r->pos || (f = rd_fill(r)) == 0)
			break;
		if (f < 0)
			return -1;
	}
	if ((have = rd_avail(r)) == 0)
		return 0;
	*p_r = r->buf + r->pos;
	*len_r = have;
	r->pos += have;
	return 1;
}

/* ---- line classification ---- */

static int
is_from_line(const char *p, size_t len)
{
	return len >= 5 && memcmp(p, "From ", 5) == 0;
}

/* Is the line (at its start) quoted, by the file's convention? */
static int
is_quoted(const char *p, size_t len, int mboxrd)
{
	size_t i = 1;

	if (len < 6 || p[0] != '>')
		return 0;
	if (mboxrd)
		while (i < len && p[i] == '>')
			i++;
	return is_from_line(p + i, len - i);
}

static int
is_blank(const char *p, size_t len)
{
	return (len == 1 && p[0] == '\n') ||
	    (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* "Content-Length: N" (any case); N in *v. */
static int
content_length(const char *p, size_t len, uint64_t *v)
{
	size_t i = 15;
	uint64_t n = 0;
	int digits = 0;

	if (len < 16 || strncasecmp(p, "Content-Length:", 15) != 0)
		return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < len && isdigit((unsigned char)p[i]); i++, digits++)
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (uint64_t)(p[i] - '0'), &n))
			return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (!digits || i != len)
		return 0;
	*v = n;
	return 1;
}

/* ---- open, close ---- */

int
mbox_open(const char *path, int flags, struct mbox_file **mb_r, char **why_r)
{
	struct mbox_file *mb;
	struct stat st;
	int fd = -1, rdonly = (flags & MBOX_RDONLY) != 0;

	if (!rdonly) {
		fd = file_open(path, O_RDWR, 0);
		if (fd < 0 && (errno == EACCES || errno == EROFS))
			rdonly = 1;
	}
	if (fd < 0 && rdonly)
		fd = file_open(path, O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : file_why(why_r, path);
	if (fstat(fd, &st) < 0) {
		file_why(why_r, path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return file_whyf(why_r, "%s: not a regular file", path);
	}
	mb = mem_zalloc(1, sizeof(*mb));
	mb->path = mem_strdup(path);
	mb->fd = fd;
	mb->flags = flags;
	mb->rdonly = rdonly;
	*mb_r = mb;
	return 1;
}

void
mbox_close(struct mbox_file *mb)
{
	if (mb == NULL)
		return;
	mbox_unlock(mb);
	close(mb->fd);
	free(mb->msgs);
	free(mb->path);
	free(mb);
}

int
mbox_is_rdonly(const struct mbox_file *mb)
{
	return mb->rdonly;
}

size_t
mbox_count(const struct mbox_file *mb)
{
	return mb->n;
}

const struct mbox_msg *
mbox_msg(const struct mbox_file *mb, size_t i)
{
	return i < mb->n ? &mb->msgs[i] : NULL;
}

/* ---- locking ---- */

static void
lock_path(const struct mbox_file *mb, const char *suffix, struct buf *out)
{
	buf_printf(out, "%s%s", mb->path, suffix);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A unique file beside the mailbox for link(2): 0, or -1 with errno. */
static int
dotlock_tmp(const struct mbox_file *mb, struct buf *tmp)
{
	char host[64], pid[32];
	size_t i;
	int fd, len;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i]; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '-')
			host[i] = '_';
	buf_printf(tmp, "%s.lk.%s.%ld", mb->path, host, (long)getpid());
	fd = file_open(tmp->data, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST) {
		(void)unlink(tmp->data);
		fd = file_open(tmp->data, O_WRONLY | O_CREAT | O_EXCL, 0644);
	}
	if (fd < 0)
		return -1;
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (write(fd, pid, (size_t)len) != len || close(fd) < 0) {
		(void)unlink(tmp->data);
		if (errno == 0)
			errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* link() the unique file to FILE.lock until it works or time runs out. */
static int
dotlock_take(struct mbox_file *mb, double deadline, char **why_r)
{
	struct buf lock = BUF_INIT, tmp = BUF_INIT;
	struct timespec nap = { 0, 5000000 };
	struct stat st;
	int rc = -1;

	lock_path(mb, ".lock", &lock);
	if (dotlock_tmp(mb, &tmp) < 0) {
		file_why(why_r, lock.data);
		goto out;
	}
	for (;;) {
		int r = link(tmp.data, lock.data), e = errno;

		/* Over NFS a link may be made but reported failed. */
		if (r == 0 || (stat(tmp.data, &st) == 0 && st.st_nlink == 2)) {
			rc = 0;
			break;
		}
		if ((errno = e) != EEXIST) {
			file_why(why_r, lock.data);
			break;
		}
		if (stat(lock.data, &st) == 0 &&
		    time(NULL) - st.st_mtime > MBOX_DOTLOCK_STALE &&
		    unlink(lock.data) == 0)
			continue;
		if (now_seconds() >= deadline) {
			errno = EWOULDBLOCK;
			file_whyf(why_r, "lock timeout: %s", lock.data);
			break;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 100000000)
			nap.tv_nsec *= 2;
	}
	{
		int saved = errno;

		(void)unlink(tmp.data);
		errno = saved;
	}
	if (rc == 0) {
		mb->dotlocked = 1;
		mb->touched = time(NULL);
	}
out:
	buf_free(&lock);
	buf_free(&tmp);
	return rc;
}

static void
fcntl_unlock(struct mbox_file *mb)
{
	struct flock fl = { 0 };

	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(mb->fd, F_SETLK, &fl);
	mb->locked = 0;
}

int
mbox_lock(struct mbox_file *mb, int mode, unsigned timeout, char **why_r)
{
	double deadline = now_seconds() + timeout;
	int excl = mode == MBOX_LOCK_EXCLUSIVE;

	mbox_unlock(mb);
	if (excl && mb->rdonly) {
		errno = EACCES;
		return file_whyf(why_r, "%s: opened read-only", mb->path);
	}
	if (lock_fd(mb->fd, excl, timeout) < 0)
		return errno == EWOULDBLOCK ?
		    file_whyf(why_r, "lock timeout: %s", mb->path) :
		    file_why(why_r, mb->path);
	mb->locked = 1;
	if (excl && dotlock_take(mb, deadline, why_r) < 0) {
		int saved = errno;

		fcntl_unlock(mb);
		errno = saved;
		return -1;
	}
	return 0;
}

void
mbox_unlock(struct mbox_file *mb)
{
	struct buf lock = BUF_INIT;

	if (mb->dotlocked) {
		lock_path(mb, ".lock", &lock);
		(void)unlink(lock.data);
		buf_free(&lock);
		mb->dotlocked = 0;
	}
	if (mb->locked)
		fcntl_unlock(mb);
}

/* Keep a long-held dotlock from looking stale to others. */
static void
dotlock_touch(struct mbox_file *mb)
{
	struct buf lock = BUF_INIT;
	time_t now;

	if (!mb->dotlocked || (now = time(NULL)) - mb->touched < TOUCH_EVERY)
		return;
	lock_path(mb, ".lock", &lock);
	(void)utimes(lock.data, NULL);
	buf_free(&lock);
	mb->touched = now;
}

/* ---- scanning ---- */

struct scan {
	struct mbox_file *mb;
	struct rd	 rd;
	uint64_t	 fsize;
	struct mbox_msg	*cur;		/* message being indexed, or NULL */
	int		 in_from;	/* within a long From_ line */
	int		 in_header;
	uint64_t	 hdr_scanned;
	uint64_t	 cl;		/* Content-Length, or UINT64_MAX */
	uint64_t	 cl_end;	/* body end by Content-Length, or 0 */
	int		 bol;		/* the next piece starts a line */
	int		 prev_blank;	/* the last whole line was empty */
	size_t		 blank_len;
	int		 prev_cr;	/* the last piece ended with CR */
};

static struct mbox_msg *
msg_new(struct mbox_file *mb, uint64_t at)
{
	struct mbox_msg *m;

	if (mb->n == mb->cap) {
		mb->cap = mb->cap ? mb->cap * 2 : 64;
		mb->msgs = mem_realloc(mb->msgs, mb->cap, sizeof(*m));
	}
	/* What lies between two messages belongs to the first. */
	if (mb->n > 0)
		mb->msgs[mb->n - 1].next_off = at;
	m = &mb->msgs[mb->n++];
	memset(m, 0, sizeof(*m));
	m->from_off = at;
	m->header_size = UINT64_MAX;
	m->from_crc = crc32c(NULL, 0);
	return m;
}

/* The byte before offset at, or -1. */
static int
byte_before(int fd, uint64_t at)
{
	unsigned char c;

	if (at == 0 || pread(fd, &c, 1, (off_t)(at - 1)) != 1)
		return -1;
	return c;
}

/* End the current message at end (its text end; next at next). */
static void
msg_finish(struct scan *s, uint64_t end, uint64_t next, int strip_blank)
{
	struct mbox_msg *m = s->cur;

	if (m == NULL)
		return;
	if (strip_blank && s->prev_blank && end >= m->text_off + s->blank_len) {
		end -= s->blank_len;
		m->size -= s->blank_len;
		m->crlf_size -= 2;
		m->lines--;
	}
	m->text_end = end;
	m->next_off = next;
	if (m->header_size > m->size)
		m->header_size = m->size;
	if (end > m->text_off && byte_before(s->mb->fd, end) != '\n')
		m->flags |= MBOX_MSG_NOEOL;
	s->cur = NULL;
}

/* Does a Content-Length body ending at end fit the file? */
static int
cl_fits(struct scan *s, uint64_t end)
{
	char b[7];
	ssize_t got;

	if (end == s->fsize)
		return 1;
	if (end > s->fsize)
		return 0;
	got = pread(s->rd.fd, b, sizeof(b), (off_t)end);
	if (got < 5)
		return 0;
	return is_from_line(b, (size_t)got) ||
	    (got >= 6 && b[0] == '\n' && is_from_line(b + 1, (size_t)got - 1)) ||
	    (got >= 7 && b[0] == '\r' && b[1] == '\n' &&
	    is_from_line(b + 2, (size_t)got - 2));
}

/* Account one piece of message text. */
static void
text_piece(struct scan *s, const char *p, size_t len, uint64_t at)
{
	struct mbox_msg *m = s->cur;
	int bol = s->bol, eol = p[len - 1] == '\n';
	size_t n = len;
	uint64_t v;

	if (bol && is_quoted(p, len, s->mb->flags & MBOX_MBOXRD)) {
		m->flags |= MBOX_MSG_QUOTED;
		n--;
	} else if (bol && p[0] == '.') {
		m->flags |= MBOX_MSG_DOT;
	}
	m->size += n;
	m->crlf_size += n;
	if (eol) {
		m->lines++;
		if (!(len >= 2 ? p[len - 2] == '\r' : s->prev_cr))
			m->crlf_size++;
	}
	if (s->in_header) {
		if (bol && is_blank(p, len)) {
			s->in_header = 0;
			m->header_size = m->size;
			if (s->cl != UINT64_MAX &&
			    !__builtin_add_overflow(at + len, s->cl, &v) &&
			    cl_fits(s, v)) {
				s->cl_end = v;
				s->rd.stop = v;
				m->flags |= MBOX_MSG_CL;
			}
		} else if (bol && s->hdr_scanned < MBOX_HEADER_SCAN_MAX &&
		    content_length(p, len, &v)) {
			s->cl = v;
		}
		s->hdr_scanned += len;
	}
	s->prev_blank = bol && eol && is_blank(p, len);
	if (s->prev_blank)
		s->blank_len = len;
	s->prev_cr = p[len - 1] == '\r';
	s->bol = eol;
}

static void
msg_start(struct scan *s, uint64_t at)
{
	s->cur = msg_new(s->mb, at);
	s->in_from = 1;
	s->in_header = 1;
	s->hdr_scanned = 0;
	s->cl = UINT64_MAX;
	s->cl_end = 0;
	s->prev_blank = 0;
	s->prev_cr = 0;
}

/* One piece of the file. 0, or -1 (not a mailbox). */
static int
scan_piece(struct scan *s, const char *p, size_t len, uint64_t at)
{
	if (s->cur && s->in_from) {
		s->cur->from_crc = crc32c_update(s->cur->from_crc, p, len);
		if (p[len - 1] == '\n') {
			s->in_from = 0;
			s->cur->text_off = at + len;
		}
		s->bol = p[len - 1] == '\n';
		return 0;
	}
	if (s->bol && is_from_line(p, len) && !(s->cur && s->cl_end) &&
	    (at == 0 || s->prev_blank || s->cur == NULL)) {
		msg_finish(s, at, at, 1);
		msg_start(s, at);
		return scan_piece(s, p, len, at);
	}
	if (s->cur == NULL) {
		/* Only empty lines may come between a Content-Length body
		 * and the next From_ line; nothing else before the first. */
		if (is_blank(p, len)) {
			s->prev_blank = 1;
			s->blank_len = len;
			return 0;
		}
		errno = EINVAL;
		return -1;
	}
	text_piece(s, p, len, at);
	return 0;
}

int
mbox_scan(struct mbox_file *mb, char **why_r)
{
	struct scan s;
	struct stat st;
	const char *p;
	size_t len;
	uint64_t at;
	int r;

	mb->n = 0;
	if (fstat(mb->fd, &st) < 0)
		return file_why(why_r, mb->path);
	memset(&s, 0, sizeof(s));
	s.mb = mb;
	s.fsize = (uint64_t)st.st_size;
	s.bol = 1;
	rd_init(&s.rd, mb->fd, 0, s.fsize);
	for (;;) {
		at = rd_tell(&s.rd);
		if (s.cur && s.cl_end && at == s.cl_end) {
			/* The body ends here by its Content-Length. */
			s.prev_blank = 0;
			msg_finish(&s, at, at, 0);
			s.rd.stop = s.fsize;
			s.bol = 1;
		}
		if ((r = rd_piece(&s.rd, &p, &len)) <= 0)
			break;
		if (scan_piece(&s, p, len, at) < 0) {
			free(s.rd.buf);
			mb->n = 0;
			return file_whyf(why_r, "%s: not a Berkeley mailbox "
			    "(no From_ line at offset %llu)", mb->path,
			    (unsigned long long)at);
		}
	}
	if (r < 0) {
		free(s.rd.buf);
		mb->n = 0;
		return file_why(why_r, mb->path);
	}
	at = rd_tell(&s.rd);
	if (s.cur && s.in_from)
		s.cur->text_off = at;
	/* The last message loses a final empty line only after a line. */
	msg_finish(&s, at, at, s.cur && s.cur->text_off < at &&
	    byte_before(mb->fd, at - s.blank_len) == '\n');
	if (mb->n > 0 && mb->msgs[mb->n - 1].next_off < at)
		mb->msgs[mb->n - 1].next_off = at;
	free(s.rd.buf);
	return 0;
}

/* ---- reading ---- */

/* Is the From_ line of m still where the index says? */
static int
from_unchanged(struct mbox_file *mb, const struct mbox_msg *m)
{
	struct rd r;
	const char *p;
	size_t len;
	uint32_t crc = crc32c(NULL, 0);
	int ok = 0;

	if (m->text_off <= m->from_off)
		return 0;
	rd_init(&r, mb->fd, m->from_off, m->text_off);
	while (rd_piece(&r, &p, &len) > 0) {
		crc = crc32c_update(crc, p, len);
		if (rd_tell(&r) == m->text_off) {
			ok = crc == m->from_crc;
			break;
		}
	}
	free(r.buf);
	return ok;
}

static int
stale(const struct mbox_file *mb, char **why_r)
{
	errno = ESTALE;
	return file_whyf(why_r, "%s: changed by another program", mb->path);
}

int
mbox_read(struct mbox_file *mb, size_t i,
    int (*fn)(void *ctx, const char *p, size_t len, int bol), void *ctx,
    char **why_r)
{
	const struct mbox_msg *m = mbox_msg(mb, i);
	int mboxrd = (mb->flags & MBOX_MBOXRD) != 0, bol = 1, r, rc = 0;
	struct rd rd;
	const char *p;
	size_t len;

	if (m == NULL) {
		errno = EINVAL;
		return file_whyf(why_r, "%s: no message %zu", mb->path, i + 1);
	}
	if (!from_unchanged(mb, m))
		return stale(mb, why_r);
	rd_init(&rd, mb->fd, m->text_off, m->text_end);
	while ((r = rd_piece(&rd, &p, &len)) > 0) {
		if (bol && (m->flags & MBOX_MSG_QUOTED) &&
		    is_quoted(p, len, mboxrd)) {
			p++;
			len--;
		}
		if ((rc = fn(ctx, p, len, bol)) != 0)
			break;
		bol = p[len - 1] == '\n';
	}
	if (r < 0)
		rc = file_why(why_r, mb->path);
	else if (rc == 0 && rd_tell(&rd) != m->text_end)
		rc = stale(mb, why_r);
	free(rd.buf);
	return rc;
}

/* ---- the envelope ---- */

int
mbox_envelope(struct mbox_file *mb, size_t i, struct buf *sender,
    int64_t *date_r, char **why_r)
{
	const struct mbox_msg *m = mbox_msg(mb, i);
	char line[1024], *s, *e;
	struct tm tm;
	ssize_t got;
	size_t n;

	*date_r = 0;
	if (m == NULL) {
		errno = EINVAL;
		return file_whyf(why_r, "%s: no message %zu", mb->path, i + 1);
	}
	n = m->text_off - m->from_off;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	got = pread(mb->fd, line, n, (off_t)m->from_off);
	if (got < 5)
		return got < 0 ? file_why(why_r, mb->path) : stale(mb, why_r);
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	s = line + 5;
	s += strspn(s, " \t");
	e = s + strcspn(s, " \t");
	if (!((size_t)(e - s) == 2 && memcmp(s, "<>", 2) == 0) &&
	    !((size_t)(e - s) == 13 && strncasecmp(s, "MAILER-DAEMON", 13) == 0))
		buf_append(sender, s, (size_t)(e - s));
	e += strspn(e, " \t");
	memset(&tm, 0, sizeof(tm));
	s = strptime(e, "%a %b %d %H:%M:%S %Y", &tm);
	if (s != NULL)
		*date_r = (int64_t)timegm(&tm);
	return 0;
}

/* ---- rewriting ---- */

/* Copy len bytes at off of fd to out at *outoff. 0 or -1. */
static int
copy_range(struct mbox_file *mb, int fd, uint64_t off, uint64_t len, int out,
    uint64_t *outoff, char *buf)
{
	ssize_t got, put;
	size_t want;

	while (len > 0) {
		want = len < RD_SIZE ? (size_t)len : RD_SIZE;
		do
			got = pread(fd, buf, want, (off_t)off);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			if (got == 0)
				errno = ESTALE;
			return -1;
		}
		do
			put = pwrite(out, buf, (size_t)got, (off_t)*outoff);
		while (put < 0 && errno == EINTR);
		if (put != got) {
			if (put >= 0)
				errno = ENOSPC;
			return -1;
		}
		off += (uint64_t)got;
		len -= (uint64_t)got;
		*outoff += (uint64_t)got;
		dotlock_touch(mb);
	}
	return 0;
}

/* Is the file still the one indexed, every From_ line in place? */
static int
expunge_check(struct mbox_file *mb, uint64_t *fsize_r, char **why_r)
{
	struct stat a, b;
	size_t i;

	if (fstat(mb->fd, &a) < 0)
		return file_why(why_r, mb->path);
	if (stat(mb->path, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino ||
	    (mb->n && (uint64_t)a.st_size < mb->msgs[mb->n - 1].next_off))
		return stale(mb, why_r);
	for (i = 0; i < mb->n; i++)
		if (!from_unchanged(mb, &mb->msgs[i]))
			return stale(mb, why_r);
	*fsize_r = (uint64_t)a.st_size;
	return 0;
}

/* Copy the kept messages from first on, and the tail, to tmp. */
static int
expunge_copy(struct mbox_file *mb, size_t first, const unsigned char *gone,
    uint64_t fsize, int tmp, uint64_t *tlen_r, char *buf)
{
	const struct mbox_msg *m;
	uint64_t tail = mb->msgs[mb->n - 1].next_off;
	size_t i;

	*tlen_r = 0;
	for (i = first; i < mb->n; i++) {
		m = &mb->msgs[i];
		if (!gone[i] && copy_range(mb, mb->fd, m->from_off,
		    m->next_off - m->from_off, tmp, tlen_r, buf) < 0)
			return -1;
	}
	if (fsize > tail &&
	    copy_range(mb, mb->fd, tail, fsize - tail, tmp, tlen_r, buf) < 0)
		return -1;
	return fsync(tmp);
}

/* Put tmp[0..tlen) back over the mailbox at start and cut it there. */
static int
expunge_back(struct mbox_file *mb, int tmp, uint64_t start, uint64_t tlen,
    char *buf)
{
	uint64_t at = start;

	if (copy_range(mb, tmp, 0, tlen, mb->fd, &at, buf) < 0 ||
	    ftruncate(mb->fd, (off_t)at) < 0 || fsync(mb->fd) < 0)
		return -1;
	return 0;
}

long
mbox_expunge(struct mbox_file *mb, int (*want)(size_t i, void *ctx),
    void *ctx, char **why_r)
{
	struct buf tpath = BUF_INIT;
	unsigned char *gone = NULL;
	uint64_t fsize = 0, tlen = 0;
	size_t i, first = SIZE_MAX;
	long count = 0;
	char *buf = NULL;
	int tmp = -1, saved;

	if (mb->rdonly || !mb->dotlocked) {
		errno = EPERM;
		return file_whyf(why_r, "%s: rewrite needs the exclusive lock",
		    mb->path);
	}
	if (expunge_check(mb, &fsize, why_r) < 0)
		return -1;
	gone = mem_zalloc(mb->n ? mb->n : 1, 1);
	for (i = 0; i < mb->n; i++)
		if ((gone[i] = want(i, ctx) != 0)) {
			count++;
			if (first == SIZE_MAX)
				first = i;
		}
	if (count == 0)
		goto done;
	buf_printf(&tpath, "%s.popstore-%ld", mb->path, (long)getpid());
	(void)unlink(tpath.data);
	tmp = file_open(tpath.data, O_RDWR | O_CREAT | O_EXCL, 0600);
	buf = mem_alloc(1, RD_SIZE);
	if (tmp < 0 || expunge_copy(mb, first, gone, fsize, tmp, &tlen,
	    buf) < 0) {
		saved = errno;
		file_why(why_r, tpath.data);
		if (tmp >= 0)
			(void)unlink(tpath.data);
		count = -1;
		errno = saved;
		goto done;
	}
	if (expunge_back(mb, tmp, mb->msgs[first].from_off, tlen, buf) < 0) {
		/* The kept bytes are safe in the temporary file: leave it. */
		saved = errno;
		file_whyf(why_r, "%s: rewrite failed (%s); its messages from "
		    "offset %llu are kept in %s", mb->path, strerror(saved),
		    (unsigned long long)mb->msgs[first].from_off, tpath.data);
		count = -1;
		errno = saved;
		goto done;
	}
	(void)unlink(tpath.data);
	mb->n = 0;
done:
	if (tmp >= 0)
		close(tmp);
	free(buf);
	free(gone);
	buf_free(&tpath);
	return count;
}
