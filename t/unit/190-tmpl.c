/* tmpl: the web templates, every escaping context, compile errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lib/tap.h"
#include "tmpl.h"

#define XSS	"<script>alert(\"x\")</script>&'`"

/* Includes for the tests: a few fixed texts. */
static int
include(void *ctx, const char *name, struct buf *out, char **why_r)
{
	(void)ctx;
	(void)why_r;
	if (strcmp(name, "head") == 0)
		buf_puts(out, "<h1>{{title}}</h1>");
	else if (strcmp(name, "loop") == 0)
		buf_puts(out, "{{>loop}}");
	else if (strcmp(name, "open") == 0)
		buf_puts(out, "<a href=\"");
	else if (strcmp(name, "unclosed") == 0)
		buf_puts(out, "{{#x}}");
	else
		return 0;
	return 1;
}

/* Render text with d; "" and a diagnostic when it does not compile. */
static char *
render(const char *text, const struct tmpl_data *d)
{
	struct tmpl *t = NULL;
	struct buf out = BUF_INIT;
	char *why = NULL;

	if (tmpl_compile(text, strlen(text), "t", include, NULL, &t,
	    &why) < 0) {
		tap_diag("compile: %s", why);
		free(why);
		return strdup("(compile error)");
	}
	tmpl_render(t, d, &out);
	tmpl_free(t);
	return buf_steal(&out);
}

static void
is_render(const char *text, const struct tmpl_data *d, const char *want,
    const char *name)
{
	char *got = render(text, d);

	tap_is_str(got, want, "%s", name);
	free(got);
}

static void
refused(const char *text, const char *want_in_why, const char *name)
{
	struct tmpl *t = NULL;
	char *why = NULL;
	int rc = tmpl_compile(text, strlen(text), "t", include, NULL, &t, &why);

	tap_ok(rc == -1 && why && strstr(why, want_in_why), "refused: %s (%s)",
	    name, why ? why : "compiled");
	free(why);
	tmpl_free(t);
}

static void
test_contexts(void)
{
	struct tmpl_data *d = tmpl_data_new();

	tmpl_set(d, "x", XSS);
	tmpl_set(d, "js", "javascript:alert(1)");
	tmpl_set(d, "tabjs", " java\tscript:alert(1)");
	tmpl_set(d, "http", "https://example.org/a?b=1&c=2");
	tmpl_set(d, "path", "/cgi-bin/popstore-user.cgi");
	tmpl_set(d, "q", "a b&c=d/é");
	tmpl_set(d, "ctl", "a\001b\177c\xff" "d\xc3\xa9");
	tmpl_set_raw(d, "frag", "<b>bold</b>");
	is_render("<p>{{x}}</p>", d, "<p>&lt;script&gt;alert(&quot;x&quot;)"
	    "&lt;/script&gt;&amp;&#39;&#96;</p>", "text");
	is_render("<input value=\"{{x}}\">", d, "<input value=\"&lt;script&gt;"
	    "alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;\">",
	    "double-quoted attribute");
	is_render("<input value='{{x}}'>", d, "<input value='&lt;script&gt;"
	    "alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;'>",
	    "single-quoted attribute");
	is_render("<textarea>{{x}}</textarea>", d, "<textarea>&lt;script&gt;"
	    "alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</textarea>",
	    "textarea (RCDATA)");
	is_render("<title>{{x}}</title>", d, "<title>&lt;script&gt;alert("
	    "&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</title>", "title");
	is_render("<a href=\"{{js}}\">", d, "<a href=\"#\">",
	    "javascript: URL replaced");
	is_render("<a href=\"{{tabjs}}\">", d, "<a href=\"#\">",
	    "javascript: with blanks and a tab replaced");
	is_render("<a HREF='{{http}}'>", d,
	    "<a HREF='https://example.org/a?b=1&amp;c=2'>", "https URL kept");
	is_render("<form action=\"{{path}}\">", d,
	    "<form action=\"/cgi-bin/popstore-user.cgi\">", "path kept");
	is_render("<a href=\"{{path}}?p=x&amp;n={{q}}\">", d,
	    "<a href=\"/cgi-bin/popstore-user.cgi?p=x&amp;n=a%20b%26c%3Dd%2F"
	    "%C3%A9\">", "query part %-encoded");
	is_render("<a href=\"?n={{js}}\">", d,
	    "<a href=\"?n=javascript%3Aalert%281%29\">",
	    "javascript: in a query part is inert");
	is_render("<img src=\"{{x}}\">", d, "<img src=\"&lt;script&gt;alert("
	    "&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;\">",
	    "src: no scheme, escaped");
	is_render("{{ctl}}", d, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "d\xc3\xa9", "controls and bad UTF-8 become U+FFFD");
	is_render("{{&frag}}|{{frag}}", d, "<b>bold</b>|&lt;b&gt;bold&lt;/b&gt;",
	    "raw only where asked, escaped elsewhere");
	is_render("{{&x}}", d, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
	    "&amp;&#39;&#96;", "raw form of an untrusted value is escaped");
	is_render("<!-- {{ no }} --><p>{{x}}</p>", d, "(compile error)",
	    "comment");
	is_render("<p title=x>{{x}}</p>", d, "<p title=x>&lt;script&gt;alert("
	    "&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>",
	    "text after an unquoted attribute");
	is_render("<script src=\"/a.js\"></script>{{x}}", d, "<script src=\""
	    "/a.js\"></script>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
	    "&amp;&#39;&#96;", "text after a script element");
	is_render("<textarea></textarea x>{{x}}", d, "<textarea></textarea x>"
	    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;",
	    "end of RCDATA found");
	tmpl_data_free(d);
}

