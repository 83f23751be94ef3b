/*
 * drop - the session's maildrop: numbered messages, DELE and RETR marks,
 * and its store backend (an account's INBOX).
 *
 * The message list is the folder as it was at login: the session keeps
 * reading the index it opened, so mail delivered later is not shown and
 * numbers never move, even when another session expunges (the index is
 * then replaced; ours stays readable through its descriptor). Memory is
 * two bits per message (DELE, RETR) besides the folder's record chunk.
 * Changes are made at the end, through a second, current handle of the
 * folder: message UIDs are matched between the two in one merge walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "folder.h"
#include "mem.h"
#include "netio.h"
#include "pop3d.h"
#include "store.h"

#define TOP_CHUNK	65536	/* body bytes read at once to find lines */

/* ---- the generic part ---- */

struct drop *
drop_new(const struct drop_ops *ops, void *impl, uint32_t count,
    uint64_t bytes)
{
	struct drop *d = mem_zalloc(1, sizeof(*d));
	size_t n = ((size_t)count + 7) / 8 + 1;

	d->ops = ops;
	d->impl = impl;
	d->count = count;
	d->bytes = bytes;
	d->dele = mem_zalloc(n, 1);
	d->seen = mem_zalloc(n, 1);
	return d;
}

int
drop_bit(const unsigned char *bits, uint32_t i)
{
	return (bits[i / 8] >> (i % 8)) & 1;
}

void
drop_set_bit(unsigned char *bits, uint32_t i, int on)
{
	if (on)
		bits[i / 8] |= (unsigned char)(1u << (i % 8));
	else
		bits[i / 8] &= (unsigned char)~(1u << (i % 8));
}

int
drop_mark_deleted(struct drop *d, uint32_t i, uint64_t size)
{
	if (drop_bit(d->dele, i))
		return 0;
	drop_set_bit(d->dele, i, 1);
	d->ndeleted++;
	d->deleted_bytes += size;
	return 1;
}

void
drop_mark_seen(struct drop *d, uint32_t i)
{
	if (!drop_bit(d->seen, i)) {
		drop_set_bit(d->seen, i, 1);
		d->nseen++;
	}
}

void
drop_undelete_all(struct drop *d)
{
	memset(d->dele, 0, ((size_t)d->count + 7) / 8 + 1);
	d->ndeleted = 0;
	d->deleted_bytes = 0;
}

void
drop_close(struct drop *d)
{
	if (d == NULL)
		return;
	d->ops->close(d);
	free(d->dele);
	free(d->seen);
	free(d);
}

/* ---- the store backend ---- */

struct sdrop {
	struct store	*s;
	struct acct	 acct;		/* the password fields wiped */
	struct folder	*view;		/* the folder as at login */
	char		*chunk;		/* TOP's read buffer */
};

/* A cursor over the view, advanced in UID order (the merge walk). */
struct cursor {
	struct drop	*d;
	uint32_t	 seq;
	uint32_t	 uid;		/* UID at seq; UINT32_MAX past the end */
};

static void
cursor_load(struct cursor *c)
{
	struct sdrop *sd = c->d->impl;
	struct msgrec r;

	while (c->seq < c->d->count) {
		if (folder_record(sd->view, c->seq, &r, NULL) == 1) {
			c->uid = r.uid;
			return;
		}
		c->seq++;	/* a damaged record: never matched */
	}
	c->uid = UINT32_MAX;
}

/* The view position of uid, or -1 when the view does not hold it. */
static int64_t
cursor_find(struct cursor *c, uint32_t uid)
{
	while (c->uid < uid) {
		c->seq++;
		cursor_load(c);
	}
	return c->uid == uid ? (int64_t)c->seq : -1;
}

static void
cursor_start(struct cursor *c, struct drop *d)
{
	c->d = d;
	c->seq = 0;
	cursor_load(c);
}

