/*
 * Unit tests: the Sieve parser and check (lib/sieve_parse.c). Good
 * scripts parse; bad ones fail with the expected line, column and
 * message; every script also parses the same when fed with its limits
 * around it (size, depth, list and string lengths).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sieve.h"
#include "lib/tap.h"

static const char *const good[] = {
	"",
	"require [\"date\", \"relational\"];\n"
	"if currentdate :zone \"-0800\" :value \"ge\" \"date\" \"2026-12-01\" "
	"{ keep; }",
	"# only a comment\n",
	"/* bracket\n comment */ keep;",
	"keep;",
	"discard;",
	"stop;",
	"KEEP;",
	"require \"fileinto\"; fileinto \"Lists/popstore\";",
	"require [\"fileinto\", \"copy\"]; fileinto :copy \"X\";",
	"require [\"fileinto\", \"mailbox\"]; fileinto :create \"New\";",
	"redirect \"a@example.com\";",
	"require \"copy\"; redirect :copy \"a@example.com\";",
	"if true { keep; } elsif false { discard; } else { stop; }",
	"if anyof (true, false) { keep; }",
	"if allof (not false, true) { keep; }",
	"if header :contains \"subject\" \"money\" { discard; }",
	"if header :is [\"From\", \"Sender\"] [\"a\", \"b\"] { keep; }",
	"if header :matches \"subject\" \"*[SPAM]*\" { discard; }",
	"if address :domain :is \"from\" \"example.com\" { keep; }",
	"if address :all :comparator \"i;octet\" :contains \"to\" \"x\" {}",
	"require \"envelope\"; if envelope :localpart :is \"from\" \"x\" {}",
	"require [\"envelope\", \"subaddress\"];\n"
	    "if envelope :detail \"to\" \"lists\" { keep; }",
	"require \"subaddress\"; if address :user \"to\" \"joe\" {}",
	"if exists [\"X-Spam\", \"X-Virus\"] { discard; }",
	"if size :over 100K { discard; } if size :under 1M { keep; }",
	"if size :over 2G { discard; }",
	"require \"reject\"; reject \"go away\";",
	"require \"ereject\"; ereject text:\nNo thanks.\n..dot\n.\n;",
	"require \"vacation\"; vacation :days 3 :subject \"Away\" "
	    ":from \"me@example.com\" :addresses [\"a@b.c\"] :mime "
	    ":handle \"h\" \"I am away\";",
	"require \"vacation\"; vacation text: # comment\r\nAway\r\n.\r\n;",
	"require \"imap4flags\"; setflag \"\\\\Seen\"; addflag [\"a\", \"b\"];"
	    " removeflag \"a\"; keep :flags \"\\\\Flagged\";",
	"require [\"imap4flags\", \"variables\"]; setflag \"v\" \"\\\\Seen\";"
	    " if hasflag \"v\" \"\\\\Seen\" { keep; }",
	"require \"imap4flags\"; if hasflag :contains \"junk\" { discard; }",
	"require \"body\"; if body :contains \"viagra\" { discard; }",
	"require \"body\"; if body :raw :contains \"x\" { discard; }",
	"require \"body\"; if body :content \"text\" :contains \"x\" {}",
	"require \"relational\"; if header :count \"ge\" \"received\" \"30\" {}",
	"require [\"relational\", \"comparator-i;ascii-numeric\"];\n"
	    "if header :value \"gt\" :comparator \"i;ascii-numeric\" "
	    "\"x-spam-score\" \"5\" { discard; }",
	"require \"regex\"; if header :regex \"subject\" \"^\\\\[(.*)\\\\]\" {}",
	"require [\"variables\", \"fileinto\"]; set \"a\" \"b\";"
	    " set :lower :upperfirst \"c\" \"${a}\"; fileinto \"x.${c}\";",
	"require \"variables\"; if string :is \"${x}\" \"\" { keep; }",
	"require \"mailbox\"; if mailboxexists \"Junk\" { keep; }",
	"require \"comparator-i;octet\"; keep;",
	"if header :is \"x\" \"multi\nline\" { keep; }",
	"if true {}",
	"require \"fileinto\"; if true { fileinto \"a\"; } fileinto \"b\";",
};

