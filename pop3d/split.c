/*
 * split - the pre-auth split of pop3d (privsep.h, PRE-AUTHENTICATION
 * SANDBOX): the AUTHORIZATION state is parsed by a sandboxed child that
 * holds no store, no key and no client socket; the parent reads client
 * lines for it, runs STLS and every SASL or APOP check, logs the user
 * in and then serves the session itself. The moving parts both sides
 * share with the other servers are privsep.h's (THE SPLIT, BOTH SIDES);
 * what is pop3d's own here are STLS, the attempts and their answers.
 *
 * The parent trusts nothing the child sends: every length is checked
 * again, and it keeps its own count of failed attempts, waits after
 * each (LOGIN_FAIL_DELAY, growing through the penalty file, which only
 * the parent touches) and ends the session after LOGIN_MAX_FAILURES,
 * so a subverted child cannot guess passwords faster than a client
 * could.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "pop3d.h"
#include "privsep.h"

#define MECH_MAX	64	/* a SASL mechanism name */
#define APOP_NAME_MAX	(SASL_MAX_USER + 1)
#define APOP_DIGEST_MAX	64

/* ---- the parent ---- */

static void
put_conn(struct pop3 *p, struct buf *msg)
{
	const char *v = netio_tls_protocol(p->io);

	privsep_put_str(msg, netio_remote_addr(p->io));
	privsep_put_str(msg, v ? v : "");
	privsep_put_u32(msg, (uint32_t)netio_is_tls(p->io));
	privsep_put_u32(msg, p->env->tls != NULL && !netio_is_tls(p->io));
	privsep_put_u32(msg, (uint32_t)sasl_session_plaintext_ok(p->sasl));
	privsep_put_str(msg, sasl_session_mechanisms(p->sasl));
}

/* Send msg (freed, wiped) as type; -1 when the child is gone. */
static int
to_child(struct pop3 *p, unsigned type, struct buf *msg)
{
	char *why = NULL;
	int r = privsep_send(p->env->preauth_ctl, type, msg->data, msg->len,
	    &why);

	buf_free_secret(msg);
	free(why);
	return r;
}

/* STLS for the child: 0 done, 1 TLS failed, 2 no SASL session. */
static int
serve_starttls(struct pop3 *p, struct privsep_rd *rd)
{
	struct buf msg = BUF_INIT;
	size_t discarded = 0;
	char *why = NULL;
	uint32_t status = 0;

	if (rd->left)
		return -1;
	if (p->env->tls == NULL || netio_is_tls(p->io)) {
		status = 1;
	} else if (netio_starttls(p->io, p->env->tls, &discarded) < 0) {
		log_event(LOG_NOTICE, "tls_failed", "ip", netio_remote_addr(p->io),
		    "reason", netio_why(p->io), NULL);
		status = 1;
	} else if (auth_sasl_new(p, &why) < 0) {
		log_event(LOG_ERR, "sasl_failed", "reason", why, NULL);
		free(why);
		status = 2;
	}
	privsep_put_u32(&msg, status);
	privsep_put_u32(&msg, (uint32_t)discarded);
	if (status == 0)
		put_conn(p, &msg);
	/* Without TLS or without a SASL session nothing more can be
	 * served: the parent ends it, whatever the child would do. */
	if (to_child(p, PS_TLS, &msg) < 0 || status != 0)
		return -1;
	return 0;
}

/* Run one attempt the child forwarded; res is filled. 0, or -1. */
static int
run_attempt(struct pop3 *p, unsigned type, struct privsep_rd *rd,
    struct authres *res)
{
	char user[APOP_NAME_MAX + 1], pass[POP3_READ_MAX + 1];
	char mech[MECH_MAX + 1], digest[APOP_DIGEST_MAX + 1];
	const void *data;
	size_t len;
	uint32_t has_ir;

