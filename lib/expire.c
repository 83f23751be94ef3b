/* expire - bouncer's work on one account; see expire.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "dsn.h"
#include "expire.h"
#include "file.h"
#include "folder.h"
#include "lock.h"
#include "mboxlist.h"
#include "mem.h"
#include "mime.h"
#include "msgsum.h"
#include "store.h"

/* One folder's run: the policy, whom to tell, what to count. */
struct run {
	struct store			*s;
	const struct acct		*a;
	const struct expire_policy	*p;
	expire_fn			*fn;
	void				*ctx;
	struct expire_report		*rep;
	struct folder			*f;
	uint32_t			 id;
	uint32_t			 max_uid;	/* last record scanned */
	uint32_t			*ret;		/* UIDs to return */
	size_t				 nret, capret;
	struct expire_event		*gone;		/* what expunge took */
	size_t				 ngone, capgone;
};

static const char *const what_names[] = {
	"returned", "no-sender", "deleted", "kept"
};

const char *
expire_what_name(int what)
{
	if (what < 0 || (size_t)what >= sizeof(what_names) / sizeof(*what_names))
		return "?";
	return what_names[what];
}

static int64_t
cutoff(int64_t now, uint64_t days)
{
	if (days == 0)
		return 0;
	if (days > (uint64_t)now / EXPIRE_DAY)
		return 1;	/* before the epoch: nothing is that old */
	return now - (int64_t)days * EXPIRE_DAY;
}

int
expire_policy_init(const struct conf *c, int64_t now, struct expire_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->now = now;
	p->return_before = cutoff(now, c->return_age);
	p->delete_before = cutoff(now, c->delete_read_age ? c->delete_read_age :
	    c->return_age);
	return p->return_before != 0 || p->delete_before != 0;
}

int
expire_applies(const struct conf *c, const struct acct *a)
{
	if (a->backend[0] != '\0')
		return 0;
	return a->type == ACCT_POP || (a->type == ACCT_IMAP && c->return_imap);
}

/* ---- deciding ---- */

static int64_t
saved(const struct msgrec *r)
{
	return r->savedate ? r->savedate : r->internaldate;
}

/* The decision for one record: an enum expire_what, or -1 (stays). */
static int
decide(const struct expire_policy *p, const struct msgrec *r)
{
	int64_t t = saved(r);

	if (!(r->flags & MSG_SEEN)) {
		if (p->return_before == 0 || t >= p->return_before)
			return -1;
		return (r->flags & MSG_DELETED) ? EXPIRE_DELETED :
		    EXPIRE_RETURNED;
	}
	if (p->delete_before == 0 || t >= p->delete_before)
		return -1;
	return EXPIRE_DELETED;
}

/* The save date past which nothing in a folder can have expired. */
static int64_t
horizon(const struct expire_policy *p)
{
	return p->return_before > p->delete_before ? p->return_before :
	    p->delete_before;
}

