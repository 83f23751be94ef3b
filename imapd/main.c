/*
 * imapd - IMAP4rev1 server for popstore, started per connection by
 * inetd, xinetd, systemd (Accept=yes) or tcpserver: the client is on
 * fd 0 and 1. main() reads the options and configuration, builds the
 * TLS context and initialises SASL while still root, forks the
 * pre-auth child (split.c, privsep.h), which becomes PREAUTH_USER and
 * is sandboxed, drops privileges before the first client byte, and
 * hands over to the command loop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "imapd.h"
#include "log.h"
#include "login.h"
#include "mem.h"
#include "name.h"
#include "netio.h"
#include "privsep.h"
#include "sasl.h"
#include "secret.h"
#include "server.h"
#include "store.h"

static const char usage[] =
    "usage: imapd [-C file] [-d] [-s]\n"
    "  -C file  option file (default $POPSTORE_CONF or /etc/popstore/popstore.conf)\n"
    "  -d       log to stderr too, and debug messages\n"
    "  -s       TLS from the first byte (port 993)\n";

/* The SASL lookup and name canonicalisation, through lib/login. */
static int
lookup(void *ctx, const char *user, struct sasl_account *sa, char **why_r)
{
	struct sess *s = ctx;

	/* The name tried counts towards the failure delay (penalty.h). */
	snprintf(s->tried, sizeof(s->tried), "%s", user);
	return login_account(s->store, s->sp.secret_key, user, sa, NULL, 0,
	    why_r);
}

static int
canon(void *ctx, const char *in, size_t inlen, char *out, size_t outsize)
{
	struct sess *s = ctx;

	return login_canon(s->conf, in, inlen, out, outsize);
}

static void
set_addresses(struct sess *s)
{
	const char *r = netio_remote_addr(s->n), *l = netio_local_addr(s->n);

	snprintf(s->rip, sizeof(s->rip), "%s;0", r);
	snprintf(s->lip, sizeof(s->lip), "%s;0", l);
	s->sp.service = "imap";
	s->sp.local_ipport = strchr(l, '.') || strchr(l, ':') ? s->lip : NULL;
	s->sp.remote_ipport = strchr(r, '.') || strchr(r, ':') ? s->rip :
	    (netio_is_local(s->n) ? NULL : "unknown;0");
	s->rip[strlen(s->rip) - 2] = '\0';
	if (s->sp.remote_ipport == s->rip) {
		static char rbuf[80];

		snprintf(rbuf, sizeof(rbuf), "%s;0", r);
		s->sp.remote_ipport = rbuf;
	}
	s->sp.backend.lookup = lookup;
	s->sp.backend.canon = canon;
	s->sp.backend.ctx = s;
}

static int
serve(struct sess *s)
{
	struct buf cap = BUF_INIT;
	size_t discarded;

	if (s->implicit_tls && netio_starttls(s->n, s->tls, &discarded) < 0) {
		log_event(LOG_NOTICE, "tls_failed", "ip", s->rip, "error",
		    netio_why(s->n), NULL);
		netio_free(s->n);
		s->n = NULL;
		return 1;
	}
	auth_session_new(s);
	if (s->state == ST_LOGOUT)
		return 1;
	capability_string(s, &cap);
	netio_printf(s->n, "* OK [CAPABILITY %s] %s IMAP server ready\r\n",
	    cap.data, s->conf->hostname && *s->conf->hostname ?
	    s->conf->hostname : "popstore");
	buf_free(&cap);
	if (s->preauth_pid > 0)
		split_serve(s);
	cmd_loop(s);
	if (s->sel)
		sel_close(s);
	auth_end(s);
	netio_close(s->n);
	s->n = NULL;
	return 0;
}

/* The pre-auth child: shed what it inherited, sandbox, serve. */
static void
preauth_child(struct sess *s, struct server_setup *ss, int ctl, int data)
{
	char *why = NULL;

	s->store = NULL;
	s->tls = NULL;
	s->sp.secret_key = NULL;
	server_setup_free(ss);
	if (privsep_preauth_enter(PRIVSEP_PREAUTH_USER, &why) < 0) {
		log_event(LOG_CRIT, "preauth_sandbox", "reason", why, NULL);
		_exit(EX_CONFIG);
	}
	split_child(s, ctl, data);
	_exit(0);
}

