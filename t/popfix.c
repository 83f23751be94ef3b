/*
 * popfix - store fixtures for the pop3d and poppassd tests (test-only,
 * never installed): accounts, messages, flags and counters through
 * libstore, so the tests need neither popmgr nor deliver.
 *
 *	popfix -C conf init
 *	popfix -C conf add NAME PASSWORD [type=pop|imap] [flags=LIST]
 *	    [secret=1] [changed=EPOCH] [elsewhere=1]
 *	popfix -C conf flags NAME LIST		(acct_flags_parse syntax)
 *	popfix -C conf deliver NAME [FILE...]	(LF or CRLF text, a message
 *						 a file; - or none: stdin)
 *	popfix -C conf fill NAME COUNT SIZE	(generated messages)
 *	popfix -C conf list NAME		(uid flags size per message)
 *	popfix -C conf usage NAME		(counters as key=value)
 *	popfix -C conf expunge NAME UID...	(as another session would)
 *	popfix -C conf show NAME		(profile fields)
 *
 * Run as root with STORE_USER set, it works as that user (as popmgr and
 * deliver do), so the files belong to the servers' user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "mboxlist.h"
#include "num.h"
#include "passwd.h"
#include "privsep.h"
#include "secret.h"
#include "store.h"

static struct conf conf;
static struct store *store;

static void die(const char *what, const char *why) __attribute__((noreturn));

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "popfix: %s: %s\n", what, why ? why : "failed");
	exit(1);
}

static void
load(const char *name, struct acct *a)
{
	char *why = NULL;
	int r = acct_load(store, name, a, &why);

	if (r <= 0)
		die(name, r == 0 ? "no such account" : why);
}

static void
key_for_secret(struct secret_key *key)
{
	struct buf path = BUF_INIT;
	char *why = NULL;

	store_secret_key_path(store, &path);
	if (access(path.data, F_OK) < 0 &&
	    secret_key_create(path.data, &why) < 0)
		die("secret key", why);
	if (secret_key_load(path.data, key, &why) < 0)
		die("secret key", why);
	buf_free(&path);
}

static int
cmd_add(int argc, char **argv)
{
	struct acct a;
	struct secret_key key;
	char *why = NULL, *hash, *sec;
	unsigned set, clear;
	int i;

	if (argc < 2)
		die("add", "NAME PASSWORD [options]");
	if (acct_from_default(store, argv[0], &a, &why) < 0)
		die("default", why);
	a.password_changed = (int64_t)time(NULL);
	if ((hash = passwd_hash(argv[1], conf.password_iterations, &why)) == NULL)
		die("hash", why);
	snprintf(a.password, sizeof(a.password), "%s", hash);
	free(hash);
	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], "type=", 5) == 0) {
			a.type = acct_type_parse(argv[i] + 5);
		} else if (strncmp(argv[i], "flags=", 6) == 0) {
			if (acct_flags_parse(argv[i] + 6, &set, &clear, &why) < 0)
				die("flags", why);
			a.flags = (a.flags | set) & ~clear;
		} else if (strcmp(argv[i], "secret=1") == 0) {
			key_for_secret(&key);
			sec = secret_encrypt(&key, a.name, argv[1],
			    strlen(argv[1]), &why);
			if (sec == NULL)
				die("secret", why);
			snprintf(a.secret, sizeof(a.secret), "%s", sec);
			free(sec);
			secret_key_wipe(&key);
		} else if (strncmp(argv[i], "changed=", 8) == 0) {
			a.password_changed = strtoll(argv[i] + 8, NULL, 10);
		} else {
			die(argv[i], "unknown option");
		}
	}
	if (acct_create(store, &a, &why) < 0)
		die("create", why);
	return 0;
}

static int
cmd_flags(int argc, char **argv)
{
	struct acct a;
	unsigned set, clear;
	char *why = NULL;

	if (argc != 2)
		die("flags", "NAME LIST");
	load(argv[0], &a);
	if (acct_flags_parse(argv[1], &set, &clear, &why) < 0)
		die("flags", why);
	a.flags = (a.flags | set) & ~clear;
	if (acct_save(store, &a, &why) < 0)
		die("save", why);
	return 0;
}

static void
deliver_text(const char *name, const char *text, size_t len)
{
	struct delivery *d;
	struct acct a;
	char *why = NULL;

	load(name, &a);
	if (delivery_begin(store, "sender@example.org", &d, &why) < 0 ||
	    delivery_write_lf(d, text, len, &why) < 0 ||
	    delivery_end_data(d, &why) < 0)
		die("delivery", why);
	delivery_add(d, &a, MBOX_INBOX_ID, 0);
	if (delivery_commit(d, &why) != 1)
		die("commit", why ? why : delivery_target(d, 0)->why);
	delivery_free(d);
}

static void
deliver_fd(const char *name, int fd)
{
	struct buf text = BUF_INIT;
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&text, chunk, (size_t)n);
	deliver_text(name, text.data ? text.data : "", text.len);
	buf_free(&text);
}

static int
cmd_deliver(int argc, char **argv)
{
	int i, fd;

	if (argc < 1)
		die("deliver", "NAME [FILE...]");
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "-") == 0)) {
		deliver_fd(argv[0], 0);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) < 0)
			die(argv[i], strerror(errno));
		deliver_fd(argv[0], fd);
		close(fd);
	}
	return 0;
}

static int
cmd_fill(int argc, char **argv)
{
	struct buf m = BUF_INIT;
	uint64_t count, size, i;

	if (argc != 3 || num_parse_u64(argv[1], 10000000, &count) < 0 ||
	    num_parse_u64(argv[2], 100000000, &size) < 0)
		die("fill", "NAME COUNT SIZE");
	for (i = 0; i < count; i++) {
		buf_reset(&m);
		buf_printf(&m, "From: Sender <sender@example.org>\n"
		    "To: %s@example.com\nSubject: message %llu\n"
		    "Message-ID: <%llu.%ld@example.org>\n\n", argv[0],
		    (unsigned long long)i + 1, (unsigned long long)i,
		    (long)getpid());
		while (m.len < size) {
			if ((m.len / 70) % 50 == 7)
				buf_puts(&m, ".a line starting with a dot\n");
			buf_printf(&m, "line %zu of message %llu: the quick "
			    "brown fox jumps over\n", m.len,
			    (unsigned long long)i + 1);
		}
		deliver_text(argv[0], m.data, m.len);
	}
	buf_free(&m);
	return 0;
}

static struct folder *
inbox(const char *name, struct acct *a)
{
	struct folder *f;
	char *why = NULL;

	load(name, a);
	if (folder_open(store, a, "INBOX", 0, &f, &why) != 1)
		die("INBOX", why);
	return f;
}

static int
cmd_list(int argc, char **argv)
{
	struct folder *f;
	struct msgrec r;
	struct acct a;
	uint32_t i;

	if (argc != 1)
		die("list", "NAME");
	f = inbox(argv[0], &a);
	for (i = 0; folder_record(f, i, &r, NULL) == 1; i++)
		printf("%u %s%s %llu\n", r.uid, r.flags & MSG_SEEN ? "S" : "-",
		    r.flags & MSG_DELETED ? "D" : "-",
		    (unsigned long long)r.size);
	folder_close(f);
	return 0;
}

static int
cmd_usage(int argc, char **argv)
{
	struct usage u;
	char *why = NULL;

	if (argc != 1 || usage_read(store, argv[0], &u, &why) < 0)
		die("usage", why);
	printf("message_count=%llu\nquota_used=%llu\ntotal_connections=%llu\n"
	    "last_connect=%lld\nlast_disconnect=%lld\ntotal_connect=%llu\n",
	    (unsigned long long)u.message_count,
	    (unsigned long long)u.quota_used,
	    (unsigned long long)u.total_connections, (long long)u.last_connect,
	    (long long)u.last_disconnect, (unsigned long long)u.total_connect);
	return 0;
}

struct uids {
	char	**v;
	int	 n;
};

static int
want_uid(const struct msgrec *r, void *ctx)
{
	const struct uids *u = ctx;
	int i;

	for (i = 0; i < u->n; i++)
		if (strtoul(u->v[i], NULL, 10) == r->uid)
			return 1;
	return 0;
}

static int
cmd_expunge(int argc, char **argv)
{
	struct uids u = { argv + 1, argc - 1 };
	struct folder *f;
	struct acct a;
	char *why = NULL;
	long n;

	if (argc < 2)
		die("expunge", "NAME UID...");
	f = inbox(argv[0], &a);
	if ((n = folder_expunge(f, want_uid, NULL, &u, &why)) < 0)
		die("expunge", why);
	printf("%ld\n", n);
	folder_close(f);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct buf fl = BUF_INIT;
	struct acct a;

	if (argc != 1)
		die("show", "NAME");
	load(argv[0], &a);
	acct_flags_format(a.flags, &fl);
	printf("password=%s\nsecret=%s\nflags=%s\npassword_changed=%lld\n",
	    a.password, a.secret, buf_cstr(&fl), (long long)a.password_changed);
	buf_free(&fl);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "add", cmd_add }, { "flags", cmd_flags },
		{ "deliver", cmd_deliver }, { "fill", cmd_fill },
		{ "list", cmd_list }, { "usage", cmd_usage },
		{ "expunge", cmd_expunge }, { "show", cmd_show },
	};
	char *why = NULL;
	size_t i;

	if (argc < 4 || strcmp(argv[1], "-C") != 0)
		die("usage", "popfix -C conf command args...");
	if (conf_load(argv[2], &conf, &why) < 0)
		die("config", why);
	if (geteuid() == 0 && conf.store_user[0] &&
	    privsep_drop(conf.store_user, PRIVSEP_EXEC_SETID, &why) < 0)
		die("privsep", why);
	if (strcmp(argv[3], "init") == 0) {
		if (store_create(&conf, &why) < 0)
			die("init", why);
		return 0;
	}
	if (store_open(&conf, &store, &why) < 0)
		die("store", why);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[3], cmds[i].name) == 0) {
			i = (size_t)cmds[i].fn(argc - 4, argv + 4);
			store_close(store);
			conf_free(&conf);
			return (int)i;
		}
	die(argv[3], "unknown command");
	return 1;
}
