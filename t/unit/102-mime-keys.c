/*
 * mime: RFC 2047 decoding and the SORT/THREAD keys (RFC 5256, RFC 5957):
 * base subject, sent date, first addresses, display names, msg-ids.
 * Expected times were computed with Python's calendar.timegm().
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "lib/tap.h"

struct words_test {
	const char	*in, *want;
};

static const struct words_test words_tests[] = {
	{ "plain text", "plain text" },
	{ "=?iso-8859-1?q?J=F6rg?=", "J\xc3\xb6rg" },
	{ "=?utf-8?b?Y2Fmw6k=?=", "caf\xc3\xa9" },
	{ "=?UTF-8?B?Y2Fmw6k?=", "caf\xc3\xa9" },
	{ "a =?utf-8?q?b?= =?utf-8?q?c?= d", "a bc d" },
	{ "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab" },
	{ "=?utf-8?q?a_b?=", "a b" },
	{ "=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "caf\xc3\xa9" },
	{ "=?utf-8?q?a?= =?iso-8859-1?q?=E9?=", "a\xc3\xa9" },
	{ "=?utf-8*en?q?a?=", "a" },
	{ "=?windows-1252?q?=80?=", "\xe2\x82\xac" },
	{ "=?iso-2022-jp?b?GyRCJEgbKEI=?=", "\xe3\x81\xa8" },
	{ "=?bogus-charset?q?a=E9?=", "a\xef\xbf\xbd" },
	{ "=?utf-8?q?=FF?=", "\xef\xbf\xbd" },
	{ "=?../../etc/x?q?a?=", "=?../../etc/x?q?a?=" },
	{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=" },
	{ "=?utf-8?b?!!!?=", "=?utf-8?b?!!!?=" },
	{ "=?utf-8?q?a b?=", "=?utf-8?q?a b?=" },
	{ "=?utf-8?q?unterminated", "=?utf-8?q?unterminated" },
	{ "=?=?utf-8?q?x?=", "=?x" },
	{ "x=?utf-8?q?y?=z", "xyz" },
	{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
	{ "=?utf-8?q?a?= b", "a b" },
	{ "", "" },
};

static void
check_words(void)
{
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(words_tests) / sizeof(words_tests[0]); i++) {
		buf_reset(&out);
		mime_decode_words(words_tests[i].in, strlen(words_tests[i].in),
		    &out);
		tap_is_str(buf_cstr(&out), words_tests[i].want,
		    "decode words %zu", i);
	}
	buf_free(&out);
}

struct subject_test {
	const char	*subject, *base;
	int		 refwd;
};

static const struct subject_test subject_tests[] = {
	{ "test", "test", 0 },
	{ "Re: test", "test", 1 },
	{ "Re: Re: RE: test", "test", 1 },
	{ "RE: [list] Fwd: test (fwd)", "test", 1 },
	{ "[fwd: test]", "test", 1 },
	{ "[Fwd: Re: test]", "test", 1 },
	{ "Re: [fwd: x]", "x", 1 },
	{ "[list] test", "test", 0 },
	{ "[list]", "[list]", 0 },
	{ "[a][b]", "[b]", 0 },
	{ "[a] [b] [c] x", "x", 0 },
	{ "Re:", "", 1 },
	{ "  test  ", "test", 0 },
	{ "test (fwd) (FWD)", "test", 1 },
	{ "Fw: x", "x", 1 },
	{ "Fwd:x", "x", 1 },
	{ "re [blob]: x", "x", 1 },
	{ "Re : x", "x", 1 },
	{ "reply", "reply", 0 },
	{ "\t Re:\t x", "x", 1 },
	{ "a  \t b", "a b", 0 },
	{ "=?utf-8?q?Re=3A_caf=C3=A9?=", "caf\xc3\xa9", 1 },
	{ "[list] [fwd: [x] y]", "y", 1 },
	{ "", "", 0 },
};

static void
check_subjects(void)
{
	struct buf msg = BUF_INIT;
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(subject_tests) / sizeof(subject_tests[0]); i++) {
		const struct subject_test *t = &subject_tests[i];

		buf_reset(&msg);
		buf_printf(&msg, "Subject: %s\r\n\r\n", t->subject);
		mime_parse(msg.data, msg.len, &info);
		tap_is_str(info.view.base_subject.s, t->base,
		    "base subject of \"%s\"", t->subject);
		tap_is_int(!!(info.view.flags & MIME_F_REFWD), t->refwd,
		    "reply/forward flag of \"%s\"", t->subject);
		mime_info_free(&info);
	}
	buf_free(&msg);
}

struct date_test {
	const char	*date;
	long long	 t;
	int		 zone, ok;
};

static const struct date_test date_tests[] = {
	{ "Mon, 7 Feb 1994 21:52:25 -0800 (PST)", 760686745, -480, 1 },
	{ "Sat, 24 Mar 2017 23:00:00 +0200", 1490389200, 120, 1 },
	{ "1 Jul 2003 10:52:37 GMT", 1057056757, 0, 1 },
	{ "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", 1057049557, 120, 1 },
	{ "Tue, 1 Jul 03 10:52 EDT", 1057071120, -240, 1 },
	{ "Thu, 1 Jul 99 10:52:00 +0000", 930826320, 0, 1 },
	{ "Thu, 13 Feb 2003 23:59:60 +0100", 1045177200, 60, 1 },
	{ "Tue Jul  1 10:52:37 2003", 1057056757, 0, 1 },
	{ "Tue, 29 Feb 2000 00:00:00 +0000", 951782400, 0, 1 },
	{ "1 Jan 1970 00:00:00 +0100", -3600, 60, 1 },
	{ " ( c ) Tue , 1 Jul 2003 10 : 52 : 37 Z", 1057056757, 0, 1 },
	{ "31 Feb 2003 10:00:00 +0000", 0, 0, 0 },
	{ "29 Feb 1900 00:00:00 +0000", 0, 0, 0 },
	{ "1 Jul 2003 24:00:00 +0000", 0, 0, 0 },
	{ "1 Foo 2003 10:00:00 +0000", 0, 0, 0 },
	{ "1 Jul 20033 10:00:00 +0000", 0, 0, 0 },
	{ "yesterday", 0, 0, 0 },
	{ "", 0, 0, 0 },
};

static void
check_dates(void)
{
	struct buf msg = BUF_INIT;
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(date_tests) / sizeof(date_tests[0]); i++) {
		const struct date_test *t = &date_tests[i];

		buf_reset(&msg);
		buf_printf(&msg, "Date: %s\r\n\r\n", t->date);
		mime_parse(msg.data, msg.len, &info);
		tap_is_int((long long)info.view.date, t->t, "date of \"%s\"",
		    t->date);
		tap_is_int(info.view.zone, t->zone, "zone of \"%s\"", t->date);
		tap_is_int(!!(info.view.flags & MIME_F_DATE), t->ok,
		    "MIME_F_DATE for \"%s\"", t->date);
		mime_info_free(&info);
	}
	mime_parse("Subject: x\r\n\r\n", 14, &info);
	tap_ok(info.view.date == 0 && !(info.view.flags & MIME_F_DATE),
	    "no Date: gives 0 and no MIME_F_DATE (caller uses INTERNALDATE)");
	mime_info_free(&info);
	buf_free(&msg);
}

struct addr_key_test {
	const char	*from;
	const char	*addr;
	size_t		 mbox_len;
	const char	*display;
};

static const struct addr_key_test addr_key_tests[] = {
	{ "\"Doe, John\" <John.Doe@Example.COM>", "john.doe@example.com", 8,
	  "Doe, John" },
	{ "=?utf-8?q?J=C3=B6rg?= <J@X>", "j@x", 1, "J\xc3\xb6rg" },
	{ "j@x", "j@x", 1, "j@x" },
	{ "j@x (Jay)", "j@x", 1, "Jay" },
	{ "\"  \" <j@x>", "j@x", 1, "j@x" },
	{ "G: A@B, c@d;", "a@b", 1, "A@B" },
	{ "foo", "foo", 3, "foo" },
	{ "Foo Bar", "", 0, "Foo Bar" },
	{ "", "", 0, "" },
	{ "=?utf-8?q?a?=  =?utf-8?q?b?=   c <x@y>", "x@y", 1, "ab c" },
};

static void
check_addr_keys(void)
{
	struct buf msg = BUF_INIT;
	struct mime_info info;
	const struct mime_view *v = &info.view;
	size_t i;

	for (i = 0; i < sizeof(addr_key_tests) / sizeof(addr_key_tests[0]);
	    i++) {
		const struct addr_key_test *t = &addr_key_tests[i];

		buf_reset(&msg);
		buf_printf(&msg, "From: %s\r\nTo: %s\r\nCc: %s\r\n\r\n",
		    t->from, t->from, t->from);
		mime_parse(msg.data, msg.len, &info);
		tap_is_str(v->from.addr.s, t->addr, "from addr of %s", t->from);
		tap_is_int((long long)v->from.mbox_len, (long long)t->mbox_len,
		    "from mailbox length of %s", t->from);
		tap_is_str(v->from.display.s, t->display, "display of %s",
		    t->from);
		tap_ok(strcmp(v->to.addr.s, t->addr) == 0 &&
		    strcmp(v->cc.addr.s, t->addr) == 0 &&
		    strcmp(v->to.display.s, t->display) == 0,
		    "to and cc keys of %s", t->from);
		mime_info_free(&info);
	}
	buf_free(&msg);
}

struct msgid_test {
	const char	*header;
	const char	*mid, *irt, *refs;
};

static const struct msgid_test msgid_tests[] = {
	{ "Message-ID: <a@b>\r\n", "<a@b>", "", "" },
	{ "Message-ID:  < a @ b > (c)\r\n", "<a@b>", "", "" },
	{ "Message-ID: a@b\r\n", "", "", "" },
	{ "Message-ID: <>\r\n", "", "", "" },
	{ "Message-ID: <a@<b@c>\r\n", "<b@c>", "", "" },
	{ "Message-ID: <\"x y\"@b>\r\n", "<\"x y\"@b>", "", "" },
	{ "In-Reply-To: John's message of \"x <y>\" <x@y> <z@w>\r\n", "",
	  "<x@y>", "" },
	{ "References: <1@a> <2@a>\r\n\t<3@a>\r\n", "", "", "<1@a> <2@a> <3@a>" },
	{ "References: junk <1@a> junk (<c@c>) <2@a\r\n", "", "", "<1@a>" },
};

static void
check_msgids(void)
{
	struct buf msg = BUF_INIT, want = BUF_INIT;
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(msgid_tests) / sizeof(msgid_tests[0]); i++) {
		const struct msgid_test *t = &msgid_tests[i];

		buf_reset(&msg);
		buf_printf(&msg, "%s\r\n", t->header);
		mime_parse(msg.data, msg.len, &info);
		tap_is_str(info.view.message_id.s, t->mid, "message-id %zu", i);
		tap_is_str(info.view.in_reply_to.s, t->irt, "in-reply-to %zu",
		    i);
		tap_is_str(info.view.references.s, t->refs, "references %zu", i);
		mime_info_free(&info);
	}
	/* References: the first and the last MIME_MAX_REFERENCES - 1 */
	buf_reset(&msg);
	buf_puts(&msg, "References:");
	for (i = 0; i < 250; i++)
		buf_printf(&msg, " <%zu@x>", i);
	buf_puts(&msg, "\r\n\r\n");
	buf_puts(&want, "<0@x>");
	for (i = 250 - (MIME_MAX_REFERENCES - 1); i < 250; i++)
		buf_printf(&want, " <%zu@x>", i);
	mime_parse(msg.data, msg.len, &info);
	tap_is_str(info.view.references.s, want.data,
	    "250 references: the first and the last %d kept",
	    MIME_MAX_REFERENCES - 1);
	mime_info_free(&info);
	buf_free(&msg);
	buf_free(&want);
}

int
main(void)
{
	check_words();
	check_subjects();
	check_dates();
	check_addr_keys();
	check_msgids();
	return tap_done();
}
