/*
 * search - SEARCH, UID SEARCH (with ESEARCH RETURN options and the
 * SEARCHRES "$"), SORT and THREAD: the IMAP key syntax becomes a
 * lib/search.h tree, which lib/search, lib/sort and lib/thread run
 * over the selected folder from its index and cache.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "folder.h"
#include "imapd.h"
#include "log.h"
#include "mem.h"
#include "netio.h"
#include "search.h"
#include "sort.h"
#include "thread.h"

#define RET_MIN		0x01
#define RET_MAX		0x02
#define RET_ALL		0x04
#define RET_COUNT	0x08
#define RET_SAVE	0x10

struct sparse {
	struct sess	*s;
	int		 depth;
	int		 has_modseq;
};

static struct search_node *parse_key(struct sparse *p);

static int
astr(struct sparse *p, struct buf *out)
{
	return rd_sp(&p->s->rd) < 0 || rd_astring(&p->s->rd, out) < 0 ? -1 : 0;
}

static struct search_node *
set_node(struct sparse *p, const char *raw, int uid)
{
	struct sess *s = p->s;
	struct seqset set;
	struct search_node *n;
	struct msgrec r;
	uint32_t star = 0, c = folder_count(s->sel->f);

	if (strcmp(raw, "$") == 0) {
		if (s->saved.n == 0)
			return search_new(SEARCH_NONE);
		return search_new_set(SEARCH_UIDSET, s->saved.r, s->saved.n);
	}
	if (uid)
		star = c && folder_record(s->sel->f, c - 1, &r, NULL) > 0 ? r.uid : 0;
	else
		star = s->sel->known;
	if (seqset_parse(raw, star ? star : 1, &set) < 0) {
		rd_fail(&s->rd, RD_BAD, "bad sequence set");
		return NULL;
	}
	n = search_new_set(uid ? SEARCH_UIDSET : SEARCH_SEQSET, set.r, set.n);
	seqset_free(&set);
	return n;
}

static struct search_node *
date_node(struct sparse *p, int kind)
{
	struct buf d = BUF_INIT;
	int64_t day;
	struct search_node *n = NULL;

	if (astr(p, &d) == 0) {
		if (search_date_parse(d.data, d.len, &day) < 0)
			rd_fail(&p->s->rd, RD_BAD, "bad date");
		else
			n = search_new_num(kind, (uint64_t)day);
	}
	buf_free(&d);
	return n;
}

static struct search_node *
num_node(struct sparse *p, int kind)
{
	uint64_t v;

	if (rd_sp(&p->s->rd) < 0 || rd_number(&p->s->rd, UINT64_MAX >> 1, &v) < 0)
		return NULL;
	return search_new_num(kind, v);
}

static struct search_node *
text_node(struct sparse *p, int kind, const char *field)
{
	struct buf v = BUF_INIT, f = BUF_INIT;
	struct search_node *n = NULL;

	if (field == NULL && kind == SEARCH_HEADER) {
		if (astr(p, &f) < 0)
			goto out;
		field = f.data;
	}
	if (astr(p, &v) == 0)
		n = search_new_text(kind, field, buf_cstr(&v), v.len);
out:
	buf_free(&v);
	buf_free(&f);
	return n;
}

static struct search_node *
keyword_node(struct sparse *p)
{
	struct buf k = BUF_INIT;
	struct search_node *n = NULL;
	int bit;

	if (rd_sp(&p->s->rd) == 0 && rd_atom(&p->s->rd, &k) == 0) {
		bit = folder_keyword_bit(p->s->sel->f, k.data, 0, NULL);
		n = bit < 0 ? search_new(SEARCH_NONE) :
		    search_new_num(SEARCH_KEYWORD, (uint64_t)bit);
	}
	buf_free(&k);
	return n;
}

static struct search_node *
modseq_node(struct sparse *p)
{
	struct rd *r = &p->s->rd;
	struct buf w = BUF_INIT;

	p->has_modseq = 1;
	p->s->condstore = 1;
	if (rd_sp(r) < 0)
		return NULL;
	if (rd_peek(r) == '"') {	/* entry-name entry-type-req */
		if (rd_string(r, &w) < 0 || rd_sp(r) < 0 || rd_atom(r, &w) < 0 ||
		    rd_sp(r) < 0) {
			buf_free(&w);
			return NULL;
		}
	}
	buf_free(&w);
	{
		uint64_t v;

		if (rd_number(r, UINT64_MAX >> 1, &v) < 0)
			return NULL;
		return search_new_num(SEARCH_MODSEQ, v);
	}
}

