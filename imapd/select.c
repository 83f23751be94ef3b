/*
 * select - the selected mailbox: SELECT/EXAMINE, the client's view of
 * sequence numbers, untagged EXISTS/EXPUNGE/FETCH updates at the moments
 * RFC 3501 allows, NOOP, CHECK, IDLE, CLOSE, UNSELECT, EXPUNGE.
 *
 * The session's view is the folder's (folder.h): record N is message
 * N+1. Expunges by others that the client may not be told yet (during
 * FETCH, STORE, SEARCH) wait in sel->pend, a short list of client
 * sequence numbers, and are mapped out of client numbers until told.
 * No per-message array is kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acl.h"
#include "buf.h"
#include "conf.h"
#include "folder.h"
#include "imapd.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "seen.h"
#include "watch.h"

#define FLAG_SCAN_MAX	20000	/* scan for others' flag changes after
				   every command up to this size */

/* ---- numbering ---- */

int
sel_client_to_view(struct sess *s, uint32_t cseq, uint32_t *vseq_r)
{
	struct sel *sel = s->sel;
	uint32_t below = 0;
	size_t i;

	for (i = 0; i < sel->npend && sel->pend[i].seq <= cseq; i++) {
		if (sel->pend[i].seq == cseq)
			return 0;
		below++;
	}
	*vseq_r = cseq - 1 - below;
	return *vseq_r < folder_count(sel->f);
}

uint32_t
sel_view_to_client(struct sess *s, uint32_t vseq)
{
	struct sel *sel = s->sel;
	uint32_t c = vseq + 1;
	size_t i;

	for (i = 0; i < sel->npend && sel->pend[i].seq <= c; i++)
		c++;
	return c;
}

static void
pend_add(struct sess *s, uint32_t uid, uint32_t vseq)
{
	struct sel *sel = s->sel;
	uint32_t c = sel_view_to_client(s, vseq);
	size_t i;

	if (sel->npend == sel->cappend) {
		sel->cappend = sel->cappend ? sel->cappend * 2 : 16;
		sel->pend = mem_realloc(sel->pend, sel->cappend, sizeof(*sel->pend));
	}
	for (i = sel->npend; i > 0 && sel->pend[i - 1].seq > c; i--)
		sel->pend[i] = sel->pend[i - 1];
	sel->pend[i].seq = c;
	sel->pend[i].uid = uid;
	sel->npend++;
}

/* folder_refresh() reports positions in the view before any removal,
 * ascending: each earlier one already moved the later ones down. */
struct xctx {
	struct sess	*s;
	uint32_t	 done;
};

static void
refresh_gone(uint32_t uid, uint32_t oldseq, void *vctx)
{
	struct xctx *x = vctx;

	pend_add(x->s, uid, oldseq - x->done);
	x->done++;
}

/* ---- flags ---- */

int
sel_is_recent(const struct sel *sel, uint32_t uid)
{
	size_t i;

	for (i = 0; i < sel->nrecent; i++)
		if (uid >= sel->recent[i].lo && uid < sel->recent[i].hi)
			return 1;
	return 0;
}

uint32_t
sel_flags(struct sess *s, const struct msgrec *r)
{
	uint32_t f = r->flags & MSG_SYSFLAGS;

	if (s->sel->peruser)
		f = (f & ~MSG_SEEN) | (seen_has(&s->sel->seen, r->uid) ? MSG_SEEN : 0);
	return f;
}

void
write_flags(struct sess *s, const struct msgrec *r)
{
	static const char *const names[] = { "\\Seen", "\\Answered",
	    "\\Flagged", "\\Deleted", "\\Draft" };
	char out[256];
	size_t len = 0, i;
	uint32_t f = sel_flags(s, r);
	const char *kw;

	out[len++] = '(';
	for (i = 0; i < 5; i++)
		if (f & (1U << i)) {
			size_t n = strlen(names[i]);

			if (len > 1)
				out[len++] = ' ';
			memcpy(out + len, names[i], n);
			len += n;
		}
	if (sel_is_recent(s->sel, r->uid)) {
		if (len > 1)
			out[len++] = ' ';
		memcpy(out + len, "\\Recent", 7);
		len += 7;
	}
	netio_write(s->n, out, len);
	for (i = 0; r->keywords && i < FOLDER_KEYWORDS_MAX; i++)
		if ((r->keywords & ((uint64_t)1 << i)) &&
		    (kw = folder_keyword_name(s->sel->f, (unsigned)i)) != NULL) {
			if (len > 1)
				netio_puts(s->n, " ");
			netio_puts(s->n, kw);
			len = 2;
		}
	netio_puts(s->n, ")");
}

