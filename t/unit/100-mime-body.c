/*
 * mime: ENVELOPE, BODYSTRUCTURE and BODY strings of whole messages.
 *
 * The expected strings follow RFC 3501 7.4.2. Where RFC 3501 leaves the
 * choice open they match Dovecot, the de facto standard (lower-case
 * defaults, ("charset" "us-ascii") added to text parts, Content-*
 * ignored outside MIME entities, an empty multipart written with one
 * empty text/plain part, RFC 2231 continuations merged but not decoded,
 * quoted strings up to four escapes, literals for 8-bit, CR and LF).
 * Each message's strings are also parsed back and compared with the
 * parser's tree.
 */
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "lib/tap.h"

#define TXT(size, lines) "(\"text\" \"plain\" (\"charset\" \"us-ascii\") " \
	"NIL NIL \"7bit\" " #size " " #lines " NIL NIL NIL NIL)"
#define NOENV "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

struct body_test {
	const char	*name;
	const char	*msg;
	size_t		 len;		/* 0: strlen(msg) */
	const char	*envelope;	/* NULL: not checked */
	const char	*bodystructure;
	const char	*body;		/* NULL: not checked */
};

static const struct body_test tests[] = {
	{ "simple text",
	  "From: Alice <alice@example.com>\r\n"
	  "To: bob@example.org\r\n"
	  "Subject: hello\r\n"
	  "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
	  "Message-ID: <B27397-0100000@cac.washington.edu>\r\n"
	  "\r\n"
	  "Hello Bob,\r\n"
	  "how are you?\r\n", 0,
	  "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"hello\" "
	  "((\"Alice\" NIL \"alice\" \"example.com\")) "
	  "((\"Alice\" NIL \"alice\" \"example.com\")) "
	  "((\"Alice\" NIL \"alice\" \"example.com\")) "
	  "((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL "
	  "\"<B27397-0100000@cac.washington.edu>\")",
	  TXT(26, 2),
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 26 2)" },

	{ "multipart/mixed with an attachment, RFC 2231 filename",
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n"
	  "\r\n"
	  "preamble\r\n"
	  "--XyZ\r\n"
	  "Content-Type: text/plain; charset=UTF-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n"
	  "\r\n"
	  "caf=C3=A9\r\n"
	  "--XyZ\r\n"
	  "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "Content-Disposition: attachment;\r\n"
	  " filename*0*=utf-8''%E2%82%AC;\r\n"
	  " filename*1=\".pdf\"\r\n"
	  "Content-Language: de\r\n"
	  "\r\n"
	  "JVBERi0=\r\n"
	  "--XyZ--\r\n"
	  "epilogue\r\n", 0,
	  NOENV,
	  "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL "
	  "\"quoted-printable\" 9 0 NIL NIL NIL NIL)"
	  "(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 8 "
	  "NIL (\"attachment\" (\"filename*\" \"utf-8''%E2%82%AC.pdf\")) "
	  "(\"de\") NIL) \"mixed\" (\"boundary\" \"XyZ\") NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL "
	  "\"quoted-printable\" 9 0)(\"application\" \"pdf\" "
	  "(\"name\" \"a.pdf\") NIL NIL \"base64\" 8) \"mixed\")" },

	{ "alternative with a related html part",
	  "Content-Type: multipart/alternative; boundary=alt\r\n"
	  "\r\n"
	  "--alt\r\n"
	  "Content-Type: text/plain\r\n"
	  "\r\n"
	  "plain\r\n"
	  "--alt\r\n"
	  "Content-Type: multipart/related; boundary=rel; type=\"text/html\"\r\n"
	  "\r\n"
	  "--rel\r\n"
	  "Content-Type: text/html; charset=iso-8859-1\r\n"
	  "Content-ID: <html@x>\r\n"
	  "\r\n"
	  "<b>hi</b>\r\n"
	  "--rel\r\n"
	  "Content-Type: image/png\r\n"
	  "Content-ID: <img@x>\r\n"
	  "Content-Disposition: inline\r\n"
	  "\r\n"
	  "iVBO\r\n"
	  "--rel--\r\n"
	  "--alt--\r\n", 0,
	  NOENV,
	  "(" TXT(5, 0) "((\"text\" \"html\" (\"charset\" \"iso-8859-1\") "
	  "\"<html@x>\" NIL \"7bit\" 9 0 NIL NIL NIL NIL)"
	  "(\"image\" \"png\" NIL \"<img@x>\" NIL \"7bit\" 4 NIL "
	  "(\"inline\" NIL) NIL NIL) \"related\" "
	  "(\"boundary\" \"rel\" \"type\" \"text/html\") NIL NIL NIL) "
	  "\"alternative\" (\"boundary\" \"alt\") NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
	  "((\"text\" \"html\" (\"charset\" \"iso-8859-1\") \"<html@x>\" NIL "
	  "\"7bit\" 9 0)(\"image\" \"png\" NIL \"<img@x>\" NIL \"7bit\" 4) "
	  "\"related\") \"alternative\")" },

	{ "forwarded message/rfc822",
	  "From: a@b\r\n"
	  "Subject: Fwd: x\r\n"
	  "Content-Type: multipart/mixed; boundary=b\r\n"
	  "\r\n"
	  "--b\r\n"
	  "\r\n"
	  "see below\r\n"
	  "--b\r\n"
	  "Content-Type: message/rfc822\r\n"
	  "Content-Description: forwarded\r\n"
	  "\r\n"
	  "From: \"C. D.\" <c@d>\r\n"
	  "Subject: inner\r\n"
	  "\r\n"
	  "inner body\r\n"
	  "--b--\r\n", 0,
	  "(NIL \"Fwd: x\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	  "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)",
	  "(" TXT(9, 0) "(\"message\" \"rfc822\" NIL NIL \"forwarded\" "
	  "\"7bit\" 49 (NIL \"inner\" ((\"C. D.\" NIL \"c\" \"d\")) "
	  "((\"C. D.\" NIL \"c\" \"d\")) ((\"C. D.\" NIL \"c\" \"d\")) "
	  "NIL NIL NIL NIL NIL) " TXT(10, 0) " 3 NIL NIL NIL NIL) "
	  "\"mixed\" (\"boundary\" \"b\") NIL NIL NIL)", NULL },

	{ "Content-* without MIME-Version or Content-Type is ignored",
	  "Subject: x\r\nContent-Transfer-Encoding: base64\r\n"
	  "Content-Description: d\r\n\r\naGk=\r\n", 0,
	  NULL, TXT(6, 1), NULL },

	{ "MIME-Version makes Content-* count",
	  "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
	  "\r\naGk=\r\n", 0,
	  NULL, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	  "\"base64\" 6 1 NIL NIL NIL NIL)", NULL },

	{ "multipart without boundary parameter",
	  "Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n", 0,
	  NULL, "(" TXT(0, 0) " \"mixed\" NIL NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
	  " \"mixed\")" },

	{ "boundary never found",
	  "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--x\r\nhi\r\n",
	  0, NULL,
	  "(" TXT(0, 0) " \"mixed\" (\"boundary\" \"zz\") NIL NIL NIL)", NULL },

	{ "empty boundary parameter",
	  "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\nhi\r\n",
	  0, NULL,
	  "(" TXT(0, 0) " \"mixed\" (\"boundary\" \"\") NIL NIL NIL)", NULL },

	{ "last part without close delimiter runs to the end",
	  "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
	  "--zz\r\n\r\nabc\r\n", 0, NULL,
	  "(" TXT(5, 1) " \"mixed\" (\"boundary\" \"zz\") NIL NIL NIL)", NULL },

	{ "delimiters match on prefix, with padding",
	  "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
	  "--zz  \r\n\r\na\r\n--zzz\r\n\r\nbc\r\n--zz-- trailing\r\n", 0, NULL,
	  "(" TXT(1, 0) TXT(2, 0) " \"mixed\" (\"boundary\" \"zz\") "
	  "NIL NIL NIL)", NULL },

	{ "longest boundary wins over a shorter prefix",
	  "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
	  "--a\r\nContent-Type: multipart/mixed; boundary=ab\r\n\r\n"
	  "--ab\r\n\r\nx\r\n--ab--\r\n--a--\r\n", 0, NULL,
	  "((" TXT(1, 0) " \"mixed\" (\"boundary\" \"ab\") NIL NIL NIL) "
	  "\"mixed\" (\"boundary\" \"a\") NIL NIL NIL)", NULL },

	{ "outer boundary closes inner parts",
	  "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	  "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
	  "--i\r\n\r\nx\r\n--o\r\n\r\ny\r\n--o--\r\n", 0, NULL,
	  "((" TXT(1, 0) " \"mixed\" (\"boundary\" \"i\") NIL NIL NIL)"
	  TXT(1, 0) " \"mixed\" (\"boundary\" \"o\") NIL NIL NIL)", NULL },

	{ "boundary inside a part header ends it",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/html\r\n--b\r\n\r\nz\r\n--b--\r\n", 0,
	  NULL,
	  "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 "
	  "NIL NIL NIL NIL)" TXT(1, 0) " \"mixed\" (\"boundary\" \"b\") "
	  "NIL NIL NIL)", NULL },

	{ "no header/body separator",
	  "Subject: hi\r\nFrom: a@b\r\n", 0,
	  "(NIL \"hi\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	  "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)", TXT(0, 0), NULL },

	{ "empty message", "", 0, NOENV, TXT(0, 0), NULL },

	{ "NUL bytes become U+FFFD in strings",
	  "Subject: a\0b\r\n\r\nx\0y\r\n", 21,
	  "(NIL {5}\r\na\xef\xbf\xbd" "b NIL NIL NIL NIL NIL NIL NIL NIL)",
	  TXT(5, 1), NULL },

	{ "bare LF line ends",
	  "Subject: s\nContent-Type: text/plain; charset=utf-8\n\n"
	  "line1\nline2\n", 0, NULL,
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 2 "
	  "NIL NIL NIL NIL)", NULL },

	{ "bare LF multipart",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n", 0,
	  NULL, "(" TXT(1, 0) " \"mixed\" (\"boundary\" \"b\") NIL NIL NIL)",
	  NULL },

	{ "multipart/digest parts default to message/rfc822",
	  "Content-Type: multipart/digest; boundary=d\r\n\r\n"
	  "--d\r\n\r\nSubject: m1\r\n\r\nb1\r\n--d--\r\n", 0, NULL,
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 17 "
	  "(NIL \"m1\" NIL NIL NIL NIL NIL NIL NIL NIL) " TXT(2, 0) " 2 "
	  "NIL NIL NIL NIL) \"digest\" (\"boundary\" \"d\") NIL NIL NIL)",
	  NULL },

	{ "unparsable Content-Type means text/plain (RFC 2045 5.2)",
	  "MIME-Version: 1.0\r\nContent-Type: text\r\n\r\nx", 0, NULL,
	  TXT(1, 0), NULL },

	{ "Content-Type of punctuation",
	  "Content-Type: ;;;\r\n\r\nx", 0, NULL, TXT(1, 0), NULL },

	{ "case kept, charset found in any case",
	  "Content-Type: TEXT/HTML; CHARSET=UTF-8\r\n\r\nx", 0, NULL,
	  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7bit\" 1 0 "
	  "NIL NIL NIL NIL)", NULL },

	{ "comments and spaces in Content-Type",
	  "Content-Type: text/plain (c) ; charset = \"iso-8859-1\" (d)\r\n"
	  "\r\nx", 0, NULL,
	  "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"7bit\" "
	  "1 0 NIL NIL NIL NIL)", NULL },

	{ "RFC 2231: plain first, then merged or kept numbered",
	  "Content-Type: application/x; z=1; title*1*=%41; "
	  "title*0=\"a%b\"; name*0=\"a\"; name*2=\"c\"\r\n\r\nx", 0, NULL,
	  "(\"application\" \"x\" (\"z\" \"1\" \"name*0\" \"a\" "
	  "\"name*2\" \"c\" \"title*\" \"''a%25b%41\") NIL NIL \"7bit\" 1 "
	  "NIL NIL NIL NIL)", NULL },

	{ "invalid transfer encoding is the 7bit default",
	  "Content-Type: text/plain\r\nContent-Transfer-Encoding: ?bad\r\n"
	  "\r\nx", 0, NULL, TXT(1, 0), NULL },

	{ "8-bit, many quotes and folded values",
	  "Content-Type: application/x-y\r\n"
	  "Content-Description: caf\xc3\xa9\r\n"
	  "Content-ID: a\"b\"c\"d\"e\"f\r\n"
	  "Content-Location: http://x/\r\n y\r\n\r\nx", 0, NULL,
	  "(\"application\" \"x-y\" NIL {11}\r\na\"b\"c\"d\"e\"f "
	  "{5}\r\ncaf\xc3\xa9 \"7bit\" 1 NIL NIL NIL \"http://x/ y\")", NULL },

	{ "top-level message/rfc822 with multipart inside",
	  "Content-Type: message/rfc822\r\n\r\n"
	  "Subject: in\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
	  "--q\r\n\r\nA\r\n--q\r\n\r\nB\r\n--q--\r\n", 0, NULL,
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 85 "
	  "(NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
	  "(" TXT(1, 0) TXT(1, 0) " \"mixed\" (\"boundary\" \"q\") "
	  "NIL NIL NIL) 10 NIL NIL NIL NIL)", NULL },

	{ "message/rfc822 part cut by a boundary in its header",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: message/rfc822\r\n--b--\r\n", 0, NULL,
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 " NOENV " "
	  TXT(0, 0) " 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") "
	  "NIL NIL NIL)", NULL },
};

