/*
 * 121-netio-fd - netio on real fds: pipes, socketpairs and loopback TCP.
 * Timeouts, end of input, flushing before a blocking read, sendfile and
 * dot-stuffing byte-exact, waiting on an extra fd, peer addresses and
 * the local/remote decision. A forked child plays the server where the
 * other side has to run at the same time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "netio.h"
#include "lib/tap.h"
#include "netio-test.h"

static void
test_timeouts(void)
{
	int p[2], q[2], fl;
	char *why = NULL, *big;
	const char *line;
	size_t len;
	int nul, r;
	struct timespec t0;
	long long ms;
	struct netio *n;

	if (pipe(p) < 0 || pipe(q) < 0)
		exit(2);
	n = netio_create(p[0], q[1], &why);
	netio_set_timeout(n, 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = netio_read_line(n, 100, &line, &len, &nul);
	ms = ms_since(&t0);
	tap_is_int(r, NETIO_TIMEOUT, "silent client: NETIO_TIMEOUT");
	tap_ok(ms >= 900 && ms < 3000, "after the 1 s idle timeout (%lld ms)",
	    ms);
	tap_ok(strstr(netio_why(n), "timed out") != NULL, "why: %s",
	    netio_why(n));

	/* A client that does not read: the write times out, stickily. */
	big = calloc(1, 1 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = netio_write(n, big, 1 << 20);
	ms = ms_since(&t0);
	tap_is_int(r, NETIO_TIMEOUT, "client not reading: write times out");
	tap_ok(ms >= 900 && ms < 3000, "after 1 s (%lld ms)", ms);
	tap_is_int(netio_puts(n, "x"), NETIO_TIMEOUT, "write failure sticks");
	tap_is_int(netio_flush(n), NETIO_TIMEOUT, "flush reports it");
	tap_is_int(netio_read_line(n, 100, &line, &len, &nul), NETIO_TIMEOUT,
	    "a read that would wait reports it at once");
	free(big);

	close(p[1]);
	netio_free(n);
	fl = fcntl(p[0], F_GETFL);
	tap_ok(fl >= 0 && !(fl & O_NONBLOCK), "netio_free restores fd flags");
	n = netio_create(p[0], q[1], &why);
	tap_is_int(netio_read_line(n, 100, &line, &len, &nul), NETIO_EOF,
	    "writer gone: NETIO_EOF");
	netio_free(n);
	close(q[0]);
	n = netio_create(p[0], q[1], &why);
	tap_is_int(netio_puts(n, "x"), 0, "queued");
	tap_is_int(netio_flush(n), NETIO_ERROR,
	    "reader gone: NETIO_ERROR, no SIGPIPE death");
	tap_ok(strstr(netio_why(n), "pipe") != NULL, "why: %s", netio_why(n));
	netio_free(n);
	close(p[0]);
	close(q[1]);
	n = netio_create(p[0], p[0], &why);
	tap_ok(n == NULL && why != NULL, "closed fd: netio_create fails: %s",
	    why ? why : "");
	free(why);
}

/* Reply to each command without flushing; stop at "bye". */
static int
echo_server(struct netio *n, void *arg)
{
	const char *line;
	size_t len;
	int nul, r;

	(void)arg;
	while ((r = netio_read_line(n, 100, &line, &len, &nul)) == 0 &&
	    strcmp(line, "bye") != 0)
		netio_printf(n, "re %s\n", line);
	return r == 0 && netio_flush(n) == 0 ? 0 : 1;
}

/* Read up to and including the next LF, one byte at a time. */
static void
read_reply(int fd, struct buf *b)
{
	char c;

	buf_reset(b);
	while (read(fd, &c, 1) == 1) {
		buf_putc(b, c);
		if (c == '\n')
			break;
	}
}

static void
test_flush_before_read(void)
{
	struct buf b = BUF_INIT, all = BUF_INIT;
	int sv[2], ok = 1;
	pid_t pid;
	char want[32];
	int i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	pid = serve(sv[0], sv[0], sv[1], echo_server, NULL);
	close(sv[0]);
	for (i = 1; i <= 3; i++) {
		snprintf(want, sizeof(want), "c%d\n", i);
		ok &= write(sv[1], want, strlen(want)) == (ssize_t)strlen(want);
		read_reply(sv[1], &b);
		snprintf(want, sizeof(want), "re c%d\n", i);
		ok &= strcmp(buf_cstr(&b), want) == 0;
	}
	tap_ok(ok, "lock-step commands: each reply flushed before the "
	    "server blocks reading");
	ok = write(sv[1], "p1\np2\np3\nbye\n", 13) == 13;
	read_all(sv[1], &all);
	tap_is_str(buf_cstr(&all), "re p1\nre p2\nre p3\n",
	    "pipelined commands: all replies, in order");
	tap_is_int(reap(pid), 0, "server side ok");
	close(sv[1]);
	buf_free(&b);
	buf_free(&all);
}

