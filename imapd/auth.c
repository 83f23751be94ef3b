/* auth - CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ID, ENABLE, LOGOUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "group.h"
#include "imapd.h"
#include "log.h"
#include "mem.h"
#include "mboxlist.h"
#include "netio.h"
#include "passwd.h"
#include "penalty.h"
#include "privsep.h"
#include "store.h"

void
capability_string(struct sess *s, struct buf *out)
{
	const char *mechs;
	char *dup, *tok, *save = NULL;

	buf_puts(out, "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE");
	if (s->state == ST_NOAUTH) {
		if (s->child ? s->conn.starttls_ok :
		    s->tls && !netio_is_tls(s->n))
			buf_puts(out, " STARTTLS");
		if (!(s->child ? s->conn.plaintext_ok :
		    sasl_session_plaintext_ok(s->sasl)))
			buf_puts(out, " LOGINDISABLED");
		mechs = s->child ? s->conn.mechs :
		    sasl_session_mechanisms(s->sasl);
		dup = mem_strdup(mechs);
		for (tok = strtok_r(dup, " ", &save); tok;
		    tok = strtok_r(NULL, " ", &save))
			buf_printf(out, " AUTH=%s", tok);
		free(dup);
		return;
	}
	buf_printf(out, " NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE"
	    " CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC"
	    " ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=REFERENCES"
	    " THREAD=ORDEREDSUBJECT BINARY APPENDLIMIT=%llu QUOTA"
	    " QUOTA=RES-STORAGE QUOTASET ACL RIGHTS=texk",
	    (unsigned long long)s->conf->max_message_size);
}

int
cmd_capability(struct sess *s)
{
	struct buf c = BUF_INIT;

	if (rd_eol(&s->rd) < 0)
		return -1;
	capability_string(s, &c);
	reply_untagged(s, "CAPABILITY %s", c.data);
	buf_free(&c);
	reply_tagged(s, "OK", "Capability completed");
	return 0;
}

void
auth_session_new(struct sess *s)
{
	char *why = NULL;

	sasl_session_free(s->sasl);
	s->sp.tls = netio_is_tls(s->n);
	s->sasl = sasl_session_new(&s->sp, &why);
	if (s->sasl == NULL) {
		log_event(LOG_ERR, "sasl_failed", "error", why, NULL);
		free(why);
		netio_puts(s->n, "* BYE Authentication is not available\r\n");
		netio_flush(s->n);
		s->state = ST_LOGOUT;
	}
}

int
cmd_starttls(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	return s->child ? split_starttls(s) : auth_starttls(s);
}

int
auth_starttls(struct sess *s)
{
	size_t discarded = 0;
	int rc;

	if (s->tls == NULL || netio_is_tls(s->n)) {
		reply_tagged(s, "BAD", "STARTTLS is not available");
		return 0;
	}
	reply_tagged(s, "OK", "Begin TLS negotiation now");
	rc = netio_starttls(s->n, s->tls, &discarded);
	if (discarded)
		log_eventf(LOG_NOTICE, "starttls_injection", "ip=%s bytes=%zu",
		    s->rip, discarded);
	if (rc < 0) {
		log_event(LOG_NOTICE, "tls_failed", "ip", s->rip, "error",
		    netio_why(s->n), NULL);
		return -2;
	}
	auth_session_new(s);
	return 0;
}

static int
count_login(struct usage *u, void *ctx)
{
	(void)ctx;
	u->total_connections++;
	u->last_connect = (int64_t)time(NULL);
	return 0;
}

static int
count_logout(struct usage *u, void *ctx)
{
	const time_t *start = ctx;
	time_t now = time(NULL);

	u->last_disconnect = (int64_t)now;
	if (now > *start)
		u->total_connect += (uint64_t)(now - *start);
	return 0;
}

/* Store a rehashed password or a new secret from a plaintext login. */
static void
upgrade_password(struct sess *s)
{
	char *hash = NULL, *secret = NULL, *why = NULL;
	struct acct a;

	if (!sasl_session_upgrade(s->sasl, &hash, &secret))
		return;
	if (acct_load(s->store, s->user.name, &a, &why) == 1) {
		if (hash)
			snprintf(a.password, sizeof(a.password), "%s", hash);
		if (secret)
			snprintf(a.secret, sizeof(a.secret), "%s", secret);
		if (acct_save(s->store, &a, &why) < 0)
			log_event(LOG_WARNING, "password_upgrade_failed", "user",
			    a.name, "error", why, NULL);
		acct_wipe(&a);
	}
	free(why);
	mem_free_secret(hash);
	mem_free_secret(secret);
}

