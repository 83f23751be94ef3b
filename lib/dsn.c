/* dsn - delivery status notifications (RFC 3464); see dsn.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dsn.h"
#include "file.h"
#include "sendmail.h"

#define DSN_SUBJECT	"Undelivered Mail Returned to Sender"

/* The address inside optional angle brackets and blanks, into out. */
static void
bare_address(const char *in, struct buf *out)
{
	size_t len;

	in += strspn(in, " \t");
	len = strlen(in);
	while (len && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	buf_append(out, in, len);
}

/* A plausible address: printable ASCII, no blanks or brackets. */
static int
address_ok(const char *a)
{
	size_t len = strlen(a), i;

	if (len == 0 || len > DSN_ADDR_MAX || a[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (a[i] <= ' ' || a[i] >= 0x7f || strchr("<>()\\,;", a[i]))
			return 0;
	return 1;
}

int
dsn_may_return(const char *sender)
{
	struct buf a = BUF_INIT;
	size_t local;
	int rc;

	if (sender == NULL)
		return 0;
	bare_address(sender, &a);
	local = strcspn(buf_cstr(&a), "@");
	rc = address_ok(buf_cstr(&a)) && !(local == 13 &&
	    strncasecmp(a.data, "mailer-daemon", 13) == 0);
	buf_free(&a);
	return rc;
}

/* RFC 3463: class "." subject "." detail, class 2, 4 or 5. */
static int
status_ok(const char *s)
{
	size_t n;
	int part;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	s += 2;
	for (part = 0; part < 2; part++) {
		n = strspn(s, "0123456789");
		if (n < 1 || n > 3 || (n > 1 && s[0] == '0'))
			return 0;
		s += n;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

static int
action_ok(const char *a)
{
	static const char *const actions[] = { "failed", "delayed",
	    "delivered", "relayed", "expanded" };
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(a, actions[i]) == 0)
			return 1;
	return 0;
}

/*
 * Append text with every control character (and, unless lines, every
 * line end) turned into a space or '?', at most max bytes. 8-bit bytes
 * are kept only when lines (a UTF-8 body part); *eight_r notes them.
 */
static void
put_text(struct buf *out, const char *s, size_t max, int lines, int *eight_r)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && lines)
			buf_putc(out, '\n');
		else if (c == '\t' || c == '\r' || c == '\n')
			buf_putc(out, ' ');
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !lines))
			buf_putc(out, '?');
		else {
			if (c >= 0x80 && eight_r)
				*eight_r = 1;
			buf_putc(out, (char)c);
		}
	}
}

/*
 * Append the original header block: up to its empty line, CRLF made
 * LF, NUL and bare CR dropped, cut at DSN_HEADERS_MAX on a line
 * boundary. *eight_r notes 8-bit bytes.
 */
static void
put_headers(struct buf *out, const char *h, size_t len, int *eight_r)
{
	size_t start = out->len, line = out->len, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '\n') {
			if (out->len == line)
				break;		/* the empty line ends it */
			buf_putc(out, '\n');
			if (out->len - start > DSN_HEADERS_MAX) {
				buf_truncate(out, line);
				return;
			}
			line = out->len;
		} else if (c != '\r' && c != '\0') {
			if (c >= 0x80)
				*eight_r = 1;
			buf_putc(out, (char)c);
		}
	}
	if (out->len != line)
		buf_putc(out, '\n');	/* unterminated last line */
}

