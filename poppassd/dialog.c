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
 * Every refusal is a 500 line with a sentence for the user.
 *
 * Two halves. The dialogue (dialog_loop) parses commands and answers;
 * it touches no store and runs in the sandboxed pre-auth child (split.c)
 * or, without a split, in the one process. The account side
 * (account_*) checks the old password against the profile's hash (an
 * unknown user costs the same time), delays, logs and caps failures
 * like pop3d's, applies the site's rules to the new password and writes
 * it; it runs in the parent and re-checks everything the dialogue hands
 * it. Accounts with LOCKPWD keep their password; DISUSER accounts are
 * refused; accounts whose password lives elsewhere (PWD_ELSEWHERE)
 * cannot change it here.
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
#include "penalty.h"
#include "poppassd.h"
#include "secret.h"
#include "server.h"
#include "store.h"

/* ---- the dialogue ---- */

struct pp {
	const struct conf *conf;
	struct netio	*out;
	const struct dialog_ops *ops;
	void		*ctx;
	int		 plaintext_ok;
	char		 user[ACCT_NAME_MAX + 1];	/* as typed, or "" */
	struct buf	 old;		/* the right old password */
	int		 have_user;
	int		 authed;	/* the old password was right */
	unsigned	 bad;
	int		 done;
	enum pp_end	 end;
};

static const char *const end_names[PP_ENDS] = {
	"quit", "eof", "timeout", "error", "bad_commands", "auth_failures",
	"store_down", "preauth_died"
};

const char *
dialog_end_name(unsigned end)
{
	return end < PP_ENDS ? end_names[end] : "unknown";
}

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
	(void)netio_write(p->out, b.data, b.len);
	buf_free(&b);
}

static void
finish(struct pp *p, enum pp_end end)
{
	p->done = 1;
	p->end = end;
}

static void
bad(struct pp *p, const char *text)
{
	say(p, "500 %s", text);
	if (++p->bad >= POPPASS_BAD_MAX)
		finish(p, PP_END_BAD_COMMANDS);
}

static void
forget(struct pp *p)
{
	p->have_user = p->authed = 0;
	buf_free_secret(&p->old);
}

static void
cmd_user(struct pp *p, const char *arg)
{
	size_t len = strlen(arg);

	forget(p);
	if (!p->plaintext_ok) {
		bad(p, "Passwords are not accepted on this connection: "
		    "connect with TLS.");
		return;
	}
	/* Canonicalised by the account side; too long is unknown. */
	if (len <= ACCT_NAME_MAX)
		memcpy(p->user, arg, len + 1);
	else
		p->user[0] = '\0';
	p->have_user = 1;
	say(p, "200 Your password please.");
}

/* The answer to a result the two commands share; 1 when it was one. */
static int
common_result(struct pp *p, const struct pp_result *res)
{
	switch (res->outcome) {
	case PP_WRONG:
		forget(p);
		if (res->done) {
			say(p, "500 Old password is incorrect; too many "
			    "failures.");
			finish(p, PP_END_AUTH_FAILURES);
		} else {
			say(p, "500 Old password is incorrect.");
		}
		return 1;
	case PP_PLAINTEXT:
		forget(p);
		bad(p, "Passwords are not accepted on this connection: "
		    "connect with TLS.");
		return 1;
	case PP_ORDER:
		forget(p);
		bad(p, "Username and old password first.");
		return 1;
	default:
		break;
	}
	if (res->done)
		finish(p, PP_END_ERROR);
	return 0;
}

static void
cmd_pass(struct pp *p, const char *arg)
{
	struct pp_result res;

	if (!p->have_user) {
		bad(p, "Username first.");
		return;
	}
	p->authed = 0;
	buf_free_secret(&p->old);
	memset(&res, 0, sizeof(res));
	p->ops->check(p->ctx, p->user, arg, &res);
	if (common_result(p, &res))
		return;
	switch (res.outcome) {
	case PP_OK:
		p->authed = 1;
		buf_puts(&p->old, arg);
		say(p, "200 Your new password please.");
		break;
	case PP_DISABLED:
		say(p, "500 This account is disabled.");
		break;
	case PP_LOCKED:
		say(p, "500 The password of this account cannot be changed.");
		break;
	default:
		say(p, "500 The password service is not available now.");
		p->have_user = 0;
		break;
	}
}