void
write_flag_list(struct sess *s)
{
	const char *kw;
	unsigned i;

	netio_puts(s->n, "\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < FOLDER_KEYWORDS_MAX; i++)
		if ((kw = folder_keyword_name(s->sel->f, i)) != NULL) {
			netio_puts(s->n, " ");
			netio_puts(s->n, kw);
			s->sel->kw_known = i + 1;
		}
}

static void
write_flags_untagged(struct sess *s)
{
	netio_puts(s->n, "* FLAGS (");
	write_flag_list(s);
	netio_puts(s->n, ")\r\n* OK [PERMANENTFLAGS (");
	if (!s->sel->readonly) {
		write_flag_list(s);
		netio_puts(s->n, " \\*");
	}
	netio_puts(s->n, ")] Flags permitted\r\n");
}

/* ---- keeping the client up to date ---- */

static uint32_t
recent_count(struct sess *s)
{
	struct sel *sel = s->sel;
	uint32_t a, b, n = 0;
	size_t i;

	for (i = 0; i < sel->nrecent; i++)
		if (folder_seq_at_or_after(sel->f, sel->recent[i].lo, &a, NULL) == 0 &&
		    folder_seq_at_or_after(sel->f, sel->recent[i].hi, &b, NULL) == 0)
			n += b - a;
	return n;
}

static void
claim_recent(struct sess *s)
{
	struct sel *sel = s->sel;
	uint32_t first, next;

	if (sel->readonly)
		return;
	first = folder_claim_recent(sel->f, NULL);
	next = folder_uidnext(sel->f);
	if (first >= next)
		return;
	if (sel->nrecent && sel->recent[sel->nrecent - 1].hi == first) {
		sel->recent[sel->nrecent - 1].hi = next;
		return;
	}
	if (sel->nrecent == 64) {	/* bounded: forget the oldest */
		memmove(sel->recent, sel->recent + 1, 63 * sizeof(*sel->recent));
		sel->nrecent--;
	}
	sel->recent = mem_realloc(sel->recent, sel->nrecent + 1,
	    sizeof(*sel->recent));
	sel->recent[sel->nrecent].lo = first;
	sel->recent[sel->nrecent].hi = next;
	sel->nrecent++;
}

int
sel_refresh(struct sess *s)
{
	struct sel *sel = s->sel;
	struct folder_changes ch;
	struct xctx x = { s, 0 };
	char *why = NULL;

	if (folder_refresh(sel->f, &ch, refresh_gone, &x, &why) < 0) {
		log_event(LOG_ERR, "refresh_failed", "user", s->user.name,
		    "error", why, NULL);
		free(why);
		return -1;
	}
	if (ch.appended)
		claim_recent(s);
	if (!ch.rewritten && ch.appended && folder_state(sel->f)->highestmodseq ==
	    sel->modseq_known + ch.appended)
		sel->modseq_known = folder_state(sel->f)->highestmodseq;
	return 0;
}

void
sel_expunged(struct sess *s, uint32_t uid, uint32_t cseq)
{
	(void)uid;
	netio_printf(s->n, "* %u EXPUNGE\r\n", cseq);
}

void
sel_flush_pending(struct sess *s)
{
	struct sel *sel = s->sel;
	struct uidlist uids = { NULL, 0, 0 };
	struct buf set = BUF_INIT;
	size_t i;

	if (sel->npend == 0)
		return;
	if (s->qresync) {
		for (i = 0; i < sel->npend; i++)
			uidlist_add(&uids, sel->pend[i].uid);
		uidlist_format(&uids, &set);
		netio_printf(s->n, "* VANISHED %s\r\n", set.data);
		uidlist_free(&uids);
		buf_free(&set);
	} else {
		for (i = sel->npend; i > 0; i--)
			netio_printf(s->n, "* %u EXPUNGE\r\n", sel->pend[i - 1].seq);
	}
	sel->known -= (uint32_t)sel->npend;
	sel->npend = 0;
}

/* Others' flag changes since modseq_known, as untagged FETCH. */
static void
announce_flags(struct sess *s)
{
	struct sel *sel = s->sel;
	uint64_t top = folder_state(sel->f)->highestmodseq;
	struct msgrec r;
	uint32_t i, old = sel->known - (uint32_t)sel->npend;

	if (top <= sel->modseq_known)
		return;
	for (i = 0; i < folder_count(sel->f) && i < old; i++) {
		if (folder_record(sel->f, i, &r, NULL) <= 0 ||
		    r.modseq <= sel->modseq_known)
			continue;
		fetch_flags_response(s, i, &r, s->uid, s->condstore);
	}
	sel->modseq_known = top;
}

/* Send what the client may be told now. */
int
sel_update(struct sess *s, int flags_too)
{
	struct sel *sel = s->sel;
	uint32_t n;

	if (sel == NULL)
		return 0;
	if (sel_refresh(s) < 0)
		return -1;
	if (!s->no_expunge)
		sel_flush_pending(s);
	if (folder_keyword_name(sel->f, sel->kw_known) != NULL)
		write_flags_untagged(s);
	if (flags_too || folder_count(sel->f) <= FLAG_SCAN_MAX)
		announce_flags(s);
	if (sel->npend == 0 && folder_count(sel->f) != sel->known) {
		n = folder_count(sel->f);
		netio_printf(s->n, "* %u EXISTS\r\n", n);
		if (n > sel->known)
			netio_printf(s->n, "* %u RECENT\r\n", recent_count(s));
		sel->known = n;
	}
	return 0;
}

int
sel_save_seen(struct sess *s)
{
	char *why = NULL;

	if (!s->sel->peruser || !seen_dirty(&s->sel->seen))
		return 0;
	if (seen_save(s->sel->f, &s->sel->seen, &why) < 0) {
		log_event(LOG_ERR, "seen_save_failed", "user", s->user.name,
		    "error", why, NULL);
		free(why);
		return -1;
	}
	return 0;
}

/* ---- message sets ---- */

static uint32_t
last_uid(struct sess *s)
{
	struct msgrec r;
	uint32_t n = folder_count(s->sel->f);

	if (n == 0 || folder_record(s->sel->f, n - 1, &r, NULL) <= 0)
		return 0;
	return r.uid;
}

/* 0, or -1: BAD (bad syntax, or numbers past the client's count). */
int
iter_begin(struct sess *s, const char *raw, int uid, struct msgset_iter *it)
{
	uint32_t star = uid ? last_uid(s) : s->sel->known;

	memset(it, 0, sizeof(*it));
	it->uid = uid;
	if (strcmp(raw, "$") == 0) {
		/* SEARCHRES: the saved UIDs, whatever the command's form */
		it->uid = 1;
		if (s->saved.n) {
			it->set.r = mem_alloc(s->saved.n, 2 * sizeof(uint32_t));
			memcpy(it->set.r, s->saved.r, s->saved.n * 2 *
			    sizeof(uint32_t));
			it->set.n = s->saved.n;
		}
		return 0;
	}
	if (seqset_parse(raw, star ? star : (uid ? 0 : 1), &it->set) < 0)
		return rd_fail(&s->rd, RD_BAD, "bad sequence set");
	if (!uid && (s->sel->known == 0 ||
	    it->set.r[2 * it->set.n - 1] > s->sel->known)) {
		seqset_free(&it->set);
		return rd_fail(&s->rd, RD_BAD, "invalid message sequence number");
	}
	return 0;
}

/* 1 with the next message, 0 at the end, -1 on a damaged record. */
int
iter_next(struct sess *s, struct msgset_iter *it, uint32_t *vseq_r,
    struct msgrec *r)
{
	struct folder *f = s->sel->f;
	uint32_t v;
	int rc;

	while (it->i < it->set.n) {
		uint32_t lo = it->set.r[2 * it->i], hi = it->set.r[2 * it->i + 1];

		if (!it->started) {
			it->started = 1;
			if (it->uid) {
				if (folder_seq_at_or_after(f, lo, &it->next, NULL) < 0)
					return -1;
			} else {
				it->next = lo;
			}
		}
		if (it->uid) {
			if (it->next < folder_count(f)) {
				v = it->next++;
				if ((rc = folder_record(f, v, r, NULL)) < 0)
					return -1;
				if (rc > 0 && r->uid <= hi && r->uid >= lo) {
					*vseq_r = v;
					return 1;
				}
			}
		} else if (it->next <= hi && it->next != 0) {
			uint32_t c = it->next++;

			if (c == UINT32_MAX)
				it->next = 0;
			if (!sel_client_to_view(s, c, &v))
				continue;
			if ((rc = folder_record(f, v, r, NULL)) < 0)
				return -1;
			if (rc == 0)
				continue;
			*vseq_r = v;
			return 1;
		}
		it->i++;
		it->started = 0;
	}
	return 0;
}

void
iter_end(struct msgset_iter *it)
{
	seqset_free(&it->set);
}

/* ---- SELECT, EXAMINE ---- */

void
sel_close(struct sess *s)
{
	struct sel *sel = s->sel;

	if (sel == NULL)
		return;
	(void)sel_save_seen(s);
	if (sel->watch_fd >= 0)
		close(sel->watch_fd);
	seen_free(&sel->seen);
	folder_close(sel->f);
	free(sel->folder);
	free(sel->name);
	free(sel->recent);
	free(sel->pend);
	free(sel);
	s->sel = NULL;
	if (s->state == ST_SELECTED)
		s->state = ST_AUTH;
}

struct qresync {
	int	 have;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct buf known;	/* known-uids, raw */
};

static int
select_params(struct sess *s, int *condstore, struct qresync *q)
{
	struct buf w = BUF_INIT;
	uint64_t v;
	int rc = -1;

	if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if (rd_atom(&s->rd, &w) < 0)
			goto out;
		if (strcasecmp(w.data, "CONDSTORE") == 0) {
			*condstore = 1;
		} else if (strcasecmp(w.data, "QRESYNC") == 0 && s->qresync) {
			if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0 ||
			    rd_number(&s->rd, UINT32_MAX, &v) < 0 || v == 0 ||
			    rd_sp(&s->rd) < 0)
				goto out;
			q->uidvalidity = (uint32_t)v;
			if (rd_number(&s->rd, UINT64_MAX >> 1, &q->modseq) < 0)
				goto out;
			if (rd_peek(&s->rd) == ' ') {
				if (rd_sp(&s->rd) < 0 || rd_seqset(&s->rd, &q->known) < 0)
					goto out;
				if (rd_peek(&s->rd) == ' ') {
					/* seq-match-data: accepted, not needed */
					if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0 ||
					    rd_seqset(&s->rd, &w) < 0 ||
					    rd_sp(&s->rd) < 0 ||
					    rd_seqset(&s->rd, &w) < 0 ||
					    rd_close(&s->rd) < 0)
						goto out;
				}
			}
			if (rd_close(&s->rd) < 0)
				goto out;
			q->have = 1;
		} else {
			rd_fail(&s->rd, RD_BAD, "unknown SELECT parameter");
			goto out;
		}
		if (rd_peek(&s->rd) == ' ' && rd_sp(&s->rd) < 0)
			goto out;
	}
	rc = rd_close(&s->rd);
