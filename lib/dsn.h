/*
 * NAME
 *	dsn - delivery status notifications (RFC 3464): build and send
 * SYNOPSIS
 *	#include "dsn.h"
 * DESCRIPTION
 *	A message that the store gives back to its sender (an account
 *	deleted with its unread mail, bouncer's expired messages, a
 *	disabled mailbox) goes back as a DSN: a multipart/report message
 *	(RFC 6522) with report-type=delivery-status and three parts:
 *
 *	1. text/plain for people: who reports, the caller's reason text,
 *	   and one line per recipient with its diagnostic;
 *	2. message/delivery-status: the per-message fields Reporting-MTA
 *	   (dns; HOSTNAME) and Arrival-Date, then per recipient
 *	   Final-Recipient (rfc822), Original-Recipient when known, Action
 *	   (failed unless the caller says otherwise), Status (the caller's
 *	   RFC 3463 code) and Diagnostic-Code (X-popstore; text);
 *	3. text/rfc822-headers: the original message's header block.
 *
 *	It comes From "Mail Delivery System <MAILER-DAEMON@HOSTNAME>" with
 *	Auto-Submitted: auto-replied (RFC 3834), and leaves through the MTA
 *	(sendmail.h) with the null envelope sender, as
 *
 *		SENDMAIL -i -f '' -- SENDER
 *
 *	so that a DSN is never answered by another. It is never sent to the
 *	null sender (<>) nor to a MAILER-DAEMON address: dsn_send() then
 *	sends nothing and says so.
 *
 *	The message is built with LF line ends (what a sendmail command
 *	reads); the original header block may have CRLF (as stored) or LF
 *	line ends, is cut at the first empty line and at DSN_HEADERS_MAX
 *	bytes (on a line boundary), and loses NUL and bare CR bytes. Text
 *	the caller passes (reason, diagnostics) is made safe for a header
 *	or a text/plain body: no control characters survive.
 * MEMORY
 *	struct dsn and struct dsn_rcpt point to the caller's strings; the
 *	built message goes to the caller's struct buf. *why_r is allocated;
 *	the caller frees it.
 * ERRORS
 *	-1 with *why_r: a malformed status code or action, a recipient or
 *	return address that is not a plausible mail address, no or too
 *	many recipients, or (dsn_send) a failure of the MTA, with
 *	*temporary_r saying whether a later try may succeed.
 */
#ifndef POPSTORE_DSN_H
#define POPSTORE_DSN_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct conf;

#define DSN_HEADERS_MAX		65536	/* bytes of original header kept */
#define DSN_RCPT_MAX		100	/* recipients in one DSN */
#define DSN_ADDR_MAX		320	/* bytes of one address */
#define DSN_DIAG_MAX		512	/* bytes of one diagnostic text */
#define DSN_REASON_MAX		4096	/* bytes of the reason text */

/* One recipient the report is about. */
struct dsn_rcpt {
	const char *address;	/* Final-Recipient: the address tried */
	const char *original;	/* Original-Recipient, or NULL (also left
				   out when not a plausible address) */
	const char *action;	/* "failed" (NULL), "delayed", "delivered",
				   "relayed" or "expanded" */
	const char *status;	/* RFC 3463 code, e.g. "5.2.1" */
	const char *diagnostic;	/* Diagnostic-Code text, or NULL */
};

/* One report. */
struct dsn {
	const char *sender;	/* the original envelope sender: the DSN's
				   recipient ("<>" or "" = none) */
	const char *reason;	/* paragraph(s) for people; LF separates
				   lines; may be NULL */
	const char *subject;	/* NULL: "Undelivered Mail Returned to
				   Sender" */
	int64_t	 arrival;	/* Arrival-Date (seconds), 0 = omitted */
	const char *headers;	/* original header block, or NULL */
	size_t	 headers_len;
	const struct dsn_rcpt *rcpts;
	size_t	 nrcpts;	/* 1 .. DSN_RCPT_MAX */
};

/*
 * 1 when a DSN may go to sender: 0 for the null sender ("", "<>"), for
 * any MAILER-DAEMON address (local part compared without case) and for
 * a sender that is not a plausible address (blanks, brackets, control
 * characters, a leading '-', longer than DSN_ADDR_MAX).
 */
int dsn_may_return(const char *sender);

/*
 * Build the DSN for d into out (appended, LF line ends). HOSTNAME (or
 * gethostname() when unset) names the reporting system. 0, or -1 with
 * *why_r for bad input (see ERRORS); out is unchanged then.
 */
int dsn_build(const struct conf *c, const struct dsn *d, struct buf *out,
    char **why_r);

/*
 * Build the DSN and hand it to SENDMAIL for d->sender. Returns 1 when
 * the MTA took it, 0 when nothing was sent because dsn_may_return()
 * says no, -1 with *why_r (and *temporary_r, may be NULL) when building
 * or sending failed.
 */
int dsn_send(const struct conf *c, const struct dsn *d, int *temporary_r,
    char **why_r);

#endif