struct bad {
	const char *script;
	const char *want;	/* prefix of the error: "LINE:COL: text" */
};

static const struct bad bad[] = {
	{ "if currentdate \"year\" \"2026\" { keep; }",
	    "1:4: currentdate needs require \"date\"" },
	{ "require \"date\"; if currentdate \"fortnight\" \"1\" { keep; }",
	    "1:20: unknown date part \"fortnight\"" },
	{ "require \"date\"; if currentdate :zone \"CET\" \"year\" \"1\" "
	    "{ keep; }", "1:32: :zone needs +hhmm or -hhmm" },
	{ "kep;", "1:1: unknown command \"kep\"" },
	{ "keep", "1:5: ';' expected before the end" },
	{ "keep;\n  fileinto \"x\";", "2:3: fileinto needs require \"fileinto\"" },
	{ "require \"nosuch\";", "1:1: unsupported extension \"nosuch\"" },
	{ "keep; require \"fileinto\";", "1:7: require must come before" },
	{ "if true { require \"fileinto\"; }", "1:11: require must come" },
	{ "else { keep; }", "1:1: else without if" },
	{ "if true keep;", "1:9: \"keep\" is not a test" },
	{ "if { keep; }", "1:1: if needs one test" },
	{ "if true;", "1:1: if needs a block" },
	{ "keep { }", "1:1: keep takes no block" },
	{ "if header \"subject\" { keep; }", "1:4: header: a key list expected" },
	{ "if header :is :contains \"a\" \"b\" {}", "1:15: more than one match" },
	{ "if header :foo \"a\" \"b\" {}", "1:11: unknown tag :foo" },
	{ "if size 100 {}", "1:4: size needs :over or :under" },
	{ "if size :over \"x\" {}", "1:15: size: a number expected" },
	{ "if size :over 99999999999999999999 {}", "1:15: number too large" },
	{ "redirect \"not an address\";", "1:1: redirect: bad address" },
	{ "redirect [\"a@b.c\"];", "1:10: redirect: a string expected" },
	{ "keep \"x\";", "1:6: keep: too many arguments" },
	{ "if header :is \"a\" \"b\" :is {}", "1:23: header: tag :is after" },
	{ "if header :comparator \"i;nope\" \"a\" \"b\" {}",
	    "1:11: unknown comparator" },
	{ "if header :comparator \"i;ascii-numeric\" \"a\" \"b\" {}",
	    "1:11: comparator \"i;ascii-numeric\" needs require" },
	{ "require \"comparator-i;ascii-numeric\";\n"
	    "if header :contains :comparator \"i;ascii-numeric\" \"a\" \"b\" {}",
	    "2:4: comparator i;ascii-numeric only" },
	{ "require \"regex\"; if header :regex \"s\" \"(\" {}",
	    "1:39: regular expression: missing closing parenthesis" },
	{ "require \"relational\"; if header :count \"xx\" \"a\" \"1\" {}",
	    "1:33: relational operator must be" },
	{ "if header :value \"gt\" \"a\" \"1\" {}",
	    "1:11: :count and :value needs require \"relational\"" },
	{ "if header :is \"bad name\" \"x\" {}", "1:4: bad header field name" },
	{ "require \"envelope\"; if envelope :is \"cc\" \"x\" {}",
	    "1:24: unknown envelope part \"cc\"" },
	{ "\"x\";", "1:1: command expected" },
	{ "keep; }", "1:7: unexpected '}'" },
	{ "if true { keep;", "1:16: '}' expected" },
	{ "if header :is \"a\" \"b", "1:19: unterminated string" },
	{ "/* open", "1:1: unterminated comment" },
	{ "require \"vacation\"; vacation text:\nabc\n",
	    "1:30: unterminated multi-line" },
	{ "keep;\n\n   @", "3:4: unexpected character '@'" },
	{ "if header :is [\"a\" \"b\"] \"c\" {}", "1:20: ',' or ']' expected" },
	{ "if anyof (true false) {}", "1:16: true takes no test" },
	{ "require \"fileinto\"; fileinto \"\";", "1:21: fileinto: bad folder" },
	{ "require \"variables\"; set \"1a\" \"b\";",
	    "1:22: set: bad variable name" },
	{ "require \"variables\"; set :lower :upper \"a\" \"b\";",
	    "1:33: conflicting modifier :upper" },
	{ "require \"vacation\"; vacation :days 1 :days 2 \"r\";",
	    "1:38: tag :days given twice" },
	{ "require \"vacation\"; vacation :from \"x y\" \"r\";",
	    "1:21: vacation: bad :from address" },
	{ "require \"body\"; require \"relational\";\n"
	    "if body :count \"eq\" \"1\" {}", "2:4: body cannot use :count" },
	{ "if header :is \"subject\" \"\xc3\x28\" {}",
	    "1:25: string is not valid UTF-8" },
	{ "if not true false {}", "1:13: true takes no test" },
	{ "require \"fileinto\"; fileinto :flags \"a\" \"x\";",
	    "1:30: :flags needs require \"imap4flags\"" },
	{ "require \"imap4flags\"; setflag \"v\" \"a\";",
	    "1:31: a variable name needs require \"variables\"" },
	{ "if 5 {}", "1:4: if: too many arguments" },
	{ "if true (false) {}", "1:10: true takes no test" },
	{ "require \"vacation\"; vacation :mime;",
	    "1:21: vacation: a string expected" },
};

