/*
 * sort - IMAP SORT over the matches of a search (see sort.h).
 *
 * The keys of a message never change while it has its UID (sizes and
 * dates are in the index record; subject and addresses in the cache
 * are written once), so what a sort took from the cache is kept for
 * the session in a key table attached to the folder (folder_aux): the
 * UIDs in ascending order and, per key kind used so far, a column of
 * sent dates or of offsets into a string arena (case-mapped strings,
 * each after its 4-byte length). Runs visit the view in UID order and
 * walk the table with a cursor; messages the table lacks are collected
 * and merged in after the run. A second sort reads no cache record.
 *
 * A string column also keeps the rank of each string among the column's
 * strings (equal strings, equal ranks), computed when the column is
 * used after strings were added: a sort compares numbers only.
 *
 * The table is also kept on disk (the folder's sort-key file), so that
 * the first sort of the next session reads no cache record either: it
 * is loaded by the first sort that needs keys from the cache, and
 * written again after a sort that added columns or grew the table by
 * an eighth since it was written (so a big folder receiving mail is
 * not rewritten for every new message; the few new ones are read from
 * the cache). The file is derived data: a file that fails a check is
 * ignored and replaced.
 *
 * Each match becomes a fixed-size entry: position, sequence number and
 * UID, then 8 bytes per criterion: the number (dates biased to sort
 * unsigned) or the string's rank. One string criterion is ordered by
 * counting ranks, one other criterion by a radix sort of (value, entry)
 * pairs, several criteria by qsort of entry indexes; entries are in
 * view order, so ties stay in sequence order.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crc.h"
#include "folder.h"
#include "log.h"
#include "mem.h"
#include "mime.h"
#include "sort.h"

#define HDR_SIZE	12	/* pos, seq, uid */
#define KEY_SIZE	8
#define NSTR		6	/* string kinds: see str_kind() */
#define UNSET32		0xffffffffU
#define UNSET64		INT64_MIN

/* The session's keys of one folder (attached to it). */
struct skeys {
	uint32_t	 uidvalidity;
	size_t		 n, cap;
	uint32_t	*uid;		/* ascending */
	int64_t		*date;		/* sent date or UNSET64; NULL: unused */
	uint32_t	*str[NSTR];	/* arena offset or UNSET32; NULL: unused */
	uint32_t	*rank[NSTR];	/* order of the strings (0: "") */
	int		 ranked[NSTR];	/* rank[k] is up to date */
	uint32_t	 nranks[NSTR];	/* the highest rank of rank[k] */
	int		 ranking;	/* the column skeys_rank() sorts */
	struct buf	 arena;		/* offset 0: the empty string */
	int		 load_tried;	/* the file was looked for */
	size_t		 saved_n;	/* entries of the file (0: none) */
	unsigned	 saved_mask;	/* its columns (skeys_mask()) */
};

/* Messages a run found missing from the table, in ascending UID. */
struct pending {
	size_t		 n, cap;
	uint32_t	*uid;
	int64_t		*date;
	uint32_t	*str[NSTR];
};

struct sorter {
	const struct sort_crit *crit;
	size_t		 ncrit;
	size_t		 esize;
	int		 use_date, use_str[NSTR];
	unsigned char	*ent;
	size_t		 n, cap;
	uint64_t	 modseq;	/* highest of the matches */
	struct skeys	*ks;
	size_t		 cursor;	/* in ks, for the ascending UIDs */
	struct pending	 pend;
	uint64_t	 from_cache;	/* messages whose keys were kept */
};

static int
is_string(int key)
{
	return key != SORT_ARRIVAL && key != SORT_DATE && key != SORT_SIZE;
}

