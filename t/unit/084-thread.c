/*
 * Unit tests: THREAD=REFERENCES (RFC 5256 section 4) and
 * THREAD=ORDEREDSUBJECT: the RFC's example shape, dummies, missing and
 * duplicate Message-IDs, loops in References, truncated References,
 * In-Reply-To, subject merging with Re:/Fwd:/[list], sibling order by
 * sent date, a search restricting the messages, deep threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "search-test.h"
#include "thread.h"

static struct stest st;
static int naccounts;

struct spec {
	const char *id, *refs, *irt, *subj;
	int	 min;		/* Date: minutes after 2024-01-01 00:00 UTC */
};

/* A fresh account holding messages built from specs. */
static void
scenario(const struct spec *m, size_t n)
{
	struct buf t = BUF_INIT;
	char name[32];
	size_t i;

	snprintf(name, sizeof(name), "t%d", ++naccounts);
	fixture_account(&st.fx, name, ACCT_IMAP, &st.a);
	for (i = 0; i < n; i++) {
		buf_reset(&t);
		buf_printf(&t, "From: x@example.com\n"
		    "Date: Mon, 01 Jan 2024 %02d:%02d:00 +0000\n",
		    m[i].min / 60, m[i].min % 60);
		if (m[i].id)
			buf_printf(&t, "Message-ID: %s\n", m[i].id);
		if (m[i].refs)
			buf_printf(&t, "References: %s\n", m[i].refs);
		if (m[i].irt)
			buf_printf(&t, "In-Reply-To: %s\n", m[i].irt);
		if (m[i].subj)
			buf_printf(&t, "Subject: %s\n", m[i].subj);
		buf_puts(&t, "\nbody\n");
		st_deliver(&st, t.data, 0, 0, 0);
	}
	buf_free(&t);
	st_folder(&st);
}

static void
thread(int algo, const char *prog, int use_uid, struct search_env *env,
    struct buf *out)
{
	struct search_env e;
	struct thread_tree t;
	struct search_node *tree = sprog_parse(st.f, prog, strlen(prog), NULL);
	char *why = NULL;
	int rc;

	if (env == NULL) {
		memset(&e, 0, sizeof(e));
		env = &e;
	}
	env->folder = st.f;
	rc = thread_run(env, tree, algo, &t, &why);
	buf_reset(out);
	buf_append(out, "", 0);
	if (rc < 0)
		buf_printf(out, "error %d: %s", rc, why);
	else
		thread_format(&t, use_uid, out);
	thread_free(&t);
	free(why);
	search_free(tree);
}

static void
check(const char *what, int algo, const char *prog, const char *want)
{
	struct buf got = BUF_INIT;

	thread(algo, prog, 0, NULL, &got);
	tap_is_str(got.data, want, "%s", what);
	buf_free(&got);
}

static uint32_t
seq_plus_100(void *ctx, uint32_t pos)
{
	(void)ctx;
	return pos + 101;
}

static void
test_rfc_shape(void)
{
	static const struct spec m[] = {
		{ "<s1@x>", NULL, NULL, "lone", 1 },
		{ "<r@x>", NULL, NULL, "tree", 2 },
		{ "<c3@x>", "<r@x>", NULL, "Re: tree", 3 },
		{ "<c4@x>", "<r@x> <c3@x>", NULL, "Re: tree", 4 },
		{ "<c5@x>", "<r@x> <c3@x> <c4@x>", NULL, "Re: tree", 5 },
		{ "<c6@x>", "<r@x>\n <c3@x>", NULL, "Re: tree", 6 },
		{ "<c7@x>", "<r@x> <c3@x> <c6@x>", NULL, "Re: tree", 7 },
		{ "<c8@x>", "<r@x> <c3@x> (comment) <c6@x> <c7@x>", NULL,
		  "Re: tree", 8 },
	};
	struct search_env env;
	struct buf got = BUF_INIT;

	scenario(m, 8);
	check("RFC 5256 shape", THREAD_REFERENCES, "ALL",
	    "(1)(2 3 (4 5)(6 7 8))");
	check("a missing message becomes a dummy and is pruned",
	    THREAD_REFERENCES, "NOT 3", "(1)(2 (4 5)(6 7 8))");
	check("root missing: its only child is promoted", THREAD_REFERENCES,
	    "NOT 2", "(1)(3 (4 5)(6 7 8))");
	check("search selecting nothing", THREAD_REFERENCES, "NOT ALL", "");
	memset(&env, 0, sizeof(env));
	env.client_seq = seq_plus_100;
	thread(THREAD_REFERENCES, "UID 1:3", 0, &env, &got);
	tap_is_str(got.data, "(101)(102 103)", "client sequence numbers");
	thread(THREAD_REFERENCES, "UID 1:3", 1, &env, &got);
	tap_is_str(got.data, "(1)(2 3)", "UIDs");
	thread(99, "ALL", 0, NULL, &got);
	tap_is_str(got.data, "error -1: unknown threading algorithm",
	    "unknown algorithm");
	buf_free(&got);
}

