/* webrules - the web interface's rules as a Sieve script; see webrules.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "file.h"
#include "form.h"
#include "mboxlist.h"
#include "mem.h"
#include "num.h"
#include "utf8.h"
#include "webrules.h"

#define FIRST_LINE	"# popstore-webrules 1"

static const char *const field_names[] = { "from", "subject" };
static const char *const action_names[] = { "fileinto", "discard",
    "forward" };

void
webrules_init(struct webrules *w)
{
	memset(w, 0, sizeof(*w));
	w->days = WEBRULES_DAYS_DEFAULT;
	w->subject = mem_strdup("");
	w->text = mem_strdup("");
}

void
webrules_free(struct webrules *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].value);
		free(w->v[i].arg);
	}
	free(w->v);
	free(w->subject);
	free(w->text);
	memset(w, 0, sizeof(*w));
}

void
webrules_add(struct webrules *w, int field, const char *value, int action,
    const char *arg)
{
	struct webrules_rule *r;

	w->v = mem_realloc(w->v, mem_add(w->n, 1), sizeof(*w->v));
	r = &w->v[w->n++];
	r->field = field;
	r->value = mem_strdup(value);
	r->action = action;
	r->arg = mem_strdup(arg ? arg : "");
}

/* ---- checking ---- */

/* 0 when s is UTF-8 without control characters (newlines if lines). */
static int
text_ok(const char *s, size_t max, int lines)
{
	size_t i, len = strlen(s);

	if (len > max || !utf8_valid(s, len))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(lines && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			return -1;
	}
	return 0;
}

static int
date_ok(const char *d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	uint64_t y, m, day;

	if (*d == '\0')
		return 1;
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-' ||
	    num_parse_u64n(d, 4, 9999, &y) < 0 || y < 1970 ||
	    num_parse_u64n(d + 5, 2, 12, &m) < 0 || m < 1 ||
	    num_parse_u64n(d + 8, 2, 31, &day) < 0 || day < 1 ||
	    day > (uint64_t)mdays[m - 1])
		return 0;
	return !(m == 2 && day == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0)));
}

static int
address_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t i;

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') ||
	    strlen(a) > WEBRULES_FIELD_MAX)
		return 0;
	for (i = 0; a[i]; i++)
		if ((unsigned char)a[i] <= 0x20 || a[i] == 0x7f ||
		    strchr("<>()[]\\,;:\"", a[i]))
			return 0;
	return 1;
}

static int
rule_check(const struct webrules_rule *r, size_t i, char **why_r)
{
	char *why = NULL;
	int rc;

	if (r->field != WEBRULES_FROM && r->field != WEBRULES_SUBJECT)
		return file_whyf(why_r, "Rule %zu: unknown field.", i + 1);
	if (*r->value == '\0' || text_ok(r->value, WEBRULES_FIELD_MAX, 0) < 0)
		return file_whyf(why_r, "Rule %zu: the text to look for must be "
		    "1 to %d characters on one line.", i + 1, WEBRULES_FIELD_MAX);
	switch (r->action) {
	case WEBRULES_DISCARD:
		return 0;
	case WEBRULES_FORWARD:
		if (!address_ok(r->arg))
			return file_whyf(why_r, "Rule %zu: \"%s\" is not a mail "
			    "address (name@domain).", i + 1, r->arg);
		return 0;
	case WEBRULES_FILEINTO:
		if (strlen(r->arg) > WEBRULES_FIELD_MAX ||
		    text_ok(r->arg, WEBRULES_FIELD_MAX, 0) < 0 ||
		    mbox_name_check(r->arg, &why) < 0) {
			rc = file_whyf(why_r, "Rule %zu: bad folder name%s%s.",
			    i + 1, why ? ": " : "", why ? why : "");
			free(why);
			return rc;
		}
		return 0;
	default:
		return file_whyf(why_r, "Rule %zu: unknown action.", i + 1);
	}
}

