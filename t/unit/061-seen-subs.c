/* Unit tests: seen (per-user \Seen sets) and subs (subscriptions). */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "folder.h"
#include "mboxlist.h"
#include "seen.h"
#include "subs.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static void
set_is(const struct seen_set *set, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	seen_set_format(set, &b);
	tap_is_str(buf_cstr(&b), want, "%s", what);
	buf_free(&b);
}

static void
test_sets(void)
{
	struct seen_set s;
	static const char *const bad[] = { "0", "1:", ",1", "1,,2", "a",
	    "5:3x", "1:4294967296", NULL };
	int i;

	memset(&s, 0, sizeof(s));
	seen_set_add(&s, 5);
	seen_set_add(&s, 3);
	seen_set_add(&s, 4);
	set_is(&s, "3:5", "adjacent UIDs merge");
	seen_set_add(&s, 9);
	seen_set_add(&s, 7);
	seen_set_add(&s, 8);
	set_is(&s, "3:5,7:9", "two runs");
	seen_set_add(&s, 6);
	set_is(&s, "3:9", "filling the gap joins them");
	seen_set_del(&s, 6);
	set_is(&s, "3:5,7:9", "deleting splits");
	seen_set_del(&s, 3);
	seen_set_del(&s, 9);
	set_is(&s, "4:5,7:8", "deleting the ends");
	tap_ok(seen_set_has(&s, 4) && !seen_set_has(&s, 6) &&
	    !seen_set_has(&s, 9), "membership");
	seen_set_free(&s);
	tap_is_int(seen_set_parse(&s, "10,1:3,2,5:6"), 0, "parse unordered");
	set_is(&s, "1:3,5:6,10", "parsed and merged");
	seen_set_free(&s);
	for (i = 0; bad[i]; i++) {
		tap_is_int(seen_set_parse(&s, bad[i]), -1, "bad set %s", bad[i]);
		seen_set_free(&s);
	}
}

static void
test_seen_file(void)
{
	struct acct a;
	struct folder *f;
	struct seen s1, s2, s3;
	char *why = NULL;

	fixture_account(&fx, "jdoe", ACCT_IMAP, &a);
	if (folder_open(fx.store, &a, "INBOX", 0, &f, &why) != 1) {
		tap_ok(0, "open INBOX: %s", why);
		return;
	}
	tap_is_int(seen_load(f, "bob", &s1, NULL), 0, "load: no file yet");
	tap_is_int(seen_load(f, "bob", &s2, NULL), 0, "second session");
	/* UIDs below UIDNEXT survive a save; the folder is empty (UIDNEXT 1),
	 * so nothing does: the prune keeps the file small. */
	seen_mark(&s1, 1, 1);
	tap_ok(seen_dirty(&s1) && seen_has(&s1, 1), "marked in memory");
	tap_is_int(seen_save(f, &s1, &why), 0, "save");
	tap_ok(!seen_dirty(&s1), "clean after save");
	tap_ok(!seen_has(&s1, 1), "UID at or above UIDNEXT is dropped");
	seen_mark(&s2, 1, 0);
	tap_is_int(seen_save(f, &s2, NULL), 0, "other session saves");
	tap_is_int(seen_load(f, "bob", &s3, NULL), 0, "reload");
	tap_ok(!seen_has(&s3, 1), "merged result");
	seen_free(&s1);
	seen_free(&s2);
	seen_free(&s3);
	folder_close(f);
}

static void
test_subs(void)
{
	struct acct a;
	struct mboxlist l;
	struct subs s;

	fixture_account(&fx, "sub", ACCT_IMAP, &a);
	mboxlist_load(fx.store, &a, &l, NULL);
	mboxlist_free(&l);
	tap_is_int(subs_load(fx.store, &a, &s, NULL), 0, "no subscriptions");
	tap_is_int((long long)s.n, 0, "empty");
	subs_free(&s);
	tap_is_int(subs_change(fx.store, &a, "INBOX", 1, NULL), 0, "subscribe");
	tap_is_int(subs_change(fx.store, &a, "Work/\xc3\xa4", 1, NULL), 0,
	    "subscribe a UTF-8 name");
	tap_is_int(subs_change(fx.store, &a, "inbox", 1, NULL), 0, "twice");
	tap_is_int(subs_load(fx.store, &a, &s, NULL), 0, "load");
	tap_is_int((long long)s.n, 2, "two names (INBOX in any case once)");
	tap_ok(subs_has(&s, "Inbox") && subs_has(&s, "Work/\xc3\xa4") &&
	    !subs_has(&s, "Work"), "subs_has");
	subs_free(&s);
	tap_is_int(subs_change(fx.store, &a, "INBOX", 0, NULL), 0, "unsubscribe");
	tap_is_int(subs_change(fx.store, &a, "Nope", 0, NULL), 0,
	    "unsubscribe a name never subscribed");
	subs_load(fx.store, &a, &s, NULL);
	tap_ok(s.n == 1 && strcmp(s.names[0], "Work/\xc3\xa4") == 0, "one left");
	subs_free(&s);
}

int
main(void)
{
	fixture_open(&fx, "seen", NULL);
	test_sets();
	test_seen_file();
	test_subs();
	fixture_close(&fx);
	return tap_done();
}
