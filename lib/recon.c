/* recon - check and rebuild the store from its files; see recon.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "be.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "crc.h"
#include "delivery.h"
#include "fanout.h"
#include "file.h"
#include "folder.h"
#include "folderfmt.h"
#include "fwdmap.h"
#include "group.h"
#include "kvfile.h"
#include "lock.h"
#include "mboxlist.h"
#include "mem.h"
#include "mgmtdb.h"
#include "num.h"
#include "recon.h"
#include "rlog.h"
#include "store.h"

#define TMP_MAX_AGE	3600	/* tmp files older than this are debris */

static void
report(struct recon *rc, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct recon *rc, const char *where, const char *fmt, ...)
{
	struct buf what = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&what, fmt, ap);
	va_end(ap);
	rc->problems++;
	if (rc->report)
		rc->report(rc->ctx, where, what.data);
	buf_free(&what);
}

/* ---- one folder ---- */

struct entry {
	uint32_t	 uid;
	int		 have_rec;	/* a valid old record */
	int		 have_file;
	struct msgrec	 rec;
	uint64_t	 fsize;
	int64_t		 mtime;
};

struct fold {
	struct store	*s;
	struct recon	*rc;
	const char	*dir;
	const char	*where;
	struct ffmt_hdr	 hdr;
	int		 hdr_ok;
	struct folder_state st;
	int		 st_ok;
	int		 cfd;		/* old cache */
	struct entry	*e;
	size_t		 n, cap;
	uint32_t	*xuids;		/* UIDs the expunge log lists */
	size_t		 nx, xcap;
	int		 dirty;
};

static struct entry *
entry_for(struct fold *fo, uint32_t uid)
{
	size_t lo = 0, hi = fo->n, mid;

	/* Entries are appended in UID order by the index pass; files come
	 * in any order, so look up first. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (fo->e[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < fo->n && fo->e[lo].uid == uid)
		return &fo->e[lo];
	if (fo->n == fo->cap) {
		fo->cap = fo->cap ? fo->cap * 2 : 256;
		fo->e = mem_realloc(fo->e, fo->cap, sizeof(*fo->e));
	}
	memmove(&fo->e[lo + 1], &fo->e[lo], (fo->n - lo) * sizeof(*fo->e));
	memset(&fo->e[lo], 0, sizeof(*fo->e));
	fo->e[lo].uid = uid;
	fo->n++;
	return &fo->e[lo];
}

static void
read_index(struct fold *fo)
{
	unsigned char h[FOLDER_HDR_SIZE], *chunk;
	struct buf path = BUF_INIT;
	struct msgrec r;
	uint32_t last = 0;
	off_t off = FOLDER_HDR_SIZE;
	ssize_t got;
	int fd, i;

	buf_printf(&path, "%s/index", fo->dir);
	fd = file_open(path.data, O_RDONLY, 0);
	buf_free(&path);
	if (fd < 0) {
		report(fo->rc, fo->where, "index missing");
		return;
	}
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    ffmt_hdr_decode(h, &fo->hdr) < 0) {
		report(fo->rc, fo->where, "index header damaged");
		close(fd);
		return;
	}
	fo->hdr_ok = 1;
	chunk = mem_alloc(256, FOLDER_REC_SIZE);
	while ((got = pread(fd, chunk, 256 * FOLDER_REC_SIZE, off)) > 0) {
		for (i = 0; i < got / FOLDER_REC_SIZE; i++) {
			if (ffmt_rec_decode(chunk + i * FOLDER_REC_SIZE, &r) < 0 ||
			    r.uid <= last) {
				report(fo->rc, fo->where, "index record %lld damaged",
				    (long long)((off - FOLDER_HDR_SIZE) /
				    FOLDER_REC_SIZE + i));
				fo->dirty = 1;
				continue;
			}
			last = r.uid;
			struct entry *e = entry_for(fo, r.uid);

			e->have_rec = 1;
			e->rec = r;
		}
		if (got % FOLDER_REC_SIZE) {
			report(fo->rc, fo->where, "index has a torn last record");
			fo->dirty = 1;
		}
		off += got;
	}
	free(chunk);
	close(fd);
}

static void
read_state(struct fold *fo)
{
	unsigned char rec[STATE_RECSIZE];
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/state", fo->dir);
	fd = rlog_open(path.data);
	buf_free(&path);
	if (fd >= 0 && rlog_read_last(fd, STATE_KIND, STATE_RECSIZE, rec,
	    NULL) == 1) {
		ffmt_state_decode(rec, &fo->st);
		fo->st_ok = 1;
	}
	if (fd >= 0)
		close(fd);
}

static int
note_xuid(const unsigned char *rec, void *ctx)
{
	struct fold *fo = ctx;
	uint32_t uid = be32_get(rec);

	if (uid == 0)
		return 0;
	if (fo->nx == fo->xcap) {
		fo->xcap = fo->xcap ? fo->xcap * 2 : 64;
		fo->xuids = mem_realloc(fo->xuids, fo->xcap, sizeof(uint32_t));
	}
	fo->xuids[fo->nx++] = uid;
	return 0;
}

static void
read_xlog(struct fold *fo)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/expunged", fo->dir);
	fd = rlog_open(path.data);
	buf_free(&path);
	if (fd < 0)
		return;
	(void)rlog_scan(fd, XLOG_KIND, XLOG_RECSIZE, note_xuid, fo, NULL);
	close(fd);
}

static int
was_expunged(const struct fold *fo, uint32_t uid)
{
	size_t i;

	for (i = 0; i < fo->nx; i++)
		if (fo->xuids[i] == uid)
			return 1;
	return 0;
}

/* Parse "N.eml": 1 and the UID, or 0. */
static int
msg_name(const char *name, uint32_t *uid)
{
	const char *dot = strchr(name, '.');
	uint64_t v;

	if (dot == NULL || strcmp(dot, ".eml") != 0 ||
	    num_parse_u64n(name, (size_t)(dot - name), UINT32_MAX, &v) < 0 ||
	    v == 0 || name[0] == '0')
		return 0;
	*uid = (uint32_t)v;
	return 1;
}

static int
known_file(const struct fold *fo, const char *name)
{
	static const char *const known[] = { "folder", "index", "state",
	    "expunged", "keywords", "lock", "subscriptions", "sortkeys",
	    NULL };
	char cache[32];
	int i;

	for (i = 0; known[i]; i++)
		if (strcmp(name, known[i]) == 0)
			return 1;
	snprintf(cache, sizeof(cache), "cache.%u", fo->hdr.cache_gen);
	return strcmp(name, cache) == 0 || strncmp(name, "seen.", 5) == 0;
}

static void
scan_dir(struct fold *fo)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	struct stat st, dst;
	uint32_t uid;
	DIR *d;

	if ((d = opendir(fo->dir)) == NULL)
		return;
	if (fstat(dirfd(d), &dst) < 0) {
		closedir(d);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", fo->dir, de->d_name);
		if (msg_name(de->d_name, &uid)) {
			if (lstat(path.data, &st) < 0 || !S_ISREG(st.st_mode)) {
				report(fo->rc, fo->where, "%s is not a regular "
				    "file; left alone", de->d_name);
				continue;
			}
			/* A hard link to a file of another user (as root!). */
			if (st.st_uid != dst.st_uid) {
				report(fo->rc, fo->where, "%s is owned by uid "
				    "%u, not the folder's owner; left alone",
				    de->d_name, (unsigned)st.st_uid);
				continue;
			}
			struct entry *e = entry_for(fo, uid);

			e->have_file = 1;
			e->fsize = (uint64_t)st.st_size;
			e->mtime = (int64_t)st.st_mtime;
			continue;
		}
		if (known_file(fo, de->d_name))
			continue;
		if (strcmp(de->d_name, "index.new") == 0 ||
		    strncmp(de->d_name, "cache.", 6) == 0 ||
		    strstr(de->d_name, ".new.") != NULL) {
			if (!fo->hdr_ok && strncmp(de->d_name, "cache.", 6) == 0)
				continue;	/* maybe the cache of a lost header */
			report(fo->rc, fo->where, "leftover %s removed",
			    de->d_name);
			if (!fo->rc->check_only)
				(void)unlink(path.data);
			continue;
		}
		report(fo->rc, fo->where, "unknown file %s left alone",
		    de->d_name);
	}
	closedir(d);
	buf_free(&path);
}

