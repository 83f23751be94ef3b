/*
 * NAME
 *	privsep - give up root for good before the first client byte
 * SYNOPSIS
 *	#include "privsep.h"
 * DESCRIPTION
 *	The servers start as root only to read what only root may read (the
 *	TLS key, see tls.h) and to open syslog; privsep_drop() then makes
 *	them the store's user (STORE_USER) in a way that cannot be undone,
 *	before netio reads anything from the client:
 *
 *	  1. RLIMIT_CORE is set to 0 and the process is made non-dumpable:
 *	     a crash leaves no core holding mail or passwords, and other
 *	     processes of the store user (other sessions) cannot ptrace
 *	     this one or read its memory through /proc.
 *	  2. As root: the user is looked up (before any change, while the
 *	     password file is readable), then setgroups() to the user's
 *	     primary group only, setresgid(), setresuid(). A user whose uid
 *	     or primary gid is 0 is refused, and so is an empty user name:
 *	     a server must never go on as root.
 *	  3. The drop is verified: real, effective and saved ids are the
 *	     user's, the only group is the primary one, and setuid(0) and
 *	     setgid(0) fail.
 *	  4. PR_SET_NO_NEW_PRIVS: no later exec can gain privileges
 *	     (set-id programs, file capabilities).
 *
 *	Not started as root (run by hand, by tests, by an MTA as the store
 *	user), nothing changes identity: the process goes on as the
 *	invoking user, and steps 1 and 4 still apply.
 *
 *	PR_SET_NO_NEW_PRIVS also stops set-id helpers a program may exec:
 *	Postfix's sendmail hands mail to the set-gid postdrop, which then
 *	fails. A program that forwards or bounces mail through SENDMAIL
 *	passes PRIVSEP_EXEC_SETID to leave that bit alone.
 * MEMORY
 *	*why_r, when set, is allocated and the caller frees it.
 * ERRORS
 *	-1 with *why_r; the caller must then exit without serving: the
 *	process may be half-way through the change.
 */
#ifndef POPSTORE_PRIVSEP_H
#define POPSTORE_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* privsep_drop() flags. */
#define PRIVSEP_EXEC_SETID	0x1	/* do not set PR_SET_NO_NEW_PRIVS */

/*
 * Become user (see DESCRIPTION) if root, else stay the invoking user;
 * then forbid core dumps and, unless flags has PRIVSEP_EXEC_SETID,
 * privilege gain on exec. Returns 0, or -1 with *why_r.
 */
int privsep_drop(const char *user, unsigned flags, char **why_r);

/*
 * For code that runs after authentication: -1 with *why_r when any of
 * the real, effective or saved uids or gids, or any supplementary
 * group, is 0 (qmail-pop3d's rule); else 0.
 */
int privsep_refuse_root(char **why_r);

/*
 * RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0, for programs
 * that handle mail or secrets without dropping privileges (popmgr,
 * reconstruct). privsep_drop() does this itself. Returns 0, or -1
 * with *why_r.
 */
int privsep_no_core(char **why_r);

