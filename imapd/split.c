/*
 * split - the pre-auth split of imapd (privsep.h, PRE-AUTHENTICATION
 * SANDBOX): the NOT AUTHENTICATED state is parsed by a sandboxed child
 * that holds no store, no key and no client socket; the parent reads
 * client input for it, runs STARTTLS and every LOGIN or SASL check,
 * writes the answers to them, logs the user in and then serves the
 * session itself.
 *
 * The child asks for exactly what its parser needs next: one line
 * (IS_READLINE), so many bytes of a literal (IS_READLIT, after it has
 * written "+ go ahead" for a synchronizing one), or so many bytes to
 * discard (IS_SKIP, a refused non-synchronizing literal). Nothing the
 * client pipelined is ever read ahead for it, so the parent's netio
 * holds every unread byte, in order, after STARTTLS and after the login.
 *
 * The parent trusts nothing the child sends: every length and the tag
 * are checked again, it decides itself whether plaintext logins are
 * allowed, and it keeps its own count of failed attempts, with the
 * delay after each and the BYE after LOGIN_MAX_FAILURES (auth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "imapd.h"
#include "log.h"
#include "netio.h"
#include "privsep.h"
#include "sasl.h"

/* Control message types. */
#define IS_READLINE	PRIVSEP_READLINE	/* child: u32 max */
#define IS_READLIT	2	/* child: u32 len (<= IMAP_PREAUTH_CHUNK) */
#define IS_SKIP		3	/* child: u32 len */
#define IS_STARTTLS	4	/* child: tag */
#define IS_LOGIN	5	/* child: tag, user, password */
#define IS_AUTH		6	/* child: tag, mech, u32 has_ir, ir */
#define IS_STEP		7	/* child: tag, response */
#define IS_INFO		10	/* parent: struct imap_conn */
#define IS_LINE		PRIVSEP_LINE	/* parent: u32 status, nul, line */
#define IS_LIT		12	/* parent: u32 status, bytes */
#define IS_SKIPPED	13	/* parent: u32 status */
#define IS_TLS		14	/* parent: u32 end, struct imap_conn */
#define IS_RESULT	15	/* parent: u32 result, challenge */

/* IS_RESULT: what the parent did with an attempt. */
#define RES_NO		0	/* failed (or unavailable): it answered NO */
#define RES_CHALLENGE	1	/* SASL goes on: the challenge follows */
#define RES_LOGGED_IN	2	/* it answered OK: the session is its own */
#define RES_END		3	/* it answered and ends the session */

#define SKIP_CHUNK	(1U << 30)	/* bytes per IS_SKIP */
#define PREAUTH_WAIT	(IMAP_PREAUTH_TIMEOUT * 1000)

/* ---- the parent ---- */

static void
put_conn(struct sess *s, struct buf *msg)
{
	privsep_put_str(msg, s->rip);
	privsep_put_u32(msg, s->tls != NULL && !netio_is_tls(s->n));
	privsep_put_u32(msg, (uint32_t)sasl_session_plaintext_ok(s->sasl));
	privsep_put_str(msg, sasl_session_mechanisms(s->sasl));
}

/* Send msg (wiped, freed) to the child as type. */
static int
answer(struct sess *s, unsigned type, struct buf *msg)
{
	char *why = NULL;
	int r = privsep_send(s->preauth_ctl, type, msg->data, msg->len, &why);

	buf_free_secret(msg);
	free(why);
	return r;
}

/* The tag of an attempt, checked, as s->tag: 0, or -1. */
static int
get_tag(struct sess *s, struct privsep_rd *rd)
{
	size_t len;
	const char *tag = privsep_get_bytes(rd, IMAP_TAG_MAX, &len);

	if (tag == NULL || !rd_tag_ok(tag, len))
		return -1;
	memcpy(s->tag, tag, len);
	s->tag[len] = '\0';
	return 0;
}

/* The next byte string into out (NUL-terminated): 0, or -1. */
static int
get_raw(struct privsep_rd *rd, struct buf *out)
{
	size_t len;
	const void *p = privsep_get_bytes(rd, PRIVSEP_MSG_MAX, &len);

	buf_reset(out);
	buf_append(out, p ? p : "", len);
	return rd->bad ? -1 : 0;
}

