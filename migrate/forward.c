/*
 * Forwarding from the old mailbox: ~USER/.forward holding the same pipe
 * as the alias line, written as the user (so the file is the user's,
 * mode 0644) and atomically. A .forward with other contents is kept,
 * and said so.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "mig.h"

#define FORWARD_MAX	65536

void
forward_line(const char *canon, struct buf *out)
{
	buf_printf(out, "\"|%s %s\"", MIG_DELIVER, canon);
}

/* Become the login user (root only): 1 switched, 0 not needed, -1. */
static int
as_user(const struct passwd *pw)
{
	if (geteuid() != 0 || pw == NULL || pw->pw_uid == 0)
		return 0;
	if (setresgid((gid_t)-1, pw->pw_gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, pw->pw_uid, (uid_t)-1) < 0)
		return -1;
	return 1;
}

static void
as_root(void)
{
	if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 ||
	    setresgid((gid_t)-1, 0, (gid_t)-1) < 0)
		abort();
}

static int
write_forward(const char *path, const struct buf *want, char **why_r,
    const char **result_r)
{
	struct buf old = BUF_INIT;
	int rc;

	rc = file_read(path, FORWARD_MAX, &old, why_r);
	if (rc < 0)
		goto out;
	if (rc == 1 && old.len == want->len &&
	    memcmp(old.data, want->data, want->len) == 0) {
		*result_r = "already set";
		rc = 0;
	} else if (rc == 1) {
		*result_r = "kept (other contents)";
		rc = 0;
	} else if ((rc = file_write_atomic(path, want->data, want->len, 0644,
	    0, why_r)) == 0) {
		rc = chmod(path, 0644) < 0 ? file_why(why_r, path) : 0;
		*result_r = "written";
	}
out:
	buf_free(&old);
	return rc;
}

int
forward_set(struct mig *m, const char *user, const char *canon,
    struct buf *result, char **why_r)
{
	struct buf path = BUF_INIT, want = BUF_INIT;
	struct passwd *pw = getpwnam(user);
	const char *what = NULL;
	int sw, rc = -1;

	if (strpbrk(canon, "\"\\\n") != NULL)
		return file_whyf(why_r, "%s: not usable in a .forward", canon);
	if (m->home_base)
		buf_printf(&path, "%s/%s/.forward", m->home_base, user);
	else if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
		buf_printf(&path, "%s/.forward", pw->pw_dir);
	else {
		buf_puts(result, "no home directory");
		return 0;
	}
	forward_line(canon, &want);
	buf_putc(&want, '\n');
	if (m->dry) {
		buf_printf(result, "%s would be written", path.data);
		rc = 0;
		goto out;
	}
	if ((sw = as_user(pw)) < 0) {
		file_why(why_r, "cannot become the user");
		goto out;
	}
	rc = write_forward(path.data, &want, why_r, &what);
	if (sw)
		as_root();
	if (rc == 0) {
		buf_printf(result, "%s %s", path.data, what);
		if (strcmp(what, "kept (other contents)") == 0)
			fprintf(stderr, "migrate: %s: %s has other contents: "
			    "not changed; forward by hand: %.*s\n", user,
			    path.data, (int)(want.len - 1), want.data);
	}
out:
	buf_free(&path);
	buf_free(&want);
	return rc;
}