/* The column of a string key. */
static int
str_kind(int key)
{
	switch (key) {
	case SORT_SUBJECT:
		return 0;
	case SORT_FROM:
		return 1;
	case SORT_TO:
		return 2;
	case SORT_CC:
		return 3;
	case SORT_DISPLAYFROM:
		return 4;
	default:			/* SORT_DISPLAYTO */
		return 5;
	}
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

/* The string of column k ("" without a view or field). */
static struct mime_str
kind_string(const struct mime_view *v, int k)
{
	struct mime_str s = { "", 0 };

	if (v == NULL)
		return s;
	switch (k) {
	case 0:
		s = v->base_subject;
		break;
	case 1:
		s.s = v->from.addr.s;
		s.len = v->from.mbox_len;
		break;
	case 2:
		s.s = v->to.addr.s;
		s.len = v->to.mbox_len;
		break;
	case 3:
		s.s = v->cc.addr.s;
		s.len = v->cc.mbox_len;
		break;
	case 4:
		s = v->from.display;
		break;
	case 5:
		s = v->to.display;
		break;
	}
	if (s.s == NULL)
		s.len = 0;
	return s;
}

/* ---- the key table ---- */

static void
skeys_free(void *p)
{
	struct skeys *ks = p;
	int k;

	if (ks == NULL)
		return;
	free(ks->uid);
	free(ks->date);
	for (k = 0; k < NSTR; k++) {
		free(ks->str[k]);
		free(ks->rank[k]);
	}
	buf_free(&ks->arena);
	free(ks);
}

static void
skeys_clear(struct skeys *ks)
{
	int k;

	free(ks->uid);
	free(ks->date);
	ks->uid = NULL;
	ks->date = NULL;
	for (k = 0; k < NSTR; k++) {
		free(ks->str[k]);
		free(ks->rank[k]);
		ks->str[k] = ks->rank[k] = NULL;
		ks->ranked[k] = 0;
	}
	ks->n = ks->cap = 0;
	ks->saved_n = 0;
	ks->saved_mask = 0;
	buf_reset(&ks->arena);
	buf_append(&ks->arena, "\0\0\0", 4);
}

/*
 * The folder's table. Started again when UIDVALIDITY changed or when
 * it holds many UIDs the view no longer has (expunged).
 */
static struct skeys *
skeys_get(struct folder *f)
{
	struct skeys *ks = folder_aux(f);
	uint32_t uv = folder_state(f)->uidvalidity, count = folder_count(f);

	if (ks == NULL) {
		ks = mem_zalloc(1, sizeof(*ks));
		skeys_clear(ks);
		ks->uidvalidity = uv;
		folder_set_aux(f, ks, skeys_free);
	}
	if (ks->uidvalidity != uv || ks->n > (size_t)count + count / 2 + 1024 ||
	    ks->arena.len > UINT32_MAX / 2) {
		skeys_clear(ks);
		ks->uidvalidity = uv;
	}
	return ks;
}

static int64_t *
col64_new(size_t cap)
{
	int64_t *c = mem_alloc(cap ? cap : 1, sizeof(int64_t));
	size_t i;

	for (i = 0; i < cap; i++)
		c[i] = UNSET64;
	return c;
}

static uint32_t *
col32_new(size_t cap)
{
	uint32_t *c = mem_alloc(cap ? cap : 1, sizeof(uint32_t));

	memset(c, 0xff, cap * sizeof(uint32_t));
	return c;
}

/* Columns for the kinds this sort uses. */
static void
skeys_columns(struct skeys *ks, const struct sorter *so)
{
	int k;

	if (so->use_date && ks->date == NULL)
		ks->date = col64_new(ks->cap);
	for (k = 0; k < NSTR; k++)
		if (so->use_str[k] && ks->str[k] == NULL)
			ks->str[k] = col32_new(ks->cap);
}

/* A case-mapped (i;ascii-casemap) copy of s in the arena: its offset. */
static uint32_t
arena_put(struct buf *arena, struct mime_str s)
{
	unsigned char *d;
	uint32_t off, len;
	size_t i;

	if (s.len == 0)
		return 0;
	if (s.len > UINT32_MAX / 2 || arena->len > UINT32_MAX - 4 - s.len)
		mem_fatal("sort: keys too large");
	off = (uint32_t)arena->len;
	len = (uint32_t)s.len;
	buf_reserve(arena, 4 + s.len);
	d = (unsigned char *)arena->data + arena->len;
	memcpy(d, &len, 4);
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];

		d[4 + i] = c >= 'a' && c <= 'z' ? c - 32 : c;
	}
	arena->len += 4 + s.len;
	return off;
}

