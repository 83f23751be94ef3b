/*
 * sieve_match - comparators and match types of the Sieve interpreter
 * (sieve_ast.h), with the work accounting that bounds a run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "buf.h"
#include "mem.h"
#include "sieve.h"
#include "sieve_ast.h"

int
sv_charge(struct sv_match *m, uint64_t n)
{
	m->work += n;
	if (m->work <= SIEVE_WORK_MAX)
		return 0;
	if (m->why == NULL)
		m->why = mem_strdup("the run needs more than SIEVE_WORK_MAX "
		    "comparison steps");
	return -1;
}

void
sv_match_free(struct sv_match *m)
{
	size_t i;

	for (i = 0; i < SV_CAPS_MAX; i++)
		buf_free(&m->cap[i]);
	free(m->why);
	m->why = NULL;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ---- i;ascii-numeric (RFC 4790 9.1) ---- */

/* Leading digits of s without leading zeros: *d_r, count; -1 if none. */
static long
digits(const char *s, size_t len, const char **d_r)
{
	size_t i = 0, n;

	if (len == 0 || s[0] < '0' || s[0] > '9')
		return -1;
	while (i + 1 < len && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
		i++;
	for (n = 0; i + n < len && s[i + n] >= '0' && s[i + n] <= '9'; n++)
		;
	*d_r = s + i;
	return (long)n;
}

static int
numeric_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *da = NULL, *db = NULL;
	long na = digits(a, alen, &da), nb = digits(b, blen, &db);
	int c;

	if (na < 0 || nb < 0)		/* no number: positive infinity */
		return (na < 0) - (nb < 0);
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(da, db, (size_t)na);
	return (c > 0) - (c < 0);
}