static void
test_refusals(void)
{
	refused("<a href={{u}}>", "unquoted", "unquoted attribute value");
	refused("<a {{attr}}>", "inside a tag", "attribute name");
	refused("<{{tag}}>", "inside a tag", "tag name");
	refused("<a onclick=\"{{js}}\">", "event handler", "event handler");
	refused("<p style=\"{{css}}\">", "style", "style attribute");
	refused("<iframe srcdoc=\"{{h}}\">", "srcdoc", "srcdoc");
	refused("<script>var a = \"{{x}}\";</script>", "script", "script");
	refused("<style>p { color: {{c}} }</style>", "raw text", "style");
	refused("<!-- {{c}} -->", "comment", "comment");
	refused("<p>{{&x}}</p><a title=\"{{&y}}\">", "outside text",
	    "raw in an attribute");
	refused("{{#a}}<a href=\"{{/a}}\">", "another HTML context",
	    "block ending in an attribute");
	refused("{{#a}}x", "not closed", "unclosed block");
	refused("x{{/a}}", "closes no open block", "stray close");
	refused("{{#a}}{{/b}}", "closes no open block", "wrong close");
	refused("{{bad name}}", "bad name", "name with a space");
	refused("{{}}", "bad name", "empty name");
	refused("{{x", "without }}", "unterminated tag");
	refused("{{>missing}}", "no such template", "missing include");
	refused("{{>loop}}", "deeper than", "include loop");
	refused("{{>unclosed}}", "not closed", "include with an open block");
}

static void
test_blocks(void)
{
	struct tmpl_data *d = tmpl_data_new(), *it;

	tmpl_set(d, "title", "T<1>");
	tmpl_set(d, "csrf", "tok");
	tmpl_set_bool(d, "yes", 1);
	tmpl_set_bool(d, "no", 0);
	it = tmpl_add(d, "rows");
	tmpl_set(it, "name", "a&b");
	tmpl_set_bool(it, "sel", 1);
	it = tmpl_add(d, "rows");
	tmpl_set(it, "name", "c\"d");
	is_render("{{#yes}}Y{{/yes}}{{^yes}}N{{/yes}}{{#no}}Y{{/no}}"
	    "{{^no}}N{{/no}}{{#none}}Y{{/none}}{{^none}}N{{/none}}", d, "YNN",
	    "sections and inverted sections");
	is_render("<ul>{{#rows}}<li data-c=\"{{csrf}}\">{{name}}</li>{{/rows}}"
	    "</ul>", d, "<ul><li data-c=\"tok\">a&amp;b</li>"
	    "<li data-c=\"tok\">c&quot;d</li></ul>", "list with outer names");
	is_render("{{#rows}}<option{{#sel}} selected{{/sel}}>{{name}}</option>"
	    "{{/rows}}", d, "<option selected>a&amp;b</option>"
	    "<option>c&quot;d</option>", "block inside a tag");
	is_render("<p class=\"a{{#yes}} b{{/yes}}\">", d, "<p class=\"a b\">",
	    "block inside an attribute value");
	is_render("{{>head}}{{! a comment }}", d, "<h1>T&lt;1&gt;</h1>",
	    "include and comment");
	tmpl_set(d, "title", "second");
	is_render("{{>open}}{{title}}\">", d, "<a href=\"second\">",
	    "the context goes on across an include");
	is_render("{{^rows}}empty{{/rows}}{{#nolist}}x{{/nolist}}", d, "",
	    "a list with items is true");
	is_render("{{ title }}", d, "second", "replaced value, blanks in tag");
	tap_is_str(tmpl_get(d, "title"), "second", "tmpl_get");
	tap_ok(tmpl_get(d, "rows") == NULL, "tmpl_get of a list is NULL");
	is_render("{{missing}}.", NULL, ".", "no data at all");
	tmpl_data_free(d);
}