/*
 * PRE-AUTHENTICATION SANDBOX
 *	The code that parses what a client sends before it has logged in
 *	runs in a child process that cannot read mail (see pop3d(8)):
 *
 *	  parent (store user)                child (pre-auth)
 *	  client fds 0/1, TLS, SASL,  <-ctl->  protocol parser, replies,
 *	  the store, the login         <-data-  failure delays, log lines
 *
 *	The parent forks the child as root, before its own drop; the
 *	child closes the client fds, wipes the keys it inherited and calls
 *	privsep_preauth_sandbox(): it becomes PREAUTH_USER when started as
 *	root (unless that is root), then in every case installs a seccomp
 *	filter that allows only I/O on descriptors it already holds, memory
 *	management, time, signals and exit: open(), openat(), socket(),
 *	execve() and everything else fail with EACCES. A seccomp filter
 *	cannot be lifted, so the child never becomes the session: after a
 *	successful login it exits and the parent, which did the credential
 *	check and the login itself, serves the rest of the session.
 *
 *	TLS stays in the parent. The child never sees the client: it asks
 *	for one protocol line at a time on the control channel, and the
 *	parent answers with exactly one line read from its netio (TLS or
 *	not), so nothing the client pipelined is ever buffered in the
 *	child, and after STARTTLS/STLS or after the login the parent's
 *	netio still holds every unread byte in order. The child's replies
 *	go out on a data channel that the parent copies to the client; it
 *	flushes them before each request, and the parent drains the data
 *	channel before acting on a request, so replies keep their order.
 *	The price: OpenSSL's record layer runs in the parent (as the store
 *	user, as before); the protocol parsers, the bulk of the pre-auth
 *	attack surface, do not.
 *
 *	Control messages are length-prefixed: a 4-byte big-endian length of
 *	what follows, a 1-byte type, then fields, each a 4-byte big-endian
 *	number or a 4-byte length and that many bytes. Every receiver
 *	checks every length against its own limits.
 */

/* The account the pre-auth child becomes when started as root. */
#define PRIVSEP_PREAUTH_USER	"nobody"

/* Largest control message (type and fields), both ways. */
#define PRIVSEP_MSG_MAX		(64 * 1024)

/*
 * In the pre-auth child: become user (when root and user is not root;
 * NULL or "" keeps the current ids), forbid core dumps and privilege
 * gain, then install the seccomp filter (DESCRIPTION). Returns 0, or
 * -1 with *why_r: the child must then exit without serving.
 */
int privsep_preauth_sandbox(const char *user, char **why_r);

/*
 * Send one control message of type (0..255) with len bytes of fields.
 * Blocks until written. Returns 0, or -1 with *why_r.
 */
int privsep_send(int fd, unsigned type, const void *data, size_t len,
    char **why_r);

/*
 * Receive one control message: *type_r, and its fields replacing the
 * contents of out. A length over max (at most PRIVSEP_MSG_MAX) is an
 * error. Returns 1, 0 at end of input before a message, or -1 with
 * *why_r (also for end of input inside a message).
 */
int privsep_recv(int fd, unsigned *type_r, struct buf *out, size_t max,
    char **why_r);

/* Append a number, or a length and len bytes, to a message. */
void privsep_put_u32(struct buf *msg, uint32_t v);
void privsep_put_bytes(struct buf *msg, const void *data, size_t len);
void privsep_put_str(struct buf *msg, const char *s);

