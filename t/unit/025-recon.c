/* Unit tests: reconstruct finds and repairs each kind of damage. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "mboxlist.h"
#include "mgmtdb.h"
#include "recon.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;
static struct buf lines = BUF_INIT;

static void
collect(void *ctx, const char *where, const char *what)
{
	(void)ctx;
	buf_printf(&lines, "%s: %s\n", where, what);
}

static void
deliver_n(const char *name, int n)
{
	struct delivery *d;
	struct acct a;
	char *why = NULL, body[256];
	int i;

	acct_load(fx.store, name, &a, NULL);
	for (i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "Subject: message %d\n\nbody %d\n",
		    i, i);
		delivery_begin(fx.store, "s@example.com", &d, &why);
		delivery_write_lf(d, body, strlen(body), &why);
		delivery_add(d, &a, MBOX_INBOX_ID, 0);
		delivery_commit(d, &why);
		delivery_free(d);
	}
}

/* A fingerprint of INBOX: "uid:flags:size " for each message. */
static void
fingerprint(const char *name, struct buf *out)
{
	struct folder *f;
	struct msgrec r;
	struct acct a;
	uint32_t i;

	buf_reset(out);
	acct_load(fx.store, name, &a, NULL);
	if (folder_open(fx.store, &a, "INBOX", 0, &f, NULL) != 1) {
		buf_puts(out, "(unopenable)");
		return;
	}
	buf_printf(out, "uv=%u next=%u n=%u ", folder_state(f)->uidvalidity,
	    folder_state(f)->uidnext, folder_count(f));
	for (i = 0; i < folder_count(f); i++) {
		if (folder_record(f, i, &r, NULL) != 1) {
			buf_puts(out, "(bad) ");
			continue;
		}
		buf_printf(out, "%u:%x:%llu ", r.uid, r.flags & MSG_SYSFLAGS,
		    (unsigned long long)r.size);
	}
	folder_close(f);
}

static int
run(int check_only)
{
	struct recon rc = { check_only, 0, 0, collect, NULL };
	char *why = NULL;

	buf_reset(&lines);
	if (recon_store(fx.store, &rc, &why) < 0) {
		tap_diag("recon_store: %s", why);
		free(why);
		return -1;
	}
	return (int)rc.problems;
}

static void
inbox_path(const char *file, struct buf *out)
{
	struct acct a;

	buf_reset(out);
	acct_load(fx.store, "victim", &a, NULL);
	mbox_dir(fx.store, &a, MBOX_INBOX_ID, out);
	buf_printf(out, "/%s", file);
}

static void
expect_repair(const char *what, const struct buf *want, const char *pattern)
{
	struct buf got = BUF_INIT;

	tap_ok(run(1) > 0, "%s: found by the check", what);
	if (!tap_ok(strstr(buf_cstr(&lines), pattern) != NULL,
	    "%s: reported as '%s'", what, pattern))
		tap_diag("%s", buf_cstr(&lines));
	tap_ok(run(0) > 0, "%s: repaired", what);
	if (!tap_is_int(run(1), 0, "%s: clean afterwards", what))
		tap_diag("%s", buf_cstr(&lines));
	if (want) {
		fingerprint("victim", &got);
		tap_is_str(got.data, want->data, "%s: restored exactly", what);
	}
	buf_free(&got);
}

static int
want_uid3(const struct msgrec *r, void *ctx)
{
	(void)ctx;
	return r->uid == 3;
}