static void
tell(struct run *x, const struct msgrec *r, int what, const char *sender,
    const char *why)
{
	struct expire_event ev;

	if (x->fn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.account = x->a->name;
	ev.folder = folder_name(x->f);
	ev.uid = r->uid;
	ev.what = what;
	ev.sender = sender;
	ev.size = r->size;
	ev.saved = saved(r);
	ev.why = why;
	x->fn(x->ctx, &ev);
}

static void dry_tell(struct run *x, const struct msgrec *r, int what);

/*
 * Read the folder's records from the first until one is too young:
 * note the UIDs to return, tell what a dry run would do. Returns the
 * number of records that will go (returned or deleted).
 */
static unsigned long
scan(struct run *x)
{
	uint32_t seq, n = folder_count(x->f);
	int64_t h = horizon(x->p);
	unsigned long hits = 0;
	struct msgrec r;
	int what;

	x->max_uid = 0;
	for (seq = 0; seq < n; seq++) {
		if (folder_record(x->f, seq, &r, NULL) != 1)
			continue;	/* damaged: reconstruct's business */
		if (saved(&r) >= h)
			break;
		x->max_uid = r.uid;
		if ((what = decide(x->p, &r)) < 0)
			continue;
		hits++;
		if (what == EXPIRE_RETURNED) {
			if (x->nret == x->capret) {
				x->capret = x->capret ? mem_add(x->capret,
				    x->capret) : 64;
				x->ret = mem_realloc(x->ret, x->capret,
				    sizeof(*x->ret));
			}
			x->ret[x->nret++] = r.uid;
		}
		if (x->p->dry_run)
			dry_tell(x, &r, what);
	}
	return hits;
}

/* ---- returning ---- */

/* The envelope sender of r: cached at delivery, else Return-Path. */
static void
envelope_sender(struct folder *f, const struct msgrec *r, const char *hdr,
    size_t hdrlen, struct buf *out)
{
	struct buf rp = BUF_INIT;
	const char *v;
	size_t n;

	if (msgsum_cached(f, r, CACHE_SENDER, out) == 1)
		return;
	if (mime_header_value(hdr, hdrlen, "Return-Path", &rp) == 1 &&
	    rp.len > 0) {
		v = rp.data;
		n = rp.len;
		while (n && (*v == ' ' || *v == '<')) {
			v++;
			n--;
		}
		while (n && (v[n - 1] == ' ' || v[n - 1] == '>'))
			n--;
		buf_append(out, v, n);
	}
	buf_free(&rp);
}

/* The address the message reached: cached, else the account's. */
static void
final_recipient(struct run *x, const struct msgrec *r, struct buf *out)
{
	const struct conf *c = x->s->conf;

	if (msgsum_cached(x->f, r, CACHE_RCPT, out) == 1 && out->len > 0)
		return;
	buf_reset(out);
	buf_puts(out, x->a->name);
	if (strchr(x->a->name, '@') == NULL)
		buf_printf(out, "@%s", *c->default_domain ? c->default_domain :
		    *c->hostname ? c->hostname : "localhost");
}

/*
 * Send the DSN for r. 1 sent, 0 nothing to send (null or refused
 * sender), -1 failed (*why_r).
 */
static int
send_dsn(struct run *x, const struct msgrec *r, struct buf *sender,
    char **why_r)
{
	struct buf hdr = BUF_INIT, rcpt = BUF_INIT, diag = BUF_INIT,
	    reason = BUF_INIT;
	struct dsn_rcpt rc1;
	struct dsn d;
	int64_t days = (x->p->now - saved(r)) / EXPIRE_DAY;
	int rc;

	msgsum_header(x->f, r, &hdr);
	envelope_sender(x->f, r, hdr.data, hdr.len, sender);
	final_recipient(x, r, &rcpt);
	buf_printf(&diag, "message expired unread after %lld days in the "
	    "mailbox", (long long)days);
	buf_printf(&reason, "Your message was delivered to the mailbox of %s,\n"
	    "but it was not read within %lld days, so it has been deleted\n"
	    "and is returned to you here (headers only).", rcpt.data,
	    (long long)days);
	memset(&rc1, 0, sizeof(rc1));
	rc1.address = rcpt.data;
	rc1.status = "5.2.0";
	rc1.diagnostic = diag.data;
	memset(&d, 0, sizeof(d));
	d.sender = buf_cstr(sender);
	d.reason = reason.data;
	d.subject = "Undelivered Mail Returned to Sender: expired unread";
	d.arrival = r->internaldate;
	d.headers = hdr.data;
	d.headers_len = hdr.len;
	d.rcpts = &rc1;
	d.nrcpts = 1;
	rc = dsn_may_return(d.sender) ? dsn_send(x->s->conf, &d, NULL, why_r) :
	    0;
	buf_free(&hdr);
	buf_free(&rcpt);
	buf_free(&diag);
	buf_free(&reason);
	return rc;
}

/* A dry run's account of one message, as the real run would count it. */
static void
dry_tell(struct run *x, const struct msgrec *r, int what)
{
	struct buf hdr = BUF_INIT, sender = BUF_INIT;

	if (what == EXPIRE_RETURNED) {
		msgsum_header(x->f, r, &hdr);
		envelope_sender(x->f, r, hdr.data, hdr.len, &sender);
		if (!dsn_may_return(buf_cstr(&sender)))
			what = EXPIRE_NO_SENDER;
		else
			x->rep->returned++;
	}
	x->rep->deleted++;
	x->rep->bytes += r->size;
	tell(x, r, what, what == EXPIRE_DELETED ? NULL : buf_cstr(&sender),
	    NULL);
	buf_free(&hdr);
	buf_free(&sender);
}

/*
 * Lock the folder, reopening it when another session replaced its
 * index since it was opened (ESTALE). 0 or -1.
 */
static int
lock_fresh(struct run *x, char **why_r)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		if (folder_lock(x->f, why_r) == 0)
			return 0;
		if (errno != ESTALE || attempt == 3)
			return -1;
		free(*why_r);
		*why_r = NULL;
		folder_close(x->f);
		x->f = NULL;
		if (folder_open_id(x->s, x->a, x->id, 0, &x->f, why_r) != 1)
			return -1;
	}
}

/*
 * Return message uid under the folder's lock: DSN, then \Deleted made
 * durable. The record is checked again under the lock: a message read
 * or deleted meanwhile is left to the expunge. 0, or -1 (*why_r) when
 * the folder failed.
 */
