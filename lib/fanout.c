/* fanout - hashed directory tree; see fanout.h and popstore(5). */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "fanout.h"

uint32_t
fanout_hash(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	uint32_t h = 2166136261U;

	while (*p) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

static int
plain_byte(unsigned char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	if (c == '-' || c == '_' || c == '+' || c == '@')
		return 1;
	return c == '.' && !first;
}

void
fanout_encode(const char *name, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (plain_byte(*p, p == (const unsigned char *)name)) {
			buf_putc(out, *p);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		}
	}
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

int
fanout_decode(const char *comp, struct buf *out)
{
	const char *p;
	int hi, lo, c;

	if (*comp == '\0')
		return -1;
	for (p = comp; *p; p++) {
		if (*p != '%') {
			if (!plain_byte((unsigned char)*p, p == comp))
				return -1;
			buf_putc(out, *p);
			continue;
		}
		if ((hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0)
			return -1;
		c = hi << 4 | lo;
		/* One spelling per name: no NUL, no needless escapes. */
		if (c == 0 || plain_byte((unsigned char)c, p == comp))
			return -1;
		buf_putc(out, c);
		p += 2;
	}
	return 0;
}

void
fanout_dirs(const char *name, struct buf *out)
{
	uint32_t h = fanout_hash(name);

	buf_printf(out, "%02x/%02x", (unsigned)(h >> 24),
	    (unsigned)((h >> 16) & 0xff));
}

void
fanout_path(const char *base, const char *name, struct buf *out)
{
	buf_puts(out, base);
	buf_putc(out, '/');
	fanout_dirs(name, out);
	buf_putc(out, '/');
	fanout_encode(name, out);
}

static int
is_hex2(const char *s)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[2] == '\0';
}

static int
name_in_bucket(const char *name, const char *l1, const char *l2)
{
	struct buf want = BUF_INIT;
	int ok;

	fanout_dirs(name, &want);
	ok = strncmp(want.data, l1, 2) == 0 && strcmp(want.data + 3, l2) == 0;
	buf_free(&want);
	return ok;
}

/* One leaf directory base/l1/l2; *ioerr set when it cannot be read. */
static int
walk_leaf(const char *dir, const char *l1, const char *l2,
    int (*fn)(const char *, const char *, void *),
    void (*bad)(const char *, void *), void *ctx, int *ioerr)
{
	struct buf name = BUF_INIT, path = BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		*ioerr = errno != ENOENT;
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&name);
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, de->d_name);
		if (fanout_decode(de->d_name, &name) < 0 ||
		    !name_in_bucket(name.data, l1, l2)) {
			if (bad)
				bad(path.data, ctx);
			continue;
		}
		rc = fn(name.data, path.data, ctx);
	}
	closedir(d);
	buf_free(&name);
	buf_free(&path);
	return rc;
}

/* Append the NUL-terminated two-hex-digit entries of dir to names. */
static int
walk_level(const char *dir, struct buf *names)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL)
		if (is_hex2(de->d_name))
			buf_append(names, de->d_name, 3);
	closedir(d);
	return 0;
}

int
fanout_walk(const char *base,
    int (*fn)(const char *, const char *, void *),
    void (*bad)(const char *, void *), void *ctx, char **why_r)
{
	struct buf l1 = BUF_INIT, l2 = BUF_INIT, dir = BUF_INIT;
	size_t i, j;
	int rc = 0, ioerr = 0;

	if (walk_level(base, &l1) < 0) {
		ioerr = 1;
		buf_puts(&dir, base);
	}
	for (i = 0; !ioerr && rc == 0 && i < l1.len; i += 3) {
		buf_reset(&l2);
		buf_reset(&dir);
		buf_printf(&dir, "%s/%s", base, l1.data + i);
		if (walk_level(dir.data, &l2) < 0) {
			ioerr = 1;
			break;
		}
		for (j = 0; !ioerr && rc == 0 && j < l2.len; j += 3) {
			buf_reset(&dir);
			buf_printf(&dir, "%s/%s/%s", base, l1.data + i,
			    l2.data + j);
			rc = walk_leaf(dir.data, l1.data + i, l2.data + j, fn,
			    bad, ctx, &ioerr);
		}
	}
	if (ioerr) {
		rc = -1;
		if (why_r) {
			struct buf w = BUF_INIT;

			buf_printf(&w, "%s: %s", buf_cstr(&dir), strerror(errno));
			*why_r = buf_steal(&w);
		}
	}
	buf_free(&l1);
	buf_free(&l2);
	buf_free(&dir);
	return rc;
}
