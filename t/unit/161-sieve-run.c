/*
 * Unit tests: running Sieve scripts (lib/sieve_run.c, sieve_match.c,
 * sieve_msg.c). Each case is a script, a message and an envelope; the
 * result is written as one line ("fileinto:X keep[\Seen]") and compared.
 * Then the limits: a hostile regular expression and a wildcard storm
 * stop within their budgets, in bounded time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "sieve.h"
#include "sieve_msg.h"
#include "lib/tap.h"

static const char msg1[] =
    "Return-Path: <joe+news@example.org>\r\n"
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Received: from c by d; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: \"Joe Q. Public\" <Joe.Public@Example.ORG> (Joe)\r\n"
    "To: team: ann@example.com, Bob <bob+lists@example.com>;, "
    "carol@example.net\r\n"
    "Cc: undisclosed-recipients:;\r\n"
    "Subject: [popstore-users] [fwd] version 1.0 is out\r\n"
    "X-Spam-Score: 12\r\n"
    "X-Long: folded\r\n"
    "  continuation  \r\n"
    "X-Encoded: =?utf-8?B?w6l0w6k=?= =?iso-8859-1?Q?caf=E9?=\r\n"
    "List-Id: Popstore users <popstore-users.lists.example.org>\r\n"
    "Message-ID: <1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8gd29ybGQsIGJ1eSBjaGVhcCB2aWFncmEh\r\n"
    "--b\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>Hello <b>HTML</b></p>\r\n"
    "--b--\r\n";

struct rcase {
	const char *script;
	const char *want;
};

static const struct rcase cases[] = {
	{ "", "keep" },
	{ "discard;", "discard" },
	{ "keep; discard;", "keep discard" },
	{ "stop; discard;", "keep" },
	{ "require \"fileinto\"; fileinto \"Lists\";", "fileinto:Lists" },
	{ "require [\"fileinto\", \"copy\"]; fileinto :copy \"Lists\";",
	    "fileinto:Lists keep" },
	{ "redirect \"a@example.com\"; redirect \"A@example.com\";",
	    "redirect:a@example.com" },
	{ "require \"copy\"; redirect :copy \"a@example.com\";",
	    "redirect:a@example.com keep" },
	/* header */
	{ "if header :contains \"subject\" \"VERSION\" { discard; }",
	    "discard" },
	{ "if header :comparator \"i;octet\" :contains \"subject\" \"VERSION\""
	    " { discard; }", "keep" },
	{ "if header :is \"x-long\" \"folded  continuation\" { discard; }",
	    "discard" },
	{ "if header :is \"x-encoded\" \"\xc3\xa9t\xc3\xa9" "caf\xc3\xa9\" "
	    "{ discard; }", "discard" },
	{ "if header :matches \"subject\" \"*1.?*\" { discard; }", "discard" },
	{ "if header :matches \"subject\" \"\\\\[*\" { discard; }", "discard" },
	{ "if header :matches \"subject\" \"popstore*\" { discard; }", "keep" },
	{ "if header :is \"nosuch\" \"\" { discard; }", "keep" },
	{ "if exists [\"List-Id\", \"x-spam-score\"] { discard; }", "discard" },
	{ "if exists [\"List-Id\", \"nosuch\"] { discard; }", "keep" },
	/* address */
	{ "if address :is \"from\" \"joe.public@example.org\" { discard; }",
	    "discard" },
	{ "if address :localpart :is \"from\" \"joe.public\" { discard; }",
	    "discard" },
	{ "if address :domain :is \"to\" \"example.net\" { discard; }",
	    "discard" },
	{ "if address :all :is \"to\" \"team\" { discard; }", "keep" },
	{ "require \"subaddress\";"
	    "if address :detail \"to\" \"lists\" { discard; }", "discard" },
	{ "require \"subaddress\";"
	    "if address :user :is \"to\" \"bob\" { discard; }", "discard" },
	{ "require \"subaddress\";"
	    "if address :detail :matches \"to\" \"*\" { discard; }", "discard" },
	{ "require \"relational\";"
	    "if address :count \"eq\" [\"to\", \"cc\"] \"3\" { discard; }",
	    "discard" },
	/* envelope */
	{ "require \"envelope\";"
	    "if envelope :is \"from\" \"joe+news@example.org\" { discard; }",
	    "discard" },
	{ "require [\"envelope\", \"subaddress\"];"
	    "if envelope :detail \"from\" \"news\" { discard; }", "discard" },
	{ "require [\"envelope\", \"subaddress\"];"
	    "if envelope :user \"to\" \"jdoe\" { discard; }", "discard" },
	{ "require [\"envelope\", \"subaddress\"];"
	    "if envelope :detail \"to\" \"\" { discard; }", "keep" },
	{ "require \"envelope\";"
	    "if envelope :domain \"to\" \"EXAMPLE.com\" { discard; }", "discard" },
	/* size, boolean */
	{ "if size :over 100 { discard; }", "discard" },
	{ "if size :under 1K { discard; }", "discard" },
	{ "if size :over 1M { discard; }", "keep" },
	{ "if not size :over 1M { discard; }", "discard" },
	{ "if allof (true, false) { discard; }", "keep" },
	{ "if anyof (false, true) { discard; }", "discard" },
	{ "if false { discard; } elsif true { redirect \"x@y.z\"; } "
	    "else { discard; }", "redirect:x@y.z" },
	/* relational, numeric */
	{ "require \"relational\";"
	    "if header :count \"ge\" \"received\" \"2\" { discard; }",
	    "discard" },
	{ "require \"relational\";"
	    "if header :count \"gt\" \"received\" \"2\" { discard; }", "keep" },
	{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
	    "if header :value \"gt\" :comparator \"i;ascii-numeric\" "
	    "\"x-spam-score\" \"9\" { discard; }", "discard" },
	{ "require [\"relational\"];"
	    "if header :value \"gt\" \"x-spam-score\" \"9\" { discard; }",
	    "keep" },	/* "12" < "9" as text */
	{ "require \"comparator-i;ascii-numeric\";"
	    "if header :is :comparator \"i;ascii-numeric\" \"x-spam-score\" "
	    "\"012\" { discard; }", "discard" },
	/* regex and variables */
	{ "require [\"regex\", \"variables\", \"fileinto\"];"
	    "if header :regex \"list-id\" \"<([a-z-]+)\\\\.lists\" "
	    "{ fileinto \"lists.${1}\"; }", "fileinto:lists.popstore-users" },
	{ "require [\"regex\"];"
	    "if header :regex \"subject\" \"^\\\\[POPSTORE\" { discard; }",
	    "discard" },
	{ "require [\"regex\"];"
	    "if header :regex :comparator \"i;octet\" \"subject\" "
	    "\"^\\\\[POPSTORE\" { discard; }", "keep" },
	{ "require [\"variables\", \"fileinto\"];"
	    "if header :matches \"subject\" \"[*] *\" "
	    "{ fileinto \"${1}/${2}\"; }",
	    "fileinto:popstore-users/[fwd] version 1.0 is out" },
	{ "require [\"variables\", \"fileinto\"];"
	    "if header :matches \"from\" \"*<*@*>*\" "
	    "{ fileinto \"${0}|${2}|${3}|${9}|${x}|${a.b}|${bad-}\"; }",
	    "fileinto:\"Joe Q. Public\" <Joe.Public@Example.ORG> (Joe)|"
	    "Joe.Public|Example.ORG||||${bad-}" },
	{ "require [\"variables\", \"vacation\"];"
	    "set \"a\" \"Hello\"; set :upper \"b\" \"${a}\"; "
	    "set :lowerfirst \"c\" \"${a}\"; set :length \"d\" \"\xc3\xa9t\xc3\xa9\";"
	    "set :quotewildcard \"e\" \"a*b?c\\\\\";"
	    "vacation :subject \"${b}.${c}.${d}.${e}\" \"r\";",
	    "vacation:0/HELLO.hello.3.a\\*b\\?c\\\\/r keep" },
	{ "require [\"variables\"];"
	    "set \"a\" \"x\"; if string :is \"${a}${A}\" \"xx\" { discard; }",
	    "discard" },
	{ "require [\"variables\", \"relational\"];"
	    "if string :count \"eq\" [\"a\", \"\", \"b\"] \"2\" { discard; }",
	    "discard" },
	/* imap4flags */
	{ "require \"imap4flags\"; addflag \"\\\\seen junk\"; "
	    "addflag \"\\\\Seen\";", "keep[\\Seen junk]" },
	{ "require \"imap4flags\"; setflag \"a b c\"; removeflag \"B\";"
	    "if hasflag :is \"c\" { keep :flags \"\\\\Flagged\"; }",
	    "keep[\\Flagged]" },
	{ "require [\"imap4flags\", \"fileinto\"]; addflag \"x \\\\Bogus\";"
	    "fileinto \"F\";", "fileinto:F[x]" },
	{ "require [\"imap4flags\", \"variables\"]; addflag \"v\" \"a\";"
	    "if hasflag \"v\" \"a\" { discard; }", "discard" },
	{ "require [\"imap4flags\", \"relational\"]; addflag \"a b\";"
	    "if hasflag :count \"eq\" \"2\" { discard; }", "discard" },
	/* body */
	{ "require \"body\"; if body :contains \"viagra\" { discard; }",
	    "discard" },
	{ "require \"body\"; if body :contains \"HTML\" { discard; }",
	    "discard" },	/* text/html is text, tags and all */
	{ "require \"body\"; if body :contains \"preamble\" { discard; }",
	    "keep" },
	{ "require \"body\"; if body :content \"text/html\" :contains \"HTML\""
	    " { discard; }", "discard" },
	{ "require \"body\"; if body :content \"text\" :contains \"viagra\""
	    " { discard; }", "discard" },
	{ "require \"body\"; if body :raw :contains \"SGVsbG8\" { discard; }",
	    "discard" },
	{ "require \"body\"; if body :raw :contains \"viagra\" { discard; }",
	    "keep" },
	/* reject, vacation */
	{ "require \"reject\"; reject \"no\";", "reject:no" },
	{ "require \"ereject\"; ereject \"no\";", "ereject:no" },
	{ "require \"reject\"; keep; reject \"no\";", "error:1:25 keep" },
	{ "require [\"reject\", \"fileinto\"]; reject \"no\"; fileinto \"x\";",
	    "error:1:46 keep" },
	{ "require \"vacation\"; vacation :days 3 :subject \"Away\" \"Gone\";",
	    "vacation:3/Away/Gone keep" },
	{ "require \"vacation\"; vacation \"a\"; vacation \"b\";",
	    "error:1:35 keep" },
	/* mailbox */
	{ "require \"mailbox\"; if mailboxexists \"Junk\" { discard; }",
	    "discard" },
	{ "require \"mailbox\"; if mailboxexists [\"Junk\", \"Nope\"] "
	    "{ discard; }", "keep" },
	{ "require [\"fileinto\", \"mailbox\"]; fileinto :create \"New\";",
	    "fileinto:New(create)" },
	/* run-time errors */
	{ "require \"variables\"; set \"a\" \"not an address\"; "
	    "redirect \"${a}\";", "error:1:48 keep" },
	{ "redirect \"a@b.c\"; redirect \"b@b.c\"; redirect \"c@b.c\";"
	    "redirect \"d@b.c\"; redirect \"e@b.c\";", "error:1:72 keep" },
};

