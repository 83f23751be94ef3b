/*
 * msgs - an account's messages: count, list, delete (returning the
 * unread ones to their senders as DSNs), and trim to a count by
 * deleting the oldest.
 *
 * Messages to return are those not \Seen and not \Deleted in folders
 * without a special use: mail the owner never saw, not the owner's own
 * drafts, sent mail, trash or junk (returning spam would be
 * backscatter).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "dsn.h"
#include "folder.h"
#include "mem.h"
#include "mboxlist.h"
#include "mime.h"
#include "name.h"
#include "store.h"
#include "template.h"
#include "popmgr.h"

#define MSGS_HEADER_MAX	65536	/* header bytes read from a message */

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

static int
open_list(struct mgr *m, const struct acct *a, struct mboxlist *l)
{
	char *why = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	if (mboxlist_load(m->store, a, l, &why) == 0)
		return 0;
	rc = mgr_fail(m, mgr_code(errno), "%s: folders: %s", a->name, why);
	free(why);
	return rc;
}

/* Open folder id: 0 opened, 1 gone meanwhile, or an exit code. */
static int
open_folder(struct mgr *m, const struct acct *a, uint32_t id, int flags,
    struct folder **f_r)
{
	char *why = NULL;
	int rc = folder_open_id(m->store, a, id, flags, f_r, &why);

	if (rc >= 0)
		return rc == 1 ? 0 : 1;
	rc = mgr_fail(m, mgr_code(errno), "%s: folder %u: %s", a->name,
	    (unsigned)id, why);
	free(why);
	return rc;
}

int
msgs_count(struct mgr *m, const struct acct *a, uint64_t *count_r)
{
	struct mboxlist l;
	struct folder *f;
	size_t i;
	int rc;

	*count_r = 0;
	if ((rc = open_list(m, a, &l)) != 0)
		return rc;
	for (i = 0; i < l.n && rc == 0; i++) {
		if ((rc = open_folder(m, a, l.v[i].id, FOLDER_RDONLY, &f)) == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			*count_r += folder_count(f);
			folder_close(f);
		}
	}
	mboxlist_free(&l);
	return rc;
}

/* The header block of a message (at most MSGS_HEADER_MAX bytes). */
static void
read_header(struct folder *f, const struct msgrec *r, struct buf *out)
{
	size_t want = r->header_len && r->header_len < MSGS_HEADER_MAX ?
	    r->header_len : MSGS_HEADER_MAX;
	int fd = folder_open_message(f, r->uid, NULL);
	ssize_t n;

	if (fd < 0)
		return;
	buf_reserve(out, want);
	while (out->len < want && (n = pread(fd, out->data + out->len,
	    want - out->len, (off_t)out->len)) > 0)
		out->len += (size_t)n;
	out->data[out->len] = '\0';
	close(fd);
}

/* A cache field of a record into out: 1 found, 0 not. */
static int
cached(struct folder *f, const struct msgrec *r, int type, struct buf *out)
{
	struct buf payload = BUF_INIT;
	const void *p;
	size_t len;
	int rc = 0;

	if (folder_cache(f, r, &payload, NULL) == 1 &&
	    cache_field(payload.data, payload.len, type, &p, &len) == 1) {
		buf_append(out, p, len);
		rc = 1;
	}
	buf_free(&payload);
	return rc;
}

/* The address of the account, as mail reaches it. */
static void
account_address(struct mgr *m, const struct acct *a, struct buf *out)
{
	const char *dom = m->conf.default_domain;

	buf_puts(out, a->name);
	if (strchr(a->name, '@'))
		return;
	if (*dom == '\0')
		dom = *m->conf.hostname ? m->conf.hostname : "localhost";
	buf_printf(out, "@%s", dom);
}

/* Return one message to its sender: 0 done (*sent_r says whether a
 * DSN went out: not to the null sender), else an exit code (printed). */
