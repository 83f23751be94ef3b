/*
 * deliver's recipient resolution against a real store: unknown names,
 * DISMAIL, quota both ways, forwardings (with and without a local copy)
 * and subaddresses (a postable IMAP folder, else INBOX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acct.h"
#include "conf.h"
#include "fwdmap.h"
#include "mboxlist.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#include "../../deliver/result.c"
#include "../../deliver/rcpt.c"

static struct fixture fx;

static void
resolve(const char *addr, uint64_t size, struct rcpt *r)
{
	struct dctx dc;

	memset(&dc, 0, sizeof(dc));
	dc.conf = &fx.conf;
	dc.store = fx.store;
	dc.proto = "local";
	rcpt_resolve(&dc, r, addr, size);
}

static void
expect(const char *addr, uint64_t size, int status, const char *dsn,
    int exitcode, const char *folder)
{
	struct rcpt r;

	resolve(addr, size, &r);
	tap_ok(r.res.status == status && strcmp(r.res.dsn, dsn) == 0 &&
	    r.res.exitcode == exitcode &&
	    (folder == NULL || strcmp(r.folder, folder) == 0),
	    "%s: got %d %s %d folder %s (%s)", addr, r.res.status, r.res.dsn,
	    r.res.exitcode, r.folder, r.res.text);
	rcpt_free(&r);
}

int
main(void)
{
	struct acct a;
	struct rcpt r;
	uint32_t id;
	char *why = NULL;

	fixture_open(&fx, "rcpt", "HOSTNAME=mail.example.com\n");
	fixture_account(&fx, "pat", ACCT_POP, &a);
	fixture_account(&fx, "ian", ACCT_IMAP, &a);
	if (mboxlist_create(fx.store, &a, "lists", "", &id, &why) < 0 ||
	    mboxlist_set_acl(fx.store, &a, "lists", "anyone p", &why) < 0 ||
	    mboxlist_create(fx.store, &a, "private", "", &id, &why) < 0) {
		tap_diag("setup: %s", why);
		return 1;
	}
	fixture_account(&fx, "dis", ACCT_POP, &a);
	a.flags |= ACCT_DISMAIL;
	acct_save(fx.store, &a, NULL);
	fixture_account(&fx, "small", ACCT_POP, &a);
	a.quota = 1000;
	acct_save(fx.store, &a, NULL);
	fwdmap_set(fx.store, "alias", "far@elsewhere.example", NULL);
	fwdmap_set(fx.store, "pat", "pat@mail.example.com, copy@x.example",
	    NULL);

	expect("ian", 0, RS_OK, "2.1.5", 0, "INBOX");
	expect("ian+lists@example.com", 0, RS_OK, "2.1.5", 0, "lists");
	expect("ian+private", 0, RS_OK, "2.1.5", 0, "INBOX");
	expect("ian+nosuch", 0, RS_OK, "2.1.5", 0, "INBOX");
	expect("<Ian+lists@Example.COM>", 0, RS_OK, "2.1.5", 0, "lists");
	expect("pat+lists", 0, RS_OK, "2.1.5", 0, "INBOX");
	expect("nobody", 0, RS_PERM, "5.1.1", EX_NOUSER, NULL);
	expect("bad name!", 0, RS_PERM, "5.1.1", EX_NOUSER, NULL);
	expect("default", 0, RS_PERM, "5.1.1", EX_NOUSER, NULL);
	expect("dis", 0, RS_PERM, "5.2.1", EX_UNAVAILABLE, NULL);
	expect("small", 1000, RS_OK, "2.1.5", 0, NULL);
	expect("small", 1001, RS_TEMP, "4.2.2", EX_TEMPFAIL, NULL);
	fx.conf.reject_over_quota = 1;
	expect("small", 1001, RS_PERM, "5.2.2", EX_UNAVAILABLE, NULL);

	resolve("alias@example.com", 0, &r);
	tap_ok(r.res.status == RS_OK && !r.local && r.forward &&
	    strcmp(buf_cstr(&r.fwd_to), "far@elsewhere.example\n") == 0,
	    "forward-only name: no local copy, one address");
	rcpt_free(&r);
	resolve("pat", 0, &r);
	tap_ok(r.res.status == RS_OK && r.local && r.forward &&
	    strcmp(buf_cstr(&r.fwd_to), "copy@x.example\n") == 0,
	    "a forwarding naming itself keeps a copy and is not re-sent to it");
	rcpt_free(&r);
	fixture_close(&fx);
	return tap_done();
}