/* The old cache payload of a record, if it is intact. */
static int
old_payload(struct fold *fo, const struct msgrec *r, struct buf *out)
{
	unsigned char h[8];

	if (fo->cfd < 0 || r->cache_len == 0)
		return -1;
	buf_reset(out);
	buf_reserve(out, r->cache_len);
	if (pread(fo->cfd, h, 8, (off_t)r->cache_off) != 8 ||
	    be32_get(h) != r->cache_len ||
	    pread(fo->cfd, out->data, r->cache_len, (off_t)r->cache_off + 8) !=
	    (ssize_t)r->cache_len ||
	    crc32c(out->data, r->cache_len) != be32_get(h + 4))
		return -1;
	out->len = r->cache_len;
	return 0;
}

static void
open_old_cache(struct fold *fo)
{
	struct buf path = BUF_INIT;

	fo->cfd = -1;
	if (!fo->hdr_ok)
		return;
	buf_printf(&path, "%s/cache.%u", fo->dir, fo->hdr.cache_gen);
	fo->cfd = file_open(path.data, O_RDONLY, 0);
	if (fo->cfd < 0)
		report(fo->rc, fo->where, "cache missing");
	buf_free(&path);
}

/* Re-derive a record's parsed facts and cache from its file. */
static int
reparse(struct fold *fo, struct entry *e, struct buf *payload)
{
	struct buf path = BUF_INIT;
	uint32_t flags;
	int fd, rc;

	buf_printf(&path, "%u.eml", e->uid);
	fd = file_open_store(fo->dir, path.data);
	buf_free(&path);
	if (fd < 0)
		return -1;
	buf_reset(payload);
	rc = delivery_parse_fd(fd, NULL, payload, &e->rec.header_len,
	    &e->rec.body_lines, &flags, &e->rec.size, NULL);
	close(fd);
	e->rec.flags = (e->rec.flags & MSG_SYSFLAGS) | flags;
	return rc;
}

