/* cmd - the command loop and the dispatch table per state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "imapd.h"
#include "log.h"
#include "netio.h"
#include "utf7.h"

#define N	(1 << ST_NOAUTH)
#define A	(1 << ST_AUTH)
#define S	(1 << ST_SELECTED)
#define ANY	(N | A | S)

/* Commands: name, handler, states, UID form allowed, may send EXPUNGE. */
static const struct cmd {
	const char	*name;
	int		(*fn)(struct sess *);
	unsigned	 states;
	int		 uid;
	int		 no_expunge;
} cmds[] = {
	{ "CAPABILITY", cmd_capability, ANY, 0, 0 },
	{ "NOOP", cmd_noop, ANY, 0, 0 },
	{ "LOGOUT", cmd_logout, ANY, 0, 0 },
	{ "ID", cmd_id, ANY, 0, 0 },
	{ "STARTTLS", cmd_starttls, N, 0, 0 },
	{ "LOGIN", cmd_login, N, 0, 0 },
	{ "AUTHENTICATE", cmd_authenticate, N, 0, 0 },
	{ "ENABLE", cmd_enable, A | S, 0, 0 },
	{ "SELECT", cmd_select, A | S, 0, 0 },
	{ "EXAMINE", cmd_examine, A | S, 0, 0 },
	{ "CREATE", cmd_create, A | S, 0, 0 },
	{ "DELETE", cmd_delete, A | S, 0, 0 },
	{ "RENAME", cmd_rename, A | S, 0, 0 },
	{ "SUBSCRIBE", cmd_subscribe, A | S, 0, 0 },
	{ "UNSUBSCRIBE", cmd_unsubscribe, A | S, 0, 0 },
	{ "LIST", cmd_list, A | S, 0, 0 },
	{ "LSUB", cmd_lsub, A | S, 0, 0 },
	{ "STATUS", cmd_status, A | S, 0, 0 },
	{ "APPEND", cmd_append, A | S, 0, 0 },
	{ "NAMESPACE", cmd_namespace, A | S, 0, 0 },
	{ "IDLE", cmd_idle, A | S, 0, 0 },
	{ "SETACL", cmd_setacl, A | S, 0, 0 },
	{ "DELETEACL", cmd_deleteacl, A | S, 0, 0 },
	{ "GETACL", cmd_getacl, A | S, 0, 0 },
	{ "LISTRIGHTS", cmd_listrights, A | S, 0, 0 },
	{ "MYRIGHTS", cmd_myrights, A | S, 0, 0 },
	{ "GETQUOTA", cmd_getquota, A | S, 0, 0 },
	{ "GETQUOTAROOT", cmd_getquotaroot, A | S, 0, 0 },
	{ "SETQUOTA", cmd_setquota, A | S, 0, 0 },
	{ "CHECK", cmd_check, S, 0, 0 },
	{ "CLOSE", cmd_close, S, 0, 0 },
	{ "UNSELECT", cmd_unselect, S, 0, 0 },
	{ "EXPUNGE", cmd_expunge, S, 1, 0 },
	{ "SEARCH", cmd_search, S, 1, 1 },
	{ "SORT", cmd_sort, S, 1, 1 },
	{ "THREAD", cmd_thread, S, 1, 1 },
	{ "FETCH", cmd_fetch, S, 1, 1 },
	{ "STORE", cmd_store, S, 1, 1 },
	{ "COPY", cmd_copy, S, 1, 1 },
	{ "MOVE", cmd_move, S, 1, 0 },
};

void
reply_untagged(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&s->tmp);
	va_start(ap, fmt);
	buf_vprintf(&s->tmp, fmt, ap);
	va_end(ap);
	netio_puts(s->n, "* ");
	netio_write(s->n, s->tmp.data, s->tmp.len);
	netio_puts(s->n, "\r\n");
}

void
reply_tagged(struct sess *s, const char *status, const char *fmt, ...)
{
	va_list ap;

	if (s->state == ST_SELECTED && s->sel && strcmp(status, "BAD") != 0)
		(void)sel_update(s, 0);
	buf_reset(&s->tmp);
	va_start(ap, fmt);
	buf_vprintf(&s->tmp, fmt, ap);
	va_end(ap);
	netio_printf(s->n, "%s %s ", s->tag, status);
	netio_write(s->n, s->tmp.data, s->tmp.len);
	netio_puts(s->n, "\r\n");
}

/* A quoted string when that is possible, else a literal. */
void
write_string(struct sess *s, const char *str, size_t len)
{
	size_t i;
	int quote = len <= 1024;

	for (i = 0; quote && i < len; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			quote = 0;
	}
	if (!quote) {
		netio_printf(s->n, "{%zu}\r\n", len);
		netio_write(s->n, str, len);
		return;
	}
	netio_puts(s->n, "\"");
	for (i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			netio_puts(s->n, "\\");
		netio_write(s->n, str + i, 1);
	}
	netio_puts(s->n, "\"");
}

void
write_astring(struct sess *s, const char *str)
{
	write_string(s, str, strlen(str));
}

