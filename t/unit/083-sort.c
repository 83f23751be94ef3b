/*
 * Unit tests: SORT with every criterion, REVERSE, several criteria,
 * ties (sequence order, REVERSE or not), long subjects that agree on
 * their first bytes, a search program restricting the sort; keys kept
 * for the session (reused, merged after a partial sort, with messages
 * appended and expunged by another session in between), kept on disk
 * for the next session (columns added, new messages, a damaged or
 * truncated file ignored and replaced) and damaged cache records
 * falling back to the message file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "search-test.h"
#include "sort.h"

static struct stest st;
static struct search_env env;

#define DAY	86400
#define JAN1	1704067200	/* 2024-01-01 00:00 UTC */

static const struct {
	int64_t	 arrival;
	const char *hdr;
	size_t	 body;
} msgs[] = {
	{ JAN1 + 4 * DAY,
	  "Date: Wed, 03 Jan 2024 10:00:00 +0000\n"
	  "From: \"Zed\" <zed@x.org>\nTo: bob@b.org\nSubject: Re: apple\n",
	  100 },
	{ JAN1,
	  "Date: Thu, 04 Jan 2024 01:00:00 +0500\n"
	  "From: Alice <ALICE@a.org>\nTo: \"Carl\" <carl@c.org>\n"
	  "Cc: dan@d.org\nSubject: banana\n", 2000 },
	{ JAN1 + 2 * DAY + DAY / 2,
	  "From: bob@b.org\nTo: alice@a.org\nSubject: [list] Apple\n", 5000 },
	{ JAN1 + DAY,
	  "Date: Tue, 02 Jan 2024 23:00:00 -0800\n"
	  "From: =?UTF-8?Q?=C3=89mile?= <emile@e.org>\nTo: zed@x.org\n"
	  "Cc: amy@a.org, zoe@z.org\nSubject: Fwd: Cherry\n", 10 },
	{ JAN1 + 3 * DAY,
	  "Date: Wed, 03 Jan 2024 10:00:00 +0000\n"
	  "From: alice@a.org\nSubject:\n", 1000 },
	/* 6-9: long subjects equal at the start */
	{ JAN1 + 5 * DAY,
	  "Date: Fri, 05 Jan 2024 10:00:00 +0000\nSubject: The quarterly "
	  "report of the northern division: version B\n", 10 },
	{ JAN1 + 5 * DAY,
	  "Date: Fri, 05 Jan 2024 09:00:00 +0000\nSubject: The quarterly "
	  "report of the northern division: version A\n", 10 },
	{ JAN1 + 5 * DAY,
	  "Date: Fri, 05 Jan 2024 11:00:00 +0000\nSubject: the QUARTERLY "
	  "report of the northern division: version a\n", 10 },
	{ JAN1 + 5 * DAY,
	  "Date: Fri, 05 Jan 2024 08:00:00 +0000\nSubject: The quarterly "
	  "report of the northern division\n", 10 },
};

static void
deliver_all(void)
{
	struct buf m = BUF_INIT;
	size_t i, k;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		buf_reset(&m);
		buf_puts(&m, msgs[i].hdr);
		buf_puts(&m, "\n");
		for (k = 0; k < msgs[i].body; k++)
			buf_putc(&m, k % 64 == 63 ? '\n' : 'b');
		st_deliver(&st, m.data, msgs[i].arrival, 0, 0);
	}
	buf_free(&m);
	env.folder = st_folder(&st);
}

/* The folder's sort-key file. */
static void
keys_path(struct buf *path)
{
	buf_reset(path);
	buf_printf(path, "%s/sortkeys", folder_dir(st.f));
}

/* A new session; without the sort-key file unless keep_file. */
static void
new_session(int keep_file)
{
	struct buf path = BUF_INIT;

	keys_path(&path);
	if (!keep_file)
		(void)unlink(path.data);
	buf_free(&path);
	env.folder = st_folder(&st);
}

