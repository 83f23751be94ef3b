/*
 * Golden files: a small store written once by an earlier build
 * (t/data/golden/README) must read back, field for field, through the
 * public API, and what the current code writes for the same content must
 * be the same bytes where the format is deterministic. The formats are
 * platform independent (popstore(5)), so every build on every machine
 * must pass this; a failure here means an incompatible format change.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct.h"
#include "be.h"
#include "buf.h"
#include "cache.h"
#include "crc.h"
#include "fanout.h"
#include "file.h"
#include "folder.h"
#include "folderfmt.h"
#include "fwdmap.h"
#include "group.h"
#include "kvfile.h"
#include "mboxlist.h"
#include "mime.h"
#include "msgparse.h"
#include "recon.h"
#include "rlog.h"
#include "seen.h"
#include "store.h"
#include "subs.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#define JDOE_USERS	"users/e8/49/jdoe"
#define BOB_USERS	"users/86/c6/bob"
#define JDOE_MAIL	"mail/e8/49/jdoe"
#define SALES_FWD	"forward/86/9c/sales"

/*
 * Times of the run that wrote the golden store: UIDVALIDITY of jdoe's
 * folder f0 (f1..f5 follow by one), and the save dates of both messages
 * and the INBOX index's creation time, all in the same second.
 */
#define UV0		1795436539u
#define SAVED		1795436539

static char golden[4096];
static struct fixture fa, fb;	/* the golden copy, a fresh store */

static void
path_of(struct buf *out, const char *base, const char *rel)
{
	buf_reset(out);
	buf_printf(out, "%s/%s", base, rel);
}

/* The whole content of base/rel ("" and a diagnostic when unreadable). */
static void
slurp(const char *base, const char *rel, struct buf *out)
{
	struct buf p = BUF_INIT;
	char *why = NULL;

	buf_reset(out);
	path_of(&p, base, rel);
	if (file_read(p.data, 1 << 20, out, &why) != 1) {
		tap_diag("read %s: %s", p.data, why ? why : "missing");
		free(why);
	}
	buf_free(&p);
}

/* Golden file rel and the same file of store dir are the same bytes. */
static void
same_file(const char *dir, const char *rel, const char *what)
{
	struct buf g = BUF_INIT, n = BUF_INIT;

	slurp(golden, rel, &g);
	slurp(dir, rel, &n);
	tap_is_mem(n.data, n.len, g.data, g.len, "%s written afresh = %s",
	    what, rel);
	buf_free(&g);
	buf_free(&n);
}

/* ---- copying the golden tree into a store ---- */

static const char *copy_to;

static int
copy_one(const char *src, const struct stat *st, int type, struct FTW *ftw)
{
	struct buf dst = BUF_INIT, data = BUF_INIT;
	char *why = NULL;
	int rc = 0;

	(void)st;
	(void)ftw;
	buf_printf(&dst, "%s%s", copy_to, src + strlen(golden));
	if (type == FTW_D)
		rc = file_mkdirs(dst.data, 0750, &why);
	else if (type == FTW_F)
		rc = file_read(src, 1 << 20, &data, &why) == 1 &&
		    file_write_atomic(dst.data, data.data, data.len, 0600, 0,
		    &why) == 0 ? 0 : -1;
	if (rc < 0)
		tap_diag("copy %s: %s", src, why);
	free(why);
	buf_free(&dst);
	buf_free(&data);
	return rc;
}

static void
setup(void)
{
	const char *src = getenv("POPSTORE_SRC");
	struct buf marker = BUF_INIT;
	char *why = NULL;

	snprintf(golden, sizeof(golden), "%s/t/data/golden/store",
	    src && *src ? src : ".");
	if (access(golden, R_OK) < 0) {
		printf("Bail out! no golden files at %s\n", golden);
		exit(2);
	}
	fixture_open(&fa, "golden", NULL);
	fixture_open(&fb, "fresh", NULL);
	/* The marker store_create writes is the golden one. */
	same_file(fa.dir, "popstore-store", "store marker");
	store_close(fa.store);
	copy_to = fa.dir;
	tap_is_int(nftw(golden, copy_one, 16, FTW_PHYS), 0,
	    "golden tree copied");
	slurp(fa.dir, "popstore-store", &marker);
	tap_is_str(marker.data, "popstore-store 1\nlayout fanout-fnv1a-2x256\n",
	    "marker: store version 1, fanout layout");
	tap_is_int(store_open(&fa.conf, &fa.store, &why), 0,
	    "the golden store opens");
	buf_free(&marker);
	free(why);
}

