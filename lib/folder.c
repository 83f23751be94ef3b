/* folder - one folder: index, state, cache, message files; see folder.h
 * and popstore(5) for the formats. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "be.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "crc.h"
#include "file.h"
#include "folder.h"
#include "folderfmt.h"
#include "kvfile.h"
#include "lock.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "rlog.h"
#include "store.h"

#define XLOG_TRIM_AT	100000	/* entries kept: the newer half */
#define CHUNK_RECS	256	/* records read at once */
#define CACHE_WINDOW	(256 * 1024)	/* cache bytes read ahead when a
					   session reads records in order */
#define CACHE_SMALL	16384	/* cache bytes read for a lone record */

struct folder {
	struct store	*s;
	struct acct	 acct;
	char		*dir;
	char		*name;
	uint32_t	 id;
	int		 flags;
	int		 ifd;		/* index */
	ino_t		 iino;
	uint32_t	 uidvalidity, index_gen, cache_gen, uid_base;
	uint64_t	 modseq_base;
	uint32_t	 count;		/* the session's view */
	struct folder_state st;
	int		 lockfd, lockdepth;
	int		 cfd;		/* cache, opened on first use */
	unsigned char	*cwin;		/* read-ahead window of the cache */
	off_t		 cwin_off;
	size_t		 cwin_len;
	struct buf	 cbuf;		/* a record too large for the window */
	uint64_t	*cver;		/* cache extents whose records passed */
	size_t		 ncver, cvercap; /* the CRC: start, end pairs, sorted */
	void		*aux;		/* folder_set_aux() */
	void		(*aux_free)(void *);
	int		 sfd;		/* state, for syncing */
	int		 dfd;		/* the directory, for message files */
	uid_t		 duid;		/* its owner */
	unsigned char	*chunk;
	uint32_t	 chunk_first, chunk_n;
	char		*kw[FOLDER_KEYWORDS_MAX];
	int		 kw_loaded;
	int		 dirty;		/* records or state written since sync */
};

/* ---- paths ---- */

static void
fpath(const struct folder *f, const char *file, struct buf *out)
{
	buf_printf(out, "%s/%s", f->dir, file);
}

const char *
folder_dir(const struct folder *f)
{
	return f->dir;
}

const char *
folder_name(const struct folder *f)
{
	return f->name;
}

uint32_t
folder_id(const struct folder *f)
{
	return f->id;
}

/* ---- creating ---- */

