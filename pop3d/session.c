/*
 * session - one POP3 session (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS):
 * the command loop, dispatch tables per state, limits, and the log lines
 * of a session's life (connect, logout).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "pop3d.h"
#include "secret.h"
#include "server.h"

struct cmd {
	const char	*name;
	int		(*fn)(struct pop3 *p, char *arg);
	int		 args;		/* 0: none allowed */
};

static int cmd_capa(struct pop3 *p, char *arg);
static int cmd_stls(struct pop3 *p, char *arg);
static int cmd_quit(struct pop3 *p, char *arg);

static const struct cmd auth_cmds[] = {
	{ "USER", cmd_user, 1 }, { "PASS", cmd_pass, 1 },
	{ "APOP", cmd_apop, 1 }, { "AUTH", cmd_auth, 1 },
	{ "STLS", cmd_stls, 0 }, { "CAPA", cmd_capa, 0 },
	{ "QUIT", cmd_quit, 0 }, { NULL, NULL, 0 }
};

static const struct cmd trans_cmds[] = {
	{ "STAT", cmd_stat, 0 }, { "LIST", cmd_list, 1 },
	{ "RETR", cmd_retr, 1 }, { "DELE", cmd_dele, 1 },
	{ "NOOP", cmd_noop, 0 }, { "RSET", cmd_rset, 0 },
	{ "QUIT", cmd_quit_update, 0 }, { "TOP", cmd_top, 1 },
	{ "UIDL", cmd_uidl, 1 }, { "CAPA", cmd_capa, 0 },
	{ NULL, NULL, 0 }
};

int
reply(struct pop3 *p, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	r = netio_write(p->io, b.data, b.len);
	buf_free(&b);
	return r;
}

int
bad_command(struct pop3 *p)
{
	p->bad++;
	return -1;
}

const char *
conn_remote(struct pop3 *p)
{
	return p->ctl >= 0 ? p->conn.remote : netio_remote_addr(p->io);
}

const char *
conn_tls_protocol(struct pop3 *p)
{
	if (p->ctl >= 0)
		return p->conn.tls_protocol[0] ? p->conn.tls_protocol : NULL;
	return netio_tls_protocol(p->io);
}

int
conn_is_tls(struct pop3 *p)
{
	return p->ctl >= 0 ? p->conn.is_tls : netio_is_tls(p->io);
}

/* STLS may be offered and accepted. */
static int
conn_starttls_ok(struct pop3 *p)
{
	if (p->ctl >= 0)
		return p->conn.starttls_ok;
	return p->env->tls != NULL && !netio_is_tls(p->io);
}

int
session_read_line(struct pop3 *p, size_t max, const char **line_r,
    size_t *len_r, int *nul_r)
{
	if (p->ctl >= 0)
		return p->env->split->read_line(p, max, line_r, len_r, nul_r);
	return netio_read_line(p->io, max, line_r, len_r, nul_r);
}

void
session_log_fields(struct pop3 *p, struct buf *out)
{
	const char *v = conn_tls_protocol(p), *ip = conn_remote(p);

	buf_puts(out, "ip=");
	log_safe(out, ip, strlen(ip));
	buf_printf(out, " tls=%s", v ? v : "no");
}

/* ---- CAPA, STLS, QUIT ---- */

static void
capa_expire(struct pop3 *p, struct buf *out)
{
	const struct conf *c = p->conf;
	uint64_t days = c->delete_read_age ? c->delete_read_age : c->return_age;

	if (days == 0 || (p->state == POP3_TRANSACTION && (p->legacy ||
	    (p->acct_type == ACCT_IMAP && !c->return_imap))))
		buf_puts(out, "EXPIRE NEVER\r\n");
	else if (p->state == POP3_AUTHORIZATION && !c->return_imap)
		buf_printf(out, "EXPIRE %llu USER\r\n", (unsigned long long)days);
	else
		buf_printf(out, "EXPIRE %llu\r\n", (unsigned long long)days);
}