static const struct {
	const char	*name;
	int		 kind;
	int		 arg;	/* 'd' date, 'n' number, 's' string */
	const char	*field;
} keys[] = {
	{ "BEFORE", SEARCH_BEFORE, 'd', NULL },
	{ "ON", SEARCH_ON, 'd', NULL },
	{ "SINCE", SEARCH_SINCE, 'd', NULL },
	{ "SENTBEFORE", SEARCH_SENTBEFORE, 'd', NULL },
	{ "SENTON", SEARCH_SENTON, 'd', NULL },
	{ "SENTSINCE", SEARCH_SENTSINCE, 'd', NULL },
	{ "SAVEDBEFORE", SEARCH_SAVEDBEFORE, 'd', NULL },
	{ "SAVEDON", SEARCH_SAVEDON, 'd', NULL },
	{ "SAVEDSINCE", SEARCH_SAVEDSINCE, 'd', NULL },
	{ "LARGER", SEARCH_LARGER, 'n', NULL },
	{ "SMALLER", SEARCH_SMALLER, 'n', NULL },
	{ "OLDER", SEARCH_OLDER, 'n', NULL },
	{ "YOUNGER", SEARCH_YOUNGER, 'n', NULL },
	{ "FROM", SEARCH_HEADER, 's', "From" },
	{ "TO", SEARCH_HEADER, 's', "To" },
	{ "CC", SEARCH_HEADER, 's', "Cc" },
	{ "BCC", SEARCH_HEADER, 's', "Bcc" },
	{ "SUBJECT", SEARCH_HEADER, 's', "Subject" },
	{ "HEADER", SEARCH_HEADER, 's', NULL },
	{ "BODY", SEARCH_BODY, 's', NULL },
	{ "TEXT", SEARCH_TEXT, 's', NULL },
};

static struct search_node *
atom_key(struct sparse *p, const char *w)
{
	struct search_node *a, *b;
	struct buf raw = BUF_INIT;
	size_t i;

	if ((a = search_new_simple(w)) != NULL)
		return a;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(w, keys[i].name) != 0)
			continue;
		if (keys[i].arg == 'd')
			return date_node(p, keys[i].kind);
		if (keys[i].arg == 'n')
			return num_node(p, keys[i].kind);
		return text_node(p, keys[i].kind, keys[i].field);
	}
	if (strcasecmp(w, "KEYWORD") == 0)
		return keyword_node(p);
	if (strcasecmp(w, "UNKEYWORD") == 0)
		return (a = keyword_node(p)) ? search_new_not(a) : NULL;
	if (strcasecmp(w, "MODSEQ") == 0)
		return modseq_node(p);
	if (strcasecmp(w, "NOT") == 0) {
		if (rd_sp(&p->s->rd) < 0 || (a = parse_key(p)) == NULL)
			return NULL;
		return search_new_not(a);
	}
	if (strcasecmp(w, "OR") == 0) {
		if (rd_sp(&p->s->rd) < 0 || (a = parse_key(p)) == NULL)
			return NULL;
		if (rd_sp(&p->s->rd) < 0 || (b = parse_key(p)) == NULL) {
			search_free(a);
			return NULL;
		}
		return search_new_or(a, b);
	}
	if (strcasecmp(w, "UID") == 0) {
		if (rd_sp(&p->s->rd) < 0 || rd_seqset(&p->s->rd, &raw) < 0) {
			if (rd_peek(&p->s->rd) != '$') {
				buf_free(&raw);
				return NULL;
			}
			p->s->rd.err = RD_OK;
			p->s->rd.pos++;
			buf_reset(&raw);
			buf_puts(&raw, "$");
		}
		a = set_node(p, raw.data, 1);
		buf_free(&raw);
		return a;
	}
	rd_fail(&p->s->rd, RD_BAD, "unknown search key");
	return NULL;
}