/* A rule's sentence from the account side, printable ASCII only. */
static void
say_rule(struct pp *p, const char *text)
{
	char t[POPPASS_TEXT_MAX];
	size_t i;

	for (i = 0; text[i] && i < sizeof(t) - 1; i++)
		t[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	t[i] = '\0';
	say(p, "500 %s", i ? t : "The new password is not acceptable.");
}

static void
cmd_newpass(struct pp *p, const char *arg)
{
	struct pp_result res;

	if (!p->authed) {
		bad(p, "Username and old password first.");
		return;
	}
	memset(&res, 0, sizeof(res));
	p->ops->change(p->ctx, p->user, buf_cstr(&p->old), arg, &res);
	if (common_result(p, &res))
		return;
	switch (res.outcome) {
	case PP_OK:
		forget(p);
		say(p, "200 Password changed, thank-you.");
		break;
	case PP_RULES:
		say_rule(p, res.text);
		break;
	case PP_SAME:
		say(p, "500 The new password must differ from the old one.");
		break;
	default:
		say(p, "500 The password could not be changed now.");
		break;
	}
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
		finish(p, PP_END_QUIT);
	} else
		bad(p, "Unknown command.");
	explicit_bzero(arg, strlen(arg));
}

void
dialog_greet(const struct conf *conf, struct netio *out)
{
	char name[256];

	(void)netio_printf(out, "200 %s poppassd (popstore) hello, who are "
	    "you?\r\n", server_hostname(conf, name, sizeof(name)));
}

enum pp_end
dialog_loop(const struct conf *conf, struct netio *out, int plaintext_ok,
    const struct dialog_ops *ops, void *ctx)
{
	struct pp p;
	const char *line;
	size_t len;
	int nul, r;

	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.out = out;
	p.ops = ops;
	p.ctx = ctx;
	p.plaintext_ok = plaintext_ok;
	while (!p.done) {
		r = ops->read_line(ctx, POPPASS_LINE_MAX, &line, &len, &nul);
		if (r < 0) {
			if (r == NETIO_TOOLONG)
				say(&p, "500 Line too long.");
			p.end = r == NETIO_EOF ? PP_END_EOF :
			    r == NETIO_TIMEOUT ? PP_END_TIMEOUT : PP_END_ERROR;
			break;
		}
		if (nul) {
			explicit_bzero((char *)line, len);
			bad(&p, "NUL byte in command.");
			continue;
		}
		dispatch(&p, (char *)line);
	}
	(void)netio_flush(out);
	forget(&p);
	explicit_bzero(p.user, sizeof(p.user));
	return p.end;
}

/* ---- the account side ---- */

void
account_init(struct pp_account *a, const struct poppass_env *env,
    struct netio *io)
{
	memset(a, 0, sizeof(*a));
	a->env = env;
	a->io = io;
}

/*
 * The only wait after a failure, in the process that holds the store:
 * it grows with the recent failures of the client's address and of the
 * account name tried (penalty.h).
 */
void
account_fail_delay(struct pp_account *a, const char *tried)
{
	if (a->env->conf->login_fail_delay) {
		(void)netio_flush(a->io);
		penalty_login_failed(a->env->conf, a->env->store,
		    netio_remote_addr(a->io), tried);
	}
}

static const char *
tls_name(struct netio *io)
{
	return netio_tls_protocol(io) ? netio_tls_protocol(io) : "no";
}

/* A wrong old password for the name tried: log (as user), count, wait. */
static void
failed(struct pp_account *a, const char *user, const char *tried,
    const char *reason, struct pp_result *res)
{
	struct buf f = BUF_INIT;

	buf_puts(&f, "user=");
	log_safe(&f, user, strlen(user));
	buf_puts(&f, " ip=");
	log_safe(&f, netio_remote_addr(a->io), strlen(netio_remote_addr(a->io)));
	buf_printf(&f, " tls=%s mech=poppassd reason=%s", tls_name(a->io),
	    reason);
	log_eventf(LOG_NOTICE, "auth_failed", "%s", f.data);
	buf_free(&f);
	explicit_bzero(a->user, sizeof(a->user));
	account_fail_delay(a, tried);
	res->outcome = PP_WRONG;
	res->done = ++a->failures >= a->env->conf->login_max_failures;
}

