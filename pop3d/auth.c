/*
 * auth - the AUTHORIZATION state: USER/PASS, APOP (RFC 1939), AUTH
 * (RFC 5034) through SASL (sasl.h); failures, their delay (growing per
 * address and account across connections, penalty.h), their cap and
 * their log line; and the login itself: the account's rules, connect
 * accounting, the maildrop.
 *
 * A failed attempt is logged as one line for fail2ban (etc/fail2ban):
 *	event=auth_failed user=NAME ip=ADDR mech=MECH reason=...
 * with user=unknown unless the account exists (users type passwords
 * into the name field). A password is never logged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "name.h"
#include "netio.h"
#include "passwd.h"
#include "penalty.h"
#include "pop3d.h"
#include "privsep.h"
#include "secret.h"
#include "store.h"

#define DAY		86400

/* ---- the SASL backend: accounts of the store, and legacy users ---- */

static int
backend_lookup(void *ctx, const char *user, struct sasl_account *sa,
    char **why_r)
{
	struct pop3 *p = ctx;
	const struct pop3_env *env = p->env;
	struct acct a;
	int r;

	snprintf(p->looked_up, sizeof(p->looked_up), "%s", user);
	p->looked_up_found = 0;
	if (env->store == NULL)
		return file_whyf(why_r, "store not available");
	r = acct_load(env->store, user, &a, why_r);
	if (r == 1) {
		p->looked_up_found = 1;
		sa->hash = a.password[0] ? mem_strdup(a.password) : NULL;
		sa->pwd_elsewhere = (a.flags & ACCT_PWD_ELSEWHERE) != 0;
		sa->disabled = (a.flags & ACCT_DISUSER) != 0;
		if (p->conf->apop_cram_md5 && env->key && a.secret[0] &&
		    secret_decrypt(env->key, a.name, a.secret, &sa->secret,
		    &sa->secret_len, NULL) < 0)
			sa->secret = NULL;
		acct_wipe(&a);
		return 1;
	}
	if (r == 0 && legacy_user(p->conf, user, NULL)) {
		/* A login user of this host: saslauthd checks the password. */
		p->looked_up_found = 1;
		sa->pwd_elsewhere = 1;
		return 1;
	}
	return r;
}

static int
backend_canon(void *ctx, const char *in, size_t inlen, char *out,
    size_t outsize)
{
	struct pop3 *p = ctx;
	struct buf b = BUF_INIT;
	char *name;
	int r = -1;

	if (memchr(in, '\0', inlen) != NULL)
		return -1;
	name = mem_strndup(in, inlen);
	if (name_canon(p->conf, "", name, &b, NULL) == 0 && b.len < outsize) {
		memcpy(out, b.data, b.len + 1);
		r = 0;
	}
	free(name);
	buf_free(&b);
	return r;
}

int
auth_sasl_new(struct pop3 *p, char **why_r)
{
	struct sasl_params sp;
	int plain;

	memset(&sp, 0, sizeof(sp));
	sasl_params_from_conf(&sp, p->conf);
	sp.service = "pop";
	sp.tls = netio_is_tls(p->io);
	/* netio holds the one PLAINTEXT_LOGIN decision (pipes, TCPREMOTEIP) */
	plain = netio_plaintext_allowed(p->io, p->conf->plaintext_login);
	sp.plaintext_login = plain ? PLAINTEXT_ALWAYS : PLAINTEXT_NEVER;
	sp.apop_cram_md5 = p->conf->apop_cram_md5 && p->env->key != NULL;
	sp.secret_key = p->env->key;
	sp.backend.lookup = backend_lookup;
	sp.backend.canon = backend_canon;
	sp.backend.ctx = p;
	sasl_session_free(p->sasl);
	p->sasl = sasl_session_new(&sp, why_r);
	return p->sasl ? 0 : -1;
}

/* ---- failures ---- */

static void
start_attempt(struct pop3 *p)
{
	p->looked_up[0] = '\0';
	p->looked_up_found = 0;
}

void
auth_fail_delay(struct pop3 *p, enum sasl_outcome outcome)
{
	if (p->conf->login_fail_delay == 0)
		return;
	(void)netio_flush(p->io);
	if (outcome == SASL_OUTCOME_TEMPFAIL)
		penalty_sleep(p->conf->login_fail_delay);
	else
		penalty_login_failed(p->conf, p->env->store,
		    netio_remote_addr(p->io), p->looked_up);
}