static const unsigned char *
arena_str(const struct skeys *ks, uint32_t off, uint32_t *len_r)
{
	const unsigned char *p = (const unsigned char *)ks->arena.data + off;

	memcpy(len_r, p, 4);
	return p + 4;
}

/* A slot of the pending list for uid. */
static size_t
pending_add(struct pending *pd, const struct sorter *so, uint32_t uid)
{
	size_t cap;
	int k;

	if (pd->n == pd->cap) {
		cap = pd->cap ? pd->cap * 2 : 64;
		pd->uid = mem_realloc(pd->uid, cap, sizeof(uint32_t));
		if (so->use_date)
			pd->date = mem_realloc(pd->date, cap, sizeof(int64_t));
		for (k = 0; k < NSTR; k++)
			if (so->use_str[k])
				pd->str[k] = mem_realloc(pd->str[k], cap,
				    sizeof(uint32_t));
		pd->cap = cap;
	}
	pd->uid[pd->n] = uid;
	if (so->use_date)
		pd->date[pd->n] = UNSET64;
	for (k = 0; k < NSTR; k++)
		if (so->use_str[k])
			pd->str[k][pd->n] = UNSET32;
	return pd->n++;
}

static void
pending_free(struct pending *pd)
{
	int k;

	free(pd->uid);
	free(pd->date);
	for (k = 0; k < NSTR; k++)
		free(pd->str[k]);
	memset(pd, 0, sizeof(*pd));
}

/* Merge the pending messages into the table (both in ascending UID). */
static void
skeys_merge(struct skeys *ks, struct pending *pd)
{
	size_t n = ks->n + pd->n, i, j, o;
	uint32_t *uid, *str[NSTR];
	int64_t *date = NULL;
	int k;

	if (pd->n == 0)
		return;
	if (ks->n == 0 && (ks->date == NULL) == (pd->date == NULL)) {
		for (k = 0; k < NSTR; k++)
			if ((ks->str[k] == NULL) != (pd->str[k] == NULL))
				break;
		if (k == NSTR) {	/* the first run: take its arrays */
			free(ks->uid);
			free(ks->date);
			ks->uid = pd->uid;
			ks->date = pd->date;
			for (k = 0; k < NSTR; k++) {
				free(ks->str[k]);
				ks->str[k] = pd->str[k];
				pd->str[k] = NULL;
				ks->ranked[k] = 0;
			}
			ks->n = ks->cap = pd->n;
			pd->uid = NULL;
			pd->date = NULL;
			return;
		}
	}
	if (n < ks->n || n > SIZE_MAX / 2)
		mem_fatal("sort: too many keys");
	uid = mem_alloc(n, sizeof(uint32_t));
	if (ks->date != NULL)
		date = col64_new(n);
	for (k = 0; k < NSTR; k++)
		str[k] = ks->str[k] != NULL ? col32_new(n) : NULL;
	for (i = j = o = 0; o < n; o++) {
		int old = j == pd->n || (i < ks->n && ks->uid[i] < pd->uid[j]);

		uid[o] = old ? ks->uid[i] : pd->uid[j];
		if (date != NULL)
			date[o] = old ? ks->date[i] : pd->date != NULL ?
			    pd->date[j] : UNSET64;
		for (k = 0; k < NSTR; k++)
			if (str[k] != NULL)
				str[k][o] = old ? ks->str[k][i] :
				    pd->str[k] != NULL ? pd->str[k][j] : UNSET32;
		if (old)
			i++;
		else
			j++;
	}
	free(ks->uid);
	free(ks->date);
	ks->uid = uid;
	ks->date = date;
	for (k = 0; k < NSTR; k++) {
		free(ks->str[k]);
		ks->str[k] = str[k];
		ks->ranked[k] = 0;
	}
	ks->n = ks->cap = n;
}

