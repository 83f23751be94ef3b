/*
 * pop3d.h - private interfaces of pop3d (pop3d(8)).
 *
 * main.c	options, configuration; as root: TLS key, site key, SASL;
 *		the privilege drop; hand-off to the session
 * session.c	one session: reading commands, dispatch per state, limits,
 *		the greeting, CAPA, STLS, QUIT, the session log lines
 * auth.c	USER/PASS, APOP, AUTH through SASL; failures and delays;
 *		the login itself (password rules, accounting, the maildrop)
 * cmd.c	transaction commands: STAT LIST UIDL RETR TOP DELE RSET NOOP
 * drop.c	the maildrop: the session's numbered message list, DELE and
 *		RETR marks, over a store folder
 * legacy.c	the maildrop over a Berkeley mailbox (LEGACY_MAIL_DIR)
 * split.c	the pre-auth split (privsep.h): the sandboxed child that
 *		parses the AUTHORIZATION state, and the parent's side that
 *		reads lines, runs TLS and SASL and logs in for it
 *
 * The session code needs no real connection: the fuzz target and the
 * unit tests drive it through a memory netio and a temporary store.
 */
#ifndef POP3D_POP3D_H
#define POP3D_POP3D_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "acct.h"
#include "sasl.h"

struct buf;
struct conf;
struct netio;
struct secret_key;
struct store;

/* Limits (pop3d(8) documents them). */
#define POP3_LINE_MAX	255	/* command line (RFC 2449), without CRLF */
#define POP3_READ_MAX	4096	/* any line at all: AUTH and its responses */
#define POP3_BAD_MAX	20	/* bad commands before disconnecting */
#define POP3_ARG_MAX	40	/* characters of a message number */

/* sysexits(3) codes of main() */
#define EXIT_CONFIG	78	/* EX_CONFIG */
#define EXIT_TEMP	75	/* EX_TEMPFAIL */

/* What the session runs with; main.c fills it in as root. */
struct pop3_env {
	const struct conf	*conf;
	struct store		*store;		/* NULL: the store is down */
	SSL_CTX			*tls;		/* NULL: no TLS configured */
	const struct secret_key	*key;		/* NULL: no site key */
	int			 implicit_tls;	/* -s: TLS before the greeting */
	int			 allow_root;	/* tests and fuzzing only: serve
						   although running as root */
	/* the pre-auth split (main.c forks the child; NULL: one process) */
	const struct split_ops	*split;
	int			 preauth_ctl;	/* control channel to the child */
	int			 preauth_data;	/* the child's replies */
	int			 preauth_pid;
};

/* ---- the maildrop (drop.c, legacy.c) ---- */

/* drop_send() and drop_dele() results besides 0 and -1 */
#define DROP_GONE	(-2)	/* expunged by another session: -ERR */
#define DROP_NETIO	(-3)	/* the connection failed mid-message */

struct drop;

struct drop_ops {
	/* Size of message i (0-based) as sent: 0, or -1 with *why_r. */
	int	(*size)(struct drop *d, uint32_t i, uint64_t *size_r,
		    char **why_r);
	/* Append message i's unique id to out: 0, or -1 with *why_r. */
	int	(*uidl)(struct drop *d, uint32_t i, struct buf *out,
		    char **why_r);
	/*
	 * Send "+OK" and message i (all of it when lines < 0, else the
	 * header and that many body lines), dot-stuffed, and the final
	 * ".". Returns 0, DROP_GONE (nothing sent), DROP_NETIO, or -1 with
	 * *why_r (nothing sent).
	 */
	int	(*send)(struct drop *d, uint32_t i, int64_t lines,
		    struct netio *io, uint64_t *sent_r, char **why_r);
	/* 1 when message i can still be read, 0 if gone, -1 error. */
	int	(*exists)(struct drop *d, uint32_t i, char **why_r);
	/*
	 * End of session: mark the retrieved messages read and, with
	 * update (QUIT), remove the deleted ones. *removed_r: how many.
	 * 0, or -1 with *why_r.
	 */
	int	(*commit)(struct drop *d, int update, uint32_t *removed_r,
		    char **why_r);
	void	(*close)(struct drop *d);
};

struct drop {
	const struct drop_ops *ops;
	void		*impl;
	uint32_t	 count;		/* messages in the session's view */
	uint64_t	 bytes;		/* their total size */
	uint32_t	 ndeleted;
	uint64_t	 deleted_bytes;
	uint32_t	 nseen;
	unsigned char	*dele;		/* one bit per message: DELE */
	unsigned char	*seen;		/* one bit per message: RETR */
};

