/* vacation - Sieve's vacation action (RFC 5230); see vacation.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "file.h"
#include "mem.h"
#include "num.h"
#include "sendmail.h"
#include "sieve.h"
#include "sieve_msg.h"
#include "vacation.h"

#define LOG_FILE	"vacation"
#define LOG_HEAD	"popstore-vacation 1\n"
#define KEY_LEN		32
#define REFS_MAX	2000	/* bytes of References carried over */

static void
bare(const char *a, struct buf *out)
{
	size_t len = strlen(a);

	buf_reset(out);
	buf_reserve(out, 0);
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
		buf_append(out, a + 1, len - 2);
	else
		buf_append(out, a, len);
}

/* An envelope recipient as a whole address (HOSTNAME when bare). */
static void
qualified(const struct vacation_ctx *vc, struct buf *out)
{
	bare(vc->rcpt ? vc->rcpt : "", out);
	if (out->len > 0 && strchr(out->data, '@') == NULL)
		buf_printf(out, "@%s", vc->conf->hostname);
}

/* 1 when the local part of sender names a list or a daemon. */
static int
daemon_sender(const char *sender)
{
	static const char *const names[] = { "mailer-daemon", "listserv",
	    "majordomo", "postmaster" };
	const char *at = strrchr(sender, '@');
	size_t n = at ? (size_t)(at - sender) : strlen(sender), i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && strncasecmp(sender, names[i], n) == 0)
			return 1;
	if (n >= 6 && strncasecmp(sender, "owner-", 6) == 0)
		return 1;
	if (n >= 8 && strncasecmp(sender + n - 8, "-request", 8) == 0)
		return 1;
	return n >= 6 && strncasecmp(sender + n - 6, "-owner", 6) == 0;
}

/* 1 when the header marks the message automatic, bulk or list mail. */
static const char *
automatic(const struct sieve_msg *m)
{
	static const char *const lists[] = { "List-Id", "List-Help",
	    "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner",
	    "List-Archive" };
	struct buf v = BUF_INIT;
	const char *why = NULL;
	size_t i, pos = 0;

	if (sieve_msg_field_next(m, "Auto-Submitted", &pos, 0, &v, NULL) &&
	    !(strncasecmp(buf_cstr(&v), "no", 2) == 0 &&
	    strchr(" \t;(", v.data[2]) != NULL))
		why = "auto-submitted mail";
	pos = 0;
	if (why == NULL && sieve_msg_field_next(m, "Precedence", &pos, 0, &v,
	    NULL) && (strcasecmp(v.data, "bulk") == 0 ||
	    strcasecmp(v.data, "junk") == 0 || strcasecmp(v.data, "list") == 0))
		why = "bulk mail";
	for (i = 0; why == NULL && i < sizeof(lists) / sizeof(lists[0]); i++)
		if (sieve_msg_field_count(m, lists[i]) > 0)
			why = "list mail";
	buf_free(&v);
	return why;
}

/* The account's addresses, lower case, one per line, into out. */
static void
own_addresses(const struct vacation_ctx *vc, const struct sieve_vacation *v,
    struct buf *out)
{
	const char *sc = vc->conf->subaddress_char;
	struct buf a = BUF_INIT;
	const char *at, *sep;
	size_t i;

	qualified(vc, &a);
	buf_printf(out, "\n%s\n", a.data);
	at = strrchr(a.data, '@');
	sep = sc[0] ? memchr(a.data, sc[0], at ? (size_t)(at - a.data) :
	    a.len) : NULL;
	if (sep) {			/* without the detail */
		buf_append(out, a.data, (size_t)(sep - a.data));
		buf_printf(out, "%s\n", at ? at : "");
	}
	if (strchr(vc->account, '@'))
		buf_printf(out, "%s\n", vc->account);
	else
		buf_printf(out, "%s@%s\n", vc->account, vc->conf->hostname);
	for (i = 0; i < v->naddresses; i++) {
		struct sieve_addrs l = { NULL, 0 };

		sieve_addrs_parse(v->addresses[i], strlen(v->addresses[i]), &l);
		if (l.n > 0)
			buf_printf(out, "%s\n", l.v[0].all);
		sieve_addrs_free(&l);
	}
	for (i = 0; i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] += 32;
	buf_free(&a);
}

static int
listed(const struct buf *list, const char *addr)
{
	struct buf k = BUF_INIT;
	size_t i;
	int rc;

	buf_printf(&k, "\n%s\n", addr);
	for (i = 0; i < k.len; i++)
		if (k.data[i] >= 'A' && k.data[i] <= 'Z')
			k.data[i] += 32;
	rc = k.len > 2 && memmem(list->data, list->len, k.data, k.len) != NULL;
	buf_free(&k);
	return rc;
}

