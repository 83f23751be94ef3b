/*
 * deliver - the delivery channel: pipe mode, LMTP, address checks.
 * See deliver(8). main() reads options and the configuration, sets up
 * the exit-status contract and hands off to a mode.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "mem.h"
#include "privsep.h"
#include "store.h"

static const char usage_text[] =
    "usage: deliver [-d] [-C file] [-f sender] [-a address] [--] recipient ...\n"
    "       deliver -l [-d] [-C file]\n"
    "       deliver -c [-d] [-C file] address ...\n"
    "       deliver -p [-d] [-C file]\n"
    "  -C file     configuration file (default $POPSTORE_CONF or "
    CONF_DEFAULT_PATH ")\n"
    "  -d          log to standard error as well\n"
    "  -f sender   envelope sender (pipe mode; default <>)\n"
    "  -a address  the original recipient, named in the copy (pipe mode)\n"
    "  -l          speak LMTP on standard input and output\n"
    "  -c          check addresses: exit 0, 67 or 75 without delivering\n"
    "  -p          Postfix policy service on standard input and output\n";

/* Any death we can catch is a temporary failure for the MTA. */
static void
fatal_signal(int sig)
{
	static const char msg[] = "4.3.0 deliver: terminated by a signal\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(EX_TEMPFAIL);
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGQUIT,
	    SIGUSR1, SIGUSR2,
#ifndef __SANITIZE_ADDRESS__
	    SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
#endif
	};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* A file size limit is an error from write(), not a death. */
	signal(SIGXFSZ, SIG_IGN);
}

static int
usage(void)
{
	fprintf(stderr, "5.3.0 deliver: bad usage (see deliver --help)\n");
	return EX_USAGE;
}

int
main(int argc, char **argv)
{
	struct conf conf;
	struct dctx dc;
	const char *cfile = NULL, *sender = "";
	char *why = NULL;
	int ch, debug = 0, mode = 0, rc;

	catch_signals();
	mem_set_fatal_prefix("4.3.0 deliver: ");
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	memset(&dc, 0, sizeof(dc));
	opterr = 0;		/* one line of our own on stderr */
	while ((ch = getopt(argc, argv, "C:a:cdf:lp")) != -1) {
		switch (ch) {
		case 'C': cfile = optarg; break;
		case 'a': dc.dt_addr = optarg; break;
		case 'd': debug = 1; break;
		case 'f': sender = optarg; break;
		case 'c': case 'l': case 'p':
			if (mode && mode != ch)
				return usage();
			mode = ch;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((mode == 0 || mode == 'c') ? argc < 1 : argc != 0)
		return usage();
	if (dc.dt_addr && !addr_ok(dc.dt_addr, strlen(dc.dt_addr)))
		return usage();
	log_open("deliver", debug);
	if (conf_load(cfile, &conf, &why) < 0) {
		fprintf(stderr, "4.3.5 deliver: configuration: %s\n", why);
		free(why);
		return EX_CONFIG;
	}
	if (log_set_file(conf.log_file) < 0)
		log_event(LOG_WARNING, "log_file", "error", strerror(errno), NULL);
	if (geteuid() == 0 && conf.store_user[0] &&
	    privsep_drop(conf.store_user, PRIVSEP_EXEC_SETID, &why) < 0) {
		fprintf(stderr, "4.3.5 deliver: %s\n", why);
		free(why);
		conf_free(&conf);
		return EX_CONFIG;
	}
	dc.conf = &conf;
	dc.proto = "local";
	if (store_open(&conf, &dc.store, &why) < 0) {
		fprintf(stderr, "4.3.0 deliver: store: %s\n", why);
		log_event(LOG_ERR, "store_open", "error", why, NULL);
		free(why);
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	switch (mode) {
	case 'l': rc = lmtpstore_main(&dc); break;
	case 'c': rc = check_main(&dc, argv, argc); break;
	case 'p': rc = policy_main(&dc); break;
	default: rc = pipe_main(&dc, sender, argv, argc); break;
	}
	store_close(dc.store);
	conf_free(&conf);
	return rc;
}
