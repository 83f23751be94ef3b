/* netio - buffered protocol I/O with TLS; see netio.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "netio.h"
#include "tls.h"

#define IN_CHUNK	32768		/* read size; input buffer kept */
#define IN_KEEP		65536		/* a larger, empty input buffer is released */
#define OUT_MAX		32768		/* output is written at this size */
#define FILE_CHUNK	65536		/* pread() size for TLS and dot-stuffing */
#define SMALL_FILE	16384		/* read into the output, not sendfile() */
#define SENDFILE_MAX	0x7ffff000	/* Linux's most per sendfile() call */
#define ADDR_MAX	INET6_ADDRSTRLEN

/* What a raw read or write did instead of moving bytes. */
#define IO_ERR		(-1)
#define IO_WANT_READ	(-2)
#define IO_WANT_WRITE	(-3)

struct netio {
	int		 rfd, wfd;
	int		 rflags, wflags;	/* fd flags to restore */
	int		 timeout;		/* ms, negative: none */
	SSL		*ssl;
	int		 tls;			/* handshake done */
	char		*in;			/* unread input: in[ipos..ilen) */
	size_t		 ipos, ilen, icap;
	struct buf	 out;
	int		 eof;
	int		 werr;			/* sticky failure, 0 if none */
	uint64_t	 nin, nout;
	struct buf	 why;
	char		 raddr[ADDR_MAX], laddr[ADDR_MAX];
	int		 local;
	int		 cork;			/* TCP_CORK: 1 on, 0 off,
						   -1 not a TCP socket */
	/* netio_create_mem() */
	int		 mem;
	const char	*mdata;
	size_t		 mlen, mpos, mchunk;
	struct buf	 mout;
};

static void set_why(struct netio *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_why(struct netio *n, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&n->why);
	va_start(ap, fmt);
	buf_vprintf(&n->why, fmt, ap);
	va_end(ap);
}

