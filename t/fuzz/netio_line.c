/*
 * netio_line - fuzz netio's line reader and literal reader.
 *
 * Input: byte 0 picks the read size (0: everything at once, else 1..255
 * bytes per read), byte 1 the line maximum (0..1020 in steps of 4); the
 * rest is what the client sends. Lines ending in an IMAP literal
 * announcement {N} or {N+} (N < 1 MB) are followed by N bytes read with
 * netio_read_exact() (small N) or netio_read_stream() (large N, and a
 * consumer that refuses now and then). Every contract of netio.h that
 * can be checked from outside is checked; a violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netio.h"

#define LIT_MAX		(1 << 20)
#define EXACT_MAX	4096

struct piece_check {
	uint64_t	seen;
	int		refuse;
};

static int
piece(void *ctx, const char *data, size_t len)
{
	struct piece_check *c = ctx;

	if (len == 0 || data == NULL)
		abort();
	c->seen += len;
	return c->refuse && c->seen > 100 ? -1 : 0;
}

/* N from a line ending in {N} or {N+}; -1 if none. */
static long
literal_size(const char *line, size_t len)
{
	size_t i;
	long n = 0;

	if (len < 3 || line[len - 1] != '}')
		return -1;
	i = len - 2;
	if (line[i] == '+')
		i--;
	if (line[i] < '0' || line[i] > '9')
		return -1;
	while (i > 0 && line[i] >= '0' && line[i] <= '9')
		i--;
	if (line[i] != '{')
		return -1;
	for (i++; line[i] != '}' && line[i] != '+'; i++) {
		n = n * 10 + (line[i] - '0');
		if (n >= LIT_MAX)
			return -1;
	}
	return n;
}

static void
check_line(const char *line, size_t len, size_t max, int nul)
{
	if (len > max || line[len] != '\0' ||
	    memchr(line, '\n', len) != NULL ||
	    nul != (memchr(line, '\0', len) != NULL))
		abort();
}

static int
read_literal(struct netio *n, long size, unsigned round)
{
	static char exact[EXACT_MAX];
	struct piece_check c = { 0, (round & 3) == 1 };
	int r;

	if (size <= EXACT_MAX && (round & 1) == 0)
		return netio_read_exact(n, exact, (size_t)size);
	r = netio_read_stream(n, (uint64_t)size, piece, &c);
	if (r == 0 && c.seen != (uint64_t)size)
		abort();
	if (r == NETIO_REFUSED && !c.refuse)
		abort();
	return r == NETIO_REFUSED ? 0 : r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line;
	size_t len, max;
	unsigned round = 0;
	long lit;
	int r, nul, toolong = 0;
	struct netio *n;

	if (size < 2)
		return 0;
	max = (size_t)data[1] * 4;
	n = netio_create_mem(data + 2, size - 2, data[0]);
	for (;;) {
		r = netio_read_line(n, max, &line, &len, &nul);
		if (r == NETIO_TOOLONG) {
			/* Callers disconnect; go on to exercise mid-line. */
			if (++toolong > 64)
				break;
			continue;
		}
		if (r != 0) {
			if (r != NETIO_EOF || *netio_why(n) == '\0')
				abort();
			break;
		}
		check_line(line, len, max, nul);
		netio_printf(n, "* %zu\r\n", len);
		lit = literal_size(line, len);
		if (lit >= 0 && read_literal(n, lit, round++) != 0)
			break;
	}
	netio_free(n);
	return 0;
}
