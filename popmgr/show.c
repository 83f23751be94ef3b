/*
 * show - reports: accounts (full or one line each), the number of
 * accounts, forwardings, an account's messages, the options. Every
 * report is a template (template.h): a built-in one, or the site's
 * with -format=FILE; -output=FILE writes the report to a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "fwdmap.h"
#include "manage.h"
#include "mgmtdb.h"
#include "name.h"
#include "store.h"
#include "template.h"
#include "popmgr.h"

const struct sw_def show_switches[] = {
	{ "brief", SW_FLAG, 0 },
	{ "full", SW_FLAG, 0 },
	{ "count_users", SW_FLAG, 0 },
	{ "forwardings", SW_FLAG, 0 },
	{ "messages", SW_FLAG, 0 },
	{ "folder", SW_VALUE, 0 },
	{ "options", SW_FLAG, 0 },
	{ "group", SW_VALUE, 0 },
	{ "format", SW_VALUE, 0 },
	{ "output", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};
enum { S_BRIEF, S_FULL, S_COUNT, S_FWD, S_MSGS, S_FOLDER, S_OPTIONS,
    S_GROUP, S_FORMAT, S_OUTPUT, S_N };

enum { A_USERNAME, A_DOMAIN, A_OWNER, A_GROUP, A_STORE, A_FLAGS, A_PRIVATE,
    A_PARTITION, A_BACKEND, A_PASSWORD, A_CREATED, A_LAST_PWD,
    A_LAST_CONNECT, A_LAST_DISCONNECT, A_TOTAL_CONNECT, A_TOTAL_CONNECT_DHMS,
    A_TOTAL_CONNECTIONS, A_PAST_BLOCK_DAYS, A_LAST_BILLING, A_MESSAGE_COUNT,
    A_RECEIVED_MESSAGES, A_RECEIVED_BYTES, A_QUOTA_USED, A_QUOTA,
    A_OVERDRAFT, A_QUOTA_USED_K, A_QUOTA_K, A_OVERDRAFT_K, A_QUOTA_USED_U,
    A_QUOTA_U, A_OVERDRAFT_U, A_UNITS, A_QUOTA_TEXT, A_FORWARDING, A_N };

static const char *const acct_fields[A_N + 1] = { "username", "domain",
    "owner", "group_name", "store", "flags", "private", "partition",
    "backend", "password", "created", "last_pwd_change", "last_connect",
    "last_disconnect", "total_connect", "total_connect_dhms",
    "total_connections", "past_block_days", "last_billing", "message_count",
    "received_messages", "received_bytes", "quota_used", "quota",
    "overdraft", "quota_used_k", "quota_k", "overdraft_k", "quota_used_u",
    "quota_u", "overdraft_u", "units", "quota_text", "forwarding", NULL };

static const char full_template[] =
    "Username:           %username\n"
    "Owner:              %owner\n"
    "Group:              %group_name\n"
    "Store Type:         %store\n"
    "Usage flags:        %flags\n"
    "Site-defined:       %private\n"
    "Partition:          %partition\n"
    "Password:           %password\n"
    "Forwarding:         %forwarding\n"
    "Created:            %created\n"
    "Last pwd change:    %last_pwd_change\n"
    "Last connect:       %last_connect\n"
    "Last disconnect:    %last_disconnect\n"
    "Total connect time: %total_connect_dhms\n"
    "Total connections:  %total_connections\n"
    "Past block days:    %past_block_days\n"
    "Last billing:       %last_billing\n"
    "Message count:      %message_count (%received_messages total "
    "message%s received)\n"
    "Quota used:         %quota_used_u{%.2f} %units\n"
    "Primary quota:      %quota_text\n"
    "Overdraft quota:    %overdraft_u{%.2f} %units\n";

static const char brief_template[] =
    "%none{No accounts found}\n"
    "%first{Username                         Store Group            "
    "Messages  %units{%12s} Flags}\n"
    "%username{%-32s} %store{%-5s} %group_name{%-16s} %message_count{%8u} "
    "%quota_used_u{%13.2f} %flags\n";

static const char fwd_template[] =
    "%none{No forwardings exist}\n"
    "%first{Username                         Forwarding address}\n"
    "%first{----------------------------------------------------}\n"
    "%fwd_from{%-32s} %fwd_to\n";

static const char *const fwd_fields[] = { "fwd_from", "fwd_to", NULL };

int
show_load_template(struct mgr *m, const char *file, const char *builtin,
    const char *const *names, struct template **t_r)
{
	struct buf text = BUF_INIT;
	char *why = NULL;
	int rc = 0;

	if (file && m->confined)
		return mgr_fail(m, EX_NOPERM, "-format: not after login (files "
		    "are read with the invoking user's rights)");
	if (file == NULL)
		buf_puts(&text, builtin);
	else if ((rc = file_read(file, TEMPLATE_MAX, &text, &why)) <= 0) {
		rc = rc == 0 ? mgr_fail(m, EX_NOINPUT, "%s: no such file", file) :
		    mgr_fail(m, EX_DATAERR, "%s", why);
		goto out;
	}
	rc = 0;
	if (template_compile(text.data, text.len, names, t_r, &why) < 0)
		rc = mgr_fail(m, EX_DATAERR, "%s: %s", file ? file : "built-in",
		    why);
out:
	free(why);
	buf_free(&text);
	return rc;
}

int
show_output(struct mgr *m, const char *file, const struct buf *out)
{
	size_t off = 0;
	ssize_t n;
	int fd = STDOUT_FILENO, rc = 0;

	if (file && m->confined)
		return mgr_fail(m, EX_NOPERM, "-output: not after login (files "
		    "are written with the invoking user's rights)");
	fflush(stdout);
	if (file && (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) < 0)
		return mgr_fail(m, EX_CANTCREAT, "%s: %s", file, strerror(errno));
	while (off < out->len && (n = write(fd, out->data + off,
	    out->len - off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mgr_fail(m, EX_IOERR, "%s: %s", file ? file :
			    "standard output", strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (file && close(fd) < 0 && rc == 0)
		rc = mgr_fail(m, EX_IOERR, "%s: %s", file, strerror(errno));
	return rc;
}

/* ---- accounts ---- */

