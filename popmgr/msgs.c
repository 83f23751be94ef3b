/*
 * msgs - an account's messages: count, list, delete (returning the
 * unread ones to their senders as DSNs, purge.h), and trim to a count
 * by deleting the oldest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "folder.h"
#include "mem.h"
#include "mboxlist.h"
#include "msgsum.h"
#include "name.h"
#include "purge.h"
#include "store.h"
#include "template.h"
#include "popmgr.h"

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

/* A message that could not be returned: say which, keep the code. */
struct fail_ctx {
	struct mgr		*m;
	const struct acct	*a;
	int			 first;
};

static void
purge_failed(void *ctx, const char *why, int temporary)
{
	struct fail_ctx *c = ctx;
	int rc = mgr_fail(c->m, temporary ? EX_TEMPFAIL : EX_UNAVAILABLE,
	    "%s: %s", c->a->name, why);

	c->first = c->first ? c->first : rc;
}

/* After a purge: the first problem's exit code, or 0. */
static int
purge_done(struct mgr *m, const struct acct *a, struct fail_ctx *c, int rc,
    char *why)
{
	if (rc < 0) {
		int code = mgr_fail(m, mgr_code(errno), "%s: %s", a->name, why);

		c->first = c->first ? c->first : code;
	}
	free(why);
	return c->first;
}

int
msgs_delete(struct mgr *m, const struct acct *a, int do_return,
    int account_gone, unsigned long *deleted_r, unsigned long *returned_r)
{
	struct fail_ctx c = { m, a, 0 };
	struct purge_report rep;
	char *why = NULL;
	int rc = purge_account(m->store, a, do_return, account_gone,
	    purge_failed, &c, &rep, &why);

	*deleted_r = rep.deleted;
	*returned_r = rep.returned;
	return purge_done(m, a, &c, rc, why);
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
	struct fail_ctx c = { m, a, 0 };
	struct purge_report rep;
	uint32_t *only = NULL;
	size_t n, cut, i, k, nonly;
	char *why = NULL;
	int rc;

	*deleted_r = 0;
	if ((rc = open_list(m, a, &l)) != 0)
		return rc;
	if ((rc = collect_aged(m, a, &l, &v, &n)) != 0 || n <= keep)
		goto out;
	cut = n - (size_t)keep;
	qsort(v, n, sizeof(*v), cmp_aged);
	only = mem_alloc(cut, sizeof(*only));
	for (i = 0; i < l.n && rc == 0; i++) {
		for (k = nonly = 0; k < cut; k++)
			if (v[k].folder == i)
				only[nonly++] = v[k].uid;
		if (nonly == 0)
			continue;
		rc = purge_uids(m->store, a, l.v[i].id, 0, only, nonly, 0, NULL,
		    NULL, &rep, &why);
		*deleted_r += rep.deleted;
		rc = purge_done(m, a, &c, rc, why);
		why = NULL;
	}
out:
	free(v);
	free(only);
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
	msgsum_fields(f, r, &hdr);
	msgsum_text(hdr.data, hdr.len, "From", &it->from);
	msgsum_text(hdr.data, hdr.len, "Subject", &it->subject);
	(void)msgsum_cached(f, r, CACHE_SENDER, &it->sender);
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
