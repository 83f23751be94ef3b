/*
 * NAME
 *	search - evaluate IMAP SEARCH programs over a folder
 * SYNOPSIS
 *	#include "search.h"
 * DESCRIPTION
 *	imapd parses the IMAP syntax of SEARCH, UID SEARCH, ESEARCH, SORT
 *	and THREAD and builds a tree of struct search_node; search_run()
 *	evaluates it over the messages of an open folder and returns the
 *	matching messages in ascending order. sort.h and thread.h order the
 *	same matches for SORT and THREAD.
 *
 *	Every RFC 3501 key maps onto the node kinds below (imapd's part):
 *
 *	ALL			SEARCH_ALL
 *	ANSWERED DELETED DRAFT FLAGGED SEEN
 *				SEARCH_FLAG, num = MSG_ANSWERED etc.
 *	UNANSWERED ... UNSEEN	SEARCH_NOT of that SEARCH_FLAG
 *	KEYWORD k		SEARCH_KEYWORD, num = folder_keyword_bit(k);
 *				a name the folder does not know: SEARCH_NONE
 *	UNKEYWORD k		SEARCH_NOT of the above
 *	RECENT			SEARCH_RECENT
 *	NEW			AND(SEARCH_RECENT, NOT SEARCH_FLAG MSG_SEEN)
 *	OLD			NOT SEARCH_RECENT
 *	(search_new_simple() builds these argument-less keys from the atom)
 *	LARGER n / SMALLER n	SEARCH_LARGER / SEARCH_SMALLER, num = n
 *	BEFORE ON SINCE d	SEARCH_BEFORE/ON/SINCE, num = day number
 *				(search_date_parse) of the internal date
 *	SENTBEFORE SENTON SENTSINCE d
 *				SEARCH_SENTBEFORE/ON/SINCE on the Date: field
 *	FROM TO CC BCC SUBJECT s
 *				SEARCH_HEADER, field "From" etc., value s
 *	HEADER name s		SEARCH_HEADER, field name, value s
 *	BODY s / TEXT s		SEARCH_BODY / SEARCH_TEXT
 *	NOT k / OR a b / (k...)	SEARCH_NOT / SEARCH_OR / SEARCH_AND
 *	sequence set		SEARCH_SEQSET, ranges of the client's message
 *				sequence numbers (1-based, "*" resolved)
 *	UID set, $ (RFC 5182)	SEARCH_UIDSET, ranges of UIDs ("*"
 *				resolved; $ is the saved result as UIDs)
 *	MODSEQ [entry] n	SEARCH_MODSEQ, num = n (RFC 7162; the entry
 *				name is ignored: the message's modseq counts)
 *	OLDER n / YOUNGER n	SEARCH_OLDER / SEARCH_YOUNGER, num = seconds
 *				(RFC 5032)
 *	SAVEDBEFORE SAVEDON SAVEDSINCE d
 *				SEARCH_SAVEDBEFORE/ON/SINCE (RFC 8514)
 *	SAVEDATESUPPORTED	SEARCH_ALL (every record has a save date)
 *
 *	Matching. Strings are UTF-8 (imapd converts the CHARSET or refuses
 *	it). HEADER, BODY and TEXT match a case-insensitive substring of the
 *	decoded text: header values unfolded with RFC 2047 words decoded,
 *	bodies transfer-decoded and converted from their charset to UTF-8
 *	(mime_part_text()). Case folding (search_fold()) is simple
 *	per-character lowercasing in the spirit of i;unicode-casemap:
 *	ASCII, Latin-1, Latin Extended-A, Latin Extended Additional,
 *	Greek, Cyrillic, Armenian and fullwidth Latin, plus U+00DF
 *	sharp s as "ss", final sigma as sigma and long s as s. There is no
 *	decomposition: "e" does not match U+00E9. Bytes that are not UTF-8
 *	count as U+FFFD. A HEADER key with an empty value matches every
 *	message that has the field. FROM/TO/CC/BCC match the field's
 *	decoded text (display names and addresses alike). A field that
 *	occurs several times matches when any occurrence does.
 *	BODY searches the text of every text/ part, and the headers of
 *	attached messages; TEXT searches the message header and the same.
 *
 *	Dates. BEFORE/ON/SINCE compare the calendar day of the internal
 *	date in its own zone (as the INTERNALDATE string shows it); SENT*
 *	the day of the Date: field in its own zone, or of the internal date
 *	when Date: is missing or unparsable (RFC 5256 2.2); SAVED* the UTC
 *	day of the save date. Day numbers count from 1970-01-01 = 0.
 *
 *	Cost. Nothing is parsed: flags, keywords, sizes, dates, UIDs and
 *	modseqs come from the index record; the header fields that the
 *	cache holds (mime.h CACHED FIELDS) and the Date: come from the
 *	cache record; only BODY, TEXT and HEADER of an uncached field open
 *	the message file (read, or mapped when large). Each message is
 *	evaluated in three-valued logic at rising cost: first on the record
 *	alone, then with the cache, then with the header of the file, then
 *	with the body, so a key decided by a cheaper one never loads the
 *	dearer data. AND and OR operands are reordered cheapest first. A
 *	sequence or UID set at the top of the tree limits the records read
 *	at all.
 *
 *	Limits and cancellation: see LIMITS. A search can be stopped from
 *	outside (env.cancel, e.g. set by a signal handler), by a deadline
 *	(env.deadline_ms, CLOCK_MONOTONIC) and by a budget of message file
 *	bytes (env.max_file_bytes); it then returns SEARCH_STOPPED.
 * LIMITS
 *	SEARCH_MAX_VALUE	bytes of one search string (-1 beyond)
 *	SEARCH_MAX_FIELD	bytes of a HEADER field name (-1 beyond)
 *	SEARCH_MAX_DEPTH	nesting of NOT/OR/AND (-1 beyond)
 *	SEARCH_MAX_NODES	nodes in one tree (-1 beyond)
 *	SEARCH_MAX_HEADER	bytes of one header field (as stored) that
 *				are searched; the rest is ignored
 *	SEARCH_CHUNK		bytes of a body decoded at a time: BODY and
 *				TEXT stream through any size of message
 *				with this much memory
 *	SEARCH_READ_MAX		message files up to this size are read into
 *				one buffer (only the header for HEADER);
 *				larger ones are mapped
 *	SEARCH_DEFAULT_MS	a sensible time budget for imapd:
 *				env.deadline_ms = now + SEARCH_DEFAULT_MS
 * MEMORY
 *	A tree is built with the search_new_*() constructors, which copy
 *	their arguments; search_free() releases a tree (it may be deep: it
 *	does not recurse). search_run() prepares the tree in place (folds
 *	the strings, reorders operands) and may run the same tree again.
 *	A struct search_result owns its arrays (search_result_free()). The
 *	memory of a run is the result (12 bytes per match) plus bounded
 *	buffers: one cache record, one header field, the decoded and folded
 *	text of one SEARCH_CHUNK (a few times its size) and up to
 *	SEARCH_READ_MAX of one message file.
 * ERRORS
 *	search_run() returns -1 with *why_r (allocated, the caller frees)
 *	for a tree that breaks a limit, a damaged index record, or an I/O
 *	error; SEARCH_STOPPED (-2) with *why_r when cancelled or out of
 *	budget. A damaged cache record, or one without MIME information,
 *	does not fail the search: the message file is parsed instead (as
 *	imapd's FETCH does). A message whose file cannot be read either
 *	matches no key that needs it.
 */
