/* Unit tests: popmgr's command syntax (words, switches, sizes, units). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../popmgr/parse.c"
#include "lib/tap.h"

/* The words of w joined by '|'. */
static void
joined(const struct words *w, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < w->n; i++) {
		if (i)
			buf_putc(out, '|');
		buf_puts(out, w->v[i]);
	}
}

static void
test_line(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "add jdoe", "add|jdoe" },
		{ "  add\t jdoe  ", "add|jdoe" },
		{ "add a,b", "add|a,b" },
		{ "add a, b,  c", "add|a,b,c" },
		{ "add a ,b", "add|a|,b" },
		{ "add x -owner=\"Jane Doe\"", "add|x|-owner=Jane Doe" },
		{ "-owner=\"Doe, Jane\" x", "-owner=Doe, Jane|x" },
		{ "-password=\"Se\"\"cret\"", "-password=Se\"cret" },
		{ "-password=\"MiXeD\" X", "-password=MiXeD|X" },
		{ "a\"b c\"d", "ab cd" },
		{ "\"\"", "" },
		{ "-flags=(manage, nodismail) x", "-flags=(manage,nodismail)|x" },
		{ "-flags=(manage nodismail)", "-flags=(manage nodismail)" },
		{ "-flags=(manage,\t nodismail)", "-flags=(manage,nodismail)" },
		{ "x \"(\" y", "x|(|y" },
		{ "", "" },
	};
	struct buf got = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct words w = { NULL, 0, 0 };

		tap_is_int(parse_line(t[i].in, &w, &why), 0, "line %zu parses",
		    i);
		joined(&w, &got);
		tap_is_str(buf_cstr(&got), t[i].want, "words of '%s'", t[i].in);
		words_free(&w);
	}
	{
		struct words w = { NULL, 0, 0 };

		tap_is_int(parse_line("add \"open", &w, &why), -1,
		    "unterminated quote refused");
		tap_ok(why && strstr(why, "unterminated"), "why: %s", why);
		free(why);
		words_free(&w);
	}
	buf_free(&got);
}

static void
test_argv(void)
{
	static char *a1[] = { "add", "a,", "b", "c" };
	static char *a2[] = { "add", "x", "-flags=(manage,", "nodismail)" };
	static char *a3[] = { "add", "x", "-flags=(manage", "nodismail)", "y" };
	static char *a4[] = { "forward", "x", "a@b,", "c@d" };
	static char *a5[] = { "add", "x," };
	static const struct { char **v; size_t n; const char *want; } t[] = {
		{ a1, 4, "add|a,b|c" },
		{ a2, 4, "add|x|-flags=(manage,nodismail)" },
		{ a3, 5, "add|x|-flags=(manage nodismail)|y" },
		{ a4, 4, "forward|x|a@b,c@d" },
		{ a5, 2, "add|x," },
	};
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct words w = { NULL, 0, 0 };

		parse_argv(t[i].v, t[i].n, &w);
		joined(&w, &got);
		tap_is_str(buf_cstr(&got), t[i].want, "argv case %zu", i);
		words_free(&w);
	}
	buf_free(&got);
}

static const struct sw_def defs[] = {
	{ "quota", SW_VALUE, 1 },
	{ "overdraft", SW_VALUE, 1 },
	{ "owner", SW_VALUE, 1 },
	{ "output", SW_VALUE, 0 },
	{ "prompt", SW_FLAG, 0 },
	{ "password", SW_VALUE, 1 },
	{ "group_name", SW_VALUE, 1 },
	{ "group", SW_VALUE, 0 },
	{ "confirm", SW_FLAG, 1 },
	{ "format", SW_OPTIONAL, 0 },
	{ NULL, 0, 0 }
};

/* Parse line with defs: 0/-1, switches as "name=value" or "noname". */
static int
switches(const char *line, struct buf *out, struct buf *params, char **why_r)
{
	struct sw_val v[16];
	struct words w = { NULL, 0, 0 }, p = { NULL, 0, 0 };
	size_t i;
	int rc;

	buf_reset(out);
	if (parse_line(line, &w, why_r) < 0)
		return -1;
	rc = parse_switches(defs, &w, 0, v, &p, why_r);
	for (i = 0; rc == 0 && defs[i].name; i++) {
		if (!v[i].given)
			continue;
		if (out->len)
			buf_putc(out, ' ');
		buf_printf(out, "%s%s%s%s", v[i].negated ? "no" : "",
		    defs[i].name, v[i].value ? "=" : "",
		    v[i].value ? v[i].value : "");
	}
	joined(&p, params);
	words_free(&w);
	words_free(&p);
	return rc;
}

