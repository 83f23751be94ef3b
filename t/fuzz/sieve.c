/*
 * sieve - fuzz the Sieve parser and interpreter (lib/sieve*.c).
 *
 * Input: a script, optionally followed by a NUL byte and a message (a
 * script cannot hold NUL, so the split is unambiguous). Without a
 * message the script runs against a fixed multipart message with
 * encoded words, lists, several recipients and a base64 text part.
 *
 * Checked: a parse either succeeds or fails with "LINE:COLUMN: text";
 * a run always ends with a result, and a failed run holds exactly the
 * implicit keep; every action is well formed (folders and addresses
 * where they must be, flags non-empty).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sieve.h"

static const char fixed[] =
    "Return-Path: <joe+news@example.org>\r\n"
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: \"Joe Q. Public\" <Joe.Public@Example.ORG> (Joe)\r\n"
    "To: team: ann@example.com, Bob <bob+lists@example.com>;, "
    "carol@example.net\r\n"
    "Cc: jdoe+tag@mail.example.com\r\n"
    "Subject: =?utf-8?B?w6l0w6k=?= [list] news 12\r\n"
    "X-Spam-Score: 12\r\n"
    "List-Id: Users <users.lists.example.org>\r\n"
    "Message-ID: <1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
    "\r\n"
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

static int
exists(const char *name, void *ctx)
{
	(void)ctx;
	return name[0] == 'J' || strcmp(name, "INBOX") == 0;
}

static void
check_result(const struct sieve_result *r)
{
	size_t i, j;

	if (r->error && (r->n != 1 || r->v[0].kind != SIEVE_KEEP))
		abort();
	for (i = 0; i < r->n; i++) {
		const struct sieve_action *a = &r->v[i];

		if ((a->kind == SIEVE_FILEINTO || a->kind == SIEVE_REDIRECT ||
		    a->kind == SIEVE_REJECT) && (a->arg == NULL || !a->arg[0]))
			abort();
		if (a->kind == SIEVE_REDIRECT && strchr(a->arg, '@') == NULL)
			abort();
		if (a->kind == SIEVE_VACATION && (a->vacation == NULL ||
		    a->vacation->reason == NULL))
			abort();
		for (j = 0; j < a->nflags; j++)
			if (a->flags[j][0] == '\0' || strchr(a->flags[j], ' '))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf conf;
	const char *text = (const char *)data, *msg = fixed;
	const char *nul = memchr(data, '\0', size);
	size_t len = size, mlen = sizeof(fixed) - 1;
	struct sieve_script *s = NULL;
	struct sieve_result r;
	struct sieve_env env;
	char *why = NULL;
	unsigned line, col;

	conf.subaddress_char = (char *)"+";
	conf.hostname = (char *)"mail.example.com";
	if (nul) {
		len = (size_t)(nul - text);
		msg = nul + 1;
		mlen = size - len - 1;
	}
	if (sieve_parse(text, len, &s, &why) < 0) {
		if (why == NULL || sscanf(why, "%u:%u: ", &line, &col) != 2 ||
		    line == 0 || col == 0)
			abort();
		free(why);
		return 0;
	}
	memset(&env, 0, sizeof(env));
	env.conf = &conf;
	env.msg = msg;
	env.msg_len = mlen;
	env.sender = "joe+news@example.org";
	env.rcpt = "<jdoe+tag@mail.example.com>";
	env.mailbox_exists = exists;
	(void)sieve_run(s, &env, &r);
	check_result(&r);
	sieve_result_free(&r);
	sieve_free(s);
	return 0;
}