/* Log a failed attempt, wait, answer; close after too many. */
static void
auth_failed(struct pop3 *p, const char *mech, enum sasl_outcome outcome,
    const char *why)
{
	struct buf f = BUF_INIT;
	const char *user = p->looked_up_found ? p->looked_up : "unknown";

	buf_puts(&f, "user=");
	log_safe(&f, user, strlen(user));
	buf_putc(&f, ' ');
	session_log_fields(p, &f);
	buf_puts(&f, " mech=");
	log_safe(&f, mech, strlen(mech));
	buf_printf(&f, " reason=%s detail=", sasl_outcome_name(outcome));
	log_safe(&f, why ? why : "", why ? strlen(why) : 0);
	log_eventf(LOG_NOTICE, "auth_failed", "%s", f.data);
	buf_free(&f);
	p->failures++;
	/* In the pre-auth child the parent has already waited. */
	if (p->ctl < 0)
		auth_fail_delay(p, outcome);
	if (p->failures >= p->conf->login_max_failures) {
		reply(p, "-ERR [AUTH] Authentication failed; too many failures, "
		    "closing");
		p->state = POP3_DONE;
		p->end = "auth_failures";
	} else if (outcome == SASL_OUTCOME_TEMPFAIL) {
		reply(p, "-ERR [SYS/TEMP] Authentication is temporarily "
		    "unavailable");
	} else {
		reply(p, "-ERR [AUTH] Authentication failed");
	}
	start_attempt(p);
}

/* After SASL or APOP said yes: log in (auth_login() answers). */
static void
auth_succeeded(struct pop3 *p, const char *user, const char *mech,
    struct authres *res)
{
	char name[ACCT_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", user);
	(void)auth_login(p, name, mech);
	res->logged_in = p->state == POP3_TRANSACTION;
}

/* res from the SASL session after a start, step or check. */
static int
sasl_result(struct pop3 *p, int r, const void *out, size_t outlen,
    const char *login_mech, struct authres *res)
{
	memset(res, 0, sizeof(*res));
	res->r = r;
	res->outcome = sasl_session_outcome(p->sasl);
	res->mech = sasl_session_mech(p->sasl);
	res->why = sasl_session_why(p->sasl);
	res->out = out;
	res->outlen = outlen;
	if (r == 0)
		auth_succeeded(p, sasl_session_user(p->sasl), login_mech ?
		    login_mech : res->mech, res);
	return r;
}

int
auth_do_check(struct pop3 *p, const char *user, const char *pass,
    struct authres *res)
{
	int r = sasl_session_check(p->sasl, user, pass);

	return sasl_result(p, r, NULL, 0, "USER", res);
}

int
auth_do_start(struct pop3 *p, const char *mech, const void *ir,
    size_t irlen, struct authres *res)
{
	const void *out = NULL;
	size_t outlen = 0;
	int r = sasl_session_start(p->sasl, mech, ir, irlen, &out, &outlen);

	return sasl_result(p, r, out, outlen, NULL, res);
}

int
auth_do_step(struct pop3 *p, const void *in, size_t inlen,
    struct authres *res)
{
	const void *out = NULL;
	size_t outlen = 0;
	int r = sasl_session_step(p->sasl, in, inlen, &out, &outlen);