int
sv_compare(int cmp, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;
	int ca, cb;

	if (cmp == SV_CMP_NUMERIC)
		return numeric_cmp(a, alen, b, blen);
	for (i = 0; i < n; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (cmp == SV_CMP_CASEMAP) {
			ca = ca >= 'a' && ca <= 'z' ? ca - 32 : ca;
			cb = cb >= 'a' && cb <= 'z' ? cb - 32 : cb;
		}
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (alen > blen) - (alen < blen);
}

int
sv_rel_holds(int rel, int ord)
{
	switch (rel) {
	case SV_REL_GT: return ord > 0;
	case SV_REL_GE: return ord >= 0;
	case SV_REL_LT: return ord < 0;
	case SV_REL_LE: return ord <= 0;
	case SV_REL_EQ: return ord == 0;
	default: return ord != 0;
	}
}

/* ---- :contains ---- */

static int
contains(struct sv_match *m, int cmp, const char *v, size_t vlen,
    const char *k, size_t klen)
{
	struct buf lv = BUF_INIT, lk = BUF_INIT;
	size_t i;
	int rc;

	if (sv_charge(m, (uint64_t)vlen + klen) < 0)
		return -1;
	if (klen == 0)
		return 1;
	if (cmp == SV_CMP_OCTET)
		return memmem(v, vlen, k, klen) != NULL;
	buf_reserve(&lv, vlen);
	buf_reserve(&lk, klen);
	for (i = 0; i < vlen; i++)
		lv.data[i] = (char)lower((unsigned char)v[i]);
	for (i = 0; i < klen; i++)
		lk.data[i] = (char)lower((unsigned char)k[i]);
	rc = memmem(lv.data, vlen, lk.data, klen) != NULL;
	buf_free(&lv);
	buf_free(&lk);
	return rc;
}

/* ---- :matches ---- */

#define W_LIT	0
#define W_STAR	1
#define W_ONE	2

struct wtok {
	int	 kind;
	int	 c;		/* W_LIT: the byte */
};

/* Bytes of the UTF-8 character at v[i] (1 for a stray byte). */
static size_t
char_len(const char *v, size_t vlen, size_t i)
{
	size_t n = 1;

	if (((unsigned char)v[i] & 0xc0) == 0xc0)
		while (i + n < vlen && ((unsigned char)v[i + n] & 0xc0) == 0x80)
			n++;
	return n;
}

static size_t
wild_compile(const char *k, size_t klen, struct wtok *t)
{
	size_t i, n = 0;

	for (i = 0; i < klen; i++) {
		if (k[i] == '\\' && i + 1 < klen) {
			t[n].kind = W_LIT;
			t[n++].c = (unsigned char)k[++i];
		} else if (k[i] == '*') {
			t[n].kind = W_STAR;
			t[n++].c = 0;
		} else {
			t[n].kind = k[i] == '?' ? W_ONE : W_LIT;
			t[n++].c = (unsigned char)k[i];
		}
	}
	return n;
}

/*
 * Wildcard matching with one backtracking point (the last '*'), which
 * finds a match whenever there is one and gives each earlier '*' the
 * shortest text that lets the rest match (RFC 5229's example: "[*] *"
 * on "[a] [b] c" captures "a"). Captures: [start, end) per wildcard.
 */
static int
wildmatch(struct sv_match *m, int fold, const char *v, size_t vlen,
    const struct wtok *t, size_t nt, size_t *cs, size_t *ce, size_t *wi)
{
	size_t pi = 0, vi = 0, star_pi = (size_t)-1, star_vi = 0, star_start = 0;
	size_t w = 0, star_w = 0, steps = 0;

	while (vi < vlen) {
		if (++steps % 4096 == 0 && sv_charge(m, 4096) < 0)
			return -1;
		if (pi < nt && t[pi].kind == W_STAR) {
			star_pi = pi;
			star_w = w;
			star_vi = star_start = vi;
			cs[w] = ce[w] = vi;
			w++;
			pi++;
		} else if (pi < nt && t[pi].kind == W_ONE) {
			cs[w] = vi;
			vi += char_len(v, vlen, vi);
			ce[w++] = vi;
			pi++;
		} else if (pi < nt && (fold ? lower((unsigned char)v[vi]) ==
		    lower(t[pi].c) : (unsigned char)v[vi] == t[pi].c)) {
			pi++;
			vi++;
		} else if (star_pi != (size_t)-1) {
			star_vi += char_len(v, vlen, star_vi);
			vi = star_vi;
			pi = star_pi + 1;
			w = star_w + 1;
			cs[star_w] = star_start;
			ce[star_w] = star_vi;
		} else {
			return 0;
		}
	}
	while (pi < nt && t[pi].kind == W_STAR) {
		cs[w] = ce[w] = vlen;
		w++;
		pi++;
	}
	*wi = w;
	if (sv_charge(m, steps % 4096) < 0)
		return -1;
	return pi == nt;
}

static void
set_caps(struct sv_match *m, const char *v, size_t vlen, const size_t *cs,
    const size_t *ce, size_t n)
{
	size_t i;

	for (i = 0; i < SV_CAPS_MAX; i++)
		buf_reset(&m->cap[i]);
	buf_append(&m->cap[0], v, vlen < SIEVE_VAR_MAX ? vlen : SIEVE_VAR_MAX);
	for (i = 0; i < n && i + 1 < SV_CAPS_MAX; i++)
		buf_append(&m->cap[i + 1], v + cs[i], ce[i] - cs[i] <
		    SIEVE_VAR_MAX ? ce[i] - cs[i] : SIEVE_VAR_MAX);
	m->ncap = n + 1 < SV_CAPS_MAX ? n + 1 : SV_CAPS_MAX;
}

static int
matches(struct sv_match *m, int cmp, const char *v, size_t vlen,
    const char *k, size_t klen)
{
	struct wtok *t = mem_alloc(klen + 1, sizeof(*t));
	size_t *cs, *ce, nt, nw = 0;
	int rc;

	nt = wild_compile(k, klen, t);
	cs = mem_zalloc(nt + 1, sizeof(*cs));
	ce = mem_zalloc(nt + 1, sizeof(*ce));
	rc = wildmatch(m, cmp == SV_CMP_CASEMAP, v, vlen, t, nt, cs, ce, &nw);
	if (rc == 1 && m->want_caps)
		set_caps(m, v, vlen, cs, ce, nw);
	free(t);
	free(cs);
	free(ce);
	return rc;
}

/* ---- :regex ---- */

void *
sv_regex_compile(const char *pattern, size_t len, int cmp, char **why_r)
{
	pcre2_compile_context *cc;
	pcre2_code *re;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_NEVER_BACKSLASH_C;
	int err;

	if (len > SIEVE_REGEX_LEN_MAX) {
		if (why_r)
			*why_r = mem_strdup("longer than SIEVE_REGEX_LEN_MAX");
		return NULL;
	}
	if (cmp == SV_CMP_NUMERIC) {
		if (why_r)
			*why_r = mem_strdup("not with i;ascii-numeric");
		return NULL;
	}
	if (cmp == SV_CMP_CASEMAP)
		opts |= PCRE2_CASELESS;
	cc = pcre2_compile_context_create(NULL);
	pcre2_set_parens_nest_limit(cc, 64);
	re = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &err, &off, cc);
	pcre2_compile_context_free(cc);
	if (re == NULL && why_r) {
		struct buf b = BUF_INIT;

		pcre2_get_error_message(err, msg, sizeof(msg));
		buf_printf(&b, "%s at offset %zu", (const char *)msg, (size_t)off);
		*why_r = buf_steal(&b);
	}
	return re;
}

