/*
 * Delivery helper for popmgr's tests, and its own unit test.
 *
 * Without arguments: TAP checks that a message delivered through
 * lib/delivery.h lands in the folder it names, with the flags and the
 * envelope sender given.
 *
 * As a tool for t/2NN-popmgr*.t (which cannot reach lib/ from Python):
 *
 *	039-popmgr-msgtool.t deliver CONF ACCOUNT SENDER [FLAGS [FOLDER]]
 *
 * stores the message read from standard input (LF line ends) for
 * ACCOUNT (canonical name) with envelope SENDER ("" for <>), system
 * FLAGS ("seen", "deleted", "seen,flagged"... or "-") in FOLDER
 * (default INBOX). Exit status 0 when stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "delivery.h"
#include "folder.h"
#include "mboxlist.h"
#include "store.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static uint32_t
parse_flags(const char *s)
{
	static const struct { const char *n; uint32_t f; } names[] = {
		{ "seen", MSG_SEEN }, { "answered", MSG_ANSWERED },
		{ "flagged", MSG_FLAGGED }, { "deleted", MSG_DELETED },
		{ "draft", MSG_DRAFT } };
	uint32_t f = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(s, names[i].n))
			f |= names[i].f;
	return f;
}

/* Store msg for account a in folder (name); 0 or -1 with *why_r. */
static int
store_one(struct store *s, const struct acct *a, const char *sender,
    uint32_t flags, const char *folder, const char *msg, size_t len,
    char **why_r)
{
	struct delivery *d = NULL;
	struct delivery_target *t;
	struct mboxlist l;
	const struct mbox *mb;
	int rc = -1;

	if (mboxlist_load(s, a, &l, why_r) < 0)
		return -1;
	mb = mboxlist_find(&l, folder);
	if (mb == NULL) {
		*why_r = strdup("no such folder");
		mboxlist_free(&l);
		return -1;
	}
	if (delivery_begin(s, sender, &d, why_r) == 0 &&
	    delivery_write_lf(d, msg, len, why_r) == 0 &&
	    delivery_end_data(d, why_r) == 0) {
		t = delivery_add(d, a, mb->id, flags);
		if (delivery_commit(d, why_r) == 1 && t->status == 1)
			rc = 0;
		else if (*why_r == NULL)
			*why_r = strdup(t->why ? t->why : "not stored");
	}
	delivery_free(d);
	mboxlist_free(&l);
	return rc;
}

static int
tool(int argc, char **argv)
{
	struct conf c;
	struct store *s = NULL;
	struct buf msg = BUF_INIT;
	struct acct a;
	char chunk[4096], *why = NULL;
	ssize_t n;
	int rc = 1;

	if (argc < 5 || argc > 7 || strcmp(argv[1], "deliver") != 0) {
		fprintf(stderr, "usage: %s deliver CONF ACCOUNT SENDER "
		    "[FLAGS [FOLDER]]\n", argv[0]);
		return 64;
	}
	memset(&c, 0, sizeof(c));
	while ((n = read(0, chunk, sizeof(chunk))) > 0)
		buf_append(&msg, chunk, (size_t)n);
	if (conf_load(argv[2], &c, &why) < 0 ||
	    store_open(&c, &s, &why) < 0 ||
	    acct_load(s, argv[3], &a, &why) != 1 ||
	    store_one(s, &a, argv[4], argc > 5 ? parse_flags(argv[5]) : 0,
	    argc > 6 ? argv[6] : "INBOX", msg.data, msg.len, &why) < 0)
		fprintf(stderr, "deliver: %s\n", why ? why : "no such account");
	else
		rc = 0;
	free(why);
	store_close(s);
	conf_free(&c);
	buf_free(&msg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const char msg[] = "From: a@example.org\nSubject: hi\n\nbody\n";
	struct fixture fx;
	struct folder *f = NULL;
	struct msgrec r;
	struct acct a;
	char *why = NULL;

	if (argc > 1)
		return tool(argc, argv);
	fixture_open(&fx, "store", NULL);
	fixture_account(&fx, "jdoe", ACCT_IMAP, &a);
	tap_is_int(store_one(fx.store, &a, "a@example.org", MSG_SEEN, "INBOX",
	    msg, strlen(msg), &why), 0, "delivered to INBOX");
	tap_is_int(store_one(fx.store, &a, "", 0, "Sent", msg, strlen(msg),
	    &why), 0, "delivered to Sent");
	tap_is_int(store_one(fx.store, &a, "", 0, "Nope", msg, strlen(msg),
	    &why), -1, "unknown folder refused");
	free(why);
	tap_is_int(folder_open(fx.store, &a, "INBOX", FOLDER_RDONLY, &f, NULL),
	    1, "INBOX opens");
	tap_is_int(folder_count(f), 1, "one message in INBOX");
	tap_is_int(folder_record(f, 0, &r, NULL), 1, "record reads");
	tap_is_int(r.flags & MSG_SYSFLAGS, MSG_SEEN, "flags as given");
	folder_close(f);
	fixture_close(&fx);
	return tap_done();
}
