/*
 * mbox: indexing Berkeley mailboxes (mboxo, mboxrd, Content-Length),
 * reading messages back, the envelope, locking and the rewrite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "lib/tap.h"
#include "mbox.h"

static char path[4096];

static void
put(const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len) {
		printf("Bail out! write %s\n", path);
		exit(2);
	}
	close(fd);
}

static struct mbox_file *
open_scan(const char *content, int flags)
{
	struct mbox_file *mb = NULL;
	char *why = NULL;

	put(content, strlen(content));
	if (mbox_open(path, flags, &mb, &why) != 1 || mbox_scan(mb, &why) < 0) {
		tap_diag("open/scan: %s", why ? why : "?");
		free(why);
		mbox_close(mb);
		return NULL;
	}
	return mb;
}

static int
collect(void *ctx, const char *p, size_t len, int bol)
{
	(void)bol;
	buf_append(ctx, p, len);
	return 0;
}

/* Message i's text as read. */
static void
text(struct mbox_file *mb, size_t i, struct buf *out)
{
	char *why = NULL;

	buf_reset(out);
	if (mbox_read(mb, i, collect, out, &why) != 0) {
		tap_diag("read %zu: %s", i, why ? why : "?");
		free(why);
	}
	buf_puts(out, "");
}

static const char postfix_style[] =
    "From jane@example.com  Mon Mar  4 10:00:00 2024\n"
    "From: Jane <jane@example.com>\n"
    "Subject: one\n"
    "\n"
    "hello\n"
    ">From the start\n"
    ">>From deeper\n"
    "\n"
    "From MAILER-DAEMON  Tue Mar  5 11:30:00 2024\n"
    "Subject: two\n"
    "\n"
    ".dot line\n"
    "\n"
    "From <>  Wed Mar  6 12:00:00 2024\n"
    "Subject: three\n"
    "\n"
    "no final empty line\n";

static void
test_mboxo(void)
{
	struct mbox_file *mb = open_scan(postfix_style, 0);
	const struct mbox_msg *m;
	struct buf b = BUF_INIT, snd = BUF_INIT;
	int64_t date;

	if (!tap_ok(mb != NULL, "postfix-style mailbox opens"))
		return;
	tap_is_int((long long)mbox_count(mb), 3, "three messages");
	text(mb, 0, &b);
	tap_is_str(b.data, "From: Jane <jane@example.com>\nSubject: one\n\n"
	    "hello\nFrom the start\n>>From deeper\n", "mboxo unquotes one level "
	    "of >From only, drops the separator");
	m = mbox_msg(mb, 0);
	tap_is_int((long long)m->size, (long long)b.len, "size is the text");
	tap_is_int((long long)m->lines, 6, "six lines");
	tap_is_int((long long)m->crlf_size, (long long)b.len + 6,
	    "CRLF size adds a CR per line");
	tap_is_int((long long)m->header_size, 44, "header size to the empty line");
	tap_ok(m->flags & MBOX_MSG_QUOTED, "quoted flag");
	tap_ok(!(m->flags & MBOX_MSG_DOT), "no dot line in one");
	text(mb, 1, &b);
	tap_is_str(b.data, "Subject: two\n\n.dot line\n", "message two");
	tap_ok(mbox_msg(mb, 1)->flags & MBOX_MSG_DOT, "dot flag");
	text(mb, 2, &b);
	tap_is_str(b.data, "Subject: three\n\nno final empty line\n",
	    "last message keeps its text");
	tap_is_int((long long)mbox_msg(mb, 2)->next_off,
	    (long long)strlen(postfix_style), "last message runs to the end");
	mbox_envelope(mb, 0, &snd, &date, NULL);
	tap_is_str(buf_cstr(&snd), "jane@example.com", "envelope sender");
	tap_is_int(date, 1709546400, "envelope date (UTC)");
	buf_reset(&snd);
	mbox_envelope(mb, 1, &snd, &date, NULL);
	tap_is_str(buf_cstr(&snd), "", "MAILER-DAEMON is the null sender");
	buf_reset(&snd);
	mbox_envelope(mb, 2, &snd, &date, NULL);
	tap_is_str(buf_cstr(&snd), "", "<> is the null sender");
	mbox_close(mb);
	mb = open_scan(postfix_style, MBOX_MBOXRD);
	text(mb, 0, &b);
	tap_ok(strstr(b.data, "\n>From deeper\n") != NULL &&
	    strstr(b.data, "\nFrom the start\n") != NULL,
	    "mboxrd unquotes every level by one");
	mbox_close(mb);
	buf_free(&b);
	buf_free(&snd);
}

