/*
 * imaptime - time one IMAP command, for t/bench/imap-vs-dovecot.
 *
 *	imaptime HOST PORT USER PASSWORD SELECT|- "COMMAND" [REPEAT]
 *
 * Connects, logs in, selects the mailbox (unless "-"), then sends
 * COMMAND REPEAT times (default 1) and prints, per run, the seconds from
 * sending it to the end of its tagged response, and the response bytes.
 * The response is read into a fixed buffer and only the newly read bytes
 * are searched for the tag, so the client costs little next to the
 * server. Exit 1 on any failure or a response other than OK.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	(1 << 20)

static char buf[BUFSZ + 256];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read until a line starting with tag (after a LF) is complete; the
 * response's bytes, or -1. */
static long long
response(int fd, const char *tag)
{
	char want[64], *p, *e;
	size_t wl, have = 1;
	long long total = 0;
	ssize_t n;

	snprintf(want, sizeof(want), "\n%s ", tag);
	wl = strlen(want);
	buf[0] = '\n';
	for (;;) {
		n = read(fd, buf + have, BUFSZ - have);
		if (n <= 0)
			return -1;
		total += n;
		have += (size_t)n;
		if ((p = memmem(buf, have, want, wl)) != NULL &&
		    (e = memchr(p + 1, '\n', have - (size_t)(p + 1 - buf))) != NULL) {
			if (strncmp(p + wl, "OK", 2) != 0) {
				fprintf(stderr, "imaptime: %.*s\n", (int)(e - p),
				    p + 1);
				return -1;
			}
			return total;
		}
		/* Keep the tail: the tagged line may be split across reads. */
		if (have > 256) {
			memmove(buf, buf + have - 256, 256);
			have = 256;
		}
	}
}

static int
cmd(int fd, const char *tag, const char *text, long long *bytes_r)
{
	char line[4096];
	int len = snprintf(line, sizeof(line), "%s %s\r\n", tag, text);

	if (len < 0 || (size_t)len >= sizeof(line) || write(fd, line, len) != len)
		return -1;
	*bytes_r = response(fd, tag);
	return *bytes_r < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	char text[512], tag[16];
	long long bytes;
	double t0;
	int fd, one = 1, i, repeat = argc > 7 ? atoi(argv[7]) : 1;

	if (argc < 7) {
		fputs("usage: imaptime host port user password mailbox|- "
		    "command [repeat]\n", stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read(fd, buf, BUFSZ) <= 0)
		return 1;
	snprintf(text, sizeof(text), "LOGIN %s %s", argv[3], argv[4]);
	if (cmd(fd, "L", text, &bytes) < 0)
		return 1;
	if (strcmp(argv[5], "-") != 0) {
		snprintf(text, sizeof(text), "SELECT %s", argv[5]);
		if (cmd(fd, "S", text, &bytes) < 0)
			return 1;
	}
	for (i = 0; i < repeat; i++) {
		snprintf(tag, sizeof(tag), "C%d", i);
		t0 = now();
		if (cmd(fd, tag, argv[6], &bytes) < 0)
			return 1;
		printf("%.6f %lld\n", now() - t0, bytes);
	}
	(void)cmd(fd, "Z", "LOGOUT", &bytes);
	close(fd);
	return 0;
}