out:
	buf_free(&w);
	return rc;
}

struct vanished {
	struct seqset	 known;
	struct uidlist	 uids;
};

static void
vanished_one(uint32_t uid, void *vctx)
{
	struct vanished *v = vctx;

	if (v->known.n == 0 || seqset_has(&v->known, uid))
		uidlist_add(&v->uids, uid);
}

/* The UIDs of known-uids that are not in the folder (log incomplete). */
static void
vanished_by_walk(struct sess *s, struct vanished *v)
{
	uint32_t seq, u;
	size_t i;

	for (i = 0; i < v->known.n; i++)
		for (u = v->known.r[2 * i]; u <= v->known.r[2 * i + 1] &&
		    u < folder_uidnext(s->sel->f) && u != 0; u++) {
			if (folder_find_uid(s->sel->f, u, &seq, NULL) == 1)
				continue;
			vanished_one(u, v);
			if (v->uids.n > 1000000)
				return;
		}
}

static void
qresync_report(struct sess *s, struct qresync *q)
{
	struct vanished v;
	struct buf set = BUF_INIT;
	struct msgrec r;
	int complete = 1;
	uint32_t i, uidnext = folder_uidnext(s->sel->f);

	if (q->uidvalidity != folder_state(s->sel->f)->uidvalidity)
		return;
	memset(&v, 0, sizeof(v));
	if (q->known.len && seqset_parse(q->known.data, uidnext, &v.known) < 0)
		memset(&v.known, 0, sizeof(v.known));
	if (folder_expunged_since(s->sel->f, q->modseq, vanished_one, &v,
	    &complete, NULL) < 0 || !complete) {
		v.uids.n = 0;
		if (v.known.n == 0 && uidnext > 1) {
			v.known.r = mem_alloc(2, sizeof(uint32_t));
			v.known.r[0] = 1;
			v.known.r[1] = uidnext - 1;
			v.known.n = 1;
		}
		vanished_by_walk(s, &v);
	}
	if (v.uids.n) {
		uidlist_format(&v.uids, &set);
		netio_printf(s->n, "* VANISHED (EARLIER) %s\r\n", set.data);
	}
	for (i = 0; i < folder_count(s->sel->f); i++)
		if (folder_record(s->sel->f, i, &r, NULL) > 0 && r.modseq > q->modseq)
			fetch_flags_response(s, i, &r, 1, 1);
	uidlist_free(&v.uids);
	seqset_free(&v.known);
	buf_free(&set);
}

