/*
 * NAME
 *	thread - IMAP THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES
 * SYNOPSIS
 *	#include "thread.h"
 * DESCRIPTION
 *	thread_run() evaluates a search tree (search.h) and arranges its
 *	matches in threads:
 *
 *	THREAD_ORDEREDSUBJECT	groups by base subject; within a group the
 *		first message (by sent date, then sequence) is the parent of
 *		all others; groups are ordered by the sent date of their
 *		first message.
 *	THREAD_REFERENCES	RFC 5256 section 4 exactly: parent/child links
 *		from References (or the first msg-id of In-Reply-To when
 *		References has none), a unique identity for a message with
 *		no Message-ID or a duplicate one (after the first, in
 *		sequence order), dummies for referenced messages that are
 *		not there, no link that would make a loop, an existing
 *		parent kept against a later References list but replaced by
 *		the message's own last reference, dummies pruned, threads
 *		of the same base subject merged (replies under the
 *		original), siblings sorted by sent date then sequence.
 *		Message-IDs compare case-sensitively as cached by delivery
 *		(angle brackets kept, comments and whitespace removed);
 *		base subjects compare with i;ascii-casemap.
 *
 *	The sent date is RFC 5256 2.2's (search_sent_date()). All keys come
 *	from the cache; nothing is parsed.
 *
 *	The result is a tree of nodes: message nodes carry the message's
 *	view position, client sequence number and UID; dummy nodes (only a
 *	top-level container of several threads merged by subject remains
 *	after pruning) carry THREAD_NONE. thread_format() writes the IMAP
 *	thread list without recursion, however deep the threads are.
 * MEMORY
 *	struct thread_tree owns its node array (20 bytes per node;
 *	thread_free()). During a run each match keeps 32 bytes (sent date,
 *	position, sequence number, UID, subject) and a 20-byte container;
 *	REFERENCES adds a container per referenced Message-ID that no match
 *	has, and the distinct Message-IDs and base subjects are interned
 *	once each in a string arena with a hash table (12 bytes, an 8-byte
 *	slot and the string). Measured on 200,000 messages with 28-byte
 *	Message-IDs (t/bench/search-bench.c), the formatted list included:
 *	42 MB for REFERENCES, 24 MB for ORDEREDSUBJECT, about 210 and 120
 *	bytes per message.
 * ERRORS
 *	As search_run(); also -1 for an unknown algorithm.
 */
#ifndef POPSTORE_THREAD_H
#define POPSTORE_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "search.h"

struct buf;

#define THREAD_NONE	0xffffffffU

enum thread_algo {
	THREAD_ORDEREDSUBJECT = 1,
	THREAD_REFERENCES
};

struct thread_node {
	uint32_t	 pos;		/* view position; THREAD_NONE: dummy */
	uint32_t	 seq, uid;	/* client sequence number, UID */
	uint32_t	 child;		/* first child (index), THREAD_NONE */
	uint32_t	 next;		/* next sibling (index), THREAD_NONE */
};

struct thread_tree {
	struct thread_node *nodes;
	size_t		 n;
	uint32_t	 root;		/* first top-level node, THREAD_NONE */
};

/*
 * Run tree and thread its matches with algo into *t_r (which the caller
 * releases with thread_free(), also after an error). 0, -1 or
 * SEARCH_STOPPED with *why_r.
 */
int thread_run(const struct search_env *env, struct search_node *tree,
    int algo, struct thread_tree *t_r, char **why_r);

/*
 * Append the RFC 5256 thread list of t to out: "(1 2)(3 (4)(5))",
 * nothing for no messages; UIDs when use_uid, else sequence numbers.
 * imapd sends "* THREAD" plus " " and this when it is not empty.
 */
void thread_format(const struct thread_tree *t, int use_uid,
    struct buf *out);

/* The algorithm named by an IMAP atom (any case), or 0. */
int thread_algo_parse(const char *atom);

/* Release the nodes; t is then empty. */
void thread_free(struct thread_tree *t);

#endif