static void
test_dummies_and_ids(void)
{
	static const struct spec dummy[] = {
		{ "<a1@x>", "<missing@x>", NULL, "x1", 1 },
		{ "<a2@x>", "<missing@x>", NULL, "x2", 2 },
	};
	static const struct spec noid[] = {
		{ NULL, NULL, NULL, "Hello", 1 },
		{ NULL, NULL, NULL, "Re: Hello", 2 },
		{ NULL, NULL, NULL, "hello", 3 },
		{ NULL, NULL, NULL, "Other", 4 },
	};
	static const struct spec loop[] = {
		{ "<A@x>", "<B@x>", NULL, "c1", 1 },
		{ "<B@x>", "<A@x>", NULL, "c2", 2 },
		{ "<C@x>", "<C@x>", NULL, "c3", 3 },
		{ "<D@x>", "<D@x> <E@x> <D@x>", NULL, "c4", 4 },
	};
	static const struct spec dup[] = {
		{ "<d@x>", NULL, NULL, "dup one", 1 },
		{ "<d@x>", NULL, NULL, "dup two", 2 },
		{ "<e@x>", "<d@x>", NULL, "Re: dup one", 3 },
		{ "<D@X>", NULL, NULL, "dup three", 4 },
	};

	scenario(dummy, 2);
	check("siblings under a missing parent keep a dummy root",
	    THREAD_REFERENCES, "ALL", "((1)(2))");
	check("one child of a dummy root is promoted", THREAD_REFERENCES,
	    "2", "(2)");
	scenario(noid, 4);
	check("no Message-IDs: threads by subject", THREAD_REFERENCES, "ALL",
	    "((1 2)(3))(4)");
	scenario(loop, 4);
	check("loops in References are not made", THREAD_REFERENCES, "ALL",
	    "(2 1)(3)(4)");
	scenario(dup, 4);
	check("a duplicate Message-ID is unique; replies go to the first",
	    THREAD_REFERENCES, "ALL", "(1 3)(2)(4)");
}

static void
test_links(void)
{
	static const struct spec trunc[] = {
		{ "<m1@x>", "<p@x> <m2@x>", NULL, "t one", 1 },
		{ "<m2@x>", "<q@x>", NULL, "t two", 2 },
		{ "<m3@x>", "<x@x> <m1@x>", NULL, "t three", 3 },
	};
	static const struct spec irt[] = {
		{ "<i1@x>", NULL, NULL, "irt a", 1 },
		{ "<i2@x>", NULL, "<i1@x>", "irt b", 2 },
		{ "<i3@x>", NULL, "<i2@x> (was: <i1@x>)", "irt c", 3 },
		{ "<i4@x>", "<i1@x>", "<i3@x>", "irt d", 4 },
	};
	static const struct spec dates[] = {
		{ "<p@x>", NULL, NULL, "party", 600 },
		{ "<k1@x>", "<p@x>", NULL, "Re: party", 720 },
		{ "<k2@x>", "<p@x>", NULL, "Re: party", 660 },
		{ "<z@x>", NULL, NULL, "zebra", 540 },
		{ "<k3@x>", "<p@x>", NULL, "Re: party", 660 },
	};

	scenario(trunc, 3);
	check("a message's own last reference wins over an earlier link",
	    THREAD_REFERENCES, "ALL", "(2 1 3)");
	scenario(irt, 4);
	check("In-Reply-To when References is missing", THREAD_REFERENCES,
	    "ALL", "(1 (2 3)(4))");
	scenario(dates, 5);
	check("siblings and roots by sent date, then order", THREAD_REFERENCES,
	    "ALL", "(4)(1 (3)(5)(2))");
}

