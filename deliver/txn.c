/* txn - one message to many recipients: headers, data, commit, forwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "delivery.h"
#include "file.h"
#include "fwdmap.h"
#include "log.h"
#include "mem.h"
#include "sendmail.h"

/* ---- Delivered-To fields of the incoming header, scanned once ---- */

#define HS_FIELD_MAX	1024	/* longer field values cannot be names */

static void
hdrscan_line_end(struct hdrscan *h)
{
	const char *v = h->field.data;
	size_t len = h->field.len;

	if (!h->in_dt)
		return;
	h->in_dt = 0;
	while (len > 0 && (*v == ' ' || *v == '\t' || *v == '<')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '\r' || v[len - 1] == '>'))
		len--;
	if (len > 0 && h->ndt < DELIVER_DT_MAX && !memchr(v, '\n', len))
		h->dt[h->ndt++] = mem_strndup(v, len);
}

/* One whole physical header line (without its LF). */
static void
hdrscan_line(struct hdrscan *h, const char *line, size_t len)
{
	static const char name[] = "delivered-to:";

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		hdrscan_line_end(h);
		h->done = 1;
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {	/* continuation */
		if (h->in_dt && h->field.len + len < HS_FIELD_MAX)
			buf_append(&h->field, line, len);
		return;
	}
	hdrscan_line_end(h);
	if (len >= sizeof(name) - 1 &&
	    strncasecmp(line, name, sizeof(name) - 1) == 0) {
		h->in_dt = 1;
		buf_reset(&h->field);
		buf_append(&h->field, line + sizeof(name) - 1,
		    len - (sizeof(name) - 1));
	}
}

/*
 * Feed raw message bytes (LF or CRLF). A physical line is kept up to
 * HS_FIELD_MAX bytes; a longer one cannot be a Delivered-To worth
 * comparing, and is skipped.
 */
void
hdrscan_feed(struct hdrscan *h, const char *p, size_t n)
{
	const char *lf;
	size_t take;

	while (n > 0 && !h->done) {
		if (h->seen >= DELIVER_HDR_SCAN_MAX) {
			hdrscan_line_end(h);
			h->done = 1;
			break;
		}
		lf = memchr(p, '\n', n);
		take = lf ? (size_t)(lf - p) : n;
		if (h->line.len + take <= HS_FIELD_MAX)
			buf_append(&h->line, p, take);
		else
			h->overlong = 1;
		h->seen += take + (lf != NULL);
		if (lf) {
			if (h->overlong)
				hdrscan_line_end(h);
			else
				hdrscan_line(h, buf_cstr(&h->line), h->line.len);
			h->overlong = 0;
			buf_reset(&h->line);
			take++;
		}
		p += take;
		n -= take;
	}
}

void
hdrscan_free(struct hdrscan *h)
{
	size_t i;

	for (i = 0; i < h->ndt; i++)
		free(h->dt[i]);
	buf_free(&h->field);
	buf_free(&h->line);
	memset(h, 0, sizeof(*h));
}

/* ---- the transaction ---- */

void
txn_init(struct txn *t, struct dctx *dc, const char *sender)
{
	static unsigned long counter;
	struct timeval tv;

	memset(t, 0, sizeof(*t));
	t->dc = dc;
	t->sender = mem_strdup(sender ? sender : "");
	gettimeofday(&tv, NULL);
	snprintf(t->id, sizeof(t->id), "%llX%05lX%lX%lX",
	    (unsigned long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++counter);
}

struct rcpt *
txn_add(struct txn *t, const char *addr, uint64_t size)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->r = mem_realloc(t->r, t->cap, sizeof(*t->r));
	}
	rcpt_resolve(t->dc, &t->r[t->n], addr, size);
	return &t->r[t->n++];
}

size_t
txn_ok_count(const struct txn *t)
{
	size_t i, k = 0;

	for (i = 0; i < t->n; i++)
		k += t->r[i].res.status == RS_OK;
	return k;
}

/* An address without its angle brackets. */
static void
bare_addr(const char *a, struct buf *out)
{
	size_t len = strlen(a);

	if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
		buf_append(out, a + 1, len - 2);
	else
		buf_append(out, a, len);
}

/* A name from the client (LHLO) made safe for a header: printable, no
 * spaces, bounded. */