static void
check(const struct body_test *t)
{
	struct mime_info info;
	struct mime_tree *tree;
	size_t len = t->len ? t->len : strlen(t->msg);
	const struct mime_view *v;
	char *why = NULL;

	if (!tap_ok(mime_parse(t->msg, len, &info) == 0, "%s: parses",
	    t->name))
		return;
	v = &info.view;
	if (t->envelope != NULL)
		tap_is_mem(v->envelope.s, v->envelope.len, t->envelope,
		    strlen(t->envelope), "%s: ENVELOPE", t->name);
	tap_is_mem(v->bodystructure.s, v->bodystructure.len, t->bodystructure,
	    strlen(t->bodystructure), "%s: BODYSTRUCTURE", t->name);
	if (t->body != NULL)
		tap_is_mem(v->body.s, v->body.len, t->body, strlen(t->body),
		    "%s: BODY", t->name);
	if (mime_bodystructure_parse(v->bodystructure.s, v->bodystructure.len,
	    &tree, &why) == 0) {
		tap_ok(mime_body_equal(info.body, tree->body, 1),
		    "%s: BODYSTRUCTURE parses back to the same tree", t->name);
		mime_tree_free(tree);
	} else
		tap_ok(0, "%s: BODYSTRUCTURE parses back: %s", t->name, why);
	if (mime_bodystructure_parse(v->body.s, v->body.len, &tree, &why) == 0) {
		tap_ok(mime_body_equal(info.body, tree->body, 0),
		    "%s: BODY parses back to the same tree", t->name);
		mime_tree_free(tree);
	} else
		tap_ok(0, "%s: BODY parses back: %s", t->name, why);
	if (mime_envelope_parse(v->envelope.s, v->envelope.len, &tree,
	    &why) == 0) {
		tap_ok(mime_env_equal(info.env, tree->env),
		    "%s: ENVELOPE parses back to the same tree", t->name);
		mime_tree_free(tree);
	} else
		tap_ok(0, "%s: ENVELOPE parses back: %s", t->name, why);
	free(why);
	mime_info_free(&info);
}

