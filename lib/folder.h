/*
 * NAME
 *	folder - one folder: index, state, cache and message files
 * DESCRIPTION
 *	A folder directory (mboxlist.h) holds:
 *
 *	UID.eml	 the message files, named by UID: exactly the bytes an IMAP
 *		 client receives (CRLF), hard-linked when the same message is
 *		 in several folders (the link count is the reference count);
 *	index	 a 128-byte header then one 128-byte record per message in
 *		 UID order: record N (0-based) is at 128 + 128 N. A record
 *		 holds UID, flags, keywords, modseq, internal and save dates,
 *		 size, header length, body lines, the cache offset and length,
 *		 and a CRC-32C. Records change in place (flags); the whole
 *		 index is rewritten (write new, rename) only by expunge;
 *	state	 an rlog ("FSTA") of the counters: UIDNEXT, HIGHESTMODSEQ,
 *		 messages, unseen, deleted, bytes, the first \Recent UID;
 *	cache.G	 append-only records (length, CRC-32C, payload) holding what
 *		 delivery pre-computed: the MIME information (mime.h) and
 *		 delivery facts (envelope sender, POP3 UIDL);
 *	expunged an append-only log of (UID, modseq) of expunged messages,
 *		 for QRESYNC and for sessions catching up;
 *	keywords the folder's keyword names (bit N of a record's keywords);
 *	lock	 the folder lock (lock.h).
 *
 *	Sessions open a folder and see a snapshot: appends by others show up
 *	at folder_refresh(); an expunge by another session replaces the
 *	index file, which this session keeps reading (through its open
 *	descriptor) until it refreshes and learns which UIDs went away.
 *	Reading needs no lock and reads only the header: no per-message work
 *	at open, and memory does not grow with the folder.
 *
 *	Lock order: folder locks (by path order when several), then an
 *	account lock (acct_lock) innermost and briefly.
 * MEMORY
 *	folder_open() allocates; folder_close() frees. Records are copied
 *	into caller structs.
 */
#ifndef POPSTORE_FOLDER_H
#define POPSTORE_FOLDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct acct;
struct buf;
struct store;

#define FOLDER_HDR_SIZE		128
#define FOLDER_REC_SIZE		128
#define FOLDER_KEYWORDS_MAX	64

/* System flags (IMAP) in msgrec.flags. */
#define MSG_SEEN		0x0001
#define MSG_ANSWERED		0x0002
#define MSG_FLAGGED		0x0004
#define MSG_DELETED		0x0008
#define MSG_DRAFT		0x0010
#define MSG_SYSFLAGS		0x001f
/* Facts recorded at delivery. */
#define MSG_NEEDS_STUFFING	0x0100	/* a line starts with '.' (POP3) */
#define MSG_HAS_UIDL		0x0200	/* the cache holds a POP3 UIDL */

struct msgrec {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords;
	uint64_t modseq;
	int64_t	 internaldate;		/* seconds since the epoch, UTC */
	int16_t	 tzoff;			/* minutes east of UTC */
	int64_t	 savedate;		/* when it entered this folder */
	uint64_t size;			/* the file's size: RFC822.SIZE */
	uint32_t header_len;
	uint32_t body_lines;
	uint64_t cache_off;
	uint32_t cache_len;
};

struct folder_state {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t exists;
	uint32_t unseen;
	uint32_t deleted;
	uint32_t recent_uid;		/* UIDs >= this are \Recent */
	uint64_t bytes;
	uint32_t first_unseen_uid;	/* 0 = none */
	uint32_t index_gen;
	uint64_t cache_dead;		/* cache bytes no record uses */
};

struct folder;

#define FOLDER_RDONLY		0x01

/*
 * Open folder `name` of account a. 1 opened, 0 no such folder, -1
 * error. The INBOX and default folders are created on first use.
 */
int folder_open(struct store *s, const struct acct *a, const char *name,
    int flags, struct folder **f_r, char **why_r);