/* A cursor over received fields; bad is set by any short or long read. */
struct privsep_rd {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

/* Start reading the fields of msg. */
void privsep_rd_init(struct privsep_rd *rd, const struct buf *msg);

/* The next number (0 and bad set when missing). */
uint32_t privsep_get_u32(struct privsep_rd *rd);

/*
 * The next byte string, at most max bytes: a pointer into the message
 * and *len_r. NULL, with bad set, when missing or longer than max.
 */
const void *privsep_get_bytes(struct privsep_rd *rd, size_t max,
    size_t *len_r);

/*
 * The next string into dst (size bytes, NUL-terminated): bad is set
 * when it is missing, holds a NUL, or does not fit.
 */
void privsep_get_str(struct privsep_rd *rd, char *dst, size_t size);

/*
 * THE SPLIT, BOTH SIDES
 *	What every server's split does alike. The parent forks the child
 *	with privsep_preauth_fork() while still root; the child sheds what
 *	it inherited (its own keys first, then privsep_preauth_enter()) and
 *	asks the parent for client input with privsep_preauth_ask(). The
 *	parent serves it with privsep_preauth_serve() and reaps it with
 *	privsep_preauth_reap(). struct netio is the client connection in
 *	the parent, and the data channel (write side) in the child.
 *	A protocol with more than lines (IMAP literals) adds its own
 *	requests for so many bytes, each answered with exactly those.
 *	The functions that move client bytes are in privsep_io.c, so that
 *	a program that only calls privsep_drop() links no netio (OpenSSL).
 */
struct netio;

/*
 * Two socket pairs (control, data) and a fork. Returns 0 in the
 * parent, 1 in the child (each with its own ends in *ctl_r, *data_r,
 * close-on-exec; the other ends closed), or -1 with *why_r (no child).
 */
int privsep_preauth_fork(int *ctl_r, int *data_r, int *pid_r, char **why_r);

/*
 * In the child, after it has wiped its own secrets: /dev/null over fds
 * 0 and 1 (and 2 when that is a socket), then
 * privsep_preauth_sandbox(user). Test hook: with
 * POPSTORE_TEST_PREAUTH_OPEN set, the child then tries to open that
 * file once and logs the outcome (event preauth_test_open). Returns 0,
 * or -1 with *why_r: the child must exit.
 */
int privsep_preauth_enter(const char *user, char **why_r);

/*
 * In the child: flush io (the replies so far), send msg (then wiped
 * and freed) as type, and receive the answer into ans, which must be
 * of type want. Returns 0, or -1 (the parent is gone or broke the
 * protocol).
 */
int privsep_preauth_ask(int ctl, struct netio *io, unsigned type,
    struct buf *msg, unsigned want, struct buf *ans);

/* The line request both splits use (pop3d's PS_READLINE, PS_LINE). */
#define PRIVSEP_READLINE	1	/* child: u32 max */
#define PRIVSEP_LINE		11	/* parent: u32 status, u32 nul, line */

/*
 * In the child: netio_read_line() through the parent (PRIVSEP_READLINE).
 * The line is copied into line (old contents wiped), where *line_r
 * points until the next call; ans is scratch for the answer. Returns
 * what the parent's netio_read_line() returned, or NETIO_ERROR when
 * the parent is gone or broke the protocol.
 */
int privsep_preauth_ask_line(int ctl, struct netio *io, size_t max,
    struct buf *ans, struct buf *line, const char **line_r, size_t *len_r,
    int *nul_r);

/*
 * In the parent: answer the PRIVSEP_READLINE in rd with one line of io.
 * The child's max must be 1..limit. While waiting for the client (at
 * most timeout_ms, then NETIO_TIMEOUT is the answer) the control
 * channel is watched too: the child asks nothing meanwhile, so its
 * being readable means it has gone. Returns 0, or -1: stop serving it.
 */
int privsep_preauth_serve_line(int ctl, struct netio *io,
    struct privsep_rd *rd, size_t limit, int timeout_ms);

/*
 * In the parent: wait as privsep_preauth_serve_line() does before it
 * reads. Returns 0 with *rc_r 0 (read now) or the NETIO_ code to answer
 * instead, or -1 when the child has gone.
 */
int privsep_preauth_await(int ctl, struct netio *io, int timeout_ms,
    int *rc_r);

/*
 * In the parent: copy what the child has written on data (non-blocking)
 * to io until none is pending. *open_r becomes 0 at end of the data
 * channel. Returns 0, or -1 when writing to io failed.
 */
int privsep_preauth_relay(int data, struct netio *io, int *open_r);

/*
 * In the parent: serve the child until done(ctx) is true (returns 0) or
 * the child ends or breaks the protocol (returns -1). Before each
 * request is handed to serve(ctx, type, rd) the data channel is
 * drained to io, so replies keep their order; serve returns 0 to go
 * on, -1 to stop (it has checked every field itself). What the child
 * wrote last is relayed before returning -1.
 */
int privsep_preauth_serve(int ctl, int data, struct netio *io,
    int (*serve)(void *ctx, unsigned type, struct privsep_rd *rd),
    int (*done)(void *ctx), void *ctx);

/*
 * In the parent: close ctl and data, wait for the child pid and log
 * preauth_died (LOG_ERR) when a signal or a non-zero status ended it.
 * Returns 1 when it died so, 0 when it exited cleanly, -1 when it
 * could not be waited for.
 */
int privsep_preauth_reap(int ctl, int data, int pid);

#endif
