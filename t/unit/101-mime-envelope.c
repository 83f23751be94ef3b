/*
 * mime: ENVELOPE fields and RFC 5322 address lists.
 *
 * Addresses are RFC 3501 (name adl mailbox host) quadruples; a group is
 * a start marker (NIL NIL "name" NIL) and an end marker (NIL NIL NIL
 * NIL). What cannot be parsed gets Dovecot's placeholders
 * (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR, INVALID_ROUTE), and
 * the list continues after the next comma. Most examples are from RFC
 * 5322 appendix A.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "lib/tap.h"

struct addr_test {
	const char	*value;		/* of a To: field */
	const char	*want;		/* the ENVELOPE's to member */
};

static const struct addr_test addr_tests[] = {
	{ "a@b", "((NIL NIL \"a\" \"b\"))" },
	{ "Joe Q. Public <john.q.public@example.com>",
	  "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\"))" },
	{ "\"Joe Q. Public\" <john.q.public@example.com>",
	  "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\"))" },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	  "((\"Mary Smith\" NIL \"mary\" \"x.test\")"
	  "(NIL NIL \"jdoe\" \"example.org\")(\"Who?\" NIL \"one\" \"y.test\"))" },
	{ "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	  "((NIL NIL \"boss\" \"nil.test\")"
	  "(\"Giant; \\\"Big\\\" Box\" NIL \"sysservices\" \"example.net\"))" },
	{ "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	  "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")"
	  "(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")"
	  "(NIL NIL NIL NIL))" },
	{ "Undisclosed recipients:;",
	  "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL))" },
	{ "g: a@b; , c@d",
	  "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)"
	  "(NIL NIL \"c\" \"d\"))" },
	{ "unterminated: a@b",
	  "((NIL NIL \"unterminated\" NIL)(NIL NIL \"a\" \"b\")"
	  "(NIL NIL NIL NIL))" },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	  "((\"Pete\" NIL \"pete\" \"silly.test\"))" },
	{ "john.doe@example.com (John Doe)",
	  "((\"John Doe\" NIL \"john.doe\" \"example.com\"))" },
	{ "<@node.test,@node2.test:mary@example.net>",
	  "((NIL \"@node.test,@node2.test\" \"mary\" \"example.net\"))" },
	{ "<@node.test mary@example.net>",
	  "((NIL \"INVALID_ROUTE\" \"mary\" \"example.net\"))" },
	{ "\"a@b\"@c", "((NIL NIL \"a@b\" \"c\"))" },
	{ "x@[192.0.2.1]", "((NIL NIL \"x\" \"[192.0.2.1]\"))" },
	{ "john . doe @ example . com", "((NIL NIL \"john.doe\" \"example.com\"))" },
	{ "john..doe.@example.com", "((NIL NIL \"john..doe.\" \"example.com\"))" },
	{ "foo", "((NIL NIL \"foo\" \"MISSING_DOMAIN\"))" },
	{ "Foo Bar",
	  "((\"Foo Bar\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))" },
	{ "<>", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))" },
	{ "@host", "((NIL NIL \"MISSING_MAILBOX\" \"host\"))" },
	{ "Name <user@host", "((\"Name\" NIL \"user\" \"SYNTAX_ERROR\"))" },
	{ "a@b, garbage>>>, c@d",
	  "((NIL NIL \"a\" \"b\")"
	  "(\"garbage\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"c\" \"d\"))" },
	{ "a@b c@d", "((NIL NIL \"a\" \"b\"))" },
	{ ",,a@b,,", "((NIL NIL \"a\" \"b\"))" },
	{ "", "NIL" },
	{ ",,,", "NIL" },
	{ ";;>>", "NIL" },
	{ "(only a comment)", "NIL" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x>",
	  "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))" },
	{ "J\xc3\xb6rg <j@x>", "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x\"))" },
	{ "\"a\\\\b\" <c@d>", "((\"a\\\\b\" NIL \"c\" \"d\"))" },
	{ "\"line\r\n break\" <c@d>", "((\"line break\" NIL \"c\" \"d\"))" },
	{ "Al\rice <c@d>", "((\"Al ice\" NIL \"c\" \"d\"))" },
};

static const char *
to_member(const char *env, size_t len, struct buf *out)
{
	/* (date subject from sender reply-to to ...): the 6th member */
	static const char prefix[] = "(NIL NIL NIL NIL NIL ";
	static const char suffix[] = " NIL NIL NIL NIL)";

	buf_reset(out);
	if (len < sizeof(prefix) + sizeof(suffix) - 2 ||
	    memcmp(env, prefix, sizeof(prefix) - 1) != 0 ||
	    memcmp(env + len - (sizeof(suffix) - 1), suffix,
	    sizeof(suffix) - 1) != 0)
		return "(unexpected envelope)";
	buf_append(out, env + sizeof(prefix) - 1,
	    len - (sizeof(prefix) - 1) - (sizeof(suffix) - 1));
	return buf_cstr(out);
}

/* The value shown in a TAP line: control characters as '.'. */
static const char *
shown(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < ' ' ? '.' : s[i];
	out[i] = '\0';
	return out;
}

