/*
 * expire: the policy from the options, which accounts it applies to,
 * what one account's run returns, deletes and keeps (dry run first),
 * special-use folders left alone, the run lock.
 */
#include <errno.h>
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
#include "expire.h"
#include "folder.h"
#include "mboxlist.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static struct fixture fx;

static void
deliver(const struct acct *a, uint32_t fid, const char *sender, int n,
    uint32_t flags)
{
	struct delivery *d;
	struct buf text = BUF_INIT;
	char *why = NULL;

	buf_printf(&text, "From: x%d@example.org\nSubject: m%d\n"
	    "Message-ID: <m%d@t>\n\nbody %d\n", n, n, n, n);
	if (delivery_begin(fx.store, sender, &d, &why) == 0 &&
	    delivery_write_lf(d, text.data, text.len, &why) == 0) {
		delivery_add(d, a, fid, flags);
		if (delivery_commit(d, &why) != 1)
			tap_diag("commit failed");
	}
	if (why)
		tap_diag("deliver: %s", why);
	free(why);
	delivery_free(d);
	buf_free(&text);
}

static uint32_t
count(const struct acct *a, uint32_t fid)
{
	struct folder *f;
	uint32_t n = 0;

	if (folder_open_id(fx.store, a, fid, FOLDER_RDONLY, &f, NULL) == 1) {
		n = folder_count(f);
		folder_close(f);
	}
	return n;
}

struct seen {
	int	 n[4];
	char	 senders[256];
};

static void
note(void *ctx, const struct expire_event *ev)
{
	struct seen *s = ctx;
	size_t len = strlen(s->senders);

	if (ev->what >= 0 && ev->what < 4)
		s->n[ev->what]++;
	if (ev->sender)
		snprintf(s->senders + len, sizeof(s->senders) - len, "%u:%s ",
		    (unsigned)ev->uid, ev->sender);
}

static void
test_policy(void)
{
	struct conf c;
	struct expire_policy p;
	int64_t now = 1700000000;

	memset(&c, 0, sizeof(c));
	tap_is_int(expire_policy_init(&c, now, &p), 0, "ages 0: nothing expires");
	tap_ok(p.return_before == 0 && p.delete_before == 0, "both cutoffs 0");
	c.return_age = 30;
	tap_is_int(expire_policy_init(&c, now, &p), 1, "RETURN_AGE=30 expires");
	tap_is_int(p.return_before, now - 30 * 86400, "return cutoff");
	tap_is_int(p.delete_before, now - 30 * 86400,
	    "DELETE_READ_AGE=0 follows RETURN_AGE");
	c.delete_read_age = 5;
	expire_policy_init(&c, now, &p);
	tap_is_int(p.delete_before, now - 5 * 86400, "DELETE_READ_AGE=5");
	c.return_age = 0;
	tap_is_int(expire_policy_init(&c, now, &p), 1, "read ones only");
	tap_is_int(p.return_before, 0, "unread never returned");
	c.return_age = UINT64_MAX / 2;
	expire_policy_init(&c, now, &p);
	tap_is_int(p.return_before, 1, "an age past the epoch: nothing is that old");
}

static void
test_applies(void)
{
	struct conf c;
	struct acct a;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	a.type = ACCT_POP;
	tap_is_int(expire_applies(&c, &a), 1, "POP account");
	a.type = ACCT_IMAP;
	tap_is_int(expire_applies(&c, &a), 0, "IMAP account, RETURN_IMAP=0");
	c.return_imap = 1;
	tap_is_int(expire_applies(&c, &a), 1, "IMAP account, RETURN_IMAP=1");
	snprintf(a.backend, sizeof(a.backend), "other.example.com");
	tap_is_int(expire_applies(&c, &a), 0, "account on another backend");
}