static int
return_one(struct mgr *m, const struct acct *a, struct folder *f,
    const struct msgrec *r, int account_gone, int *sent_r)
{
	struct buf hdr = BUF_INIT, sender = BUF_INIT, orig = BUF_INIT,
	    addr = BUF_INIT;
	struct dsn_rcpt rc1;
	struct dsn d;
	char *why = NULL;
	int temp = 0, rc = 0;

	read_header(f, r, &hdr);
	if (!cached(f, r, CACHE_SENDER, &sender) && hdr.len)
		(void)mime_header_value(hdr.data, hdr.len, "Return-Path",
		    &sender);
	(void)cached(f, r, CACHE_RCPT, &orig);
	account_address(m, a, &addr);
	memset(&rc1, 0, sizeof(rc1));
	rc1.address = addr.data;
	rc1.original = orig.len ? orig.data : NULL;
	rc1.status = account_gone ? "5.2.1" : "5.2.0";
	rc1.diagnostic = account_gone ? "mailbox closed by its administrator "
	    "before the message was read" : "message deleted by the "
	    "mailbox's administrator before it was read";
	memset(&d, 0, sizeof(d));
	d.sender = buf_cstr(&sender);
	d.reason = account_gone ? "The mailbox your message was delivered to "
	    "has been closed, and your\nmessage was never read." :
	    "Your message was delivered, but deleted unread by the mailbox's\n"
	    "administrator.";
	d.arrival = r->internaldate;
	d.headers = hdr.data;
	d.headers_len = hdr.len;
	d.rcpts = &rc1;
	d.nrcpts = 1;
	*sent_r = 0;
	if ((rc = dsn_send(&m->conf, &d, &temp, &why)) >= 0) {
		*sent_r = rc;
		rc = 0;
	} else {
		rc = mgr_fail(m, temp ? EX_TEMPFAIL : EX_UNAVAILABLE, "%s: "
		    "message %u in %s: cannot return it: %s (kept)", a->name,
		    (unsigned)r->uid, folder_name(f), why);
		free(why);
	}
	buf_free(&hdr);
	buf_free(&sender);
	buf_free(&orig);
	buf_free(&addr);
	return rc;
}

/* Delete the messages up to a UID, except those kept. */
struct purge {
	uint32_t	 max_uid;
	struct uidset	*keep;	/* sorted; or NULL */
	struct uidset	*only;	/* sorted; or NULL for all */
};

static int
want_purge(const struct msgrec *r, void *ctx)
{
	const struct purge *p = ctx;

	if (r->uid > p->max_uid)
		return 0;	/* arrived after the scan */
	if (p->only && !uidset_has(p->only, r->uid))
		return 0;
	return !(p->keep && uidset_has(p->keep, r->uid));
}

static int
expunge(struct mgr *m, const struct acct *a, struct folder *f,
    struct purge *p, unsigned long *deleted_r)
{
	char *why = NULL;
	long n = folder_expunge(f, want_purge, NULL, p, &why);
	int rc;

	if (n >= 0) {
		*deleted_r += (unsigned long)n;
		return 0;
	}
	rc = mgr_fail(m, mgr_code(errno), "%s: %s: %s", a->name, folder_name(f),
	    why);
	free(why);
	return rc;
}

/* Scan one folder (returning what should be), then delete. */
static int
delete_folder(struct mgr *m, const struct acct *a, const struct mbox *mb,
    int do_return, int gone, unsigned long *deleted_r,
    unsigned long *returned_r)
{
	struct uidset keep = { NULL, 0, 0 };
	struct purge p = { 0, &keep, NULL };
	struct folder *f;
	struct msgrec r;
	uint32_t seq, n;
	int rc, first = 0, sent;

	if ((rc = open_folder(m, a, mb->id, 0, &f)) != 0)
		return rc == 1 ? 0 : rc;
	n = folder_count(f);
	for (seq = 0; seq < n; seq++) {
		if (folder_record(f, seq, &r, NULL) != 1)
			continue;
		p.max_uid = r.uid;
		if (!do_return || mb->special[0] ||
		    (r.flags & (MSG_SEEN | MSG_DELETED)))
			continue;
		if ((rc = return_one(m, a, f, &r, gone, &sent)) != 0) {
			uidset_add(&keep, r.uid);
			first = first ? first : rc;
		} else {
			*returned_r += (unsigned long)sent;
		}
	}
	if (n)
		rc = expunge(m, a, f, &p, deleted_r);
	folder_close(f);
	free(keep.v);
	return first ? first : rc;
}

int
msgs_delete(struct mgr *m, const struct acct *a, int do_return,
    int account_gone, unsigned long *deleted_r, unsigned long *returned_r)
{
	struct mboxlist l;
	size_t i;
	int rc, first = 0;

	*deleted_r = *returned_r = 0;
	if ((rc = open_list(m, a, &l)) != 0)
		return rc;
	for (i = 0; i < l.n; i++) {
		rc = delete_folder(m, a, &l.v[i], do_return, account_gone,
		    deleted_r, returned_r);
		first = first ? first : rc;
	}
	mboxlist_free(&l);
	return first;
}

/* ---- trimming to a count: the oldest go first ---- */

struct aged {
	int64_t		 savedate;
	uint32_t	 uid;
	uint32_t	 folder;	/* index in the folder list */
};

