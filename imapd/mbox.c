/*
 * mbox - mailbox names, namespaces and rights; the commands that work
 * on mailboxes as a whole (CREATE, DELETE, RENAME, SUBSCRIBE, LIST,
 * LSUB, STATUS, NAMESPACE) and the ACL and QUOTA commands.
 *
 * Names on the wire are modified UTF-7; inside they are UTF-8. Three
 * namespaces: the user's own folders (""), other users' folders
 * ("Other Users/NAME/...") and public folders ("Public Folders/...",
 * the folders of the reserved account "post"). Rights come from
 * acl_rights() only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acct.h"
#include "acl.h"
#include "buf.h"
#include "conf.h"
#include "copy.h"
#include "folder.h"
#include "group.h"
#include "imapd.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "name.h"
#include "netio.h"
#include "seen.h"
#include "store.h"
#include "subs.h"
#include "utf7.h"

/* ---- names ---- */

int
mbox_decode_name(struct sess *s, const struct buf *wire, struct buf *out)
{
	char *why = NULL;

	buf_reset(out);
	if (utf7_decode(buf_cstr(wire), wire->len, out, &why) < 0) {
		free(why);
		return -1;
	}
	(void)s;
	buf_append(out, "", 0);
	if (strncasecmp(out->data, "INBOX", 5) == 0 &&
	    (out->data[5] == '\0' || out->data[5] == '/'))
		memcpy(out->data, "INBOX", 5);
	while (out->len > 1 && out->data[out->len - 1] == '/')
		buf_truncate(out, out->len - 1);
	return 0;
}

/* The public account of the user's domain, created on first use. */
static int
public_account(struct sess *s, struct acct *a, char **why_r)
{
	struct buf name = BUF_INIT;
	const char *dom = name_domain(s->user.name);
	int r;

	buf_puts(&name, PUBLIC_ACCOUNT);
	if (*dom)
		buf_printf(&name, "@%s", dom);
	r = acct_load(s->store, name.data, a, why_r);
	if (r == 0) {
		if (acct_from_default(s->store, name.data, a, why_r) < 0) {
			buf_free(&name);
			return -1;
		}
		a->flags |= ACCT_DISUSER;
		a->type = ACCT_POP;
		a->quota = 0;
		if (acct_create(s->store, a, why_r) < 0 && errno != EEXIST) {
			buf_free(&name);
			return -1;
		}
		r = acct_load(s->store, name.data, a, why_r);
	}
	buf_free(&name);
	if (r > 0)
		acct_wipe(a);
	return r > 0 ? 0 : -1;
}

void
mref_free(struct mref *m)
{
	free(m->folder);
	m->folder = NULL;
}

/* Rights of the user on folder `folder` of m->owner, from its ACL. */
static unsigned
rights_of(struct sess *s, const struct mref *m, const char *acl)
{
	if (m->ns == NS_PERSONAL)
		return ACL_ALL;
	return acl_rights(acl, m->ns == NS_PUBLIC ? "" : m->owner.name,
	    s->user.name);
}

/* Fill exists, id, special and rights from the owner's folder list. */
static int
mref_lookup(struct sess *s, struct mref *m, char **why_r)
{
	struct mboxlist l;
	const struct mbox *e;
	struct buf parent = BUF_INIT;
	char *slash;

	if (mboxlist_load(s->store, &m->owner, &l, why_r) < 0)
		return -1;
	e = *m->folder ? mboxlist_find(&l, m->folder) : NULL;
	if (e) {
		m->exists = 1;
		m->id = e->id;
		snprintf(m->special, sizeof(m->special), "%s", e->special);
		m->rights = rights_of(s, m, e->acl);
	} else if (m->ns == NS_PERSONAL) {
		m->rights = ACL_ALL;
	} else {
		/* A folder that does not exist: 'k' on its parent counts. */
		buf_puts(&parent, m->folder);
		m->rights = 0;
		while ((slash = strrchr(buf_cstr(&parent), '/')) != NULL) {
			buf_truncate(&parent, (size_t)(slash - parent.data));
			if ((e = mboxlist_find(&l, parent.data)) != NULL) {
				m->rights = rights_of(s, m, e->acl) & ACL_K;
				break;
			}
		}
		if (m->ns == NS_PUBLIC && slash == NULL &&
		    group_is_world_manager(s->store, &s->user))
			m->rights = ACL_K;
		buf_free(&parent);
	}
	mboxlist_free(&l);
	return 0;
}

/*
 * Resolve a decoded name: 1 resolved (m filled; m->exists says whether
 * the folder is there), 0 names no account or only a namespace root,
 * -1 error.
 */
int
mref_resolve(struct sess *s, const char *name, struct mref *m, char **why_r)
{
	size_t olen = strlen(NS_OTHER_PREFIX), plen = strlen(NS_PUBLIC_PREFIX);
	struct buf who = BUF_INIT, canon = BUF_INIT;
	const char *rest, *slash;
	int r;

	memset(m, 0, sizeof(*m));
	if (strncmp(name, NS_OTHER_PREFIX, olen) == 0 &&
	    (name[olen] == '/' || name[olen] == '\0')) {
		m->ns = NS_OTHER;
		if (name[olen] == '\0')
			return 0;
		rest = name + olen + 1;
		slash = strchr(rest, '/');
		buf_append(&who, rest, slash ? (size_t)(slash - rest) : strlen(rest));
		r = name_canon(s->conf, name_domain(s->user.name), who.data,
		    &canon, NULL);
		buf_free(&who);
		if (r < 0 || name_is_reserved(canon.data) ||
		    strcmp(canon.data, s->user.name) == 0 ||
		    (r = acct_load(s->store, canon.data, &m->owner, why_r)) <= 0) {
			buf_free(&canon);
			return r < 0 && why_r && *why_r ? -1 : 0;
		}
		buf_free(&canon);
		acct_wipe(&m->owner);
		m->folder = mem_strdup(slash ? slash + 1 : "");
	} else if (strncmp(name, NS_PUBLIC_PREFIX, plen) == 0 &&
	    (name[plen] == '/' || name[plen] == '\0')) {
		m->ns = NS_PUBLIC;
		if (name[plen] == '\0')
			return 0;
		if (public_account(s, &m->owner, why_r) < 0)
			return -1;
		m->folder = mem_strdup(name + plen + 1);
	} else {
		m->ns = NS_PERSONAL;
		m->owner = s->user;
		m->folder = mem_strdup(name);
	}
	if (mref_lookup(s, m, why_r) < 0) {
		mref_free(m);
		return -1;
	}
	return 1;
}

/* The client-visible name of folder `folder` of m's owner. */
static void
full_name(const struct mref *m, const char *folder, struct buf *out)
{
	if (m->ns == NS_OTHER)
		buf_printf(out, "%s/%s/%s", NS_OTHER_PREFIX, m->owner.name, folder);
	else if (m->ns == NS_PUBLIC)
		buf_printf(out, "%s/%s", NS_PUBLIC_PREFIX, folder);
	else
		buf_puts(out, folder);
}