/* "REVERSE DATE SUBJECT" into criteria. */
static size_t
parse_crit(const char *text, struct sort_crit *c)
{
	char word[32];
	size_t n = 0;
	int rev = 0, len;

	while (sscanf(text, "%31s%n", word, &len) == 1 && n < SORT_MAX_CRIT + 2) {
		text += len;
		if (strcmp(word, "REVERSE") == 0) {
			rev = 1;
			continue;
		}
		c[n].key = sort_key_parse(word);
		c[n++].reverse = rev;
		rev = 0;
	}
	return n;
}

static void
sort(const char *crit, const char *prog, struct buf *out,
    struct search_result *res)
{
	struct sort_crit c[SORT_MAX_CRIT + 2];
	struct search_node *tree = sprog_parse(st.f, prog, strlen(prog), NULL);
	size_t n = parse_crit(crit, c);
	char *why = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = sort_run(&env, tree, c, n, res, &why);
	buf_reset(out);
	if (rc < 0)
		buf_printf(out, "error %d: %s", rc, why);
	else
		st_format(res, 0, out);
	free(why);
	search_free(tree);
}

static void
test_criteria(void)
{
	static const struct {
		const char *crit, *prog, *want;
	} t[] = {
		{ "ARRIVAL", "1:5", "2 4 3 5 1" },
		{ "REVERSE ARRIVAL", "1:5", "1 5 3 4 2" },
		{ "DATE", "1:5", "4 1 5 3 2" },
		{ "REVERSE DATE", "1:5", "2 3 1 5 4" },
		{ "SIZE", "1:5", "4 1 5 2 3" },
		{ "REVERSE SIZE", "1:5", "3 2 5 1 4" },
		{ "SUBJECT", "1:5", "5 1 3 2 4" },
		{ "REVERSE SUBJECT", "1:5", "4 2 1 3 5" },
		{ "FROM", "1:5", "2 5 3 4 1" },
		{ "REVERSE FROM", "1:5", "1 4 3 2 5" },
		{ "TO", "1:5", "5 3 1 2 4" },
		{ "CC", "1:5", "1 3 5 4 2" },
		{ "REVERSE CC", "1:5", "2 4 1 3 5" },
		{ "DISPLAYFROM", "1:5", "2 5 3 1 4" },
		{ "DISPLAYTO", "1:5", "5 3 1 2 4" },
		{ "SUBJECT REVERSE DATE", "1:5", "5 3 1 2 4" },
		{ "SUBJECT DATE", "1:5", "5 1 3 2 4" },
		{ "CC FROM", "1:5", "5 3 1 4 2" },
		{ "CC REVERSE ARRIVAL", "1:5", "1 5 3 4 2" },
		{ "DATE", "UNSEEN 1:5", "4 3 2" },
		{ "DATE", "UNSEEN 6:*", "9 7 6 8" },
		{ "SUBJECT", "NOT ALL", "" },
		{ "SUBJECT", "6:9", "9 7 8 6" },
		{ "REVERSE SUBJECT", "6:9", "6 7 8 9" },
		{ "SUBJECT REVERSE DATE", "6:9", "9 8 7 6" },
		{ "SUBJECT DATE", "6:9", "9 7 8 6" },
		{ "SUBJECT ARRIVAL", "6:9", "9 7 8 6" },
		{ "REVERSE SUBJECT REVERSE DATE", "6:9", "6 8 7 9" },
		{ "SUBJECT", "ALL", "5 1 3 2 4 9 7 8 6" },
		{ "ARRIVAL SUBJECT", "ALL", "2 4 3 5 1 9 7 8 6" },
		{ "", "ALL", "error -1: bad number of sort criteria" },
		{ "SUBJECT BOGUS", "ALL", "error -1: unknown sort criterion" },
		{ "DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE "
		  "DATE DATE DATE DATE DATE", "ALL",
		  "error -1: bad number of sort criteria" },
	};
	struct search_result res;
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sort(t[i].crit, t[i].prog, &got, &res);
		tap_is_str(got.data, t[i].want, "SORT (%s) %s", t[i].crit,
		    t[i].prog);
		search_result_free(&res);
	}
	buf_free(&got);
}

