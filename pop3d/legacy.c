/*
 * legacy - the maildrop of a login user without a store account: the
 * Berkeley mailbox LEGACY_MAIL_DIR/NAME written by the MTA (mbox.h).
 *
 * The mailbox is indexed at login under a shared (fcntl) lock and then
 * read without one: mail appended meanwhile is not shown, and a file
 * rewritten by another program is noticed (ESTALE) before anything is
 * served from it. QUIT rewrites it under the exclusive lock, keeping
 * every message not deleted and everything appended since login.
 * Retrieved messages are not marked (the file is only changed to delete).
 *
 * Message ids (UIDL) are not stored in the file: a message's id is made
 * from its From_ line, its header and its size, so it stays the same
 * from one session to the next and across rewrites.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "crc.h"
#include "file.h"
#include "mbox.h"
#include "migrate.h"
#include "mem.h"
#include "netio.h"
#include "pop3d.h"

#define LEGACY_NAME_MAX	32

struct ldrop {
	struct mbox_file *mb;		/* NULL: no mailbox file yet */
	unsigned	 lock_timeout;
};

int
legacy_user(const struct conf *conf, const char *name, struct buf *path)
{
	const char *dir = conf->legacy_mail_dir;
	struct passwd *pw;
	size_t i, n = strlen(name);

	if (dir == NULL || dir[0] == '\0' || n == 0 || n > LEGACY_NAME_MAX ||
	    name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) &&
		    name[i] != '.' && name[i] != '-' && name[i] != '_')
			return 0;
	if ((pw = getpwnam(name)) == NULL || pw->pw_uid == 0)
		return 0;
	if (path)
		buf_printf(path, "%s/%s", dir, name);
	return 1;
}

/* ---- sending: LF to CRLF, dot-stuffing, TOP's line limit ---- */

struct sendctx {
	struct netio	*io;
	int64_t		 lines;		/* body lines left; < 0: all */
	int		 in_header;
	int		 started;	/* "+OK" sent */
	int		 err;		/* netio failure */
	char		 last;		/* last byte sent */
	uint64_t	 sent;
};

static int
send_piece(void *vctx, const char *p, size_t len, int bol)
{
	struct sendctx *c = vctx;
	int eol = p[len - 1] == '\n';
	size_t body = len;

	if (!c->started) {
		c->started = 1;
		if ((c->err = netio_puts(c->io, "+OK\r\n")) < 0)
			return 1;
	}
	if (!c->in_header && c->lines == 0)
		return 1;
	if (bol && p[0] == '.' && (c->err = netio_write(c->io, ".", 1)) < 0)
		return 1;
	if (eol)
		body = len >= 2 && p[len - 2] == '\r' ? len - 2 : len - 1;
	if ((c->err = netio_write(c->io, p, body)) < 0 ||
	    (eol && (c->err = netio_write(c->io, "\r\n", 2)) < 0))
		return 1;
	c->sent += body + (eol ? 2 : 0);
	c->last = eol ? '\n' : p[len - 1];
	if (bol && eol && body == 0 && c->in_header)
		c->in_header = 0;
	else if (eol && !c->in_header && c->lines > 0)
		c->lines--;
	return 0;
}

static int
ld_send(struct drop *d, uint32_t i, int64_t lines, struct netio *io,
    uint64_t *sent_r, char **why_r)
{
	struct ldrop *ld = d->impl;
	struct sendctx c = { io, lines, 1, 0, 0, '\n', 0 };
	int rc;

	*sent_r = 0;
	rc = mbox_read(ld->mb, i, send_piece, &c, why_r);
	if (c.err < 0 || (rc < 0 && c.started))
		return DROP_NETIO;
	if (rc < 0)
		return -1;
	if (!c.started && netio_puts(io, "+OK\r\n") < 0)
		return DROP_NETIO;
	if ((c.last != '\n' && netio_write(io, "\r\n", 2) < 0) ||
	    netio_write(io, ".\r\n", 3) < 0)
		return DROP_NETIO;
	*sent_r = c.sent;
	return 0;
}

/* ---- the rest of the maildrop ---- */

static int
ld_size(struct drop *d, uint32_t i, uint64_t *size_r, char **why_r)
{
	struct ldrop *ld = d->impl;
	const struct mbox_msg *m = mbox_msg(ld->mb, i);

	if (m == NULL) {
		errno = EINVAL;
		return file_whyf(why_r, "no message %u", i + 1);
	}
	*size_r = m->crlf_size;
	return 0;
}

/* The same id migrate(8) keeps, so a migrated mailbox is not fetched again. */
static int
ld_uidl(struct drop *d, uint32_t i, struct buf *out, char **why_r)
{
	struct ldrop *ld = d->impl;

	return migrate_mbox_uidl(ld->mb, i, out, why_r);
}

static int
ld_exists(struct drop *d, uint32_t i, char **why_r)
{
	(void)d;
	(void)i;
	(void)why_r;
	return 1;
}

static int
ld_want_deleted(size_t i, void *ctx)
{
	struct drop *d = ctx;

	return i < d->count && drop_bit(d->dele, (uint32_t)i);
}

static int
ld_commit(struct drop *d, int update, uint32_t *removed_r, char **why_r)
{
	struct ldrop *ld = d->impl;
	long n;

	*removed_r = 0;
	if (!update || d->ndeleted == 0 || ld->mb == NULL)
		return 0;
	if (mbox_lock(ld->mb, MBOX_LOCK_EXCLUSIVE, ld->lock_timeout, why_r) < 0)
		return -1;
	n = mbox_expunge(ld->mb, ld_want_deleted, d, why_r);
	mbox_unlock(ld->mb);
	if (n < 0)
		return -1;
	*removed_r = (uint32_t)n;
	return 0;
}

static void
ld_close(struct drop *d)
{
	struct ldrop *ld = d->impl;

	mbox_close(ld->mb);
	free(ld);
}

static const struct drop_ops legacy_ops = {
	ld_size, ld_uidl, ld_send, ld_exists, ld_commit, ld_close
};

int
drop_open_legacy(const char *path, unsigned lock_timeout, struct drop **d_r,
    char **why_r)
{
	struct ldrop *ld = mem_zalloc(1, sizeof(*ld));
	uint64_t bytes = 0;
	size_t i, n = 0;
	int rc;

	ld->lock_timeout = lock_timeout;
	rc = mbox_open(path, 0, &ld->mb, why_r);
	if (rc > 0 && (mbox_lock(ld->mb, MBOX_LOCK_SHARED, lock_timeout,
	    why_r) < 0 || mbox_scan(ld->mb, why_r) < 0))
		rc = -1;
	if (rc < 0) {
		int saved = errno;

		mbox_close(ld->mb);
		free(ld);
		errno = saved;
		return -1;
	}
	if (ld->mb) {
		mbox_unlock(ld->mb);
		n = mbox_count(ld->mb);
		for (i = 0; i < n; i++)
			bytes += mbox_msg(ld->mb, i)->crlf_size;
	}
	if (n > UINT32_MAX - 1) {
		mbox_close(ld->mb);
		free(ld);
		errno = EFBIG;
		return file_whyf(why_r, "%s: too many messages", path);
	}
	*d_r = drop_new(&legacy_ops, ld, (uint32_t)n, bytes);
	return 0;
}
