/*
 * Unit tests: BODY, TEXT and HEADER on the message files: charsets,
 * transfer encodings, encoded-words, folding, odd messages, matches
 * across the chunks a large body is decoded in, a damaged cache record.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "search-test.h"

static struct stest st;
static struct search_env env;

static const char *const msgs[] = {
	/* 1: windows-1252, 8bit */
	"Subject: euro\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=windows-1252\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"Price: 5 \x80, na\xefve caf\xe9\n",
	/* 2: koi8-r */
	"Subject: =?koi8-r?B?8+/F2w==?= mixed\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=koi8-r\n"
	"\n"
	"\xf3\xdf\xc5\xdb\xd8 \xd6\xc5\n",
	/* 3: UTF-8 base64 body, folded header, adjacent encoded-words */
	"Subject: part one\n part two\n"
	"From: =?UTF-8?Q?J=C3=BCrgen?= =?UTF-8?Q?_M=C3=BCller?= <jm@example.de>\n"
	"X-Note: =?x-unknown?Q?kept_as_is?=\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"w5xuw69jw7Zkw6kgw79lcw==\n",
	/* 4: HTML alternative, nested multipart */
	"Subject: alt\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/alternative; boundary=a\n"
	"\n"
	"--a\n"
	"Content-Type: text/plain\n"
	"\n"
	"plain version\n"
	"--a\n"
	"Content-Type: multipart/related; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/html; charset=us-ascii\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"<p>html ver=\nsion</p>\n"
	"--b--\n"
	"--a--\n",
	/* 5: no header/body separator */
	"Subject: only a header\nX-Last: final field",
};

/* 6: a NUL in the body */
static const char nul_msg[] = "Subject: nul\n\nbefore\0after\n";

static void
deliver_all(void)
{
	size_t i;

	struct delivery *d;
	char *why = NULL;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		st_deliver(&st, msgs[i], 0, 0, 0);
	if (delivery_begin(st.fx.store, NULL, &d, &why) == 0) {
		if (delivery_write_lf(d, nul_msg, sizeof(nul_msg) - 1,
		    &why) == 0 && delivery_end_data(d, &why) == 0) {
			delivery_add(d, &st.a, MBOX_INBOX_ID, 0);
			delivery_commit(d, &why);
		}
		delivery_free(d);
	}
	free(why);
}

static void
test_small(void)
{
	static const struct {
		const char *prog, *want;
	} t[] = {
		{ "BODY \xe2\x82\xac", "1" },			/* euro sign */
		{ "BODY NA\xc3\x8fVE", "1" }, { "BODY caf\xc3\xa9", "1" },
		{ "BODY \xd1\x81\xd1\x8a\xd0\xb5\xd1\x88\xd1\x8c", "2" },
		{ "BODY \xd0\xa1\xd0\xaa\xd0\x95\xd0\xa8\xd0\xac", "2" },
		{ "SUBJECT \"\xd1\x81\xd0\xbe\xd0\xb5\xd1\x88 mixed\"", "2" },
		{ "SUBJECT \"one part two\"", "3" },
		{ "FROM \"j\xc3\xbcrgen m\xc3\xbcller\"", "3" },
		{ "HEADER X-Note \"kept as is\"", "3" },
		{ "BODY \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9", "3" },
		{ "BODY \xc3\x9cN\xc3\x8f", "3" },
		{ "BODY \xc5\xb8" "ES", "3" },		/* Y diaeresis upper */
		{ "BODY \"plain version\"", "4" },
		{ "BODY \"html version\"", "4" }, { "BODY <p>", "4" },
		{ "BODY multipart", "" }, { "TEXT multipart", "4" },
		{ "TEXT \"final field\"", "5" }, { "BODY final", "" },
		{ "HEADER X-Last final", "5" },
		{ "BODY after", "6" }, { "BODY before", "6" },
		{ "TEXT \"subject: nul\"", "6" },
	};
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		st_run(&env, t[i].prog, strlen(t[i].prog), &got, NULL);
		tap_is_str(got.data, t[i].want, "SEARCH %s", t[i].prog);
	}
	buf_free(&got);
}

/*
 * Bodies larger than SEARCH_CHUNK: a chunk ends at the last line end
 * within SEARCH_CHUNK bytes, or after SEARCH_CHUNK bytes of one long
 * line. Patterns placed across those cuts must still match.
 */