/* Keys read from the cache once are kept for the next sorts. */
static void
test_kept(void)
{
	struct search_result res;
	struct buf got = BUF_INIT;

	new_session(0);	/* a new session: nothing kept */
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "5 1 3 2 4 9 7 8 6", "first SORT (SUBJECT)");
	tap_is_int((long long)res.stats.records, 9, "records read once");
	tap_is_int((long long)res.stats.caches, 9, "every cache record read");
	tap_is_int((long long)res.stats.kept, 0, "nothing kept yet");
	search_result_free(&res);
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "5 1 3 2 4 9 7 8 6", "second SORT (SUBJECT)");
	tap_is_int((long long)res.stats.caches, 0, "no cache record read");
	tap_is_int((long long)res.stats.kept, 9, "every key kept");
	search_result_free(&res);
	sort("REVERSE SUBJECT", "6:9", &got, &res);
	tap_is_str(got.data, "6 7 8 9", "REVERSE SUBJECT from kept keys");
	tap_is_int((long long)res.stats.caches, 0, "still no cache read");
	search_result_free(&res);
	sort("DATE", "ALL", &got, &res);
	tap_is_str(got.data, "4 1 5 3 2 9 7 6 8", "SORT (DATE): a new kind");
	tap_is_int((long long)res.stats.caches, 9, "read for the dates");
	search_result_free(&res);
	sort("SUBJECT REVERSE DATE", "6:9", &got, &res);
	tap_is_str(got.data, "9 8 7 6", "both kinds kept");
	tap_is_int((long long)res.stats.caches, 0, "no cache read");
	tap_is_int((long long)res.stats.kept, 4, "four kept");
	search_result_free(&res);
	sort("ARRIVAL SIZE", "ALL", &got, &res);
	tap_is_int((long long)res.stats.caches, 0,
	    "ARRIVAL and SIZE need no cache");
	tap_is_int((long long)res.stats.files, 0, "nor files");
	search_result_free(&res);
	sort("SUBJECT", "UID 2:3", &got, &res);
	tap_ok(res.n == 2 && res.uid[0] == 3 && res.uid[1] == 2 &&
	    res.pos[0] == 2 && res.pos[1] == 1, "UIDs and positions follow");
	search_result_free(&res);
	buf_free(&got);
}

/* Size of the sort-key file, -1 if none. */
static long long
keys_size(void)
{
	struct buf path = BUF_INIT;
	struct stat sb;
	long long r;

	keys_path(&path);
	r = stat(path.data, &sb) == 0 ? (long long)sb.st_size : -1;
	buf_free(&path);
	return r;
}

/* Flip a byte of the sort-key file at offset at, or cut it to at. */
static int
damage_keys(off_t at, int cut)
{
	struct buf path = BUF_INIT;
	unsigned char c;
	int fd, ok = 0;

	keys_path(&path);
	if ((fd = open(path.data, O_RDWR)) >= 0) {
		if (cut)
			ok = ftruncate(fd, at) == 0;
		else if (pread(fd, &c, 1, at) == 1) {
			c ^= 0x01;
			ok = pwrite(fd, &c, 1, at) == 1;
		}
		close(fd);
	}
	buf_free(&path);
	return ok;
}

/* One sort of every message; its result and what it read. */
static void
sort_all(const char *crit, const char *want, long long caches,
    long long kept, const char *what)
{
	struct search_result res;
	struct buf got = BUF_INIT;

	sort(crit, "ALL", &got, &res);
	tap_is_str(got.data, want, "%s: %s", what, crit);
	tap_ok(res.stats.caches == (uint64_t)caches &&
	    res.stats.kept == (uint64_t)kept,
	    "%s: %llu cache records read, %llu keys kept (want %lld, %lld)",
	    what, (unsigned long long)res.stats.caches,
	    (unsigned long long)res.stats.kept, caches, kept);
	search_result_free(&res);
	buf_free(&got);
}

