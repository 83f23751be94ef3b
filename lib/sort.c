/*
 * sort - IMAP SORT over the matches of a search (see sort.h).
 *
 * Each match becomes a fixed-size entry: position, sequence number and
 * UID, then per criterion an 8-byte number or a SORT_PREFIX-byte prefix
 * of the case-mapped string and a length byte (SORT_PREFIX + 1 meaning
 * "longer"). An array of 32-bit entry indexes is sorted. Two long
 * strings with the same prefix cannot be ordered from the entries: the
 * first pass treats such a pair as equal and looks no further, which
 * keeps the order consistent and brings every group of them together;
 * the second pass re-reads the full strings of each group from the
 * cache and orders the group alone.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "folder.h"
#include "mem.h"
#include "mime.h"
#include "sort.h"

#define HDR_SIZE	12	/* pos, seq, uid */
#define STR_SIZE	(SORT_PREFIX + 1)
#define LONG_STR	(SORT_PREFIX + 1)

struct sorter {
	const struct search_env *env;
	const struct sort_crit *crit;
	size_t		 ncrit;
	size_t		 koff[SORT_MAX_CRIT];
	size_t		 esize;
	int		 need_view;
	unsigned char	*ent;
	size_t		 n, cap;
	uint64_t	 modseq;	/* highest of the matches */
	/* second pass: the group being ordered */
	uint32_t	*gidx;		/* entry of each group slot */
	uint32_t	*goff, *glen;	/* per slot and criterion, in arena */
	struct buf	 arena;
};

static int
is_string(int key)
{
	return key != SORT_ARRIVAL && key != SORT_DATE && key != SORT_SIZE;
}

int
sort_key_parse(const char *atom)
{
	static const char *const names[] = { "ARRIVAL", "CC", "DATE", "FROM",
	    "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(atom, names[i]) == 0)
			return (int)i + SORT_ARRIVAL;
	return 0;
}

/* The string a criterion sorts on ("" without a view or field). */
static struct mime_str
key_string(const struct mime_view *v, int key)
{
	struct mime_str s = { "", 0 };

	if (v == NULL)
		return s;
	switch (key) {
	case SORT_SUBJECT:
		s = v->base_subject;
		break;
	case SORT_FROM:
		s.s = v->from.addr.s;
		s.len = v->from.mbox_len;
		break;
	case SORT_TO:
		s.s = v->to.addr.s;
		s.len = v->to.mbox_len;
		break;
	case SORT_CC:
		s.s = v->cc.addr.s;
		s.len = v->cc.mbox_len;
		break;
	case SORT_DISPLAYFROM:
		s = v->from.display;
		break;
	case SORT_DISPLAYTO:
		s = v->to.display;
		break;
	}
	if (s.s == NULL)
		s.len = 0;
	return s;
}

/* i;ascii-casemap: a-z as A-Z. */
static void
casemap(unsigned char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 'a' && c <= 'z' ? c - 32 : c;
	}
}

static uint64_t
key_number(const struct msgrec *r, const struct mime_view *v, int key)
{
	int64_t t;

	if (key == SORT_SIZE)
		return r->size;
	t = key == SORT_DATE ? search_sent_date(r, v) : r->internaldate;
	return (uint64_t)t ^ ((uint64_t)1 << 63);	/* signed order */
}

static int
add_entry(struct search_msg *m, void *ctx)
{
	struct sorter *so = ctx;
	const struct msgrec *r = search_msg_record(m);
	const struct mime_view *v = NULL;
	unsigned char *e;
	uint32_t h[3];
	uint64_t num;
	size_t i;

	if (so->n == so->cap) {
		so->cap = so->cap ? so->cap * 2 : 256;
		so->ent = mem_realloc(so->ent, so->cap, so->esize);
	}
	e = so->ent + so->n * so->esize;
	h[0] = search_msg_pos(m);
	h[1] = search_msg_seq(m);
	h[2] = r->uid;
	memcpy(e, h, HDR_SIZE);
	if (r->modseq > so->modseq)
		so->modseq = r->modseq;
	if (so->need_view && search_msg_view(m, &v) != 1)
		v = NULL;
	for (i = 0; i < so->ncrit; i++) {
		unsigned char *k = e + so->koff[i];
		struct mime_str s;

		if (!is_string(so->crit[i].key)) {
			num = key_number(r, v, so->crit[i].key);
			memcpy(k, &num, 8);
			continue;
		}
		s = key_string(v, so->crit[i].key);
		memset(k, 0, SORT_PREFIX);
		casemap(k, s.s, s.len < SORT_PREFIX ? s.len : SORT_PREFIX);
		k[SORT_PREFIX] = (unsigned char)(s.len > SORT_PREFIX ?
		    LONG_STR : s.len);
	}
	so->n++;
	return 0;
}