static void
test_switches(void)
{
	static const struct { const char *in, *want, *params; } ok[] = {
		{ "a -quota=10 b", "quota=10", "a|b" },
		{ "-QUOTA=10M", "quota=10M", "" },
		{ "-qu=1 -ov=2", "quota=1 overdraft=2", "" },
		{ "-noquota -nooverdraft", "noquota nooverdraft", "" },
		{ "-noqu", "noquota", "" },
		{ "-pr", "prompt", "" },
		{ "-pa=Secret", "password=Secret", "" },
		{ "-group-name=Sales", "group_name=Sales", "" },
		{ "-group=x -group_n=y", "group_name=y group=x", "" },
		{ "-noconfirm x*", "noconfirm", "x*" },
		{ "-format", "format", "" },
		{ "-format=f.txt", "format=f.txt", "" },
		{ "-owner=", "owner=", "" },
		{ "a -- -quota=1 -", "", "a|-quota=1|-" },
		{ "-owner=\"a=b\"", "owner=a=b", "" },
	};
	static const struct { const char *in, *why; } bad[] = {
		{ "-nosuch", "unknown switch -nosuch" },
		{ "-o=1", "ambiguous switch -o" },
		{ "-p=1", "ambiguous switch -p" },
		{ "-quota", "switch -quota needs a value" },
		{ "-prompt=1", "switch -prompt takes no value" },
		{ "-noquota=1", "switch -noquota takes no value" },
		{ "-noprompt", "unknown switch -noprompt" },
		{ "-quota=1 -quota=2", "switch -quota given twice" },
		{ "-quota=1 -noquota", "switch -quota given twice" },
		{ "-=1", "unknown switch -" },
	};
	struct buf got = BUF_INIT, params = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		tap_is_int(switches(ok[i].in, &got, &params, &why), 0,
		    "'%s' parses", ok[i].in);
		tap_is_str(buf_cstr(&got), ok[i].want, "switches of '%s'",
		    ok[i].in);
		tap_is_str(buf_cstr(&params), ok[i].params, "parameters of '%s'",
		    ok[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		tap_is_int(switches(bad[i].in, &got, &params, &why), -1,
		    "'%s' refused", bad[i].in);
		tap_ok(why && strncmp(why, bad[i].why, strlen(bad[i].why)) == 0,
		    "why: got '%s', want '%s...'", why ? why : "(null)",
		    bad[i].why);
		free(why);
	}
	buf_free(&got);
	buf_free(&params);
}

static void
test_sizes(void)
{
	static const struct { const char *in; uint64_t unit; int rc;
	    uint64_t want; } t[] = {
		{ "10", 1024, 0, 10240 },
		{ "10", 1, 0, 10 },
		{ "10", 1048576, 0, 10485760 },
		{ "0", 1024, 0, 0 },
		{ "1.5", 1024, 0, 1536 },
		{ "1.5M", 1024, 0, 1572864 },
		{ "1.5m", 1, 0, 1572864 },
		{ "2G", 1024, 0, 2147483648ULL },
		{ "2gb", 1024, 0, 2147483648ULL },
		{ "100b", 1024, 0, 100 },
		{ "100B", 1024, 0, 100 },
		{ "100kb", 1, 0, 102400 },
		{ "100K", 1, 0, 102400 },
		{ "0.001K", 1, 0, 1 },
		{ "0.0001K", 1, 0, 0 },
		{ "1.999999", 1, 0, 1 },
		{ "", 1024, -1, 0 },
		{ "-1", 1024, -1, 0 },
		{ "+1", 1024, -1, 0 },
		{ " 1", 1024, -1, 0 },
		{ "1 ", 1024, -1, 0 },
		{ "12x", 1024, -1, 0 },
		{ "1.", 1024, -1, 0 },
		{ ".5", 1024, -1, 0 },
		{ "1.2345678", 1024, -1, 0 },
		{ "1KBB", 1024, -1, 0 },
		{ "1bb", 1024, -1, 0 },
		{ "8E", 1024, -1, 0 },
		{ "99999999999999999999", 1, -1, 0 },
		{ "9999999999999999G", 1, -1, 0 },
		{ "8589934592G", 1, -1, 0 },
		{ "8589934591G", 1, 0, 9223372035781033984ULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		int rc = parse_size(t[i].in, t[i].unit, &v);

		tap_is_int(rc, t[i].rc, "size '%s' (unit %llu) %s", t[i].in,
		    (unsigned long long)t[i].unit, t[i].rc ? "refused" : "parses");
		if (rc == 0)
			tap_ok(v == t[i].want, "size '%s': got %llu, want %llu",
			    t[i].in, (unsigned long long)v,
			    (unsigned long long)t[i].want);
	}
}

static void
test_units(void)
{
	static const struct { const char *in; int rc; uint64_t unit;
	    const char *name; } t[] = {
		{ "bytes", 0, 1, "bytes" },
		{ "KBYTES", 0, 1024, "Kbytes" },
		{ "kb", 0, 1024, "Kbytes" },
		{ "mbytes", 0, 1048576, "Mbytes" },
		{ "gb", 0, 1073741824, "Gbytes" },
		{ "tbytes", -1, 0, NULL },
		{ "", -1, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t u = 0;

		tap_is_int(parse_units(t[i].in, &u), t[i].rc, "units '%s'",
		    t[i].in);
		if (t[i].rc == 0) {
			tap_ok(u == t[i].unit, "units '%s' = %llu", t[i].in,
			    (unsigned long long)u);
			tap_is_str(parse_units_name(u), t[i].name, "name of %s",
			    t[i].in);
		}
	}
}

static void
test_counts(void)
{
	static const struct { const char *in; int rc; uint64_t want; } t[] = {
		{ "12", 0, 12 }, { "0", 0, 0 }, { "1k", 0, 1024 },
		{ "2M", 0, 2097152 }, { "1b", -1, 0 }, { "x", -1, 0 },
		{ "-3", -1, 0 }, { "1.5", -1, 0 },
	};
	static const struct { const char *in; int rc; uint64_t want; } d[] = {
		{ "1 02:03:04", 0, 93784 }, { "0 00:00:00", 0, 0 },
		{ "02:03:04", 0, 7384 }, { "100:00:00", 0, 360000 },
		{ "03:04", 0, 184 }, { "90", 0, 90 }, { "2h", 0, 7200 },
		{ "3d", 0, 259200 }, { "1 24:00:00", -1, 0 },
		{ "1:60", -1, 0 }, { "60:00", -1, 0 }, { "1 2:3", -1, 0 },
		{ "1:2:3:4", -1, 0 }, { "a", -1, 0 }, { "::", -1, 0 },
		{ "1 ", -1, 0 }, { "", -1, 0 },
	};
	size_t i;
	uint64_t v;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0;
		tap_is_int(parse_count(t[i].in, &v), t[i].rc, "count '%s'",
		    t[i].in);
		if (t[i].rc == 0)
			tap_ok(v == t[i].want, "count '%s' = %llu", t[i].in,
			    (unsigned long long)v);
	}
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		v = 0;
		tap_is_int(parse_duration(d[i].in, &v), d[i].rc, "duration '%s'",
		    d[i].in);
		if (d[i].rc == 0)
			tap_ok(v == d[i].want, "duration '%s': got %llu, want %llu",
			    d[i].in, (unsigned long long)v,
			    (unsigned long long)d[i].want);
	}
}

static void
test_misc(void)
{
	struct words in = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	struct buf got = BUF_INIT;

	tap_is_int(parse_yes("y"), 1, "y is yes");
	tap_is_int(parse_yes(" YES\n"), 1, "YES is yes");
	tap_is_int(parse_yes("yesterday"), 0, "yesterday is not");
	tap_is_int(parse_yes(""), 0, "empty is no");
	tap_is_int(parse_yes("n"), 0, "n is no");
	words_add(&in, "cmd", 3);
	words_add(&in, "a,,b,", 5);
	words_add(&in, ",c", 2);
	words_add(&in, "", 0);
	parse_list(&in, 1, &out);
	joined(&out, &got);
	tap_is_str(buf_cstr(&got), "a|b|c", "list items, empty ones dropped");
	words_free(&in);
	words_free(&out);
	buf_free(&got);
}

int
main(void)
{
	test_line();
	test_argv();
	test_switches();
	test_sizes();
	test_units();
	test_counts();
	test_misc();
	return tap_done();
}
