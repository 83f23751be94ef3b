/*
 * tmpl - fuzz the template engine of the web programs (lib/tmpl.c):
 * the compiler with its HTML context tracking, includes, and rendering
 * of hostile values.
 *
 * Input: a template, optionally followed by a NUL byte and up to four
 * NUL-separated values. The values go in as "a", "b", "c" and as the
 * "name" of two items of the list "l"; "d" is a fixed hostile value
 * and "ok" is "1". {{>inc}} includes a small template, {{>header}} and
 * {{>footer}} (as the shipped templates use) a line, {{>self}} the
 * input itself (bounded by TMPL_DEPTH_MAX); anything else is missing.
 *
 * Checked: compiling either succeeds or fails with "NAME:LINE: text";
 * a compiled template renders; no value's markup reaches the page
 * unescaped: the marker "<zq" of the fixed value appears in the output
 * only as often as the template's own text has it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char hostile[] =
    "<zq onerror=alert(1)>\"'`&{{d}}javascript:alert(2)\x01\xff\xc0\xaf";

struct inc {
	const char	*self;
	size_t		 len;
};

static int
include(void *ctx, const char *name, struct buf *out, char **why_r)
{
	const struct inc *in = ctx;

	(void)why_r;
	if (strcmp(name, "inc") == 0) {
		buf_puts(out, "<p title=\"{{a}}\">{{b}}</p>{{#l}}{{name}}{{/l}}");
		return 1;
	}
	if (strcmp(name, "header") == 0 || strcmp(name, "footer") == 0) {
		buf_puts(out, "<html><body>{{#authed}}{{user}}{{/authed}}");
		return 1;
	}
	if (strcmp(name, "self") == 0) {
		buf_append(out, in->self, in->len);
		return 1;
	}
	return 0;
}

/* "NAME:LINE: text", NAME a template name (the input or an include). */
static int
why_ok(const char *why)
{
	size_t n;

	if (why == NULL)
		return 0;
	n = strspn(why, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.");
	if (n == 0 || why[n] != ':' || why[n + 1] < '0' || why[n + 1] > '9')
		return 0;
	n += 1 + strspn(why + n + 1, "0123456789");
	return why[n] == ':' && why[n + 1] == ' ' && why[n + 2] != '\0';
}

static size_t
count(const char *s, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	const char *p = s, *end = s + len;

	while (p && (size_t)(end - p) >= k) {
		p = memmem(p, (size_t)(end - p), needle, k);
		if (p) {
			n++;
			p += k;
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *v[4] = { "", "", "", "" };
	const char *nul = memchr(s, '\0', size), *p, *end = s + size;
	struct tmpl_data *d, *item;
	struct tmpl *t = NULL;
	struct buf out = BUF_INIT, vals = BUF_INIT;
	struct inc in;
	char *why = NULL;
	size_t tlen = nul ? (size_t)(nul - s) : size, i;

	if (size > TMPL_SIZE_MAX)
		return 0;
	in.self = s;
	in.len = tlen;
	if (tmpl_compile(s, tlen, "fuzz", include, &in, &t, &why) < 0) {
		if (!why_ok(why))
			abort();
		free(why);
		return 0;
	}
	/* The values: copied so that each is NUL-terminated. */
	if (nul) {
		buf_append(&vals, nul + 1, (size_t)(end - nul - 1));
		buf_putc(&vals, '\0');
		p = vals.data;
		for (i = 0; i < 4 && p < vals.data + vals.len; i++) {
			v[i] = p;
			p += strlen(p) + 1;
		}
	}
	d = tmpl_data_new();
	tmpl_set(d, "a", v[0]);
	tmpl_set(d, "b", v[1]);
	tmpl_set(d, "c", v[2]);
	tmpl_set(d, "d", hostile);
	tmpl_set(d, "ok", "1");
	item = tmpl_add(d, "l");
	tmpl_set(item, "name", v[3]);
	item = tmpl_add(d, "l");
	tmpl_set(item, "name", hostile);
	tmpl_set_raw(d, "raw", "<b>trusted</b>");
	tmpl_render(t, d, &out);
	/* The template text (with its includes) is the only source of
	 * "<zq": a self include repeats it, so count against a render of
	 * the same template with harmless values. */
	{
		struct tmpl_data *e = tmpl_data_new();
		struct buf ref = BUF_INIT;

		tmpl_set(e, "a", v[0]);
		tmpl_set(e, "b", v[1]);
		tmpl_set(e, "c", v[2]);
		tmpl_set(e, "d", "x");
		tmpl_set(e, "ok", "1");
		item = tmpl_add(e, "l");
		tmpl_set(item, "name", v[3]);
		item = tmpl_add(e, "l");
		tmpl_set(item, "name", "x");
		tmpl_set_raw(e, "raw", "<b>trusted</b>");
		tmpl_render(t, e, &ref);
		if (memmem(v[0], strlen(v[0]), "<zq", 3) == NULL &&
		    memmem(v[1], strlen(v[1]), "<zq", 3) == NULL &&
		    memmem(v[2], strlen(v[2]), "<zq", 3) == NULL &&
		    memmem(v[3], strlen(v[3]), "<zq", 3) == NULL &&
		    count(out.data ? out.data : "", out.len, "<zq") >
		    count(ref.data ? ref.data : "", ref.len, "<zq"))
			abort();	/* a value's markup got through */
		buf_free(&ref);
		tmpl_data_free(e);
	}
	buf_free(&out);
	buf_free(&vals);
	tmpl_data_free(d);
	tmpl_free(t);
	return 0;
}