#ifndef POPSTORE_SEARCH_H
#define POPSTORE_SEARCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct folder;
struct mime_view;
struct msgrec;

#define SEARCH_MAX_VALUE	4096
#define SEARCH_MAX_FIELD	256
#define SEARCH_MAX_DEPTH	64
#define SEARCH_MAX_NODES	10000
#define SEARCH_MAX_HEADER	65536
#define SEARCH_CHUNK		(256 * 1024)
#define SEARCH_READ_MAX		(1024 * 1024)
#define SEARCH_DEFAULT_MS	60000

#define SEARCH_STOPPED		(-2)

enum search_kind {
	SEARCH_ALL = 1,		/* every message */
	SEARCH_NONE,		/* no message (unknown keyword) */
	SEARCH_AND,		/* every operand (child list); empty: ALL */
	SEARCH_OR,		/* any operand (child list); empty: NONE */
	SEARCH_NOT,		/* the operand (child) does not match */
	SEARCH_SEQSET,		/* client sequence number in ranges */
	SEARCH_UIDSET,		/* UID in ranges */
	SEARCH_FLAG,		/* every MSG_* bit of num is set */
	SEARCH_KEYWORD,		/* keyword bit num is set */
	SEARCH_RECENT,		/* \Recent in this session */
	SEARCH_LARGER,		/* RFC822.SIZE > num */
	SEARCH_SMALLER,		/* RFC822.SIZE < num */
	SEARCH_BEFORE,		/* internal date's day < num */
	SEARCH_ON,		/* internal date's day == num */
	SEARCH_SINCE,		/* internal date's day >= num */
	SEARCH_SENTBEFORE,	/* sent date's day < num */
	SEARCH_SENTON,
	SEARCH_SENTSINCE,
	SEARCH_SAVEDBEFORE,	/* save date's day < num (RFC 8514) */
	SEARCH_SAVEDON,
	SEARCH_SAVEDSINCE,
	SEARCH_OLDER,		/* internal date < now - num (RFC 5032) */
	SEARCH_YOUNGER,		/* internal date >= now - num */
	SEARCH_MODSEQ,		/* modseq >= num (RFC 7162) */
	SEARCH_HEADER,		/* field contains value */
	SEARCH_BODY,		/* body text contains value */
	SEARCH_TEXT		/* header or body text contains value */
};

