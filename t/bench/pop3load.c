/*
 * pop3load - the POP3 client of t/bench/pop3-vs-dovecot.
 *
 *	pop3load HOST PORT PREFIX PASSWORD CLIENTS [ROUNDS]
 *
 * CLIENTS processes log in as PREFIX1 .. PREFIXn with USER/PASS, wait
 * until all are logged in, then each retrieves every message of its
 * maildrop with RETR, one command at a time as mail clients do, and
 * QUITs. With ROUNDS (default 1) each client retrieves the whole
 * maildrop that many times in its session, so that a run with few
 * clients still moves enough data to be timed (one mailbox takes some
 * 20 ms). Prints "MESSAGES BYTES SECONDS" for the download part (from
 * the moment all are logged in to the last QUIT answered): the same
 * client for every server, written in C so that it costs the servers
 * little of the machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	(1 << 20)

struct conn {
	int	 fd;
	char	*buf;
	size_t	 pos, len;
};

static void
die(const char *what)
{
	fprintf(stderr, "pop3load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
fill(struct conn *c)
{
	ssize_t n;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == BUFSZ)
		die("line too long");
	n = read(c->fd, c->buf + c->len, BUFSZ - c->len);
	if (n <= 0)
		die("read");
	c->len += (size_t)n;
	return 0;
}

/* One line (without CRLF) into line. */
static void
get_line(struct conn *c, char *line, size_t size)
{
	char *lf;
	size_t n;

	while ((lf = memchr(c->buf + c->pos, '\n', c->len - c->pos)) == NULL)
		fill(c);
	n = (size_t)(lf - (c->buf + c->pos));
	if (n > 0 && lf[-1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, c->buf + c->pos, n);
	line[n] = '\0';
	c->pos = (size_t)(lf - c->buf) + 1;
}

/* Skip a multi-line body up to and including CRLF.CRLF; its size. */
static unsigned long long
skip_body(struct conn *c)
{
	unsigned long long n = 0;
	char *p, *end;

	for (;;) {
		/* The terminator is at the start of the data or after CRLF. */
		if (c->len - c->pos >= 3 && n == 0 &&
		    memcmp(c->buf + c->pos, ".\r\n", 3) == 0) {
			c->pos += 3;
			return 0;
		}
		p = c->buf + c->pos;
		end = c->buf + c->len;
		while (p + 5 <= end && (p = memmem(p, (size_t)(end - p),
		    "\r\n.\r\n", 5)) != NULL) {
			n += (unsigned long long)(p + 2 - (c->buf + c->pos));
			c->pos = (size_t)(p + 5 - c->buf);
			return n;
		}
		/* keep the last 4 bytes: a terminator may straddle reads */
		if (c->len - c->pos > 4) {
			n += c->len - c->pos - 4;
			c->pos = c->len - 4;
		}
		fill(c);
	}
}

static void
cmd(struct conn *c, const char *text, char *reply, size_t size)
{
	size_t len = strlen(text);

	if (write(c->fd, text, len) != (ssize_t)len)
		die("write");
	get_line(c, reply, size);
	if (strncmp(reply, "+OK", 3) != 0) {
		fprintf(stderr, "pop3load: %.*s-> %s\n", (int)len - 2, text,
		    reply);
		exit(1);
	}
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *ai;
	int fd, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("getaddrinfo");
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
	return fd;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One client: log in, tell the parent, wait, download, report. */
static void
client(char **argv, int id, int rounds, int ready, int go, int result)
{
	struct conn c = { 0, NULL, 0, 0 };
	char line[1024], text[600];
	unsigned long long bytes = 0;
	unsigned long i, n;
	int round;

	c.buf = malloc(BUFSZ);
	c.fd = dial(argv[1], argv[2]);
	get_line(&c, line, sizeof(line));
	snprintf(text, sizeof(text), "USER %s%d\r\n", argv[3], id);
	cmd(&c, text, line, sizeof(line));
	snprintf(text, sizeof(text), "PASS %s\r\n", argv[4]);
	cmd(&c, text, line, sizeof(line));
	if (write(ready, "r", 1) != 1 || read(go, line, 1) != 1)
		die("sync");
	cmd(&c, "STAT\r\n", line, sizeof(line));
	n = strtoul(line + 4, NULL, 10);
	for (round = 0; round < rounds; round++)
		for (i = 1; i <= n; i++) {
			snprintf(text, sizeof(text), "RETR %lu\r\n", i);
			cmd(&c, text, line, sizeof(line));
			bytes += skip_body(&c);
		}
	cmd(&c, "QUIT\r\n", line, sizeof(line));
	snprintf(text, sizeof(text), "%lu %llu %.6f\n", n * (unsigned long)rounds,
	    bytes, now());
	if (write(result, text, strlen(text)) < 0)
		die("result");
	exit(0);
}

int
main(int argc, char **argv)
{
	int ready[2], go[2], result[2], i, nclients, rounds = 1, status;
	struct pollfd pfd;
	pid_t *pids;
	unsigned long long msgs = 0, bytes = 0, m, b;
	double t0, t1, end = 0;
	char buf[4096];
	FILE *fp;

	if (argc == 7)
		rounds = atoi(argv[6]);
	if ((argc != 6 && argc != 7) || (nclients = atoi(argv[5])) < 1 ||
	    rounds < 1) {
		fprintf(stderr, "usage: pop3load HOST PORT PREFIX PASSWORD "
		    "CLIENTS [ROUNDS]\n");
		return 64;
	}
	if (pipe(ready) < 0 || pipe(go) < 0 || pipe(result) < 0)
		die("pipe");
	if ((pids = calloc((size_t)nclients, sizeof(*pids))) == NULL)
		die("calloc");
	for (i = 0; i < nclients; i++)
		if ((pids[i] = fork()) == 0)
			client(argv, i + 1, rounds, ready[1], go[0],
			    result[1]);
	close(ready[1]);
	for (i = 0; i < nclients; i++) {
		/* a client that fails to log in exits: do not wait forever */
		pfd.fd = ready[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 60000) != 1 || read(ready[0], buf, 1) != 1) {
			for (i = 0; i < nclients; i++)
				kill(pids[i], SIGTERM);
			errno = ETIMEDOUT;
			die("a client failed to log in");
		}
	}
	t0 = now();
	memset(buf, 'g', (size_t)nclients);
	if (write(go[1], buf, (size_t)nclients) != nclients)
		die("go");
	close(result[1]);
	fp = fdopen(result[0], "r");
	while (fgets(buf, sizeof(buf), fp)) {
		if (sscanf(buf, "%llu %llu %lf", &m, &b, &t1) != 3)
			continue;
		msgs += m;
		bytes += b;
		if (t1 > end)
			end = t1;
	}
	status = 0;
	for (i = 0; i < nclients; i++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
	}
	printf("%llu %llu %.6f\n", msgs, bytes, end - t0);
	return 0;
}
