/* mgmtdb - GDBM management databases; see mgmtdb.h and popstore(5). */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "lock.h"
#include "mem.h"
#include "mgmtdb.h"
#include "store.h"

static const char *const db_files[] = { "accounts", "groups", "forward" };

/* A database held open across calls (mgmtdb_hold). */
struct held {
	GDBM_FILE	 dbf;
	int		 lockfd;
};

static struct held *
held_slot(struct store *s, enum mgmtdb_which db)
{
	void **slot = db == MGMTDB_ACCOUNTS ? &s->acctdb :
	    db == MGMTDB_GROUPS ? &s->groupdb : &s->fwddb;

	if (*slot == NULL) {
		struct held *h = mem_zalloc(1, sizeof(*h));

		h->lockfd = -1;
		*slot = h;
	}
	return *slot;
}

static int
gdbm_why(char **why_r, const char *path)
{
	return file_whyf(why_r, "%s: %s", path, gdbm_strerror(gdbm_errno));
}

/* Open db for reading or writing with its lock; on success *h_r set. */
static int
db_open(struct store *s, enum mgmtdb_which db, int write, struct held *tmp,
    struct held **h_r, char **why_r)
{
	struct held *h = held_slot(s, db);
	struct buf path = BUF_INIT, lpath = BUF_INIT;
	int rc = -1;

	if (h->dbf != NULL) {
		*h_r = h;
		return 0;
	}
	store_db_path(s, db_files[db], &path);
	buf_puts(&path, ".gdbm");
	store_db_path(s, db_files[db], &lpath);
	buf_puts(&lpath, ".lock");
	tmp->lockfd = lock_acquire(lpath.data, write ? LOCK_EXCLUSIVE :
	    LOCK_SHARED, (unsigned)s->conf->lock_timeout, why_r);
	if (tmp->lockfd < 0)
		goto out;
	tmp->dbf = gdbm_open(path.data, 0, (write ? GDBM_WRCREAT : GDBM_READER) |
	    GDBM_NOLOCK | GDBM_CLOEXEC, 0640, NULL);
	if (tmp->dbf == NULL) {
		if (!write && gdbm_errno == GDBM_FILE_OPEN_ERROR && errno == ENOENT) {
			rc = 1;		/* no database yet: empty */
		} else {
			gdbm_why(why_r, path.data);
		}
		lock_release(tmp->lockfd);
		tmp->lockfd = -1;
		goto out;
	}
	*h_r = tmp;
	rc = 0;
out:
	buf_free(&path);
	buf_free(&lpath);
	return rc;
}

static void
db_done(struct held *h, struct held *tmp)
{
	if (h != tmp)
		return;		/* held: stays open */
	gdbm_close(tmp->dbf);
	lock_release(tmp->lockfd);
	tmp->dbf = NULL;
	tmp->lockfd = -1;
}

static datum
mkdatum(const char *s)
{
	datum d;

	d.dptr = (char *)s;
	d.dsize = (int)strlen(s);
	return d;
}

int
mgmtdb_get(struct store *s, enum mgmtdb_which db, const char *key,
    struct buf *out, char **why_r)
{
	struct held tmp = { NULL, -1 }, *h;
	datum v;
	int rc = db_open(s, db, 0, &tmp, &h, why_r);

	if (rc != 0)
		return rc > 0 ? 0 : -1;
	v = gdbm_fetch(h->dbf, mkdatum(key));
	if (v.dptr == NULL) {
		rc = gdbm_errno == GDBM_ITEM_NOT_FOUND ? 0 :
		    gdbm_why(why_r, db_files[db]);
	} else {
		buf_append(out, v.dptr, (size_t)v.dsize);
		free(v.dptr);
		rc = 1;
	}
	db_done(h, &tmp);
	return rc;
}

int
mgmtdb_put(struct store *s, enum mgmtdb_which db, const char *key,
    const char *value, char **why_r)
{
	struct held tmp = { NULL, -1 }, *h;
	int rc;

	if (db_open(s, db, 1, &tmp, &h, why_r) != 0)
		return -1;
	rc = gdbm_store(h->dbf, mkdatum(key), mkdatum(value), GDBM_REPLACE);
	if (rc != 0)
		rc = gdbm_why(why_r, db_files[db]);
	db_done(h, &tmp);
	return rc;
}

