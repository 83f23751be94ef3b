/*
 * NAME
 *	delivery - store one message in one or more folders, durably
 * DESCRIPTION
 *	Every message enters the store through a delivery: deliver's pipe
 *	and LMTP modes, IMAP APPEND, migrate. The message is written once
 *	to a partition's tmp directory, parsed once (mime.h) for the cache,
 *	and hard-linked into every target folder as UID.eml: one copy on
 *	disk whatever the number of recipients on that partition (a copy per
 *	other partition).
 *
 *	delivery_commit() follows the order that makes a crash lose nothing
 *	and show nothing partial (popstore(5), DESIGN.md):
 *
 *	 1. the message file is complete in tmp;
 *	 2. under each target folder's lock (taken in path order), UID =
 *	    UIDNEXT and the file is linked as UID.eml (an existing UID.eml
 *	    is a file linked by a delivery that died before its index
 *	    record: it is adopted first);
 *	 3. the file's data and the new directory entries are made durable;
 *	 4. the index and cache records and the folder state are appended,
 *	    the account counters updated: message_count and quota_used are
 *	    set from the folders (folder_totals), not incremented, so what
 *	    a killed delivery left uncounted is counted by the next one;
 *	 5. those are made durable; only then is a target reported stored.
 *
 *	Syncing (SYNC_MODE): fsync of every file and directory involved, or
 *	syncfs(2) of each file system once per step. "auto" uses fsync for
 *	one target and syncfs for more, so the cost of a delivery does not
 *	grow with its recipients.
 *
 *	Each target succeeds or fails on its own (LMTP answers per
 *	recipient). A target that fails after its link is undone: its file
 *	is unlinked and, when its record was already appended (a failed
 *	sync or counter update), the record is expunged again, so a failed
 *	target never shows up later as well as in the MTA's retry.
 * MEMORY
 *	delivery_begin() allocates; delivery_free() releases everything and
 *	removes the tmp files. Target results live until then.
 */
#ifndef POPSTORE_DELIVERY_H
#define POPSTORE_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

struct acct;
struct store;
struct delivery;

struct delivery_target {
	char	 account[80];
	uint32_t folder_id;
	uint32_t flags;			/* MSG_* for the new record */
	char	**keywords;		/* keyword names for the new record */
	size_t	 nkeywords;
	int	 status;		/* 1 stored, 0 not yet, -1 failed */
	int	 err;			/* errno of a failure */
	char	*why;			/* text of a failure */
	uint32_t uid;			/* when stored */
	uint32_t uidvalidity;
};

/* Start a delivery with envelope sender (NULL or "" for <>). */
int delivery_begin(struct store *s, const char *sender, struct delivery **d_r,
    char **why_r);

/* Append message bytes exactly as given (CRLF line ends expected). */
int delivery_write(struct delivery *d, const void *p, size_t n, char **why_r);

/*
 * Append message bytes turning bare LF into CRLF (CRLF stays, a lone CR
 * stays); line ends may be split across calls.
 */
int delivery_write_lf(struct delivery *d, const void *p, size_t n,
    char **why_r);

/*
 * The message is complete: flush it and parse it. -1 on I/O errors or
 * when it exceeds MAX_MESSAGE_SIZE (errno EFBIG).
 */
int delivery_end_data(struct delivery *d, char **why_r);

/* Size of the message as stored (valid after delivery_end_data). */
uint64_t delivery_size(const struct delivery *d);

/* Internal date and zone for the records (default: now, local zone). */
void delivery_set_date(struct delivery *d, int64_t when, int tzoff_minutes);

/* A POP3 UIDL to keep (migration); NULL for the default. */
void delivery_set_uidl(struct delivery *d, const char *uidl);

/*
 * Batch mode (migrate): skip every fsync of the delivery (the message
 * data before its link, steps 3 and 5) and mark the store dirty instead
 * (store.h), so a target is reported stored before it is durable. The
 * caller must store_sync() before it reports the messages stored; a
 * crash before that may lose the newest messages, or leave message
 * files (possibly short) without index records, which reconstruct
 * indexes. So it is only for a source that stays in place and a caller
 * that can tell what is already stored (migrate's UIDLs). Off by
 * default; deliver never sets it.
 */
void delivery_set_batch(struct delivery *d, int on);

/*
 * Add a target folder of an account with initial flags (MSG_SEEN etc).
 * Adding the same folder twice returns the same target.
 */
struct delivery_target *delivery_add(struct delivery *d, const struct acct *a,
    uint32_t folder_id, uint32_t flags);

/*
 * Give the record of target t the IMAP keyword name as well (Sieve's
 * imap4flags). The folder's keyword table (folder.h) gets the name
 * when the message is stored; a folder that has no room for another
 * keyword stores the message without it. Names are added once (any
 * case).
 */
void delivery_add_keyword(struct delivery_target *t, const char *name);

/* Number of targets and target i. */
size_t delivery_count(const struct delivery *d);
struct delivery_target *delivery_target(struct delivery *d, size_t i);

/*
 * Store the message in every target not stored yet. Returns the number
 * stored; each target's status says how it went. -1 only when nothing
 * could be attempted (with *why_r).
 */
int delivery_commit(struct delivery *d, char **why_r);

/*
 * Take a stored target back (expunge its record and file again): for a
 * caller that must give one answer for all targets, such as deliver's
 * pipe mode after another target failed, so that the MTA's retry of the
 * whole message stores nothing twice. The UID stays used; the target's
 * status becomes 0. 0, or -1 with *why_r (the copy stays).
 */
int delivery_undo(struct delivery *d, struct delivery_target *t,
    char **why_r);

/*
 * The message file in tmp, readable with pread from offset 0, valid
 * after delivery_end_data() until delivery_free(): to hand the stored
 * bytes on (forwarding through sendmail.h).
 */
int delivery_fd(const struct delivery *d);

/* Remove the tmp files and free. */
void delivery_free(struct delivery *d);

/*
 * Parse a stored message file and build its cache payload, header
 * length, body line count and MSG_NEEDS_STUFFING flag (for adoption by
 * delivery and for reconstruct). 0 or -1.
 */
struct buf;
int delivery_parse_fd(int fd, const char *sender, struct buf *payload,
    uint32_t *header_len_r, uint32_t *body_lines_r, uint32_t *flags_r,
    uint64_t *size_r, char **why_r);

#endif
