/*
 * search - fuzz SEARCH, SORT and THREAD evaluation with random programs
 * over a fixed folder.
 *
 * Input: an optional first line "SEARCH", "SORT [REVERSE] KEY ...",
 * "THREAD REFERENCES" or "THREAD ORDEREDSUBJECT", with "HOOKS" anywhere
 * in it to run with session hooks (per-user \Seen, \Recent, client
 * sequence numbers with a gap); then a search program in the syntax of
 * t/unit/search-test.h (IMAP's keys). A first line that is none of
 * these is part of the program.
 *
 * The store is made once per process under $TMPDIR and removed at exit:
 * one account with a dozen messages (threads, charsets, multipart,
 * encoded words, NUL, no header/body separator, a body of several
 * chunks), flags and keywords.
 *
 * Checked: matches are ascending view positions with the right UIDs and
 * sequence numbers; the program and NOT program split the folder
 * exactly (three-valued evaluation and short-circuits agree); SORT
 * returns a permutation of the matches; THREAD holds each match exactly
 * once and formats to a balanced list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/search-test.h"
#include "conf.h"
#include "file.h"
#include "log.h"
#include "sort.h"
#include "store.h"
#include "thread.h"

static struct conf conf;
static struct store *store;
static struct folder *folder;
static struct buf topdir = BUF_INIT;

static const char *const texts[] = {
	"From: Alice <alice@example.com>\nTo: bob@example.org\n"
	"Subject: Meeting\nDate: Mon, 04 Mar 2024 09:00:00 +0100\n"
	"Message-ID: <m1@x>\n\nLet us meet at noon.\n",
	"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n"
	"Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\nMessage-ID: <m2@x>\n"
	"References: <m1@x>\nMIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n\nCaf=E9 cr=E8me\n",
	"From: bob@example.org\nSubject: Re: Meeting\nX-Spam-Flag: YES\n"
	"In-Reply-To: <m1@x>\nMessage-ID: <m3@x>\n\nI'll be there.\n",
	"From: Dieter <dieter@example.de>\nSubject: Fotos\n"
	"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n"
	"--b1\nContent-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: base64\n\n"
	"R3LDvMOfZSBhdXMgTcO8bmNoZW4sIHNhZ3QgSsO8cmdlbi4K\n--b1\n"
	"Content-Type: message/rfc822\n\nFrom: inner@example.net\n"
	"Subject: Inner\n\ninner body\n--b1--\n",
	"Subject: only a header\nX-Last: final",
	"Subject: nul\nMessage-ID: <m1@x>\n\nbefore\0after\n",
	"From: \"\" <empty@example.com>\nSubject: [list] Fwd: Re: loop\n"
	"Message-ID: <A@x>\nReferences: <B@x> <A@x>\n\nx\n",
	"Subject: Re: loop\nMessage-ID: <B@x>\nReferences: <A@x>\n\ny\n",
	"Subject:\nDate: garbage\nCc: =?koi8-r?B?8+/F2w==?= <c@c>\n\nz\n",
	"Date: Tue, 02 Jan 2024 23:00:00 -0800\nTo: z@x.org, a@y.org\n"
	"Subject: The quarterly report of the northern division: A\n\n.\n",
	"Date: Tue, 02 Jan 2024 23:00:00 -0800\n"
	"Subject: the QUARTERLY report of the northern division: a\n\n",
	"",
};

static void fail(const char *what, const char *why)
    __attribute__((noreturn));

static void
fail(const char *what, const char *why)
{
	fprintf(stderr, "search fuzz setup: %s: %s\n", what, why ? why : "?");
	abort();
}

static void
deliver(const struct acct *a, const char *text, size_t len, int64_t when,
    uint32_t flags)
{
	struct delivery *d;
	char *why = NULL;

	if (delivery_begin(store, "s@example.org", &d, &why) < 0 ||
	    delivery_write_lf(d, text, len, &why) < 0 ||
	    delivery_end_data(d, &why) < 0)
		fail("delivery", why);
	delivery_set_date(d, when, (int)(when % 7) * 60 - 180);
	delivery_add(d, a, MBOX_INBOX_ID, flags);
	if (delivery_commit(d, &why) != 1)
		fail("commit", why);
	delivery_free(d);
}

static void
cleanup(void)
{
	if (folder != NULL)
		folder_close(folder);
	if (store != NULL)
		store_close(store);
	(void)file_remove_tree(topdir.data, NULL);
}

static void
setup(void)
{
	struct buf text = BUF_INIT, path = BUF_INIT, big = BUF_INIT;
	struct msgrec r;
	struct acct a;
	char *why = NULL;
	size_t i;
	int bit;

	buf_printf(&topdir, "%s/fuzz-search-%ld", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp", (long)getpid());
	(void)file_remove_tree(topdir.data, NULL);
	buf_printf(&text, "STORE_DIR=%s/store\nSYNC_MODE=fsync\n", topdir.data);
	buf_printf(&path, "%s/popstore.conf", topdir.data);
	if (file_mkdirs(topdir.data, 0700, &why) < 0 ||
	    file_write_atomic(path.data, text.data, text.len, 0600,
	    FILE_NOSYNC, &why) < 0 || conf_load(path.data, &conf, &why) < 0 ||
	    store_create(&conf, &why) < 0 ||
	    store_open(&conf, &store, &why) < 0 ||
	    acct_from_default(store, "fuzz", &a, &why) < 0)
		fail("store", why);
	a.type = ACCT_IMAP;
	if (acct_create(store, &a, &why) < 0)
		fail("account", why);
	log_set_level(LOG_EMERG);
	atexit(cleanup);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		deliver(&a, texts[i], i == 5 ? 46 : strlen(texts[i]),
		    1709000000 + (int64_t)i * 40000, (uint32_t)i & MSG_SYSFLAGS);
	buf_puts(&big, "Subject: big\nContent-Type: text/plain\n\n");
	for (i = 0; i < 9000; i++)
		buf_printf(&big, "line %zu of a body read in chunks\n", i);
	deliver(&a, big.data, big.len, 1710000000, MSG_SEEN);
	if (folder_open(store, &a, "INBOX", 0, &folder, &why) != 1)
		fail("INBOX", why);
	bit = folder_keyword_bit(folder, "$Important", 1, NULL);
	folder_store(folder, 3, 0, 0, (uint64_t)1 << bit, 0, 0, &r, NULL);
	folder_sync(folder, NULL);
	buf_free(&text);
	buf_free(&path);
	buf_free(&big);
}

/* ---- the session hooks ---- */

