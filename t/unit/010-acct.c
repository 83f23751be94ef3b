/* Unit tests: accounts, usage counters, quota, names, groups, forwarding. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acct.h"
#include "buf.h"
#include "fwdmap.h"
#include "group.h"
#include "mgmtdb.h"
#include "name.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static void
test_accounts(void)
{
	struct acct a, b;
	struct usage u;
	char *why = NULL;

	fixture_account(&fx, "jdoe", ACCT_POP, &a);
	tap_is_int(acct_exists(fx.store, "jdoe"), 1, "account exists");
	tap_is_int(acct_load(fx.store, "jdoe", &b, &why), 1, "loads");
	tap_is_str(b.name, "jdoe", "name");
	tap_is_str(b.partition, "main", "default partition");
	tap_is_int(b.type, ACCT_POP, "type pop");
	tap_is_int(acct_create(fx.store, &a, &why), -1, "create twice refused");
	free(why);
	why = NULL;
	snprintf(b.owner, sizeof(b.owner), "Jane %s", "Doe");
	b.quota = 10240;
	b.overdraft = 1024;
	b.flags = ACCT_MANAGE | ACCT_LOCKPWD;
	tap_is_int(acct_save(fx.store, &b, &why), 0, "save");
	memset(&a, 0, sizeof(a));
	acct_load(fx.store, "jdoe", &a, &why);
	tap_is_str(a.owner, "Jane Doe", "owner round trip");
	tap_is_int((long long)a.quota, 10240, "quota round trip");
	tap_is_int(a.flags, ACCT_MANAGE | ACCT_LOCKPWD, "flags round trip");
	tap_is_int(acct_load(fx.store, "nosuch", &a, &why), 0, "unknown: 0");

	tap_is_int(usage_read(fx.store, "jdoe", &u, &why), 1, "usage reads");
	tap_is_int((long long)u.message_count, 0, "no messages");
	/* Quota rule: used <= quota and used + n <= quota + overdraft. */
	u.quota_used = 10000;
	tap_is_int(acct_quota_allows(&b, &u, 1264), 1, "fits in overdraft");
	tap_is_int(acct_quota_allows(&b, &u, 1265), 0, "past overdraft");
	u.quota_used = 10241;
	tap_is_int(acct_quota_allows(&b, &u, 1), 0, "already over quota");
	b.quota = 0;
	tap_is_int(acct_quota_allows(&b, &u, UINT64_MAX), 1, "0 = unlimited");

	tap_is_int(acct_rename(fx.store, "jdoe", "jane", &why), 0, "rename");
	tap_is_int(acct_exists(fx.store, "jdoe"), 0, "old name gone");
	tap_is_int(acct_load(fx.store, "jane", &a, &why), 1, "new name loads");
	tap_is_str(a.owner, "Jane Doe", "fields kept by rename");
	tap_is_int(acct_delete(fx.store, "jane", &why), 0, "delete");
	tap_is_int(acct_exists(fx.store, "jane"), 0, "deleted");
	tap_is_int(acct_delete(fx.store, "jane", &why), -1, "delete twice fails");
	free(why);
}

static int
bump(struct usage *u, void *ctx)
{
	(void)ctx;
	u->messages_received++;
	return 0;
}

static void
test_usage_log(void)
{
	struct acct a;
	struct usage u;
	char *why = NULL;
	int i;

	fixture_account(&fx, "counter", ACCT_IMAP, &a);
	for (i = 0; i < 5000; i++)
		if (usage_update(fx.store, "counter", bump, NULL, 0, &why) < 0)
			break;
	tap_is_int(i, 5000, "5000 updates");
	usage_read(fx.store, "counter", &u, &why);
	tap_is_int((long long)u.messages_received, 5000, "count survives "
	    "compaction of the log");
	memset(&u, 0, sizeof(u));
	usage_add_block_days(&u, 1024, 0, 86400);
	tap_is_int((long long)u.past_block_days, 1, "1 KB for a day = 1");
	usage_add_block_days(&u, 512, 0, 86400);
	tap_is_int((long long)u.past_block_days, 1, "half a block-day kept");
	tap_is_int((long long)u.past_block_remainder, 512 * 1440, "remainder");
	usage_add_block_days(&u, 512, 0, 86400);
	tap_is_int((long long)u.past_block_days, 2, "remainder carries");
	tap_is_int((long long)u.past_block_remainder, 0, "remainder emptied");
}