struct send_job {
	const char	*path;
	off_t		 off;
	uint64_t	 count;
	int		 stuff;
};

/* "+OK", the range (sendfile or dot-stuffed), ".". */
static int
send_server(struct netio *n, void *arg)
{
	struct send_job *j = arg;
	int fd = open(j->path, O_RDONLY), r;

	netio_puts(n, "+OK\r\n");
	r = j->stuff ? netio_send_dotstuffed(n, fd, j->off, j->count) :
	    netio_sendfile(n, fd, j->off, j->count);
	netio_puts(n, ".\r\n");
	close(fd);
	return r == 0 && netio_flush(n) == 0 ? 0 : 1;
}

static void
stuff_ref(const char *p, size_t len, struct buf *out)
{
	int bol = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		if (bol && p[i] == '.')
			buf_putc(out, '.');
		buf_putc(out, p[i]);
		bol = p[i] == '\n';
	}
}

/* What the client must receive for job j over the file's content. */
static void
expected(const struct send_job *j, const char *content, struct buf *want)
{
	buf_reset(want);
	buf_puts(want, "+OK\r\n");
	if (j->stuff)
		stuff_ref(content + j->off, j->count, want);
	else
		buf_append(want, content + j->off, j->count);
	buf_puts(want, ".\r\n");
}

/* Send j over a pipe, a socketpair or loopback TCP; compare. */
static void
check_send(const char *kind, int rfd, int wfd, int peer_r, int close_fd,
    struct send_job *j, const char *content)
{
	struct buf got = BUF_INIT, want = BUF_INIT;
	pid_t pid = serve(rfd, wfd, close_fd, send_server, j);

	close(wfd);
	if (rfd != wfd)
		close(rfd);
	read_all(peer_r, &got);
	expected(j, content, &want);
	tap_ok(reap(pid) == 0 && got.len == want.len &&
	    memcmp(buf_cstr(&got), want.data, got.len) == 0,
	    "%s %s of %llu bytes at %lld: byte-exact (%zu bytes)", kind,
	    j->stuff ? "dot-stuffed" : "sendfile",
	    (unsigned long long)j->count, (long long)j->off, got.len);
	buf_free(&got);
	buf_free(&want);
}

/* A socket listening on addr, any port; -1 if this host cannot. */
static int
tcp_listen(int family, const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
	int l, zero = 0;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if ((family == AF_INET ? inet_pton(AF_INET, addr, &s4->sin_addr) :
	    inet_pton(AF_INET6, addr, &s6->sin6_addr)) != 1)
		return -1;
	if ((l = socket(family, SOCK_STREAM, 0)) < 0)
		return -1;
	if (family == AF_INET6)
		(void)setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
		    sizeof(zero));
	if (bind(l, (struct sockaddr *)(void *)&ss, sizeof(ss)) < 0 ||
	    listen(l, 1) < 0) {
		close(l);
		return -1;
	}
	return l;
}