/* The same for a C string: -1 also when it holds a NUL. */
static int
get_cstr(struct privsep_rd *rd, struct buf *out)
{
	if (get_raw(rd, out) < 0 || memchr(buf_cstr(out), '\0', out->len))
		return -1;
	return 0;
}

static int
serve_literal(struct sess *s, struct privsep_rd *rd)
{
	struct buf msg = BUF_INIT, lit = BUF_INIT;
	uint32_t len = privsep_get_u32(rd);
	int r;

	if (rd->bad || rd->left || len == 0 || len > IMAP_PREAUTH_CHUNK ||
	    privsep_preauth_await(s->preauth_ctl, s->n, PREAUTH_WAIT, &r) < 0)
		return -1;
	buf_reserve(&lit, len);
	if (r == 0)
		r = netio_read_exact(s->n, lit.data, len);
	privsep_put_u32(&msg, (uint32_t)r);
	privsep_put_bytes(&msg, lit.data, r == 0 ? len : 0);
	buf_free_secret(&lit);
	return answer(s, IS_LIT, &msg);
}

static int
serve_skip(struct sess *s, struct privsep_rd *rd)
{
	struct buf msg = BUF_INIT;
	uint32_t len = privsep_get_u32(rd);
	int r;

	if (rd->bad || rd->left || len == 0 || len > SKIP_CHUNK ||
	    privsep_preauth_await(s->preauth_ctl, s->n, PREAUTH_WAIT, &r) < 0)
		return -1;
	if (r == 0)
		r = netio_read_stream(s->n, len, NULL, NULL);
	privsep_put_u32(&msg, (uint32_t)r);
	return answer(s, IS_SKIPPED, &msg);
}

static int
serve_starttls(struct sess *s, struct privsep_rd *rd)
{
	struct buf msg = BUF_INIT;
	int rc;

	if (get_tag(s, rd) < 0 || rd->left)
		return -1;
	rc = auth_starttls(s);
	if (rc < 0 || s->state == ST_LOGOUT) {
		s->state = ST_LOGOUT;
		privsep_put_u32(&msg, 1);
		(void)answer(s, IS_TLS, &msg);
		return -1;
	}
	privsep_put_u32(&msg, 0);
	put_conn(s, &msg);
	return answer(s, IS_TLS, &msg);
}

/* An attempt's outcome for the child; rc is what auth.c returned. */
static int
result(struct sess *s, int rc, const void *chal, size_t chlen)
{
	struct buf msg = BUF_INIT;
	uint32_t res = RES_NO;

	if (rc == -2)
		s->state = ST_LOGOUT;
	if (rc == 1)
		res = RES_CHALLENGE;
	else if (s->state == ST_AUTH)
		res = RES_LOGGED_IN;
	else if (s->state == ST_LOGOUT)
		res = RES_END;
	else
		s->mech[0] = '\0';
	privsep_put_u32(&msg, res);
	privsep_put_bytes(&msg, chal, rc == 1 ? chlen : 0);
	return answer(s, IS_RESULT, &msg);
}

static int
serve_login(struct sess *s, struct privsep_rd *rd)
{
	struct buf user = BUF_INIT, pass = BUF_INIT;
	int rc = -1;

	s->mech[0] = '\0';
	if (get_tag(s, rd) == 0 && get_cstr(rd, &user) == 0 &&
	    get_cstr(rd, &pass) == 0 && !rd->left)
		rc = result(s, auth_login_attempt(s, user.data, pass.data),
		    NULL, 0);
	buf_free_secret(&pass);
	buf_free(&user);
	return rc;
}

/* AUTHENTICATE (IS_AUTH) or the next response of it (IS_STEP). */
static int
serve_sasl(struct sess *s, unsigned type, struct privsep_rd *rd)
{
	struct buf in = BUF_INIT, mech = BUF_INIT;
	const void *out = NULL;
	size_t outlen = 0;
	uint32_t has_ir = 1;
	int rc = -1;

	if (get_tag(s, rd) < 0)
		return -1;
	if (type == IS_AUTH) {
		if (get_cstr(rd, &mech) < 0 || mech.len == 0)
			goto out;
		/* Only for the log lines: SASL gets it whole. */
		snprintf(s->mech, sizeof(s->mech), "%s", mech.data);
		has_ir = privsep_get_u32(rd);
	}
	if (get_raw(rd, &in) < 0 || rd->bad || rd->left || has_ir > 1 ||
	    s->mech[0] == '\0')
		goto out;
	if (type == IS_AUTH)
		rc = sasl_session_start(s->sasl, mech.data, has_ir ?
		    buf_cstr(&in) : NULL, in.len, &out, &outlen);
	else
		rc = sasl_session_step(s->sasl, buf_cstr(&in), in.len, &out,
		    &outlen);
	if (rc != 1)
		rc = auth_sasl_end(s, rc, s->mech);
	rc = result(s, rc, out, outlen);
out:
	buf_free_secret(&in);
	buf_free(&mech);
	return rc;
}

