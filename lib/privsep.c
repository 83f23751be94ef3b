/* privsep - give up root for good; see privsep.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "be.h"
#include "buf.h"
#include "log.h"
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

/* ---- the pre-auth sandbox ---- */

#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define SECCOMP_ARCH	AUDIT_ARCH_I386
#endif

/*
 * What the pre-auth child may do: I/O on descriptors it holds, memory,
 * time, signals, exit, and what libc, OpenSSL's RNG and the sanitizers
 * need on the way. Nothing that names a file or makes a descriptor.
 */
static const int preauth_syscalls[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close, SYS_lseek,
	SYS_ppoll, SYS_pselect6, SYS_fstat, SYS_fcntl,
	SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
	SYS_getsockname, SYS_getpeername, SYS_getsockopt, SYS_shutdown,
	SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_brk, SYS_madvise,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_sigaltstack, SYS_restart_syscall,
	SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime,
	SYS_gettimeofday, SYS_getrandom, SYS_futex, SYS_sched_yield,
	SYS_getpid, SYS_gettid, SYS_getppid, SYS_getuid, SYS_geteuid,
	SYS_getgid, SYS_getegid, SYS_getresuid, SYS_getresgid, SYS_uname,
	SYS_prlimit64, SYS_tgkill, SYS_exit, SYS_exit_group,
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_select
	SYS_select,
#endif
#ifdef SYS_newfstatat
	SYS_newfstatat,
#endif
#ifdef SYS_time
	SYS_time,
#endif
#ifdef SYS_getrlimit
	SYS_getrlimit,
#endif
};

#define NSYSCALLS	(sizeof(preauth_syscalls) / sizeof(preauth_syscalls[0]))

/* Allow the list, refuse the rest with EACCES; another ABI is killed. */
static int
seccomp_install(char **why_r)
{
#ifdef SECCOMP_ARCH
	struct sock_filter f[6 + 2 * NSYSCALLS + 1];
	struct sock_fprog prog;
	size_t n = 0, i;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SECCOMP_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	/* x32 calls carry a high bit on x86_64: none is allowed. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000u, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EACCES);
	for (i = 0; i < NSYSCALLS; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)preauth_syscalls[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ALLOW);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EACCES);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return fail(why_r, "prctl(PR_SET_SECCOMP):");
	return 0;
#else
	return fail(why_r, "no seccomp filter for this architecture");
#endif
}

int
privsep_preauth_sandbox(const char *user, char **why_r)
{
	if (has_root_uid() && user != NULL && *user != '\0' &&
	    become(user, why_r) < 0)
		return -1;
	if (privsep_no_core(why_r) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(why_r, "prctl(PR_SET_NO_NEW_PRIVS):");
	return seccomp_install(why_r);
}

/* ---- control messages ---- */

/* Write all of data; 0 or -1. */
static int
write_all(int fd, const unsigned char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read exactly len bytes: 1, 0 at end of input before any, -1. */
static int
read_all(int fd, unsigned char *data, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, data + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return got == 0 ? 0 : -1;
		}
		got += (size_t)r;
	}
	return 1;
}

int
privsep_send(int fd, unsigned type, const void *data, size_t len,
    char **why_r)
{
	unsigned char hdr[5];

	if (type > 255 || len >= PRIVSEP_MSG_MAX) {
		errno = EMSGSIZE;
		return fail(why_r, "control message too long:");
	}
	be32_put(hdr, (uint32_t)(len + 1));
	hdr[4] = (unsigned char)type;
	if (write_all(fd, hdr, sizeof(hdr)) < 0 ||
	    (len > 0 && write_all(fd, data, len) < 0))
		return fail(why_r, "control channel write:");
	return 0;
}

int
privsep_recv(int fd, unsigned *type_r, struct buf *out, size_t max,
    char **why_r)
{
	unsigned char hdr[5];
	uint32_t len;
	int r;

	if (max > PRIVSEP_MSG_MAX)
		max = PRIVSEP_MSG_MAX;
	if ((r = read_all(fd, hdr, 4)) <= 0)
		return r == 0 ? 0 : fail(why_r, "control channel read:");
	len = be32_get(hdr);
	if (len == 0 || len > max)
		return fail(why_r, "control message of %lu bytes refused",
		    (unsigned long)len);
	if (read_all(fd, hdr + 4, 1) <= 0)
		return fail(why_r, "control channel read:");
	*type_r = hdr[4];
	/* The last message may have held a password: wiped before reuse
	 * (and before buf_reserve() may move the block). */
	if (out->data)
		explicit_bzero(out->data, out->cap);
	out->len = 0;
	buf_reserve(out, len);
	if (len > 1 && read_all(fd, (unsigned char *)out->data, len - 1) <= 0)
		return fail(why_r, "control channel read:");
	out->len = len - 1;
	out->data[out->len] = '\0';
	return 1;
}

