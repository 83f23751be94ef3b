/* purge - deleting an account's messages; see purge.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "dsn.h"
#include "file.h"
#include "folder.h"
#include "mboxlist.h"
#include "mem.h"
#include "mime.h"
#include "msgsum.h"
#include "purge.h"
#include "store.h"

/* A sorted set of UIDs of one folder. */
struct uidset {
	uint32_t	*v;
	size_t		 n, cap;
};

static void
uidset_add(struct uidset *s, uint32_t uid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? mem_add(s->cap, s->cap) : 64;
		s->v = mem_realloc(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = uid;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
uidset_has(const struct uidset *s, uint32_t uid)
{
	return s->n && bsearch(&uid, s->v, s->n, sizeof(*s->v), cmp_u32);
}

/* One purge: what to return, what to tell, what happened. */
struct job {
	struct store		*s;
	const struct acct	*a;
	int			 do_return;
	int			 gone;
	purge_fail_fn		*fail;
	void			*ctx;
	struct purge_report	*rep;
	char			*why;	/* the first folder error */
};

static void
folder_error(struct job *j, const char *what, char *why)
{
	if (j->why == NULL)
		(void)file_whyf(&j->why, "%s: %s", what, why);
	free(why);
}

/* The address of the account, as mail reaches it. */
static void
account_address(const struct conf *c, const struct acct *a, struct buf *out)
{
	const char *dom = c->default_domain;

	buf_puts(out, a->name);
	if (strchr(a->name, '@'))
		return;
	if (*dom == '\0')
		dom = *c->hostname ? c->hostname : "localhost";
	buf_printf(out, "@%s", dom);
}

/* Return one message: 1 done, 0 kept (the caller was told). */
static int
return_one(struct job *j, struct folder *f, const struct msgrec *r)
{
	struct buf hdr = BUF_INIT, sender = BUF_INIT, orig = BUF_INIT,
	    addr = BUF_INIT, msg = BUF_INIT;
	struct dsn_rcpt rc1;
	struct dsn d;
	char *why = NULL;
	int temp = 0, rc;

	msgsum_header(f, r, &hdr);
	if (!msgsum_cached(f, r, CACHE_SENDER, &sender) && hdr.len)
		(void)mime_header_value(hdr.data, hdr.len, "Return-Path",
		    &sender);
	(void)msgsum_cached(f, r, CACHE_RCPT, &orig);
	account_address(j->s->conf, j->a, &addr);
	memset(&rc1, 0, sizeof(rc1));
	rc1.address = addr.data;
	rc1.original = orig.len ? orig.data : NULL;
	rc1.status = j->gone ? "5.2.1" : "5.2.0";
	rc1.diagnostic = j->gone ? "mailbox closed by its administrator "
	    "before the message was read" : "message deleted by the "
	    "mailbox's administrator before it was read";
	memset(&d, 0, sizeof(d));
	d.sender = buf_cstr(&sender);
	d.reason = j->gone ? "The mailbox your message was delivered to "
	    "has been closed, and your\nmessage was never read." :
	    "Your message was delivered, but deleted unread by the mailbox's\n"
	    "administrator.";
	d.arrival = r->internaldate;
	d.headers = hdr.data;
	d.headers_len = hdr.len;
	d.rcpts = &rc1;
	d.nrcpts = 1;
	if ((rc = dsn_send(j->s->conf, &d, &temp, &why)) >= 0) {
		j->rep->returned += (unsigned long)rc;
		rc = 1;
	} else {
		j->rep->kept++;
		buf_printf(&msg, "message %u in %s: cannot return it: %s (kept)",
		    (unsigned)r->uid, folder_name(f), why);
		if (j->fail)
			j->fail(j->ctx, msg.data, temp);
		free(why);
		rc = 0;
	}
	buf_free(&hdr);
	buf_free(&sender);
	buf_free(&orig);
	buf_free(&addr);
	buf_free(&msg);
	return rc;
}

/* Which records go: up to a UID, only some, never those kept. */
struct cut {
	uint32_t		 max_uid;
	const struct uidset	*keep;
	const struct uidset	*only;	/* NULL: all */
};

static int
want_cut(const struct msgrec *r, void *ctx)
{
	const struct cut *c = ctx;

	if (r->uid > c->max_uid)
		return 0;	/* arrived after the scan */
	if (c->only && !uidset_has(c->only, r->uid))
		return 0;
	return !uidset_has(c->keep, r->uid);
}

/* Scan folder f (returning what should be), then expunge. */
static void
purge_folder(struct job *j, struct folder *f, int special,
    const struct uidset *only)
{
	struct uidset keep = { NULL, 0, 0 };
	struct cut c = { 0, &keep, only };
	struct msgrec r;
	uint32_t seq, n = folder_count(f);
	char *why = NULL;
	long gone;

	for (seq = 0; seq < n; seq++) {
		if (folder_record(f, seq, &r, NULL) != 1)
			continue;
		c.max_uid = r.uid;
		if (only && !uidset_has(only, r.uid))
			continue;
		if (!j->do_return || (only == NULL && (special ||
		    (r.flags & (MSG_SEEN | MSG_DELETED)))))
			continue;
		if (!return_one(j, f, &r))
			uidset_add(&keep, r.uid);
	}
	if (keep.n)
		qsort(keep.v, keep.n, sizeof(*keep.v), cmp_u32);
	if (n && (gone = folder_expunge(f, want_cut, NULL, &c, &why)) >= 0)
		j->rep->deleted += (unsigned long)gone;
	else if (n)
		folder_error(j, folder_name(f), why);
	free(keep.v);
}

/* Open folder id: the folder, or NULL (gone meanwhile, or an error). */
static struct folder *
open_folder(struct job *j, uint32_t id)
{
	struct folder *f = NULL;
	char *why = NULL, what[32];
	int rc = folder_open_id(j->s, j->a, id, 0, &f, &why);

	if (rc < 0) {
		snprintf(what, sizeof(what), "folder %u", (unsigned)id);
		folder_error(j, what, why);
	}
	return rc == 1 ? f : NULL;
}

static int
finish(struct job *j, char **why_r)
{
	if (j->why) {
		if (why_r)
			*why_r = j->why;
		else
			free(j->why);
		return -1;
	}
	return j->rep->kept ? 1 : 0;
}

static void
job_init(struct job *j, struct store *s, const struct acct *a, int do_return,
    purge_fail_fn *fail, void *ctx, struct purge_report *rep)
{
	memset(j, 0, sizeof(*j));
	memset(rep, 0, sizeof(*rep));
	j->s = s;
	j->a = a;
	j->do_return = do_return;
	j->fail = fail;
	j->ctx = ctx;
	j->rep = rep;
}

int
purge_account(struct store *s, const struct acct *a, int do_return,
    int account_gone, purge_fail_fn *fail, void *ctx,
    struct purge_report *rep, char **why_r)
{
	struct mboxlist l;
	struct folder *f;
	struct job j;
	char *why = NULL;
	size_t i;

	job_init(&j, s, a, do_return, fail, ctx, rep);
	j.gone = account_gone;
	memset(&l, 0, sizeof(l));
	if (mboxlist_load(s, a, &l, &why) < 0) {
		folder_error(&j, "folders", why);
		return finish(&j, why_r);
	}
	for (i = 0; i < l.n; i++) {
		if ((f = open_folder(&j, l.v[i].id)) == NULL)
			continue;
		purge_folder(&j, f, l.v[i].special[0] != '\0', NULL);
		folder_close(f);
	}
	mboxlist_free(&l);
	return finish(&j, why_r);
}

int
purge_uids(struct store *s, const struct acct *a, uint32_t folder_id,
    uint32_t uidvalidity, const uint32_t *uids, size_t n, int do_return,
    purge_fail_fn *fail, void *ctx, struct purge_report *rep, char **why_r)
{
	struct uidset only = { NULL, 0, 0 };
	struct folder *f;
	struct job j;
	size_t i;

	job_init(&j, s, a, do_return, fail, ctx, rep);
	if ((f = open_folder(&j, folder_id)) == NULL)
		return finish(&j, why_r);
	if (uidvalidity && folder_state(f)->uidvalidity != uidvalidity) {
		(void)file_whyf(why_r, "%s: the folder was replaced meanwhile "
		    "(UIDVALIDITY)", folder_name(f));
		folder_close(f);
		errno = ESTALE;
		return -1;
	}
	for (i = 0; i < n; i++)
		uidset_add(&only, uids[i]);
	if (only.n) {
		qsort(only.v, only.n, sizeof(*only.v), cmp_u32);
		purge_folder(&j, f, 0, &only);
	}
	folder_close(f);
	free(only.v);
	return finish(&j, why_r);
}
