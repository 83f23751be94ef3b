/*
 * Unit tests: vacation answers (lib/vacation.c): when an answer is due
 * (table of senders and headers), the answer and the refusal as built,
 * the per-account log (claim, expiry, the VACATION_LOG_MAX bound), and
 * the account's script files (lib/sieve_store.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "sieve.h"
#include "sieve_msg.h"
#include "vacation.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

struct vcase {
	const char *sender;
	const char *header;
	int	 want;
	const char *why;
};

static const struct vcase vcases[] = {
	{ "ann@example.org", "To: jdoe@mail.example.com\r\n", 1, NULL },
	{ "<ann@example.org>", "To: J <JDOE@mail.example.com>\r\n", 1, NULL },
	{ "ann@example.org", "Cc: jdoe+x@mail.example.com\r\n", 1, NULL },
	{ "ann@example.org", "Resent-To: jdoe@mail.example.com\r\n", 1, NULL },
	{ "ann@example.org", "Bcc: me@example.com\r\n", 1, NULL },
	{ "", "To: jdoe@mail.example.com\r\n", 0, "null sender" },
	{ "<>", "To: jdoe@mail.example.com\r\n", 0, "null sender" },
	{ "Mailer-Daemon@x.org", "To: jdoe@mail.example.com\r\n", 0,
	    "sender is a daemon or a list" },
	{ "owner-l@x.org", "To: jdoe@mail.example.com\r\n", 0,
	    "sender is a daemon or a list" },
	{ "l-request@x.org", "To: jdoe@mail.example.com\r\n", 0,
	    "sender is a daemon or a list" },
	{ "ann@example.org", "To: jdoe@mail.example.com\r\n"
	    "Auto-Submitted: auto-generated\r\n", 0, "auto-submitted mail" },
	{ "ann@example.org", "To: jdoe@mail.example.com\r\n"
	    "Auto-Submitted: no (comment)\r\n", 1, NULL },
	{ "ann@example.org", "To: jdoe@mail.example.com\r\n"
	    "Precedence: BULK\r\n", 0, "bulk mail" },
	{ "ann@example.org", "To: jdoe@mail.example.com\r\n"
	    "List-Post: <mailto:l@x>\r\n", 0, "list mail" },
	{ "ann@example.org", "To: other@example.com\r\n", 0,
	    "not addressed to the account" },
	{ "ann@example.org", "", 0, "not addressed to the account" },
	{ "jdoe@mail.example.com", "To: jdoe@mail.example.com\r\n", 0,
	    "sent by the account itself" },
};

static struct fixture fx;

static void
ctx(struct vacation_ctx *vc, const char *sender, struct sieve_msg *m)
{
	memset(vc, 0, sizeof(*vc));
	vc->conf = &fx.conf;
	vc->store = fx.store;
	vc->account = "jdoe";
	vc->rcpt = "<jdoe+x@mail.example.com>";
	vc->sender = sender;
	vc->msg = m;
	vc->now = 1700000000;
}

static void
check_allowed(void)
{
	static char *addrs[] = { (char *)"me@example.com" };
	struct sieve_vacation v;
	struct vacation_ctx vc;
	struct buf msg = BUF_INIT;
	struct sieve_msg *m;
	char *why = NULL;
	size_t i;
	int rc;

	memset(&v, 0, sizeof(v));
	v.addresses = addrs;
	v.naddresses = 1;
	v.reason = (char *)"away";
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		buf_reset(&msg);
		buf_printf(&msg, "From: x\r\n%sSubject: s\r\n\r\nbody\r\n",
		    vcases[i].header);
		m = sieve_msg_new(msg.data, msg.len);
		ctx(&vc, vcases[i].sender, m);
		rc = vacation_allowed(&vc, &v, &why);
		tap_is_int(rc, vcases[i].want, "allowed %zu (%s)", i,
		    vcases[i].sender);
		if (vcases[i].why)
			tap_is_str(why, vcases[i].why, "allowed %zu: why", i);
		free(why);
		why = NULL;
		sieve_msg_free(m);
	}
	buf_free(&msg);
}

static void
check_build(void)
{
	static const char orig[] = "From: Ann <ann@example.org>\r\n"
	    "To: jdoe@mail.example.com\r\nSubject: =?utf-8?Q?caf=C3=A9?=\r\n"
	    "Message-ID: <m1@x>\r\nReferences: <m0@x>\r\n\r\nbody\r\n";
	struct sieve_msg *m = sieve_msg_new(orig, sizeof(orig) - 1);
	struct sieve_vacation v;
	struct vacation_ctx vc;
	struct buf out = BUF_INIT;

	memset(&v, 0, sizeof(v));
	v.reason = (char *)"Back soon.\r\nJ.";
	ctx(&vc, "ann@example.org", m);
	vacation_build(&vc, &v, &out);
	tap_ok(strstr(out.data, "From: jdoe+x@mail.example.com\n") != NULL,
	    "answer From: the recipient");
	tap_ok(strstr(out.data, "To: <ann@example.org>\n") != NULL, "To");
	tap_ok(strstr(out.data, "Subject: =?utf-8?B?QXV0bzogY2Fmw6k=?=\n") !=
	    NULL, "Subject: Auto: and the decoded subject, re-encoded");
	tap_ok(strstr(out.data, "In-Reply-To: <m1@x>\nReferences: <m0@x> "
	    "<m1@x>\n") != NULL, "In-Reply-To and References");
	tap_ok(strstr(out.data, "\n\nBack soon.\nJ.\n") != NULL &&
	    strchr(out.data, '\r') == NULL, "reason, LF line ends");
	buf_reset(&out);
	vacation_reject_build(&vc, "Not wanted.", &out);
	tap_ok(strstr(out.data, "Subject: =?utf-8?B?UmVqZWN0ZWQ6IGNhZsOp?=\n")
	    != NULL, "refusal subject");
	tap_ok(strstr(out.data, "Final-Recipient: rfc822; "
	    "jdoe+x@mail.example.com\nOriginal-Message-ID: <m1@x>\n"
	    "Disposition: automatic-action/MDN-sent-automatically; deleted\n")
	    != NULL, "refusal: the disposition notification");
	tap_ok(strstr(out.data, "Content-Type: text/rfc822-headers\n\n"
	    "From: Ann <ann@example.org>\nTo: jdoe@mail.example.com\n") != NULL,
	    "refusal: the original header");
	buf_free(&out);
	sieve_msg_free(m);
}

static void
check_log(void)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char *why = NULL;
	const char *p;
	int i, rc;

	rc = vacation_log_claim(fx.store, "jdoe", "0123456789abcdef0123456789"
	    "abcdef", 1000, 2000, &why);
	tap_is_int(rc, 1, "first claim: answer");
	rc = vacation_log_claim(fx.store, "jdoe", "0123456789abcdef0123456789"
	    "abcdef", 1999, 3000, &why);
	tap_is_int(rc, 0, "before expiry: no answer");
	rc = vacation_log_claim(fx.store, "jdoe", "0123456789abcdef0123456789"
	    "abcdef", 2000, 3000, &why);
	tap_is_int(rc, 1, "at expiry: answer again");
	sieve_account_path(fx.store, "jdoe", "vacation", &path);
	file_read(path.data, 1 << 20, &text, NULL);
	tap_is_str(text.data, "popstore-vacation 1\n3000 0123456789abcdef"
	    "0123456789abcdef\n", "log file: expired entry replaced");
	/* a full log: the entry expiring first makes room */
	buf_reset(&text);
	buf_puts(&text, "popstore-vacation 1\n");
	for (i = 0; i < VACATION_LOG_MAX; i++)
		buf_printf(&text, "%d %032x\n", 3000 + i, i);
	file_write_atomic(path.data, text.data, text.len, 0600, 0, NULL);
	rc = vacation_log_claim(fx.store, "jdoe", "ffffffffffffffffffffffffff"
	    "ffffff", 2000, 9999, &why);
	tap_is_int(rc, 1, "full log: answer");
	buf_reset(&text);
	file_read(path.data, 1 << 20, &text, NULL);
	tap_ok(strstr(text.data, "\n3000 ") == NULL &&
	    strstr(text.data, "\n3001 ") != NULL &&
	    strstr(text.data, "\n9999 ffff") != NULL,
	    "full log: the entry expiring first dropped");
	for (i = 0, p = text.data; (p = strchr(p, '\n')) != NULL; p++)
		i++;
	tap_is_int(i - 1, VACATION_LOG_MAX, "log holds VACATION_LOG_MAX "
	    "entries");
	file_write_atomic(path.data, "garbage", 7, 0600, 0, NULL);
	rc = vacation_log_claim(fx.store, "jdoe", "0123456789abcdef0123456789"
	    "abcdef", 5000, 6000, &why);
	tap_is_int(rc, 1, "a damaged log starts afresh");
	buf_free(&path);
	buf_free(&text);
}

static void
check_script_files(void)
{
	struct buf text = BUF_INIT;
	char *why = NULL;

	tap_is_int(sieve_script_load(fx.store, "jdoe", &text, &why), 0,
	    "no script yet");
	tap_is_int(sieve_script_save(fx.store, "jdoe", "keep;\n", 6, &why), 0,
	    "save");
	tap_is_int(sieve_script_load(fx.store, "jdoe", &text, &why), 1, "load");
	tap_is_str(text.data, "keep;\n", "loaded as saved");
	tap_is_int(sieve_script_remove(fx.store, "jdoe", &why), 1, "remove");
	tap_is_int(sieve_script_remove(fx.store, "jdoe", &why), 0,
	    "remove again: none");
	buf_free(&text);
}

int
main(void)
{
	struct acct a;

	fixture_open(&fx, "vac", "HOSTNAME=mail.example.com\n");
	fixture_account(&fx, "jdoe", ACCT_IMAP, &a);
	check_allowed();
	check_build();
	check_log();
	check_script_files();
	fixture_close(&fx);
	return tap_done();
}