/* The bits of the drop (drop.c). */
struct drop *drop_new(const struct drop_ops *ops, void *impl, uint32_t count,
    uint64_t bytes);
int drop_bit(const unsigned char *bits, uint32_t i);
void drop_set_bit(unsigned char *bits, uint32_t i, int on);
/* DELE of message i of size: 1 marked, 0 already marked. */
int drop_mark_deleted(struct drop *d, uint32_t i, uint64_t size);
void drop_mark_seen(struct drop *d, uint32_t i);
/* RSET: unmark every DELE. */
void drop_undelete_all(struct drop *d);
void drop_close(struct drop *d);

/* The INBOX of a store account (drop.c). 0, or -1 with *why_r. */
int drop_open_store(struct store *s, const struct acct *a, struct drop **d_r,
    char **why_r);

/*
 * The Berkeley mailbox at path (legacy.c): indexed under a shared lock
 * taken within lock_timeout seconds. 0 (a missing file is an empty
 * maildrop), or -1 with *why_r and errno (EWOULDBLOCK: locked).
 */
int drop_open_legacy(const char *path, unsigned lock_timeout,
    struct drop **d_r, char **why_r);

/*
 * Whether name (canonical) is a login user served from LEGACY_MAIL_DIR
 * (legacy.c): a safe file name and a user of the system password
 * database other than root. On 1, the mailbox path is appended to path
 * (may be NULL).
 */
int legacy_user(const struct conf *conf, const char *name, struct buf *path);

/* ---- the session (session.c) ---- */

enum pop3_state { POP3_AUTHORIZATION, POP3_TRANSACTION, POP3_DONE };

/* What the pre-auth child knows of the connection (from the parent). */
struct pop3_conn {
	char	remote[64];
	char	tls_protocol[32];	/* "" without TLS */
	int	is_tls;
	int	starttls_ok;		/* STLS may be offered */
	int	plaintext_ok;		/* sasl_session_plaintext_ok() */
	char	mechs[512];		/* sasl_session_mechanisms() */
};

/* How an authentication attempt ended (auth_do_*(), split.c). */
struct authres {
	int		 r;		/* 1: challenge in out, 0: authenticated,
					   -1: failed */
	enum sasl_outcome outcome;
	const char	*mech;		/* NULL: no mechanism was chosen */
	const char	*why;		/* for the log */
	const void	*out;		/* challenge (raw) */
	size_t		 outlen;
	int		 logged_in;	/* r == 0 and the login went through */
};

struct pop3 {
	const struct pop3_env	*env;
	const struct conf	*conf;
	struct netio		*io;
	struct sasl_session	*sasl;
	enum pop3_state		 state;
	char			*apop_ts;	/* greeting timestamp, or NULL */
	char			 user[SASL_MAX_USER + 1];	/* USER */
	int			 have_user;
	unsigned		 failures;	/* failed logins */
	unsigned		 bad;		/* bad commands */
	/* the last account the SASL lookup saw, for failure logs */
	char			 looked_up[SASL_MAX_USER + 1];
	int			 looked_up_found;
	/* after login */
	char			 login[ACCT_NAME_MAX + 1];
	const char		*mech;
	int			 legacy;
	int			 acct_type;	/* enum acct_type */
	struct drop		*drop;
	time_t			 started, login_at;
	uint64_t		 retr_count, retr_bytes, top_count;
	uint32_t		 removed;
	const char		*end;		/* why the session ended */
	/* the pre-auth child only (ctl >= 0) */
	int			 ctl;		/* control channel, else -1 */
	struct pop3_conn	 conn;
	struct buf		*rpc;		/* the last answer's fields */
	struct buf		*rline;		/* the last line read */
	char			 rmech[64], rwhy[256];
};

/*
 * Run one session on io until QUIT, end of input, timeout or error.
 * With preauth (tests and fuzzing only) the session starts logged in as
 * that account. Returns 0, or -1 when the session could not start.
 */
int session_run(const struct pop3_env *env, struct netio *io,
    const char *preauth);

/* The command loop, in whichever state p is. */
void session_loop(struct pop3 *p);

