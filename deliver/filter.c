/*
 * filter - the recipients' Sieve scripts (sieve.h).
 *
 * filter_run() runs each local recipient's script once the message is
 * complete and turns its decisions into folders and flags for the one
 * stored copy; filter_finish() then does what leaves the store
 * (redirects, refusals, vacation answers), after the copies are durable.
 * A script that cannot be read, parsed or run leaves the implicit keep:
 * mail is never lost to a script, and the problem is logged once with
 * the account and LINE:COLUMN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <time.h>

#include "conf.h"
#include "deliver.h"
#include "delivery.h"
#include "dsn.h"
#include "folder.h"
#include "fwdmap.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "sendmail.h"
#include "sieve.h"
#include "sieve_msg.h"
#include "vacation.h"

/* The message as Sieve sees it, mapped once per transaction. */
struct fmsg {
	void		*map;
	size_t		 len;
	struct sieve_msg *view;
};

struct fctx {
	struct txn	*t;
	struct rcpt	*r;
	struct mboxlist	 list;
	int		 loaded;	/* list: 1 loaded, -1 failed */
};

static void
fmsg_open(struct txn *t, struct fmsg *m)
{
	memset(m, 0, sizeof(m[0]));
	m->len = (size_t)delivery_size(t->d);
	if (m->len > 0) {
		m->map = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE,
		    delivery_fd(t->d), 0);
		if (m->map == MAP_FAILED) {
			m->map = NULL;
			m->len = 0;
		}
	}
	m->view = sieve_msg_new(m->map, m->len);
}

static void
fmsg_close(struct fmsg *m)
{
	sieve_msg_free(m->view);
	if (m->map)
		munmap(m->map, m->len);
}

static int
load_list(struct fctx *c)
{
	char *why = NULL;

	if (c->loaded == 0) {
		c->loaded = mboxlist_load(c->t->dc->store, &c->r->acct, &c->list,
		    &why) < 0 ? -1 : 1;
		free(why);
	}
	return c->loaded;
}

static int
mailbox_exists(const char *name, void *ctx)
{
	struct fctx *c = ctx;

	if (mbox_is_inbox(name))
		return 1;
	if (load_list(c) < 0)
		return -1;
	return mboxlist_find(&c->list, name) != NULL;
}

static void
log_error(struct txn *t, const struct rcpt *r, const char *what,
    const char *why)
{
	log_event(LOG_WARNING, "sieve_error", "id", t->id, "account", r->name,
	    "stage", what, "error", why, "action", "keep", NULL);
}

/* Add a folder for r's copy with the action's flags. */
static void
add_dest(struct filter *f, uint32_t id, const char *name,
    const struct sieve_action *a)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} sys[] = { { "\\Seen", MSG_SEEN }, { "\\Answered", MSG_ANSWERED },
	    { "\\Flagged", MSG_FLAGGED }, { "\\Deleted", MSG_DELETED },
	    { "\\Draft", MSG_DRAFT } };
	struct fdest *d;
	size_t i, j;

	f->dest = mem_realloc(f->dest, f->ndest + 1, sizeof(*f->dest));
	d = &f->dest[f->ndest++];
	memset(d, 0, sizeof(*d));
	d->folder_id = id;
	snprintf(d->folder, sizeof(d->folder), "%s", name);
	for (i = 0; a && i < a->nflags; i++) {
		for (j = 0; j < sizeof(sys) / sizeof(sys[0]); j++)
			if (strcasecmp(a->flags[i], sys[j].name) == 0)
				break;
		if (j < sizeof(sys) / sizeof(sys[0])) {
			d->flags |= sys[j].flag;
			continue;
		}
		d->kw = mem_realloc(d->kw, d->nkw + 1, sizeof(*d->kw));
		d->kw[d->nkw++] = mem_strdup(a->flags[i]);
	}
}