/* Decide each entry's fate; 1 when the folder must be rewritten. */
static void
judge(struct fold *fo, uint32_t uidnext)
{
	struct buf payload = BUF_INIT;
	size_t i;

	for (i = 0; i < fo->n; i++) {
		struct entry *e = &fo->e[i];

		if (e->have_rec && !e->have_file) {
			report(fo->rc, fo->where, "UID %u: message file missing, "
			    "record removed", e->uid);
			fo->dirty = 1;
		} else if (!e->have_rec && e->have_file) {
			if (e->uid < uidnext && was_expunged(fo, e->uid)) {
				report(fo->rc, fo->where, "UID %u: expunged "
				    "message file removed", e->uid);
				e->have_file = 0;
				if (!fo->rc->check_only) {
					buf_reset(&payload);
					buf_printf(&payload, "%s/%u.eml", fo->dir,
					    e->uid);
					(void)unlink(payload.data);
				}
			} else {
				report(fo->rc, fo->where, "UID %u: message file "
				    "without record, indexed", e->uid);
			}
			fo->dirty = 1;
		} else if (e->have_rec && e->rec.size != e->fsize) {
			report(fo->rc, fo->where, "UID %u: size %llu recorded, "
			    "file has %llu", e->uid,
			    (unsigned long long)e->rec.size,
			    (unsigned long long)e->fsize);
			e->have_rec = 2;	/* keep flags, re-derive facts */
			fo->dirty = 1;
		} else if (e->have_rec && old_payload(fo, &e->rec, &payload) < 0) {
			report(fo->rc, fo->where, "UID %u: cache record damaged",
			    e->uid);
			e->have_rec = 2;
			fo->dirty = 1;
		}
	}
	buf_free(&payload);
}

/* The highest N of the cache.N files in dir (0 if none). */
static uint32_t
max_cache_gen(const char *dir)
{
	struct dirent *de;
	uint32_t max = 0;
	uint64_t v;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "cache.", 6) == 0 &&
		    num_parse_u64(de->d_name + 6, UINT32_MAX - 1, &v) == 0 &&
		    v > max)
			max = (uint32_t)v;
	closedir(d);
	return max;
}

/* Remove every cache.N but the one of generation keep. */
static void
remove_other_caches(const char *dir, uint32_t keep)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	uint64_t v;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "cache.", 6) == 0 &&
		    num_parse_u64(de->d_name + 6, UINT32_MAX, &v) == 0 &&
		    v != keep) {
			buf_reset(&path);
			buf_printf(&path, "%s/%s", dir, de->d_name);
			(void)unlink(path.data);
		}
	closedir(d);
	buf_free(&path);
}