static const unsigned char *
entry(const struct sorter *so, uint32_t i)
{
	return so->ent + (size_t)i * so->esize;
}

static uint32_t
entry_pos(const struct sorter *so, uint32_t i)
{
	uint32_t pos;

	memcpy(&pos, entry(so, i), 4);
	return pos;
}

/*
 * Compare criterion c of two entries: <0, 0, >0, or 2 with *open_r set
 * when both strings are longer than their equal prefixes.
 */
static int
cmp_compact(const struct sorter *so, const unsigned char *a,
    const unsigned char *b, size_t c, int *open_r)
{
	const unsigned char *ka = a + so->koff[c], *kb = b + so->koff[c];
	uint64_t x, y;
	int d;

	*open_r = 0;
	if (!is_string(so->crit[c].key)) {
		memcpy(&x, ka, 8);
		memcpy(&y, kb, 8);
		return x < y ? -1 : x > y;
	}
	memcpy(&x, ka, 8);		/* most strings differ early */
	memcpy(&y, kb, 8);
	if (x != y)
		return be64toh(x) < be64toh(y) ? -1 : 1;
	if ((d = memcmp(ka + 8, kb + 8, SORT_PREFIX - 8)) != 0)
		return d < 0 ? -1 : 1;
	if (ka[SORT_PREFIX] == LONG_STR && kb[SORT_PREFIX] == LONG_STR) {
		*open_r = 1;
		return 0;
	}
	return ka[SORT_PREFIX] < kb[SORT_PREFIX] ? -1 :
	    ka[SORT_PREFIX] > kb[SORT_PREFIX];
}

static int
cmp_first(const void *pa, const void *pb, void *ctx)
{
	const struct sorter *so = ctx;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	const unsigned char *a = entry(so, ia), *b = entry(so, ib);
	int d, open;
	size_t c;

	for (c = 0; c < so->ncrit; c++) {
		d = cmp_compact(so, a, b, c, &open);
		if (open)
			return 0;
		if (d != 0)
			return so->crit[c].reverse ? -d : d;
	}
	return entry_pos(so, ia) < entry_pos(so, ib) ? -1 :
	    entry_pos(so, ia) > entry_pos(so, ib);
}

/* Full comparison of two group slots. */
static int
cmp_full(const void *pa, const void *pb, void *ctx)
{
	const struct sorter *so = ctx;
	uint32_t sa = *(const uint32_t *)pa, sb = *(const uint32_t *)pb;
	const unsigned char *a = entry(so, so->gidx[sa]);
	const unsigned char *b = entry(so, so->gidx[sb]);
	size_t c, la, lb, ka, kb;
	int d, open;

	for (c = 0; c < so->ncrit; c++) {
		d = cmp_compact(so, a, b, c, &open);
		if (open) {
			ka = sa * so->ncrit + c;
			kb = sb * so->ncrit + c;
			la = so->glen[ka];
			lb = so->glen[kb];
			d = memcmp(so->arena.data + so->goff[ka],
			    so->arena.data + so->goff[kb], la < lb ? la : lb);
			if (d == 0)
				d = la < lb ? -1 : la > lb;
			else
				d = d < 0 ? -1 : 1;
		}
		if (d != 0)
			return so->crit[c].reverse ? -d : d;
	}
	la = entry_pos(so, so->gidx[sa]);
	lb = entry_pos(so, so->gidx[sb]);
	return la < lb ? -1 : la > lb;
}

/*
 * Order idx[0..n), a group the first pass could not, by full strings
 * read again through reader m.
 */
