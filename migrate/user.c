/*
 * One login user: find or create the account, migrate the mailbox and
 * the Maildir, check that every source message is in the INBOX, set
 * MIGRATED, and print the user's report line.
 */
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "file.h"
#include "log.h"
#include "mboxlist.h"
#include "mig.h"
#include "name.h"
#include "store.h"

/* The password of a new account: the shadow hash, or checked elsewhere. */
static void
set_password(struct mig *m, const char *user, struct acct *a)
{
	struct spwd *sp;

	if (m->pw == PW_CRYPT && (sp = getspnam(user)) != NULL &&
	    sp->sp_pwdp[0] == '$' && strlen(sp->sp_pwdp) < sizeof(a->password)) {
		snprintf(a->password, sizeof(a->password), "%s", sp->sp_pwdp);
		return;
	}
	a->flags |= ACCT_PWD_ELSEWHERE;
}

/*
 * Load or create the account; 1 existed, 0 created (or would be: -n,
 * *a zeroed but for its name), -1 with *why_r.
 */
static int
account(struct mig *m, const char *user, const char *canon, struct acct *a,
    char **why_r)
{
	int rc;

	mig_as_store(m);
	rc = acct_load(m->s, canon, a, why_r);
	if (rc == 0 && !m->dry && (rc = acct_from_default(m->s, canon, a,
	    why_r)) == 0) {
		if (m->type >= 0)
			a->type = m->type;
		a->flags |= ACCT_MIGRATED;
		set_password(m, user, a);
		rc = acct_create(m->s, a, why_r);
		if (rc == 0)
			log_event(LOG_NOTICE, "account_add", "account", canon,
			    "by", "migrate", NULL);
	} else if (rc == 0) {
		memset(a, 0, sizeof(*a));
		snprintf(a->name, sizeof(a->name), "%s", canon);
	}
	mig_as_invoker(m);
	return rc;
}

/* The user's Maildir: -M DIR/USER, else ~USER/Maildir. */
static int
maildir_path(struct mig *m, const char *user, struct buf *out)
{
	struct passwd *pw;

	if (m->maildir_base) {
		buf_printf(out, "%s/%s", m->maildir_base, user);
		return 1;
	}
	if ((pw = getpwnam(user)) == NULL || pw->pw_dir == NULL)
		return 0;
	buf_printf(out, "%s/Maildir", pw->pw_dir);
	return 1;
}

/* Every source UIDL must now be in the INBOX: -1 when one is not. */
static int
verify(struct mig *m, struct target *t, char **why_r)
{
	struct migrate_uidls now;
	unsigned long missing = 0;
	size_t i;

	mig_as_store(m);
	if (migrate_uidls_load(m->s, t->a, MBOX_INBOX_ID, &now, why_r) < 0) {
		mig_as_invoker(m);
		return -1;
	}
	mig_as_invoker(m);
	for (i = 0; i < t->src.n; i++)
		missing += !migrate_uidls_has(&now, t->src.v[i]);
	migrate_uidls_free(&now);
	if (missing)
		return file_whyf(why_r, "%lu of %zu messages are not in the "
		    "store after migration", missing, t->src.n);
	return 0;
}

static void
report(struct mig *m, const char *user, const char *canon, int existed,
    const char *mbox, const struct tally *a, const char *md,
    const struct tally *b, const struct buf *fwd)
{
	struct buf line = BUF_INIT;

	forward_line(canon, &line);
	printf("%s -> %s: %s; mbox %s: %lu found, %lu %s, %lu already "
	    "there; maildir %s: %lu found, %lu %s, %lu already there; "
	    "alias: %s: %s; %s%s%sok\n", user, canon,
	    existed ? "account exists" : m->dry ? "account would be created" :
	    "account created", mbox, a->found, a->added,
	    m->dry ? "to migrate" : "migrated", a->present, md ? md : "-",
	    b->found, b->added, m->dry ? "to migrate" : "migrated", b->present,
	    user, line.data, fwd->len ? "forward: " : "",
	    fwd->len ? fwd->data : "", fwd->len ? "; " : "");
	fflush(stdout);
	buf_free(&line);
}