void
sv_regex_free(void *re)
{
	pcre2_code_free(re);
}

static pcre2_match_context *
match_context(void)
{
	static pcre2_match_context *mc;

	if (mc == NULL) {
		mc = pcre2_match_context_create(NULL);
		if (mc == NULL)
			mem_fatal("pcre2_match_context_create");
		pcre2_set_match_limit(mc, SIEVE_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, SIEVE_REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(mc, SIEVE_REGEX_HEAP_LIMIT);
	}
	return mc;
}

static int
regex(struct sv_match *m, int cmp, const char *v, size_t vlen,
    const char *k, size_t klen, void *code)
{
	pcre2_code *re = code;
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	char *why = NULL;
	size_t i, cs[SV_CAPS_MAX], ce[SV_CAPS_MAX];
	int rc;

	if (++m->regex_runs > SIEVE_REGEX_RUNS_MAX) {
		if (m->why == NULL)
			m->why = mem_strdup("more than SIEVE_REGEX_RUNS_MAX "
			    "regular expression matches");
		return -1;
	}
	if (sv_charge(m, (uint64_t)vlen + 256) < 0)
		return -1;
	if (re == NULL && (re = sv_regex_compile(k, klen, cmp, &why)) == NULL) {
		if (m->why == NULL) {
			struct buf b = BUF_INIT;

			buf_printf(&b, "regular expression: %s", why);
			m->why = buf_steal(&b);
		}
		free(why);
		return -1;
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)v, vlen, 0, 0, md, match_context());
	if (rc >= 0 && m->want_caps) {
		ov = pcre2_get_ovector_pointer(md);
		for (i = 1; i < SV_CAPS_MAX; i++) {
			if ((int)i < rc && ov[2 * i] != PCRE2_UNSET) {
				cs[i - 1] = ov[2 * i];
				ce[i - 1] = ov[2 * i + 1];
			} else {
				cs[i - 1] = ce[i - 1] = 0;
			}
		}
		set_caps(m, v, vlen, cs, ce, SV_CAPS_MAX - 1);
		buf_reset(&m->cap[0]);
		buf_append(&m->cap[0], v + ov[0], ov[1] - ov[0] < SIEVE_VAR_MAX ?
		    ov[1] - ov[0] : SIEVE_VAR_MAX);
	}
	pcre2_match_data_free(md);
	if (re != code)
		pcre2_code_free(re);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (m->why == NULL)
		m->why = mem_strdup(rc == PCRE2_ERROR_MATCHLIMIT ||
		    rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ?
		    "regular expression needs more than SIEVE_REGEX_MATCH_LIMIT "
		    "steps (or the depth or heap limit)" :
		    "regular expression match failed");
	return -1;
}

int
sv_match(struct sv_match *m, const struct sv_node *n, const char *value,
    size_t vlen, const char *key, size_t klen, void *re)
{
	switch (n->match) {
	case SV_M_CONTAINS:
		return contains(m, n->cmp, value, vlen, key, klen);
	case SV_M_MATCHES:
		return matches(m, n->cmp, value, vlen, key, klen);
	case SV_M_REGEX:
		return regex(m, n->cmp, value, vlen, key, klen, re);
	case SV_M_VALUE:
		if (sv_charge(m, (uint64_t)vlen + klen + 1) < 0)
			return -1;
		return sv_rel_holds(n->rel, sv_compare(n->cmp, value, vlen, key,
		    klen));
	default:
		if (sv_charge(m, (uint64_t)(vlen < klen ? vlen : klen) + 1) < 0)
			return -1;
		if (n->cmp != SV_CMP_NUMERIC && vlen != klen)
			return 0;
		return sv_compare(n->cmp, value, vlen, key, klen) == 0;
	}
}
