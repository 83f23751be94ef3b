/* Unit tests: PMDF report templates (popmgr/template.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../popmgr/template.c"
#include "lib/tap.h"

struct item {
	const char	*name;
	uint64_t	 count;
	double		 kb;
};

static const char *const names[] = { "username", "message_count", "quota_k",
    "owner", NULL };

static void
get(void *p, size_t field, struct tvalue *v)
{
	const struct item *it = p;

	switch (field) {
	case 0: v->type = TV_STR; v->s = it->name; break;
	case 1: v->type = TV_UINT; v->u = it->count; break;
	case 2: v->type = TV_REAL; v->d = it->kb; break;
	default: v->type = TV_STR; v->s = "Jane \"J\" Doe"; break;
	}
}

static const struct item items[] = {
	{ "jdoe", 1, 1.0 },
	{ "asmith", 12, 2048.5 },
	{ "bob", 0, 0.25 },
};

/* Apply text to the first n items (0: the empty list). */
static int
run(const char *text, size_t n, struct buf *out, char **why_r)
{
	struct template *t;
	size_t i;

	buf_reset(out);
	if (template_compile(text, strlen(text), names, &t, why_r) < 0)
		return -1;
	for (i = 0; i < n; i++)
		template_apply(t, (void *)&items[i], i == 0, i + 1 == n, get, out);
	if (n == 0)
		template_apply(t, NULL, 0, 0, get, out);
	template_free(t);
	return 0;
}

static void
test_output(void)
{
	static const struct { const char *tpl; size_t n; const char *want; } t[] = {
		{ "User %username\n", 1, "User jdoe\n" },
		{ "%USERNAME", 1, "jdoe" },
		{ "%username{%-8s}|\n", 2, "jdoe    |\nasmith  |\n" },
		{ "%username{%8.3s}|", 2, "     jdo|     asm|" },
		{ "%message_count{%5u}", 2, "    1   12" },
		{ "%message_count{%05d}", 1, "00001" },
		{ "%message_count{%x}", 2, "1c" },
		{ "%message_count{%#o}", 2, "01014" },
		{ "%message_count{%.1f}", 2, "1.012.0" },
		{ "%quota_k{%10.2f}|", 2, "      1.00|   2048.50|" },
		{ "%quota_k", 1, "1.00" },
		{ "%quota_k{%d}", 2, "12048" },
		{ "%message_count{%s}", 2, "112" },
		{ "%username{%5d}|", 1, " jdoe|" },
		{ "%owner", 1, "Jane \"J\" Doe" },
		{ "%message_count message%s\n", 3,
		  "1 message\n12 messages\n0 messages\n" },
		{ "%quota_k Kbyte%s;", 3, "1.00 Kbyte;2048.50 Kbytes;0.25 Kbytes;" },
		{ "%s", 1, "s" },
		{ "100%% %{x%} 5% off %", 1, "100% {x} 5% off %" },
		{ "a}b{c", 1, "a}b{c" },
		/* %first, %last, %none */
		{ "%none{No users}\n%first{Users:}\n- %username\n%last{end}\n", 3,
		  "Users:\n- jdoe\n- asmith\n- bob\nend\n" },
		{ "%none{No users}\n%first{Users:}\n- %username\n%last{end}\n", 1,
		  "Users:\n- jdoe\nend\n" },
		{ "%none{No users}\n%first{Users:}\n- %username\n%last{end}\n", 0,
		  "No users\n" },
		{ "%none{none}%first{<ul>}\n<li>%username\n%last{</ul>}\n", 2,
		  "<ul>\n<li>jdoe\n<li>asmith\n</ul>\n" },
		{ "%none{none}%first{<ul>}\n<li>%username\n%last{</ul>}\n", 0,
		  "none\n" },
		{ "  %first{head}  \nx\n", 2, "  head  \nx\nx\n" },
		{ "%username%last{.}%first{:}\n", 2, "jdoe:\nasmith.\n" },
		{ "%first{Total %message_count{%3u}}\n", 2, "Total   1\n" },
		{ "%first{a{b}c}|", 1, "a{b}c|" },
		{ "%first{multi\nline}\n%username\n", 1, "multi\nline\njdoe\n" },
		{ "no newline %username", 2, "no newline jdoeno newline asmith" },
		{ "\n", 2, "\n\n" },
		{ "\n", 0, "" },
		{ "", 2, "" },
	};
	struct buf out = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (run(t[i].tpl, t[i].n, &out, &why) < 0) {
			tap_ok(0, "template %zu compiles: %s", i, why);
			free(why);
			why = NULL;
			continue;
		}
		tap_is_str(buf_cstr(&out), t[i].want, "template %zu, %zu items",
		    i, t[i].n);
	}
	buf_free(&out);
}

static void
test_errors(void)
{
	static const struct { const char *tpl, *why; } t[] = {
		{ "%nosuch", "template line 1: unknown field nosuch" },
		{ "ok\n\n%user", "template line 3: unknown field user" },
		{ "%username{%q}", "template line 1: bad format %q" },
		{ "%username{%10}", "template line 1: bad format" },
		{ "%username{10s}", "template line 1: bad format" },
		{ "%username{%s %s}", "template line 1: bad format" },
		{ "%username{%1000s}", "template line 1: width too large" },
		{ "%username{%.1000s}", "template line 1: bad precision" },
		{ "%username{%#s}", "template line 1: flag not allowed" },
		{ "%username{%0s}", "template line 1: flag not allowed" },
		{ "%message_count{%#d}", "template line 1: flag not allowed" },
		{ "%message_count{%lu}", "template line 1: bad format" },
		{ "%username{%n}", "template line 1: bad format" },
		{ "%username{%-10s", "template line 1: unclosed '{'" },
		{ "%first{x", "template line 1: unclosed '{'" },
		{ "%first x", "template line 1: %first, %last and %none need" },
		{ "%last", "template line 1: %first, %last and %none need" },
		{ "%first{%none{x}}", "template line 1: %first, %last and %none "
		  "cannot nest" },
	};
	struct template *tp = NULL;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		tap_is_int(template_compile(t[i].tpl, strlen(t[i].tpl), names, &tp,
		    &why), -1, "bad template %zu refused", i);
		tap_ok(why && strncmp(why, t[i].why, strlen(t[i].why)) == 0,
		    "why: got '%s', want '%s...'", why ? why : "(null)", t[i].why);
		free(why);
	}
	why = NULL;
	tap_is_int(template_compile("a\0b", 3, names, &tp, &why), -1,
	    "NUL refused");
	free(why);
}

static void
test_uses(void)
{
	struct template *t;
	char *why = NULL;

	tap_is_int(template_compile("%first{%owner}%username{%5s}", 28, names,
	    &t, &why), 0, "compiles");
	tap_is_int(template_uses(t, 0), 1, "uses username");
	tap_is_int(template_uses(t, 1), 0, "not message_count");
	tap_is_int(template_uses(t, 3), 1, "uses owner (in %%first)");
	tap_is_int(template_uses(t, 99), 0, "out of range");
	template_free(t);
	template_free(NULL);
}

int
main(void)
{
	test_output();
	test_errors();
	test_uses();
	return tap_done();
}