/* Two slots of the column being ranked, by their strings. */
static int
cmp_slots(const void *pa, const void *pb, void *ctx)
{
	const struct skeys *ks = ctx;
	const uint32_t *col = ks->str[ks->ranking];
	const unsigned char *a, *b;
	uint32_t la, lb;
	int d;

	a = arena_str(ks, col[*(const uint32_t *)pa], &la);
	b = arena_str(ks, col[*(const uint32_t *)pb], &lb);
	if ((d = memcmp(a, b, la < lb ? la : lb)) != 0)
		return d;
	return la < lb ? -1 : la > lb;
}

/*
 * The order of the kept strings of column k: equal strings have equal
 * ranks from 1, "" (also a message whose keys could not be read) rank
 * 0. A sort then compares numbers; ranking again is needed only after
 * strings were added. Slot numbers are sorted (4 bytes each, little
 * memory to touch) by the strings they point to.
 */
static void
skeys_rank(struct skeys *ks, int k)
{
	const uint32_t *col = ks->str[k];
	uint32_t *slots, r = 0;
	size_t i, m = 0;

	if (ks->ranked[k])
		return;
	free(ks->rank[k]);
	ks->rank[k] = mem_zalloc(ks->n ? ks->n : 1, sizeof(uint32_t));
	slots = mem_alloc(ks->n ? ks->n : 1, sizeof(uint32_t));
	for (i = 0; i < ks->n; i++)
		if (col[i] != UNSET32 && col[i] != 0)
			slots[m++] = (uint32_t)i;
	ks->ranking = k;
	qsort_r(slots, m, sizeof(uint32_t), cmp_slots, ks);
	for (i = 0; i < m; i++) {
		if (i == 0 || cmp_slots(&slots[i - 1], &slots[i], ks) != 0)
			r++;
		ks->rank[k][slots[i]] = r;
	}
	ks->nranks[k] = r;
	free(slots);
	ks->ranked[k] = 1;
}

/* ---- the key file ---- */

/*
 * The file (popstore(5)): a 56-byte header, then the columns and the
 * arena, every number in host byte order (a file of another order
 * fails the check):
 *   0 "PSSK"; 4 0x01020304; 8 UIDVALIDITY; 12 entries n; 16 columns
 *   (bit 0 dates, bit 1+k strings of kind k, bit 8+k their ranks);
 *   20 arena length; 24 the highest rank of each kind (6 numbers);
 *   48 CRC-32C of everything after the header; 52 zero.
 *   Then uid[n], date[n] (8 bytes each), per kind str[k][n] and
 *   rank[k][n] (4 bytes each), and the arena.
 */
#define FILE_HDR	56
#define FILE_MAX	((size_t)512 << 20)
#define FILE_ORDER	0x01020304U
#define COL_DATE	1U
#define COL_STR(k)	(2U << (k))
#define COL_RANK(k)	(0x100U << (k))
#define COL_CACHE	(COL_DATE | 0x7eU)	/* columns read from the cache */

static unsigned
skeys_mask(const struct skeys *ks)
{
	unsigned m = ks->date != NULL ? COL_DATE : 0;
	int k;

	for (k = 0; k < NSTR; k++) {
		if (ks->str[k] != NULL)
			m |= COL_STR(k);
		if (ks->str[k] != NULL && ks->ranked[k] && ks->rank[k] != NULL)
			m |= COL_RANK(k);
	}
	return m;
}

