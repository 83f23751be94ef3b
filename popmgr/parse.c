/* parse - popmgr's command syntax; see parse.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "num.h"
#include "parse.h"

void
words_add(struct words *w, const char *s, size_t len)
{
	if (w->n + 1 >= w->cap) {
		w->cap = w->cap ? mem_add(w->cap, w->cap) : 16;
		w->v = mem_realloc(w->v, w->cap, sizeof(*w->v));
	}
	w->v[w->n++] = mem_strndup(s, len);
	w->v[w->n] = NULL;
}

void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Whether the word being built continues past a blank: after an
 * unquoted ',' or inside an unquoted '('.
 */
static int
joins(int last_comma, int depth)
{
	return last_comma || depth > 0;
}

int
parse_line(const char *line, struct words *w, char **why_r)
{
	struct buf word = BUF_INIT;
	const char *p = line;
	int inword = 0, quoted = 0, last_comma = 0, depth = 0, rc = 0;

	for (; *p; p++) {
		if (quoted) {
			if (*p != '"')
				buf_putc(&word, *p);
			else if (p[1] == '"')
				buf_putc(&word, *p++);
			else
				quoted = 0;
			continue;
		}
		if (blank(*p)) {
			if (inword && joins(last_comma, depth)) {
				if (depth > 0 && !last_comma)
					buf_putc(&word, ' ');
				last_comma = 0;
				while (blank(p[1]))
					p++;
				continue;
			}
			if (inword) {
				words_add(w, word.data, word.len);
				buf_reset(&word);
			}
			inword = last_comma = 0;
			depth = 0;
			continue;
		}
		inword = 1;
		last_comma = *p == ',';
		if (*p == '"') {
			quoted = 1;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		buf_putc(&word, *p);
		if (w->n >= PARSE_WORDS_MAX) {
			rc = file_whyf(why_r, "too many words");
			break;
		}
	}
	if (rc == 0 && quoted)
		rc = file_whyf(why_r, "unterminated quoted string");
	if (rc == 0 && inword)
		words_add(w, buf_cstr(&word), word.len);
	buf_free(&word);
	return rc;
}

void
parse_argv(char *const *argv, size_t argc, struct words *w)
{
	struct buf word = BUF_INIT;
	size_t i, k;
	int depth = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		size_t len = strlen(a);

		if (word.len && depth > 0 && (word.data[word.len - 1] != ','))
			buf_putc(&word, ' ');
		buf_append(&word, a, len);
		for (k = 0; k < len; k++) {
			if (a[k] == '(')
				depth++;
			else if (a[k] == ')' && depth > 0)
				depth--;
		}
		if (i + 1 < argc && joins(len && a[len - 1] == ',', depth))
			continue;
		words_add(w, word.data, word.len);
		buf_reset(&word);
		depth = 0;
	}
	buf_free(&word);
}

/* Switch name of word (after '-'): lower case, '-' as '_'. */
static void
switch_name(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf_putc(out, c == '-' ? '_' : c);
	}
}

/*
 * Index of the switch called name (exact, or the only one it
 * abbreviates) among defs, with negatable-only when neg. -1 none, -2
 * ambiguous.
 */
static int
find_switch(const struct sw_def *defs, const char *name, int neg)
{
	size_t len = strlen(name);
	int i, found = -1;

	if (len == 0)
		return -1;
	for (i = 0; defs[i].name; i++) {
		if (neg && !defs[i].negatable)
			continue;
		if (strcmp(defs[i].name, name) == 0)
			return i;
		if (strncmp(defs[i].name, name, len) == 0)
			found = found == -1 ? i : -2;
	}
	return found;
}

static int
one_switch(const struct sw_def *defs, const char *word, struct sw_val *vals,
    char **why_r)
{
	const char *eq = strchr(word, '=');
	size_t nlen = eq ? (size_t)(eq - word) : strlen(word);
	struct buf name = BUF_INIT;
	int i = -1, neg = 0, rc = -1;

	switch_name(word, nlen, &name);
	if (name.len > 2 && strncmp(name.data, "no", 2) == 0 &&
	    (i = find_switch(defs, name.data + 2, 1)) >= 0)
		neg = 1;
	else
		i = find_switch(defs, buf_cstr(&name), 0);
	if (i == -2) {
		file_whyf(why_r, "ambiguous switch -%s", buf_cstr(&name));
		goto out;
	}
	if (i < 0) {
		file_whyf(why_r, "unknown switch -%s", buf_cstr(&name));
		goto out;
	}
	if (vals[i].given) {
		file_whyf(why_r, "switch -%s given twice", defs[i].name);
		goto out;
	}
	if (eq && (neg || defs[i].kind == SW_FLAG)) {
		file_whyf(why_r, "switch -%s%s takes no value", neg ? "no" : "",
		    defs[i].name);
		goto out;
	}
	if (!eq && !neg && defs[i].kind == SW_VALUE) {
		file_whyf(why_r, "switch -%s needs a value (-%s=...)",
		    defs[i].name, defs[i].name);
		goto out;
	}
	vals[i].given = 1;
	vals[i].negated = neg;
	vals[i].value = eq ? eq + 1 : NULL;
	rc = 0;
out:
	buf_free(&name);
	return rc;
}

