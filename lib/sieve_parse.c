/*
 * sieve_parse - read a Sieve script once into a checked tree (sieve.h).
 *
 * Three steps: the lexer turns bytes into tokens with their line and
 * column, the parser builds the generic RFC 5228 tree (command,
 * arguments, tests, block) with its depth and size bounded, and the
 * check decodes every node's arguments against the table of commands
 * and tests, so that sieve_run.c only evaluates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mboxlist.h"
#include "mem.h"
#include "sieve.h"
#include "sieve_ast.h"
#include "sieve_msg.h"

/* ---- lexer ---- */

enum tok { T_EOF = 0, T_IDENT, T_TAG, T_NUM, T_STR, T_LBRACKET, T_RBRACKET,
	T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA, T_SEMI, T_ERR };

struct parser {
	const char	*s;
	size_t		 len, i;
	unsigned	 line, col;	/* of position i */
	/* the current token */
	int		 tok;
	unsigned	 tline, tcol;
	struct buf	 text;		/* identifier (lower case) or string */
	uint64_t	 num;
	/* the first error */
	char		*why;
	size_t		 nodes;
	unsigned	 caps;
};

static void
perr(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
perr(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (p->why)
		return;
	buf_printf(&b, "%u:%u: ", line, col);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	p->why = buf_steal(&b);
}

/* Text of the script quoted in an error: printable, short. */
static const char *
shown(const char *s, char *out, size_t cap)
{
	size_t i, j = 0;

	for (i = 0; s[i] && j + 4 < cap; i++)
		out[j++] = (unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f ? s[i] : '?';
	if (s[i] && j + 4 >= cap) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

static void
advance(struct parser *p)
{
	unsigned char c = (unsigned char)p->s[p->i++];

	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		p->col++;
	}
}

static int
at(const struct parser *p, size_t k)
{
	return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : -1;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* 1 when b[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static int
utf8_ok(const unsigned char *b, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		if (b[i] < 0x80) {
			i++;
			continue;
		}
		if ((b[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = b[i] & 0x1f;
		} else if ((b[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = b[i] & 0x0f;
		} else if ((b[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = b[i] & 0x07;
		} else {
			return 0;
		}
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((b[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (b[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Skip whitespace and comments. -1 on an unterminated comment. */
static int
skip_space(struct parser *p)
{
	unsigned line, col;

	for (;;) {
		int c = at(p, 0);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(p);
		} else if (c == '#') {
			while (at(p, 0) != -1 && at(p, 0) != '\n')
				advance(p);
		} else if (c == '/' && at(p, 1) == '*') {
			line = p->line;
			col = p->col;
			advance(p);
			advance(p);
			while (!(at(p, 0) == '*' && at(p, 1) == '/')) {
				if (at(p, 0) == -1) {
					perr(p, line, col, "unterminated comment");
					return -1;
				}
				advance(p);
			}
			advance(p);
			advance(p);
		} else {
			return 0;
		}
	}
}

static int
str_append(struct parser *p, int c)
{
	if (p->text.len >= SIEVE_STRING_MAX) {
		perr(p, p->tline, p->tcol, "string longer than SIEVE_STRING_MAX "
		    "(%d bytes)", SIEVE_STRING_MAX);
		return -1;
	}
	buf_putc(&p->text, c);
	return 0;
}

static int
lex_quoted(struct parser *p)
{
	advance(p);
	for (;;) {
		int c = at(p, 0);

		if (c == -1) {
			perr(p, p->tline, p->tcol, "unterminated string");
			return T_ERR;
		}
		advance(p);
		if (c == '"')
			return T_STR;
		if (c == '\\') {
			c = at(p, 0);
			if (c == -1)
				continue;
			advance(p);
		}
		if (c == '\r' && at(p, 0) == '\n')
			continue;		/* CRLF is kept as LF */
		if (str_append(p, c) < 0)
			return T_ERR;
	}
}

/* "text:" was seen; read lines up to the lone ".". */
static int
lex_multiline(struct parser *p)
{
	size_t k;

	while (at(p, 0) == ' ' || at(p, 0) == '\t')
		advance(p);
	if (at(p, 0) == '#') {
		while (at(p, 0) != -1 && at(p, 0) != '\n')
			advance(p);
	} else if (at(p, 0) == '\r' && at(p, 1) == '\n') {
		advance(p);
	} else if (at(p, 0) != '\n') {
		perr(p, p->line, p->col, "text: must be followed by a line end");
		return T_ERR;
	}
	if (at(p, 0) == -1) {
		perr(p, p->tline, p->tcol, "unterminated multi-line string");
		return T_ERR;
	}
	advance(p);		/* the LF */
	for (;;) {
		if (at(p, 0) == -1) {
			perr(p, p->tline, p->tcol, "unterminated multi-line "
			    "string");
			return T_ERR;
		}
		if (at(p, 0) == '.') {
			k = (at(p, 1) == '\r') ? 2 : 1;
			if (at(p, k) == '\n' || at(p, k) == -1) {
				while (k-- > 0)
					advance(p);
				if (at(p, 0) == '\n')
					advance(p);
				return T_STR;
			}
			if (at(p, 1) == '.')
				advance(p);	/* dot-stuffing */
		}
		while (at(p, 0) != -1 && at(p, 0) != '\n') {
			int c = at(p, 0);

			advance(p);
			if (c == '\r' && at(p, 0) == '\n')
				continue;
			if (str_append(p, c) < 0)
				return T_ERR;
		}
		if (at(p, 0) == '\n') {
			advance(p);
			if (str_append(p, '\n') < 0)
				return T_ERR;
		}
	}
}

static int
lex_number(struct parser *p)
{
	uint64_t v = 0, mul = 1;
	int c;

	while (is_digit(c = at(p, 0))) {
		if (v > (UINT64_MAX - 9) / 10) {
			perr(p, p->tline, p->tcol, "number too large");
			return T_ERR;
		}
		v = v * 10 + (uint64_t)(c - '0');
		advance(p);
	}
	switch (at(p, 0)) {
	case 'k': case 'K': mul = 1024; break;
	case 'm': case 'M': mul = 1024 * 1024; break;
	case 'g': case 'G': mul = 1024 * 1024 * 1024; break;
	}
	if (mul > 1)
		advance(p);
	if (v > INT64_MAX / mul) {
		perr(p, p->tline, p->tcol, "number too large");
		return T_ERR;
	}
	p->num = v * mul;
	if (is_alpha(at(p, 0)) || is_digit(at(p, 0))) {
		perr(p, p->line, p->col, "bad number");
		return T_ERR;
	}
	return T_NUM;
}

static void
lex_word(struct parser *p)
{
	int c;

	while (is_alpha(c = at(p, 0)) || is_digit(c)) {
		buf_putc(&p->text, c >= 'A' && c <= 'Z' ? c + 32 : c);
		advance(p);
	}
}

static int
lex(struct parser *p)
{
	int c;

	buf_reset(&p->text);
	buf_reserve(&p->text, 0);
	if (p->why || skip_space(p) < 0)
		return p->tok = T_ERR;
	p->tline = p->line;
	p->tcol = p->col;
	c = at(p, 0);
	if (c == -1)
		return p->tok = T_EOF;
	if (c == '"')
		return p->tok = lex_quoted(p);
	if (is_digit(c))
		return p->tok = lex_number(p);
	if (c == ':') {
		advance(p);
		if (!is_alpha(at(p, 0))) {
			perr(p, p->tline, p->tcol, "bad tag");
			return p->tok = T_ERR;
		}
		lex_word(p);
		return p->tok = T_TAG;
	}
	if (is_alpha(c)) {
		lex_word(p);
		if (strcmp(p->text.data, "text") == 0 && at(p, 0) == ':') {
			advance(p);
			buf_reset(&p->text);
			return p->tok = lex_multiline(p);
		}
		return p->tok = T_IDENT;
	}
	advance(p);
	switch (c) {
	case '[': return p->tok = T_LBRACKET;
	case ']': return p->tok = T_RBRACKET;
	case '(': return p->tok = T_LPAREN;
	case ')': return p->tok = T_RPAREN;
	case '{': return p->tok = T_LBRACE;
	case '}': return p->tok = T_RBRACE;
	case ',': return p->tok = T_COMMA;
	case ';': return p->tok = T_SEMI;
	}
	perr(p, p->tline, p->tcol, "unexpected character '%c'",
	    c >= 0x20 && c < 0x7f ? c : '?');
	return p->tok = T_ERR;
}

/* ---- parser: the generic tree ---- */

/* Room for element n of array v: doubles at powers of two, so building
 * a long list costs linear time even where realloc always moves. */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n & (n - 1))
		return v;
	return mem_realloc(v, n ? n * 2 : 1, size);
}

static int parse_test(struct parser *p, struct sv_node *n, unsigned depth);
static int parse_commands(struct parser *p, struct sv_node **v, size_t *n,
    unsigned depth);

static int
take_string(struct parser *p, struct sv_list *l)
{
	struct sv_str *s;

	if (!utf8_ok((const unsigned char *)p->text.data, p->text.len)) {
		perr(p, p->tline, p->tcol, "string is not valid UTF-8");
		return -1;
	}
	if (l->n >= SIEVE_LIST_MAX) {
		perr(p, p->tline, p->tcol, "more than SIEVE_LIST_MAX (%d) "
		    "strings in a list", SIEVE_LIST_MAX);
		return -1;
	}
	l->v = grow(l->v, l->n, sizeof(*l->v));
	s = &l->v[l->n++];
	s->len = p->text.len;
	s->s = mem_strndup(buf_cstr(&p->text), p->text.len);
	s->vars = 0;
	return 0;
}

static int
parse_list(struct parser *p, struct sv_arg *a)
{
	a->bracketed = 1;
	for (;;) {
		if (lex(p) != T_STR) {
			if (p->tok != T_ERR)
				perr(p, p->tline, p->tcol, "string expected in "
				    "string list");
			return -1;
		}
		if (take_string(p, &a->list) < 0)
			return -1;
		if (lex(p) == T_RBRACKET)
			return 0;
		if (p->tok != T_COMMA) {
			if (p->tok != T_ERR)
				perr(p, p->tline, p->tcol, "',' or ']' expected");
			return -1;
		}
	}
}

static struct sv_arg *
new_arg(struct sv_node *n, struct parser *p, int type)
{
	struct sv_arg *a;

	n->args = grow(n->args, n->nargs, sizeof(*n->args));
	a = &n->args[n->nargs++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->line = p->tline;
	a->col = p->tcol;
	return a;
}

static int
count_node(struct parser *p)
{
	if (++p->nodes > SIEVE_NODES_MAX) {
		perr(p, p->tline, p->tcol, "more than SIEVE_NODES_MAX (%d) "
		    "commands and tests", SIEVE_NODES_MAX);
		return -1;
	}
	return 0;
}

static struct sv_node *
new_test(struct sv_node *n)
{
	struct sv_node *t;

	n->tests = grow(n->tests, n->ntests, sizeof(*n->tests));
	t = &n->tests[n->ntests++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* Arguments of a command or test; p->tok is the first token after the
 * identifier and, on return, the first token after the arguments. */
static int
parse_args(struct parser *p, struct sv_node *n, unsigned depth)
{
	struct sv_arg *a;

	for (;;) {
		switch (p->tok) {
		case T_STR:
			a = new_arg(n, p, SV_ARG_LIST);
			if (take_string(p, &a->list) < 0)
				return -1;
			break;
		case T_LBRACKET:
			a = new_arg(n, p, SV_ARG_LIST);
			if (parse_list(p, a) < 0)
				return -1;
			break;
		case T_NUM:
			a = new_arg(n, p, SV_ARG_NUM);
			a->num = p->num;
			break;
		case T_TAG:
			a = new_arg(n, p, SV_ARG_TAG);
			a->tag = mem_strdup(p->text.data);
			break;
		case T_IDENT:
			if (depth >= SIEVE_DEPTH_MAX) {
				perr(p, p->tline, p->tcol, "tests nested deeper "
				    "than SIEVE_DEPTH_MAX (%d)", SIEVE_DEPTH_MAX);
				return -1;
			}
			return parse_test(p, new_test(n), depth + 1);
		case T_LPAREN:
			if (depth >= SIEVE_DEPTH_MAX) {
				perr(p, p->tline, p->tcol, "tests nested deeper "
				    "than SIEVE_DEPTH_MAX (%d)", SIEVE_DEPTH_MAX);
				return -1;
			}
			n->has_block = 2;	/* marks a test list */
			do {
				if (lex(p) != T_IDENT) {
					if (p->tok != T_ERR)
						perr(p, p->tline, p->tcol,
						    "test expected");
					return -1;
				}
				if (parse_test(p, new_test(n), depth + 1) < 0)
					return -1;
			} while (p->tok == T_COMMA);
			if (p->tok != T_RPAREN) {
				if (p->tok != T_ERR)
					perr(p, p->tline, p->tcol,
					    "',' or ')' expected");
				return -1;
			}
			lex(p);
			return p->tok == T_ERR ? -1 : 0;
		case T_ERR:
			return -1;
		default:
			return 0;
		}
		lex(p);
	}
}

static void
node_start(struct parser *p, struct sv_node *n)
{
	n->line = p->tline;
	n->col = p->tcol;
	n->id = 0;
	/* the name is kept in a tag-less argument slot until the check */
	n->args = NULL;
	n->nargs = 0;
}

static char *
take_name(struct parser *p)
{
	return mem_strdup(p->text.data);
}

/* The identifier is p->text; names are resolved by the check. */
static int
parse_test(struct parser *p, struct sv_node *n, unsigned depth)
{
	char *name;
	int rc;

	node_start(p, n);
	if (count_node(p) < 0)
		return -1;
	name = take_name(p);
	lex(p);
	rc = parse_args(p, n, depth);
	/* the name rides in front as a tag argument with type 0 */
	n->args = grow(n->args, n->nargs, sizeof(*n->args));
	memmove(n->args + 1, n->args, n->nargs * sizeof(*n->args));
	memset(&n->args[0], 0, sizeof(n->args[0]));
	n->args[0].tag = name;
	n->args[0].line = n->line;
	n->args[0].col = n->col;
	n->nargs++;
	return rc;
}

static int
parse_command(struct parser *p, struct sv_node *n, unsigned depth)
{
	if (parse_test(p, n, depth) < 0)
		return -1;
	if (p->tok == T_SEMI) {
		lex(p);
		return p->tok == T_ERR ? -1 : 0;
	}
	if (p->tok == T_LBRACE) {
		if (depth >= SIEVE_DEPTH_MAX) {
			perr(p, p->tline, p->tcol, "blocks nested deeper than "
			    "SIEVE_DEPTH_MAX (%d)", SIEVE_DEPTH_MAX);
			return -1;
		}
		n->has_block = 1;
		lex(p);
		if (parse_commands(p, &n->block, &n->nblock, depth + 1) < 0)
			return -1;
		if (p->tok != T_RBRACE) {
			if (p->tok != T_ERR)
				perr(p, p->tline, p->tcol, "'}' expected");
			return -1;
		}
		lex(p);
		return p->tok == T_ERR ? -1 : 0;
	}
	if (p->tok != T_ERR)
		perr(p, p->tline, p->tcol, p->tok == T_EOF ?
		    "';' expected before the end of the script" :
		    "';' or '{' expected");
	return -1;
}

static int
parse_commands(struct parser *p, struct sv_node **v, size_t *n,
    unsigned depth)
{
	while (p->tok == T_IDENT) {
		*v = grow(*v, *n, sizeof(**v));
		memset(&(*v)[*n], 0, sizeof(**v));
		(*n)++;
		if (parse_command(p, &(*v)[*n - 1], depth) < 0)
			return -1;
	}
	if (p->tok == T_ERR)
		return -1;
	return 0;
}

/* ---- the check ---- */

/* Tag groups. */
#define G_CMP		0x0001
#define G_MATCH		0x0002
#define G_ADDR		0x0004
#define G_BODY		0x0008
#define G_SIZE		0x0010
#define G_COPY		0x0020
#define G_FLAGS		0x0040
#define G_CREATE	0x0080
#define G_VAC		0x0100
#define G_SETMOD	0x0200
#define G_ZONE		0x0400

/* Positional shapes. */
enum pos { P_NONE = 0, P_L, P_S, P_N, P_LL, P_SS, P_OPT_L };

/* What follows: nothing, one test, a test list, a block. */
#define S_TEST		0x01
#define S_TESTS		0x02
#define S_BLOCK		0x04

struct def {
	const char *name;
	int	 id;
	int	 test;
	unsigned cap;
	unsigned tags;
	int	 pos;
	int	 sub;
};

static const struct def defs[] = {
	{ "require", SV_REQUIRE, 0, 0, 0, P_L, 0 },
	{ "if", SV_IF, 0, 0, 0, P_NONE, S_TEST | S_BLOCK },
	{ "elsif", SV_ELSIF, 0, 0, 0, P_NONE, S_TEST | S_BLOCK },
	{ "else", SV_ELSE, 0, 0, 0, P_NONE, S_BLOCK },
	{ "stop", SV_STOP, 0, 0, 0, P_NONE, 0 },
	{ "keep", SV_KEEP, 0, 0, G_FLAGS, P_NONE, 0 },
	{ "discard", SV_DISCARD, 0, 0, 0, P_NONE, 0 },
	{ "redirect", SV_REDIRECT, 0, 0, G_COPY, P_S, 0 },
	{ "fileinto", SV_FILEINTO, 0, SV_CAP_FILEINTO,
	    G_COPY | G_FLAGS | G_CREATE, P_S, 0 },
	{ "reject", SV_REJECT, 0, SV_CAP_REJECT, 0, P_S, 0 },
	{ "ereject", SV_EREJECT, 0, SV_CAP_EREJECT, 0, P_S, 0 },
	{ "vacation", SV_VACATION, 0, SV_CAP_VACATION, G_VAC, P_S, 0 },
	{ "setflag", SV_SETFLAG, 0, SV_CAP_IMAP4FLAGS, 0, P_OPT_L, 0 },
	{ "addflag", SV_ADDFLAG, 0, SV_CAP_IMAP4FLAGS, 0, P_OPT_L, 0 },
	{ "removeflag", SV_REMOVEFLAG, 0, SV_CAP_IMAP4FLAGS, 0, P_OPT_L, 0 },
	{ "set", SV_SET, 0, SV_CAP_VARIABLES, G_SETMOD, P_SS, 0 },
	{ "address", SV_ADDRESS, 1, 0, G_CMP | G_MATCH | G_ADDR, P_LL, 0 },
	{ "envelope", SV_ENVELOPE, 1, SV_CAP_ENVELOPE,
	    G_CMP | G_MATCH | G_ADDR, P_LL, 0 },
	{ "header", SV_HEADER, 1, 0, G_CMP | G_MATCH, P_LL, 0 },
	{ "exists", SV_EXISTS, 1, 0, 0, P_L, 0 },
	{ "size", SV_SIZE, 1, 0, G_SIZE, P_N, 0 },
	{ "allof", SV_ALLOF, 1, 0, 0, P_NONE, S_TESTS },
	{ "anyof", SV_ANYOF, 1, 0, 0, P_NONE, S_TESTS },
	{ "not", SV_NOT, 1, 0, 0, P_NONE, S_TEST },
	{ "true", SV_TRUE, 1, 0, 0, P_NONE, 0 },
	{ "false", SV_FALSE, 1, 0, 0, P_NONE, 0 },
	{ "body", SV_BODY, 1, SV_CAP_BODY, G_CMP | G_MATCH | G_BODY, P_L, 0 },
	{ "hasflag", SV_HASFLAG, 1, SV_CAP_IMAP4FLAGS, G_CMP | G_MATCH,
	    P_OPT_L, 0 },
	{ "string", SV_STRING, 1, SV_CAP_VARIABLES, G_CMP | G_MATCH, P_LL, 0 },
	{ "mailboxexists", SV_MAILBOXEXISTS, 1, SV_CAP_MAILBOX, 0, P_L, 0 },
	{ "currentdate", SV_CURRENTDATE, 1, SV_CAP_DATE,
	    G_CMP | G_MATCH | G_ZONE, P_LL, 0 },
};

struct capname {
	const char *name;
	unsigned cap;
};

static const struct capname capnames[] = {
	{ "fileinto", SV_CAP_FILEINTO },
	{ "reject", SV_CAP_REJECT },
	{ "ereject", SV_CAP_EREJECT },
	{ "envelope", SV_CAP_ENVELOPE },
	{ "subaddress", SV_CAP_SUBADDRESS },
	{ "copy", SV_CAP_COPY },
	{ "imap4flags", SV_CAP_IMAP4FLAGS },
	{ "body", SV_CAP_BODY },
	{ "relational", SV_CAP_RELATIONAL },
	{ "regex", SV_CAP_REGEX },
	{ "vacation", SV_CAP_VACATION },
	{ "variables", SV_CAP_VARIABLES },
	{ "mailbox", SV_CAP_MAILBOX },
	{ "date", SV_CAP_DATE },
	{ "comparator-i;ascii-numeric", SV_CAP_NUMERIC },
	{ "comparator-i;octet", 0 },
	{ "comparator-i;ascii-casemap", 0 },
};

static const char *
cap_name(unsigned cap)
{
	size_t i;

	for (i = 0; i < sizeof(capnames) / sizeof(capnames[0]); i++)
		if (capnames[i].cap == cap)
			return capnames[i].name;
	return "?";
}

/* Where the check is, for errors. */
struct chk {
	struct parser	*p;
	struct sv_node	*n;
	const struct def *d;
	size_t		 ai;		/* next argument */
	unsigned	 seen;		/* tag groups already given */
};

static int
need_cap(struct chk *c, unsigned cap, const struct sv_arg *a, const char *what)
{
	if (cap == 0 || (c->p->caps & cap))
		return 0;
	perr(c->p, a->line, a->col, "%s needs require \"%s\"", what,
	    cap_name(cap));
	return -1;
}

static const struct sv_arg *
cur_arg(struct chk *c)
{
	return c->ai < c->n->nargs ? &c->n->args[c->ai] : NULL;
}

/* The string argument following a tag. */
static struct sv_str *
tag_string(struct chk *c, const struct sv_arg *tag)
{
	struct sv_arg *a = c->ai + 1 < c->n->nargs ? &c->n->args[c->ai + 1] :
	    NULL;

	if (a == NULL || a->type != SV_ARG_LIST || a->bracketed ||
	    a->list.n != 1) {
		perr(c->p, tag->line, tag->col, ":%s needs a string", tag->tag);
		return NULL;
	}
	c->ai++;
	return &a->list.v[0];
}

static struct sv_list *
tag_list(struct chk *c, const struct sv_arg *tag)
{
	struct sv_arg *a = c->ai + 1 < c->n->nargs ? &c->n->args[c->ai + 1] :
	    NULL;

	if (a == NULL || a->type != SV_ARG_LIST) {
		perr(c->p, tag->line, tag->col, ":%s needs a string list",
		    tag->tag);
		return NULL;
	}
	c->ai++;
	return &a->list;
}

/* 0 when the command takes tags of group g, else -1 (error set). */
static int
tag_allowed(struct chk *c, const struct sv_arg *a, unsigned g)
{
	if (c->d->tags & g)
		return 0;
	perr(c->p, a->line, a->col, "tag :%s is not allowed with %s", a->tag,
	    c->d->name);
	return -1;
}

static int
group_once(struct chk *c, const struct sv_arg *a, unsigned g,
    const char *what)
{
	if (tag_allowed(c, a, g) < 0)
		return -1;
	if (c->seen & g) {
		perr(c->p, a->line, a->col, "more than one %s", what);
		return -1;
	}
	c->seen |= g;
	return 0;
}

static int
tag_comparator(struct chk *c, const struct sv_arg *a)
{
	struct sv_str *s;
	char sh[48];

	if (group_once(c, a, G_CMP, "comparator") < 0 ||
	    (s = tag_string(c, a)) == NULL)
		return -1;
	if (strcasecmp(s->s, "i;octet") == 0)
		c->n->cmp = SV_CMP_OCTET;
	else if (strcasecmp(s->s, "i;ascii-casemap") == 0)
		c->n->cmp = SV_CMP_CASEMAP;
	else if (strcasecmp(s->s, "i;ascii-numeric") == 0) {
		c->n->cmp = SV_CMP_NUMERIC;
		return need_cap(c, SV_CAP_NUMERIC, a, "comparator "
		    "\"i;ascii-numeric\"");
	} else {
		perr(c->p, a->line, a->col, "unknown comparator \"%s\"",
		    shown(s->s, sh, sizeof(sh)));
		return -1;
	}
	return 0;
}

static int
tag_relational(struct chk *c, const struct sv_arg *a, int mt)
{
	static const char *ops[] = { "gt", "ge", "lt", "le", "eq", "ne" };
	struct sv_str *s;
	size_t i;

	if (need_cap(c, SV_CAP_RELATIONAL, a, ":count and :value") < 0 ||
	    (s = tag_string(c, a)) == NULL)
		return -1;
	c->n->match = mt;
	for (i = 0; i < 6; i++)
		if (strcasecmp(s->s, ops[i]) == 0) {
			c->n->rel = (int)i;
			return 0;
		}
	perr(c->p, a->line, a->col, "relational operator must be gt, ge, lt, "
	    "le, eq or ne");
	return -1;
}

static int
tag_match(struct chk *c, const struct sv_arg *a)
{
	if (group_once(c, a, G_MATCH, "match type") < 0)
		return -1;
	if (strcmp(a->tag, "is") == 0)
		c->n->match = SV_M_IS;
	else if (strcmp(a->tag, "contains") == 0)
		c->n->match = SV_M_CONTAINS;
	else if (strcmp(a->tag, "matches") == 0)
		c->n->match = SV_M_MATCHES;
	else if (strcmp(a->tag, "regex") == 0) {
		c->n->match = SV_M_REGEX;
		return need_cap(c, SV_CAP_REGEX, a, ":regex");
	} else if (strcmp(a->tag, "count") == 0)
		return tag_relational(c, a, SV_M_COUNT);
	else
		return tag_relational(c, a, SV_M_VALUE);
	return 0;
}

static int
tag_addrpart(struct chk *c, const struct sv_arg *a)
{
	if (group_once(c, a, G_ADDR, "address part") < 0)
		return -1;
	if (strcmp(a->tag, "all") == 0)
		c->n->part = SV_AP_ALL;
	else if (strcmp(a->tag, "localpart") == 0)
		c->n->part = SV_AP_LOCAL;
	else if (strcmp(a->tag, "domain") == 0)
		c->n->part = SV_AP_DOMAIN;
	else {
		c->n->part = strcmp(a->tag, "user") == 0 ? SV_AP_USER :
		    SV_AP_DETAIL;
		return need_cap(c, SV_CAP_SUBADDRESS, a, ":user and :detail");
	}
	return 0;
}

static int
tag_body(struct chk *c, const struct sv_arg *a)
{
	if (group_once(c, a, G_BODY, "body transform") < 0)
		return -1;
	if (strcmp(a->tag, "raw") == 0)
		c->n->transform = SIEVE_BODY_RAW;
	else if (strcmp(a->tag, "text") == 0)
		c->n->transform = SIEVE_BODY_TEXT;
	else {
		c->n->transform = SIEVE_BODY_CONTENT;
		if ((c->n->types = tag_list(c, a)) == NULL)
			return -1;
	}
	return 0;
}

/* A flag of its own kind may appear once. */
static int
tag_once(struct chk *c, const struct sv_arg *a, unsigned g, int *field)
{
	if (tag_allowed(c, a, g) < 0)
		return -1;
	if (*field) {
		perr(c->p, a->line, a->col, "tag :%s given twice", a->tag);
		return -1;
	}
	*field = 1;
	return 0;
}

static int
tag_vacation(struct chk *c, const struct sv_arg *a)
{
	struct sv_node *n = c->n;
	struct sv_arg *v;

	if (tag_allowed(c, a, G_VAC) < 0)
		return -1;
	if (strcmp(a->tag, "mime") == 0)
		return tag_once(c, a, G_VAC, &n->mime);
	if (strcmp(a->tag, "days") == 0) {
		if (tag_once(c, a, G_VAC, &n->has_num) < 0)
			return -1;
		v = c->ai + 1 < n->nargs ? &n->args[c->ai + 1] : NULL;
		if (v == NULL || v->type != SV_ARG_NUM) {
			perr(c->p, a->line, a->col, ":days needs a number");
			return -1;
		}
		c->ai++;
		n->num = v->num;
		return 0;
	}
	if (strcmp(a->tag, "addresses") == 0) {
		if (n->addresses) {
			perr(c->p, a->line, a->col, "tag :%s given twice", a->tag);
			return -1;
		}
		return (n->addresses = tag_list(c, a)) ? 0 : -1;
	}
	{
		struct sv_str **f = strcmp(a->tag, "subject") == 0 ? &n->subject :
		    strcmp(a->tag, "from") == 0 ? &n->from : &n->handle;

		if (*f) {
			perr(c->p, a->line, a->col, "tag :%s given twice", a->tag);
			return -1;
		}
		return (*f = tag_string(c, a)) ? 0 : -1;
	}
}

/* currentdate :zone "+hhmm" (RFC 5260). */
static int
tag_zone(struct chk *c, const struct sv_arg *a)
{
	struct sv_node *n = c->n;

	if (group_once(c, a, G_ZONE, ":zone") < 0)
		return -1;
	if ((n->zone = tag_string(c, a)) == NULL)
		return -1;
	if (!n->zone->vars && sieve_zone_offset(n->zone->s, NULL) < 0) {
		perr(c->p, a->line, a->col, ":zone needs +hhmm or -hhmm");
		return -1;
	}
	return 0;
}

static int
tag_setmod(struct chk *c, const struct sv_arg *a)
{
	static const char *mods[] = { "lower", "upper", "lowerfirst",
	    "upperfirst", "quotewildcard", "length" };
	size_t i;

	if (tag_allowed(c, a, G_SETMOD) < 0)
		return -1;
	for (i = 0; i < 6; i++)
		if (strcmp(a->tag, mods[i]) == 0)
			break;
	if ((c->n->mods & (1 << i)) ||
	    ((c->n->mods | (1 << i)) & 0x03) == 0x03 ||
	    ((c->n->mods | (1 << i)) & 0x0c) == 0x0c) {
		perr(c->p, a->line, a->col, "conflicting modifier :%s", a->tag);
		return -1;
	}
	c->n->mods |= 1 << i;
	return 0;
}

struct tagdef {
	const char *name;
	int	(*fn)(struct chk *c, const struct sv_arg *a);
};

static int
tag_size(struct chk *c, const struct sv_arg *a)
{
	if (group_once(c, a, G_SIZE, ":over or :under") < 0)
		return -1;
	c->n->over = strcmp(a->tag, "over") == 0 ? 1 : 2;
	return 0;
}

static int
tag_copy(struct chk *c, const struct sv_arg *a)
{
	if (need_cap(c, SV_CAP_COPY, a, ":copy") < 0)
		return -1;
	return tag_once(c, a, G_COPY, &c->n->copy);
}

static int
tag_create(struct chk *c, const struct sv_arg *a)
{
	if (need_cap(c, SV_CAP_MAILBOX, a, ":create") < 0)
		return -1;
	return tag_once(c, a, G_CREATE, &c->n->create);
}

static int
tag_flags(struct chk *c, const struct sv_arg *a)
{
	int seen = c->n->flags != NULL;

	if (need_cap(c, SV_CAP_IMAP4FLAGS, a, ":flags") < 0 ||
	    tag_once(c, a, G_FLAGS, &seen) < 0)
		return -1;
	return (c->n->flags = tag_list(c, a)) ? 0 : -1;
}

static const struct tagdef tagdefs[] = {
	{ "comparator", tag_comparator },
	{ "is", tag_match }, { "contains", tag_match },
	{ "matches", tag_match }, { "regex", tag_match },
	{ "count", tag_match }, { "value", tag_match },
	{ "all", tag_addrpart }, { "localpart", tag_addrpart },
	{ "domain", tag_addrpart }, { "user", tag_addrpart },
	{ "detail", tag_addrpart },
	{ "raw", tag_body }, { "text", tag_body }, { "content", tag_body },
	{ "over", tag_size }, { "under", tag_size },
	{ "copy", tag_copy }, { "create", tag_create }, { "flags", tag_flags },
	{ "days", tag_vacation }, { "subject", tag_vacation },
	{ "from", tag_vacation }, { "addresses", tag_vacation },
	{ "mime", tag_vacation }, { "handle", tag_vacation },
	{ "lower", tag_setmod }, { "upper", tag_setmod },
	{ "lowerfirst", tag_setmod }, { "upperfirst", tag_setmod },
	{ "quotewildcard", tag_setmod }, { "length", tag_setmod },
	{ "zone", tag_zone },
};

static int
check_tags(struct chk *c)
{
	const struct sv_arg *a;
	char sh[48];
	size_t i;

	while ((a = cur_arg(c)) != NULL && a->type == SV_ARG_TAG) {
		for (i = 0; i < sizeof(tagdefs) / sizeof(tagdefs[0]); i++)
			if (strcmp(a->tag, tagdefs[i].name) == 0)
				break;
		if (i == sizeof(tagdefs) / sizeof(tagdefs[0])) {
			perr(c->p, a->line, a->col, "unknown tag :%s",
			    shown(a->tag, sh, sizeof(sh)));
			return -1;
		}
		if (tagdefs[i].fn(c, a) < 0)
			return -1;
		c->ai++;
	}
	return 0;
}

/* The next positional argument as a list / one string / a number. */
static struct sv_arg *
positional(struct chk *c, int type, const char *what)
{
	struct sv_arg *a = c->ai < c->n->nargs ? &c->n->args[c->ai] : NULL;

	if (a == NULL) {
		perr(c->p, c->n->line, c->n->col, "%s: %s expected",
		    c->d->name, what);
		return NULL;
	}
	if (a->type == SV_ARG_TAG) {
		perr(c->p, a->line, a->col, "%s: tag :%s after the positional "
		    "arguments", c->d->name, a->tag);
		return NULL;
	}
	if (a->type != type) {
		perr(c->p, a->line, a->col, "%s: %s expected", c->d->name, what);
		return NULL;
	}
	c->ai++;
	return a;
}

static struct sv_str *
pos_string(struct chk *c, const char *what)
{
	struct sv_arg *a = positional(c, SV_ARG_LIST, what);

	if (a == NULL)
		return NULL;
	if (a->bracketed || a->list.n != 1) {
		perr(c->p, a->line, a->col, "%s: %s expected, not a list",
		    c->d->name, what);
		return NULL;
	}
	return &a->list.v[0];
}

static struct sv_list *
pos_list(struct chk *c, const char *what)
{
	struct sv_arg *a = positional(c, SV_ARG_LIST, what);

	return a ? &a->list : NULL;
}

static int
check_positionals(struct chk *c)
{
	struct sv_node *n = c->n;
	struct sv_arg *a;
	size_t left;

	switch (c->d->pos) {
	case P_L:
		if ((n->keys = pos_list(c, "a string list")) == NULL)
			return -1;
		n->names = n->keys;
		break;
	case P_S:
		if ((n->str = pos_string(c, "a string")) == NULL)
			return -1;
		break;
	case P_N:
		if ((a = positional(c, SV_ARG_NUM, "a number")) == NULL)
			return -1;
		n->num = a->num;
		break;
	case P_LL:
		if ((n->names = pos_list(c, "a string list")) == NULL ||
		    (n->keys = pos_list(c, "a key list")) == NULL)
			return -1;
		break;
	case P_SS:
		if ((n->str = pos_string(c, "a variable name")) == NULL ||
		    (n->value = pos_string(c, "a value")) == NULL)
			return -1;
		break;
	case P_OPT_L:
		left = 0;
		while (c->ai + left < n->nargs &&
		    n->args[c->ai + left].type == SV_ARG_LIST)
			left++;
		if (left >= 2) {
			if (need_cap(c, SV_CAP_VARIABLES, &n->args[c->ai],
			    "a variable name") < 0 ||
			    (n->names = pos_list(c, "variable names")) == NULL)
				return -1;
		}
		if ((n->keys = pos_list(c, "a list of flags")) == NULL)
			return -1;
		break;
	}
	if (c->ai < n->nargs) {
		a = &n->args[c->ai];
		if (a->type == SV_ARG_TAG)
			perr(c->p, a->line, a->col, "%s: tag :%s after the "
			    "positional arguments", c->d->name, a->tag);
		else
			perr(c->p, a->line, a->col, "%s: too many arguments",
			    c->d->name);
		return -1;
	}
	return 0;
}

static int
var_name_ok(const char *s)
{
	size_t i;

	if (!is_alpha((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i]; i++)
		if (!is_alpha((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]))
			return 0;
	return i <= 64;
}

int
sv_addr_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t i, n = strlen(s);

	if (n == 0 || n > 320 || at == NULL || at == s || at[1] == '\0' ||
	    s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '<' ||
		    s[i] == '>' || s[i] == ',' || s[i] == '(' || s[i] == ')')
			return 0;
	return 1;
}

/* Mark strings holding variable references when variables are on. */
static void
mark_vars(struct parser *p, struct sv_node *n)
{
	size_t i, j;

	if (!(p->caps & SV_CAP_VARIABLES))
		return;
	for (i = 0; i < n->nargs; i++)
		for (j = 0; j < n->args[i].list.n; j++)
			n->args[i].list.v[j].vars =
			    strstr(n->args[i].list.v[j].s, "${") != NULL;
}

static int
check_regex(struct chk *c)
{
	struct sv_node *n = c->n;
	char *why = NULL;
	size_t i;

	if (n->match != SV_M_REGEX || n->keys == NULL)
		return 0;
	n->re = mem_zalloc(n->keys->n, sizeof(*n->re));
	for (i = 0; i < n->keys->n; i++) {
		if (n->keys->v[i].vars)
			continue;
		n->re[i] = sv_regex_compile(n->keys->v[i].s, n->keys->v[i].len,
		    n->cmp, &why);
		if (n->re[i] == NULL) {
			const struct sv_arg *a = &n->args[n->nargs - 1];

			perr(c->p, a->line, a->col, "regular expression: %s",
			    why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* Checks that depend on the command, after its arguments are decoded. */
static int
check_semantics(struct chk *c)
{
	struct sv_node *n = c->n;
	char sh[48];
	size_t i;

	if (n->cmp == SV_CMP_NUMERIC && (n->match == SV_M_CONTAINS ||
	    n->match == SV_M_MATCHES || n->match == SV_M_REGEX)) {
		perr(c->p, n->line, n->col, "comparator i;ascii-numeric only "
		    "supports :is, :value and :count");
		return -1;
	}
	switch (n->id) {
	case SV_SIZE:
		if (n->over == 0) {
			perr(c->p, n->line, n->col, "size needs :over or :under");
			return -1;
		}
		break;
	case SV_BODY:
		if (n->match == SV_M_COUNT) {
			perr(c->p, n->line, n->col, "body cannot use :count");
			return -1;
		}
		break;
	case SV_HEADER: case SV_ADDRESS: case SV_EXISTS:
		for (i = 0; i < n->names->n; i++)
			if (!n->names->v[i].vars &&
			    !sieve_field_name_ok(n->names->v[i].s)) {
				perr(c->p, n->line, n->col, "bad header field "
				    "name \"%s\"", shown(n->names->v[i].s, sh,
				    sizeof(sh)));
				return -1;
			}
		break;
	case SV_ENVELOPE:
		for (i = 0; i < n->names->n; i++)
			if (!n->names->v[i].vars &&
			    strcasecmp(n->names->v[i].s, "from") != 0 &&
			    strcasecmp(n->names->v[i].s, "to") != 0 &&
			    strcasecmp(n->names->v[i].s, "auth") != 0) {
				perr(c->p, n->line, n->col, "unknown envelope "
				    "part \"%s\"", shown(n->names->v[i].s, sh,
				    sizeof(sh)));
				return -1;
			}
		break;
	case SV_CURRENTDATE:
		if (n->names->n != 1) {
			perr(c->p, n->line, n->col, "currentdate needs one "
			    "date part");
			return -1;
		}
		if (!n->names->v[0].vars &&
		    !sieve_date_part_ok(n->names->v[0].s)) {
			perr(c->p, n->line, n->col, "unknown date part \"%s\"",
			    shown(n->names->v[0].s, sh, sizeof(sh)));
			return -1;
		}
		break;
	case SV_REDIRECT:
		if (!n->str->vars && !sv_addr_ok(n->str->s)) {
			perr(c->p, n->line, n->col, "redirect: bad address "
			    "\"%s\"", shown(n->str->s, sh, sizeof(sh)));
			return -1;
		}
		break;
	case SV_FILEINTO:
		if (!n->str->vars && mbox_name_check(n->str->s, NULL) < 0) {
			perr(c->p, n->line, n->col, "fileinto: bad folder name "
			    "\"%s\"", shown(n->str->s, sh, sizeof(sh)));
			return -1;
		}
		break;
	case SV_VACATION:
		if (n->from && !n->from->vars) {
			struct sieve_addrs l = { NULL, 0 };

			sieve_addrs_parse(n->from->s, n->from->len, &l);
			i = l.n == 1 && l.v[0].domain;
			sieve_addrs_free(&l);
			if (!i) {
				perr(c->p, n->line, n->col, "vacation: bad :from "
				    "address");
				return -1;
			}
		}
		break;
	case SV_SET:
		if (!var_name_ok(n->str->s)) {
			perr(c->p, n->line, n->col, "set: bad variable name "
			    "\"%s\"", shown(n->str->s, sh, sizeof(sh)));
			return -1;
		}
		break;
	case SV_SETFLAG: case SV_ADDFLAG: case SV_REMOVEFLAG: case SV_HASFLAG:
		for (i = 0; n->names && i < n->names->n; i++)
			if (!var_name_ok(n->names->v[i].s)) {
				perr(c->p, n->line, n->col, "bad variable name "
				    "\"%s\"", shown(n->names->v[i].s, sh,
				    sizeof(sh)));
				return -1;
			}
		if (n->id != SV_HASFLAG && n->names && n->names->n != 1) {
			perr(c->p, n->line, n->col, "one variable name expected");
			return -1;
		}
		break;
	}
	return check_regex(c);
}

static int check_block(struct parser *p, struct sv_node *v, size_t n,
    int top);

static int
check_require(struct parser *p, struct sv_node *n)
{
	char sh[48];
	size_t i, j;

	for (i = 0; i < n->keys->n; i++) {
		for (j = 0; j < sizeof(capnames) / sizeof(capnames[0]); j++)
			if (strcmp(n->keys->v[i].s, capnames[j].name) == 0)
				break;
		if (j == sizeof(capnames) / sizeof(capnames[0])) {
			perr(p, n->line, n->col, "unsupported extension \"%s\"",
			    shown(n->keys->v[i].s, sh, sizeof(sh)));
			return -1;
		}
		p->caps |= capnames[j].cap;
	}
	return 0;
}

static int
check_node(struct parser *p, struct sv_node *n, int want_test)
{
	struct chk c;
	char sh[48];
	size_t i;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.n = n;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, n->args[0].tag) == 0)
			break;
	if (i == sizeof(defs) / sizeof(defs[0])) {
		perr(p, n->line, n->col, "unknown %s \"%s\"", want_test ?
		    "test" : "command", shown(n->args[0].tag, sh, sizeof(sh)));
		return -1;
	}
	if (defs[i].test != want_test) {
		perr(p, n->line, n->col, "\"%s\" is not a %s", defs[i].name,
		    want_test ? "test" : "command");
		return -1;
	}
	c.d = &defs[i];
	n->id = c.d->id;
	if (need_cap(&c, c.d->cap, &n->args[0], c.d->name) < 0)
		return -1;
	mark_vars(p, n);
	c.ai = 1;
	if (check_tags(&c) < 0 || check_positionals(&c) < 0)
		return -1;
	for (i = 0; i < n->ntests; i++)
		if (check_node(p, &n->tests[i], 1) < 0)
			return -1;
	/* what follows the arguments */
	if ((c.d->sub & (S_TEST | S_TESTS)) == 0 && n->ntests > 0) {
		perr(p, n->tests[0].line, n->tests[0].col, "%s takes no test",
		    c.d->name);
		return -1;
	}
	if ((c.d->sub & S_TEST) && (n->ntests != 1 || n->has_block == 2)) {
		perr(p, n->line, n->col, "%s needs one test", c.d->name);
		return -1;
	}
	if ((c.d->sub & S_TESTS) && n->has_block != 2) {
		perr(p, n->line, n->col, "%s needs a test list", c.d->name);
		return -1;
	}
	if ((c.d->sub & S_BLOCK) && n->has_block != 1) {
		perr(p, n->line, n->col, "%s needs a block", c.d->name);
		return -1;
	}
	if (!(c.d->sub & S_BLOCK) && n->has_block == 1) {
		perr(p, n->line, n->col, "%s takes no block", c.d->name);
		return -1;
	}
	if (check_semantics(&c) < 0)
		return -1;
	if (n->id == SV_REQUIRE)
		return check_require(p, n);
	return n->has_block == 1 ? check_block(p, n->block, n->nblock, 0) : 0;
}

static int
check_block(struct parser *p, struct sv_node *v, size_t n, int top)
{
	int prev = 0, requires_ok = top;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = v[i].args[0].tag;

		if (strcmp(name, "require") == 0 && !requires_ok) {
			perr(p, v[i].line, v[i].col, "require must come before "
			    "every other command");
			return -1;
		}
		if (strcmp(name, "require") != 0)
			requires_ok = 0;
		if ((strcmp(name, "elsif") == 0 || strcmp(name, "else") == 0) &&
		    prev != SV_IF && prev != SV_ELSIF) {
			perr(p, v[i].line, v[i].col, "%s without if", name);
			return -1;
		}
		if (check_node(p, &v[i], 0) < 0)
			return -1;
		prev = v[i].id;
	}
	return 0;
}

/* ---- the script ---- */

void
sv_node_free(struct sv_node *n)
{
	size_t i, j;

	if (n->re) {		/* before the arguments its keys point into */
		for (i = 0; n->keys && i < n->keys->n; i++)
			sv_regex_free(n->re[i]);
		free(n->re);
	}
	for (i = 0; i < n->nargs; i++) {
		for (j = 0; j < n->args[i].list.n; j++)
			free(n->args[i].list.v[j].s);
		free(n->args[i].list.v);
		free(n->args[i].tag);
	}
	free(n->args);
	for (i = 0; i < n->ntests; i++)
		sv_node_free(&n->tests[i]);
	free(n->tests);
	for (i = 0; i < n->nblock; i++)
		sv_node_free(&n->block[i]);
	free(n->block);
}

void
sieve_free(struct sieve_script *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		sv_node_free(&s->cmds[i]);
	free(s->cmds);
	free(s);
}

int
sieve_parse(const char *text, size_t len, struct sieve_script **script_r,
    char **why_r)
{
	struct sieve_script *s = mem_zalloc(1, sizeof(*s));
	struct parser p;
	const char *nul;
	int rc = -1;

	*script_r = NULL;
	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.line = p.col = 1;
	if (len > SIEVE_SCRIPT_MAX) {
		perr(&p, 1, 1, "script larger than SIEVE_SCRIPT_MAX (%d bytes)",
		    SIEVE_SCRIPT_MAX);
		goto out;
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		struct parser q = p;

		q.len = (size_t)(nul - text);
		while (q.i < q.len)
			advance(&q);
		perr(&p, q.line, q.col, "NUL character in the script");
		goto out;
	}
	lex(&p);
	if (parse_commands(&p, &s->cmds, &s->n, 0) < 0)
		goto out;
	if (p.tok != T_EOF) {
		perr(&p, p.tline, p.tcol, p.tok == T_RBRACE ? "unexpected '}'" :
		    "command expected");
		goto out;
	}
	if (check_block(&p, s->cmds, s->n, 1) < 0)
		goto out;
	s->caps = p.caps;
	*script_r = s;
	s = NULL;
	rc = 0;
out:
	if (rc < 0 && why_r)
		*why_r = p.why ? p.why : mem_strdup("1:1: parse error");
	else
		free(p.why);
	buf_free(&p.text);
	sieve_free(s);
	return rc;
}

int
sieve_requires(const struct sieve_script *s, const char *cap)
{
	size_t i;

	for (i = 0; i < sizeof(capnames) / sizeof(capnames[0]); i++)
		if (strcmp(capnames[i].name, cap) == 0)
			return capnames[i].cap != 0 && (s->caps &
			    capnames[i].cap) == capnames[i].cap;
	return 0;
}
