/* mboxlist - an account's list of folders; see mboxlist.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "folder.h"
#include "kvfile.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "num.h"
#include "store.h"
#include "utf8.h"

#define LIST_MAX	(4 * 1024 * 1024)

static const struct {
	const char	*name;
	const char	*special;
} imap_defaults[] = {
	{ "Drafts", "\\Drafts" },
	{ "Sent", "\\Sent" },
	{ "Trash", "\\Trash" },
	{ "Junk", "\\Junk" },
};

int
mbox_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int
mbox_account_dir(struct store *s, const struct acct *a, struct buf *out)
{
	return store_mail_dir(s, a->partition, a->name, out);
}

int
mbox_dir(struct store *s, const struct acct *a, uint32_t id, struct buf *out)
{
	if (mbox_account_dir(s, a, out) < 0)
		return -1;
	buf_printf(out, "/f%u", id);
	return 0;
}

int
mbox_name_check(const char *name, char **why_r)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name);
	int depth = 1;

	if (len == 0 || len > MBOX_NAME_MAX)
		return file_whyf(why_r, "folder name must be 1 to %d bytes",
		    MBOX_NAME_MAX);
	if (!utf8_valid(name, len))
		return file_whyf(why_r, "folder name is not valid UTF-8");
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return file_whyf(why_r, "empty hierarchy level in folder name");
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return file_whyf(why_r, "control character in folder name");
		if (*p == '*' || *p == '%')
			return file_whyf(why_r, "wildcard in folder name");
		if (*p == '/' && ++depth > MBOX_DEPTH_MAX)
			return file_whyf(why_r, "folder hierarchy deeper than %d",
			    MBOX_DEPTH_MAX);
	}
	return 0;
}

void
mboxlist_free(struct mboxlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].acl);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
mboxlist_add(struct mboxlist *l, uint32_t id, uint32_t uidvalidity,
    const char *special, const char *name)
{
	struct mbox *m;

	l->v = mem_realloc(l->v, l->n + 1, sizeof(*l->v));
	m = &l->v[l->n++];
	m->id = id;
	m->uidvalidity = uidvalidity;
	snprintf(m->special, sizeof(m->special), "%s", special);
	m->name = mem_strdup(name);
	m->acl = mem_strdup("");
}

/* One "f<ID>" field: "UIDVALIDITY SPECIAL NAME". */
static int
parse_entry(struct mboxlist *l, const char *key, const char *value)
{
	uint64_t id, uv;
	const char *sp1, *sp2;
	char special[16];

	if (num_parse_u64(key + 1, UINT32_MAX, &id) < 0 ||
	    (sp1 = strchr(value, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    num_parse_u64n(value, (size_t)(sp1 - value), UINT32_MAX, &uv) < 0 ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(special))
		return -1;
	snprintf(special, sizeof(special), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	if (mbox_name_check(sp2 + 1, NULL) < 0)
		return -1;
	mboxlist_add(l, (uint32_t)id, (uint32_t)uv,
	    strcmp(special, "-") == 0 ? "" : special, sp2 + 1);
	return 0;
}

static int
list_path(struct store *s, const struct acct *a, struct buf *out)
{
	if (mbox_account_dir(s, a, out) < 0)
		return -1;
	buf_puts(out, "/mailboxes");
	return 0;
}

/* One "a<ID>" field: the folder's ACL. */
static void
set_acl_entry(struct mboxlist *l, const char *key, const char *value)
{
	uint64_t id;
	size_t i;

	if (num_parse_u64(key + 1, UINT32_MAX, &id) < 0)
		return;
	for (i = 0; i < l->n; i++)
		if (l->v[i].id == id) {
			free(l->v[i].acl);
			l->v[i].acl = mem_strdup(value);
		}
}

/* Read the list file: 1 read, 0 none yet, -1 error. */
int
mboxlist_read(struct store *s, const struct acct *a, struct mboxlist *l,
    char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	uint64_t next;
	size_t i;
	int rc;

	memset(l, 0, sizeof(*l));
	if (list_path(s, a, &path) < 0) {
		buf_free(&path);
		return file_whyf(why_r, "%s: partition '%s' is not configured",
		    a->name, a->partition);
	}
	rc = file_read(path.data, LIST_MAX, &text, why_r);
	if (rc == 1) {
		if (kvfile_parse(text.data, text.len, "mailboxes", &kv, why_r) < 0) {
			rc = -1;
		} else {
			for (i = 0; i < kv.n && rc == 1; i++) {
				if (kv.keys[i][0] == 'f' &&
				    parse_entry(l, kv.keys[i], kv.values[i]) < 0)
					rc = file_whyf(why_r, "%s: bad entry %s",
					    path.data, kv.keys[i]);
			}
			for (i = 0; i < kv.n && rc == 1; i++)
				if (kv.keys[i][0] == 'a')
					set_acl_entry(l, kv.keys[i], kv.values[i]);
			if (kvfile_get(&kv, "next_id") == NULL ||
			    num_parse_u64(kvfile_get(&kv, "next_id"), UINT32_MAX,
			    &next) < 0)
				rc = file_whyf(why_r, "%s: bad next_id", path.data);
			else
				l->next_id = (uint32_t)next;
			kvfile_free(&kv);
		}
		if (rc < 0)
			mboxlist_free(l);
	}
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int
mboxlist_write(struct store *s, const struct acct *a, const struct mboxlist *l,
    char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT, v = BUF_INIT;
	struct kvfile kv;
	char key[16];
	size_t i;
	int rc;

	kvfile_init(&kv, "mailboxes", 1);
	snprintf(key, sizeof(key), "%u", l->next_id);
	kvfile_set(&kv, "next_id", key);
	for (i = 0; i < l->n; i++) {
		buf_reset(&v);
		buf_printf(&v, "%u %s %s", l->v[i].uidvalidity,
		    l->v[i].special[0] ? l->v[i].special : "-", l->v[i].name);
		snprintf(key, sizeof(key), "f%u", l->v[i].id);
		kvfile_set(&kv, key, v.data);
		if (l->v[i].acl && *l->v[i].acl) {
			snprintf(key, sizeof(key), "a%u", l->v[i].id);
			kvfile_set(&kv, key, l->v[i].acl);
		}
	}
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	list_path(s, a, &path);
	rc = file_write_atomic(path.data, text.data, text.len, 0600,
	    store_write_flags(s), why_r);
	buf_free(&path);
	buf_free(&text);
	buf_free(&v);
	return rc;
}

/* A UIDVALIDITY newer than any in the list: time-based, increasing. */
static uint32_t
new_uidvalidity(const struct mboxlist *l)
{
	uint32_t uv = (uint32_t)time(NULL);
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].uidvalidity >= uv)
			uv = l->v[i].uidvalidity + 1;
	return uv ? uv : 1;
}

/* Create folder files and add the entry (the caller writes the list). */
static int
add_folder(struct store *s, const struct acct *a, struct mboxlist *l,
    const char *name, const char *special, uint32_t *id_r, char **why_r)
{
	struct buf dir = BUF_INIT;
	uint32_t id = l->next_id, uv = new_uidvalidity(l);
	int rc = -1;

	if (l->n >= MBOX_COUNT_MAX)
		return file_whyf(why_r, "%s: more than %d folders", a->name,
		    MBOX_COUNT_MAX);
	mbox_dir(s, a, id, &dir);
	/* A directory left by a crash before its list entry was written. */
	(void)file_remove_tree(dir.data, NULL);
	if (file_mkdirs(dir.data, 0750, why_r) < 0)
		goto out;
	if (folder_create_files(s, dir.data, id, name, uv, special, why_r) < 0)
		goto out;
	mboxlist_add(l, id, uv, special, name);
	l->next_id = id + 1;
	if (id_r)
		*id_r = id;
	rc = 0;
out:
	buf_free(&dir);
	return rc;
}

static int
create_defaults(struct store *s, const struct acct *a, struct mboxlist *l,
    char **why_r)
{
	struct buf dir = BUF_INIT;
	size_t i;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	mbox_account_dir(s, a, &dir);
	if (file_mkdirs(dir.data, 0750, why_r) < 0)
		goto out;
	if (add_folder(s, a, l, "INBOX", "", NULL, why_r) < 0)
		goto out;
	if (a->type == ACCT_IMAP)
		for (i = 0; i < sizeof(imap_defaults) / sizeof(imap_defaults[0]); i++)
			if (add_folder(s, a, l, imap_defaults[i].name,
			    imap_defaults[i].special, NULL, why_r) < 0)
				goto out;
	if (mboxlist_write(s, a, l, why_r) < 0)
		goto out;
	if (!s->batch)
		(void)file_fsync_parent(dir.data);
	rc = 0;
out:
	if (rc < 0)
		mboxlist_free(l);
	buf_free(&dir);
	return rc;
}

int
mboxlist_load(struct store *s, const struct acct *a, struct mboxlist *l,
    char **why_r)
{
	int rc, lockfd;

	rc = mboxlist_read(s, a, l, why_r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if ((lockfd = acct_lock(s, a->name, why_r)) < 0)
		return -1;
	rc = mboxlist_read(s, a, l, why_r);
	if (rc == 0)
		rc = create_defaults(s, a, l, why_r);
	acct_unlock(lockfd);
	return rc < 0 ? -1 : 0;
}

const struct mbox *
mboxlist_find(const struct mboxlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].id == MBOX_INBOX_ID ? mbox_is_inbox(name) :
		    strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	}
	return NULL;
}

const struct mbox *
mboxlist_find_id(const struct mboxlist *l, uint32_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i];
	return NULL;
}

