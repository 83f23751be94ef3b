/*
 * split - the pre-auth split of poppassd (privsep.h, PRE-AUTHENTICATION
 * SANDBOX). The whole dialogue comes before any authentication, so all
 * of it is parsed by a sandboxed child that holds no store, no key and
 * no client socket; the parent reads each client line for it on
 * request, and checks and changes passwords itself (dialog.c, the
 * account side).
 *
 * The parent trusts nothing the child sends: every length and field is
 * checked again against the parent's own limits, the user name is
 * canonicalised and the old password verified again before a change,
 * the password rules are applied there, and the parent counts failures
 * and waits after each, so a subverted child can neither guess faster
 * than a client could nor change a password it was not told.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "netio.h"
#include "poppassd.h"
#include "privsep.h"

/* ---- the parent ---- */

struct parent {
	struct pp_account acct;
	struct netio	*io;
	int		 ctl;
	int		 timeout_ms;	/* POP3_TIMEOUT */
	int		 ended;		/* the child said PP_END */
	enum pp_end	 end;
};

/* Send msg (wiped, freed) as type on ctl. 0, or -1. */
static int
send_msg(int ctl, unsigned type, struct buf *msg)
{
	char *why = NULL;
	int r = privsep_send(ctl, type, msg->data, msg->len, &why);

	buf_free_secret(msg);
	free(why);
	return r;
}

static int
serve_attempt(struct parent *pa, unsigned type, struct privsep_rd *rd)
{
	char user[ACCT_NAME_MAX + 1];
	char old[POPPASS_LINE_MAX + 1], new_pass[POPPASS_LINE_MAX + 1];
	struct buf msg = BUF_INIT;
	struct pp_result res;
	int ok;

	new_pass[0] = '\0';
	privsep_get_str(rd, user, sizeof(user));
	privsep_get_str(rd, old, sizeof(old));
	if (type == PP_CHANGE)
		privsep_get_str(rd, new_pass, sizeof(new_pass));
	ok = !rd->bad && !rd->left &&
	    pa->acct.failures < pa->acct.env->conf->login_max_failures;
	if (ok && type == PP_CHECK)
		account_check(&pa->acct, user, old, &res);
	else if (ok)
		account_change(&pa->acct, user, old, new_pass, &res);
	explicit_bzero(old, sizeof(old));
	explicit_bzero(new_pass, sizeof(new_pass));
	if (!ok)
		return -1;
	privsep_put_u32(&msg, (uint32_t)res.outcome);
	privsep_put_u32(&msg, (uint32_t)res.done);
	privsep_put_str(&msg, res.text);
	return send_msg(pa->ctl, PP_RESULT, &msg);
}

static int
serve(void *ctx, unsigned type, struct privsep_rd *rd)
{
	struct parent *pa = ctx;
	uint32_t end;

	switch (type) {
	case PRIVSEP_READLINE:
		return privsep_preauth_serve_line(pa->ctl, pa->io, rd,
		    POPPASS_LINE_MAX, pa->timeout_ms);
	case PP_CHECK:
	case PP_CHANGE:
		return serve_attempt(pa, type, rd);
	case PP_END:
		end = privsep_get_u32(rd);
		if (rd->bad || rd->left || end >= PP_ENDS)
			return -1;
		pa->ended = 1;
		pa->end = (enum pp_end)end;
		return 0;
	}
	return -1;
}

static int
done(void *ctx)
{
	const struct parent *pa = ctx;

	return pa->ended;
}

int
split_parent(const struct poppass_env *env, struct netio *io, int ctl,
    int data, int pid)
{
	struct parent pa;
	struct buf msg = BUF_INIT;
	int data_open = 1;

	memset(&pa, 0, sizeof(pa));
	account_init(&pa.acct, env, io);
	pa.io = io;
	pa.ctl = ctl;
	pa.timeout_ms = (int)(env->conf->pop3_timeout * 1000);
	netio_set_timeout(io, pa.timeout_ms);
	log_eventf(LOG_INFO, "connect", "ip=%s tls=%s", netio_remote_addr(io),
	    netio_tls_protocol(io) ? netio_tls_protocol(io) : "no");
	dialog_greet(env->conf, io);
	privsep_put_u32(&msg, (uint32_t)netio_plaintext_allowed(io,
	    env->conf->plaintext_login));
	if (send_msg(ctl, PP_INFO, &msg) == 0 &&
	    privsep_preauth_serve(ctl, data, io, serve, done, &pa) == 0)
		(void)privsep_preauth_relay(data, io, &data_open);
	if (!pa.ended) {
		/* The child died or broke the protocol: nothing changes. */
		(void)netio_puts(io, "500 The password service is not "
		    "available now.\r\n");
		pa.end = PP_END_PREAUTH;
	}
	(void)netio_flush(io);
	(void)privsep_preauth_reap(ctl, data, pid);
	log_eventf(LOG_INFO, "disconnect", "ip=%s end=%s",
	    netio_remote_addr(io), dialog_end_name(pa.end));
	explicit_bzero(&pa, sizeof(pa));
	return 0;
}