static void
set_why_tls(struct netio *n, const char *what, int sys_errno)
{
	char *s = tls_why(what, sys_errno);

	set_why(n, "%s", s);
	free(s);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until end (negative end: forever, -1). */
static int
left_ms(long long end)
{
	long long left;

	if (end < 0)
		return -1;
	left = end - now_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* poll(), restarted after signals with what is left of the timeout. */
static int
poll_until(struct pollfd *fds, nfds_t nfds, int timeout)
{
	long long end = timeout < 0 ? -1 : now_ms() + timeout;
	int r;

	while ((r = poll(fds, nfds, timeout)) < 0 && errno == EINTR)
		timeout = left_ms(end);
	return r;
}

/*
 * Map a failed SSL call to IO_WANT_*, 0 for the end of input (with or
 * without close_notify: clients often just close), or IO_ERR with why.
 */
static ssize_t
ssl_result(struct netio *n, int ret, const char *what)
{
	int sys_errno = errno;
	unsigned long e;

	switch (SSL_get_error(n->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && sys_errno == 0)
			return 0;
		break;
	case SSL_ERROR_SSL:
		e = ERR_peek_error();
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return 0;
		}
		break;
	}
	set_why_tls(n, what, sys_errno);
	return IO_ERR;
}

/* One read: bytes, 0 at the end, IO_ERR or IO_WANT_*. */
static ssize_t
raw_read(struct netio *n, char *p, size_t len)
{
	ssize_t r;
	size_t k;

	if (n->mem) {
		k = n->mlen - n->mpos;
		if (n->mchunk != 0 && k > n->mchunk)
			k = n->mchunk;
		if (k > len)
			k = len;
		if (k > 0)
			memcpy(p, n->mdata + n->mpos, k);
		n->mpos += k;
		return (ssize_t)k;
	}
	if (n->ssl != NULL) {
		ERR_clear_error();
		errno = 0;
		r = SSL_read(n->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
		return r > 0 ? r : ssl_result(n, (int)r, "TLS read");
	}
	while ((r = read(n->rfd, p, len)) < 0 && errno == EINTR)
		;
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return IO_WANT_READ;
	set_why(n, "read: %s", strerror(errno));
	return IO_ERR;
}

/* One write: bytes (> 0), IO_ERR or IO_WANT_*. */
static ssize_t
raw_write(struct netio *n, const char *p, size_t len)
{
	ssize_t r;

	if (n->mem) {
		buf_append(&n->mout, p, len);
		return (ssize_t)len;
	}
	if (n->ssl != NULL) {
		ERR_clear_error();
		errno = 0;
		r = SSL_write(n->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
		if (r > 0)
			return r;
		if ((r = ssl_result(n, (int)r, "TLS write")) == 0) {
			set_why(n, "TLS write: connection closed by client");
			r = IO_ERR;
		}
		return r;
	}
	while ((r = write(n->wfd, p, len)) < 0 && errno == EINTR)
		;
	if (r > 0)
		return r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return IO_WANT_WRITE;
	set_why(n, "write: %s", r < 0 ? strerror(errno) : "wrote nothing");
	return IO_ERR;
}

/* Wait for what an I/O call asked for, under the idle timeout. */
static int
io_wait(struct netio *n, ssize_t want)
{
	struct pollfd p;
	int r;

	p.fd = want == IO_WANT_WRITE ? n->wfd : n->rfd;
	p.events = want == IO_WANT_WRITE ? POLLOUT : POLLIN;
	p.revents = 0;
	if (n->mem) {
		set_why(n, "memory netio cannot wait");
		return NETIO_ERROR;
	}
	r = poll_until(&p, 1, n->timeout);
	if (r > 0 && !(p.revents & POLLNVAL))
		return 0;
	if (r == 0) {
		set_why(n, "timed out after %d ms idle %s", n->timeout,
		    want == IO_WANT_WRITE ? "writing" : "reading");
		return NETIO_TIMEOUT;
	}
	set_why(n, "poll: %s", r < 0 ? strerror(errno) : "fd not open");
	return NETIO_ERROR;
}

static int
write_all(struct netio *n, const char *p, size_t len)
{
	ssize_t r;
	int e;

	if (n->werr)
		return n->werr;
	while (len > 0) {
		r = raw_write(n, p, len);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
			n->nout += (uint64_t)r;
			continue;
		}
		if (r == IO_ERR)
			return n->werr = NETIO_ERROR;
		if ((e = io_wait(n, r)) < 0)
			return n->werr = e;
	}
	return 0;
}

/* Write the buffered output. */
static int
out_write(struct netio *n)
{
	int r;

	if (n->out.len == 0)
		return n->werr;
	r = write_all(n, n->out.data, n->out.len);
	if (n->out.cap > 4 * OUT_MAX)
		buf_free(&n->out);
	buf_reset(&n->out);
	return r;
}

/*
 * TCP_CORK around a file send: the reply line before it, the file and
 * what follows (POP3's ".") leave in full segments, and the last one
 * when netio_flush() uncorks, so that a client reading a message wakes
 * up for data, not for a 20-byte status line and a 3-byte terminator.
 */
static void
cork(struct netio *n, int on)
{
	int v = on;

	if (n->cork == on || n->cork < 0 || n->mem)
		return;
	if (setsockopt(n->wfd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) < 0)
		n->cork = -1;
	else
		n->cork = on;
}

int
netio_flush(struct netio *n)
{
	int r = out_write(n);

	cork(n, 0);
	return r;
}

int
netio_write(struct netio *n, const void *data, size_t len)
{
	int r;

	if (n->werr)
		return n->werr;
	if (len > OUT_MAX || n->out.len > OUT_MAX - len) {
		if ((r = netio_flush(n)) < 0)
			return r;
		if (len >= OUT_MAX)
			return write_all(n, data, len);
	}
	buf_append(&n->out, data, len);
	return 0;
}

int
netio_puts(struct netio *n, const char *s)
{
	return netio_write(n, s, strlen(s));
}

int
netio_printf(struct netio *n, const char *fmt, ...)
{
	va_list ap;

	if (n->werr)
		return n->werr;
	va_start(ap, fmt);
	buf_vprintf(&n->out, fmt, ap);
	va_end(ap);
	return n->out.len >= OUT_MAX ? netio_flush(n) : 0;
}

/*
 * Make room for want more input bytes after the unread ones, moving
 * them to the front or growing the buffer as needed.
 */
static void
in_room(struct netio *n, size_t want)
{
	size_t avail = n->ilen - n->ipos;

	if (avail == 0) {
		n->ipos = n->ilen = 0;
		if (n->icap > IN_KEEP) {
			n->in = mem_realloc(n->in, IN_CHUNK, 1);
			n->icap = IN_CHUNK;
		}
	}
	if (n->icap - n->ilen >= want)
		return;
	if (n->ipos > 0) {
		memmove(n->in, n->in + n->ipos, avail);
		n->ipos = 0;
		n->ilen = avail;
	}
	if (n->icap - n->ilen < want) {
		n->icap = mem_add(n->ilen, want);
		n->in = mem_realloc(n->in, n->icap, 1);
	}
}

/*
 * One read into the room after ilen (see in_room()), accounted for:
 * the byte count, 0 at the end (recorded), IO_ERR or IO_WANT_*.
 */
static ssize_t
read_some(struct netio *n)
{
	ssize_t r = raw_read(n, n->in + n->ilen, n->icap - n->ilen);

	if (r > 0) {
		n->ilen += (size_t)r;
		n->nin += (uint64_t)r;
	} else if (r == 0) {
		n->eof = 1;
		set_why(n, "connection closed by client");
	}
	return r;
}

/*
 * Read at least a byte, flushing the output before waiting. With
 * output pending on a plain socket, the client is most likely waiting
 * for it: flush and wait first, sparing a read that would find nothing
 * (under TLS, OpenSSL may hold input that poll() cannot see).
 */
static int
fill(struct netio *n)
{
	ssize_t r;
	int e;

	if (n->eof)
		return NETIO_EOF;
	if (n->out.len > 0 && n->ssl == NULL && !n->mem) {
		if ((e = netio_flush(n)) < 0)
			return e;
		if ((e = io_wait(n, IO_WANT_READ)) < 0)
			return e;
	}
	for (;;) {
		if ((r = read_some(n)) > 0)
			return 0;
		if (r == 0)
			return NETIO_EOF;
		if (r == IO_ERR)
			return NETIO_ERROR;
		if ((e = netio_flush(n)) < 0)
			return e;
		if ((e = io_wait(n, r)) < 0)
			return e;
	}
}

/* The line is start[0..lf); consume it and its LF. */
static int
take_line(struct netio *n, size_t max, char *start, size_t lf,
    const char **line_r, size_t *len_r, int *nul_r)
{
	size_t len = lf;

	if (len > 0 && start[len - 1] == '\r')
		len--;
	n->ipos += lf + 1;
	if (len > max) {
		set_why(n, "line longer than %zu bytes", max);
		return NETIO_TOOLONG;
	}
	start[len] = '\0';
	*line_r = start;
	*len_r = len;
	*nul_r = memchr(start, '\0', len) != NULL;
	return 0;
}

int
netio_read_line(struct netio *n, size_t max, const char **line_r,
    size_t *len_r, int *nul_r)
{
	size_t scanned = 0, avail, limit;
	char *start, *lf;
	int r;

	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;
	limit = max + 2;	/* max bytes, CR, LF */
	for (;;) {
		start = n->in + n->ipos;
		avail = n->ilen - n->ipos;
		lf = memchr(start + scanned, '\n', avail - scanned);
		if (lf != NULL)
			return take_line(n, max, start, (size_t)(lf - start),
			    line_r, len_r, nul_r);
		scanned = avail;
		if (avail > max && (avail >= limit || start[avail - 1] != '\r')) {
			n->ipos = n->ilen;
			set_why(n, "line longer than %zu bytes", max);
			return NETIO_TOOLONG;
		}
		in_room(n, limit - avail < IN_CHUNK ? limit - avail : IN_CHUNK);
		if ((r = fill(n)) < 0) {
			if (r == NETIO_EOF && avail > 0)
				set_why(n, "connection closed in the middle of "
				    "a line");
			return r;
		}
	}
}

int
netio_read_stream(struct netio *n, uint64_t len,
    int (*fn)(void *ctx, const char *data, size_t len), void *ctx)
{
	int refused = 0, r;
	size_t k;

	while (len > 0) {
		if (n->ipos == n->ilen) {
			in_room(n, IN_CHUNK);
			if ((r = fill(n)) < 0)
				return r;
		}
		k = n->ilen - n->ipos;
		if (k > len)
			k = (size_t)len;
		if (fn != NULL && !refused && fn(ctx, n->in + n->ipos, k) < 0)
			refused = 1;
		n->ipos += k;
		len -= k;
	}
	if (refused) {
		set_why(n, "the data were refused and discarded");
		return NETIO_REFUSED;
	}
	return 0;
}

static int
copy_out(void *ctx, const char *data, size_t len)
{
	char **dst = ctx;

	memcpy(*dst, data, len);
	*dst += len;
	return 0;
}

int
netio_read_exact(struct netio *n, void *dst, size_t len)
{
	char *p = dst;

	return netio_read_stream(n, len, copy_out, &p);
}

struct fd_sink {
	int	fd;
	int	err;
};

static int
write_fd(void *ctx, const char *data, size_t len)
{
	struct fd_sink *s = ctx;
	ssize_t r;

	while (len > 0) {
		if ((r = write(s->fd, data, len)) < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			s->err = r < 0 ? errno : EIO;
			return -1;
		}
		data += r;
		len -= (size_t)r;
	}
	return 0;
}

int
netio_read_to_fd(struct netio *n, uint64_t len, int fd, int *errno_r)
{
	struct fd_sink s = { fd, 0 };
	int r;

	r = netio_read_stream(n, len, write_fd, &s);
	*errno_r = s.err;
	if (r == NETIO_REFUSED)
		set_why(n, "write to fd %d: %s (input discarded)", fd,
		    strerror(s.err));
	return r;
}

/*
 * sendfile(2) to a plain connection. Returns 1 when the kernel cannot
 * do it for these fds and nothing was sent (the caller copies instead).
 */
static int
send_plain(struct netio *n, int fd, off_t off, uint64_t count)
{
	uint64_t sent = 0;
	ssize_t r;
	int e;

	while (sent < count) {
		r = sendfile(n->wfd, fd, &off, count - sent > SENDFILE_MAX ?
		    SENDFILE_MAX : (size_t)(count - sent));
		if (r > 0) {
			sent += (uint64_t)r;
			n->nout += (uint64_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((e = io_wait(n, IO_WANT_WRITE)) < 0)
				return n->werr = e;
			continue;
		}
		if (r < 0 && sent == 0 && (errno == EINVAL || errno == ENOSYS))
			return 1;
		if (r == 0)
			set_why(n, "file ended %llu bytes early",
			    (unsigned long long)(count - sent));
		else
			set_why(n, "sendfile: %s", strerror(errno));
		return n->werr = NETIO_ERROR;
	}
	return 0;
}

#ifndef OPENSSL_NO_KTLS
/* SSL_sendfile() when the kernel does the TLS: still zero-copy. */
static int
send_ktls(struct netio *n, int fd, off_t off, uint64_t count)
{
	ossl_ssize_t r;
	ssize_t w;
	int e;

	while (count > 0) {
		ERR_clear_error();
		errno = 0;
		r = SSL_sendfile(n->ssl, fd, off, count > SENDFILE_MAX ?
		    SENDFILE_MAX : (size_t)count, 0);
		if (r > 0) {
			off += r;
			count -= (uint64_t)r;
			n->nout += (uint64_t)r;
			continue;
		}
		w = ssl_result(n, (int)r, "TLS sendfile");
		if (w == IO_WANT_READ || w == IO_WANT_WRITE) {
			if ((e = io_wait(n, w)) < 0)
				return n->werr = e;
			continue;
		}
		if (w == 0)
			set_why(n, "TLS sendfile: file ended early or "
			    "connection closed");
		return n->werr = NETIO_ERROR;
	}
	return 0;
}
#endif

/*
 * Queue data with a '.' added before every '.' that starts a line;
 * *bol says whether data starts a line, and is updated for the next.
 */
static int
stuff_chunk(struct netio *n, const char *p, size_t len, int *bol)
{
	const char *end = p + len, *q = p;
	int r;

	if (*bol && *p == '.' && (r = netio_write(n, ".", 1)) < 0)
		return r;
	/*
	 * A span ends with LF '.', the next starts at that '.', so it goes
	 * out twice. memchr() for LF is several times faster than memmem()
	 * for "\n." even with short mail lines.
	 */
	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL && ++q < end) {
		if (*q != '.')
			continue;
		if ((r = netio_write(n, p, (size_t)(q - p) + 1)) < 0)
			return r;
		p = q;
	}
	*bol = end[-1] == '\n';
	return netio_write(n, p, (size_t)(end - p));
}

/* pread() and queue, optionally dot-stuffed. */
static int
send_copy(struct netio *n, int fd, off_t off, uint64_t count, int stuff)
{
	char *chunk = mem_alloc(1, FILE_CHUNK);
	int bol = 1, r = 0;
	ssize_t got;

	while (count > 0 && r == 0) {
		got = pread(fd, chunk, count < FILE_CHUNK ? (size_t)count :
		    FILE_CHUNK, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				set_why(n, "file ended %llu bytes early",
				    (unsigned long long)count);
			else
				set_why(n, "pread: %s", strerror(errno));
			r = NETIO_ERROR;
			break;
		}
		off += got;
		count -= (uint64_t)got;
		r = stuff ? stuff_chunk(n, chunk, (size_t)got, &bol) :
		    netio_write(n, chunk, (size_t)got);
	}
	free(chunk);
	return r;
}

/*
 * A small range is read straight into the output buffer: one pread(),
 * then one write() with the reply line before it and what follows,
 * cheaper than corking the socket around a sendfile() (most mail is a
 * few kilobytes). Nothing is queued unless the whole range was read.
 */
static int
copy_small(struct netio *n, int fd, off_t off, size_t count)
{
	size_t done = 0;
	ssize_t got;
	int r;

	if (n->out.len > OUT_MAX - count && (r = netio_flush(n)) < 0)
		return r;
	buf_reserve(&n->out, count);
	while (done < count) {
		got = pread(fd, n->out.data + n->out.len + done, count - done,
		    off + (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				set_why(n, "file ended %llu bytes early",
				    (unsigned long long)(count - done));
			else
				set_why(n, "pread: %s", strerror(errno));
			return NETIO_ERROR;
		}
		done += (size_t)got;
	}
	n->out.len += count;
	n->out.data[n->out.len] = '\0';
	return 0;
}

static int
check_range(struct netio *n, off_t offset, uint64_t count)
{
	if (offset < 0 || count > (uint64_t)INT64_MAX - (uint64_t)offset) {
		set_why(n, "bad file range");
		return NETIO_ERROR;
	}
	return n->werr;
}

int
netio_sendfile(struct netio *n, int fd, off_t offset, uint64_t count)
{
	int r;

	if ((r = check_range(n, offset, count)) < 0 || count == 0)
		return r;
	if (count <= SMALL_FILE)
		return copy_small(n, fd, offset, (size_t)count);
	if (n->ssl == NULL)
		cork(n, 1);
	if ((r = out_write(n)) < 0)
		return r;
	if (n->ssl == NULL && !n->mem) {
		if ((r = send_plain(n, fd, offset, count)) <= 0)
			return r;
	}
#ifndef OPENSSL_NO_KTLS
	else if (n->ssl != NULL && BIO_get_ktls_send(SSL_get_wbio(n->ssl)))
		return send_ktls(n, fd, offset, count);
#endif
	return send_copy(n, fd, offset, count, 0);
}

int
netio_send_dotstuffed(struct netio *n, int fd, off_t offset, uint64_t count)
{
	int r;

	if ((r = check_range(n, offset, count)) < 0 || count == 0)
		return r;
	return send_copy(n, fd, offset, count, 1);
}

/* A failure that leaves the netio good only for netio_free(). */
static int
broken(struct netio *n, int code)
{
	n->eof = 1;
	return n->werr = code;
}

int
netio_starttls(struct netio *n, SSL_CTX *ctx, size_t *discarded_r)
{
	ssize_t w;
	int r, ok;

	*discarded_r = 0;
	if (n->ssl != NULL || n->mem) {
		set_why(n, n->mem ? "no TLS on a memory netio" :
		    "TLS is already active");
		return NETIO_ERROR;
	}
	if ((r = netio_flush(n)) < 0)
		return r;
	/* What came after the command was sent before TLS: never trust it. */
	*discarded_r = n->ilen - n->ipos;
	n->ipos = n->ilen = 0;
	ERR_clear_error();
	if ((n->ssl = SSL_new(ctx)) == NULL) {
		set_why_tls(n, "SSL_new", 0);
		return broken(n, NETIO_ERROR);
	}
	SSL_set_mode(n->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ok = n->rfd == n->wfd ? SSL_set_fd(n->ssl, n->rfd) :
	    SSL_set_rfd(n->ssl, n->rfd) && SSL_set_wfd(n->ssl, n->wfd);
	if (!ok) {
		set_why_tls(n, "SSL_set_fd", 0);
		return broken(n, NETIO_ERROR);
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_accept(n->ssl)) == 1) {
			n->tls = 1;
			return 0;
		}
		if ((w = ssl_result(n, r, "TLS handshake")) == 0) {
			set_why(n, "TLS handshake: connection closed by client");
			return broken(n, NETIO_EOF);
		}
		if (w == IO_ERR)
			return broken(n, NETIO_ERROR);
		if ((r = io_wait(n, w)) < 0)
			return broken(n, r);
	}
}

/*
 * After poll() saw the client readable under TLS: is there application
 * data (or an end, or an error for the next read to report)?
 */
static int
tls_readable(struct netio *n)
{
	in_room(n, IN_CHUNK);
	return read_some(n) != IO_WANT_READ;
}

int
netio_wait(struct netio *n, int extra_fd, int timeout_ms)
{
	long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct pollfd p[2];
	int r, mask, ready;

	if ((r = netio_flush(n)) < 0)
		return r;
	for (;;) {
		ready = n->ipos < n->ilen || n->eof || n->mem ||
		    (n->ssl != NULL && SSL_pending(n->ssl) > 0);
		p[0].fd = n->rfd;
		p[1].fd = extra_fd;
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if ((r = poll_until(p, 2, ready ? 0 : left_ms(end))) < 0) {
			set_why(n, "poll: %s", strerror(errno));
			return NETIO_ERROR;
		}
		mask = p[1].revents ? NETIO_WAIT_EXTRA : 0;
		if (ready || (p[0].revents &&
		    (n->ssl == NULL || tls_readable(n))))
			mask |= NETIO_WAIT_CLIENT;
		if (mask != 0 || left_ms(end) == 0)
			return mask;
	}
}

/* Text for an address; *local_r: is it this host? */
static void
format_addr(const struct sockaddr *sa, char *out, int *local_r)
{
	const struct sockaddr_in6 *s6;
	struct in_addr v4;

	*local_r = 0;
	switch (sa->sa_family) {
	case AF_INET:
		v4 = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		break;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(&v4, &s6->sin6_addr.s6_addr[12], sizeof(v4));
			break;
		}
		*local_r = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		if (inet_ntop(AF_INET6, &s6->sin6_addr, out, ADDR_MAX) == NULL)
			memcpy(out, "unknown", sizeof("unknown"));
		return;
	case AF_UNIX:
		*local_r = 1;
		memcpy(out, "unix", sizeof("unix"));
		return;
	default:
		memcpy(out, "unknown", sizeof("unknown"));
		return;
	}
	*local_r = (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_ntop(AF_INET, &v4, out, ADDR_MAX) == NULL)
		memcpy(out, "unknown", sizeof("unknown"));
}

/*
 * An address from the environment (tcpserver/sslserver conventions):
 * 1 valid, 0 unset, -1 set but not an address.
 */
static int
env_addr(const char *name, char *out, int *local_r)
{
	const char *v = getenv(name);
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;

	if (v == NULL || *v == '\0')
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, v, &s4->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, v, &s6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return -1;
	format_addr((struct sockaddr *)(void *)&ss, out, local_r);
	return 1;
}

/* One end of the connection: from the socket, else the environment. */
static int
peer_side(int fd, int remote, char *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int local = 0, r;

	memset(&ss, 0, sizeof(ss));
	r = remote ? getpeername(fd, (struct sockaddr *)(void *)&ss, &len) :
	    getsockname(fd, (struct sockaddr *)(void *)&ss, &len);
	if (r == 0) {
		format_addr((struct sockaddr *)(void *)&ss, out, &local);
		return local;
	}
	if (errno == ENOTSOCK) {
		r = env_addr(remote ? "TCPREMOTEIP" : "TCPLOCALIP", out, &local);
		if (r > 0)
			return local;
		if (r == 0) {
			memcpy(out, "pipe", sizeof("pipe"));
			return 1;
		}
	}
	memcpy(out, "unknown", sizeof("unknown"));
	return 0;
}

static struct netio *
netio_new(void)
{
	struct netio *n = mem_zalloc(1, sizeof(*n));

	n->rfd = n->wfd = -1;
	n->timeout = -1;
	n->in = mem_alloc(1, IN_CHUNK);
	n->icap = IN_CHUNK;
	return n;
}

static void
ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

/*
 * netio batches its own output (written when a reply is complete, when
 * the buffer fills, or before a read), so Nagle's algorithm only adds
 * delay: the last small segment of a response (the "." after a POP3
 * message sent with sendfile) would wait for the client's delayed ACK.
 * Nothing happens for an fd that is not a TCP socket.
 */
static void
no_delay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

struct netio *
netio_create(int rfd, int wfd, char **why_r)
{
	struct netio *n;
	int rfl, wfl;

	if ((rfl = fcntl(rfd, F_GETFL)) < 0 || (wfl = fcntl(wfd, F_GETFL)) < 0 ||
	    fcntl(rfd, F_SETFL, rfl | O_NONBLOCK) < 0 ||
	    fcntl(wfd, F_SETFL, wfl | O_NONBLOCK) < 0) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "netio on fds %d/%d: %s", rfd, wfd,
		    strerror(errno));
		if (rfl >= 0)
			(void)fcntl(rfd, F_SETFL, rfl);
		*why_r = buf_steal(&b);
		return NULL;
	}
	ignore_sigpipe();
	no_delay(wfd);
	n = netio_new();
	n->rfd = rfd;
	n->wfd = wfd;
	n->rflags = rfl;
	n->wflags = wfl;
	n->local = peer_side(rfd, 1, n->raddr);
	(void)peer_side(rfd, 0, n->laddr);
	return n;
}

