/*
 * Library behaviour deliver relies on: an expunge by a session whose
 * view is older than the folder keeps the messages appended since (they
 * were once dropped from the new index), delivery_undo takes a stored
 * copy back, and the counters are set from the folders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "delivery.h"
#include "folder.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static int
deliver_one(const struct acct *a, struct delivery **keep)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct delivery *d;
	char *why = NULL;
	int rc;

	if (delivery_begin(fx.store, "s@example.org", &d, &why) < 0 ||
	    delivery_write(d, msg, sizeof(msg) - 1, &why) < 0) {
		tap_diag("delivery: %s", why);
		return -1;
	}
	delivery_add(d, a, 0, 0);
	rc = delivery_commit(d, &why);
	free(why);
	if (keep)
		*keep = d;
	else
		delivery_free(d);
	return rc;
}

static int
is_first(const struct msgrec *r, void *ctx)
{
	return r->uid == *(uint32_t *)ctx;
}

int
main(void)
{
	struct delivery *d;
	struct folder *f, *g;
	struct msgrec r;
	struct usage u;
	struct acct a;
	uint32_t first;
	char *why = NULL;

	fixture_open(&fx, "lib", NULL);
	fixture_account(&fx, "kim", ACCT_POP, &a);
	deliver_one(&a, NULL);
	deliver_one(&a, NULL);
	tap_is_int(folder_open(fx.store, &a, "INBOX", 0, &f, &why), 1, "open");
	folder_record(f, 0, &r, NULL);
	first = r.uid;
	deliver_one(&a, NULL);		/* after f's view was taken */
	tap_is_int(folder_count(f), 2, "the old view holds 2");
	tap_is_int(folder_expunge(f, is_first, NULL, &first, &why), 1,
	    "expunge the first message through the old view");
	folder_close(f);
	folder_open(fx.store, &a, "INBOX", 0, &g, &why);
	tap_is_int(folder_count(g), 2, "the message appended since is kept");
	folder_close(g);

	tap_is_int(deliver_one(&a, &d), 1, "a fourth copy stored");
	tap_is_int(delivery_undo(d, delivery_target(d, 0), &why), 0,
	    "delivery_undo");
	tap_is_int(delivery_target(d, 0)->status, 0, "target not stored now");
	delivery_free(d);
	folder_open(fx.store, &a, "INBOX", 0, &g, &why);
	tap_is_int(folder_count(g), 2, "the undone copy is gone");
	folder_close(g);
	usage_read(fx.store, "kim", &u, NULL);
	tap_is_int((long long)u.message_count, 2, "message_count from folders");
	fixture_close(&fx);
	return tap_done();
}