/* Mark the account migrated once its mail is in. */
static int
mark(struct mig *m, struct acct *a, char **why_r)
{
	int rc = 0;

	if (m->dry || (a->flags & ACCT_MIGRATED))
		return 0;
	a->flags |= ACCT_MIGRATED;
	mig_as_store(m);
	rc = acct_save(m->s, a, why_r);
	mig_as_invoker(m);
	return rc;
}

static int
run_sources(struct mig *m, struct target *t, int existed, const char *mbox,
    const char *md, struct tally *a, struct tally *b, char **why_r)
{
	int rc = 0;

	if (existed) {
		mig_as_store(m);
		rc = migrate_uidls_load(m->s, t->a, MBOX_INBOX_ID, &t->have,
		    why_r);
		mig_as_invoker(m);
	}
	if (rc < 0 || source_mbox(t, mbox, a, why_r) < 0 ||
	    (md && source_maildir(t, md, b, why_r) < 0))
		return -1;
	if (a->found + b->found != a->added + a->present + b->added +
	    b->present)
		return file_whyf(why_r, "messages in and out differ");
	if (m->dry)
		return 0;
	if (mig_sync(m, why_r) < 0)
		return -1;
	return verify(m, t, why_r);
}

static void
log_result(struct mig *m, const char *user, const struct tally *a,
    const struct tally *b, int rc)
{
	char found[24], added[24], present[24];

	snprintf(found, sizeof(found), "%lu", a->found + b->found);
	snprintf(added, sizeof(added), "%lu", a->added + b->added);
	snprintf(present, sizeof(present), "%lu", a->present + b->present);
	log_event(rc == 0 ? LOG_NOTICE : LOG_WARNING, "migrate", "user", user,
	    "found", found, "migrated", added, "present", present, "dry_run",
	    m->dry ? "1" : "0", "result", rc == 0 ? "ok" : "error", NULL);
}

int
user_migrate(struct mig *m, const char *user)
{
	struct buf canon = BUF_INIT, mbox = BUF_INIT, md = BUF_INIT;
	struct buf fwd = BUF_INIT;
	struct tally a = { 0, 0, 0 }, b = { 0, 0, 0 };
	struct target t;
	struct acct acct;
	char *why = NULL;
	int existed = 0, rc = -1;

	memset(&t, 0, sizeof(t));
	memset(&acct, 0, sizeof(acct));
	t.m = m;
	t.user = user;
	t.a = &acct;
	buf_printf(&mbox, "%s/%s", m->mbox_dir, user);
	if (strchr(user, '/') || user[0] == '.' || user[0] == '\0') {
		(void)file_whyf(&why, "not a login name");
		goto out;
	}
	if (name_canon(m->s->conf, "", user, &canon, &why) < 0 ||
	    (existed = account(m, user, canon.data, &acct, &why)) < 0)
		goto out;
	if (run_sources(m, &t, existed, mbox.data, maildir_path(m, user, &md) ?
	    md.data : NULL, &a, &b, &why) < 0 || mark(m, &acct, &why) < 0 ||
	    (m->forward && forward_set(m, user, canon.data, &fwd, &why) < 0))
		goto out;
	rc = 0;
out:
	if (rc == 0)
		report(m, user, canon.data, existed, mbox.data, &a,
		    md.len ? md.data : NULL, &b, &fwd);
	else {
		fprintf(stderr, "migrate: %s: %s\n", user, why ? why :
		    "failed");
		log_event(LOG_ERR, "migrate_failed", "user", user, "why", why,
		    NULL);
		m->errors++;
	}
	log_result(m, user, &a, &b, rc);
	acct_wipe(&acct);
	free(why);
	buf_free(&canon);
	buf_free(&mbox);
	buf_free(&md);
	buf_free(&fwd);
	migrate_uidls_free(&t.have);
	migrate_uidls_free(&t.src);
	return rc;
}
