/*
 * NAME
 *	sieve - Sieve mail filtering (RFC 5228) at delivery
 * SYNOPSIS
 *	#include "sieve.h"
 * DESCRIPTION
 *	An account may have one Sieve script. deliver(8) runs it for each
 *	message to the account and stores, redirects, rejects or answers
 *	the message as the script decides; popmgr(8) sets, shows, checks
 *	and removes it. The language and everything below are documented
 *	for users in popstore-sieve(5).
 *
 *	sieve_parse() reads a script once into a checked tree: syntax,
 *	commands and tests, their arguments and tags, required extensions,
 *	comparators, literal regular expressions (compiled here) and
 *	literal addresses are all verified, and the first problem is
 *	reported as "LINE:COLUMN: text". sieve_run() then evaluates the
 *	tree against one message and returns the actions to take; it
 *	performs none of them, so the caller decides the order (store
 *	first, then send) and nothing is half done when a run fails.
 *
 *	Extensions: fileinto, reject and ereject (RFC 5429), envelope,
 *	subaddress (RFC 5233), copy (RFC 3894), imap4flags (RFC 5232), body
 *	(RFC 5173), relational (RFC 5231), regex (draft-ietf-sieve-regex,
 *	PCRE2), vacation (RFC 5230), variables (RFC 5229, with match
 *	variables from :matches and :regex), mailbox (RFC 5490: :create
 *	and mailboxexists), comparator-i;ascii-numeric (RFC 4790).
 *
 *	A run that fails (a limit reached, an action conflict, a bad
 *	address built at run time) loses nothing: its result is the
 *	implicit keep alone, with error set to "LINE:COLUMN: text".
 * LIMITS
 *	Every limit below bounds a script or a run; each is named in the
 *	error it causes.
 *	SIEVE_SCRIPT_MAX	bytes of a script; a larger one is refused
 *				before parsing.
 *	SIEVE_DEPTH_MAX		nesting of blocks and of tests.
 *	SIEVE_NODES_MAX		commands and tests in a script.
 *	SIEVE_STRING_MAX	bytes of one string (after variable
 *				expansion, a longer value is cut).
 *	SIEVE_LIST_MAX		strings in one string list.
 *	SIEVE_ACTIONS_MAX	actions a run may take (keep, fileinto,
 *				redirect, vacation, ...), implicit keep aside.
 *	SIEVE_REDIRECT_MAX	redirects of one message.
 *	SIEVE_VARS_MAX		variables a run may set.
 *	SIEVE_VAR_MAX		bytes of a variable's value (longer values
 *				are cut, as RFC 5229 allows).
 *	SIEVE_FLAGS_MAX		IMAP flags in one flag list.
 *	SIEVE_WORK_MAX		comparison steps of one run (bytes compared,
 *				wildcard steps, header and body bytes
 *				examined): a run past it fails.
 *	SIEVE_REGEX_LEN_MAX	bytes of one regular expression.
 *	SIEVE_REGEX_RUNS_MAX	regular-expression matches in one run.
 *	SIEVE_REGEX_MATCH_LIMIT, SIEVE_REGEX_DEPTH_LIMIT,
 *	SIEVE_REGEX_HEAP_LIMIT	PCRE2's match, backtracking depth and heap
 *				(KiB) limits for each match: a pattern that
 *				needs more fails the run (catastrophic
 *				backtracking costs at most this much).
 * MEMORY
 *	sieve_parse() allocates the script; sieve_free() releases it. A
 *	result owns its actions and strings; sieve_result_free() releases
 *	them. *why_r is allocated; the caller frees it.
 */
#ifndef POPSTORE_SIEVE_H
#define POPSTORE_SIEVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct conf;
struct sieve_msg;
struct store;

#define SIEVE_SCRIPT_MAX	(256 * 1024)
#define SIEVE_DEPTH_MAX		32
#define SIEVE_NODES_MAX		10000
#define SIEVE_STRING_MAX	(64 * 1024)
#define SIEVE_LIST_MAX		1024
#define SIEVE_ACTIONS_MAX	32
#define SIEVE_REDIRECT_MAX	4
#define SIEVE_VARS_MAX		128
#define SIEVE_VAR_MAX		4096
#define SIEVE_FLAGS_MAX		64
#define SIEVE_WORK_MAX		(32 * 1024 * 1024)
#define SIEVE_REGEX_LEN_MAX	1024
#define SIEVE_REGEX_RUNS_MAX	1000
#define SIEVE_REGEX_MATCH_LIMIT	100000
#define SIEVE_REGEX_DEPTH_LIMIT	2000
#define SIEVE_REGEX_HEAP_LIMIT	4096

/* The capabilities this interpreter offers, space-separated. */
#define SIEVE_EXTENSIONS	"fileinto reject ereject envelope " \
	"subaddress copy imap4flags body relational regex vacation " \
	"variables mailbox date comparator-i;ascii-numeric"

