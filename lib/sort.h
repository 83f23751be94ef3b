/*
 * NAME
 *	sort - IMAP SORT (RFC 5256, RFC 5957) over the matches of a search
 * SYNOPSIS
 *	#include "sort.h"
 * DESCRIPTION
 *	sort_run() evaluates a search tree (search.h) and orders its
 *	matches by a list of criteria, each optionally REVERSE:
 *
 *	SORT_ARRIVAL	internal date
 *	SORT_DATE	sent date: Date: in UTC, or the internal date when
 *			Date: is missing or unparsable (RFC 5256 2.2)
 *	SORT_SIZE	RFC822.SIZE
 *	SORT_SUBJECT	base subject (RFC 5256 2.1, computed at delivery)
 *	SORT_FROM, SORT_TO, SORT_CC
 *			addr-mailbox of the first address of the field
 *	SORT_DISPLAYFROM, SORT_DISPLAYTO
 *			RFC 5957 display name of the first address, or
 *			mailbox@host when it has none
 *
 *	Strings compare with i;ascii-casemap (a-z as A-Z, then octets), the
 *	default collation; a missing field sorts as "". Messages equal on
 *	every criterion are in ascending sequence order, REVERSE or not.
 *
 *	Nothing is parsed: numbers come from the index record, strings and
 *	the sent date from the cache. What a sort takes from the cache is
 *	kept for the session with the open folder (folder_aux(), by UID,
 *	until folder_close()): only the key kinds used so far, the strings
 *	already case-mapped. A later sort reads no cache record for the
 *	messages it has keys for (res->stats.kept counts them) and only the
 *	new ones, such as those delivered since; keys of expunged messages
 *	are dropped when they are many. Keys of a message whose cache record
 *	is damaged come from a parse of its file (search_msg_view()); they
 *	are not kept when neither can be read.
 *
 *	Kept strings are ranked (a sort of the column, again only after
 *	strings were added), so a sort compares numbers: each match keeps
 *	an entry of 12 bytes (position, sequence number, UID) and 8 per
 *	criterion (the number or the rank).
 * MEMORY
 *	The result (search.h, 12 bytes per match) belongs to the caller.
 *	Kept for the session: 4 bytes per message for its UID and, per key
 *	kind used, 8 bytes (DATE) or 8 bytes and the string with a 4-byte
 *	length (the others: offset, rank). During the run: the entries and
 *	an index per match (plus a count per rank, or 16 bytes per match
 *	for a radix sort, or qsort's copy of the index).
 * ERRORS
 *	As search_run(); also -1 for an unknown criterion or more than
 *	SORT_MAX_CRIT of them.
 */
#ifndef POPSTORE_SORT_H
#define POPSTORE_SORT_H

#include <stddef.h>

#include "search.h"

#define SORT_MAX_CRIT	16

enum sort_key {
	SORT_ARRIVAL = 1,
	SORT_CC,
	SORT_DATE,
	SORT_FROM,
	SORT_SIZE,
	SORT_SUBJECT,
	SORT_TO,
	SORT_DISPLAYFROM,
	SORT_DISPLAYTO
};

struct sort_crit {
	int	 key;		/* enum sort_key */
	int	 reverse;	/* REVERSE given before it */
};

/*
 * Run tree (search_run()) and put the matches into res in sort order.
 * res is zeroed by the caller. 0, -1 or SEARCH_STOPPED with *why_r.
 */
int sort_run(const struct search_env *env, struct search_node *tree,
    const struct sort_crit *crit, size_t ncrit, struct search_result *res,
    char **why_r);

/*
 * The criterion named by an IMAP atom (any case), e.g. "DISPLAYFROM",
 * or 0 for an unknown one. "REVERSE" is not a key: imapd sets reverse.
 */
int sort_key_parse(const char *atom);

#endif