int
webrules_check(const struct webrules *w, char **why_r)
{
	size_t i;

	if (w->n > WEBRULES_MAX)
		return file_whyf(why_r, "At most %d rules.", WEBRULES_MAX);
	for (i = 0; i < w->n; i++)
		if (rule_check(&w->v[i], i, why_r) < 0)
			return -1;
	if (!date_ok(w->start) || !date_ok(w->end))
		return file_whyf(why_r, "Dates are written YYYY-MM-DD.");
	if (*w->start && *w->end && strcmp(w->start, w->end) > 0)
		return file_whyf(why_r, "The vacation ends before it begins.");
	if (w->vacation &&
	    (w->days < WEBRULES_DAYS_MIN || w->days > WEBRULES_DAYS_MAX))
		return file_whyf(why_r, "Answer each sender every %d to %d days.",
		    WEBRULES_DAYS_MIN, WEBRULES_DAYS_MAX);
	if (text_ok(w->subject, WEBRULES_SUBJECT_MAX, 0) < 0)
		return file_whyf(why_r, "The subject must be at most %d "
		    "characters on one line.", WEBRULES_SUBJECT_MAX);
	if (text_ok(w->text, WEBRULES_TEXT_MAX, 1) < 0)
		return file_whyf(why_r, "The vacation text must be at most %d "
		    "characters of text.", WEBRULES_TEXT_MAX);
	if (w->vacation && *w->text == '\0')
		return file_whyf(why_r, "The vacation notice needs a text.");
	return 0;
}

/* ---- writing ---- */

static void
enc(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	buf_putc(out, ' ');
	if (*s == '\0') {
		buf_putc(out, '-');
		return;
	}
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '-') {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		} else {
			buf_putc(out, c);
		}
	}
}

/* A Sieve quoted string. */
static void
quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

static void
header_lines(const struct webrules *w, struct buf *out)
{
	char days[24];
	size_t i;

	buf_puts(out, FIRST_LINE "\n"
	    "# Written by the popstore web interface, which reads back the\n"
	    "# \"#@\" lines; changes made by hand are lost when it saves.\n");
	snprintf(days, sizeof(days), "%llu", (unsigned long long)w->days);
	buf_puts(out, "#@vacation");
	enc(out, w->vacation ? "on" : "off");
	enc(out, w->start);
	enc(out, w->end);
	enc(out, days);
	enc(out, w->subject);
	enc(out, w->text);
	buf_putc(out, '\n');
	for (i = 0; i < w->n; i++) {
		buf_puts(out, "#@rule");
		enc(out, field_names[w->v[i].field]);
		enc(out, w->v[i].value);
		enc(out, action_names[w->v[i].action]);
		enc(out, w->v[i].arg);
		buf_putc(out, '\n');
	}
}

static void
requires(const struct webrules *w, int vacation, int dates, struct buf *out)
{
	struct buf list = BUF_INIT;
	size_t i;
	int fileinto = 0;

	for (i = 0; i < w->n; i++)
		fileinto |= w->v[i].action == WEBRULES_FILEINTO;
	if (fileinto)
		buf_puts(&list, "\"fileinto\", \"mailbox\", ");
	if (vacation)
		buf_puts(&list, "\"vacation\", ");
	if (dates)
		buf_puts(&list, "\"date\", \"relational\", ");
	if (list.len) {
		buf_truncate(&list, list.len - 2);
		buf_printf(out, "require [%s];\n", list.data);
	}
	buf_free(&list);
}

static void
rules(const struct webrules *w, struct buf *out)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct webrules_rule *r = &w->v[i];

		buf_puts(out, i ? "elsif" : "if");
		buf_printf(out, " header :contains \"%s\" ",
		    field_names[r->field]);
		quoted(out, r->value);
		buf_puts(out, " {\n");
		if (r->action == WEBRULES_DISCARD) {
			buf_puts(out, "\tdiscard;\n\tstop;\n");
		} else {
			buf_puts(out, r->action == WEBRULES_FILEINTO ?
			    "\tfileinto :create " : "\tredirect ");
			quoted(out, r->arg);
			buf_puts(out, ";\n");
		}
		buf_puts(out, "}\n");
	}
}

static void
vacation(const struct webrules *w, int dates, struct buf *out)
{
	const char *indent = "";

	if (dates) {
		indent = "\t";
		buf_puts(out, *w->start && *w->end ? "if allof (" : "if ");
		if (*w->start)
			buf_printf(out, "currentdate :value \"ge\" \"date\" "
			    "\"%s\"", w->start);
		if (*w->start && *w->end)
			buf_puts(out, ",\n    ");
		if (*w->end)
			buf_printf(out, "currentdate :value \"le\" \"date\" "
			    "\"%s\"", w->end);
		buf_puts(out, *w->start && *w->end ? ") {\n" : " {\n");
	}
	buf_printf(out, "%svacation :days %llu", indent,
	    (unsigned long long)w->days);
	if (*w->subject) {
		buf_puts(out, " :subject ");
		quoted(out, w->subject);
	}
	buf_putc(out, ' ');
	quoted(out, w->text);
	buf_puts(out, ";\n");
	if (dates)
		buf_puts(out, "}\n");
}