static int
return_one(struct run *x, uint32_t uid, char **why_r)
{
	struct buf sender = BUF_INIT;
	struct msgrec r;
	uint32_t seq;
	char *why = NULL;
	int rc, sent;

	if (lock_fresh(x, why_r) < 0)
		return -1;
	rc = folder_find_uid(x->f, uid, &seq, why_r);
	if (rc == 1)
		rc = folder_record(x->f, seq, &r, why_r);
	if (rc != 1 || decide(x->p, &r) != EXPIRE_RETURNED) {
		folder_unlock(x->f);
		return rc < 0 ? -1 : 0;
	}
	sent = send_dsn(x, &r, &sender, &why);
	if (sent < 0) {
		x->rep->kept++;
		tell(x, &r, EXPIRE_KEPT, buf_cstr(&sender), why);
		free(why);
		rc = 0;
	} else if (folder_store(x->f, seq, MSG_DELETED, 0, 0, 0, 0, &r,
	    why_r) < 0 || folder_sync(x->f, why_r) < 0) {
		rc = -1;
	} else {
		x->rep->returned += (unsigned long)sent;
		tell(x, &r, sent ? EXPIRE_RETURNED : EXPIRE_NO_SENDER,
		    buf_cstr(&sender), NULL);
		rc = 0;
	}
	folder_unlock(x->f);
	buf_free(&sender);
	return rc;
}

/* ---- deleting ---- */

/* Expunge's choice: expired per decide(), and \Deleted if unread. */
static int
want_expired(const struct msgrec *r, void *ctx)
{
	struct run *x = ctx;
	struct expire_event *ev;
	int what;

	if (r->uid > x->max_uid)
		return 0;	/* arrived after the scan */
	what = decide(x->p, r);
	if (what < 0 || (!(r->flags & MSG_SEEN) &&
	    !(r->flags & MSG_DELETED)))
		return 0;	/* unread and not (yet) returned */
	if (x->ngone == x->capgone) {
		x->capgone = x->capgone ? mem_add(x->capgone, x->capgone) : 64;
		x->gone = mem_realloc(x->gone, x->capgone, sizeof(*x->gone));
	}
	ev = &x->gone[x->ngone++];
	memset(ev, 0, sizeof(*ev));
	ev->uid = r->uid;
	ev->size = r->size;
	ev->saved = saved(r);
	ev->what = EXPIRE_DELETED;
	return 1;
}

static int
expunge(struct run *x, char **why_r)
{
	struct msgrec r;
	size_t i;
	long n;

	if (lock_fresh(x, why_r) < 0)
		return -1;
	x->ngone = 0;
	n = folder_expunge(x->f, want_expired, NULL, x, why_r);
	folder_unlock(x->f);
	if (n < 0)
		return -1;
	x->rep->deleted += (unsigned long)n;
	for (i = 0; i < x->ngone; i++) {
		x->rep->bytes += x->gone[i].size;
		memset(&r, 0, sizeof(r));
		r.uid = x->gone[i].uid;
		r.size = x->gone[i].size;
		r.savedate = x->gone[i].saved;
		tell(x, &r, EXPIRE_DELETED, NULL, NULL);
	}
	return 0;
}

/* ---- one folder, one account ---- */

static int
expire_folder(struct run *x, char **why_r)
{
	size_t i;
	int rc = 0;

	x->nret = 0;
	rc = folder_open_id(x->s, x->a, x->id, 0, &x->f, why_r);
	if (rc != 1)
		return rc;	/* 0: removed meanwhile */
	rc = 0;
	x->rep->folders++;
	if (scan(x) == 0 || x->p->dry_run)
		goto out;
	for (i = 0; i < x->nret && rc == 0; i++)
		rc = return_one(x, x->ret[i], why_r);
	if (rc == 0)
		rc = expunge(x, why_r);
out:
	if (x->f)
		folder_close(x->f);
	x->f = NULL;
	return rc;
}

int
expire_account(struct store *s, const struct acct *a,
    const struct expire_policy *p, expire_fn *fn, void *ctx,
    struct expire_report *rep, char **why_r)
{
	struct run x;
	struct mboxlist l;
	char *why = NULL, *first = NULL;
	size_t i;

	if (horizon(p) == 0)
		return 0;
	memset(&l, 0, sizeof(l));
	if (mboxlist_read(s, a, &l, why_r) < 0)
		return -1;	/* none (0): no mail was ever stored */
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.a = a;
	x.p = p;
	x.fn = fn;
	x.ctx = ctx;
	x.rep = rep;
	for (i = 0; i < l.n; i++) {
		if (l.v[i].special[0] != '\0')
			continue;
		x.id = l.v[i].id;
		if (expire_folder(&x, &why) < 0) {
			if (first == NULL)
				(void)file_whyf(&first, "%s: %s", l.v[i].name,
				    why ? why : "failed");
			free(why);
			why = NULL;
		}
	}
	mboxlist_free(&l);
	free(x.ret);
	free(x.gone);
	if (first == NULL)
		return 0;
	if (why_r)
		*why_r = first;
	else
		free(first);
	return -1;
}

/* ---- the run lock ---- */

int
expire_lock(struct store *s, char **why_r)
{
	struct buf path = BUF_INIT;
	int fd = -1;

	store_etc_path(s, "bouncer.lock", &path);
	if (file_mkparents(path.data, 0750, why_r) == 0)
		fd = lock_acquire(path.data, LOCK_EXCLUSIVE, 0, why_r);
	buf_free(&path);
	return fd;
}

void
expire_unlock(int fd)
{
	lock_release(fd);
}