static void
skeys_encode(const struct skeys *ks, unsigned mask, struct buf *out)
{
	uint32_t h[FILE_HDR / 4], crc;
	int k;

	memset(h, 0, sizeof(h));
	memcpy(h, "PSSK", 4);
	h[1] = FILE_ORDER;
	h[2] = ks->uidvalidity;
	h[3] = (uint32_t)ks->n;
	h[4] = mask;
	h[5] = (uint32_t)ks->arena.len;
	for (k = 0; k < NSTR; k++)
		h[6 + k] = mask & COL_RANK(k) ? ks->nranks[k] : 0;
	buf_reset(out);
	buf_append(out, h, sizeof(h));
	buf_append(out, ks->uid, ks->n * sizeof(uint32_t));
	if (mask & COL_DATE)
		buf_append(out, ks->date, ks->n * sizeof(int64_t));
	for (k = 0; k < NSTR; k++) {
		if (mask & COL_STR(k))
			buf_append(out, ks->str[k], ks->n * sizeof(uint32_t));
		if (mask & COL_RANK(k))
			buf_append(out, ks->rank[k], ks->n * sizeof(uint32_t));
	}
	buf_append(out, ks->arena.data, ks->arena.len);
	crc = crc32c(out->data + FILE_HDR, out->len - FILE_HDR);
	memcpy(out->data + 48, &crc, 4);
}

/* A column of n numbers of size bytes from *p, advancing it. */
static void *
col_take(const unsigned char **p, size_t n, size_t size)
{
	void *c = mem_alloc(n ? n : 1, size);

	memcpy(c, *p, n * size);
	*p += n * size;
	return c;
}

/* String offsets of a column: none, "" or a whole string in the arena. */
static int
col_strings_ok(const uint32_t *col, size_t n, const unsigned char *arena,
    size_t alen)
{
	uint32_t len;
	size_t i;

	for (i = 0; i < n; i++) {
		if (col[i] == UNSET32 || col[i] == 0)
			continue;
		if (col[i] < 4 || col[i] > alen - 4)
			return 0;
		memcpy(&len, arena + col[i], 4);
		if (len > alen - 4 - col[i])
			return 0;
	}
	return 1;
}

/*
 * Decode a file into ks (its UIDVALIDITY set): 0, or -1 when any check
 * fails, ks unchanged.
 */
static int
skeys_decode(struct skeys *ks, const unsigned char *p, size_t len)
{
	struct skeys t;
	uint32_t h[FILE_HDR / 4];
	const unsigned char *q, *arena;
	size_t n, alen, need, i;
	unsigned mask;
	int k, ok = 1;

	if (len < FILE_HDR)
		return -1;
	memcpy(h, p, FILE_HDR);
	n = h[3];
	mask = h[4];
	alen = h[5];
	if (memcmp(h, "PSSK", 4) != 0 || h[1] != FILE_ORDER ||
	    h[2] != ks->uidvalidity || h[13] != 0 ||
	    (mask & ~(COL_CACHE | 0x3f00U)) != 0 || alen < 4 ||
	    alen > UINT32_MAX / 2)
		return -1;
	need = FILE_HDR + n * sizeof(uint32_t) + alen;
	if (mask & COL_DATE)
		need += n * sizeof(int64_t);
	for (k = 0; k < NSTR; k++) {
		if ((mask & COL_RANK(k)) && (!(mask & COL_STR(k)) ||
		    h[6 + k] > n))
			return -1;
		if (mask & COL_STR(k))
			need += n * sizeof(uint32_t);
		if (mask & COL_RANK(k))
			need += n * sizeof(uint32_t);
	}
	if (need != len || crc32c(p + FILE_HDR, len - FILE_HDR) != h[12])
		return -1;
	arena = p + len - alen;
	if (memcmp(arena, "\0\0\0\0", 4) != 0)
		return -1;
	memset(&t, 0, sizeof(t));
	q = p + FILE_HDR;
	t.uid = col_take(&q, n, sizeof(uint32_t));
	for (i = 0; i < n && ok; i++)
		ok = t.uid[i] != 0 && (i == 0 || t.uid[i] > t.uid[i - 1]);
	if (mask & COL_DATE)
		t.date = col_take(&q, n, sizeof(int64_t));
	for (k = 0; k < NSTR; k++) {
		if (mask & COL_STR(k)) {
			t.str[k] = col_take(&q, n, sizeof(uint32_t));
			ok = ok && col_strings_ok(t.str[k], n, arena, alen);
		}
		if (mask & COL_RANK(k)) {
			t.rank[k] = col_take(&q, n, sizeof(uint32_t));
			for (i = 0; i < n && ok; i++)
				ok = t.rank[k][i] <= h[6 + k];
			t.ranked[k] = 1;
			t.nranks[k] = h[6 + k];
		}
	}
	if (!ok) {
		free(t.uid);
		free(t.date);
		for (k = 0; k < NSTR; k++) {
			free(t.str[k]);
			free(t.rank[k]);
		}
		return -1;
	}
	free(ks->uid);
	free(ks->date);
	ks->uid = t.uid;
	ks->date = t.date;
	for (k = 0; k < NSTR; k++) {
		free(ks->str[k]);
		free(ks->rank[k]);
		ks->str[k] = t.str[k];
		ks->rank[k] = t.rank[k];
		ks->ranked[k] = t.ranked[k];
		ks->nranks[k] = t.nranks[k];
	}
	ks->n = ks->cap = n;
	buf_reset(&ks->arena);
	buf_append(&ks->arena, arena, alen);
	ks->saved_n = n;
	ks->saved_mask = mask;
	return 0;
}