static int
cmp_aged(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	if (x->savedate != y->savedate)
		return x->savedate < y->savedate ? -1 : 1;
	if (x->folder != y->folder)
		return x->folder < y->folder ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Every message of every folder with its age into *v_r. */
static int
collect_aged(struct mgr *m, const struct acct *a, const struct mboxlist *l,
    struct aged **v_r, size_t *n_r)
{
	struct folder *f;
	struct msgrec r;
	size_t i, cap = 0;
	uint32_t seq, n;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	for (i = 0; i < l->n; i++) {
		if ((rc = open_folder(m, a, l->v[i].id, FOLDER_RDONLY, &f)) == 1)
			continue;
		if (rc != 0)
			return rc;
		n = folder_count(f);
		for (seq = 0; seq < n; seq++) {
			if (folder_record(f, seq, &r, NULL) != 1)
				continue;
			if (*n_r == cap) {
				cap = cap ? mem_add(cap, cap) : 256;
				*v_r = mem_realloc(*v_r, cap, sizeof(**v_r));
			}
			(*v_r)[*n_r].savedate = r.savedate;
			(*v_r)[*n_r].uid = r.uid;
			(*v_r)[(*n_r)++].folder = (uint32_t)i;
		}
		folder_close(f);
	}
	return 0;
}

int
msgs_trim(struct mgr *m, const struct acct *a, uint64_t keep,
    unsigned long *deleted_r)
{
	struct mboxlist l;
	struct aged *v = NULL;
	struct uidset only = { NULL, 0, 0 };
	struct folder *f;
	size_t n, cut, i, k;
	int rc;

	*deleted_r = 0;
	if ((rc = open_list(m, a, &l)) != 0)
		return rc;
	if ((rc = collect_aged(m, a, &l, &v, &n)) != 0 || n <= keep)
		goto out;
	cut = n - (size_t)keep;
	qsort(v, n, sizeof(*v), cmp_aged);
	for (i = 0; i < l.n && rc == 0; i++) {
		struct purge p = { UINT32_MAX, NULL, &only };

		only.n = 0;
		for (k = 0; k < cut; k++)
			if (v[k].folder == i)
				uidset_add(&only, v[k].uid);
		if (only.n == 0)
			continue;
		qsort(only.v, only.n, sizeof(*only.v), cmp_u32);
		if ((rc = open_folder(m, a, l.v[i].id, 0, &f)) == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			rc = expunge(m, a, f, &p, deleted_r);
			folder_close(f);
		}
	}
out:
	free(v);
	free(only.v);
	mboxlist_free(&l);
	return rc;
}

/* ---- listing ---- */

enum { F_ID, F_UID, F_FOLDER, F_SIZE, F_DATE, F_FLAGS, F_FROM, F_SUBJECT,
    F_SENDER, F_UIDL, F_NFIELDS };
static const char *const msg_fields[F_NFIELDS + 1] = { "msgr_id", "msgr_uid",
    "msgr_folder", "msgr_size", "msgr_date", "msgr_flags", "msgr_from",
    "msgr_subject", "msgr_sender", "msgr_uidl", NULL };

static const char msg_template[] =
    "%none{No messages}\n"
    "%first{Folder             UID       Size Date             Flags     "
    "From                      Subject}\n"
    "%msgr_folder{%-12s} %msgr_uid{%9u} %msgr_size{%10u} %msgr_date "
    "%msgr_flags{%-9s} %msgr_from{%-25.25s} %msgr_subject\n";

/* One message as the template sees it. */
struct msgitem {
	struct msgrec	 r;
	uint32_t	 id;
	struct buf	 folder, date, flags, from, subject, sender, uidl;
};

static void
msg_get(void *item, size_t field, struct tvalue *v)
{
	struct msgitem *it = item;
	const struct buf *b[F_NFIELDS] = { NULL, NULL, &it->folder, NULL,
	    &it->date, &it->flags, &it->from, &it->subject, &it->sender,
	    &it->uidl };

	v->type = TV_UINT;
	if (field == F_ID)
		v->u = it->id;
	else if (field == F_UID)
		v->u = it->r.uid;
	else if (field == F_SIZE)
		v->u = it->r.size;
	else {
		v->type = TV_STR;
		v->s = buf_cstr(b[field]);
	}
}

/* A header field, decoded (RFC 2047), one line, into out. */
static void
header_text(const struct buf *hdr, const char *name, struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t i;

	if (hdr->len && mime_header_value(hdr->data, hdr->len, name, &raw) == 1)
		mime_decode_words(raw.data, raw.len, out);
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = ' ';
	buf_free(&raw);
}

/*
 * The header fields a listing shows: the common fields delivery cached
 * (mime.h: view.fields), else the message file's header.
 */
static void
summary_header(struct folder *f, const struct msgrec *r, struct buf *hdr)
{
	struct buf blob = BUF_INIT;
	struct mime_view view;

	if (cached(f, r, CACHE_MIME, &blob) &&
	    mime_info_decode(blob.data, blob.len, &view) == 0 &&
	    view.fields.len > 0)
		buf_append(hdr, view.fields.s, view.fields.len);
	else
		read_header(f, r, hdr);
	buf_free(&blob);
}

static void
msg_fill(struct folder *f, const struct msgrec *r, uint32_t id,
    struct msgitem *it)
{
	static const char *const flag_names[] = { "seen", "answered",
	    "flagged", "deleted", "draft" };
	struct buf hdr = BUF_INIT;
	struct tm tm;
	time_t t = (time_t)r->internaldate;
	char date[32];
	size_t i;

	it->r = *r;
	it->id = id;
	buf_puts(&it->folder, folder_name(f));
	if (localtime_r(&t, &tm) && strftime(date, sizeof(date),
	    "%Y-%m-%d %H:%M", &tm))
		buf_puts(&it->date, date);
	for (i = 0; i < 5; i++)
		if (r->flags & (1u << i)) {
			if (it->flags.len)
				buf_putc(&it->flags, ',');
			buf_puts(&it->flags, flag_names[i]);
		}
	summary_header(f, r, &hdr);
	header_text(&hdr, "From", &it->from);
	header_text(&hdr, "Subject", &it->subject);
	(void)cached(f, r, CACHE_SENDER, &it->sender);
	folder_uidl(f, r, &it->uidl);
	buf_free(&hdr);
}

/* Empty (reset) or release (!reset) the strings of an item. */
static void
item_clear(struct msgitem *it, int reset)
{
	struct buf *b[] = { &it->folder, &it->date, &it->flags, &it->from,
	    &it->subject, &it->sender, &it->uidl };
	size_t i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if (reset)
			buf_reset(b[i]);
		else
			buf_free(b[i]);
	}
}