/* Queue a reply line (CRLF added); the result of netio_write. */
int reply(struct pop3 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A bad command: count it (the caller has replied). Returns -1. */
int bad_command(struct pop3 *p);

/* "ip=... tls=..." fields for log lines, appended to out. */
void session_log_fields(struct pop3 *p, struct buf *out);

/* ---- the connection, wherever it is (session.c) ---- */

/* netio_read_line() on the client, through the parent in the child. */
int session_read_line(struct pop3 *p, size_t max, const char **line_r,
    size_t *len_r, int *nul_r);
const char *conn_remote(struct pop3 *p);
const char *conn_tls_protocol(struct pop3 *p);
int conn_is_tls(struct pop3 *p);

/* ---- the pre-auth split (split.c) ---- */

/*
 * The parent's side, after the greeting (split_ops.serve): serve the
 * child's requests until it ends or a login succeeds (p->state is then
 * TRANSACTION).
 */

/* The child's side: the AUTHORIZATION state on ctl and data. */
void split_child(const struct pop3_env *env, int ctl, int data);

/*
 * The split's entry points for session.c and auth.c, through the env
 * so that the fuzz target and unit tests link without split.c.
 */
struct split_ops {
	/* split_serve() */
	void	(*serve)(struct pop3 *p);
	/* The child's requests (each waits for the parent's answer). */
	int	(*read_line)(struct pop3 *p, size_t max, const char **line_r,
		    size_t *len_r, int *nul_r);
	/* STLS: 0 done, 1 TLS failed, 2 no SASL after it; -1 gone. */
	int	(*starttls)(struct pop3 *p, size_t *discarded_r);
	/* Forward an attempt (PS_CHECK...) built in msg (freed, wiped). */
	int	(*auth)(struct pop3 *p, unsigned type, struct buf *msg,
		    struct authres *res);
};
extern const struct split_ops split_ops;

/*
 * Control message types. A line of the client is asked for with
 * PRIVSEP_READLINE (1) and answered with PRIVSEP_LINE (11), privsep.h.
 */
#define PS_STARTTLS	2	/* child: nothing */
#define PS_CHECK	3	/* child: u32 failures, user, password */
#define PS_START	4	/* child: u32 failures, mech, u32 has_ir, ir */
#define PS_STEP		5	/* child: u32 failures, response */
#define PS_APOP		6	/* child: u32 failures, name, digest */
#define PS_INFO		10	/* parent: struct pop3_conn, APOP timestamp */
#define PS_TLS		12	/* parent: u32 status, u32 discarded, info */
#define PS_RESULT	13	/* parent: struct authres and the session */

/* ---- authorization (auth.c) ---- */

/* The attempts themselves, in the process that holds the SASL session. */
int auth_do_check(struct pop3 *p, const char *user, const char *pass,
    struct authres *res);
int auth_do_start(struct pop3 *p, const char *mech, const void *ir,
    size_t irlen, struct authres *res);
int auth_do_step(struct pop3 *p, const void *in, size_t inlen,
    struct authres *res);
int auth_do_apop(struct pop3 *p, const char *name, const char *digest,
    struct authres *res);
/*
 * The pause after a failed attempt, in the process that holds the SASL
 * session (never the pre-auth child): output flushed, then the fixed
 * LOGIN_FAIL_DELAY for a temporary failure, else the growing one of
 * penalty.h for the client's address and p->looked_up.
 */
void auth_fail_delay(struct pop3 *p, enum sasl_outcome outcome);
/* sasl_session_plaintext_ok() and _mechanisms(), wherever SASL runs. */
int auth_plaintext_ok(struct pop3 *p);
const char *auth_mechanisms(struct pop3 *p);

/* A SASL session for the connection as it is now (after STLS: anew). */
int auth_sasl_new(struct pop3 *p, char **why_r);

/* Commands of the AUTHORIZATION state. Return 0 or -1 (bad). */
int cmd_user(struct pop3 *p, char *arg);
int cmd_pass(struct pop3 *p, char *arg);
int cmd_apop(struct pop3 *p, char *arg);
int cmd_auth(struct pop3 *p, char *arg);

/* Log in as canonical name without a password (preauth). 0 or -1. */
int auth_login(struct pop3 *p, const char *name, const char *mech);

/* Connect accounting at the end of a logged-in session. */
void auth_logout_accounting(struct pop3 *p);

/* ---- transaction (cmd.c) ---- */

int cmd_stat(struct pop3 *p, char *arg);
int cmd_list(struct pop3 *p, char *arg);
int cmd_uidl(struct pop3 *p, char *arg);
int cmd_retr(struct pop3 *p, char *arg);
int cmd_top(struct pop3 *p, char *arg);
int cmd_dele(struct pop3 *p, char *arg);
int cmd_rset(struct pop3 *p, char *arg);
int cmd_noop(struct pop3 *p, char *arg);
/* QUIT in the TRANSACTION state: the UPDATE state. */
int cmd_quit_update(struct pop3 *p, char *arg);

#endif