static int
cmd_capa(struct pop3 *p, char *arg)
{
	struct buf b = BUF_INIT;
	const char *mechs;

	(void)arg;
	buf_puts(&b, "+OK Capability list follows\r\nTOP\r\nUIDL\r\n"
	    "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	if (p->state == POP3_AUTHORIZATION) {
		if (auth_plaintext_ok(p))
			buf_puts(&b, "USER\r\n");
		mechs = auth_mechanisms(p);
		if (mechs[0])
			buf_printf(&b, "SASL %s\r\n", mechs);
		if (conn_starttls_ok(p))
			buf_puts(&b, "STLS\r\n");
	}
	capa_expire(p, &b);
	if (p->conf->pop3_login_delay)
		buf_printf(&b, "LOGIN-DELAY %llu\r\n",
		    (unsigned long long)p->conf->pop3_login_delay);
	buf_puts(&b, "IMPLEMENTATION popstore\r\n.\r\n");
	(void)netio_write(p->io, b.data, b.len);
	buf_free(&b);
	return 0;
}

/* STLS in the pre-auth child: the parent runs TLS and the new SASL. */
static int
stls_split(struct pop3 *p)
{
	size_t discarded = 0;
	int r = p->env->split->starttls(p, &discarded);

	if (r != 0) {
		if (r == 2)
			reply(p, "-ERR [SYS/TEMP] Authentication is not "
			    "available");
		p->state = POP3_DONE;
		p->end = r == 2 ? "sasl_failed" : "tls_failed";
		return 0;
	}
	if (discarded)
		log_eventf(LOG_NOTICE, "stls_injection", "ip=%s discarded=%zu",
		    conn_remote(p), discarded);
	p->have_user = 0;
	explicit_bzero(p->user, sizeof(p->user));
	return 0;
}

static int
cmd_stls(struct pop3 *p, char *arg)
{
	size_t discarded = 0;
	char *why = NULL;

	(void)arg;
	if (!conn_starttls_ok(p)) {
		reply(p, "-ERR %s", conn_is_tls(p) ?
		    "TLS is already active" : "STLS is not available");
		return bad_command(p);
	}
	reply(p, "+OK Begin TLS negotiation");
	if (p->ctl >= 0)
		return stls_split(p);
	if (netio_starttls(p->io, p->env->tls, &discarded) < 0) {
		log_event(LOG_NOTICE, "tls_failed", "ip", netio_remote_addr(p->io),
		    "reason", netio_why(p->io), NULL);
		p->state = POP3_DONE;
		p->end = "tls_failed";
		return 0;
	}
	if (discarded)
		log_eventf(LOG_NOTICE, "stls_injection", "ip=%s discarded=%zu",
		    netio_remote_addr(p->io), discarded);
	/* Everything known before the handshake is forgotten. */
	p->have_user = 0;
	explicit_bzero(p->user, sizeof(p->user));
	if (auth_sasl_new(p, &why) < 0) {
		log_event(LOG_ERR, "sasl_failed", "reason", why, NULL);
		free(why);
		reply(p, "-ERR [SYS/TEMP] Authentication is not available");
		p->state = POP3_DONE;
		p->end = "sasl_failed";
	}
	return 0;
}

static int
cmd_quit(struct pop3 *p, char *arg)
{
	(void)arg;
	reply(p, "+OK Bye");
	p->state = POP3_DONE;
	p->end = "quit";
	return 0;
}

/* ---- the command loop ---- */

/* Run the command on line (NUL-terminated, len bytes). */
static void
dispatch(struct pop3 *p, char *line, size_t len)
{
	const struct cmd *c = p->state == POP3_AUTHORIZATION ? auth_cmds :
	    trans_cmds;
	size_t n = strcspn(line, " ");
	char *arg = line[n] ? line + n + 1 : NULL;

	for (; c->name; c++)
		if (strlen(c->name) == n && strncasecmp(c->name, line, n) == 0)
			break;
	if (c->name == NULL) {
		reply(p, "-ERR Unknown command%s", p->state ==
		    POP3_AUTHORIZATION ? " (or not before login)" : "");
		bad_command(p);
		return;
	}
	if (len > POP3_LINE_MAX && c->fn != cmd_auth) {
		reply(p, "-ERR Line too long");
		bad_command(p);
		return;
	}
	if (arg && !c->args) {
		reply(p, "-ERR %s takes no argument", c->name);
		bad_command(p);
		return;
	}
	(void)c->fn(p, arg ? arg : line + len);
}

