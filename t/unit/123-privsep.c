/*
 * 123-privsep - dropping root for good. Each case runs in a forked
 * child (a drop cannot be undone) which reports "key=value" facts on a
 * pipe; the parent checks them. The root cases need root (skipped
 * otherwise); the non-root cases first become nobody by hand.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "privsep.h"
#include "lib/tap.h"

typedef void (*case_fn)(FILE *out, const void *arg);

/* Run fn in a child; its report, one "key=value" per line, into b. */
static void
run(case_fn fn, const void *arg, struct buf *b)
{
	char tmp[4096];
	int p[2], st;
	ssize_t r;
	pid_t pid;
	FILE *out;

	buf_reset(b);
	if (pipe(p) < 0 || (pid = fork()) < 0)
		exit(2);
	if (pid == 0) {
		close(p[0]);
		out = fdopen(p[1], "w");
		fn(out, arg);
		fclose(out);
		_exit(0);
	}
	close(p[1]);
	while ((r = read(p[0], tmp, sizeof(tmp))) > 0)
		buf_append(b, tmp, (size_t)r);
	close(p[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		buf_puts(b, "child=died\n");
}

/* Is "key=value\n" in the report? */
static int
has(const struct buf *b, const char *kv)
{
	struct buf line = BUF_INIT;
	int found;

	buf_printf(&line, "%s\n", kv);
	found = strstr(buf_cstr(b), line.data) != NULL;
	if (!found)
		tap_diag("report lacks %s:\n%s", kv, buf_cstr(b));
	buf_free(&line);
	return found;
}

/* The process's identity and limits, as facts. */
static void
report_state(FILE *out)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[64];
	struct rlimit rl;
	int n;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	n = getgroups(64, groups);
	getrlimit(RLIMIT_CORE, &rl);
	fprintf(out, "uid=%u,%u,%u\ngid=%u,%u,%u\n", (unsigned)ru,
	    (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
	    (unsigned)sg);
	fprintf(out, "ngroups=%d\n", n);
	if (n == 1)
		fprintf(out, "group0=%u\n", (unsigned)groups[0]);
	fprintf(out, "core=%llu,%llu\n", (unsigned long long)rl.rlim_cur,
	    (unsigned long long)rl.rlim_max);
	fprintf(out, "dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	fprintf(out, "nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	fprintf(out, "setuid0=%d\n", setuid(0));
	fprintf(out, "seteuid0=%d\n", seteuid(0));
	fprintf(out, "setgid0=%d\n", setgid(0));
	fprintf(out, "setgroups0=%d\n", setgroups(1, &(gid_t){ 0 }));
}

struct drop_case {
	const char	*user;
	unsigned	 flags;
	int		 as_nobody;	/* become nobody by hand first */
	int		 keep_gid0;	/* ... but keep gid 0 */
};

static void
case_drop(FILE *out, const void *arg)
{
	const struct drop_case *c = arg;
	char *why = NULL;
	int r;

	if (c->as_nobody) {
		gid_t g = c->keep_gid0 ? 0 : 65534;

		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
	}
	r = privsep_drop(c->user, c->flags, &why);
	fprintf(out, "drop=%d\nwhy=%s\n", r, why ? why : "");
	free(why);
	why = NULL;
	r = privsep_refuse_root(&why);
	fprintf(out, "refuse_root=%d\nrefuse_why=%s\n", r, why ? why : "");
	free(why);
	report_state(out);
}

static void
test_root(void)
{
	struct drop_case c = { "nobody", 0, 0, 0 };
	struct passwd *pw = getpwnam("nobody");
	struct buf b = BUF_INIT;
	char kv[128];

	if (geteuid() != 0 || pw == NULL) {
		tap_ok(1, "# SKIP root cases: not root, or no user nobody");
		return;
	}
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=0"), "root -> nobody: privsep_drop succeeds");
	snprintf(kv, sizeof(kv), "uid=%u,%u,%u", (unsigned)pw->pw_uid,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
	tap_ok(has(&b, kv), "real, effective, saved uid are nobody's");
	snprintf(kv, sizeof(kv), "gid=%u,%u,%u", (unsigned)pw->pw_gid,
	    (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	tap_ok(has(&b, kv), "real, effective, saved gid are nobody's");
	snprintf(kv, sizeof(kv), "group0=%u", (unsigned)pw->pw_gid);
	tap_ok(has(&b, "ngroups=1") && has(&b, kv),
	    "supplementary groups: the primary group only");
	tap_ok(has(&b, "setuid0=-1") && has(&b, "seteuid0=-1") &&
	    has(&b, "setgid0=-1") && has(&b, "setgroups0=-1"),
	    "root cannot be regained (setuid, seteuid, setgid, setgroups)");
	tap_ok(has(&b, "core=0,0") && has(&b, "dumpable=0"),
	    "no core dumps, not dumpable");
	tap_ok(has(&b, "nnp=1"), "no_new_privs set");
	tap_ok(has(&b, "refuse_root=0"), "privsep_refuse_root passes after");

	c.flags = PRIVSEP_EXEC_SETID;
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=0") && has(&b, "nnp=0") &&
	    has(&b, "setuid0=-1"), "PRIVSEP_EXEC_SETID: dropped, "
	    "no_new_privs left unset");

	c = (struct drop_case){ "", 0, 0, 0 };
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=-1") && strstr(b.data, "STORE_USER"),
	    "root with an empty user: refused");
	tap_ok(has(&b, "refuse_root=-1") && has(&b, "uid=0,0,0"),
	    "still root, and privsep_refuse_root says so");
	c.user = NULL;
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=-1"), "root with no user: refused");
	c.user = "no-such-user-popstore";
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=-1") && strstr(b.data, "does not exist"),
	    "unknown user: refused");
	c.user = "root";
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=-1") && strstr(b.data, "uid or gid 0"),
	    "user root: refused");
	buf_free(&b);
}

static void
test_not_root(void)
{
	struct drop_case c = { "popstore", 0, 1, 0 };
	struct buf b = BUF_INIT;

	if (geteuid() != 0 || getpwnam("nobody") == NULL) {
		tap_ok(1, "# SKIP non-root cases need root to set them up");
		return;
	}
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=0") && has(&b, "uid=65534,65534,65534"),
	    "not root: privsep_drop keeps the invoking user");
	tap_ok(has(&b, "nnp=1") && has(&b, "core=0,0") &&
	    has(&b, "dumpable=0"), "and still sets no_new_privs, no core");
	c.user = NULL;
	run(case_drop, &c, &b);
	tap_ok(has(&b, "drop=0"), "not root, no user: fine");
	c.keep_gid0 = 1;
	run(case_drop, &c, &b);
	tap_ok(has(&b, "refuse_root=-1") && strstr(b.data, "group root"),
	    "uid nobody with gid 0: privsep_refuse_root refuses");
	buf_free(&b);
}

static void
case_no_core(FILE *out, const void *arg)
{
	char *why = NULL;

	(void)arg;
	fprintf(out, "no_core=%d\n", privsep_no_core(&why));
	free(why);
	report_state(out);
}

static void
test_no_core(void)
{
	struct buf b = BUF_INIT;

	run(case_no_core, NULL, &b);
	tap_ok(has(&b, "no_core=0") && has(&b, "core=0,0") &&
	    has(&b, "dumpable=0"), "privsep_no_core: RLIMIT_CORE 0, "
	    "not dumpable");
	buf_free(&b);
}

int
main(void)
{
	test_root();
	test_not_root();
	test_no_core();
	return tap_done();
}