/* RFC 5322 date-time in local time, locale independent. */
static void
put_date(struct buf *out, int64_t when)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t t = (time_t)when;
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	buf_printf(out, "%.3s, %d %.3s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char r[16];
	size_t i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
		static unsigned long calls;
		unsigned long x = (unsigned long)time(NULL) ^
		    ((unsigned long)getpid() << 16) ^ (++calls << 40);

		for (i = 0; i < nbytes; i++, x = x * 6364136223846793005UL + 1)
			r[i] = (unsigned char)(x >> 33);
	}
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void
hostname_of(const struct conf *c, struct buf *out)
{
	char host[256];

	if (c->hostname && *c->hostname) {
		buf_puts(out, c->hostname);
		return;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	buf_puts(out, host);
}

static int
check(const struct dsn *d, struct buf *to, char **why_r)
{
	size_t i;

	if (d->sender == NULL)
		return file_whyf(why_r, "DSN: no return address");
	bare_address(d->sender, to);
	if (!address_ok(to->data))
		return file_whyf(why_r, "DSN: unusable return address");
	if (d->nrcpts == 0 || d->nrcpts > DSN_RCPT_MAX)
		return file_whyf(why_r, "DSN: %zu recipients (1 to %d)",
		    d->nrcpts, DSN_RCPT_MAX);
	for (i = 0; i < d->nrcpts; i++) {
		const struct dsn_rcpt *r = &d->rcpts[i];

		if (r->address == NULL || !address_ok(r->address))
			return file_whyf(why_r, "DSN: bad recipient address");
		if (!status_ok(r->status))
			return file_whyf(why_r, "DSN: bad status code");
		if (r->action && !action_ok(r->action))
			return file_whyf(why_r, "DSN: bad action");
	}
	return 0;
}

/* The message header fields, up to and including the empty line. */
static void
put_envelope(struct buf *out, const struct dsn *d, const char *host,
    const char *to, const char *boundary)
{
	char id[17];

	random_hex(id, 8);
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", host);
	buf_printf(out, "To: <%s>\nSubject: ", to);
	put_text(out, d->subject ? d->subject : DSN_SUBJECT, 200, 0, NULL);
	buf_puts(out, "\nDate: ");
	put_date(out, (int64_t)time(NULL));
	buf_printf(out, "\nMessage-ID: <%lld.%ld.%s@%s>\n",
	    (long long)time(NULL), (long)getpid(), id, host);
	buf_puts(out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n");
	buf_printf(out, "\tboundary=\"%s\"\n\n"
	    "This is a MIME-encapsulated message.\n\n", boundary);
}

/* Part 1: the explanation for people. */
static void
put_human(struct buf *out, const struct dsn *d, const char *host,
    const char *boundary)
{
	struct buf text = BUF_INIT;
	int eight = 0;
	size_t i;

	buf_printf(&text, "This is the message store at %s.\n\n", host);
	buf_puts(&text, "Your message could not be delivered to one or more "
	    "recipients,\nor was returned after delivery. ");
	buf_puts(&text, "It is returned to you, without its\ncontent, "
	    "with this report.\n\n");
	if (d->reason && *d->reason) {
		put_text(&text, d->reason, DSN_REASON_MAX, 1, &eight);
		buf_puts(&text, "\n\n");
	}
	for (i = 0; i < d->nrcpts; i++) {
		buf_printf(&text, "<%s>: ", d->rcpts[i].address);
		put_text(&text, d->rcpts[i].diagnostic ? d->rcpts[i].diagnostic :
		    d->rcpts[i].status, DSN_DIAG_MAX, 0, NULL);
		buf_putc(&text, '\n');
	}
	buf_printf(out, "--%s\nContent-Description: Notification\n"
	    "Content-Type: text/plain; charset=%s\n", boundary,
	    eight ? "utf-8" : "us-ascii");
	if (eight)
		buf_puts(out, "Content-Transfer-Encoding: 8bit\n");
	buf_putc(out, '\n');
	buf_append(out, text.data, text.len);
	buf_putc(out, '\n');
	buf_free(&text);
}

/* Part 2: the machine-readable report. */
static void
put_status(struct buf *out, const struct dsn *d, const char *host,
    const char *boundary)
{
	size_t i;

	buf_printf(out, "--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n", boundary);
	buf_printf(out, "Reporting-MTA: dns; %s\n", host);
	if (d->arrival) {
		buf_puts(out, "Arrival-Date: ");
		put_date(out, d->arrival);
		buf_putc(out, '\n');
	}
	for (i = 0; i < d->nrcpts; i++) {
		const struct dsn_rcpt *r = &d->rcpts[i];

		buf_putc(out, '\n');
		buf_printf(out, "Final-Recipient: rfc822; %s\n", r->address);
		if (r->original && address_ok(r->original))
			buf_printf(out, "Original-Recipient: rfc822; %s\n",
			    r->original);
		buf_printf(out, "Action: %s\nStatus: %s\n",
		    r->action ? r->action : "failed", r->status);
		if (r->diagnostic) {
			buf_puts(out, "Diagnostic-Code: X-popstore; ");
			put_text(out, r->diagnostic, DSN_DIAG_MAX, 0, NULL);
			buf_putc(out, '\n');
		}
	}
	buf_putc(out, '\n');
}

/* Part 3: the original header block. */
static void
put_original(struct buf *out, const struct dsn *d, const char *boundary)
{
	struct buf hdr = BUF_INIT;
	int eight = 0;

	if (d->headers && d->headers_len)
		put_headers(&hdr, d->headers, d->headers_len, &eight);
	buf_printf(out, "--%s\nContent-Description: Undelivered Message "
	    "Headers\nContent-Type: text/rfc822-headers\n", boundary);
	if (eight)
		buf_puts(out, "Content-Transfer-Encoding: 8bit\n");
	buf_putc(out, '\n');
	buf_append(out, hdr.data, hdr.len);
	buf_printf(out, "\n--%s--\n", boundary);
	buf_free(&hdr);
}

/* 1 if any text the caller gave holds s (the boundary must not). */
static int
content_has(const struct dsn *d, const char *s)
{
	size_t i, n = strlen(s);

	if ((d->headers && memmem(d->headers, d->headers_len, s, n)) ||
	    (d->reason && strstr(d->reason, s)) ||
	    (d->subject && strstr(d->subject, s)))
		return 1;
	for (i = 0; i < d->nrcpts; i++)
		if (d->rcpts[i].diagnostic && strstr(d->rcpts[i].diagnostic, s))
			return 1;
	return 0;
}

int
dsn_build(const struct conf *c, const struct dsn *d, struct buf *out,
    char **why_r)
{
	struct buf to = BUF_INIT, host = BUF_INIT, msg = BUF_INIT;
	char boundary[48], hex[25];
	int rc = -1, tries;

	if (check(d, &to, why_r) < 0)
		goto out;
	hostname_of(c, &host);
	for (tries = 0; ; tries++) {
		random_hex(hex, 12);
		if (!content_has(d, hex))
			break;
		if (tries == 16) {
			file_whyf(why_r, "DSN: no usable MIME boundary");
			goto out;
		}
	}
	snprintf(boundary, sizeof(boundary), "=_popstore-dsn-%s", hex);
	put_envelope(&msg, d, host.data, to.data, boundary);
	put_human(&msg, d, host.data, boundary);
	put_status(&msg, d, host.data, boundary);
	put_original(&msg, d, boundary);
	buf_append(out, msg.data, msg.len);
	rc = 0;
out:
	buf_free(&to);
	buf_free(&host);
	buf_free(&msg);
	return rc;
}

int
dsn_send(const struct conf *c, const struct dsn *d, int *temporary_r,
    char **why_r)
{
	struct buf msg = BUF_INIT, to = BUF_INIT;
	const char *rcpt;
	int rc;

	if (temporary_r)
		*temporary_r = 0;
	if (!dsn_may_return(d->sender))
		return 0;
	if (dsn_build(c, d, &msg, why_r) < 0)
		return -1;
	bare_address(d->sender, &to);
	rcpt = to.data;
	rc = sendmail_send(c, "", &rcpt, 1, msg.data, msg.len, -1, temporary_r,
	    why_r) < 0 ? -1 : 1;
	buf_free(&msg);
	buf_free(&to);
	return rc;
}
