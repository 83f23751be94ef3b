/*
 * search-bench - how fast lib/search, sort and thread are on a big folder.
 *
 *   search-bench [-n N] [-r RUNS] [-M MAILDIR] DIR [OP ...]
 *
 * On the first run DIR/store is created with one IMAP account "bench"
 * whose INBOX gets N messages (default 200,000) through lib/delivery,
 * generated from a fixed seed: threads of replies (References,
 * In-Reply-To, "Re:" subjects), 5,000 senders (some with RFC 2047
 * names), Date: fields in several zones, bodies of 0.5 to 3 KB, one in
 * five multipart with a base64 attachment; 70% \Seen, some \Flagged and
 * \Deleted. With -M the same messages are also written as a Maildir
 * (for a side-by-side run with Dovecot). Later runs reuse the store.
 *
 * Each OP (default: all of them) runs RUNS times (default 3) in a
 * child process of its own that opens the folder and then runs the
 * operation; printed: matches, the first and the fastest time in ms,
 * the child's peak RSS (VmHWM) and how much it grew over the RSS
 * before the first run. Operations:
 *
 *   from       SEARCH FROM "user4242"
 *   subject    SEARCH SUBJECT "budget"
 *   unseen     SEARCH UNSEEN
 *   uidrange   UID SEARCH UID <last 1000>:* SUBJECT "budget"
 *   body       SEARCH BODY "zyzzyva" (reads every message file)
 *   sortdate   SORT (DATE) ALL
 *   sortsubj   SORT (SUBJECT) ALL
 *   sortfrom   SORT (DISPLAYFROM REVERSE DATE) ALL
 *   threadref  THREAD REFERENCES ALL (formatted)
 *   threadord  THREAD ORDEREDSUBJECT ALL (formatted)
 *
 * Durability is not what is measured: fsync, fdatasync, syncfs and sync
 * are no-ops in this program, so that generating the folder takes
 * minutes, not hours. Not run by make check; t/bench/search.sh builds
 * and runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "delivery.h"
#include "file.h"
#include "folder.h"
#include "log.h"
#include "mboxlist.h"
#include "search.h"
#include "sort.h"
#include "store.h"
#include "thread.h"

int
fsync(int fd)
{
	(void)fd;
	return 0;
}

int
fdatasync(int fd)
{
	(void)fd;
	return 0;
}

int
syncfs(int fd)
{
	(void)fd;
	return 0;
}

void
sync(void)
{
}

static struct conf conf;
static struct store *store;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "search-bench: %s: %s\n", what, why ? why : "?");
	exit(1);
}

/* ---- generating the folder ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static const char *const words[] = { "budget", "meeting", "report",
    "release", "question", "invoice", "travel", "lunch", "patch", "review",
    "holiday", "server", "backup", "contract", "draft", "schedule",
    "quarterly", "update", "problem", "offer", "photos", "party", "plan",
    "minutes", "agenda", "feedback", "results", "summary", "status",
    "deadline" };
#define NWORDS	(sizeof(words) / sizeof(words[0]))

struct gen_msg {
	char	 id[48];
	char	 subj[96];		/* the thread's subject, without Re: */
	char	 refs[600];
};

static void
make_subject(char *out, size_t cap)
{
	snprintf(out, cap, "%s %s %s %u", words[rnd(NWORDS)],
	    words[rnd(NWORDS)], words[rnd(NWORDS)], rnd(10000));
	out[0] = (char)(out[0] - 32);
}

static void
make_body(struct buf *m, const char *boundary)
{
	uint32_t lines = 8 + rnd(40), i, k;

	for (i = 0; i < lines; i++) {
		for (k = 0; k < 8 + rnd(6); k++)
			buf_printf(m, "%s%s", k ? " " : "", words[rnd(NWORDS)]);
		buf_puts(m, "\n");
	}
	if (boundary == NULL)
		return;
	buf_printf(m, "\n--%s\nContent-Type: application/octet-stream; "
	    "name=\"data.bin\"\nContent-Transfer-Encoding: base64\n\n",
	    boundary);
	for (i = 0; i < 20 + rnd(60); i++)
		buf_puts(m, "QmFzZTY0IGRhdGEgb2YgYW4gYXR0YWNobWVudCBpbiB0aGUgYmVu"
		    "Y2htYXJrIGZvbGRlci4uLg==\n");
	buf_printf(m, "--%s--\n", boundary);
}

