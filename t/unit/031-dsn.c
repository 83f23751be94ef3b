/* Unit tests: RFC 3464 delivery status notifications (lib/dsn.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dsn.h"
#include "file.h"
#include "lib/tap.h"

static struct conf conf;
static char dir[4096];

static void
setup(void)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char *why = NULL;

	snprintf(dir, sizeof(dir), "%s", tap_tmpdir());
	buf_printf(&text, "STORE_DIR=%s/store\nHOSTNAME=mail.example.com\n"
	    "SENDMAIL=%s/sendmail\n", dir, dir);
	buf_printf(&path, "%s/popstore.conf", dir);
	tap_write_file(path.data, text.data);
	if (conf_load(path.data, &conf, &why) < 0) {
		printf("Bail out! %s\n", why);
		exit(2);
	}
	buf_free(&path);
	buf_free(&text);
}

/* A fake sendmail: records its arguments and input, exits with code. */
static void
fake_sendmail(int code)
{
	struct buf path = BUF_INIT, text = BUF_INIT;

	buf_printf(&path, "%s/sendmail", dir);
	buf_printf(&text, "#!/bin/sh\nprintf '[%%s]' \"$@\" > %s/args\n"
	    "cat > %s/msg\nexit %d\n", dir, dir, code);
	tap_write_file(path.data, text.data);
	chmod(path.data, 0755);
	buf_reset(&path);
	buf_printf(&path, "%s/args", dir);
	unlink(path.data);
	buf_free(&path);
	buf_free(&text);
}

static void
slurp(const char *name, struct buf *out)
{
	struct buf path = BUF_INIT;

	buf_reset(out);
	buf_printf(&path, "%s/%s", dir, name);
	(void)file_read(path.data, 1 << 20, out, NULL);
	buf_free(&path);
}

static void
test_may_return(void)
{
	static const struct { const char *s; int want; } t[] = {
		{ "", 0 }, { "<>", 0 }, { "  <>  ", 0 },
		{ "MAILER-DAEMON@example.org", 0 }, { "mailer-daemon", 0 },
		{ "<Mailer-Daemon@x.org>", 0 }, { "mailer-daemon2@x.org", 1 },
		{ "a@b", 1 }, { "<a@b>", 1 }, { " <jdoe@example.org> ", 1 },
		{ "a b@c", 0 }, { "-oi@x", 0 }, { "a@b\n", 0 }, { "<a@b", 0 },
	};
	size_t i;

	tap_is_int(dsn_may_return(NULL), 0, "NULL sender");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		tap_is_int(dsn_may_return(t[i].s), t[i].want, "may return to "
		    "sender %zu", i);
}

/* The MIME parts of a built DSN: parts[0] the message header. */
static size_t
split(const char *msg, struct buf parts[5])
{
	const char *b = strstr(msg, "boundary=\""), *p, *end;
	char delim[80];
	size_t n = 0, blen;

	if (b == NULL)
		return 0;
	b += 10;
	blen = strcspn(b, "\"");
	snprintf(delim, sizeof(delim), "\n--%.*s", (int)blen, b);
	end = strstr(msg, "\n\n");
	buf_reset(&parts[n]);
	buf_append(&parts[n++], msg, (size_t)(end - msg) + 1);
	p = strstr(msg, delim);
	while (p && n < 5) {
		const char *start = p + strlen(delim);
		const char *next;

		if (strncmp(start, "--\n", 3) == 0 && start[3] == '\0')
			return n;	/* the closing delimiter ends the message */
		next = strstr(start, delim);
		buf_reset(&parts[n]);
		buf_append(&parts[n++], start + 1, next ? (size_t)(next - start) :
		    strlen(start + 1));
		p = next;
	}
	return 99;		/* no proper closing delimiter */
}

static const char hdrs[] =
    "Return-Path: <s@example.org>\r\n"
    "Received: from x\r\n\tby y\r\n"
    "From: Sender <s@example.org>\r\n"
    "Subject: hello\0world\r\n"
    "\r\n"
    "the body must not appear\r\n";