/* Read a mailbox argument and resolve it. 1 ok, 0 answered NO, -1 BAD. */
static int
arg_mailbox(struct sess *s, struct mref *m, struct buf *name)
{
	struct buf wire = BUF_INIT;
	char *why = NULL;
	int r;

	if (rd_mailbox(&s->rd, &wire) < 0) {
		buf_free(&wire);
		return -1;
	}
	r = mbox_decode_name(s, &wire, name);
	buf_free(&wire);
	if (r < 0) {
		memset(m, 0, sizeof(*m));
		rd_skip(&s->rd);
		return -2;
	}
	r = mref_resolve(s, name->data, m, &why);
	if (r < 0) {
		cmd_internal_error(s, "resolve", why);
		return 0;
	}
	if (r == 0)
		m->exists = 0;
	return 1;
}

/* Answer for a mailbox argument that was not usable (see arg_mailbox). */
static int
arg_failed(struct sess *s, int r)
{
	if (r == -2) {
		if (rd_eol(&s->rd) == 0 || s->rd.err != RD_IO)
			reply_tagged(s, "NO", "[CANNOT] Bad mailbox name "
			    "(modified UTF-7 expected)");
		return s->rd.err == RD_IO ? -1 : 0;
	}
	return r;
}

/* NO for a folder the user may not see, or that does not exist. */
static void
no_mailbox(struct sess *s, const struct mref *m)
{
	if (m->exists && (m->rights & ACL_L))
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
	else
		reply_tagged(s, "NO", "[NONEXISTENT] No such mailbox");
}

/* The rights on the selected folder of another account may change
 * while it is selected: look them up again. */
void
sel_recheck_rights(struct sess *s)
{
	struct mref m;

	if (s->sel == NULL || !s->sel->peruser)
		return;
	if (mref_resolve(s, s->sel->name, &m, NULL) == 1)
		s->sel->rights = m.exists ? m.rights : 0;
	mref_free(&m);
}

/* ---- CREATE, DELETE, RENAME ---- */

static void inherit_acl(struct sess *s, const struct mref *m);

static const char *const special_uses[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
	"\\Trash", NULL
};

static int
create_use(struct sess *s, struct buf *special)
{
	struct buf w = BUF_INIT;
	size_t i;
	int rc = -1;

	if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0 || rd_atom(&s->rd, &w) < 0 ||
	    strcasecmp(w.data, "USE") != 0 || rd_sp(&s->rd) < 0 ||
	    rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if ((special->len && rd_sp(&s->rd) < 0) || rd_char(&s->rd, '\\') < 0 ||
		    rd_atom(&s->rd, &w) < 0)
			goto out;
		for (i = 0; special_uses[i]; i++)
			if (strcasecmp(special_uses[i] + 1, w.data) == 0)
				break;
		if (special_uses[i] == NULL || special->len) {
			buf_reset(special);
			buf_puts(special, "?");
		} else {
			buf_puts(special, special_uses[i]);
		}
	}
	rc = rd_close(&s->rd) < 0 || rd_close(&s->rd) < 0 ? -1 : 0;
out:
	buf_free(&w);
	return rc;
}

int
cmd_create(struct sess *s)
{
	struct buf name = BUF_INIT, special = BUF_INIT, parent = BUF_INIT;
	struct mref m;
	char *why = NULL, *slash;
	int r, rc = -1;

	if (rd_sp(&s->rd) < 0 || (r = arg_mailbox(s, &m, &name)) < 0) {
		buf_free(&name);
		return arg_failed(s, s->rd.err ? -1 : -2);
	}
	if (r == 0)
		goto done;
	if (rd_peek(&s->rd) == ' ' && create_use(s, &special) < 0)
		goto out;
	if (rd_eol(&s->rd) < 0)
		goto out;
	rc = 0;
	if (m.folder == NULL || *m.folder == '\0' || mbox_is_inbox(name.data)) {
		reply_tagged(s, "NO", "[ALREADYEXISTS] Mailbox exists");
	} else if (m.exists) {
		reply_tagged(s, "NO", "[ALREADYEXISTS] Mailbox exists");
	} else if (!(m.rights & ACL_K)) {
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
	} else if (special.len && special.data[0] == '?') {
		reply_tagged(s, "NO", "[USEATTR] Unsupported special-use attribute");
	} else if (m.ns == NS_PERSONAL && (strncmp(m.folder, NS_OTHER_PREFIX,
	    strlen(NS_OTHER_PREFIX)) == 0 || strncmp(m.folder,
	    NS_PUBLIC_PREFIX, strlen(NS_PUBLIC_PREFIX)) == 0)) {
		reply_tagged(s, "NO", "[CANNOT] Name reserved for a namespace");
	} else if (mbox_name_check(m.folder, &why) < 0) {
		reply_tagged(s, "NO", "[CANNOT] %s", why);
		free(why);
	} else {
		/* Superior levels first (RFC 3501 6.3.3). */
		buf_puts(&parent, m.folder);
		for (slash = strchr(parent.data, '/'); slash;
		    slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			if (!mbox_is_inbox(parent.data))
				(void)mboxlist_create(s->store, &m.owner,
				    parent.data, NULL, NULL, NULL);
			*slash = '/';
		}
		if (mboxlist_create(s->store, &m.owner, m.folder,
		    special.len ? special.data : NULL, NULL, &why) < 0) {
			if (errno == EEXIST)
				reply_tagged(s, "NO", "[ALREADYEXISTS] Mailbox exists");
			else
				cmd_internal_error(s, "create", why);
			why = NULL;
		} else {
			if (m.ns != NS_PERSONAL)
				inherit_acl(s, &m);
			reply_tagged(s, "OK", "Create completed");
		}
		free(why);
	}
done:
	rc = 0;
out:
	mref_free(&m);
	buf_free(&name);
	buf_free(&special);
	buf_free(&parent);
	return rc;
}

/*
 * A folder created in another account inherits the ACL of its nearest
 * superior; a new top-level public folder gives its creator every right.
 */
static void
inherit_acl(struct sess *s, const struct mref *m)
{
	struct buf acl = BUF_INIT, parent = BUF_INIT;
	struct mboxlist l;
	const struct mbox *e = NULL;
	char *slash;

	if (mboxlist_load(s->store, &m->owner, &l, NULL) < 0)
		return;
	buf_puts(&parent, m->folder);
	while (e == NULL && (slash = strrchr(parent.data, '/')) != NULL) {
		buf_truncate(&parent, (size_t)(slash - parent.data));
		e = mboxlist_find(&l, parent.data);
	}
	if (e && e->acl[0])
		buf_puts(&acl, e->acl);
	else if (m->ns == NS_PUBLIC)
		buf_printf(&acl, "%s %s", s->user.name, ACL_RIGHTS);
	if (acl.len)
		(void)mboxlist_set_acl(s->store, &m->owner, m->folder, acl.data,
		    NULL);
	mboxlist_free(&l);
	buf_free(&acl);
	buf_free(&parent);
}

static int
is_selected(struct sess *s, const struct mref *m)
{
	return s->sel && m->exists && s->sel->owner.name[0] &&
	    strcmp(s->sel->owner.name, m->owner.name) == 0 &&
	    strcmp(s->sel->folder, m->folder) == 0;
}

