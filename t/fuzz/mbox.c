/*
 * mbox - fuzz the Berkeley mailbox reader and rewriter (lib/mbox.c).
 *
 * Input: byte 0 holds options (bit 0: mboxrd unquoting, bit 1: rewrite
 * without every second message, bit 2: append the rest of the input
 * again after the scan, as an MTA would); the rest is the mailbox file.
 * Checked: the index is ordered and inside the file, every message reads
 * back as exactly its indexed size with the indexed line count, the
 * header size is within the message, the envelope parses, and after a
 * rewrite the file holds exactly the bytes of the kept messages (and of
 * what was appended) in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mbox.h"

struct count {
	uint64_t bytes, lines;
};

static int
counted(void *ctx, const char *p, size_t len, int bol)
{
	struct count *c = ctx;

	(void)bol;
	if (len == 0)
		abort();
	c->bytes += len;
	c->lines += p[len - 1] == '\n';
	return 0;
}

static int
odd(size_t i, void *ctx)
{
	(void)ctx;
	return i % 2 == 1;
}

static const char *
path(void)
{
	static char p[512];

	if (p[0] == '\0')
		snprintf(p, sizeof(p), "%s/fuzz-mbox-%ld",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	return p;
}

static void
check(struct mbox_file *mb, uint64_t fsize)
{
	const struct mbox_msg *m, *prev = NULL;
	struct buf sender = BUF_INIT;
	struct count c;
	int64_t date;
	size_t i;

	for (i = 0; i < mbox_count(mb); i++) {
		m = mbox_msg(mb, i);
		if (m->from_off >= m->text_off || m->text_off > m->text_end ||
		    m->text_end > m->next_off || m->next_off > fsize ||
		    (prev && prev->next_off != m->from_off) ||
		    m->header_size > m->size || m->crlf_size < m->size ||
		    m->lines > m->size)
			abort();
		memset(&c, 0, sizeof(c));
		if (mbox_read(mb, i, counted, &c, NULL) != 0 ||
		    c.bytes != m->size || c.lines != m->lines)
			abort();
		buf_reset(&sender);
		if (mbox_envelope(mb, i, &sender, &date, NULL) < 0)
			abort();
		prev = m;
	}
	if (mbox_msg(mb, mbox_count(mb)) != NULL)
		abort();
	buf_free(&sender);
}

/* After removing the odd messages: the file must be exactly this. */
static void
check_rewrite(const uint8_t *data, size_t size, const uint64_t *off,
    size_t n, int appended)
{
	struct buf want = BUF_INIT, got = BUF_INIT;
	char chunk[4096];
	ssize_t k;
	size_t i;
	int fd;

	buf_append(&want, data, off[1]);
	for (i = 2; i < n; i += 2)
		buf_append(&want, data + off[i], off[i + 1] - off[i]);
	buf_append(&want, data + off[n], size - off[n]);
	if (appended)
		buf_append(&want, data, size);
	if ((fd = open(path(), O_RDONLY)) < 0)
		abort();
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&got, chunk, (size_t)k);
	close(fd);
	if (got.len != want.len || (want.len &&
	    memcmp(got.data, want.data, want.len) != 0))
		abort();
	buf_free(&want);
	buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbox_file *mb = NULL;
	uint64_t *off = NULL;
	unsigned opt;
	size_t before, i;
	int fd;

	if (size < 1)
		return 0;
	opt = data[0];
	data++;
	size--;
	fd = open(path(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (mbox_open(path(), (opt & 1) ? MBOX_MBOXRD : 0, &mb, NULL) != 1)
		abort();
	if (mbox_lock(mb, MBOX_LOCK_SHARED, 1, NULL) < 0)
		abort();
	if (mbox_scan(mb, NULL) == 0) {
		check(mb, size);
		before = mbox_count(mb);
		if (opt & 4) {
			fd = open(path(), O_WRONLY | O_APPEND);
			if (fd < 0 || write(fd, data, size) != (ssize_t)size)
				abort();
			close(fd);
		}
		if ((opt & 2) && before > 1) {
			/* message i is off[i]..off[i + 1]; then the tail */
			off = calloc(before + 2, sizeof(*off));
			for (i = 0; i < before; i++)
				off[i] = mbox_msg(mb, i)->from_off;
			off[before] = mbox_msg(mb, before - 1)->next_off;
			if (mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 1, NULL) < 0 ||
			    mbox_expunge(mb, odd, NULL, NULL) != (long)(before / 2))
				abort();
			check_rewrite(data, size, off, before, opt & 4);
			free(off);
		}
	}
	mbox_close(mb);
	unlink(path());
	return 0;
}