/* 1 when a recipient field names one of the addresses in own. */
static int
sent_to_us(const struct sieve_msg *m, const struct buf *own)
{
	static const char *const fields[] = { "To", "Cc", "Bcc", "Resent-To",
	    "Resent-Cc", "Resent-Bcc" };
	struct buf v = BUF_INIT;
	size_t i, j, pos;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(fields) / sizeof(fields[0]); i++) {
		pos = 0;
		while (!rc && sieve_msg_field_next(m, fields[i], &pos, 0, &v,
		    NULL)) {
			struct sieve_addrs l = { NULL, 0 };

			sieve_addrs_parse(v.data, v.len, &l);
			for (j = 0; j < l.n && !rc; j++)
				rc = listed(own, l.v[j].all);
			sieve_addrs_free(&l);
		}
	}
	buf_free(&v);
	return rc;
}

int
vacation_allowed(const struct vacation_ctx *vc,
    const struct sieve_vacation *v, char **why_r)
{
	struct buf s = BUF_INIT, own = BUF_INIT;
	const char *why = NULL;

	bare(vc->sender ? vc->sender : "", &s);
	if (s.len == 0)
		why = "null sender";
	else if (daemon_sender(s.data))
		why = "sender is a daemon or a list";
	else if ((why = automatic(vc->msg)) != NULL)
		;
	else {
		own_addresses(vc, v, &own);
		if (!sent_to_us(vc->msg, &own))
			why = "not addressed to the account";
		else if (listed(&own, s.data))
			why = "sent by the account itself";
	}
	buf_free(&s);
	buf_free(&own);
	if (why && why_r)
		*why_r = mem_strdup(why);
	return why == NULL;
}

/* ---- the answer ---- */

static void
b64(const unsigned char *in, size_t n, struct buf *out)
{
	size_t start = out->len;

	buf_reserve(out, (n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out->data + start, in, (int)n);
	out->len = start + (n + 2) / 3 * 4;
	out->data[out->len] = '\0';
}

/* A header value with no line breaks; RFC 2047 words if not ASCII. */
static void
header_text(const char *s, struct buf *out)
{
	size_t i, n = strlen(s), chunk;
	int ascii = 1;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x7f || (unsigned char)s[i] < 0x20)
			ascii = 0;
	if (ascii) {
		buf_append(out, s, n);
		return;
	}
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < 45 ? n - i : 45;
		while (i + chunk < n && ((unsigned char)s[i + chunk] & 0xc0) ==
		    0x80)
			chunk--;		/* whole UTF-8 characters */
		if (chunk == 0)
			chunk = 1;
		if (i > 0)
			buf_puts(out, "\n ");
		buf_puts(out, "=?utf-8?B?");
		b64((const unsigned char *)s + i, chunk, out);
		buf_puts(out, "?=");
	}
}

/* A raw field value cleaned of line breaks and NULs. */
static void
one_line(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_putc(out, s[i] == '\r' || s[i] == '\n' || s[i] == '\0' ?
		    ' ' : s[i]);
}

static void
threading(const struct vacation_ctx *vc, struct buf *out)
{
	struct buf id = BUF_INIT, refs = BUF_INIT;
	size_t pos = 0;

	if (!sieve_msg_field_next(vc->msg, "Message-ID", &pos, 0, &id, NULL) ||
	    id.len == 0 || id.len > 998 || id.data[0] != '<' ||
	    id.data[id.len - 1] != '>' || strpbrk(id.data, " \t") != NULL)
		goto out;
	buf_puts(out, "In-Reply-To: ");
	one_line(id.data, id.len, out);
	buf_puts(out, "\nReferences: ");
	pos = 0;
	if (sieve_msg_field_next(vc->msg, "References", &pos, 0, &refs, NULL) &&
	    refs.len > 0 && refs.len < REFS_MAX) {
		one_line(refs.data, refs.len, out);
		buf_putc(out, ' ');
	}
	one_line(id.data, id.len, out);
	buf_putc(out, '\n');
out:
	buf_free(&id);
	buf_free(&refs);
}

