/*
 * 120-netio-read - netio's line reader, literal reads and output
 * buffering, on the in-memory netio so that every split of the input
 * (down to one byte per read) is exercised.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "netio.h"
#include "lib/tap.h"

struct want {
	int		 r;		/* netio_read_line() result */
	const char	*line;
	size_t		 len;
	int		 nul;
};

/* Read lines with every chunk size; 1 if all matched (diag otherwise). */
static int
lines_match(const char *in, size_t inlen, size_t max, const struct want *w,
    size_t nw)
{
	const char *line;
	size_t chunk, i, len;
	int r, nul;

	for (chunk = 0; chunk <= inlen; chunk++) {
		struct netio *n = netio_create_mem(in, inlen, chunk);

		for (i = 0; i < nw; i++) {
			line = NULL;
			r = netio_read_line(n, max, &line, &len, &nul);
			if (r != w[i].r || (r == 0 && (len != w[i].len ||
			    memcmp(line, w[i].line, len) != 0 ||
			    line[len] != '\0' || nul != w[i].nul))) {
				tap_diag("chunk %zu line %zu: got r=%d len=%zu "
				    "(%s), want r=%d len=%zu", chunk, i, r,
				    r == 0 ? len : 0, netio_why(n), w[i].r,
				    w[i].len);
				netio_free(n);
				return 0;
			}
		}
		netio_free(n);
	}
	return 1;
}

#define S(s)	s, sizeof(s) - 1
#define NW(w)	(sizeof(w) / sizeof(w[0]))

static void
test_line_ends(void)
{
	static const char in[] = "a\r\nb\nc\r\r\n\r\nd\re\n\nlast";
	static const struct want w[] = {
		{ 0, S("a"), 0 }, { 0, S("b"), 0 }, { 0, S("c\r"), 0 },
		{ 0, S(""), 0 }, { 0, S("d\re"), 0 }, { 0, S(""), 0 },
		{ NETIO_EOF, S(""), 0 }, { NETIO_EOF, S(""), 0 },
	};

	tap_ok(lines_match(in, sizeof(in) - 1, 100, w, NW(w)),
	    "CRLF, LF, lone CR as data, empty lines, EOF mid-line: every split");
}

static void
test_nul(void)
{
	static const char in[] = "a\0b\r\nab\r\n\0\n";
	static const struct want w[] = {
		{ 0, S("a\0b"), 1 }, { 0, S("ab"), 0 }, { 0, S("\0"), 1 },
		{ NETIO_EOF, S(""), 0 },
	};

	tap_ok(lines_match(in, sizeof(in) - 1, 100, w, NW(w)),
	    "NUL reported, line length kept: every split");
}

static void
test_too_long(void)
{
	/* max 10: 10 bytes fit with CRLF or LF; 11 do not. */
	static const char in1[] = "0123456789\r\n0123456789\nok\r\n";
	static const struct want w1[] = {
		{ 0, S("0123456789"), 0 }, { 0, S("0123456789"), 0 },
		{ 0, S("ok"), 0 },
	};
	static const char in2[] = "0123456789A\r\n";
	static const struct want w2[] = { { NETIO_TOOLONG, S(""), 0 } };
	static const char in3[] = "0123456789\r0123";
	static const struct want w3[] = { { NETIO_TOOLONG, S(""), 0 } };
	static const char in4[] = "0123456789\r";
	static const struct want w4[] = { { NETIO_EOF, S(""), 0 } };
	struct buf big = BUF_INIT;
	const char *line;
	size_t len;
	int nul, r;
	struct netio *n;

	tap_ok(lines_match(in1, sizeof(in1) - 1, 10, w1, NW(w1)),
	    "a line of exactly max bytes is accepted: every split");
	tap_ok(lines_match(in2, sizeof(in2) - 1, 10, w2, NW(w2)),
	    "max + 1 bytes: too long, every split");
	tap_ok(lines_match(in3, sizeof(in3) - 1, 10, w3, NW(w3)),
	    "max bytes, CR, no LF: too long once more data comes");
	tap_ok(lines_match(in4, sizeof(in4) - 1, 10, w4, NW(w4)),
	    "max bytes, CR, EOF: end of input, not too long");

	/* A whole over-long line in the buffer is consumed. */
	n = netio_create_mem(S("0123456789AB\r\nnext\r\n"), 0);
	r = netio_read_line(n, 10, &line, &len, &nul);
	tap_is_int(r, NETIO_TOOLONG, "over-long line: NETIO_TOOLONG");
	tap_ok(strstr(netio_why(n), "longer than 10") != NULL,
	    "why: %s", netio_why(n));
	r = netio_read_line(n, 10, &line, &len, &nul);
	tap_ok(r == 0 && strcmp(line, "next") == 0,
	    "the line after it is read normally");
	netio_free(n);

	/* 4 MB without LF: refused after max + 2 bytes, not after 4 MB. */
	buf_reserve(&big, 4 << 20);
	memset(big.data, 'x', 4 << 20);
	big.len = 4 << 20;
	n = netio_create_mem(big.data, big.len, 0);
	r = netio_read_line(n, 1000, &line, &len, &nul);
	tap_is_int(r, NETIO_TOOLONG, "4 MB line, max 1000: too long");
	r = netio_read_line(n, 1000, &line, &len, &nul);
	tap_is_int(r, NETIO_TOOLONG, "and the rest of it too (mid-line)");
	netio_free(n);
	buf_free(&big);
}