/* Emitting one item late, so that the last one is known as such. */
struct lister {
	struct template	*t;
	struct buf	*out;
	struct msgitem	 item[2];
	int		 cur, have, count;
};

static void
list_push(struct lister *ls, int last)
{
	if (ls->have)
		template_apply(ls->t, &ls->item[ls->cur], ls->count == 1, last,
		    msg_get, ls->out);
}

static int
list_folder(struct mgr *m, const struct acct *a, const struct mbox *mb,
    struct lister *ls)
{
	struct folder *f;
	struct msgrec r;
	uint32_t seq, n;
	int rc;

	if ((rc = open_folder(m, a, mb->id, FOLDER_RDONLY, &f)) != 0)
		return rc == 1 ? 0 : rc;
	n = folder_count(f);
	for (seq = 0; seq < n; seq++) {
		if (folder_record(f, seq, &r, NULL) != 1)
			continue;
		list_push(ls, 0);
		ls->cur ^= ls->have;
		item_clear(&ls->item[ls->cur], 1);
		msg_fill(f, &r, seq + 1, &ls->item[ls->cur]);
		ls->have = 1;
		ls->count++;
	}
	folder_close(f);
	return 0;
}

int
msgs_show(struct mgr *m, const struct acct *a, const char *folder,
    const char *format_file, struct buf *out)
{
	struct lister ls;
	struct mboxlist l;
	size_t i;
	int rc;

	memset(&ls, 0, sizeof(ls));
	ls.out = out;
	if ((rc = show_load_template(m, format_file, msg_template, msg_fields,
	    &ls.t)) != 0)
		return rc;
	if ((rc = open_list(m, a, &l)) != 0)
		goto out;
	if (folder && mboxlist_find(&l, folder) == NULL)
		rc = mgr_fail(m, EX_DATAERR, "%s: no folder %s", a->name, folder);
	for (i = 0; i < l.n && rc == 0; i++)
		if (folder == NULL || &l.v[i] == mboxlist_find(&l, folder))
			rc = list_folder(m, a, &l.v[i], &ls);
	if (rc == 0 && ls.have)
		list_push(&ls, 1);
	else if (rc == 0)
		template_apply(ls.t, NULL, 0, 0, msg_get, out);
	mboxlist_free(&l);
out:
	item_clear(&ls.item[0], 0);
	item_clear(&ls.item[1], 0);
	template_free(ls.t);
	return rc;
}