static int
exists(const char *name, void *ctx)
{
	(void)ctx;
	return strcmp(name, "Junk") == 0 || strcmp(name, "INBOX") == 0;
}

static struct conf conf;

static void
describe(const struct sieve_result *r, struct buf *out)
{
	size_t i, j;

	buf_reset(out);
	buf_reserve(out, 0);
	if (r->error) {
		buf_puts(out, "error:");
		buf_append(out, r->error, strcspn(r->error, " "));
		out->len--;		/* the colon after LINE:COL */
		out->data[out->len] = '\0';
	}
	for (i = 0; i < r->n; i++) {
		const struct sieve_action *a = &r->v[i];
		static const char *const kinds[] = { "keep", "fileinto",
		    "redirect", "discard", "reject", "vacation" };

		if (out->len)
			buf_putc(out, ' ');
		buf_puts(out, a->kind == SIEVE_REJECT && a->ereject ? "ereject" :
		    kinds[a->kind]);
		if (a->arg)
			buf_printf(out, ":%s", a->arg);
		if (a->create)
			buf_puts(out, "(create)");
		if (a->vacation)
			buf_printf(out, ":%llu/%s/%s",
			    (unsigned long long)a->vacation->days,
			    a->vacation->subject ? a->vacation->subject : "-",
			    a->vacation->reason);
		for (j = 0; j < a->nflags; j++)
			buf_printf(out, "%s%s%s", j ? " " : "[", a->flags[j],
			    j + 1 == a->nflags ? "]" : "");
	}
	if (r->n == 0 && !r->error)
		buf_puts(out, "(nothing)");
}

