/* form - the fields of an HTTP request; see form.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "file.h"
#include "form.h"
#include "mem.h"
#include "passwd.h"

#define BASIC_MAX	4096	/* bytes of a Basic credentials header */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
form_decode(const char *s, size_t len, int plus, struct buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+' && plus) {
			buf_putc(out, ' ');
		} else if (s[i] == '%') {
			if (i + 2 >= len ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return -1;
			buf_putc(out, hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			return -1;
		} else {
			buf_putc(out, s[i]);
		}
	}
	return 0;
}

static int
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > FORM_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static void
add(struct form *f, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct form_field *x;

	if (f->n == f->cap) {
		f->cap = f->cap ? mem_add(f->cap, f->cap) : 16;
		f->v = mem_realloc(f->v, f->cap, sizeof(*f->v));
	}
	x = &f->v[f->n++];
	x->name = mem_strndup(name, nlen);
	x->value = mem_strndup(value, vlen);
	x->len = vlen;
}

/* One "name=value" of urlencoded text. */
static int
field(struct form *f, const char *s, size_t len, char **why_r)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	struct buf name = BUF_INIT, value = BUF_INIT;
	int rc = -1;

	if (form_decode(s, nlen, 1, &name) < 0 || !name_ok(name.data, name.len))
		file_whyf(why_r, "malformed field name");
	else if (eq && form_decode(eq + 1, len - nlen - 1, 1, &value) < 0)
		file_whyf(why_r, "field %s: malformed value", name.data);
	else if (value.len > FORM_VALUE_MAX)
		file_whyf(why_r, "field %s: longer than %d bytes", name.data,
		    FORM_VALUE_MAX);
	else if (f->n >= FORM_FIELDS_MAX)
		file_whyf(why_r, "more than %d fields", FORM_FIELDS_MAX);
	else {
		add(f, name.data, name.len, buf_cstr(&value), value.len);
		rc = 0;
	}
	buf_free(&name);
	buf_free_secret(&value);
	return rc;
}

int
form_parse(struct form *f, const char *s, size_t len, char **why_r)
{
	size_t i = 0, n;

	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);

		n = amp ? (size_t)(amp - (s + i)) : len - i;
		if (n && field(f, s + i, n, why_r) < 0)
			return -1;
		i += n + 1;
	}
	return 0;
}

static int
cookie_char_ok(int c)
{
	return c > 0x20 && c < 0x7f && c != ';' && c != ',' && c != '"' &&
	    c != '\\';
}

void
form_parse_cookies(struct form *f, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && f->n < FORM_FIELDS_MAX) {
		const char *semi = memchr(s + i, ';', len - i);
		size_t end = semi ? (size_t)(semi - s) : len, k, vstart, vend;
		const char *eq;

		while (i < end && (s[i] == ' ' || s[i] == '\t'))
			i++;
		eq = memchr(s + i, '=', end - i);
		if (eq && name_ok(s + i, (size_t)(eq - (s + i)))) {
			vstart = (size_t)(eq - s) + 1;
			vend = end;
			while (vend > vstart && (s[vend - 1] == ' ' ||
			    s[vend - 1] == '\t'))
				vend--;
			if (vend - vstart >= 2 && s[vstart] == '"' &&
			    s[vend - 1] == '"') {
				vstart++;
				vend--;
			}
			for (k = vstart; k < vend && cookie_char_ok(
			    (unsigned char)s[k]); k++)
				;
			if (k == vend && vend - vstart <= FORM_VALUE_MAX)
				add(f, s + i, (size_t)(eq - (s + i)), s + vstart,
				    vend - vstart);
		}
		i = end + 1;
	}
}

const char *
form_get_nth(const struct form *f, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0 && n-- == 0)
			return f->v[i].value;
	return NULL;
}

const char *
form_get(const struct form *f, const char *name)
{
	return form_get_nth(f, name, 0);
}

void
form_free(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		mem_free_secret(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

int
form_basic_auth(const char *header, struct buf *user, struct buf *pass)
{
	struct buf raw = BUF_INIT;
	const char *p = header, *colon;
	size_t len, i;
	int rc = -1;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
		return 0;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len > BASIC_MAX || passwd_b64_decode(&raw, p, len) < 0 ||
	    memchr(raw.data ? raw.data : "", '\0', raw.len) != NULL ||
	    (colon = memchr(raw.data ? raw.data : "", ':', raw.len)) == NULL ||
	    colon == raw.data || (size_t)(colon - raw.data) > 255 ||
	    raw.len - (size_t)(colon - raw.data) - 1 > PASSWD_MAX_LEN)
		goto out;
	for (i = 0; raw.data + i < colon; i++)
		if ((unsigned char)raw.data[i] < 0x20 || raw.data[i] == 0x7f)
			goto out;
	buf_append(user, raw.data, (size_t)(colon - raw.data));
	buf_append(pass, colon + 1, raw.len - (size_t)(colon - raw.data) - 1);
	rc = 1;
out:
	buf_free_secret(&raw);
	return rc;
}