static void
check_addresses(void)
{
	char name[128];
	struct buf msg = BUF_INIT, got = BUF_INIT;
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(addr_tests) / sizeof(addr_tests[0]); i++) {
		buf_reset(&msg);
		buf_printf(&msg, "To: %s\r\n\r\n", addr_tests[i].value);
		mime_parse(msg.data, msg.len, &info);
		tap_is_str(to_member(info.view.envelope.s,
		    info.view.envelope.len, &got), addr_tests[i].want,
		    "To: %s", shown(addr_tests[i].value, name, sizeof(name)));
		mime_info_free(&info);
	}
	buf_free(&msg);
	buf_free(&got);
}

struct env_test {
	const char	*name;
	const char	*header;
	const char	*want;
};

static const struct env_test env_tests[] = {
	{ "Sender and Reply-To default to From (RFC 3501 7.4.2)",
	  "From: a@b\r\nSender:\r\nReply-To: \r\n",
	  "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	  "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)" },
	{ "all ten fields",
	  "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
	  "Subject: s\r\nFrom: f@x\r\nSender: s@x\r\nReply-To: r@x\r\n"
	  "To: t@x\r\nCc: c@x\r\nBcc: b@x\r\nIn-Reply-To: <i@x>\r\n"
	  "Message-ID: <m@x>\r\n",
	  "(\"Tue, 1 Jul 2003 10:52:37 +0200\" \"s\" ((NIL NIL \"f\" \"x\")) "
	  "((NIL NIL \"s\" \"x\")) ((NIL NIL \"r\" \"x\")) "
	  "((NIL NIL \"t\" \"x\")) ((NIL NIL \"c\" \"x\")) "
	  "((NIL NIL \"b\" \"x\")) \"<i@x>\" \"<m@x>\")" },
	{ "the first of repeated fields counts, names in any case",
	  "SUBJECT: one\r\nsubject: two\r\nfrom : a@b\r\nFROM: c@d\r\n",
	  "(NIL \"one\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	  "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)" },
	{ "folding: CRLF removed, whitespace kept",
	  "Subject: a\r\n b\r\n\tc\r\n",
	  "(NIL \"a b\tc\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "empty subject is an empty string, not NIL",
	  "Subject:\r\n",
	  "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "encoded words stay encoded",
	  "Subject: =?utf-8?q?caf=C3=A9?=\r\n",
	  "(NIL \"=?utf-8?q?caf=C3=A9?=\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "8-bit subject is a literal",
	  "Subject: caf\xc3\xa9\r\n",
	  "(NIL {5}\r\ncaf\xc3\xa9 NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "quotes and backslashes are escaped",
	  "Subject: say \"hi\\\"\r\n",
	  "(NIL \"say \\\"hi\\\\\\\"\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "In-Reply-To and Message-ID kept verbatim",
	  "In-Reply-To: Your message of <x@y> (Monday)\r\n"
	  "Message-ID:   <  a@b  >\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL "
	  "\"Your message of <x@y> (Monday)\" \"<  a@b  >\")" },
	{ "a field name with a space is not that field",
	  "Sub ject: x\r\n X-From: a@b\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
};

static void
check_envelopes(void)
{
	struct buf msg = BUF_INIT;
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(env_tests) / sizeof(env_tests[0]); i++) {
		buf_reset(&msg);
		buf_printf(&msg, "%s\r\nbody\r\n", env_tests[i].header);
		mime_parse(msg.data, msg.len, &info);
		tap_is_mem(info.view.envelope.s, info.view.envelope.len,
		    env_tests[i].want, strlen(env_tests[i].want), "%s",
		    env_tests[i].name);
		mime_info_free(&info);
	}
	buf_free(&msg);
}

/* A Subject longer than MIME_MAX_HEADER_LINE is cut there. */
static void
check_long_subject(void)
{
	struct buf msg = BUF_INIT;
	struct mime_info info;
	size_t i;

	buf_puts(&msg, "Subject: ");
	for (i = 0; i < 100000; i++)
		buf_putc(&msg, 'a' + (int)(i % 26));
	buf_puts(&msg, "\r\nTo: x@y\r\n\r\nbody\r\n");
	mime_parse(msg.data, msg.len, &info);
	/* (NIL "..." NIL NIL NIL ((NIL NIL "x" "y")) NIL NIL NIL NIL) */
	tap_is_int((long long)info.view.envelope.len,
	    (long long)(MIME_MAX_HEADER_LINE + 2 + 54),
	    "100 KB subject: ENVELOPE has the first %d bytes",
	    MIME_MAX_HEADER_LINE);
	tap_ok(memcmp(info.view.envelope.s, "(NIL \"abcdefghij", 16) == 0,
	    "long subject starts as it should");
	tap_ok(info.view.flags & MIME_F_FIELDS_PARTIAL,
	    "fields longer than MIME_MAX_FIELDS are not cached");
	tap_is_int((long long)info.view.fields.len, 0, "no cached fields");
	tap_is_int((long long)info.view.header_len, (long long)msg.len - 6,
	    "header_len covers the whole long header");
	mime_info_free(&info);
	buf_free(&msg);
}

int
main(void)
{
	check_addresses();
	check_envelopes();
	check_long_subject();
	return tap_done();
}
