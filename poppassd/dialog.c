/*
 * dialog - the Eudora/Qualcomm poppassd dialogue, as Eudora, Mulberry
 * and webmail password plugins (Roundcube's poppassd driver) speak it:
 *
 *	S: 200 host poppassd hello, who are you?
 *	C: user NAME
 *	S: 200 Your password please.
 *	C: pass OLD
 *	S: 200 Your new password please.
 *	C: newpass NEW
 *	S: 200 Password changed, thank-you.
 *	C: quit
 *	S: 200 Bye.
 *
 * Every refusal is a 500 line with a sentence for the user. The old
 * password is checked against the profile's hash (an unknown user costs
 * the same time), failures are delayed, logged and capped like pop3d's,
 * and the new password must pass the site's rules. Accounts with
 * LOCKPWD keep their password; DISUSER accounts are refused; accounts
 * whose password lives elsewhere (PWD_ELSEWHERE) cannot change it here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "name.h"
#include "netio.h"
#include "passwd.h"
#include "poppassd.h"
#include "secret.h"
#include "server.h"
#include "store.h"

struct pp {
	const struct poppass_env *env;
	const struct conf *conf;
	struct netio	*io;
	char		 user[ACCT_NAME_MAX + 1];	/* canonical, or "" */
	int		 have_user;
	int		 authed;	/* the old password was right */
	unsigned	 failures, bad;
	int		 done;
	const char	*end;
};

static void
say(struct pp *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct pp *p, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	(void)netio_write(p->io, b.data, b.len);
	buf_free(&b);
}

static void
bad(struct pp *p, const char *text)
{
	say(p, "500 %s", text);
	if (++p->bad >= POPPASS_BAD_MAX) {
		p->done = 1;
		p->end = "bad_commands";
	}
}

static void
cmd_user(struct pp *p, const char *arg)
{
	struct buf canon = BUF_INIT;

	p->have_user = p->authed = 0;
	if (!netio_plaintext_allowed(p->io, p->conf->plaintext_login)) {
		bad(p, "Passwords are not accepted on this connection: "
		    "connect with TLS.");
		return;
	}
	p->user[0] = '\0';
	if (strlen(arg) <= ACCT_NAME_MAX &&
	    name_canon(p->conf, "", arg, &canon, NULL) == 0 &&
	    canon.len <= ACCT_NAME_MAX)
		memcpy(p->user, canon.data, canon.len + 1);
	buf_free(&canon);
	p->have_user = 1;
	say(p, "200 Your password please.");
}

/* A wrong old password: log, wait, answer, maybe close. */
static void
failed(struct pp *p, int exists, const char *reason)
{
	struct buf f = BUF_INIT;
	const char *user = exists ? p->user : "unknown";

	buf_puts(&f, "user=");
	log_safe(&f, user, strlen(user));
	buf_puts(&f, " ip=");
	log_safe(&f, netio_remote_addr(p->io), strlen(netio_remote_addr(p->io)));
	buf_printf(&f, " tls=%s mech=poppassd reason=%s",
	    netio_tls_protocol(p->io) ? netio_tls_protocol(p->io) : "no",
	    reason);
	log_eventf(LOG_NOTICE, "auth_failed", "%s", f.data);
	buf_free(&f);
	p->have_user = 0;
	if (p->conf->login_fail_delay) {
		(void)netio_flush(p->io);
		sleep((unsigned)p->conf->login_fail_delay);
	}
	if (++p->failures >= p->conf->login_max_failures) {
		say(p, "500 Old password is incorrect; too many failures.");
		p->done = 1;
		p->end = "auth_failures";
	} else {
		say(p, "500 Old password is incorrect.");
	}
}

static void
cmd_pass(struct pp *p, char *arg)
{
	struct acct a;
	char *dummy, *why = NULL;
	int found = 0, ok = 0;

	if (!p->have_user) {
		bad(p, "Username first.");
		return;
	}
	if (p->user[0] && p->env->store)
		found = acct_load(p->env->store, p->user, &a, &why);
	if (found < 0) {
		log_event(LOG_ERR, "lookup_failed", "user", p->user, "reason",
		    why, NULL);
		free(why);
		say(p, "500 The password service is not available now.");
		p->have_user = 0;
		return;
	}
	if (found == 1 && a.password[0] && !(a.flags & ACCT_PWD_ELSEWHERE))
		ok = passwd_verify(a.password, arg, NULL) == 1;
	else if ((dummy = passwd_dummy(p->conf->password_iterations))) {
		(void)passwd_verify(dummy, arg, NULL);	/* the same work */
		free(dummy);
	}
	if (!ok)
		failed(p, found == 1, found == 1 ? "badpass" : "nouser");
	else if (a.flags & ACCT_DISUSER)
		say(p, "500 This account is disabled.");
	else if (a.flags & ACCT_LOCKPWD)
		say(p, "500 The password of this account cannot be changed.");
	else {
		p->authed = 1;
		say(p, "200 Your new password please.");
	}
	if (found == 1)
		acct_wipe(&a);
}

