/*
 * NAME
 *	recon - check and rebuild the store from its message files
 * DESCRIPTION
 *	What reconstruct(8) does, as library calls. Every check compares
 *	derived data with what it derives from: folder indexes and caches
 *	with the message files (keeping UIDs, flags, dates and modseqs from
 *	whatever part of the old index is still readable), folder lists with
 *	the folder directories, account counters with the folders, and the
 *	management databases with the profile tree, group and forwarding
 *	files. Each inconsistency found is reported through the callback,
 *	one line each, and fixed unless the report says check only. A
 *	consistent store produces no report at all.
 *
 *	Rules for message files without a record: a UID at or above the
 *	folder's UIDNEXT was linked by a delivery that died before its
 *	record, and is indexed; a UID below it that the expunge log lists is
 *	a leftover of an expunge, and is removed; any other is indexed (its
 *	record was damaged or the index lost).
 *
 *	Everything runs under the same locks as the servers and deliver, so
 *	reconstruct can run while they do.
 * MEMORY
 *	Working memory grows with one folder's message count while that
 *	folder is checked; nothing is retained.
 */
#ifndef POPSTORE_RECON_H
#define POPSTORE_RECON_H

#include <stdint.h>

struct acct;
struct store;

struct recon {
	int		 check_only;
	unsigned long	 problems;	/* inconsistencies reported */
	unsigned long	 errors;	/* checks that could not run */
	/* One line per inconsistency: where ("jdoe/INBOX"), what. */
	void		(*report)(void *ctx, const char *where, const char *what);
	void		*ctx;
};

/* One folder of an account, by ID. Adds to *msgs_r and *bytes_r (may be
 * NULL) what it holds afterwards. 0, or -1 with *why_r. */
int recon_folder(struct store *s, const struct acct *a, uint32_t id,
    struct recon *rc, uint64_t *msgs_r, uint64_t *bytes_r, char **why_r);

/* The folder list of an account against its folder directories. */
int recon_mailboxes(struct store *s, const struct acct *a, struct recon *rc,
    char **why_r);

/* A whole account: folder list, every folder, counters. */
int recon_account(struct store *s, const char *name, struct recon *rc,
    char **why_r);

/* The whole store: every account, the databases, debris in tmp and of
 * interrupted deletions. */
int recon_store(struct store *s, struct recon *rc, char **why_r);

#endif
