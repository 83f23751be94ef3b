/* Unit tests: copy (COPY/MOVE by hard link) and watch (IDLE wake-up). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "copy.h"
#include "delivery.h"
#include "folder.h"
#include "mboxlist.h"
#include "watch.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static uint32_t
deliver(const struct acct *a, const char *text)
{
	struct delivery *d;
	char *why = NULL;
	uint32_t uid = 0;

	if (delivery_begin(fx.store, "s@example.org", &d, &why) == 0 &&
	    delivery_write_lf(d, text, strlen(text), &why) == 0) {
		delivery_add(d, a, MBOX_INBOX_ID, MSG_FLAGGED);
		if (delivery_commit(d, &why) == 1)
			uid = delivery_target(d, 0)->uid;
	}
	if (why)
		tap_diag("deliver: %s", why);
	free(why);
	delivery_free(d);
	return uid;
}

static int
readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

int
main(void)
{
	struct acct a;
	struct folder *src, *dst;
	struct msgrec r1, r2;
	struct buf c1 = BUF_INIT, c2 = BUF_INIT, path = BUF_INIT;
	struct usage u0, u1;
	struct stat st;
	uint32_t uids[2], newuids[2], uv = 0, id, seq;
	char *why = NULL;
	int w, bit;

	fixture_open(&fx, "copy", NULL);
	fixture_account(&fx, "jdoe", ACCT_IMAP, &a);
	uids[0] = deliver(&a, "Subject: one\n\nfirst\n");
	uids[1] = deliver(&a, "Subject: two\n\nsecond\n");
	tap_ok(uids[0] && uids[1], "two messages delivered");
	tap_is_int(mboxlist_create(fx.store, &a, "Copies", NULL, &id, &why), 0,
	    "target folder");
	folder_open(fx.store, &a, "INBOX", 0, &src, &why);
	bit = folder_keyword_bit(src, "$Label", 1, NULL);
	folder_store(src, 0, 0, 0, (uint64_t)1 << bit, 0, 0, &r1, NULL);
	usage_read(fx.store, "jdoe", &u0, NULL);
	folder_open_id(fx.store, &a, id, 0, &dst, &why);
	w = watch_folder(dst, &why);
	tap_ok(w >= 0, "watch the target folder");
	tap_ok(!readable(w, 0), "nothing to report yet");
	tap_is_int(copy_messages(fx.store, src, uids, NULL, 2, &a, id, newuids,
	    &uv, &why), 0, "copy two messages");
	tap_ok(readable(w, 1000), "the watch fires on the copy");
	watch_drain(w);
	tap_ok(!readable(w, 0), "drained");
	tap_ok(newuids[0] == 1 && newuids[1] == 2, "new UIDs 1 and 2");
	tap_is_int(uv, (long long)folder_state(dst)->uidvalidity, "UIDVALIDITY");
	{
		struct folder_changes ch;

		folder_refresh(dst, &ch, NULL, NULL, NULL);
		tap_is_int(folder_count(dst), 2, "two records in the target");
	}
	folder_record(src, 0, &r1, NULL);
	folder_record(dst, 0, &r2, NULL);
	tap_ok(r1.size == r2.size && r1.internaldate == r2.internaldate &&
	    r2.flags == r1.flags, "size, date and flags kept");
	tap_ok(r2.keywords && strcmp(folder_keyword_name(dst, 0), "$Label") == 0,
	    "keyword carried by name");
	tap_ok(r2.modseq > 0, "new modseq");
	folder_cache(src, &r1, &c1, NULL);
	folder_cache(dst, &r2, &c2, NULL);
	tap_is_mem(c2.data, c2.len, c1.data, c1.len, "cache payload copied");
	buf_printf(&path, "%s/%u.eml", folder_dir(dst), 1);
	tap_ok(stat(path.data, &st) == 0 && st.st_nlink == 2,
	    "hard link: one file, two links");
	usage_read(fx.store, "jdoe", &u1, NULL);
	tap_is_int((long long)(u1.message_count - u0.message_count), 2,
	    "usage counts the copies");
	tap_is_int((long long)(u1.quota_used - u0.quota_used),
	    (long long)(r1.size + 0) + (long long)(folder_record(src, 1, &r1,
	    NULL) > 0 ? r1.size : 0), "quota_used grows by their sizes");
	/* A source expunged meanwhile: nothing is copied. */
	buf_reset(&path);
	buf_printf(&path, "%s/%u.eml", folder_dir(src), uids[1]);
	unlink(path.data);
	errno = 0;
	tap_is_int(copy_messages(fx.store, src, uids, NULL, 2, &a, id, newuids,
	    &uv, &why), -1, "copy of a vanished file fails");
	tap_is_int(errno, ENOENT, "with ENOENT: %s", why ? why : "-");
	free(why);
	why = NULL;
	{
		struct folder_changes ch;

		folder_refresh(dst, &ch, NULL, NULL, NULL);
		tap_is_int(folder_count(dst), 2, "nothing appended");
	}
	buf_reset(&path);
	buf_printf(&path, "%s/3.eml", folder_dir(dst));
	tap_ok(access(path.data, F_OK) < 0, "the link made was removed");
	tap_is_int(folder_find_uid(src, uids[0], &seq, NULL), 1, "source kept");
	close(w);
	folder_close(src);
	folder_close(dst);
	buf_free(&c1);
	buf_free(&c2);
	buf_free(&path);
	fixture_close(&fx);
	return tap_done();
}
