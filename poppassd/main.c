/*
 * poppassd - password changes by the Eudora/Qualcomm poppassd protocol
 * (port 106), one dialogue on fd 0/1 (inetd, xinetd, systemd
 * Accept=yes, tcpserver).
 *
 * main: options and configuration; as root, the TLS key (for -s) and the
 * site key (new APOP/CRAM-MD5 secrets); then the pre-auth child (split.c,
 * privsep.h), which becomes PREAUTH_USER and is sandboxed; then the store
 * user for good, before the first byte from the client; then the
 * dialogue, parsed by the child and served by the parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "poppassd.h"
#include "privsep.h"
#include "server.h"

#define EXIT_USAGE	64	/* EX_USAGE */
#define EXIT_TEMP	75	/* EX_TEMPFAIL */
#define EXIT_CONFIG	78	/* EX_CONFIG */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: poppassd [-C file] [-d] [-s]\n"
	    "  -C file  configuration file (default $POPSTORE_CONF or "
	    CONF_DEFAULT_PATH ")\n"
	    "  -d       also log to standard error, with debug lines\n"
	    "  -s       TLS from the first byte\n");
}

static int
give_up(int tls, int code, const char *why)
{
	static const char msg[] = "500 The password service is not "
	    "available now.\r\n";

	log_event(LOG_CRIT, "startup_failed", "reason", why, NULL);
	if (!tls)
		(void)!write(1, msg, sizeof(msg) - 1);
	return code;
}

/* The parent's ends of the pre-auth child's channels. */
struct split {
	int	on;		/* a child was forked */
	int	ctl, data, pid;
};

static void preauth_child(const struct conf *conf, struct server_setup *ss,
    int ctl, int data) __attribute__((noreturn));

/* The pre-auth child: shed what it inherited, sandbox, serve, exit. */
static void
preauth_child(const struct conf *conf, struct server_setup *ss, int ctl,
    int data)
{
	char *why = NULL;

	/* The store, the TLS key and the site key stay with the parent. */
	server_setup_free(ss);
	if (privsep_preauth_enter(PRIVSEP_PREAUTH_USER, &why) < 0) {
		log_event(LOG_CRIT, "preauth_sandbox", "reason", why, NULL);
		_exit(EXIT_CONFIG);
	}
	split_child(conf, ctl, data);
	_exit(0);
}

/* As root: what needs privileges, the child, the store user for good. */
static int
prepare(const struct conf *conf, int tls, struct server_setup *ss,
    struct poppass_env *env, struct split *sp)
{
	char *why = NULL;
	int rc = 0, fk = 0;

	if (server_setup(conf, NULL, ss, &why) < 0)
		rc = give_up(tls, EXIT_CONFIG, why);
	else if (tls && ss->tls == NULL)
		rc = give_up(1, EXIT_CONFIG, ss->tls_why ? ss->tls_why :
		    "-s needs TLS_CERT_FILE");
	else if (ss->store && (fk = privsep_preauth_fork(&sp->ctl, &sp->data,
	    &sp->pid, &why)) < 0)
		rc = give_up(tls, EXIT_TEMP, why);
	else if (fk > 0)
		preauth_child(conf, ss, sp->ctl, sp->data);
	else {
		sp->on = ss->store != NULL;
		if (privsep_drop(conf->store_user, 0, &why) < 0)
			rc = give_up(tls, EXIT_CONFIG, why);
	}
	free(why);
	if (rc)
		return rc;
	if (ss->store_why)
		log_event(LOG_ERR, "store_unavailable", "reason", ss->store_why,
		    NULL);
	if (ss->key_why)
		log_event(LOG_WARNING, "secret_key", "reason", ss->key_why, NULL);
	env->conf = conf;
	env->store = ss->store;
	env->key = ss->have_key ? &ss->key : NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct split sp = { 0, -1, -1, 0 };
	struct poppass_env env;
	struct server_setup ss;
	struct conf conf;
	struct netio *io;
	const char *cpath = NULL;
	char *why = NULL;
	size_t discarded;
	int c, debug = 0, tls = 0, rc;

	memset(&ss, 0, sizeof(ss));
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	while ((c = getopt(argc, argv, "C:ds")) != -1) {
		switch (c) {
		case 'C': cpath = optarg; break;
		case 'd': debug = 1; break;
		case 's': tls = 1; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_open("poppassd", debug);
	mem_set_fatal_prefix("poppassd: ");
	if (conf_load(cpath, &conf, &why) < 0)
		return give_up(tls, EXIT_CONFIG, why);
	if (log_set_file(conf.log_file) < 0)
		log_event(LOG_WARNING, "log_file", "path", conf.log_file,
		    "reason", strerror(errno), NULL);
	if ((rc = prepare(&conf, tls, &ss, &env, &sp)) != 0)
		goto out;
	if ((io = netio_create(0, 1, &why)) == NULL) {
		rc = give_up(tls, EXIT_TEMP, why);
		goto out;
	}
	if (tls && netio_starttls(io, ss.tls, &discarded) < 0)
		log_event(LOG_NOTICE, "tls_failed", "ip", netio_remote_addr(io),
		    "reason", netio_why(io), NULL);
	else if (sp.on) {
		(void)split_parent(&env, io, sp.ctl, sp.data, sp.pid);
		sp.on = 0;
	} else
		(void)dialog_run(&env, io);
	(void)netio_close(io);
out:
	if (sp.on)
		(void)privsep_preauth_reap(sp.ctl, sp.data, sp.pid);
	free(why);
	server_setup_free(&ss);
	conf_free(&conf);
	return rc;
}
