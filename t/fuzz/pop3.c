/*
 * pop3 - fuzz pop3d's command parser and state machine: the session
 * code of pop3d (session, auth, cmd, drop, legacy) is compiled in and
 * driven through a memory netio against a temporary store.
 *
 * Input: byte 0 holds options (bit 0: start logged in as "fuzz", skipping
 * authentication; bits 1-3: bytes handed to the reader at a time, 0 for
 * all at once, else 1, 2, 3, 5, 8, 13, 21); the rest is what the client
 * sends. The store is made once per process under $TMPDIR: account
 * "fuzz" with password "fuzzpass1" (PBKDF2 at the minimum iterations)
 * and a few messages, delivered again whenever a run's QUIT removed
 * some, so every run has something to list, retrieve and delete.
 * Checked: the session ends, and every answer is a whole CRLF line
 * starting "+OK", "-ERR" or "+ ", or part of a multi-line response.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../pop3d/auth.c"
#include "../../pop3d/cmd.c"
#include "../../pop3d/drop.c"
#include "../../pop3d/legacy.c"
#include "../../pop3d/session.c"

#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "mboxlist.h"

#define MESSAGES	4

static struct conf conf;
static struct pop3_env env;

static const char *const texts[MESSAGES] = {
	"Subject: one\n\nbody\n",
	"Subject: dots\n\n.dot\n..two\n.\nend\n",
	"Subject: no final newline\n\nlast",
	"Subject: header only\n",
};

static void fail(const char *what, const char *why)
    __attribute__((noreturn));

static void
fail(const char *what, const char *why)
{
	fprintf(stderr, "pop3 fuzz setup: %s: %s\n", what, why ? why : "?");
	abort();
}

static void
deliver(const struct acct *a, const char *text)
{
	struct delivery *d;
	char *why = NULL;

	if (delivery_begin(env.store, "s@example.org", &d, &why) < 0 ||
	    delivery_write_lf(d, text, strlen(text), &why) < 0 ||
	    delivery_end_data(d, &why) < 0)
		fail("delivery", why);
	delivery_add(d, a, MBOX_INBOX_ID, 0);
	if (delivery_commit(d, &why) != 1)
		fail("commit", why);
	delivery_free(d);
}

/* Top the INBOX up to MESSAGES messages. */
static void
refill(void)
{
	struct folder *f;
	struct acct a;
	uint32_t n;
	char *why = NULL;

	if (acct_load(env.store, "fuzz", &a, &why) != 1 ||
	    folder_open(env.store, &a, "INBOX", 0, &f, &why) != 1)
		fail("INBOX", why);
	n = folder_count(f);
	folder_close(f);
	for (; n < MESSAGES; n++)
		deliver(&a, texts[n]);
}

static void
setup(void)
{
	struct buf dir = BUF_INIT, text = BUF_INIT, path = BUF_INIT;
	struct acct a;
	char *why = NULL, *hash;

	buf_printf(&dir, "%s/fuzz-pop3-%ld", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp", (long)getpid());
	(void)file_remove_tree(dir.data, NULL);
	buf_printf(&text, "STORE_DIR=%s/store\nLOGIN_FAIL_DELAY=0\n"
	    "PASSWORD_ITERATIONS=4096\nHOSTNAME=fuzz.example\nSYNC_MODE=fsync\n",
	    dir.data);
	buf_printf(&path, "%s.conf", dir.data);
	if (file_mkdirs(dir.data, 0700, &why) < 0 ||
	    file_write_atomic(path.data, text.data, text.len, 0600,
	    FILE_NOSYNC, &why) < 0 || conf_load(path.data, &conf, &why) < 0 ||
	    store_create(&conf, &why) < 0 ||
	    store_open(&conf, &env.store, &why) < 0 ||
	    acct_from_default(env.store, "fuzz", &a, &why) < 0)
		fail("store", why);
	hash = passwd_hash("fuzzpass1", 4096, &why);
	if (hash == NULL)
		fail("hash", why);
	snprintf(a.password, sizeof(a.password), "%s", hash);
	free(hash);
	a.type = ACCT_POP;
	if (acct_create(env.store, &a, &why) < 0 || sasl_setup(NULL, &why) < 0)
		fail("account", why);
	env.conf = &conf;
	env.allow_root = 1;
	log_set_level(LOG_EMERG);
	buf_free(&dir);
	buf_free(&text);
	buf_free(&path);
}

/* Every line of the output is whole; status lines look like status. */
static void
check(const char *out, size_t len)
{
	const char *p = out, *end = out + len, *lf;

	if (len == 0)
		return;
	if (len < 2 || out[len - 2] != '\r' || out[len - 1] != '\n')
		abort();
	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p)))) {
		if (lf == p || lf[-1] != '\r')
			abort();
		p = lf + 1;
	}
	if (strncmp(out, "+OK ", 4) != 0)
		abort();	/* the greeting */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = { 0, 1, 2, 3, 5, 8, 13, 21 };
	static int ready;
	struct netio *io;
	const char *out;
	size_t len;

	if (size < 1)
		return 0;
	if (!ready) {
		setup();
		ready = 1;
	}
	refill();
	io = netio_create_mem(data + 1, size - 1, chunks[(data[0] >> 1) & 7]);
	(void)session_run(&env, io, (data[0] & 1) ? "fuzz" : NULL);
	out = netio_mem_output(io, &len);
	check(out, len);
	netio_free(io);
	return 0;
}
