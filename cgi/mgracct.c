/*
 * mgracct - the management interface's account pages and actions:
 * show an account in full (profile, usage, forwarding, messages), add,
 * copy and modify it (every field and flag but MANAGE), rename it,
 * delete it (returning its unread mail or not), and delete or return
 * chosen messages. Every action checks manage_may_change() or
 * group_may_manage() on the account as stored, whatever the form says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "cgi.h"
#include "conf.h"
#include "fwdmap.h"
#include "group.h"
#include "log.h"
#include "manage.h"
#include "mboxlist.h"
#include "name.h"
#include "num.h"
#include "purge.h"
#include "pwchange.h"
#include "store.h"
#include "tmpl.h"

#define FOLDER_ROWS	50	/* messages of one folder on the page */
#define FOLDERS_MAX	100	/* folders shown on the account page */

static const struct {
	const char	*field;
	unsigned	 flag;
} flag_fields[] = {
	{ "dismail", ACCT_DISMAIL },
	{ "disuser", ACCT_DISUSER },
	{ "lockpwd", ACCT_LOCKPWD },
	{ "pwd_elsewhere", ACCT_PWD_ELSEWHERE },
	{ "pwd_expired", ACCT_PWD_EXPIRED },
	{ "migrated", ACCT_MIGRATED },
};
#define NFLAGS	(sizeof(flag_fields) / sizeof(flag_fields[0]))

/* "100M" for a size the form shows ("" for 0). */
static void
size_text(uint64_t v, struct buf *out)
{
	static const char suffix[] = "GMK";
	int i;

	if (v == 0)
		return;
	for (i = 0; i < 3; i++) {
		uint64_t unit = 1ULL << (10 * (3 - i));

		if (v % unit == 0) {
			buf_printf(out, "%llu%c", (unsigned long long)(v / unit),
			    suffix[i]);
			return;
		}
	}
	buf_printf(out, "%llu", (unsigned long long)v);
}

static void
set_size_text(struct tmpl_data *d, const char *name, uint64_t v)
{
	struct buf b = BUF_INIT;

	size_text(v, &b);
	tmpl_set(d, name, buf_cstr(&b));
	buf_free(&b);
}

static void
redirect_account(struct web *w, const char *name, const char *done)
{
	struct buf q = BUF_INIT;

	buf_puts(&q, "p=account&name=");
	tmpl_escape_url(&q, name, strlen(name));
	buf_printf(&q, "&done=%s", done);
	web_redirect(w, q.data);
}

/* ---- showing an account ---- */

static void
profile_data(struct web *w, const struct acct *a)
{
	struct tmpl_data *d = w->data;
	struct buf flags = BUF_INIT;
	struct usage u;

	memset(&u, 0, sizeof(u));
	(void)usage_read(w->store, a->name, &u, NULL);
	acct_flags_format(a->flags, &flags);
	tmpl_set(d, "name", a->name);
	tmpl_set(d, "owner", a->owner);
	tmpl_set(d, "group", a->group);
	tmpl_set(d, "type", acct_type_name(a->type));
	tmpl_set(d, "flags", buf_cstr(&flags));
	tmpl_set(d, "private", a->private_data);
	tmpl_set(d, "partition", a->partition);
	tmpl_set(d, "backend", a->backend);
	tmpl_set(d, "password", a->flags & ACCT_PWD_ELSEWHERE ? "checked "
	    "elsewhere" : !a->password[0] ? "none (no login possible)" :
	    a->flags & ACCT_PWD_EXPIRED ? "set, expired" : "set");
	fmt_set_time(d, "created", a->created);
	fmt_set_time(d, "password_changed", a->password_changed);
	if (a->quota)
		fmt_set_size(d, "quota", a->quota);
	else
		tmpl_set(d, "quota", "unlimited");
	fmt_set_size(d, "overdraft", a->overdraft);
	tmpl_setf(d, "messages", "%llu", (unsigned long long)u.message_count);
	fmt_set_size(d, "used", u.quota_used);
	fmt_set_time(d, "last_connect", u.last_connect);
	fmt_set_time(d, "last_disconnect", u.last_disconnect);
	tmpl_setf(d, "connections", "%llu",
	    (unsigned long long)u.total_connections);
	tmpl_setf(d, "received", "%llu", (unsigned long long)u.messages_received);
	fmt_set_size(d, "received_bytes", u.bytes_received);
	tmpl_set_bool(d, "reserved", name_is_reserved(a->name));
	buf_free(&flags);
}

