/*
 * migrate - move login users' mailboxes (Berkeley mbox, Maildir) into
 * the store (migrate(8)).
 *
 * Started as root with STORE_USER set, it reads the sources as root
 * and works on the store as STORE_USER (switching its effective ids),
 * so the store's files stay the servers'.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "acct.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "mig.h"
#include "num.h"
#include "privsep.h"
#include "store.h"

static const char usage[] =
    "usage: migrate [-C file] [-d] [-f] [-n] [-r] [-v] [-a minuid] [-H dir]\n"
    "               [-m dir] [-M dir] [-p elsewhere|crypt] [-t pop|imap]\n"
    "               [user ...]\n"
    "       migrate [-C file] [-d] [-n] -I account ...\n"
    "  -C file  option file (default $POPSTORE_CONF or /etc/popstore/popstore.conf)\n"
    "  -a uid   every login user with this uid or above (besides those named)\n"
    "  -d       log to stderr too\n"
    "  -f       write each user's ~/.forward to the store (--forward)\n"
    "  -H dir   home directories are dir/USER (for -f)\n"
    "  -I       make the store's POP accounts named IMAP accounts (--pop-to-imap)\n"
    "  -m dir   directory of the Berkeley mailboxes (default /var/mail)\n"
    "  -M dir   Maildirs are dir/USER (default ~USER/Maildir)\n"
    "  -n       dry run: report what would be migrated, change nothing\n"
    "  -p mode  password of new accounts: elsewhere (default) or crypt\n"
    "  -r       mailboxes are mboxrd (default mboxo)\n"
    "  -t type  type of new accounts (default: the default account's)\n"
    "  -v       show progress\n";

void
mig_as_store(struct mig *m)
{
	if (!m->switch_ids)
		return;
	if (setresgid((gid_t)-1, m->store_gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, m->store_uid, (uid_t)-1) < 0)
		mem_fatal("cannot become STORE_USER");
}

void
mig_as_invoker(struct mig *m)
{
	if (!m->switch_ids)
		return;
	if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 ||
	    setresgid((gid_t)-1, 0, (gid_t)-1) < 0)
		mem_fatal("cannot become root again");
}

int
mig_sync(struct mig *m, char **why_r)
{
	int rc;

	if (m->unsynced == 0)
		return 0;
	mig_as_store(m);
	rc = store_sync(m->s, why_r);
	mig_as_invoker(m);
	if (rc == 0)
		m->unsynced = 0;
	return rc;
}

/* Root with STORE_USER: note the ids to switch to. 0 or -1. */
static int
store_ids(struct mig *m, const struct conf *c)
{
	struct passwd *pw;

	if (geteuid() != 0 || c->store_user[0] == '\0')
		return 0;
	if ((pw = getpwnam(c->store_user)) == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "migrate: STORE_USER %s: no such user (or root)\n",
		    c->store_user);
		return -1;
	}
	m->store_uid = pw->pw_uid;
	m->store_gid = pw->pw_gid;
	m->switch_ids = 1;
	if (setgroups(1, &pw->pw_gid) < 0) {
		perror("migrate: setgroups");
		return -1;
	}
	return 0;
}

/* Every login user with uid >= min: names appended to *v. */
static void
all_users(uint64_t min, char ***v, size_t *n)
{
	struct passwd *pw;

	setpwent();
	while ((pw = getpwent()) != NULL) {
		if ((uint64_t)pw->pw_uid < min || pw->pw_uid == 65534)
			continue;
		*v = mem_realloc(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = mem_strdup(pw->pw_name);
	}
	endpwent();
}

static int
parse(int argc, char **argv, struct mig *m, const char **conf_path,
    int *debug, int64_t *minuid)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "forward", no_argument, NULL, 'f' },
		{ "pop-to-imap", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 } };
	uint64_t v;
	int ch;

	while ((ch = getopt_long(argc, argv, "C:a:dfH:Im:M:np:rt:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C': *conf_path = optarg; break;
		case 'a':
			if (num_parse_u64(optarg, UINT32_MAX, &v) < 0)
				return EX_USAGE;
			*minuid = (int64_t)v;
			break;
		case 'd': *debug = 1; break;
		case 'f': m->forward = 1; break;
		case 'H': m->home_base = optarg; break;
		case 'I': m->pop_to_imap = 1; break;
		case 'm': m->mbox_dir = optarg; break;
		case 'M': m->maildir_base = optarg; break;
		case 'n': m->dry = 1; break;
		case 'p':
			if (strcmp(optarg, "crypt") == 0)
				m->pw = PW_CRYPT;
			else if (strcmp(optarg, "elsewhere") != 0)
				return EX_USAGE;
			break;
		case 'r': m->mboxrd = 1; break;
		case 't':
			if ((m->type = acct_type_parse(optarg)) < 0)
				return EX_USAGE;
			break;
		case 'v': m->verbose = 1; break;
		case 'h': fputs(usage, stdout); exit(EX_OK);
		default: return EX_USAGE;
		}
	}
	if (m->pop_to_imap && *minuid >= 0)
		return EX_USAGE;
	return *minuid < 0 && optind == argc ? EX_USAGE : 0;
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL;
	struct mig m;
	struct conf c;
	char *why = NULL, **users = NULL;
	size_t nusers = 0, i;
	int64_t minuid = -1;
	int debug = 0, rc;

	mem_set_fatal_exit(EX_TEMPFAIL);
	memset(&m, 0, sizeof(m));
	m.type = -1;
	m.mbox_dir = "/var/mail";
	if ((rc = parse(argc, argv, &m, &conf_path, &debug, &minuid)) != 0) {
		fputs(usage, stderr);
		return rc;
	}
	log_open("migrate", debug);
	if (conf_load(conf_path, &c, &why) < 0) {
		fprintf(stderr, "migrate: %s\n", why);
		return EX_CONFIG;
	}
	if (log_set_file(c.log_file) < 0)
		fprintf(stderr, "migrate: %s: %s\n", c.log_file, strerror(errno));
	if (privsep_no_core(&why) < 0 || store_ids(&m, &c) < 0) {
		fprintf(stderr, "migrate: %s\n", why ? why : "privileges");
		return EX_OSERR;
	}
	mig_as_store(&m);
	rc = store_open(&c, &m.s, &why);
	mig_as_invoker(&m);
	if (rc < 0) {
		fprintf(stderr, "migrate: %s\n", why);
		return EX_CONFIG;
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		users = mem_realloc(users, nusers + 1, sizeof(*users));
		users[nusers++] = mem_strdup(argv[i]);
	}
	if (minuid >= 0)
		all_users((uint64_t)minuid, &users, &nusers);
	for (i = 0; i < nusers; i++) {
		if (m.pop_to_imap)
			(void)popimap_convert(&m, users[i]);
		else
			(void)user_migrate(&m, users[i]);
		free(users[i]);
	}
	free(users);
	mig_as_store(&m);
	store_close(m.s);
	mig_as_invoker(&m);
	conf_free(&c);
	return m.errors ? EX_TEMPFAIL : EX_OK;
}
