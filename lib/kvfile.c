/* kvfile - the store's small text files; see kvfile.h and popstore(5). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "file.h"
#include "kvfile.h"
#include "mem.h"
#include "num.h"

void
kvfile_init(struct kvfile *kv, const char *kind, unsigned version)
{
	memset(kv, 0, sizeof(*kv));
	kv->kind = mem_strdup(kind);
	kv->version = version;
}

void
kvfile_free(struct kvfile *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		if (kv->values[i])
			explicit_bzero(kv->values[i], strlen(kv->values[i]));
		free(kv->values[i]);
	}
	free(kv->keys);
	free(kv->values);
	free(kv->kind);
	memset(kv, 0, sizeof(*kv));
}

const char *
kvfile_get(const struct kvfile *kv, const char *key)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->keys[i], key) == 0)
			return kv->values[i];
	return NULL;
}

void
kvfile_set(struct kvfile *kv, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->keys[i], key) == 0) {
			free(kv->values[i]);
			kv->values[i] = mem_strdup(value);
			return;
		}
	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? kv->cap * 2 : 16;
		kv->keys = mem_realloc(kv->keys, kv->cap, sizeof(char *));
		kv->values = mem_realloc(kv->values, kv->cap, sizeof(char *));
	}
	kv->keys[kv->n] = mem_strdup(key);
	kv->values[kv->n] = mem_strdup(value);
	kv->n++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
decode_value(const char *p, size_t len, struct buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (p[i] != '%') {
			if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
				return -1;
			buf_putc(out, p[i]);
			continue;
		}
		if (i + 2 >= len + 0 || (hi = hexval(p[i + 1])) < 0 ||
		    (lo = hexval(p[i + 2])) < 0 || (hi == 0 && lo == 0))
			return -1;
		buf_putc(out, hi << 4 | lo);
		i += 2;
	}
	return 0;
}

static int
valid_key(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '_'))
			return 0;
	return 1;
}

/* The first line: "popstore-KIND VERSION". */
static int
parse_magic(const char *line, size_t len, const char *kind, unsigned *version)
{
	size_t klen = strlen(kind);
	uint64_t v;

	if (len < 11 + klen || memcmp(line, "popstore-", 9) != 0 ||
	    memcmp(line + 9, kind, klen) != 0 || line[9 + klen] != ' ')
		return -1;
	if (num_parse_u64n(line + 10 + klen, len - 10 - klen, 65535, &v) < 0 ||
	    v == 0)
		return -1;
	*version = (unsigned)v;
	return 0;
}

int
kvfile_parse(const char *text, size_t len, const char *kind,
    struct kvfile *kv, char **why_r)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	const char *p = text, *end = text + len, *nl, *sp;
	unsigned version;
	int lineno = 1;

	nl = memchr(p, '\n', len);
	if (nl == NULL || parse_magic(p, (size_t)(nl - p), kind, &version) < 0)
		return file_whyf(why_r, "not a popstore-%s file", kind);
	kvfile_init(kv, kind, version);
	for (p = nl + 1; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto bad;	/* a torn last line */
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (sp == NULL || !valid_key(p, (size_t)(sp - p)))
			goto bad;
		buf_reset(&key);
		buf_reset(&val);
		buf_append(&key, p, (size_t)(sp - p));
		if (decode_value(sp + 1, (size_t)(nl - sp - 1), &val) < 0)
			goto bad;
		kvfile_set(kv, key.data, buf_cstr(&val));
	}
	buf_free(&key);
	buf_free_secret(&val);
	return 0;
bad:
	buf_free(&key);
	buf_free_secret(&val);
	kvfile_free(kv);
	return file_whyf(why_r, "popstore-%s: line %d malformed", kind, lineno);
}

void
kvfile_format(const struct kvfile *kv, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t i;

	buf_printf(out, "popstore-%s %u\n", kv->kind, kv->version);
	for (i = 0; i < kv->n; i++) {
		buf_puts(out, kv->keys[i]);
		buf_putc(out, ' ');
		for (p = (const unsigned char *)kv->values[i]; *p; p++) {
			if (*p < 0x21 || *p > 0x7e || *p == '%') {
				buf_putc(out, '%');
				buf_putc(out, hex[*p >> 4]);
				buf_putc(out, hex[*p & 15]);
			} else {
				buf_putc(out, *p);
			}
		}
		buf_putc(out, '\n');
	}
}