static struct search_node *
parse_key(struct sparse *p)
{
	struct rd *r = &p->s->rd;
	struct search_node *n = NULL, *k;
	struct buf w = BUF_INIT;
	int c = rd_peek(r), first = 1;

	if (++p->depth > SEARCH_MAX_DEPTH) {
		rd_fail(r, RD_BAD, "search keys nested too deeply");
		goto out;
	}
	if (c == '(') {
		if (rd_open(r) < 0)
			goto out;
		n = search_new_and();
		while (rd_peek(r) != ')') {
			if ((!first && rd_sp(r) < 0) || (k = parse_key(p)) == NULL) {
				search_free(n);
				n = NULL;
				goto out;
			}
			search_add(n, k);
			first = 0;
		}
		if (first || rd_close(r) < 0) {
			rd_fail(r, RD_BAD, "empty search key list");
			search_free(n);
			n = NULL;
		}
	} else if ((c >= '0' && c <= '9') || c == '*') {
		if (rd_seqset(r, &w) == 0)
			n = set_node(p, w.data, 0);
	} else if (c == '$') {
		r->pos++;
		n = set_node(p, "$", 1);
	} else if (rd_atom(r, &w) == 0) {
		n = atom_key(p, w.data);
	}
out:
	p->depth--;
	buf_free(&w);
	return n;
}

/* [CHARSET x] keys... to end of line, as one AND. */
static struct search_node *
parse_program(struct sparse *p, int charset_required, int *badcharset_r)
{
	struct rd *r = &p->s->rd;
	struct search_node *and = search_new_and(), *k;
	struct buf w = BUF_INIT;
	size_t save = r->pos;
	int first = 1;

	*badcharset_r = 0;
	if (charset_required || (rd_atom(r, &w) == 0 &&
	    strcasecmp(w.data, "CHARSET") == 0)) {
		if (charset_required)
			w.len = 0;
		else if (rd_sp(r) < 0)
			goto bad;
		if (rd_astring(r, &w) < 0 || rd_sp(r) < 0)
			goto bad;
		if (strcasecmp(w.data, "UTF-8") != 0 &&
		    strcasecmp(w.data, "US-ASCII") != 0)
			*badcharset_r = 1;
	} else {
		r->err = RD_OK;
		r->msg = NULL;
		r->pos = save;
	}
	while (!rd_at_eol(r)) {
		if ((!first && rd_sp(r) < 0) || (k = parse_key(p)) == NULL)
			goto bad;
		search_add(and, k);
		first = 0;
	}
	if (first) {
		rd_fail(r, RD_BAD, "missing search keys");
		goto bad;
	}
	buf_free(&w);
	return and;
bad:
	buf_free(&w);
	search_free(and);
	return NULL;
}

/* ---- the environment ---- */

