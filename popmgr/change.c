/*
 * change - the account switches of add, copy and modify: checked all
 * at once before any account is touched (change_parse), then applied
 * to each account (change_profile, change_usage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "file.h"
#include "group.h"
#include "manage.h"
#include "mem.h"
#include "passwd.h"
#include "pwchange.h"
#include "store.h"
#include "popmgr.h"

/* Switches shared by add, copy and modify. */
#define PROFILE_SWITCHES \
	{ "store", SW_VALUE, 0 }, \
	{ "password", SW_VALUE, 1 }, \
	{ "prompt", SW_FLAG, 0 }, \
	{ "pwdexpired", SW_FLAG, 1 }, \
	{ "quota", SW_VALUE, 1 }, \
	{ "overdraft", SW_VALUE, 1 }, \
	{ "owner", SW_VALUE, 1 }, \
	{ "private", SW_VALUE, 1 }, \
	{ "flags", SW_VALUE, 0 }, \
	{ "group_name", SW_VALUE, 1 }, \
	{ "backend", SW_VALUE, 1 }, \
	{ "log", SW_FLAG, 1 }

const struct sw_def change_add_switches[] = {
	PROFILE_SWITCHES,
	{ "partition", SW_VALUE, 0 },
	{ "domain", SW_FLAG, 0 },
	{ NULL, 0, 0 }
};

