/*
 * NAME
 *	manage - a manager's reach: which accounts it sees, what it may
 *	change, which names it selects
 * SYNOPSIS
 *	#include "manage.h"
 * DESCRIPTION
 *	group_may_manage() (group.h) is the rule of who manages whom. The
 *	command line (popmgr(8)) and the web interface (popstore-cgi(8))
 *	apply it through these functions, so that listing, changing and
 *	forwarding follow it the same way everywhere, forged requests
 *	included. A NULL manager stands for full rights: the administrator
 *	at the shell, not logged in as an account.
 *
 *	Listing: a filter answers, for each account of the accounts
 *	database (acct_db_walk), whether the manager manages it and, when
 *	a group was asked for, whether it lies within that group
 *	(group_within). Answers depend only on the account's group and
 *	domain, so they are remembered: listing many accounts reads the
 *	group files a few times, not once per account.
 *
 *	Changing: the manager must manage the account as it is and as it
 *	will be (a new group or name must be within its reach too), and
 *	only a WORLD manager (group.h) gives or takes the MANAGE flag.
 *
 *	Forwarding: the forwarding of a name that is an account belongs to
 *	whoever manages the account; a name that is no account may be
 *	forwarded by any manager, within its own domain when it has one.
 *
 *	Patterns select accounts by name: wildcards ('*' any run, '%' one
 *	character, name_match()) in the form local[@domain], where a
 *	pattern without a domain means the current domain; or a PCRE2
 *	regular expression (no case, not anchored, limits below) matched
 *	against the whole canonical name.
 * LIMITS
 *	MANAGE_REGEX_MAX	bytes of a regular expression
 *	MANAGE_REGEX_MATCH_LIMIT, MANAGE_REGEX_DEPTH_LIMIT
 *				PCRE2's match and backtracking limits for
 *				one name; a name that needs more does not
 *				match
 * MEMORY
 *	Filters and patterns are allocated by their _new functions and
 *	released by their _free functions. *why_r is allocated; the caller
 *	frees it.
 */
#ifndef POPSTORE_MANAGE_H
#define POPSTORE_MANAGE_H

struct acct;
struct buf;
struct store;

#define MANAGE_REGEX_MAX		256
#define MANAGE_REGEX_MATCH_LIMIT	100000
#define MANAGE_REGEX_DEPTH_LIMIT	1000

struct manage_filter;
struct manage_pattern;

/*
 * A filter for manager (NULL: everything) and group (NULL: any; else
 * canonicalised, an invalid name fails). NULL with *why_r on error.
 */
struct manage_filter *manage_filter_new(struct store *s,
    const struct acct *manager, const char *group, char **why_r);

/* 1 when the filter lets a (name and group at least) through, else 0. */
int manage_filter_allows(struct manage_filter *f, const struct acct *a);

void manage_filter_free(struct manage_filter *f);

/* 1 when manager (NULL: yes) manages everything (group.h). */
int manage_is_world(struct store *s, const struct acct *manager);

/*
 * May manager change account old (NULL: a new account) into a? 1 yes,
 * 0 no with *why_r a sentence naming the account, -1 error.
 */
int manage_may_change(struct store *s, const struct acct *manager,
    const struct acct *old, const struct acct *a, char **why_r);

/*
 * May manager set or remove the forwarding of name (canonical)?
 * *is_acct_r says whether name is an account. 1, 0 (with *why_r), -1.
 */
int manage_may_forward(struct store *s, const struct acct *manager,
    const char *name, int *is_acct_r, char **why_r);

/*
 * The canonical name for a new account typed as input (in domain,
 * "" for the default one), appended to out: 1, or 0 with *why_r when
 * it cannot be created and errno EINVAL (not a valid name, or a
 * reserved one), ENOENT (a domain that does not exist) or EEXIST (an
 * account of that name exists).
 */
int manage_new_name(struct store *s, const char *domain, const char *input,
    struct buf *out, char **why_r);

/*
 * A pattern: a regular expression when regex, else wildcards (or a
 * plain name, which matches only itself). NULL with *why_r when the
 * expression does not compile or is too long.
 */
struct manage_pattern *manage_pattern_new(const char *text, int regex,
    char **why_r);

/*
 * 1 when the canonical name matches; domain is the current domain
 * ("" for the default one) for wildcard patterns without "@".
 */
int manage_pattern_match(const struct manage_pattern *p, const char *domain,
    const char *name);

void manage_pattern_free(struct manage_pattern *p);

#endif
