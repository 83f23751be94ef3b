/*
 * NAME
 *	purge - deleting an account's messages, returning them to their
 *	senders first when asked
 * SYNOPSIS
 *	#include "purge.h"
 * DESCRIPTION
 *	An administrator deletes messages (popmgr delete -messages, the web
 *	management interface) with or without returning them. A returned
 *	message goes back to its envelope sender as a DSN (dsn.h) saying it
 *	was deleted unread (5.2.0), or, when the whole account goes, that
 *	the mailbox was closed (5.2.1); the DSN carries the message's
 *	header, never its body.
 *
 *	purge_account() returns the unread messages: those not \Seen and
 *	not \Deleted in folders without a special use (mail the owner never
 *	saw, not drafts, sent mail, trash or junk: returning spam would be
 *	backscatter). purge_uids() returns every message it was given: an
 *	administrator chose them one by one.
 *
 *	A message that should be returned but cannot be (the MTA refuses)
 *	is kept, so that nothing is lost; the caller hears of each through
 *	its fail callback. A message to the null sender is deleted without
 *	a DSN. Messages that arrive while a folder is purged stay.
 * MEMORY
 *	*why_r is allocated; the caller frees it.
 * ERRORS
 *	-1 with *why_r (naming the folder) when a folder cannot be opened
 *	or expunged; the other folders are still purged.
 */
#ifndef POPSTORE_PURGE_H
#define POPSTORE_PURGE_H

#include <stddef.h>
#include <stdint.h>

struct acct;
struct store;

struct purge_report {
	unsigned long	 deleted;	/* messages removed */
	unsigned long	 returned;	/* DSNs the MTA took */
	unsigned long	 kept;		/* could not be returned, kept */
};

/*
 * Told of each message kept because it could not be returned: why
 * names its folder and UID; temporary says a later try may work.
 */
typedef void purge_fail_fn(void *ctx, const char *why, int temporary);

/*
 * Delete every message of account a, returning unread ones first when
 * do_return (account_gone: the account is being deleted). 0 when all
 * went, 1 when some were kept (fail, which may be NULL, was told),
 * -1 with *why_r for a folder error (the first one). *rep is set.
 */
int purge_account(struct store *s, const struct acct *a, int do_return,
    int account_gone, purge_fail_fn *fail, void *ctx,
    struct purge_report *rep, char **why_r);

/*
 * Delete the messages uids[0..n) of folder folder_id of a, returning
 * each first when do_return. With uidvalidity not 0 the folder's must
 * match, else nothing is done (-1, errno ESTALE). UIDs not in the
 * folder are ignored. Returns as purge_account().
 */
int purge_uids(struct store *s, const struct acct *a, uint32_t folder_id,
    uint32_t uidvalidity, const uint32_t *uids, size_t n, int do_return,
    purge_fail_fn *fail, void *ctx, struct purge_report *rep, char **why_r);

#endif