	return sasl_result(p, r, out, outlen, NULL, res);
}

int
auth_plaintext_ok(struct pop3 *p)
{
	return p->ctl >= 0 ? p->conn.plaintext_ok :
	    sasl_session_plaintext_ok(p->sasl);
}

const char *
auth_mechanisms(struct pop3 *p)
{
	return p->ctl >= 0 ? p->conn.mechs : sasl_session_mechanisms(p->sasl);
}

/* The end of an attempt in the process that talks to the client. */
static void
finish_attempt(struct pop3 *p, const char *mech, const struct authres *res)
{
	if (res->r == 0) {
		if (p->ctl >= 0 && res->logged_in) {
			/* The parent serves the session from here on. */
			p->state = POP3_DONE;
			p->end = "login";
		}
		start_attempt(p);
		return;
	}
	auth_failed(p, res->mech ? res->mech : mech, res->outcome, res->why);
}

/* ---- USER, PASS ---- */

int
cmd_user(struct pop3 *p, char *arg)
{
	if (!auth_plaintext_ok(p)) {
		reply(p, "-ERR [AUTH] Plaintext login is not allowed on this "
		    "connection; use STLS first");
		return bad_command(p);
	}
	if (arg[0] == '\0' || strlen(arg) > SASL_MAX_USER) {
		reply(p, "-ERR Bad user name");
		return bad_command(p);
	}
	snprintf(p->user, sizeof(p->user), "%s", arg);
	p->have_user = 1;
	reply(p, "+OK Send your password");
	return 0;
}

int
cmd_pass(struct pop3 *p, char *arg)
{
	struct authres res;
	struct buf msg = BUF_INIT;

	if (!p->have_user) {
		explicit_bzero(arg, strlen(arg));
		reply(p, "-ERR Send USER first");
		return bad_command(p);
	}
	p->have_user = 0;
	start_attempt(p);
	if (p->ctl >= 0) {
		privsep_put_u32(&msg, p->failures);
		privsep_put_str(&msg, p->user);
		privsep_put_str(&msg, arg);
		(void)p->env->split->auth(p, PS_CHECK, &msg, &res);
	} else {
		(void)auth_do_check(p, p->user, arg, &res);
	}
	explicit_bzero(arg, strlen(arg));
	finish_attempt(p, "USER", &res);
	explicit_bzero(p->user, sizeof(p->user));
	return 0;
}

/* ---- APOP ---- */

/* A digest computed and compared when there is no secret to check. */
static void
apop_dummy(const struct pop3 *p, const char *digest)
{
	static const char dummy[] = "popstore APOP dummy secret";

	(void)secret_apop_verify(p->apop_ts, dummy, sizeof(dummy) - 1, digest);
}

/*
 * Check an APOP digest for name: 1 match, 0 not (outcome set), -1. An
 * unknown name, or an account without a secret, costs a digest too.
 */
static int
apop_check(struct pop3 *p, const char *name, const char *digest,
    enum sasl_outcome *outcome_r, struct buf *canon)
{
	struct acct a;
	char *plain = NULL, *why = NULL;
	size_t len = 0;
	int r, ok = 0;

	*outcome_r = SASL_OUTCOME_NOUSER;
	if (name_canon(p->conf, "", name, canon, NULL) < 0) {
		apop_dummy(p, digest);
		return 0;
	}
	snprintf(p->looked_up, sizeof(p->looked_up), "%s", canon->data);
	r = acct_load(p->env->store, canon->data, &a, &why);
	free(why);
	if (r < 0) {
		*outcome_r = SASL_OUTCOME_TEMPFAIL;
		return -1;
	}
	if (r == 0) {
		apop_dummy(p, digest);
		return 0;
	}
	p->looked_up_found = 1;
	*outcome_r = SASL_OUTCOME_NOVERIFIER;
	if (a.flags & ACCT_DISUSER)
		*outcome_r = SASL_OUTCOME_DISABLED;
	else if (!(a.flags & ACCT_PWD_ELSEWHERE) && a.secret[0] &&
	    secret_decrypt(p->env->key, a.name, a.secret, &plain, &len,
	    NULL) == 0) {
		ok = secret_apop_verify(p->apop_ts, plain, len, digest);
		*outcome_r = ok ? SASL_OUTCOME_OK : SASL_OUTCOME_BADPASS;
	}
	if (*outcome_r != SASL_OUTCOME_OK && *outcome_r != SASL_OUTCOME_BADPASS)
		apop_dummy(p, digest);
	mem_free_secret(plain);
	acct_wipe(&a);
	return ok;
}

int
auth_do_apop(struct pop3 *p, const char *name, const char *digest,
    struct authres *res)
{
	struct buf canon = BUF_INIT;