static void
forward_data(struct web *w, const char *name)
{
	struct buf to = BUF_INIT;
	char *line, *save = NULL;

	if (fwdmap_get(w->store, name, &to, NULL) == 1)
		for (line = strtok_r(to.data, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save))
			tmpl_set(tmpl_add(w->data, "forwards"), "address", line);
	buf_free(&to);
}

static void
folders_data(struct web *w, const struct acct *a)
{
	struct mboxlist l;
	uint64_t only = UINT32_MAX + 1ULL, start = 0;
	char *why = NULL;
	size_t i;

	if (num_parse_u64(web_str(w, "f"), UINT32_MAX, &only) == 0)
		(void)num_parse_u64(web_str(w, "start"), UINT32_MAX, &start);
	memset(&l, 0, sizeof(l));
	if (mboxlist_load(w->store, a, &l, &why) < 0) {
		web_log(w, LOG_ERR, "folders_unreadable", "account", a->name,
		    "reason", why);
		web_error(w, 503, "The folders cannot be read now.");
	}
	for (i = 0; i < l.n && i < FOLDERS_MAX; i++) {
		if (only <= UINT32_MAX && l.v[i].id != only)
			continue;
		(void)msglist_folder(w, a, l.v[i].id, l.v[i].id == only ?
		    (uint32_t)start : 0, FOLDER_ROWS, tmpl_add(w->data,
		    "folders"));
	}
	mboxlist_free(&l);
}

void
mgr_account_page(struct web *w)
{
	struct acct a;

	mgr_target(w, "name", &a);
	profile_data(w, &a);
	forward_data(w, a.name);
	folders_data(w, &a);
	acct_wipe(&a);
	web_page(w, "account");
}

/* ---- the account form: add, copy, modify ---- */

static void
form_from_acct(struct web *w, const struct acct *a)
{
	struct tmpl_data *d = w->data;
	size_t i;

	tmpl_set(d, "owner", a->owner);
	tmpl_set(d, "private", a->private_data);
	tmpl_set(d, "group", a->group);
	tmpl_set(d, "backend", a->backend);
	tmpl_set(d, "partition", a->partition);
	tmpl_set_bool(d, "is_imap", a->type == ACCT_IMAP);
	set_size_text(d, "quota", a->quota);
	set_size_text(d, "overdraft", a->overdraft);
	for (i = 0; i < NFLAGS; i++)
		tmpl_set_bool(d, flag_fields[i].field,
		    (a->flags & flag_fields[i].flag) != 0);
	tmpl_set_bool(d, "is_manager", (a->flags & ACCT_MANAGE) != 0);
}

/* After a refused form: show it again with what was typed. */
static void
form_again(struct web *w, const char *mode, const char *error)
{
	static const char *const texts[] = { "name", "from", "owner",
	    "private", "group", "backend", "partition", "quota", "overdraft" };
	struct tmpl_data *d = w->data;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		tmpl_set(d, texts[i], web_str(w, texts[i]));
	tmpl_set_bool(d, "is_imap", strcmp(web_str(w, "type"), "imap") == 0);
	for (i = 0; i < NFLAGS; i++)
		tmpl_set_bool(d, flag_fields[i].field,
		    *web_str(w, flag_fields[i].field) != '\0');
	tmpl_set(d, "error", error);
	tmpl_set(d, "mode", mode);
	tmpl_set_bool(d, strcmp(mode, "modify") == 0 ? "modify" :
	    strcmp(mode, "copy") == 0 ? "copy" : "add", 1);
	web_page(w, "account-form");
}

static void
partitions_data(struct web *w)
{
	size_t i;

	tmpl_set(tmpl_add(w->data, "partitions"), "pname",
	    w->conf.default_partition);
	for (i = 0; i < w->conf.npartitions; i++)
		if (strcmp(w->conf.partitions[i].name,
		    w->conf.default_partition) != 0)
			tmpl_set(tmpl_add(w->data, "partitions"), "pname",
			    w->conf.partitions[i].name);
}

