/*
 * NAME
 *	sendmail - hand a message to the MTA
 * DESCRIPTION
 *	Forwarded copies, returned messages (DSNs), vacation replies and
 *	Sieve redirects leave popstore through the site's MTA: the SENDMAIL
 *	option (default /usr/sbin/sendmail) run without a shell as
 *
 *		SENDMAIL -i -f SENDER -- RECIPIENT...
 *
 *	with the message on its standard input ("" as SENDER means the null
 *	sender <>). The MTA's exit status decides: 0 is success, EX_TEMPFAIL
 *	and signals are temporary failures, anything else permanent.
 *	The message is spooled to memory before the MTA starts, so a
 *	caller killed half-way never hands the MTA a truncated message.
 * MEMORY
 *	Nothing retained; *why_r is allocated.
 */
#ifndef POPSTORE_SENDMAIL_H
#define POPSTORE_SENDMAIL_H

#include <stddef.h>
#include <sys/types.h>

struct conf;

#define SENDMAIL_RCPT_MAX	1000

/*
 * Run SENDMAIL for rcpts[0..n) and feed it the message: first `prefix`
 * (prefix_len bytes, e.g. added headers; may be 0), then, if fd >= 0,
 * the whole file at fd from offset 0. Returns 0 on success, -1 with
 * *why_r; *temporary_r (may be NULL) says whether a retry may work.
 */
int sendmail_send(const struct conf *c, const char *sender,
    const char *const *rcpts, size_t n, const void *prefix,
    size_t prefix_len, int fd, int *temporary_r, char **why_r);

/*
 * The same, feeding the file at fd from offset on (deliver forwards a
 * stored copy without the Return-Path it added). The MTA's standard
 * output goes to /dev/null.
 */
int sendmail_send_at(const struct conf *c, const char *sender,
    const char *const *rcpts, size_t n, const void *prefix,
    size_t prefix_len, int fd, off_t offset, int *temporary_r,
    char **why_r);

#endif