/* The keys on disk: the next session's first sort reads no cache. */
static void
test_file(void)
{
	static const char subj[] = "5 1 3 2 4 9 7 8 6";
	static const char date[] = "4 1 5 3 2 9 7 6 8";
	long long size;

	new_session(0);
	sort_all("ARRIVAL", "2 4 3 5 1 6 7 8 9", 0, 9, "no cache keys");
	tap_is_int(keys_size(), -1, "no file for ARRIVAL");
	sort_all("SUBJECT", subj, 9, 0, "first session");
	size = keys_size();
	tap_ok(size > 56, "the file is written (%lld bytes)", size);
	new_session(1);
	sort_all("SUBJECT", subj, 0, 9, "next session");
	sort_all("REVERSE SUBJECT", "6 7 8 9 4 2 1 3 5", 0, 9, "same session");
	sort_all("DATE", date, 9, 0, "a new column");
	tap_ok(keys_size() > size, "the file is written again with it");
	new_session(1);
	sort_all("DATE", date, 0, 9, "dates from the file");
	sort_all("SUBJECT", subj, 0, 9, "subjects too");
	sort_all("SUBJECT DATE", subj, 0, 9, "both");

	/* damage anywhere: the file is ignored and replaced */
	size = keys_size();
	tap_ok(damage_keys((off_t)size / 2, 0), "a byte of the file flipped");
	new_session(1);
	sort_all("SUBJECT", subj, 9, 0, "damaged file");
	new_session(1);
	sort_all("SUBJECT", subj, 0, 9, "replaced");
	tap_ok(damage_keys(3, 0), "its magic number damaged");
	new_session(1);
	sort_all("SUBJECT", subj, 9, 0, "bad magic number");
	tap_ok(damage_keys(40, 1), "the file cut short");
	new_session(1);
	sort_all("SUBJECT", subj, 9, 0, "short file");
	tap_ok(damage_keys(0, 1), "the file emptied");
	new_session(1);
	sort_all("SUBJECT", subj, 9, 0, "empty file");
	new_session(1);
	sort_all("SUBJECT", subj, 0, 9, "replaced again");
	new_session(0);
}

/* A subset first, then the rest: keys merged in UID order. */
static void
test_partial(void)
{
	struct search_result res;
	struct buf got = BUF_INIT;

	new_session(0);
	sort("FROM", "2:3", &got, &res);
	tap_is_str(got.data, "2 3", "SORT (FROM) of two");
	search_result_free(&res);
	sort("FROM", "7:9", &got, &res);
	tap_is_int((long long)res.stats.kept, 0, "others not kept yet");
	search_result_free(&res);
	sort("FROM", "ALL", &got, &res);
	tap_is_str(got.data, "6 7 8 9 2 5 3 4 1", "SORT (FROM) of all");
	tap_is_int((long long)res.stats.kept, 5, "five kept");
	tap_is_int((long long)res.stats.caches, 4, "four read");
	search_result_free(&res);
	sort("REVERSE FROM", "ALL", &got, &res);
	tap_is_str(got.data, "1 4 3 2 5 6 7 8 9", "REVERSE FROM, all kept");
	tap_is_int((long long)res.stats.kept, 9, "nine kept");
	search_result_free(&res);
	buf_free(&got);
}

static int
want_deleted(const struct msgrec *r, void *ctx)
{
	(void)ctx;
	return (r->flags & MSG_DELETED) != 0;
}

