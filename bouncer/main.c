/*
 * bouncer - return unread expired messages to their senders, delete
 * read expired ones (bouncer(8)); run from cron.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bouncer.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "privsep.h"
#include "store.h"

static const char usage[] =
    "usage: bouncer [-C file] [-d] [-n] [-v]\n"
    "  -C file  option file (default $POPSTORE_CONF or /etc/popstore/popstore.conf)\n"
    "  -d       log to stderr too\n"
    "  -n       dry run: print what would be done, change nothing\n"
    "  -v       print a line per message returned or deleted\n";

static int
fail(const char *what, char *why, int code)
{
	fprintf(stderr, "bouncer: %s%s%s\n", what, why ? ": " : "",
	    why ? why : "");
	free(why);
	return code;
}

static void
summary(const struct bouncer *b, int verbose)
{
	const struct expire_report *r = &b->rep;

	log_eventf(b->errors ? LOG_WARNING : LOG_NOTICE, "bouncer",
	    "accounts=%lu folders=%lu returned=%lu deleted=%lu kept=%lu "
	    "bytes=%" PRIu64 " errors=%lu dry_run=%d", b->accounts,
	    r->folders, r->returned, r->deleted, r->kept, r->bytes, b->errors,
	    b->policy.dry_run);
	if (verbose)
		printf("%saccounts %lu, folders %lu, returned %lu, deleted %lu, "
		    "kept %lu, bytes %" PRIu64 ", errors %lu\n",
		    b->policy.dry_run ? "dry run: " : "", b->accounts,
		    r->folders, r->returned, r->deleted, r->kept, r->bytes,
		    b->errors);
}

/* Configured, privileges dropped, store open: lock and run. */
static int
locked_run(struct bouncer *b)
{
	char *why = NULL;
	int fd = expire_lock(b->s, &why);

	if (fd < 0) {
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			return fail("lock", why, EX_TEMPFAIL);
		log_event(LOG_NOTICE, "bouncer_busy", "why",
		    "another bouncer is running", NULL);
		if (b->verbose || b->policy.dry_run)
			fprintf(stderr, "bouncer: another bouncer is running\n");
		free(why);
		return EX_TEMPFAIL;
	}
	if (bouncer_run(b) < 0)
		b->errors++;
	summary(b, b->verbose || b->policy.dry_run);
	expire_unlock(fd);
	return b->errors ? EX_TEMPFAIL : EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *conf_path = NULL;
	struct bouncer b;
	struct conf c;
	char *why = NULL;
	int ch, debug = 0, dry = 0, status;

	mem_set_fatal_exit(EX_TEMPFAIL);
	memset(&b, 0, sizeof(b));
	while ((ch = getopt_long(argc, argv, "C:dnvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': conf_path = optarg; break;
		case 'd': debug = 1; break;
		case 'n': dry = 1; break;
		case 'v': b.verbose = 1; break;
		case 'h': fputs(usage, stdout); return EX_OK;
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	log_open("bouncer", debug);
	if (conf_load(conf_path, &c, &why) < 0)
		return fail("", why, EX_CONFIG);
	if (log_set_file(c.log_file) < 0)
		fprintf(stderr, "bouncer: %s: %s\n", c.log_file, strerror(errno));
	if ((geteuid() == 0 && c.store_user[0] ?
	    privsep_drop(c.store_user, PRIVSEP_EXEC_SETID, &why) :
	    privsep_no_core(&why)) < 0) {
		conf_free(&c);
		return fail("privileges", why, EX_OSERR);
	}
	if (!expire_policy_init(&c, (int64_t)time(NULL), &b.policy)) {
		log_event(LOG_INFO, "bouncer", "result",
		    "RETURN_AGE=0 and DELETE_READ_AGE=0: nothing expires", NULL);
		conf_free(&c);
		return EX_OK;
	}
	b.policy.dry_run = dry;
	if (store_open(&c, &b.s, &why) < 0) {
		conf_free(&c);
		return fail("store", why, EX_CONFIG);
	}
	status = locked_run(&b);
	store_close(b.s);
	conf_free(&c);
	return status;
}