/*
 * Once per session, before the first sort that needs keys from the
 * cache: the file, unless this session's table already has such keys.
 */
static void
skeys_load(struct folder *f, struct skeys *ks)
{
	struct buf data = BUF_INIT;
	char *why = NULL;

	ks->load_tried = 1;
	if (skeys_mask(ks) & COL_CACHE)
		return;
	if (folder_sortkeys_read(f, FILE_MAX, &data, &why) < 0)
		log_eventf(LOG_WARNING, "sortkeys_unreadable", "why=\"%s\"", why);
	else if (data.len > 0)
		(void)skeys_decode(ks, (const unsigned char *)data.data,
		    data.len);
	free(why);
	buf_free(&data);
}

/*
 * After a sort: write the file when it has fewer columns than the
 * table, or an eighth fewer entries. A failure is logged once and not
 * tried again in the session.
 */
static void
skeys_save(struct folder *f, struct skeys *ks)
{
	struct buf data = BUF_INIT;
	unsigned mask = skeys_mask(ks);
	char *why = NULL;

	if (ks->n == 0 || !(mask & COL_CACHE) || ks->n > UINT32_MAX ||
	    ((mask & ~ks->saved_mask) == 0 &&
	    ks->n < ks->saved_n + ks->saved_n / 8 + 1))
		return;
	skeys_encode(ks, mask, &data);
	if (data.len <= FILE_MAX &&
	    folder_sortkeys_write(f, data.data, data.len, &why) < 0)
		log_eventf(LOG_WARNING, "sortkeys_write_failed", "why=\"%s\"",
		    why);
	ks->saved_n = ks->n;
	ks->saved_mask = mask;
	free(why);
	buf_free(&data);
}

/* ---- entries ---- */

static uint64_t
biased(int64_t t)
{
	return (uint64_t)t ^ ((uint64_t)1 << 63);	/* signed order */
}