struct sieve_script;

/*
 * Parse and check text[0..len). 0 with *script_r, or -1 with *why_r
 * "LINE:COLUMN: problem" (lines and columns count from 1; columns in
 * characters). A script longer than SIEVE_SCRIPT_MAX is refused with
 * line 1, column 1.
 */
int sieve_parse(const char *text, size_t len, struct sieve_script **script_r,
    char **why_r);

/* Release a parsed script; NULL is allowed. */
void sieve_free(struct sieve_script *s);

/*
 * currentdate (RFC 5260): 1 when name is a date part ("date", "year",
 * "month", "day", "julian", "hour", "minute", "second", "time",
 * "iso8601", "std11", "zone", "weekday"; any case), 0 when not.
 */
int sieve_date_part_ok(const char *name);

/*
 * Parse a zone "+hhmm" / "-hhmm" into seconds east of UTC (*off_r may
 * be NULL). 0, or -1 when malformed.
 */
int sieve_zone_offset(const char *zone, long *off_r);

/*
 * The value of date part `part` for the time t at zone offset off
 * (seconds east of UTC) into out, as RFC 5260 section 4.2 gives it.
 * 0, or -1 for an unknown part.
 */
int sieve_date_part(const char *part, time_t t, long off, struct buf *out);

/* 1 when the script requires capability cap (e.g. "vacation"). */
int sieve_requires(const struct sieve_script *s, const char *cap);

/* What a run is about. */
struct sieve_env {
	const struct conf *conf;	/* SUBADDRESS_CHAR */
	const char	*msg;		/* the message as stored */
	size_t		 msg_len;
	const char	*sender;	/* envelope sender, "" for <> */
	const char	*rcpt;		/* envelope recipient */
	/*
	 * mailboxexists and fileinto: 1 when the account has folder name,
	 * 0 when not, -1 on error. NULL: every name exists.
	 */
	int		(*mailbox_exists)(const char *name, void *ctx);
	void		*ctx;
	struct sieve_msg *view;		/* NULL: sieve_run makes its own */
	time_t		 now;		/* currentdate; 0: the clock */
};

enum sieve_kind {
	SIEVE_KEEP = 0,		/* store in the default folder */
	SIEVE_FILEINTO,		/* store in folder arg */
	SIEVE_REDIRECT,		/* send to address arg */
	SIEVE_DISCARD,		/* nothing (cancels the implicit keep) */
	SIEVE_REJECT,		/* refuse with reason arg */
	SIEVE_VACATION		/* answer the sender */
};

/* The parameters of a vacation action (RFC 5230). */
struct sieve_vacation {
	uint64_t days;			/* as given; 0 when not given */
	char	*subject;		/* NULL: "Auto: " + original */
	char	*from;			/* NULL: the recipient */
	char	**addresses;		/* more addresses of the account */
	size_t	 naddresses;
	int	 mime;			/* reason is a MIME entity */
	char	*handle;		/* NULL: derived from the rest */
	char	*reason;
};

struct sieve_action {
	int	 kind;			/* enum sieve_kind */
	char	*arg;			/* folder, address or reason */
	char	**flags;		/* keep and fileinto: IMAP flags */
	size_t	 nflags;
	int	 create;		/* fileinto :create */
	int	 ereject;		/* ereject rather than reject */
	struct sieve_vacation *vacation;
	unsigned line, col;		/* where in the script */
};

struct sieve_result {
	struct sieve_action *v;		/* in the order the script took them */
	size_t	 n;
	char	*error;			/* the run failed: "LINE:COL: text" */
	int	 implicit_keep;		/* the last keep in v is implicit */
};

/*
 * Run script s for one message. Always fills *r: the actions to take
 * (at least a keep, unless the script cancelled the implicit keep),
 * and r->error when the run failed, in which case v holds only the
 * implicit keep. Returns 0, or -1 when the run failed.
 */
int sieve_run(const struct sieve_script *s, const struct sieve_env *env,
    struct sieve_result *r);

void sieve_result_free(struct sieve_result *r);

/* ---- an account's script (in its profile directory) ---- */

/*
 * The account's script, appended to out: 1 found, 0 none, -1 error
 * (unreadable, or larger than SIEVE_SCRIPT_MAX) with *why_r.
 */
int sieve_script_load(struct store *s, const char *account, struct buf *out,
    char **why_r);

/*
 * Install text[0..len) as the account's script, atomically. The caller
 * has checked it with sieve_parse(). 0 or -1 with *why_r.
 */
int sieve_script_save(struct store *s, const char *account, const char *text,
    size_t len, char **why_r);

/* Remove the account's script: 1 removed, 0 there was none, -1 error. */
int sieve_script_remove(struct store *s, const char *account, char **why_r);

/* lib/ only: the path of file name in the account's profile directory. */
void sieve_account_path(struct store *s, const char *account,
    const char *name, struct buf *out);

#endif
