/*
 * NAME
 *	acctmove - move an account to another partition or another store
 * DESCRIPTION
 *	acctmove_partition() moves one account's mail subtree
 *	(PART/HH/hh/NAME/, store.h) to another partition while deliver,
 *	pop3d and imapd keep running:
 *
 *	1. It takes every folder lock of the account (in path order), then
 *	   the account lock (the lock order of folder.h), and checks under
 *	   them that the folder list and the profile's partition did not
 *	   change. Writers of the account wait (lock_timeout); a POP3
 *	   session holding its maildrop makes the move fail with a lock
 *	   timeout instead.
 *	2. It copies the subtree to NEWPART/HH/hh/.deleted.T.PID.NAME: each
 *	   file is hard-linked when both partitions are on one file system,
 *	   else copied (mode and times kept, hard links inside the account
 *	   kept) and fsynced; every directory is fsynced. The copy is then
 *	   compared with the original (names, sizes) and renamed to
 *	   NEWPART/HH/hh/NAME.
 *	3. It switches the profile's partition (acct_save: a new profile
 *	   renamed over the old one). This rename is the commit point.
 *	4. It renames the old subtree to OLDPART/HH/hh/.deleted.T.PID.NAME,
 *	   leaves a small regular file at the old name (a tombstone: a
 *	   process still holding the old profile then fails with ENOTDIR,
 *	   which deliver answers with a temporary failure, instead of
 *	   creating a new empty account there), removes the old subtree and
 *	   releases the locks.
 *
 *	Crashes: before step 3 the profile names the old partition, which
 *	stays authoritative; the copy in progress is a .deleted. directory
 *	that reconstruct removes. Between the rename of step 2 and step 3 a
 *	complete copy sits at NEWPART/HH/hh/NAME, unused; the next move of
 *	the account to that partition replaces it. After step 3 the new
 *	partition is authoritative; the old subtree is a .deleted.
 *	directory reconstruct removes. A tombstone, or a copy left from an
 *	interrupted move, at the target is removed when a move starts.
 *
 *	Sessions that had a folder of the account open before the move
 *	see errors for it (their files are gone) and must log in again.
 * MEMORY
 *	Nothing allocated except *why_r on error (the caller frees).
 */
#ifndef POPSTORE_ACCTMOVE_H
#define POPSTORE_ACCTMOVE_H

struct recon;
struct store;

struct acctmove_stats {
	unsigned long	files;		/* regular files moved */
	unsigned long	linked;		/* of them: hard-linked, not copied */
	unsigned long	dirs;
	unsigned long long bytes;
};

/*
 * Move the mail of account name (canonical) to the configured
 * partition `partition`, as described above. 0 (also when the account
 * is already there: nothing is done), or -1 with errno and *why_r:
 * ENOENT no such account, EINVAL the partition is not configured,
 * EWOULDBLOCK a lock timeout (try again), other errnos from the file
 * system. On -1 the account is still on its old partition. Once the
 * profile is switched the move succeeds: a failure to remove the old
 * copy is logged (account_move_cleanup) and left to reconstruct.
 * stats_r may be NULL.
 */
int acctmove_partition(struct store *s, const char *name,
    const char *partition, struct acctmove_stats *stats_r, char **why_r);

/*
 * Write account name's profile tree and mail subtree, taken under the
 * same locks as a move (so a consistent copy), to file as a tar(1)
 * archive made by running tar (no shell):
 *
 *	./popstore-export	a kvfile "popstore-export 1": account,
 *				partition (the one it came from)
 *	./profile/		the profile directory (profile, usage, ...)
 *	./mail/			the mail directory (mailboxes, f<ID>/...)
 *
 * Files are in the store's own formats, which are platform independent
 * (popstore(5)). 0, or -1 with errno and *why_r.
 */
int acctmove_export(struct store *s, const char *name, const char *file,
    char **why_r);

/*
 * Create the account of an export file on this store, its mail on
 * partition, keeping UIDs, UIDVALIDITY, flags and everything else in
 * the files; the profile's backend is cleared (this machine). Then the
 * account is checked and repaired as reconstruct(8) would (recon_account
 * with rc, which reports through rc->report). *name_r is set to the
 * account's name (allocated, the caller frees) once it exists. 0, or -1
 * with errno and *why_r: EEXIST the account or its mail directory
 * exists, EINVAL not an export or a bad name.
 */
int acctmove_import(struct store *s, const char *file, const char *partition,
    struct recon *rc, char **name_r, char **why_r);

#endif