int
main(void)
{
	struct buf orig = BUF_INIT, p = BUF_INIT, after = BUF_INIT;
	struct folder *f;
	struct msgrec r;
	struct acct a;
	struct usage u;
	int fd;

	fixture_open(&fx, "recon", NULL);
	fixture_account(&fx, "victim", ACCT_IMAP, &a);
	deliver_n("victim", 12);
	folder_open(fx.store, &a, "INBOX", 0, &f, NULL);
	folder_store(f, 1, MSG_SEEN, 0, 0, 0, 0, &r, NULL);
	folder_store(f, 4, MSG_FLAGGED | MSG_ANSWERED, 0, 0, 0, 0, &r, NULL);
	folder_expunge(f, want_uid3, NULL, NULL, NULL);
	folder_close(f);
	fingerprint("victim", &orig);
	/* sort keys a session kept: known, left as they are */
	inbox_path("sortkeys", &p);
	fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	tap_ok(fd >= 0 && write(fd, "PSSK", 4) == 4 && close(fd) == 0,
	    "a sortkeys file");
	if (!tap_is_int(run(1), 0, "a fresh store is consistent"))
		tap_diag("%s", buf_cstr(&lines));
	tap_ok(access(p.data, F_OK) == 0, "the sort keys are kept");

	/* Zeroed record: the message is indexed again, flags lost. */
	inbox_path("index", &p);
	fd = open(p.data, O_RDWR);
	{
		char zero[FOLDER_REC_SIZE] = { 0 };

		(void)!pwrite(fd, zero, sizeof(zero), FOLDER_HDR_SIZE + 6 * 128);
	}
	close(fd);
	expect_repair("zeroed record", NULL, "record 6 damaged");
	fingerprint("victim", &after);
	tap_is_str(after.data, orig.data, "zeroed record: same messages");

	/* Truncated index (half a record): the torn tail is re-derived. */
	(void)!truncate(p.data, FOLDER_HDR_SIZE + 10 * 128 + 64);
	expect_repair("truncated index", NULL, "torn last record");
	fingerprint("victim", &after);
	tap_ok(strncmp(after.data, orig.data, 30) == 0, "truncated: same count");

	/* Flipped bytes in the cache: records re-parsed, flags kept. */
	fingerprint("victim", &orig);
	{
		struct folder *g;

		folder_open(fx.store, &a, "INBOX", 0, &g, NULL);
		folder_record(g, 2, &r, NULL);
		folder_close(g);
	}
	inbox_path("", &p);
	{
		struct buf c = BUF_INIT;
		struct stat st;
		int gen;

		for (gen = 1; gen < 10; gen++) {
			buf_reset(&c);
			buf_printf(&c, "%scache.%d", p.data, gen);
			if (stat(c.data, &st) == 0)
				break;
		}
		fd = open(c.data, O_RDWR);
		(void)!pwrite(fd, "XXXX", 4, (off_t)r.cache_off + 20);
		close(fd);
		buf_free(&c);
	}
	expect_repair("flipped cache bytes", &orig, "cache record damaged");

	/* Missing message file: its record goes. */
	inbox_path("5.eml", &p);
	unlink(p.data);
	expect_repair("missing message file", NULL, "UID 5: message file missing");
	fingerprint("victim", &orig);

	/* An expunge leftover (UID 3 was expunged): removed. */
	inbox_path("3.eml", &p);
	tap_write_file(p.data, "Subject: ghost\r\n\r\n");
	expect_repair("expunge leftover", &orig, "UID 3: expunged message file");

	/* Deleted folder list: rebuilt from the folder directories. */
	acct_load(fx.store, "victim", &a, NULL);
	buf_reset(&p);
	mbox_account_dir(fx.store, &a, &p);
	buf_puts(&p, "/mailboxes");
	unlink(p.data);
	expect_repair("deleted folder list", &orig, "folder list missing");

	/* Wrong counters. */
	usage_read(fx.store, "victim", &u, NULL);
	u.message_count += 7;
	u.quota_used = 1;
	usage_write(fx.store, "victim", &u, NULL);
	expect_repair("wrong counters", &orig, "counters say");

	/* Deleted management databases. */
	mgmtdb_close(fx.store);
	buf_reset(&p);
	buf_printf(&p, "%s/db/accounts.gdbm", fx.dir);
	unlink(p.data);
	expect_repair("deleted accounts database", NULL, "accounts database");

	/* Lost index: UIDs come back from the file names, flags do not. */
	inbox_path("sortkeys", &p);
	fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	tap_ok(fd >= 0 && write(fd, "PSSK", 4) == 4 && close(fd) == 0,
	    "sort keys again");
	inbox_path("index", &p);
	unlink(p.data);
	expect_repair("deleted index", NULL, "index missing");
	fingerprint("victim", &after);
	tap_ok(strstr(after.data, "n=10") != NULL, "deleted index: 10 messages "
	    "(%s)", after.data);
	inbox_path("sortkeys", &p);
	tap_ok(access(p.data, F_OK) < 0,
	    "the sort keys of the old cache are removed with it");

	fixture_close(&fx);
	buf_free(&orig);
	buf_free(&after);
	buf_free(&p);
	buf_free(&lines);
	return tap_done();
}
