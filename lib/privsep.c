/* privsep - give up root for good; see privsep.h. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "buf.h"
#include "privsep.h"

#define GROUPS_MAX	256	/* supplementary groups examined */

static int fail(char **why_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* -1 with *why_r set from fmt; errno's text is added when fmt ends ':'. */
static int
fail(char **why_r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.len > 0 && b.data[b.len - 1] == ':')
		buf_printf(&b, " %s", strerror(e));
	*why_r = buf_steal(&b);
	return -1;
}

int
privsep_no_core(char **why_r)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return fail(why_r, "setrlimit(RLIMIT_CORE, 0):");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(why_r, "prctl(PR_SET_DUMPABLE, 0):");
	return 0;
}

/* Is any real, effective or saved uid 0? */
static int
has_root_uid(void)
{
	uid_t r, e, s;

	return getresuid(&r, &e, &s) < 0 || r == 0 || e == 0 || s == 0;
}

/* Every id is the user's, the only group its own, and root is gone. */
static int
verify(const struct passwd *pw, char **why_r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[GROUPS_MAX];
	int n;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid)
		return fail(why_r, "user %s: ids did not change as asked",
		    pw->pw_name);
	n = getgroups(GROUPS_MAX, groups);
	if (n < 0 || n > 1 || (n == 1 && groups[0] != pw->pw_gid))
		return fail(why_r, "user %s: supplementary groups remain",
		    pw->pw_name);
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 ||
	    setegid(0) == 0)
		return fail(why_r, "user %s: root could be regained",
		    pw->pw_name);
	return 0;
}

static int
become(const char *user, char **why_r)
{
	struct passwd *pw;
	gid_t gid;

	if (user == NULL || *user == '\0')
		return fail(why_r, "running as root and no user to become "
		    "(set STORE_USER)");
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return errno ? fail(why_r, "getpwnam %s:", user) :
		    fail(why_r, "user %s does not exist", user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return fail(why_r, "user %s has uid or gid 0", user);
	gid = pw->pw_gid;
	if (setgroups(1, &gid) < 0)
		return fail(why_r, "setgroups %s:", user);
	if (setresgid(gid, gid, gid) < 0)
		return fail(why_r, "setresgid %s:", user);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return fail(why_r, "setresuid %s:", user);
	return verify(pw, why_r);
}

int
privsep_drop(const char *user, unsigned flags, char **why_r)
{
	if (has_root_uid() && become(user, why_r) < 0)
		return -1;
	/* After setresuid(): it resets the dumpable flag. */
	if (privsep_no_core(why_r) < 0)
		return -1;
	if (!(flags & PRIVSEP_EXEC_SETID) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(why_r, "prctl(PR_SET_NO_NEW_PRIVS):");
	return 0;
}

int
privsep_refuse_root(char **why_r)
{
	gid_t rg, eg, sg, groups[GROUPS_MAX];
	int n, i;

	if (has_root_uid())
		return fail(why_r, "refusing to run as root");
	if (getresgid(&rg, &eg, &sg) < 0 || rg == 0 || eg == 0 || sg == 0)
		return fail(why_r, "refusing to run with group root");
	if ((n = getgroups(GROUPS_MAX, groups)) < 0)
		return fail(why_r, "getgroups:");
	for (i = 0; i < n; i++)
		if (groups[i] == 0)
			return fail(why_r, "refusing to run with group root");
	return 0;
}
