/*
 * Unit tests: SORT with every criterion, REVERSE, several criteria,
 * ties (sequence order, REVERSE or not), subjects that agree beyond the
 * compact key's prefix, and a search program restricting the sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	/* 6-9: subjects equal on more than SORT_PREFIX bytes */
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
	st_folder(&st);
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

/* Only the group of long equal prefixes is read a second time. */
static void
test_second_pass(void)
{
	struct search_result res;
	struct buf got = BUF_INIT;

	sort("SUBJECT", "ALL", &got, &res);
	tap_is_int((long long)res.stats.records, 9, "records read once");
	tap_is_int((long long)res.stats.caches, 9 + 4,
	    "the four long subjects read again");
	search_result_free(&res);
	sort("DATE", "ALL", &got, &res);
	tap_is_int((long long)res.stats.caches, 9, "no second pass for DATE");
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
	test_second_pass();
	st_close(&st);
	return tap_done();
}