struct netio *
netio_create_mem(const void *data, size_t len, size_t chunk)
{
	struct netio *n = netio_new();

	n->mem = 1;
	n->mdata = data;
	n->mlen = len;
	n->mchunk = chunk;
	n->local = 1;
	memcpy(n->raddr, "memory", sizeof("memory"));
	memcpy(n->laddr, "memory", sizeof("memory"));
	return n;
}

const char *
netio_mem_output(struct netio *n, size_t *len_r)
{
	(void)netio_flush(n);
	*len_r = n->mout.len;
	return buf_cstr(&n->mout);
}

void
netio_free(struct netio *n)
{
	if (n == NULL)
		return;
	if (!n->mem) {
		(void)fcntl(n->rfd, F_SETFL, n->rflags);
		if (n->wfd != n->rfd)
			(void)fcntl(n->wfd, F_SETFL, n->wflags);
	}
	SSL_free(n->ssl);
	free(n->in);
	buf_free(&n->out);
	buf_free(&n->why);
	buf_free(&n->mout);
	free(n);
}

int
netio_close(struct netio *n)
{
	int r = netio_flush(n);

	if (n->tls && n->werr == 0) {
		ERR_clear_error();
		(void)SSL_shutdown(n->ssl);
		ERR_clear_error();
	}
	netio_free(n);
	return r;
}

void
netio_set_timeout(struct netio *n, int msecs)
{
	n->timeout = msecs < 0 ? -1 : msecs;
}

const char *
netio_remote_addr(const struct netio *n)
{
	return n->raddr;
}

const char *
netio_local_addr(const struct netio *n)
{
	return n->laddr;
}

int
netio_is_local(const struct netio *n)
{
	return n->local;
}

int
netio_plaintext_allowed(const struct netio *n, int policy)
{
	return policy == PLAINTEXT_ALWAYS || n->tls ||
	    (policy == PLAINTEXT_LOCAL && n->local);
}

int
netio_is_tls(const struct netio *n)
{
	return n->tls;
}

const char *
netio_tls_protocol(const struct netio *n)
{
	return n->tls ? SSL_get_version(n->ssl) : NULL;
}

const char *
netio_tls_cipher(const struct netio *n)
{
	return n->tls ? SSL_get_cipher_name(n->ssl) : NULL;
}

void
netio_counters(const struct netio *n, uint64_t *in_r, uint64_t *out_r)
{
	*in_r = n->nin;
	*out_r = n->nout;
}

const char *
netio_why(const struct netio *n)
{
	return buf_cstr(&n->why);
}