static int
add_entry(struct search_msg *m, void *ctx)
{
	struct sorter *so = ctx;
	struct skeys *ks = so->ks;
	const struct msgrec *r = search_msg_record(m);
	const struct mime_view *v = NULL;
	int have_view = 0, pend, kept = 1, k;
	unsigned char *e;
	uint32_t h[3], *sc;
	uint64_t num;
	int64_t *dc;
	size_t i, slot;

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
	while (so->cursor < ks->n && ks->uid[so->cursor] < r->uid)
		so->cursor++;
	pend = so->cursor == ks->n || ks->uid[so->cursor] != r->uid;
	slot = pend ? pending_add(&so->pend, so, r->uid) : so->cursor;
	for (i = 0; i < so->ncrit; i++) {
		int key = so->crit[i].key;

		num = 0;		/* strings: their rank, after the run */
		if (key == SORT_SIZE) {
			num = r->size;
		} else if (key == SORT_ARRIVAL) {
			num = biased(r->internaldate);
		} else if (key == SORT_DATE) {
			dc = pend ? &so->pend.date[slot] : &ks->date[slot];
			if (*dc == UNSET64) {
				if (!have_view++ && search_msg_view(m, &v) != 1)
					v = NULL;
				kept = 0;
				num = biased(search_sent_date(r, v));
				if (v != NULL)
					*dc = search_sent_date(r, v);
			} else {
				num = biased(*dc);
			}
		} else {
			k = str_kind(key);
			sc = pend ? &so->pend.str[k][slot] : &ks->str[k][slot];
			if (*sc == UNSET32) {
				if (!have_view++ && search_msg_view(m, &v) != 1)
					v = NULL;
				kept = 0;
				if (v != NULL) {
					*sc = arena_put(&ks->arena,
					    kind_string(v, k));
					ks->ranked[k] = 0;
				}
			}
		}
		memcpy(e + HDR_SIZE + i * KEY_SIZE, &num, KEY_SIZE);
	}
	so->from_cache += kept;
	so->n++;
	return 0;
}

static const unsigned char *
entry(const struct sorter *so, uint32_t i)
{
	return so->ent + (size_t)i * so->esize;
}

/* After the run: the ranks of the string criteria into the entries. */
static void
fill_ranks(struct sorter *so)
{
	struct skeys *ks = so->ks;
	unsigned char *e;
	uint32_t uid;
	uint64_t num;
	size_t i, c, slot = 0;
	int k;

	for (c = 0; c < so->ncrit; c++)
		if (is_string(so->crit[c].key))
			skeys_rank(ks, str_kind(so->crit[c].key));
	for (i = 0; i < so->n; i++) {
		e = so->ent + i * so->esize;
		memcpy(&uid, e + 8, 4);
		while (slot < ks->n && ks->uid[slot] < uid)
			slot++;
		for (c = 0; c < so->ncrit; c++) {
			if (!is_string(so->crit[c].key))
				continue;
			k = str_kind(so->crit[c].key);
			num = slot < ks->n && ks->uid[slot] == uid ?
			    ks->rank[k][slot] : 0;
			memcpy(e + HDR_SIZE + c * KEY_SIZE, &num, KEY_SIZE);
		}
	}
}

static int
cmp_entries(const void *pa, const void *pb, void *ctx)
{
	const struct sorter *so = ctx;
	const unsigned char *a = entry(so, *(const uint32_t *)pa);
	const unsigned char *b = entry(so, *(const uint32_t *)pb);
	uint64_t x, y;
	size_t c;

	for (c = 0; c < so->ncrit; c++) {
		memcpy(&x, a + HDR_SIZE + c * KEY_SIZE, 8);
		memcpy(&y, b + HDR_SIZE + c * KEY_SIZE, 8);
		if (x != y)
			return (x < y) != so->crit[c].reverse ? -1 : 1;
	}
	/* entries are in view order: ties by sequence number */
	return *(const uint32_t *)pa < *(const uint32_t *)pb ? -1 : 1;
}

/* LSD radix sort, a byte at a time; bytes equal in all are skipped. */
static void
radix_sort(uint64_t *a, size_t n)
{
	uint64_t *tmp = mem_alloc(n, sizeof(uint64_t)), *src = a, *dst = tmp, *t;
	size_t count[256], i, sum, c;
	unsigned sh;

	for (sh = 0; sh < 64; sh += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i] >> sh) & 255]++;
		if (count[(src[0] >> sh) & 255] == n)
			continue;
		for (i = sum = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> sh) & 255]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(uint64_t));
	free(tmp);
}

/*
 * The order of the entries into idx. One string criterion is ordered
 * by counting its ranks; one other criterion whose values span
 * less than 2^32 (ranks, sizes, dates of 136 years) is sorted as
 * (value, entry) pairs in one 64-bit number; otherwise qsort.
 */
