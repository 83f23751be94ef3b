/* delivery - store one message in many folders, durably; see delivery.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "msgparse.h"
#include "store.h"

#define BATCH_MAX	200	/* folders locked at once */
#define WBUF		65536

struct target {
	struct delivery_target pub;
	struct acct	 acct;
	char		*dir;		/* folder directory */
	struct folder	*f;
	int		 linked;	/* UID.eml exists for this delivery */
	uint32_t	 undo_count;	/* records before our append */
	int		 appended;
};

struct partcopy {
	char	*partition;
	char	*path;			/* the message in PART/tmp */
	int	 synced;
};

struct delivery {
	struct store	*s;
	char		*sender;
	int		 fd;
	struct partcopy	*copies;	/* [0] is where the data was written */
	size_t		 ncopies;
	char		 wbuf[WBUF];
	size_t		 wlen;
	uint64_t	 size;
	int		 last_cr;
	int		 ended;
	struct buf	 payload;
	uint32_t	 header_len, body_lines, msgflags;
	int64_t		 idate;
	int16_t		 tzoff;
	char		*uidl;
	int		 batch;		/* delivery_set_batch() */
	struct target	*t;
	size_t		 nt, cap;
};

static int
local_tzoff(time_t when)
{
	struct tm tm;

	localtime_r(&when, &tm);
	return (int)(tm.tm_gmtoff / 60);
}

