/*
 * search-test.h - helpers shared by the search, sort and thread unit
 * tests (080-099) and the search fuzz target: a store with one IMAP
 * account "u", delivery of test messages with chosen dates and flags,
 * and a parser of search programs written like IMAP's (for tables).
 *
 * Program syntax: IMAP search keys separated by spaces, "( ... )" for
 * AND, strings as atoms or "quoted" (\" and \\ escapes), sequence sets
 * ("1:3,5:*") of client sequence numbers, UID sets after UID, KEYWORD
 * names looked up in the folder (unknown: no match). FROM, TO, CC, BCC
 * and SUBJECT become HEADER keys.
 */
#ifndef POPSTORE_SEARCH_TEST_H
#define POPSTORE_SEARCH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acct.h"
#include "buf.h"
#include "delivery.h"
#include "folder.h"
#include "mboxlist.h"
#include "mem.h"
#include "search.h"

/* ---- the program parser ---- */

struct sprog {
	const char	*p, *end;
	struct folder	*f;
	int		 depth;
	const char	*err;
};

static inline void
sprog_space(struct sprog *s)
{
	while (s->p < s->end && *s->p == ' ')
		s->p++;
}

/* The next token: an atom, a quoted string or one parenthesis. */
static inline int
sprog_token(struct sprog *s, struct buf *out)
{
	buf_reset(out);
	buf_append(out, "", 0);
	sprog_space(s);
	if (s->p >= s->end)
		return 0;
	if (*s->p == '(' || *s->p == ')') {
		buf_putc(out, *s->p++);
		return 1;
	}
	if (*s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			buf_putc(out, *s->p);
		}
		if (s->p >= s->end)
			return 0;
		s->p++;
		return 1;
	}
	while (s->p < s->end && *s->p != ' ' && *s->p != '(' && *s->p != ')')
		buf_putc(out, *s->p++);
	return 1;
}

