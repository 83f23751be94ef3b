/*
 * The sources: a Berkeley mailbox, read under a shared (fcntl) lock so
 * that the MTA does not append meanwhile, and a Maildir. Each message
 * is stored in the INBOX by delivery.h with its flags, date, envelope
 * sender and UIDL, unless its UIDL is already there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "crc.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "maildir.h"
#include "mbox.h"
#include "mboxlist.h"
#include "mime.h"
#include "mig.h"
#include "store.h"

#define PROGRESS_EVERY	1000

/* One message to store. */
struct msg {
	struct buf	 text;		/* LF or CRLF line ends */
	size_t		 hdr_len;	/* bytes of its header block */
	struct buf	 sender;	/* envelope sender ("" = <>) */
	struct buf	 uidl;
	uint32_t	 flags;
	int64_t		 date;
};

static void
msg_reset(struct msg *x)
{
	buf_reset(&x->text);
	buf_reset(&x->sender);
	buf_reset(&x->uidl);
	x->hdr_len = 0;
	x->flags = 0;
	x->date = 0;
}

static void
msg_free(struct msg *x)
{
	buf_free(&x->text);
	buf_free(&x->sender);
	buf_free(&x->uidl);
}

/* The length of the header block of text (through its empty line). */
static size_t
header_len(const char *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		j = i + 1;
		if (j < len && p[j] == '\n')
			return j + 1;
		if (j + 1 < len && p[j] == '\r' && p[j + 1] == '\n')
			return j + 2;
	}
	return len;
}

/* Store x in the INBOX of t (0), or note what -n would do. */
static int
store_msg(struct target *t, struct msg *x, struct tally *n, char **why_r)
{
	struct delivery *d = NULL;
	struct delivery_target *dt;
	const char *uidl = buf_cstr(&x->uidl);
	int rc = -1;

	migrate_uidls_add(&t->src, uidl);
	if (migrate_uidls_has(&t->have, uidl)) {
		n->present++;
		return 0;
	}
	n->added++;
	migrate_uidls_add(&t->have, uidl);
	if (t->m->dry)
		return 0;
	mig_as_store(t->m);
	if (delivery_begin(t->m->s, buf_cstr(&x->sender), &d, why_r) < 0)
		goto out;
	delivery_set_batch(d, 1);
	delivery_set_date(d, x->date ? x->date : (int64_t)time(NULL), 0);
	delivery_set_uidl(d, uidl);	/* before end_data: it goes in the cache */
	if (delivery_write_lf(d, x->text.data, x->text.len, why_r) < 0 ||
	    delivery_end_data(d, why_r) < 0)
		goto out;
	dt = delivery_add(d, t->a, MBOX_INBOX_ID, x->flags);
	if (delivery_commit(d, why_r) < 0)
		goto out;
	if (dt->status != 1) {
		(void)file_whyf(why_r, "%s", dt->why ? dt->why : "not stored");
		goto out;
	}
	rc = 0;
out:
	delivery_free(d);
	mig_as_invoker(t->m);
	if (rc == 0 && ++t->m->unsynced >= MIG_SYNC_EVERY)
		rc = mig_sync(t->m, why_r);
	return rc;
}

static void
progress(struct target *t, const char *what, unsigned long i,
    unsigned long total)
{
	if (t->m->verbose && i % PROGRESS_EVERY == 0)
		fprintf(stderr, "migrate: %s: %s: %lu of %lu\n", t->user, what,
		    i, total);
}

/* ---- Berkeley mailboxes ---- */

static int
append_piece(void *ctx, const char *p, size_t len, int bol)
{
	(void)bol;
	buf_append(ctx, p, len);
	return 0;
}

static int
mbox_one(struct target *t, struct mbox_file *mb, size_t i, struct msg *x,
    char **why_r)
{
	msg_reset(x);
	if (mbox_read(mb, i, append_piece, &x->text, why_r) < 0 ||
	    mbox_envelope(mb, i, &x->sender, &x->date, why_r) < 0)
		return -1;
	x->hdr_len = header_len(x->text.data, x->text.len);
	x->flags = migrate_status_flags(x->text.data, x->hdr_len);
	if (!migrate_xuidl(x->text.data, x->hdr_len, &x->uidl) &&
	    migrate_mbox_uidl(mb, i, &x->uidl, why_r) < 0)
		return -1;
	(void)t;
	return 0;
}

int
source_mbox(struct target *t, const char *path, struct tally *n,
    char **why_r)
{
	struct mbox_file *mb = NULL;
	struct msg x;
	size_t i, count;
	int rc;

	memset(&x, 0, sizeof(x));
	rc = mbox_open(path, MBOX_RDONLY | (t->m->mboxrd ? MBOX_MBOXRD : 0),
	    &mb, why_r);
	if (rc <= 0)
		return rc;
	rc = -1;
	if (mbox_lock(mb, MBOX_LOCK_SHARED,
	    (unsigned)t->m->s->conf->lock_timeout, why_r) < 0 ||
	    mbox_scan(mb, why_r) < 0)
		goto out;
	count = mbox_count(mb);
	n->found += count;
	for (i = 0; i < count; i++) {
		progress(t, path, i, count);
		if (mbox_one(t, mb, i, &x, why_r) < 0 ||
		    store_msg(t, &x, n, why_r) < 0)
			goto out;
	}
	rc = 0;
out:
	msg_free(&x);
	mbox_close(mb);
	return rc;
}

/* ---- Maildirs ---- */

/* The envelope sender from a Return-Path field, without brackets. */
static void
return_path(const char *hdr, size_t len, struct buf *out)
{
	struct buf v = BUF_INIT;
	size_t a = 0, b;

	if (mime_header_value(hdr, len, "Return-Path", &v) == 1) {
		b = v.len;
		while (a < b && (v.data[a] == '<' || v.data[a] == ' '))
			a++;
		while (b > a && strchr("> \t\r", v.data[b - 1]))
			b--;
		buf_append(out, v.data + a, b - a);
	}
	buf_free(&v);
}

static int
maildir_one(struct target *t, const struct maildir_entry *e, struct msg *x,
    char **why_r)
{
	size_t ulen = strlen(e->uniq);
	int rc;

	msg_reset(x);
	rc = file_read(e->path, t->m->s->conf->max_message_size, &x->text,
	    why_r);
	if (rc <= 0)
		return rc == 0 ? file_whyf(why_r, "%s: vanished", e->path) : -1;
	x->hdr_len = header_len(x->text.data, x->text.len);
	return_path(x->text.data, x->hdr_len, &x->sender);
	x->flags = e->flags;
	x->date = e->mtime;
	if (maildir_uidl_ok(e->uniq, ulen))
		buf_puts(&x->uidl, e->uniq);
	else
		buf_printf(&x->uidl, "md%08x%llx", crc32c(e->uniq, ulen),
		    (unsigned long long)e->size);
	return 0;
}

int
source_maildir(struct target *t, const char *dir, struct tally *n,
    char **why_r)
{
	struct maildir_list l;
	struct msg x;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	rc = maildir_list(dir, &l, why_r);
	if (rc <= 0)
		return rc;
	n->found += l.n;
	for (i = 0, rc = 0; i < l.n && rc == 0; i++) {
		progress(t, dir, i, l.n);
		rc = maildir_one(t, &l.v[i], &x, why_r);
		if (rc == 0)
			rc = store_msg(t, &x, n, why_r);
	}
	msg_free(&x);
	maildir_list_free(&l);
	return rc;
}