/* Load under the account lock for a change; *lockfd_r holds the lock. */
static int
load_locked(struct store *s, const struct acct *a, struct mboxlist *l,
    int *lockfd_r, char **why_r)
{
	if (mboxlist_load(s, a, l, why_r) < 0)
		return -1;
	mboxlist_free(l);
	if ((*lockfd_r = acct_lock(s, a->name, why_r)) < 0)
		return -1;
	if (mboxlist_read(s, a, l, why_r) <= 0) {
		acct_unlock(*lockfd_r);
		return -1;
	}
	return 0;
}

int
mboxlist_create(struct store *s, const struct acct *a, const char *name,
    const char *special, uint32_t *id_r, char **why_r)
{
	struct mboxlist l;
	int lockfd, rc = -1;

	if (mbox_name_check(name, why_r) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (load_locked(s, a, &l, &lockfd, why_r) < 0)
		return -1;
	if (mboxlist_find(&l, name)) {
		errno = EEXIST;
		file_whyf(why_r, "folder exists");
	} else if (add_folder(s, a, &l, name, special ? special : "", id_r,
	    why_r) == 0 && mboxlist_write(s, a, &l, why_r) == 0) {
		rc = 0;
	}
	acct_unlock(lockfd);
	mboxlist_free(&l);
	return rc;
}

struct recount {
	struct store *s;
	const struct acct *a;
	char *why;		/* why the folders could not be counted */
};

/* The counters from the folders, after a folder left with its messages. */
static int
recount_usage(struct usage *u, void *ctx)
{
	struct recount *c = ctx;
	uint64_t msgs, bytes;

	if (folder_totals(c->s, c->a, &msgs, &bytes, &c->why) < 0)
		return 1;	/* unchanged, and logged by the caller */
	u->message_count = msgs;
	u->quota_used = bytes;
	return 0;
}

int
mboxlist_delete(struct store *s, const struct acct *a, const char *name,
    char **why_r)
{
	struct recount rc_ctx = { s, a, NULL };
	char *uwhy = NULL;
	struct buf dir = BUF_INIT;
	struct mboxlist l;
	const struct mbox *m;
	size_t i;
	int lockfd, rc = -1;

	if (mbox_is_inbox(name))
		return file_whyf(why_r, "INBOX cannot be deleted");
	if (load_locked(s, a, &l, &lockfd, why_r) < 0)
		return -1;
	if ((m = mboxlist_find(&l, name)) == NULL) {
		errno = ENOENT;
		file_whyf(why_r, "no such folder");
		goto out;
	}
	mbox_dir(s, a, m->id, &dir);
	i = (size_t)(m - l.v);
	free(l.v[i].name);
	free(l.v[i].acl);
	memmove(&l.v[i], &l.v[i + 1], (l.n - i - 1) * sizeof(l.v[0]));
	l.n--;
	/* The list first: a crash leaves an orphan directory, not an entry
	 * without files. reconstruct removes orphans. */
	if (mboxlist_write(s, a, &l, why_r) < 0)
		goto out;
	(void)file_remove_tree(dir.data, NULL);
	rc = 0;
out:
	acct_unlock(lockfd);
	/* The messages went with the folder: the account's counters (and
	 * its quota) follow. After the unlock: usage_update locks. */
	if (rc == 0 && (usage_update(s, a->name, recount_usage, &rc_ctx, 0,
	    &uwhy) < 0 || rc_ctx.why))
		/* The folder is gone; the counters stay as they were until
		 * reconstruct (a quota may refuse mail meanwhile). */
		log_event(LOG_ERR, "usage_recount_failed", "account", a->name,
		    "reason", uwhy ? uwhy : rc_ctx.why, NULL);
	free(uwhy);
	free(rc_ctx.why);
	mboxlist_free(&l);
	buf_free(&dir);
	return rc;
}

int
mboxlist_rename(struct store *s, const struct acct *a, const char *from,
    const char *to, char **why_r)
{
	struct buf newname = BUF_INIT;
	struct mboxlist l;
	size_t i, flen = strlen(from);
	int lockfd, rc = -1;

	if (mbox_is_inbox(from))
		return file_whyf(why_r, "INBOX is renamed by moving its messages");
	if (mbox_name_check(to, why_r) < 0)
		return -1;
	if (load_locked(s, a, &l, &lockfd, why_r) < 0)
		return -1;
	if (mboxlist_find(&l, from) == NULL) {
		errno = ENOENT;
		file_whyf(why_r, "no such folder");
		goto out;
	}
	if (mboxlist_find(&l, to) != NULL ||
	    (strncmp(to, from, flen) == 0 && to[flen] == '/')) {
		errno = EEXIST;
		file_whyf(why_r, "target folder exists or is inside the source");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		const char *n = l.v[i].name;

		if (strcmp(n, from) != 0 &&
		    !(strncmp(n, from, flen) == 0 && n[flen] == '/'))
			continue;
		buf_reset(&newname);
		buf_puts(&newname, to);
		buf_puts(&newname, n + flen);
		if (mbox_name_check(newname.data, why_r) < 0 ||
		    mboxlist_find(&l, newname.data) != NULL)
			goto out;
		free(l.v[i].name);
		l.v[i].name = mem_strdup(newname.data);
	}
	rc = mboxlist_write(s, a, &l, why_r);
	/* Each folder's own record of its name follows; reconstruct prefers
	 * the list, so a crash in between loses nothing. */
	for (i = 0; rc == 0 && i < l.n; i++) {
		const char *n = l.v[i].name;

		if (strcmp(n, to) != 0 &&
		    !(strncmp(n, to, strlen(to)) == 0 && n[strlen(to)] == '/'))
			continue;
		buf_reset(&newname);
		mbox_dir(s, a, l.v[i].id, &newname);
		(void)folder_write_meta(s, newname.data, l.v[i].id, n,
		    l.v[i].uidvalidity, l.v[i].special, NULL);
	}
out:
	acct_unlock(lockfd);
	mboxlist_free(&l);
	buf_free(&newname);
	return rc;
}

int
mboxlist_set_acl(struct store *s, const struct acct *a, const char *name,
    const char *acl, char **why_r)
{
	struct mboxlist l;
	struct mbox *m;
	int lockfd, rc = -1;

	if (load_locked(s, a, &l, &lockfd, why_r) < 0)
		return -1;
	m = (struct mbox *)mboxlist_find(&l, name);
	if (m == NULL) {
		errno = ENOENT;
		file_whyf(why_r, "no such folder");
	} else {
		free(m->acl);
		m->acl = mem_strdup(acl);
		rc = mboxlist_write(s, a, &l, why_r);
	}
	acct_unlock(lockfd);
	mboxlist_free(&l);
	return rc;
}
