/*
 * pop3d's session in-process (the pop3d sources compiled in, as the fuzz target
 * does): one command stream fed in every split down to one byte gives
 * the same answers; a pre-authenticated session; bad input; the maildrop
 * bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pop3d/auth.c"
#include "../../pop3d/cmd.c"
#include "../../pop3d/drop.c"
#include "../../pop3d/legacy.c"
#include "../../pop3d/session.c"

#include "delivery.h"
#include "mboxlist.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;
static struct pop3_env env;

static void
deliver(const char *name, const char *text)
{
	struct delivery *d;
	struct acct a;
	char *why = NULL;

	acct_load(fx.store, name, &a, NULL);
	if (delivery_begin(fx.store, "s@example.org", &d, &why) < 0 ||
	    delivery_write_lf(d, text, strlen(text), &why) < 0 ||
	    delivery_end_data(d, &why) < 0) {
		printf("Bail out! delivery: %s\n", why);
		exit(2);
	}
	delivery_add(d, &a, MBOX_INBOX_ID, 0);
	if (delivery_commit(d, &why) != 1) {
		printf("Bail out! commit\n");
		exit(2);
	}
	delivery_free(d);
}

/* The session's output for input fed chunk bytes at a time. */
static char *
run_n(const char *in, size_t inlen, size_t chunk, const char *preauth,
    size_t *len_r)
{
	struct netio *io = netio_create_mem(in, inlen, chunk);
	const char *out;
	char *copy;
	size_t len;

	session_run(&env, io, preauth);
	out = netio_mem_output(io, &len);
	copy = mem_alloc(len + 1, 1);
	memcpy(copy, out, len + 1);
	netio_free(io);
	*len_r = len;
	return copy;
}

static char *
run(const char *in, size_t chunk, const char *preauth, size_t *len_r)
{
	return run_n(in, strlen(in), chunk, preauth, len_r);
}

static void
test_splits(void)
{
	static const char script[] =
	    "CAPA\r\nUSER jdoe\r\nPASS Secret123\r\nSTAT\r\nLIST\r\nUIDL\r\n"
	    "RETR 2\r\nTOP 1 1\r\nDELE 1\r\nLIST 1\r\nRSET\r\nNOOP\r\n"
	    "uidl 2\r\nQUIT\r\n";
	size_t len, l2, chunk;
	char *want, *got;
	int same = 1;

	want = run(script, 0, NULL, &len);
	tap_ok(strstr(want, "+OK Logged in: 3 messages") != NULL,
	    "logged in");
	tap_ok(strstr(want, "\r\n..dot line\r\n") != NULL, "dot-stuffed RETR");
	tap_ok(strstr(want, "-ERR Message 1 is deleted\r\n") != NULL,
	    "DELE then LIST 1");
	tap_ok(strstr(want, "+OK Bye: 0 messages deleted\r\n") != NULL,
	    "RSET undid the DELE");
	for (chunk = 1; chunk <= 40; chunk++) {
		got = run(script, chunk, NULL, &l2);
		if (l2 != len || memcmp(got, want, len) != 0) {
			tap_diag("chunk %zu differs:\n%s", chunk, got);
			same = 0;
		}
		free(got);
	}
	tap_ok(same, "input in every split from 1 to 40 bytes: same answers");
	free(want);
}

static void
test_preauth_and_bad_input(void)
{
	char line[5000];
	size_t len;
	char *out;

	out = run("STAT\r\nDELE 3\r\nQUIT\r\n", 0, "jdoe", &len);
	tap_ok(strstr(out, "+OK 3 ") != NULL, "preauth: TRANSACTION at once");
	tap_ok(strstr(out, "+OK Bye: 1 messages deleted") != NULL,
	    "preauth: QUIT expunges");
	free(out);
	out = run("STAT\r\n", 0, "jdoe", &len);
	tap_ok(strstr(out, "+OK 2 ") != NULL, "two messages left");
	free(out);
	memset(line, 'x', sizeof(line) - 3);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	out = run(line, 7, NULL, &len);
	tap_ok(strstr(out, "-ERR Line too long\r\n") != NULL, "long line");
	free(out);
	out = run_n("US\0ER x\r\nQUIT\r\n", 15, 1, NULL, &len);
	tap_ok(strstr(out, "-ERR NUL byte in command\r\n+OK Bye") != NULL,
	    "NUL refused, one byte at a time");
	free(out);
	out = run("AUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n!!\r\nQUIT\r\n", 3, NULL,
	    &len);
	tap_ok(strstr(out, "-ERR AUTH cancelled\r\n") != NULL, "cancel");
	tap_ok(strstr(out, "-ERR Invalid base64 response\r\n") != NULL,
	    "bad base64");
	free(out);
	out = run("RETR 1\r\n", 0, "nosuchuser", &len);
	tap_ok(strstr(out, "-ERR [AUTH] Authentication failed") != NULL,
	    "preauth as an unknown account is refused");
	free(out);
}

static void
test_bits(void)
{
	struct drop_ops ops;
	struct drop *d;
	uint32_t i;

	memset(&ops, 0, sizeof(ops));
	d = drop_new(&ops, NULL, 17, 1700);
	for (i = 0; i < 17; i += 4)
		drop_mark_deleted(d, i, 100);
	tap_is_int(drop_mark_deleted(d, 4, 100), 0, "marked twice");
	tap_is_int(d->ndeleted, 5, "five marked");
	tap_is_int((long long)d->deleted_bytes, 500, "their bytes");
	tap_ok(drop_bit(d->dele, 16) && !drop_bit(d->dele, 15), "bits 16, 15");
	drop_undelete_all(d);
	tap_ok(d->ndeleted == 0 && !drop_bit(d->dele, 16), "RSET clears");
	drop_mark_seen(d, 3);
	drop_mark_seen(d, 3);
	tap_is_int(d->nseen, 1, "seen once");
	free(d->dele);
	free(d->seen);
	free(d);
}

int
main(void)
{
	struct acct a;
	char *why = NULL, *hash;

	fixture_open(&fx, "pop3", "LOGIN_FAIL_DELAY=0\nPASSWORD_ITERATIONS="
	    "4096\nHOSTNAME=mail.example.com\n");
	log_set_level(LOG_EMERG);
	fixture_account(&fx, "jdoe", ACCT_POP, &a);
	hash = passwd_hash("Secret123", 4096, &why);
	snprintf(a.password, sizeof(a.password), "%s", hash);
	free(hash);
	acct_save(fx.store, &a, NULL);
	deliver("jdoe", "Subject: one\n\nbody 1\n");
	deliver("jdoe", "Subject: two\n\n.dot line\nend\n");
	deliver("jdoe", "Subject: three\n\nbody 3\n");
	if (sasl_setup(NULL, &why) < 0) {
		printf("Bail out! sasl_setup: %s\n", why);
		return 2;
	}
	env.conf = &fx.conf;
	env.store = fx.store;
	env.allow_root = 1;
	test_splits();
	test_preauth_and_bad_input();
	test_bits();
	sasl_shutdown();
	fixture_close(&fx);
	return tap_done();
}
