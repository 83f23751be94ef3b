/*
 * NAME
 *	subs - an account's IMAP subscriptions (LSUB, LIST (SUBSCRIBED))
 * DESCRIPTION
 *	The subscribed folder names of an account are kept in the file
 *	`subscriptions` of its mail directory (popstore(5)): a kvfile of
 *	kind "subscriptions" with fields s0, s1, ... each holding one name
 *	as the user sees it (UTF-8, '/' between levels, "Other Users/..."
 *	and "Public Folders/..." included). A name may be subscribed that
 *	does not exist (RFC 3501 6.3.6). Changes replace the file
 *	atomically under the account lock.
 * MEMORY
 *	struct subs owns its names; subs_free() releases them.
 */
#ifndef POPSTORE_SUBS_H
#define POPSTORE_SUBS_H

#include <stddef.h>

struct acct;
struct store;

#define SUBS_MAX	10000	/* subscriptions per account */

struct subs {
	char	**names;
	size_t	 n;
};

/* Read the account's subscriptions (none when the file is missing). 0/-1. */
int subs_load(struct store *s, const struct acct *a, struct subs *l,
    char **why_r);

/* 1 when name is subscribed (INBOX in any case), else 0. */
int subs_has(const struct subs *l, const char *name);

/*
 * Subscribe (on != 0) or unsubscribe name. Subscribing twice and
 * unsubscribing a name not subscribed are no-ops. 0, or -1 with *why_r
 * (also past SUBS_MAX).
 */
int subs_change(struct store *s, const struct acct *a, const char *name,
    int on, char **why_r);

void subs_free(struct subs *l);

#endif
