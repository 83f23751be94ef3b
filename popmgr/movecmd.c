/*
 * movecmd - `move`: an account's mail to another partition (acctmove.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "acctmove.h"
#include "buf.h"
#include "log.h"
#include "recon.h"
#include "popmgr.h"

const struct sw_def move_switches[] = {
	{ "partition", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};

/*
 * Parse "COMMAND ACCOUNT -switch=VALUE" (the switch required): the
 * account's canonical name in name, its profile in a (the manager must
 * manage it). 0 or an exit code (already reported).
 */
static int
account_and_value(struct mgr *m, const struct sw_def *defs,
    const struct words *w, const char *usage, struct sw_val *vals,
    struct buf *name, struct acct *a)
{
	struct words params = { NULL, 0, 0 };
	int rc;

	if ((rc = mgr_args(m, defs, w, vals, &params)) != 0)
		goto out;
	if (params.n != 1 || !vals[0].given || vals[0].value == NULL ||
	    vals[0].value[0] == '\0') {
		rc = mgr_fail(m, EX_USAGE, "usage: %s", usage);
		goto out;
	}
	if ((rc = mgr_canon(m, params.v[0], name)) == 0)
		rc = mgr_load(m, name->data, a, 1);
out:
	words_free(&params);
	return rc;
}

int
cmd_move(struct mgr *m, const struct words *w)
{
	struct sw_val vals[2];
	struct acctmove_stats st;
	struct buf name = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int rc;

	memset(vals, 0, sizeof(vals));
	memset(&a, 0, sizeof(a));
	if ((rc = account_and_value(m, move_switches, w,
	    "move ACCOUNT -partition=NAME", vals, &name, &a)) != 0)
		goto out;
	if (conf_partition_dir(&m->conf, vals[0].value) == NULL) {
		rc = mgr_fail(m, EX_DATAERR, "partition '%s' is not configured",
		    vals[0].value);
		goto out;
	}
	if (strcmp(a.partition, vals[0].value) == 0) {
		printf("%s: already on partition %s\n", name.data, a.partition);
		goto out;
	}
	if (acctmove_partition(m->store, name.data, vals[0].value, &st,
	    &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "move %s: %s", name.data, why);
		goto out;
	}
	printf("%s: moved from partition %s to %s (%lu files, %lu linked)\n",
	    name.data, a.partition, vals[0].value, st.files, st.linked);
	log_event(LOG_NOTICE, "account_partition", "account", name.data,
	    "from", a.partition, "to", vals[0].value, "by", m->by, NULL);
out:
	free(why);
	acct_wipe(&a);
	buf_free(&name);
	return rc;
}

const struct sw_def export_switches[] = {
	{ "output", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};

int
cmd_export(struct mgr *m, const struct words *w)
{
	struct sw_val vals[2];
	struct buf name = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int rc;

	memset(vals, 0, sizeof(vals));
	memset(&a, 0, sizeof(a));
	if ((rc = account_and_value(m, export_switches, w,
	    "export ACCOUNT -output=FILE", vals, &name, &a)) != 0)
		goto out;
	if (acctmove_export(m->store, name.data, vals[0].value, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "export %s: %s", name.data,
		    why);
		goto out;
	}
	printf("%s: exported to %s\n", name.data, vals[0].value);
	log_event(LOG_NOTICE, "account_export", "account", name.data, "by",
	    m->by, NULL);
out:
	free(why);
	acct_wipe(&a);
	buf_free(&name);
	return rc;
}

const struct sw_def import_switches[] = {
	{ "partition", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};

static void
import_report(void *ctx, const char *where, const char *what)
{
	(void)ctx;
	printf("%s: %s\n", where, what);
}

int
cmd_import(struct mgr *m, const struct words *w)
{
	struct sw_val vals[2];
	struct words params = { NULL, 0, 0 };
	struct recon rcn;
	const char *part;
	char *why = NULL, *name = NULL;
	int rc;

	memset(vals, 0, sizeof(vals));
	memset(&rcn, 0, sizeof(rcn));
	rcn.report = import_report;
	if ((rc = mgr_args(m, import_switches, w, vals, &params)) != 0)
		goto out;
	if (params.n != 1) {
		rc = mgr_fail(m, EX_USAGE, "usage: import FILE "
		    "[-partition=NAME]");
		goto out;
	}
	if (!mgr_world(m)) {
		rc = mgr_fail(m, EX_NOPERM, "import: permission denied (%s "
		    "does not manage every account)", m->manager.name);
		goto out;
	}
	part = vals[0].given && vals[0].value && vals[0].value[0] ?
	    vals[0].value : m->conf.default_partition;
	if (conf_partition_dir(&m->conf, part) == NULL) {
		rc = mgr_fail(m, EX_DATAERR, "partition '%s' is not configured",
		    part);
		goto out;
	}
	if (acctmove_import(m->store, params.v[0], part, &rcn, &name,
	    &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "import %s: %s", params.v[0],
		    why);
		goto out;
	}
	printf("%s: imported on partition %s\n", name, part);
	log_event(LOG_NOTICE, "account_import", "account", name, "partition",
	    part, "by", m->by, NULL);
	mgr_changed(m);
out:
	free(why);
	free(name);
	words_free(&params);
	return rc;
}