static char *
tmp_name(struct store *s, const char *partition, char **why_r)
{
	static unsigned long counter;
	struct buf p = BUF_INIT;
	struct timespec ts;

	if (store_tmp_dir(s, partition, &p) < 0) {
		buf_free(&p);
		file_whyf(why_r, "partition %s is not configured", partition);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	buf_printf(&p, "/%lld.%09ld.%ld.%lu", (long long)ts.tv_sec, ts.tv_nsec,
	    (long)getpid(), ++counter);
	return buf_steal(&p);
}

int
delivery_begin(struct store *s, const char *sender, struct delivery **d_r,
    char **why_r)
{
	struct delivery *d = mem_zalloc(1, sizeof(*d));
	char *path;

	d->s = s;
	d->sender = mem_strdup(sender ? sender : "");
	d->fd = -1;
	d->idate = (int64_t)time(NULL);
	d->tzoff = (int16_t)local_tzoff((time_t)d->idate);
	path = tmp_name(s, s->conf->default_partition, why_r);
	if (path == NULL)
		goto fail;
	d->copies = mem_zalloc(1, sizeof(*d->copies));
	d->copies[0].partition = mem_strdup(s->conf->default_partition);
	d->copies[0].path = path;
	d->ncopies = 1;
	d->fd = file_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (d->fd < 0) {
		file_why(why_r, path);
		goto fail;
	}
	*d_r = d;
	return 0;
fail:
	delivery_free(d);
	return -1;
}

static int
wflush(struct delivery *d, char **why_r)
{
	const char *p = d->wbuf;
	size_t left = d->wlen;
	ssize_t n;

	while (left > 0) {
		n = write(d->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return file_why(why_r, d->copies[0].path);
		}
		p += n;
		left -= (size_t)n;
	}
	d->wlen = 0;
	return 0;
}

static int
wbyte(struct delivery *d, char c, char **why_r)
{
	if (d->wlen == WBUF && wflush(d, why_r) < 0)
		return -1;
	d->wbuf[d->wlen++] = c;
	d->size++;
	return 0;
}

static int
too_big(struct delivery *d, size_t more, char **why_r)
{
	if (d->size + more > d->s->conf->max_message_size) {
		errno = EFBIG;
		return file_whyf(why_r, "message larger than MAX_MESSAGE_SIZE "
		    "(%llu bytes)",
		    (unsigned long long)d->s->conf->max_message_size);
	}
	return 0;
}

int
delivery_write(struct delivery *d, const void *p, size_t n, char **why_r)
{
	const char *c = p;
	size_t i;

	if (too_big(d, n, why_r) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (wbyte(d, c[i], why_r) < 0)
			return -1;
	if (n)
		d->last_cr = c[n - 1] == '\r';
	return 0;
}

int
delivery_write_lf(struct delivery *d, const void *p, size_t n, char **why_r)
{
	const char *c = p;
	size_t i;

	if (too_big(d, n, why_r) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (c[i] == '\n' && !d->last_cr && wbyte(d, '\r', why_r) < 0)
			return -1;
		if (wbyte(d, c[i], why_r) < 0)
			return -1;
		d->last_cr = c[i] == '\r';
	}
	if (too_big(d, 0, why_r) < 0)
		return -1;
	return 0;
}

int
delivery_end_data(struct delivery *d, char **why_r)
{
	if (wflush(d, why_r) < 0)
		return -1;
	if (lseek(d->fd, 0, SEEK_SET) < 0)
		return file_why(why_r, d->copies[0].path);
	buf_reset(&d->payload);
	if (delivery_parse_fd(d->fd, d->sender, &d->payload, &d->header_len,
	    &d->body_lines, &d->msgflags, &d->size, why_r) < 0)
		return -1;
	if (d->uidl) {
		cache_put(&d->payload, CACHE_UIDL, d->uidl, strlen(d->uidl));
		d->msgflags |= MSG_HAS_UIDL;
	}
	d->ended = 1;
	return 0;
}

uint64_t
delivery_size(const struct delivery *d)
{
	return d->size;
}

void
delivery_set_date(struct delivery *d, int64_t when, int tzoff)
{
	d->idate = when;
	d->tzoff = (int16_t)tzoff;
}

void
delivery_set_uidl(struct delivery *d, const char *uidl)
{
	free(d->uidl);
	d->uidl = uidl ? mem_strdup(uidl) : NULL;
}

void
delivery_set_batch(struct delivery *d, int on)
{
	d->batch = on;
}

struct delivery_target *
delivery_add(struct delivery *d, const struct acct *a, uint32_t folder_id,
    uint32_t flags)
{
	struct buf dir = BUF_INIT;
	struct target *t;
	size_t i;

	if (mbox_dir(d->s, a, folder_id, &dir) < 0)
		buf_puts(&dir, "(unknown partition)");
	for (i = 0; i < d->nt; i++)
		if (strcmp(d->t[i].dir, dir.data) == 0) {
			buf_free(&dir);
			return &d->t[i].pub;
		}
	if (d->nt == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->t = mem_realloc(d->t, d->cap, sizeof(*d->t));
	}
	t = &d->t[d->nt++];
	memset(t, 0, sizeof(*t));
	t->acct = *a;
	acct_wipe(&t->acct);
	t->dir = buf_steal(&dir);
	snprintf(t->pub.account, sizeof(t->pub.account), "%s", a->name);
	t->pub.folder_id = folder_id;
	t->pub.flags = flags & MSG_SYSFLAGS;
	return &t->pub;
}

void
delivery_add_keyword(struct delivery_target *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nkeywords; i++)
		if (strcasecmp(t->keywords[i], name) == 0)
			return;
	t->keywords = mem_realloc(t->keywords, t->nkeywords + 1,
	    sizeof(*t->keywords));
	t->keywords[t->nkeywords++] = mem_strdup(name);
}

/* The keyword bits of a target's record (folder locked). */
static uint64_t
keyword_bits(struct target *t)
{
	uint64_t bits = 0;
	char *why = NULL;
	size_t i;
	int bit;

	for (i = 0; i < t->pub.nkeywords; i++) {
		bit = folder_keyword_bit(t->f, t->pub.keywords[i], 1, &why);
		if (bit >= 0 && bit < 64) {
			bits |= (uint64_t)1 << bit;
		} else {
			log_event(LOG_NOTICE, "keyword_dropped", "folder", t->dir,
			    "keyword", t->pub.keywords[i], "error", why, NULL);
		}
		free(why);
		why = NULL;
	}
	return bits;
}

size_t
delivery_count(const struct delivery *d)
{
	return d->nt;
}

struct delivery_target *
delivery_target(struct delivery *d, size_t i)
{
	return i < d->nt ? &d->t[i].pub : NULL;
}

static void
fail_target(struct target *t, int err, const char *why)
{
	t->pub.status = -1;
	t->pub.err = err ? err : EIO;
	free(t->pub.why);
	t->pub.why = mem_strdup(why ? why : strerror(t->pub.err));
}

/* ---- copies on other partitions ---- */

static int
copy_file(int from, const char *to, char **why_r)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;
	int fd = file_open(to, O_WRONLY | O_CREAT | O_EXCL, 0600), rc = 0;

	if (fd < 0)
		return file_why(why_r, to);
	while ((n = pread(from, buf, sizeof(buf), off)) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			rc = file_why(why_r, to);
			break;
		}
		off += n;
	}
	if (n < 0)
		rc = file_why(why_r, to);
	close(fd);
	if (rc < 0)
		(void)unlink(to);
	return rc;
}