void
privsep_put_u32(struct buf *msg, uint32_t v)
{
	unsigned char b[4];

	be32_put(b, v);
	buf_append(msg, b, sizeof(b));
}

void
privsep_put_bytes(struct buf *msg, const void *data, size_t len)
{
	privsep_put_u32(msg, (uint32_t)len);
	if (len > 0)
		buf_append(msg, data, len);
}

void
privsep_put_str(struct buf *msg, const char *s)
{
	privsep_put_bytes(msg, s ? s : "", s ? strlen(s) : 0);
}

void
privsep_rd_init(struct privsep_rd *rd, const struct buf *msg)
{
	rd->p = (const unsigned char *)msg->data;
	rd->left = msg->len;
	rd->bad = 0;
}

uint32_t
privsep_get_u32(struct privsep_rd *rd)
{
	uint32_t v;

	if (rd->bad || rd->left < 4) {
		rd->bad = 1;
		return 0;
	}
	v = be32_get(rd->p);
	rd->p += 4;
	rd->left -= 4;
	return v;
}

const void *
privsep_get_bytes(struct privsep_rd *rd, size_t max, size_t *len_r)
{
	uint32_t len = privsep_get_u32(rd);
	const void *p;

	*len_r = 0;
	if (rd->bad || len > max || len > rd->left) {
		rd->bad = 1;
		return NULL;
	}
	p = rd->p;
	rd->p += len;
	rd->left -= len;
	*len_r = len;
	return p;
}

void
privsep_get_str(struct privsep_rd *rd, char *dst, size_t size)
{
	size_t len;
	const char *s = privsep_get_bytes(rd, size ? size - 1 : 0, &len);

	if (size == 0)
		return;
	dst[0] = '\0';
	if (s == NULL)
		return;
	if (memchr(s, '\0', len) != NULL) {
		rd->bad = 1;
		return;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* ---- the split, both sides ---- */

int
privsep_preauth_fork(int *ctl_r, int *data_r, int *pid_r, char **why_r)
{
	int ctl[2], data[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		return fail(why_r, "socketpair:");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) < 0) {
		fail(why_r, "socketpair:");
		goto close_ctl;
	}
	if ((pid = fork()) < 0) {
		fail(why_r, "fork:");
		close(data[0]);
		close(data[1]);
		goto close_ctl;
	}
	close(ctl[pid == 0 ? 0 : 1]);
	close(data[pid == 0 ? 0 : 1]);
	*ctl_r = ctl[pid == 0 ? 1 : 0];
	*data_r = data[pid == 0 ? 1 : 0];
	*pid_r = (int)pid;
	return pid == 0;
close_ctl:
	close(ctl[0]);
	close(ctl[1]);
	return -1;
}

/* The test hook of privsep_preauth_enter(). */
static void
test_open(void)
{
	const char *path = getenv("POPSTORE_TEST_PREAUTH_OPEN");
	int fd, e;

	if (path == NULL || *path == '\0')
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	e = errno;
	log_eventf(LOG_INFO, "preauth_test_open", "path=%s fd=%d errno=%d "
	    "uid=%u pid=%d", path, fd, fd < 0 ? e : 0, (unsigned)getuid(),
	    (int)getpid());
	if (fd >= 0)
		close(fd);
}

int
privsep_preauth_enter(const char *user, char **why_r)
{
	struct stat st;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* The client is the parent's: no way to read it from here. */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode) && dup2(null, 2) < 0)) {
		fail(why_r, "/dev/null over the client:");
		if (null >= 0)
			close(null);
		return -1;
	}
	close(null);
	if (privsep_preauth_sandbox(user, why_r) < 0)
		return -1;
	test_open();
	return 0;
}

int
privsep_preauth_reap(int ctl, int data, int pid)
{
	int st = 0;

	close(ctl);
	close(data);
	/* Without its channels the child ends at once. */
	while (waitpid((pid_t)pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		log_eventf(LOG_ERR, "preauth_died", "signal=%d", WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		log_eventf(LOG_ERR, "preauth_died", "status=%d",
		    WEXITSTATUS(st));
	else
		return 0;
	return 1;
}
