/* store - STORE, COPY, MOVE and APPEND. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acl.h"
#include "buf.h"
#include "conf.h"
#include "copy.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "imapd.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "seen.h"

/* ---- flags ---- */

static int
system_flag(const char *name, uint32_t *flag_r)
{
	static const struct { const char *n; uint32_t f; } sys[] = {
		{ "Seen", MSG_SEEN }, { "Answered", MSG_ANSWERED },
		{ "Flagged", MSG_FLAGGED }, { "Deleted", MSG_DELETED },
		{ "Draft", MSG_DRAFT },
	};
	size_t i;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcasecmp(name, sys[i].n) == 0) {
			*flag_r = sys[i].f;
			return 1;
		}
	return 0;
}

/*
 * A flag list: "(" [flag *(SP flag)] ")", or (for STORE) flags without
 * parentheses. Keywords get a bit in f (created when add_keywords).
 */
int
parse_flag_list(struct sess *s, struct folder *f, uint32_t *flags_r,
    uint64_t *kw_r, int add_keywords, struct buf *kwnames)
{
	struct buf w = BUF_INIT;
	uint32_t fl;
	int paren = rd_peek(&s->rd) == '(', n = 0, bit, rc = -1;
	char *why = NULL;

	*flags_r = 0;
	*kw_r = 0;
	if (paren && rd_open(&s->rd) < 0)
		return -1;
	while (paren ? rd_peek(&s->rd) != ')' : (n == 0 || rd_peek(&s->rd) == ' ')) {
		if (n++ && rd_sp(&s->rd) < 0)
			goto out;
		if (rd_peek(&s->rd) == '\\') {
			s->rd.pos++;
			if (rd_atom(&s->rd, &w) < 0)
				goto out;
			if (!system_flag(w.data, &fl)) {
				rd_fail(&s->rd, RD_BAD, strcasecmp(w.data, "Recent") == 0 ?
				    "\\Recent cannot be changed" : "unknown system flag");
				goto out;
			}
			*flags_r |= fl;
			continue;
		}
		if (rd_atom(&s->rd, &w) < 0)
			goto out;
		if (kwnames) {
			if (kwnames->len)
				buf_putc(kwnames, ' ');
			buf_append(kwnames, w.data, w.len);
		}
		if (f == NULL)
			continue;
		bit = folder_keyword_bit(f, w.data, add_keywords, &why);
		free(why);
		why = NULL;
		if (bit >= 0)
			*kw_r |= (uint64_t)1 << bit;
		else if (add_keywords) {
			rd_fail(&s->rd, RD_BAD, "too many keywords in this mailbox");
			goto out;
		}
	}
	rc = paren ? rd_close(&s->rd) : 0;
out:
	buf_free(&w);
	return rc;
}

/* ---- STORE ---- */

struct storeop {
	int	 mode;		/* '+', '-', or 0 for replace */
	int	 silent;
	uint32_t flags;
	uint64_t kw;
	uint64_t unchangedsince;
};

static int
store_one(struct sess *s, const struct storeop *op, uint32_t vseq,
    struct msgrec *r, int *changed_r)
{
	struct sel *sel = s->sel;
	uint32_t set = 0, clear = 0, allowed = 0, before = sel_flags(s, r);
	uint64_t kset = 0, kclear = 0;
	char *why = NULL;
	int rc;

	if (sel->rights & ACL_S)
		allowed |= MSG_SEEN;
	if (sel->rights & ACL_T)
		allowed |= MSG_DELETED;
	if (sel->rights & ACL_W)
		allowed |= MSG_ANSWERED | MSG_FLAGGED | MSG_DRAFT;
	if (op->mode == '+') {
		set = op->flags;
		kset = op->kw;
	} else if (op->mode == '-') {
		clear = op->flags;
		kclear = op->kw;
	} else {
		set = op->flags;
		clear = MSG_SYSFLAGS & ~op->flags;
		kset = op->kw;
		kclear = ~op->kw;
	}
	set &= allowed;
	clear &= allowed;
	if (!(sel->rights & ACL_W))
		kset = kclear = 0;
	if (sel->peruser && ((set | clear) & MSG_SEEN)) {
		if (op->unchangedsince && r->modseq > op->unchangedsince)
			return 0;
		seen_mark(&sel->seen, r->uid, (set & MSG_SEEN) != 0);
		set &= ~MSG_SEEN;
		clear &= ~MSG_SEEN;
	}
	rc = folder_store(sel->f, vseq, set, clear, kset, kclear,
	    op->unchangedsince, r, &why);
	if (rc < 0 && errno == ESTALE) {
		free(why);
		return -2;
	}
	if (rc < 0) {
		log_event(LOG_ERR, "store_failed", "user", s->user.name, "error",
		    why, NULL);
		free(why);
		return -1;
	}
	if (rc > 0 && r->modseq == sel->modseq_known + 1)
		sel->modseq_known = r->modseq;
	*changed_r = sel_flags(s, r) != before;
	return rc;
}