static struct partcopy *
copy_for(struct delivery *d, const char *partition, char **why_r)
{
	struct partcopy *c;
	char *path;
	size_t i;

	for (i = 0; i < d->ncopies; i++)
		if (strcmp(d->copies[i].partition, partition) == 0)
			return &d->copies[i];
	if ((path = tmp_name(d->s, partition, why_r)) == NULL)
		return NULL;
	if (copy_file(d->fd, path, why_r) < 0) {
		free(path);
		return NULL;
	}
	d->copies = mem_realloc(d->copies, d->ncopies + 1, sizeof(*d->copies));
	c = &d->copies[d->ncopies++];
	c->partition = mem_strdup(partition);
	c->path = path;
	c->synced = 0;
	return c;
}

/* ---- syncing ---- */

static int
use_syncfs(struct delivery *d, size_t ntargets)
{
	int mode = d->s->conf->sync_mode;

	return mode == SYNC_SYNCFS || (mode == SYNC_AUTO && ntargets > 1);
}

static int
fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Step 3: message data and new directory entries durable. */
static int
sync_links(struct delivery *d, struct target **b, size_t n, char **why_r)
{
	size_t i, j;

	if (d->batch) {
		d->s->dirty = 1;
		return 0;
	}
	if (use_syncfs(d, n)) {
		for (i = 0; i < d->ncopies; i++) {
			if (file_syncfs(d->copies[i].path) < 0)
				return file_why(why_r, "syncfs");
			d->copies[i].synced = 1;
		}
		return 0;
	}
	for (i = 0; i < d->ncopies; i++)
		if (!d->copies[i].synced) {
			if (fsync_path(d->copies[i].path, 0) < 0)
				return file_why(why_r, d->copies[i].path);
			d->copies[i].synced = 1;
		}
	for (i = 0; i < n; i++) {
		if (!b[i]->linked)
			continue;
		for (j = 0; j < i; j++)
			if (b[j]->linked && strcmp(b[j]->dir, b[i]->dir) == 0)
				break;
		if (j == i && fsync_path(b[i]->dir, 1) < 0)
			return file_why(why_r, b[i]->dir);
	}
	return 0;
}

/*
 * Step 5: the records durable. Only the index and the cache are synced:
 * the folder state is recomputed from the index records when a crash
 * lost its last record (folder.h), and the account's counters are
 * derived data that reconstruct recomputes (popstore(5)), so neither is
 * worth a sync per delivery.
 */
static int
sync_records(struct delivery *d, struct target **b, size_t n, char **why_r)
{
	int fds[2], k, m;
	size_t i;

	if (d->batch) {
		d->s->dirty = 1;
		return 0;
	}
	if (use_syncfs(d, n)) {
		for (i = 0; i < d->ncopies; i++)
			if (file_syncfs(d->copies[i].path) < 0)
				return file_why(why_r, "syncfs");
		if (file_syncfs(d->s->dir) < 0)
			return file_why(why_r, "syncfs");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!b[i]->appended)
			continue;
		/* The index and the cache come first (folder_sync_fds()). */
		m = folder_sync_fds(b[i]->f, fds, 2);
		for (k = 0; k < m; k++)
			if (fdatasync(fds[k]) < 0)
				return file_why(why_r, b[i]->dir);
	}
	return 0;
}

/* ---- one batch ---- */

