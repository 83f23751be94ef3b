/*
 * fwdcmd - forward and noforward. A forwarding's name need not be an
 * account; when it is one, a logged-in manager must manage it, and
 * -nooverride refuses to divert an account's mail at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fwdmap.h"
#include "log.h"
#include "manage.h"
#include "name.h"
#include "store.h"
#include "popmgr.h"

const struct sw_def forward_switches[] = {
	{ "override", SW_FLAG, 1 },
	{ NULL, 0, 0 }
};

/*
 * May the session set or remove the forwarding of name? *is_acct_r
 * says whether name is an account. 0 or an exit code (printed).
 */
static int
may_forward(struct mgr *m, const char *name, int *is_acct_r)
{
	char *why = NULL;
	int rc = manage_may_forward(m->store, m->confined ? &m->manager : NULL,
	    name, is_acct_r, &why);

	if (rc != 1)
		rc = mgr_fail(m, rc < 0 ? mgr_code(errno) : EX_NOPERM, "%s", why);
	else
		rc = 0;
	free(why);
	return rc;
}

int
cmd_forward(struct mgr *m, const struct words *w)
{
	struct sw_val vals[2];
	struct words params = { NULL, 0, 0 };
	struct buf name = BUF_INIT, to = BUF_INIT;
	char *why = NULL;
	size_t i;
	int rc, is_acct;

	if ((rc = mgr_args(m, forward_switches, w, vals, &params)) != 0)
		goto out;
	if (params.n < 2) {
		rc = mgr_fail(m, EX_USAGE, "usage: forward NAME ADDRESS[,...]");
		goto out;
	}
	for (i = 1; i < params.n; i++) {
		buf_puts(&to, params.v[i]);
		buf_putc(&to, ',');
	}
	if ((rc = mgr_canon(m, params.v[0], &name)) != 0 ||
	    (rc = may_forward(m, name.data, &is_acct)) != 0)
		goto out;
	if (is_acct && vals[0].given && vals[0].negated) {
		rc = mgr_fail(m, EX_DATAERR, "%s: is an account (-nooverride)",
		    name.data);
		goto out;
	}
	errno = 0;	/* a bad address sets none */
	if (fwdmap_set(m->store, name.data, to.data, &why) < 0) {
		rc = mgr_fail(m, errno == 0 ? EX_DATAERR : mgr_code(errno),
		    "%s: %s", name.data, why);
		goto out;
	}
	buf_truncate(&to, to.len - 1);
	log_event(LOG_NOTICE, "forward_set", "name", name.data, "to", to.data,
	    "by", m->by, NULL);
	mgr_changed(m);
out:
	free(why);
	buf_free(&name);
	buf_free(&to);
	words_free(&params);
	return rc;
}

static int
noforward_one(struct mgr *m, const char *input)
{
	struct buf name = BUF_INIT;
	char *why = NULL;
	int rc, is_acct;

	if ((rc = mgr_canon(m, input, &name)) != 0 ||
	    (rc = may_forward(m, name.data, &is_acct)) != 0)
		goto out;
	rc = fwdmap_remove(m->store, name.data, &why);
	if (rc < 0)
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", name.data, why);
	else if (rc == 0)
		rc = mgr_fail(m, EX_NOUSER, "%s: no forwarding", name.data);
	else {
		rc = 0;
		log_event(LOG_NOTICE, "forward_remove", "name", name.data, "by",
		    m->by, NULL);
		mgr_changed(m);
	}
out:
	free(why);
	buf_free(&name);
	return rc;
}

int
cmd_noforward(struct mgr *m, const struct words *w)
{
	struct words names = { NULL, 0, 0 };
	size_t i;
	int rc = 0, one;

	parse_list(w, 1, &names);
	if (names.n == 0)
		rc = mgr_fail(m, EX_USAGE, "usage: noforward NAME[,NAME...]");
	for (i = 0; i < names.n; i++)
		if ((one = noforward_one(m, names.v[i])) != 0 && rc == 0)
			rc = one;
	words_free(&names);
	return rc;
}