/* Write index.new and cache.G+1 from the entries; install them. */
static int
rewrite(struct fold *fo, uint32_t uidvalidity, uint32_t uidnext,
    uint64_t modseq, char **why_r)
{
	struct buf ipath = BUF_INIT, cpath = BUF_INIT, payload = BUF_INIT,
	    final = BUF_INIT;
	unsigned char h[FOLDER_HDR_SIZE], rec[FOLDER_REC_SIZE], ch[8],
	    pad[8] = { 0 };
	unsigned char chdr[CACHE_HDR] = { 'P', 'S', 'C', 'A', 0, 1 };
	uint32_t gen = max_cache_gen(fo->dir) + 1, count = 0;
	struct folder_state st;
	off_t coff = CACHE_HDR, ioff = FOLDER_HDR_SIZE;
	size_t i, padlen;
	int ifd = -1, cfd = -1, rc = -1;

	memset(&st, 0, sizeof(st));
	buf_printf(&ipath, "%s/index.new", fo->dir);
	buf_printf(&cpath, "%s/cache.%u", fo->dir, gen);
	(void)unlink(ipath.data);
	(void)unlink(cpath.data);
	ifd = file_open(ipath.data, O_RDWR | O_CREAT | O_EXCL, 0600);
	cfd = file_open(cpath.data, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (ifd < 0 || cfd < 0 || pwrite(cfd, chdr, sizeof(chdr), 0) !=
	    (ssize_t)sizeof(chdr)) {
		file_why(why_r, fo->dir);
		goto out;
	}
	for (i = 0; i < fo->n; i++) {
		struct entry *e = &fo->e[i];

		if (!e->have_file)
			continue;
		if (e->have_rec != 1 || old_payload(fo, &e->rec, &payload) < 0) {
			if (!e->have_rec) {
				memset(&e->rec, 0, sizeof(e->rec));
				e->rec.internaldate = e->mtime;
				e->rec.savedate = e->mtime;
				e->rec.modseq = ++modseq;
			}
			if (reparse(fo, e, &payload) < 0) {
				report(fo->rc, fo->where, "UID %u: unreadable, "
				    "left out of the index", e->uid);
				/* the file stays: a later run indexes it once
				 * it reads (the error may be passing) */
				fo->rc->errors++;
				continue;
			}
		}
		e->rec.uid = e->uid;
		e->rec.size = e->fsize;
		e->rec.cache_off = (uint64_t)coff;
		e->rec.cache_len = (uint32_t)payload.len;
		if (e->rec.modseq > modseq)
			modseq = e->rec.modseq;
		be32_put(ch, (uint32_t)payload.len);
		be32_put(ch + 4, crc32c(payload.data, payload.len));
		padlen = (8 - (payload.len & 7)) & 7;
		ffmt_rec_encode(&e->rec, rec);
		if (pwrite(cfd, ch, 8, coff) != 8 ||
		    pwrite(cfd, payload.data, payload.len, coff + 8) !=
		    (ssize_t)payload.len ||
		    (padlen && pwrite(cfd, pad, padlen, coff + 8 +
		    (off_t)payload.len) != (ssize_t)padlen) ||
		    pwrite(ifd, rec, sizeof(rec), ioff) != (ssize_t)sizeof(rec)) {
			file_why(why_r, fo->dir);
			goto out;
		}
		coff += 8 + (off_t)payload.len + (off_t)padlen;
		ioff += FOLDER_REC_SIZE;
		count++;
		st.bytes += e->fsize;
		if (!(e->rec.flags & MSG_SEEN)) {
			st.unseen++;
			if (st.first_unseen_uid == 0)
				st.first_unseen_uid = e->uid;
		}
		if (e->rec.flags & MSG_DELETED)
			st.deleted++;
		if (e->uid >= uidnext)
			uidnext = e->uid + 1;
	}
	ffmt_hdr_encode(h, uidvalidity, uidnext,
	    (fo->hdr_ok ? fo->hdr.index_gen : 0) + 1, modseq,
	    fo->hdr_ok ? fo->hdr.created : (int64_t)time(NULL), gen);
	if (pwrite(ifd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    fsync(ifd) < 0 || fsync(cfd) < 0) {
		file_why(why_r, fo->dir);
		goto out;
	}
	/* the sort keys were taken from the old cache */
	buf_printf(&final, "%s/sortkeys", fo->dir);
	(void)unlink(final.data);
	buf_reset(&final);
	buf_printf(&final, "%s/index", fo->dir);
	if (rename(ipath.data, final.data) < 0 || file_fsync_dir(fo->dir) < 0) {
		file_why(why_r, final.data);
		goto out;
	}
	st.uidvalidity = uidvalidity;
	st.uidnext = uidnext;
	st.highestmodseq = modseq;
	st.exists = count;
	st.recent_uid = fo->st_ok ? fo->st.recent_uid : uidnext;
	st.index_gen = (fo->hdr_ok ? fo->hdr.index_gen : 0) + 1;
	{
		unsigned char srec[STATE_RECSIZE];

		ffmt_state_encode(&st, srec);
		buf_reset(&final);
		buf_printf(&final, "%s/state", fo->dir);
		if (rlog_append(final.data, STATE_KIND, STATE_RECSIZE, srec,
		    RLOG_SYNC, why_r) < 0)
			goto out;
	}
	remove_other_caches(fo->dir, gen);
	fo->st = st;
	rc = 0;
out:
	if (ifd >= 0)
		close(ifd);
	if (cfd >= 0)
		close(cfd);
	if (rc < 0) {
		(void)unlink(ipath.data);
		(void)unlink(cpath.data);
	}
	buf_free(&ipath);
	buf_free(&cpath);
	buf_free(&payload);
	buf_free(&final);
	return rc;
}

/* The state must agree with the records; report and fix if not. */
static int
check_state(struct fold *fo, char **why_r)
{
	struct folder_state want;
	unsigned char srec[STATE_RECSIZE];
	struct buf path = BUF_INIT;
	size_t i;
	int rc = 0;

	memset(&want, 0, sizeof(want));
	for (i = 0; i < fo->n; i++) {
		const struct entry *e = &fo->e[i];

		if (!e->have_file || !e->have_rec)
			continue;
		want.exists++;
		want.bytes += e->fsize;
		if (!(e->rec.flags & MSG_SEEN))
			want.unseen++;
		if (e->rec.flags & MSG_DELETED)
			want.deleted++;
	}
	if (fo->st_ok && fo->st.exists == want.exists &&
	    fo->st.bytes == want.bytes && fo->st.unseen == want.unseen &&
	    fo->st.deleted == want.deleted &&
	    fo->st.index_gen == fo->hdr.index_gen &&
	    fo->st.uidvalidity == fo->hdr.uidvalidity)
		return 0;
	report(fo->rc, fo->where, "folder state wrong (messages %u, want %u)",
	    fo->st_ok ? fo->st.exists : 0, want.exists);
	if (fo->rc->check_only)
		return 0;
	if (!fo->st_ok) {
		fo->st.uidnext = fo->hdr.uid_base;
		fo->st.recent_uid = fo->hdr.uid_base;
	}
	fo->st.uidvalidity = fo->hdr.uidvalidity;
	fo->st.index_gen = fo->hdr.index_gen;
	fo->st.exists = want.exists;
	fo->st.bytes = want.bytes;
	fo->st.unseen = want.unseen;
	fo->st.deleted = want.deleted;
	fo->st.first_unseen_uid = 0;
	for (i = 0; i < fo->n; i++)
		if (fo->e[i].have_rec && !(fo->e[i].rec.flags & MSG_SEEN)) {
			fo->st.first_unseen_uid = fo->e[i].uid;
			break;
		}
	for (i = 0; i < fo->n; i++) {
		if (fo->e[i].have_rec && fo->e[i].uid >= fo->st.uidnext)
			fo->st.uidnext = fo->e[i].uid + 1;
		if (fo->e[i].have_rec && fo->e[i].rec.modseq > fo->st.highestmodseq)
			fo->st.highestmodseq = fo->e[i].rec.modseq;
	}
	ffmt_state_encode(&fo->st, srec);
	buf_printf(&path, "%s/state", fo->dir);
	rc = rlog_append(path.data, STATE_KIND, STATE_RECSIZE, srec, RLOG_SYNC,
	    why_r);
	buf_free(&path);
	return rc;
}

/* The folder's own description file names it correctly. */
static void
check_meta(struct fold *fo, const struct mbox *m)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	const char *name = NULL;
	int ok = 0;

	buf_printf(&path, "%s/folder", fo->dir);
	if (file_read(path.data, 65536, &text, NULL) == 1 &&
	    kvfile_parse(text.data, text.len, "folder", &kv, NULL) == 0) {
		name = kvfile_get(&kv, "name");
		ok = name && strcmp(name, m->name) == 0;
		kvfile_free(&kv);
	}
	if (!ok) {
		report(fo->rc, fo->where, "folder description file wrong or "
		    "missing");
		if (!fo->rc->check_only)
			(void)folder_write_meta(fo->s, fo->dir, m->id, m->name,
			    m->uidvalidity, m->special, NULL);
	}
	buf_free(&path);
	buf_free(&text);
}

int
recon_folder(struct store *s, const struct acct *a, uint32_t id,
    struct recon *rc, uint64_t *msgs_r, uint64_t *bytes_r, char **why_r)
{
	struct buf dir = BUF_INIT, where = BUF_INIT, lpath = BUF_INIT;
	struct mboxlist l;
	const struct mbox *m;
	struct fold fo;
	uint32_t uidnext, uidvalidity;
	uint64_t modseq;
	size_t i;
	struct stat st;
	int lockfd = -1, ret = -1;

	memset(&fo, 0, sizeof(fo));
	fo.cfd = -1;
	if (mboxlist_read(s, a, &l, why_r) <= 0)
		return -1;
	if ((m = mboxlist_find_id(&l, id)) == NULL) {
		mboxlist_free(&l);
		return file_whyf(why_r, "%s: no folder %u", a->name, id);
	}
	mbox_dir(s, a, id, &dir);
	buf_printf(&where, "%s/%s", a->name, m->name);
	fo.s = s;
	fo.rc = rc;
	fo.dir = dir.data;
	fo.where = where.data;
	if (stat(dir.data, &st) < 0) {
		report(rc, where.data, "folder directory missing; recreated empty");
		if (!rc->check_only && (file_mkdirs(dir.data, 0750, why_r) < 0 ||
		    folder_create_files(s, dir.data, id, m->name, m->uidvalidity,
		    m->special, why_r) < 0))
			goto out;
		ret = 0;
		goto out;
	}
	buf_printf(&lpath, "%s/lock", dir.data);
	lockfd = lock_acquire(lpath.data, LOCK_EXCLUSIVE,
	    (unsigned)s->conf->lock_timeout, why_r);
	if (lockfd < 0)
		goto out;
	check_meta(&fo, m);
	read_index(&fo);
	read_state(&fo);
	read_xlog(&fo);
	scan_dir(&fo);
	open_old_cache(&fo);
	uidvalidity = m->uidvalidity;
	if (fo.hdr_ok && fo.hdr.uidvalidity != uidvalidity) {
		report(rc, where.data, "UIDVALIDITY %u in the index, %u in the "
		    "folder list", fo.hdr.uidvalidity, uidvalidity);
		fo.dirty = 1;
	}
	uidnext = fo.hdr_ok ? fo.hdr.uid_base : 1;
	modseq = fo.hdr_ok ? fo.hdr.modseq_base : 0;
	if (fo.st_ok && fo.st.uidnext > uidnext)
		uidnext = fo.st.uidnext;
	if (fo.st_ok && fo.st.highestmodseq > modseq)
		modseq = fo.st.highestmodseq;
	for (i = 0; i < fo.n; i++)
		if (fo.e[i].have_rec && fo.e[i].uid >= uidnext)
			uidnext = fo.e[i].uid + 1;
	judge(&fo, uidnext);
	if (!fo.hdr_ok)
		fo.dirty = 1;
	if (fo.dirty && !rc->check_only) {
		if (rewrite(&fo, uidvalidity, uidnext, modseq, why_r) < 0)
			goto out;
	} else if (!fo.dirty && check_state(&fo, why_r) < 0) {
		goto out;
	}
	for (i = 0; i < fo.n; i++)
		if (fo.e[i].have_file) {
			if (msgs_r)
				(*msgs_r)++;
			if (bytes_r)
				*bytes_r += fo.e[i].fsize;
		}
	ret = 0;
out:
	lock_release(lockfd);
	if (fo.cfd >= 0)
		close(fo.cfd);
	free(fo.e);
	free(fo.xuids);
	mboxlist_free(&l);
	buf_free(&dir);
	buf_free(&where);
	buf_free(&lpath);
	return ret;
}

/* ---- the folder list ---- */

struct found {
	uint32_t id, uidvalidity;
	char	 special[16];
	char	*name;
};

/* The f<ID> directories of an account and what their files say. */
static size_t
scan_folders(struct store *s, const struct acct *a, struct found **f_r)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	struct found *f = NULL;
	struct dirent *de;
	struct kvfile kv;
	size_t n = 0;
	uint64_t id, uv;
	const char *v;
	DIR *d;

	if (mbox_account_dir(s, a, &dir) < 0 ||
	    (d = opendir(dir.data)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != 'f' ||
		    num_parse_u64(de->d_name + 1, UINT32_MAX, &id) < 0)
			continue;
		f = mem_realloc(f, n + 1, sizeof(*f));
		memset(&f[n], 0, sizeof(f[n]));
		f[n].id = (uint32_t)id;
		buf_reset(&path);
		buf_reset(&text);
		buf_printf(&path, "%s/%s/folder", dir.data, de->d_name);
		if (file_read(path.data, 65536, &text, NULL) == 1 &&
		    kvfile_parse(text.data, text.len, "folder", &kv, NULL) == 0) {
			v = kvfile_get(&kv, "name");
			if (v && mbox_name_check(v, NULL) == 0)
				f[n].name = mem_strdup(v);
			v = kvfile_get(&kv, "uidvalidity");
			if (v && num_parse_u64(v, UINT32_MAX, &uv) == 0)
				f[n].uidvalidity = (uint32_t)uv;
			v = kvfile_get(&kv, "special");
			snprintf(f[n].special, sizeof(f[n].special), "%s",
			    v ? v : "");
			kvfile_free(&kv);
		}
		if (f[n].name == NULL) {
			buf_reset(&text);
			buf_printf(&text, id == 0 ? "INBOX" : "recovered-%u",
			    (unsigned)id);
			f[n].name = buf_steal(&text);
		}
		if (f[n].uidvalidity == 0)
			f[n].uidvalidity = (uint32_t)time(NULL);
		n++;
	}
	closedir(d);
out:
	buf_free(&dir);
	buf_free(&path);
	buf_free(&text);
	*f_r = f;
	return n;
}