static int
cmp_target(const void *a, const void *b)
{
	const struct target *const *x = a, *const *y = b;

	return strcmp((*x)->dir, (*y)->dir);
}

/* A UID.eml without a record: adopt it (a delivery died after linking). */
static int
adopt(struct delivery *d, struct target *t, uint32_t uid, char **why_r)
{
	struct buf payload = BUF_INIT;
	struct msgrec r;
	struct stat st;
	int fd, rc;

	memset(&r, 0, sizeof(r));
	fd = folder_open_message(t->f, uid, why_r);
	if (fd < 0)
		return -1;
	rc = delivery_parse_fd(fd, NULL, &payload, &r.header_len, &r.body_lines,
	    &r.flags, &r.size, why_r);
	if (rc == 0 && fstat(fd, &st) == 0) {
		r.uid = uid;
		r.internaldate = (int64_t)st.st_mtime;
		r.tzoff = (int16_t)local_tzoff(st.st_mtime);
		rc = folder_append_record(t->f, &r, payload.data, payload.len,
		    why_r);
	}
	close(fd);
	buf_free(&payload);
	if (rc == 0) {
		log_eventf(LOG_NOTICE, "adopted", "folder=%s uid=%u", t->dir, uid);
		(void)d;
	}
	return rc;
}

/*
 * The account's message_count and quota_used are set from its folders
 * (folder_totals) under the account lock rather than incremented, so a
 * delivery that died between its index record and its counter update
 * leaves nothing wrong once any later delivery to the account is done.
 */
struct counts {
	struct store	*s;
	const struct acct *a;
	uint64_t	 n, bytes;	/* newly received */
	int		 failed;
};

static int
recount(struct usage *u, void *ctx)
{
	struct counts *c = ctx;
	uint64_t msgs, bytes;

	if (folder_totals(c->s, c->a, &msgs, &bytes, NULL) < 0) {
		c->failed = 1;
		return 1;
	}
	u->message_count = msgs;
	u->quota_used = bytes;
	u->messages_received += c->n;
	u->bytes_received += c->bytes;
	return 0;
}

static int
update_counts(struct delivery *d, const struct acct *a, uint64_t n,
    uint64_t bytes, char **why_r)
{
	struct counts c = { d->s, a, n, bytes, 0 };

	if (usage_update(d->s, a->name, recount, &c, 0, why_r) < 0)
		return -1;
	if (c.failed)
		return file_whyf(why_r, "%s: folders could not be counted",
		    a->name);
	return 0;
}

static int
link_target(struct delivery *d, struct target *t, char **why_r)
{
	struct buf path = BUF_INIT;
	struct partcopy *c;
	uint32_t uid;
	int tries, rc = -1;

	if ((c = copy_for(d, t->acct.partition, why_r)) == NULL)
		return -1;
	/*
	 * The data is durable before any folder entry names it: a crash
	 * between the link and the sync of step 3 must not leave a short
	 * file that reconstruct would take for a message.
	 */
	if (!c->synced && !d->batch) {
		if (fsync_path(c->path, 0) < 0)
			return file_why(why_r, c->path);
		c->synced = 1;
	}
	for (tries = 0; tries < 1000; tries++) {
		uid = folder_uidnext(t->f);
		buf_reset(&path);
		buf_printf(&path, "%s/%u.eml", t->dir, uid);
		if (link(c->path, path.data) == 0) {
			t->pub.uid = uid;
			t->linked = 1;
			rc = 0;
			break;
		}
		if (errno != EEXIST) {
			file_why(why_r, path.data);
			break;
		}
		if (adopt(d, t, uid, why_r) < 0)
			break;
		(void)update_counts(d, &t->acct, 0, 0, NULL);
	}
	buf_free(&path);
	return rc;
}

static void
undo(struct target *t)
{
	struct buf path = BUF_INIT;

	if (t->linked) {
		buf_printf(&path, "%s/%u.eml", t->dir, t->pub.uid);
		(void)unlink(path.data);
		t->linked = 0;
	}
	buf_free(&path);
}

static int
is_uid(const struct msgrec *r, void *ctx)
{
	return r->uid == *(const uint32_t *)ctx;
}