	memset(res, 0, sizeof(*res));
	res->r = -1;
	res->mech = "APOP";
	res->why = "";
	if (p->apop_ts == NULL)
		res->outcome = SASL_OUTCOME_REFUSED;
	else if (apop_check(p, name, digest, &res->outcome, &canon) == 1) {
		res->r = 0;
		auth_succeeded(p, canon.data, "APOP", res);
	}
	buf_free(&canon);
	return res->r;
}

int
cmd_apop(struct pop3 *p, char *arg)
{
	struct authres res;
	struct buf msg = BUF_INIT;
	char *digest = strchr(arg, ' ');

	if (p->apop_ts == NULL) {
		reply(p, "-ERR APOP is not available");
		return bad_command(p);
	}
	if (digest == NULL || digest == arg || strlen(digest + 1) !=
	    SECRET_APOP_HEX || strlen(arg) > SASL_MAX_USER + SECRET_APOP_HEX) {
		reply(p, "-ERR Usage: APOP name digest");
		return bad_command(p);
	}
	*digest++ = '\0';
	start_attempt(p);
	if (p->ctl >= 0) {
		privsep_put_u32(&msg, p->failures);
		privsep_put_str(&msg, arg);
		privsep_put_str(&msg, digest);
		(void)p->env->split->auth(p, PS_APOP, &msg, &res);
	} else {
		(void)auth_do_apop(p, arg, digest, &res);
	}
	finish_attempt(p, "APOP", &res);
	return 0;
}

/* ---- AUTH (RFC 5034) ---- */

static int
send_challenge(struct pop3 *p, const void *data, size_t len)
{
	struct buf b = BUF_INIT;
	int r;

	buf_puts(&b, "+ ");
	passwd_b64_encode(&b, data, len);
	buf_puts(&b, "\r\n");
	r = netio_write(p->io, b.data, b.len);
	buf_free(&b);
	return r;
}

/* Read one client response line into out (decoded). 1 got one, 0 the
 * exchange ended (answered), -1 the connection is gone. */
static int
read_response(struct pop3 *p, struct buf *out)
{
	const char *line;
	size_t len;
	int nul, r;

	r = session_read_line(p, POP3_READ_MAX, &line, &len, &nul);
	if (r < 0) {
		if (r == NETIO_TOOLONG)
			reply(p, "-ERR Line too long");
		p->state = POP3_DONE;
		p->end = r == NETIO_EOF ? "eof" : r == NETIO_TIMEOUT ?
		    "timeout" : "io_error";
		return -1;
	}
	if (len == 1 && line[0] == '*') {
		reply(p, "-ERR AUTH cancelled");
		return 0;
	}
	buf_reset(out);
	if (nul || passwd_b64_decode(out, line, len) < 0) {
		explicit_bzero((char *)line, len);
		reply(p, "-ERR Invalid base64 response");
		bad_command(p);
		return 0;
	}
	explicit_bzero((char *)line, len);
	return 1;
}

/* AUTH with no argument: the mechanisms, one a line (a common extension). */
static int
list_mechs(struct pop3 *p)
{
	const char *m = auth_mechanisms(p);
	size_t n;

	reply(p, "+OK Supported mechanisms follow");
	while (*m) {
		n = strcspn(m, " ");
		reply(p, "%.*s", (int)n, m);
		m += n + strspn(m + n, " ");
	}
	return reply(p, ".");
}

/* Start or continue an exchange wherever SASL runs. */
static int
attempt_sasl(struct pop3 *p, const char *mech, const void *data, size_t len,
    struct authres *res)
{
	struct buf msg = BUF_INIT;