static void
test_large(void)
{
	struct buf m = BUF_INIT, got = BUF_INIT, prog = BUF_INIT;
	struct search_stats s;
	size_t i, line = 65, cut;
	uint32_t uid;

	/* 63 characters + CRLF once stored: the first chunk ends after
	 * the last whole line within SEARCH_CHUNK bytes */
	buf_puts(&m, "Subject: lines\n\n");
	cut = SEARCH_CHUNK / line;
	for (i = 0; i < cut + 100; i++) {
		char l[64];

		memset(l, 'x', 63);
		if (i == cut - 1)
			memcpy(l + 56, "TAILEND", 7);
		if (i == cut)
			memcpy(l, "HEADSTART", 9);
		if (i == cut + 99)
			memcpy(l, "THELASTLINE", 11);
		buf_append(&m, l, 63);
		buf_putc(&m, '\n');
	}
	uid = st_deliver(&st, m.data, 0, 0, 0);
	buf_reset(&m);
	/* one long line: the cut falls inside it */
	buf_puts(&m, "Subject: one line\n\n");
	for (i = 0; i < SEARCH_CHUNK - 3; i++)
		buf_putc(&m, 'y');
	buf_puts(&m, "NEEDLE");
	for (i = 0; i < 1000; i++)
		buf_putc(&m, 'y');
	buf_puts(&m, "\n");
	st_deliver(&st, m.data, 0, 0, 0);
	buf_reset(&m);
	/* base64 across the cut */
	buf_puts(&m, "Subject: b64\nContent-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (i = 0; i < 5000; i++)
		buf_puts(&m, "enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6"
		    "enp6enp6enp6enp6enp6enp6\n");	/* "zzz..." */
	buf_puts(&m, "QUJDREVGR0g=\n");		/* "ABCDEFGH" */
	st_deliver(&st, m.data, 0, 0, 0);
	st_folder(&st);
	env.folder = st.f;
	(void)uid;

	st_run(&env, "BODY \"TAILEND\r\nHEADSTART\"", 25, &got, &s);
	tap_is_str(got.data, "7", "a match across the chunk cut at a line end");
	st_run(&env, "BODY theLastLine", 16, &got, &s);
	tap_is_str(got.data, "7", "the last line of a large body");
	tap_ok(s.file_bytes > SEARCH_CHUNK, "several chunks read (%llu bytes)",
	    (unsigned long long)s.file_bytes);
	st_run(&env, "BODY yyNEEDLEyy", 15, &got, NULL);
	tap_is_str(got.data, "8", "a match across a cut inside a line");
	st_run(&env, "BODY zzzabcdefgh", 16, &got, NULL);
	tap_is_str(got.data, "9", "base64 across chunks");
	buf_printf(&prog, "BODY \"%s\"", "xxxxxxxTAILEND");
	st_run(&env, prog.data, prog.len, &got, NULL);
	tap_is_str(got.data, "7", "match just before the cut");
	st_run(&env, "BODY nothere", 12, &got, &s);
	tap_is_str(got.data, "", "a miss reads every body");
	env.max_file_bytes = SEARCH_CHUNK;
	st_run(&env, "BODY nothere", 12, &got, NULL);
	tap_is_str(got.data, "error -2: search data limit reached",
	    "the budget stops inside a large body");
	env.max_file_bytes = 0;
	buf_free(&m);
	buf_free(&got);
	buf_free(&prog);
}

/* Flip a byte of every cache record: searches parse the files. */
static void
test_damaged_cache(void)
{
	struct buf got = BUF_INIT, path = BUF_INIT;
	struct search_stats s;
	struct msgrec r;
	struct dirent *de;
	uint32_t i;
	DIR *dir;
	int fd, files = 0;
	char c;

	/* every generation of the cache file, whichever is current */
	dir = opendir(folder_dir(st.f));
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "cache.", 6) != 0)
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", folder_dir(st.f), de->d_name);
		if ((fd = open(path.data, O_RDWR)) < 0)
			continue;
		files++;
		for (i = 0; i < folder_count(st.f); i++)
			if (folder_record(st.f, i, &r, NULL) == 1 &&
			    pread(fd, &c, 1, (off_t)r.cache_off + 9) == 1) {
				c ^= 0x55;
				if (pwrite(fd, &c, 1, (off_t)r.cache_off + 9) != 1)
					break;
			}
		close(fd);
	}
	if (dir != NULL)
		closedir(dir);
	tap_ok(files > 0, "cache file found");
	st_folder(&st);		/* no cache read-ahead from before */
	env.folder = st.f;
	st_run(&env, "SUBJECT \"one part two\"", 22, &got, &s);
	tap_is_str(got.data, "3", "header search with a damaged cache");
	tap_is_int((long long)s.files, (long long)folder_count(st.f),
	    "every file parsed instead");
	st_run(&env, "BODY \"html version\"", 19, &got, NULL);
	tap_is_str(got.data, "4", "body search with a damaged cache");
	st_run(&env, "SENTBEFORE 1-Jan-1990", 21, &got, NULL);
	tap_is_str(got.data, "", "no Date: internal date");
	buf_free(&got);
	buf_free(&path);
}

int
main(void)
{
	st_open(&st, "body");
	deliver_all();
	st_folder(&st);
	memset(&env, 0, sizeof(env));
	env.folder = st.f;
	test_small();
	test_large();
	test_damaged_cache();
	st_close(&st);
	return tap_done();
}