/* Open by folder ID (as found in struct mbox). Same returns. */
int folder_open_id(struct store *s, const struct acct *a, uint32_t id,
    int flags, struct folder **f_r, char **why_r);

void folder_close(struct folder *f);

/*
 * The messages and bytes of all of an account's folders as sessions see
 * them (each folder's state): what the account's counters must say.
 * Takes no lock and creates nothing (an account without a folder list
 * holds 0). 0, or -1 with *why_r.
 */
int folder_totals(struct store *s, const struct acct *a, uint64_t *msgs_r,
    uint64_t *bytes_r, char **why_r);

/* The state as of the last open or refresh. */
const struct folder_state *folder_state(const struct folder *f);

/* Messages in this session's view. */
uint32_t folder_count(const struct folder *f);

/* The folder's name and ID. */
const char *folder_name(const struct folder *f);
uint32_t folder_id(const struct folder *f);

/*
 * Record seq (0-based) of the view. 1 read, 0 seq out of range, -1 on a
 * damaged record (CRC mismatch: reported, never served) or I/O error.
 */
int folder_record(struct folder *f, uint32_t seq, struct msgrec *r,
    char **why_r);

/* 0-based position of uid in the view: 1 found, 0 not, -1 error. */
int folder_find_uid(struct folder *f, uint32_t uid, uint32_t *seq_r,
    char **why_r);

/* Position of the first message with UID >= uid (count if none). */
int folder_seq_at_or_after(struct folder *f, uint32_t uid, uint32_t *seq_r,
    char **why_r);

/*
 * The cache payload of a record, appended to out, after its CRC is
 * checked. 1, or -1 when damaged.
 */
int folder_cache(struct folder *f, const struct msgrec *r, struct buf *out,
    char **why_r);

/*
 * The same, without a copy: *p_r points at the payload in a read-only
 * map of the cache file, valid until the next folder_cache_ref(),
 * folder_cache(), folder_refresh() or folder_close() of f. A record's
 * CRC is checked the first time it is read in the session; records
 * once checked are remembered (by extent of the cache file) and not
 * checked again. 1, or -1 when damaged.
 */
int folder_cache_ref(struct folder *f, const struct msgrec *r,
    const void **p_r, size_t *len_r, char **why_r);

/*
 * One private attachment of a library module to the open folder (sort
 * keys of this session): folder_set_aux() replaces it (calling the old
 * one's free function), folder_close() frees it with free_fn. NULL
 * when none is set.
 */
void *folder_aux(const struct folder *f);
void folder_set_aux(struct folder *f, void *aux, void (*free_fn)(void *));

/*
 * The folder's sort-key file (lib/sort.c; popstore(5)): derived data,
 * replaced whole and never synced, so it carries its own checks and is
 * rebuilt when they fail. folder_sortkeys_read() reads it into out when
 * it is a regular file of the folder's owner of at most max bytes: 1;
 * 0 when there is none (or it is larger); -1 with *why_r.
 * folder_sortkeys_write() replaces it (a new file, then rename): 0 or
 * -1 with *why_r.
 */
int folder_sortkeys_read(struct folder *f, size_t max, struct buf *out,
    char **why_r);
int folder_sortkeys_write(struct folder *f, const void *data, size_t len,
    char **why_r);

/* Open a message file read-only (O_NOFOLLOW); the fd or -1. */
int folder_open_message(struct folder *f, uint32_t uid, char **why_r);

/*
 * POP3 UIDL of a record: a stored one (migration), or else UIDVALIDITY
 * and UID as two 8-digit lower-case hex numbers ("%08x%08x").
 */
void folder_uidl(struct folder *f, const struct msgrec *r, struct buf *out);

/* ---- keeping up with other sessions ---- */

struct folder_changes {
	uint32_t appended;		/* new messages now in the view */
	int	 rewritten;		/* expunges happened */
};

