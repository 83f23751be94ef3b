/*
 * Unit tests: every SEARCH key over a folder of delivered messages,
 * NOT/OR nesting, RFC 2047 and charsets, dates in their zones, the
 * session hooks (flags, \Recent, client sequence numbers), what each
 * key costs (records, cache, files), and stopping a search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "search-test.h"

static struct stest st;

#define NOW	1710115200	/* 2024-03-11 00:00 UTC */

static const char m1[] =
    "From: Alice Example <alice@example.com>\n"
    "To: bob@example.org\n"
    "Cc: Carol <carol@example.net>\n"
    "Subject: Meeting tomorrow\n"
    "Date: Mon, 04 Mar 2024 09:00:00 +0100\n"
    "Message-ID: <m1@example.com>\n"
    "\n"
    "Let us meet at noon.\n";

static const char m2[] =
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n"
    "To: alice@example.com\n"
    "Bcc: secret@example.com\n"
    "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\n"
    "Date: Fri, 01 Mar 2024 23:30:00 -0500\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Caf=E9 cr=E8me br=FBl=E9e\n";

static const char m3[] =
    "From: bob@example.org\n"
    "To: Alice <alice@example.com>\n"
    "Subject: Re: Meeting tomorrow\n"
    "X-Spam-Flag: YES\n"
    "X-Empty:\n"
    "\n"
    "I'll be there.\n";

static const char m4[] =
    "From: Dieter <dieter@example.de>\n"
    "To: list@example.org\n"
    "Subject: Fotos\n"
    "Date: Sat, 10 Feb 2024 12:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "R3LDvMOfZSBhdXMgTcO8bmNoZW4sIHNhZ3QgSsO8cmdlbi4K\n"
    "--b1\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "YmluYXJ5IG5lZWRsZSBkYXRh\n"
    "--b1\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@example.net\n"
    "Subject: Inner secret subject\n"
    "\n"
    "inner body text\n"
    "--b1--\n";

static const char m5[] =
    "From: Eve <eve@example.com>\n"
    "To: alice@example.com\n"
    "Subject: [list] Big report\n"
    "Date: Sun, 10 Mar 2024 13:00:00 +0100\n"
    "\n";

static struct search_env env;

static void
deliver_all(void)
{
	struct buf big = BUF_INIT;
	struct msgrec r;
	int bit, i;

	st_deliver(&st, m1, 1709541000, 60, MSG_SEEN);
	st_deliver(&st, m2, 1709355600, 0, MSG_ANSWERED | MSG_FLAGGED);
	st_deliver(&st, m3, 1709681400, 120, MSG_DELETED | MSG_DRAFT);
	st_deliver(&st, m4, 1707566400, 0, 0);
	buf_puts(&big, m5);
	for (i = 0; i < 2000; i++)
		buf_printf(&big, "line %d of the big report\n", i);
	st_deliver(&st, big.data, 1710072000, 0, MSG_SEEN);
	buf_free(&big);
	st_folder(&st);
	bit = folder_keyword_bit(st.f, "$Important", 1, NULL);
	folder_store(st.f, 3, 0, 0, (uint64_t)1 << bit, 0, 0, &r, NULL);
	folder_keyword_bit(st.f, "$Unused", 1, NULL);
	folder_sync(st.f, NULL);
}

static void
run(const char *prog, struct buf *out, struct search_stats *stats)
{
	st_run(&env, prog, strlen(prog), out, stats);
}