static void
test_account(const char *sent)
{
	struct acct pop, imap;
	struct expire_policy p;
	struct expire_report rep;
	struct seen s;
	struct mboxlist l;
	const struct mbox *sentbox;
	struct usage u;
	struct stat st;
	char *why = NULL;
	uint32_t sent_id = 0;

	fixture_account(&fx, "pop1", ACCT_POP, &pop);
	deliver(&pop, MBOX_INBOX_ID, "alice@example.org", 1, 0);
	deliver(&pop, MBOX_INBOX_ID, "bob@example.org", 2, MSG_SEEN);
	deliver(&pop, MBOX_INBOX_ID, "", 3, 0);
	deliver(&pop, MBOX_INBOX_ID, "MAILER-DAEMON@example.org", 4, 0);
	deliver(&pop, MBOX_INBOX_ID, "carol@example.org", 5, MSG_DELETED);

	/* Now is the past: everything is young. */
	expire_policy_init(&fx.conf, (int64_t)time(NULL), &p);
	memset(&rep, 0, sizeof(rep));
	memset(&s, 0, sizeof(s));
	tap_is_int(expire_account(fx.store, &pop, &p, note, &s, &rep, &why), 0,
	    "young messages: ok");
	tap_is_int((long long)(rep.returned + rep.deleted), 0, "nothing goes");
	tap_is_int(rep.folders, 1, "INBOX scanned");

	/* 40 days on. */
	expire_policy_init(&fx.conf, (int64_t)time(NULL) + 40 * 86400, &p);
	p.dry_run = 1;
	memset(&rep, 0, sizeof(rep));
	expire_account(fx.store, &pop, &p, note, &s, &rep, &why);
	tap_is_int(rep.returned, 1, "dry run: one would be returned");
	tap_is_int(rep.deleted, 5, "dry run: five would go");
	tap_is_int(s.n[EXPIRE_NO_SENDER], 2, "dry run: null and MAILER-DAEMON");
	tap_is_int(count(&pop, MBOX_INBOX_ID), 5, "dry run: nothing removed");
	tap_is_int(stat(sent, &st) == 0, 0, "dry run: nothing sent");

	p.dry_run = 0;
	memset(&rep, 0, sizeof(rep));
	memset(&s, 0, sizeof(s));
	tap_is_int(expire_account(fx.store, &pop, &p, note, &s, &rep, &why), 0,
	    "run: ok");
	tap_is_int(rep.returned, 1, "one returned");
	tap_is_int(rep.deleted, 5, "all five deleted");
	tap_is_int(s.n[EXPIRE_RETURNED], 1, "told: returned");
	tap_is_int(s.n[EXPIRE_NO_SENDER], 2, "told: no sender");
	tap_is_int(s.n[EXPIRE_DELETED], 5, "told: deleted (each expunged)");
	tap_is_str(s.senders, "1:alice@example.org 3: 4:MAILER-DAEMON@example.org ",
	    "senders told");
	tap_is_int(count(&pop, MBOX_INBOX_ID), 0, "INBOX empty");
	tap_ok(stat(sent, &st) == 0 && st.st_size > 0, "the DSN went to SENDMAIL");
	/* Block-days count real time (t/250-bouncer.t ages the records). */
	usage_read(fx.store, "pop1", &u, NULL);
	tap_is_int((long long)u.message_count, 0, "message_count 0");
	tap_is_int((long long)u.quota_used, 0, "quota_used 0");

	/* IMAP: special-use folders stay. */
	fixture_account(&fx, "imap1", ACCT_IMAP, &imap);
	memset(&l, 0, sizeof(l));
	if (mboxlist_load(fx.store, &imap, &l, &why) == 0 &&
	    (sentbox = mboxlist_find(&l, "Sent")) != NULL)
		sent_id = sentbox->id;
	mboxlist_free(&l);
	tap_ok(sent_id != 0, "IMAP account has a Sent folder");
	deliver(&imap, MBOX_INBOX_ID, "", 10, 0);
	deliver(&imap, sent_id, "", 11, 0);
	memset(&rep, 0, sizeof(rep));
	expire_account(fx.store, &imap, &p, NULL, NULL, &rep, &why);
	tap_is_int(count(&imap, MBOX_INBOX_ID), 0, "IMAP INBOX expired");
	tap_is_int(count(&imap, sent_id), 1, "Sent left alone");
	free(why);
}

static void
test_lock(void)
{
	char *why = NULL;
	int fd = expire_lock(fx.store, &why), status = -1;
	pid_t pid;

	tap_ok(fd >= 0, "lock taken");
	pid = fork();
	if (pid == 0) {
		int fd2 = expire_lock(fx.store, NULL);

		_exit(fd2 < 0 && (errno == EWOULDBLOCK || errno == EAGAIN) ?
		    0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another process cannot take it: EWOULDBLOCK");
	expire_unlock(fd);
	fd = expire_lock(fx.store, &why);
	tap_ok(fd >= 0, "taken again after release");
	expire_unlock(fd);
	free(why);
	tap_is_str(expire_what_name(EXPIRE_KEPT), "kept", "what names");
	tap_is_str(expire_what_name(99), "?", "unknown what");
}

int
main(void)
{
	struct buf extra = BUF_INIT, sm = BUF_INIT, sent = BUF_INIT;

	buf_printf(&sm, "%s/sendmail", tap_tmpdir());
	buf_printf(&sent, "%s/sent", tap_tmpdir());
	buf_printf(&extra, "RETURN_AGE=30\nSENDMAIL=%s\n"
	    "HOSTNAME=mail.example.com\n", sm.data);
	{
		struct buf script = BUF_INIT;

		buf_printf(&script, "#!/bin/sh\ncat >> %s\n", sent.data);
		tap_write_file(sm.data, script.data);
		chmod(sm.data, 0755);
		buf_free(&script);
	}
	test_policy();
	test_applies();
	fixture_open(&fx, "expire", extra.data);
	test_account(sent.data);
	test_lock();
	fixture_close(&fx);
	buf_free(&extra);
	buf_free(&sm);
	buf_free(&sent);
	return tap_done();
}
