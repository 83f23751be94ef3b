/*
 * reconstruct - check the store and rebuild what is derived from its files
 *
 * With no argument: the whole store (every account's folder list,
 * folders and counters, the management databases, debris of crashed
 * deliveries and deletions). With ACCOUNT: that account. With
 * ACCOUNT/FOLDER: that folder (-r: and the folders below it). -m: only
 * folder lists. -n: report, change nothing. Prints one line per
 * inconsistency and nothing when the store is consistent.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "mboxlist.h"
#include "name.h"
#include "privsep.h"
#include "recon.h"
#include "store.h"

static const char usage[] =
    "usage: reconstruct [-C file] [-d] [-m] [-n] [-r] [account | account/folder ...]\n"
    "  -C file  option file (default $POPSTORE_CONF or /etc/popstore/popstore.conf)\n"
    "  -d       log to stderr too\n"
    "  -m       rebuild folder lists only\n"
    "  -n       check only: report, change nothing\n"
    "  -r       with account/folder: the folders below it too\n";

struct opts {
	int	 lists_only;
	int	 recurse;
};

static void
print_fix(void *ctx, const char *where, const char *what)
{
	struct recon *rc = ctx;

	printf("%s: %s%s\n", where, what, rc->check_only ? " (not fixed: -n)" : "");
	fflush(stdout);
	log_event(LOG_NOTICE, rc->check_only ? "inconsistency" : "repaired",
	    "where", where, "what", what, NULL);
}

static int
one_folder(struct store *s, struct recon *rc, const struct acct *a,
    const char *folder, int recurse)
{
	struct mboxlist l;
	size_t i, n = strlen(folder), hits = 0;
	char *why = NULL;

	if (mboxlist_load(s, a, &l, &why) < 0) {
		fprintf(stderr, "reconstruct: %s: %s\n", a->name, why);
		free(why);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		const char *name = l.v[i].name;

		if (!(l.v[i].id == MBOX_INBOX_ID ? mbox_is_inbox(folder) :
		    strcmp(name, folder) == 0) &&
		    !(recurse && strncmp(name, folder, n) == 0 && name[n] == '/'))
			continue;
		hits++;
		if (recon_folder(s, a, l.v[i].id, rc, NULL, NULL, &why) < 0) {
			fprintf(stderr, "reconstruct: %s/%s: %s\n", a->name, name,
			    why);
			free(why);
			why = NULL;
			rc->errors++;
		}
	}
	mboxlist_free(&l);
	if (hits == 0) {
		fprintf(stderr, "reconstruct: %s: no folder %s\n", a->name, folder);
		return -1;
	}
	return 0;
}

static int
one_target(struct store *s, const struct conf *c, struct recon *rc,
    const char *arg, const struct opts *o)
{
	struct buf canon = BUF_INIT, acctname = BUF_INIT;
	const char *slash = strchr(arg, '/');
	struct acct a;
	char *why = NULL;
	int r = -1;

	buf_append(&acctname, arg, slash ? (size_t)(slash - arg) : strlen(arg));
	if (name_canon(c, s->domain, acctname.data, &canon, &why) < 0 ||
	    (r = acct_load(s, canon.data, &a, &why)) <= 0) {
		fprintf(stderr, "reconstruct: %s\n", why ? why : "no such account");
		free(why);
		buf_free(&canon);
		buf_free(&acctname);
		return r == 0 ? EX_NOUSER : -1;
	}
	acct_wipe(&a);
	if (o->lists_only)
		r = recon_mailboxes(s, &a, rc, &why);
	else if (slash)
		r = one_folder(s, rc, &a, slash + 1, o->recurse);
	else
		r = recon_account(s, canon.data, rc, &why);
	if (r < 0 && why) {
		fprintf(stderr, "reconstruct: %s: %s\n", arg, why);
		free(why);
	}
	buf_free(&canon);
	buf_free(&acctname);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct recon rc = { 0, 0, 0, print_fix, NULL };
	struct opts o = { 0, 0 };
	const char *conf_path = NULL;
	struct store *s = NULL;
	struct conf c;
	char *why = NULL;
	int ch, debug = 0, i, status = EX_OK, r;

	mem_set_fatal_exit(EX_TEMPFAIL);
	rc.ctx = &rc;
	while ((ch = getopt_long(argc, argv, "C:dmnrh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': conf_path = optarg; break;
		case 'd': debug = 1; break;
		case 'm': o.lists_only = 1; break;
		case 'n': rc.check_only = 1; break;
		case 'r': o.recurse = 1; break;
		case 'h': fputs(usage, stdout); return EX_OK;
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	log_open("reconstruct", debug);
	if (conf_load(conf_path, &c, &why) < 0) {
		fprintf(stderr, "reconstruct: %s\n", why);
		return EX_CONFIG;
	}
	if (log_set_file(c.log_file) < 0)
		fprintf(stderr, "reconstruct: %s: %s\n", c.log_file, strerror(errno));
	if ((geteuid() == 0 && c.store_user[0] ?
	    privsep_drop(c.store_user, PRIVSEP_EXEC_SETID, &why) :
	    privsep_no_core(&why)) < 0) {
		fprintf(stderr, "reconstruct: %s\n", why);
		return EX_OSERR;
	}
	if (store_open(&c, &s, &why) < 0) {
		fprintf(stderr, "reconstruct: %s\n", why);
		return EX_CONFIG;
	}
	if (optind == argc) {
		if (recon_store(s, &rc, &why) < 0) {
			fprintf(stderr, "reconstruct: %s\n", why);
			status = EX_TEMPFAIL;
		}
	}
	for (i = optind; i < argc; i++) {
		r = one_target(s, &c, &rc, argv[i], &o);
		if (r == EX_NOUSER && status == EX_OK)
			status = EX_NOUSER;
		else if (r < 0)
			status = EX_TEMPFAIL;
	}
	if (rc.errors && status == EX_OK)
		status = EX_TEMPFAIL;
	if (status == EX_OK && rc.check_only && rc.problems)
		status = 1;
	log_eventf(rc.problems || rc.errors ? LOG_NOTICE : LOG_INFO, "reconstruct",
	    "problems=%lu errors=%lu check_only=%d", rc.problems, rc.errors,
	    rc.check_only);
	store_close(s);
	conf_free(&c);
	return status;
}
