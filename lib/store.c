/* store - an open popstore; see store.h and popstore(5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "fanout.h"
#include "file.h"
#include "kvfile.h"
#include "mem.h"
#include "mgmtdb.h"
#include "store.h"

#define MARKER	"popstore-store"

static int
read_marker(const char *dir, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	int rc, ok = -1;

	buf_printf(&path, "%s/%s", dir, MARKER);
	rc = file_read(path.data, 4096, &text, why_r);
	if (rc == 0)
		file_whyf(why_r, "%s is not a popstore (no %s; run popmgr init)",
		    dir, MARKER);
	if (rc <= 0)
		goto out;
	if (kvfile_parse(text.data, text.len, "store", &kv, why_r) < 0)
		goto out;
	if (kv.version > STORE_VERSION)
		file_whyf(why_r, "%s: store version %u is newer than this "
		    "program (%d)", path.data, kv.version, STORE_VERSION);
	else
		ok = 0;
	kvfile_free(&kv);
out:
	buf_free(&path);
	buf_free(&text);
	return ok;
}

int
store_open(const struct conf *conf, struct store **store_r, char **why_r)
{
	struct store *s;

	if (read_marker(conf->store_dir, why_r) < 0)
		return -1;
	s = mem_zalloc(1, sizeof(*s));
	s->conf = conf;
	s->dir = mem_strdup(conf->store_dir);
	s->domain = mem_strdup("");
	s->dblock = -1;
	*store_r = s;
	return 0;
}

int
store_create(const struct conf *conf, char **why_r)
{
	static const char *const subdirs[] = { "users", "groups", "forward",
	    "db", "etc" };
	struct buf p = BUF_INIT;
	struct kvfile kv;
	size_t i;
	int rc = -1;

	if (file_mkdirs(conf->store_dir, 0750, why_r) < 0)
		return -1;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/%s", conf->store_dir, subdirs[i]);
		if (file_mkdirs(p.data, 0750, why_r) < 0)
			goto out;
	}
	for (i = 0; i < conf->npartitions; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/tmp", conf->partitions[i].dir);
		if (file_mkdirs(p.data, 0750, why_r) < 0)
			goto out;
		buf_reset(&p);
		buf_printf(&p, "%s/public", conf->partitions[i].dir);
		if (file_mkdirs(p.data, 0750, why_r) < 0)
			goto out;
	}
	buf_reset(&p);
	buf_printf(&p, "%s/%s", conf->store_dir, MARKER);
	if (read_marker(conf->store_dir, NULL) == 0) {
		rc = 0;
		goto out;
	}
	kvfile_init(&kv, "store", STORE_VERSION);
	kvfile_set(&kv, "layout", "fanout-fnv1a-2x256");
	{
		struct buf text = BUF_INIT;

		kvfile_format(&kv, &text);
		rc = file_write_atomic(p.data, text.data, text.len, 0640, 0,
		    why_r);
		buf_free(&text);
	}
	kvfile_free(&kv);
out:
	buf_free(&p);
	return rc;
}

int
store_sync(struct store *s, char **why_r)
{
	size_t i;

	if (!s->dirty)
		return 0;
	if (file_syncfs(s->dir) < 0)
		return file_why(why_r, s->dir);
	for (i = 0; i < s->conf->npartitions; i++)
		if (file_syncfs(s->conf->partitions[i].dir) < 0 &&
		    errno != ENOENT)
			return file_why(why_r, s->conf->partitions[i].dir);
	s->dirty = 0;
	return 0;
}

int
store_set_batch(struct store *s, int on, char **why_r)
{
	s->batch = on;
	return on ? 0 : store_sync(s, why_r);
}

int
store_write_flags(struct store *s)
{
	if (!s->batch)
		return 0;
	s->dirty = 1;
	return FILE_NOSYNC;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	(void)store_sync(s, NULL);
	mgmtdb_close(s);
	free(s->dir);
	free(s->domain);
	free(s);
}

void
store_profile_dir(const struct store *s, const char *name, struct buf *out)
{
	struct buf base = BUF_INIT;

	buf_printf(&base, "%s/users", s->dir);
	fanout_path(base.data, name, out);
	buf_free(&base);
}

void
store_group_path(const struct store *s, const char *group, struct buf *out)
{
	buf_printf(out, "%s/groups/", s->dir);
	fanout_encode(group, out);
}

void
store_forward_path(const struct store *s, const char *name, struct buf *out)
{
	struct buf base = BUF_INIT;

	buf_printf(&base, "%s/forward", s->dir);
	fanout_path(base.data, name, out);
	buf_free(&base);
}

void
store_secret_key_path(const struct store *s, struct buf *out)
{
	if (s->conf->secret_key_file && *s->conf->secret_key_file)
		buf_puts(out, s->conf->secret_key_file);
	else
		store_etc_path(s, "secret.key", out);
}

void
store_db_path(const struct store *s, const char *file, struct buf *out)
{
	buf_printf(out, "%s/db/%s", s->dir, file);
}

void
store_etc_path(const struct store *s, const char *file, struct buf *out)
{
	buf_printf(out, "%s/etc/%s", s->dir, file);
}

int
store_mail_dir(const struct store *s, const char *partition,
    const char *name, struct buf *out)
{
	const char *dir = conf_partition_dir(s->conf, partition);

	if (dir == NULL)
		return -1;
	fanout_path(dir, name, out);
	return 0;
}

int
store_tmp_dir(const struct store *s, const char *partition, struct buf *out)
{
	const char *dir = conf_partition_dir(s->conf, partition);

	if (dir == NULL)
		return -1;
	buf_printf(out, "%s/tmp", dir);
	return 0;
}

int
store_public_dir(const struct store *s, struct buf *out)
{
	const char *dir = conf_partition_dir(s->conf, s->conf->default_partition);

	if (dir == NULL)
		return -1;
	buf_printf(out, "%s/public", dir);
	return 0;
}