int
recon_mailboxes(struct store *s, const struct acct *a, struct recon *rc,
    char **why_r)
{
	struct mboxlist l;
	struct found *f = NULL;
	size_t nf, i;
	int lockfd, have, changed = 0, ret = -1;

	if ((lockfd = acct_lock(s, a->name, why_r)) < 0)
		return -1;
	memset(&l, 0, sizeof(l));
	have = mboxlist_read(s, a, &l, NULL);
	nf = scan_folders(s, a, &f);
	if (have <= 0) {
		if (nf == 0) {
			ret = 0;	/* never used: created on first use */
			goto out;
		}
		report(rc, a->name, "folder list %s; rebuilt from %zu folder "
		    "directories (access control lists are lost)",
		    have < 0 ? "damaged" : "missing", nf);
		memset(&l, 0, sizeof(l));
		changed = 1;
	}
	for (i = 0; i < nf; i++) {
		const struct mbox *m = mboxlist_find_id(&l, f[i].id);

		if (m)
			continue;
		if (have > 0)
			report(rc, a->name, "folder directory f%u (%s) not in the "
			    "list; added", f[i].id, f[i].name);
		if (mboxlist_find(&l, f[i].name) != NULL) {
			char *n2 = NULL;
			struct buf b = BUF_INIT;

			buf_printf(&b, "%s-%u", f[i].name, f[i].id);
			n2 = buf_steal(&b);
			free(f[i].name);
			f[i].name = n2;
		}
		mboxlist_add(&l, f[i].id, f[i].uidvalidity, f[i].special,
		    f[i].name);
		if (f[i].id >= l.next_id)
			l.next_id = f[i].id + 1;
		changed = 1;
	}
	for (i = 0; i < l.n; i++) {
		size_t k;

		for (k = 0; k < nf && f[k].id != l.v[i].id; k++)
			;
		if (k == nf) {
			report(rc, a->name, "folder %s has no directory; "
			    "recreated empty", l.v[i].name);
			if (!rc->check_only) {
				struct buf dir = BUF_INIT;

				mbox_dir(s, a, l.v[i].id, &dir);
				if (file_mkdirs(dir.data, 0750, NULL) == 0)
					(void)folder_create_files(s, dir.data,
					    l.v[i].id, l.v[i].name,
					    l.v[i].uidvalidity, l.v[i].special,
					    NULL);
				buf_free(&dir);
			}
		}
	}
	if (mboxlist_find_id(&l, MBOX_INBOX_ID) == NULL && nf > 0) {
		report(rc, a->name, "INBOX missing from the folder list");
		changed = 1;
	}
	ret = 0;
	if (changed && !rc->check_only)
		ret = mboxlist_write(s, a, &l, why_r);
out:
	for (i = 0; i < nf; i++)
		free(f[i].name);
	free(f);
	mboxlist_free(&l);
	acct_unlock(lockfd);
	return ret;
}

