/*
 * policy - is an address deliverable? Check mode (-c) for scripts and
 * MTAs that run a command, and the Postfix policy delegation protocol
 * (-p, SMTPD_POLICY_README) for smtpd_recipient_restrictions through
 * spawn(8): one request is name=value lines ended by an empty line,
 * answered by "action=..." and an empty line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "netio.h"
#include "num.h"

#define POLICY_LINE_MAX		8192	/* bytes of one attribute line */
#define POLICY_ATTRS_MAX	200	/* attribute lines in one request */

int
check_main(struct dctx *dc, char **addrs, int n)
{
	struct rcpt r;
	int i, rc = 0, temp = 0;

	for (i = 0; i < n; i++) {
		rcpt_resolve(dc, &r, addrs[i], 0);
		if (r.res.status == RS_OK) {
			printf("%s <%s>: deliverable%s\n", r.res.dsn, r.addr,
			    r.forward ? " (forwarded)" : "");
		} else {
			fprintf(stderr, "%s %s\n", r.res.dsn, r.res.text);
			if (r.res.status == RS_TEMP)
				temp = 1;
			else if (rc == 0)
				rc = r.res.exitcode;
		}
		rcpt_free(&r);
	}
	fflush(stdout);
	return temp ? EX_TEMPFAIL : rc;
}

struct request {
	char	 recipient[DELIVER_ADDR_MAX + 1];
	int	 is_rcpt;		/* protocol_state RCPT (or none given) */
	int	 is_policy;		/* request=smtpd_access_policy */
	uint64_t size;
};

static void
attribute(struct request *q, const char *line)
{
	const char *v = strchr(line, '=');
	size_t klen;

	if (v == NULL)
		return;
	klen = (size_t)(v - line);
	v++;
#define KEY(k)	(klen == sizeof(k) - 1 && strncmp(line, k, klen) == 0)
	if (KEY("request"))
		q->is_policy = strcmp(v, "smtpd_access_policy") == 0;
	else if (KEY("protocol_state"))
		q->is_rcpt = strcasecmp(v, "RCPT") == 0;
	else if (KEY("recipient"))
		snprintf(q->recipient, sizeof(q->recipient), "%s", v);
	else if (KEY("size") && num_parse_u64(v, UINT64_MAX, &q->size) < 0)
		q->size = 0;
#undef KEY
}

static void
answer(struct dctx *dc, struct netio *n, const struct request *q)
{
	struct rcpt r;

	if (!q->is_policy || !q->is_rcpt || q->recipient[0] == '\0') {
		netio_puts(n, "action=DUNNO\n\n");
		return;
	}
	rcpt_resolve(dc, &r, q->recipient, q->size);
	if (r.res.status == RS_OK)
		netio_puts(n, "action=DUNNO\n\n");
	else
		netio_printf(n, "action=%s %s %s\n\n", r.res.status == RS_PERM ?
		    "REJECT" : "DEFER_IF_PERMIT", r.res.dsn, r.res.text);
	log_event(LOG_INFO, "policy", "rcpt", q->recipient,
	    "result", r.res.status == RS_OK ? "ok" : r.res.status == RS_TEMP ?
	    "defer" : "reject", "dsn", r.res.dsn, NULL);
	rcpt_free(&r);
}

int
policy_main(struct dctx *dc)
{
	struct request q;
	struct netio *n;
	const char *line;
	char *why = NULL;
	size_t len, nattr = 0;
	int r, nul;

	if ((n = netio_create(0, 1, &why)) == NULL) {
		log_event(LOG_ERR, "policy_failed", "error", why, NULL);
		free(why);
		return EX_IOERR;
	}
	netio_set_timeout(n, (int)(dc->conf->lmtp_timeout * 1000));
	memset(&q, 0, sizeof(q));
	q.is_rcpt = 1;
	for (;;) {
		r = netio_read_line(n, POLICY_LINE_MAX, &line, &len, &nul);
		if (r < 0 || nul || ++nattr > POLICY_ATTRS_MAX) {
			if (r != NETIO_EOF)
				log_event(LOG_WARNING, "policy_input", "error",
				    r < 0 ? netio_why(n) : "bad request", NULL);
			break;
		}
		if (len > 0) {
			attribute(&q, line);
			continue;
		}
		answer(dc, n, &q);
		if (netio_flush(n) < 0)
			break;
		memset(&q, 0, sizeof(q));
		q.is_rcpt = 1;
		nattr = 0;
	}
	netio_close(n);
	return 0;
}