static int
sd_record(struct drop *d, uint32_t i, struct msgrec *r, char **why_r)
{
	struct sdrop *sd = d->impl;
	int rc = folder_record(sd->view, i, r, why_r);

	if (rc == 0) {
		errno = EINVAL;
		return file_whyf(why_r, "no message %u in the view", i + 1);
	}
	return rc < 0 ? -1 : 0;
}

static int
sd_size(struct drop *d, uint32_t i, uint64_t *size_r, char **why_r)
{
	struct msgrec r;

	if (sd_record(d, i, &r, why_r) < 0)
		return -1;
	*size_r = r.size;
	return 0;
}

static int
sd_uidl(struct drop *d, uint32_t i, struct buf *out, char **why_r)
{
	struct sdrop *sd = d->impl;
	struct msgrec r;

	if (sd_record(d, i, &r, why_r) < 0)
		return -1;
	folder_uidl(sd->view, &r, out);
	return 0;
}

/* The length of the header and the first lines body lines. */
static int
top_length(struct sdrop *sd, int fd, const struct msgrec *r, uint64_t lines,
    uint64_t *len_r, char **why_r)
{
	uint64_t off = r->header_len < r->size ? r->header_len : r->size;
	const char *p, *q, *end;
	ssize_t got;

	*len_r = off;
	if (lines == 0)
		return 0;
	if (sd->chunk == NULL)
		sd->chunk = mem_alloc(1, TOP_CHUNK);
	while (off < r->size) {
		got = pread(fd, sd->chunk, r->size - off < TOP_CHUNK ?
		    (size_t)(r->size - off) : TOP_CHUNK, (off_t)off);
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return file_why(why_r, "message read");
		}
		end = sd->chunk + got;
		for (p = sd->chunk; (q = memchr(p, '\n', (size_t)(end - p)));
		    p = q + 1)
			if (--lines == 0) {
				*len_r = off + (uint64_t)(q + 1 - sd->chunk);
				return 0;
			}
		off += (uint64_t)got;
	}
	*len_r = r->size;
	return 0;
}

static int
sd_send(struct drop *d, uint32_t i, int64_t lines, struct netio *io,
    uint64_t *sent_r, char **why_r)
{
	struct sdrop *sd = d->impl;
	struct msgrec r;
	uint64_t len;
	char last = '\n';
	int fd, rc;

	*sent_r = 0;
	if (sd_record(d, i, &r, why_r) < 0)
		return -1;
	if ((fd = folder_open_message(sd->view, r.uid, why_r)) < 0)
		return errno == ENOENT ? DROP_GONE : -1;
	len = r.size;
	if (lines >= 0 && (uint64_t)lines < r.body_lines) {
		if (top_length(sd, fd, &r, (uint64_t)lines, &len, why_r) < 0) {
			close(fd);
			return -1;
		}
	} else if (len > 0 && pread(fd, &last, 1, (off_t)len - 1) != 1) {
		file_why(why_r, "message read");
		close(fd);
		return -1;
	}
	if (len > 0 && len < r.size)
		last = '\n';	/* TOP stops after a line's LF */
	rc = netio_printf(io, "+OK %llu octets\r\n", (unsigned long long)len);
	if (rc == 0)
		rc = (r.flags & MSG_NEEDS_STUFFING) ?
		    netio_send_dotstuffed(io, fd, 0, len) :
		    netio_sendfile(io, fd, 0, len);
	if (rc == 0 && last != '\n')
		rc = netio_write(io, "\r\n", 2);
	if (rc == 0)
		rc = netio_write(io, ".\r\n", 3);
	close(fd);
	if (rc < 0)
		return DROP_NETIO;
	*sent_r = len;
	return 0;
}

