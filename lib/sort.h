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
 *	the sent date from the cache. Each match keeps a compact key only:
 *	8 bytes per numeric criterion and SORT_PREFIX bytes plus a length
 *	byte per string criterion, with position, sequence number and UID
 *	(12 bytes): 20 bytes for SORT (DATE), 45 for SORT (SUBJECT). A 4-byte
 *	index per match is what is sorted. Messages whose string prefixes
 *	tie are ordered again in a second pass that re-reads the full keys
 *	from the cache for those groups only.
 * MEMORY
 *	The result (search.h, 12 bytes per match) belongs to the caller.
 *	During the run: the entries, the index and qsort's copy of it, and
 *	the full strings of the largest group of tied prefixes. Measured on
 *	200,000 messages (t/bench/search-bench.c): 7.4 MB for SORT (DATE),
 *	12.2 MB for SORT (SUBJECT), result included.
 * ERRORS
 *	As search_run(); also -1 for an unknown criterion or more than
 *	SORT_MAX_CRIT of them.
 */
#ifndef POPSTORE_SORT_H
#define POPSTORE_SORT_H

#include <stddef.h>

#include "search.h"

#define SORT_MAX_CRIT	16
#define SORT_PREFIX	32

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