static void
test_edges(void)
{
	struct mbox_file *mb;
	struct buf b = BUF_INIT;
	char *why = NULL;

	mb = open_scan("", 0);
	tap_ok(mb && mbox_count(mb) == 0, "empty file: no messages");
	mbox_close(mb);
	put("Subject: not a mailbox\n\nbody\n", 29);
	mbox_open(path, 0, &mb, NULL);
	errno = 0;
	tap_is_int(mbox_scan(mb, &why), -1, "text without a From_ line refused");
	tap_is_int(errno, EINVAL, "EINVAL");
	tap_ok(why && strstr(why, "not a Berkeley mailbox"), "reason: %s", why);
	free(why);
	why = NULL;
	mbox_close(mb);

	/* "From " without an empty line before it is body text. */
	mb = open_scan("From a Mon Mar  4 10:00:00 2024\nS: x\n\nline\n"
	    "From here on\n\nFrom b Mon Mar  4 10:00:00 2024\n\nlast", 0);
	tap_is_int((long long)mbox_count(mb), 2, "unquoted From in a body "
	    "after a line is not a separator");
	text(mb, 0, &b);
	tap_is_str(b.data, "S: x\n\nline\nFrom here on\n", "first text");
	text(mb, 1, &b);
	tap_is_str(b.data, "\nlast", "text without final LF");
	tap_ok(mbox_msg(mb, 1)->flags & MBOX_MSG_NOEOL, "NOEOL flag");
	tap_is_int((long long)mbox_msg(mb, 1)->header_size, 1,
	    "empty header: header size 1");
	mbox_close(mb);

	/* CRLF line ends. */
	mb = open_scan("From a Mon Mar  4 10:00:00 2024\r\nS: x\r\n\r\nbody\r\n"
	    "\r\nFrom b Mon Mar  4 10:00:00 2024\r\nS: y\r\n\r\n", 0);
	tap_is_int((long long)mbox_count(mb), 2, "CRLF mailbox: two messages");
	text(mb, 0, &b);
	tap_is_str(b.data, "S: x\r\n\r\nbody\r\n", "CRLF separator stripped");
	tap_is_int((long long)mbox_msg(mb, 0)->crlf_size, (long long)b.len,
	    "no bare LF: CRLF size is the size");
	mbox_close(mb);
	buf_free(&b);
}

static void
test_content_length(void)
{
	struct mbox_file *mb;
	struct buf b = BUF_INIT;

	mb = open_scan("From a Mon Mar  4 10:00:00 2024\nContent-Length: 24\n\n"
	    "x\n\nFrom inside the body\n\nFrom b Mon Mar  4 10:00:00 2024\n"
	    "Content-Length: 999\n\nwrong length\n", 0);
	tap_is_int((long long)mbox_count(mb), 2, "Content-Length keeps a From "
	    "line inside the body");
	text(mb, 0, &b);
	tap_is_str(b.data, "Content-Length: 24\n\nx\n\nFrom inside the body\n",
	    "body of 24 bytes");
	tap_ok(mbox_msg(mb, 0)->flags & MBOX_MSG_CL, "CL flag");
	tap_ok(!(mbox_msg(mb, 1)->flags & MBOX_MSG_CL),
	    "a length past the end is ignored");
	text(mb, 1, &b);
	tap_is_str(b.data, "Content-Length: 999\n\nwrong length\n", "second");
	mbox_close(mb);

	/* mboxcl2: the next From_ right after the body, no empty line. */
	mb = open_scan("From a Mon Mar  4 10:00:00 2024\nContent-Length: 3\n\n"
	    "abcFrom b Mon Mar  4 10:00:00 2024\n\nz\n", 0);
	tap_is_int((long long)mbox_count(mb), 2, "From_ straight after a "
	    "Content-Length body");
	text(mb, 0, &b);
	tap_is_str(b.data, "Content-Length: 3\n\nabc", "3-byte body");
	mbox_close(mb);
	buf_free(&b);
}

static void
test_long_lines(void)
{
	struct buf in = BUF_INIT, b = BUF_INIT;
	struct mbox_file *mb;
	size_t i;

	buf_puts(&in, "From x Mon Mar  4 10:00:00 2024 ");
	for (i = 0; i < 70000; i++)
		buf_putc(&in, 'f');
	buf_puts(&in, "\nX-Long: ");
	for (i = 0; i < 150000; i++)
		buf_putc(&in, 'h');
	buf_puts(&in, "\n\n>From ");
	for (i = 0; i < 140000; i++)
		buf_putc(&in, 'b');
	buf_puts(&in, "\n\nFrom y Mon Mar  4 10:00:00 2024\n\nend\n");
	mb = open_scan(in.data, 0);
	tap_is_int(mb ? (long long)mbox_count(mb) : -1, 2,
	    "lines longer than the read buffer");
	if (mb) {
		text(mb, 0, &b);
		tap_is_int((long long)b.len, 8 + 150000 + 1 + 1 + 5 + 140000 + 1,
		    "long text length");
		tap_ok(b.len > 160010 && memcmp(b.data + 150010, "From bbb", 8) == 0,
		    "long quoted line unquoted");
		tap_is_int((long long)mbox_msg(mb, 0)->size, (long long)b.len,
		    "indexed size matches");
		text(mb, 1, &b);
		tap_is_str(b.data, "\nend\n", "message after the long one");
	}
	mbox_close(mb);
	buf_free(&in);
	buf_free(&b);
}

