/*
 * acctcmd - the account commands: add, copy, modify, rename, delete.
 * Every switch is checked before the first account changes; then each
 * account succeeds or fails on its own, with a message naming it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "manage.h"
#include "name.h"
#include "store.h"
#include "popmgr.h"

/* Keep the first failure of a multi-account command. */
static void
note(int *rc, int one)
{
	if (one && *rc == 0)
		*rc = one;
}

/* The canonical form of a name for a new account, refusing what
 * cannot be created: reserved names, unknown domains, taken names. */
static int
new_name(struct mgr *m, const char *input, struct buf *name)
{
	char *why = NULL;
	int rc = manage_new_name(m->store, m->store->domain, input, name, &why);

	if (rc == 1)
		return 0;
	rc = mgr_fail(m, errno == EEXIST ? EX_CANTCREAT : errno == ENOENT ?
	    EX_NOUSER : EX_DATAERR, "%s", why);
	free(why);
	return rc;
}

static int
create(struct mgr *m, struct acct *a, const char *event, const char *from,
    int log)
{
	char *why = NULL;
	int rc;

	if (acct_create(m->store, a, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", a->name, why);
		free(why);
		return rc;
	}
	if (from)
		log_event(LOG_NOTICE, event, "account", a->name, "from", from,
		    "by", m->by, NULL);
	else
		log_event(LOG_NOTICE, event, "account", a->name, "by", m->by,
		    NULL);
	if (log)
		printf("%s: added\n", a->name);
	mgr_changed(m);
	return 0;
}

static int
want_log(const struct sw_def *defs, struct sw_val *vals, int dflt)
{
	struct sw_val *v = mgr_sw(defs, vals, "log");

	return v->given ? !v->negated : dflt;
}

/* ---- add ---- */

static int
add_one(struct mgr *m, const struct change *ch, const char *input, int log)
{
	struct buf name = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int rc;

	if ((rc = new_name(m, input, &name)) != 0)
		goto out;
	if (acct_from_default(m->store, name.data, &a, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", name.data, why);
		free(why);
		goto out;
	}
	if ((rc = change_profile(m, ch, NULL, &a)) == 0)
		rc = create(m, &a, "account_add", NULL, log);
	acct_wipe(&a);
out:
	buf_free(&name);
	return rc;
}

/* add -domain DOMAIN: the domain's own default account. */
static int
add_domain(struct mgr *m, const char *input)
{
	struct buf in = BUF_INIT, name = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int rc;

	if (!m->conf.use_domains)
		return mgr_fail(m, EX_USAGE, "add -domain: user domains need "
		    "USE_DOMAINS=1");
	if (!mgr_world(m) || (m->confined && *name_domain(m->manager.name)))
		return mgr_fail(m, EX_NOPERM, "add -domain: only a WORLD manager "
		    "of the default domain may");
	buf_printf(&in, "default@%s", input);
	if ((rc = mgr_canon(m, in.data, &name)) != 0)
		goto out;
	if (*name_domain(name.data) == '\0')
		rc = mgr_fail(m, EX_DATAERR, "%s is the default domain", input);
	else if (acct_exists(m->store, name.data))
		rc = mgr_fail(m, EX_CANTCREAT, "domain %s exists",
		    name_domain(name.data));
	else if (acct_from_default(m->store, "default", &a, &why) < 0)
		rc = mgr_fail(m, mgr_code(errno), "default: %s", why);
	else {
		snprintf(a.name, sizeof(a.name), "%s", name.data);
		a.flags |= ACCT_DISUSER;
		if ((rc = create(m, &a, "domain_add", "default", 0)) == 0 &&
		    !m->script)
			printf("Domain %s added\n", name_domain(name.data));
	}
	free(why);
out:
	buf_free(&in);
	buf_free(&name);
	return rc;
}

int
cmd_add(struct mgr *m, const struct words *w)
{
	const struct sw_def *defs = change_add_switches;
	struct sw_val vals[PARSE_SW_MAX];
	struct words params = { NULL, 0, 0 }, names = { NULL, 0, 0 };
	struct change *ch = NULL;
	size_t i, given = 0;
	int rc, log;

	if ((rc = mgr_args(m, defs, w, vals, &params)) != 0)
		goto out;
	parse_list(&params, 0, &names);
	if (names.n == 0) {
		rc = mgr_fail(m, EX_USAGE, "usage: add NAME[,NAME...] "
		    "[-switch...]");
		goto out;
	}
	if (mgr_sw(defs, vals, "domain")->given) {
		for (i = 0; defs[i].name; i++)
			given += vals[i].given;
		if (given > 1 || names.n != 1)
			rc = mgr_fail(m, EX_USAGE, "usage: add -domain DOMAIN");
		else
			rc = add_domain(m, names.v[0]);
		goto out;
	}
	if ((rc = change_parse(m, defs, vals, &ch)) != 0)
		goto out;
	log = want_log(defs, vals, 0);
	mgr_hold(m);
	for (i = 0; i < names.n; i++)
		note(&rc, add_one(m, ch, names.v[i], log));
out:
	change_free(ch);
	words_free(&params);
	words_free(&names);
	return rc;
}

/* ---- copy ---- */

static int
copy_one(struct mgr *m, const struct change *ch, const struct acct *src,
    const char *input, int log)
{
	struct buf name = BUF_INIT;
	struct acct a;
	int rc;

	if ((rc = new_name(m, input, &name)) != 0)
		goto out;
	a = *src;
	snprintf(a.name, sizeof(a.name), "%s", name.data);
	a.created = (int64_t)time(NULL);
	change_rebind_secret(m, &a, src->name);
	if ((rc = change_profile(m, ch, NULL, &a)) == 0)
		rc = create(m, &a, "account_copy", src->name, log);
	acct_wipe(&a);
out:
	buf_free(&name);
	return rc;
}

int
cmd_copy(struct mgr *m, const struct words *w)
{
	const struct sw_def *defs = change_copy_switches;
	struct sw_val vals[PARSE_SW_MAX];
	struct words params = { NULL, 0, 0 }, names = { NULL, 0, 0 };
	struct buf from = BUF_INIT;
	struct change *ch = NULL;
	struct acct src;
	size_t i;
	int rc;

	memset(&src, 0, sizeof(src));
	if ((rc = mgr_args(m, defs, w, vals, &params)) != 0)
		goto out;
	parse_list(&params, 0, &names);
	if (names.n < 2) {
		rc = mgr_fail(m, EX_USAGE, "usage: copy FROM TO[,TO...]");
		goto out;
	}
	if ((rc = mgr_canon(m, names.v[0], &from)) != 0 ||
	    (rc = mgr_load(m, from.data, &src, 1)) != 0 ||
	    (rc = change_parse(m, defs, vals, &ch)) != 0)
		goto out;
	mgr_hold(m);
	for (i = 1; i < names.n; i++)
		note(&rc, copy_one(m, ch, &src, names.v[i],
		    want_log(defs, vals, 0)));
out:
	acct_wipe(&src);
	change_free(ch);
	buf_free(&from);
	words_free(&params);
	words_free(&names);
	return rc;
}

/* ---- modify ---- */

static int
modify_one(struct mgr *m, const struct change *ch, const char *name, int log)
{
	struct acct old, a;
	struct buf fields = BUF_INIT;
	uint64_t want, have = 0;
	unsigned long gone = 0;
	char *why = NULL;
	int rc, trim = change_trim_count(ch, &want);

	if ((rc = mgr_load(m, name, &old, 1)) != 0)
		return rc;
	a = old;
	if (trim && (rc = msgs_count(m, &old, &have)) == 0 && want > have)
		rc = mgr_fail(m, EX_DATAERR, "%s: -message_count=%llu: only %llu "
		    "messages are stored (it can only be lowered)", name,
		    (unsigned long long)want, (unsigned long long)have);
	if (rc == 0)
		rc = change_profile(m, ch, &old, &a);
	if (rc == 0 && memcmp(&a, &old, sizeof(a)) != 0 &&
	    acct_save(m->store, &a, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", name, why);
		free(why);
	}
	if (rc == 0)
		rc = change_usage(m, ch, name);
	if (rc == 0 && trim && want < have)
		rc = msgs_trim(m, &a, want, &gone);
	if (rc == 0) {
		change_fields(ch, &fields);
		log_event(LOG_NOTICE, "account_modify", "account", name,
		    "fields", buf_cstr(&fields), "by", m->by, NULL);
		if (log)
			printf("%s: modified%s\n", name, gone ? " (oldest "
			    "messages deleted)" : "");
		mgr_changed(m);
	}
	buf_free(&fields);
	acct_wipe(&a);
	acct_wipe(&old);
	return rc;
}

/*
 * The frame of modify and delete: switches, names and patterns, -group,
 * PMDF's confirmations; then fn for each account, asking first when
 * confirming each (y, n, a: stop asking, q: stop). prepare checks the
 * switches and fills ctx before any account changes.
 */
struct each_cmd {
	const char	*verb;		/* "modify", "delete" */
	const char	*usage;
	const struct sw_def *defs;
	int		(*prepare)(struct mgr *, struct sw_val *, int wild,
			    void *ctx);
	int		(*fn)(struct mgr *, const char *name, void *ctx);
};

static int
each_account(struct mgr *m, const struct each_cmd *c,
    const struct words *names, int each, void *ctx)
{
	char q[ACCT_NAME_MAX + 64];
	size_t i;
	int rc = 0, ans;

	for (i = 0; i < names->n; i++) {
		if (each) {
			snprintf(q, sizeof(q), "%c%s account %s?",
			    c->verb[0] & ~0x20, c->verb + 1, names->v[i]);
			if ((ans = prompt_confirm(m, q)) < 0)
				break;
			if (ans == 0)
				continue;
			if (ans == 2)
				each = 0;
		}
		note(&rc, c->fn(m, names->v[i], ctx));
	}
	return rc;
}

static int
run_each(struct mgr *m, const struct words *w, const struct each_cmd *c,
    void *ctx)
{
	struct sw_val vals[PARSE_SW_MAX], *grp;
	struct words params = { NULL, 0, 0 }, items = { NULL, 0, 0 },
	    names = { NULL, 0, 0 };
	int rc, wild, each;

	if ((rc = mgr_args(m, c->defs, w, vals, &params)) != 0)
		goto out;
	parse_list(&params, 0, &items);
	if (items.n == 0) {
		rc = mgr_fail(m, EX_USAGE, "usage: %s", c->usage);
		goto out;
	}
	grp = mgr_sw(c->defs, vals, "group");
	if ((rc = select_accounts(m, &items, grp->given ? grp->value : NULL, 0,
	    &names, &wild)) != 0 ||
	    (rc = c->prepare(m, vals, wild, ctx)) != 0)
		goto out;
	rc = select_confirm(m, c->verb, &names, wild, mgr_sw(c->defs, vals,
	    "confirm"), &each);
	if (rc != 0) {
		rc = rc < 0 ? 0 : rc;	/* answered no */
		goto out;
	}
	mgr_hold(m);
	rc = each_account(m, c, &names, each, ctx);
out:
	words_free(&params);
	words_free(&items);
	words_free(&names);
	return rc;
}

struct modify_ctx {
	struct change	*ch;
	int		 log;
};

static int
modify_prepare(struct mgr *m, struct sw_val *vals, int wild, void *ctx)
{
	struct modify_ctx *c = ctx;

	c->log = want_log(change_modify_switches, vals, wild);
	return change_parse(m, change_modify_switches, vals, &c->ch);
}

static int
modify_cb(struct mgr *m, const char *name, void *ctx)
{
	struct modify_ctx *c = ctx;

	return modify_one(m, c->ch, name, c->log);
}

int
cmd_modify(struct mgr *m, const struct words *w)
{
	static const struct each_cmd c = { "modify", "modify NAME[,NAME...] "
	    "[-switch...]", change_modify_switches, modify_prepare, modify_cb };
	struct modify_ctx ctx = { NULL, 0 };
	int rc = run_each(m, w, &c, &ctx);

	change_free(ctx.ch);
	return rc;
}

/* ---- rename ---- */

int
cmd_rename(struct mgr *m, const struct words *w)
{
	struct buf from = BUF_INIT, to = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	if (w->n != 3) {
		rc = mgr_fail(m, EX_USAGE, "usage: rename OLD NEW");
		goto out;
	}
	if ((rc = mgr_canon(m, w->v[1], &from)) != 0 ||
	    (rc = mgr_load(m, from.data, &a, 1)) != 0)
		goto out;
	if (name_is_reserved(from.data)) {
		rc = mgr_fail(m, EX_DATAERR, "%s: reserved name", from.data);
		goto out;
	}
	if ((rc = new_name(m, w->v[2], &to)) != 0)
		goto out;
	snprintf(a.name, sizeof(a.name), "%s", to.data);
	if ((rc = mgr_may_manage(m, &a)) != 1) {
		rc = rc < 0 ? EX_TEMPFAIL : mgr_fail(m, EX_NOPERM, "%s: "
		    "permission denied (not managed by %s)", to.data,
		    m->manager.name);
		goto out;
	}
	rc = 0;
	if (acct_rename(m->store, from.data, to.data, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "rename %s: %s", from.data,
		    why);
		goto out;
	}
	if (a.secret[0]) {
		change_rebind_secret(m, &a, from.data);
		if (acct_save(m->store, &a, &why) < 0)
			rc = mgr_fail(m, mgr_code(errno), "%s: %s", to.data, why);
	}
	log_event(LOG_NOTICE, "account_rename", "account", to.data, "from",
	    from.data, "by", m->by, NULL);
	mgr_changed(m);
out:
	free(why);
	acct_wipe(&a);
	buf_free(&from);
	buf_free(&to);
	return rc;
}

/* ---- delete ---- */

const struct sw_def delete_switches[] = {
	{ "confirm", SW_FLAG, 1 },
	{ "log", SW_FLAG, 1 },
	{ "group", SW_VALUE, 0 },
	{ "messages", SW_FLAG, 0 },
	{ "return", SW_FLAG, 1 },
	{ NULL, 0, 0 }
};

struct delete_ctx {
	int	messages, ret, log;
};

static int
delete_messages(struct mgr *m, const struct acct *a, const struct delete_ctx *d)
{
	unsigned long n = 0, r = 0;
	char ns[24], rs[24];
	int rc = msgs_delete(m, a, d->ret, 0, &n, &r);

	snprintf(ns, sizeof(ns), "%lu", n);
	snprintf(rs, sizeof(rs), "%lu", r);
	if (n || r)
		log_event(LOG_NOTICE, "messages_delete", "account", a->name,
		    "deleted", ns, "returned", rs, "by", m->by, NULL);
	if (rc == 0 && d->log)
		printf("%s: %lu message%s deleted, %lu returned\n", a->name, n,
		    n == 1 ? "" : "s", r);
	if (n)
		mgr_changed(m);
	return rc;
}

static int
delete_cb(struct mgr *m, const char *name, void *ctx)
{
	const struct delete_ctx *d = ctx;
	unsigned long n = 0, r = 0;
	struct acct a;
	char *why = NULL;
	int rc;

	if ((rc = mgr_load(m, name, &a, 1)) != 0)
		return rc;
	acct_wipe(&a);
	if (d->messages)
		return delete_messages(m, &a, d);
	if (name_is_reserved(name))
		return mgr_fail(m, EX_DATAERR, "%s: the reserved account cannot "
		    "be deleted", name);
	if (d->ret && (rc = msgs_delete(m, &a, 1, 1, &n, &r)) != 0)
		return mgr_fail(m, rc, "%s: not deleted: its unread messages "
		    "could not all be returned", name);
	if (acct_delete(m->store, name, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", name, why);
		free(why);
		return rc;
	}
	{
		char rs[24];

		snprintf(rs, sizeof(rs), "%lu", r);
		log_event(LOG_NOTICE, "account_delete", "account", name,
		    "returned", rs, "by", m->by, NULL);
	}
	if (d->log && d->ret)
		printf("%s: deleted, %lu message%s returned\n", name, r,
		    r == 1 ? "" : "s");
	else if (d->log)
		printf("%s: deleted\n", name);
	mgr_changed(m);
	return 0;
}

static int
delete_prepare(struct mgr *m, struct sw_val *vals, int wild, void *ctx)
{
	struct delete_ctx *d = ctx;
	struct sw_val *ret = mgr_sw(delete_switches, vals, "return");

	(void)m;
	d->messages = mgr_sw(delete_switches, vals, "messages")->given;
	d->ret = ret->given && !ret->negated;
	d->log = want_log(delete_switches, vals, wild);
	return 0;
}

int
cmd_delete(struct mgr *m, const struct words *w)
{
	static const struct each_cmd c = { "delete", "delete NAME[,NAME...] "
	    "[-messages] [-return]", delete_switches, delete_prepare,
	    delete_cb };
	struct delete_ctx d = { 0, 0, 0 };

	return run_each(m, w, &c, &d);
}
