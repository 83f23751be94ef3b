/*
 * NAME
 *	webrules - the web interface's vacation notice and filter rules,
 *	written as the account's Sieve script and read back
 * SYNOPSIS
 *	#include "webrules.h"
 * DESCRIPTION
 *	Users of the web interface (popstore-cgi(8)) set a vacation notice
 *	and simple filter rules ("From contains X" or "Subject contains X",
 *	then file into a folder, discard, or forward). deliver(8) runs them
 *	as the account's Sieve script (sieve.h); this module writes that
 *	script, and reads back the rules of a script it wrote, from lines
 *	of its own at the top:
 *
 *	    # popstore-webrules 1
 *	    # (two lines of explanation)
 *	    #@vacation ON START END DAYS SUBJECT TEXT
 *	    #@rule FIELD VALUE ACTION ARGUMENT
 *	    ...
 *	    require [...];
 *	    (the Sieve commands)
 *
 *	Each field is %XX-encoded (every byte outside 0x21-0x7e, and '%'
 *	and '-'), and an empty field is a single "-". START and END are
 *	dates YYYY-MM-DD (either may be empty: open); DAYS is how often one
 *	sender is answered (WEBRULES_DAYS_MIN..WEBRULES_DAYS_MAX); the
 *	first field is "on" or "off" (a notice kept but not sent); FIELD
 *	is "from" or "subject"; ACTION is "fileinto"
 *	(ARGUMENT: the folder), "discard" or "forward" (ARGUMENT: the
 *	address). A script not starting with the first line is not the
 *	web interface's: webrules_read() says so, and saving rules
 *	replaces it.
 *
 *	The Sieve part: the rules, in order, as one if/elsif chain of
 *	header :contains tests (so the first rule that matches acts):
 *	fileinto :create, "discard; stop;", or redirect. Then the vacation
 *	action; with dates, inside currentdate tests (RFC 5260, :value "ge"
 *	and "le" on "date", local time) when the caller says the Sieve
 *	interpreter has them. Without them a range can only be honoured
 *	when the script is written: webrules_script() then writes the
 *	vacation only when today lies within the range.
 * LIMITS
 *	WEBRULES_MAX		rules
 *	WEBRULES_FIELD_MAX	bytes of a contained text, folder or address
 *	WEBRULES_SUBJECT_MAX	bytes of the vacation subject
 *	WEBRULES_TEXT_MAX	bytes of the vacation text
 * MEMORY
 *	struct webrules owns its strings; webrules_free() releases them.
 *	*why_r is allocated; the caller frees it.
 */
#ifndef POPSTORE_WEBRULES_H
#define POPSTORE_WEBRULES_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define WEBRULES_MAX		50
#define WEBRULES_FIELD_MAX	200
#define WEBRULES_SUBJECT_MAX	200
#define WEBRULES_TEXT_MAX	4000
#define WEBRULES_DAYS_MIN	1	/* RFC 5230's minimum :days */
#define WEBRULES_DAYS_MAX	30
#define WEBRULES_DAYS_DEFAULT	7

enum webrules_field { WEBRULES_FROM, WEBRULES_SUBJECT };
enum webrules_action { WEBRULES_FILEINTO, WEBRULES_DISCARD,
    WEBRULES_FORWARD };

struct webrules_rule {
	int	 field;		/* enum webrules_field */
	char	*value;		/* the text the field contains */
	int	 action;	/* enum webrules_action */
	char	*arg;		/* folder or address; "" for discard */
};

struct webrules {
	int	 vacation;	/* the notice is on */
	char	 start[11];	/* YYYY-MM-DD or "" */
	char	 end[11];
	uint64_t days;
	char	*subject;	/* "" : the interpreter's default */
	char	*text;
	struct webrules_rule *v;
	size_t	 n;
};

/* An empty set (no vacation, no rules). */
void webrules_init(struct webrules *w);

void webrules_free(struct webrules *w);

/* Append a rule (copies of value and arg). */
void webrules_add(struct webrules *w, int field, const char *value,
    int action, const char *arg);

/*
 * Check every field: lengths, dates (real calendar days, END not
 * before START), days, no control characters but newlines in the
 * text, a folder name (mboxlist.h rules), a plausible address
 * (local@domain, no blanks, quotes or brackets). 0, or -1 with *why_r
 * a sentence for the user.
 */
int webrules_check(const struct webrules *w, char **why_r);

/*
 * Append the script for w to out. have_date says whether the Sieve
 * interpreter knows currentdate; today is "YYYY-MM-DD" (local time),
 * used only without it.
 */
void webrules_script(const struct webrules *w, int have_date,
    const char *today, struct buf *out);

/*
 * Read the rules back from a script: 1 with *w filled (initialise it
 * first), 0 when the script is empty or not written by this module,
 * -1 with *why_r when its rule lines are damaged.
 */
int webrules_read(const char *script, size_t len, struct webrules *w,
    char **why_r);

#endif