static int
do_select(struct sess *s, int examine)
{
	struct buf wire = BUF_INIT, name = BUF_INIT;
	struct qresync q;
	struct mref m;
	struct sel *sel;
	const struct folder_state *st;
	char *why = NULL;
	int condstore = 0, r, rc = -1;
	uint32_t seq;

	memset(&q, 0, sizeof(q));
	memset(&m, 0, sizeof(m));
	if (rd_sp(&s->rd) < 0 || rd_mailbox(&s->rd, &wire) < 0)
		goto out;
	if (rd_peek(&s->rd) == ' ' && select_params(s, &condstore, &q) < 0)
		goto out;
	if (rd_eol(&s->rd) < 0)
		goto out;
	rc = 0;
	if (s->sel) {
		sel_close(s);
		if (s->qresync)
			netio_puts(s->n, "* OK [CLOSED] Previous mailbox closed\r\n");
	}
	if (mbox_decode_name(s, &wire, &name) < 0) {
		reply_tagged(s, "NO", "[CANNOT] Bad mailbox name");
		goto out;
	}
	r = mref_resolve(s, name.data, &m, &why);
	if (r < 0) {
		cmd_internal_error(s, "select", why);
		goto out;
	}
	if (r == 0 || !m.exists || !(m.rights & ACL_R)) {
		if (r == 1 && m.exists && (m.rights & ACL_L))
			reply_tagged(s, "NO", "[NOPERM] Permission denied");
		else
			reply_tagged(s, "NO", "[NONEXISTENT] No such mailbox");
		goto out;
	}
	sel = mem_zalloc(1, sizeof(*sel));
	sel->watch_fd = -1;
	sel->owner = m.owner;
	sel->rights = m.rights;
	sel->readonly = examine || !(m.rights & (ACL_S | ACL_W | ACL_T | ACL_E));
	sel->peruser = m.ns != NS_PERSONAL;
	r = folder_open_id(s->store, &m.owner, m.id,
	    sel->readonly ? FOLDER_RDONLY : 0, &sel->f, &why);
	if (r <= 0 || (sel->peruser && seen_load(sel->f, s->user.name,
	    &sel->seen, &why) < 0)) {
		folder_close(sel->f);
		free(sel);
		if (r == 0)
			reply_tagged(s, "NO", "[NONEXISTENT] No such mailbox");
		else
			cmd_internal_error(s, "select", why);
		goto out;
	}
	sel->folder = mem_strdup(m.folder);
	sel->name = buf_steal(&name);
	s->sel = sel;
	s->state = ST_SELECTED;
	if (condstore)
		s->condstore = 1;
	if (!sel->readonly)
		claim_recent(s);
	st = folder_state(sel->f);
	sel->known = folder_count(sel->f);
	sel->modseq_known = st->highestmodseq;
	write_flags_untagged(s);
	netio_printf(s->n, "* %u EXISTS\r\n", sel->known);
	netio_printf(s->n, "* %u RECENT\r\n", sel->readonly ? (st->recent_uid ?
	    sel->known - (folder_seq_at_or_after(sel->f, st->recent_uid, &seq,
	    NULL) == 0 ? seq : sel->known) : 0) : recent_count(s));
	if (!sel->peruser && st->unseen && st->first_unseen_uid &&
	    folder_find_uid(sel->f, st->first_unseen_uid, &seq, NULL) == 1)
		netio_printf(s->n, "* OK [UNSEEN %u] First unseen\r\n", seq + 1);
	netio_printf(s->n, "* OK [UIDVALIDITY %u] UIDs valid\r\n",
	    st->uidvalidity);
	netio_printf(s->n, "* OK [UIDNEXT %u] Predicted next UID\r\n",
	    folder_uidnext(sel->f));
	netio_printf(s->n, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
	    (unsigned long long)(st->highestmodseq ? st->highestmodseq : 1));
	if (q.have)
		qresync_report(s, &q);
	reply_tagged(s, "OK", "[%s] %s completed", sel->readonly ? "READ-ONLY" :
	    "READ-WRITE", examine ? "Examine" : "Select");
out:
	mref_free(&m);
	buf_free(&wire);
	buf_free(&name);
	buf_free(&q.known);
	return rc;
}