int
cmd_delete(struct sess *s)
{
	struct buf name = BUF_INIT;
	struct mref m;
	char *why = NULL;
	int r;

	if (rd_sp(&s->rd) < 0 || (r = arg_mailbox(s, &m, &name)) < 0) {
		buf_free(&name);
		return arg_failed(s, s->rd.err ? -1 : -2);
	}
	if (r > 0 && rd_eol(&s->rd) < 0) {
		mref_free(&m);
		buf_free(&name);
		return -1;
	}
	if (r == 0)
		;
	else if (!m.exists || !(m.rights & (ACL_X | ACL_L)))
		no_mailbox(s, &m);
	else if (!(m.rights & ACL_X))
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
	else if (mbox_is_inbox(m.folder))
		reply_tagged(s, "NO", "[CANNOT] INBOX cannot be deleted");
	else if (is_selected(s, &m))
		reply_tagged(s, "NO", "[INUSE] Mailbox is selected");
	else if (mboxlist_delete(s->store, &m.owner, m.folder, &why) < 0)
		cmd_internal_error(s, "delete", why);
	else
		reply_tagged(s, "OK", "Delete completed");
	mref_free(&m);
	buf_free(&name);
	return 0;
}

struct chunk {
	const uint32_t	*uids;
	size_t		 n;
};

static int
want_chunk(const struct msgrec *r, void *ctx)
{
	const struct chunk *c = ctx;

	return bsearch(&r->uid, c->uids, c->n, sizeof(*c->uids), u32_cmp) != NULL;
}

static int
rename_inbox(struct sess *s, struct mref *to, char **why_r)
{
	struct folder *f;
	struct msgrec r;
	uint32_t *uids, *newuids, uv, i = 0, n;
	int rc = 0;

	if (mboxlist_create(s->store, &to->owner, to->folder, NULL, &to->id,
	    why_r) < 0)
		return -1;
	if (folder_open(s->store, &s->user, "INBOX", 0, &f, why_r) <= 0)
		return -1;
	uids = mem_alloc(1000, sizeof(*uids));
	newuids = mem_alloc(1000, sizeof(*newuids));
	while (rc == 0 && folder_count(f) > 0) {
		for (n = 0, i = 0; n < 1000 && i < folder_count(f); i++)
			if (folder_record(f, i, &r, NULL) > 0)
				uids[n++] = r.uid;
		if (n == 0)
			break;
		if (copy_messages(s->store, f, uids, NULL, n, &to->owner, to->id,
		    newuids, &uv, why_r) < 0)
			rc = -1;
		else {
			struct chunk c = { uids, n };

			if (folder_expunge(f, want_chunk, NULL, &c, why_r) < 0)
				rc = -1;
		}
	}
	free(uids);
	free(newuids);
	folder_close(f);
	return rc;
}

int
cmd_rename(struct sess *s)
{
	struct buf n1 = BUF_INIT, n2 = BUF_INIT;
	struct mref a, b;
	char *why = NULL;
	int r1, r2 = 0, rc = 0;

	memset(&b, 0, sizeof(b));
	if (rd_sp(&s->rd) < 0 || (r1 = arg_mailbox(s, &a, &n1)) < 0) {
		buf_free(&n1);
		return arg_failed(s, s->rd.err ? -1 : -2);
	}
	if (rd_sp(&s->rd) < 0 || (r2 = arg_mailbox(s, &b, &n2)) < 0 ||
	    rd_eol(&s->rd) < 0) {
		rc = r2 == -2 ? arg_failed(s, -2) : -1;
		goto out;
	}
	if (r1 == 0 || r2 == 0 || !a.exists)
		no_mailbox(s, &a);
	else if (!(a.rights & ACL_X) || !(b.rights & ACL_K))
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
	else if (b.exists || mbox_is_inbox(n2.data))
		reply_tagged(s, "NO", "[ALREADYEXISTS] Target mailbox exists");
	else if (strcmp(a.owner.name, b.owner.name) != 0 || a.ns != b.ns)
		reply_tagged(s, "NO", "[CANNOT] Cannot move a mailbox to "
		    "another namespace");
	else if (mbox_name_check(b.folder, &why) < 0) {
		reply_tagged(s, "NO", "[CANNOT] %s", why);
		free(why);
	} else if (mbox_is_inbox(a.folder) ? rename_inbox(s, &b, &why) < 0 :
	    mboxlist_rename(s->store, &a.owner, a.folder, b.folder, &why) < 0) {
		if (errno == EEXIST) {
			reply_tagged(s, "NO", "[ALREADYEXISTS] %s", why);
			free(why);
		} else {
			cmd_internal_error(s, "rename", why);
		}
	} else
		reply_tagged(s, "OK", "Rename completed");
out:
	mref_free(&a);
	mref_free(&b);
	buf_free(&n1);
	buf_free(&n2);
	return rc;
}

/* ---- subscriptions ---- */

static int
subscribe(struct sess *s, int on)
{
	struct buf wire = BUF_INIT, name = BUF_INIT;
	char *why = NULL;
	int rc = -1;

	if (rd_sp(&s->rd) < 0 || rd_mailbox(&s->rd, &wire) < 0 ||
	    rd_eol(&s->rd) < 0)
		goto out;
	rc = 0;
	if (mbox_decode_name(s, &wire, &name) < 0)
		reply_tagged(s, "NO", "[CANNOT] Bad mailbox name");
	else if (subs_change(s->store, &s->user, name.data, on, &why) < 0)
		cmd_internal_error(s, "subscribe", why);
	else
		reply_tagged(s, "OK", "%s completed", on ? "Subscribe" :
		    "Unsubscribe");
out:
	buf_free(&wire);
	buf_free(&name);
	return rc;
}

int
cmd_subscribe(struct sess *s)
{
	return subscribe(s, 1);
}

int
cmd_unsubscribe(struct sess *s)
{
	return subscribe(s, 0);
}

/* ---- LIST ---- */

#define E_EXISTS	0x01
#define E_CHILDREN	0x02
#define E_SUBSCRIBED	0x04
#define E_SUBCHILD	0x08	/* a subscribed mailbox below it */
#define E_NOSELECT	0x10	/* a namespace root */

struct entry {
	char	*name;
	char	 special[16];
	unsigned flags;
	struct mref_lite {
		int	 ns;
		char	 owner[ACCT_NAME_MAX + 1];
	} ref;
};

struct listing {
	struct entry *v;
	size_t	 n, cap;
};

static void
add_entry(struct listing *l, const char *name, const char *special,
    unsigned flags)
{
	struct entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = mem_realloc(l->v, l->cap, sizeof(*l->v));
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->name = mem_strdup(name);
	snprintf(e->special, sizeof(e->special), "%s", special ? special : "");
	e->flags = flags;
}