static int
serve(void *ctx, unsigned type, struct privsep_rd *rd)
{
	struct sess *s = ctx;

	switch (type) {
	case IS_READLINE:
		return privsep_preauth_serve_line(s->preauth_ctl, s->n, rd,
		    IMAP_PREAUTH_LINE_MAX, PREAUTH_WAIT);
	case IS_READLIT: return serve_literal(s, rd);
	case IS_SKIP: return serve_skip(s, rd);
	case IS_STARTTLS: return serve_starttls(s, rd);
	case IS_LOGIN: return serve_login(s, rd);
	case IS_AUTH: case IS_STEP: return serve_sasl(s, type, rd);
	}
	return -1;
}

static int
logged_in_or_out(void *ctx)
{
	const struct sess *s = ctx;

	return s->state != ST_NOAUTH;
}

void
split_end(struct sess *s)
{
	int died;

	if (s->preauth_pid <= 0)
		return;
	died = privsep_preauth_reap(s->preauth_ctl, s->preauth_data,
	    s->preauth_pid);
	s->preauth_pid = 0;
	if (died == 1 && s->state == ST_NOAUTH && s->n) {
		netio_puts(s->n, "* BYE Internal server error\r\n");
		(void)netio_flush(s->n);
	}
}

void
split_serve(struct sess *s)
{
	struct buf msg = BUF_INIT;

	put_conn(s, &msg);
	if (answer(s, IS_INFO, &msg) == 0)
		(void)privsep_preauth_serve(s->preauth_ctl, s->preauth_data,
		    s->n, serve, logged_in_or_out, s);
	split_end(s);
	if (s->state == ST_NOAUTH)
		s->state = ST_LOGOUT;
}

/* ---- the child ---- */

/* Send msg (wiped, freed) as type; the answer of type want is in rd. */
static int
ask(struct sess *s, unsigned type, struct buf *msg, unsigned want,
    struct privsep_rd *rd)
{
	if (privsep_preauth_ask(s->preauth_ctl, s->n, type, msg, want,
	    &s->rpc) < 0)
		return -1;
	privsep_rd_init(rd, &s->rpc);
	return 0;
}

static void
get_conn(struct sess *s, struct privsep_rd *rd)
{
	privsep_get_str(rd, s->conn.rip, sizeof(s->conn.rip));
	s->conn.starttls_ok = privsep_get_u32(rd) != 0;
	s->conn.plaintext_ok = privsep_get_u32(rd) != 0;
	privsep_get_str(rd, s->conn.mechs, sizeof(s->conn.mechs));
	memcpy(s->rip, s->conn.rip, sizeof(s->rip));
}

static int
child_line(void *ctx, size_t max, const char **line_r, size_t *len_r,
    int *nul_r)
{
	struct sess *s = ctx;

	if (max > IMAP_PREAUTH_LINE_MAX)
		max = IMAP_PREAUTH_LINE_MAX;
	return privsep_preauth_ask_line(s->preauth_ctl, s->n, max, &s->rpc,
	    &s->cline, line_r, len_r, nul_r);
}

static int
child_exact(void *ctx, void *dst, size_t len)
{
	struct sess *s = ctx;
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	const void *p;
	size_t n, got;
	int32_t r;

	while (len > 0) {
		n = len < IMAP_PREAUTH_CHUNK ? len : IMAP_PREAUTH_CHUNK;
		privsep_put_u32(&msg, (uint32_t)n);
		if (ask(s, IS_READLIT, &msg, IS_LIT, &rd) < 0)
			return NETIO_ERROR;
		r = (int32_t)privsep_get_u32(&rd);
		p = privsep_get_bytes(&rd, n, &got);
		if (rd.bad || rd.left || r > 0 || (r == 0 && got != n))
			return NETIO_ERROR;
		if (r < 0)
			return r;
		memcpy(dst, p, n);
		dst = (char *)dst + n;
		len -= n;
	}
	return 0;
}

