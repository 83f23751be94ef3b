/*
 * privsep_io - the parts of the pre-auth split that move client bytes
 * (privsep.h, THE SPLIT, BOTH SIDES). Apart from privsep.c so that a
 * program that only drops privileges does not link netio and OpenSSL.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "netio.h"
#include "privsep.h"

int
privsep_preauth_ask(int ctl, struct netio *io, unsigned type,
    struct buf *msg, unsigned want, struct buf *ans)
{
	char *why = NULL;
	unsigned got = 0;
	int r;

	if (netio_flush(io) < 0) {
		buf_free_secret(msg);
		return -1;
	}
	r = privsep_send(ctl, type, msg->data, msg->len, &why);
	buf_free_secret(msg);
	if (r == 0)
		r = privsep_recv(ctl, &got, ans, PRIVSEP_MSG_MAX, &why);
	free(why);
	return r <= 0 || got != want ? -1 : 0;
}

int
privsep_preauth_relay(int data, struct netio *io, int *open_r)
{
	char b[4096];
	ssize_t n;

	while (*open_r) {
		n = read(data, b, sizeof(b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			*open_r = 0;
			break;
		}
		if (netio_write(io, b, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* One request of the child: 0 go on, -1 stop serving it. */
static int
serve_request(int ctl, int data, struct netio *io, int *data_open,
    int (*serve)(void *, unsigned, struct privsep_rd *), void *ctx)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	char *why = NULL;
	unsigned type = 0;
	int r;

	/* The child flushed its replies before asking: send them first. */
	if (privsep_preauth_relay(data, io, data_open) < 0)
		return -1;
	r = privsep_recv(ctl, &type, &msg, PRIVSEP_MSG_MAX, &why);
	if (r < 0)	/* 0 is the child's clean end */
		log_event(LOG_ERR, "preauth_protocol", "reason", why, NULL);
	free(why);
	if (r > 0) {
		privsep_rd_init(&rd, &msg);
		r = serve(ctx, type, &rd) < 0 ? -1 : 1;
	}
	buf_free_secret(&msg);
	return r > 0 ? 0 : -1;
}

int
privsep_preauth_serve(int ctl, int data, struct netio *io,
    int (*serve)(void *ctx, unsigned type, struct privsep_rd *rd),
    int (*done)(void *ctx), void *ctx)
{
	struct pollfd pfd[2];
	int data_open = 1, fl;

	fl = fcntl(data, F_GETFL);
	if (fl < 0 || fcntl(data, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	while (!done(ctx)) {
		pfd[0].fd = ctl;
		pfd[0].events = POLLIN;
		pfd[1].fd = data_open ? data : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_event(LOG_ERR, "preauth_protocol", "reason",
			    strerror(errno), NULL);
			break;
		}
		if (pfd[1].revents && privsep_preauth_relay(data, io, &data_open) < 0)
			return -1;
		if (pfd[0].revents &&
		    serve_request(ctl, data, io, &data_open, serve, ctx) < 0)
			break;
	}
	if (done(ctx))
		return 0;
	(void)privsep_preauth_relay(data, io, &data_open);
	return -1;
}

int
privsep_preauth_ask_line(int ctl, struct netio *io, size_t max,
    struct buf *ans, struct buf *line, const char **line_r, size_t *len_r,
    int *nul_r)
{
	struct buf msg = BUF_INIT;
	struct privsep_rd rd;
	const char *p;
	int32_t r;

	*len_r = 0;
	privsep_put_u32(&msg, (uint32_t)max);
	if (privsep_preauth_ask(ctl, io, PRIVSEP_READLINE, &msg, PRIVSEP_LINE,
	    ans) < 0)
		return NETIO_ERROR;
	privsep_rd_init(&rd, ans);
	r = (int32_t)privsep_get_u32(&rd);
	*nul_r = privsep_get_u32(&rd) != 0;
	p = privsep_get_bytes(&rd, max, len_r);
	if (rd.bad || rd.left || r > 0)
		return NETIO_ERROR;
	buf_free_secret(line);
	buf_append(line, p ? p : "", *len_r);
	*line_r = buf_cstr(line);
	return r;
}

int
privsep_preauth_await(int ctl, struct netio *io, int timeout_ms, int *rc_r)
{
	int r = netio_wait(io, ctl, timeout_ms);

	*rc_r = 0;
	if (r >= 0 && (r & NETIO_WAIT_EXTRA))
		return -1;
	if (r < 0)
		*rc_r = r;
	else if (r == 0)
		*rc_r = NETIO_TIMEOUT;
	return 0;
}

int
privsep_preauth_serve_line(int ctl, struct netio *io, struct privsep_rd *rd,
    size_t limit, int timeout_ms)
{
	struct buf msg = BUF_INIT;
	uint32_t max = privsep_get_u32(rd);
	const char *line = NULL;
	size_t len = 0;
	char *why = NULL;
	int nul = 0, r;

	if (rd->bad || rd->left || max == 0 || max > limit ||
	    privsep_preauth_await(ctl, io, timeout_ms, &r) < 0)
		return -1;
	if (r == 0)
		r = netio_read_line(io, max, &line, &len, &nul);
	privsep_put_u32(&msg, (uint32_t)r);
	privsep_put_u32(&msg, (uint32_t)nul);
	privsep_put_bytes(&msg, line, r == 0 ? len : 0);
	/* The line may hold a password: consumed, it is wiped in netio's
	 * buffer too. */
	if (r == 0 && line)
		explicit_bzero((char *)line, len);
	r = privsep_send(ctl, PRIVSEP_LINE, msg.data, msg.len, &why);
	buf_free_secret(&msg);
	free(why);
	return r;
}