/* ---- an account ---- */

struct counted {
	uint64_t msgs, bytes;
};

static int
set_counts(struct usage *u, void *ctx)
{
	const struct counted *c = ctx;

	u->message_count = c->msgs;
	u->quota_used = c->bytes;
	return 0;
}

int
recon_account(struct store *s, const char *name, struct recon *rc,
    char **why_r)
{
	struct counted c = { 0, 0 };
	struct mboxlist l;
	struct usage u;
	struct acct a;
	char *why = NULL;
	size_t i, unchecked = 0;
	int r;

	r = acct_load(s, name, &a, why_r);
	if (r <= 0)
		return r == 0 ? file_whyf(why_r, "%s: no such account", name) : -1;
	acct_wipe(&a);
	/* The profile is data read from disk: its partition may be one
	 * the option file no longer defines; there is no mail to check. */
	if (conf_partition_dir(s->conf, a.partition) == NULL)
		return file_whyf(why_r, "%s: partition '%s' is not configured",
		    name, a.partition);
	if (recon_mailboxes(s, &a, rc, why_r) < 0)
		return -1;
	r = mboxlist_read(s, &a, &l, why_r);
	if (r < 0)
		return -1;
	for (i = 0; r > 0 && i < l.n; i++) {
		if (recon_folder(s, &a, l.v[i].id, rc, &c.msgs, &c.bytes,
		    &why) < 0) {
			report(rc, name, "folder %s could not be checked: %s",
			    l.v[i].name, why);
			rc->errors++;
			unchecked++;
			free(why);
			why = NULL;
		}
	}
	if (r > 0)
		mboxlist_free(&l);
	if (usage_read(s, name, &u, why_r) < 0)
		return -1;
	/* Counted without a folder that could not be read, the totals are
	 * wrong: the counters stay until a run that reads every folder. */
	if (unchecked == 0 &&
	    (u.message_count != c.msgs || u.quota_used != c.bytes)) {
		report(rc, name, "counters say %llu messages, %llu bytes; the "
		    "folders hold %llu, %llu",
		    (unsigned long long)u.message_count,
		    (unsigned long long)u.quota_used,
		    (unsigned long long)c.msgs, (unsigned long long)c.bytes);
		if (!rc->check_only &&
		    usage_update(s, name, set_counts, &c, 1, why_r) < 0)
			return -1;
	}
	return 0;
}