static int
login_ok(struct sess *s, const char *mech)
{
	struct buf cap = BUF_INIT;
	struct mboxlist l;
	char *why = NULL;
	const char *user = sasl_session_user(s->sasl);
	int r;

	r = acct_load(s->store, user ? user : "", &s->user, &why);
	if (r <= 0 || privsep_refuse_root(&why) < 0 ||
	    mboxlist_load(s->store, &s->user, &l, &why) < 0) {
		log_event(LOG_ERR, "login_error", "user", user, "error",
		    why ? why : "account vanished", NULL);
		free(why);
		memset(&s->user, 0, sizeof(s->user));
		reply_tagged(s, "NO", "[UNAVAILABLE] Account is not available");
		return 0;
	}
	mboxlist_free(&l);
	upgrade_password(s);
	acct_wipe(&s->user);
	s->manager = (s->user.flags & ACCT_MANAGE) != 0;
	s->state = ST_AUTH;
	s->login_time = time(NULL);
	s->tried[0] = '\0';
	penalty_login_ok(s->store, s->rip, s->user.name);
	(void)usage_update(s->store, s->user.name, count_login, NULL, 0, NULL);
	netio_set_timeout(s->n, (int)s->conf->imap_timeout * 1000);
	log_event(LOG_INFO, "login", "user", s->user.name, "ip", s->rip,
	    "mech", mech, "tls", netio_is_tls(s->n) ? "yes" : "no", NULL);
	capability_string(s, &cap);
	reply_tagged(s, "OK", "[CAPABILITY %s] Logged in", cap.data);
	buf_free(&cap);
	return 0;
}

/*
 * The wait after a failed attempt, in the process that holds SASL: it
 * grows with the recent failures of the client's address and of the
 * account name the attempt looked up (penalty.h).
 */
static void
fail_delay(struct sess *s)
{
	netio_flush(s->n);
	if (s->conf->login_fail_delay)
		penalty_login_failed(s->conf, s->store, s->rip, s->tried);
	s->tried[0] = '\0';
}

/* A failed attempt: one log line, a delay, and BYE after too many. */
static int
login_failed(struct sess *s, const char *mech, const char *typed)
{
	enum sasl_outcome o = sasl_session_outcome(s->sasl);

	s->failures++;
	/* The same line as pop3d's, for the shared fail2ban filter. */
	log_event(LOG_NOTICE, "auth_failed", "user",
	    o == SASL_OUTCOME_NOUSER || typed == NULL ? "unknown" : typed,
	    "ip", s->rip, "tls", netio_is_tls(s->n) ? "yes" : "no", "mech", mech,
	    "reason", sasl_outcome_name(o), NULL);
	if (o == SASL_OUTCOME_TEMPFAIL) {
		reply_tagged(s, "NO", "[UNAVAILABLE] Authentication is "
		    "temporarily unavailable");
		return 0;
	}
	fail_delay(s);
	if (o == SASL_OUTCOME_REFUSED && !sasl_session_plaintext_ok(s->sasl))
		reply_tagged(s, "NO", "[PRIVACYREQUIRED] Plaintext "
		    "authentication is not allowed here");
	else
		reply_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
		    "failed");
	if (s->failures >= s->conf->login_max_failures) {
		netio_puts(s->n, "* BYE Too many authentication failures\r\n");
		return -2;
	}
	return 0;
}

int
cmd_login(struct sess *s)
{
	struct buf user = BUF_INIT, pass = BUF_INIT;
	int rc = -1;

	if (rd_sp(&s->rd) < 0 || rd_astring(&s->rd, &user) < 0 ||
	    rd_sp(&s->rd) < 0 || rd_astring(&s->rd, &pass) < 0 ||
	    rd_eol(&s->rd) < 0)
		goto out;
	rc = s->child ? split_login(s, &user, &pass) :
	    auth_login_attempt(s, user.data, pass.data);
out:
	buf_free_secret(&pass);
	buf_free(&user);
	return rc;
}

int
auth_login_attempt(struct sess *s, const char *user, const char *pass)
{
	if (!sasl_session_plaintext_ok(s->sasl)) {
		reply_tagged(s, "NO", "[PRIVACYREQUIRED] Plaintext login is "
		    "disabled here: use STARTTLS");
		return 0;
	}
	if (sasl_session_check(s->sasl, user, pass) == 0)
		return login_ok(s, "LOGIN");
	return login_failed(s, "LOGIN", user);
}

int
auth_sasl_end(struct sess *s, int rc, const char *mech)
{
	return rc == 0 ? login_ok(s, mech) : login_failed(s, mech, NULL);
}

/* One client response line of an exchange: 1 data, 0 cancelled, -2 I/O. */
static int
sasl_response(struct sess *s, struct buf *out)
{
	const char *line;
	size_t len;
	int nul, rc;

	rc = rd_read_line(&s->rd, SASL_MAX_INPUT * 2, &line, &len, &nul);
	if (rc < 0)
		return -2;
	if (len == 1 && line[0] == '*')
		return 0;
	buf_reset(out);
	if (nul || passwd_b64_decode(out, line, len) < 0)
		return -1;
	return 1;
}