/*
 * Take back a target whose record was appended (its sync or counters
 * failed, or the caller gives it up): expunge the record and file, so
 * the MTA's retry does not store it twice. The UID stays used.
 */
static int
unappend(struct delivery *d, struct target *t, char **why_r)
{
	struct folder *f = t->f;
	uint32_t uid = t->pub.uid;
	long rc;

	if (f == NULL && folder_open_id(d->s, &t->acct, t->pub.folder_id, 0, &f,
	    why_r) <= 0)
		return -1;
	rc = folder_expunge(f, is_uid, NULL, &uid, why_r);
	if (f != t->f)
		folder_close(f);
	if (rc < 0) {
		log_eventf(LOG_ERR, "undo_failed", "folder=%s uid=%u "
		    "note=may-be-delivered-twice", t->dir, uid);
		return -1;
	}
	t->appended = 0;
	t->linked = 0;
	return 0;
}

static int
append_target(struct delivery *d, struct target *t, char **why_r)
{
	struct msgrec r;

	memset(&r, 0, sizeof(r));
	r.uid = t->pub.uid;
	r.flags = t->pub.flags | d->msgflags;
	r.keywords = keyword_bits(t);
	r.internaldate = d->idate;
	r.tzoff = d->tzoff;
	r.size = d->size;
	r.header_len = d->header_len;
	r.body_lines = d->body_lines;
	if (folder_append_record(t->f, &r, d->payload.data, d->payload.len,
	    why_r) < 0)
		return -1;
	t->appended = 1;
	t->pub.uidvalidity = folder_state(t->f)->uidvalidity;
	return 0;
}

static void
close_batch(struct target **b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		folder_close(b[i]->f);
		b[i]->f = NULL;
	}
}

static void
run_batch(struct delivery *d, struct target **b, size_t n)
{
	uint64_t nmsgs;
	char *why = NULL;
	size_t i, j, ok = 0;
	int rc;

	qsort(b, n, sizeof(*b), cmp_target);
	for (i = 0; i < n; i++) {
		rc = folder_open_id(d->s, &b[i]->acct, b[i]->pub.folder_id, 0,
		    &b[i]->f, &why);
		if (rc <= 0 || folder_lock(b[i]->f, &why) < 0 ||
		    link_target(d, b[i], &why) < 0) {
			fail_target(b[i], rc == 0 ? ENOENT : errno,
			    rc == 0 ? "no such folder" : why);
			free(why);
			why = NULL;
		}
	}
	if (sync_links(d, b, n, &why) < 0)
		goto fail_all;
	for (i = 0; i < n; i++) {
		if (!b[i]->linked)
			continue;
		if (append_target(d, b[i], &why) < 0) {
			fail_target(b[i], errno, why);
			free(why);
			why = NULL;
			undo(b[i]);
		}
	}
	/* Counters: once per account, innermost lock. */
	for (i = 0; i < n; i++) {
		if (!b[i]->appended)
			continue;
		for (j = 0; j < i; j++)
			if (b[j]->appended &&
			    strcmp(b[j]->acct.name, b[i]->acct.name) == 0)
				break;
		if (j < i)
			continue;
		nmsgs = 0;
		for (j = i; j < n; j++)
			if (b[j]->appended &&
			    strcmp(b[j]->acct.name, b[i]->acct.name) == 0)
				nmsgs++;
		if (update_counts(d, &b[i]->acct, nmsgs, nmsgs * d->size,
		    &why) == 0)
			continue;
		/* Counters that cannot be written: give the copies up. */
		for (j = i; j < n; j++)
			if (b[j]->appended &&
			    strcmp(b[j]->acct.name, b[i]->acct.name) == 0) {
				fail_target(b[j], errno, why);
				(void)unappend(d, b[j], NULL);
			}
		free(why);
		why = NULL;
	}
	if (sync_records(d, b, n, &why) < 0)
		goto fail_all;
	for (i = 0; i < n; i++)
		if (b[i]->appended) {
			b[i]->pub.status = 1;
			ok++;
		}
	close_batch(b, n);
	(void)ok;
	return;
fail_all:
	for (i = 0; i < n; i++) {
		if (b[i]->pub.status < 0)
			continue;
		fail_target(b[i], errno, why);
		if (b[i]->appended)
			(void)unappend(d, b[i], NULL);
		else
			undo(b[i]);
	}
	free(why);
	close_batch(b, n);
}

