/* pipe - one message on stdin for the recipients on the command line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "file.h"

/* The one stderr line of a failure, and its exit code. */
static int
report(const struct rcpt *bad)
{
	fprintf(stderr, "%s %s\n", bad->res.dsn, bad->res.text);
	fflush(stderr);
	return bad->res.exitcode ? bad->res.exitcode : EX_TEMPFAIL;
}

/* Read the message into the transaction; stops early once it is refused. */
static void
read_message(struct txn *t)
{
	char buf[65536];
	ssize_t n;

	txn_start(t);
	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (t->data_err == 0) {
				t->data_err = errno;
				file_why(&t->data_why, "standard input");
			}
			return;
		}
		if (n == 0 || txn_data(t, buf, (size_t)n) < 0)
			return;
	}
}

/*
 * The exit status covers every recipient, so the message is delivered
 * to all of them or to none: any recipient that fails (temporarily
 * first, else permanently) decides the status, and copies already
 * stored for the others are taken back. The MTA's retry (75) then
 * stores each copy once.
 */
int
pipe_main(struct dctx *dc, const char *sender, char **rcpts, int n)
{
	const struct rcpt *bad;
	struct txn t;
	int i, rc = 0;

	if (!addr_ok(sender, strlen(sender))) {
		fprintf(stderr, "5.1.7 bad sender address\n");
		return EX_USAGE;
	}
	if ((uint64_t)n > dc->conf->max_recipients) {
		fprintf(stderr, "5.5.3 more than MAX_RECIPIENTS (%llu) "
		    "recipients\n", (unsigned long long)dc->conf->max_recipients);
		return EX_USAGE;
	}
	txn_init(&t, dc, sender);
	t.lf_mode = 1;
	for (i = 0; i < n; i++)
		txn_add(&t, rcpts[i], 0);
	if ((bad = txn_first_failure(&t)) == NULL) {
		read_message(&t);
		txn_finish(&t, 1);
	} else {
		for (i = 0; i < n; i++)
			if (t.r[i].res.status == RS_OK)
				result_set(&t.r[i].res, bad->res.status,
				    bad->res.reply, bad->res.dsn, bad->res.exitcode,
				    "<%s>: not delivered: another recipient "
				    "failed", t.r[i].addr);
	}
	txn_log(&t);
	if ((bad = txn_first_failure(&t)) != NULL)
		rc = report(bad);
	txn_free(&t);
	return rc;
}
