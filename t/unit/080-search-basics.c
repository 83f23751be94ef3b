/* Unit tests: search folding, dates, trees and their limits (no store). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "search.h"
#include "sort.h"
#include "thread.h"
#include "lib/tap.h"

static void
test_fold(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "Hello WORLD 123", "hello world 123" },
		{ "\xc3\x80\xc3\x89\xc3\x96\xc3\x9e", "\xc3\xa0\xc3\xa9\xc3\xb6\xc3\xbe" },
		{ "\xc3\x97\xc3\xb7", "\xc3\x97\xc3\xb7" },		/* x / */
		{ "Stra\xc3\x9f" "e", "strasse" },			/* sharp s */
		{ "\xe1\xba\x9e", "ss" },				/* capital sharp s */
		{ "\xc5\x81\xc3\xb3" "d\xc5\xba", "\xc5\x82\xc3\xb3" "d\xc5\xba" },
		{ "\xc5\xb9", "\xc5\xba" },				/* Z acute */
		{ "\xc4\xb0", "i" },					/* dotted I */
		{ "\xc5\xb8", "\xc3\xbf" },				/* Y diaeresis */
		{ "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
		  "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1" },		/* Greek */
		{ "\xcf\x82", "\xcf\x83" },				/* final sigma */
		{ "\xce\x86", "\xce\xac" },
		{ "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2",
		  "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },	/* Cyrillic */
		{ "\xd0\x81", "\xd1\x91" },				/* Yo */
		{ "\xe1\xba\xa0", "\xe1\xba\xa1" },			/* Vietnamese */
		{ "\xef\xbc\xa1", "\xef\xbd\x81" },			/* fullwidth A */
		{ "\xd4\xb1", "\xd5\xa1" },				/* Armenian */
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },			/* not UTF-8 */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },		/* emoji kept */
		{ "", "" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		search_fold(t[i].in, strlen(t[i].in), &b);
		tap_is_mem(b.data, b.len, t[i].want, strlen(t[i].want),
		    "fold %zu", i);
	}
	buf_reset(&b);
	search_fold("A\0B", 3, &b);
	tap_is_mem(b.data, b.len, "a\0b", 3, "NUL kept");
	buf_free(&b);
}

static void
test_dates(void)
{
	static const struct {
		const char *in;
		int ok;
		long long day;
	} t[] = {
		{ "1-Jan-1970", 1, 0 }, { "01-Jan-1970", 1, 0 },
		{ "2-jan-1970", 1, 1 }, { "4-Mar-2024", 1, 19786 },
		{ "29-Feb-2024", 1, 19782 }, { "31-DEC-1969", 1, -1 },
		{ "29-Feb-2023", 0, 0 }, { "29-Feb-1900", 0, 0 },
		{ "29-Feb-2000", 1, 11016 }, { "31-Apr-2024", 0, 0 },
		{ "0-Jan-2024", 0, 0 }, { "1-Jan-24", 0, 0 },
		{ "1-Foo-2024", 0, 0 }, { "1 Jan 2024", 0, 0 },
		{ "123-Jan-2024", 0, 0 }, { "1-Jan-2024x", 0, 0 },
		{ "", 0, 0 }, { "-Jan-2024", 0, 0 }, { "1-Jan-20a4", 0, 0 },
	};
	int64_t day;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		day = 0;
		rc = search_date_parse(t[i].in, strlen(t[i].in), &day);
		tap_is_int(rc, t[i].ok ? 0 : -1, "date \"%s\" %s", t[i].in,
		    t[i].ok ? "parses" : "refused");
		if (t[i].ok)
			tap_is_int(day, t[i].day, "date \"%s\" day", t[i].in);
	}
}

static void
test_simple(void)
{
	static const struct {
		const char *atom;
		int kind, child_kind;
	} t[] = {
		{ "all", SEARCH_ALL, 0 }, { "Seen", SEARCH_FLAG, 0 },
		{ "UNSEEN", SEARCH_NOT, SEARCH_FLAG },
		{ "new", SEARCH_AND, SEARCH_RECENT },
		{ "OLD", SEARCH_NOT, SEARCH_RECENT },
		{ "RECENT", SEARCH_RECENT, 0 },
		{ "SAVEDATESUPPORTED", SEARCH_ALL, 0 },
		{ "UNDRAFT", SEARCH_NOT, SEARCH_FLAG },
	};
	struct search_node *n;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = search_new_simple(t[i].atom);
		tap_ok(n != NULL && n->kind == t[i].kind &&
		    (t[i].child_kind == 0 || n->child->kind == t[i].child_kind),
		    "simple key %s", t[i].atom);
		search_free(n);
	}
	tap_ok(search_new_simple("FROM") == NULL, "FROM is not simple");
	tap_ok(search_new_simple("UNKNOWN") == NULL, "unknown atom");
	tap_is_int(sort_key_parse("displayFrom"), SORT_DISPLAYFROM, "sort key");
	tap_is_int(sort_key_parse("REVERSE"), 0, "REVERSE is no key");
	tap_is_int(thread_algo_parse("references"), THREAD_REFERENCES,
	    "thread algorithm");
	tap_is_int(thread_algo_parse("X"), 0, "unknown algorithm");
}