static void
test_keys(void)
{
	static const struct {
		const char *prog, *want;
	} t[] = {
		{ "ALL", "1 2 3 4 5" },
		{ "SEEN", "1 5" }, { "UNSEEN", "2 3 4" },
		{ "ANSWERED", "2" }, { "UNANSWERED", "1 3 4 5" },
		{ "FLAGGED", "2" }, { "UNFLAGGED", "1 3 4 5" },
		{ "DELETED", "3" }, { "UNDELETED", "1 2 4 5" },
		{ "DRAFT", "3" }, { "UNDRAFT", "1 2 4 5" },
		{ "KEYWORD $Important", "4" }, { "UNKEYWORD $important", "1 2 3 5" },
		{ "KEYWORD $Unused", "" }, { "KEYWORD NoSuchName", "" },
		{ "UNKEYWORD NoSuchName", "1 2 3 4 5" },
		{ "RECENT", "4 5" }, { "NEW", "4" }, { "OLD", "1 2 3" },
		{ "FROM alice", "1" }, { "FROM ALICE@EXAMPLE", "1" },
		{ "FROM \"Alice Example\"", "1" }, { "FROM example.org", "3" },
		{ "FROM andr\xc3\xa9", "2" }, { "FROM ANDR\xc3\x89", "2" },
		{ "TO alice", "2 3 5" }, { "TO \"<alice@\"", "3" },
		{ "CC carol", "1" }, { "CC nobody", "" },
		{ "BCC secret", "2" },
		{ "SUBJECT meeting", "1 3" }, { "SUBJECT \"re: meet\"", "3" },
		{ "SUBJECT \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "2" },
		{ "SUBJECT \xd0\x9f\xd0\xa0\xd0\x98", "2" },
		{ "SUBJECT 0J/RgNC40LLQtdGC", "" },	/* encoded form: no */
		{ "SUBJECT \"\"", "1 2 3 4 5" },
		{ "SUBJECT [list]", "5" },
		{ "HEADER Message-ID <m1@example.com>", "1" },
		{ "HEADER message-id \"\"", "1" },
		{ "HEADER X-Spam-Flag yes", "3" },
		{ "HEADER X-Spam-Flag \"\"", "3" },
		{ "HEADER X-Empty \"\"", "3" },
		{ "HEADER X-Missing \"\"", "" },
		{ "HEADER Content-Type multipart", "4" },
		{ "LARGER 1000", "5" }, { "SMALLER 300", "1 3" },
		{ "SMALLER 1000", "1 2 3 4" }, { "LARGER 100000", "" },
		{ "BEFORE 4-Mar-2024", "2 4" }, { "ON 4-Mar-2024", "1" },
		{ "SINCE 4-Mar-2024", "1 3 5" }, { "ON 6-Mar-2024", "3" },
		{ "ON 5-Mar-2024", "" }, { "ON 2-Mar-2024", "2" },
		{ "SENTON 1-Mar-2024", "2" }, { "SENTON 2-Mar-2024", "" },
		{ "SENTBEFORE 2-Mar-2024", "2 4" },
		{ "SENTSINCE 4-Mar-2024", "1 3 5" },
		{ "SENTON 6-Mar-2024", "3" },		/* no Date: internal */
		{ "SENTON 10-Mar-2024", "5" },
		{ "SAVEDBEFORE 1-Jan-2000", "" }, { "SAVEDSINCE 1-Jan-2000",
		    "1 2 3 4 5" },
		{ "OLDER 86400", "1 2 3 4" }, { "YOUNGER 86400", "5" },
		{ "YOUNGER 18446744073709551615", "1 2 3 4 5" },
		{ "OLDER 18446744073709551615", "" },
		{ "1:3", "1 2 3" }, { "2,4:*", "2 4 5" }, { "*", "5" },
		{ "6:7", "" }, { "UID 2:3", "2 3" }, { "UID 4:*", "4 5" },
		{ "UID 1,3,5", "1 3 5" }, { "UID 99", "" },
		{ "UID 1:2 UID 2:5", "2" }, { "1:4 UID 3:*", "3 4" },
		{ "NOT SEEN", "2 3 4" }, { "NOT NOT SEEN", "1 5" },
		{ "OR SEEN FLAGGED", "1 2 5" },
		{ "OR OR SEEN FLAGGED DELETED", "1 2 3 5" },
		{ "NOT OR SEEN FLAGGED", "3 4" },
		{ "OR (SEEN FROM alice) (UNSEEN SUBJECT meeting)", "1 3" },
		{ "NOT (SEEN SUBJECT meeting)", "2 3 4 5" },
		{ "OR NOT FROM alice NOT TO alice", "1 2 3 4 5" },
		{ "NOT OR FROM alice TO alice", "4" },
		{ "( )", "1 2 3 4 5" },
		{ "SEEN NOT 1", "5" },
		{ "BODY noon", "1" }, { "BODY NOON", "1" },
		{ "BODY \"cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65\"", "2" },
		{ "BODY CAF\xc3\x89", "2" },
		{ "BODY m\xc3\xbcnchen", "4" }, { "BODY J\xc3\x9cRGEN", "4" },
		{ "BODY gruesse", "" }, { "BODY needle", "" },
		{ "BODY \"inner secret\"", "4" }, { "BODY \"inner body\"", "4" },
		{ "BODY \"line 1999 of\"", "5" }, { "BODY Meeting", "" },
		{ "TEXT meeting", "1 3" }, { "TEXT \"subject: re:\"", "3" },
		{ "TEXT noon", "1" }, { "TEXT andr\xc3\xa9", "2" },
		{ "TEXT \"inner secret\"", "4" },
		{ "BODY \"\"", "1 2 3 4 5" },
		{ "OR BODY noon SUBJECT fotos", "1 4" },
		{ "MODSEQ 1", "1 2 3 4 5" },
	};
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run(t[i].prog, &got, NULL);
		tap_is_str(got.data, t[i].want, "SEARCH %s", t[i].prog);
	}
	buf_free(&got);
}