static inline int
sprog_number(const struct buf *b, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (b->len == 0 || b->len > 20)
		return -1;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] < '0' || b->data[i] > '9' ||
		    *v > (UINT64_MAX - (uint64_t)(b->data[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(b->data[i] - '0');
	}
	return 0;
}

/* "1:3,5,7:*" with * = star into a node of kind. */
static inline struct search_node *
sprog_set(const struct buf *b, int kind, uint32_t star)
{
	uint32_t *r = NULL, v[2];
	size_t n = 0, i = 0, k;
	struct search_node *node;

	while (i < b->len) {
		for (k = 0; k < 2; k++) {
			uint64_t x = 0;
			size_t start = i;

			if (b->data[i] == '*') {
				x = star;
				i++;
			} else {
				while (i < b->len && b->data[i] >= '0' &&
				    b->data[i] <= '9' && i - start < 10)
					x = x * 10 + (uint64_t)(b->data[i++] - '0');
				if (i == start || x > UINT32_MAX) {
					free(r);
					return NULL;
				}
			}
			v[k] = (uint32_t)x;
			if (k == 0 && (i >= b->len || b->data[i] != ':')) {
				v[1] = v[0];
				break;
			}
			if (k == 0)
				i++;
		}
		r = mem_realloc(r, n + 1, sizeof(v));
		r[2 * n] = v[0];
		r[2 * n + 1] = v[1];
		n++;
		if (i < b->len && b->data[i++] != ',') {
			free(r);
			return NULL;
		}
	}
	node = n ? search_new_set(kind, r, n) : NULL;
	free(r);
	return node;
}

static inline uint32_t
sprog_last_uid(struct folder *f)
{
	struct msgrec r;
	uint32_t n = folder_count(f);

	return n && folder_record(f, n - 1, &r, NULL) == 1 ? r.uid : 0;
}

static inline struct search_node *sprog_key(struct sprog *s, struct buf *t);

static inline struct search_node *
sprog_next(struct sprog *s)
{
	struct buf t = BUF_INIT;
	struct search_node *n = NULL;

	if (sprog_token(s, &t))
		n = sprog_key(s, &t);
	else if (s->err == NULL)
		s->err = "missing key";
	buf_free(&t);
	return n;
}

static inline struct search_node *
sprog_list(struct sprog *s)
{
	struct search_node *and = search_new_and(), *c;

	for (;;) {
		sprog_space(s);
		if (s->p < s->end && *s->p == ')') {
			s->p++;
			return and;
		}
		if ((c = sprog_next(s)) == NULL) {
			search_free(and);
			return NULL;
		}
		search_add(and, c);
	}
}

static inline struct search_node *
sprog_arg(struct sprog *s, struct buf *t, int kind, const char *field)
{
	struct buf v = BUF_INIT;
	struct search_node *n = NULL;
	uint64_t num;
	int64_t day;

	if (!sprog_token(s, &v)) {
		s->err = "missing argument";
	} else if (kind == SEARCH_HEADER || kind == SEARCH_BODY ||
	    kind == SEARCH_TEXT) {
		n = search_new_text(kind, field, v.data, v.len);
	} else if ((kind >= SEARCH_BEFORE && kind <= SEARCH_SAVEDSINCE)) {
		if (search_date_parse(v.data, v.len, &day) == 0)
			n = search_new_num(kind, (uint64_t)day);
		else
			s->err = "bad date";
	} else if (sprog_number(&v, &num) == 0) {
		n = search_new_num(kind, num);
	} else {
		s->err = "bad number";
	}
	(void)t;
	buf_free(&v);
	return n;
}

static inline struct search_node *
sprog_key(struct sprog *s, struct buf *t)
{
	static const struct {
		const char *name;
		int kind;
		const char *field;
	} keys[] = {
		{ "FROM", SEARCH_HEADER, "From" }, { "TO", SEARCH_HEADER, "To" },
		{ "CC", SEARCH_HEADER, "Cc" }, { "BCC", SEARCH_HEADER, "Bcc" },
		{ "SUBJECT", SEARCH_HEADER, "Subject" },
		{ "BODY", SEARCH_BODY, NULL }, { "TEXT", SEARCH_TEXT, NULL },
		{ "LARGER", SEARCH_LARGER, NULL },
		{ "SMALLER", SEARCH_SMALLER, NULL },
		{ "BEFORE", SEARCH_BEFORE, NULL }, { "ON", SEARCH_ON, NULL },
		{ "SINCE", SEARCH_SINCE, NULL },
		{ "SENTBEFORE", SEARCH_SENTBEFORE, NULL },
		{ "SENTON", SEARCH_SENTON, NULL },
		{ "SENTSINCE", SEARCH_SENTSINCE, NULL },
		{ "SAVEDBEFORE", SEARCH_SAVEDBEFORE, NULL },
		{ "SAVEDON", SEARCH_SAVEDON, NULL },
		{ "SAVEDSINCE", SEARCH_SAVEDSINCE, NULL },
		{ "OLDER", SEARCH_OLDER, NULL }, { "YOUNGER", SEARCH_YOUNGER, NULL },
		{ "MODSEQ", SEARCH_MODSEQ, NULL },
	};
	struct search_node *n = NULL, *a, *b;
	struct buf v = BUF_INIT;
	size_t i;
	int bit;

	if (++s->depth > 200) {
		s->err = "too deep";
		s->depth--;
		return NULL;
	}
	if (strcmp(t->data, "(") == 0) {
		n = sprog_list(s);
	} else if (strcmp(t->data, ")") == 0) {
		s->err = "unexpected )";
	} else if ((n = search_new_simple(t->data)) != NULL) {
		;
	} else if (strcasecmp(t->data, "NOT") == 0) {
		if ((a = sprog_next(s)) != NULL)
			n = search_new_not(a);
	} else if (strcasecmp(t->data, "OR") == 0) {
		if ((a = sprog_next(s)) != NULL) {
			if ((b = sprog_next(s)) != NULL)
				n = search_new_or(a, b);
			else
				search_free(a);
		}
	} else if (strcasecmp(t->data, "HEADER") == 0) {
		if (sprog_token(s, &v))
			n = sprog_arg(s, t, SEARCH_HEADER, v.data);
		else
			s->err = "missing field";
	} else if (strcasecmp(t->data, "KEYWORD") == 0 ||
	    strcasecmp(t->data, "UNKEYWORD") == 0) {
		if (sprog_token(s, &v)) {
			bit = folder_keyword_bit(s->f, v.data, 0, NULL);
			n = bit < 0 ? search_new(SEARCH_NONE) :
			    search_new_num(SEARCH_KEYWORD, (uint64_t)bit);
			if (t->data[0] == 'U' || t->data[0] == 'u')
				n = search_new_not(n);
		} else {
			s->err = "missing keyword";
		}
	} else if (strcasecmp(t->data, "UID") == 0) {
		if (!sprog_token(s, &v) || (n = sprog_set(&v, SEARCH_UIDSET,
		    sprog_last_uid(s->f))) == NULL)
			s->err = "bad UID set";
	} else if ((t->data[0] >= '0' && t->data[0] <= '9') ||
	    t->data[0] == '*') {
		if ((n = sprog_set(t, SEARCH_SEQSET, folder_count(s->f))) == NULL)
			s->err = "bad sequence set";
	} else {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcasecmp(t->data, keys[i].name) == 0) {
				n = sprog_arg(s, t, keys[i].kind, keys[i].field);
				break;
			}
		if (i == sizeof(keys) / sizeof(keys[0]))
			s->err = "unknown key";
	}
	buf_free(&v);
	s->depth--;
	return n;
}