/* A mailbox name (UTF-8 inside) in modified UTF-7. */
void
write_mailbox(struct sess *s, const char *utf8)
{
	struct buf w = BUF_INIT;

	if (utf7_encode(utf8, strlen(utf8), &w, NULL) < 0)
		buf_puts(&w, "INVALID");
	write_astring(s, w.data ? w.data : "");
	buf_free(&w);
}

void
cmd_internal_error(struct sess *s, const char *what, char *why)
{
	log_event(LOG_ERR, "imap_error", "user", s->user.name, "what", what,
	    "error", why ? why : "?", NULL);
	free(why);
	reply_tagged(s, "NO", "[SERVERBUG] Internal error (logged)");
}

static const struct cmd *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcasecmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int
bad_command(struct sess *s, const char *tag, const char *code, const char *msg)
{
	if (tag)
		netio_printf(s->n, "%s BAD %s%s\r\n", tag, code, msg);
	else
		netio_printf(s->n, "* BAD %s%s\r\n", code, msg);
	if (++s->bad >= IMAP_BAD_MAX) {
		netio_puts(s->n, "* BYE Too many bad commands\r\n");
		log_event(LOG_NOTICE, "imap_bad_commands", "ip", s->rip, "user",
		    s->user.name[0] ? s->user.name : NULL, NULL);
		return -1;
	}
	return 0;
}

static int
io_end(struct sess *s)
{
	struct rd *r = &s->rd;

	if (r->io == NETIO_TOOLONG)
		netio_puts(s->n, "* BYE [TOOBIG] Command line too long\r\n");
	else if (r->io == NETIO_TIMEOUT)
		netio_puts(s->n, "* BYE Autologout; idle for too long\r\n");
	return -1;
}

/* One command: 0 go on, -1 end the session. */
static int
one_command(struct sess *s)
{
	struct rd *r = &s->rd;
	struct buf word = BUF_INIT;
	const struct cmd *c;
	int rc;

	int nul;

	if (rd_begin(r) < 0 && r->err == RD_IO)
		return io_end(s);
	nul = r->err == RD_BAD;		/* a NUL byte: answer with the tag */
	r->err = RD_OK;
	s->uid = 0;
	s->no_expunge = 0;
	s->tag[0] = '\0';
	if (rd_tag(r, &word) < 0) {
		rd_skip(r);
		buf_free(&word);
		if (r->err == RD_IO)
			return io_end(s);
		if (r->line.len == 0)
			return bad_command(s, NULL, "", "Empty command line");
		return bad_command(s, NULL, "", "Missing or bad tag");
	}
	memcpy(s->tag, word.data, word.len + 1);
	if (nul) {
		rd_fail(r, RD_BAD, "NUL byte in command");
		goto bad;
	}
	if (rd_sp(r) < 0 || rd_atom(r, &word) < 0)
		goto bad;
	if (strcasecmp(word.data, "UID") == 0) {
		s->uid = 1;
		if (rd_sp(r) < 0 || rd_atom(r, &word) < 0)
			goto bad;
	}
	c = lookup(word.data);
	if (c == NULL || (s->uid && !c->uid)) {
		rd_skip(r);
		buf_free(&word);
		if (r->err == RD_IO)
			return io_end(s);
		return bad_command(s, s->tag, "", "Unknown command");
	}
	if (!(c->states & (1U << s->state))) {
		rd_skip(r);
		buf_free(&word);
		if (r->err == RD_IO)
			return io_end(s);
		if (s->state == ST_NOAUTH)
			netio_printf(s->n, "%s NO Log in first\r\n", s->tag);
		else if (s->state == ST_SELECTED || c->states == S)
			netio_printf(s->n, "%s BAD No mailbox selected\r\n", s->tag);
		else
			netio_printf(s->n, "%s BAD Already logged in\r\n", s->tag);
		return 0;
	}
	s->no_expunge = c->no_expunge && !s->uid;
	buf_free(&word);
	/* Catch up first: expunges by others are then left out of this
	 * command's numbers even when they may not be told yet. */
	if (s->state == ST_SELECTED) {
		(void)sel_refresh(s);
		sel_recheck_rights(s);
	}
	rc = c->fn(s);
	if (rc == -2 || s->state == ST_LOGOUT)
		return -1;
	if (rc == 0) {
		s->bad = 0;
		return 0;
	}
	if (r->err == RD_OK)
		rd_fail(r, RD_BAD, "syntax error");
	goto bad_reply;
bad:
	buf_free(&word);
bad_reply:
	rd_skip(r);
	if (r->err == RD_IO)
		return io_end(s);
	if (r->err == RD_TOOBIG)
		return bad_command(s, s->tag, "[TOOBIG] ", r->msg);
	return bad_command(s, s->tag, "", r->msg ? r->msg : "Syntax error");
}

int
cmd_loop(struct sess *s)
{
	/* The pre-auth child stops at the login: the parent serves on. */
	while (s->state != ST_LOGOUT && !(s->child && s->state != ST_NOAUTH)) {
		if (one_command(s) < 0)
			break;
	}
	return 0;
}
