/* lmtpstore - the LMTP engine's backend: transactions on the store. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "netio.h"

struct backend {
	struct dctx	*dc;
	struct txn	 t;
	int		 active;
	int		 started;
	uint64_t	 size;		/* MAIL SIZE=, for quota checks at RCPT */
};

static void
be_reset(void *v)
{
	struct backend *b = v;

	if (b->active)
		txn_free(&b->t);
	b->active = b->started = 0;
}

static int
be_mail(void *v, const struct lmtp_mail *m, struct result *r)
{
	struct backend *b = v;

	be_reset(b);
	b->dc->helo = m->helo;
	txn_init(&b->t, b->dc, m->sender);
	b->size = m->size;
	b->active = 1;
	(void)r;
	return 0;
}

static int
be_rcpt(void *v, const char *addr, struct result *res)
{
	struct backend *b = v;
	struct rcpt *r = txn_add(&b->t, addr, b->size);

	*res = r->res;
	if (r->res.status == RS_OK)
		return 1;
	/* A refused recipient is answered and logged now, and leaves the
	 * transaction: after DATA only accepted ones get replies. */
	log_event(LOG_NOTICE, "deliver", "id", b->t.id, "rcpt", addr,
	    "account", r->name[0] ? r->name : NULL, "result",
	    r->res.status == RS_TEMP ? "tempfail" : "fail", "dsn", r->res.dsn,
	    "reason", r->res.text, "stage", "rcpt", NULL);
	rcpt_free(r);
	b->t.n--;
	return 0;
}

static int
be_data(void *v, const char *p, size_t n)
{
	struct backend *b = v;

	if (!b->started) {
		txn_start(&b->t);
		b->started = 1;
	}
	return txn_data(&b->t, p, n);
}

static void
be_done(void *v, struct result *res, size_t n)
{
	struct backend *b = v;
	size_t i;

	txn_finish(&b->t, 0);
	for (i = 0; i < n && i < b->t.n; i++)
		res[i] = b->t.r[i].res;
	txn_log(&b->t);
}

static const struct lmtp_ops store_ops = {
	be_mail, be_rcpt, be_data, be_done, be_reset
};

int
lmtpstore_main(struct dctx *dc)
{
	struct lmtp_limits lim;
	struct backend b;
	struct netio *n;
	char *why = NULL;
	int rc;

	n = netio_create(0, 1, &why);
	if (n == NULL) {
		log_event(LOG_ERR, "lmtp_failed", "error", why, NULL);
		free(why);
		return 74;	/* EX_IOERR */
	}
	memset(&b, 0, sizeof(b));
	b.dc = dc;
	dc->proto = "LMTP";
	dc->client = netio_remote_addr(n);
	memset(&lim, 0, sizeof(lim));
	lim.hostname = dc->conf->hostname;
	lim.max_size = dc->conf->max_message_size;
	lim.max_rcpts = (size_t)dc->conf->max_recipients;
	lim.timeout_ms = (int)(dc->conf->lmtp_timeout * 1000);
	rc = lmtp_serve(n, &lim, &store_ops, &b);
	be_reset(&b);
	netio_close(n);
	return rc < 0 ? 74 : 0;
}