/* ---- fanout ---- */

static void
test_fanout(void)
{
	static const char *const dirs[][2] = {
		{ "jdoe", "e8/49" }, { "bob", "86/c6" }, { "sales", "86/9c" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	tap_is_int(fanout_hash("jdoe"), 0xe849a33bu, "FNV-1a of jdoe");
	for (i = 0; i < 3; i++) {
		buf_reset(&b);
		fanout_dirs(dirs[i][0], &b);
		tap_is_str(b.data, dirs[i][1], "%s's buckets", dirs[i][0]);
	}
	buf_reset(&b);
	fanout_encode("Jo.e%x", &b);
	tap_is_str(b.data, "%4Ao.e%25x", "name encoding");
	buf_free(&b);
}

/* ---- accounts ---- */

static const struct acct want_jdoe = {
	.name = "jdoe", .version = 1, .type = ACCT_IMAP,
	.flags = ACCT_MANAGE | ACCT_LOCKPWD,
	.password = "$scram-sha-256$v=1$i=4096$c2FsdHNhbHRzYWx0$"
	    "o1mQgQH8c7Xn5QJ0m2P5Ffq7+v5vS9q9Uu2mJ8cP1oE=$"
	    "Zk3kM7Wb1cT7F1lY4o2X3b9dGQ0y7pN4qk0hL9v2s8A=",
	.owner = "John Doe", .private_data = "room 7; ext. 42 (100%)",
	.group = "staff", .partition = "main",
	.quota = 10485760, .overdraft = 1048576,
	.created = 1767225600, .password_changed = 1767312000,
};
static const struct acct want_bob = {
	.name = "bob", .version = 1, .type = ACCT_POP,
	.flags = ACCT_DISMAIL | ACCT_MIGRATED | ACCT_PWD_ELSEWHERE,
	.owner = "Bob \xc3\x9c" "bel", .partition = "main",
	.created = 1767225600,
};

/* Every field of a profile read from the golden store. */
static void
check_acct(const struct acct *g, const struct acct *w)
{
	const char *n = w->name;

	tap_is_str(g->name, w->name, "%s: name", n);
	tap_is_int(g->version, w->version, "%s: version", n);
	tap_is_int(g->type, w->type, "%s: type", n);
	tap_is_int(g->flags, w->flags, "%s: flags", n);
	tap_is_str(g->password, w->password, "%s: password", n);
	tap_is_str(g->secret, w->secret, "%s: secret", n);
	tap_is_str(g->owner, w->owner, "%s: owner", n);
	tap_is_str(g->private_data, w->private_data, "%s: private", n);
	tap_is_str(g->group, w->group, "%s: group", n);
	tap_is_str(g->partition, w->partition, "%s: partition", n);
	tap_is_str(g->backend, w->backend, "%s: backend", n);
	tap_is_int((long long)g->quota, (long long)w->quota, "%s: quota", n);
	tap_is_int((long long)g->overdraft, (long long)w->overdraft,
	    "%s: overdraft", n);
	tap_is_int(g->created, w->created, "%s: created", n);
	tap_is_int(g->password_changed, w->password_changed,
	    "%s: password_changed", n);
}

static void
test_profiles(void)
{
	struct acct a, b;
	struct buf flags = BUF_INIT;
	char *why = NULL;

	tap_is_int(acct_load(fa.store, "jdoe", &a, &why), 1, "load jdoe");
	check_acct(&a, &want_jdoe);
	acct_flags_format(a.flags, &flags);
	tap_is_str(flags.data, "lockpwd,manage", "jdoe: flags as text");
	tap_is_int(acct_load(fa.store, "bob", &b, &why), 1, "load bob");
	check_acct(&b, &want_bob);
	buf_reset(&flags);
	acct_flags_format(b.flags, &flags);
	tap_is_str(flags.data, "dismail,migrated,pwd_elsewhere",
	    "bob: flags as text");
	tap_is_int(acct_load(fa.store, "nobody", &b, &why), 0, "no nobody");
	acct_load(fa.store, "bob", &b, NULL);

	/* The same profiles written by this build. */
	tap_is_int(acct_create(fb.store, &a, &why), 0, "create jdoe afresh");
	same_file(fb.dir, JDOE_USERS "/profile", "jdoe's profile");
	tap_is_int(acct_create(fb.store, &b, &why), 0, "create bob afresh");
	same_file(fb.dir, BOB_USERS "/profile", "bob's profile");
	same_file(fb.dir, BOB_USERS "/usage", "a new account's usage log");
	buf_free(&flags);
	free(why);
}

static void
test_usage(void)
{
	struct usage u;
	struct buf p = BUF_INIT;
	char *why = NULL;

	tap_is_int(usage_read(fa.store, "jdoe", &u, &why), 1, "jdoe's usage");
	tap_is_int((long long)u.seq, 1, "usage: seq");
	tap_is_int((long long)u.message_count, 2, "usage: message_count");
	tap_is_int((long long)u.quota_used, 817, "usage: quota_used");
	tap_is_int((long long)u.messages_received, 3, "usage: messages_received");
	tap_is_int((long long)u.bytes_received, 2000, "usage: bytes_received");
	tap_is_int((long long)u.total_connections, 17,
	    "usage: total_connections");
	tap_is_int(u.last_connect, 1767430000, "usage: last_connect");
	tap_is_int(u.last_disconnect, 1767430125, "usage: last_disconnect");
	tap_is_int((long long)u.total_connect, 4321, "usage: total_connect");
	tap_is_int((long long)u.past_block_days, 12, "usage: past_block_days");
	tap_is_int((long long)u.past_block_remainder, 987654,
	    "usage: past_block_remainder");
	tap_is_int(u.last_billing, 1767225600, "usage: last_billing");
	tap_is_int(usage_read(fa.store, "bob", &u, &why), 1, "bob's usage");
	tap_is_int((long long)(u.seq + u.message_count + u.quota_used +
	    u.messages_received + u.bytes_received + u.total_connections +
	    u.total_connect + u.past_block_days + u.past_block_remainder),
	    1, "bob: seq 1, every counter 0");
	tap_is_int(u.last_connect + u.last_disconnect + u.last_billing, 0,
	    "bob: no dates");

	/* A log holding one record of the same counters. */
	usage_read(fa.store, "jdoe", &u, NULL);
	path_of(&p, fb.dir, JDOE_USERS "/usage");
	unlink(p.data);
	tap_is_int(usage_write(fb.store, "jdoe", &u, &why), 0,
	    "write jdoe's counters afresh");
	same_file(fb.dir, JDOE_USERS "/usage", "usage log");
	buf_free(&p);
	free(why);
}

/* ---- groups, forwarding, databases ---- */

static int
db_acct(const struct acct *a, void *ctx)
{
	struct buf *out = ctx;

	buf_printf(out, "%s:%s:%d:%u ", a->name, a->group, a->type, a->flags);
	return 0;
}

static void
test_groups_forward(void)
{
	struct group g;
	struct buf to = BUF_INIT, list = BUF_INIT;
	char *why = NULL;

	tap_is_int(group_load(fa.store, "staff", &g, &why), 1, "group staff");
	tap_is_str(g.name, "staff", "staff: name");
	tap_is_str(g.subgroups, "sales,support", "staff: subgroups");
	tap_is_str(g.description, "Staff accounts, 2nd floor (100%)",
	    "staff: description");
	tap_is_int(group_load(fa.store, "sales", &g, &why), 1, "group sales");
	tap_is_str(g.subgroups, "", "sales: no subgroups");
	tap_is_int(group_load(fa.store, "support", &g, &why), 1,
	    "group support");
	tap_is_int(group_within(fa.store, "support", "staff", &why), 1,
	    "support is within staff");

	tap_is_int(fwdmap_rebuild_db(fa.store, &why), 0,
	    "forward.gdbm rebuilt from the golden file");
	tap_is_int(fwdmap_get(fa.store, "sales", &to, &why), 1,
	    "forwarding of sales");
	tap_is_str(buf_cstr(&to), "Alice@Example.COM\nbob\njdoe", "sales: addresses");
	tap_is_int(fwdmap_keeps_copy(&fa.conf, to.data, "sales"), 0,
	    "sales keeps no copy");
	tap_is_int(acct_rebuild_db(fa.store, &why), 0,
	    "accounts.gdbm rebuilt from the golden profiles");
	tap_is_int(acct_db_walk(fa.store, db_acct, &list, &why), 0,
	    "accounts database walk");
	tap_ok(strstr(list.data, "jdoe:staff:1:12 ") != NULL &&
	    strstr(list.data, "bob::0:49 ") != NULL && list.len == 26,
	    "database: jdoe and bob with group, type, flags (%s)", list.data);

	/* Written afresh: the group creates its subgroups as it did. */
	group_load(fa.store, "staff", &g, NULL);
	tap_is_int(group_create(fb.store, &g, &why), 0, "create staff afresh");
	same_file(fb.dir, "groups/staff", "group");
	same_file(fb.dir, "groups/sales", "implied subgroup");
	same_file(fb.dir, "groups/support", "implied subgroup");
	tap_is_int(fwdmap_set(fb.store, "sales", to.data, &why), 0,
	    "forward sales afresh");
	same_file(fb.dir, SALES_FWD, "forwarding");
	buf_free(&to);
	buf_free(&list);
	free(why);
}

/* ---- folder list, subscriptions ---- */

static void
test_mboxlist(void)
{
	static const struct { const char *name, *special; } want[] = {
		{ "INBOX", "" }, { "Drafts", "\\Drafts" }, { "Sent", "\\Sent" },
		{ "Trash", "\\Trash" }, { "Junk", "\\Junk" },
		{ "Projects/2026 Q1 \xc3\xbc", "" },
	};
	struct mboxlist l;
	struct subs sl;
	struct acct a;
	struct buf dir = BUF_INIT;
	char *why = NULL;
	size_t i;

	acct_load(fa.store, "jdoe", &a, NULL);
	tap_is_int(mboxlist_load(fa.store, &a, &l, &why), 0, "folder list");
	tap_is_int((long long)l.n, 6, "six folders");
	tap_is_int(l.next_id, 6, "next_id");
	for (i = 0; i < l.n && i < 6; i++) {
		tap_is_int(l.v[i].id, (long long)i, "folder %zu: id", i);
		tap_is_int(l.v[i].uidvalidity, UV0 + i, "folder %zu: uidvalidity",
		    i);
		tap_is_str(l.v[i].name, want[i].name, "folder %zu: name", i);
		tap_is_str(l.v[i].special, want[i].special,
		    "folder %zu: special-use", i);
		tap_is_str(l.v[i].acl, i == 5 ? "bob lrs anyone l" : "",
		    "folder %zu: acl", i);
	}
	tap_ok(mboxlist_find(&l, "inbox") == &l.v[0], "INBOX in any case");
	/* Written afresh (the account's mail directory is made first). */
	mbox_account_dir(fb.store, &a, &dir);
	file_mkdirs(dir.data, 0750, NULL);
	tap_is_int(mboxlist_write(fb.store, &a, &l, &why), 0,
	    "write the list afresh");
	same_file(fb.dir, JDOE_MAIL "/mailboxes", "folder list");
	mboxlist_free(&l);

	memset(&sl, 0, sizeof(sl));
	tap_is_int(subs_load(fa.store, &a, &sl, &why), 0, "subscriptions");
	tap_is_int((long long)sl.n, 3, "three subscriptions");
	tap_ok(sl.n == 3 && strcmp(sl.names[0], "INBOX") == 0 &&
	    strcmp(sl.names[1], "Projects/2026 Q1 \xc3\xbc") == 0 &&
	    strcmp(sl.names[2], "Public Folders/news") == 0,
	    "subscribed names in order");
	tap_is_int(subs_has(&sl, "inbox"), 1, "INBOX subscribed");
	for (i = 0; i < sl.n; i++)
		subs_change(fb.store, &a, sl.names[i], 1, &why);
	same_file(fb.dir, JDOE_MAIL "/subscriptions", "subscriptions");
	subs_free(&sl);
	buf_free(&dir);
	free(why);
}

/* ---- INBOX: index, state, cache, keywords, seen, expunge log ---- */

struct rec_want {
	uint32_t uid, flags;
	uint64_t keywords, modseq;
	int64_t	 internaldate;
	int	 tzoff;
	int64_t	 savedate;
	uint64_t size;
	uint32_t header_len, body_lines;
	uint64_t cache_off;
	uint32_t cache_len;
	uint32_t file_crc;
	const char *subject, *message_id, *from, *envelope, *body;
	int64_t	 date;
	int	 zone;
	size_t	 nparts;
};

static const struct rec_want recs[2] = {
	{ 1, MSG_SEEN | MSG_ANSWERED | MSG_NEEDS_STUFFING, 0, 4,
	  1767258000, 60, SAVED, 221, 171, 3, 16, 817, 0x471fe936u,
	  "Lunch on Friday", "<golden-1@example.com>", "jane@example.com",
	  "(\"Thu, 01 Jan 2026 10:00:00 +0100\" \"Lunch on Friday\" "
	  "((\"Jane Roe\" NIL \"jane\" \"example.com\")) "
	  "((\"Jane Roe\" NIL \"jane\" \"example.com\")) "
	  "((\"Jane Roe\" NIL \"jane\" \"example.com\")) "
	  "((\"John Doe\" NIL \"jdoe\" \"example.com\")) NIL NIL NIL "
	  "\"<golden-1@example.com>\")",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	  "50 3)",
	  1767258000, 60, 1 },
	{ 2, MSG_FLAGGED, 3, 5, 1767360600, -300, SAVED, 596, 306, 13, 848,
	  1330, 0x930db21bu,
	  "Bericht f\xc3\xbcr Q1", "<golden-2@example.org>",
	  "bob@example.org",
	  "(\"Fri, 02 Jan 2026 08:30:00 -0500\" "
	  "\"=?UTF-8?Q?Bericht_f=C3=BCr_Q1?=\" "
	  "((\"Bob\" NIL \"bob\" \"example.org\")) "
	  "((\"Bob\" NIL \"bob\" \"example.org\")) "
	  "((\"Bob\" NIL \"bob\" \"example.org\")) "
	  "((NIL NIL \"jdoe\" \"example.com\")) "
	  "((\"Jane Roe\" NIL \"jane\" \"example.com\")) NIL "
	  "\"<golden-1@example.com>\" \"<golden-2@example.org>\")",
	  "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 22 0)"
	  "(\"application\" \"pdf\" (\"name\" \"q1.pdf\") NIL NIL \"base64\" 20)"
	  " \"mixed\")",
	  1767360600, -300, 3 },
};

static void
check_mime(const struct rec_want *w, const void *blob, size_t len,
    const char *eml, size_t emllen)
{
	struct mime_view v;
	struct mime_info info;
	struct msgparse mp;
	struct buf fresh = BUF_INIT;
	const void *fp;
	size_t flen;
	unsigned u = w->uid;

	if (mime_info_decode(blob, len, &v) < 0) {
		tap_ok(0, "uid %u: cached MIME information decodes", u);
		return;
	}
	tap_ok(1, "uid %u: cached MIME information decodes", u);
	tap_is_int((long long)v.size, (long long)w->size, "uid %u: mime size", u);
	tap_is_int((long long)v.header_len, w->header_len,
	    "uid %u: mime header_len", u);
	tap_is_int((long long)v.body_lines, w->body_lines,
	    "uid %u: mime body_lines", u);
	tap_is_int(v.date, w->date, "uid %u: sent date", u);
	tap_is_int(v.zone, w->zone, "uid %u: sent zone", u);
	tap_is_mem(v.base_subject.s, v.base_subject.len, w->subject,
	    strlen(w->subject), "uid %u: base subject", u);
	tap_is_mem(v.message_id.s, v.message_id.len, w->message_id,
	    strlen(w->message_id), "uid %u: message-id", u);
	tap_is_mem(v.from.addr.s, v.from.addr.len, w->from, strlen(w->from),
	    "uid %u: from address", u);
	tap_is_mem(v.envelope.s, v.envelope.len, w->envelope,
	    strlen(w->envelope), "uid %u: ENVELOPE", u);
	tap_is_mem(v.body.s, v.body.len, w->body, strlen(w->body),
	    "uid %u: BODY", u);
	tap_is_int((long long)v.nparts, (long long)w->nparts,
	    "uid %u: MIME parts", u);

	/* The parse of the golden message file by this build. */
	tap_is_int(mime_parse(eml, emllen, &info), 0, "uid %u: parse file", u);
	tap_is_int(mime_view_equal(&v, &info.view), 1,
	    "uid %u: cached view = view of the file parsed now", u);
	mime_info_free(&info);
	tap_is_int(msgparse_run(eml, emllen, &mp, &fresh), 0,
	    "uid %u: msgparse", u);
	tap_ok(cache_field(fresh.data, fresh.len, CACHE_MIME, &fp, &flen) == 1 &&
	    flen == len && memcmp(fp, blob, len) == 0,
	    "uid %u: MIME blob encoded afresh = cached bytes", u);
	tap_is_int(mp.header_len, w->header_len, "uid %u: msgparse header_len",
	    u);
	tap_is_int(mp.body_lines, w->body_lines, "uid %u: msgparse body_lines",
	    u);
	tap_is_int(mp.needs_stuffing, (w->flags & MSG_NEEDS_STUFFING) != 0,
	    "uid %u: msgparse dot-stuffing", u);
	buf_free(&fresh);
}

static void
expunged_uid(uint32_t uid, void *ctx)
{
	struct buf *b = ctx;

	buf_printf(b, "%u ", uid);
}

static int
state_count(const unsigned char *rec, void *ctx)
{
	(void)rec;
	++*(int *)ctx;
	return 0;
}

static void
test_inbox(void)
{
	const struct folder_state *st;
	struct folder_state st2;
	struct folder *f;
	struct msgrec r;
	struct acct a;
	struct seen sn;
	struct ffmt_hdr fh;
	struct buf idx = BUF_INIT, cache = BUF_INIT, payload = BUF_INIT,
	    eml = BUF_INIT, b = BUF_INIT, stlog = BUF_INIT;
	unsigned char enc[FOLDER_REC_SIZE], sst[STATE_RECSIZE];
	const void *p;
	size_t len;
	char *why = NULL, rel[64];
	int complete = 0, n, fd;
	uint32_t i;

	acct_load(fa.store, "jdoe", &a, NULL);
	tap_is_int(folder_open(fa.store, &a, "INBOX", FOLDER_RDONLY, &f, &why),
	    1, "open the golden INBOX");
	if (f == NULL)
		return;
	st = folder_state(f);
	tap_is_int(st->uidvalidity, UV0, "state: uidvalidity");
	tap_is_int(st->uidnext, 4, "state: uidnext");
	tap_is_int((long long)st->highestmodseq, 7, "state: highestmodseq");
	tap_is_int(st->exists, 2, "state: exists");
	tap_is_int(st->unseen, 1, "state: unseen");
	tap_is_int(st->deleted, 0, "state: deleted");
	tap_is_int(st->recent_uid, 1, "state: first recent uid");
	tap_is_int((long long)st->bytes, 817, "state: bytes");
	tap_is_int(st->first_unseen_uid, 2, "state: first unseen uid");
	tap_is_int(st->index_gen, 2, "state: index generation");
	tap_is_int((long long)st->cache_dead, 623, "state: dead cache bytes");
	tap_is_int(folder_count(f), 2, "two messages");
	tap_is_str(folder_name(f), "INBOX", "folder name");
	tap_is_int(folder_id(f), 0, "folder id");
	tap_is_str(folder_keyword_name(f, 0), "$Important", "keyword bit 0");
	tap_is_str(folder_keyword_name(f, 1), "$Label1", "keyword bit 1");
	tap_ok(folder_keyword_name(f, 2) == NULL, "no keyword bit 2");

	slurp(golden, JDOE_MAIL "/f0/index", &idx);
	slurp(golden, JDOE_MAIL "/f0/cache.1", &cache);
	tap_is_int((long long)idx.len, 3 * 128, "index: header + 2 records");
	tap_is_int(idx.len >= 128 &&
	    ffmt_hdr_decode((unsigned char *)idx.data, &fh) == 0, 1,
	    "index header checks");
	tap_is_int(fh.uidvalidity, UV0, "index header: uidvalidity");
	tap_is_int(fh.uid_base, 4, "index header: uidnext when written");
	tap_is_int(fh.index_gen, 2, "index header: generation");
	tap_is_int((long long)fh.modseq_base, 7, "index header: highestmodseq");
	tap_is_int(fh.created, SAVED, "index header: created");
	tap_is_int(fh.cache_gen, 1, "index header: cache generation");
	ffmt_hdr_encode(enc, fh.uidvalidity, fh.uid_base, fh.index_gen,
	    fh.modseq_base, fh.created, fh.cache_gen);
	tap_is_mem(enc, 128, idx.data, idx.len < 128 ? idx.len : 128,
	    "index header encoded afresh");
	tap_is_mem(cache.data, cache.len < 16 ? cache.len : 16,
	    "PSCA\0\1\0\0\0\0\0\0\0\0\0\0", 16, "cache header");
	tap_is_int((long long)cache.len, 2816, "cache size (one dead record)");

	for (i = 0; i < 2; i++) {
		const struct rec_want *w = &recs[i];
		unsigned u = w->uid;
		uint64_t co;

		memset(&r, 0, sizeof(r));
		if (!tap_is_int(folder_record(f, i, &r, &why), 1, "record %u",
		    i))
			continue;
		tap_is_int(r.uid, w->uid, "uid %u: uid", u);
		tap_is_int(r.flags, w->flags, "uid %u: flags", u);
		tap_is_int((long long)r.keywords, (long long)w->keywords,
		    "uid %u: keywords", u);
		tap_is_int((long long)r.modseq, (long long)w->modseq,
		    "uid %u: modseq", u);
		tap_is_int(r.internaldate, w->internaldate,
		    "uid %u: internal date", u);
		tap_is_int(r.tzoff, w->tzoff, "uid %u: zone", u);
		tap_is_int(r.savedate, w->savedate, "uid %u: save date", u);
		tap_is_int((long long)r.size, (long long)w->size, "uid %u: size",
		    u);
		tap_is_int(r.header_len, w->header_len, "uid %u: header length",
		    u);
		tap_is_int(r.body_lines, w->body_lines, "uid %u: body lines", u);
		tap_is_int((long long)r.cache_off, (long long)w->cache_off,
		    "uid %u: cache offset", u);
		tap_is_int(r.cache_len, w->cache_len, "uid %u: cache length", u);
		/* The record as this build encodes it: the golden bytes. */
		ffmt_rec_encode(&r, enc);
		tap_is_mem(enc, sizeof(enc), idx.data + 128 + 128 * i,
		    idx.len >= 128 + 128 * (i + 1) ? 128 : 0,
		    "uid %u: record encoded afresh", u);
		tap_is_int(be32_get((unsigned char *)idx.data + 128 + 128 * i),
		    w->uid, "uid %u: UID at its documented offset", u);

		buf_reset(&payload);
		tap_is_int(folder_cache(f, &r, &payload, &why), 1,
		    "uid %u: cache record (checksum right)", u);
		tap_is_int((long long)payload.len, w->cache_len,
		    "uid %u: payload length", u);
		/* The cache record: length, CRC-32C, payload, zero padding. */
		co = w->cache_off;
		tap_ok(cache.len >= co + 8 + payload.len &&
		    be32_get((unsigned char *)cache.data + co) == payload.len &&
		    be32_get((unsigned char *)cache.data + co + 4) ==
		    crc32c(payload.data, payload.len) &&
		    memcmp(cache.data + co + 8, payload.data, payload.len) == 0,
		    "uid %u: cache record framing", u);
		tap_ok(cache_field(payload.data, payload.len, CACHE_SENDER, &p,
		    &len) == 1 && len == 16 &&
		    memcmp(p, "jane@example.com", 16) == 0,
		    "uid %u: envelope sender cached", u);
		tap_is_int(cache_field(payload.data, payload.len, CACHE_UIDL, &p,
		    &len), 0, "uid %u: no stored UIDL", u);
		buf_reset(&b);
		folder_uidl(f, &r, &b);
		snprintf(rel, sizeof(rel), "%08x%08x", UV0, u);
		tap_is_str(b.data, rel, "uid %u: POP3 UIDL", u);

		snprintf(rel, sizeof(rel), JDOE_MAIL "/f0/%u.eml", u);
		slurp(golden, rel, &eml);
		tap_is_int((long long)eml.len, (long long)w->size,
		    "uid %u: file size is RFC822.SIZE", u);
		tap_is_int(crc32c(eml.data, eml.len), w->file_crc,
		    "uid %u: file content", u);
		fd = folder_open_message(f, u, &why);
		tap_ok(fd >= 0, "uid %u: message file opens", u);
		if (fd >= 0)
			close(fd);
		if (cache_field(payload.data, payload.len, CACHE_MIME, &p,
		    &len) == 1)
			check_mime(w, p, len, eml.data, eml.len);
		else
			tap_ok(0, "uid %u: MIME information cached", u);
	}

	/* The state log: every record sound, the last one re-encodes. */
	slurp(golden, JDOE_MAIL "/f0/state", &stlog);
	tap_is_int((long long)stlog.len, 16 + 8 * STATE_RECSIZE,
	    "state log: 8 records");
	n = 0;
	path_of(&b, fa.dir, JDOE_MAIL "/f0/state");
	fd = rlog_open(b.data);
	tap_is_int(rlog_scan(fd, STATE_KIND, STATE_RECSIZE, state_count, &n,
	    &why), 0, "state log scans");
	tap_is_int(n, 8, "8 valid state records");
	if (fd >= 0)
		close(fd);
	if (stlog.len >= STATE_RECSIZE + 16) {
		const unsigned char *last = (unsigned char *)stlog.data +
		    stlog.len - STATE_RECSIZE;

		tap_is_int(rlog_record_ok(last, STATE_RECSIZE), 1,
		    "last state record checksum");
		ffmt_state_decode(last, &st2);
		tap_ok(memcmp(&st2, st, sizeof(st2)) == 0,
		    "last state record = the state a session sees");
		ffmt_state_encode(&st2, sst);
		tap_is_mem(sst + 8, STATE_RECSIZE - 12, last + 8,
		    STATE_RECSIZE - 12, "state record encoded afresh");
		tap_is_int((long long)be64_get(last), 0,
		    "state record: first 8 bytes zero");
	}

	buf_reset(&b);
	tap_is_int(folder_expunged_since(f, 0, expunged_uid, &b, &complete,
	    &why), 0, "expunge log");
	tap_is_str(b.data, "3 ", "uid 3 was expunged");
	tap_is_int(complete, 1, "expunge log complete");
	buf_reset(&b);
	folder_expunged_since(f, 6, expunged_uid, &b, &complete, &why);
	tap_is_str(buf_cstr(&b), "3 ", "uid 3 expunged with modseq 7 (> 6)");
	buf_reset(&b);
	folder_expunged_since(f, 7, expunged_uid, &b, &complete, &why);
	tap_is_str(buf_cstr(&b), "", "nothing expunged after modseq 7");

	memset(&sn, 0, sizeof(sn));
	tap_is_int(seen_load(f, "bob", &sn, &why), 0, "bob's \\Seen set");
	tap_ok(seen_has(&sn, 1) && seen_has(&sn, 2) && !seen_has(&sn, 3),
	    "bob has seen 1 and 2");
	buf_reset(&b);
	seen_set_format(&sn.set, &b);
	tap_is_str(b.data, "1:2", "seen set as text");
	seen_free(&sn);
	folder_close(f);

	/* An empty folder: the UTF-8 one with the ACL. */
	f = NULL;
	tap_is_int(folder_open_id(fa.store, &a, 5, FOLDER_RDONLY, &f, &why), 1,
	    "open the golden folder f5");
	if (f != NULL) {
		st = folder_state(f);
		tap_is_str(folder_name(f), "Projects/2026 Q1 \xc3\xbc",
		    "f5: name");
		tap_is_int(st->uidvalidity, UV0 + 5, "f5: uidvalidity");
		tap_is_int(st->uidnext, 1, "f5: uidnext");
		tap_is_int(st->exists + st->unseen + st->deleted, 0,
		    "f5: no messages");
		tap_is_int((long long)st->highestmodseq, 0, "f5: modseq");
		tap_is_int(st->index_gen, 1, "f5: index generation");
		folder_close(f);
	}

	buf_free(&idx);
	buf_free(&cache);
	buf_free(&payload);
	buf_free(&eml);
	buf_free(&b);
	buf_free(&stlog);
	free(why);
}

/* Text files: parse and format give the golden bytes back. */
static void
test_kvfiles(void)
{
	static const struct { const char *rel, *kind; } files[] = {
		{ JDOE_MAIL "/f0/folder", "folder" },
		{ JDOE_MAIL "/f5/folder", "folder" },
		{ JDOE_MAIL "/f0/keywords", "keywords" },
		{ JDOE_MAIL "/f0/seen.bob", "seen" },
	};
	struct kvfile kv;
	struct buf text = BUF_INIT, out = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		slurp(golden, files[i].rel, &text);
		memset(&kv, 0, sizeof(kv));
		tap_is_int(kvfile_parse(text.data, text.len, files[i].kind, &kv,
		    &why), 0, "%s parses", files[i].rel);
		buf_reset(&out);
		kvfile_format(&kv, &out);
		tap_is_mem(out.data, out.len, text.data, text.len,
		    "%s formatted afresh", files[i].rel);
		if (i == 1) {
			tap_is_str(kvfile_get(&kv, "name"),
			    "Projects/2026 Q1 \xc3\xbc", "f5: name");
			tap_is_str(kvfile_get(&kv, "uidvalidity"), "1795436544",
			    "f5: uidvalidity");
		}
		kvfile_free(&kv);
	}
	buf_free(&text);
	buf_free(&out);
	free(why);
}

static void
report(void *ctx, const char *where, const char *what)
{
	(void)ctx;
	tap_diag("reconstruct: %s: %s", where, what);
}

/* The golden store is consistent: reconstruct finds nothing to fix. */
static void
test_recon(void)
{
	struct recon rc = { .check_only = 1, .report = report };
	char *why = NULL;

	tap_is_int(recon_account(fa.store, "jdoe", &rc, &why), 0,
	    "reconstruct -n jdoe runs");
	tap_is_int((long long)rc.problems, 0, "no inconsistency in jdoe");
	tap_is_int(recon_account(fa.store, "bob", &rc, &why), 0,
	    "reconstruct -n bob runs");
	tap_is_int((long long)(rc.problems + rc.errors), 0,
	    "no inconsistency in bob");
	free(why);
}

int
main(void)
{
	setup();
	test_fanout();
	test_profiles();
	test_usage();
	test_groups_forward();
	test_mboxlist();
	test_inbox();
	test_kvfiles();
	test_recon();
	fixture_close(&fa);
	fixture_close(&fb);
	return tap_done();
}
