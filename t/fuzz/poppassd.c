/*
 * poppassd - fuzz poppassd's dialogue (command parser and state machine):
 * poppassd/dialog.c is compiled in and driven through a memory netio
 * against a scratch store (fuzzstore.h) whose account "fz" has the
 * password "fuzzpass1" (PBKDF2 at the minimum iterations).
 *
 * Input: byte 0 holds options (bits 0-2: bytes handed to the reader at a
 * time, 0 for all at once, else 1, 2, 3, 5, 8, 13, 21); the rest is what
 * the client sends. The profile is put back after every input, so a
 * changed password does not leak into the next run.
 * Checked: the dialogue ends, every answer is a whole CRLF line starting
 * "200 " or "500 ", the first is the greeting, and the profile left
 * behind loads.
 */
#include "../../poppassd/dialog.c"

#include "file.h"
#include "fuzzstore.h"

static struct conf pconf;
static struct poppass_env env;
static struct buf profile = BUF_INIT, profile_path = BUF_INIT;

static void
setup(void)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	struct acct a;
	char *why = NULL, *hash;

	buf_printf(&text, "STORE_DIR=%s/store\nLOGIN_FAIL_DELAY=0\n"
	    "PASSWORD_ITERATIONS=4096\nHOSTNAME=fuzz.example\n",
	    fuzz_fs.dir);
	buf_printf(&path, "%s/poppassd.conf", fuzz_fs.dir);
	fuzz_write(path.data, text.data, text.len);
	if (conf_load(path.data, &pconf, &why) < 0 ||
	    acct_load(fuzz_store(), "fz", &a, &why) != 1)
		goto fail;
	if ((hash = passwd_hash("fuzzpass1", 4096, &why)) == NULL)
		goto fail;
	snprintf(a.password, sizeof(a.password), "%s", hash);
	free(hash);
	if (acct_save(fuzz_store(), &a, &why) < 0)
		goto fail;
	store_profile_dir(fuzz_store(), "fz", &profile_path);
	buf_puts(&profile_path, "/profile");
	if (file_read(profile_path.data, 1 << 20, &profile, &why) != 1)
		goto fail;
	env.conf = &pconf;
	env.store = fuzz_store();
	log_set_level(LOG_EMERG);
	buf_free(&text);
	buf_free(&path);
	return;
fail:
	fprintf(stderr, "poppassd fuzz setup: %s\n", why ? why : "?");
	abort();
}

static void
check(const char *out, size_t len)
{
	const char *p = out, *end = out + len, *lf;

	if (len < 6 || strncmp(out, "200 ", 4) != 0 ||
	    out[len - 2] != '\r' || out[len - 1] != '\n')
		abort();
	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p)))) {
		if (lf - p < 5 || lf[-1] != '\r' ||
		    (strncmp(p, "200 ", 4) != 0 && strncmp(p, "500 ", 4) != 0))
			abort();
		p = lf + 1;
	}
	if (p != end)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = { 0, 1, 2, 3, 5, 8, 13, 21 };
	struct netio *io;
	struct acct a;
	const char *out;
	size_t len;

	if (size < 1)
		return 0;
	(void)fuzz_store();
	if (profile.len == 0)
		setup();
	io = netio_create_mem(data + 1, size - 1, chunks[data[0] & 7]);
	(void)dialog_run(&env, io);
	out = netio_mem_output(io, &len);
	check(out, len);
	netio_free(io);
	if (acct_load(env.store, "fz", &a, NULL) != 1)
		abort();
	acct_wipe(&a);
	fuzz_write(profile_path.data, profile.data, profile.len);
	return 0;
}