void
webrules_script(const struct webrules *w, int have_date, const char *today,
    struct buf *out)
{
	int ranged = *w->start || *w->end;
	int on = w->vacation && *w->text;

	if (on && ranged && !have_date)
		on = (!*w->start || strcmp(today, w->start) >= 0) &&
		    (!*w->end || strcmp(today, w->end) <= 0);
	header_lines(w, out);
	requires(w, on, on && ranged && have_date, out);
	rules(w, out);
	if (on)
		vacation(w, ranged && have_date, out);
}

/* ---- reading back ---- */

/* Split a "#@" line into n decoded fields; 0 or -1. */
static int
fields(const char *line, size_t len, struct buf *f, size_t n)
{
	size_t i = 0, k;

	for (k = 0; k < n; k++) {
		size_t start;

		if (i >= len || line[i] != ' ')
			return -1;
		start = ++i;
		while (i < len && line[i] != ' ')
			i++;
		if (i - start == 1 && line[start] == '-')
			continue;
		if (i == start || form_decode(line + start, i - start, 0,
		    &f[k]) < 0)
			return -1;
	}
	return i == len ? 0 : -1;
}

static int
lookup_word(const char *const *words, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return (int)i;
	return -1;
}

static int
read_vacation(struct webrules *w, struct buf *f)
{
	uint64_t days;

	if (strlen(buf_cstr(&f[1])) >= sizeof(w->start) ||
	    strlen(buf_cstr(&f[2])) >= sizeof(w->end) ||
	    num_parse_u64(buf_cstr(&f[3]), 1000, &days) < 0)
		return -1;
	w->vacation = strcmp(buf_cstr(&f[0]), "on") == 0;
	snprintf(w->start, sizeof(w->start), "%s", buf_cstr(&f[1]));
	snprintf(w->end, sizeof(w->end), "%s", buf_cstr(&f[2]));
	w->days = days;
	free(w->subject);
	free(w->text);
	w->subject = mem_strdup(buf_cstr(&f[4]));
	w->text = mem_strdup(buf_cstr(&f[5]));
	return 0;
}

static int
read_rule(struct webrules *w, struct buf *f)
{
	int field = lookup_word(field_names, 2, buf_cstr(&f[0]));
	int action = lookup_word(action_names, 3, buf_cstr(&f[2]));

	if (field < 0 || action < 0 || w->n >= WEBRULES_MAX)
		return -1;
	webrules_add(w, field, buf_cstr(&f[1]), action, buf_cstr(&f[3]));
	return 0;
}

/* One "#@" line: 0, or -1 when damaged. */
static int
read_line(struct webrules *w, const char *line, size_t len)
{
	struct buf f[6];
	size_t k;
	int rc = -1;

	memset(f, 0, sizeof(f));
	if (len >= 10 && memcmp(line, "#@vacation", 10) == 0) {
		if (fields(line + 10, len - 10, f, 6) == 0)
			rc = read_vacation(w, f);
	} else if (len >= 6 && memcmp(line, "#@rule", 6) == 0) {
		if (fields(line + 6, len - 6, f, 4) == 0)
			rc = read_rule(w, f);
	}
	for (k = 0; k < 6; k++)
		buf_free(&f[k]);
	return rc;
}

int
webrules_read(const char *script, size_t len, struct webrules *w,
    char **why_r)
{
	size_t i = 0, eol, n;
	unsigned line = 0;

	while (i < len) {
		const char *nl = memchr(script + i, '\n', len - i);

		eol = nl ? (size_t)(nl - script) : len;
		n = eol - i;
		if (n && script[eol - 1] == '\r')
			n--;
		line++;
		if (line == 1 && (n != strlen(FIRST_LINE) ||
		    memcmp(script, FIRST_LINE, n) != 0))
			return 0;
		if (n == 0 || script[i] != '#')
			break;
		if (n >= 2 && script[i + 1] == '@' &&
		    read_line(w, script + i, n) < 0)
			return file_whyf(why_r, "line %u: damaged rule line", line);
		i = eol + 1;
	}
	return line > 0;
}