int
mgmtdb_delete(struct store *s, enum mgmtdb_which db, const char *key,
    char **why_r)
{
	struct held tmp = { NULL, -1 }, *h;
	int rc;

	if (db_open(s, db, 1, &tmp, &h, why_r) != 0)
		return -1;
	rc = gdbm_delete(h->dbf, mkdatum(key));
	if (rc != 0)
		rc = gdbm_errno == GDBM_ITEM_NOT_FOUND ? 0 :
		    gdbm_why(why_r, db_files[db]);
	db_done(h, &tmp);
	return rc;
}

/* Collect every key and value (NUL-separated pairs) into all. */
static int
snapshot(GDBM_FILE dbf, struct buf *all, char **why_r)
{
	datum k, next, v;

	k = gdbm_firstkey(dbf);
	while (k.dptr != NULL) {
		v = gdbm_fetch(dbf, k);
		buf_append(all, k.dptr, (size_t)k.dsize);
		buf_putc(all, '\0');
		if (v.dptr)
			buf_append(all, v.dptr, (size_t)v.dsize);
		buf_putc(all, '\0');
		free(v.dptr);
		next = gdbm_nextkey(dbf, k);
		free(k.dptr);
		k = next;
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR)
		return gdbm_why(why_r, "walk");
	return 0;
}

int
mgmtdb_walk(struct store *s, enum mgmtdb_which db,
    int (*fn)(const char *, const char *, void *), void *ctx, char **why_r)
{
	struct held tmp = { NULL, -1 }, *h;
	struct buf all = BUF_INIT;
	const char *p, *v;
	int rc = db_open(s, db, 0, &tmp, &h, why_r);

	if (rc != 0)
		return rc > 0 ? 0 : -1;
	rc = snapshot(h->dbf, &all, why_r);
	db_done(h, &tmp);
	for (p = all.data; rc == 0 && p && p < all.data + all.len;
	    p = v + strlen(v) + 1) {
		v = p + strlen(p) + 1;
		rc = fn(p, v, ctx);
	}
	buf_free(&all);
	return rc;
}

static int
count_one(const char *k, const char *v, void *ctx)
{
	(void)k;
	(void)v;
	(*(long *)ctx)++;
	return 0;
}

long
mgmtdb_count(struct store *s, enum mgmtdb_which db, char **why_r)
{
	long n = 0;

	if (mgmtdb_walk(s, db, count_one, &n, why_r) < 0)
		return -1;
	return n;
}

int
mgmtdb_clear(struct store *s, enum mgmtdb_which db, char **why_r)
{
	struct held tmp = { NULL, -1 }, *h;
	struct buf path = BUF_INIT;
	int rc = 0;

	if (db_open(s, db, 1, &tmp, &h, why_r) != 0)
		return -1;
	gdbm_close(h->dbf);
	store_db_path(s, db_files[db], &path);
	buf_puts(&path, ".gdbm");
	h->dbf = gdbm_open(path.data, 0, GDBM_NEWDB | GDBM_NOLOCK | GDBM_CLOEXEC,
	    0640, NULL);
	if (h->dbf == NULL)
		rc = gdbm_why(why_r, path.data);
	buf_free(&path);
	if (h == &tmp && h->dbf != NULL)
		db_done(h, &tmp);
	else if (h == &tmp)
		lock_release(tmp.lockfd);
	return rc;
}

int
mgmtdb_hold(struct store *s, enum mgmtdb_which db, char **why_r)
{
	struct held *h = held_slot(s, db), tmp = { NULL, -1 }, *got;

	if (h->dbf != NULL)
		return 0;
	if (db_open(s, db, 1, &tmp, &got, why_r) != 0)
		return -1;
	*h = tmp;
	return 0;
}

void
mgmtdb_close(struct store *s)
{
	void **slots[] = { &s->acctdb, &s->groupdb, &s->fwddb };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct held *h = *slots[i];

		if (h == NULL)
			continue;
		if (h->dbf)
			gdbm_close(h->dbf);
		lock_release(h->lockfd);
		free(h);
		*slots[i] = NULL;
	}
}