static void
test_eof(void)
{
	const char *line;
	size_t len;
	int nul;
	struct netio *n = netio_create_mem("", 0, 0);

	tap_is_int(netio_read_line(n, 10, &line, &len, &nul), NETIO_EOF,
	    "empty input: EOF");
	tap_ok(strstr(netio_why(n), "closed") != NULL, "why: %s",
	    netio_why(n));
	netio_free(n);
	n = netio_create_mem(S("A1 NOO"), 1);
	tap_is_int(netio_read_line(n, 10, &line, &len, &nul), NETIO_EOF,
	    "EOF mid-line: EOF");
	tap_ok(strstr(netio_why(n), "middle of a line") != NULL, "why: %s",
	    netio_why(n));
	netio_free(n);
}

static void
test_exact(void)
{
	static const char in[] = "A1 APPEND x {5}\r\nhello rest\r\n{3}\r\n";
	const char *line;
	char lit[8];
	size_t chunk, len;
	int ok = 1, nul;
	struct netio *n;

	for (chunk = 0; chunk < sizeof(in); chunk++) {
		n = netio_create_mem(in, sizeof(in) - 1, chunk);
		memset(lit, 0, sizeof(lit));
		ok &= netio_read_line(n, 100, &line, &len, &nul) == 0 &&
		    strcmp(line, "A1 APPEND x {5}") == 0;
		ok &= netio_read_exact(n, lit, 5) == 0 &&
		    memcmp(lit, "hello", 5) == 0;
		ok &= netio_read_line(n, 100, &line, &len, &nul) == 0 &&
		    strcmp(line, " rest") == 0;
		ok &= netio_read_line(n, 100, &line, &len, &nul) == 0;
		ok &= netio_read_exact(n, lit, 3) == NETIO_EOF;
		ok &= netio_read_exact(n, lit, 0) == 0;
		netio_free(n);
	}
	tap_ok(ok, "line, literal, rest of line, short literal: every split");
}

struct sink {
	struct buf	got;
	size_t		biggest;	/* largest piece handed over */
	size_t		calls;
	size_t		refuse_at;	/* refuse on this call (0: never) */
};

static int
sink_fn(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;

	if (++s->calls == s->refuse_at)
		return -1;
	buf_append(&s->got, data, len);
	if (len > s->biggest)
		s->biggest = len;
	return 0;
}