static int
run(const char *script, const char *msg, size_t len, struct buf *out)
{
	struct sieve_script *s;
	struct sieve_result r;
	struct sieve_env env;
	char *why = NULL;
	int rc;

	if (sieve_parse(script, strlen(script), &s, &why) < 0) {
		buf_reset(out);
		buf_printf(out, "parse error %s", why);
		free(why);
		return -2;
	}
	memset(&env, 0, sizeof(env));
	env.conf = &conf;
	env.msg = msg;
	env.msg_len = len;
	env.sender = "joe+news@example.org";
	env.rcpt = "<jdoe@example.com>";
	env.mailbox_exists = exists;
	rc = sieve_run(s, &env, &r);
	describe(&r, out);
	sieve_result_free(&r);
	sieve_free(s);
	return rc;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
check_limits(void)
{
	struct buf m = BUF_INIT, out = BUF_INIT, script = BUF_INIT;
	double t0;
	int i, rc;

	/* catastrophic backtracking: (a+)+$ over a long run of a's */
	buf_puts(&m, "Subject: ");
	for (i = 0; i < 5000; i++)
		buf_putc(&m, 'a');
	buf_puts(&m, "!\r\n\r\nbody\r\n");
	t0 = now();
	rc = run("require \"regex\"; if header :regex \"subject\" \"^(a+)+$\" "
	    "{ discard; }", m.data, m.len, &out);
	tap_is_int(rc, -1, "hostile regex: the run fails");
	tap_is_str(out.data, "error:1:21 keep", "hostile regex: implicit keep");
	tap_ok(now() - t0 < 2.0, "hostile regex bounded in time (%.3fs)",
	    now() - t0);

	/* a wildcard storm over a 1 MB header value and 1000 keys */
	buf_reset(&m);
	buf_puts(&m, "Subject: ");
	for (i = 0; i < 1024 * 1024; i++)
		buf_putc(&m, 'a');
	buf_puts(&m, "\r\n\r\n");
	buf_puts(&script, "if header :matches \"subject\" [");
	for (i = 0; i < 1000; i++)
		buf_printf(&script, "%s\"*a*a*a*a*a*a*b%d\"", i ? "," : "", i);
	buf_puts(&script, "] { discard; }");
	t0 = now();
	rc = run(script.data, m.data, m.len, &out);
	tap_is_int(rc, -1, "wildcard storm: the run fails");
	tap_is_str(out.data, "error:1:4 keep", "wildcard storm: implicit keep");
	tap_ok(now() - t0 < 3.0, "wildcard storm bounded in time (%.3fs)",
	    now() - t0);

	/* too many actions */
	buf_reset(&script);
	buf_puts(&script, "require [\"fileinto\", \"copy\"];");
	for (i = 0; i <= SIEVE_ACTIONS_MAX; i++)
		buf_printf(&script, "fileinto :copy \"f%d\";", i);
	rc = run(script.data, msg1, sizeof(msg1) - 1, &out);
	tap_ok(rc == -1 && strstr(out.data, "error:") == out.data &&
	    strcmp(strchr(out.data, ' '), " keep") == 0,
	    "more than SIEVE_ACTIONS_MAX actions: error, keep (%s)",
	    out.data);
	buf_free(&m);
	buf_free(&out);
	buf_free(&script);
}

/* Addresses from RFC 5322 syntax. */
static void
check_addresses(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "a@b", "a@b" },
		{ "Name <a@b>", "a@b" },
		{ "\"Doe, John\" <j@d.e>, x@y", "j@d.e x@y" },
		{ "g: a@b, c@d;, e@f", "a@b c@d e@f" },
		{ "empty:;", "" },
		{ "a (comment) @ b", "a@b" },
		{ "<@route,@r2:a@b>", "a@b" },
		{ "<>", "<>" },
		{ "\"quoted local\"@b", "quotedlocal@b" },
		{ "plain", "plain" },
		{ "", "" },
	};
	struct sieve_addrs l;
	struct buf got = BUF_INIT;
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&l, 0, sizeof(l));
		sieve_addrs_parse(t[i].in, strlen(t[i].in), &l);
		buf_reset(&got);
		buf_reserve(&got, 0);
		for (j = 0; j < l.n; j++)
			buf_printf(&got, "%s%s", j ? " " : "", l.v[j].all[0] ?
			    l.v[j].all : "<>");
		tap_is_str(got.data, t[i].want, "addresses of '%s'", t[i].in);
		sieve_addrs_free(&l);
	}
	buf_free(&got);
}