void
mgr_form_page(struct web *w, const char *mode)
{
	struct acct a;
	char *why = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	if (strcmp(mode, "add") == 0) {
		struct buf any = BUF_INIT;

		buf_printf(&any, "new%s%s", *w->store->domain ? "@" : "",
		    w->store->domain);
		rc = acct_from_default(w->store, any.data, &a, &why);
		buf_free(&any);
		if (rc < 0) {
			web_log(w, LOG_ERR, "default_unreadable", "reason", why,
			    NULL, NULL);
			web_error(w, 503, "The default account cannot be read.");
		}
		a.flags &= ~(unsigned)ACCT_DISUSER;
	} else {
		mgr_target(w, mode[0] == 'c' ? "from" : "name", &a);
		tmpl_set(w->data, mode[0] == 'c' ? "from" : "name", a.name);
	}
	form_from_acct(w, &a);
	acct_wipe(&a);
	partitions_data(w);
	tmpl_set(w->data, "mode", mode);
	tmpl_set_bool(w->data, mode, 1);
	web_page(w, "account-form");
}

/* A one-line text field of at most max bytes into dst. 0 or -1. */
static int
text_field(struct web *w, const char *field, char *dst, size_t size)
{
	const char *v = web_str(w, field);
	size_t i;

	if (strlen(v) >= size)
		return -1;
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* A size field ("" is 0). 0 or -1. */
static int
size_field(struct web *w, const char *field, uint64_t *v)
{
	const char *s = web_str(w, field);

	*v = 0;
	return *s ? num_parse_size(s, UINT64_MAX, v) : 0;
}

/* The form's fields into a; NULL, or what is wrong. */
static const char *
apply_fields(struct web *w, struct acct *a, int with_partition)
{
	const char *type = web_str(w, "type"), *part = web_str(w, "partition");
	char group[GROUP_NAME_MAX + 1];
	size_t i;

	if (text_field(w, "owner", a->owner, sizeof(a->owner)) < 0 ||
	    text_field(w, "private", a->private_data,
	    sizeof(a->private_data)) < 0 ||
	    text_field(w, "backend", a->backend, sizeof(a->backend)) < 0)
		return "Owner, site-defined data and backend are single lines of "
		    "limited length.";
	if (*web_str(w, "group") == '\0')
		a->group[0] = '\0';
	else if (group_canon(web_str(w, "group"), group, NULL) < 0)
		return "A group name has 1 to 16 letters, digits, '.', '_', '-'.";
	else
		memcpy(a->group, group, sizeof(group));
	if ((a->type = acct_type_parse(*type ? type : "pop")) < 0)
		return "The store type is pop or imap.";
	if (size_field(w, "quota", &a->quota) < 0 ||
	    size_field(w, "overdraft", &a->overdraft) < 0)
		return "Sizes are numbers of bytes, or with K, M or G.";
	for (i = 0; i < NFLAGS; i++)
		if (*web_str(w, flag_fields[i].field))
			a->flags |= flag_fields[i].flag;
		else
			a->flags &= ~flag_fields[i].flag;
	if (with_partition && *part) {
		if (conf_partition_dir(&w->conf, part) == NULL ||
		    strlen(part) >= sizeof(a->partition))
			return "No such partition.";
		memcpy(a->partition, part, strlen(part) + 1);
	}
	return NULL;
}

/* The new password, if one was typed. NULL, or what is wrong. */
static const char *
apply_password(struct web *w, struct acct *a, struct buf *why_text)
{
	const char *pw = web_str(w, "password");
	char *why = NULL;

	if (*pw == '\0')
		return NULL;
	if (strcmp(pw, web_str(w, "password2")) != 0)
		return "The two passwords differ.";
	if (pwchange_check(&w->conf, a, pw, &why) < 0 ||
	    pwchange_set(&w->conf, w->have_skey ? &w->skey : NULL, a, pw,
	    &why) < 0) {
		buf_puts(why_text, why);
		free(why);
		return why_text->data;
	}
	return NULL;
}

/* The account to save for mode, from the form; errors re-show it. */
static void
prepare(struct web *w, const char *mode, struct acct *old, struct acct *a)
{
	struct buf name = BUF_INIT;
	char *why = NULL;

	memset(old, 0, sizeof(*old));
	if (strcmp(mode, "modify") == 0) {
		mgr_target(w, "name", old);
		*a = *old;
		return;
	}
	if (manage_new_name(w->store, w->store->domain, web_str(w, "name"),
	    &name, &why) != 1)
		form_again(w, mode, why);
	if (strcmp(mode, "copy") == 0) {
		char from[sizeof(a->name)];

		mgr_target(w, "from", a);
		memcpy(from, a->name, sizeof(from));	/* canonical */
		snprintf(a->name, sizeof(a->name), "%s", name.data);
		a->created = w->now;
		pwchange_rebind_secret(&w->conf, w->have_skey ? &w->skey : NULL,
		    a, from);
	} else if (acct_from_default(w->store, name.data, a, &why) < 0) {
		web_log(w, LOG_ERR, "default_unreadable", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "The default account cannot be read.");
	} else {
		a->flags &= ~(unsigned)ACCT_DISUSER;
	}
	buf_free(&name);
}

static void
store_account(struct web *w, const char *mode, const struct acct *old,
    const struct acct *a)
{
	char *why = NULL;
	int rc;

	if (*a->group && (!*old->name || strcmp(old->group, a->group) != 0) &&
	    group_ensure(w->store, a->group, &why) < 0)
		rc = -1;
	else if (*old->name)
		rc = memcmp(old, a, sizeof(*a)) ? acct_save(w->store, a, &why) :
		    0;
	else
		rc = acct_create(w->store, a, &why);
	if (rc < 0) {
		web_log(w, LOG_ERR, "account_save_failed", "account", a->name,
		    "reason", why);
		web_error(w, 503, "The account could not be saved now.");
	}
	log_event(LOG_NOTICE, *mode == 'm' ? "account_modify" : *mode == 'c' ?
	    "account_copy" : "account_add", "account", a->name, "by",
	    w->user.name, "ip", w->remote, NULL);
}

void
mgr_act_save(struct web *w, const char *mode)
{
	struct acct old, a;
	struct buf pwhy = BUF_INIT;
	const char *bad;
	char *why = NULL;
	int rc;

	prepare(w, mode, &old, &a);
	if ((bad = apply_fields(w, &a, *mode != 'm')) != NULL ||
	    (bad = apply_password(w, &a, &pwhy)) != NULL)
		form_again(w, mode, bad);
	rc = manage_may_change(w->store, &w->user, *old.name ? &old : NULL, &a,
	    &why);
	if (rc != 1) {
		web_log(w, LOG_WARNING, "permission_denied", "account", a.name,
		    "action", mode);
		if (rc < 0)
			web_error(w, 503, "The groups cannot be read now.");
		tmpl_set(w->data, "error", why);
		web_error(w, 403, why);
	}
	store_account(w, mode, &old, &a);
	acct_wipe(&old);
	acct_wipe(&a);
	redirect_account(w, a.name, *mode == 'm' ? "saved" : *mode == 'c' ?
	    "copied" : "added");
}

/* ---- rename, delete ---- */

void
mgr_rename_page(struct web *w)
{
	struct acct a;

	mgr_target(w, "name", &a);
	tmpl_set(w->data, "name", a.name);
	acct_wipe(&a);
	web_page(w, "rename");
}

void
mgr_act_rename(struct web *w)
{
	struct acct a, b;
	struct buf to = BUF_INIT;
	char *why = NULL;
	int rc;

	mgr_target(w, "name", &a);
	if (name_is_reserved(a.name))
		web_error(w, 400, "A reserved account cannot be renamed.");
	if (manage_new_name(w->store, w->store->domain, web_str(w, "newname"),
	    &to, &why) != 1)
		web_error(w, 400, why);
	b = a;
	snprintf(b.name, sizeof(b.name), "%s", to.data);
	if ((rc = manage_may_change(w->store, &w->user, &a, &b, &why)) != 1) {
		web_log(w, LOG_WARNING, "permission_denied", "account", b.name,
		    "action", "rename");
		web_error(w, rc < 0 ? 503 : 403, rc < 0 ? "Not possible now." :
		    why);
	}
	if (acct_rename(w->store, a.name, b.name, &why) < 0)
		web_error(w, errno == EEXIST ? 400 : 503, why);
	if (b.secret[0]) {
		pwchange_rebind_secret(&w->conf, w->have_skey ? &w->skey : NULL,
		    &b, a.name);
		if (acct_save(w->store, &b, &why) < 0) {
			/* Renamed, but APOP/CRAM-MD5 fail until the
			 * password is set again: say so. */
			web_log(w, LOG_ERR, "secret_rebind_failed", "account",
			    b.name, "reason", why);
			free(why);
			why = NULL;
		}
	}
	log_event(LOG_NOTICE, "account_rename", "account", b.name, "from",
	    a.name, "by", w->user.name, "ip", w->remote, NULL);
	acct_wipe(&a);
	acct_wipe(&b);
	redirect_account(w, to.data, "renamed");
}

void
mgr_delete_page(struct web *w)
{
	struct acct a;

	mgr_target(w, "name", &a);
	tmpl_set(w->data, "name", a.name);
	tmpl_set_bool(w->data, "reserved", name_is_reserved(a.name));
	acct_wipe(&a);
	web_page(w, "delete");
}

void
mgr_act_delete(struct web *w)
{
	struct purge_report rep;
	struct acct a;
	char *why = NULL, n[24];
	int ret = *web_str(w, "return") != '\0';

	mgr_target(w, "name", &a);
	acct_wipe(&a);
	memset(&rep, 0, sizeof(rep));
	if (name_is_reserved(a.name))
		web_error(w, 400, "A reserved account cannot be deleted.");
	if (ret && purge_account(w->store, &a, 1, 1, NULL, NULL, &rep,
	    &why) != 0) {
		web_log(w, LOG_WARNING, "account_delete_failed", "account",
		    a.name, "reason", why ? why : "messages kept");
		web_error(w, 503, "The account was not deleted: its unread "
		    "messages could not all be returned.");
	}
	if (acct_delete(w->store, a.name, &why) < 0) {
		web_log(w, LOG_ERR, "account_delete_failed", "account", a.name,
		    "reason", why);
		web_error(w, 503, "The account could not be deleted now.");
	}
	snprintf(n, sizeof(n), "%lu", rep.returned);
	log_event(LOG_NOTICE, "account_delete", "account", a.name, "returned",
	    n, "by", w->user.name, "ip", w->remote, NULL);
	web_redirect(w, "p=accounts&done=deleted");
}

/* ---- chosen messages ---- */

void
mgr_act_messages(struct web *w)
{
	struct purge_report rep;
	struct acct a;
	struct buf q = BUF_INIT;
	uint64_t id, uv;
	uint32_t *uids;
	size_t n;
	char *why = NULL, ds[24], rs[24];
	int ret = strcmp(web_str(w, "op"), "return") == 0, rc;

	mgr_target(w, "name", &a);
	acct_wipe(&a);
	if (num_parse_u64(web_str(w, "f"), UINT32_MAX, &id) < 0 ||
	    num_parse_u64(web_str(w, "v"), UINT32_MAX, &uv) < 0)
		web_error(w, 400, "No folder.");
	n = msglist_uids(w, &uids);
	rc = purge_uids(w->store, &a, (uint32_t)id, (uint32_t)uv, uids, n, ret,
	    NULL, NULL, &rep, &why);
	free(uids);
	if (rc < 0) {
		web_log(w, LOG_WARNING, "messages_delete_failed", "account",
		    a.name, "reason", why);
		web_error(w, errno == ESTALE ? 409 : 503, "The messages could not "
		    "be deleted now.");
	}
	snprintf(ds, sizeof(ds), "%lu", rep.deleted);
	snprintf(rs, sizeof(rs), "%lu", rep.returned);
	log_event(LOG_NOTICE, "messages_delete", "account", a.name, "deleted",
	    ds, "returned", rs, "by", w->user.name, "ip", w->remote, NULL);
	buf_puts(&q, "p=account&name=");
	tmpl_escape_url(&q, a.name, strlen(a.name));
	buf_printf(&q, "&done=msgs&n=%lu&r=%lu&k=%lu", rep.deleted,
	    rep.returned, rep.kept);
	web_redirect(w, q.data);
}
