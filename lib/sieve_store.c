/*
 * sieve_store - an account's Sieve script in its profile directory
 * (sieve.h): STORE_DIR/users/HH/hh/NAME/sieve, replaced atomically, so
 * a delivery reads either the old script or the new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "sieve.h"
#include "store.h"

#define SCRIPT_FILE	"sieve"

void
sieve_account_path(struct store *s, const char *account, const char *name,
    struct buf *out)
{
	store_profile_dir(s, account, out);
	buf_putc(out, '/');
	buf_puts(out, name);
}

int
sieve_script_load(struct store *s, const char *account, struct buf *out,
    char **why_r)
{
	struct buf path = BUF_INIT;
	int rc;

	sieve_account_path(s, account, SCRIPT_FILE, &path);
	rc = file_read(path.data, SIEVE_SCRIPT_MAX, out, why_r);
	buf_free(&path);
	return rc;
}

int
sieve_script_save(struct store *s, const char *account, const char *text,
    size_t len, char **why_r)
{
	struct buf path = BUF_INIT;
	int rc;

	sieve_account_path(s, account, SCRIPT_FILE, &path);
	rc = file_write_atomic(path.data, text, len, 0600,
	    store_write_flags(s), why_r);
	buf_free(&path);
	return rc;
}

int
sieve_script_remove(struct store *s, const char *account, char **why_r)
{
	struct buf path = BUF_INIT;
	int rc = 1;

	sieve_account_path(s, account, SCRIPT_FILE, &path);
	if (unlink(path.data) < 0) {
		rc = errno == ENOENT ? 0 : file_why(why_r, path.data);
	} else if (!s->batch && file_fsync_parent(path.data) < 0) {
		rc = file_why(why_r, path.data);
	}
	buf_free(&path);
	return rc;
}