void
vacation_build(const struct vacation_ctx *vc, const struct sieve_vacation *v,
    struct buf *out)
{
	struct buf t = BUF_INIT;
	char date[64];
	struct tm tm;
	time_t now = (time_t)vc->now;
	size_t pos = 0;
	const char *r;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_puts(out, "From: ");
	if (v->from) {
		one_line(v->from, strlen(v->from), out);
	} else {
		qualified(vc, &t);
		one_line(t.data, t.len, out);
	}
	bare(vc->sender ? vc->sender : "", &t);
	buf_puts(out, "\nTo: <");
	one_line(t.data, t.len, out);
	buf_puts(out, ">\nSubject: ");
	buf_reset(&t);
	if (v->subject) {
		buf_puts(&t, v->subject);
	} else {
		struct buf subj = BUF_INIT;

		(void)sieve_msg_field_next(vc->msg, "Subject", &pos, 1, &subj,
		    NULL);
		buf_puts(&t, "Auto: ");
		buf_append(&t, subj.data, subj.len < 900 ? subj.len : 900);
		buf_free(&subj);
	}
	for (pos = 0; pos < t.len; pos++)
		if (t.data[pos] == '\r' || t.data[pos] == '\n' || t.data[pos] == 0)
			t.data[pos] = ' ';
	header_text(t.data, out);
	buf_printf(out, "\nDate: %s\nMessage-ID: <%lld.%ld.%lx@%s>\n", date,
	    (long long)vc->now, (long)getpid(), (unsigned long)random(),
	    vc->conf->hostname);
	threading(vc, out);
	buf_puts(out, "Auto-Submitted: auto-replied (vacation)\n"
	    "MIME-Version: 1.0\n");
	if (!v->mime)
		buf_puts(out, "Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: 8bit\n\n");
	for (r = v->reason ? v->reason : ""; *r; r++)
		if (*r != '\r')
			buf_putc(out, *r);
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
	buf_free(&t);
}

/* ---- the refusal of reject (RFC 5429) ---- */

/* The header block of the message, cut on a line, CR and NUL removed. */
static void
orig_header(const struct sieve_msg *m, struct buf *out)
{
	const char *p = sieve_msg_data(m);
	size_t len = sieve_msg_header_len(m), i, cut = 0;

	for (i = 0; i < len && i < VACATION_HEADERS_MAX; i++)
		if (p[i] == '\n')
			cut = i + 1;
	if (len <= VACATION_HEADERS_MAX)
		cut = len;
	for (i = 0; i < cut; i++)
		if (p[i] != '\r' && p[i] != '\0')
			buf_putc(out, p[i]);
	while (out->len >= 2 && out->data[out->len - 1] == '\n' &&
	    out->data[out->len - 2] == '\n')
		buf_truncate(out, out->len - 1);
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
}

void
vacation_reject_build(const struct vacation_ctx *vc, const char *reason,
    struct buf *out)
{
	struct buf t = BUF_INIT, subj = BUF_INIT, id = BUF_INIT;
	char date[64], boundary[80];
	struct tm tm;
	time_t now = (time_t)vc->now;
	size_t pos = 0;
	const char *r;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	snprintf(boundary, sizeof(boundary), "%lld.%ld/%s", (long long)vc->now,
	    (long)getpid(), vc->conf->hostname);
	bare(vc->sender ? vc->sender : "", &t);
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\nTo: <",
	    vc->conf->hostname);
	one_line(t.data, t.len, out);
	buf_puts(out, ">\nSubject: ");
	(void)sieve_msg_field_next(vc->msg, "Subject", &pos, 1, &subj, NULL);
	buf_reset(&t);
	buf_puts(&t, "Rejected: ");
	buf_append(&t, subj.data, subj.len < 900 ? subj.len : 900);
	for (pos = 0; pos < t.len; pos++)
		if (t.data[pos] == '\r' || t.data[pos] == '\n' || t.data[pos] == 0)
			t.data[pos] = ' ';
	header_text(t.data, out);
	buf_printf(out, "\nDate: %s\nMessage-ID: <%lld.%ld.r@%s>\n", date,
	    (long long)vc->now, (long)getpid(), vc->conf->hostname);
	threading(vc, out);
	buf_printf(out, "Auto-Submitted: auto-replied (rejected)\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; "
	    "report-type=disposition-notification;\n\tboundary=\"%s\"\n\n"
	    "--%s\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n", boundary, boundary);
	qualified(vc, &t);
	buf_puts(out, "Your message to <");
	one_line(t.data, t.len, out);
	buf_puts(out, "> was automatically rejected:\n\n");
	for (r = reason ? reason : ""; *r; r++)
		if (*r != '\r')
			buf_putc(out, *r);
	if (out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
	buf_printf(out, "\n--%s\nContent-Type: message/disposition-notification"
	    "\n\nReporting-UA: %s; popstore\nFinal-Recipient: rfc822; ",
	    boundary, vc->conf->hostname);
	one_line(t.data, t.len, out);
	pos = 0;
	if (sieve_msg_field_next(vc->msg, "Message-ID", &pos, 0, &id, NULL) &&
	    id.len > 0 && id.len < 998) {
		buf_puts(out, "\nOriginal-Message-ID: ");
		one_line(id.data, id.len, out);
	}
	buf_printf(out, "\nDisposition: automatic-action/MDN-sent-automatically;"
	    " deleted\n\n--%s\nContent-Type: text/rfc822-headers\n\n",
	    boundary);
	orig_header(vc->msg, out);
	buf_printf(out, "\n--%s--\n", boundary);
	buf_free(&t);
	buf_free(&subj);
	buf_free(&id);
}