const struct sw_def change_copy_switches[] = {
	PROFILE_SWITCHES,
	{ "partition", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};

const struct sw_def change_modify_switches[] = {
	PROFILE_SWITCHES,
	{ "group", SW_VALUE, 0 },
	{ "confirm", SW_FLAG, 1 },
	{ "message_count", SW_VALUE, 0 },
	{ "received_bytes", SW_VALUE, 0 },
	{ "received_messages", SW_VALUE, 0 },
	{ "total_connect", SW_VALUE, 0 },
	{ "total_connections", SW_VALUE, 0 },
	{ "past_block_days", SW_VALUE, 0 },
	{ "last_connect", SW_FLAG, 0 },
	{ "last_disconnect", SW_FLAG, 0 },
	{ NULL, 0, 0 }
};

/* Counters modify may set, in struct usage order of this table. */
enum { C_RBYTES, C_RMSGS, C_TCONNECT, C_TCONNS, C_BLOCKDAYS, C_LASTCONN,
    C_LASTDISC, C_N };
static const char *const counter_names[C_N] = { "received_bytes",
    "received_messages", "total_connect", "total_connections",
    "past_block_days", "last_connect", "last_disconnect" };

struct change {
	int		 type;		/* -1: unchanged */
	int		 password;	/* 0 unchanged, 1 set, 2 remove */
	struct buf	 pw;
	int		 pwdexpired;	/* -1 unchanged, 0, 1 */
	int		 quota_set, overdraft_set;
	uint64_t	 quota, overdraft;
	const char	*owner, *private_data, *backend, *partition;
	int		 group_set;
	char		 group[GROUP_NAME_MAX + 1];
	unsigned	 flags_set, flags_clear;
	int		 counter_set[C_N];
	uint64_t	 counter[C_N];
	int		 count_set;
	uint64_t	 count;
	struct buf	 fields;	/* switches given, for the log */
};

/* A text field: at most max bytes, no control characters. */
static int
text_ok(struct mgr *m, const char *sw, const char *v, size_t max)
{
	size_t i, len = strlen(v);

	if (len > max)
		return mgr_fail(m, EX_DATAERR, "-%s: longer than %zu bytes", sw,
		    max);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return mgr_fail(m, EX_DATAERR, "-%s: control character",
			    sw);
	return 0;
}

/* A text switch: NULL if absent, "" for -noNAME, else its value. */
static int
text_switch(struct mgr *m, const struct sw_def *defs, struct sw_val *vals,
    const char *sw, size_t max, const char **v_r)
{
	struct sw_val *v = mgr_sw(defs, vals, sw);

	*v_r = NULL;
	if (!v->given)
		return 0;
	*v_r = v->negated ? "" : v->value;
	return text_ok(m, sw, *v_r, max);
}

static int
size_switch(struct mgr *m, struct sw_val *v, const char *sw, int *set_r,
    uint64_t *val_r)
{
	*set_r = v->given;
	*val_r = 0;
	if (!v->given || v->negated)
		return 0;
	if (parse_size(v->value, m->unit, val_r) < 0)
		return mgr_fail(m, EX_DATAERR, "-%s=%s: not a size (a number in "
		    "%s, or with a K, M or G suffix)", sw, v->value,
		    parse_units_name(m->unit));
	return 0;
}

static int
parse_password(struct mgr *m, struct change *ch, struct sw_val *pw,
    struct sw_val *prompt)
{
	if (pw->given && prompt->given)
		return mgr_fail(m, EX_USAGE, "-password and -prompt exclude each "
		    "other");
	if (pw->given && pw->negated) {
		ch->password = 2;
		return 0;
	}
	if (pw->given) {
		if (strlen(pw->value) > PASSWD_MAX_LEN)
			return mgr_fail(m, EX_DATAERR, "-password: longer "
			    "than %d bytes", PASSWD_MAX_LEN);
		buf_puts(&ch->pw, pw->value);
		ch->password = 1;
	} else if (prompt->given) {
		int rc = prompt_new_password(m, &ch->pw);

		if (rc)
			return rc;
		ch->password = 1;
	}
	return 0;
}

static int
parse_flags(struct mgr *m, struct change *ch, struct sw_val *v)
{
	struct buf list = BUF_INIT;
	char *why = NULL;
	size_t i;
	int rc = 0;

	if (!v->given)
		return 0;
	buf_puts(&list, v->value);
	for (i = 0; i < list.len; i++)
		if (list.data[i] == ' ' || list.data[i] == '\t')
			list.data[i] = ',';
	if (acct_flags_parse(list.data, &ch->flags_set, &ch->flags_clear,
	    &why) < 0) {
		rc = mgr_fail(m, EX_DATAERR, "-flags: %s (known: dismail, "
		    "disuser, lockpwd, manage, migrated, pwd_elsewhere, "
		    "pwd_expired)", why);
		free(why);
	}
	buf_free(&list);
	return rc;
}

static int
parse_group(struct mgr *m, struct change *ch, struct sw_val *v)
{
	char *why = NULL;
	int rc;

	ch->group_set = v->given;
	if (!v->given || v->negated || *v->value == '\0')
		return 0;
	if (group_canon(v->value, ch->group, &why) == 0)
		return 0;
	rc = mgr_fail(m, EX_DATAERR, "-group_name: %s", why);
	free(why);
	return rc;
}

static int
parse_counters(struct mgr *m, const struct sw_def *defs, struct sw_val *vals,
    struct change *ch)
{
	struct sw_val *v = mgr_sw(defs, vals, "message_count");
	int i, bad;

	if (v->given && parse_count(v->value, &ch->count) < 0)
		return mgr_fail(m, EX_DATAERR, "-message_count=%s: not a number",
		    v->value);
	ch->count_set = v->given;
	for (i = 0; i < C_N; i++) {
		v = mgr_sw(defs, vals, counter_names[i]);
		if (!v->given)
			continue;
		ch->counter_set[i] = 1;
		if (i == C_LASTCONN || i == C_LASTDISC)
			continue;
		if (i == C_TCONNECT)
			bad = parse_duration(v->value, &ch->counter[i]);
		else
			bad = parse_count(v->value, &ch->counter[i]);
		if (bad < 0)
			return mgr_fail(m, EX_DATAERR, "-%s=%s: not a %s",
			    counter_names[i], v->value, i == C_TCONNECT ?
			    "duration (D HH:MM:SS, or seconds)" : "number");
	}
	return 0;
}

static void
note_fields(const struct sw_def *defs, const struct sw_val *vals,
    struct buf *out)
{
	size_t i;

	for (i = 0; defs[i].name; i++) {
		const char *n = defs[i].name;

		if (!vals[i].given || strcmp(n, "log") == 0 ||
		    strcmp(n, "confirm") == 0 || strcmp(n, "group") == 0 ||
		    strcmp(n, "domain") == 0)
			continue;
		if (out->len)
			buf_putc(out, ',');
		buf_puts(out, strcmp(n, "prompt") == 0 ? "password" : n);
	}
}

int
change_parse(struct mgr *m, const struct sw_def *defs, struct sw_val *vals,
    struct change **ch_r)
{
	struct change *ch = mem_zalloc(1, sizeof(*ch));
	struct sw_val *v;
	int rc;

	ch->type = -1;
	ch->pwdexpired = -1;
	v = mgr_sw(defs, vals, "store");
	if (v->given && (ch->type = acct_type_parse(v->value)) < 0)
		rc = mgr_fail(m, EX_DATAERR, "-store=%s: pop or imap", v->value);
	else if ((rc = text_switch(m, defs, vals, "owner", ACCT_OWNER_MAX,
	    &ch->owner)) == 0 && (rc = text_switch(m, defs, vals, "private",
	    ACCT_PRIVATE_MAX, &ch->private_data)) == 0 &&
	    (rc = text_switch(m, defs, vals, "backend", ACCT_BACKEND_MAX,
	    &ch->backend)) == 0 && (rc = text_switch(m, defs, vals, "partition",
	    ACCT_PARTITION_MAX, &ch->partition)) == 0 &&
	    (rc = size_switch(m, mgr_sw(defs, vals, "quota"), "quota",
	    &ch->quota_set, &ch->quota)) == 0 &&
	    (rc = size_switch(m, mgr_sw(defs, vals, "overdraft"), "overdraft",
	    &ch->overdraft_set, &ch->overdraft)) == 0 &&
	    (rc = parse_flags(m, ch, mgr_sw(defs, vals, "flags"))) == 0 &&
	    (rc = parse_group(m, ch, mgr_sw(defs, vals, "group_name"))) == 0 &&
	    (rc = parse_counters(m, defs, vals, ch)) == 0) {
		if (ch->partition && conf_partition_dir(&m->conf,
		    ch->partition) == NULL)
			rc = mgr_fail(m, EX_DATAERR, "-partition=%s: no such "
			    "partition", ch->partition);
		else
			rc = parse_password(m, ch, mgr_sw(defs, vals,
			    "password"), mgr_sw(defs, vals, "prompt"));
	}
	v = mgr_sw(defs, vals, "pwdexpired");
	if (v->given)
		ch->pwdexpired = !v->negated;
	note_fields(defs, vals, &ch->fields);
	if (rc) {
		change_free(ch);
		return rc;
	}
	*ch_r = ch;
	return 0;
}

void
change_free(struct change *ch)
{
	if (ch == NULL)
		return;
	buf_free_secret(&ch->pw);
	buf_free(&ch->fields);
	free(ch);
}

/* Hash (and, with APOP_CRAM_MD5, encrypt) the new password into a. */
static int
set_password(struct mgr *m, const struct change *ch, struct acct *a)
{
	char *why = NULL;
	int rc = 0;

	if (pwchange_check(&m->conf, a, ch->pw.data, &why) < 0) {
		rc = mgr_fail(m, EX_DATAERR, "%s: %s", a->name, why);
		free(why);
		return rc;
	}
	if (pwchange_needs_key(&m->conf, ch->pw.data) &&
	    (rc = mgr_key(m, 0)) != 0)
		return rc;
	if (pwchange_set(&m->conf, m->key_loaded ? &m->key : NULL, a,
	    ch->pw.data, &why) < 0) {
		rc = mgr_fail(m, EX_SOFTWARE, "%s: %s", a->name, why);
		free(why);
	}
	return rc;
}

/* Fields that need no permission beyond managing the account. */
static void
set_plain(const struct change *ch, struct acct *a)
{
	if (ch->type >= 0)
		a->type = ch->type;
	if (ch->owner)
		snprintf(a->owner, sizeof(a->owner), "%s", ch->owner);
	if (ch->private_data)
		snprintf(a->private_data, sizeof(a->private_data), "%s",
		    ch->private_data);
	if (ch->backend)
		snprintf(a->backend, sizeof(a->backend), "%s", ch->backend);
	if (ch->partition)
		snprintf(a->partition, sizeof(a->partition), "%s", ch->partition);
	if (ch->quota_set)
		a->quota = ch->quota;
	if (ch->overdraft_set)
		a->overdraft = ch->overdraft;
	a->flags = (a->flags | ch->flags_set) & ~ch->flags_clear;
	if (ch->group_set)
		snprintf(a->group, sizeof(a->group), "%s", ch->group);
}

int
change_profile(struct mgr *m, const struct change *ch, const struct acct *old,
    struct acct *a)
{
	char *why = NULL;
	int rc;

	set_plain(ch, a);
	if ((rc = manage_may_change(m->store, m->confined ? &m->manager : NULL,
	    old, a, &why)) != 1) {
		rc = mgr_fail(m, rc < 0 ? EX_TEMPFAIL : EX_NOPERM, "%s", why);
		free(why);
		return rc;
	}
	if (ch->password == 2) {
		a->password[0] = a->secret[0] = '\0';
	} else if (ch->password == 1 && (rc = set_password(m, ch, a)) != 0) {
		return rc;
	}
	if (ch->pwdexpired == 1) {
		a->flags |= ACCT_PWD_EXPIRED;
	} else if (ch->pwdexpired == 0) {
		a->flags &= ~(unsigned)ACCT_PWD_EXPIRED;
		a->password_changed = (int64_t)time(NULL);
	}
	if (*a->group && (!old || strcmp(old->group, a->group) != 0) &&
	    group_ensure(m->store, a->group, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: group %s: %s", a->name,
		    a->group, why);
		free(why);
		return rc;
	}
	return 0;
}

static int
apply_counters(struct usage *u, void *ctx)
{
	const struct change *ch = ctx;

	if (ch->counter_set[C_RBYTES])
		u->bytes_received = ch->counter[C_RBYTES];
	if (ch->counter_set[C_RMSGS])
		u->messages_received = ch->counter[C_RMSGS];
	if (ch->counter_set[C_TCONNECT])
		u->total_connect = ch->counter[C_TCONNECT];
	if (ch->counter_set[C_TCONNS])
		u->total_connections = ch->counter[C_TCONNS];
	if (ch->counter_set[C_BLOCKDAYS]) {
		u->past_block_days = ch->counter[C_BLOCKDAYS];
		u->past_block_remainder = 0;
	}
	if (ch->counter_set[C_LASTCONN])
		u->last_connect = 0;
	if (ch->counter_set[C_LASTDISC])
		u->last_disconnect = 0;
	return 0;
}

int
change_has_usage(const struct change *ch)
{
	int i;

	for (i = 0; i < C_N; i++)
		if (ch->counter_set[i])
			return 1;
	return 0;
}

int
change_usage(struct mgr *m, const struct change *ch, const char *name)
{
	char *why = NULL;
	int rc;

	if (!change_has_usage(ch))
		return 0;
	if (usage_update(m->store, name, apply_counters, (void *)ch, 1,
	    &why) == 0)
		return 0;
	rc = mgr_fail(m, mgr_code(errno), "%s: usage: %s", name, why);
	free(why);
	return rc;
}

int
change_trim_count(const struct change *ch, uint64_t *count_r)
{
	*count_r = ch->count;
	return ch->count_set;
}

void
change_fields(const struct change *ch, struct buf *out)
{
	buf_append(out, ch->fields.data, ch->fields.len);
}

int
change_rebind_secret(struct mgr *m, struct acct *a, const char *old_name)
{
	if (a->secret[0] && m->conf.apop_cram_md5)
		(void)mgr_key(m, 1);
	/* Without the key the secret is lost; the next login stores one. */
	pwchange_rebind_secret(&m->conf, m->key_loaded ? &m->key : NULL, a,
	    old_name);
	return 0;
}