static void
test_stream(void)
{
	const size_t litlen = 3 << 20;
	static const size_t chunks[] = { 0, 1, 7, 4096, 100000 };
	struct buf in = BUF_INIT;
	struct sink s;
	const char *line;
	size_t i, len;
	int r, nul, ok;
	struct netio *n;

	buf_puts(&in, "A2 APPEND INBOX {3145728}\r\n");
	for (i = 0; i < litlen; i++)
		buf_putc(&in, (int)(i * 7 % 251));
	buf_puts(&in, "\r\nA3 NOOP\r\n");
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		memset(&s, 0, sizeof(s));
		n = netio_create_mem(in.data, in.len, chunks[i]);
		ok = netio_read_line(n, 100, &line, &len, &nul) == 0;
		r = netio_read_stream(n, litlen, sink_fn, &s);
		ok &= netio_read_line(n, 100, &line, &len, &nul) == 0 &&
		    len == 0;
		ok &= netio_read_line(n, 100, &line, &len, &nul) == 0 &&
		    strcmp(line, "A3 NOOP") == 0;
		tap_ok(ok && r == 0 && s.got.len == litlen &&
		    memcmp(s.got.data, in.data + 27, litlen) == 0,
		    "3 MB literal streamed byte-exact, chunk %zu", chunks[i]);
		tap_ok(s.biggest <= 65536, "pieces stay small (biggest %zu)",
		    s.biggest);
		buf_free(&s.got);
		netio_free(n);
	}

	/* The consumer refuses: the rest is drained, the stream in step. */
	memset(&s, 0, sizeof(s));
	s.refuse_at = 2;
	n = netio_create_mem(in.data, in.len, 1000);
	(void)netio_read_line(n, 100, &line, &len, &nul);
	r = netio_read_stream(n, litlen, sink_fn, &s);
	tap_is_int(r, NETIO_REFUSED, "refused literal: NETIO_REFUSED");
	tap_is_int((long long)s.calls, 2, "consumer not called after refusing");
	ok = netio_read_line(n, 100, &line, &len, &nul) == 0 && len == 0 &&
	    netio_read_line(n, 100, &line, &len, &nul) == 0 &&
	    strcmp(line, "A3 NOOP") == 0;
	tap_ok(ok, "next command read in step after a refused literal");
	buf_free(&s.got);
	netio_free(n);

	n = netio_create_mem(in.data, in.len, 0);
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_is_int(netio_read_stream(n, litlen, NULL, NULL), 0,
	    "NULL consumer discards");
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_ok(netio_read_line(n, 100, &line, &len, &nul) == 0 &&
	    strcmp(line, "A3 NOOP") == 0, "and stays in step");
	tap_is_int(netio_read_stream(n, 10, NULL, NULL), NETIO_EOF,
	    "literal past the end: EOF");
	netio_free(n);
	buf_free(&in);
}

static void
test_to_fd(void)
{
	static const char in[] = "{11}\r\nhello world\r\nnext\r\n";
	char path[4200], got[32];
	const char *line;
	size_t len;
	int fd, err = -1, nul;
	ssize_t k;
	struct netio *n;

	snprintf(path, sizeof(path), "%s/lit", tap_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	n = netio_create_mem(in, sizeof(in) - 1, 3);
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_is_int(netio_read_to_fd(n, 11, fd, &err), 0, "literal to fd");
	tap_is_int(err, 0, "no write error");
	k = pread(fd, got, sizeof(got), 0);
	tap_is_mem(got, k < 0 ? 0 : (size_t)k, "hello world", 11,
	    "file holds the literal");
	close(fd);
	netio_free(n);

	/* A failing write: refused, errno kept, stream in step. */
	fd = open(path, O_RDONLY);
	n = netio_create_mem(in, sizeof(in) - 1, 0);
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_is_int(netio_read_to_fd(n, 11, fd, &err), NETIO_REFUSED,
	    "write failure: NETIO_REFUSED");
	tap_is_int(err, EBADF, "errno of the failed write");
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_ok(netio_read_line(n, 100, &line, &len, &nul) == 0 &&
	    strcmp(line, "next") == 0, "next line read in step");
	close(fd);
	netio_free(n);
}

static void
test_output(void)
{
	struct buf want = BUF_INIT, big = BUF_INIT;
	const char *out;
	size_t len, i;
	uint64_t nin, nout;
	struct netio *n = netio_create_mem("x\n", 2, 0);
	const char *line;
	int nul;

	for (i = 0; i < 100000; i++)
		buf_putc(&big, 'a' + (int)(i % 26));
	tap_is_int(netio_printf(n, "* %d EXISTS\r\n", 42), 0, "printf");
	tap_is_int(netio_puts(n, "A1 OK\r\n"), 0, "puts");
	tap_is_int(netio_write(n, big.data, big.len), 0, "large write");
	tap_is_int(netio_write(n, "z", 1), 0, "small write");
	buf_printf(&want, "* 42 EXISTS\r\nA1 OK\r\n%sz", big.data);
	out = netio_mem_output(n, &len);
	tap_is_mem(out, len, want.data, want.len,
	    "output in order across the buffer size");
	(void)netio_read_line(n, 10, &line, &len, &nul);
	netio_counters(n, &nin, &nout);
	tap_is_int((long long)nin, 2, "bytes in");
	tap_is_int((long long)nout, (long long)want.len, "bytes out");
	tap_is_int(netio_wait(n, -1, 0), NETIO_WAIT_CLIENT,
	    "memory netio: wait returns at once");
	tap_is_str(netio_remote_addr(n), "memory", "memory netio address");
	tap_ok(!netio_is_tls(n) && netio_tls_protocol(n) == NULL,
	    "no TLS");
	tap_is_int(netio_close(n), 0, "close");
	buf_free(&want);
	buf_free(&big);
}

int
main(void)
{
	test_line_ends();
	test_nul();
	test_too_long();
	test_eof();
	test_exact();
	test_stream();
	test_to_fd();
	test_output();
	return tap_done();
}