/* ---- the log ---- */

static void
make_key(const struct sieve_vacation *v, const char *sender, char *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf b = BUF_INIT;
	size_t i;

	if (v->handle) {
		buf_printf(&b, "handle %s", v->handle);
	} else {
		buf_printf(&b, "auto %s%c%s%c%d%c%s", v->subject ? v->subject :
		    "", 0, v->from ? v->from : "", 0, v->mime, 0, v->reason ?
		    v->reason : "");
	}
	buf_putc(&b, 0);
	for (i = 0; sender[i]; i++)
		buf_putc(&b, sender[i] >= 'A' && sender[i] <= 'Z' ? sender[i] + 32 :
		    sender[i]);
	EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < KEY_LEN / 2; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[KEY_LEN] = '\0';
	buf_free(&b);
}

struct entry {
	int64_t	 expiry;
	char	 key[KEY_LEN + 1];
};

/* Parse the log text into live entries (expired ones dropped). */
static size_t
log_parse(const char *text, int64_t now, struct entry **v_r)
{
	struct entry *v = NULL;
	const char *p = text, *sp, *nl;
	size_t n = 0, cap = 0;
	uint64_t e;
	char num[24];

	if (strncmp(p, LOG_HEAD, strlen(LOG_HEAD)) != 0)
		return 0;
	for (p += strlen(LOG_HEAD); *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (sp == NULL || (size_t)(sp - p) >= sizeof(num) ||
		    nl - sp - 1 != KEY_LEN)
			continue;
		memcpy(num, p, (size_t)(sp - p));
		num[sp - p] = '\0';
		if (num_parse_u64(num, INT64_MAX, &e) < 0 || (int64_t)e <= now)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = mem_realloc(v, cap, sizeof(*v));
		}
		v[n].expiry = (int64_t)e;
		memcpy(v[n].key, sp + 1, KEY_LEN);
		v[n].key[KEY_LEN] = '\0';
		n++;
	}
	*v_r = v;
	return n;
}

static int
by_expiry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->expiry < y->expiry) - (x->expiry > y->expiry);
}

int
vacation_log_claim(struct store *s, const char *account, const char *key,
    int64_t now, int64_t expiry, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct entry *v = NULL;
	size_t i, n = 0;
	int lock, rc = -1;

	if ((lock = acct_lock(s, account, why_r)) < 0)
		return -1;
	sieve_account_path(s, account, LOG_FILE, &path);
	if (file_read(path.data, (size_t)VACATION_LOG_MAX * 64 + 64, &text,
	    why_r) < 0)
		goto out;
	n = log_parse(buf_cstr(&text), now, &v);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0) {
			rc = 0;
			goto out;
		}
	v = mem_realloc(v, n + 1, sizeof(*v));
	v[n].expiry = expiry;
	snprintf(v[n].key, sizeof(v[n].key), "%s", key);
	n++;
	qsort(v, n, sizeof(*v), by_expiry);	/* latest first */
	if (n > VACATION_LOG_MAX)
		n = VACATION_LOG_MAX;
	buf_reset(&text);
	buf_puts(&text, LOG_HEAD);
	for (i = 0; i < n; i++)
		buf_printf(&text, "%lld %s\n", (long long)v[i].expiry, v[i].key);
	rc = file_write_atomic(path.data, text.data, text.len, 0600, 0,
	    why_r) < 0 ? -1 : 1;
out:
	acct_unlock(lock);
	free(v);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int
vacation_respond(const struct vacation_ctx *vc,
    const struct sieve_vacation *v, char **why_r)
{
	struct buf msg = BUF_INIT, to = BUF_INIT;
	const char *rcpts[1];
	char key[KEY_LEN + 1];
	uint64_t days = v->days ? v->days : VACATION_DAYS_DEFAULT;
	int rc;

	if (!vacation_allowed(vc, v, why_r))
		return 0;
	if (days < VACATION_DAYS_MIN)
		days = VACATION_DAYS_MIN;
	if (days > VACATION_DAYS_MAX)
		days = VACATION_DAYS_MAX;
	bare(vc->sender, &to);
	make_key(v, to.data, key);
	rc = vacation_log_claim(vc->store, vc->account, key, vc->now,
	    vc->now + (int64_t)days * 86400, why_r);
	if (rc <= 0) {
		if (rc == 0 && why_r)
			*why_r = mem_strdup("already answered");
		buf_free(&to);
		return rc;
	}
	vacation_build(vc, v, &msg);
	rcpts[0] = to.data;
	rc = sendmail_send(vc->conf, "", rcpts, 1, msg.data, msg.len, -1, NULL,
	    why_r) < 0 ? -1 : 1;
	buf_free(&msg);
	buf_free(&to);
	return rc;
}