/* user as typed to its canonical form in canon_r; 0, or -1 unknown. */
static int
canon_user(struct pp_account *a, const char *user,
    char canon_r[ACCT_NAME_MAX + 1])
{
	struct buf canon = BUF_INIT;
	int rc = -1;

	canon_r[0] = '\0';
	if (user[0] && strlen(user) <= ACCT_NAME_MAX &&
	    name_canon(a->env->conf, "", user, &canon, NULL) == 0 &&
	    canon.len <= ACCT_NAME_MAX) {
		memcpy(canon_r, canon.data, canon.len + 1);
		rc = 0;
	}
	buf_free(&canon);
	return rc;
}

/*
 * Load name and verify pass: 1 right (a loaded, caller wipes), 0 wrong
 * or unknown (*found_r says which), -1 lookup failed.
 */
static int
verify_old(struct pp_account *a, const char *name, const char *pass,
    struct acct *acc, int *found_r)
{
	char *dummy, *why = NULL;
	int found = 0, ok = 0;

	if (name[0] && a->env->store)
		found = acct_load(a->env->store, name, acc, &why);
	*found_r = found == 1;
	if (found < 0) {
		log_event(LOG_ERR, "lookup_failed", "user", name, "reason",
		    why, NULL);
		free(why);
		return -1;
	}
	if (found == 1 && acc->password[0] &&
	    !(acc->flags & ACCT_PWD_ELSEWHERE) &&
	    strlen(pass) <= PASSWD_MAX_LEN)
		ok = passwd_verify(acc->password, pass, NULL) == 1;
	else if ((dummy = passwd_dummy(a->env->conf->password_iterations))) {
		(void)passwd_verify(dummy, pass, NULL);	/* the same work */
		free(dummy);
	}
	if (!ok && found == 1)
		acct_wipe(acc);
	return ok;
}

/*
 * Is pass the old password of name? 1 yes (acc loaded, the caller wipes
 * it); 0 no, with res filled: the failure counted, or unavailable when
 * the account could not be read.
 */
static int
old_right(struct pp_account *a, const char *name, const char *pass,
    struct acct *acc, enum pp_outcome unavailable, struct pp_result *res)
{
	int found, r = verify_old(a, name, pass, acc, &found);

	if (r < 0)
		res->outcome = unavailable;
	else if (r == 0)
		failed(a, found ? name : "unknown", name, found ? "badpass" :
		    "nouser", res);
	return r > 0;
}

void
account_check(struct pp_account *a, const char *user, const char *pass,
    struct pp_result *res)
{
	char name[ACCT_NAME_MAX + 1];
	struct acct acc;

	memset(res, 0, sizeof(*res));
	explicit_bzero(a->user, sizeof(a->user));
	if (a->failures >= a->env->conf->login_max_failures) {
		res->outcome = PP_WRONG;
		res->done = 1;
		return;
	}
	if (!netio_plaintext_allowed(a->io, a->env->conf->plaintext_login)) {
		res->outcome = PP_PLAINTEXT;
		return;
	}
	(void)canon_user(a, user, name);
	if (!old_right(a, name, pass, &acc, PP_UNAVAILABLE, res))
		return;
	/* Once per dialogue: the change that follows checks again. */
	penalty_login_ok(a->env->store, netio_remote_addr(a->io), name);
	if (acc.flags & ACCT_DISUSER)
		res->outcome = PP_DISABLED;
	else if (acc.flags & ACCT_LOCKPWD)
		res->outcome = PP_LOCKED;
	else {
		res->outcome = PP_OK;
		memcpy(a->user, name, sizeof(a->user));
	}
	acct_wipe(&acc);
}

/* Store the new password (and secret) in the profile. 0 or -1. */
static int
store_password(struct pp_account *a, struct acct *acc, const char *pass,
    char **why_r)
{
	const struct conf *conf = a->env->conf;
	char *hash, *sec = NULL;
	int rc = -1;

	hash = passwd_hash(pass, conf->password_iterations, why_r);
	if (hash && conf->apop_cram_md5 && a->env->key)
		sec = secret_encrypt(a->env->key, acc->name, pass, strlen(pass),
		    NULL);
	if (hash) {
		snprintf(acc->password, sizeof(acc->password), "%s", hash);
		/* The old secret is the old password: never keep it. */
		snprintf(acc->secret, sizeof(acc->secret), "%s", sec ? sec : "");
		acc->password_changed = (int64_t)time(NULL);
		acc->flags &= ~(unsigned)ACCT_PWD_EXPIRED;
		rc = acct_save(a->env->store, acc, why_r);
	}
	mem_free_secret(hash);
	mem_free_secret(sec);
	return rc;
}