static int
bad_charset(struct sess *s, struct search_node *tree)
{
	search_free(tree);
	reply_tagged(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
	return 0;
}

static uint32_t
env_flags(void *ctx, const struct msgrec *r)
{
	return sel_flags(ctx, r);
}

static int
env_recent(void *ctx, const struct msgrec *r)
{
	struct sess *s = ctx;

	return sel_is_recent(s->sel, r->uid);
}

static uint32_t
env_seq(void *ctx, uint32_t pos)
{
	return sel_view_to_client(ctx, pos);
}

static void
make_env(struct sess *s, struct search_env *env)
{
	struct timespec ts;

	memset(env, 0, sizeof(*env));
	env->folder = s->sel->f;
	env->flags = env_flags;
	env->recent = env_recent;
	env->client_seq = env_seq;
	env->ctx = s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	env->deadline_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    SEARCH_DEFAULT_MS;
}

/* Report a failed run; 0 (answered). */
static int
run_failed(struct sess *s, int rc, char *why)
{
	if (rc == SEARCH_STOPPED) {
		reply_tagged(s, "NO", "[LIMIT] Search took too long");
		free(why);
	} else {
		cmd_internal_error(s, "search", why);
	}
	return 0;
}

/* ---- SEARCH ---- */

static int
return_opts(struct sess *s, unsigned *ret_r)
{
	struct rd *r = &s->rd;
	struct buf w = BUF_INIT;
	int n = 0, rc = -1;

	*ret_r = 0;
	if (rd_atom(r, &w) < 0 || strcasecmp(w.data, "RETURN") != 0 ||
	    rd_sp(r) < 0 || rd_open(r) < 0)
		goto out;
	while (rd_peek(r) != ')') {
		if ((n++ && rd_sp(r) < 0) || rd_atom(r, &w) < 0)
			goto out;
		if (strcasecmp(w.data, "MIN") == 0)
			*ret_r |= RET_MIN;
		else if (strcasecmp(w.data, "MAX") == 0)
			*ret_r |= RET_MAX;
		else if (strcasecmp(w.data, "ALL") == 0)
			*ret_r |= RET_ALL;
		else if (strcasecmp(w.data, "COUNT") == 0)
			*ret_r |= RET_COUNT;
		else if (strcasecmp(w.data, "SAVE") == 0)
			*ret_r |= RET_SAVE;
		else {
			rd_fail(r, RD_BAD, "unknown RETURN option");
			goto out;
		}
	}
	if (rd_close(r) < 0 || rd_sp(r) < 0)
		goto out;
	if (*ret_r == 0)
		*ret_r = RET_ALL;
	rc = 0;
out:
	buf_free(&w);
	return rc;
}

static void
save_result(struct sess *s, const struct search_result *res)
{
	uint32_t *u = mem_alloc(res->n ? res->n : 1, sizeof(*u));
	struct buf raw = BUF_INIT;
	size_t i;

	for (i = 0; i < res->n; i++)
		u[i] = res->uid[i];
	seqset_free(&s->saved);
	if (res->n) {
		seqset_format(u, res->n, &raw);
		(void)seqset_parse(raw.data, UINT32_MAX, &s->saved);
	}
	free(u);
	buf_free(&raw);
}

static void
write_esearch(struct sess *s, const struct search_result *res, unsigned ret,
    int modseq)
{
	const uint32_t *v = s->uid ? res->uid : res->seq;
	struct buf set = BUF_INIT;

	netio_printf(s->n, "* ESEARCH (TAG \"%s\")%s", s->tag,
	    s->uid ? " UID" : "");
	if ((ret & RET_MIN) && res->n)
		netio_printf(s->n, " MIN %u", v[0]);
	if ((ret & RET_MAX) && res->n)
		netio_printf(s->n, " MAX %u", v[res->n - 1]);
	if (ret & RET_COUNT)
		netio_printf(s->n, " COUNT %zu", res->n);
	if ((ret & RET_ALL) && res->n) {
		seqset_format(v, res->n, &set);
		netio_printf(s->n, " ALL %s", set.data);
	}
	if (modseq && res->n)
		netio_printf(s->n, " MODSEQ %llu",
		    (unsigned long long)res->highest_modseq);
	netio_puts(s->n, "\r\n");
	buf_free(&set);
}

/* " N" for each match: UIDs under UID, else sequence numbers. */
static void
write_numbers(struct sess *s, const struct search_result *res)
{
	char out[4096], *p = out, digits[10];
	uint32_t v;
	size_t i, k;

	for (i = 0; i < res->n; i++) {
		if (p - out > (ptrdiff_t)sizeof(out) - 12) {
			netio_write(s->n, out, (size_t)(p - out));
			p = out;
		}
		v = s->uid ? res->uid[i] : res->seq[i];
		k = 0;
		do {
			digits[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		*p++ = ' ';
		while (k > 0)
			*p++ = digits[--k];
	}
	if (p > out)
		netio_write(s->n, out, (size_t)(p - out));
}

int
cmd_search(struct sess *s)
{
	struct sparse p = { s, 0, 0 };
	struct search_result res;
	struct search_env env;
	struct search_node *tree;
	unsigned ret = 0;
	char *why = NULL;
	int bad, rc, esearch = 0;

	if (rd_sp(&s->rd) < 0)
		return -1;
	if (rd_peek(&s->rd) == 'R' || rd_peek(&s->rd) == 'r') {
		size_t save = s->rd.pos;

		if (return_opts(s, &ret) == 0) {
			esearch = 1;
		} else if (s->rd.msg && strcmp(s->rd.msg, "unknown RETURN option") == 0) {
			return -1;
		} else {
			s->rd.err = RD_OK;
			s->rd.pos = save;
		}
	}
	if ((tree = parse_program(&p, 0, &bad)) == NULL)
		return -1;
	if (bad)
		return bad_charset(s, tree);
	make_env(s, &env);
	memset(&res, 0, sizeof(res));
	rc = search_run(&env, tree, &res, &why);
	search_free(tree);
	if (rc < 0) {
		search_result_free(&res);
		return run_failed(s, rc, why);
	}
	if (ret & RET_SAVE) {
		save_result(s, &res);
		ret &= ~RET_SAVE;
	}
	if (esearch && ret) {
		write_esearch(s, &res, ret, p.has_modseq);
	} else if (!esearch) {
		netio_puts(s->n, "* SEARCH");
		write_numbers(s, &res);
		if (p.has_modseq && res.n)
			netio_printf(s->n, " (MODSEQ %llu)",
			    (unsigned long long)res.highest_modseq);
		netio_puts(s->n, "\r\n");
	}
	search_result_free(&res);
	reply_tagged(s, "OK", "Search completed");
	return 0;
}

/* ---- SORT, THREAD ---- */

static int
sort_criteria(struct sess *s, struct sort_crit *crit, size_t *n_r)
{
	struct buf w = BUF_INIT;
	int reverse = 0, key, rc = -1;

	*n_r = 0;
	if (rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if ((*n_r || reverse) && rd_sp(&s->rd) < 0)
			goto out;
		if (rd_atom(&s->rd, &w) < 0)
			goto out;
		if (strcasecmp(w.data, "REVERSE") == 0 && !reverse) {
			reverse = 1;
			continue;
		}
		if ((key = sort_key_parse(w.data)) == 0 || *n_r == SORT_MAX_CRIT) {
			rd_fail(&s->rd, RD_BAD, "unknown sort criterion");
			goto out;
		}
		crit[*n_r].key = key;
		crit[*n_r].reverse = reverse;
		(*n_r)++;
		reverse = 0;
	}
	if (*n_r == 0 || reverse) {
		rd_fail(&s->rd, RD_BAD, "bad sort criteria");
		goto out;
	}
	rc = rd_close(&s->rd) < 0 || rd_sp(&s->rd) < 0 ? -1 : 0;
out:
	buf_free(&w);
	return rc;
}

int
cmd_sort(struct sess *s)
{
	struct sparse p = { s, 0, 0 };
	struct sort_crit crit[SORT_MAX_CRIT];
	struct search_result res;
	struct search_env env;
	struct search_node *tree;
	size_t ncrit;
	char *why = NULL;
	int bad, rc;

	if (rd_sp(&s->rd) < 0 || sort_criteria(s, crit, &ncrit) < 0 ||
	    (tree = parse_program(&p, 1, &bad)) == NULL)
		return -1;
	if (bad)
		return bad_charset(s, tree);
	make_env(s, &env);
	memset(&res, 0, sizeof(res));
	rc = sort_run(&env, tree, crit, ncrit, &res, &why);
	search_free(tree);
	if (rc < 0) {
		search_result_free(&res);
		return run_failed(s, rc, why);
	}
	netio_puts(s->n, "* SORT");
	write_numbers(s, &res);
	netio_puts(s->n, "\r\n");
	search_result_free(&res);
	reply_tagged(s, "OK", "Sort completed");
	return 0;
}

int
cmd_thread(struct sess *s)
{
	struct sparse p = { s, 0, 0 };
	struct thread_tree tt;
	struct search_env env;
	struct search_node *tree;
	struct buf w = BUF_INIT, out = BUF_INIT;
	char *why = NULL;
	int algo, bad, rc;

	if (rd_sp(&s->rd) < 0 || rd_atom(&s->rd, &w) < 0 || rd_sp(&s->rd) < 0) {
		buf_free(&w);
		return -1;
	}
	algo = thread_algo_parse(w.data);
	buf_free(&w);
	if (algo == 0)
		return rd_fail(&s->rd, RD_BAD, "unknown THREAD algorithm");
	if ((tree = parse_program(&p, 1, &bad)) == NULL)
		return -1;
	if (bad)
		return bad_charset(s, tree);
	make_env(s, &env);
	memset(&tt, 0, sizeof(tt));
	rc = thread_run(&env, tree, algo, &tt, &why);
	search_free(tree);
	if (rc < 0) {
		thread_free(&tt);
		return run_failed(s, rc, why);
	}
	thread_format(&tt, s->uid, &out);
	netio_printf(s->n, "* THREAD%s%s\r\n", out.len ? " " : "", buf_cstr(&out));
	thread_free(&tt);
	buf_free(&out);
	reply_tagged(s, "OK", "Thread completed");
	return 0;
}