static void
safe_word(const char *s, struct buf *out)
{
	size_t i;

	for (i = 0; s[i] && i < 255; i++)
		buf_putc(out, (unsigned char)s[i] > 0x20 &&
		    (unsigned char)s[i] < 0x7f && s[i] != '(' && s[i] != ')' ?
		    s[i] : '?');
}

static void
received(struct txn *t, const struct rcpt *one, struct buf *h)
{
	struct dctx *dc = t->dc;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_puts(h, "Received: from ");
	if (dc->helo) {
		safe_word(dc->helo, h);
		buf_puts(h, " (");
		safe_word(dc->client ? dc->client : "unknown", h);
		buf_putc(h, ')');
	} else {
		buf_puts(h, "local");
	}
	buf_printf(h, "\r\n\tby %s (popstore) with %s id %s", dc->conf->hostname,
	    dc->proto, t->id);
	if (one) {
		buf_puts(h, "\r\n\tfor <");
		bare_addr(one->addr, h);
		buf_putc(h, '>');
	}
	buf_printf(h, "; %s\r\n", date);
}

void
txn_start(struct txn *t)
{
	struct buf h = BUF_INIT;
	const struct rcpt *one = NULL, *loc = NULL;
	char *why = NULL;
	size_t i, nlocal = 0;

	for (i = 0; i < t->n; i++)
		if (t->r[i].res.status == RS_OK) {
			if (t->r[i].local) {
				nlocal++;
				loc = &t->r[i];
			}
			one = &t->r[i];
		}
	if (txn_ok_count(t) != 1)
		one = NULL;
	buf_puts(&h, "Return-Path: <");
	buf_puts(&h, t->sender);
	buf_puts(&h, ">\r\n");
	/* Only a copy stored for exactly one recipient names it. */
	if (t->dc->conf->delivered_to && nlocal == 1) {
		buf_puts(&h, "Delivered-To: ");
		bare_addr(t->dc->dt_addr ? t->dc->dt_addr : loc->addr, &h);
		buf_puts(&h, "\r\n");
	}
	t->skip = h.len;
	received(t, one, &h);
	if (delivery_begin(t->dc->store, t->sender, &t->d, &why) < 0 ||
	    delivery_write(t->d, h.data, h.len, &why) < 0) {
		t->data_err = errno ? errno : EIO;
		t->data_why = why;
		why = NULL;
	}
	free(why);
	buf_free(&h);
}

int
txn_data(struct txn *t, const char *p, size_t n)
{
	char *why = NULL;
	int rc;

	if (t->data_err)
		return -1;
	hdrscan_feed(&t->scan, p, n);
	rc = t->lf_mode ? delivery_write_lf(t->d, p, n, &why) :
	    delivery_write(t->d, p, n, &why);
	if (rc < 0) {
		t->data_err = errno ? errno : EIO;
		t->data_why = why;
		return -1;
	}
	return 0;
}

/* Every recipient still OK gets r (a copy, with its own address). */
static void
fail_rest(struct txn *t, const struct result *r, const char *because)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->r[i].res.status == RS_OK)
			result_set(&t->r[i].res, r->status, r->reply, r->dsn,
			    r->exitcode, "<%s>: %s", t->r[i].addr, because);
}

static void
data_failed(struct txn *t)
{
	struct result r;

	if (t->data_err == EFBIG)
		result_set(&r, RS_PERM, 552, "5.3.4", EX_DATAERR,
		    "message too big");
	else
		result_from_errno(&r, t->data_err, "message", t->data_why);
	fail_rest(t, &r, r.text);
}

int
txn_looped(const struct txn *t, const struct rcpt *r)
{
	size_t i;

	for (i = 0; i < t->scan.ndt; i++)
		if (fwdmap_keeps_copy(t->dc->conf, t->scan.dt[i], r->name))
			return 1;
	return 0;
}

const struct rcpt *
txn_first_failure(const struct txn *t)
{
	const struct rcpt *perm = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->r[i].res.status == RS_TEMP)
			return &t->r[i];
		if (t->r[i].res.status == RS_PERM && perm == NULL)
			perm = &t->r[i];
	}
	return perm;
}

/* All or nothing: when one failed, nothing is stored for the others. */
static int
give_up_if_any_failed(struct txn *t, int aon)
{
	const struct rcpt *bad = txn_first_failure(t);
	struct result r;

	if (!aon || bad == NULL)
		return 0;
	r = bad->res;
	fail_rest(t, &r, "not delivered: another recipient failed");
	return 1;
}

