/*
 * NAME
 *	vacation - Sieve's vacation action (RFC 5230): when to answer, the
 *	answer, and the per-account log of answers
 * DESCRIPTION
 *	A vacation action (sieve.h) asks for an automatic answer to the
 *	sender. vacation_respond() answers only when all of these hold:
 *
 *	- the envelope sender is not null, nor MAILER-DAEMON, LISTSERV,
 *	  majordomo, owner-*, *-owner or *-request (any case);
 *	- the message is not automatic or bulk: no Auto-Submitted other
 *	  than "no", no Precedence bulk, junk or list, no List-Id,
 *	  List-Help, List-Subscribe, List-Unsubscribe, List-Post,
 *	  List-Owner or List-Archive field;
 *	- it was sent to the account: To, Cc, Bcc, Resent-To, Resent-Cc or
 *	  Resent-Bcc holds one of the account's addresses (the envelope
 *	  recipient, with and without its subaddress detail, NAME@HOSTNAME,
 *	  and the :addresses of the action);
 *	- the sender is none of those addresses;
 *	- the log has no answer to this sender for this handle that is
 *	  younger than :days (default VACATION_DAYS_DEFAULT, kept within
 *	  VACATION_DAYS_MIN .. VACATION_DAYS_MAX). The handle is :handle,
 *	  or derived from :subject, :from, :mime and the reason, so a
 *	  changed text is a new vacation.
 *
 *	The answer (RFC 3834) goes through SENDMAIL (sendmail.h) from the
 *	null sender to the envelope sender, From :from or the recipient,
 *	Subject :subject or "Auto: " and the original subject (RFC 2047
 *	encoded when needed), In-Reply-To and References naming the
 *	original, Auto-Submitted: auto-replied. Without :mime the reason
 *	is a text/plain UTF-8 body; with :mime it is a MIME entity (its
 *	own header fields, an empty line, its body).
 *
 *	The log is the file "vacation" in the account's profile directory:
 *	a first line "popstore-vacation 1", then one line per answer,
 *	"EXPIRY KEY" (EXPIRY in seconds since the epoch, KEY 32 hex digits
 *	of SHA-256 over handle and sender). It is read and rewritten
 *	(atomically, under the account lock) only when an answer is due;
 *	expired lines are dropped then and at most VACATION_LOG_MAX kept.
 *	An answer is logged before it is sent, so two deliveries at once
 *	answer once; an answer the MTA refused is not retried for :days.
 *
 *	The same module builds the refusal of Sieve's reject and ereject
 *	(RFC 5429 2.1.1): a message disposition notification (RFC 8098),
 *	multipart/report with a text/plain part holding the reason, a
 *	message/disposition-notification part ("Disposition:
 *	automatic-action/MDN-sent-automatically; deleted") and the
 *	original header block as text/rfc822-headers (at most
 *	VACATION_HEADERS_MAX bytes, cut on a line boundary).
 * MEMORY
 *	*why_r is allocated; the caller frees it.
 */
#ifndef POPSTORE_VACATION_H
#define POPSTORE_VACATION_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct conf;
struct sieve_msg;
struct sieve_vacation;
struct store;

#define VACATION_DAYS_DEFAULT	7
#define VACATION_DAYS_MIN	1
#define VACATION_DAYS_MAX	30
#define VACATION_LOG_MAX	5000	/* answers remembered per account */
#define VACATION_HEADERS_MAX	65536	/* original header in a refusal */

struct vacation_ctx {
	const struct conf *conf;	/* HOSTNAME, SENDMAIL, SUBADDRESS_CHAR */
	struct store	*store;
	const char	*account;	/* canonical name */
	const char	*rcpt;		/* envelope recipient */
	const char	*sender;	/* envelope sender, "" for <> */
	const struct sieve_msg *msg;
	int64_t		 now;		/* seconds since the epoch */
};

/*
 * Answer if the rules above allow: 1 sent, 0 not sent (*why_r says
 * why, e.g. "list mail"), -1 error (*why_r).
 */
int vacation_respond(const struct vacation_ctx *vc,
    const struct sieve_vacation *v, char **why_r);

/*
 * The rules without the log: 1 an answer may go, 0 not (*why_r says
 * why).
 */
int vacation_allowed(const struct vacation_ctx *vc,
    const struct sieve_vacation *v, char **why_r);

/* Build the answer (LF line ends) into out. */
void vacation_build(const struct vacation_ctx *vc,
    const struct sieve_vacation *v, struct buf *out);

/*
 * Build the refusal of vc's message with reason (LF line ends) into
 * out, to be sent from the null sender to the envelope sender.
 */
void vacation_reject_build(const struct vacation_ctx *vc, const char *reason,
    struct buf *out);

/*
 * The log: when key (32 hex digits) has an entry younger than now, 0;
 * else record it until expiry and return 1. -1 on error.
 */
int vacation_log_claim(struct store *s, const char *account, const char *key,
    int64_t now, int64_t expiry, char **why_r);

#endif