static void
check_good(void)
{
	struct sieve_script *s;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = sieve_parse(good[i], strlen(good[i]), &s, &why);

		if (!tap_ok(rc == 0, "good %zu parses", i))
			tap_diag("script %s: %s", good[i], why);
		free(why);
		why = NULL;
		sieve_free(s);
	}
}

static void
check_bad(void)
{
	struct sieve_script *s;
	char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sieve_parse(bad[i].script, strlen(bad[i].script), &s,
		    &why);

		tap_ok(rc == -1 && s == NULL, "bad %zu refused", i);
		if (!tap_ok(why && strncmp(why, bad[i].want,
		    strlen(bad[i].want)) == 0, "bad %zu: error %s", i,
		    bad[i].want))
			tap_diag("got  %s", why ? why : "(none)");
		free(why);
		why = NULL;
	}
}

static int
parses(const char *text, size_t len, char **why_r)
{
	struct sieve_script *s = NULL;
	int rc = sieve_parse(text, len, &s, why_r);

	sieve_free(s);
	return rc;
}

static void
check_limits(void)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	int i;

	/* a 1 MB script is refused before parsing */
	for (i = 0; b.len < 1024 * 1024; i++)
		buf_puts(&b, "keep; # padding padding padding padding padding\n");
	tap_is_int(parses(b.data, b.len, &why), -1, "1 MB script refused");
	tap_ok(why && strstr(why, "SIEVE_SCRIPT_MAX") &&
	    strncmp(why, "1:1: ", 5) == 0, "1 MB: SIEVE_SCRIPT_MAX at 1:1");
	free(why);
	why = NULL;
	buf_truncate(&b, SIEVE_SCRIPT_MAX - 50);
	buf_truncate(&b, (size_t)(strrchr(b.data, '\n') - b.data) + 1);
	tap_is_int(parses(b.data, b.len, NULL), 0, "script just under the "
	    "limit parses");

	/* nesting */
	buf_reset(&b);
	for (i = 0; i < SIEVE_DEPTH_MAX; i++)
		buf_puts(&b, "if true {");
	for (i = 0; i < SIEVE_DEPTH_MAX; i++)
		buf_puts(&b, "}");
	tap_is_int(parses(b.data, b.len, NULL), 0, "%d nested blocks parse",
	    SIEVE_DEPTH_MAX);
	buf_reset(&b);
	for (i = 0; i < SIEVE_DEPTH_MAX + 1; i++)
		buf_puts(&b, "if true {");
	for (i = 0; i < SIEVE_DEPTH_MAX + 1; i++)
		buf_puts(&b, "}");
	tap_is_int(parses(b.data, b.len, &why), -1, "one more is refused");
	tap_ok(why && strstr(why, "SIEVE_DEPTH_MAX"), "depth error names "
	    "SIEVE_DEPTH_MAX");
	free(why);
	why = NULL;
	buf_reset(&b);
	buf_puts(&b, "if ");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "not ");
	buf_puts(&b, "true {}");
	tap_is_int(parses(b.data, b.len, &why), -1, "100000 nested nots "
	    "refused");
	free(why);
	why = NULL;

	/* list and string sizes */
	buf_reset(&b);
	buf_puts(&b, "if header :is \"x\" [");
	for (i = 0; i < SIEVE_LIST_MAX + 1; i++)
		buf_printf(&b, "%s\"k%d\"", i ? "," : "", i);
	buf_puts(&b, "] {}");
	tap_is_int(parses(b.data, b.len, &why), -1, "list too long refused");
	tap_ok(why && strstr(why, "SIEVE_LIST_MAX"), "names SIEVE_LIST_MAX");
	free(why);
	why = NULL;
	buf_reset(&b);
	buf_puts(&b, "if header :is \"x\" \"");
	for (i = 0; i < SIEVE_STRING_MAX + 1; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\" {}");
	tap_is_int(parses(b.data, b.len, &why), -1, "string too long refused");
	tap_ok(why && strstr(why, "SIEVE_STRING_MAX"), "names "
	    "SIEVE_STRING_MAX");
	free(why);
	why = NULL;

	/* NUL in the script */
	tap_is_int(parses("keep;\n k\0eep;", 13, &why), -1, "NUL refused");
	tap_is_str(why, "2:3: NUL character in the script", "NUL position");
	free(why);
	why = NULL;

	/* columns count characters, not bytes */
	tap_is_int(parses("# \xc3\xa9\xc3\xa9\n\xc3\xa9 ", 10, &why), -1,
	    "8-bit garbage refused");
	free(why);
	why = NULL;
	tap_is_int(parses("if header :is \"\xc3\xa9\xc3\xa9\" \"x\" {} @", 29,
	    &why), -1, "column after UTF-8 text");
	tap_is_str(why, "1:27: unexpected character '@'", "characters "
	    "counted");
	free(why);
	buf_free(&b);
}