static int
order_group(struct sorter *so, struct search_msg *m, uint32_t *idx,
    size_t n, char **why_r)
{
	const struct mime_view *v;
	uint32_t *slots = mem_alloc(n, sizeof(uint32_t));
	size_t i, c;
	int rc = 0, got;

	so->gidx = mem_alloc(n, sizeof(uint32_t));
	so->goff = mem_alloc(n, so->ncrit * sizeof(uint32_t));
	so->glen = mem_alloc(n, so->ncrit * sizeof(uint32_t));
	buf_reset(&so->arena);
	for (i = 0; i < n && rc == 0; i++) {
		so->gidx[i] = idx[i];
		slots[i] = (uint32_t)i;
		rc = search_msg_load(m, entry_pos(so, idx[i]), why_r);
		if (rc <= 0) {
			if (rc == 0 && why_r != NULL)
				*why_r = mem_strdup("sort: message gone");
			rc = -1;
			break;
		}
		rc = 0;
		got = search_msg_view(m, &v);
		for (c = 0; c < so->ncrit; c++) {
			struct mime_str s = key_string(got ? v : NULL,
			    so->crit[c].key);

			if (so->arena.len > UINT32_MAX - s.len)
				mem_fatal("sort: keys too large");
			so->goff[i * so->ncrit + c] = (uint32_t)so->arena.len;
			so->glen[i * so->ncrit + c] = (uint32_t)s.len;
			buf_reserve(&so->arena, s.len);
			casemap((unsigned char *)so->arena.data + so->arena.len,
			    s.s, s.len);
			so->arena.len += s.len;
		}
	}
	if (rc == 0) {
		qsort_r(slots, n, sizeof(uint32_t), cmp_full, so);
		for (i = 0; i < n; i++)
			idx[i] = so->gidx[slots[i]];
	}
	free(slots);
	free(so->gidx);
	free(so->goff);
	free(so->glen);
	return rc;
}

static int
setup(struct sorter *so, const struct sort_crit *crit, size_t ncrit,
    char **why_r)
{
	size_t i;

	if (ncrit == 0 || ncrit > SORT_MAX_CRIT) {
		if (why_r != NULL)
			*why_r = mem_strdup("bad number of sort criteria");
		return -1;
	}
	so->crit = crit;
	so->ncrit = ncrit;
	so->esize = HDR_SIZE;
	for (i = 0; i < ncrit; i++) {
		if (crit[i].key < SORT_ARRIVAL ||
		    crit[i].key > SORT_DISPLAYTO) {
			if (why_r != NULL)
				*why_r = mem_strdup("unknown sort criterion");
			return -1;
		}
		so->koff[i] = so->esize;
		so->esize += is_string(crit[i].key) ? STR_SIZE : 8;
		if (crit[i].key != SORT_ARRIVAL && crit[i].key != SORT_SIZE)
			so->need_view = 1;
	}
	return 0;
}

int
sort_run(const struct search_env *env, struct search_node *tree,
    const struct sort_crit *crit, size_t ncrit, struct search_result *res,
    char **why_r)
{
	struct sorter so;
	struct search_msg *reader = NULL;
	uint32_t *idx = NULL, p[3];
	size_t i, j;
	int rc;

	memset(&so, 0, sizeof(so));
	so.env = env;
	if (setup(&so, crit, ncrit, why_r) < 0)
		return -1;
	rc = search_each(env, tree, add_entry, &so, &res->stats, why_r);
	if (rc == 0 && so.n > 0) {
		idx = mem_alloc(so.n, sizeof(uint32_t));
		for (i = 0; i < so.n; i++)
			idx[i] = (uint32_t)i;
		qsort_r(idx, so.n, sizeof(uint32_t), cmp_first, &so);
		for (i = 0; i < so.n && rc == 0; i = j) {
			for (j = i + 1; j < so.n &&
			    cmp_first(&idx[i], &idx[j], &so) == 0; j++)
				;
			if (j - i < 2)
				continue;
			if (reader == NULL)
				reader = search_msg_new(env);
			rc = order_group(&so, reader, idx + i, j - i, why_r);
		}
	}
	if (reader != NULL) {
		res->stats.caches += search_msg_stats(reader)->caches;
		res->stats.files += search_msg_stats(reader)->files;
		search_msg_free(reader);
	}
	if (rc == 0 && so.modseq > res->highest_modseq)
		res->highest_modseq = so.modseq;
	if (rc == 0 && so.n > 0) {
		res->cap = res->n + so.n;
		res->pos = mem_realloc(res->pos, res->cap, sizeof(uint32_t));
		res->seq = mem_realloc(res->seq, res->cap, sizeof(uint32_t));
		res->uid = mem_realloc(res->uid, res->cap, sizeof(uint32_t));
		for (i = 0; i < so.n; i++) {
			memcpy(p, entry(&so, idx[i]), HDR_SIZE);
			res->pos[res->n] = p[0];
			res->seq[res->n] = p[1];
			res->uid[res->n] = p[2];
			res->n++;
		}
	}
	free(idx);
	free(so.ent);
	buf_free(&so.arena);
	return rc;
}
