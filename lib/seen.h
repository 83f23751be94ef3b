/*
 * NAME
 *	seen - per-user \Seen state of shared and public folders
 * DESCRIPTION
 *	In a folder the user does not own (another user's, shared through
 *	its ACL, or a public folder), \Seen belongs to each reader: it is
 *	kept in the folder directory in `seen.NAME` (NAME the user's
 *	canonical name encoded as in the fanout tree), a kvfile of kind
 *	"seen" whose field `uids` is an IMAP UID set ("1:5,7"). The
 *	message records' own \Seen flag is the owner's.
 *
 *	A session loads the set once, changes it in memory and saves at
 *	the end of a command: the save re-reads the file under the folder
 *	lock and applies only this session's changes, so two sessions of
 *	one user do not lose each other's changes. UIDs of expunged
 *	messages are dropped on save.
 * MEMORY
 *	struct seen owns its ranges; seen_free() releases them. Its size is
 *	proportional to the number of runs of seen UIDs.
 */
#ifndef POPSTORE_SEEN_H
#define POPSTORE_SEEN_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct folder;

struct seen_set {
	uint32_t *r;		/* lo, hi pairs, sorted and disjoint */
	size_t	 n, cap;	/* pairs */
};

struct seen {
	char	*user;
	struct seen_set set;	/* the current view */
	struct seen_set add, del;	/* changes not saved yet */
};

/* Load user's set for folder f. 0, or -1 with *why_r. */
int seen_load(struct folder *f, const char *user, struct seen *s,
    char **why_r);

/* 1 when uid is seen. */
int seen_has(const struct seen *s, uint32_t uid);

/* Mark uid seen (on) or unseen. */
void seen_mark(struct seen *s, uint32_t uid, int on);

/* 1 when changes wait for seen_save(). */
int seen_dirty(const struct seen *s);

/* Merge the changes into the file under the folder lock. 0 or -1. */
int seen_save(struct folder *f, struct seen *s, char **why_r);

void seen_free(struct seen *s);

/* Set operations, for callers that keep UID sets (exported for tests). */
int seen_set_has(const struct seen_set *set, uint32_t uid);
void seen_set_add(struct seen_set *set, uint32_t uid);
void seen_set_del(struct seen_set *set, uint32_t uid);
/* Parse "1:5,7" (ascending or not); -1 on bad syntax. */
int seen_set_parse(struct seen_set *set, const char *text);
void seen_set_format(const struct seen_set *set, struct buf *out);
void seen_set_free(struct seen_set *set);

#endif