/* Every good script parses identically whatever its line ends. */
static void
check_crlf(void)
{
	struct buf b = BUF_INIT;
	size_t i, j;
	int ok = 1;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(&b);
		for (j = 0; good[i][j]; j++) {
			if (good[i][j] == '\n' && (j == 0 || good[i][j - 1] != '\r'))
				buf_putc(&b, '\r');
			buf_putc(&b, good[i][j]);
		}
		if (parses(b.data ? b.data : "", b.len, NULL) != 0) {
			tap_diag("CRLF version of good %zu fails", i);
			ok = 0;
		}
	}
	tap_ok(ok, "good scripts parse with CRLF line ends");
	buf_free(&b);
}

/* Every prefix of every good script: no crash, an error or a parse. */
static void
check_prefixes(void)
{
	size_t i, n, k = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		for (n = 0; n <= strlen(good[i]); n++) {
			char *why = NULL;
			char *copy = malloc(n + 1);

			memcpy(copy, good[i], n);
			copy[n] = '\0';
			if (parses(copy, n, &why) < 0 && (why == NULL ||
			    strchr(why, ':') == NULL))
				k++;
			free(why);
			free(copy);
		}
	tap_is_int((long long)k, 0, "every prefix parses or gives LINE:COL");
}

int
main(void)
{
	char *why = NULL;
	struct sieve_script *s;

	check_good();
	check_bad();
	check_limits();
	check_crlf();
	check_prefixes();
	tap_is_int(sieve_parse("require [\"vacation\", \"fileinto\"];", 33,
	    &s, &why), 0, "requires parse");
	tap_ok(sieve_requires(s, "vacation") && sieve_requires(s, "fileinto") &&
	    !sieve_requires(s, "body") && !sieve_requires(s, "nosuch"),
	    "sieve_requires");
	sieve_free(s);
	return tap_done();
}