int
parse_switches(const struct sw_def *defs, const struct words *w, size_t first,
    struct sw_val *vals, struct words *params, char **why_r)
{
	size_t i, n;
	int dashdash = 0;

	for (n = 0; defs[n].name; n++)
		;
	memset(vals, 0, n * sizeof(*vals));
	for (i = first; i < w->n; i++) {
		const char *word = w->v[i];

		if (!dashdash && strcmp(word, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (dashdash || word[0] != '-' || word[1] == '\0') {
			words_add(params, word, strlen(word));
			continue;
		}
		if (one_switch(defs, word + 1, vals, why_r) < 0)
			return -1;
	}
	return 0;
}

void
parse_list(const struct words *params, size_t first, struct words *out)
{
	size_t i;

	for (i = first; i < params->n; i++) {
		const char *p = params->v[i];

		while (*p) {
			size_t len = strcspn(p, ",");

			if (len)
				words_add(out, p, len);
			p += len;
			if (*p == ',')
				p++;
		}
	}
}

static const struct {
	const char	*name, *alias, *display;
	uint64_t	 unit;
} units[] = {
	{ "bytes", "b", "bytes", 1 },
	{ "kbytes", "kb", "Kbytes", 1024 },
	{ "mbytes", "mb", "Mbytes", 1024 * 1024 },
	{ "gbytes", "gb", "Gbytes", 1024 * 1024 * 1024 },
};

int
parse_units(const char *s, uint64_t *unit_r)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(s, units[i].name) == 0 ||
		    strcasecmp(s, units[i].alias) == 0) {
			*unit_r = units[i].unit;
			return 0;
		}
	return -1;
}

const char *
parse_units_name(uint64_t unit)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == unit)
			return units[i].display;
	return "bytes";
}

/* The multiplier of a size suffix (s[0..len)), or 0 if none fits. */
static uint64_t
suffix_mult(const char *s, size_t len, uint64_t unit)
{
	static const char letters[] = "bkmg";
	const char *l;

	if (len == 0)
		return unit;
	if (len == 2 && (s[1] | 0x20) == 'b' && (s[0] | 0x20) != 'b')
		len = 1;
	if (len != 1 || (l = strchr(letters, s[0] | 0x20)) == NULL)
		return 0;
	return 1ULL << (10 * (l - letters));
}

int
parse_size(const char *s, uint64_t unit, uint64_t *bytes_r)
{
	size_t ilen = strspn(s, "0123456789"), flen = 0;
	const char *frac = NULL, *suffix;
	uint64_t whole, fv = 0, mult, v, scale = 1, part;

	if (ilen == 0)
		return -1;
	suffix = s + ilen;
	if (*suffix == '.') {
		frac = suffix + 1;
		flen = strspn(frac, "0123456789");
		if (flen == 0 || flen > 6)
			return -1;
		suffix = frac + flen;
	}
	if ((mult = suffix_mult(suffix, strlen(suffix), unit)) == 0 ||
	    num_parse_u64n(s, ilen, UINT64_MAX, &whole) < 0 ||
	    (frac && num_parse_u64n(frac, flen, UINT64_MAX, &fv) < 0))
		return -1;
	while (flen--)
		scale *= 10;
	if (__builtin_mul_overflow(whole, mult, &v) ||
	    __builtin_mul_overflow(fv, mult, &part) ||
	    __builtin_add_overflow(v, part / scale, &v) || v > INT64_MAX)
		return -1;
	*bytes_r = v;
	return 0;
}

int
parse_count(const char *s, uint64_t *v_r)
{
	size_t len = strlen(s);

	if (len && strchr("bB", s[len - 1]))
		return -1;
	return num_parse_size(s, INT64_MAX, v_r);
}

/* "[D ]HH:MM:SS" or "MM:SS": the fields from the right are seconds,
 * minutes (both below 60) and hours (below 24 after a day count). */
static int
parse_clock(const char *s, uint64_t *secs_r)
{
	uint64_t days = 0, f[3], v, max;
	const char *sp = strchr(s, ' ');
	size_t nf = 0, len;

	if (sp) {
		if (num_parse_u64n(s, (size_t)(sp - s), 1000000, &days) < 0)
			return -1;
		s = sp + 1;
	}
	for (;;) {
		len = strcspn(s, ":");
		if (nf == 3 || len == 0 || len > 7 ||
		    num_parse_u64n(s, len, 10000000, &v) < 0)
			return -1;
		f[nf++] = v;
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	if (nf < 2 || (sp && nf != 3))
		return -1;
	if (nf == 2) {
		f[2] = f[1];
		f[1] = f[0];
		f[0] = 0;
	}
	max = sp ? 23 : 10000000;
	if (f[0] > max || f[1] > 59 || f[2] > 59)
		return -1;
	*secs_r = days * 86400 + f[0] * 3600 + f[1] * 60 + f[2];
	return 0;
}

int
parse_duration(const char *s, uint64_t *secs_r)
{
	if (strchr(s, ':'))
		return parse_clock(s, secs_r);
	return num_parse_duration(s, INT64_MAX, secs_r);
}

int
parse_yes(const char *s)
{
	size_t len;

	s += strspn(s, " \t");
	len = strcspn(s, " \t\r\n");
	return (len == 1 && (s[0] | 0x20) == 'y') ||
	    (len == 3 && strncasecmp(s, "yes", 3) == 0);
}