/* The folder of fileinto: existing, created (:create), else INBOX. */
static void
fileinto(struct fctx *c, struct filter *f, const struct sieve_action *a)
{
	struct rcpt *r = c->r;
	const struct mbox *m;
	uint32_t id;
	char *why = NULL;

	if (mbox_is_inbox(a->arg)) {
		add_dest(f, MBOX_INBOX_ID, "INBOX", a);
		return;
	}
	if (r->acct.type == ACCT_IMAP && load_list(c) > 0) {
		if ((m = mboxlist_find(&c->list, a->arg)) != NULL) {
			add_dest(f, m->id, m->name, a);
			return;
		}
		if (a->create && mboxlist_create(c->t->dc->store, &r->acct, a->arg,
		    NULL, &id, &why) == 0) {
			add_dest(f, id, a->arg, a);
			return;
		}
	}
	log_event(LOG_NOTICE, "sieve_fileinto", "id", c->t->id, "account",
	    r->name, "folder", a->arg, "error", why ? why : "no such folder",
	    "action", "INBOX", NULL);
	free(why);
	add_dest(f, MBOX_INBOX_ID, "INBOX", a);
}

static void
summary(struct filter *f, const char *word)
{
	size_t len = strlen(f->summary);

	if (strstr(f->summary, word) == NULL && len + strlen(word) + 2 <
	    sizeof(f->summary))
		snprintf(f->summary + len, sizeof(f->summary) - len, "%s%s",
		    len ? "," : "", word);
}

/* Turn the result into folders; reject answers LMTP at once. */
static void
decide(struct fctx *c, struct filter *f, int lmtp)
{
	static const char *const words[] = { "keep", "fileinto", "redirect",
	    "discard", "reject", "vacation" };
	struct rcpt *r = c->r;
	size_t i;

	for (i = 0; i < f->res.n; i++) {
		const struct sieve_action *a = &f->res.v[i];

		summary(f, words[a->kind]);
		switch (a->kind) {
		case SIEVE_KEEP:
			add_dest(f, r->folder_id, r->folder, a);
			break;
		case SIEVE_FILEINTO:
			fileinto(c, f, a);
			break;
		case SIEVE_REJECT:
			if (lmtp)
				result_set(&r->res, RS_PERM, 550, "5.7.1",
				    EX_NOPERM, "<%s>: rejected: %s", r->addr,
				    a->arg);
			break;
		}
	}
	if (f->res.error)
		summary(f, "error");
}

static void
run_one(struct txn *t, struct rcpt *r, struct fmsg *m, int lmtp)
{
	struct buf text = BUF_INIT;
	struct sieve_script *s = NULL;
	struct sieve_env env;
	struct filter *f;
	struct fctx c;
	char *why = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = r;
	rc = sieve_script_load(t->dc->store, r->name, &text, &why);
	if (rc == 0)
		goto out;
	f = r->filter = mem_zalloc(1, sizeof(*f));
	if (rc < 0 || sieve_parse(text.data, text.len, &s, &why) < 0) {
		log_error(t, r, rc < 0 ? "load" : "parse", why);
		add_dest(f, r->folder_id, r->folder, NULL);
		summary(f, "error");
		goto out;
	}
	memset(&env, 0, sizeof(env));
	env.conf = t->dc->conf;
	env.msg = m->map;
	env.msg_len = m->len;
	env.view = m->view;
	env.sender = t->sender;
	env.rcpt = r->addr;
	env.mailbox_exists = mailbox_exists;
	env.ctx = &c;
	if (sieve_run(s, &env, &f->res) < 0)
		log_error(t, r, "run", f->res.error);
	decide(&c, f, lmtp);
out:
	if (c.loaded > 0)
		mboxlist_free(&c.list);
	sieve_free(s);
	free(why);
	buf_free(&text);
}

void
filter_run(struct txn *t, int lmtp)
{
	struct fmsg m;
	size_t i;
	int any = 0;

	for (i = 0; i < t->n; i++)
		any |= t->r[i].res.status == RS_OK && t->r[i].local;
	if (!any)
		return;
	fmsg_open(t, &m);
	for (i = 0; i < t->n; i++)
		if (t->r[i].res.status == RS_OK && t->r[i].local)
			run_one(t, &t->r[i], &m, lmtp);
	fmsg_close(&m);
}