int
cmd_select(struct sess *s)
{
	return do_select(s, 0);
}

int
cmd_examine(struct sess *s)
{
	return do_select(s, 1);
}

/* ---- NOOP, CHECK, IDLE ---- */

int
cmd_noop(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	if (s->sel)
		(void)sel_update(s, 1);
	reply_tagged(s, "OK", "NOOP completed");
	return 0;
}

int
cmd_check(struct sess *s)
{
	char *why = NULL;

	if (rd_eol(&s->rd) < 0)
		return -1;
	if (folder_sync(s->sel->f, &why) < 0) {
		cmd_internal_error(s, "check", why);
		return 0;
	}
	(void)sel_update(s, 1);
	reply_tagged(s, "OK", "Check completed");
	return 0;
}

int
cmd_idle(struct sess *s)
{
	const char *line;
	size_t len;
	int nul, w, rc, timeout = (int)s->conf->imap_timeout * 1000;
	char *why = NULL;

	if (rd_eol(&s->rd) < 0)
		return -1;
	if (s->sel && s->sel->watch_fd < 0 &&
	    (s->sel->watch_fd = watch_folder(s->sel->f, &why)) < 0) {
		log_event(LOG_WARNING, "watch_failed", "error", why, NULL);
		free(why);
	}
	netio_puts(s->n, "+ idling\r\n");
	for (;;) {
		if (s->sel)
			(void)sel_update(s, 1);
		w = netio_wait(s->n, s->sel ? s->sel->watch_fd : -1,
		    s->sel && s->sel->watch_fd < 0 ? 30000 : timeout);
		if (w < 0)
			return -2;
		if (w & NETIO_WAIT_EXTRA)
			watch_drain(s->sel->watch_fd);
		if (w & NETIO_WAIT_CLIENT)
			break;
		if (w == 0 && !(s->sel && s->sel->watch_fd < 0)) {
			netio_puts(s->n, "* BYE Autologout; idle for too long\r\n");
			return -2;
		}
	}
	rc = netio_read_line(s->n, s->conf->imap_max_line, &line, &len, &nul);
	if (rc < 0)
		return -2;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0) {
		reply_tagged(s, "OK", "IDLE terminated");
		return 0;
	}
	reply_tagged(s, "BAD", "Expected DONE");
	return 0;
}