/* Read and run commands until the session ends. */
void
session_loop(struct pop3 *p)
{
	const char *line;
	size_t len;
	int nul, r;

	while (p->state != POP3_DONE) {
		r = session_read_line(p, POP3_READ_MAX, &line, &len, &nul);
		if (r == NETIO_EOF) {
			p->end = "eof";
			return;
		}
		if (r == NETIO_TIMEOUT) {
			reply(p, "-ERR Autologout: idle for too long");
			p->end = "timeout";
			return;
		}
		if (r == NETIO_TOOLONG) {
			reply(p, "-ERR Line too long");
			p->end = "line_too_long";
			return;
		}
		if (r < 0) {
			p->end = "io_error";
			return;
		}
		if (nul) {
			reply(p, "-ERR NUL byte in command");
			bad_command(p);
		} else {
			dispatch(p, (char *)line, len);
		}
		if (p->bad >= POP3_BAD_MAX && p->state != POP3_DONE) {
			reply(p, "-ERR Too many bad commands, closing");
			p->state = POP3_DONE;
			p->end = "bad_commands";
		}
	}
}

/* The greeting; 0, or -1 when the session cannot go on. */
static int
greet(struct pop3 *p)
{
	char name[256];
	const char *host = server_hostname(p->conf, name, sizeof(name));

	if (p->env->store == NULL) {
		reply(p, "-ERR [SYS/TEMP] The mail store is not available, "
		    "try again later");
		p->end = "store_down";
		return -1;
	}
	if (p->conf->apop_cram_md5 && p->env->key)
		p->apop_ts = secret_apop_timestamp(host);
	reply(p, "+OK %s POP3 server ready%s%s", host, p->apop_ts ? " " : "",
	    p->apop_ts ? p->apop_ts : "");
	return 0;
}

/* At the end of a logged-in session: changes, accounting, log line. */
static void
finish_login(struct pop3 *p)
{
	struct buf f = BUF_INIT;
	char *why = NULL;
	uint32_t removed = 0;
	uint64_t in, out;

	if (p->drop && p->drop->ops->commit(p->drop, 0, &removed, &why) < 0) {
		log_event(LOG_ERR, "seen_failed", "user", p->login, "reason", why,
		    NULL);
		free(why);
	}
	if (!p->legacy)
		auth_logout_accounting(p);
	netio_counters(p->io, &in, &out);
	buf_puts(&f, "user=");
	log_safe(&f, p->login, strlen(p->login));
	buf_putc(&f, ' ');
	session_log_fields(p, &f);
	buf_printf(&f, " retr=%llu bytes=%llu top=%llu deleted=%u "
	    "duration=%lld in=%llu out=%llu end=%s",
	    (unsigned long long)p->retr_count,
	    (unsigned long long)p->retr_bytes,
	    (unsigned long long)p->top_count, p->removed,
	    (long long)(time(NULL) - p->login_at), (unsigned long long)in,
	    (unsigned long long)out, p->end ? p->end : "unknown");
	log_eventf(LOG_INFO, "logout", "%s", f.data);
	buf_free(&f);
}

int
session_run(const struct pop3_env *env, struct netio *io, const char *preauth)
{
	struct pop3 p;
	struct buf f = BUF_INIT;
	size_t discarded;
	char *why = NULL;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.env = env;
	p.conf = env->conf;
	p.io = io;
	p.ctl = -1;
	p.started = time(NULL);
	netio_set_timeout(io, (int)(p.conf->pop3_timeout * 1000));
	session_log_fields(&p, &f);
	log_eventf(LOG_INFO, "connect", "%s local=%s", f.data,
	    netio_local_addr(io));
	buf_free(&f);
	if (env->implicit_tls && netio_starttls(io, env->tls, &discarded) < 0) {
		log_event(LOG_NOTICE, "tls_failed", "ip", netio_remote_addr(io),
		    "reason", netio_why(io), NULL);
		return -1;
	}
	if (auth_sasl_new(&p, &why) < 0) {
		log_event(LOG_ERR, "sasl_failed", "reason", why, NULL);
		free(why);
		reply(&p, "-ERR [SYS/TEMP] Authentication is not available");
		rc = -1;
	} else if (greet(&p) < 0) {
		rc = -1;
	} else if (preauth && auth_login(&p, preauth, "PREAUTH") < 0) {
		rc = -1;
	} else if (env->split && !preauth) {
		env->split->serve(&p);
		if (p.state == POP3_TRANSACTION)
			session_loop(&p);
	} else {
		session_loop(&p);
	}
	if (p.drop)
		finish_login(&p);
	(void)netio_flush(io);
	drop_close(p.drop);
	sasl_session_free(p.sasl);
	free(p.apop_ts);
	explicit_bzero(p.user, sizeof(p.user));
	return rc;
}