	(void)privsep_get_u32(rd);	/* the child's count: ours rules */
	switch (type) {
	case PS_CHECK:
		privsep_get_str(rd, user, sizeof(user));
		privsep_get_str(rd, pass, sizeof(pass));
		if (!rd->bad && !rd->left && strlen(user) <= SASL_MAX_USER)
			(void)auth_do_check(p, user, pass, res);
		explicit_bzero(pass, sizeof(pass));
		return rd->bad || rd->left ? -1 : 0;
	case PS_START:
		privsep_get_str(rd, mech, sizeof(mech));
		has_ir = privsep_get_u32(rd);
		data = privsep_get_bytes(rd, POP3_READ_MAX, &len);
		if (rd->bad || rd->left || has_ir > 1)
			return -1;
		(void)auth_do_start(p, mech, has_ir ? (data ? data : "") : NULL,
		    len, res);
		return 0;
	case PS_STEP:
		data = privsep_get_bytes(rd, POP3_READ_MAX, &len);
		if (rd->bad || rd->left)
			return -1;
		(void)auth_do_step(p, data ? data : "", len, res);
		return 0;
	case PS_APOP:
		privsep_get_str(rd, user, sizeof(user));
		privsep_get_str(rd, digest, sizeof(digest));
		if (rd->bad || rd->left)
			return -1;
		(void)auth_do_apop(p, user, digest, res);
		return 0;
	}
	return -1;
}

static int
serve_attempt(struct pop3 *p, unsigned type, struct privsep_rd *rd)
{
	struct buf msg = BUF_INIT;
	struct authres res;
	unsigned before = p->failures;

	if (p->failures >= p->conf->login_max_failures)
		return -1;
	memset(&res, 0, sizeof(res));
	res.r = -1;
	if (type != PS_STEP) {
		/* A new attempt: forget the account the last one saw. */
		p->looked_up[0] = '\0';
		p->looked_up_found = 0;
	}
	if (run_attempt(p, type, rd, &res) < 0)
		return -1;
	if (res.r < 0) {
		p->failures++;
		auth_fail_delay(p, res.outcome);
	}
	privsep_put_u32(&msg, (uint32_t)(res.r + 1));
	privsep_put_u32(&msg, (uint32_t)res.outcome);
	privsep_put_u32(&msg, res.mech != NULL);
	privsep_put_str(&msg, res.mech);
	privsep_put_str(&msg, res.why);
	privsep_put_str(&msg, p->looked_up);
	privsep_put_u32(&msg, (uint32_t)p->looked_up_found);
	privsep_put_bytes(&msg, res.out, res.r == 1 ? res.outlen : 0);
	privsep_put_u32(&msg, (uint32_t)res.logged_in);
	privsep_put_u32(&msg, res.r == 0 && p->failures > before);
	privsep_put_u32(&msg, p->state == POP3_DONE);
	return to_child(p, PS_RESULT, &msg);
}

/* One request of the child (privsep_preauth_serve): 0 go on, -1 stop. */
static int
serve(void *ctx, unsigned type, struct privsep_rd *rd)
{
	struct pop3 *p = ctx;

	switch (type) {
	case PRIVSEP_READLINE:
		return privsep_preauth_serve_line(p->env->preauth_ctl, p->io,
		    rd, POP3_READ_MAX, (int)(p->conf->pop3_timeout * 1000));
	case PS_STARTTLS:
		return serve_starttls(p, rd);
	case PS_CHECK: case PS_START: case PS_STEP: case PS_APOP:
		return serve_attempt(p, type, rd);
	}
	return -1;
}

/* Logged in, or the session is over: the child has done its part. */
static int
done(void *ctx)
{
	const struct pop3 *p = ctx;

	return p->state != POP3_AUTHORIZATION;
}

static void
split_serve(struct pop3 *p)
{
	struct buf msg = BUF_INIT;
	int data_open = 1, r;

	put_conn(p, &msg);
	privsep_put_str(&msg, p->apop_ts);
	r = to_child(p, PS_INFO, &msg);
	if (r == 0)
		r = privsep_preauth_serve(p->env->preauth_ctl,
		    p->env->preauth_data, p->io, serve, done, p);
	/* Ended by the parent: what the child said last goes out too. */
	if (r == 0 && p->state != POP3_TRANSACTION)
		(void)privsep_preauth_relay(p->env->preauth_data, p->io,
		    &data_open);
	if (p->state == POP3_AUTHORIZATION)
		p->state = POP3_DONE;
}

/* ---- the child ---- */

/* Send msg (freed, wiped), wait for the answer of type want. */
static int
ask(struct pop3 *p, unsigned type, struct buf *msg, unsigned want,
    struct privsep_rd *rd)
{
	if (privsep_preauth_ask(p->ctl, p->io, type, msg, want, p->rpc) < 0)
		return -1;
	privsep_rd_init(rd, p->rpc);
	return 0;
}