/* MODSEQ finds what changed; the result carries the highest modseq. */
static void
test_modseq(void)
{
	struct search_result res;
	struct search_node *tree;
	struct msgrec r;
	struct buf got = BUF_INIT, prog = BUF_INIT;
	char *why = NULL;

	folder_store(st.f, 1, MSG_SEEN, 0, 0, 0, 0, &r, NULL);
	folder_sync(st.f, NULL);
	buf_printf(&prog, "MODSEQ %llu", (unsigned long long)r.modseq);
	run(prog.data, &got, NULL);
	tap_is_str(got.data, "2", "MODSEQ finds the changed message");
	memset(&res, 0, sizeof(res));
	tree = sprog_parse(st.f, "ALL", 3, NULL);
	search_run(&env, tree, &res, &why);
	tap_is_int((long long)res.highest_modseq, (long long)r.modseq,
	    "highest modseq of the matches");
	search_result_free(&res);
	search_free(tree);
	folder_store(st.f, 1, 0, MSG_SEEN, 0, 0, 0, &r, NULL);
	folder_sync(st.f, NULL);
	buf_free(&got);
	buf_free(&prog);
}

/* 1 when delivery stores the MIME information in the cache. */
static int
cache_has_mime(void)
{
	struct buf payload = BUF_INIT;
	struct msgrec r;
	const void *p;
	size_t len;
	int rc;

	rc = folder_record(st.f, 0, &r, NULL) == 1 &&
	    folder_cache(st.f, &r, &payload, NULL) == 1 &&
	    cache_field(payload.data, payload.len, CACHE_MIME, &p, &len) == 1;
	buf_free(&payload);
	return rc;
}