static int
want_odd(size_t i, void *ctx)
{
	(void)ctx;
	return i % 2 == 1;
}

static int
want_first(size_t i, void *ctx)
{
	(void)ctx;
	return i == 0;
}

static void
test_expunge(void)
{
	static const char four[] =
	    "From a Mon Mar  4 10:00:00 2024\n\n0\n\n"
	    "From b Mon Mar  4 10:00:00 2024\n\n1\n\n"
	    "From c Mon Mar  4 10:00:00 2024\n\n2\n\n"
	    "From d Mon Mar  4 10:00:00 2024\n\n3\n\n";
	static const char appended[] =
	    "From e Mon Mar  4 10:00:00 2024\n\nnew\n\n";
	struct mbox_file *mb = open_scan(four, 0);
	struct buf b = BUF_INIT;
	struct stat st;
	char lockp[4200], *why = NULL;
	int fd;

	if (!tap_ok(mb != NULL, "four messages open"))
		return;
	tap_is_int(mbox_expunge(mb, want_odd, NULL, &why), -1,
	    "rewrite without the lock refused");
	free(why);
	why = NULL;
	snprintf(lockp, sizeof(lockp), "%s.lock", path);
	tap_is_int(mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 2, &why), 0, "lock");
	tap_is_int(stat(lockp, &st), 0, "dotlock exists");
	/* mail arrives after the scan */
	fd = open(path, O_WRONLY | O_APPEND);
	(void)!write(fd, appended, sizeof(appended) - 1);
	close(fd);
	tap_is_int(mbox_expunge(mb, want_odd, NULL, &why), 2, "two removed");
	mbox_unlock(mb);
	tap_ok(stat(lockp, &st) < 0 && errno == ENOENT, "dotlock removed");
	file_read(path, 1 << 20, &b, NULL);
	tap_is_str(buf_cstr(&b), "From a Mon Mar  4 10:00:00 2024\n\n0\n\n"
	    "From c Mon Mar  4 10:00:00 2024\n\n2\n\n"
	    "From e Mon Mar  4 10:00:00 2024\n\nnew\n\n",
	    "kept messages and the new one");
	tap_is_int((long long)mbox_count(mb), 0, "index emptied");
	mbox_scan(mb, NULL);
	tap_is_int((long long)mbox_count(mb), 3, "rescan: three");

	/* Another program rewrote the file: refuse. */
	put(four, sizeof(four) - 1);
	mbox_scan(mb, NULL);
	fd = open(path, O_WRONLY);
	(void)!pwrite(fd, "X", 1, 0);
	close(fd);
	mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 2, NULL);
	errno = 0;
	tap_is_int(mbox_expunge(mb, want_first, NULL, &why), -1,
	    "changed file: no rewrite");
	tap_is_int(errno, ESTALE, "ESTALE");
	free(why);
	why = NULL;
	buf_reset(&b);
	tap_is_int(mbox_read(mb, 0, collect, &b, &why), -1,
	    "changed file: no read");
	free(why);
	mbox_unlock(mb);
	mbox_close(mb);
	buf_free(&b);
}

static void
test_locks(void)
{
	struct mbox_file *mb = open_scan("", 0), *mb2;
	char lockp[4200], *why = NULL;
	struct timespec t0, t1;
	struct timespec old[2];
	pid_t pid;
	int status, fd;

	snprintf(lockp, sizeof(lockp), "%s.lock", path);
	tap_is_int(mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 1, NULL), 0, "exclusive");
	pid = fork();
	if (pid == 0) {
		mbox_open(path, 0, &mb2, NULL);
		_exit(mbox_lock(mb2, MBOX_LOCK_SHARED, 1, NULL) == -1 &&
		    errno == EWOULDBLOCK ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another process times out");
	mbox_unlock(mb);

	/* A dotlock left by a dead process: stale after a while. */
	fd = open(lockp, O_WRONLY | O_CREAT, 0644);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	tap_is_int(mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 1, &why), -1,
	    "a fresh foreign dotlock is respected");
	tap_is_int(errno, EWOULDBLOCK, "timeout");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_ok(t1.tv_sec - t0.tv_sec <= 3, "within the timeout");
	free(why);
	why = NULL;
	old[0].tv_sec = old[1].tv_sec = time(NULL) - MBOX_DOTLOCK_STALE - 10;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	utimensat(AT_FDCWD, lockp, old, 0);
	tap_is_int(mbox_lock(mb, MBOX_LOCK_EXCLUSIVE, 1, &why), 0,
	    "a stale dotlock is broken");
	mbox_close(mb);
	tap_ok(access(lockp, F_OK) < 0, "close releases the dotlock");
	tap_is_int(mbox_open("/nonexistent-dir/x", 0, &mb2, NULL), 0,
	    "missing file: 0");
}

int
main(void)
{
	snprintf(path, sizeof(path), "%s/mbox", tap_tmpdir());
	test_mboxo();
	test_edges();
	test_content_length();
	test_long_lines();
	test_expunge();
	test_locks();
	return tap_done();
}