/* Store the new password (and secret) in the profile. 0 or -1. */
static int
store_password(struct pp *p, const char *pass, char **why_r)
{
	struct acct a;
	char *hash, *sec = NULL;
	int rc = -1;

	if (acct_load(p->env->store, p->user, &a, why_r) != 1)
		return -1;
	hash = passwd_hash(pass, p->conf->password_iterations, why_r);
	if (hash && p->conf->apop_cram_md5 && p->env->key)
		sec = secret_encrypt(p->env->key, a.name, pass, strlen(pass),
		    NULL);
	if (hash) {
		snprintf(a.password, sizeof(a.password), "%s", hash);
		/* The old secret is the old password: never keep it. */
		snprintf(a.secret, sizeof(a.secret), "%s", sec ? sec : "");
		a.password_changed = (int64_t)time(NULL);
		a.flags &= ~(unsigned)ACCT_PWD_EXPIRED;
		rc = acct_save(p->env->store, &a, why_r);
	}
	mem_free_secret(hash);
	mem_free_secret(sec);
	acct_wipe(&a);
	return rc;
}

static void
cmd_newpass(struct pp *p, char *arg)
{
	struct acct a;
	char *why = NULL;
	int same = 0;

	if (!p->authed) {
		bad(p, "Username and old password first.");
		return;
	}
	if (passwd_check_new(p->user, arg, p->conf->password_min_length,
	    &why) < 0) {
		say(p, "500 %s", why);
		free(why);
		return;
	}
	if (acct_load(p->env->store, p->user, &a, NULL) == 1) {
		same = passwd_verify(a.password, arg, NULL) == 1;
		acct_wipe(&a);
	}
	if (same) {
		say(p, "500 The new password must differ from the old one.");
		return;
	}
	if (store_password(p, arg, &why) < 0) {
		log_event(LOG_ERR, "password_change_failed", "user", p->user,
		    "reason", why, NULL);
		free(why);
		say(p, "500 The password could not be changed now.");
		return;
	}
	log_event(LOG_NOTICE, "password_changed", "user", p->user, "ip",
	    netio_remote_addr(p->io), "tls", netio_tls_protocol(p->io) ?
	    netio_tls_protocol(p->io) : "no", NULL);
	p->authed = p->have_user = 0;
	say(p, "200 Password changed, thank-you.");
}

static void
dispatch(struct pp *p, char *line)
{
	size_t n = strcspn(line, " ");
	char *arg = line[n] ? line + n + 1 : line + n;

	if (n == 4 && strncasecmp(line, "user", 4) == 0)
		cmd_user(p, arg);
	else if (n == 4 && strncasecmp(line, "pass", 4) == 0)
		cmd_pass(p, arg);
	else if (n == 7 && strncasecmp(line, "newpass", 7) == 0)
		cmd_newpass(p, arg);
	else if (n == 4 && strncasecmp(line, "quit", 4) == 0) {
		say(p, "200 Bye.");
		p->done = 1;
		p->end = "quit";
	} else
		bad(p, "Unknown command.");
	explicit_bzero(arg, strlen(arg));
}

static void
greet(struct pp *p)
{
	char name[256];

	say(p, "200 %s poppassd (popstore) hello, who are you?",
	    server_hostname(p->conf, name, sizeof(name)));
}

int
dialog_run(const struct poppass_env *env, struct netio *io)
{
	struct pp p;
	const char *line;
	size_t len;
	int nul, r;

	memset(&p, 0, sizeof(p));
	p.env = env;
	p.conf = env->conf;
	p.io = io;
	netio_set_timeout(io, (int)(p.conf->pop3_timeout * 1000));
	log_eventf(LOG_INFO, "connect", "ip=%s tls=%s", netio_remote_addr(io),
	    netio_tls_protocol(io) ? netio_tls_protocol(io) : "no");
	if (env->store == NULL) {
		say(&p, "500 The password service is not available now.");
		p.done = 1;
		p.end = "store_down";
	} else {
		greet(&p);
	}
	while (!p.done) {
		r = netio_read_line(io, POPPASS_LINE_MAX, &line, &len, &nul);
		if (r < 0) {
			if (r == NETIO_TOOLONG)
				say(&p, "500 Line too long.");
			p.end = r == NETIO_EOF ? "eof" : r == NETIO_TIMEOUT ?
			    "timeout" : "error";
			break;
		}
		if (nul) {
			explicit_bzero((char *)line, len);
			bad(&p, "NUL byte in command.");
			continue;
		}
		dispatch(&p, (char *)line);
	}
	log_eventf(LOG_INFO, "disconnect", "ip=%s end=%s",
	    netio_remote_addr(io), p.end ? p.end : "unknown");
	explicit_bzero(p.user, sizeof(p.user));
	return 0;
}