static void
get_conn(struct pop3 *p, struct privsep_rd *rd)
{
	privsep_get_str(rd, p->conn.remote, sizeof(p->conn.remote));
	privsep_get_str(rd, p->conn.tls_protocol,
	    sizeof(p->conn.tls_protocol));
	p->conn.is_tls = privsep_get_u32(rd) != 0;
	p->conn.starttls_ok = privsep_get_u32(rd) != 0;
	p->conn.plaintext_ok = privsep_get_u32(rd) != 0;
	privsep_get_str(rd, p->conn.mechs, sizeof(p->conn.mechs));
}

static int
split_read_line(struct pop3 *p, size_t max, const char **line_r,
    size_t *len_r, int *nul_r)
{
	/* Its own buffer: the caller works on it across later requests. */
	return privsep_preauth_ask_line(p->ctl, p->io, max, p->rpc, p->rline,
	    line_r, len_r, nul_r);
}

static int
split_starttls(struct pop3 *p, size_t *discarded_r)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	uint32_t status;

	if (ask(p, PS_STARTTLS, &msg, PS_TLS, &rd) < 0)
		return -1;
	status = privsep_get_u32(&rd);
	*discarded_r = privsep_get_u32(&rd);
	if (status == 0)
		get_conn(p, &rd);
	if (rd.bad)
		return -1;
	return status > 2 ? -1 : (int)status;
}

static int
split_auth(struct pop3 *p, unsigned type, struct buf *msg,
    struct authres *res)
{
	struct privsep_rd rd;
	uint32_t has_mech, found, refused, done;

	memset(res, 0, sizeof(*res));
	if (ask(p, type, msg, PS_RESULT, &rd) < 0)
		goto gone;
	res->r = (int)privsep_get_u32(&rd) - 1;
	res->outcome = (enum sasl_outcome)privsep_get_u32(&rd);
	has_mech = privsep_get_u32(&rd);
	privsep_get_str(&rd, p->rmech, sizeof(p->rmech));
	privsep_get_str(&rd, p->rwhy, sizeof(p->rwhy));
	privsep_get_str(&rd, p->looked_up, sizeof(p->looked_up));
	found = privsep_get_u32(&rd);
	res->out = privsep_get_bytes(&rd, PRIVSEP_MSG_MAX, &res->outlen);
	res->logged_in = privsep_get_u32(&rd) != 0;
	refused = privsep_get_u32(&rd);
	done = privsep_get_u32(&rd);
	if (rd.bad || rd.left || res->r < -1 || res->r > 1)
		goto gone;
	res->mech = has_mech ? p->rmech : NULL;
	res->why = p->rwhy;
	p->looked_up_found = found != 0;
	if (refused)
		p->failures++;
	if (done && !res->logged_in) {
		p->state = POP3_DONE;
		p->end = "auth_failures";
	}
	return res->r;
gone:
	/* Nothing more can be done for this client. */
	memset(res, 0, sizeof(*res));
	p->state = POP3_DONE;
	p->end = "io_error";
	return 0;
}

void
split_child(const struct pop3_env *env, int ctl, int data)
{
	struct pop3 p;
	struct buf rpc = BUF_INIT, rline = BUF_INIT;
	struct privsep_rd rd;
	char *why = NULL, ts[256];
	unsigned type = 0;

	memset(&p, 0, sizeof(p));
	p.env = env;
	p.conf = env->conf;
	p.ctl = ctl;
	p.rpc = &rpc;
	p.rline = &rline;
	p.state = POP3_AUTHORIZATION;
	if ((p.io = netio_create(data, data, &why)) == NULL ||
	    privsep_recv(ctl, &type, &rpc, PRIVSEP_MSG_MAX, &why) <= 0 ||
	    type != PS_INFO)
		goto out;
	privsep_rd_init(&rd, &rpc);
	get_conn(&p, &rd);
	privsep_get_str(&rd, ts, sizeof(ts));
	if (rd.bad)
		goto out;
	p.apop_ts = ts[0] ? mem_strdup(ts) : NULL;
	session_loop(&p);
	(void)netio_flush(p.io);
out:
	free(why);
	free(p.apop_ts);
	explicit_bzero(p.user, sizeof(p.user));
	buf_free_secret(&rpc);
	buf_free_secret(&rline);
	netio_free(p.io);
}

const struct split_ops split_ops = {
	split_serve, split_read_line, split_starttls, split_auth
};