static int
store_args(struct sess *s, struct storeop *op)
{
	struct buf w = BUF_INIT, mod = BUF_INIT;
	const char *p;
	int rc = -1;

	if (rd_peek(&s->rd) == '(') {
		if (rd_open(&s->rd) < 0 || rd_atom(&s->rd, &mod) < 0 ||
		    strcasecmp(mod.data, "UNCHANGEDSINCE") != 0 ||
		    rd_sp(&s->rd) < 0 ||
		    rd_number(&s->rd, UINT64_MAX >> 1, &op->unchangedsince) < 0 ||
		    rd_close(&s->rd) < 0 || rd_sp(&s->rd) < 0)
			goto out;
		s->condstore = 1;
	}
	if (rd_peek(&s->rd) == '+' || rd_peek(&s->rd) == '-')
		op->mode = s->rd.line.data[s->rd.pos++];
	if (rd_atom(&s->rd, &w) < 0)
		goto out;
	p = w.data;
	if (strncasecmp(p, "FLAGS", 5) != 0 ||
	    (p[5] && strcasecmp(p + 5, ".SILENT") != 0)) {
		rd_fail(&s->rd, RD_BAD, "expected FLAGS, +FLAGS or -FLAGS");
		goto out;
	}
	op->silent = p[5] != '\0';
	if (rd_sp(&s->rd) < 0 ||
	    parse_flag_list(s, s->sel->readonly ? NULL : s->sel->f, &op->flags,
	    &op->kw, op->mode != '-', NULL) < 0 || rd_eol(&s->rd) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&w);
	buf_free(&mod);
	return rc;
}

int
cmd_store(struct sess *s)
{
	struct storeop op;
	struct buf raw = BUF_INIT, modified = BUF_INIT;
	struct uidlist mod = { NULL, 0, 0 };
	struct msgset_iter it;
	struct msgrec r;
	uint32_t vseq;
	int got, changed, rc = -1, failed = 0;

	memset(&op, 0, sizeof(op));
	if (rd_sp(&s->rd) < 0 || rd_seqset(&s->rd, &raw) < 0 ||
	    rd_sp(&s->rd) < 0 || store_args(s, &op) < 0)
		goto out;
	rc = 0;
	if (s->sel->readonly) {
		reply_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
		goto out;
	}
	if (iter_begin(s, raw.data, s->uid, &it) < 0) {
		rc = -1;
		goto out;
	}
	(void)sel_refresh(s);
	while ((got = iter_next(s, &it, &vseq, &r)) != 0) {
		if (got < 0) {
			failed++;
			continue;
		}
		changed = 0;
		got = store_one(s, &op, vseq, &r, &changed);
		if (got == -2) {	/* the index was replaced: catch up */
			uint32_t uid = r.uid;

			(void)sel_refresh(s);
			if (folder_find_uid(s->sel->f, uid, &vseq, NULL) == 1 &&
			    folder_record(s->sel->f, vseq, &r, NULL) == 1)
				got = store_one(s, &op, vseq, &r, &changed);
			if (it.uid)
				(void)folder_seq_at_or_after(s->sel->f, uid + 1,
				    &it.next, NULL);
		}
		if (got < 0) {
			failed++;
		} else if (got == 0) {
			uidlist_add(&mod, s->uid ? r.uid : sel_view_to_client(s, vseq));
		} else if (!op.silent || (op.unchangedsince && changed)) {
			fetch_flags_response(s, vseq, &r, s->uid,
			    s->condstore || op.unchangedsince);
		}
	}
	iter_end(&it);
	(void)sel_save_seen(s);
	(void)folder_sync(s->sel->f, NULL);
	if (failed)
		reply_tagged(s, "NO", "[SERVERBUG] Some flags could not be stored");
	else if (mod.n) {
		uidlist_format(&mod, &modified);
		reply_tagged(s, "OK", "[MODIFIED %s] Conditional store completed",
		    modified.data);
	} else
		reply_tagged(s, "OK", "Store completed");
out:
	uidlist_free(&mod);
	buf_free(&raw);
	buf_free(&modified);
	return rc;
}

/* ---- COPY, MOVE ---- */

