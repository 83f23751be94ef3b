/* Unit tests: folders, delivery, index records, cache, expunge. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "cache.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "mboxlist.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static const char msg_lf[] =
    "From: Jane <jane@example.com>\nTo: jdoe@example.com\n"
    "Subject: hello\n\nbody line 1\n.dotted line\nlast\n";
static const char msg_crlf[] =
    "From: Jane <jane@example.com>\r\nTo: jdoe@example.com\r\n"
    "Subject: hello\r\n\r\nbody line 1\r\n.dotted line\r\nlast\r\n";

static int
deliver(const char *const *names, size_t n, const char *text, size_t len,
    uint32_t *uids)
{
	struct delivery *d;
	struct acct a;
	char *why = NULL;
	size_t i;
	int stored;

	if (delivery_begin(fx.store, "jane@example.com", &d, &why) < 0 ||
	    delivery_write_lf(d, text, len, &why) < 0 ||
	    delivery_end_data(d, &why) < 0) {
		tap_diag("delivery: %s", why);
		free(why);
		return -1;
	}
	for (i = 0; i < n; i++) {
		acct_load(fx.store, names[i], &a, &why);
		delivery_add(d, &a, MBOX_INBOX_ID, 0);
	}
	stored = delivery_commit(d, &why);
	for (i = 0; uids && i < delivery_count(d); i++)
		uids[i] = delivery_target(d, i)->uid;
	for (i = 0; i < delivery_count(d); i++)
		if (delivery_target(d, i)->status != 1)
			tap_diag("target %zu: %s", i, delivery_target(d, i)->why);
	delivery_free(d);
	free(why);
	return stored;
}

static void
msg_path(const char *name, uint32_t uid, struct buf *out)
{
	struct acct a;
	struct buf dir = BUF_INIT;

	acct_load(fx.store, name, &a, NULL);
	mbox_dir(fx.store, &a, MBOX_INBOX_ID, &dir);
	buf_printf(out, "%s/%u.eml", dir.data, uid);
	buf_free(&dir);
}

static void
test_fanout_delivery(void)
{
	static const char *const names[] = { "a1", "a2", "a3" };
	struct buf p = BUF_INIT, content = BUF_INIT;
	struct acct a;
	struct stat st1, st2;
	struct usage u;
	uint32_t uids[3];
	size_t i;

	for (i = 0; i < 3; i++)
		fixture_account(&fx, names[i], ACCT_IMAP, &a);
	tap_is_int(deliver(names, 3, msg_lf, sizeof(msg_lf) - 1, uids), 3,
	    "stored for 3 recipients");
	msg_path("a1", uids[0], &p);
	tap_is_int(stat(p.data, &st1), 0, "a1 has the file");
	tap_is_int((long long)st1.st_nlink, 3, "link count 3");
	buf_reset(&p);
	msg_path("a3", uids[2], &p);
	stat(p.data, &st2);
	tap_ok(st1.st_ino == st2.st_ino, "one inode for all");
	file_read(p.data, 1 << 20, &content, NULL);
	tap_is_mem(content.data, content.len, msg_crlf, sizeof(msg_crlf) - 1,
	    "stored bytes are the CRLF form");
	usage_read(fx.store, "a2", &u, NULL);
	tap_is_int((long long)u.message_count, 1, "a2 message_count");
	tap_is_int((long long)u.quota_used, (long long)sizeof(msg_crlf) - 1,
	    "a2 quota_used");
	tap_is_int((long long)u.messages_received, 1, "a2 messages_received");
	buf_free(&p);
	buf_free(&content);
}

static void
test_records(void)
{
	static const char *const one[] = { "a1" };
	struct folder *f;
	struct msgrec r;
	struct buf payload = BUF_INIT;
	struct acct a;
	const void *p;
	size_t len;
	uint32_t seq, uids[1];
	char *why = NULL;
	int i;

	for (i = 0; i < 9; i++)
		deliver(one, 1, msg_lf, sizeof(msg_lf) - 1, uids);
	acct_load(fx.store, "a1", &a, NULL);
	tap_is_int(folder_open(fx.store, &a, "inbox", 0, &f, &why), 1,
	    "open INBOX (any case)");
	tap_is_int(folder_count(f), 10, "10 messages");
	tap_is_int(folder_state(f)->uidnext, 11, "UIDNEXT 11");
	tap_is_int(folder_state(f)->unseen, 10, "10 unseen");
	tap_is_int(folder_record(f, 4, &r, &why), 1, "record 5");
	tap_is_int(r.uid, 5, "uid 5");
	tap_is_int((long long)r.size, (long long)sizeof(msg_crlf) - 1, "size");
	tap_ok(r.flags & MSG_NEEDS_STUFFING, "dot-stuffing noted");
	tap_is_int(r.header_len, 71, "header length");
	tap_is_int(r.body_lines, 3, "body lines");
	tap_is_int(folder_cache(f, &r, &payload, &why), 1, "cache record");
	tap_ok(cache_field(payload.data, payload.len, CACHE_SENDER, &p, &len) == 1 &&
	    len == 16 && memcmp(p, "jane@example.com", 16) == 0, "sender cached");
	tap_is_int(folder_find_uid(f, 7, &seq, &why), 1, "find uid 7");
	tap_is_int(seq, 6, "at seq 6");
	tap_is_int(folder_find_uid(f, 70, &seq, &why), 0, "no uid 70");
	tap_is_int(folder_store(f, 2, MSG_SEEN | MSG_DELETED, 0, 0, 0, 0, &r,
	    &why), 1, "store flags");
	tap_ok(r.modseq > 10, "modseq moved (%llu)", (unsigned long long)r.modseq);
	tap_is_int(folder_store(f, 2, 0, 0, 0, 0, 5, &r, &why), 0,
	    "UNCHANGEDSINCE older refused");
	tap_is_int(folder_state(f)->unseen, 9, "unseen count follows");
	folder_store(f, 5, MSG_DELETED, 0, 0, 0, 0, &r, &why);
	folder_close(f);
	buf_free(&payload);
	free(why);
}

static int
want_deleted(const struct msgrec *r, void *ctx)
{
	(void)ctx;
	return (r->flags & MSG_DELETED) != 0;
}

static void
note_gone(uint32_t uid, uint32_t oldseq, void *ctx)
{
	struct buf *b = ctx;

	buf_printf(b, "%u@%u ", uid, oldseq);
}

static void
test_expunge(void)
{
	static const char *const one[] = { "a1" };
	struct folder *f, *g;
	struct folder_changes ch;
	struct buf gone = BUF_INIT, seen = BUF_INIT, p = BUF_INIT;
	struct acct a;
	struct usage u;
	struct stat st;
	char *why = NULL;

	acct_load(fx.store, "a1", &a, NULL);
	folder_open(fx.store, &a, "INBOX", 0, &f, &why);
	folder_open(fx.store, &a, "INBOX", 0, &g, &why);
	tap_is_int(folder_expunge(f, want_deleted, note_gone, &gone, &why), 2,
	    "expunged 2");
	tap_is_str(gone.data, "3@2 6@5 ", "expunged uids and old positions");
	tap_is_int(folder_count(f), 8, "8 left");
	msg_path("a1", 3, &p);
	tap_ok(stat(p.data, &st) < 0, "message file removed");
	usage_read(fx.store, "a1", &u, NULL);
	tap_is_int((long long)u.message_count, 8, "message_count 8");
	/* The other session still sees 10 until it refreshes. */
	tap_is_int(folder_count(g), 10, "other session keeps its view");
	deliver(one, 1, msg_lf, sizeof(msg_lf) - 1, NULL);
	tap_is_int(folder_refresh(g, &ch, note_gone, &seen, &why), 0, "refresh");
	tap_is_str(seen.data, "3@2 6@5 ", "other session told the same");
	tap_ok(ch.rewritten && ch.appended == 1, "and one new message (%u)",
	    ch.appended);
	tap_is_int(folder_count(g), 9, "9 now");
	folder_close(f);
	folder_close(g);
	buf_free(&gone);
	buf_free(&seen);
	buf_free(&p);
	free(why);
}