/* Order where a name's children follow it directly: '/' sorts first. */
static int
cmp_entry(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct entry *)a)->name;
	const unsigned char *y = (const unsigned char *)((const struct entry *)b)->name;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == *y)
		return 0;
	if (*x == '/')
		return *y ? -1 : 1;
	if (*y == '/')
		return *x ? 1 : -1;
	return *x < *y ? -1 : 1;
}

/* Sort, add missing parents, merge duplicates, mark children. */
static void
listing_finish(struct listing *l)
{
	size_t i, k, n = l->n;
	char *p, *slash;

	for (i = 0; i < n; i++) {
		p = mem_strdup(l->v[i].name);
		while ((slash = strrchr(p, '/')) != NULL) {
			*slash = '\0';
			add_entry(l, p, NULL, l->v[i].flags & E_SUBSCRIBED ?
			    E_SUBCHILD : 0);
		}
		free(p);
	}
	if (l->n > 1)	/* l->v is NULL when nothing matched */
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 1, k = 0; i < l->n; i++) {
		if (cmp_entry(&l->v[k], &l->v[i]) == 0) {
			l->v[k].flags |= l->v[i].flags;
			if (!l->v[k].special[0])
				memcpy(l->v[k].special, l->v[i].special, 16);
			free(l->v[i].name);
			continue;
		}
		l->v[++k] = l->v[i];
	}
	if (l->n)
		l->n = k + 1;
	for (i = 0; i + 1 < l->n; i++) {
		size_t len = strlen(l->v[i].name);

		if (strncmp(l->v[i + 1].name, l->v[i].name, len) == 0 &&
		    l->v[i + 1].name[len] == '/')
			l->v[i].flags |= E_CHILDREN;
	}
}

static void
listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * '*' matches anything, '%' anything but '/'. Dynamic programming over
 * the name, one row per pattern byte: O(pattern x name), no recursion.
 */
static int
pattern_match(const char *pat, const char *name)
{
	size_t n = strlen(name), j;
	unsigned char *row, *next, *t;
	int ok, run;

	if (strpbrk(pat, "*%") == NULL)
		return strcmp(pat, name) == 0;
	if (strlen(pat) > 2 * MBOX_NAME_MAX)
		return 0;
	row = mem_zalloc(n + 1, 2);
	next = row + n + 1;
	row[0] = 1;
	for (; *pat; pat++) {
		if (*pat == '*' && pat[1] == '*')
			continue;
		run = 0;
		for (j = 0; j <= n; j++) {
			if (*pat == '*' || *pat == '%') {
				run |= row[j];
				next[j] = (unsigned char)run;
				if (*pat == '%' && j < n && name[j] == '/')
					run = 0;
			} else {
				next[j] = j > 0 && row[j - 1] && name[j - 1] == *pat;
			}
		}
		t = row;
		row = next;
		next = t;
	}
	ok = row[n];
	free(row < next ? row : next);
	return ok;
}

static int
match(const char *pat, const char *name)
{
	/* INBOX is case-insensitive, also as the start of a pattern. */
	if (strncasecmp(pat, "INBOX", 5) == 0 && strncmp(name, "INBOX", 5) == 0)
		return pattern_match(pat + 5, name + 5);
	return pattern_match(pat, name);
}

/* Add the folders of one account the user may see. */
static void
add_account(struct sess *s, struct listing *l, const struct acct *owner,
    int ns)
{
	struct mboxlist ml;
	struct mref m;
	struct buf full = BUF_INIT;
	size_t i;

	if (mboxlist_load(s->store, owner, &ml, NULL) < 0)
		return;
	memset(&m, 0, sizeof(m));
	m.ns = ns;
	m.owner = *owner;
	for (i = 0; i < ml.n; i++) {
		if (!(rights_of(s, &m, ml.v[i].acl) & ACL_L))
			continue;
		buf_reset(&full);
		full_name(&m, ml.v[i].name, &full);
		add_entry(l, full.data, ml.v[i].special, E_EXISTS);
	}
	mboxlist_free(&ml);
	buf_free(&full);
}

struct walk_ctx {
	struct sess	*s;
	struct listing	*l;
	const char	*only;		/* one user, or NULL */
};

static int
add_other(const struct acct *a, void *vctx)
{
	struct walk_ctx *c = vctx;
	struct acct full;

	if (strcmp(a->name, c->s->user.name) == 0 || name_is_reserved(a->name) ||
	    (c->only && strcmp(a->name, c->only) != 0))
		return 0;
	if (acct_load(c->s->store, a->name, &full, NULL) != 1)
		return 0;
	acct_wipe(&full);
	add_account(c->s, c->l, &full, NS_OTHER);
	return 0;
}

/* Everything a pattern may need, from the namespaces it can reach. */
static void
gather(struct sess *s, struct listing *l, const char *const *pats, size_t np)
{
	struct walk_ctx c = { s, l, NULL };
	struct buf who = BUF_INIT;
	struct acct pub;
	size_t i, olen = strlen(NS_OTHER_PREFIX);
	int others = 0, single = 1;

	add_account(s, l, &s->user, NS_PERSONAL);
	add_entry(l, NS_OTHER_PREFIX, NULL, E_NOSELECT);
	add_entry(l, NS_PUBLIC_PREFIX, NULL, E_NOSELECT);
	if (public_account(s, &pub, NULL) == 0)
		add_account(s, l, &pub, NS_PUBLIC);
	for (i = 0; i < np; i++) {
		const char *p = pats[i];

		if (p[0] == '*' || strncmp(p, NS_OTHER_PREFIX, olen) == 0 ||
		    (p[0] == '%' && p[1] == '\0'))
			others = 1;
		if (strncmp(p, NS_OTHER_PREFIX "/", olen + 1) == 0) {
			const char *u = p + olen + 1;
			size_t n = strcspn(u, "/%*");

			if (u[n] == '/' || u[n] == '\0') {
				buf_reset(&who);
				buf_append(&who, u, n);
			} else {
				single = 0;
			}
		} else {
			single = 0;
		}
	}
	if (others && single && who.len) {
		c.only = who.data;
		(void)acct_db_walk(s->store, add_other, &c, NULL);
	} else if (others) {
		(void)acct_db_walk(s->store, add_other, &c, NULL);
	}
	buf_free(&who);
	listing_finish(l);
}

struct listopts {
	int	 sel_subscribed, sel_special, recursive;
	int	 ret_subscribed, ret_children, ret_special;
	int	 extended;
	struct buf status;	/* STATUS items, raw, or empty */
};

static void status_items(struct sess *s, const char *name, const char *items);

