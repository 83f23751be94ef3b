/* fwdmap - the forwarding map; see fwdmap.h and popstore(5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fanout.h"
#include "file.h"
#include "fwdmap.h"
#include "kvfile.h"
#include "log.h"
#include "mgmtdb.h"
#include "store.h"

/* A plausible address: printable, no space, at most one '@' with text on
 * both sides. Routing decides the rest. */
static int
addr_ok(const char *a, size_t len)
{
	size_t i, ats = 0;

	if (len == 0 || len > FWDMAP_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' ||
		    c == ';' || c == '"' || c == '\\')
			return 0;
		if (c == '@') {
			if (++ats > 1 || i == 0 || i + 1 == len)
				return 0;
		}
	}
	return 1;
}

/* Split list into one address per line in out. */
static int
normalise(const char *list, struct buf *out, char **why_r)
{
	const char *p = list;

	while (*p) {
		size_t len;

		p += strspn(p, ", \t\r\n");
		len = strcspn(p, ", \t\r\n");
		if (len == 0)
			break;
		if (!addr_ok(p, len))
			return file_whyf(why_r, "bad forwarding address '%.*s'",
			    (int)(len > 80 ? 80 : len), p);
		buf_append(out, p, len);
		buf_putc(out, '\n');
		p += len;
	}
	if (out->len == 0)
		return file_whyf(why_r, "no forwarding address given");
	if (out->len > FWDMAP_TO_MAX)
		return file_whyf(why_r, "forwarding addresses longer than %d "
		    "bytes", FWDMAP_TO_MAX);
	buf_truncate(out, out->len - 1);
	return 0;
}

static int
read_file(struct store *s, const char *name, struct buf *to, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT, list = BUF_INIT;
	struct kvfile kv;
	const char *v;
	char *why = NULL;
	int rc;

	store_forward_path(s, name, &path);
	rc = file_read(path.data, 65536, &text, why_r);
	if (rc == 1) {
		if (kvfile_parse(text.data, text.len, "forward", &kv, why_r) < 0) {
			rc = -1;
		} else {
			/* The file is data read from disk: the addresses
			 * pass the same checks as when they were set. */
			v = kvfile_get(&kv, "to");
			if (normalise(v ? v : "", &list, &why) < 0) {
				rc = file_whyf(why_r, "%s: %s", path.data, why);
				free(why);
			} else {
				buf_append(to, list.data, list.len);
			}
			kvfile_free(&kv);
		}
	}
	buf_free(&path);
	buf_free(&text);
	buf_free(&list);
	return rc;
}

int
fwdmap_get(struct store *s, const char *name, struct buf *to, char **why_r)
{
	size_t start = to->len;
	char *why = NULL;
	int rc;

	rc = mgmtdb_get(s, MGMTDB_FORWARD, name, to, &why);
	if (rc >= 0)
		return rc;
	log_event(LOG_WARNING, "mgmtdb", "db", "forward", "error", why,
	    "action", "run reconstruct", NULL);
	free(why);
	buf_truncate(to, start);
	return read_file(s, name, to, why_r);
}

static void
db_warn(const char *name, char *why)
{
	log_event(LOG_WARNING, "mgmtdb", "forward", name, "error", why,
	    "action", "run reconstruct", NULL);
	free(why);
}