/* Fork the pre-auth child (still root, so that it can change user). */
static int
fork_preauth(struct sess *s, struct server_setup *ss, char **why_r)
{
	int ctl, data, pid, r;

	r = privsep_preauth_fork(&ctl, &data, &pid, why_r);
	if (r == 1)
		preauth_child(s, ss, ctl, data);
	if (r < 0)
		return -1;
	s->preauth_ctl = ctl;
	s->preauth_data = data;
	s->preauth_pid = pid;
	return 0;
}

/* As root: TLS, store, site key, SASL, the pre-auth child; then drop
 * privileges. 0 or an exit code. */
static int
prepare(struct sess *s, const struct conf *conf, struct server_setup *ss)
{
	char *why = NULL;
	int rc = 0;

	if (server_setup(conf, "imap", ss, &why) < 0) {
		log_event(LOG_ERR, "config_error", "error", why, NULL);
		free(why);
		return EX_CONFIG;
	}
	if (ss->tls_why)
		log_event(LOG_ERR, "tls_config", "reason", ss->tls_why, NULL);
	if (ss->key_why)
		log_event(LOG_WARNING, "secret_key", "reason", ss->key_why, NULL);
	s->tls = ss->tls;
	s->store = ss->store;
	s->sp.secret_key = ss->have_key ? &ss->key : NULL;
	if (s->implicit_tls && s->tls == NULL) {
		log_event(LOG_ERR, "config_error", "error", ss->tls_why ?
		    ss->tls_why : "-s needs TLS_CERT_FILE", NULL);
		return EX_CONFIG;
	}
	if (sasl_setup(NULL, &why) < 0) {
		log_event(LOG_ERR, "sasl_error", "error", why, NULL);
		rc = EX_TEMPFAIL;
	} else if (s->store && fork_preauth(s, ss, &why) < 0) {
		log_event(LOG_ERR, "preauth", "error", why, NULL);
		rc = EX_TEMPFAIL;
	} else if ((s->n = netio_create(0, 1, &why)) == NULL) {
		log_event(LOG_ERR, "netio_error", "error", why, NULL);
		rc = EX_OSERR;
	} else if (privsep_drop(conf->store_user, 0, &why) < 0) {
		log_event(LOG_ERR, "privsep_failed", "error", why, NULL);
		rc = EX_OSERR;
	} else if (s->store == NULL) {
		log_event(LOG_ERR, "store_unavailable", "error", ss->store_why,
		    NULL);
		if (!s->implicit_tls)
			netio_puts(s->n, "* BYE Mail store unavailable\r\n");
		rc = EX_TEMPFAIL;
	}
	free(why);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sess s;
	struct server_setup ss;
	struct conf conf;
	const char *cpath = NULL;
	char *why = NULL;
	int c, debug = 0, rc;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};

	memset(&s, 0, sizeof(s));
	memset(&ss, 0, sizeof(ss));
	while ((c = getopt_long(argc, argv, "C:dsh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			cpath = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 's':
			s.implicit_tls = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	log_open("imapd", debug);
	if (debug)
		log_set_level(LOG_DEBUG);
	if (conf_load(cpath, &conf, &why) < 0) {
		log_event(LOG_ERR, "config_error", "error", why, NULL);
		return EX_CONFIG;
	}
	if (conf.log_file && *conf.log_file)
		(void)log_set_file(conf.log_file);
	s.conf = &conf;
	sasl_params_from_conf(&s.sp, &conf);
	if ((rc = prepare(&s, &conf, &ss)) == 0) {
		netio_set_timeout(s.n, IMAP_PREAUTH_TIMEOUT * 1000);
		s.rd.n = s.n;
		s.rd.max_line = (size_t)conf.imap_max_line;
		s.rd.allow_nonsync = 1;
		set_addresses(&s);
		rc = serve(&s);
	}
	split_end(&s);
	if (s.n)
		netio_close(s.n);
	sasl_session_free(s.sasl);
	server_setup_free(&ss);
	buf_free(&s.rd.line);
	seqset_free(&s.saved);
	buf_free(&s.tmp);
	conf_free(&conf);
	free(why);
	return rc;
}