static void
write_list(struct sess *s, const char *cmd, const struct entry *e,
    const struct listopts *o)
{
	int sp = 0;

	netio_printf(s->n, "* %s (", cmd);
#define ATTR(x) do { netio_puts(s->n, sp++ ? " " x : x); } while (0)
	if (!(e->flags & E_EXISTS)) {
		if (o->extended && !(e->flags & E_NOSELECT))
			ATTR("\\NonExistent");
		else
			ATTR("\\Noselect");
	}
	if (strcmp(cmd, "LSUB") == 0)
		;
	else if (e->flags & E_CHILDREN)
		ATTR("\\HasChildren");
	else
		ATTR("\\HasNoChildren");
	if ((o->ret_subscribed || o->sel_subscribed) && (e->flags & E_SUBSCRIBED))
		ATTR("\\Subscribed");
	if (e->special[0] && (e->flags & E_EXISTS)) {
		netio_puts(s->n, sp++ ? " " : "");
		netio_puts(s->n, e->special);
	}
#undef ATTR
	netio_puts(s->n, ") \"/\" ");
	write_mailbox(s, e->name);
	if (o->recursive && (e->flags & E_SUBCHILD) && !(e->flags & E_SUBSCRIBED))
		netio_puts(s->n, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	netio_puts(s->n, "\r\n");
	if (o->status.len && (e->flags & E_EXISTS))
		status_items(s, e->name, o->status.data);
}

static int
list_options(struct sess *s, struct listopts *o, int ret)
{
	struct buf w = BUF_INIT;
	int rc = -1, n = 0;

	if (rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if ((n++ && rd_sp(&s->rd) < 0) || rd_atom(&s->rd, &w) < 0)
			goto out;
		if (!ret && strcasecmp(w.data, "SUBSCRIBED") == 0)
			o->sel_subscribed = 1;
		else if (!ret && strcasecmp(w.data, "SPECIAL-USE") == 0)
			o->sel_special = 1;
		else if (!ret && strcasecmp(w.data, "RECURSIVEMATCH") == 0)
			o->recursive = 1;
		else if (!ret && strcasecmp(w.data, "REMOTE") == 0)
			;
		else if (ret && strcasecmp(w.data, "SUBSCRIBED") == 0)
			o->ret_subscribed = 1;
		else if (ret && strcasecmp(w.data, "CHILDREN") == 0)
			o->ret_children = 1;
		else if (ret && strcasecmp(w.data, "SPECIAL-USE") == 0)
			o->ret_special = 1;
		else if (ret && strcasecmp(w.data, "STATUS") == 0) {
			size_t start;

			if (rd_sp(&s->rd) < 0)
				goto out;
			start = s->rd.pos;
			if (rd_open(&s->rd) < 0)
				goto out;
			while (rd_peek(&s->rd) >= 0 && rd_peek(&s->rd) != ')')
				s->rd.pos++;
			if (rd_close(&s->rd) < 0)
				goto out;
			buf_reset(&o->status);
			buf_append(&o->status, s->rd.line.data + start,
			    s->rd.pos - start);
		} else
			goto out;
	}
	rc = rd_close(&s->rd);
	if (o->recursive && !o->sel_subscribed)
		rc = rd_fail(&s->rd, RD_BAD, "RECURSIVEMATCH needs SUBSCRIBED");
out:
	buf_free(&w);
	return rc;
}

static void
mark_subscribed(struct sess *s, struct listing *l, int add_missing)
{
	struct subs sub;
	size_t i, j;

	if (subs_load(s->store, &s->user, &sub, NULL) < 0)
		return;
	for (i = 0; i < sub.n; i++) {
		for (j = 0; j < l->n; j++)
			if (strcmp(l->v[j].name, sub.names[i]) == 0 ||
			    (mbox_is_inbox(sub.names[i]) &&
			    strcmp(l->v[j].name, "INBOX") == 0))
				break;
		if (j < l->n)
			l->v[j].flags |= E_SUBSCRIBED;
		else if (add_missing)
			add_entry(l, sub.names[i], NULL, E_SUBSCRIBED);
	}
	subs_free(&sub);
}

static int
do_list(struct sess *s, const char *cmd, struct listopts *o,
    const char *ref, char **pats, size_t np)
{
	struct listing l = { NULL, 0, 0 };
	struct buf full = BUF_INIT;
	size_t i, j;
	int lsub = strcmp(cmd, "LSUB") == 0;

	if (np == 1 && pats[0][0] == '\0' && !o->extended) {
		netio_puts(s->n, "* ");
		netio_puts(s->n, cmd);
		netio_puts(s->n, " (\\Noselect) \"/\" \"\"\r\n");
		reply_tagged(s, "OK", "%s completed", cmd);
		return 0;
	}
	for (i = 0; i < np; i++) {
		buf_reset(&full);
		buf_printf(&full, "%s%s", ref, pats[i]);
		free(pats[i]);
		pats[i] = buf_steal(&full);
	}
	if (lsub) {
		struct subs sub;

		if (subs_load(s->store, &s->user, &sub, NULL) == 0) {
			for (i = 0; i < sub.n; i++)
				add_entry(&l, sub.names[i], NULL,
				    E_SUBSCRIBED | E_EXISTS);
			subs_free(&sub);
		}
		listing_finish(&l);
	} else {
		gather(s, &l, (const char *const *)pats, np);
		if (o->sel_subscribed || o->ret_subscribed) {
			mark_subscribed(s, &l, o->sel_subscribed);
			if (o->sel_subscribed) {
				for (i = 0; i < l.n; i++)
					free(l.v[i].name);
				l.n = 0;
				mark_subscribed(s, &l, 1);
				for (i = 0; i < l.n; i++) {
					struct mref m;

					if (mref_resolve(s, l.v[i].name, &m, NULL) == 1 &&
					    m.exists && (m.rights & ACL_L))
						l.v[i].flags |= E_EXISTS;
					mref_free(&m);
				}
				listing_finish(&l);
			}
		}
	}
	for (j = 0; j < l.n; j++) {
		const struct entry *e = &l.v[j];

		for (i = 0; i < np && !match(pats[i], e->name); i++)
			;
		if (i == np)
			continue;
		if (o->sel_subscribed && !(e->flags & E_SUBSCRIBED) &&
		    !(o->recursive && (e->flags & E_SUBCHILD)))
			continue;
		if (o->sel_special && !e->special[0])
			continue;
		if (lsub && !(e->flags & E_SUBSCRIBED)) {
			struct entry ns = *e;

			ns.flags &= ~E_EXISTS;
			write_list(s, cmd, &ns, o);
			continue;
		}
		write_list(s, cmd, e, o);
	}
	listing_free(&l);
	reply_tagged(s, "OK", "%s completed", cmd);
	return 0;
}

static int
list_common(struct sess *s, const char *cmd)
{
	struct listopts o;
	struct buf ref = BUF_INIT, pat = BUF_INIT, dec = BUF_INIT, w = BUF_INIT;
	char *pats[32];
	size_t np = 0, i;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	if (rd_sp(&s->rd) < 0)
		goto out;
	if (strcmp(cmd, "LIST") == 0 && rd_peek(&s->rd) == '(') {
		o.extended = 1;
		if (list_options(s, &o, 0) < 0 || rd_sp(&s->rd) < 0)
			goto out;
	}
	if (rd_mailbox(&s->rd, &w) < 0 || rd_sp(&s->rd) < 0)
		goto out;
	if (utf7_decode(buf_cstr(&w), w.len, &ref, NULL) < 0)
		goto badname;
	if (strcmp(cmd, "LIST") == 0 && rd_peek(&s->rd) == '(') {
		o.extended = 1;
		if (rd_open(&s->rd) < 0)
			goto out;
		while (rd_peek(&s->rd) != ')') {
			if ((np && rd_sp(&s->rd) < 0) || rd_listmbox(&s->rd, &pat) < 0 ||
			    np == 32)
				goto out;
			if (utf7_decode(pat.data, pat.len, &dec, NULL) < 0)
				goto badname;
			pats[np++] = buf_steal(&dec);
		}
		if (rd_close(&s->rd) < 0)
			goto out;
	} else {
		if (rd_listmbox(&s->rd, &pat) < 0)
			goto out;
		if (utf7_decode(pat.data, pat.len, &dec, NULL) < 0)
			goto badname;
		pats[np++] = buf_steal(&dec);
	}
	if (strcmp(cmd, "LIST") == 0 && rd_peek(&s->rd) == ' ') {
		o.extended = 1;
		if (rd_sp(&s->rd) < 0 || rd_atom(&s->rd, &w) < 0 ||
		    strcasecmp(w.data, "RETURN") != 0 || rd_sp(&s->rd) < 0 ||
		    list_options(s, &o, 1) < 0)
			goto out;
	}
	if (rd_eol(&s->rd) < 0)
		goto out;
	rc = do_list(s, cmd, &o, buf_cstr(&ref), pats, np);
	goto out;
badname:
	if (rd_eol(&s->rd) == 0) {
		reply_tagged(s, "NO", "[CANNOT] Bad mailbox name");
		rc = 0;
	}
out:
	for (i = 0; i < np; i++)
		free(pats[i]);
	buf_free(&ref);
	buf_free(&pat);
	buf_free(&dec);
	buf_free(&w);
	buf_free(&o.status);
	return rc;
}

int
cmd_list(struct sess *s)
{
	return list_common(s, "LIST");
}

int
cmd_lsub(struct sess *s)
{
	return list_common(s, "LSUB");
}

/* ---- STATUS ---- */

static uint32_t
count_recent(struct folder *f)
{
	uint32_t seq, first = folder_state(f)->recent_uid;

	if (first == 0 || folder_seq_at_or_after(f, first, &seq, NULL) < 0)
		return 0;
	return folder_count(f) - seq;
}

/* Unseen messages for a reader with a per-user seen set: a scan. */
static uint32_t
count_unseen_peruser(struct sess *s, struct folder *f)
{
	struct seen sn;
	struct msgrec r;
	uint32_t i, n = 0;

	if (seen_load(f, s->user.name, &sn, NULL) < 0)
		return folder_count(f);
	for (i = 0; i < folder_count(f); i++)
		if (folder_record(f, i, &r, NULL) > 0 && !seen_has(&sn, r.uid))
			n++;
	seen_free(&sn);
	return n;
}

/* "* STATUS name (...)" for a parenthesised item list; 0, or -1 bad item. */
static int
status_write(struct sess *s, const char *name, const struct mref *m,
    const char *items)
{
	struct folder *f;
	const struct folder_state *st;
	struct buf out = BUF_INIT, w = BUF_INIT;
	const char *p = items;
	char *why = NULL;
	int r, rc = 0;

	r = folder_open_id(s->store, &m->owner, m->id, FOLDER_RDONLY, &f, &why);
	if (r <= 0) {
		free(why);
		return 1;
	}
	st = folder_state(f);
	while (*p) {
		size_t n;

		p += strspn(p, " ()");
		n = strcspn(p, " ()");
		if (n == 0)
			break;
		buf_reset(&w);
		buf_append(&w, p, n);
		p += n;
		if (out.len)
			buf_putc(&out, ' ');
		if (strcasecmp(w.data, "MESSAGES") == 0)
			buf_printf(&out, "MESSAGES %u", folder_count(f));
		else if (strcasecmp(w.data, "RECENT") == 0)
			buf_printf(&out, "RECENT %u", count_recent(f));
		else if (strcasecmp(w.data, "UIDNEXT") == 0)
			buf_printf(&out, "UIDNEXT %u", folder_uidnext(f));
		else if (strcasecmp(w.data, "UIDVALIDITY") == 0)
			buf_printf(&out, "UIDVALIDITY %u", st->uidvalidity);
		else if (strcasecmp(w.data, "UNSEEN") == 0)
			buf_printf(&out, "UNSEEN %u", m->ns == NS_PERSONAL ?
			    st->unseen : count_unseen_peruser(s, f));
		else if (strcasecmp(w.data, "HIGHESTMODSEQ") == 0)
			buf_printf(&out, "HIGHESTMODSEQ %llu",
			    (unsigned long long)(st->highestmodseq ?
			    st->highestmodseq : 1));
		else if (strcasecmp(w.data, "SIZE") == 0)
			buf_printf(&out, "SIZE %llu", (unsigned long long)st->bytes);
		else if (strcasecmp(w.data, "DELETED") == 0)
			buf_printf(&out, "DELETED %u", st->deleted);
		else if (strcasecmp(w.data, "APPENDLIMIT") == 0)
			buf_printf(&out, "APPENDLIMIT %llu", (unsigned long long)
			    s->conf->max_message_size);
		else {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		netio_puts(s->n, "* STATUS ");
		write_mailbox(s, name);
		netio_printf(s->n, " (%s)\r\n", buf_cstr(&out));
	}
	folder_close(f);
	buf_free(&out);
	buf_free(&w);
	return rc;
}

static void
status_items(struct sess *s, const char *name, const char *items)
{
	struct mref m;

	if (mref_resolve(s, name, &m, NULL) == 1 && m.exists &&
	    (m.rights & ACL_R))
		(void)status_write(s, name, &m, items);
	mref_free(&m);
}

int
cmd_status(struct sess *s)
{
	struct buf name = BUF_INIT;
	struct mref m;
	size_t start;
	int r, rc = -1;
	char *items;

	if (rd_sp(&s->rd) < 0 || (r = arg_mailbox(s, &m, &name)) < 0) {
		buf_free(&name);
		return arg_failed(s, s->rd.err ? -1 : -2);
	}
	if (rd_sp(&s->rd) < 0)
		goto out;
	start = s->rd.pos;
	if (rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) >= 0 && rd_peek(&s->rd) != ')')
		s->rd.pos++;
	if (rd_close(&s->rd) < 0 || rd_eol(&s->rd) < 0)
		goto out;
	items = mem_strndup(s->rd.line.data + start, s->rd.pos - start);
	rc = 0;
	if (r == 0 || !m.exists || !(m.rights & ACL_R))
		no_mailbox(s, &m);
	else if ((r = status_write(s, name.data, &m, items)) < 0)
		rc = rd_fail(&s->rd, RD_BAD, "unknown STATUS item");
	else if (r > 0)
		no_mailbox(s, &m);
	else
		reply_tagged(s, "OK", "Status completed");
	free(items);
out:
	mref_free(&m);
	buf_free(&name);
	return rc;
}

int
cmd_namespace(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	reply_untagged(s, "NAMESPACE ((\"\" \"/\")) ((\"%s/\" \"/\")) "
	    "((\"%s/\" \"/\"))", NS_OTHER_PREFIX, NS_PUBLIC_PREFIX);
	reply_tagged(s, "OK", "Namespace completed");
	return 0;
}

/* ---- ACL (RFC 4314) ---- */

/* The ACL text of an existing folder (allocated). */
static char *
folder_acl(struct sess *s, const struct mref *m)
{
	struct mboxlist l;
	const struct mbox *e;
	char *acl = NULL;

	if (mboxlist_load(s->store, &m->owner, &l, NULL) < 0)
		return NULL;
	if ((e = mboxlist_find(&l, m->folder)) != NULL)
		acl = mem_strdup(e->acl);
	mboxlist_free(&l);
	return acl;
}

/* An identifier as stored: "anyone", or a canonical account name. */
static int
canon_identifier(struct sess *s, const char *in, struct buf *out)
{
	int neg = in[0] == '-';

	buf_reset(out);
	if (neg)
		buf_putc(out, '-');
	if (strcasecmp(in + neg, "anyone") == 0) {
		buf_puts(out, "anyone");
		return 0;
	}
	return name_canon(s->conf, name_domain(s->user.name), in + neg, out,
	    NULL);
}

/* "mailbox" and (ident != NULL) an identifier: 1, 0 answered, -1 BAD. */
static int
acl_args(struct sess *s, struct mref *m, struct buf *name, struct buf *ident)
{
	int r;

	if (rd_sp(&s->rd) < 0 || (r = arg_mailbox(s, m, name)) < 0)
		return arg_failed(s, s->rd.err ? -1 : -2) == 0 ? 0 : -1;
	if (r == 0)
		return 0;
	if (ident && (rd_sp(&s->rd) < 0 || rd_astring(&s->rd, ident) < 0)) {
		mref_free(m);
		return -1;
	}
	return 1;
}

/* 1 when the user has a right of need on m, else answered NO. */
static int
acl_allowed(struct sess *s, const struct mref *m, unsigned need)
{
	if (!m->exists || !(m->rights & (need | ACL_L))) {
		no_mailbox(s, m);
		return 0;
	}
	if (!(m->rights & need)) {
		reply_tagged(s, "NO", "[NOPERM] Permission denied");
		return 0;
	}
	return 1;
}

static int
change_acl(struct sess *s, const struct mref *m, const char *ident,
    const char *rights)
{
	struct buf id = BUF_INIT;
	char *acl, *why = NULL;

	if (canon_identifier(s, ident, &id) < 0) {
		reply_tagged(s, "NO", "[CANNOT] Bad identifier");
	} else if ((acl = folder_acl(s, m)) == NULL) {
		reply_tagged(s, "NO", "[NONEXISTENT] No such mailbox");
	} else {
		if (acl_modify(&acl, id.data, rights, &why) < 0) {
			reply_tagged(s, "BAD", "%s", why);
			s->bad++;
		} else if (mboxlist_set_acl(s->store, &m->owner, m->folder, acl,
		    &why) < 0) {
			cmd_internal_error(s, "setacl", why);
			why = NULL;
		} else {
			reply_tagged(s, "OK", "ACL changed");
		}
		free(why);
		free(acl);
	}
	buf_free(&id);
	return 0;
}

int
cmd_setacl(struct sess *s)
{
	struct buf name = BUF_INIT, ident = BUF_INIT, rights = BUF_INIT;
	struct mref m;
	unsigned x;
	int r;

	if ((r = acl_args(s, &m, &name, &ident)) <= 0)
		goto out;
	if (rd_sp(&s->rd) < 0 || rd_astring(&s->rd, &rights) < 0 ||
	    rd_eol(&s->rd) < 0) {
		r = -1;
	} else if (acl_parse_rights(rights.data + (rights.data[0] == '+' ||
	    rights.data[0] == '-'), &x) < 0) {
		reply_tagged(s, "BAD", "Unknown right in \"%s\"", rights.data);
	} else if (acl_allowed(s, &m, ACL_A)) {
		change_acl(s, &m, ident.data, rights.data);
	}
	mref_free(&m);
out:
	buf_free(&name);
	buf_free(&ident);
	buf_free(&rights);
	return r < 0 ? -1 : 0;
}

int
cmd_deleteacl(struct sess *s)
{
	struct buf name = BUF_INIT, ident = BUF_INIT;
	struct mref m;
	int r;

	if ((r = acl_args(s, &m, &name, &ident)) > 0) {
		if (rd_eol(&s->rd) < 0)
			r = -1;
		else if (acl_allowed(s, &m, ACL_A))
			change_acl(s, &m, ident.data, "");
		mref_free(&m);
	}
	buf_free(&name);
	buf_free(&ident);
	return r < 0 ? -1 : 0;
}
static int
write_acl_entry(const char *id, const char *rights, void *ctx)
{
	struct sess *s = ctx;

	netio_puts(s->n, " ");
	write_astring(s, id);
	netio_puts(s->n, " ");
	write_astring(s, rights);
	return 0;
}

int
cmd_getacl(struct sess *s)
{
	struct buf name = BUF_INIT;
	struct mref m;
	char *acl;
	int r;

	if ((r = acl_args(s, &m, &name, NULL)) > 0 && rd_eol(&s->rd) < 0) {
		mref_free(&m);
		r = -1;
	} else if (r > 0 && !acl_allowed(s, &m, ACL_A)) {
		mref_free(&m);
	} else if (r > 0) {
		acl = folder_acl(s, &m);
		netio_puts(s->n, "* ACL ");
		write_mailbox(s, name.data);
		if (m.ns != NS_PUBLIC) {
			netio_puts(s->n, " ");
			write_astring(s, m.owner.name);
			netio_puts(s->n, " ");
			write_astring(s, ACL_RIGHTS);
		}
		acl_walk(acl, write_acl_entry, s);
		netio_puts(s->n, "\r\n");
		free(acl);
		mref_free(&m);
		reply_tagged(s, "OK", "Getacl completed");
	}
	buf_free(&name);
	return r < 0 ? -1 : 0;
}

int
cmd_listrights(struct sess *s)
{
	struct buf name = BUF_INIT, ident = BUF_INIT, id = BUF_INIT;
	struct mref m;
	int r, owner;

	if ((r = acl_args(s, &m, &name, &ident)) > 0 && rd_eol(&s->rd) < 0) {
		mref_free(&m);
		r = -1;
	} else if (r > 0 && !acl_allowed(s, &m, ACL_A)) {
		mref_free(&m);
	} else if (r > 0) {
		(void)canon_identifier(s, ident.data, &id);
		owner = m.ns != NS_PUBLIC && strcmp(buf_cstr(&id), m.owner.name) == 0;
		netio_puts(s->n, "* LISTRIGHTS ");
		write_mailbox(s, name.data);
		netio_puts(s->n, " ");
		write_astring(s, ident.data);
		if (owner)
			netio_puts(s->n, " " ACL_RIGHTS "\r\n");
		else
			netio_puts(s->n, " \"\" l r s w i p k x t e a\r\n");
		mref_free(&m);
		reply_tagged(s, "OK", "Listrights completed");
	}
	buf_free(&name);
	buf_free(&ident);
	buf_free(&id);
	return r < 0 ? -1 : 0;
}

int
cmd_myrights(struct sess *s)
{
	struct buf name = BUF_INIT, rights = BUF_INIT;
	struct mref m;
	int r;

	if ((r = acl_args(s, &m, &name, NULL)) > 0 && rd_eol(&s->rd) < 0) {
		mref_free(&m);
		r = -1;
	} else if (r > 0 && !acl_allowed(s, &m,
	    ACL_L | ACL_R | ACL_I | ACL_K | ACL_X | ACL_A)) {
		mref_free(&m);
	} else if (r > 0) {
		acl_format_rights(m.rights, &rights);
		netio_puts(s->n, "* MYRIGHTS ");
		write_mailbox(s, name.data);
		netio_puts(s->n, " ");
		write_astring(s, buf_cstr(&rights));
		netio_puts(s->n, "\r\n");
		mref_free(&m);
		reply_tagged(s, "OK", "Myrights completed");
	}
	buf_free(&name);
	buf_free(&rights);
	return r < 0 ? -1 : 0;
}

/* ---- QUOTA (RFC 9208) ---- */

int
quota_allows(struct sess *s, const struct acct *owner, uint64_t size)
{
	struct usage u;
	struct acct a;

	if (acct_load(s->store, owner->name, &a, NULL) != 1)
		return 1;
	acct_wipe(&a);
	if (usage_read(s->store, owner->name, &u, NULL) < 0)
		return 1;
	return acct_quota_allows(&a, &u, size);
}

/* The quota root of an account as the user names it. */
static void
root_name(struct sess *s, const struct acct *a, struct buf *out)
{
	if (strcmp(a->name, s->user.name) == 0)
		return;
	if (name_is_reserved(a->name))
		buf_puts(out, NS_PUBLIC_PREFIX);
	else
		buf_printf(out, "%s/%s", NS_OTHER_PREFIX, a->name);
}

void
quota_untagged(struct sess *s, const struct acct *a)
{
	struct buf root = BUF_INIT;
	struct usage u;
	struct acct cur;

	if (acct_load(s->store, a->name, &cur, NULL) != 1)
		return;
	acct_wipe(&cur);
	if (usage_read(s->store, a->name, &u, NULL) < 0)
		memset(&u, 0, sizeof(u));
	root_name(s, a, &root);
	netio_puts(s->n, "* QUOTA ");
	write_astring(s, buf_cstr(&root));
	if (cur.quota)
		netio_printf(s->n, " (STORAGE %llu %llu)\r\n",
		    (unsigned long long)((u.quota_used + 1023) / 1024),
		    (unsigned long long)(cur.quota / 1024));
	else
		netio_puts(s->n, " ()\r\n");
	buf_free(&root);
}

/* The account of a quota root: 1, 0 unknown or not allowed. */
static int
root_account(struct sess *s, const char *root, struct acct *a)
{
	struct mref m;
	struct buf name = BUF_INIT;
	int r;

	if (*root == '\0') {
		*a = s->user;
		return 1;
	}
	buf_printf(&name, "%s/", root);
	r = mref_resolve(s, name.data, &m, NULL);
	buf_free(&name);
	if (r != 1)
		return 0;
	*a = m.owner;
	mref_free(&m);
	return strcmp(a->name, s->user.name) == 0 ||
	    group_may_manage(s->store, &s->user, a, NULL) == 1;
}

int
cmd_getquota(struct sess *s)
{
	struct buf root = BUF_INIT;
	struct acct a;

	if (rd_sp(&s->rd) < 0 || rd_astring(&s->rd, &root) < 0 ||
	    rd_eol(&s->rd) < 0) {
		buf_free(&root);
		return -1;
	}
	if (root_account(s, root.data, &a) != 1) {
		reply_tagged(s, "NO", "[NONEXISTENT] No such quota root");
	} else {
		quota_untagged(s, &a);
		reply_tagged(s, "OK", "Getquota completed");
	}
	buf_free(&root);
	return 0;
}

int
cmd_getquotaroot(struct sess *s)
{
	struct buf name = BUF_INIT, root = BUF_INIT;
	struct mref m;
	int r;

	if (rd_sp(&s->rd) < 0 || (r = arg_mailbox(s, &m, &name)) < 0) {
		buf_free(&name);
		return arg_failed(s, s->rd.err ? -1 : -2);
	}
	if (rd_eol(&s->rd) < 0) {
		mref_free(&m);
		buf_free(&name);
		return -1;
	}
	if (r == 0 || !m.exists || !(m.rights & (ACL_R | ACL_L))) {
		no_mailbox(s, &m);
	} else {
		root_name(s, &m.owner, &root);
		netio_puts(s->n, "* QUOTAROOT ");
		write_mailbox(s, name.data);
		netio_puts(s->n, " ");
		write_astring(s, buf_cstr(&root));
		netio_puts(s->n, "\r\n");
		quota_untagged(s, &m.owner);
		reply_tagged(s, "OK", "Getquotaroot completed");
	}
	mref_free(&m);
	buf_free(&name);
	buf_free(&root);
	return 0;
}

int
cmd_setquota(struct sess *s)
{
	struct buf root = BUF_INIT, res = BUF_INIT;
	struct acct a;
	uint64_t limit = 0;
	int have = 0, n = 0, rc = -1;
	char *why = NULL;

	if (rd_sp(&s->rd) < 0 || rd_astring(&s->rd, &root) < 0 ||
	    rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		uint64_t v;

		if ((n++ && rd_sp(&s->rd) < 0) || rd_atom(&s->rd, &res) < 0 ||
		    rd_sp(&s->rd) < 0 || rd_number(&s->rd, UINT64_MAX / 1024,
		    &v) < 0)
			goto out;
		if (strcasecmp(res.data, "STORAGE") == 0) {
			limit = v;
			have = 1;
		} else {
			rd_fail(&s->rd, RD_BAD, "only STORAGE can be set");
			goto out;
		}
	}
	if (rd_close(&s->rd) < 0 || rd_eol(&s->rd) < 0)
		goto out;
	rc = 0;
	if (root_account(s, root.data, &a) != 1) {
		reply_tagged(s, "NO", "[NONEXISTENT] No such quota root");
	} else if (group_may_manage(s->store, &s->user, &a, NULL) != 1) {
		reply_tagged(s, "NO", "[NOPERM] Only a manager may set quotas");
	} else if (acct_load(s->store, a.name, &a, &why) != 1) {
		cmd_internal_error(s, "setquota", why);
	} else {
		a.quota = have ? limit * 1024 : 0;
		if (acct_save(s->store, &a, &why) < 0) {
			cmd_internal_error(s, "setquota", why);
		} else {
			log_eventf(LOG_NOTICE, "quota_set", "manager=%s "
			    "account=%s kb=%llu", s->user.name, a.name,
			    (unsigned long long)limit);
			quota_untagged(s, &a);
			reply_tagged(s, "OK", "Setquota completed");
		}
		acct_wipe(&a);
	}
out:
	buf_free(&root);
	buf_free(&res);
	return rc;
}