/* Connect a client socket of family cfamily to caddr at the listener. */
static int
tcp_connect(int l, int cfamily, const char *caddr, int *srv_r, int *cli_r)
{
	struct sockaddr_storage ls, cs;
	struct sockaddr_in *c4 = (struct sockaddr_in *)(void *)&cs;
	struct sockaddr_in6 *c6 = (struct sockaddr_in6 *)(void *)&cs;
	socklen_t len = sizeof(ls);
	in_port_t port;
	int c;

	if (getsockname(l, (struct sockaddr *)(void *)&ls, &len) < 0)
		return -1;
	port = ls.ss_family == AF_INET ?
	    ((struct sockaddr_in *)(void *)&ls)->sin_port :
	    ((struct sockaddr_in6 *)(void *)&ls)->sin6_port;
	memset(&cs, 0, sizeof(cs));
	cs.ss_family = (sa_family_t)cfamily;
	if (cfamily == AF_INET) {
		c4->sin_port = port;
		if (inet_pton(AF_INET, caddr, &c4->sin_addr) != 1)
			return -1;
	} else {
		c6->sin6_port = port;
		if (inet_pton(AF_INET6, caddr, &c6->sin6_addr) != 1)
			return -1;
	}
	if ((c = socket(cfamily, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(c, (struct sockaddr *)(void *)&cs, sizeof(cs)) < 0 ||
	    (*srv_r = accept(l, NULL, NULL)) < 0) {
		close(c);
		return -1;
	}
	*cli_r = c;
	return 0;
}

/* Listen on addr and connect to it from the same family. */
static int
tcp_loop(int family, const char *addr, int *srv_r, int *cli_r)
{
	int l = tcp_listen(family, addr), r;

	if (l < 0)
		return -1;
	r = tcp_connect(l, family, addr, srv_r, cli_r);
	close(l);
	return r;
}

/* A range of count bytes from a file of size: an error, said why. */
static void
short_file(const char *path, const char *data, size_t size, uint64_t count,
    const char *what)
{
	struct netio *n;
	char *why = NULL;
	int sv[2], fd;

	make_file(path, data, size);
	fd = open(path, O_RDONLY);
	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	n = netio_create(sv[0], sv[0], &why);
	tap_is_int(netio_sendfile(n, fd, 0, count), NETIO_ERROR,
	    "%s of the file: NETIO_ERROR", what);
	tap_ok(strstr(netio_why(n), "early") != NULL, "why: %s",
	    netio_why(n));
	tap_is_int(netio_sendfile(n, fd, -1, 1), NETIO_ERROR,
	    "negative offset: NETIO_ERROR");
	netio_free(n);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

static void
test_sendfile(void)
{
	/* up to 16 KB goes through the output buffer, above with sendfile */
	static const size_t sizes[] = { 0, 1, 16384, 16385, 40000, 1 << 20 };
	struct buf content = BUF_INIT;
	struct send_job j;
	char path[4200];
	int p[2], q[2], sv[2], s, c;
	size_t i;

	snprintf(path, sizeof(path), "%s/msg", tap_tmpdir());
	random_bytes(&content, 1 << 20, NULL, 12345);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		make_file(path, content.data, sizes[i]);
		j = (struct send_job){ path, 0, sizes[i], 0 };
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			exit(2);
		check_send("socketpair", sv[0], sv[0], sv[1], sv[1], &j,
		    content.data);
		close(sv[1]);
		if (pipe(p) < 0 || pipe(q) < 0)
			exit(2);
		check_send("pipe", q[0], p[1], p[0], p[0], &j, content.data);
		close(p[0]);
		close(q[1]);
		if (tcp_loop(AF_INET, "127.0.0.1", &s, &c) == 0) {
			check_send("TCP", s, s, c, c, &j, content.data);
			close(c);
		}
	}
	j = (struct send_job){ path, 1000, 5000, 0 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	check_send("socketpair", sv[0], sv[0], sv[1], sv[1], &j, content.data);
	close(sv[1]);

	/* A file shorter than the range, small and past the small size. */
	short_file(path, "0123456789", 10, 20, "range past the end");
	short_file(path, content.data, 20000, 30000,
	    "large range past the end");
	buf_free(&content);
}

/* Compare netio's dot-stuffing of data with the reference. */
static int
stuff_ok(const char *path, const char *data, size_t len, off_t off)
{
	struct buf want = BUF_INIT;
	const char *out;
	size_t olen;
	int fd, r, ok;
	struct netio *n = netio_create_mem("", 0, 0);

	make_file(path, data, len);
	fd = open(path, O_RDONLY);
	r = netio_send_dotstuffed(n, fd, off, len - (size_t)off);
	out = netio_mem_output(n, &olen);
	stuff_ref(data + off, len - (size_t)off, &want);
	ok = r == 0 && olen == want.len &&
	    memcmp(out, buf_cstr(&want), olen) == 0;
	if (!ok)
		tap_diag("dot-stuffing %zu bytes at %lld: r=%d, %zu bytes "
		    "out, want %zu", len, (long long)off, r, olen, want.len);
	close(fd);
	netio_free(n);
	buf_free(&want);
	return ok;
}

static void
test_dotstuff(void)
{
	static const char *const cases[] = {
		"", ".", "\n", ".\r\n", "..\r\n", "a\r\n.\r\n", "a.b\r\n.c.\r\n",
		"\r\n.\r\n..\r\n...\r\n", "x\n.\n.\n", "no newline at end.",
		"a\r\n.", ".a\r\n\r\n.", "\n\n..\n",
	};
	struct buf data = BUF_INIT;
	struct send_job j;
	char path[4200];
	size_t i, k;
	int ok = 1, p[2], q[2];

	snprintf(path, sizeof(path), "%s/dots", tap_tmpdir());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok &= stuff_ok(path, cases[i], strlen(cases[i]), 0);
	tap_ok(ok, "dot-stuffing of %zu short cases matches the reference",
	    i);

	/* LF and '.' on both sides of the 64 KB read boundary. */
	for (k = 65533; k <= 65537; k++) {
		buf_reset(&data);
		for (i = 0; i < 70000; i++)
			buf_putc(&data, i == k ? '\n' : i == k + 1 ? '.' : 'a');
		ok &= stuff_ok(path, data.data, data.len, 0);
	}
	tap_ok(ok, "\"\\n.\" split across the read boundary");

	/* 1 MB of lines made of dots, CR, LF, text; and a sub-range. */
	buf_reset(&data);
	random_bytes(&data, 1 << 20, ".\r\na", 99);
	tap_ok(stuff_ok(path, data.data, data.len, 0),
	    "1 MB, dots everywhere: matches the reference");
	for (k = 1000; data.data[k - 1] != '\n'; k++)
		;
	tap_ok(stuff_ok(path, data.data, data.len, (off_t)k),
	    "from a line start at %zu: matches the reference", k);

	/* The same over a pipe, through the real write path. */
	make_file(path, data.data, data.len);
	j = (struct send_job){ path, 0, data.len, 1 };
	if (pipe(p) < 0 || pipe(q) < 0)
		exit(2);
	check_send("pipe", q[0], p[1], p[0], p[0], &j, data.data);
	close(p[0]);
	close(q[1]);
	buf_free(&data);
}

static void
test_wait(void)
{
	int sv[2], e[2], r, nul;
	char *why = NULL, c;
	const char *line;
	size_t len;
	struct timespec t0;
	long long ms;
	struct netio *n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(e) < 0)
		exit(2);
	n = netio_create(sv[0], sv[0], &why);
	netio_set_timeout(n, 1000);
	netio_puts(n, "+ idling\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = netio_wait(n, e[0], 300);
	ms = ms_since(&t0);
	tap_is_int(r, 0, "nothing ready: 0 after the timeout");
	tap_ok(ms >= 250 && ms < 2000, "waited %lld ms for 300", ms);
	tap_ok(read(sv[1], &c, 1) == 1 && c == '+',
	    "output flushed before waiting");
	while (read(sv[1], &c, 1) == 1 && c != '\n')
		;
	tap_ok(write(e[1], "x", 1) == 1, "extra fd made readable");
	tap_is_int(netio_wait(n, e[0], 1000), NETIO_WAIT_EXTRA,
	    "extra fd: NETIO_WAIT_EXTRA");
	tap_ok(read(e[0], &c, 1) == 1, "drained");
	tap_ok(write(sv[1], "DONE\r\nA2 NOOP\r\n", 15) == 15, "client sends");
	tap_is_int(netio_wait(n, e[0], 1000), NETIO_WAIT_CLIENT,
	    "client input: NETIO_WAIT_CLIENT");
	r = netio_read_line(n, 100, &line, &len, &nul);
	tap_ok(r == 0 && strcmp(line, "DONE") == 0, "DONE read");
	tap_is_int(netio_wait(n, -1, 0), NETIO_WAIT_CLIENT,
	    "buffered input counts as ready (socket empty)");
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_ok(write(e[1], "y", 1) == 1 && write(sv[1], "z\n", 2) == 2,
	    "both made ready");
	tap_is_int(netio_wait(n, e[0], 1000),
	    NETIO_WAIT_CLIENT | NETIO_WAIT_EXTRA, "both reported");
	close(sv[1]);
	(void)netio_read_line(n, 100, &line, &len, &nul);
	tap_is_int(netio_wait(n, -1, 1000), NETIO_WAIT_CLIENT,
	    "client gone: reported as ready");
	tap_is_int(netio_read_line(n, 100, &line, &len, &nul), NETIO_EOF,
	    "and the read says EOF");
	netio_free(n);
	close(sv[0]);
	close(e[0]);
	close(e[1]);
}

/* netio's view of a TCP connection: remote, local address, locality. */
static void
check_tcp(const char *what, int l, int cfamily, const char *caddr,
    const char *want_addr, int want_local)
{
	char *why = NULL;
	int s, c;
	struct netio *n;

	if (l < 0 || tcp_connect(l, cfamily, caddr, &s, &c) < 0) {
		tap_ok(1, "# SKIP %s: not available here", what);
		if (l >= 0)
			close(l);
		return;
	}
	n = netio_create(s, s, &why);
	tap_is_str(netio_remote_addr(n), want_addr, "%s: remote address",
	    what);
	tap_is_str(netio_local_addr(n), want_addr, "%s: local address", what);
	tap_is_int(netio_is_local(n), want_local, "%s: local is %d", what,
	    want_local);
	netio_free(n);
	close(s);
	close(c);
	close(l);
}

/* The first non-loopback IPv4 address of this host, if any. */
static int
public_ipv4(char *out, size_t outlen)
{
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)i->ifa_addr;

		if (sin && sin->sin_family == AF_INET &&
		    (ntohl(sin->sin_addr.s_addr) >> 24) != 127 &&
		    inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outlen))
			found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

static struct netio *
pipe_netio(int p[2])
{
	char *why = NULL;

	if (pipe(p) < 0)
		exit(2);
	return netio_create(p[0], p[1], &why);
}

static void
check_env(const char *remote, const char *want, int want_local)
{
	int p[2];
	struct netio *n;

	setenv("TCPREMOTEIP", remote, 1);
	setenv("TCPLOCALIP", "192.0.2.25", 1);
	n = pipe_netio(p);
	tap_is_str(netio_remote_addr(n), want, "pipe, TCPREMOTEIP=%s", remote);
	tap_is_int(netio_is_local(n), want_local, "local is %d", want_local);
	tap_is_str(netio_local_addr(n), "192.0.2.25", "TCPLOCALIP used");
	netio_free(n);
	close(p[0]);
	close(p[1]);
	unsetenv("TCPREMOTEIP");
	unsetenv("TCPLOCALIP");
}

static void
test_peer(void)
{
	char addr[64];
	int p[2], sv[2], s, c;
	char *why = NULL;
	struct netio *n;

	unsetenv("TCPREMOTEIP");
	unsetenv("TCPLOCALIP");
	n = pipe_netio(p);
	tap_is_str(netio_remote_addr(n), "pipe", "pipes: remote \"pipe\"");
	tap_is_str(netio_local_addr(n), "pipe", "pipes: local \"pipe\"");
	tap_is_int(netio_is_local(n), 1, "pipes are local");
	tap_is_int(netio_plaintext_allowed(n, PLAINTEXT_LOCAL), 1,
	    "PLAINTEXT_LOGIN=local allows a local client");
	tap_is_int(netio_plaintext_allowed(n, PLAINTEXT_NEVER), 0,
	    "PLAINTEXT_LOGIN=never refuses it without TLS");
	netio_free(n);
	close(p[0]);
	close(p[1]);

	check_env("192.0.2.9", "192.0.2.9", 0);
	check_env("127.0.0.5", "127.0.0.5", 1);
	check_env("::ffff:127.0.0.1", "127.0.0.1", 1);
	check_env("2001:db8:0::1", "2001:db8::1", 0);
	check_env("1.2.3.4 injected=1", "unknown", 0);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	n = netio_create(sv[0], sv[0], &why);
	tap_is_str(netio_remote_addr(n), "unix", "socketpair: \"unix\"");
	tap_is_int(netio_is_local(n), 1, "unix sockets are local");
	netio_free(n);
	close(sv[0]);
	close(sv[1]);

	check_tcp("TCP 127.0.0.1", tcp_listen(AF_INET, "127.0.0.1"),
	    AF_INET, "127.0.0.1", "127.0.0.1", 1);
	check_tcp("TCP ::1", tcp_listen(AF_INET6, "::1"), AF_INET6,
	    "::1", "::1", 1);
	check_tcp("TCP v4-mapped 127.0.0.1", tcp_listen(AF_INET6, "::"),
	    AF_INET, "127.0.0.1", "127.0.0.1", 1);
	if (public_ipv4(addr, sizeof(addr))) {
		check_tcp("TCP on a non-loopback address",
		    tcp_listen(AF_INET, addr), AF_INET, addr, addr, 0);
		if (tcp_loop(AF_INET, addr, &s, &c) == 0) {
			n = netio_create(s, s, &why);
			tap_is_int(netio_plaintext_allowed(n, PLAINTEXT_LOCAL),
			    0, "PLAINTEXT_LOGIN=local refuses a remote client");
			tap_is_int(netio_plaintext_allowed(n,
			    PLAINTEXT_ALWAYS), 1, "=always allows it");
			netio_free(n);
			close(s);
			close(c);
		}
	} else
		tap_ok(1, "# SKIP no non-loopback IPv4 address");
}

int
main(void)
{
	test_timeouts();
	test_flush_before_read();
	test_sendfile();
	test_dotstuff();
	test_wait();
	test_peer();
	return tap_done();
}