int
folder_write_meta(struct store *s, const char *dir, uint32_t id, const char *name,
    uint32_t uidvalidity, const char *special, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char num[24];
	int rc;

	kvfile_init(&kv, "folder", 1);
	snprintf(num, sizeof(num), "%u", id);
	kvfile_set(&kv, "id", num);
	kvfile_set(&kv, "name", name);
	snprintf(num, sizeof(num), "%u", uidvalidity);
	kvfile_set(&kv, "uidvalidity", num);
	kvfile_set(&kv, "special", special);
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	buf_printf(&path, "%s/folder", dir);
	rc = file_write_atomic(path.data, text.data, text.len, 0600,
	    store_write_flags(s), why_r);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

static int
write_new_file(const char *path, const void *data, size_t len, int sync,
    char **why_r)
{
	int fd = file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc = 0;

	if (fd < 0)
		return file_why(why_r, path);
	if (write(fd, data, len) != (ssize_t)len || (sync && fsync(fd) < 0))
		rc = file_why(why_r, path);
	close(fd);
	return rc;
}

static int
create_cache(const char *dir, uint32_t gen, int sync, char **why_r)
{
	unsigned char h[CACHE_HDR] = { 'P', 'S', 'C', 'A', 0, 1 };
	struct buf path = BUF_INIT;
	int rc;

	buf_printf(&path, "%s/cache.%u", dir, gen);
	rc = write_new_file(path.data, h, sizeof(h), sync, why_r);
	buf_free(&path);
	return rc;
}

int
folder_create_files(struct store *s, const char *dir, uint32_t id,
    const char *name, uint32_t uidvalidity, const char *special,
    char **why_r)
{
	unsigned char h[FOLDER_HDR_SIZE], st[STATE_RECSIZE];
	struct folder_state fs = { 0 };
	struct buf path = BUF_INIT;
	int sync = !s->batch, rc = -1;

	store_write_flags(s);
	if (folder_write_meta(s, dir, id, name, uidvalidity, special, why_r) < 0)
		goto out;
	ffmt_hdr_encode(h, uidvalidity, 1, 1, 0, (int64_t)time(NULL), 1);
	buf_printf(&path, "%s/index", dir);
	if (write_new_file(path.data, h, sizeof(h), sync, why_r) < 0 ||
	    create_cache(dir, 1, sync, why_r) < 0)
		goto out;
	fs.uidvalidity = uidvalidity;
	fs.uidnext = 1;
	fs.recent_uid = 1;
	fs.index_gen = 1;
	ffmt_state_encode(&fs, st);
	buf_reset(&path);
	buf_printf(&path, "%s/state", dir);
	if (rlog_append(path.data, STATE_KIND, STATE_RECSIZE, st,
	    sync ? RLOG_SYNC : 0, why_r) < 0)
		goto out;
	if (sync && file_fsync_dir(dir) < 0) {
		file_why(why_r, dir);
		goto out;
	}
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

/* ---- opening ---- */

static uint32_t
disk_records(struct folder *f)
{
	struct stat st;

	if (fstat(f->ifd, &st) < 0 || st.st_size < FOLDER_HDR_SIZE)
		return 0;
	return (uint32_t)((st.st_size - FOLDER_HDR_SIZE) / FOLDER_REC_SIZE);
}

static int
read_header(struct folder *f, char **why_r)
{
	unsigned char h[FOLDER_HDR_SIZE];
	struct stat st;

	struct ffmt_hdr fh;

	if (pread(f->ifd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    ffmt_hdr_decode(h, &fh) < 0)
		return file_whyf(why_r, "%s/index: damaged header", f->dir);
	f->uidvalidity = fh.uidvalidity;
	f->uid_base = fh.uid_base;
	f->index_gen = fh.index_gen;
	f->modseq_base = fh.modseq_base;
	f->cache_gen = fh.cache_gen;
	if (fstat(f->ifd, &st) < 0)
		return file_why(why_r, f->dir);
	f->iino = st.st_ino;
	return 0;
}

static int
open_index(struct folder *f, char **why_r)
{
	struct buf path = BUF_INIT;

	fpath(f, "index", &path);
	f->ifd = file_open(path.data, O_RDWR, 0);
	if (f->ifd < 0 && errno == EACCES)
		f->ifd = file_open(path.data, O_RDONLY, 0);
	buf_free(&path);
	if (f->ifd < 0)
		return file_why(why_r, "index");
	f->chunk_n = 0;
	return read_header(f, why_r);
}

static int
read_rec_raw(struct folder *f, uint32_t seq, unsigned char *p)
{
	off_t off = FOLDER_HDR_SIZE + (off_t)seq * FOLDER_REC_SIZE;

	return pread(f->ifd, p, FOLDER_REC_SIZE, off) == FOLDER_REC_SIZE ? 0 : -1;
}

/* Recompute the state from the records: after a crash, or when the state
 * log is damaged. Linear in the folder, and only then. */
static void
state_from_records(struct folder *f, uint32_t n, struct folder_state *st)
{
	unsigned char p[FOLDER_REC_SIZE];
	struct msgrec r;
	uint32_t i;

	st->uidvalidity = f->uidvalidity;
	st->index_gen = f->index_gen;
	st->exists = st->unseen = st->deleted = 0;
	st->first_unseen_uid = 0;
	st->bytes = 0;
	if (st->uidnext < f->uid_base)
		st->uidnext = f->uid_base;
	if (st->highestmodseq < f->modseq_base)
		st->highestmodseq = f->modseq_base;
	for (i = 0; i < n; i++) {
		if (read_rec_raw(f, i, p) < 0 || ffmt_rec_decode(p, &r) < 0) {
			log_eventf(LOG_ERR, "index_damaged", "folder=%s seq=%u",
			    f->dir, i);
			continue;
		}
		st->exists++;
		st->bytes += r.size;
		if (!(r.flags & MSG_SEEN)) {
			st->unseen++;
			if (st->first_unseen_uid == 0)
				st->first_unseen_uid = r.uid;
		}
		if (r.flags & MSG_DELETED)
			st->deleted++;
		if (r.uid >= st->uidnext)
			st->uidnext = r.uid + 1;
		if (r.modseq > st->highestmodseq)
			st->highestmodseq = r.modseq;
	}
	st->exists = n;	/* the view counts positions, damaged or not */
}

/* Read the state; *stale_r when it does not match the index. */
static int
read_state(struct folder *f, struct folder_state *st, int *stale_r,
    char **why_r)
{
	unsigned char rec[STATE_RECSIZE];
	struct buf path = BUF_INIT;
	uint32_t n = disk_records(f);
	int fd, rc;

	memset(st, 0, sizeof(*st));
	fpath(f, "state", &path);
	fd = rlog_open(path.data);
	buf_free(&path);
	if (fd < 0 && errno != ENOENT)
		return file_why(why_r, "state");
	rc = fd < 0 ? 0 : rlog_read_last(fd, STATE_KIND, STATE_RECSIZE, rec, NULL);
	if (fd >= 0)
		close(fd);
	if (rc == 1)
		ffmt_state_decode(rec, st);
	*stale_r = rc != 1 || st->index_gen != f->index_gen || st->exists > n ||
	    st->uidvalidity != f->uidvalidity;
	if (*stale_r)
		state_from_records(f, n, st);
	return 0;
}

static int
write_state(struct folder *f, char **why_r)
{
	unsigned char rec[STATE_RECSIZE];
	struct buf path = BUF_INIT;
	int rc;

	ffmt_state_encode(&f->st, rec);
	fpath(f, "state", &path);
	rc = rlog_append(path.data, STATE_KIND, STATE_RECSIZE, rec, 0, why_r);
	buf_free(&path);
	f->dirty = 1;
	return rc;
}

static int
open_dir(struct store *s, const struct acct *a, uint32_t id, const char *name,
    int flags, struct folder **f_r, char **why_r)
{
	struct folder *f = mem_zalloc(1, sizeof(*f));
	struct buf dir = BUF_INIT;
	int stale;

	f->s = s;
	f->acct = *a;
	acct_wipe(&f->acct);
	f->id = id;
	f->flags = flags;
	f->name = mem_strdup(name);
	f->lockfd = f->cfd = f->sfd = f->dfd = -1;
	mbox_dir(s, a, id, &dir);
	f->dir = buf_steal(&dir);
	if (open_index(f, why_r) < 0 ||
	    read_state(f, &f->st, &stale, why_r) < 0) {
		folder_close(f);
		return -1;
	}
	f->count = f->st.exists;
	*f_r = f;
	return 1;
}

int
folder_totals(struct store *s, const struct acct *a, uint64_t *msgs_r,
    uint64_t *bytes_r, char **why_r)
{
	struct mboxlist l;
	struct folder *f;
	size_t i;
	int rc;

	*msgs_r = *bytes_r = 0;
	rc = mboxlist_read(s, a, &l, why_r);
	if (rc <= 0)
		return rc;
	for (i = 0; i < l.n && rc >= 0; i++) {
		rc = open_dir(s, a, l.v[i].id, l.v[i].name, FOLDER_RDONLY, &f,
		    why_r);
		if (rc < 0)
			break;
		*msgs_r += f->st.exists;
		*bytes_r += f->st.bytes;
		folder_close(f);
	}
	mboxlist_free(&l);
	return rc < 0 ? -1 : 0;
}

int
folder_open(struct store *s, const struct acct *a, const char *name,
    int flags, struct folder **f_r, char **why_r)
{
	struct mboxlist l;
	const struct mbox *m;
	int rc;

	if (mboxlist_load(s, a, &l, why_r) < 0)
		return -1;
	m = mboxlist_find(&l, name);
	rc = m ? open_dir(s, a, m->id, m->name, flags, f_r, why_r) : 0;
	mboxlist_free(&l);
	return rc;
}

int
folder_open_id(struct store *s, const struct acct *a, uint32_t id, int flags,
    struct folder **f_r, char **why_r)
{
	struct mboxlist l;
	const struct mbox *m;
	int rc;

	if (mboxlist_load(s, a, &l, why_r) < 0)
		return -1;
	m = mboxlist_find_id(&l, id);
	rc = m ? open_dir(s, a, m->id, m->name, flags, f_r, why_r) : 0;
	mboxlist_free(&l);
	return rc;
}

void
folder_close(struct folder *f)
{
	size_t i;

	if (f == NULL)
		return;
	while (f->lockdepth > 0)
		folder_unlock(f);
	if (f->ifd >= 0)
		close(f->ifd);
	if (f->cfd >= 0)
		close(f->cfd);
	if (f->sfd >= 0)
		close(f->sfd);
	if (f->dfd >= 0)
		close(f->dfd);
	for (i = 0; i < FOLDER_KEYWORDS_MAX; i++)
		free(f->kw[i]);
	if (f->aux_free != NULL)
		f->aux_free(f->aux);
	free(f->cver);
	buf_free(&f->cbuf);
	free(f->cwin);
	free(f->chunk);
	free(f->dir);
	free(f->name);
	free(f);
}

const struct folder_state *
folder_state(const struct folder *f)
{
	return &f->st;
}

uint32_t
folder_count(const struct folder *f)
{
	return f->count;
}

/* ---- reading records ---- */

int
folder_record(struct folder *f, uint32_t seq, struct msgrec *r, char **why_r)
{
	ssize_t n;

	if (seq >= f->count)
		return 0;
	if (f->chunk == NULL)
		f->chunk = mem_alloc(CHUNK_RECS, FOLDER_REC_SIZE);
	if (seq < f->chunk_first || seq >= f->chunk_first + f->chunk_n) {
		f->chunk_first = seq;
		n = pread(f->ifd, f->chunk, (size_t)CHUNK_RECS * FOLDER_REC_SIZE,
		    FOLDER_HDR_SIZE + (off_t)seq * FOLDER_REC_SIZE);
		if (n < 0)
			return file_why(why_r, "index read");
		f->chunk_n = (uint32_t)(n / FOLDER_REC_SIZE);
		if (f->chunk_n == 0)
			return file_whyf(why_r, "%s/index: record %u missing",
			    f->dir, seq);
	}
	if (ffmt_rec_decode(f->chunk + (size_t)(seq - f->chunk_first) *
	    FOLDER_REC_SIZE, r) < 0) {
		log_eventf(LOG_ERR, "index_damaged", "folder=%s seq=%u", f->dir,
		    seq);
		return file_whyf(why_r, "%s/index: record %u damaged (run "
		    "reconstruct)", f->dir, seq);
	}
	return 1;
}

/* Binary search; a damaged record on the path makes it an error. */
int
folder_seq_at_or_after(struct folder *f, uint32_t uid, uint32_t *seq_r,
    char **why_r)
{
	uint32_t lo = 0, hi = f->count, mid;
	struct msgrec r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (folder_record(f, mid, &r, why_r) < 0)
			return -1;
		if (r.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*seq_r = lo;
	return 0;
}

int
folder_find_uid(struct folder *f, uint32_t uid, uint32_t *seq_r, char **why_r)
{
	struct msgrec r;
	uint32_t seq;

	if (folder_seq_at_or_after(f, uid, &seq, why_r) < 0)
		return -1;
	if (seq >= f->count || folder_record(f, seq, &r, why_r) <= 0 ||
	    r.uid != uid)
		return 0;
	*seq_r = seq;
	return 1;
}

static int
open_cache(struct folder *f, char **why_r)
{
	struct buf path = BUF_INIT;

	if (f->cfd >= 0)
		return 0;
	f->cwin_len = 0;
	buf_printf(&path, "%s/cache.%u", f->dir, f->cache_gen);
	f->cfd = file_open(path.data, O_RDWR, 0);
	if (f->cfd < 0 && errno == EACCES)
		f->cfd = file_open(path.data, O_RDONLY, 0);
	if (f->cfd < 0)
		file_why(why_r, path.data);
	buf_free(&path);
	return f->cfd < 0 ? -1 : 0;
}

/*
 * The bytes [off, off + need) of the cache from the read-ahead window,
 * or NULL (then the caller reads them itself). Records are never
 * rewritten once appended, so a window stays valid until the cache file
 * is replaced (cwin_len is then reset). A read in order (FETCH 1:*)
 * refills a large window, a lone read a small one: one pread for many
 * records, and the session's memory stays at the window's size.
 */
static const unsigned char *
cache_window(struct folder *f, off_t off, size_t need)
{
	size_t want;
	ssize_t n;
	int seq;

	if (f->cwin_len && off >= f->cwin_off &&
	    (size_t)(off - f->cwin_off) + need <= f->cwin_len)
		return f->cwin + (off - f->cwin_off);
	if (need > CACHE_WINDOW)
		return NULL;
	seq = f->cwin_len && off >= f->cwin_off &&
	    (size_t)(off - f->cwin_off) <= f->cwin_len + 4096;
	want = seq ? CACHE_WINDOW : (need > CACHE_SMALL ? need : CACHE_SMALL);
	if (f->cwin == NULL)
		f->cwin = mem_alloc(CACHE_WINDOW, 1);
	n = pread(f->cfd, f->cwin, want, off);
	f->cwin_off = off;
	f->cwin_len = n > 0 ? (size_t)n : 0;
	return f->cwin_len >= need ? f->cwin : NULL;
}

/*
 * Checked extents of the cache file. A record is [off, off + 8 + len)
 * rounded up to 8 (appends are aligned), so the records of a run read
 * in order merge into one extent and a session reading the whole cache
 * keeps a few pairs. A record is known good when it lies inside an
 * extent: records are never rewritten, and a new cache file (another
 * generation) empties the list.
 */
static uint64_t
cver_end(const struct msgrec *r)
{
	return (r->cache_off + 8 + (uint64_t)r->cache_len + 7) & ~(uint64_t)7;
}

/* Index of the first extent whose end is >= off. */
static size_t
cver_find(const struct folder *f, uint64_t off)
{
	size_t lo = 0, hi = f->ncver, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->cver[2 * mid + 1] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
cver_known(const struct folder *f, const struct msgrec *r)
{
	size_t i = cver_find(f, r->cache_off);

	return i < f->ncver && f->cver[2 * i] <= r->cache_off &&
	    cver_end(r) <= f->cver[2 * i + 1];
}

static void
cver_add(struct folder *f, const struct msgrec *r)
{
	uint64_t lo = r->cache_off, hi = cver_end(r);
	size_t i = cver_find(f, lo), j;

	if (i < f->ncver && f->cver[2 * i] <= hi) {
		/* touches extent i (and maybe the following ones) */
		if (lo < f->cver[2 * i])
			f->cver[2 * i] = lo;
		for (j = i + 1; j < f->ncver && f->cver[2 * j] <= hi; j++)
			;
		if (hi < f->cver[2 * (j - 1) + 1])
			hi = f->cver[2 * (j - 1) + 1];
		f->cver[2 * i + 1] = hi;
		memmove(f->cver + 2 * (i + 1), f->cver + 2 * j,
		    (f->ncver - j) * 2 * sizeof(uint64_t));
		f->ncver -= j - (i + 1);
		return;
	}
	if (f->ncver == f->cvercap) {
		f->cvercap = f->cvercap ? f->cvercap * 2 : 16;
		f->cver = mem_realloc(f->cver, f->cvercap, 2 * sizeof(uint64_t));
	}
	memmove(f->cver + 2 * (i + 1), f->cver + 2 * i,
	    (f->ncver - i) * 2 * sizeof(uint64_t));
	f->cver[2 * i] = lo;
	f->cver[2 * i + 1] = hi;
	f->ncver++;
}

/*
 * The payload of r: in the read-ahead window (*p_r), or else read into
 * out (appended). 1, or -1 when damaged or unreadable.
 */
static int
cache_get(struct folder *f, const struct msgrec *r, struct buf *out,
    const unsigned char **p_r, char **why_r)
{
	const unsigned char *p;
	unsigned char h[8];
	size_t start = out->len;

	if (open_cache(f, why_r) < 0)
		return -1;
	if ((p = cache_window(f, (off_t)r->cache_off, 8 + (size_t)r->cache_len))
	    != NULL) {
		memcpy(h, p, 8);
		if (be32_get(h) != r->cache_len)
			goto bad;
		p += 8;
	} else {
		/* The header agrees with the record before anything is
		 * allocated for a length read from disk. */
		if (pread(f->cfd, h, 8, (off_t)r->cache_off) != 8 ||
		    be32_get(h) != r->cache_len)
			goto bad;
		buf_reserve(out, r->cache_len);
		if (pread(f->cfd, out->data + start, r->cache_len,
		    (off_t)r->cache_off + 8) != (ssize_t)r->cache_len)
			goto bad;
		p = (const unsigned char *)out->data + start;
		out->len = start + r->cache_len;
		out->data[out->len] = '\0';
	}
	if (!cver_known(f, r)) {
		if (crc32c(p, r->cache_len) != be32_get(h + 4))
			goto bad;
		cver_add(f, r);
	}
	*p_r = p;
	return 1;
bad:
	buf_truncate(out, start);
	log_eventf(LOG_ERR, "cache_damaged", "folder=%s uid=%u", f->dir, r->uid);
	return file_whyf(why_r, "%s: cache record of UID %u damaged (run "
	    "reconstruct)", f->dir, r->uid);
}

int
folder_cache(struct folder *f, const struct msgrec *r, struct buf *out,
    char **why_r)
{
	const unsigned char *p;
	size_t start = out->len;

	if (cache_get(f, r, out, &p, why_r) < 0)
		return -1;
	if (out->len == start) {
		buf_append(out, p, r->cache_len);
		out->data[out->len] = '\0';
	}
	return 1;
}

int
folder_cache_ref(struct folder *f, const struct msgrec *r,
    const void **p_r, size_t *len_r, char **why_r)
{
	const unsigned char *p;

	/* One large record must not stay allocated for the session. */
	if (f->cbuf.cap > CACHE_WINDOW)
		buf_free(&f->cbuf);
	else
		buf_reset(&f->cbuf);
	if (cache_get(f, r, &f->cbuf, &p, why_r) < 0)
		return -1;
	*p_r = p;
	*len_r = r->cache_len;
	return 1;
}

void *
folder_aux(const struct folder *f)
{
	return f->aux;
}

void
folder_set_aux(struct folder *f, void *aux, void (*free_fn)(void *))
{
	if (f->aux_free != NULL && f->aux != aux)
		f->aux_free(f->aux);
	f->aux = aux;
	f->aux_free = free_fn;
}

/*
 * The folder's directory stays open from its first use to
 * folder_close(): a POP3 or IMAP session that reads many messages opens
 * and checks the directory once. The fd follows the directory if it is
 * moved (an account renamed); a folder deleted meanwhile has no files.
 */
static int
folder_dirfd(struct folder *f)
{
	struct stat st;

	if (f->dfd >= 0)
		return f->dfd;
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dfd >= 0 && fstat(f->dfd, &st) < 0) {
		close(f->dfd);
		f->dfd = -1;
	}
	if (f->dfd >= 0)
		f->duid = st.st_uid;
	return f->dfd;
}

/* Set *why_r to "dir/name: strerror(errno)", errno kept; -1. */
static int
dir_why(const struct folder *f, const char *name, char **why_r)
{
	struct buf path = BUF_INIT;
	int e = errno;

	buf_printf(&path, "%s/%s", f->dir, name);
	errno = e;
	file_why(why_r, path.data);
	buf_free(&path);
	errno = e;
	return -1;
}

int
folder_open_message(struct folder *f, uint32_t uid, char **why_r)
{
	char name[16];
	int fd = -1;

	snprintf(name, sizeof(name), "%u.eml", uid);
	/* Not a symlink, nor a hard link to a file of another owner. */
	if (folder_dirfd(f) >= 0)
		fd = file_open_store_at(f->dfd, f->duid, name);
	if (fd < 0)
		dir_why(f, name, why_r);
	return fd;
}

#define SORTKEYS	"sortkeys"

int
folder_sortkeys_read(struct folder *f, size_t max, struct buf *out,
    char **why_r)
{
	struct stat st;
	size_t done = 0;
	ssize_t got = 0;
	int fd;

	if (folder_dirfd(f) < 0)
		return dir_why(f, "", why_r);
	if ((fd = file_open_store_at(f->dfd, f->duid, SORTKEYS)) < 0)
		return errno == ENOENT ? 0 : dir_why(f, SORTKEYS, why_r);
	if (fstat(fd, &st) < 0) {
		dir_why(f, SORTKEYS, why_r);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return 0;
	}
	buf_reset(out);
	buf_reserve(out, (size_t)st.st_size);
	while (done < (size_t)st.st_size) {
		got = pread(fd, out->data + done, (size_t)st.st_size - done,
		    (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;		/* shorter: replaced meanwhile */
		done += (size_t)got;
	}
	if (got < 0) {
		dir_why(f, SORTKEYS, why_r);
		close(fd);
		return -1;
	}
	close(fd);
	out->len = done;
	out->data[done] = '\0';
	return 1;
}

int
folder_sortkeys_write(struct folder *f, const void *data, size_t len,
    char **why_r)
{
	char tmp[48];
	const char *p = data;
	ssize_t w;
	int fd;

	if (folder_dirfd(f) < 0)
		return dir_why(f, "", why_r);
	/* ".new." names are leftovers to reconstruct */
	snprintf(tmp, sizeof(tmp), SORTKEYS ".new.%ld", (long)getpid());
	(void)unlinkat(f->dfd, tmp, 0);
	fd = openat(f->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return dir_why(f, tmp, why_r);
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			dir_why(f, tmp, why_r);
			close(fd);
			(void)unlinkat(f->dfd, tmp, 0);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 || renameat(f->dfd, tmp, f->dfd, SORTKEYS) < 0) {
		dir_why(f, SORTKEYS, why_r);
		(void)unlinkat(f->dfd, tmp, 0);
		return -1;
	}
	return 0;
}

void
folder_uidl(struct folder *f, const struct msgrec *r, struct buf *out)
{
	struct buf payload = BUF_INIT;
	const void *p;
	size_t len;

	if ((r->flags & MSG_HAS_UIDL) && folder_cache(f, r, &payload, NULL) == 1 &&
	    cache_field(payload.data, payload.len, CACHE_UIDL, &p, &len) == 1 &&
	    len > 0 && len <= 70) {
		buf_append(out, p, len);
	} else {
		buf_printf(out, "%08x%08x", f->uidvalidity, r->uid);
	}
	buf_free(&payload);
}

/* ---- locking ---- */

/*
 * Under the lock, records past the state's count were appended by a
 * writer that died before its state record. Their message files were
 * durable before they were written, so whole records are kept; a torn
 * one (and anything after it) is cut off, and its file is adopted again
 * by the next delivery. Returns 1 when the state must be recomputed.
 */
static int
adopt_tail(struct folder *f)
{
	unsigned char p[FOLDER_REC_SIZE];
	uint32_t i, n = disk_records(f);
	struct msgrec r;

	for (i = f->st.exists; i < n; i++)
		if (read_rec_raw(f, i, p) < 0 || ffmt_rec_decode(p, &r) < 0)
			break;
	if (i < n && !(f->flags & FOLDER_RDONLY) &&
	    ftruncate(f->ifd, FOLDER_HDR_SIZE + (off_t)i * FOLDER_REC_SIZE) < 0) {
		/* the torn tail stays; it is ignored as it is now */
	}
	if (i == f->st.exists)
		return 0;
	state_from_records(f, i, &f->st);
	return 1;
}

static int
refresh_under_lock(struct folder *f, char **why_r)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int stale, rc = 0;

	/* The session may hold an index another session replaced: a writer
	 * must work on the current one (folder_refresh reports the rest). */
	fpath(f, "index", &path);
	if (stat(path.data, &st) < 0)
		rc = file_why(why_r, path.data);
	buf_free(&path);
	if (rc < 0)
		return -1;
	if (st.st_ino != f->iino)
		return 1;
	if (read_state(f, &f->st, &stale, why_r) < 0)
		return -1;
	if (!stale && disk_records(f) > f->st.exists)
		stale = adopt_tail(f);
	if (stale && !(f->flags & FOLDER_RDONLY)) {
		log_eventf(LOG_NOTICE, "state_recomputed", "folder=%s", f->dir);
		if (write_state(f, why_r) < 0)
			return -1;
	}
	f->chunk_n = 0;
	return 0;
}

int
folder_lock(struct folder *f, char **why_r)
{
	struct buf path = BUF_INIT;
	int rc;

	if (f->lockdepth++ > 0)
		return 0;
	fpath(f, "lock", &path);
	f->lockfd = lock_acquire(path.data, LOCK_EXCLUSIVE,
	    (unsigned)f->s->conf->lock_timeout, why_r);
	buf_free(&path);
	if (f->lockfd < 0) {
		f->lockdepth = 0;
		return -1;
	}
	rc = refresh_under_lock(f, why_r);
	if (rc != 0) {
		if (rc > 0)
			file_whyf(why_r, "folder changed: refresh first");
		folder_unlock(f);
		errno = rc > 0 ? ESTALE : errno;
		return -1;
	}
	return 0;
}

void
folder_unlock(struct folder *f)
{
	if (f->lockdepth == 0 || --f->lockdepth > 0)
		return;
	lock_release(f->lockfd);
	f->lockfd = -1;
}

uint32_t
folder_uidnext(struct folder *f)
{
	uint32_t n = f->st.uidnext;

	return n < f->uid_base ? f->uid_base : n;
}

/* ---- appending ---- */

static int
cache_append(struct folder *f, const void *data, size_t len, uint64_t *off_r,
    char **why_r)
{
	unsigned char h[8], pad[8] = { 0 };
	struct stat st;
	off_t off;
	size_t padlen;

	if (len > 0xffffffffU)
		return file_whyf(why_r, "cache record too large");
	if (open_cache(f, why_r) < 0 || fstat(f->cfd, &st) < 0)
		return -1;
	/* Align; a torn tail of an earlier record is simply left behind. */
	off = (st.st_size + 7) & ~(off_t)7;
	if (off < CACHE_HDR)
		off = CACHE_HDR;
	be32_put(h, (uint32_t)len);
	be32_put(h + 4, crc32c(data, len));
	padlen = (8 - (len & 7)) & 7;
	if (pwrite(f->cfd, h, 8, off) != 8 ||
	    pwrite(f->cfd, data, len, off + 8) != (ssize_t)len ||
	    (padlen && pwrite(f->cfd, pad, padlen, off + 8 + (off_t)len) !=
	    (ssize_t)padlen)) {
		if (errno == 0)
			errno = ENOSPC;
		return file_why(why_r, "cache write");
	}
	*off_r = (uint64_t)off;
	return 0;
}

int
folder_append_record(struct folder *f, struct msgrec *r, const void *cache,
    size_t cache_len, char **why_r)
{
	unsigned char p[FOLDER_REC_SIZE];
	struct folder_state before = f->st;
	uint32_t n;
	off_t at;

	if (r->uid < folder_uidnext(f))
		return file_whyf(why_r, "%s: UID %u below UIDNEXT %u", f->dir,
		    r->uid, folder_uidnext(f));
	if (cache_append(f, cache, cache_len, &r->cache_off, why_r) < 0)
		return -1;
	r->cache_len = (uint32_t)cache_len;
	r->modseq = ++f->st.highestmodseq;
	if (r->savedate == 0)
		r->savedate = (int64_t)time(NULL);
	ffmt_rec_encode(r, p);
	n = f->st.exists;
	at = FOLDER_HDR_SIZE + (off_t)n * FOLDER_REC_SIZE;
	errno = 0;
	if (pwrite(f->ifd, p, sizeof(p), at) != (ssize_t)sizeof(p)) {
		if (errno == 0)
			errno = ENOSPC;
		file_why(why_r, "index write");
		goto undo;
	}
	if (ftruncate(f->ifd, at + FOLDER_REC_SIZE) < 0) {
		file_why(why_r, "index truncate");
		goto undo;
	}
	f->st.exists = n + 1;
	f->st.uidnext = r->uid + 1;
	f->st.bytes += r->size;
	if (!(r->flags & MSG_SEEN)) {
		f->st.unseen++;
		if (f->st.first_unseen_uid == 0)
			f->st.first_unseen_uid = r->uid;
	}
	if (r->flags & MSG_DELETED)
		f->st.deleted++;
	f->chunk_n = 0;
	if (write_state(f, why_r) == 0)
		return 0;
undo:
	/* A whole record left past the state would be adopted by the next
	 * writer although the caller gives the message up: take it back. */
	{
		int saved = errno;

		if (ftruncate(f->ifd, at) < 0) {
			/* readers stop at st.exists all the same */
		}
		f->st = before;
		f->chunk_n = 0;
		errno = saved;
	}
	return -1;
}

int
folder_sync_fds(struct folder *f, int *fds, int max)
{
	struct buf path = BUF_INIT;
	int n = 0;

	if (f->sfd < 0) {
		fpath(f, "state", &path);
		f->sfd = file_open(path.data, O_RDONLY, 0);
		buf_free(&path);
	}
	if (n < max)
		fds[n++] = f->ifd;
	if (n < max && f->cfd >= 0)
		fds[n++] = f->cfd;
	if (n < max && f->sfd >= 0)
		fds[n++] = f->sfd;
	return n;
}

int
folder_sync(struct folder *f, char **why_r)
{
	int fds[3], n, i;

	if (!f->dirty)
		return 0;
	n = folder_sync_fds(f, fds, 3);
	for (i = 0; i < n; i++)
		if (fdatasync(fds[i]) < 0)
			return file_why(why_r, f->dir);
	f->dirty = 0;
	return 0;
}

/* ---- flags ---- */

int
folder_store(struct folder *f, uint32_t seq, uint32_t set, uint32_t clear,
    uint64_t kset, uint64_t kclear, uint64_t unchangedsince,
    struct msgrec *r, char **why_r)
{
	unsigned char p[FOLDER_REC_SIZE];
	uint32_t nflags;
	uint64_t nkw;
	int rc;

	if (folder_lock(f, why_r) < 0)
		return -1;
	rc = folder_record(f, seq, r, why_r);
	if (rc <= 0) {
		folder_unlock(f);
		return rc < 0 ? -1 : file_whyf(why_r, "no message %u", seq + 1);
	}
	if (unchangedsince && r->modseq > unchangedsince) {
		folder_unlock(f);
		return 0;
	}
	nflags = (r->flags & ~(clear & MSG_SYSFLAGS)) | (set & MSG_SYSFLAGS);
	nkw = (r->keywords & ~kclear) | kset;
	if (nflags == r->flags && nkw == r->keywords) {
		folder_unlock(f);
		return 1;
	}
	if ((r->flags ^ nflags) & MSG_SEEN) {
		if (nflags & MSG_SEEN)
			f->st.unseen -= f->st.unseen > 0;
		else
			f->st.unseen++;
		/* The first unseen UID is a hint, recomputed when it moves. */
		if (nflags & MSG_SEEN && r->uid == f->st.first_unseen_uid)
			f->st.first_unseen_uid = 0;
		else if (!(nflags & MSG_SEEN) && (f->st.first_unseen_uid == 0 ||
		    r->uid < f->st.first_unseen_uid))
			f->st.first_unseen_uid = r->uid;
	}
	if ((r->flags ^ nflags) & MSG_DELETED) {
		if (nflags & MSG_DELETED)
			f->st.deleted++;
		else
			f->st.deleted -= f->st.deleted > 0;
	}
	r->flags = nflags;
	r->keywords = nkw;
	r->modseq = ++f->st.highestmodseq;
	ffmt_rec_encode(r, p);
	if (pwrite(f->ifd, p, sizeof(p), FOLDER_HDR_SIZE +
	    (off_t)seq * FOLDER_REC_SIZE) != (ssize_t)sizeof(p)) {
		folder_unlock(f);
		return file_why(why_r, "index write");
	}
	if (seq >= f->chunk_first && seq < f->chunk_first + f->chunk_n)
		memcpy(f->chunk + (size_t)(seq - f->chunk_first) *
		    FOLDER_REC_SIZE, p, sizeof(p));
	rc = write_state(f, why_r);
	folder_unlock(f);
	return rc < 0 ? -1 : 1;
}

uint32_t
folder_claim_recent(struct folder *f, char **why_r)
{
	uint32_t first;

	if ((f->flags & FOLDER_RDONLY) || folder_lock(f, why_r) < 0)
		return f->st.recent_uid ? f->st.recent_uid : 1;
	first = f->st.recent_uid ? f->st.recent_uid : 1;
	if (f->st.recent_uid != folder_uidnext(f)) {
		f->st.recent_uid = folder_uidnext(f);
		(void)write_state(f, why_r);
	}
	folder_unlock(f);
	return first;
}

/* ---- keywords ---- */

static void
keywords_load(struct folder *f)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char key[16];
	const char *v;
	int i;

	for (i = 0; i < FOLDER_KEYWORDS_MAX; i++) {
		free(f->kw[i]);
		f->kw[i] = NULL;
	}
	fpath(f, "keywords", &path);
	if (file_read(path.data, 65536, &text, NULL) == 1 &&
	    kvfile_parse(text.data, text.len, "keywords", &kv, NULL) == 0) {
		for (i = 0; i < FOLDER_KEYWORDS_MAX; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			if ((v = kvfile_get(&kv, key)) != NULL && *v)
				f->kw[i] = mem_strdup(v);
		}
		kvfile_free(&kv);
	}
	f->kw_loaded = 1;
	buf_free(&path);
	buf_free(&text);
}

static int
keywords_write(struct folder *f, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char key[16];
	int i, rc;

	kvfile_init(&kv, "keywords", 1);
	for (i = 0; i < FOLDER_KEYWORDS_MAX; i++)
		if (f->kw[i]) {
			snprintf(key, sizeof(key), "k%d", i);
			kvfile_set(&kv, key, f->kw[i]);
		}
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	fpath(f, "keywords", &path);
	rc = file_write_atomic(path.data, text.data, text.len, 0600, 0, why_r);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

static int
keyword_find(struct folder *f, const char *name)
{
	int i;

	for (i = 0; i < FOLDER_KEYWORDS_MAX; i++)
		if (f->kw[i] && strcasecmp(f->kw[i], name) == 0)
			return i;
	return -1;
}

int
folder_keyword_bit(struct folder *f, const char *name, int add, char **why_r)
{
	int bit, i;

	if (!f->kw_loaded)
		keywords_load(f);
	if ((bit = keyword_find(f, name)) >= 0 || !add)
		return bit < 0 ? file_whyf(why_r, "no keyword %s", name) : bit;
	if (folder_lock(f, why_r) < 0)
		return -1;
	keywords_load(f);
	if ((bit = keyword_find(f, name)) < 0) {
		for (i = 0; i < FOLDER_KEYWORDS_MAX && f->kw[i]; i++)
			;
		if (i == FOLDER_KEYWORDS_MAX) {
			folder_unlock(f);
			return file_whyf(why_r, "too many keywords (%d)",
			    FOLDER_KEYWORDS_MAX);
		}
		f->kw[i] = mem_strdup(name);
		if (keywords_write(f, why_r) < 0) {
			free(f->kw[i]);
			f->kw[i] = NULL;
			folder_unlock(f);
			return -1;
		}
		bit = i;
	}
	folder_unlock(f);
	return bit;
}

const char *
folder_keyword_name(struct folder *f, unsigned bit)
{
	if (!f->kw_loaded)
		keywords_load(f);
	return bit < FOLDER_KEYWORDS_MAX ? f->kw[bit] : NULL;
}

/* ---- keeping up ---- */

/* A second, independent chunked reader for a merge walk. */
struct reader {
	int		 fd;
	uint32_t	 count, first, n;
	unsigned char	*buf;
};

static int
reader_get(struct reader *rd, uint32_t seq, struct msgrec *r)
{
	ssize_t n;

	if (seq >= rd->count)
		return 0;
	if (seq < rd->first || seq >= rd->first + rd->n) {
		rd->first = seq;
		n = pread(rd->fd, rd->buf, (size_t)CHUNK_RECS * FOLDER_REC_SIZE,
		    FOLDER_HDR_SIZE + (off_t)seq * FOLDER_REC_SIZE);
		rd->n = n > 0 ? (uint32_t)(n / FOLDER_REC_SIZE) : 0;
		if (rd->n == 0)
			return -1;
	}
	if (ffmt_rec_decode(rd->buf + (size_t)(seq - rd->first) * FOLDER_REC_SIZE, r) < 0)
		return -1;
	return 1;
}

/*
 * Walk the old view and the new index together (both in UID order) and
 * report the old view's UIDs missing from the new one. A damaged record
 * on either side is skipped (reconstruct reports it).
 */
static void
merge_walk(struct folder *f, int newfd, uint32_t newcount,
    void (*expunged)(uint32_t, uint32_t, void *), void *ctx)
{
	struct reader rd = { newfd, newcount, 0, 0, NULL };
	struct msgrec o, n;
	uint32_t i, j = 0;
	int have_n;

	rd.buf = mem_alloc(CHUNK_RECS, FOLDER_REC_SIZE);
	have_n = reader_get(&rd, j, &n);
	for (i = 0; i < f->count; i++) {
		if (folder_record(f, i, &o, NULL) <= 0)
			continue;
		while (have_n != 0 && (have_n < 0 || n.uid < o.uid))
			have_n = reader_get(&rd, ++j, &n);
		if (have_n > 0 && n.uid == o.uid)
			continue;
		if (expunged)
			expunged(o.uid, i, ctx);
	}
	free(rd.buf);
}

int
folder_refresh(struct folder *f, struct folder_changes *ch,
    void (*expunged)(uint32_t, uint32_t, void *), void *ctx, char **why_r)
{
	struct folder_state st;
	struct folder old = *f;
	struct buf path = BUF_INIT;
	struct msgrec last;
	struct stat sb;
	uint32_t lastuid = 0, pos;
	int stale, newfd;

	memset(ch, 0, sizeof(*ch));
	fpath(f, "index", &path);
	if (stat(path.data, &sb) < 0) {
		file_why(why_r, path.data);
		buf_free(&path);
		return -1;
	}
	if (sb.st_ino != f->iino) {
		newfd = file_open(path.data, (f->flags & FOLDER_RDONLY) ?
		    O_RDONLY : O_RDWR, 0);
		if (newfd < 0 && errno == EACCES)
			newfd = file_open(path.data, O_RDONLY, 0);
		if (newfd < 0) {
			file_why(why_r, path.data);
			buf_free(&path);
			return -1;
		}
		/* Read the new header and state through a copy. */
		old.ifd = newfd;
		old.chunk = NULL;
		if (read_header(&old, why_r) < 0 ||
		    read_state(&old, &st, &stale, why_r) < 0) {
			close(newfd);
			buf_free(&path);
			return -1;
		}
		merge_walk(f, newfd, st.exists, expunged, ctx);
		if (f->count && folder_record(f, f->count - 1, &last, NULL) > 0)
			lastuid = last.uid;
		close(f->ifd);
		if (f->cfd >= 0 && old.cache_gen != f->cache_gen) {
			close(f->cfd);
			f->cfd = -1;
			f->cwin_len = 0;
		}
		if (old.cache_gen != f->cache_gen)
			f->ncver = 0;
		f->ifd = newfd;
		f->iino = old.iino;
		f->uidvalidity = old.uidvalidity;
		f->uid_base = old.uid_base;
		f->index_gen = old.index_gen;
		f->modseq_base = old.modseq_base;
		f->cache_gen = old.cache_gen;
		f->st = st;
		f->chunk_n = 0;
		ch->rewritten = 1;
		f->count = st.exists;
		if (folder_seq_at_or_after(f, lastuid + 1, &pos, NULL) == 0)
			ch->appended = f->count - pos;
		buf_free(&path);
		return 0;
	}
	buf_free(&path);
	if (read_state(f, &st, &stale, why_r) < 0)
		return -1;
	/* Records change in place (flags): a changed state means the
	 * cached chunk may be stale. */
	if (st.highestmodseq != f->st.highestmodseq) {
		f->chunk_n = 0;
		f->kw_loaded = 0;	/* a new keyword comes with a store */
	}
	f->st = st;
	if (st.exists > f->count) {
		ch->appended = st.exists - f->count;
		f->count = st.exists;
		f->chunk_n = 0;
	}
	return 0;
}

struct since_ctx {
	uint64_t	 since;
	void		(*fn)(uint32_t, void *);
	void		*ctx;
	uint64_t	 marker;
};

static int
since_one(const unsigned char *rec, void *vctx)
{
	struct since_ctx *c = vctx;
	uint32_t uid = be32_get(rec);
	uint64_t modseq = be64_get(rec + 8);

	if (uid == 0) {
		if (modseq > c->marker)
			c->marker = modseq;
	} else if (modseq > c->since) {
		c->fn(uid, c->ctx);
	}
	return 0;
}

int
folder_expunged_since(struct folder *f, uint64_t since,
    void (*fn)(uint32_t, void *), void *ctx, int *complete_r, char **why_r)
{
	struct since_ctx c = { since, fn, ctx, 0 };
	struct buf path = BUF_INIT;
	int fd, rc;

	fpath(f, "expunged", &path);
	fd = rlog_open(path.data);
	buf_free(&path);
	*complete_r = 1;
	if (fd < 0)
		return errno == ENOENT ? 0 : file_why(why_r, "expunged");
	rc = rlog_scan(fd, XLOG_KIND, XLOG_RECSIZE, since_one, &c, why_r);
	close(fd);
	if (c.marker > since)
		*complete_r = 0;
	return rc < 0 ? -1 : 0;
}

/* ---- expunge ---- */

struct gone {
	uint32_t uid, oldseq;
	uint64_t size;
	int64_t	 savedate;
};

struct xpass {
	struct folder	*f;
	int		 nfd;		/* new index */
	int		 ncfd;		/* new cache, or -1 */
	off_t		 ncoff;
	struct gone	*gone;
	size_t		 ngone, cap;
	struct folder_state st;
	uint64_t	 modseq;
	unsigned char	*out;
	size_t		 outn;
};

static int
xflush(struct xpass *x, off_t *off, char **why_r)
{
	size_t len = x->outn * FOLDER_REC_SIZE;

	if (len && pwrite(x->nfd, x->out, len, *off) != (ssize_t)len) {
		if (errno == 0)
			errno = ENOSPC;
		return file_why(why_r, "index.new");
	}
	*off += (off_t)len;
	x->outn = 0;
	return 0;
}

/* Copy a kept record's cache payload to the new cache (compaction). */
static int
xcache(struct xpass *x, struct msgrec *r, char **why_r)
{
	struct buf payload = BUF_INIT;
	unsigned char h[8], pad[8] = { 0 };
	size_t padlen;
	int rc = 0;

	if (folder_cache(x->f, r, &payload, NULL) != 1) {
		r->cache_len = 0;	/* damaged: reconstruct rebuilds it */
		r->cache_off = 0;
		buf_free(&payload);
		return 0;
	}
	be32_put(h, (uint32_t)payload.len);
	be32_put(h + 4, crc32c(payload.data, payload.len));
	padlen = (8 - (payload.len & 7)) & 7;
	if (pwrite(x->ncfd, h, 8, x->ncoff) != 8 ||
	    pwrite(x->ncfd, payload.data, payload.len, x->ncoff + 8) !=
	    (ssize_t)payload.len ||
	    (padlen && pwrite(x->ncfd, pad, padlen, x->ncoff + 8 +
	    (off_t)payload.len) != (ssize_t)padlen))
		rc = file_why(why_r, "cache.new");
	r->cache_off = (uint64_t)x->ncoff;
	x->ncoff += 8 + (off_t)payload.len + (off_t)padlen;
	buf_free(&payload);
	return rc;
}

static int
xpass_run(struct xpass *x, int (*want)(const struct msgrec *, void *),
    void *ctx, char **why_r)
{
	struct folder *f = x->f;
	uint32_t i, n = f->st.exists;
	off_t off = FOLDER_HDR_SIZE;
	struct msgrec r;

	for (i = 0; i < n; i++) {
		if (folder_record(f, i, &r, NULL) <= 0)
			continue;	/* a damaged record is dropped here */
		if (want(&r, ctx)) {
			if (x->ngone == x->cap) {
				x->cap = x->cap ? x->cap * 2 : 64;
				x->gone = mem_realloc(x->gone, x->cap,
				    sizeof(*x->gone));
			}
			x->gone[x->ngone].uid = r.uid;
			x->gone[x->ngone].oldseq = i;
			x->gone[x->ngone].size = r.size;
			x->gone[x->ngone].savedate = r.savedate;
			x->ngone++;
			x->st.cache_dead += r.cache_len + 8;
			continue;
		}
		if (x->ncfd >= 0 && xcache(x, &r, why_r) < 0)
			return -1;
		x->st.exists++;
		x->st.bytes += r.size;
		if (!(r.flags & MSG_SEEN)) {
			x->st.unseen++;
			if (x->st.first_unseen_uid == 0)
				x->st.first_unseen_uid = r.uid;
		}
		if (r.flags & MSG_DELETED)
			x->st.deleted++;
		ffmt_rec_encode(&r, x->out + x->outn * FOLDER_REC_SIZE);
		if (++x->outn == CHUNK_RECS && xflush(x, &off, why_r) < 0)
			return -1;
	}
	return xflush(x, &off, why_r);
}

static int
xlog_append(struct folder *f, const struct xpass *x, char **why_r)
{
	unsigned char rec[XLOG_RECSIZE];
	struct buf path = BUF_INIT;
	size_t i;
	int rc = 0;

	fpath(f, "expunged", &path);
	for (i = 0; i < x->ngone && rc == 0; i++) {
		memset(rec, 0, sizeof(rec));
		be32_put(rec, x->gone[i].uid);
		be64_put(rec + 8, x->modseq);
		rc = rlog_append(path.data, XLOG_KIND, XLOG_RECSIZE, rec,
		    RLOG_KEEP | (i + 1 == x->ngone ? RLOG_SYNC : 0), why_r);
	}
	buf_free(&path);
	return rc;
}

struct usage_gone {
	const struct xpass *x;
	int64_t now;
};

static int
usage_expunged(struct usage *u, void *ctx)
{
	struct usage_gone *g = ctx;
	uint64_t msgs, bytes;
	size_t i;

	for (i = 0; i < g->x->ngone; i++) {
		u->message_count -= u->message_count > 0;
		u->quota_used -= u->quota_used >= g->x->gone[i].size ?
		    g->x->gone[i].size : u->quota_used;
		usage_add_block_days(u, g->x->gone[i].size,
		    g->x->gone[i].savedate, g->now);
	}
	/* Set from the folders when they can be read, as delivery does:
	 * whatever an interrupted change left behind is corrected. */
	if (folder_totals(g->x->f->s, &g->x->f->acct, &msgs, &bytes, NULL) == 0) {
		u->message_count = msgs;
		u->quota_used = bytes;
	}
	return 0;
}

/* Open the new index (and the new cache when compacting). */
static int
xpass_open(struct xpass *x, int compact, char **why_r)
{
	struct folder *f = x->f;
	unsigned char h[FOLDER_HDR_SIZE];
	struct buf path = BUF_INIT;
	uint32_t gen = f->cache_gen + (compact ? 1 : 0);

	fpath(f, "index.new", &path);
	(void)unlink(path.data);
	x->nfd = file_open(path.data, O_RDWR | O_CREAT | O_EXCL, 0600);
	buf_free(&path);
	if (x->nfd < 0)
		return file_why(why_r, "index.new");
	ffmt_hdr_encode(h, f->uidvalidity, folder_uidnext(f), f->index_gen + 1,
	    x->modseq, (int64_t)time(NULL), gen);
	if (pwrite(x->nfd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return file_why(why_r, "index.new");
	x->ncfd = -1;
	if (compact) {
		unsigned char ch[CACHE_HDR] = { 'P', 'S', 'C', 'A', 0, 1 };

		buf_printf(&path, "%s/cache.%u", f->dir, gen);
		(void)unlink(path.data);
		x->ncfd = file_open(path.data, O_RDWR | O_CREAT | O_EXCL, 0600);
		buf_free(&path);
		if (x->ncfd < 0 || pwrite(x->ncfd, ch, sizeof(ch), 0) !=
		    (ssize_t)sizeof(ch))
			return file_why(why_r, "cache.new");
		x->ncoff = CACHE_HDR;
	}
	return 0;
}

static int
should_compact(struct folder *f)
{
	struct stat st;

	if (open_cache(f, NULL) < 0 || fstat(f->cfd, &st) < 0)
		return 0;
	return st.st_size > 1024 * 1024 &&
	    f->st.cache_dead * 2 > (uint64_t)st.st_size;
}

/* Install the new index (and cache); the old files stay readable to
 * sessions holding them open. */
static int
xpass_commit(struct xpass *x, char **why_r)
{
	struct folder *f = x->f;
	struct buf from = BUF_INIT, to = BUF_INIT;
	int rc = -1;

	if (fsync(x->nfd) < 0 || (x->ncfd >= 0 && fsync(x->ncfd) < 0)) {
		file_why(why_r, "index.new");
		goto out;
	}
	if (xlog_append(f, x, why_r) < 0)
		goto out;
	fpath(f, "index.new", &from);
	fpath(f, "index", &to);
	if (rename(from.data, to.data) < 0 || file_fsync_dir(f->dir) < 0) {
		file_why(why_r, to.data);
		goto out;
	}
	rc = 0;
out:
	buf_free(&from);
	buf_free(&to);
	return rc;
}

long
folder_expunge(struct folder *f, int (*want)(const struct msgrec *, void *),
    void (*fn)(uint32_t, uint32_t, void *), void *ctx, char **why_r)
{
	struct xpass x;
	struct usage_gone ug;
	struct buf path = BUF_INIT;
	uint32_t old_gen, view;
	size_t i;
	long rc = -1;

	memset(&x, 0, sizeof(x));
	x.f = f;
	x.nfd = x.ncfd = -1;
	if (folder_lock(f, why_r) < 0)
		return -1;
	x.modseq = f->st.highestmodseq + 1;
	x.st = f->st;
	x.st.exists = x.st.unseen = x.st.deleted = 0;
	x.st.bytes = 0;
	x.st.first_unseen_uid = 0;
	x.out = mem_alloc(CHUNK_RECS, FOLDER_REC_SIZE);
	/* The pass covers every record under the lock, also those appended
	 * since this session's view was taken: they must not be dropped. */
	view = f->count;
	f->count = f->st.exists;
	if (xpass_open(&x, should_compact(f), why_r) < 0 ||
	    xpass_run(&x, want, ctx, why_r) < 0) {
		f->count = view;
		goto fail;
	}
	f->count = view;
	if (x.ngone == 0) {
		rc = 0;
		goto fail;	/* nothing to do: drop the new files */
	}
	if (x.ncfd >= 0)
		x.st.cache_dead = 0;
	if (xpass_commit(&x, why_r) < 0)
		goto fail;
	/* The new index is in place: switch the view to it. */
	old_gen = f->cache_gen;
	close(f->ifd);
	f->ifd = x.nfd;
	x.nfd = -1;
	(void)read_header(f, NULL);
	if (x.ncfd >= 0) {
		if (f->cfd >= 0)
			close(f->cfd);
		f->cwin_len = 0;
		f->ncver = 0;
		f->cfd = x.ncfd;
		x.ncfd = -1;
	}
	x.st.highestmodseq = x.modseq;
	x.st.index_gen = f->index_gen;
	x.st.uidnext = folder_uidnext(f);
	f->st = x.st;
	f->chunk_n = 0;
	if (write_state(f, why_r) < 0 || folder_sync(f, why_r) < 0)
		log_eventf(LOG_WARNING, "state_write_failed", "folder=%s", f->dir);
	for (i = 0; i < x.ngone; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%u.eml", f->dir, x.gone[i].uid);
		(void)unlink(path.data);
	}
	if (f->cache_gen != old_gen) {
		buf_reset(&path);
		buf_printf(&path, "%s/cache.%u", f->dir, old_gen);
		(void)unlink(path.data);
	}
	ug.x = &x;
	ug.now = (int64_t)time(NULL);
	if (usage_update(f->s, f->acct.name, usage_expunged, &ug, 0, NULL) < 0)
		log_eventf(LOG_WARNING, "usage_update_failed", "account=%s",
		    f->acct.name);
	for (i = 0; fn && i < x.ngone; i++)
		if (x.gone[i].oldseq < f->count)
			fn(x.gone[i].uid, x.gone[i].oldseq, ctx);
	f->count = f->st.exists;
	rc = (long)x.ngone;
fail:
	if (x.nfd >= 0) {
		close(x.nfd);
		buf_reset(&path);
		fpath(f, "index.new", &path);
		(void)unlink(path.data);
	}
	if (x.ncfd >= 0) {
		close(x.ncfd);
		buf_reset(&path);
		buf_printf(&path, "%s/cache.%u", f->dir, f->cache_gen + 1);
		(void)unlink(path.data);
	}
	folder_unlock(f);
	free(x.gone);
	free(x.out);
	buf_free(&path);
	return rc;
}