static uint32_t
hook_flags(void *ctx, const struct msgrec *r)
{
	(void)ctx;
	return (r->flags & MSG_SYSFLAGS) ^ ((r->uid % 3 == 0) ? MSG_SEEN : 0);
}

static int
hook_recent(void *ctx, const struct msgrec *r)
{
	(void)ctx;
	return r->uid % 2;
}

static uint32_t
hook_seq(void *ctx, uint32_t pos)
{
	(void)ctx;
	return pos + 1 + (pos >= 4);
}

/* ---- checks ---- */

static void
check_matches(const struct search_env *env, const struct search_result *res)
{
	struct msgrec r;
	size_t i;

	for (i = 0; i < res->n; i++) {
		if (res->pos[i] >= folder_count(folder) ||
		    (i > 0 && res->pos[i] <= res->pos[i - 1]))
			abort();
		if (folder_record(folder, res->pos[i], &r, NULL) != 1 ||
		    r.uid != res->uid[i])
			abort();
		if (res->seq[i] != (env->client_seq ?
		    env->client_seq(NULL, res->pos[i]) : res->pos[i] + 1))
			abort();
	}
}

/* The program and NOT the program split the folder. */
static void
check_complement(const struct search_env *env, struct search_node *tree,
    const struct search_result *res)
{
	struct search_node *not = search_new_not(tree);
	struct search_result neg;
	uint32_t n = folder_count(folder), pos;
	size_t i = 0, j = 0;
	char *why = NULL;

	memset(&neg, 0, sizeof(neg));
	if (search_run(env, not, &neg, &why) == 0) {
		for (pos = 0; pos < n; pos++) {
			int a = i < res->n && res->pos[i] == pos;
			int b = j < neg.n && neg.pos[j] == pos;

			if (a == b)
				abort();
			i += a;
			j += b;
		}
	}
	free(why);
	search_result_free(&neg);
	not->child = NULL;
	search_free(not);
}