static void
test_subjects(void)
{
	static const struct spec m[] = {
		{ NULL, NULL, NULL, "apple", 600 },
		{ NULL, NULL, NULL, "Re: apple", 660 },
		{ NULL, NULL, NULL, "banana", 540 },
		{ NULL, NULL, NULL, "RE: Apple", 480 },
		{ NULL, NULL, NULL, "[fruit] banana", 720 },
		{ NULL, NULL, NULL, "Fwd: cherry (fwd)", 780 },
		{ NULL, NULL, NULL, "", 800 },
		{ NULL, NULL, NULL, NULL, 810 },
	};
	static const struct spec dm[] = {
		{ "<a@x>", "<gone@x>", NULL, "topic", 60 },
		{ "<b@x>", "<gone@x>", NULL, "Re: topic", 70 },
		{ "<c@x>", "<gone2@x>", NULL, "Re: topic", 50 },
		{ "<d@x>", "<gone2@x>", NULL, "topic", 80 },
		{ "<e@x>", NULL, NULL, "Re: Re: topic", 40 },
	};

	scenario(m, 8);
	check("ORDEREDSUBJECT", THREAD_ORDEREDSUBJECT, "ALL",
	    "(4 (1)(2))(3 5)(6)(7 8)");
	check("REFERENCES merges by subject", THREAD_REFERENCES, "ALL",
	    "((3)(5))(1 (4)(2))(6)(7)(8)");
	check("ORDEREDSUBJECT of a subset", THREAD_ORDEREDSUBJECT, "2:4",
	    "(4 2)(3)");
	scenario(dm, 5);
	check("dummies merged, replies under a dummy", THREAD_REFERENCES,
	    "ALL", "((5)(3)(1)(2)(4))");
}

/* A deep thread from messages (thread_format alone: 080). */
static void
test_deep(void)
{
	enum { N = 101 };
	struct spec *m = calloc(N, sizeof(*m));
	char (*ids)[32] = calloc(N, 32);
	struct buf got = BUF_INIT, want = BUF_INIT;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(ids[i], 32, "<n%zu@x>", i);
		m[i].id = ids[i];
		/* odd messages chain, each with an even leaf beside */
		m[i].irt = i == 0 ? NULL : ids[i % 2 ? (i > 1 ? i - 2 : 0) :
		    i - 1];
		m[i].subj = "deep";
		m[i].min = (int)i;
	}
	scenario(m, N);
	thread(THREAD_REFERENCES, "ALL", 0, NULL, &got);
	/* message i + 1 is index i: 1 - 2 - {3, 4 - {5, 6 - {...}}} */
	buf_puts(&want, "(1 2");
	for (i = 1; i + 2 < N; i += 2)
		buf_printf(&want, " (%zu)(%zu", i + 2, i + 3);
	buf_printf(&want, " %d", N);
	for (i = 1; i + 2 < N; i += 2)
		buf_putc(&want, ')');
	buf_putc(&want, ')');
	tap_is_str(got.data, want.data, "a thread %d levels deep", N / 2);
	thread(THREAD_ORDEREDSUBJECT, "ALL", 0, NULL, &got);
	buf_reset(&want);
	buf_puts(&want, "(1 ");
	for (i = 2; i <= N; i++)
		buf_printf(&want, "(%zu)", i);
	buf_putc(&want, ')');
	tap_is_str(got.data, want.data, "ORDEREDSUBJECT of %d messages", N);
	free(m);
	free(ids);
	buf_free(&got);
	buf_free(&want);
}

int
main(void)
{
	memset(&st, 0, sizeof(st));
	fixture_open(&st.fx, "thread", NULL);
	test_rfc_shape();
	test_dummies_and_ids();
	test_links();
	test_subjects();
	test_deep();
	st_close(&st);
	return tap_done();
}