/*
 * One key. AND and OR hold their operands as a list (child, then each
 * operand's next); NOT holds one. Fields not used by a kind are zero.
 */
struct search_node {
	int		 kind;		/* enum search_kind */
	struct search_node *child;	/* first operand */
	struct search_node *next;	/* next operand of the parent */
	uint64_t	 num;
	uint32_t	*ranges;	/* SEQSET, UIDSET: lo, hi pairs, */
	size_t		 nranges;	/* inclusive, any order */
	char		*field;		/* HEADER: field name */
	char		*value;		/* HEADER, BODY, TEXT: UTF-8 */
	size_t		 value_len;
	/* private: set by search_run() */
	char		*pat;		/* value folded */
	size_t		 pat_len;
	int		 cost;		/* SEARCH_COST_* */
	int		 memo;		/* result for message memo_msg */
	uint64_t	 memo_msg;
};

/* What the session adds to the folder's data. */
struct search_env {
	struct folder	*folder;
	/*
	 * This user's system flags (MSG_SYSFLAGS bits) of a record, e.g.
	 * with a per-user \Seen; NULL: r->flags.
	 */
	uint32_t	(*flags)(void *ctx, const struct msgrec *r);
	/* 1 when \Recent in this session; NULL: uid >= recent_uid. */
	int		(*recent)(void *ctx, const struct msgrec *r);
	/*
	 * The client's sequence number of view position pos (0-based),
	 * which differs while expunges are not yet told; NULL: pos + 1.
	 * Must be increasing in pos and never below pos + 1 (expunges
	 * not yet told only add numbers), as sel_view_to_client() is.
	 */
	uint32_t	(*client_seq)(void *ctx, uint32_t pos);
	void		*ctx;
	uint32_t	 recent_uid;	/* without recent(): 0 = none recent */
	int64_t		 now;		/* OLDER/YOUNGER; 0: time(NULL) */
	volatile sig_atomic_t *cancel;	/* nonzero stops the search */
	int64_t		 deadline_ms;	/* CLOCK_MONOTONIC ms; 0: none */
	uint64_t	 max_file_bytes; /* message bytes read; 0: no limit */
};

struct search_stats {
	uint64_t	 records;	/* index records looked at */
	uint64_t	 caches;	/* cache records read */
	uint64_t	 files;		/* message files opened */
	uint64_t	 file_bytes;	/* message bytes searched */
	uint64_t	 kept;		/* SORT: matches whose keys an earlier
					   sort or the sort-key file kept */
};

/*
 * Matches: pos (0-based view position), seq (client sequence number)
 * and uid of each, in ascending order (search_run) or sort order
 * (sort_run).
 */
struct search_result {
	uint32_t	*pos, *seq, *uid;
	size_t		 n, cap;
	uint64_t	 highest_modseq; /* of the matches (CONDSTORE) */
	struct search_stats stats;
};

/* ---- building trees ---- */

/* A node of a kind without arguments (ALL, NONE, RECENT, AND, OR). */
struct search_node *search_new(int kind);

/*
 * A node with a number: FLAG, KEYWORD, LARGER, MODSEQ ...; for the
 * date kinds the day number (negative before 1970) cast to uint64_t.
 */