/* Another session delivers and expunges between two sorts. */
static void
test_changes(void)
{
	struct folder_changes ch;
	struct search_result res;
	struct buf got = BUF_INIT;
	struct folder *other = NULL;
	struct msgrec r;
	char *why = NULL;

	new_session(0);
	sort("SUBJECT", "ALL", &got, &res);
	search_result_free(&res);
	tap_ok(st_deliver(&st, "Date: Sat, 06 Jan 2024 10:00:00 +0000\n"
	    "From: amy@a.org\nSubject: Re: [x] Aardvark\n\nhi\n",
	    JAN1 + 6 * DAY, 0, 0) == 10, "message 10 delivered");
	memset(&ch, 0, sizeof(ch));
	tap_ok(folder_refresh(st.f, &ch, NULL, NULL, &why) == 0 &&
	    ch.appended == 1, "the session sees it");
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "5 10 1 3 2 4 9 7 8 6", "sorted in");
	tap_is_int((long long)res.stats.kept, 9, "nine kept");
	tap_is_int((long long)res.stats.caches, 1, "one cache record read");
	search_result_free(&res);

	if (folder_open(st.fx.store, &st.a, "INBOX", 0, &other, &why) != 1) {
		tap_ok(0, "second session: %s", why);
		free(why);
		return;
	}
	folder_store(other, 1, MSG_DELETED, 0, 0, 0, 0, &r, NULL);
	folder_store(other, 6, MSG_DELETED, 0, 0, 0, 0, &r, NULL);
	tap_is_int(folder_expunge(other, want_deleted, NULL, NULL, &why), 2,
	    "another session expunges UIDs 2 and 7");
	folder_close(other);
	memset(&ch, 0, sizeof(ch));
	tap_ok(folder_refresh(st.f, &ch, NULL, NULL, &why) == 0 &&
	    ch.rewritten && folder_count(st.f) == 8, "the session sees it");
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "4 8 1 2 3 7 6 5", "sorted without them");
	tap_is_int((long long)res.stats.kept, 8, "all kept");
	tap_is_int((long long)res.stats.caches, 0, "no cache record read");
	search_result_free(&res);
	sort("REVERSE DATE", "ALL", &got, &res);
	tap_is_str(got.data, "8 6 5 7 2 1 4 3", "REVERSE DATE after expunge");
	search_result_free(&res);
	free(why);
	buf_free(&got);
}

/* The folder's cache file: the newest cache.N. */
static void
cache_path(struct buf *path)
{
	DIR *d = opendir(folder_dir(st.f));
	struct dirent *e;
	long gen, best = -1;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "cache.", 6) == 0 &&
		    (gen = strtol(e->d_name + 6, NULL, 10)) > best)
			best = gen;
	if (d != NULL)
		closedir(d);
	buf_reset(path);
	buf_printf(path, "%s/cache.%ld", folder_dir(st.f), best);
}

/* Flip a payload byte of the cache record of view position pos. */
static int
damage_cache(uint32_t pos)
{
	struct buf path = BUF_INIT;
	struct msgrec r;
	unsigned char c;
	off_t at;
	int fd, ok = 0;

	if (folder_record(st.f, pos, &r, NULL) != 1)
		return 0;
	cache_path(&path);
	at = (off_t)r.cache_off + 8 + r.cache_len / 2;
	if ((fd = open(path.data, O_RDWR)) >= 0 && pread(fd, &c, 1, at) == 1) {
		c ^= 0x20;
		ok = pwrite(fd, &c, 1, at) == 1;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	return ok;
}

/* A damaged cache record: the keys come from the message file. */
static void
test_damaged(void)
{
	struct search_result res;
	struct buf got = BUF_INIT, a = BUF_INIT;
	struct msgrec r;
	const void *p;
	size_t len;

	new_session(0);
	tap_ok(folder_record(st.f, 0, &r, NULL) == 1 &&
	    folder_cache(st.f, &r, &a, NULL) == 1 &&
	    folder_cache_ref(st.f, &r, &p, &len, NULL) == 1 &&
	    len == a.len && memcmp(p, a.data, len) == 0,
	    "folder_cache_ref gives folder_cache's payload");
	tap_ok(damage_cache(1) && damage_cache(4), "two cache records damaged");
	new_session(0);
	tap_ok(folder_record(st.f, 1, &r, NULL) == 1 &&
	    folder_cache_ref(st.f, &r, &p, &len, NULL) == -1,
	    "the damage is seen");
	new_session(0);
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "4 8 1 2 3 7 6 5", "SORT (SUBJECT) unchanged");
	tap_is_int((long long)res.stats.files, 2, "two message files parsed");
	search_result_free(&res);
	sort("FROM", "ALL", &got, &res);
	tap_is_int((long long)res.stats.files, 2, "again for FROM");
	search_result_free(&res);
	sort("SUBJECT", "ALL", &got, &res);
	tap_is_str(got.data, "4 8 1 2 3 7 6 5", "again, from kept keys");
	tap_is_int((long long)res.stats.files, 0, "no file read");
	tap_is_int((long long)res.stats.kept, 8, "all kept");
	search_result_free(&res);
	buf_free(&a);
	buf_free(&got);
}