/* Message i; ring holds the last messages for replies. */
static void
make_message(uint32_t i, struct gen_msg *ring, size_t nring, struct buf *m,
    int64_t when)
{
	static const char *const zones[] = { "+0000", "+0100", "-0500",
	    "+0530", "-0800", "+0900" };
	struct gen_msg *g = &ring[i % nring], *p = NULL;
	uint32_t sender = rnd(5000);
	char refs[600];
	int zone = (int)rnd(6);
	time_t t = (time_t)when;
	struct tm tm;
	char date[64];

	if (i > 0 && rnd(2) == 0)
		p = &ring[(i - 1 - rnd(i < nring - 1 ? i : (uint32_t)nring - 1)) %
		    nring];
	snprintf(g->id, sizeof(g->id), "<%u.%u@bench.example>", i,
	    rnd(100000));
	refs[0] = '\0';
	if (p != NULL) {
		struct buf r = BUF_INIT;
		const char *keep;

		buf_printf(&r, "%s%s%s", p->refs, p->refs[0] ? " " : "", p->id);
		keep = r.len > 400 ? strchr(r.data + r.len - 400, '<') : r.data;
		memcpy(refs, keep, strlen(keep) + 1);	/* the last few */
		buf_free(&r);
		memcpy(g->subj, p->subj, sizeof(g->subj));
	} else {
		make_subject(g->subj, sizeof(g->subj));
	}
	snprintf(g->refs, sizeof(g->refs), "%s", refs);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S", &tm);
	buf_reset(m);
	if (sender % 10 == 0)
		buf_printf(m, "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller_%u?= "
		    "<user%u@example%u.de>\n", sender, sender, sender % 50);
	else
		buf_printf(m, "From: User %u <user%u@example%u.com>\n", sender,
		    sender, sender % 50);
	buf_printf(m, "To: Person %u <person%u@example.org>\n", rnd(1000),
	    rnd(1000));
	if (rnd(4) == 0)
		buf_printf(m, "Cc: cc%u@example.net\n", rnd(500));
	buf_printf(m, "Subject: %s%s\nDate: %s %s\nMessage-ID: %s\n",
	    p ? "Re: " : "", g->subj, date, zones[zone], g->id);
	if (p != NULL)
		buf_printf(m, "In-Reply-To: %s\nReferences: %s\n", p->id, refs);
	buf_puts(m, "MIME-Version: 1.0\n");
	if (rnd(5) == 0) {
		buf_puts(m, "Content-Type: multipart/mixed; boundary=\"b0\"\n\n"
		    "--b0\nContent-Type: text/plain; charset=utf-8\n\n");
		make_body(m, "b0");
	} else {
		buf_puts(m, "Content-Type: text/plain; charset=utf-8\n\n");
		make_body(m, NULL);
	}
}

static void
maildir_write(const char *dir, uint32_t i, const struct buf *m, uint32_t flags,
    int64_t when)
{
	struct buf path = BUF_INIT;
	struct timespec ts[2];
	FILE *fp;

	buf_printf(&path, "%s/cur/%u.bench:2,%s%s", dir, i,
	    (flags & MSG_FLAGGED) ? "F" : "", (flags & MSG_SEEN) ? "S" : "");
	if ((fp = fopen(path.data, "w")) == NULL ||
	    fwrite(m->data, 1, m->len, fp) != m->len || fclose(fp) != 0)
		die(path.data, strerror(errno));
	ts[0].tv_sec = ts[1].tv_sec = (time_t)when;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path.data, ts, 0);
	buf_free(&path);
}