/* ---- CLOSE, UNSELECT, EXPUNGE ---- */

struct xreport {
	struct sess	*s;
	uint32_t	 done;
	struct uidlist	 uids;
	int		 silent;
	struct seqset	*only;		/* UID EXPUNGE: within these */
};

static int
want_deleted(const struct msgrec *r, void *ctx)
{
	struct xreport *x = ctx;

	return (r->flags & MSG_DELETED) && (x->only == NULL ||
	    seqset_has(x->only, r->uid));
}

static void
expunged_now(uint32_t uid, uint32_t oldseq, void *ctx)
{
	struct xreport *x = ctx;

	if (x->silent)
		return;
	if (x->s->qresync) {
		uidlist_add(&x->uids, uid);
	} else {
		sel_expunged(x->s, uid, oldseq + 1 - x->done);
	}
	x->done++;
}

/* Expunge \Deleted (within uids when given). -1 error (answered). */
static long
expunge_deleted(struct sess *s, struct seqset *uids, int silent)
{
	struct xreport x = { s, 0, { NULL, 0, 0 }, silent, uids };
	struct buf set = BUF_INIT;
	uint64_t before = folder_state(s->sel->f)->highestmodseq;
	char *why = NULL;
	long n;

	(void)sel_refresh(s);
	if (!silent)
		sel_flush_pending(s);
	n = folder_expunge(s->sel->f, want_deleted, expunged_now, &x, &why);
	if (n < 0 && errno == ESTALE) {
		(void)sel_refresh(s);
		sel_flush_pending(s);
		free(why);
		why = NULL;
		n = folder_expunge(s->sel->f, want_deleted, expunged_now, &x, &why);
	}
	if (n < 0) {
		cmd_internal_error(s, "expunge", why);
		uidlist_free(&x.uids);
		return -1;
	}
	if (x.uids.n) {
		uidlist_format(&x.uids, &set);
		netio_printf(s->n, "* VANISHED %s\r\n", set.data);
		buf_free(&set);
	}
	if (!silent)
		s->sel->known -= x.done;
	if (before == s->sel->modseq_known)
		s->sel->modseq_known = folder_state(s->sel->f)->highestmodseq;
	uidlist_free(&x.uids);
	return n;
}

