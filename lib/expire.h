/*
 * NAME
 *	expire - returning unread expired messages, deleting read ones
 * SYNOPSIS
 *	#include "expire.h"
 * DESCRIPTION
 *	bouncer(8) runs from cron and applies the site's message lifetime
 *	(RETURN_AGE, DELETE_READ_AGE, RETURN_IMAP in popstore.conf(5)) to
 *	every account it applies to: POP accounts, IMAP accounts too with
 *	RETURN_IMAP, never accounts served by another backend.
 *
 *	A message's age counts from when it entered its folder (the index
 *	record's save date; its internal date for a record without one),
 *	not from its internal date: migrated and APPENDed mail carries old
 *	internal dates, and must not expire the moment it arrives. Save
 *	dates grow with UIDs, so a folder's scan reads index records from
 *	the first and stops at the first one younger than the shorter of
 *	the two ages: the work is proportional to the expired messages,
 *	no message file is read except the header of one being returned.
 *	(A clock stepped back can delay an expiry until the older
 *	neighbours expire; it never makes one early.)
 *
 *	An unread message (no \Seen) older than RETURN_AGE days goes back
 *	to its envelope sender as a DSN (dsn.h, status 5.2.0) carrying its
 *	header; one with the null sender, or a sender dsn_may_return()
 *	refuses, is deleted without one. A read message older than
 *	DELETE_READ_AGE days (RETURN_AGE when that is 0) is deleted
 *	silently. An age of 0 means never. Folders with a special use
 *	(Drafts, Sent, Trash, Junk) are left alone: their mail was not
 *	sent to the owner.
 *
 *	Crash safety: each message is returned under its folder's lock in
 *	three durable steps: the MTA takes the DSN, the record gets
 *	\Deleted (synced), then the folder is expunged. A run that dies
 *	between the first two returns that one message again on the next
 *	run (at most one duplicate per crash, never a loss); after the
 *	second, the next run deletes it without another DSN, as it does
 *	with any unread \Deleted message past RETURN_AGE. A DSN the MTA
 *	refuses leaves the message in place for the next run.
 *
 *	Removing a message adds its storage block-days to the account's
 *	past_block_days (folder_expunge, usage_add_block_days).
 *
 *	expire_lock() keeps two runs from overlapping: the lock is the
 *	file bouncer.lock in the store's etc directory (store.h).
 * MEMORY
 *	Events point into the module's memory, valid during the callback.
 *	*why_r is allocated; the caller frees it.
 * ERRORS
 *	-1 with *why_r when the folder list or a folder cannot be read or
 *	expunged; the account's other folders are still processed.
 */
#ifndef POPSTORE_EXPIRE_H
#define POPSTORE_EXPIRE_H

#include <stdint.h>

struct acct;
struct conf;
struct store;

#define EXPIRE_DAY	86400	/* seconds in one day of RETURN_AGE */

/* What the site's settings say, at one instant. */
struct expire_policy {
	int64_t	 now;
	int64_t	 return_before;	/* unread saved before: return; 0 never */
	int64_t	 delete_before;	/* read saved before: delete; 0 never */
	int	 dry_run;	/* decide and tell, change nothing */
};

/* What happened to one message (or would, in a dry run). */
enum expire_what {
	EXPIRE_RETURNED,	/* DSN sent, message deleted */
	EXPIRE_NO_SENDER,	/* unread, null or refused sender: deleted */
	EXPIRE_DELETED,		/* read (or \Deleted): deleted */
	EXPIRE_KEPT		/* the DSN could not be sent: kept */
};

struct expire_event {
	const char	*account;
	const char	*folder;
	uint32_t	 uid;
	int		 what;		/* enum expire_what */
	const char	*sender;	/* envelope sender ("" = null), or NULL
					   when not looked up (deletions) */
	uint64_t	 size;
	int64_t		 saved;		/* when it entered the folder */
	const char	*why;		/* EXPIRE_KEPT: the MTA's failure */
};

typedef void expire_fn(void *ctx, const struct expire_event *ev);

struct expire_report {
	unsigned long	 folders;	/* folders scanned */
	unsigned long	 returned;	/* DSNs the MTA took */
	unsigned long	 deleted;	/* messages removed (all kinds) */
	unsigned long	 kept;		/* could not be returned, kept */
	uint64_t	 bytes;		/* bytes removed */
};

/*
 * The policy of conf at time now: return_before = now - RETURN_AGE
 * days, delete_before = now - DELETE_READ_AGE days (RETURN_AGE when 0);
 * 0 for an age of 0. dry_run is cleared. Returns 1 when anything can
 * expire, 0 when both ages are 0.
 */
int expire_policy_init(const struct conf *c, int64_t now,
    struct expire_policy *p);

/*
 * 1 when bouncer applies to account a: a POP account, or an IMAP
 * account with RETURN_IMAP, whose mail is on this machine (no backend).
 */
int expire_applies(const struct conf *c, const struct acct *a);

/*
 * Apply p to every folder of account a (except special-use ones),
 * telling fn (may be NULL) about each message, and adding to *rep
 * (which the caller zeroes). 0, or -1 with *why_r naming the first
 * folder that failed.
 */
int expire_account(struct store *s, const struct acct *a,
    const struct expire_policy *p, expire_fn *fn, void *ctx,
    struct expire_report *rep, char **why_r);

/*
 * Take the bouncer lock without waiting: the descriptor, or -1 with
 * errno EWOULDBLOCK when another run holds it (or another error).
 */
int expire_lock(struct store *s, char **why_r);

/* Release it (-1 is ignored). */
void expire_unlock(int fd);

/* "returned", "no-sender", "deleted", "kept". */
const char *expire_what_name(int what);

#endif
