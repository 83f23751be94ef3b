/*
 * fuzzstore - a scratch store for the fuzz targets of on-disk readers.
 *
 * A target that reads store files (profiles, folder index, cache,
 * forwardings) creates one store per process under $TMPDIR on its first
 * input, with one account "fz" holding a few delivered messages, then
 * overwrites the file under test with each input. The input is split
 * into parts at FUZZ_PART ("@@part@@"), one part per file, so one input
 * can damage several files of a folder consistently. The store is
 * removed at exit (the replay driver exits normally; libFuzzer leaves it
 * behind only on a crash).
 */
#ifndef POPSTORE_FUZZSTORE_H
#define POPSTORE_FUZZSTORE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "delivery.h"
#include "mboxlist.h"
#include "store.h"

#define FUZZ_PART	"@@part@@"
#define FUZZ_PARTS_MAX	8

struct fuzz_part {
	const uint8_t	*p;
	size_t		 len;
};

struct fuzz_store {
	char		 dir[512];
	struct conf	 conf;
	struct store	*store;
};

static struct fuzz_store fuzz_fs;

static inline const uint8_t *
fuzz_memmem(const uint8_t *h, size_t hl, const char *n, size_t nl)
{
	size_t i;

	for (i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* Split data at FUZZ_PART into at most max parts; returns the count. */
static inline size_t
fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts,
    size_t max)
{
	const size_t sl = sizeof(FUZZ_PART) - 1;
	const uint8_t *q;
	size_t n = 0;

	while (n + 1 < max &&
	    (q = fuzz_memmem(data, size, FUZZ_PART, sl)) != NULL) {
		parts[n].p = data;
		parts[n].len = (size_t)(q - data);
		n++;
		size -= (size_t)(q - data) + sl;
		data = q + sl;
	}
	parts[n].p = data;
	parts[n].len = size;
	return n + 1;
}

/* Replace path with exactly these bytes; aborts on I/O errors. */
static inline void
fuzz_write(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len && write(fd, p, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* Append the whole file at path to out; aborts when it cannot be read. */
static inline void
fuzz_read(const char *path, struct buf *out)
{
	char chunk[8192];
	ssize_t k;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		abort();
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)k);
	close(fd);
}

static inline void
fuzz_cleanup(void)
{
	char cmd[600];

	if (fuzz_fs.store == NULL)
		return;
	store_close(fuzz_fs.store);
	conf_free(&fuzz_fs.conf);
	fuzz_fs.store = NULL;
	if (getenv("FUZZ_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_fs.dir);
		if (system(cmd) != 0)
			return;
	}
}

/* Deliver text (LF line ends) to the INBOX of the named accounts. */
static inline void
fuzz_deliver(const char *const *names, size_t n, const char *text)
{
	struct delivery *d;
	struct acct a;
	char *why = NULL;
	size_t i;

	if (delivery_begin(fuzz_fs.store, "sender@example.com", &d, &why) < 0 ||
	    delivery_write_lf(d, text, strlen(text), &why) < 0 ||
	    delivery_end_data(d, &why) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (acct_load(fuzz_fs.store, names[i], &a, &why) != 1)
			goto fail;
		delivery_add(d, &a, MBOX_INBOX_ID, 0);
	}
	if (delivery_commit(d, &why) != (int)n)
		goto fail;
	delivery_free(d);
	return;
fail:
	fprintf(stderr, "fuzzstore: delivery: %s\n", why ? why : "?");
	abort();
}

/*
 * The store of this process, created on first use with the account "fz"
 * (IMAP) and three messages in its INBOX.
 */
static inline struct store *
fuzz_store(void)
{
	static const char *const fz[] = { "fz" };
	struct buf conf = BUF_INIT, path = BUF_INIT;
	struct acct a;
	char *why = NULL;

	if (fuzz_fs.store)
		return fuzz_fs.store;
	snprintf(fuzz_fs.dir, sizeof(fuzz_fs.dir), "%s/fuzzstore-%ld",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	buf_printf(&path, "rm -rf '%s'", fuzz_fs.dir);
	if (system(path.data) != 0)
		abort();
	buf_reset(&path);
	buf_printf(&conf, "STORE_DIR=%s/store\n"
	    "LOCK_TIMEOUT=2\n", fuzz_fs.dir);
	buf_printf(&path, "%s.conf", fuzz_fs.dir);
	fuzz_write(path.data, conf.data, conf.len);
	if (conf_load(path.data, &fuzz_fs.conf, &why) < 0 ||
	    store_create(&fuzz_fs.conf, &why) < 0 ||
	    store_open(&fuzz_fs.conf, &fuzz_fs.store, &why) < 0 ||
	    acct_from_default(fuzz_fs.store, "fz", &a, &why) < 0)
		goto fail;
	unlink(path.data);
	a.type = ACCT_IMAP;
	if (acct_create(fuzz_fs.store, &a, &why) < 0)
		goto fail;
	fuzz_deliver(fz, 1, "From: Jane <jane@example.com>\nTo: fz@example.com\n"
	    "Subject: one\nMessage-ID: <1@example.com>\n\nbody\n");
	fuzz_deliver(fz, 1, "From: a@example.com\nSubject: =?utf-8?q?two?=\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nx\n--b\n"
	    "Content-Type: message/rfc822\n\nSubject: in\n\ny\n--b--\n");
	fuzz_deliver(fz, 1, "Subject: three\n\n.dot\n");
	atexit(fuzz_cleanup);
	buf_free(&conf);
	buf_free(&path);
	return fuzz_fs.store;
fail:
	fprintf(stderr, "fuzzstore: %s\n", why ? why : "?");
	abort();
}

#endif