struct aitem {
	struct mgr	*m;
	struct acct	 a;
	struct usage	 u;
	int		 has_password;	/* the hash itself is wiped */
	struct buf	 fwd, tmp;
};

static double
in_units(uint64_t bytes, uint64_t unit)
{
	return (double)bytes / (double)unit;
}

static void
put_password(const struct aitem *it, struct buf *out)
{
	const struct acct *a = &it->a;

	if (a->flags & ACCT_PWD_ELSEWHERE)
		buf_puts(out, "checked elsewhere (pwd_elsewhere)");
	else if (!it->has_password)
		buf_puts(out, "none (no login possible)");
	else
		buf_puts(out, a->flags & ACCT_PWD_EXPIRED ? "set, expired" :
		    "set");
}

static void
put_dhms(uint64_t s, struct buf *out)
{
	buf_printf(out, "%llu %02u:%02u:%02u", (unsigned long long)(s / 86400),
	    (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
	    (unsigned)(s % 60));
}

/* String fields: their text into it->tmp. */
static const char *
acct_text(struct aitem *it, size_t field)
{
	const struct acct *a = &it->a;
	struct buf *t = &it->tmp;

	buf_reset(t);
	switch (field) {
	case A_USERNAME: buf_append(t, a->name, strcspn(a->name, "@")); break;
	case A_DOMAIN: buf_puts(t, name_domain(a->name)); break;
	case A_OWNER: buf_puts(t, a->owner); break;
	case A_GROUP: buf_puts(t, a->group); break;
	case A_STORE: buf_puts(t, acct_type_name(a->type)); break;
	case A_FLAGS: acct_flags_format(a->flags, t); break;
	case A_PRIVATE: buf_puts(t, a->private_data); break;
	case A_PARTITION: buf_puts(t, a->partition); break;
	case A_BACKEND: buf_puts(t, a->backend); break;
	case A_PASSWORD: put_password(it, t); break;
	case A_CREATED: mgr_time(a->created, t); break;
	case A_LAST_PWD: mgr_time(a->password_changed, t); break;
	case A_LAST_CONNECT: mgr_time(it->u.last_connect, t); break;
	case A_LAST_DISCONNECT: mgr_time(it->u.last_disconnect, t); break;
	case A_TOTAL_CONNECT_DHMS: put_dhms(it->u.total_connect, t); break;
	case A_LAST_BILLING: mgr_time(it->u.last_billing, t); break;
	case A_UNITS: buf_puts(t, parse_units_name(it->m->unit)); break;
	case A_FORWARDING: buf_puts(t, it->fwd.len ? it->fwd.data : "none");
		break;
	case A_QUOTA_TEXT:
		if (a->quota == 0)
			buf_puts(t, "unlimited");
		else
			buf_printf(t, "%.2f %s", in_units(a->quota, it->m->unit),
			    parse_units_name(it->m->unit));
		break;
	}
	return buf_cstr(t);
}

static void
acct_get(void *item, size_t field, struct tvalue *v)
{
	struct aitem *it = item;
	const uint64_t nums[A_N] = {
		[A_TOTAL_CONNECT] = it->u.total_connect,
		[A_TOTAL_CONNECTIONS] = it->u.total_connections,
		[A_PAST_BLOCK_DAYS] = it->u.past_block_days,
		[A_MESSAGE_COUNT] = it->u.message_count,
		[A_RECEIVED_MESSAGES] = it->u.messages_received,
		[A_RECEIVED_BYTES] = it->u.bytes_received,
		[A_QUOTA_USED] = it->u.quota_used,
		[A_QUOTA] = it->a.quota,
		[A_OVERDRAFT] = it->a.overdraft,
	};

	if (field >= A_QUOTA_USED_K && field <= A_OVERDRAFT_U) {
		size_t base = (field - A_QUOTA_USED_K) % 3;
		uint64_t bytes = base == 0 ? it->u.quota_used : base == 1 ?
		    it->a.quota : it->a.overdraft;

		v->type = TV_REAL;
		v->d = in_units(bytes, field < A_QUOTA_USED_U ? 1024 :
		    it->m->unit);
	} else if (field == A_TOTAL_CONNECT || (field >= A_TOTAL_CONNECTIONS &&
	    field <= A_OVERDRAFT && field != A_LAST_BILLING)) {
		v->type = TV_UINT;
		v->u = nums[field];
	} else {
		v->type = TV_STR;
		v->s = acct_text(it, field);
	}
}

/* Which data a template needs beyond the profile. */
static int
uses_usage(const struct template *t)
{
	static const int f[] = { A_LAST_CONNECT, A_LAST_DISCONNECT,
	    A_TOTAL_CONNECT, A_TOTAL_CONNECT_DHMS, A_TOTAL_CONNECTIONS,
	    A_PAST_BLOCK_DAYS, A_LAST_BILLING, A_MESSAGE_COUNT,
	    A_RECEIVED_MESSAGES, A_RECEIVED_BYTES, A_QUOTA_USED,
	    A_QUOTA_USED_K, A_QUOTA_USED_U };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (template_uses(t, (size_t)f[i]))
			return 1;
	return 0;
}

static int
load_item(struct mgr *m, const char *name, const struct template *t,
    struct aitem *it)
{
	char *why = NULL;
	int rc;

	buf_reset(&it->fwd);
	memset(&it->u, 0, sizeof(it->u));
	if ((rc = mgr_load(m, name, &it->a, 1)) != 0)
		return rc;
	it->has_password = it->a.password[0] != '\0';
	acct_wipe(&it->a);
	if (uses_usage(t) && usage_read(m->store, name, &it->u, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s: usage: %s", name, why);
		free(why);
		return rc;
	}
	if (template_uses(t, A_FORWARDING) &&
	    fwdmap_get(m->store, name, &it->fwd, NULL) == 1) {
		size_t i;

		for (i = 0; i < it->fwd.len; i++)
			if (it->fwd.data[i] == '\n')
				it->fwd.data[i] = ',';
	}
	return 0;
}

/* Accounts: load each, apply the template (late, to know the last). */
static int
show_accounts(struct mgr *m, const struct words *names, int full,
    const char *format, struct buf *out)
{
	struct aitem it[2];
	struct template *t = NULL;
	size_t i, shown = 0;
	int rc, first = 0, cur = 0, have = 0;

	memset(it, 0, sizeof(it));
	it[0].m = it[1].m = m;
	if ((rc = show_load_template(m, format, full ? full_template :
	    brief_template, acct_fields, &t)) != 0)
		return rc;
	for (i = 0; i < names->n; i++) {
		int one = load_item(m, names->v[i], t, &it[cur ^ have]);

		if (one) {
			first = first ? first : one;
			continue;
		}
		if (have) {
			if (full && !format && shown)
				buf_putc(out, '\n');
			template_apply(t, &it[cur], shown == 0, 0, acct_get, out);
			shown++;
		}
		cur ^= have;
		have = 1;
	}
	if (have) {
		if (full && !format && shown)
			buf_putc(out, '\n');
		template_apply(t, &it[cur], shown == 0, 1, acct_get, out);
	} else if (!full || format) {
		template_apply(t, NULL, 0, 0, acct_get, out);
	}
	for (i = 0; i < 2; i++) {
		buf_free(&it[i].fwd);
		buf_free(&it[i].tmp);
	}
	template_free(t);
	return first;
}

/* ---- counting ---- */

struct count_ctx {
	struct manage_filter *f;
	unsigned long	 n;
};

static int
count_one(const struct acct *a, void *ctx)
{
	struct count_ctx *c = ctx;

	if (!name_is_reserved(a->name) && manage_filter_allows(c->f, a))
		c->n++;
	return 0;
}

static int
show_count(struct mgr *m, const char *group, struct buf *out)
{
	struct count_ctx c = { NULL, 0 };
	char *why = NULL;
	int rc = 0;

	if ((c.f = select_filter_new(m, group, &rc)) == NULL)
		return rc;
	if (acct_db_walk(m->store, count_one, &c, &why) < 0)
		rc = mgr_fail(m, EX_TEMPFAIL, "accounts database: %s", why);
	else
		buf_printf(out, "%lu account%s\n", c.n, c.n == 1 ? "" : "s");
	free(why);
	manage_filter_free(c.f);
	return rc;
}

/* ---- forwardings ---- */

struct fwd_ctx {
	struct mgr	*m;
	struct words	 pairs;		/* name, addresses, name, ... */
};

static int
fwd_one(const char *name, const char *to, void *ctx)
{
	struct fwd_ctx *c = ctx;
	struct acct a;

	/* A manager sees forwardings of names it may manage or that are
	 * no account. */
	if (c->m->confined && acct_load(c->m->store, name, &a, NULL) == 1) {
		int may = group_may_manage(c->m->store, &c->m->manager, &a, NULL);

		acct_wipe(&a);
		if (may != 1)
			return 0;
	}
	words_add(&c->pairs, name, strlen(name));
	words_add(&c->pairs, to, strlen(to));
	return 0;
}

static int
cmp_pairs(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
fwd_get(void *item, size_t field, struct tvalue *v)
{
	char **pair = item;

	v->type = TV_STR;
	v->s = pair[field];
}

static int
show_forwardings(struct mgr *m, const char *prefix, const char *format,
    struct buf *out)
{
	struct fwd_ctx c = { m, { NULL, 0, 0 } };
	struct template *t = NULL;
	char *why = NULL;
	size_t i, k, n;
	int rc;

	if ((rc = show_load_template(m, format, fwd_template, fwd_fields,
	    &t)) != 0)
		return rc;
	if (fwdmap_walk(m->store, prefix ? prefix : "", fwd_one, &c, &why) < 0) {
		rc = mgr_fail(m, EX_TEMPFAIL, "forwardings: %s", why);
		free(why);
		goto out;
	}
	n = c.pairs.n / 2;
	if (n)
		qsort(c.pairs.v, n, 2 * sizeof(char *), cmp_pairs);
	for (i = 0; i < n; i++) {
		char *to = c.pairs.v[2 * i + 1];

		for (k = 0; to[k]; k++)
			if (to[k] == '\n')
				to[k] = ',';
		template_apply(t, &c.pairs.v[2 * i], i == 0, i + 1 == n, fwd_get,
		    out);
	}
	if (n == 0)
		template_apply(t, NULL, 0, 0, fwd_get, out);
out:
	words_free(&c.pairs);
	template_free(t);
	return rc;
}

/* ---- options ---- */

static int
option_one(const char *name, const char *value, const char *dflt, void *ctx)
{
	struct buf *out = ctx;

	buf_printf(out, "%-22s %s", name, value);
	if (strcmp(value, dflt) != 0 && *dflt)
		buf_printf(out, "  (default %s)", dflt);
	buf_putc(out, '\n');
	return 0;
}

/* ---- the command ---- */

static int
show_modes(struct mgr *m, struct sw_val *v)
{
	int i, modes = 0;

	for (i = S_COUNT; i <= S_OPTIONS; i++)
		modes += i != S_FOLDER && v[i].given;
	if (modes > 1 || (v[S_BRIEF].given && v[S_FULL].given))
		return mgr_fail(m, EX_USAGE, "show: choose one of -count_users, "
		    "-forwardings, -messages, -options");
	if (v[S_FOLDER].given && !v[S_MSGS].given)
		return mgr_fail(m, EX_USAGE, "show: -folder goes with -messages");
	return 0;
}

static int
show_messages(struct mgr *m, const struct words *params, struct sw_val *v,
    struct buf *out)
{
	struct buf name = BUF_INIT;
	struct acct a;
	int rc;

	if (params->n != 1)
		return mgr_fail(m, EX_USAGE, "usage: show -messages NAME "
		    "[-folder=FOLDER]");
	if ((rc = mgr_canon(m, params->v[0], &name)) == 0 &&
	    (rc = mgr_load(m, name.data, &a, 1)) == 0) {
		acct_wipe(&a);
		rc = msgs_show(m, &a, v[S_FOLDER].value, v[S_FORMAT].value, out);
	}
	buf_free(&name);
	return rc;
}

static int
show_list(struct mgr *m, const struct words *params, struct sw_val *v,
    struct buf *out)
{
	struct words items = { NULL, 0, 0 }, names = { NULL, 0, 0 };
	int rc, wild, full;

	parse_list(params, 0, &items);
	if (items.n == 0)
		words_add(&items, "*", 1);
	rc = select_accounts(m, &items, v[S_GROUP].value, 1, &names, &wild);
	full = v[S_FULL].given || (!wild && !v[S_BRIEF].given);
	if (rc == 0)
		rc = show_accounts(m, &names, full, v[S_FORMAT].value, out);
	words_free(&items);
	words_free(&names);
	return rc;
}

int
cmd_show(struct mgr *m, const struct words *w)
{
	struct sw_val v[S_N + 1];
	struct words params = { NULL, 0, 0 };
	struct buf out = BUF_INIT;
	int rc;

	if ((rc = mgr_args(m, show_switches, w, v, &params)) != 0 ||
	    (rc = show_modes(m, v)) != 0)
		goto out;
	if (v[S_COUNT].given)
		rc = params.n ? mgr_fail(m, EX_USAGE, "usage: show -count_users "
		    "[-group=GROUP]") : show_count(m, v[S_GROUP].value, &out);
	else if (v[S_FWD].given)
		rc = params.n > 1 ? mgr_fail(m, EX_USAGE, "usage: show "
		    "-forwardings [PREFIX]") : show_forwardings(m, params.n ?
		    params.v[0] : NULL, v[S_FORMAT].value, &out);
	else if (v[S_MSGS].given)
		rc = show_messages(m, &params, v, &out);
	else if (v[S_OPTIONS].given)
		(void)conf_walk(&m->conf, option_one, &out);
	else
		rc = show_list(m, &params, v, &out);
	/* What could be shown is shown, also when some names failed. */
	if (out.len || v[S_OUTPUT].given) {
		int wrc = show_output(m, v[S_OUTPUT].value, &out);

		rc = rc ? rc : wrc;
	}
out:
	buf_free(&out);
	words_free(&params);
	return rc;
}