/* Syntax errors of the BODYSTRUCTURE parser. */
static void
check_bad_syntax(void)
{
	static const char *const bad[] = {
		"", "(", "()", "(\"text\")", "(\"text\" \"plain\" NIL NIL NIL "
		"\"7bit\" 1)", "(\"a\" \"b\" NIL NIL NIL \"7bit\" x)",
		"(\"a\" \"b\" NIL NIL NIL \"7bit\" 1) ", "(\"a\" \"b\" (\"c\") NIL "
		"NIL \"7bit\" 1)", "(\"a\" \"b\" NIL NIL NIL {5}\r\nab)",
		"(\"a\" \"b\" NIL NIL NIL \"7b\nit\" 1)",
		"(\"a\" \"b\" NIL NIL NIL NIL 1)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 1 NIL " TXT(0, 0)
		" 0)", "((\"a\" \"b\" NIL NIL NIL \"7bit\" 1))",
		"(\"a\" \"b\" NIL NIL NIL \"7bit\" 99999999999999999999999)",
	};
	struct mime_tree *tree;
	char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		tap_ok(mime_bodystructure_parse(bad[i], strlen(bad[i]), &tree,
		    &why) == -1 && tree == NULL && why != NULL,
		    "bad BODYSTRUCTURE %zu refused (%s)", i, why ? why : "-");
		free(why);
	}
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		check(&tests[i]);
	check_bad_syntax();
	return tap_done();
}