static void
generate(uint32_t n, const char *maildir)
{
	struct gen_msg *ring = calloc(2000, sizeof(*ring));
	struct buf m = BUF_INIT, md = BUF_INIT;
	struct delivery *d;
	struct acct a;
	int64_t when = 1577836800;	/* 2020-01-01 */
	uint32_t i, flags;
	char *why = NULL;
	struct timespec t0, t1;

	if (acct_from_default(store, "bench", &a, &why) < 0)
		die("account", why);
	a.type = ACCT_IMAP;
	if (acct_create(store, &a, &why) < 0)
		die("account", why);
	if (maildir != NULL) {
		buf_printf(&md, "%s/cur", maildir);
		file_mkdirs(md.data, 0700, NULL);
		buf_reset(&md);
		buf_printf(&md, "%s/new", maildir);
		file_mkdirs(md.data, 0700, NULL);
		buf_reset(&md);
		buf_printf(&md, "%s/tmp", maildir);
		file_mkdirs(md.data, 0700, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		when += 60 + rnd(600);
		make_message(i, ring, 2000, &m, when);
		flags = rnd(10) < 7 ? MSG_SEEN : 0;
		flags |= rnd(20) == 0 ? MSG_FLAGGED : 0;
		flags |= rnd(50) == 0 ? MSG_DELETED : 0;
		if (delivery_begin(store, "bench@example.org", &d, &why) < 0 ||
		    delivery_write_lf(d, m.data, m.len, &why) < 0 ||
		    delivery_end_data(d, &why) < 0)
			die("delivery", why);
		delivery_set_date(d, when + rnd(120), 0);
		delivery_add(d, &a, MBOX_INBOX_ID, flags);
		if (delivery_commit(d, &why) != 1)
			die("commit", delivery_target(d, 0)->why);
		delivery_free(d);
		if (maildir != NULL)
			maildir_write(maildir, i, &m, flags, when);
		if ((i + 1) % 20000 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fprintf(stderr, "  %u messages, %.0f s\n", i + 1,
			    (double)(t1.tv_sec - t0.tv_sec));
		}
	}
	free(ring);
	buf_free(&m);
	buf_free(&md);
}

/* ---- measuring ---- */

static long
status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return v;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static struct search_node *
header_key(const char *field, const char *value)
{
	return search_new_text(SEARCH_HEADER, field, value, strlen(value));
}

/* One run of op; the number of matches, or -1. */
static long
run_op(const char *op, struct search_env *env)
{
	struct search_result res;
	struct thread_tree t;
	struct search_node *tree = NULL;
	struct sort_crit crit[2];
	struct buf out = BUF_INIT;
	size_t ncrit = 1;
	char *why = NULL;
	long n = -1;
	int rc = -1;
	uint32_t r[2];
	struct msgrec last;

	memset(&res, 0, sizeof(res));
	memset(crit, 0, sizeof(crit));
	if (strcmp(op, "from") == 0)
		tree = header_key("From", "user4242");
	else if (strcmp(op, "subject") == 0)
		tree = header_key("Subject", "budget");
	else if (strcmp(op, "unseen") == 0)
		tree = search_new_simple("UNSEEN");
	else if (strcmp(op, "body") == 0)
		tree = search_new_text(SEARCH_BODY, NULL, "zyzzyva", 7);
	else if (strcmp(op, "uidrange") == 0) {
		folder_record(env->folder, folder_count(env->folder) - 1, &last,
		    NULL);
		r[0] = last.uid > 1000 ? last.uid - 999 : 1;
		r[1] = last.uid;
		tree = search_new_and();
		search_add(tree, search_new_set(SEARCH_UIDSET, r, 1));
		search_add(tree, header_key("Subject", "budget"));
	} else
		tree = search_new(SEARCH_ALL);
	if (strncmp(op, "sort", 4) == 0) {
		crit[0].key = strcmp(op, "sortdate") == 0 ? SORT_DATE :
		    strcmp(op, "sortsubj") == 0 ? SORT_SUBJECT :
		    SORT_DISPLAYFROM;
		if (strcmp(op, "sortfrom") == 0) {
			crit[1].key = SORT_DATE;
			crit[1].reverse = 1;
			ncrit = 2;
		}
		rc = sort_run(env, tree, crit, ncrit, &res, &why);
		n = (long)res.n;
	} else if (strncmp(op, "thread", 6) == 0) {
		rc = thread_run(env, tree, strcmp(op, "threadref") == 0 ?
		    THREAD_REFERENCES : THREAD_ORDEREDSUBJECT, &t, &why);
		if (rc == 0) {
			thread_format(&t, 1, &out);
			n = (long)out.len;
		}
		thread_free(&t);
	} else {
		rc = search_run(env, tree, &res, &why);
		n = (long)res.n;
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", op, why);
	free(why);
	buf_free(&out);
	search_result_free(&res);
	search_free(tree);
	return rc < 0 ? -1 : n;
}

static void
measure(const char *op, int runs)
{
	struct search_env env;
	struct folder *f;
	struct acct a;
	struct timespec t0;
	double first = 0, best = 0, ms;
	long before, n = 0;
	char *why = NULL;
	int i;

	if (acct_load(store, "bench", &a, &why) != 1 ||
	    folder_open(store, &a, "INBOX", FOLDER_RDONLY, &f, &why) != 1)
		die("INBOX", why);
	memset(&env, 0, sizeof(env));
	env.folder = f;
	before = status_kb("VmRSS");
	for (i = 0; i < runs; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		n = run_op(op, &env);
		ms = ms_since(&t0);
		if (i == 0)
			first = best = ms;
		else if (ms < best)
			best = ms;
	}
	printf("%-10s %8ld %10.1f %10.1f %10ld %10ld\n", op, n, first, best,
	    status_kb("VmHWM"), status_kb("VmHWM") - before);
	fflush(stdout);
	folder_close(f);
}

int
main(int argc, char **argv)
{
	static const char *const all[] = { "from", "subject", "unseen",
	    "uidrange", "body", "sortdate", "sortsubj", "sortfrom",
	    "threadref", "threadord" };
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *maildir = NULL;
	uint32_t n = 200000;
	int runs = 3, c, i, status;
	char *why = NULL;
	struct stat st;
	struct folder *f;
	struct acct a;
	pid_t pid;

	while ((c = getopt(argc, argv, "n:r:M:")) != -1) {
		switch (c) {
		case 'n':
			n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'M':
			maildir = optarg;
			break;
		default:
			fprintf(stderr, "usage: search-bench [-n N] [-r RUNS] "
			    "[-M MAILDIR] DIR [OP ...]\n");
			return 2;
		}
	}
	if (optind >= argc)
		die("usage", "DIR missing");
	buf_printf(&text, "STORE_DIR=%s/store\n", argv[optind]);
	buf_printf(&path, "%s/popstore.conf", argv[optind]);
	file_mkdirs(argv[optind], 0700, NULL);
	if (file_write_atomic(path.data, text.data, text.len, 0600,
	    FILE_NOSYNC, &why) < 0 || conf_load(path.data, &conf, &why) < 0)
		die("conf", why);
	log_set_level(LOG_EMERG);
	buf_reset(&path);
	buf_printf(&path, "%s/store", argv[optind]);
	if (stat(path.data, &st) < 0) {
		fprintf(stderr, "generating %u messages in %s\n", n, path.data);
		if (store_create(&conf, &why) < 0 ||
		    store_open(&conf, &store, &why) < 0)
			die("store", why);
		generate(n, maildir);
		store_close(store);
	}
	if (store_open(&conf, &store, &why) < 0 ||
	    acct_load(store, "bench", &a, &why) != 1 ||
	    folder_open(store, &a, "INBOX", FOLDER_RDONLY, &f, &why) != 1)
		die("store", why);
	printf("# %u messages; %d runs each; times in ms, memory in kB\n",
	    folder_count(f), runs);
	printf("%-10s %8s %10s %10s %10s %10s\n", "op", "matches", "first",
	    "best", "peak_rss", "growth");
	folder_close(f);
	for (i = optind + 1 < argc ? optind + 1 : 0;
	    i < (optind + 1 < argc ? argc : (int)(sizeof(all) / sizeof(all[0])));
	    i++) {
		const char *op = optind + 1 < argc ? argv[i] : all[i];

		fflush(stdout);
		if ((pid = fork()) == 0) {
			measure(op, runs);
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
	store_close(store);
	buf_free(&path);
	buf_free(&text);
	return 0;
}