/* currentdate's date parts at fixed instants (RFC 5260 section 4.2). */
static void
check_dates(void)
{
	static const struct {
		const char *part;
		time_t t;
		long off;
		const char *want;
	} d[] = {
		{ "date", 0, 0, "1970-01-01" },
		{ "julian", 0, 0, "40587" },
		{ "std11", 0, 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ "iso8601", 0, 0, "1970-01-01T00:00:00+00:00" },
		{ "date", 0, -18000, "1969-12-31" },
		{ "julian", 0, -18000, "40586" },
		{ "zone", 0, -18000, "-0500" },
		{ "iso8601", 1795000000, 19800,
		    "2026-11-18T16:36:40+05:30" },
		{ "time", 1795000000, 0, "11:06:40" },
		{ "weekday", 1795000000, 0, "3" },
		{ "YEAR", 1795000000, 0, "2026" },
		{ "month", 1795000000, 0, "11" },
		{ "day", 1795000000, 0, "18" },
	};
	struct buf v = BUF_INIT;
	long off;
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		buf_reset(&v);
		tap_is_int(sieve_date_part(d[i].part, d[i].t, d[i].off, &v), 0,
		    "date part %s known", d[i].part);
		tap_is_str(buf_cstr(&v), d[i].want, "%s at %lld%+ld", d[i].part,
		    (long long)d[i].t, d[i].off);
	}
	tap_is_int(sieve_date_part("fortnight", 0, 0, &v), -1,
	    "unknown date part");
	tap_ok(sieve_zone_offset("+0530", &off) == 0 && off == 19800,
	    "zone +0530");
	tap_ok(sieve_zone_offset("-1200", &off) == 0 && off == -43200,
	    "zone -1200");
	tap_is_int(sieve_zone_offset("+2500", NULL), -1, "zone +2500 refused");
	tap_is_int(sieve_zone_offset("0100", NULL), -1, "zone without sign");
	buf_free(&v);
}

int
main(void)
{
	struct buf out = BUF_INIT, path = BUF_INIT;
	char *why = NULL;
	size_t i;

	buf_printf(&path, "%s/popstore.conf", tap_tmpdir());
	tap_write_file(path.data, "STORE_DIR=/nonexistent\n"
	    "HOSTNAME=mail.example.com\n");
	if (conf_load(path.data, &conf, &why) < 0) {
		printf("Bail out! %s\n", why);
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(cases[i].script, msg1, sizeof(msg1) - 1, &out);
		if (!tap_is_str(out.data, cases[i].want, "case %zu", i))
			tap_diag("script: %s", cases[i].script);
	}
	check_limits();
	check_addresses();
	check_dates();
	buf_free(&out);
	buf_free(&path);
	conf_free(&conf);
	return tap_done();
}