/* Trees that break a limit are refused before the folder is read. */
static void
test_limits(void)
{
	struct search_env env;
	struct search_result res;
	struct search_node *n, *top;
	char *why = NULL, *big;
	int i;

	memset(&env, 0, sizeof(env));
	memset(&res, 0, sizeof(res));
	big = malloc(SEARCH_MAX_VALUE + 2);
	memset(big, 'a', SEARCH_MAX_VALUE + 1);
	n = search_new_text(SEARCH_BODY, NULL, big, SEARCH_MAX_VALUE + 1);
	tap_is_int(search_run(&env, n, &res, &why), -1, "string too long");
	tap_is_str(why, "search string too long", "reason");
	free(why);
	why = NULL;
	search_free(n);
	n = search_new_text(SEARCH_HEADER, big + SEARCH_MAX_VALUE -
	    SEARCH_MAX_FIELD - 1, "x", 1);
	tap_is_int(search_run(&env, n, &res, &why), -1, "field too long");
	free(why);
	why = NULL;
	search_free(n);
	free(big);

	top = n = search_new(SEARCH_ALL);
	for (i = 0; i < SEARCH_MAX_DEPTH + 1; i++)
		top = search_new_not(top);
	tap_is_int(search_run(&env, top, &res, &why), -1, "too deep");
	tap_is_str(why, "search keys nested too deeply", "reason");
	free(why);
	why = NULL;
	search_free(top);

	/* a very deep tree is freed without recursion */
	top = search_new(SEARCH_ALL);
	for (i = 0; i < 200000; i++)
		top = search_new_not(top);
	search_free(top);
	tap_ok(1, "200000 levels freed");

	top = search_new_and();
	for (i = 0; i < SEARCH_MAX_NODES; i++)
		search_add(top, search_new(SEARCH_ALL));
	tap_is_int(search_run(&env, top, &res, &why), -1, "too many keys");
	free(why);
	why = NULL;
	search_free(top);

	n = search_new(SEARCH_NOT);
	tap_is_int(search_run(&env, n, &res, &why), -1, "NOT without operand");
	free(why);
	why = NULL;
	search_free(n);
	n = search_new(99);
	tap_is_int(search_run(&env, n, &res, &why), -1, "unknown kind");
	free(why);
	why = NULL;
	search_free(n);
	tap_is_int(search_run(&env, NULL, &res, &why), -1, "no tree");
	free(why);
	search_free(NULL);
	tap_is_int((long long)res.n, 0, "nothing found");
	search_result_free(&res);
}

static void
test_constructors(void)
{
	static const uint32_t r[] = { 9, 3, 5, 5 };
	struct search_node *n = search_new_set(SEARCH_UIDSET, r, 2);
	struct search_node *o;

	tap_ok(n->nranges == 2 && n->ranges[0] == 3 && n->ranges[1] == 9 &&
	    n->ranges[2] == 5 && n->ranges[3] == 5, "set copied, lo <= hi");
	search_free(n);
	n = search_new_text(SEARCH_HEADER, "X-Test", "a\0b", 3);
	tap_ok(strcmp(n->field, "X-Test") == 0 && n->value_len == 3 &&
	    memcmp(n->value, "a\0b", 3) == 0, "text copied with NUL");
	search_free(n);
	o = search_new_or(search_new(SEARCH_ALL), search_new(SEARCH_NONE));
	tap_ok(o->child->kind == SEARCH_ALL && o->child->next->kind ==
	    SEARCH_NONE && o->child->next->next == NULL, "OR operands");
	search_free(o);
}

static void
set_node(struct thread_node *nd, uint32_t seq, uint32_t child, uint32_t next)
{
	nd->pos = seq == 0 ? THREAD_NONE : seq - 1;
	nd->seq = seq;
	nd->uid = seq == 0 ? THREAD_NONE : seq * 10;
	nd->child = child;
	nd->next = next;
}

/* thread_format on trees built by hand, 300000 levels deep. */
static void
test_format(void)
{
	enum { D = 300000 };
	struct thread_node n[4], *deep;
	struct thread_tree t = { NULL, 0, THREAD_NONE };
	struct buf out = BUF_INIT, want = BUF_INIT;
	uint32_t k;

	buf_append(&out, "", 0);
	thread_format(&t, 0, &out);
	tap_is_str(out.data, "", "no threads");
	set_node(&n[0], 0, 1, 3);
	set_node(&n[1], 5, THREAD_NONE, 2);
	set_node(&n[2], 7, THREAD_NONE, THREAD_NONE);
	set_node(&n[3], 9, THREAD_NONE, THREAD_NONE);
	t.nodes = n;
	t.n = 4;
	t.root = 0;
	thread_format(&t, 0, &out);
	tap_is_str(out.data, "((5)(7))(9)", "a dummy root");
	buf_reset(&out);
	thread_format(&t, 1, &out);
	tap_is_str(out.data, "((50)(70))(90)", "by UID");

	deep = calloc(2 * (size_t)D + 1, sizeof(*deep));
	for (k = 0; k < D; k++) {
		set_node(&deep[2 * k], 2 * k + 1, 2 * k + 1, THREAD_NONE);
		set_node(&deep[2 * k + 1], 2 * k + 2, THREAD_NONE, 2 * k + 2);
	}
	set_node(&deep[2 * D], 2 * D + 1, THREAD_NONE, THREAD_NONE);
	t.nodes = deep;
	t.n = 2 * (size_t)D + 1;
	t.root = 0;
	buf_reset(&out);
	thread_format(&t, 0, &out);
	buf_puts(&want, "(1");
	for (k = 0; k < D; k++)
		buf_printf(&want, " (%u)(%u", 2 * k + 2, 2 * k + 3);
	for (k = 0; k < D; k++)
		buf_putc(&want, ')');
	buf_putc(&want, ')');
	tap_ok(out.len == want.len && memcmp(out.data, want.data, out.len) == 0,
	    "a thread 300000 levels deep (%zu bytes)", out.len);
	free(deep);
	buf_free(&out);
	buf_free(&want);
}

int
main(void)
{
	test_fold();
	test_dates();
	test_simple();
	test_limits();
	test_constructors();
	test_format();
	return tap_done();
}
