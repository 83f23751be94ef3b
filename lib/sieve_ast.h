/*
 * NAME
 *	sieve_ast - the checked tree of a Sieve script, and matching
 * DESCRIPTION
 *	lib/ only: the parts of the Sieve interpreter (sieve.h) share these
 *	types. sieve_parse.c builds the tree and checks it: every node's
 *	arguments are then decoded into its typed fields (comparator, match
 *	type, key list ...), so sieve_run.c never looks at raw arguments.
 *	sieve_match.c holds the comparators (RFC 4790) and match types
 *	(:is, :contains, :matches, :regex, and the relational :value and
 *	:count), with the work accounting that bounds a run.
 * MEMORY
 *	The tree belongs to struct sieve_script (sieve_free). A struct
 *	sv_match owns its capture buffers and error text.
 */
#ifndef POPSTORE_SIEVE_AST_H
#define POPSTORE_SIEVE_AST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Capabilities (bits of sieve_script.caps). */
#define SV_CAP_FILEINTO		0x0001
#define SV_CAP_REJECT		0x0002
#define SV_CAP_EREJECT		0x0004
#define SV_CAP_ENVELOPE		0x0008
#define SV_CAP_SUBADDRESS	0x0010
#define SV_CAP_COPY		0x0020
#define SV_CAP_IMAP4FLAGS	0x0040
#define SV_CAP_BODY		0x0080
#define SV_CAP_RELATIONAL	0x0100
#define SV_CAP_REGEX		0x0200
#define SV_CAP_VACATION		0x0400
#define SV_CAP_VARIABLES	0x0800
#define SV_CAP_MAILBOX		0x1000
#define SV_CAP_NUMERIC		0x2000
#define SV_CAP_DATE		0x4000

enum sv_id {
	/* commands */
	SV_REQUIRE = 1, SV_IF, SV_ELSIF, SV_ELSE, SV_STOP, SV_KEEP,
	SV_DISCARD, SV_REDIRECT, SV_FILEINTO, SV_REJECT, SV_EREJECT,
	SV_VACATION, SV_SETFLAG, SV_ADDFLAG, SV_REMOVEFLAG, SV_SET,
	/* tests */
	SV_ADDRESS, SV_ENVELOPE, SV_HEADER, SV_EXISTS, SV_SIZE, SV_ALLOF,
	SV_ANYOF, SV_NOT, SV_TRUE, SV_FALSE, SV_BODY, SV_HASFLAG, SV_STRING,
	SV_MAILBOXEXISTS, SV_CURRENTDATE
};

enum sv_cmp { SV_CMP_CASEMAP = 0, SV_CMP_OCTET, SV_CMP_NUMERIC };
enum sv_mt { SV_M_IS = 0, SV_M_CONTAINS, SV_M_MATCHES, SV_M_REGEX,
	SV_M_COUNT, SV_M_VALUE };
enum sv_rel { SV_REL_GT = 0, SV_REL_GE, SV_REL_LT, SV_REL_LE, SV_REL_EQ,
	SV_REL_NE };
enum sv_part { SV_AP_ALL = 0, SV_AP_LOCAL, SV_AP_DOMAIN, SV_AP_USER,
	SV_AP_DETAIL };

/* set modifiers (RFC 5229 4), applied in this order of precedence. */
#define SV_MOD_LOWER		0x01
#define SV_MOD_UPPER		0x02
#define SV_MOD_LOWERFIRST	0x04
#define SV_MOD_UPPERFIRST	0x08
#define SV_MOD_QUOTEWILDCARD	0x10
#define SV_MOD_LENGTH		0x20

/* A string of the script: no NUL inside; vars when it holds "${". */
struct sv_str {
	char	*s;
	size_t	 len;
	int	 vars;
};

struct sv_list {
	struct sv_str *v;
	size_t	 n;
};

enum sv_argtype { SV_ARG_LIST = 1, SV_ARG_NUM, SV_ARG_TAG };

struct sv_arg {
	int	 type;		/* enum sv_argtype */
	unsigned line, col;
	int	 bracketed;	/* a list written with [ ] */
	struct sv_list list;
	uint64_t num;
	char	*tag;		/* lower case, without the ':' */
};

struct sv_node {
	int	 id;		/* enum sv_id */
	unsigned line, col;
	struct sv_arg *args;
	size_t	 nargs;
	struct sv_node *tests;	/* the test(s) of if, not, allof, anyof */
	size_t	 ntests;
	struct sv_node *block;	/* if, elsif, else */
	size_t	 nblock;
	int	 has_block;
	/* decoded by the check (pointers into args) */
	int	 cmp, match, rel, part, transform;
	int	 over, copy, create, mime, mods;
	uint64_t num;		/* size limit, :days */
	int	 has_num;
	struct sv_list *names;	/* header names, envelope parts, sources,
				   variable list, require's capabilities */
	struct sv_list *keys;	/* key list; flag list of *flag commands */
	struct sv_str *str;	/* folder, address, reason, variable name */
	struct sv_str *value;	/* set: the value */
	struct sv_list *flags;	/* :flags */
	struct sv_list *types;	/* body :content */
	struct sv_list *addresses;	/* vacation */
	struct sv_str *subject, *from, *handle;
	struct sv_str *zone;	/* currentdate :zone */
	void	**re;		/* :regex: compiled literal keys, or NULL */
};

struct sieve_script {
	struct sv_node *cmds;
	size_t	 n;
	unsigned caps;		/* SV_CAP_* required */
};

/* 1 for a plausible mail address: local@domain, printable, no blanks. */
int sv_addr_ok(const char *s);

/* Free the contents of a node (not the node itself). */
void sv_node_free(struct sv_node *n);

/* ---- matching (sieve_match.c) ---- */

#define SV_CAPS_MAX	10	/* ${0} .. ${9} */

struct sv_match {
	uint64_t work;			/* steps so far (SIEVE_WORK_MAX) */
	unsigned regex_runs;
	int	 want_caps;		/* record match variables */
	struct buf cap[SV_CAPS_MAX];	/* captures of the last match */
	size_t	 ncap;
	char	*why;			/* the error that stopped the run */
};

/*
 * Compile a :regex key (pattern[0..len)) for comparator cmp: the
 * compiled code, or NULL with *why_r.
 */
void *sv_regex_compile(const char *pattern, size_t len, int cmp,
    char **why_r);
void sv_regex_free(void *re);

/*
 * Does value[0..vlen) match key[0..klen) under node n's comparator and
 * match type (:is, :contains, :matches, :regex, :value; not :count)?
 * re is the compiled key for :regex, or NULL to compile it here. 1
 * match (captures recorded when want_caps), 0 not, -1 the run must
 * stop (m->why says why: a limit).
 */
int sv_match(struct sv_match *m, const struct sv_node *n, const char *value,
    size_t vlen, const char *key, size_t klen, void *re);

/*
 * The relational comparison of a and b under comparator cmp: the sign
 * of the ordering (numeric: a leading decimal number, none being
 * greater than every number).
 */
int sv_compare(int cmp, const char *a, size_t alen, const char *b,
    size_t blen);

/* 1 when ordering ord (sign of a compared to b) satisfies rel. */
int sv_rel_holds(int rel, int ord);

/* Charge n steps; -1 (with m->why) past SIEVE_WORK_MAX. */
int sv_charge(struct sv_match *m, uint64_t n);

void sv_match_free(struct sv_match *m);

#endif