int
delivery_commit(struct delivery *d, char **why_r)
{
	struct target **b;
	size_t i, n = 0;
	int stored = 0;

	if (!d->ended && delivery_end_data(d, why_r) < 0)
		return -1;
	b = mem_alloc(BATCH_MAX, sizeof(*b));
	for (i = 0; i <= d->nt; i++) {
		if (i < d->nt && d->t[i].pub.status == 0)
			b[n++] = &d->t[i];
		if (n == BATCH_MAX || (i == d->nt && n > 0)) {
			run_batch(d, b, n);
			n = 0;
		}
	}
	free(b);
	for (i = 0; i < d->nt; i++)
		stored += d->t[i].pub.status == 1;
	return stored;
}

int
delivery_undo(struct delivery *d, struct delivery_target *pub, char **why_r)
{
	struct target *t = (struct target *)pub;	/* pub is the first member */

	if (pub->status != 1)
		return 0;
	if (unappend(d, t, why_r) < 0)
		return -1;
	pub->status = 0;
	return 0;
}

int
delivery_fd(const struct delivery *d)
{
	return d->fd;
}

void
delivery_free(struct delivery *d)
{
	size_t i, j;

	if (d == NULL)
		return;
	if (d->fd >= 0)
		close(d->fd);
	for (i = 0; i < d->ncopies; i++) {
		if (d->copies[i].path)
			(void)unlink(d->copies[i].path);
		free(d->copies[i].path);
		free(d->copies[i].partition);
	}
	free(d->copies);
	for (i = 0; i < d->nt; i++) {
		folder_close(d->t[i].f);
		free(d->t[i].dir);
		free(d->t[i].pub.why);
		for (j = 0; j < d->t[i].pub.nkeywords; j++)
			free(d->t[i].pub.keywords[j]);
		free(d->t[i].pub.keywords);
	}
	free(d->t);
	buf_free(&d->payload);
	free(d->sender);
	free(d->uidl);
	free(d);
}

/* ---- parsing ---- */

/* The address of a leading Return-Path header, for adopted files. */
static void
return_path(const char *msg, size_t len, struct buf *out)
{
	const char *p, *end;

	if (len < 13 || strncasecmp(msg, "Return-Path:", 12) != 0)
		return;
	p = msg + 12;
	end = memchr(p, '\n', len - 12);
	if (end == NULL)
		return;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '<'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == '>' || end[-1] == ' '))
		end--;
	if (end - p < 1000)
		buf_append(out, p, (size_t)(end - p));
}

int
delivery_parse_fd(int fd, const char *sender, struct buf *payload,
    uint32_t *header_len_r, uint32_t *body_lines_r, uint32_t *flags_r,
    uint64_t *size_r, char **why_r)
{
	struct msgparse mp;
	struct buf from = BUF_INIT;
	struct stat st;
	void *map = NULL;
	int rc;

	if (fstat(fd, &st) < 0)
		return file_why(why_r, "message");
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return file_why(why_r, "mmap message");
	}
	rc = msgparse_run(map ? map : "", (size_t)st.st_size, &mp, payload);
	if (rc == 0) {
		if (sender == NULL)
			return_path(map ? map : "", (size_t)st.st_size, &from);
		cache_put(payload, CACHE_SENDER, sender ? sender : buf_cstr(&from),
		    sender ? strlen(sender) : from.len);
		*header_len_r = mp.header_len;
		*body_lines_r = mp.body_lines;
		*flags_r = mp.needs_stuffing ? MSG_NEEDS_STUFFING : 0;
		*size_r = (uint64_t)st.st_size;
	} else {
		file_whyf(why_r, "message could not be parsed");
	}
	if (map)
		munmap(map, (size_t)st.st_size);
	buf_free(&from);
	return rc;
}
