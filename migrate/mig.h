/* migrate - private declarations shared by main.c, user.c and source.c. */
#ifndef MIGRATE_MIG_H
#define MIGRATE_MIG_H

#include <stdint.h>
#include <sys/types.h>

#include "migrate.h"

struct acct;
struct buf;
struct store;

#define MIG_DELIVER	"/usr/sbin/deliver"

enum pw_mode { PW_ELSEWHERE, PW_CRYPT };

/* One run's settings. */
struct mig {
	struct store	*s;
	int		 dry;		/* -n */
	int		 verbose;	/* -v: progress */
	int		 mboxrd;	/* -r */
	int		 type;		/* -t: account type, -1 the default's */
	int		 pw;		/* enum pw_mode */
	const char	*mbox_dir;	/* -m */
	const char	*maildir_base;	/* -M, NULL: ~USER/Maildir */
	int		 forward;	/* -f: write ~USER/.forward */
	const char	*home_base;	/* -H, NULL: the user's home */
	int		 pop_to_imap;	/* -I: arguments are POP accounts */
	uid_t		 store_uid;	/* STORE_USER when running as root */
	gid_t		 store_gid;
	int		 switch_ids;
	unsigned long	 errors;
	unsigned long	 unsynced;	/* stored since the last store_sync */
};

/* Counts of one source of one user. */
struct tally {
	unsigned long	 found;		/* messages in the source */
	unsigned long	 added;		/* migrated now (or would be: -n) */
	unsigned long	 present;	/* already in the store */
};

/* What a source migration needs about its target. */
struct target {
	struct mig		*m;
	const char		*user;
	const struct acct	*a;		/* NULL: not created yet (-n) */
	struct migrate_uidls	 have;		/* UIDLs in the INBOX */
	struct migrate_uidls	 src;		/* UIDLs of the sources */
};

/* Run as the store's user / as the invoking user (root). */
void mig_as_store(struct mig *m);
void mig_as_invoker(struct mig *m);

/*
 * Migrate the mailbox at path / the Maildir at dir to t. 0 (also when
 * there is none: t->found stays 0), or -1 with *why_r.
 */
int source_mbox(struct target *t, const char *path, struct tally *n,
    char **why_r);
int source_maildir(struct target *t, const char *dir, struct tally *n,
    char **why_r);

/*
 * Messages are stored in batch mode (delivery_set_batch): make them
 * durable every MIG_SYNC_EVERY messages and before a user's result.
 * 0, or -1 with *why_r.
 */
#define MIG_SYNC_EVERY	2000
int mig_sync(struct mig *m, char **why_r);

/* Migrate one login user; prints the report line. 0 or -1. */
int user_migrate(struct mig *m, const char *user);

/* The pipe that hands mail to the store: "|/usr/sbin/deliver CANON". */
void forward_line(const char *canon, struct buf *out);

/*
 * -f: write the user's .forward with forward_line (as the user, mode
 * 0644, atomically); an existing one with other contents is kept (and
 * said so on standard error). What happened is appended to result.
 * 0, or -1 with *why_r.
 */
int forward_set(struct mig *m, const char *user, const char *canon,
    struct buf *result, char **why_r);

/* -I: make the POP account name an IMAP one; prints its report line. */
int popimap_convert(struct mig *m, const char *name);

#endif