static void
test_names(void)
{
	static const struct {
		int style;
		const char *in, *want;	/* want NULL: refused */
	} cases[] = {
		{ 1, "JDoe", "jdoe" }, { 1, "j.doe-x_1", "j.doe-x_1" },
		{ 1, ".jdoe", NULL }, { 1, "j doe", NULL }, { 1, "j+d", NULL },
		{ 1, "abcdefghijabcdefghijabcdefghijab", "abcdefghijabcdefghijabcdefghijab" },
		{ 1, "abcdefghijabcdefghijabcdefghijabc", NULL }, { 1, "", NULL },
		{ 2, "J!x", NULL }, { 2, "J#x", "j#x" }, { 2, "a/b", NULL },
		{ 2, "caf\xc3\xa9", NULL }, { 3, "Caf\xc3\x89", "caf\xc3\xa9" },
		{ 3, "bad\xff", NULL },
	};
	struct buf out = BUF_INIT, acc = BUF_INIT, det = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx.conf.username_style = (uint64_t)cases[i].style;
		free(fx.conf.username_charset);
		fx.conf.username_charset = strdup("UTF-8");
		buf_reset(&out);
		if (cases[i].want)
			tap_ok(name_canon(&fx.conf, "", cases[i].in, &out, &why) == 0 &&
			    strcmp(out.data, cases[i].want) == 0,
			    "style %d: '%s' -> '%s' (%s)", cases[i].style,
			    cases[i].in, cases[i].want, buf_cstr(&out));
		else
			tap_ok(name_canon(&fx.conf, "", cases[i].in, &out, &why) < 0,
			    "style %d: '%s' refused", cases[i].style, cases[i].in);
		free(why);
		why = NULL;
	}
	fx.conf.username_style = 1;
	tap_ok(name_recipient(&fx.conf, "<JDoe+Lists@Example.COM>", &acc, &det,
	    &why) == 0, "recipient parses");
	tap_is_str(acc.data, "jdoe", "account part");
	tap_is_str(det.data, "Lists", "detail kept as typed");
	fx.conf.use_domains = 1;
	buf_reset(&acc);
	buf_reset(&det);
	name_recipient(&fx.conf, "sue@Acme.COM", &acc, &det, &why);
	tap_is_str(acc.data, "sue@acme.com", "domain account with USE_DOMAINS");
	fx.conf.use_domains = 0;
	tap_ok(name_match("j*", "jdoe") && !name_match("j*x", "jdoe") &&
	    name_match("%doe", "jdoe") && name_match("*", "") &&
	    name_match("J*E", "jdoe"), "wildcards");
	buf_free(&out);
	buf_free(&acc);
	buf_free(&det);
}