/* ---- after the copies are stored ---- */

/* Store a copy in INBOX after all (a redirect or refusal failed). */
static void
fallback_keep(struct txn *t, struct rcpt *r, const char *what)
{
	struct delivery_target *dt;
	char *why = NULL;

	log_event(LOG_WARNING, "sieve_fallback", "id", t->id, "account",
	    r->name, "failed", what, "action", "keep", NULL);
	rcpt_add_target(t, r, r->folder_id, 0, NULL, 0);
	dt = delivery_target(t->d, r->tidx[r->ntidx - 1]);
	if (dt->status == 1)
		return;
	if (delivery_commit(t->d, &why) < 0)
		result_from_errno(&r->res, errno, "delivery", why);
	else if (dt->status != 1)
		result_from_errno(&r->res, dt->err, "delivery", dt->why);
	free(why);
}

static int
redirect(struct txn *t, struct rcpt *r, const char *to)
{
	const char *rcpts[1] = { to };
	struct buf dt = BUF_INIT;
	char *why = NULL;
	int rc;

	if (txn_looped(t, r)) {
		log_event(LOG_NOTICE, "sieve_redirect", "id", t->id, "account",
		    r->name, "to", to, "error", "mail loop (Delivered-To)",
		    NULL);
		return -1;
	}
	buf_printf(&dt, "Delivered-To: %s%s%s\r\n", r->name,
	    strchr(r->name, '@') ? "" : "@",
	    strchr(r->name, '@') ? "" : t->dc->conf->hostname);
	rc = sendmail_send_at(t->dc->conf, t->sender, rcpts, 1, dt.data, dt.len,
	    delivery_fd(t->d), (off_t)t->skip, NULL, &why);
	log_event(rc < 0 ? LOG_WARNING : LOG_INFO, "sieve_redirect", "id",
	    t->id, "account", r->name, "to", to, "error", why, NULL);
	free(why);
	buf_free(&dt);
	return rc;
}

static void
vacation_ctx_init(struct txn *t, struct rcpt *r, const struct fmsg *m,
    struct vacation_ctx *vc)
{
	memset(vc, 0, sizeof(*vc));
	vc->conf = t->dc->conf;
	vc->store = t->dc->store;
	vc->account = r->name;
	vc->rcpt = r->addr;
	vc->sender = t->sender;
	vc->msg = m->view;
	vc->now = (int64_t)time(NULL);
}

/* ereject's refusal: a DSN (RFC 3464), Status 5.7.1 with the reason. */
static int
refuse_dsn(struct txn *t, struct rcpt *r, const struct fmsg *m,
    const char *reason, char **why_r)
{
	struct dsn_rcpt dr;
	struct dsn d;
	struct buf a = BUF_INIT;
	int rc;

	buf_puts(&a, r->addr);
	if (a.len >= 2 && a.data[0] == '<' && a.data[a.len - 1] == '>') {
		memmove(a.data, a.data + 1, a.len - 2);
		buf_truncate(&a, a.len - 2);
	}
	if (strchr(a.data, '@') == NULL)
		buf_printf(&a, "@%s", t->dc->conf->hostname);
	memset(&dr, 0, sizeof(dr));
	dr.address = a.data;
	dr.status = "5.7.1";
	dr.diagnostic = reason;
	memset(&d, 0, sizeof(d));
	d.sender = t->sender;
	d.reason = "Your message was refused by the recipient's mail filter.";
	d.subject = "Message refused";
	d.arrival = (int64_t)time(NULL);
	d.headers = sieve_msg_data(m->view);
	d.headers_len = sieve_msg_header_len(m->view);
	d.rcpts = &dr;
	d.nrcpts = 1;
	rc = dsn_send(t->dc->conf, &d, NULL, why_r);
	buf_free(&a);
	return rc;
}