int
fwdmap_set(struct store *s, const char *name, const char *list, char **why_r)
{
	struct buf to = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char *why = NULL;
	int rc = -1;

	if (normalise(list, &to, why_r) < 0)
		goto out;
	store_forward_path(s, name, &path);
	if (file_mkparents(path.data, 0750, why_r) < 0)
		goto out;
	kvfile_init(&kv, "forward", 1);
	kvfile_set(&kv, "name", name);
	kvfile_set(&kv, "to", to.data);
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	if (file_write_atomic(path.data, text.data, text.len, 0640,
	    store_write_flags(s), why_r) < 0)
		goto out;
	if (mgmtdb_put(s, MGMTDB_FORWARD, name, to.data, &why) < 0)
		db_warn(name, why);
	rc = 0;
out:
	buf_free(&to);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int
fwdmap_remove(struct store *s, const char *name, char **why_r)
{
	struct buf path = BUF_INIT;
	char *why = NULL;
	int rc = 1;

	store_forward_path(s, name, &path);
	if (unlink(path.data) < 0)
		rc = errno == ENOENT ? 0 : file_why(why_r, path.data);
	else if (!s->batch)
		(void)file_fsync_parent(path.data);
	else
		store_write_flags(s);
	if (rc >= 0 && mgmtdb_delete(s, MGMTDB_FORWARD, name, &why) < 0)
		db_warn(name, why);
	buf_free(&path);
	return rc;
}

struct walk_ctx {
	const char	*prefix;
	int		(*fn)(const char *, const char *, void *);
	void		*ctx;
};

static int
walk_one(const char *key, const char *value, void *ctx)
{
	struct walk_ctx *w = ctx;

	if (strncasecmp(key, w->prefix, strlen(w->prefix)) != 0)
		return 0;
	return w->fn(key, value, w->ctx);
}

int
fwdmap_walk(struct store *s, const char *prefix,
    int (*fn)(const char *, const char *, void *), void *ctx, char **why_r)
{
	struct walk_ctx w = { prefix, fn, ctx };

	return mgmtdb_walk(s, MGMTDB_FORWARD, walk_one, &w, why_r);
}

struct rebuild_ctx {
	struct store	*s;
	char		**why_r;
	int		 rc;
};

static int
rebuild_one(const char *name, const char *path, void *ctx)
{
	struct rebuild_ctx *r = ctx;
	struct buf to = BUF_INIT;

	(void)path;
	if (read_file(r->s, name, &to, NULL) == 1 &&
	    mgmtdb_put(r->s, MGMTDB_FORWARD, name, to.data, r->why_r) < 0)
		r->rc = -1;
	buf_free(&to);
	return r->rc;
}

int
fwdmap_rebuild_db(struct store *s, char **why_r)
{
	struct rebuild_ctx r = { s, why_r, 0 };
	struct buf base = BUF_INIT;
	int rc;

	if (mgmtdb_clear(s, MGMTDB_FORWARD, why_r) < 0)
		return -1;
	buf_printf(&base, "%s/forward", s->dir);
	rc = fanout_walk(base.data, rebuild_one, NULL, &r, why_r);
	buf_free(&base);
	return rc < 0 || r.rc < 0 ? -1 : 0;
}

/* 1 if domain (len bytes) is one of this store's own mail domains. */
static int
local_domain(const struct conf *c, const char *d, size_t len)
{
	const char *p = c->local_domains;

	if ((strlen(c->hostname) == len && strncasecmp(c->hostname, d, len) == 0) ||
	    (strlen(c->default_domain) == len &&
	    strncasecmp(c->default_domain, d, len) == 0))
		return 1;
	while (*p) {
		size_t n;

		p += strspn(p, ", ");
		n = strcspn(p, ", ");
		if (n == len && strncasecmp(p, d, len) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int
fwdmap_keeps_copy(const struct conf *c, const char *to, const char *name)
{
	const char *at_name = strchr(name, '@');
	size_t n = at_name ? (size_t)(at_name - name) : strlen(name);
	const char *p = to;

	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *at = memchr(p, '@', len);
		size_t local = at ? (size_t)(at - p) : len;

		if (local == n && strncasecmp(p, name, n) == 0) {
			if (at == NULL && at_name == NULL)
				return 1;
			if (at && at_name && (size_t)(len - local) ==
			    strlen(at_name) && strncasecmp(at, at_name, len - local) == 0)
				return 1;
			if (at && local_domain(c, at + 1, len - local - 1))
				return 1;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}