void
account_change(struct pp_account *a, const char *user, const char *old,
    const char *new_pass, struct pp_result *res)
{
	char name[ACCT_NAME_MAX + 1], *why = NULL;
	struct acct acc;

	memset(res, 0, sizeof(*res));
	if (!a->user[0] || a->failures >= a->env->conf->login_max_failures ||
	    canon_user(a, user, name) < 0 || strcmp(name, a->user) != 0) {
		res->outcome = PP_ORDER;
		return;
	}
	if (!netio_plaintext_allowed(a->io, a->env->conf->plaintext_login)) {
		res->outcome = PP_PLAINTEXT;
		return;
	}
	if (strlen(new_pass) > PASSWD_MAX_LEN) {
		res->outcome = PP_RULES;
		snprintf(res->text, sizeof(res->text), "The new password is "
		    "longer than %d bytes.", PASSWD_MAX_LEN);
		return;
	}
	if (passwd_check_new(name, new_pass, a->env->conf->password_min_length,
	    &why) < 0) {
		res->outcome = PP_RULES;
		snprintf(res->text, sizeof(res->text), "%s", why ? why : "");
		free(why);
		return;
	}
	/* Again: the profile may have changed, the child may lie. */
	if (!old_right(a, name, old, &acc, PP_NOT_CHANGED, res))
		return;
	if (acc.flags & (ACCT_DISUSER | ACCT_LOCKPWD)) {
		res->outcome = acc.flags & ACCT_DISUSER ? PP_DISABLED :
		    PP_LOCKED;
	} else if (passwd_verify(acc.password, new_pass, NULL) == 1) {
		res->outcome = PP_SAME;
	} else if (store_password(a, &acc, new_pass, &why) < 0) {
		log_event(LOG_ERR, "password_change_failed", "user", name,
		    "reason", why, NULL);
		free(why);
		res->outcome = PP_NOT_CHANGED;
	} else {
		log_event(LOG_NOTICE, "password_changed", "user", name, "ip",
		    netio_remote_addr(a->io), "tls", tls_name(a->io), NULL);
		explicit_bzero(a->user, sizeof(a->user));
		res->outcome = PP_OK;
	}
	acct_wipe(&acc);
}

/* ---- one process: the dialogue calls the account side directly ---- */

struct direct {
	struct pp_account acct;
	struct netio	*io;
};

static int
direct_read_line(void *ctx, size_t max, const char **line_r, size_t *len_r,
    int *nul_r)
{
	struct direct *d = ctx;

	return netio_read_line(d->io, max, line_r, len_r, nul_r);
}

static void
direct_check(void *ctx, const char *user, const char *pass,
    struct pp_result *res)
{
	struct direct *d = ctx;

	account_check(&d->acct, user, pass, res);
}

static void
direct_change(void *ctx, const char *user, const char *old,
    const char *new_pass, struct pp_result *res)
{
	struct direct *d = ctx;

	account_change(&d->acct, user, old, new_pass, res);
}

static const struct dialog_ops direct_ops = {
	direct_read_line, direct_check, direct_change
};

int
dialog_run(const struct poppass_env *env, struct netio *io)
{
	struct direct d;
	enum pp_end end;

	netio_set_timeout(io, (int)(env->conf->pop3_timeout * 1000));
	log_eventf(LOG_INFO, "connect", "ip=%s tls=%s", netio_remote_addr(io),
	    tls_name(io));
	if (env->store == NULL) {
		(void)netio_puts(io, "500 The password service is not "
		    "available now.\r\n");
		end = PP_END_STORE_DOWN;
	} else {
		account_init(&d.acct, env, io);
		d.io = io;
		dialog_greet(env->conf, io);
		end = dialog_loop(env->conf, io, netio_plaintext_allowed(io,
		    env->conf->plaintext_login), &direct_ops, &d);
		explicit_bzero(&d, sizeof(d));
	}
	log_eventf(LOG_INFO, "disconnect", "ip=%s end=%s",
	    netio_remote_addr(io), dialog_end_name(end));
	return 0;
}