int
cmd_close(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	if (!s->sel->readonly && (s->sel->rights & ACL_E))
		(void)expunge_deleted(s, NULL, 1);
	sel_close(s);
	reply_tagged(s, "OK", "Close completed");
	return 0;
}

int
cmd_unselect(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	sel_close(s);
	reply_tagged(s, "OK", "Unselect completed");
	return 0;
}

int
cmd_expunge(struct sess *s)
{
	struct buf raw = BUF_INIT;
	struct seqset set;
	int have = 0;

	if (s->uid) {
		if (rd_sp(&s->rd) < 0 || rd_seqset(&s->rd, &raw) < 0) {
			buf_free(&raw);
			return -1;
		}
		if (seqset_parse(raw.data, UINT32_MAX, &set) < 0) {
			buf_free(&raw);
			return rd_fail(&s->rd, RD_BAD, "bad UID set");
		}
		have = 1;
	}
	buf_free(&raw);
	if (rd_eol(&s->rd) < 0) {
		if (have)
			seqset_free(&set);
		return -1;
	}
	if (s->sel->readonly)
		reply_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
	else if (!(s->sel->rights & ACL_E))
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
	else if (expunge_deleted(s, have ? &set : NULL, 0) >= 0)
		reply_tagged(s, "OK", "Expunge completed");
	if (have)
		seqset_free(&set);
	return 0;
}