struct srcset {
	uint32_t *uids, *flags;
	size_t	 n, cap;
	uint64_t bytes;
	struct seqset uidset;	/* for MOVE's expunge */
};

static int
collect(struct sess *s, const char *raw, struct srcset *src)
{
	struct msgset_iter it;
	struct msgrec r;
	uint32_t vseq;
	int got;

	if (iter_begin(s, raw, s->uid, &it) < 0)
		return -1;
	while ((got = iter_next(s, &it, &vseq, &r)) != 0) {
		if (got < 0)
			continue;
		if (src->n == src->cap) {
			src->cap = src->cap ? src->cap * 2 : 64;
			src->uids = mem_realloc(src->uids, src->cap, sizeof(uint32_t));
			src->flags = mem_realloc(src->flags, src->cap, sizeof(uint32_t));
		}
		src->uids[src->n] = r.uid;
		src->flags[src->n] = sel_flags(s, &r);
		src->bytes += r.size;
		src->n++;
	}
	iter_end(&it);
	return 0;
}

struct moved {
	struct sess	*s;
	uint32_t	 done;
	struct uidlist	 uids;
	const struct seqset *set;
};

static int
want_moved(const struct msgrec *r, void *ctx)
{
	const struct moved *m = ctx;

	return seqset_has(m->set, r->uid);
}

static void
moved_one(uint32_t uid, uint32_t oldseq, void *ctx)
{
	struct moved *m = ctx;

	if (m->s->qresync)
		uidlist_add(&m->uids, uid);
	else
		sel_expunged(m->s, uid, oldseq + 1 - m->done);
	m->done++;
}

static int
copy_or_move(struct sess *s, int move)
{
	struct buf raw = BUF_INIT, name = BUF_INIT, wire = BUF_INIT;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct srcset src;
	struct mref m;
	uint32_t *newuids = NULL, uv = 0;
	char *why = NULL;
	int rc = -1, r;

	memset(&src, 0, sizeof(src));
	memset(&m, 0, sizeof(m));
	if (rd_sp(&s->rd) < 0 || rd_seqset(&s->rd, &raw) < 0 ||
	    rd_sp(&s->rd) < 0 || rd_mailbox(&s->rd, &wire) < 0 ||
	    rd_eol(&s->rd) < 0)
		goto out;
	(void)sel_refresh(s);
	if (collect(s, raw.data, &src) < 0)
		goto out;
	rc = 0;
	if (mbox_decode_name(s, &wire, &name) < 0) {
		reply_tagged(s, "NO", "[CANNOT] Bad mailbox name");
		goto out;
	}
	r = mref_resolve(s, name.data, &m, &why);
	if (r < 0) {
		cmd_internal_error(s, "copy", why);
		goto out;
	}
	if (r == 0 || !m.exists) {
		reply_tagged(s, "NO", "[TRYCREATE] No such mailbox");
		goto out;
	}
	if (!(m.rights & ACL_I) || (move && (s->sel->readonly ||
	    (s->sel->rights & (ACL_T | ACL_E)) != (ACL_T | ACL_E)))) {
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
		goto out;
	}
	if (src.n == 0) {
		reply_tagged(s, "OK", "%s completed (no messages)", move ? "Move" :
		    "Copy");
		goto out;
	}
	if (strcmp(m.owner.name, s->sel->owner.name) != 0 &&
	    !quota_allows(s, &m.owner, src.bytes)) {
		reply_tagged(s, "NO", "[OVERQUOTA] Quota exceeded");
		goto out;
	}
	newuids = mem_alloc(src.n, sizeof(*newuids));
	if (copy_messages(s->store, s->sel->f, src.uids,
	    s->sel->peruser || m.ns != NS_PERSONAL ? src.flags : NULL, src.n,
	    &m.owner, m.id, newuids, &uv, &why) < 0) {
		if (errno == ENOENT) {
			reply_tagged(s, "NO", "[EXPUNGEISSUED] Some messages were "
			    "expunged meanwhile");
			free(why);
		} else {
			cmd_internal_error(s, "copy", why);
		}
		goto out;
	}
	seqset_format(src.uids, src.n, &a);
	seqset_format(newuids, src.n, &b);
	if (!move) {
		reply_tagged(s, "OK", "[COPYUID %u %s %s] Copy completed", uv,
		    a.data, b.data);
		goto out;
	}
	netio_printf(s->n, "* OK [COPYUID %u %s %s] Moved\r\n", uv, a.data,
	    b.data);
	if (seqset_parse(a.data, UINT32_MAX, &src.uidset) == 0) {
		struct moved mv = { s, 0, { NULL, 0, 0 }, &src.uidset };
		struct buf set = BUF_INIT;

		sel_flush_pending(s);
		if (folder_expunge(s->sel->f, want_moved, moved_one, &mv, &why) < 0) {
			log_event(LOG_ERR, "move_expunge_failed", "user",
			    s->user.name, "error", why, NULL);
			free(why);
		}
		if (mv.uids.n) {
			uidlist_format(&mv.uids, &set);
			netio_printf(s->n, "* VANISHED %s\r\n", set.data);
			buf_free(&set);
		}
		s->sel->known -= mv.done;
		uidlist_free(&mv.uids);
	}
	reply_tagged(s, "OK", "Move completed");
out:
	mref_free(&m);
	free(src.uids);
	free(src.flags);
	seqset_free(&src.uidset);
	free(newuids);
	buf_free(&raw);
	buf_free(&name);
	buf_free(&wire);
	buf_free(&a);
	buf_free(&b);
	return rc;
}