/* What each kind of key reads. */
static void
test_costs(void)
{
	static const struct {
		const char *prog;
		long long records, caches, files;
	} t[] = {
		{ "UNSEEN", 5, 0, 0 },
		{ "LARGER 10 SMALLER 100000 SINCE 1-Jan-2000", 5, 0, 0 },
		{ "FROM alice", 5, 5, 0 },
		{ "SUBJECT x TO y CC z BCC w", 5, 5, 0 },
		{ "UNSEEN FROM alice", 5, 3, 0 },
		{ "FROM alice UNSEEN", 5, 3, 0 },
		{ "SENTON 1-Mar-2024", 5, 5, 0 },
		{ "OR SEEN FROM alice", 5, 3, 0 },
		{ "HEADER X-Spam-Flag yes", 5, 0, 5 },
		{ "HEADER List-Id x", 5, 5, 0 },
		{ "SEEN HEADER X-Spam-Flag yes", 5, 0, 2 },
		{ "FROM bob HEADER X-Spam-Flag yes", 5, 5, 1 },
		{ "FROM bob BODY there", 5, 5, 1 },
		{ "BODY there FROM bob", 5, 5, 1 },
		{ "HEADER X-Spam-Flag yes BODY there", 5, 1, 5 },
		{ "UID 4", 1, 0, 0 },
		{ "UID 2:3 FROM bob", 2, 2, 0 },
		{ "2:3 FROM bob", 2, 2, 0 },
		{ "OR UID 1 UID 5", 5, 0, 0 },
		{ "UID 10:20", 0, 0, 0 },
	};
	struct search_stats s;
	struct buf got = BUF_INIT;
	size_t i;

	if (!tap_ok(cache_has_mime(), "delivery caches the MIME information"))
		return;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run(t[i].prog, &got, &s);
		tap_ok((long long)s.records == t[i].records &&
		    (long long)s.caches == t[i].caches &&
		    (long long)s.files == t[i].files,
		    "%s reads %llu records, %llu caches, %llu files (want "
		    "%lld %lld %lld)", t[i].prog,
		    (unsigned long long)s.records, (unsigned long long)s.caches,
		    (unsigned long long)s.files, t[i].records, t[i].caches,
		    t[i].files);
	}
	buf_free(&got);
}

/* The session's hooks: per-user flags, \Recent, sequence numbers. */
static uint32_t
all_seen(void *ctx, const struct msgrec *r)
{
	(void)ctx;
	return (r->flags & MSG_SYSFLAGS) | MSG_SEEN;
}

static int
odd_recent(void *ctx, const struct msgrec *r)
{
	(void)ctx;
	return r->uid & 1;
}

/* As if the message at client number 3 was expunged but not told. */
static uint32_t
gap_seq(void *ctx, uint32_t pos)
{
	(void)ctx;
	return pos + 1 + (pos >= 2);
}

static void
test_hooks(void)
{
	static const struct {
		const char *prog, *want;
	} t[] = {
		{ "UNSEEN", "" }, { "SEEN", "1 2 4 5 6" }, { "RECENT", "1 4 6" },
		{ "NEW", "" }, { "3", "" }, { "1:4", "1 2 4" }, { "4", "4" },
		{ "6", "6" }, { "5:6", "5 6" }, { "7", "" },
		{ "2:5 UID 4:*", "5" },
	};
	struct search_env saved = env;
	struct buf got = BUF_INIT;
	size_t i;

	env.flags = all_seen;
	env.recent = odd_recent;
	env.client_seq = gap_seq;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run(t[i].prog, &got, NULL);
		tap_is_str(got.data, t[i].want, "with hooks: SEARCH %s",
		    t[i].prog);
	}
	env = saved;
	buf_free(&got);
}

static void
test_stop(void)
{
	volatile sig_atomic_t cancel = 1;
	struct search_env saved = env;
	struct buf got = BUF_INIT;

	env.cancel = &cancel;
	run("ALL", &got, NULL);
	tap_is_str(got.data, "error -2: search cancelled", "cancelled");
	env = saved;
	env.deadline_ms = 1;
	run("FROM alice", &got, NULL);
	tap_is_str(got.data, "error -2: search time limit reached",
	    "deadline");
	env = saved;
	env.max_file_bytes = 1000;
	run("BODY nothing-like-this", &got, NULL);
	tap_is_str(got.data, "error -2: search data limit reached",
	    "file data budget");
	run("FROM alice", &got, NULL);
	tap_is_str(got.data, "1", "budget does not touch header search");
	env = saved;
	buf_free(&got);
}

int
main(void)
{
	st_open(&st, "keys");
	deliver_all();
	memset(&env, 0, sizeof(env));
	env.folder = st.f;
	env.recent_uid = 4;
	env.now = NOW;
	test_keys();
	test_modseq();
	test_costs();
	test_hooks();
	test_stop();
	st_close(&st);
	return tap_done();
}