/* ---- the child ---- */

struct child {
	int		 ctl;
	struct netio	*out;		/* the data channel */
	struct buf	 ans;		/* the last answer (wiped) */
	struct buf	 line;		/* the last line (wiped) */
};

/* Ask type with msg (wiped, freed), answer want into rd. 0 or -1. */
static int
ask(struct child *c, unsigned type, struct buf *msg, unsigned want,
    struct privsep_rd *rd)
{
	if (c->ans.len)
		explicit_bzero(c->ans.data, c->ans.len);
	if (privsep_preauth_ask(c->ctl, c->out, type, msg, want, &c->ans) < 0)
		return -1;
	privsep_rd_init(rd, &c->ans);
	return 0;
}

static int
child_read_line(void *ctx, size_t max, const char **line_r, size_t *len_r,
    int *nul_r)
{
	struct child *c = ctx;
	int r;

	if (c->ans.len)
		explicit_bzero(c->ans.data, c->ans.len);
	r = privsep_preauth_ask_line(c->ctl, c->out, max, &c->ans, &c->line,
	    line_r, len_r, nul_r);
	/* The answer held the line, maybe a password: only line keeps it. */
	if (c->ans.len)
		explicit_bzero(c->ans.data, c->ans.len);
	return r;
}

/* An attempt through the parent; a parent gone ends the dialogue. */
static void
child_attempt(struct child *c, unsigned type, struct buf *msg,
    struct pp_result *res)
{
	struct privsep_rd rd;
	uint32_t outcome = PP_UNAVAILABLE, fin = 1;

	memset(res, 0, sizeof(*res));
	if (ask(c, type, msg, PP_RESULT, &rd) == 0) {
		outcome = privsep_get_u32(&rd);
		fin = privsep_get_u32(&rd);
		privsep_get_str(&rd, res->text, sizeof(res->text));
		if (rd.bad || rd.left || outcome >= PP_OUTCOMES) {
			outcome = PP_UNAVAILABLE;
			fin = 1;
		}
	}
	res->outcome = (enum pp_outcome)outcome;
	res->done = fin != 0;
}

static void
child_check(void *ctx, const char *user, const char *pass,
    struct pp_result *res)
{
	struct buf msg = BUF_INIT;

	privsep_put_str(&msg, user);
	privsep_put_str(&msg, pass);
	child_attempt(ctx, PP_CHECK, &msg, res);
}

static void
child_change(void *ctx, const char *user, const char *old,
    const char *new_pass, struct pp_result *res)
{
	struct buf msg = BUF_INIT;

	privsep_put_str(&msg, user);
	privsep_put_str(&msg, old);
	privsep_put_str(&msg, new_pass);
	child_attempt(ctx, PP_CHANGE, &msg, res);
}

static const struct dialog_ops child_ops = {
	child_read_line, child_check, child_change
};

void
split_child(const struct conf *conf, int ctl, int data)
{
	struct child c;
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	char *why = NULL;
	unsigned type = 0;
	uint32_t plaintext_ok;
	enum pp_end end;

	memset(&c, 0, sizeof(c));
	c.ctl = ctl;
	if ((c.out = netio_create(data, data, &why)) == NULL ||
	    privsep_recv(ctl, &type, &c.ans, PRIVSEP_MSG_MAX, &why) <= 0 ||
	    type != PP_INFO)
		goto out;
	privsep_rd_init(&rd, &c.ans);
	plaintext_ok = privsep_get_u32(&rd);
	if (rd.bad || rd.left)
		goto out;
	end = dialog_loop(conf, c.out, plaintext_ok != 0, &child_ops, &c);
	if (netio_flush(c.out) == 0) {
		privsep_put_u32(&msg, (uint32_t)end);
		(void)send_msg(ctl, PP_END, &msg);
	}
out:
	free(why);
	buf_free_secret(&c.ans);
	buf_free_secret(&c.line);
	if (c.out)
		netio_free(c.out);
}