static void
order(struct sorter *so, uint32_t *idx)
{
	uint64_t lo = UINT64_MAX, hi = 0, x, *w;
	uint32_t *start, nr;
	size_t i;

	if (so->ncrit == 1 && is_string(so->crit[0].key)) {
		/* ranks 0..nr: a counting sort, stable (ties in view order) */
		nr = so->ks->nranks[str_kind(so->crit[0].key)];
		start = mem_zalloc((size_t)nr + 2, sizeof(uint32_t));
		for (i = 0; i < so->n; i++) {
			memcpy(&x, entry(so, (uint32_t)i) + HDR_SIZE, 8);
			if (so->crit[0].reverse)
				x = nr - x;
			start[x + 1]++;
		}
		for (i = 1; i <= (size_t)nr + 1; i++)
			start[i] += start[i - 1];
		for (i = 0; i < so->n; i++) {
			memcpy(&x, entry(so, (uint32_t)i) + HDR_SIZE, 8);
			if (so->crit[0].reverse)
				x = nr - x;
			idx[start[x]++] = (uint32_t)i;
		}
		free(start);
		return;
	}
	for (i = 0; so->ncrit == 1 && i < so->n; i++) {
		memcpy(&x, entry(so, (uint32_t)i) + HDR_SIZE, 8);
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x;
	}
	if (so->ncrit != 1 || hi - lo > UINT32_MAX) {
		for (i = 0; i < so->n; i++)
			idx[i] = (uint32_t)i;
		qsort_r(idx, so->n, sizeof(uint32_t), cmp_entries, so);
		return;
	}
	w = mem_alloc(so->n, sizeof(uint64_t));
	for (i = 0; i < so->n; i++) {
		memcpy(&x, entry(so, (uint32_t)i) + HDR_SIZE, 8);
		x -= lo;
		if (so->crit[0].reverse)
			x = (hi - lo) - x;
		w[i] = x << 32 | i;
	}
	radix_sort(w, so->n);
	for (i = 0; i < so->n; i++)
		idx[i] = (uint32_t)w[i];
	free(w);
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
	so->esize = HDR_SIZE + ncrit * KEY_SIZE;
	for (i = 0; i < ncrit; i++) {
		if (crit[i].key < SORT_ARRIVAL ||
		    crit[i].key > SORT_DISPLAYTO) {
			if (why_r != NULL)
				*why_r = mem_strdup("unknown sort criterion");
			return -1;
		}
		if (crit[i].key == SORT_DATE)
			so->use_date = 1;
		else if (is_string(crit[i].key))
			so->use_str[str_kind(crit[i].key)] = 1;
	}
	return 0;
}

int
sort_run(const struct search_env *env, struct search_node *tree,
    const struct sort_crit *crit, size_t ncrit, struct search_result *res,
    char **why_r)
{
	struct sorter so;
	uint32_t *idx = NULL, p[3];
	size_t i;
	int rc;

	memset(&so, 0, sizeof(so));
	if (setup(&so, crit, ncrit, why_r) < 0)
		return -1;
	/* room for every message: no copying as the entries grow */
	so.cap = folder_count(env->folder) ? folder_count(env->folder) : 1;
	so.ent = mem_alloc(so.cap, so.esize);
	so.ks = skeys_get(env->folder);
	if (!so.ks->load_tried && so.use_date + so.use_str[0] +
	    so.use_str[1] + so.use_str[2] + so.use_str[3] + so.use_str[4] +
	    so.use_str[5] > 0)
		skeys_load(env->folder, so.ks);
	skeys_columns(so.ks, &so);
	rc = search_each(env, tree, add_entry, &so, &res->stats, why_r);
	if (rc == 0)
		skeys_merge(so.ks, &so.pend);
	pending_free(&so.pend);
	if (rc == 0 && so.n > 0) {
		fill_ranks(&so);
		idx = mem_alloc(so.n, sizeof(uint32_t));
		order(&so, idx);
	}
	if (rc == 0)
		skeys_save(env->folder, so.ks);
	res->stats.kept += so.from_cache;
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
	return rc;
}