/*
 * Bring the view up to date. When the index was rewritten, expunged is
 * called for each UID of the old view that is gone, in ascending UID
 * order with its old 0-based position (before any removal), then the
 * view switches to the new index. Returns 0 or -1.
 */
int folder_refresh(struct folder *f, struct folder_changes *ch,
    void (*expunged)(uint32_t uid, uint32_t oldseq, void *ctx), void *ctx,
    char **why_r);

/*
 * UIDs expunged with a modseq greater than since (QRESYNC): fn for each,
 * in log order. 0, or -1 (also when the log no longer reaches back that
 * far: *complete_r set to 0).
 */
int folder_expunged_since(struct folder *f, uint64_t since,
    void (*fn)(uint32_t uid, void *ctx), void *ctx, int *complete_r,
    char **why_r);

/* ---- changes ---- */

/* Take / release the folder lock (exclusive). Nested calls count. */
int folder_lock(struct folder *f, char **why_r);
void folder_unlock(struct folder *f);

/*
 * Change the flags of message seq under the lock: flags = (flags & ~clear)
 * | set, keywords likewise. Assigns a new modseq when anything changed
 * (reported in r). With unchangedsince != 0, refuses (returns 0) when
 * the record's modseq is greater (CONDSTORE). 1 changed or unchanged,
 * 0 refused, -1 error.
 */
int folder_store(struct folder *f, uint32_t seq, uint32_t set, uint32_t clear,
    uint64_t kset, uint64_t kclear, uint64_t unchangedsince,
    struct msgrec *r, char **why_r);

/* Make flag changes durable (end of a command). */
int folder_sync(struct folder *f, char **why_r);

/*
 * Expunge: remove every message whose record satisfies want() (e.g.
 * \Deleted, or \Deleted within a UID set), writing a new index, logging
 * the UIDs, unlinking the files and adjusting the account's counters and
 * storage accounting. fn (may be NULL) is told each UID and its old
 * 0-based position in the session's view. The session's view moves to
 * the new index. Returns the number expunged or -1.
 */
long folder_expunge(struct folder *f,
    int (*want)(const struct msgrec *r, void *ctx),
    void (*fn)(uint32_t uid, uint32_t oldseq, void *ctx), void *ctx,
    char **why_r);

/* Claim the \Recent messages for this session: returns the first
 * recent UID before the claim (UIDs >= it are \Recent here). */
uint32_t folder_claim_recent(struct folder *f, char **why_r);

/* Keyword names: the bit of a name (adding it when add), or -1. */
int folder_keyword_bit(struct folder *f, const char *name, int add,
    char **why_r);
/* The name of bit n, or NULL. */
const char *folder_keyword_name(struct folder *f, unsigned bit);

/* ---- lib/ only, for delivery.c and reconstruct ---- */

/* Directory, index path of an open folder. */
const char *folder_dir(const struct folder *f);

/*
 * Append one record for a message file already linked as UID.eml and a
 * cache payload, under the lock (caller holds it). The record's uid must
 * be >= UIDNEXT. Assigns modseq and savedate. No sync (the caller syncs).
 */
int folder_append_record(struct folder *f, struct msgrec *r,
    const void *cache, size_t cache_len, char **why_r);

/* UIDNEXT as seen under the lock (fresh from the state log). */
uint32_t folder_uidnext(struct folder *f);

/* Descriptors to sync after appends: the index, the cache (when open),
 * the state, in this order, at most max. */
int folder_sync_fds(struct folder *f, int *fds, int max);

/* Rewrite a folder directory's own `folder` file (after a rename). */
int folder_write_meta(struct store *s, const char *dir, uint32_t id,
    const char *name, uint32_t uidvalidity, const char *special,
    char **why_r);

/*
 * Create the files of a new folder in dir (which must exist and be
 * empty): folder, index, state, cache. Durable unless the store is in
 * batch mode.
 */
int folder_create_files(struct store *s, const char *dir, uint32_t id,
    const char *name, uint32_t uidvalidity, const char *special,
    char **why_r);

#endif
