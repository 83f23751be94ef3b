/*
 * deliver.h - private interfaces of the deliver program (deliver(8)).
 *
 * main.c	options, configuration, signals, exit codes
 * result.c	outcomes (reply, enhanced code, exit status), address checks
 * rcpt.c	one recipient: name, forwarding, account, folder, quota
 * txn.c	one message: delivery headers, data, commit, forwarding
 * pipe.c	pipe mode (message on stdin, recipients on argv)
 * lmtp.c	LMTP (RFC 2033) protocol engine, independent of the store
 * lmtpstore.c	the LMTP engine's backend: transactions on the store
 * policy.c	check mode (-c) and the Postfix policy service (-p)
 */
#ifndef DELIVER_DELIVER_H
#define DELIVER_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "acct.h"
#include "buf.h"
#include "sieve.h"

struct conf;
struct delivery;
struct delivery_target;
struct netio;
struct store;

/* Limits on what the MTA hands us (documented in deliver(8)). */
#define DELIVER_ADDR_MAX	512	/* bytes of an envelope address */
#define DELIVER_HDR_SCAN_MAX	(256 * 1024)	/* header bytes scanned for loops */
#define DELIVER_DT_MAX		100	/* Delivered-To fields remembered */
#define LMTP_LINE_MAX		2048	/* bytes of a command line */
#define LMTP_BAD_MAX		10	/* bad commands before disconnecting */

/* An outcome, in the MTA's terms. */
enum rstatus { RS_OK = 0, RS_TEMP = 1, RS_PERM = 2 };

struct result {
	int	 status;	/* enum rstatus */
	int	 reply;		/* SMTP/LMTP reply code: 250, 452, 550 ... */
	char	 dsn[12];	/* RFC 3463 enhanced status code */
	int	 exitcode;	/* sysexits(3) for the pipe and check modes */
	char	 text[400];	/* human-readable reason, one line */
};