static void
test_limits_and_files(void)
{
	struct buf big = BUF_INIT, path = BUF_INIT, out = BUF_INIT;
	struct tmpl *t = NULL;
	char *why = NULL;
	size_t i;

	for (i = 0; i <= TMPL_SIZE_MAX; i++)
		buf_putc(&big, 'a');
	tap_is_int(tmpl_compile(big.data, big.len, "big", NULL, NULL, &t, &why),
	    -1, "longer than TMPL_SIZE_MAX refused");
	free(why);
	why = NULL;
	buf_reset(&big);
	for (i = 0; i <= TMPL_NODES_MAX; i++)
		buf_puts(&big, "{{x}}");
	tap_is_int(tmpl_compile(big.data, big.len, "many", NULL, NULL, &t,
	    &why), -1, "more than TMPL_NODES_MAX parts refused");
	free(why);
	why = NULL;
	buf_reset(&big);
	for (i = 0; i <= TMPL_DEPTH_MAX; i++)
		buf_puts(&big, "{{#a}}");
	for (i = 0; i <= TMPL_DEPTH_MAX; i++)
		buf_puts(&big, "{{/a}}");
	tap_is_int(tmpl_compile(big.data, big.len, "deep", NULL, NULL, &t,
	    &why), -1, "blocks deeper than TMPL_DEPTH_MAX refused");
	free(why);
	why = NULL;
	tap_is_int(tmpl_compile("a\0b", 3, "nul", NULL, NULL, &t, &why), -1,
	    "NUL refused");
	free(why);
	why = NULL;

	buf_printf(&path, "%s/page.html", tap_tmpdir());
	tap_write_file(path.data, "{{>part}}<p>\n{{v}}</p>\n");
	buf_reset(&path);
	buf_printf(&path, "%s/part.html", tap_tmpdir());
	tap_write_file(path.data, "<b>part</b>");
	tap_is_int(tmpl_load(tap_tmpdir(), "page", &t, &why), 0, "file loads");
	if (t) {
		tmpl_render(t, NULL, &out);
		tap_is_str(buf_cstr(&out), "<b>part</b><p>\n</p>\n", "file renders");
		tmpl_free(t);
	}
	tap_is_int(tmpl_load(tap_tmpdir(), "../page", &t, &why), -1,
	    "a name with a slash is refused");
	free(why);
	why = NULL;
	tap_is_int(tmpl_load(tap_tmpdir(), "none", &t, &why), -1,
	    "missing file: %s", why ? why : "");
	free(why);
	why = NULL;
	buf_reset(&path);
	buf_printf(&path, "%s/bad.html", tap_tmpdir());
	tap_write_file(path.data, "line 1\n<a href={{x}}>\n");
	tap_is_int(tmpl_load(tap_tmpdir(), "bad", &t, &why), -1, "bad file");
	tap_ok(why && strstr(why, "bad.html:2:"), "error names file and line: %s",
	    why ? why : "");
	free(why);
	buf_free(&big);
	buf_free(&path);
	buf_free(&out);
}

static void
test_escapes(void)
{
	struct buf b = BUF_INIT;

	tmpl_escape_url(&b, "aZ09-._~ /?#&=%+", 16);
	tap_is_str(buf_cstr(&b), "aZ09-._~%20%2F%3F%23%26%3D%25%2B",
	    "tmpl_escape_url");
	tap_ok(tmpl_url_safe("/x", 2) && tmpl_url_safe("?a:b", 4) &&
	    tmpl_url_safe("HTTPS://a", 9) && tmpl_url_safe("mailto:a@b", 10) &&
	    tmpl_url_safe("", 0), "safe URLs");
	tap_ok(!tmpl_url_safe("data:text/html,x", 16) &&
	    !tmpl_url_safe("vbscript:x", 10) &&
	    !tmpl_url_safe("\x01javascript:x", 13) &&
	    !tmpl_url_safe("jav\nascript:x", 13), "unsafe URLs");
	buf_free(&b);
}

int
main(void)
{
	test_contexts();
	test_refusals();
	test_blocks();
	test_limits_and_files();
	test_escapes();
	return tap_done();
}
