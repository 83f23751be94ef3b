/*
 * pop3d - the POP3 server, one session on fd 0/1 (inetd, xinetd,
 * systemd Accept=yes, tcpserver).
 *
 * main: options and configuration; as root, what only root may read (the
 * TLS key, the site key) and the SASL plugins; then the pre-auth child
 * (split.c, privsep.h), which becomes PREAUTH_USER and is sandboxed;
 * then the store user for good, before the first byte from the client;
 * then the session.
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
#include "pop3d.h"
#include "privsep.h"
#include "sasl.h"
#include "server.h"

#define EXIT_USAGE	64	/* EX_USAGE */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: pop3d [-C file] [-d] [-s]\n"
	    "  -C file  configuration file (default $POPSTORE_CONF or "
	    CONF_DEFAULT_PATH ")\n"
	    "  -d       also log to standard error, with debug lines\n"
	    "  -s       TLS from the first byte (port 995)\n");
}

/* Before the session: tell a plaintext client, then exit. */
static int
give_up(int implicit_tls, int code, const char *event, const char *why)
{
	static const char msg[] = "-ERR [SYS/TEMP] Service not available\r\n";

	log_event(LOG_CRIT, event, "reason", why, NULL);
	if (!implicit_tls)
		(void)!write(1, msg, sizeof(msg) - 1);
	return code;
}

/*
 * The pre-auth child: shed what it inherited (the keys first), sandbox
 * (privsep_preauth_enter(), which also runs the test hook
 * POPSTORE_TEST_PREAUTH_OPEN), serve.
 */
static void
preauth_child(struct server_setup *ss, const struct pop3_env *env, int ctl,
    int data)
{
	struct pop3_env cenv = *env;
	char *why = NULL;

	server_setup_free(ss);
	cenv.store = NULL;
	cenv.tls = NULL;
	cenv.key = NULL;
	cenv.split = &split_ops;
	if (privsep_preauth_enter(PRIVSEP_PREAUTH_USER, &why) < 0) {
		log_event(LOG_CRIT, "preauth_sandbox", "reason", why, NULL);
		_exit(EXIT_CONFIG);
	}
	split_child(&cenv, ctl, data);
	_exit(0);
}

/* Fork the pre-auth child (still root, so that it can change user). */
static int
fork_preauth(struct server_setup *ss, struct pop3_env *env, char **why_r)
{
	int ctl, data, pid, r;

	r = privsep_preauth_fork(&ctl, &data, &pid, why_r);
	if (r == 1)
		preauth_child(ss, env, ctl, data);
	if (r < 0)
		return -1;
	env->split = &split_ops;
	env->preauth_ctl = ctl;
	env->preauth_data = data;
	env->preauth_pid = pid;
	return 0;
}

/* As root: everything that needs privileges, then drop them. */
static int
prepare(const struct conf *conf, struct server_setup *ss,
    struct pop3_env *env)
{
	char *why = NULL;
	int rc = 0;

	if (server_setup(conf, "pop3", ss, &why) < 0) {
		rc = give_up(env->implicit_tls, EXIT_CONFIG, "config", why);
		free(why);
		return rc;
	}
	if (ss->tls_why)
		log_event(LOG_ERR, "tls_config", "reason", ss->tls_why, NULL);
	if (ss->store_why)
		log_event(LOG_ERR, "store_unavailable", "reason", ss->store_why,
		    NULL);
	if (ss->key_why)
		log_event(LOG_WARNING, "secret_key", "reason", ss->key_why, NULL);
	env->tls = ss->tls;
	env->store = ss->store;
	env->key = ss->have_key ? &ss->key : NULL;
	if (env->implicit_tls && env->tls == NULL)
		return give_up(1, EXIT_CONFIG, "config", ss->tls_why ?
		    ss->tls_why : "-s needs TLS_CERT_FILE");
	if (sasl_setup(NULL, &why) < 0)
		rc = give_up(env->implicit_tls, EXIT_TEMP, "sasl_setup", why);
	else if (env->store && fork_preauth(ss, env, &why) < 0)
		rc = give_up(env->implicit_tls, EXIT_TEMP, "preauth", why);
	else if (privsep_drop(conf->store_user, 0, &why) < 0)
		rc = give_up(env->implicit_tls, EXIT_CONFIG, "privsep", why);
	free(why);
	return rc;
}

int
main(int argc, char **argv)
{
	struct pop3_env env;
	struct server_setup ss;
	struct conf conf;
	struct netio *io;
	const char *cpath = NULL;
	char *why = NULL;
	int c, debug = 0, rc;

	memset(&env, 0, sizeof(env));
	memset(&ss, 0, sizeof(ss));
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	while ((c = getopt(argc, argv, "C:ds")) != -1) {
		switch (c) {
		case 'C': cpath = optarg; break;
		case 'd': debug = 1; break;
		case 's': env.implicit_tls = 1; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_open("pop3d", debug);
	mem_set_fatal_prefix("pop3d: ");
	if (conf_load(cpath, &conf, &why) < 0)
		return give_up(env.implicit_tls, EXIT_CONFIG, "config", why);
	if (log_set_file(conf.log_file) < 0)
		log_event(LOG_WARNING, "log_file", "path", conf.log_file,
		    "reason", strerror(errno), NULL);
	env.conf = &conf;
	if ((rc = prepare(&conf, &ss, &env)) != 0)
		goto out;
	if ((io = netio_create(0, 1, &why)) == NULL) {
		rc = give_up(env.implicit_tls, EXIT_TEMP, "netio", why);
		goto out;
	}
	(void)session_run(&env, io, NULL);
	(void)netio_close(io);
out:
	if (env.split)
		(void)privsep_preauth_reap(env.preauth_ctl, env.preauth_data,
		    env.preauth_pid);
	free(why);
	server_setup_free(&ss);
	sasl_shutdown();
	conf_free(&conf);
	return rc;
}