/* Set a result; text is printf-formatted and sanitised to one line. */
void result_set(struct result *r, int status, int reply, const char *dsn,
    int exitcode, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A temporary result for a failed store operation (errno-classified). */
void result_from_errno(struct result *r, int err, const char *what,
    const char *why);

/* The program's state, shared by all modes. */
struct dctx {
	struct conf	*conf;
	struct store	*store;
	const char	*proto;		/* "local" (pipe) or "LMTP" */
	const char	*helo;		/* LHLO name, or NULL */
	const char	*client;	/* client address for Received, or NULL */
	const char	*dt_addr;	/* -a: address for Delivered-To */
};

/* A folder a recipient's copy goes to, as its Sieve script decided. */
struct fdest {
	uint32_t folder_id;
	char	 folder[64];		/* shown in logs */
	uint32_t flags;			/* MSG_* system flags */
	char	**kw;			/* keywords */
	size_t	 nkw;
};

/* What a recipient's Sieve script decided (filter.c). */
struct filter {
	struct sieve_result res;	/* the actions */
	struct fdest *dest;		/* folders for the copy (may be none) */
	size_t	 ndest;
	char	 summary[64];		/* "fileinto,vacation" for the log */
};

/* One recipient of a transaction. */
struct rcpt {
	char	*addr;			/* as the MTA gave it */
	char	 name[ACCT_NAME_MAX + 1];	/* canonical name */
	int	 local;			/* a copy goes into a folder */
	struct acct acct;		/* when local */
	uint32_t folder_id;
	char	 folder[64];		/* folder shown in logs */
	int	 forward;		/* a forwarding exists */
	struct buf fwd_to;		/* addresses to re-inject to, one a line */
	struct filter *filter;		/* NULL: no script, implicit keep */
	size_t	*tidx;			/* the delivery targets of its copies */
	size_t	 ntidx;
	struct result res;
};

/*
 * Resolve an address before any data: the name, forwarding, account,
 * DISMAIL, quota (for a message of size bytes, 0 if unknown) and the
 * subaddress folder. r->res says the outcome.
 */
void rcpt_resolve(struct dctx *dc, struct rcpt *r, const char *addr,
    uint64_t size);

/* Check the quota again now that the message's size is known. */
void rcpt_check_quota(struct dctx *dc, struct rcpt *r, uint64_t size);

/* Release what rcpt_resolve allocated. */
void rcpt_free(struct rcpt *r);

/* 1 if an address is acceptable as envelope text (length, no controls). */
int addr_ok(const char *addr, size_t len);

/* ---- txn.c: one message to many recipients ---- */

struct hdrscan {
	int	 overlong;	/* the current physical line is being skipped */
	size_t	 seen;		/* header bytes scanned */
	int	 done;
	struct buf line;	/* the current physical line so far */
	struct buf field;	/* current Delivered-To value being collected */
	int	 in_dt;
	char	*dt[DELIVER_DT_MAX];	/* Delivered-To values */
	size_t	 ndt;
};

struct txn {
	struct dctx	*dc;
	char		*sender;
	struct rcpt	*r;
	size_t		 n, cap;
	struct delivery	*d;
	uint64_t	 skip;		/* bytes before the Received line */
	struct hdrscan	 scan;
	int		 data_err;	/* errno when data could not be stored */
	char		*data_why;
	int		 lf_mode;	/* convert bare LF (pipe mode) */
	char		 id[40];	/* queue id for Received and logs */
};

/* A transaction from sender ("" is the null sender); not yet started. */
void txn_init(struct txn *t, struct dctx *dc, const char *sender);

/* Add and resolve a recipient (size: a hint, 0 if unknown). */
struct rcpt *txn_add(struct txn *t, const char *addr, uint64_t size);

/* Recipients whose resolution succeeded. */
size_t txn_ok_count(const struct txn *t);

/*
 * Start the message: the delivery file with Return-Path, Delivered-To
 * (exactly one local recipient) and Received. On failure every accepted
 * recipient gets a temporary result and later data is discarded.
 */
void txn_start(struct txn *t);

/* Message data; in lf_mode bare LF becomes CRLF. -1 once data is refused. */
int txn_data(struct txn *t, const char *p, size_t n);

/*
 * The message is complete: final checks (size, quota, loops), store
 * the local copies, re-inject forwarded ones. Each recipient's res says
 * how it went. With all_or_nothing (pipe mode) a failure of any
 * recipient undoes the copies already stored, so the MTA's retry of the
 * whole message duplicates nothing.
 */
void txn_finish(struct txn *t, int all_or_nothing);

/*
 * 1 when a Delivered-To field of the incoming header names r's account:
 * the message went through its forwarding or a Sieve redirect before.
 */
int txn_looped(const struct txn *t, const struct rcpt *r);

/* The first recipient that failed, temporary failures first; NULL if none. */
const struct rcpt *txn_first_failure(const struct txn *t);

/* Log one line per recipient (event=deliver ...). */
void txn_log(struct txn *t);

/* Free everything, removing a temporary file. */
void txn_free(struct txn *t);

/*
 * Add a target for recipient r's copy: folder folder_id of its account,
 * with system flags and keywords kw[0..nkw). Its index goes to r->tidx.
 */
void rcpt_add_target(struct txn *t, struct rcpt *r, uint32_t folder_id,
    uint32_t flags, char *const *kw, size_t nkw);

/* ---- filter.c: the recipients' Sieve scripts ---- */

/*
 * Run the script of each accepted local recipient that has one, once
 * the message is complete: r->filter gets the folders for its copy. In
 * LMTP a reject answers the recipient 550 5.7.1 at once.
 */
void filter_run(struct txn *t, int lmtp);

/*
 * After the copies are stored: redirects, refusals (pipe mode) and
 * vacation answers. A redirect or refusal that fails stores a copy in
 * the recipient's default folder instead.
 */
void filter_finish(struct txn *t, int lmtp);

void filter_free(struct rcpt *r);

/* ---- hdrscan: Delivered-To fields of the incoming header ---- */
void hdrscan_feed(struct hdrscan *h, const char *p, size_t n);
void hdrscan_free(struct hdrscan *h);

/* ---- modes ---- */
int pipe_main(struct dctx *dc, const char *sender, char **rcpts, int n);
int check_main(struct dctx *dc, char **addrs, int n);
int policy_main(struct dctx *dc);
int lmtpstore_main(struct dctx *dc);

/* ---- lmtp.c: the protocol engine ---- */

struct lmtp_mail {
	const char *helo;
	const char *sender;
	uint64_t size;		/* SIZE=, 0 if not given */
};

/*
 * What the LMTP engine needs from a store. be is the backend's own
 * state. mail() starts a transaction (0, or -1 with the reply to send);
 * rcpt() resolves one recipient (1 accepted, 0 refused, reply filled
 * either way); data() takes message bytes in their stored (CRLF) form,
 * -1 once it refuses more (the engine goes on reading and discarding);
 * done() fills one reply per accepted recipient, in order; reset()
 * drops the transaction.
 */
struct lmtp_ops {
	int	(*mail)(void *be, const struct lmtp_mail *m, struct result *r);
	int	(*rcpt)(void *be, const char *addr, struct result *r);
	int	(*data)(void *be, const char *p, size_t n);
	void	(*done)(void *be, struct result *res, size_t n);
	void	(*reset)(void *be);
};

struct lmtp_limits {
	const char *hostname;
	uint64_t max_size;	/* SIZE advertised; larger MAIL refused */
	size_t	 max_rcpts;
	int	 timeout_ms;	/* idle timeout, negative for none */
};

/* Serve one LMTP connection on n until QUIT, EOF, timeout or error. */
int lmtp_serve(struct netio *n, const struct lmtp_limits *lim,
    const struct lmtp_ops *ops, void *be);

#endif
