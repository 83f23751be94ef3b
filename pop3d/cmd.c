/*
 * cmd - the TRANSACTION state: STAT, LIST, UIDL, RETR, TOP, DELE, RSET,
 * NOOP and QUIT (the UPDATE state), on the session's maildrop (drop.c).
 * Each command's work is proportional to what it returns.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "netio.h"
#include "num.h"
#include "pop3d.h"

/* The 0-based message named by arg, or -1 after replying. */
static int64_t
msgno(struct pop3 *p, const char *arg, int deleted_ok)
{
	uint64_t v;

	if (num_parse_u64(arg, UINT32_MAX, &v) < 0 || v == 0 ||
	    v > p->drop->count) {
		reply(p, "-ERR No such message");
		bad_command(p);
		return -1;
	}
	if (!deleted_ok && drop_bit(p->drop->dele, (uint32_t)(v - 1))) {
		reply(p, "-ERR Message %llu is deleted", (unsigned long long)v);
		return -1;
	}
	return (int64_t)(v - 1);
}

/* A store error while serving a command: log it, answer -ERR. */
static int
trouble(struct pop3 *p, const char *what, char *why)
{
	log_event(LOG_ERR, "read_failed", "user", p->login, "command", what,
	    "reason", why, NULL);
	free(why);
	return reply(p, "-ERR [SYS/TEMP] The message cannot be read now");
}

int
cmd_stat(struct pop3 *p, char *arg)
{
	struct drop *d = p->drop;

	(void)arg;
	return reply(p, "+OK %u %llu", d->count - d->ndeleted,
	    (unsigned long long)(d->bytes - d->deleted_bytes));
}

/* One "N value" line of LIST (uidl 0) or UIDL (uidl 1). */
static int
scan_line(struct pop3 *p, uint32_t i, int uidl, const char *prefix,
    struct buf *b)
{
	char *why = NULL;
	uint64_t size;

	buf_reset(b);
	buf_printf(b, "%s%u ", prefix, i + 1);
	if (uidl ? p->drop->ops->uidl(p->drop, i, b, &why) :
	    p->drop->ops->size(p->drop, i, &size, &why)) {
		trouble(p, uidl ? "UIDL" : "LIST", why);
		return -1;
	}
	if (!uidl)
		buf_printf(b, "%llu", (unsigned long long)size);
	buf_puts(b, "\r\n");
	return netio_write(p->io, b->data, b->len) < 0 ? -1 : 0;
}

static int
listing(struct pop3 *p, char *arg, int uidl)
{
	struct drop *d = p->drop;
	struct buf b = BUF_INIT;
	int64_t i;
	uint32_t n;

	if (arg[0]) {
		if ((i = msgno(p, arg, 0)) >= 0)
			(void)scan_line(p, (uint32_t)i, uidl, "+OK ", &b);
		buf_free(&b);
		return 0;
	}
	if (uidl)
		reply(p, "+OK Unique-ID listing follows");
	else
		reply(p, "+OK %u messages (%llu octets)", d->count - d->ndeleted,
		    (unsigned long long)(d->bytes - d->deleted_bytes));
	for (n = 0; n < d->count; n++) {
		if (drop_bit(d->dele, n))
			continue;
		if (scan_line(p, n, uidl, "", &b) < 0) {
			/* The listing is cut: the client cannot recover. */
			p->state = POP3_DONE;
			p->end = "read_failed";
			buf_free(&b);
			return 0;
		}
	}
	buf_free(&b);
	return reply(p, ".");
}

int
cmd_list(struct pop3 *p, char *arg)
{
	return listing(p, arg, 0);
}

int
cmd_uidl(struct pop3 *p, char *arg)
{
	return listing(p, arg, 1);
}

/* RETR (lines < 0) or TOP of message i. */
static void
send_message(struct pop3 *p, uint32_t i, int64_t lines)
{
	char *why = NULL;
	uint64_t sent;
	int r;

	r = p->drop->ops->send(p->drop, i, lines, p->io, &sent, &why);
	if (r == 0 && lines < 0) {
		p->retr_count++;
		p->retr_bytes += sent;
		drop_mark_seen(p->drop, i);
	} else if (r == 0) {
		p->top_count++;
	} else if (r == DROP_GONE) {
		free(why);
		reply(p, "-ERR Message %u no longer exists (removed by another "
		    "session)", i + 1);
	} else if (r == DROP_NETIO) {
		free(why);
		p->state = POP3_DONE;
		p->end = "io_error";
	} else {
		trouble(p, lines < 0 ? "RETR" : "TOP", why);
	}
}

int
cmd_retr(struct pop3 *p, char *arg)
{
	int64_t i = msgno(p, arg, 0);

	if (i >= 0)
		send_message(p, (uint32_t)i, -1);
	return 0;
}

int
cmd_top(struct pop3 *p, char *arg)
{
	char *sp = strchr(arg, ' ');
	uint64_t lines;
	int64_t i;

	if (sp == NULL || num_parse_u64(sp + 1, INT64_MAX, &lines) < 0) {
		reply(p, "-ERR Usage: TOP message lines");
		return bad_command(p);
	}
	*sp = '\0';
	if ((i = msgno(p, arg, 0)) >= 0)
		send_message(p, (uint32_t)i, (int64_t)lines);
	return 0;
}

int
cmd_dele(struct pop3 *p, char *arg)
{
	int64_t i = msgno(p, arg, 0);
	char *why = NULL;
	uint64_t size;
	int r;

	if (i < 0)
		return 0;
	r = p->drop->ops->exists(p->drop, (uint32_t)i, &why);
	if (r == 0) {
		free(why);
		return reply(p, "-ERR Message %u no longer exists (removed by "
		    "another session)", (unsigned)i + 1);
	}
	if (r < 0 || p->drop->ops->size(p->drop, (uint32_t)i, &size, &why) < 0)
		return trouble(p, "DELE", why);
	drop_mark_deleted(p->drop, (uint32_t)i, size);
	return reply(p, "+OK Message %u deleted", (unsigned)i + 1);
}

int
cmd_rset(struct pop3 *p, char *arg)
{
	struct drop *d = p->drop;

	(void)arg;
	drop_undelete_all(d);
	return reply(p, "+OK %u messages (%llu octets)", d->count,
	    (unsigned long long)d->bytes);
}

int
cmd_noop(struct pop3 *p, char *arg)
{
	(void)arg;
	return reply(p, "+OK");
}

int
cmd_quit_update(struct pop3 *p, char *arg)
{
	char *why = NULL;
	int r;

	(void)arg;
	r = p->drop->ops->commit(p->drop, 1, &p->removed, &why);
	p->drop->nseen = 0;	/* done, whatever happened */
	p->state = POP3_DONE;
	p->end = "quit";
	if (r < 0) {
		log_event(LOG_ERR, "update_failed", "user", p->login, "reason",
		    why, NULL);
		free(why);
		return reply(p, "-ERR [SYS/TEMP] Deleted messages could not be "
		    "removed; they will be there next time");
	}
	return reply(p, "+OK Bye: %u messages deleted", p->removed);
}