static void
undo_stored(struct txn *t)
{
	struct delivery_target *dt;
	char *why = NULL;
	size_t i;

	for (i = 0; t->d && i < delivery_count(t->d); i++) {
		dt = delivery_target(t->d, i);
		if (dt->status != 1)
			continue;
		if (delivery_undo(t->d, dt, &why) < 0) {
			log_event(LOG_ERR, "undo_failed", "id", t->id, "account",
			    dt->account, "error", why, NULL);
			free(why);
			why = NULL;
		}
	}
}

void
rcpt_add_target(struct txn *t, struct rcpt *r, uint32_t folder_id,
    uint32_t flags, char *const *kw, size_t nkw)
{
	struct delivery_target *dt;
	size_t before = delivery_count(t->d), j, idx = before;

	/* Targets live in an array that grows: remember indexes. */
	dt = delivery_add(t->d, &r->acct, folder_id, 0);
	if (delivery_count(t->d) == before)
		for (idx = 0; idx < before; idx++)
			if (delivery_target(t->d, idx) == dt)
				break;
	dt->flags |= flags;
	for (j = 0; j < nkw; j++)
		delivery_add_keyword(dt, kw[j]);
	for (j = 0; j < r->ntidx; j++)
		if (r->tidx[j] == idx)
			return;
	r->tidx = mem_realloc(r->tidx, r->ntidx + 1, sizeof(*r->tidx));
	r->tidx[r->ntidx++] = idx;
}

/* The first failed target of r, or NULL when all are stored. */
static const struct delivery_target *
failed_target(struct txn *t, const struct rcpt *r)
{
	const struct delivery_target *dt;
	size_t j;

	for (j = 0; j < r->ntidx; j++) {
		dt = delivery_target(t->d, r->tidx[j]);
		if (dt->status != 1)
			return dt;
	}
	return NULL;
}

static void
store_local(struct txn *t)
{
	const struct delivery_target *dt;
	const struct fdest *fd;
	char *why = NULL;
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		struct rcpt *r = &t->r[i];

		if (r->res.status != RS_OK || !r->local)
			continue;
		if (r->filter == NULL) {
			rcpt_add_target(t, r, r->folder_id, 0, NULL, 0);
			continue;
		}
		for (j = 0; j < r->filter->ndest; j++) {
			fd = &r->filter->dest[j];
			rcpt_add_target(t, r, fd->folder_id, fd->flags, fd->kw,
			    fd->nkw);
		}
	}
	if (delivery_count(t->d) > 0 && delivery_commit(t->d, &why) < 0) {
		struct result r;

		result_from_errno(&r, errno, "delivery", why);
		for (i = 0; i < t->n; i++)
			if (t->r[i].ntidx > 0 && t->r[i].res.status == RS_OK)
				t->r[i].res = r;
		free(why);
		return;
	}
	for (i = 0; i < t->n; i++) {
		struct rcpt *r = &t->r[i];

		if (r->res.status != RS_OK || !r->local)
			continue;
		if ((dt = failed_target(t, r)) != NULL)
			result_from_errno(&r->res, dt->err, "delivery", dt->why);
		else if (r->ntidx > 0)
			result_set(&r->res, RS_OK, 250, "2.0.0", 0,
			    "<%s>: delivered", r->addr);
		else
			result_set(&r->res, RS_OK, 250, "2.0.0", 0,
			    "<%s>: delivered (Sieve: %s)", r->addr,
			    r->filter->summary);
	}
}