/* Parse a whole program (an implicit AND of its keys); NULL on error. */
static inline struct search_node *
sprog_parse(struct folder *f, const char *text, size_t len, const char **err)
{
	struct sprog s = { text, text + len, f, 0, NULL };
	struct search_node *and = search_new_and(), *c;

	for (;;) {
		sprog_space(&s);
		if (s.p >= s.end)
			break;
		if ((c = sprog_next(&s)) == NULL) {
			search_free(and);
			if (err)
				*err = s.err ? s.err : "syntax";
			return NULL;
		}
		search_add(and, c);
	}
	return and;
}

/* ---- the store ---- */

#ifdef POPSTORE_STORE_FIXTURE_H

struct stest {
	struct fixture	 fx;
	struct acct	 a;
	struct folder	*f;
};

static inline void
st_open(struct stest *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	fixture_open(&t->fx, name, NULL);
	fixture_account(&t->fx, "u", ACCT_IMAP, &t->a);
}

/* Deliver text (LF line ends) with an internal date; its UID or 0. */
static inline uint32_t
st_deliver(struct stest *t, const char *text, int64_t when, int tz,
    uint32_t flags)
{
	struct delivery *d;
	char *why = NULL;
	uint32_t uid = 0;

	if (delivery_begin(t->fx.store, "sender@example.org", &d, &why) < 0)
		goto fail;
	if (delivery_write_lf(d, text, strlen(text), &why) < 0 ||
	    delivery_end_data(d, &why) < 0) {
		delivery_free(d);
		goto fail;
	}
	if (when != 0)
		delivery_set_date(d, when, tz);
	delivery_add(d, &t->a, MBOX_INBOX_ID, flags);
	if (delivery_commit(d, &why) == 1)
		uid = delivery_target(d, 0)->uid;
	else
		printf("# delivery: %s\n", delivery_target(d, 0)->why);
	delivery_free(d);
	free(why);
	return uid;
fail:
	printf("# delivery: %s\n", why);
	free(why);
	return 0;
}

/* (Re)open INBOX, seeing every delivery so far. */
static inline struct folder *
st_folder(struct stest *t)
{
	char *why = NULL;

	if (t->f != NULL)
		folder_close(t->f);
	if (folder_open(t->fx.store, &t->a, "INBOX", 0, &t->f, &why) != 1) {
		printf("Bail out! folder_open: %s\n", why);
		exit(2);
	}
	return t->f;
}

static inline void
st_close(struct stest *t)
{
	if (t->f != NULL)
		folder_close(t->f);
	fixture_close(&t->fx);
}

#endif

/* "1 2 3": the sequence numbers (or UIDs) of a result. */
static inline void st_format(const struct search_result *res, int uids,
    struct buf *out);

/*
 * Run program prog[0..len) over env->folder: its matches as "1 2 3" (the
 * client sequence numbers), or "error RC: why" / "parse error: why".
 */
static inline void
st_run(const struct search_env *env, const char *prog, size_t len,
    struct buf *out, struct search_stats *stats)
{
	struct search_result res;
	struct search_node *tree;
	const char *err = NULL;
	char *why = NULL;
	int rc;

	memset(&res, 0, sizeof(res));
	buf_reset(out);
	if ((tree = sprog_parse(env->folder, prog, len, &err)) == NULL) {
		buf_printf(out, "parse error: %s", err);
		return;
	}
	rc = search_run(env, tree, &res, &why);
	if (rc < 0)
		buf_printf(out, "error %d: %s", rc, why);
	else
		st_format(&res, 0, out);
	if (stats != NULL)
		*stats = res.stats;
	free(why);
	search_result_free(&res);
	search_free(tree);
}

static inline void
st_format(const struct search_result *res, int uids, struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_append(out, "", 0);
	for (i = 0; i < res->n; i++)
		buf_printf(out, i ? " %u" : "%u", uids ? res->uid[i] :
		    res->seq[i]);
}

#endif
