/*
 * lmtp - the LMTP protocol engine (RFC 2033): commands, replies, data.
 *
 * The engine knows nothing of the store: it parses commands, keeps the
 * protocol state and hands recipients and message bytes to a backend
 * (struct lmtp_ops). deliver's backend is lmtpstore.c; the fuzz target
 * t/fuzz/lmtp.c drives the engine with one of its own over memory input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver.h"
#include "mem.h"
#include "netio.h"
#include "num.h"

#define LMTP_HELO_MAX	255

struct session {
	struct netio		*n;
	const struct lmtp_limits *lim;
	const struct lmtp_ops	*ops;
	void			*be;
	char			 helo[LMTP_HELO_MAX + 1];
	int			 have_mail;
	size_t			 nrcpt;		/* RCPT commands this transaction */
	size_t			 nok;		/* accepted */
	unsigned		 bad;
	int			 quit;
};

static void
reply(struct session *s, int code, const char *dsn, const char *text)
{
	netio_printf(s->n, "%d %s %s\r\n", code, dsn, text);
}

static void
reply_result(struct session *s, const struct result *r)
{
	reply(s, r->reply, r->dsn, r->text);
}

static void
bad_command(struct session *s, int code, const char *dsn, const char *text)
{
	reply(s, code, dsn, text);
	if (++s->bad >= LMTP_BAD_MAX) {
		reply(s, 421, "4.7.0", "too many errors, closing connection");
		s->quit = 1;
	}
}

static void
reset(struct session *s)
{
	if (s->have_mail)
		s->ops->reset(s->be);
	s->have_mail = 0;
	s->nrcpt = s->nok = 0;
}

/*
 * "FROM:<path> params" after the verb: the address in *addr_r (the
 * path's content, a source route dropped) and the parameters after it.
 * Returns 0, or -1 on a syntax error. Modifies the line.
 */