static void
check_sort(const struct search_env *env, struct search_node *tree,
    const struct sort_crit *crit, size_t ncrit,
    const struct search_result *res)
{
	struct search_result s;
	char *seen = calloc(folder_count(folder) + 1, 1);
	char *why = NULL;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (sort_run(env, tree, crit, ncrit, &s, &why) == 0) {
		if (s.n != res->n)
			abort();
		for (i = 0; i < s.n; i++) {
			if (s.pos[i] >= folder_count(folder) || seen[s.pos[i]])
				abort();
			seen[s.pos[i]] = 1;
		}
		for (i = 0; i < res->n; i++)
			if (!seen[res->pos[i]])
				abort();
	}
	free(seen);
	free(why);
	search_result_free(&s);
}

static void
check_thread(const struct search_env *env, struct search_node *tree,
    int algo, const struct search_result *res)
{
	struct thread_tree t;
	struct buf out = BUF_INIT;
	char *seen = calloc(folder_count(folder) + 1, 1);
	char *why = NULL;
	size_t i, msgs = 0;
	long depth = 0;

	if (thread_run(env, tree, algo, &t, &why) == 0) {
		for (i = 0; i < t.n; i++) {
			if (t.nodes[i].pos == THREAD_NONE)
				continue;
			if (t.nodes[i].pos >= folder_count(folder) ||
			    seen[t.nodes[i].pos])
				abort();
			seen[t.nodes[i].pos] = 1;
			msgs++;
		}
		if (msgs != res->n)
			abort();
		thread_format(&t, 0, &out);
		for (i = 0; i < out.len; i++) {
			depth += out.data[i] == '(' ? 1 : out.data[i] == ')' ?
			    -1 : 0;
			if (depth < 0)
				abort();
		}
		if (depth != 0)
			abort();
	}
	thread_free(&t);
	free(seen);
	free(why);
	buf_free(&out);
}

/* ---- the input ---- */

struct mode {
	int	 what;		/* 0 search, 1 sort, 2 thread */
	int	 algo;
	int	 hooks;
	struct sort_crit crit[SORT_MAX_CRIT];
	size_t	 ncrit;
};

/* Read the first line when it names a mode; the program's start. */
static size_t
read_mode(const uint8_t *data, size_t size, struct mode *m)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char line[256], *w, *save = NULL;
	size_t len = nl ? (size_t)(nl - data) : size;
	int rev = 0, known = 0;

	memset(m, 0, sizeof(*m));
	if (len >= sizeof(line))
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "SEARCH") == 0) {
			known = 1;
		} else if (strcmp(w, "SORT") == 0) {
			known = 1;
			m->what = 1;
		} else if (strcmp(w, "THREAD") == 0) {
			known = 1;
			m->what = 2;
		} else if (strcmp(w, "HOOKS") == 0) {
			m->hooks = 1;
		} else if (strcmp(w, "REVERSE") == 0) {
			rev = 1;
		} else if (m->what == 2 && thread_algo_parse(w)) {
			m->algo = thread_algo_parse(w);
		} else if (m->what == 1 && m->ncrit < SORT_MAX_CRIT) {
			m->crit[m->ncrit].key = sort_key_parse(w);
			m->crit[m->ncrit++].reverse = rev;
			rev = 0;
		}
	}
	if (!known) {
		memset(m, 0, sizeof(*m));
		return 0;
	}
	if (m->what == 1 && m->ncrit == 0)
		m->crit[m->ncrit++].key = SORT_DATE;
	if (m->what == 2 && m->algo == 0)
		m->algo = THREAD_REFERENCES;
	return nl ? len + 1 : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct search_env env;
	struct search_result res;
	struct search_node *tree;
	struct timespec ts;
	struct mode m;
	size_t start;
	char *why = NULL;

	if (!ready) {
		setup();
		ready = 1;
	}
	start = read_mode(data, size, &m);
	tree = sprog_parse(folder, (const char *)data + start, size - start,
	    NULL);
	if (tree == NULL)
		return 0;
	memset(&env, 0, sizeof(env));
	env.folder = folder;
	env.recent_uid = 5;
	env.now = 1710100000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	env.deadline_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    5000;
	if (m.hooks) {
		env.flags = hook_flags;
		env.recent = hook_recent;
		env.client_seq = hook_seq;
	}
	memset(&res, 0, sizeof(res));
	if (search_run(&env, tree, &res, &why) == 0) {
		check_matches(&env, &res);
		check_complement(&env, tree, &res);
		if (m.what == 1)
			check_sort(&env, tree, m.crit, m.ncrit, &res);
		else if (m.what == 2)
			check_thread(&env, tree, m.algo, &res);
	}
	free(why);
	search_result_free(&res);
	search_free(tree);
	return 0;
}