/* Subjects of test_many: common prefixes, ties, numbers. */
static const char *const forms[] = {
	"Invoice %d", "invoice %d", "INVOICE %d0",
	"Report of the northern division for quarter %d",
	"report of the northern division for quarter %d", "%d", "a%d",
	"Invoice", "b", "Zz %d", "invoice %d ", "Invoice %d x"
};

/* The subject of test message i, raw or as its sort key. */
static void
many_subject(int i, int key, char *out, size_t size)
{
	size_t k;

	snprintf(out, size, forms[i % 12], (i * 7) % 13);
	if (!key)
		return;
	k = strlen(out);
	while (k > 0 && out[k - 1] == ' ')	/* base subject: trimmed */
		out[--k] = '\0';
	for (k = 0; out[k]; k++)
		if (out[k] >= 'a' && out[k] <= 'z')
			out[k] -= 32;
}

static int many_reverse;

static int
cmp_many(const void *a, const void *b)
{
	char x[128], y[128];
	int ia = *(const int *)a, ib = *(const int *)b, d;

	many_subject(ia, 1, x, sizeof(x));
	many_subject(ib, 1, y, sizeof(y));
	if ((d = strcmp(x, y)) != 0)
		return many_reverse ? -d : d;
	return ia < ib ? -1 : ia > ib;
}

/* Many subjects with long common prefixes and ties, against qsort. */
static void
test_many(void)
{
	struct search_result res;
	struct buf got = BUF_INIT, want = BUF_INIT, m = BUF_INIT;
	char subj[128], prog[64];
	int order[96], i, n = 96, first;

	for (i = 0; i < n; i++) {
		many_subject(i, 0, subj, sizeof(subj));
		buf_reset(&m);
		buf_printf(&m, "Date: Fri, 05 Jan 2024 10:00:00 +0000\n"
		    "Subject: %s\n\nbody\n", subj);
		if (st_deliver(&st, m.data, JAN1, 0, 0) == 0)
			break;
		order[i] = i;
	}
	tap_is_int(i, n, "%d messages delivered", n);
	new_session(0);
	first = (int)folder_count(st.f) - n + 1;
	snprintf(prog, sizeof(prog), "%d:*", first);
	for (many_reverse = 0; many_reverse < 2; many_reverse++) {
		qsort(order, (size_t)n, sizeof(int), cmp_many);
		buf_reset(&want);
		for (i = 0; i < n; i++)
			buf_printf(&want, "%s%d", i ? " " : "", first + order[i]);
		sort(many_reverse ? "REVERSE SUBJECT" : "SUBJECT", prog, &got,
		    &res);
		tap_is_str(got.data, want.data, "SORT (%sSUBJECT) of %d",
		    many_reverse ? "REVERSE " : "", n);
		search_result_free(&res);
		sort("SUBJECT", "ALL", &got, &res);
		search_result_free(&res);
		sort(many_reverse ? "REVERSE SUBJECT" : "SUBJECT", prog, &got,
		    &res);
		tap_is_str(got.data, want.data, "again from kept keys");
		tap_is_int((long long)res.stats.kept, n, "all kept");
		search_result_free(&res);
		sort(many_reverse ? "REVERSE SUBJECT DATE" : "SUBJECT ARRIVAL",
		    prog, &got, &res);
		tap_is_str(got.data, want.data, "two criteria, the same");
		search_result_free(&res);
	}
	buf_free(&want);
	buf_free(&m);
	buf_free(&got);
}

int
main(void)
{
	struct msgrec r;

	st_open(&st, "sort");
	deliver_all();
	folder_store(st.f, 0, MSG_SEEN, 0, 0, 0, 0, &r, NULL);
	folder_store(st.f, 4, MSG_SEEN, 0, 0, 0, 0, &r, NULL);
	folder_sync(st.f, NULL);
	memset(&env, 0, sizeof(env));
	env.folder = st.f;
	test_criteria();
	test_kept();
	test_file();
	test_partial();
	test_changes();
	test_damaged();
	test_many();
	st_close(&st);
	return tap_done();
}