/* ---- the whole store ---- */

struct walk {
	struct store	*s;
	struct recon	*rc;
	struct buf	 names;		/* NUL-separated account names */
	size_t		 n;
};

static int
collect(const char *name, void *ctx)
{
	struct walk *w = ctx;

	buf_puts(&w->names, name);
	buf_putc(&w->names, '\0');
	w->n++;
	return 0;
}

/* accounts.gdbm must list exactly the profiles, with their groups. */
struct dbcmp {
	struct store	*s;
	long		 extra;		/* in the db, not in the tree */
	long		 wrong;
};

static int
db_entry(const char *key, const char *value, void *ctx)
{
	struct dbcmp *c = ctx;
	struct buf want = BUF_INIT;
	struct acct a;

	if (acct_load(c->s, key, &a, NULL) != 1) {
		c->extra++;
		return 0;
	}
	acct_wipe(&a);
	buf_printf(&want, "%s\t%s\t%u", a.group, acct_type_name(a.type), a.flags);
	if (strcmp(want.data, value) != 0)
		c->wrong++;
	buf_free(&want);
	return 0;
}

static int
rebuild_accounts_db(struct store *s, const struct walk *w, char **why_r)
{
	struct buf v = BUF_INIT;
	const char *p;
	struct acct a;
	int rc = 0;

	if (mgmtdb_clear(s, MGMTDB_ACCOUNTS, why_r) < 0 ||
	    mgmtdb_hold(s, MGMTDB_ACCOUNTS, why_r) < 0)
		return -1;
	for (p = w->names.data; rc == 0 && p && p < w->names.data + w->names.len;
	    p += strlen(p) + 1) {
		if (acct_load(s, p, &a, NULL) != 1)
			continue;
		acct_wipe(&a);
		buf_reset(&v);
		buf_printf(&v, "%s\t%s\t%u", a.group, acct_type_name(a.type),
		    a.flags);
		rc = mgmtdb_put(s, MGMTDB_ACCOUNTS, p, v.data, why_r);
	}
	mgmtdb_close(s);
	buf_free(&v);
	return rc;
}

static int
check_accounts_db(struct walk *w, char **why_r)
{
	struct dbcmp c = { w->s, 0, 0 };
	long n = mgmtdb_count(w->s, MGMTDB_ACCOUNTS, NULL);

	if (n >= 0 && mgmtdb_walk(w->s, MGMTDB_ACCOUNTS, db_entry, &c, NULL) < 0)
		n = -1;
	if (n == (long)w->n && c.extra == 0 && c.wrong == 0)
		return 0;
	if (n < 0)
		report(w->rc, "db", "accounts database unreadable; rebuilt");
	else
		report(w->rc, "db", "accounts database lists %ld accounts for "
		    "%zu profiles (%ld stale, %ld wrong); rebuilt", n, w->n,
		    c.extra, c.wrong);
	if (w->rc->check_only)
		return 0;
	return rebuild_accounts_db(w->s, w, why_r);
}

