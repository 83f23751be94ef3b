/*
 * parse - popmgr's command syntax: words, PMDF-style switches, sizes
 *
 * A command line is split into words at blanks. In the command reader
 * (interactive, pipe, `run FILE`) "..." quotes a word or part of one
 * and "" inside quotes is a literal quote; on popmgr's own command line
 * the shell has done the quoting and words are taken as they are. In
 * both, a word ending in an unquoted ',' or holding an unclosed '('
 * continues with the next word, so "a, b" is the list "a,b" and
 * "-flags=(manage, nodismail)" one switch.
 *
 * A word starting with '-' is a switch (until a word "--"): -name,
 * -name=value or -noname; names are case-insensitive, '-' and '_' are
 * the same inside them, and any unambiguous abbreviation will do.
 * Everything else is a parameter.
 *
 * Nothing here touches the store; the unit tests include this file.
 */
#ifndef POPMGR_PARSE_H
#define POPMGR_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_LINE_MAX	(8u << 20)	/* longest command line, bytes */
#define PARSE_WORDS_MAX	1000000		/* words in one command */
#define PARSE_SW_MAX	48		/* switches one command knows */

struct words {
	char	**v;
	size_t	 n, cap;
};

enum sw_kind {
	SW_FLAG,	/* -name (or -noname when negatable) */
	SW_VALUE,	/* -name=value */
	SW_OPTIONAL	/* -name or -name=value */
};

struct sw_def {
	const char	*name;		/* lower case, '_' between words */
	int		 kind;		/* enum sw_kind */
	int		 negatable;	/* -noname allowed */
};

struct sw_val {
	int		 given;
	int		 negated;	/* given as -noname */
	const char	*value;		/* points into the words; or NULL */
};

/* Append a copy of s[0..len) as a word. */
void words_add(struct words *w, const char *s, size_t len);
void words_free(struct words *w);

/*
 * Split a command-reader line into words (quotes, joins: see above).
 * -1 with *why_r for an unterminated quote or too many words.
 */
int parse_line(const char *line, struct words *w, char **why_r);

/* The same joins for words that arrive already split (argv). */
void parse_argv(char *const *argv, size_t argc, struct words *w);

/*
 * Sort words into switches (vals[i] for defs[i]; defs ends with a NULL
 * name) and parameters (params, pointers into w). -1 with *why_r for
 * an unknown or ambiguous switch, a missing or unwanted value, a -no
 * form of a switch that has none, or a switch given twice.
 */
int parse_switches(const struct sw_def *defs, const struct words *w,
    size_t first, struct sw_val *vals, struct words *params, char **why_r);

/*
 * Split comma-separated parameters into single items (empty items are
 * dropped) appended to out.
 */
void parse_list(const struct words *params, size_t first, struct words *out);

/* Storage units: "bytes", "kbytes", "mbytes", "gbytes" (also b, kb,
 * mb, gb, any case). 0 or -1. */
int parse_units(const char *s, uint64_t *unit_r);
/* "bytes", "Kbytes", "Mbytes" or "Gbytes" for a unit. */
const char *parse_units_name(uint64_t unit);

/*
 * A size: a decimal number with up to 6 decimals and an optional
 * suffix B, K, M or G (KB, MB, GB too; any case; powers of 1024); a
 * bare number counts in unit bytes. Rounded down to whole bytes, at
 * most INT64_MAX. 0 or -1.
 */
int parse_size(const char *s, uint64_t unit, uint64_t *bytes_r);

/* A count: decimal digits, optional K/M/G (x1024) suffix. 0 or -1. */
int parse_count(const char *s, uint64_t *v_r);

/*
 * A duration: "D HH:MM:SS", "HH:MM:SS", "MM:SS" (PMDF's display form)
 * or seconds with an optional s/m/h/d suffix. 0 or -1.
 */
int parse_duration(const char *s, uint64_t *secs_r);

/* 1 for an answer meaning yes ("y", "yes", any case), else 0. */
int parse_yes(const char *s);

#endif