int
cmd_authenticate(struct sess *s)
{
	struct buf mech = BUF_INIT, ir = BUF_INIT, data = BUF_INIT, b64 = BUF_INIT;
	const void *out;
	size_t outlen;
	int rc, have_ir = 0, ret = -1;

	if (rd_sp(&s->rd) < 0 || rd_atom(&s->rd, &mech) < 0)
		goto done;
	if (rd_peek(&s->rd) == ' ') {
		if (rd_sp(&s->rd) < 0 || rd_atom(&s->rd, &ir) < 0)
			goto done;
		have_ir = 1;
	}
	if (rd_eol(&s->rd) < 0)
		goto done;
	ret = 0;
	if (have_ir && !(ir.len == 1 && ir.data[0] == '=')) {
		if (passwd_b64_decode(&data, ir.data, ir.len) < 0) {
			reply_tagged(s, "BAD", "Bad base64 in initial response");
			goto done;
		}
	}
	rc = s->child ? split_sasl(s, mech.data, have_ir, buf_cstr(&data),
	    data.len, &out, &outlen) : sasl_session_start(s->sasl, mech.data,
	    have_ir ? buf_cstr(&data) : NULL, data.len, &out, &outlen);
	while (rc == 1) {
		buf_reset(&b64);
		passwd_b64_encode(&b64, out, outlen);
		netio_printf(s->n, "+ %s\r\n", buf_cstr(&b64));
		buf_free_secret(&data);
		switch (sasl_response(s, &data)) {
		case -2:
			ret = -2;
			goto done;
		case 0:
			reply_tagged(s, "BAD", "Authentication cancelled");
			goto done;
		case -1:
			reply_tagged(s, "BAD", "Bad base64 in response");
			goto done;
		}
		rc = s->child ? split_sasl(s, NULL, 1, buf_cstr(&data),
		    data.len, &out, &outlen) : sasl_session_step(s->sasl,
		    buf_cstr(&data), data.len, &out, &outlen);
	}
	if (rc == 2)	/* the parent has answered */
		ret = s->state == ST_LOGOUT ? -2 : 0;
	else
		ret = auth_sasl_end(s, rc, mech.data);
done:
	buf_free(&mech);
	buf_free_secret(&ir);
	buf_free_secret(&data);
	buf_free(&b64);
	return ret;
}

int
cmd_id(struct sess *s)
{
	struct buf k = BUF_INIT, v = BUF_INIT;
	int nil, n = 0, rc = -1;

	if (rd_sp(&s->rd) < 0)
		goto out;
	if (rd_peek(&s->rd) == '(') {
		if (rd_open(&s->rd) < 0)
			goto out;
		while (rd_peek(&s->rd) != ')') {
			if ((n++ && rd_sp(&s->rd) < 0) || rd_string(&s->rd, &k) < 0 ||
			    rd_sp(&s->rd) < 0 || rd_nstring(&s->rd, &v, &nil) < 0 ||
			    n > 30)
				goto out;
		}
		if (rd_close(&s->rd) < 0)
			goto out;
	} else if (rd_atom(&s->rd, &k) < 0 || strcasecmp(k.data, "NIL") != 0) {
		goto out;
	}
	if (rd_eol(&s->rd) < 0)
		goto out;
	reply_untagged(s, "ID (\"name\" \"popstore imapd\" \"vendor\" \"popstore\")");
	reply_tagged(s, "OK", "ID completed");
	rc = 0;
out:
	buf_free(&k);
	buf_free(&v);
	return rc;
}

int
cmd_enable(struct sess *s)
{
	struct buf w = BUF_INIT, en = BUF_INIT;
	int rc = -1;

	while (rd_peek(&s->rd) == ' ') {
		if (rd_sp(&s->rd) < 0 || rd_atom(&s->rd, &w) < 0)
			goto out;
		if (strcasecmp(w.data, "CONDSTORE") == 0 && !s->condstore) {
			s->condstore = 1;
			buf_puts(&en, " CONDSTORE");
		} else if (strcasecmp(w.data, "QRESYNC") == 0 && !s->qresync) {
			s->qresync = 1;
			if (!s->condstore)
				buf_puts(&en, " CONDSTORE");
			s->condstore = 1;
			buf_puts(&en, " QRESYNC");
		}
	}
	if (rd_eol(&s->rd) < 0)
		goto out;
	reply_untagged(s, "ENABLED%s", buf_cstr(&en));
	reply_tagged(s, "OK", "Enabled");
	rc = 0;
out:
	buf_free(&w);
	buf_free(&en);
	return rc;
}

void
auth_end(struct sess *s)
{
	if (s->user.name[0] == '\0' || s->login_time == 0)
		return;
	(void)usage_update(s->store, s->user.name, count_logout, &s->login_time,
	    0, NULL);
	log_event(LOG_INFO, "logout", "user", s->user.name, "ip", s->rip, NULL);
	s->login_time = 0;
}

int
cmd_logout(struct sess *s)
{
	if (rd_eol(&s->rd) < 0)
		return -1;
	netio_puts(s->n, "* BYE Logging out\r\n");
	if (s->sel)
		sel_close(s);
	s->state = ST_AUTH;	/* no untagged updates now */
	reply_tagged(s, "OK", "Logout completed");
	s->state = ST_LOGOUT;
	return 0;
}