struct search_node *search_new_num(int kind, uint64_t num);

/* SEQSET or UIDSET from n lo,hi pairs (copied; lo > hi is swapped). */
struct search_node *search_new_set(int kind, const uint32_t *ranges,
    size_t n);

/*
 * HEADER (field non-NULL) or BODY/TEXT (field NULL) with value[0..len)
 * in UTF-8 (copied). Lengths are checked by search_run().
 */
struct search_node *search_new_text(int kind, const char *field,
    const char *value, size_t len);

/* NOT a; OR of a and b; AND with operands added by search_add(). */
struct search_node *search_new_not(struct search_node *a);
struct search_node *search_new_or(struct search_node *a,
    struct search_node *b);
struct search_node *search_new_and(void);

/* Append operand c to an AND or OR node. */
void search_add(struct search_node *parent, struct search_node *c);

/*
 * The tree of an IMAP key without arguments, given as its atom in any
 * case: ALL, ANSWERED, DELETED, DRAFT, FLAGGED, NEW, OLD, RECENT, SEEN,
 * UNANSWERED, UNDELETED, UNDRAFT, UNFLAGGED, UNSEEN, SAVEDATESUPPORTED.
 * NULL for any other atom.
 */
struct search_node *search_new_simple(const char *atom);

/*
 * Release a tree: the node and everything below it, not the root's
 * siblings (next). NULL is fine.
 */
void search_free(struct search_node *tree);

/*
 * Parse an IMAP date ("1-Feb-1994", "01-Feb-1994", month any case) into
 * a day number (days since 1970-01-01). 0, or -1 when not a date.
 */
int search_date_parse(const char *s, size_t len, int64_t *day_r);

/* ---- running ---- */

/*
 * Evaluate tree over every message of env->folder's view and append
 * the matches to res (which the caller zeroes first). 0 done, -1 error,
 * SEARCH_STOPPED; *why_r set with either.
 */
int search_run(const struct search_env *env, struct search_node *tree,
    struct search_result *res, char **why_r);

/* Release the arrays of a result; it is then empty. */
void search_result_free(struct search_result *res);

/*
 * Append the case-folded form of UTF-8 text s[0..len) to out (see
 * DESCRIPTION); the same folding is applied to search strings.
 */
void search_fold(const char *s, size_t len, struct buf *out);

/* ---- lib/ only: for sort.c and thread.c ---- */

/* Cost classes: what a key needs to be decided. */
#define SEARCH_COST_RECORD	0
#define SEARCH_COST_CACHE	1
#define SEARCH_COST_HEADER	2
#define SEARCH_COST_BODY	3

struct search_msg;

/*
 * Run tree and call fn for each match, in ascending order; fn returns
 * 0 to go on or -1 to end the run with -1 ("search failed").
 * Returns like search_run(); st (may be NULL) receives the statistics.
 */
int search_each(const struct search_env *env, struct search_node *tree,
    int (*fn)(struct search_msg *m, void *ctx), void *ctx,
    struct search_stats *st, char **why_r);

/* The match's record, view position and client sequence number. */
const struct msgrec *search_msg_record(const struct search_msg *m);
uint32_t search_msg_pos(const struct search_msg *m);
uint32_t search_msg_seq(const struct search_msg *m);

/*
 * The MIME view of the message, loaded once per message from its cache
 * record or, when that is damaged or holds no MIME information, from a
 * parse of the message file: 1 with *v_r valid until the message is
 * left (fn returns, search_msg_load) or the folder's cache is read
 * through another reader, 0 when neither is possible.
 */
int search_msg_view(struct search_msg *m, const struct mime_view **v_r);

/*
 * Messages by position outside a run (for a second pass over some of
 * the matches): search_msg_new() makes a reader for env's folder,
 * search_msg_load() moves it to view position pos (1, 0 when out of
 * range, -1 error), search_msg_free() releases it.
 */
struct search_msg *search_msg_new(const struct search_env *env);
int search_msg_load(struct search_msg *m, uint32_t pos, char **why_r);
void search_msg_free(struct search_msg *m);

/* What a reader has read so far. */
const struct search_stats *search_msg_stats(const struct search_msg *m);

/*
 * The sent date of RFC 5256 2.2: the Date: field (v may be NULL) or
 * the internal date, in UTC seconds.
 */
int64_t search_sent_date(const struct msgrec *r, const struct mime_view *v);

#endif