static void
test_groups(void)
{
	struct acct m, t;
	struct group g;
	char *why = NULL;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "staff");
	snprintf(g.subgroups, sizeof(g.subgroups), "sales,support");
	tap_is_int(group_create(fx.store, &g, &why), 0, "group staff created");
	tap_is_int(group_load(fx.store, "sales", &g, &why), 1,
	    "subgroup created with it");
	snprintf(g.subgroups, sizeof(g.subgroups), "emea");
	group_modify(fx.store, &g, &why);
	memset(&m, 0, sizeof(m));
	snprintf(m.name, sizeof(m.name), "boss");
	m.flags = ACCT_MANAGE;
	snprintf(m.group, sizeof(m.group), "staff");
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "x");
	snprintf(t.group, sizeof(t.group), "emea");
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 1,
	    "staff manager reaches emea (nested twice)");
	snprintf(t.group, sizeof(t.group), "other");
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 0,
	    "staff manager cannot reach other");
	t.group[0] = '\0';
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 0,
	    "nor accounts in no group");
	m.group[0] = '\0';
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 1,
	    "manager without group manages all");
	m.flags = 0;
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 0,
	    "no MANAGE flag, no rights");
	m.flags = ACCT_MANAGE | ACCT_DISUSER;
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 0,
	    "DISUSER manager has no rights");
	/* A cycle must not hang the search. */
	snprintf(g.name, sizeof(g.name), "emea");
	snprintf(g.subgroups, sizeof(g.subgroups), "staff");
	group_create(fx.store, &g, &why) < 0 ? group_modify(fx.store, &g, &why) : 0;
	m.flags = ACCT_MANAGE;
	snprintf(m.group, sizeof(m.group), "staff");
	snprintf(t.group, sizeof(t.group), "nowhere");
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 0,
	    "cycle staff->sales->emea->staff terminates");
	snprintf(g.name, sizeof(g.name), "admins");
	snprintf(g.subgroups, sizeof(g.subgroups), "world");
	group_create(fx.store, &g, &why);
	snprintf(m.group, sizeof(m.group), "admins");
	tap_is_int(group_may_manage(fx.store, &m, &t, &why), 1,
	    "a group listing world reaches everything");
	tap_is_int(group_delete(fx.store, "sales", 0, &why), 0, "delete group");
	group_load(fx.store, "staff", &g, &why);
	tap_ok(strstr(g.subgroups, "sales") == NULL,
	    "deleted group removed from lists (%s)", g.subgroups);
	free(why);
}

static int
count_fwd(const char *name, const char *to, void *ctx)
{
	(void)name;
	(void)to;
	(*(int *)ctx)++;
	return 0;
}

static void
test_forward(void)
{
	struct buf to = BUF_INIT, path = BUF_INIT;
	char *why = NULL;
	int n = 0;

	tap_is_int(fwdmap_set(fx.store, "sales", "a@example.com, b@example.org",
	    &why), 0, "forwarding set");
	tap_is_int(fwdmap_get(fx.store, "sales", &to, &why), 1, "found");
	tap_is_str(to.data, "a@example.com\nb@example.org", "addresses");
	tap_is_int(fwdmap_set(fx.store, "x", "two names", &why), 0,
	    "space separates two local names");
	tap_is_int(fwdmap_set(fx.store, "x", "a@", &why), -1,
	    "empty domain refused");
	free(why);
	why = NULL;
	tap_is_int(fwdmap_set(fx.store, "x", "<a@b>", &why), -1, "angle refused");
	free(why);
	why = NULL;
	fwdmap_set(fx.store, "salesteam", "c@example.com", &why);
	fwdmap_walk(fx.store, "sales", count_fwd, &n, &why);
	tap_is_int(n, 2, "prefix listing");
	tap_ok(fwdmap_keeps_copy(&fx.conf, "jdoe\nx@y", "jdoe"), "bare name keeps a copy");
	tap_ok(!fwdmap_keeps_copy(&fx.conf, "jdoe@gmail.com", "jdoe"),
	    "same local part elsewhere does not");
	/* The database is derived: delete it, rebuild from the files. */
	mgmtdb_close(fx.store);
	buf_printf(&path, "%s/db/forward.gdbm", fx.dir);
	unlink(path.data);
	buf_reset(&to);
	tap_is_int(fwdmap_get(fx.store, "sales", &to, &why), 0,
	    "no database, no forwarding seen");
	tap_is_int(fwdmap_rebuild_db(fx.store, &why), 0, "rebuild");
	buf_reset(&to);
	tap_is_int(fwdmap_get(fx.store, "sales", &to, &why), 1, "back after rebuild");
	tap_is_int(fwdmap_remove(fx.store, "sales", &why), 1, "removed");
	tap_is_int(fwdmap_remove(fx.store, "sales", &why), 0, "removed once");
	buf_free(&to);
	buf_free(&path);
	free(why);
}

int
main(void)
{
	fixture_open(&fx, "acct", NULL);
	test_accounts();
	test_usage_log();
	test_names();
	test_groups();
	test_forward();
	fixture_close(&fx);
	return tap_done();
}