int
cmd_copy(struct sess *s)
{
	return copy_or_move(s, 0);
}

int
cmd_move(struct sess *s)
{
	return copy_or_move(s, 1);
}

/* ---- APPEND ---- */

static int
parse_datetime(const char *p, int64_t *when_r, int *tz_r)
{
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	int day, year, hh, mm, ss, zone, i;
	char mon[4], sign;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%2d-%3s-%4d %2d:%2d:%2d %c%4d", &day, mon, &year, &hh,
	    &mm, &ss, &sign, &zone) != 8 || (sign != '+' && sign != '-') ||
	    strlen(p) < 25 || day < 1 || day > 31 || hh > 23 || mm > 59 ||
	    ss > 60 || year < 1900 || zone % 100 > 59 || zone > 2400)
		return -1;
	for (i = 0; i < 12; i++)
		if (strncasecmp(mons + 3 * i, mon, 3) == 0)
			break;
	if (i == 12)
		return -1;
	tm.tm_mday = day;
	tm.tm_mon = i;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*tz_r = (zone / 100 * 60 + zone % 100) * (sign == '-' ? -1 : 1);
	*when_r = (int64_t)timegm(&tm) - (int64_t)*tz_r * 60;
	return 0;
}

struct sink {
	struct delivery	*d;
	char		*why;
};

static int
to_delivery(void *ctx, const char *data, size_t len)
{
	struct sink *k = ctx;

	return delivery_write_lf(k->d, data, len, k->why ? NULL : &k->why);
}

/*
 * What delivery does not store: keywords (it stores system flags only)
 * and, in another account's folder, this user's own \Seen.
 */
static void
append_extras(struct sess *s, const struct mref *m, uint32_t uid,
    const struct buf *kwnames, int seen)
{
	struct folder *f;
	struct msgrec r;
	struct seen sn;
	uint64_t kw = 0;
	uint32_t seq;
	const char *p = kwnames->data;
	int bit;

	if ((kwnames->len == 0 && !seen) ||
	    folder_open_id(s->store, &m->owner, m->id, 0, &f, NULL) <= 0)
		return;
	if (seen && seen_load(f, s->user.name, &sn, NULL) == 0) {
		seen_mark(&sn, uid, 1);
		(void)seen_save(f, &sn, NULL);
		seen_free(&sn);
	}
	while (p && *p) {
		const char *sp = strchr(p, ' ');
		char *name = mem_strndup(p, sp ? (size_t)(sp - p) : strlen(p));

		if ((bit = folder_keyword_bit(f, name, 1, NULL)) >= 0)
			kw |= (uint64_t)1 << bit;
		free(name);
		p = sp ? sp + 1 : NULL;
	}
	if (kw && folder_find_uid(f, uid, &seq, NULL) == 1)
		(void)folder_store(f, seq, 0, 0, kw, 0, 0, &r, NULL);
	(void)folder_sync(f, NULL);
	folder_close(f);
}

