/*
 * popmgr - manage popstore accounts, groups and forwardings
 *
 * main: options, configuration, privileges, then one command from the
 * command line or a command reader on standard input (cmd.c).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "log.h"
#include "privsep.h"
#include "store.h"
#include "popmgr.h"

/*
 * `popmgr init` run by root for a store owned by STORE_USER: create
 * STORE_DIR and the partition directories, owned by that user, while
 * root may still create them; the rest is done as the user.
 */
static int
init_dirs_as_root(const struct conf *c, char **why_r)
{
	struct passwd *pw = getpwnam(c->store_user);
	const char *dirs[CONF_MAX_PARTITIONS + 1];
	size_t i, n = 0;

	if (pw == NULL)
		return file_whyf(why_r, "STORE_USER %s: no such user",
		    c->store_user);
	dirs[n++] = c->store_dir;
	for (i = 0; i < c->npartitions; i++)
		dirs[n++] = c->partitions[i].dir;
	for (i = 0; i < n; i++) {
		struct stat st;

		if (lstat(dirs[i], &st) == 0)
			continue;
		if (file_mkdirs(dirs[i], 0750, why_r) < 0)
			return -1;
		if (chown(dirs[i], pw->pw_uid, pw->pw_gid) < 0)
			return file_why(why_r, dirs[i]);
	}
	return 0;
}

/* Become STORE_USER when root (files then belong to it). */
static int
privileges(struct mgr *m, int init)
{
	char *why = NULL;
	int rc;

	if (geteuid() == 0 && *m->conf.store_user) {
		if (init && init_dirs_as_root(&m->conf, &why) < 0)
			goto fail;
		rc = privsep_drop(m->conf.store_user, PRIVSEP_EXEC_SETID, &why);
	} else {
		rc = privsep_no_core(&why);
	}
	if (rc == 0)
		return 0;
fail:
	fprintf(stderr, "popmgr: %s\n", why);
	free(why);
	return -1;
}

static void
who_am_i(struct mgr *m)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw && pw->pw_name)
		snprintf(m->os_user, sizeof(m->os_user), "%s", pw->pw_name);
	else
		snprintf(m->os_user, sizeof(m->os_user), "uid:%ld",
		    (long)getuid());
	snprintf(m->by, sizeof(m->by), "%s", m->os_user);
}

int
main(int argc, char **argv)
{
	struct mgr m;
	const char *conf_path = NULL;
	char *why = NULL;
	int c, debug = 0, init;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		cmd_usage(0);
		return 0;
	}
	while ((c = getopt(argc, argv, "+C:d")) != -1) {
		switch (c) {
		case 'C':
			conf_path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		default:
			cmd_usage(1);
			return EX_USAGE;
		}
	}
	memset(&m, 0, sizeof(m));
	m.unit = 1024;
	umask(027);
	log_open("popmgr", debug);
	if (conf_load(conf_path, &m.conf, &why) < 0) {
		fprintf(stderr, "popmgr: %s\n", why);
		free(why);
		return EX_CONFIG;
	}
	if (log_set_file(m.conf.log_file) < 0)
		fprintf(stderr, "popmgr: %s: %s\n", m.conf.log_file,
		    strerror(errno));
	who_am_i(&m);
	init = optind < argc && strcmp(argv[optind], "init") == 0;
	if (privileges(&m, init) < 0)
		return EX_NOPERM;
	m.interactive = isatty(STDIN_FILENO);
	if (optind < argc) {
		struct words w = { NULL, 0, 0 };

		parse_argv(argv + optind, (size_t)(argc - optind), &w);
		m.status = cmd_dispatch(&m, &w);
		words_free(&w);
	} else {
		m.script = !m.interactive;
		cmd_reader(&m, STDIN_FILENO, m.interactive);
	}
	if (mgr_checkpoint(&m) != 0 && m.status == 0)
		m.status = EX_IOERR;
	store_close(m.store);
	secret_key_wipe(&m.key);
	conf_free(&m.conf);
	return m.status;
}