static void
test_build(void)
{
	struct dsn_rcpt r[2] = {
		{ "jdoe@mail.example.com", "JDoe@Example.COM", NULL, "5.2.1",
		  "mailbox closed\r\nX-Injected: yes" },
		{ "ann@mail.example.com", "not an address", "delayed", "4.2.2",
		  NULL },
	};
	struct dsn d = { "<s@example.org>", "The mailbox was closed.\nSorry.",
	    NULL, 1700000000, hdrs, sizeof(hdrs) - 1, r, 2 };
	struct buf out = BUF_INIT, parts[5];
	char *why = NULL;
	size_t i, n, len;
	const char *p;

	memset(parts, 0, sizeof(parts));
	tap_is_int(dsn_build(&conf, &d, &out, &why), 0, "builds");
	p = buf_cstr(&out);
	tap_ok(strchr(p, '\r') == NULL, "no CR in the message");
	for (i = 0, len = 0; p[i]; i++)
		len = p[i] == '\n' ? 0 : len + 1 > 998 ? 999 : len + 1;
	tap_ok(len < 999, "no line longer than 998");
	n = split(p, parts);
	tap_is_int((long long)n, 4, "header and three parts");
	p = buf_cstr(&parts[0]);
	tap_ok(strstr(p, "From: Mail Delivery System "
	    "<MAILER-DAEMON@mail.example.com>\n") != NULL, "From MAILER-DAEMON");
	tap_ok(strstr(p, "\nTo: <s@example.org>\n") != NULL, "To the sender");
	tap_ok(strstr(p, "\nSubject: Undelivered Mail Returned to Sender\n") !=
	    NULL, "default subject");
	tap_ok(strstr(p, "\nAuto-Submitted: auto-replied\n") != NULL,
	    "Auto-Submitted");
	tap_ok(strstr(p, "\nMIME-Version: 1.0\n") != NULL, "MIME-Version");
	tap_ok(strstr(p, "\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"") != NULL,
	    "multipart/report; report-type=delivery-status");
	tap_ok(strstr(p, "\nMessage-ID: <") && strstr(p, "@mail.example.com>\n"),
	    "Message-ID");
	tap_ok(strstr(p, "\nDate: ") != NULL, "Date");

	p = buf_cstr(&parts[1]);
	tap_ok(strncmp(p, "Content-Description: Notification\nContent-Type: "
	    "text/plain; charset=us-ascii\n\n", 78) == 0, "part 1: text/plain");
	tap_ok(strstr(p, "The mailbox was closed.\nSorry.\n") != NULL,
	    "part 1: the reason");
	tap_ok(strstr(p, "<jdoe@mail.example.com>: mailbox closed  X-Injected: "
	    "yes\n") != NULL, "part 1: diagnostic on one line");
	tap_ok(strstr(p, "<ann@mail.example.com>: 4.2.2\n") != NULL,
	    "part 1: status when no diagnostic");

	p = buf_cstr(&parts[2]);
	tap_ok(strncmp(p, "Content-Description: Delivery report\nContent-Type: "
	    "message/delivery-status\n\nReporting-MTA: dns; mail.example.com\n"
	    "Arrival-Date: ", 111) == 0, "part 2: per-message fields");
	tap_ok(strstr(p, "\n\nFinal-Recipient: rfc822; jdoe@mail.example.com\n"
	    "Original-Recipient: rfc822; JDoe@Example.COM\nAction: failed\n"
	    "Status: 5.2.1\nDiagnostic-Code: X-popstore; mailbox closed  "
	    "X-Injected: yes\n") != NULL, "part 2: first recipient");
	tap_ok(strstr(p, "\n\nFinal-Recipient: rfc822; ann@mail.example.com\n"
	    "Action: delayed\nStatus: 4.2.2\n\n") != NULL,
	    "part 2: second recipient, bad original left out");
	tap_ok(strstr(p, "\nX-Injected") == NULL, "no header injection");

	p = buf_cstr(&parts[3]);
	tap_is_str(p, "Content-Description: Undelivered Message Headers\n"
	    "Content-Type: text/rfc822-headers\n\n"
	    "Return-Path: <s@example.org>\nReceived: from x\n\tby y\n"
	    "From: Sender <s@example.org>\nSubject: helloworld\n\n",
	    "part 3: the original header, LF, no NUL, no body");
	for (i = 0; i < 5; i++)
		buf_free(&parts[i]);
	buf_free(&out);
}

static void
test_build_more(void)
{
	struct dsn_rcpt r = { "jdoe@example.com", NULL, NULL, "5.1.1", NULL };
	struct dsn d = { "s@example.org", "Caf\xc3\xa9 closed.", "Returned: %s",
	    0, "Subject: \xe9t\xe9\n\nbody", 18, &r, 1 };
	struct buf out = BUF_INIT, big = BUF_INIT;
	char *why = NULL;
	size_t i;

	tap_is_int(dsn_build(&conf, &d, &out, &why), 0, "8-bit DSN builds");
	tap_ok(strstr(out.data, "\nSubject: Returned: %s\n") != NULL,
	    "subject given");
	tap_ok(strstr(out.data, "text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n") != NULL, "UTF-8 reason: 8bit");
	tap_ok(strstr(out.data, "text/rfc822-headers\n"
	    "Content-Transfer-Encoding: 8bit\n\nSubject: \xe9t\xe9\n\n") != NULL,
	    "8-bit header: 8bit");
	tap_ok(strstr(out.data, "Arrival-Date") == NULL, "no Arrival-Date "
	    "when unknown");
	for (i = 0; i < 4000; i++)
		buf_printf(&big, "X-Filler-%04zu: %s\r\n", i,
		    "0123456789012345678901234567890123456789");
	d.headers = big.data;
	d.headers_len = big.len;
	buf_reset(&out);
	tap_is_int(dsn_build(&conf, &d, &out, &why), 0, "huge header builds");
	tap_ok(out.len < DSN_HEADERS_MAX + 4096, "header cut: %zu bytes",
	    out.len);
	tap_ok(strstr(out.data, "X-Filler-0000:") &&
	    !strstr(out.data, "X-Filler-3999:"), "cut at a line");
	buf_free(&big);
	buf_free(&out);
}

static void
test_refused(void)
{
	static const char *const status[] = { "6.0.0", "5.0", "5.01.1",
	    "5.1.1000", "x", "", "5.1.1 ", "2.0.0.0" };
	struct dsn_rcpt r = { "jdoe@example.com", NULL, NULL, "5.1.1", NULL };
	struct dsn_rcpt many[DSN_RCPT_MAX + 1];
	struct dsn d = { "s@example.org", NULL, NULL, 0, NULL, 0, &r, 1 };
	struct buf out = BUF_INIT;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(status) / sizeof(status[0]); i++) {
		r.status = status[i];
		why = NULL;
		tap_is_int(dsn_build(&conf, &d, &out, &why), -1,
		    "status '%s' refused", status[i]);
		free(why);
	}
	r.status = "2.0.0";
	tap_is_int(dsn_build(&conf, &d, &out, &why), 0, "2.0.0 is a status");
	buf_reset(&out);
	r.action = "bounced";
	tap_is_int(dsn_build(&conf, &d, &out, &why), -1, "unknown action");
	free(why);
	r.action = NULL;
	r.address = "a b@c";
	tap_is_int(dsn_build(&conf, &d, &out, &why), -1, "bad recipient");
	free(why);
	r.address = "jdoe@example.com";
	d.sender = "<>";
	tap_is_int(dsn_build(&conf, &d, &out, &why), -1, "null sender: no DSN");
	free(why);
	d.sender = "s@example.org";
	d.nrcpts = 0;
	tap_is_int(dsn_build(&conf, &d, &out, &why), -1, "no recipients");
	free(why);
	for (i = 0; i <= DSN_RCPT_MAX; i++)
		many[i] = r;
	d.rcpts = many;
	d.nrcpts = DSN_RCPT_MAX + 1;
	tap_is_int(dsn_build(&conf, &d, &out, &why), -1, "too many recipients");
	free(why);
	tap_is_int((long long)out.len, 0, "nothing appended on errors");
	buf_free(&out);
}