	if (p->ctl < 0)
		return mech ? auth_do_start(p, mech, data, len, res) :
		    auth_do_step(p, data, len, res);
	privsep_put_u32(&msg, p->failures);
	if (mech) {
		privsep_put_str(&msg, mech);
		privsep_put_u32(&msg, data != NULL);
	}
	privsep_put_bytes(&msg, data, data ? len : 0);
	return p->env->split->auth(p, mech ? PS_START : PS_STEP, &msg, res);
}

int
cmd_auth(struct pop3 *p, char *arg)
{
	struct buf in = BUF_INIT;
	struct authres res;
	size_t n = strcspn(arg, " ");
	char *ir = arg[n] ? arg + n + 1 : NULL;
	int r;

	if (arg[0] == '\0') {
		(void)list_mechs(p);
		return 0;
	}
	arg[n] = '\0';
	if (ir && strcmp(ir, "=") != 0 &&
	    (ir[0] == '\0' || passwd_b64_decode(&in, ir, strlen(ir)) < 0)) {
		explicit_bzero(ir, strlen(ir));
		buf_free_secret(&in);
		reply(p, "-ERR Invalid base64 in the initial response");
		return bad_command(p);
	}
	if (ir)
		explicit_bzero(ir, strlen(ir));
	start_attempt(p);
	r = attempt_sasl(p, arg, ir ? (in.data ? in.data : "") : NULL,
	    in.len, &res);
	if (r < 0 && res.outcome == SASL_OUTCOME_REFUSED && res.mech == NULL) {
		buf_free_secret(&in);
		reply(p, "-ERR [AUTH] Mechanism not available%s",
		    auth_plaintext_ok(p) ? "" :
		    " (plaintext mechanisms need STLS)");
		return bad_command(p);
	}
	while (r == 1) {
		if (send_challenge(p, res.out, res.outlen) < 0 ||
		    (r = read_response(p, &in)) <= 0) {
			buf_free_secret(&in);
			return 0;	/* cancelled, bad base64 or gone */
		}
		r = attempt_sasl(p, NULL, in.data ? in.data : "", in.len, &res);
	}
	buf_free_secret(&in);
	finish_attempt(p, arg, &res);
	return 0;
}

/* ---- the login ---- */

static int
password_expired(const struct conf *c, const struct acct *a)
{
	time_t now = time(NULL);

	if (a->flags & ACCT_PWD_EXPIRED)
		return 1;
	if (c->password_lifetime == 0 || a->password_changed <= 0 ||
	    (a->flags & ACCT_PWD_ELSEWHERE))
		return 0;
	return (int64_t)now - a->password_changed >
	    (int64_t)(c->password_lifetime * DAY);
}

/* Store a rehashed password or a first secret (sasl_session_upgrade). */
static void
upgrade(struct pop3 *p, const char *name)
{
	char *hash = NULL, *secret = NULL, *why = NULL;
	struct acct a;

	if (sasl_session_upgrade(p->sasl, &hash, &secret) == 0)
		return;
	if (acct_load(p->env->store, name, &a, &why) == 1) {
		if (hash)
			snprintf(a.password, sizeof(a.password), "%s", hash);
		if (secret)
			snprintf(a.secret, sizeof(a.secret), "%s", secret);
		if (acct_save(p->env->store, &a, &why) == 0)
			log_event(LOG_INFO, "password_upgraded", "user", name,
			    "hash", hash ? "new" : "kept",
			    "secret", secret ? "new" : "kept", NULL);
		acct_wipe(&a);
	}
	if (why) {
		log_event(LOG_WARNING, "upgrade_failed", "user", name, "reason",
		    why, NULL);
		free(why);
	}
	mem_free_secret(hash);
	mem_free_secret(secret);
}

static int
usage_login(struct usage *u, void *ctx)
{
	const time_t *now = ctx;

	u->total_connections++;
	u->last_connect = (int64_t)*now;
	return 0;
}

static int
usage_logout(struct usage *u, void *ctx)
{
	const struct pop3 *p = ctx;
	time_t now = time(NULL);

	u->last_disconnect = (int64_t)now;
	if (now > p->login_at)
		u->total_connect += (uint64_t)(now - p->login_at);
	return 0;
}

void
auth_logout_accounting(struct pop3 *p)
{
	char *why = NULL;

	if (usage_update(p->env->store, p->login, usage_logout, p, 0,
	    &why) < 0) {
		log_event(LOG_WARNING, "accounting_failed", "user", p->login,
		    "reason", why, NULL);
		free(why);
	}
}

/* Refuse a login with reply text; a refusal counts as a failure. */
static int
refuse(struct pop3 *p, const char *name, const char *reason,
    const char *text)
{
	log_event(LOG_NOTICE, "login_refused", "user", name, "ip",
	    netio_remote_addr(p->io), "reason", reason, NULL);
	reply(p, "%s", text);
	if (++p->failures >= p->conf->login_max_failures) {
		p->state = POP3_DONE;
		p->end = "auth_failures";
	}
	return -1;
}

/* The account's own rules, then its maildrop. */
static int
login_store(struct pop3 *p, struct acct *a, char **why_r)
{
	struct usage u;
	time_t now = time(NULL);
	uint64_t delay = p->conf->pop3_login_delay;

	if (a->flags & ACCT_DISUSER)
		return refuse(p, a->name, "disuser",
		    "-ERR [AUTH] This account is disabled");
	if (password_expired(p->conf, a))
		return refuse(p, a->name, "password_expired", "-ERR [AUTH] Your "
		    "password has expired: change it before logging in");
	if (a->backend[0])
		return refuse(p, a->name, "other_backend", "-ERR [SYS/PERM] "
		    "This account is served by another server");
	if (delay && usage_read(p->env->store, a->name, &u, NULL) >= 0 &&
	    u.last_connect > 0 && (int64_t)now - u.last_connect < (int64_t)delay)
		return refuse(p, a->name, "login_delay", "-ERR [LOGIN-DELAY] "
		    "Logging in again so soon is not allowed");
	upgrade(p, a->name);
	if (drop_open_store(p->env->store, a, &p->drop, why_r) < 0)
		return -2;
	if (usage_update(p->env->store, a->name, usage_login, &now, 0,
	    why_r) < 0) {
		log_event(LOG_WARNING, "accounting_failed", "user", a->name,
		    "reason", *why_r, NULL);
		free(*why_r);
		*why_r = NULL;
	}
	p->acct_type = a->type;
	return 0;
}

static int
login_legacy(struct pop3 *p, const char *path, char **why_r)
{
	if (drop_open_legacy(path, (unsigned)p->conf->lock_timeout, &p->drop,
	    why_r) == 0) {
		p->legacy = 1;
		return 0;
	}
	if (errno == EWOULDBLOCK) {
		log_event(LOG_NOTICE, "login_refused", "user", p->looked_up,
		    "ip", netio_remote_addr(p->io), "reason", "mailbox_locked",
		    NULL);
		reply(p, "-ERR [IN-USE] Your mailbox is locked by another "
		    "program; try again later");
		free(*why_r);
		*why_r = NULL;
		return -1;
	}
	return -2;
}

int
auth_login(struct pop3 *p, const char *name, const char *mech)
{
	struct buf path = BUF_INIT, f = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int r;

	if (!p->env->allow_root && privsep_refuse_root(&why) < 0) {
		log_event(LOG_CRIT, "refused_root", "reason", why, NULL);
		free(why);
		reply(p, "-ERR [SYS/PERM] Server misconfigured");
		p->state = POP3_DONE;
		p->end = "root";
		return -1;
	}
	r = acct_load(p->env->store, name, &a, &why);
	if (r == 1)
		r = login_store(p, &a, &why);
	else if (r == 0 && legacy_user(p->conf, name, &path))
		r = login_legacy(p, path.data, &why);
	else if (r == 0)
		r = refuse(p, name, "no_account", "-ERR [AUTH] Authentication "
		    "failed");
	else
		r = -2;
	acct_wipe(&a);
	buf_free(&path);
	if (r == -2) {
		log_event(LOG_ERR, "login_failed", "user", name, "reason", why,
		    NULL);
		reply(p, "-ERR [SYS/TEMP] Your mailbox cannot be opened now; "
		    "try again later");
	}
	free(why);
	if (r < 0)
		return -1;
	penalty_login_ok(p->env->store, netio_remote_addr(p->io), name);
	snprintf(p->login, sizeof(p->login), "%s", name);
	p->mech = mech;
	p->login_at = time(NULL);
	p->state = POP3_TRANSACTION;
	buf_puts(&f, "user=");
	log_safe(&f, name, strlen(name));
	buf_putc(&f, ' ');
	session_log_fields(p, &f);
	buf_printf(&f, " mech=%s messages=%u bytes=%llu%s", mech,
	    p->drop->count, (unsigned long long)p->drop->bytes,
	    p->legacy ? " legacy=yes" : "");
	log_eventf(LOG_INFO, "login", "%s", f.data);
	buf_free(&f);
	reply(p, "+OK Logged in: %u messages (%llu octets)", p->drop->count,
	    (unsigned long long)p->drop->bytes);
	return 0;
}