static void
test_damage(void)
{
	static const char *const one[] = { "a2" };
	struct buf p = BUF_INIT, dir = BUF_INIT;
	struct folder *f;
	struct msgrec r;
	struct acct a;
	char *why = NULL;
	uint32_t uids[1];
	int fd;

	acct_load(fx.store, "a2", &a, NULL);
	mbox_dir(fx.store, &a, MBOX_INBOX_ID, &dir);
	buf_printf(&p, "%s/index", dir.data);
	fd = open(p.data, O_RDWR);
	tap_ok(pwrite(fd, "X", 1, FOLDER_HDR_SIZE + 10) == 1, "flip a byte");
	close(fd);
	folder_open(fx.store, &a, "INBOX", 0, &f, &why);
	tap_is_int(folder_record(f, 0, &r, &why), -1, "damaged record refused");
	tap_ok(why && strstr(why, "damaged"), "reason says damaged: %s", why);
	folder_close(f);
	free(why);
	why = NULL;
	/* An orphan UID.eml (a delivery that died after linking) is adopted
	 * by the next delivery. */
	buf_reset(&p);
	buf_printf(&p, "%s/2.eml", dir.data);
	tap_write_file(p.data, "Subject: orphan\r\n\r\nx\r\n");
	tap_is_int(deliver(one, 1, msg_lf, sizeof(msg_lf) - 1, uids), 1,
	    "delivery next to an orphan");
	tap_is_int(uids[0], 3, "new message got UID 3");
	folder_open(fx.store, &a, "INBOX", 0, &f, &why);
	tap_is_int(folder_count(f), 3, "orphan adopted as UID 2");
	tap_is_int(folder_record(f, 1, &r, &why), 1, "orphan record");
	tap_ok(r.uid == 2 && r.size == 22, "orphan uid %u size %llu", r.uid,
	    (unsigned long long)r.size);
	folder_close(f);
	buf_free(&p);
	buf_free(&dir);
	free(why);
}

static void
test_many(void)
{
	char names[300][16];
	const char *ptrs[300];
	struct buf p = BUF_INIT;
	struct stat st;
	struct acct a;
	uint32_t uids[300];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "m%03d", i);
		ptrs[i] = names[i];
		fixture_account(&fx, names[i], ACCT_POP, &a);
	}
	tap_is_int(deliver(ptrs, 300, msg_lf, sizeof(msg_lf) - 1, uids), 300,
	    "300 recipients (two batches)");
	msg_path("m299", uids[299], &p);
	stat(p.data, &st);
	tap_is_int((long long)st.st_nlink, 300, "link count 300");
	buf_free(&p);
}

int
main(void)
{
	fixture_open(&fx, "folder", NULL);
	test_fanout_delivery();
	test_records();
	test_expunge();
	test_damage();
	test_many();
	fixture_close(&fx);
	return tap_done();
}