struct gcount {
	long n;
};

static int
count_group(const struct group *g, void *ctx)
{
	(void)g;
	((struct gcount *)ctx)->n++;
	return 0;
}

static int
count_file(const char *name, const char *path, void *ctx)
{
	(void)name;
	(void)path;
	(*(long *)ctx)++;
	return 0;
}

static int
check_small_dbs(struct walk *w, char **why_r)
{
	struct gcount g = { 0 };
	long dbn;

	if (group_walk(w->s, count_group, &g, NULL) == 0 &&
	    (dbn = mgmtdb_count(w->s, MGMTDB_GROUPS, NULL)) != g.n) {
		report(w->rc, "db", "groups database out of date; rebuilt");
		if (!w->rc->check_only && group_rebuild_db(w->s, why_r) < 0)
			return -1;
	}
	/* Forwardings: compare by rebuilding into a count of files. */
	{
		struct buf base = BUF_INIT;
		long files = 0, dbf;

		buf_printf(&base, "%s/forward", w->s->dir);
		(void)fanout_walk(base.data, count_file, NULL, &files, NULL);
		buf_free(&base);
		dbf = mgmtdb_count(w->s, MGMTDB_FORWARD, NULL);
		if (dbf != files) {
			report(w->rc, "db", "forwarding database lists %ld of %ld "
			    "forwardings; rebuilt", dbf, files);
			if (!w->rc->check_only && fwdmap_rebuild_db(w->s, why_r) < 0)
				return -1;
		}
	}
	return 0;
}

/* Files in PART/tmp older than TMP_MAX_AGE: deliveries that died. */
static void
clean_tmp(struct store *s, struct recon *rc)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t i;
	DIR *d;

	for (i = 0; i < s->conf->npartitions; i++) {
		buf_reset(&dir);
		store_tmp_dir(s, s->conf->partitions[i].name, &dir);
		if ((d = opendir(dir.data)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			buf_reset(&path);
			buf_printf(&path, "%s/%s", dir.data, de->d_name);
			if (lstat(path.data, &st) < 0 ||
			    now - st.st_mtime < TMP_MAX_AGE)
				continue;
			report(rc, "tmp", "stale %s removed", path.data);
			if (!rc->check_only)
				(void)unlink(path.data);
		}
		closedir(d);
	}
	buf_free(&dir);
	buf_free(&path);
}

/* Directories left by interrupted account deletions. */
static int
debris_leaf(const char *leaf, struct recon *rc)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(leaf)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".deleted.", 9) != 0)
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", leaf, de->d_name);
		report(rc, "debris", "%s removed", path.data);
		if (!rc->check_only)
			(void)file_remove_tree(path.data, NULL);
	}
	closedir(d);
	buf_free(&path);
	return 0;
}

static void
clean_debris(const char *base, struct recon *rc)
{
	struct buf leaf = BUF_INIT;
	unsigned i, j;
	struct stat st;

	for (i = 0; i < 256; i++) {
		buf_reset(&leaf);
		buf_printf(&leaf, "%s/%02x", base, i);
		if (stat(leaf.data, &st) < 0)
			continue;
		for (j = 0; j < 256; j++) {
			buf_reset(&leaf);
			buf_printf(&leaf, "%s/%02x/%02x", base, i, j);
			debris_leaf(leaf.data, rc);
		}
	}
	buf_free(&leaf);
}

struct orphan_ctx {
	struct store	*s;
	struct recon	*rc;
};

static int
orphan_mail(const char *name, const char *path, void *ctx)
{
	struct orphan_ctx *o = ctx;

	if (!acct_exists(o->s, name))
		report(o->rc, name, "mail directory %s has no account; left "
		    "alone (restore the profile, or delete the directory)", path);
	return 0;
}

int
recon_store(struct store *s, struct recon *rc, char **why_r)
{
	struct walk w;
	struct orphan_ctx o = { s, rc };
	struct buf base = BUF_INIT;
	const char *p;
	char *why = NULL;
	size_t i;
	int ret = -1;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.rc = rc;
	if (acct_walk(s, collect, &w, why_r) < 0)
		goto out;
	for (p = w.names.data; p && p < w.names.data + w.names.len;
	    p += strlen(p) + 1) {
		if (recon_account(s, p, rc, &why) < 0) {
			report(rc, p, "could not be checked: %s", why);
			rc->errors++;
			free(why);
			why = NULL;
		}
	}
	if (check_accounts_db(&w, why_r) < 0 || check_small_dbs(&w, why_r) < 0)
		goto out;
	clean_tmp(s, rc);
	buf_printf(&base, "%s/users", s->dir);
	clean_debris(base.data, rc);
	for (i = 0; i < s->conf->npartitions; i++) {
		clean_debris(s->conf->partitions[i].dir, rc);
		(void)fanout_walk(s->conf->partitions[i].dir, orphan_mail, NULL,
		    &o, NULL);
	}
	ret = 0;
out:
	buf_free(&w.names);
	buf_free(&base);
	return ret;
}