/* reject's refusal: an MDN with disposition "deleted" (RFC 5429). */
static int
refuse_mdn(struct txn *t, struct rcpt *r, const struct fmsg *m,
    const char *reason, char **why_r)
{
	struct vacation_ctx vc;
	struct buf msg = BUF_INIT;
	const char *rcpts[1] = { t->sender };
	int rc;

	if (!dsn_may_return(t->sender))
		return 0;
	vacation_ctx_init(t, r, m, &vc);
	vacation_reject_build(&vc, reason, &msg);
	rc = sendmail_send(t->dc->conf, "", rcpts, 1, msg.data, msg.len, -1,
	    NULL, why_r) < 0 ? -1 : 1;
	buf_free(&msg);
	return rc;
}

/*
 * The refusal of reject or ereject in pipe mode, from the null sender to
 * the envelope sender; none to <> or a daemon (the message is then
 * dropped). 0 done, -1 failed.
 */
static int
refuse(struct txn *t, struct rcpt *r, const struct fmsg *m,
    const struct sieve_action *a)
{
	char *why = NULL;
	int rc;

	rc = a->ereject ? refuse_dsn(t, r, m, a->arg, &why) :
	    refuse_mdn(t, r, m, a->arg, &why);
	log_event(rc < 0 ? LOG_WARNING : LOG_INFO, "sieve_reject", "id", t->id,
	    "account", r->name, "sender", t->sender[0] ? t->sender : "<>",
	    "result", rc > 0 ? "refusal sent" : rc == 0 ?
	    "dropped: no refusal to a null or daemon sender" : "failed",
	    "error", why, NULL);
	free(why);
	return rc < 0 ? -1 : 0;
}

static void
answer(struct txn *t, struct rcpt *r, const struct fmsg *m,
    const struct sieve_vacation *v)
{
	struct vacation_ctx vc;
	char *why = NULL;
	int rc;

	vacation_ctx_init(t, r, m, &vc);
	rc = vacation_respond(&vc, v, &why);
	log_event(rc < 0 ? LOG_WARNING : LOG_INFO, "sieve_vacation", "id",
	    t->id, "account", r->name, "sender", t->sender[0] ? t->sender :
	    "<>", "result", rc > 0 ? "sent" : rc == 0 ? "not sent" : "failed",
	    "reason", why, NULL);
	free(why);
}

static void
finish_one(struct txn *t, struct rcpt *r, const struct fmsg *m, int lmtp)
{
	struct filter *f = r->filter;
	size_t i;
	int failed = 0;

	for (i = 0; i < f->res.n; i++) {
		const struct sieve_action *a = &f->res.v[i];

		switch (a->kind) {
		case SIEVE_REDIRECT:
			if (redirect(t, r, a->arg) < 0 && !failed++)
				fallback_keep(t, r, "redirect");
			break;
		case SIEVE_REJECT:
			if (!lmtp && refuse(t, r, m, a) < 0 && !failed++)
				fallback_keep(t, r, "reject");
			break;
		case SIEVE_VACATION:
			answer(t, r, m, a->vacation);
			break;
		}
	}
}

void
filter_finish(struct txn *t, int lmtp)
{
	struct fmsg m;
	size_t i;
	int any = 0;

	for (i = 0; i < t->n; i++)
		any |= t->r[i].filter && t->r[i].res.status == RS_OK;
	if (!any)
		return;
	fmsg_open(t, &m);
	for (i = 0; i < t->n; i++)
		if (t->r[i].filter && t->r[i].res.status == RS_OK)
			finish_one(t, &t->r[i], &m, lmtp);
	fmsg_close(&m);
}

void
filter_free(struct rcpt *r)
{
	struct filter *f = r->filter;
	size_t i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->ndest; i++) {
		for (j = 0; j < f->dest[i].nkw; j++)
			free(f->dest[i].kw[j]);
		free(f->dest[i].kw);
	}
	free(f->dest);
	sieve_result_free(&f->res);
	free(f);
	r->filter = NULL;
}