static void
test_send(void)
{
	struct dsn_rcpt r = { "jdoe@example.com", NULL, NULL, "5.2.1", "gone" };
	struct dsn d = { "<s@example.org>", "Closed.", NULL, 0,
	    "From: s@example.org\r\n\r\n", 23, &r, 1 };
	struct buf got = BUF_INIT, path = BUF_INIT;
	char *why = NULL;
	int temp = -1;
	struct stat st;

	fake_sendmail(0);
	tap_is_int(dsn_send(&conf, &d, &temp, &why), 1, "sent");
	slurp("args", &got);
	tap_is_str(buf_cstr(&got), "[-i][-f][][--][s@example.org]",
	    "SENDMAIL -i -f '' -- SENDER");
	slurp("msg", &got);
	tap_ok(strstr(got.data, "report-type=delivery-status") &&
	    strstr(got.data, "\nTo: <s@example.org>\n") &&
	    strstr(got.data, "Status: 5.2.1\n"), "the DSN on standard input");

	fake_sendmail(0);
	d.sender = "<>";
	tap_is_int(dsn_send(&conf, &d, &temp, &why), 0, "null sender: not sent");
	d.sender = "MAILER-DAEMON@example.org";
	tap_is_int(dsn_send(&conf, &d, &temp, &why), 0, "MAILER-DAEMON: not "
	    "sent");
	buf_printf(&path, "%s/args", dir);
	tap_is_int(stat(path.data, &st), -1, "sendmail never ran");

	d.sender = "s@example.org";
	fake_sendmail(75);
	tap_is_int(dsn_send(&conf, &d, &temp, &why), -1, "EX_TEMPFAIL fails");
	tap_is_int(temp, 1, "... temporarily");
	free(why);
	why = NULL;
	fake_sendmail(67);
	tap_is_int(dsn_send(&conf, &d, &temp, &why), -1, "exit 67 fails");
	tap_is_int(temp, 0, "... for good");
	tap_ok(why && strstr(why, "67"), "why: %s", why ? why : "(null)");
	free(why);
	buf_free(&got);
	buf_free(&path);
}

int
main(void)
{
	setup();
	test_may_return();
	test_build();
	test_build_more();
	test_refused();
	test_send();
	conf_free(&conf);
	return tap_done();
}