/* Re-inject one forwarded copy with a Delivered-To of its own. */
static void
forward_one(struct txn *t, struct rcpt *r)
{
	const char *rcpts[SENDMAIL_RCPT_MAX];
	struct buf list = BUF_INIT, dt = BUF_INIT;
	char *p, *why = NULL;
	size_t n = 0;
	int temporary;

	buf_append(&list, r->fwd_to.data, r->fwd_to.len);
	for (p = strtok(list.data, "\n"); p && n < SENDMAIL_RCPT_MAX;
	    p = strtok(NULL, "\n"))
		rcpts[n++] = p;
	buf_printf(&dt, "Delivered-To: %s%s%s\r\n", r->name,
	    strchr(r->name, '@') ? "" : "@",
	    strchr(r->name, '@') ? "" : t->dc->conf->hostname);
	if (sendmail_send_at(t->dc->conf, t->sender, rcpts, n, dt.data, dt.len,
	    delivery_fd(t->d), (off_t)t->skip, &temporary, &why) < 0) {
		if (temporary)
			result_set(&r->res, RS_TEMP, 451, "4.3.0", EX_TEMPFAIL,
			    "<%s>: forwarding failed: %s", r->addr, why);
		else
			result_set(&r->res, RS_PERM, 554, "5.3.0", EX_UNAVAILABLE,
			    "<%s>: forwarding failed: %s", r->addr, why);
	} else if (!r->local) {
		result_set(&r->res, RS_OK, 250, "2.1.5", 0, "<%s>: forwarded",
		    r->addr);
	}
	free(why);
	buf_free(&list);
	buf_free(&dt);
}

void
txn_finish(struct txn *t, int aon)
{
	char *why = NULL;
	size_t i;

	if (txn_ok_count(t) == 0)
		return;
	if (t->d == NULL && t->data_err == 0)
		txn_start(t);
	if (t->data_err == 0 && delivery_end_data(t->d, &why) < 0) {
		t->data_err = errno ? errno : EIO;
		t->data_why = why;
	}
	if (t->data_err) {
		data_failed(t);
		return;
	}
	for (i = 0; i < t->n; i++) {
		struct rcpt *r = &t->r[i];

		if (r->res.status != RS_OK)
			continue;
		if (r->forward && r->fwd_to.len > 0 && txn_looped(t, r)) {
			result_set(&r->res, RS_PERM, 554, "5.4.6", EX_UNAVAILABLE,
			    "<%s>: mail forwarding loop for %s", r->addr,
			    r->name);
			continue;
		}
		rcpt_check_quota(t->dc, r, delivery_size(t->d));
	}
	if (give_up_if_any_failed(t, aon))
		return;
	filter_run(t, !aon);
	if (give_up_if_any_failed(t, aon))
		return;
	store_local(t);
	if (give_up_if_any_failed(t, aon)) {
		undo_stored(t);
		return;
	}
	for (i = 0; i < t->n; i++)
		if (t->r[i].res.status == RS_OK && t->r[i].fwd_to.len > 0)
			forward_one(t, &t->r[i]);
	if (give_up_if_any_failed(t, aon)) {
		undo_stored(t);
		return;
	}
	/* Last, what cannot be taken back: redirects, refusals, answers. */
	filter_finish(t, !aon);
	if (give_up_if_any_failed(t, aon))
		undo_stored(t);
}

void
txn_log(struct txn *t)
{
	char uid[16], size[24];
	size_t i;

	snprintf(size, sizeof(size), "%llu",
	    (unsigned long long)(t->d && !t->data_err ? delivery_size(t->d) : 0));
	for (i = 0; i < t->n; i++) {
		struct rcpt *r = &t->r[i];
		const struct delivery_target *dt = r->ntidx > 0 ?
		    delivery_target(t->d, r->tidx[0]) : NULL;
		int stored = dt && dt->status == 1;

		snprintf(uid, sizeof(uid), "%u", stored ? dt->uid : 0);
		log_event(r->res.status == RS_OK ? LOG_INFO : LOG_NOTICE,
		    "deliver", "id", t->id, "rcpt", r->addr,
		    "account", r->name[0] ? r->name : NULL,
		    "folder", stored ? (r->filter && r->filter->ndest > 0 ?
		    r->filter->dest[0].folder : r->folder) : NULL,
		    "sieve", r->filter ? r->filter->summary : NULL,
		    "uid", stored ? uid : NULL, "size", size,
		    "forward", r->fwd_to.len && r->res.status == RS_OK ? "yes" :
		    NULL,
		    "result", r->res.status == RS_OK ? "ok" :
		    r->res.status == RS_TEMP ? "tempfail" : "fail",
		    "dsn", r->res.dsn,
		    "reason", r->res.status == RS_OK ? NULL : r->res.text, NULL);
	}
}

void
txn_free(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		rcpt_free(&t->r[i]);
		filter_free(&t->r[i]);
		free(t->r[i].tidx);
	}
	free(t->r);
	delivery_free(t->d);
	hdrscan_free(&t->scan);
	free(t->sender);
	free(t->data_why);
	memset(t, 0, sizeof(*t));
}