static int
parse_path(char *arg, const char *keyword, char **addr_r, char **params_r)
{
	size_t klen = strlen(keyword);
	char *p, *end, *colon;
	int quoted = 0;

	if (strncasecmp(arg, keyword, klen) != 0)
		return -1;
	p = arg + klen;
	while (*p == ' ')
		p++;
	if (*p != '<')
		return -1;
	for (end = p + 1; *end && (quoted || *end != '>'); end++) {
		if (*end == '"')
			quoted = !quoted;
		else if (*end == '\\' && quoted && end[1])
			end++;
	}
	if (*end != '>')
		return -1;
	*end = '\0';
	p++;
	if (*p == '@' && (colon = strchr(p, ':')) != NULL)
		p = colon + 1;		/* <@relay,@relay:user@domain> */
	*addr_r = p;
	p = end + 1;
	if (*p && *p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	*params_r = p;
	return 0;
}

static void
cmd_lhlo(struct session *s, char *arg)
{
	if (*arg == '\0') {
		bad_command(s, 501, "5.5.4", "syntax: LHLO hostname");
		return;
	}
	reset(s);
	snprintf(s->helo, sizeof(s->helo), "%s", arg);
	netio_printf(s->n, "250-%s\r\n250-PIPELINING\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE %llu\r\n",
	    s->lim->hostname, (unsigned long long)s->lim->max_size);
}

/* MAIL parameters: SIZE= and BODY=; 0, or -1 with the reply sent. */
static int
mail_params(struct session *s, char *p, uint64_t *size_r)
{
	char *word, *save = NULL;

	for (word = strtok_r(p, " ", &save); word;
	    word = strtok_r(NULL, " ", &save)) {
		if (strncasecmp(word, "SIZE=", 5) == 0) {
			if (num_parse_u64(word + 5, UINT64_MAX, size_r) < 0) {
				bad_command(s, 501, "5.5.4", "bad SIZE parameter");
				return -1;
			}
			if (*size_r > s->lim->max_size) {
				reply(s, 552, "5.3.4",
				    "message size exceeds fixed maximum");
				return -1;
			}
		} else if (strcasecmp(word, "BODY=7BIT") == 0 ||
		    strcasecmp(word, "BODY=8BITMIME") == 0) {
			continue;
		} else {
			bad_command(s, 555, "5.5.4", "unsupported MAIL parameter");
			return -1;
		}
	}
	return 0;
}

static void
cmd_mail(struct session *s, char *arg)
{
	struct lmtp_mail m;
	struct result r;
	char *addr, *params;

	if (s->helo[0] == '\0') {
		bad_command(s, 503, "5.5.1", "send LHLO first");
		return;
	}
	if (s->have_mail) {
		bad_command(s, 503, "5.5.1", "nested MAIL command");
		return;
	}
	memset(&m, 0, sizeof(m));
	if (parse_path(arg, "FROM:", &addr, &params) < 0) {
		bad_command(s, 501, "5.5.4", "syntax: MAIL FROM:<address>");
		return;
	}
	if (!addr_ok(addr, strlen(addr))) {
		bad_command(s, 501, "5.1.7", "bad sender address syntax");
		return;
	}
	if (mail_params(s, params, &m.size) < 0)
		return;
	m.helo = s->helo;
	m.sender = addr;
	if (s->ops->mail(s->be, &m, &r) < 0) {
		reply_result(s, &r);
		return;
	}
	s->have_mail = 1;
	reply(s, 250, "2.1.0", "sender ok");
}

static void
cmd_rcpt(struct session *s, char *arg)
{
	struct result r;
	char *addr, *params;

	if (!s->have_mail) {
		bad_command(s, 503, "5.5.1", "need MAIL before RCPT");
		return;
	}
	if (parse_path(arg, "TO:", &addr, &params) < 0 || *addr == '\0') {
		bad_command(s, 501, "5.5.4", "syntax: RCPT TO:<address>");
		return;
	}
	if (*params) {
		bad_command(s, 555, "5.5.4", "unsupported RCPT parameter");
		return;
	}
	if (!addr_ok(addr, strlen(addr))) {
		bad_command(s, 501, "5.1.3", "bad recipient address syntax");
		return;
	}
	if (s->nrcpt >= s->lim->max_rcpts) {
		reply(s, 452, "4.5.3", "too many recipients");
		return;
	}
	s->nrcpt++;
	if (s->ops->rcpt(s->be, addr, &r) == 1)
		s->nok++;
	reply_result(s, &r);
}

/* Read the data up to ".", unstuffed, into the backend. 0, or -1 when
 * the connection is gone or unusable (replies already sent). */
static int
read_data(struct session *s, int *toolong_r)
{
	const char *line;
	size_t len, max = s->lim->max_size + 2;
	int nul, r, take = 1;

	*toolong_r = 0;
	for (;;) {
		r = netio_read_line(s->n, max, &line, &len, &nul);
		if (r == NETIO_TOOLONG) {
			*toolong_r = 1;
			return -1;
		}
		if (r == NETIO_TIMEOUT)
			reply(s, 421, "4.4.2", "timeout, closing connection");
		if (r < 0)
			return -1;
		if (len == 1 && line[0] == '.')
			return 0;
		if (len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		if (take && (s->ops->data(s->be, line, len) < 0 ||
		    s->ops->data(s->be, "\r\n", 2) < 0))
			take = 0;	/* refused: read on, answer at the end */
	}
}

static void
cmd_data(struct session *s, char *arg)
{
	struct result *res, toolong;
	size_t i;
	int tl;

	if (*arg) {
		bad_command(s, 501, "5.5.4", "syntax: DATA");
		return;
	}
	if (!s->have_mail) {
		bad_command(s, 503, "5.5.1", "need MAIL before DATA");
		return;
	}
	if (s->nok == 0) {
		bad_command(s, 503, "5.5.1", "no valid recipients");
		return;
	}
	reply(s, 354, "2.0.0", "end data with <CR><LF>.<CR><LF>");
	if (read_data(s, &tl) < 0) {
		if (tl) {
			result_set(&toolong, RS_PERM, 552, "5.3.4", 0,
			    "message too big (line too long)");
			for (i = 0; i < s->nok; i++)
				reply_result(s, &toolong);
			reply(s, 421, "4.7.0", "closing connection");
		}
		s->quit = 1;
		return;
	}
	res = mem_zalloc(s->nok, sizeof(*res));
	s->ops->done(s->be, res, s->nok);
	for (i = 0; i < s->nok; i++)
		reply_result(s, &res[i]);
	free(res);
	reset(s);
}

/* One command line. */
static void
command(struct session *s, char *line)
{
	char *arg = line + strcspn(line, " ");
	size_t vlen = (size_t)(arg - line);

	while (*arg == ' ')
		arg++;
#define IS(v)	(vlen == sizeof(v) - 1 && strncasecmp(line, v, vlen) == 0)
	if (IS("LHLO"))
		cmd_lhlo(s, arg);
	else if (IS("MAIL"))
		cmd_mail(s, arg);
	else if (IS("RCPT"))
		cmd_rcpt(s, arg);
	else if (IS("DATA"))
		cmd_data(s, arg);
	else if (IS("RSET")) {
		reset(s);
		reply(s, 250, "2.0.0", "ok");
	} else if (IS("NOOP"))
		reply(s, 250, "2.0.0", "ok");
	else if (IS("QUIT")) {
		reply(s, 221, "2.0.0", "bye");
		s->quit = 1;
	} else if (IS("VRFY"))
		reply(s, 252, "2.5.0", "cannot VRFY user, but will accept "
		    "message and attempt delivery");
	else if (IS("HELP"))
		reply(s, 214, "2.0.0", "LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY");
	else if (IS("HELO") || IS("EHLO"))
		bad_command(s, 500, "5.5.1", "this is LMTP: use LHLO");
	else
		bad_command(s, 500, "5.5.2", "command not recognized");
#undef IS
}

int
lmtp_serve(struct netio *n, const struct lmtp_limits *lim,
    const struct lmtp_ops *ops, void *be)
{
	struct session s;
	const char *line;
	char *copy;
	size_t len;
	int r, nul;

	memset(&s, 0, sizeof(s));
	s.n = n;
	s.lim = lim;
	s.ops = ops;
	s.be = be;
	netio_set_timeout(n, lim->timeout_ms);
	netio_printf(n, "220 %s LMTP popstore ready\r\n", lim->hostname);
	while (!s.quit) {
		r = netio_read_line(n, LMTP_LINE_MAX, &line, &len, &nul);
		if (r == NETIO_TOOLONG) {
			reply(&s, 500, "5.5.2", "line too long");
			reply(&s, 421, "4.7.0", "closing connection");
			break;
		}
		if (r == NETIO_TIMEOUT) {
			reply(&s, 421, "4.4.2", "timeout, closing connection");
			break;
		}
		if (r < 0)
			break;
		if (nul) {
			bad_command(&s, 500, "5.5.2", "NUL character in command");
			continue;
		}
		copy = mem_strndup(line, len);
		command(&s, copy);
		free(copy);
	}
	reset(&s);
	return netio_flush(n) < 0 ? -1 : 0;
}