int
cmd_append(struct sess *s)
{
	struct buf wire = BUF_INIT, name = BUF_INIT, date = BUF_INIT, kw = BUF_INIT;
	struct delivery_target *t;
	struct sink k = { NULL, NULL };
	struct mref m;
	uint64_t len, limit = s->conf->max_message_size;
	uint32_t flags = 0, uid, uv;
	uint64_t kwbits;
	int64_t when = 0;
	int tz = 0, sync, r, rc = -1, resolved = -1, peruser_seen = 0;
	char *why = NULL;

	memset(&m, 0, sizeof(m));
	if (s->conf->imap_max_literal < limit)
		limit = s->conf->imap_max_literal;
	if (rd_sp(&s->rd) < 0 || rd_mailbox(&s->rd, &wire) < 0 ||
	    rd_sp(&s->rd) < 0)
		goto out;
	if (rd_peek(&s->rd) == '(' && (parse_flag_list(s, NULL, &flags, &kwbits,
	    0, &kw) < 0 || rd_sp(&s->rd) < 0))
		goto out;
	if (rd_peek(&s->rd) == '"') {
		if (rd_string(&s->rd, &date) < 0 || rd_sp(&s->rd) < 0)
			goto out;
		if (parse_datetime(date.data, &when, &tz) < 0) {
			rd_fail(&s->rd, RD_BAD, "bad date-time");
			goto out;
		}
	}
	if (rd_peek(&s->rd) == '~')
		s->rd.pos++;
	if (rd_literal_head(&s->rd, &len, &sync) < 0)
		goto out;
	rc = 0;
	if (mbox_decode_name(s, &wire, &name) == 0)
		resolved = mref_resolve(s, name.data, &m, &why);
	if (resolved < 0 && why) {
		rd_skip(&s->rd);
		cmd_internal_error(s, "append", why);
		goto out;
	}
	if (resolved <= 0 || !m.exists || !(m.rights & ACL_I)) {
		rd_skip(&s->rd);
		if (resolved > 0 && m.exists)
			reply_tagged(s, "NO", "[NOPERM] Permission denied");
		else
			reply_tagged(s, "NO", "[TRYCREATE] No such mailbox");
		goto out;
	}
	if (len > limit) {
		rd_skip(&s->rd);
		reply_tagged(s, "NO", "[TOOBIG] Message larger than %llu bytes",
		    (unsigned long long)limit);
		goto out;
	}
	if (!quota_allows(s, &m.owner, len)) {
		rd_skip(&s->rd);
		reply_tagged(s, "NO", "[OVERQUOTA] Quota exceeded");
		goto out;
	}
	if (delivery_begin(s->store, "", &k.d, &why) < 0) {
		rd_skip(&s->rd);
		cmd_internal_error(s, "append", why);
		goto out;
	}
	if (sync && (netio_puts(s->n, "+ Ready for literal data\r\n") < 0 ||
	    netio_flush(s->n) < 0)) {
		rc = -2;
		goto out;
	}
	r = netio_read_stream(s->n, len, to_delivery, &k);
	if (r < 0 && r != NETIO_REFUSED) {
		rc = -2;
		goto out;
	}
	if (rd_continue(&s->rd) < 0 || rd_eol(&s->rd) < 0) {
		rc = s->rd.err == RD_IO ? -2 : -1;
		goto out;
	}
	if (r == NETIO_REFUSED) {
		reply_tagged(s, errno == EFBIG ? "NO" : "NO", "%s",
		    errno == EFBIG ? "[TOOBIG] Message too large" :
		    "[SERVERBUG] Message could not be stored");
		log_event(LOG_ERR, "append_failed", "user", s->user.name, "error",
		    k.why, NULL);
		goto out;
	}
	if (when)
		delivery_set_date(k.d, when, tz);
	peruser_seen = m.ns != NS_PERSONAL && (m.rights & ACL_S) &&
	    (flags & MSG_SEEN);
	if (m.ns != NS_PERSONAL || !(m.rights & ACL_S))
		flags &= ~MSG_SEEN;
	if (!(m.rights & ACL_T))
		flags &= ~MSG_DELETED;
	if (!(m.rights & ACL_W)) {
		flags &= MSG_SEEN | MSG_DELETED;
		buf_reset(&kw);
	}
	t = delivery_add(k.d, &m.owner, m.id, flags);
	if (delivery_commit(k.d, &why) <= 0 || t->status != 1) {
		log_event(LOG_ERR, "append_failed", "user", s->user.name, "error",
		    why ? why : t->why, NULL);
		reply_tagged(s, "NO", "%s", file_errno_temporary(t->err) ?
		    "[UNAVAILABLE] Message could not be stored now" :
		    "[SERVERBUG] Message could not be stored");
		goto out;
	}
	uid = t->uid;
	uv = t->uidvalidity;
	append_extras(s, &m, uid, &kw, peruser_seen);
	reply_tagged(s, "OK", "[APPENDUID %u %u] Append completed", uv, uid);
out:
	delivery_free(k.d);
	free(k.why);
	free(why);
	mref_free(&m);
	buf_free(&wire);
	buf_free(&name);
	buf_free(&date);
	buf_free(&kw);
	return rc;
}