static int
child_skip(void *ctx, uint64_t len)
{
	struct sess *s = ctx;
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	uint32_t n;
	int32_t r;

	while (len > 0) {
		n = len < SKIP_CHUNK ? (uint32_t)len : SKIP_CHUNK;
		privsep_put_u32(&msg, n);
		if (ask(s, IS_SKIP, &msg, IS_SKIPPED, &rd) < 0)
			return NETIO_ERROR;
		r = (int32_t)privsep_get_u32(&rd);
		if (rd.bad || rd.left || r > 0)
			return NETIO_ERROR;
		if (r < 0)
			return r;
		len -= n;
	}
	return 0;
}

static const struct rd_src child_src = { child_line, child_exact, child_skip };

int
split_starttls(struct sess *s)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;

	privsep_put_str(&msg, s->tag);
	if (ask(s, IS_STARTTLS, &msg, IS_TLS, &rd) < 0 ||
	    privsep_get_u32(&rd) != 0)
		return -2;
	get_conn(s, &rd);
	return rd.bad || rd.left ? -2 : 0;
}

/* The parent's IS_RESULT: 1 with a challenge, else 2 (s->state set). */
static int
get_result(struct sess *s, struct privsep_rd *rd, const void **out_r,
    size_t *outlen_r)
{
	uint32_t res = privsep_get_u32(rd);
	const void *chal;
	size_t len;

	chal = privsep_get_bytes(rd, PRIVSEP_MSG_MAX, &len);
	if (rd->bad || rd->left || res > RES_END) {
		s->state = ST_LOGOUT;
		return 2;
	}
	if (res == RES_CHALLENGE && out_r) {
		*out_r = chal ? chal : "";
		*outlen_r = len;
		return 1;
	}
	if (res == RES_LOGGED_IN)
		s->state = ST_AUTH;
	else if (res != RES_NO)
		s->state = ST_LOGOUT;
	return 2;
}

int
split_login(struct sess *s, const struct buf *user, const struct buf *pass)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;

	privsep_put_str(&msg, s->tag);
	privsep_put_bytes(&msg, user->data, user->len);
	privsep_put_bytes(&msg, pass->data, pass->len);
	if (ask(s, IS_LOGIN, &msg, IS_RESULT, &rd) < 0)
		return -2;
	(void)get_result(s, &rd, NULL, NULL);
	return s->state == ST_LOGOUT ? -2 : 0;
}

int
split_sasl(struct sess *s, const char *mech, int has_data, const void *data,
    size_t len, const void **out_r, size_t *outlen_r)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;

	privsep_put_str(&msg, s->tag);
	if (mech) {
		privsep_put_str(&msg, mech);
		privsep_put_u32(&msg, has_data != 0);
	}
	privsep_put_bytes(&msg, data, has_data ? len : 0);
	if (ask(s, mech ? IS_AUTH : IS_STEP, &msg, IS_RESULT, &rd) < 0) {
		s->state = ST_LOGOUT;
		return 2;
	}
	return get_result(s, &rd, out_r, outlen_r);
}

void
split_child(struct sess *s, int ctl, int data)
{
	struct privsep_rd rd;
	char *why = NULL;
	unsigned type = 0;

	s->child = 1;
	s->preauth_ctl = ctl;
	s->state = ST_NOAUTH;
	if ((s->n = netio_create(data, data, &why)) == NULL ||
	    privsep_recv(ctl, &type, &s->rpc, PRIVSEP_MSG_MAX, &why) <= 0 ||
	    type != IS_INFO)
		goto out;
	privsep_rd_init(&rd, &s->rpc);
	get_conn(s, &rd);
	if (rd.bad || rd.left)
		goto out;
	s->rd.n = s->n;
	s->rd.max_line = (size_t)s->conf->imap_max_line;
	s->rd.allow_nonsync = 1;
	s->rd.src = &child_src;
	s->rd.src_ctx = s;
	cmd_loop(s);
	(void)netio_flush(s->n);
out:
	free(why);
	buf_free_secret(&s->rpc);
	buf_free_secret(&s->cline);
	netio_free(s->n);
	s->n = NULL;
}