static int
sd_exists(struct drop *d, uint32_t i, char **why_r)
{
	struct sdrop *sd = d->impl;
	struct msgrec r;
	int fd;

	if (sd_record(d, i, &r, why_r) < 0)
		return -1;
	if ((fd = folder_open_message(sd->view, r.uid, why_r)) < 0)
		return errno == ENOENT ? 0 : -1;
	close(fd);
	return 1;
}

/* The folder as it is now, locked: a writer handle. */
static int
writer_open(struct sdrop *sd, struct folder **w_r, char **why_r)
{
	int attempt, rc, e;

	for (attempt = 0;; attempt++) {
		rc = folder_open(sd->s, &sd->acct, "INBOX", 0, w_r, why_r);
		if (rc <= 0)
			return rc == 0 ? file_whyf(why_r, "no INBOX") : -1;
		if (folder_lock(*w_r, why_r) == 0)
			return 0;
		e = errno;
		folder_close(*w_r);
		/* ESTALE: expunged between open and lock; take the new one */
		if (e != ESTALE || attempt == 3)
			return -1;
		free(*why_r);
		*why_r = NULL;
	}
}

/* \Seen on the current records of the messages RETR sent. */
static int
mark_seen(struct drop *d, struct folder *w, char **why_r)
{
	struct cursor c;
	struct msgrec r;
	uint32_t i, n = folder_count(w);
	int64_t pos;

	cursor_start(&c, d);
	for (i = 0; i < n && c.uid != UINT32_MAX; i++) {
		if (folder_record(w, i, &r, NULL) != 1)
			continue;
		pos = cursor_find(&c, r.uid);
		if (pos < 0 || !drop_bit(d->seen, (uint32_t)pos) ||
		    (r.flags & MSG_SEEN))
			continue;
		if (folder_store(w, i, MSG_SEEN, 0, 0, 0, 0, &r, why_r) < 0)
			return -1;
	}
	return folder_sync(w, why_r);
}

static int
sd_want_deleted(const struct msgrec *r, void *ctx)
{
	struct cursor *c = ctx;
	int64_t pos = cursor_find(c, r->uid);

	return pos >= 0 && drop_bit(c->d->dele, (uint32_t)pos);
}

static int
sd_commit(struct drop *d, int update, uint32_t *removed_r, char **why_r)
{
	struct sdrop *sd = d->impl;
	struct folder *w;
	struct cursor c;
	long n = 0;
	int rc = 0;

	*removed_r = 0;
	update = update && d->ndeleted > 0;
	if (d->nseen == 0 && !update)
		return 0;
	if (writer_open(sd, &w, why_r) < 0)
		return -1;
	if (d->nseen > 0)
		rc = mark_seen(d, w, why_r);
	if (rc == 0 && update) {
		cursor_start(&c, d);
		n = folder_expunge(w, sd_want_deleted, NULL, &c, why_r);
		rc = n < 0 ? -1 : 0;
	}
	folder_unlock(w);
	folder_close(w);
	if (rc == 0)
		*removed_r = (uint32_t)n;
	return rc;
}

static void
sd_close(struct drop *d)
{
	struct sdrop *sd = d->impl;

	folder_close(sd->view);
	free(sd->chunk);
	free(sd);
}

static const struct drop_ops store_ops = {
	sd_size, sd_uidl, sd_send, sd_exists, sd_commit, sd_close
};

int
drop_open_store(struct store *s, const struct acct *a, struct drop **d_r,
    char **why_r)
{
	struct sdrop *sd = mem_zalloc(1, sizeof(*sd));
	int rc;

	sd->s = s;
	sd->acct = *a;
	acct_wipe(&sd->acct);
	rc = folder_open(s, a, "INBOX", FOLDER_RDONLY, &sd->view, why_r);
	if (rc <= 0) {
		if (rc == 0)
			file_whyf(why_r, "%s has no INBOX", a->name);
		free(sd);
		return -1;
	}
	*d_r = drop_new(&store_ops, sd, folder_count(sd->view),
	    folder_state(sd->view)->bytes);
	return 0;
}
