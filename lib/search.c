/*
 * search - evaluate IMAP SEARCH programs over a folder (see search.h).
 *
 * A message is evaluated in three-valued logic (true, false, unknown)
 * at rising levels of data: the index record, then the cache record,
 * then the message file's header, then its body. A key that needs a
 * level not reached yet is unknown; AND and OR decide without it when
 * they can, so dearer data is loaded only when a cheaper key did not
 * settle the message. Leaf results from the cache level upwards are
 * remembered per message, so raising the level does not redo them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "folder.h"
#include "mem.h"
#include "mime.h"
#include "search.h"
#include "utf8.h"

enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

struct run {
	const struct search_env *env;
	struct folder	*f;
	int64_t		 now;
	uint64_t	 msgno;		/* for the per-message memo */
	struct search_stats st;
	struct buf	 raw, dec, fold; /* one header field */
	struct buf	 text, win;	/* body text, folded window */
	struct buf	 file;		/* message bytes read */
	int		 stop;		/* 0, -1 or SEARCH_STOPPED */
	char		*why;
};

struct search_msg {
	struct run	*run;
	uint32_t	 pos, seq;
	int		 have_seq, have_flags;
	uint32_t	 flags;
	struct msgrec	 r;
	int		 cache_state;	/* 0 untried, 1 view valid, -1 none */
	struct mime_view view;
	int		 file_state;	/* 0 untried, 1 open, -1 none */
	int		 fd;		/* while reading; -1 once mapped */
	int		 mapped;	/* map is an mmap of the whole file */
	const char	*map;		/* the first map_len bytes */
	size_t		 map_len, size, hdr_len;
	int		 parsed;	/* info holds a parse of the file */
	struct mime_info info;
};

/* ---- case folding ---- */

/* The lower-case partner of a code point, or the code point itself. */
static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c < 0x100)
		return (c >= 0xc0 && c <= 0xde && c != 0xd7) ? c + 32 :
		    c == 0xb5 ? 0x3bc : c;
	if (c < 0x180) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		if (c == 0x131 || c == 0x138 || c == 0x149)
			return c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x386 && c <= 0x3ab) {
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		if (c >= 0x391 && c != 0x3a2)
			return c + 32;
		return c;
	}
	if (c == 0x3c2)
		return 0x3c3;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	    (c >= 0x4d0 && c <= 0x52f) || (c >= 0x1e00 && c <= 0x1e95) ||
	    (c >= 0x1ea0 && c <= 0x1eff))
		return c | 1;
	if (c >= 0x4c1 && c <= 0x4ce)
		return (c & 1) ? c + 1 : c;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

void
search_fold(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *o;
	size_t i = 0, k;
	uint32_t cp;

	if (len > ((size_t)-1 - 16) / 3)
		mem_fatal("search_fold: text too long");
	buf_reserve(out, len * 3);
	o = (unsigned char *)out->data + out->len;
	while (i < len) {
		if (p[i] < 0x80) {
			*o++ = (unsigned char)((p[i] >= 'A' && p[i] <= 'Z') ?
			    p[i] + 32 : p[i]);
			i++;
			continue;
		}
		if ((k = utf8_decode(p + i, len - i, &cp)) == 0) {
			cp = 0xfffd;
			k = 1;
		}
		i += k;
		if (cp == 0xdf || cp == 0x1e9e) {
			*o++ = 's';
			*o++ = 's';
			continue;
		}
		o += utf8_encode(fold_cp(cp), o);
	}
	out->len = (size_t)((char *)o - out->data);
	out->data[out->len] = '\0';
}

/* ---- building trees ---- */

struct search_node *
search_new(int kind)
{
	struct search_node *n = mem_zalloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

struct search_node *
search_new_num(int kind, uint64_t num)
{
	struct search_node *n = search_new(kind);

	n->num = num;
	return n;
}

struct search_node *
search_new_set(int kind, const uint32_t *ranges, size_t n)
{
	struct search_node *s = search_new(kind);
	size_t i;

	if (n > 0) {
		s->ranges = mem_alloc(n, 2 * sizeof(uint32_t));
		for (i = 0; i < n; i++) {
			uint32_t a = ranges[2 * i], b = ranges[2 * i + 1];

			s->ranges[2 * i] = a < b ? a : b;
			s->ranges[2 * i + 1] = a < b ? b : a;
		}
	}
	s->nranges = n;
	return s;
}

struct search_node *
search_new_text(int kind, const char *field, const char *value, size_t len)
{
	struct search_node *n = search_new(kind);

	if (field != NULL)
		n->field = mem_strdup(field);
	n->value = mem_strndup(value ? value : "", value ? len : 0);
	n->value_len = value ? len : 0;
	return n;
}

struct search_node *
search_new_not(struct search_node *a)
{
	struct search_node *n = search_new(SEARCH_NOT);

	n->child = a;
	return n;
}

struct search_node *
search_new_or(struct search_node *a, struct search_node *b)
{
	struct search_node *n = search_new(SEARCH_OR);

	search_add(n, a);
	search_add(n, b);
	return n;
}

struct search_node *
search_new_and(void)
{
	return search_new(SEARCH_AND);
}

void
search_add(struct search_node *parent, struct search_node *c)
{
	struct search_node **pp = &parent->child;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = c;
}

struct search_node *
search_new_simple(const char *atom)
{
	static const struct {
		const char *name;
		uint32_t flag;
		int negate;
	} flags[] = {
		{ "ANSWERED", MSG_ANSWERED, 0 }, { "DELETED", MSG_DELETED, 0 },
		{ "DRAFT", MSG_DRAFT, 0 }, { "FLAGGED", MSG_FLAGGED, 0 },
		{ "SEEN", MSG_SEEN, 0 }, { "UNANSWERED", MSG_ANSWERED, 1 },
		{ "UNDELETED", MSG_DELETED, 1 }, { "UNDRAFT", MSG_DRAFT, 1 },
		{ "UNFLAGGED", MSG_FLAGGED, 1 }, { "UNSEEN", MSG_SEEN, 1 },
	};
	struct search_node *n;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcasecmp(atom, flags[i].name) == 0) {
			n = search_new_num(SEARCH_FLAG, flags[i].flag);
			return flags[i].negate ? search_new_not(n) : n;
		}
	if (strcasecmp(atom, "ALL") == 0 ||
	    strcasecmp(atom, "SAVEDATESUPPORTED") == 0)
		return search_new(SEARCH_ALL);
	if (strcasecmp(atom, "RECENT") == 0)
		return search_new(SEARCH_RECENT);
	if (strcasecmp(atom, "OLD") == 0)
		return search_new_not(search_new(SEARCH_RECENT));
	if (strcasecmp(atom, "NEW") == 0) {
		n = search_new_and();
		search_add(n, search_new(SEARCH_RECENT));
		search_add(n, search_new_not(search_new_num(SEARCH_FLAG,
		    MSG_SEEN)));
		return n;
	}
	return NULL;
}

/* Iterative: the list of nodes still to free is chained through next. */
void
search_free(struct search_node *tree)
{
	struct search_node *todo, *n, *c, *cn;

	if (tree == NULL)
		return;
	tree->next = NULL;
	todo = tree;
	while ((n = todo) != NULL) {
		todo = n->next;
		for (c = n->child; c != NULL; c = cn) {
			cn = c->next;
			c->next = todo;
			todo = c;
		}
		free(n->ranges);
		free(n->field);
		free(n->value);
		free(n->pat);
		free(n);
	}
}

/* ---- dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
search_date_parse(const char *s, size_t len, int64_t *day_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	unsigned day = 0, month, year = 0;
	size_t i = 0, k;
	char mon[3];

	for (k = 0; i < len && k < 2 && s[i] >= '0' && s[i] <= '9'; i++, k++)
		day = day * 10 + (unsigned)(s[i] - '0');
	if (k == 0 || i + 9 != len || s[i] != '-' || s[i + 4] != '-')
		return -1;
	for (k = 0; k < 3; k++)
		mon[k] = (char)(s[i + 1 + k] | 0x20);
	for (month = 0; month < 12; month++)
		if (memcmp(months + 3 * month, mon, 3) == 0)
			break;
	if (month == 12)
		return -1;
	for (i += 5; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		year = year * 10 + (unsigned)(s[i] - '0');
	}
	if (day == 0 || day > mdays[month] || (month == 1 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
		return -1;
	*day_r = days_from_civil(year, month + 1, day);
	return 0;
}

/* The calendar day of a time in a zone (minutes east of UTC). */
static int64_t
day_of(int64_t when, int zone)
{
	int64_t t = when + (int64_t)zone * 60;

	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

int64_t
search_sent_date(const struct msgrec *r, const struct mime_view *v)
{
	if (v != NULL && (v->flags & MIME_F_DATE))
		return v->date;
	return r->internaldate;
}

static int
day_cmp(int kind_before, int64_t day, uint64_t num)
{
	int64_t want = (int64_t)num;

	switch (kind_before) {
	case 0:
		return day < want;
	case 1:
		return day == want;
	default:
		return day >= want;
	}
}

/* ---- preparing a tree ---- */

static int
fail(char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = mem_strdup(why);
	return -1;
}

static int
range_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and merge the ranges so that membership is a binary search. */
static void
ranges_normalize(struct search_node *n)
{
	size_t i, k = 0;

	if (n->nranges == 0)
		return;
	qsort(n->ranges, n->nranges, 2 * sizeof(uint32_t), range_cmp);
	for (i = 1; i < n->nranges; i++) {
		uint32_t lo = n->ranges[2 * i], hi = n->ranges[2 * i + 1];

		if (n->ranges[2 * k + 1] == UINT32_MAX ||
		    lo <= n->ranges[2 * k + 1] + 1) {
			if (hi > n->ranges[2 * k + 1])
				n->ranges[2 * k + 1] = hi;
		} else {
			k++;
			n->ranges[2 * k] = lo;
			n->ranges[2 * k + 1] = hi;
		}
	}
	n->nranges = k + 1;
}

/* Order an operand list by cost, keeping the order within a cost. */
static void
sort_operands(struct search_node *n)
{
	struct search_node *head[SEARCH_COST_BODY + 1] = { NULL };
	struct search_node **tail[SEARCH_COST_BODY + 1], *c, *cn, **pp;
	int i;

	for (i = 0; i <= SEARCH_COST_BODY; i++)
		tail[i] = &head[i];
	for (c = n->child; c != NULL; c = cn) {
		cn = c->next;
		c->next = NULL;
		*tail[c->cost] = c;
		tail[c->cost] = &c->next;
	}
	pp = &n->child;
	for (i = 0; i <= SEARCH_COST_BODY; i++)
		if (head[i] != NULL) {
			*pp = head[i];
			pp = tail[i];
		}
	*pp = NULL;
}

static int
prepare_text(struct search_node *n, char **why_r)
{
	struct buf b = BUF_INIT;

	if (n->value == NULL || n->value_len > SEARCH_MAX_VALUE)
		return fail(why_r, "search string too long");
	if (n->kind == SEARCH_HEADER) {
		if (n->field == NULL || strlen(n->field) > SEARCH_MAX_FIELD)
			return fail(why_r, "header field name too long");
		n->cost = mime_field_cached(n->field, strlen(n->field)) ?
		    SEARCH_COST_CACHE : SEARCH_COST_HEADER;
	} else {
		n->cost = SEARCH_COST_BODY;
	}
	search_fold(n->value, n->value_len, &b);
	free(n->pat);
	n->pat_len = b.len;
	n->pat = buf_steal(&b);
	return 0;
}

static int
prepare(struct search_node *n, int depth, size_t *count, char **why_r)
{
	struct search_node *c;

	if (depth > SEARCH_MAX_DEPTH)
		return fail(why_r, "search keys nested too deeply");
	if (++*count > SEARCH_MAX_NODES)
		return fail(why_r, "too many search keys");
	n->cost = SEARCH_COST_RECORD;
	n->memo_msg = 0;
	switch (n->kind) {
	case SEARCH_AND:
	case SEARCH_OR:
	case SEARCH_NOT:
		if (n->kind == SEARCH_NOT && (n->child == NULL ||
		    n->child->next != NULL))
			return fail(why_r, "NOT needs one operand");
		for (c = n->child; c != NULL; c = c->next) {
			if (prepare(c, depth + 1, count, why_r) < 0)
				return -1;
			if (c->cost > n->cost)
				n->cost = c->cost;
		}
		sort_operands(n);
		return 0;
	case SEARCH_SEQSET:
	case SEARCH_UIDSET:
		ranges_normalize(n);
		return 0;
	case SEARCH_HEADER:
	case SEARCH_BODY:
	case SEARCH_TEXT:
		return prepare_text(n, why_r);
	case SEARCH_SENTBEFORE:
	case SEARCH_SENTON:
	case SEARCH_SENTSINCE:
		n->cost = SEARCH_COST_CACHE;
		return 0;
	default:
		if (n->kind < SEARCH_ALL || n->kind > SEARCH_TEXT)
			return fail(why_r, "unknown search key");
		return 0;
	}
}

/* ---- stopping ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 (and run->stop set) when the search must end now. */
static int
stopped(struct run *run)
{
	const struct search_env *env = run->env;
	const char *why = NULL;

	if (run->stop)
		return 1;
	if (env->cancel != NULL && *env->cancel)
		why = "search cancelled";
	else if (env->deadline_ms > 0 && now_ms() >= env->deadline_ms)
		why = "search time limit reached";
	else if (env->max_file_bytes > 0 &&
	    run->st.file_bytes > env->max_file_bytes)
		why = "search data limit reached";
	if (why == NULL)
		return 0;
	run->stop = SEARCH_STOPPED;
	run->why = mem_strdup(why);
	return 1;
}

/* ---- the message's data ---- */

static uint32_t
msg_flags(struct search_msg *m)
{
	const struct search_env *env = m->run->env;

	if (!m->have_flags) {
		m->flags = env->flags ? env->flags(env->ctx, &m->r) :
		    m->r.flags & MSG_SYSFLAGS;
		m->have_flags = 1;
	}
	return m->flags;
}

static uint32_t
msg_seq(struct search_msg *m)
{
	const struct search_env *env = m->run->env;

	if (!m->have_seq) {
		m->seq = env->client_seq ? env->client_seq(env->ctx, m->pos) :
		    m->pos + 1;
		m->have_seq = 1;
	}
	return m->seq;
}

/* Decode the MIME blob of a cache payload; 1 or 0. */
static int
view_decode(const void *payload, size_t plen, struct mime_view *v)
{
	const void *p;
	size_t len;

	return cache_field(payload, plen, CACHE_MIME, &p, &len) == 1 &&
	    mime_info_decode(p, len, v) == 0;
}

static int file_bytes(struct search_msg *m, size_t want);

/*
 * The MIME view from the cache record or, when that is damaged or has
 * none, from a parse of the message file (m->parsed): 1, or 0 when
 * neither is possible.
 */
static int
load_view(struct search_msg *m)
{
	struct run *run = m->run;
	char *why = NULL;
	const void *p;
	size_t len;

	if (m->cache_state != 0)
		return m->cache_state > 0;
	run->st.caches++;
	m->cache_state = folder_cache_ref(run->f, &m->r, &p, &len, &why) == 1 &&
	    view_decode(p, len, &m->view) ? 1 : -1;
	free(why);
	if (m->cache_state < 0 && file_bytes(m, SIZE_MAX)) {
		m->parsed = mime_parse(m->map ? m->map : "", m->map_len,
		    &m->info) == 0 ? 1 : -1;
		if (m->parsed > 0) {
			m->view = m->info.view;
			m->cache_state = 1;
		}
	}
	return m->cache_state > 0;
}

/*
 * Open the message file: up to SEARCH_READ_MAX bytes it is read into
 * run->file as needed (mapping and unmapping costs more for small
 * files), a larger file is mapped whole. 1, or 0 when it cannot be.
 */
static int
file_open(struct search_msg *m)
{
	struct run *run = m->run;
	struct stat st;
	char *why = NULL;
	void *p;

	if (m->file_state != 0)
		return m->file_state > 0;
	m->file_state = -1;
	if ((m->fd = folder_open_message(run->f, m->r.uid, &why)) < 0) {
		free(why);
		return 0;
	}
	run->st.files++;
	m->file_state = 1;
	if (fstat(m->fd, &st) < 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size > MIME_MAX_SIZE) {
		m->size = 0;
	} else {
		m->size = (size_t)st.st_size;
	}
	m->hdr_len = m->r.header_len < m->size ? m->r.header_len : m->size;
	if (m->size > SEARCH_READ_MAX) {
		p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
		close(m->fd);
		m->fd = -1;
		if (p == MAP_FAILED) {
			m->file_state = -1;
			return 0;
		}
		m->map = p;
		m->map_len = m->size;
		m->mapped = 1;
		return 1;
	}
	buf_reset(&run->file);
	buf_reserve(&run->file, m->size);
	m->map = run->file.data;
	m->map_len = 0;
	return 1;
}

/*
 * The first want bytes of the message file (all of it when shorter) in
 * m->map[0..m->map_len): 1, or 0 when the file cannot be read.
 */
static int
file_bytes(struct search_msg *m, size_t want)
{
	ssize_t n;

	if (!file_open(m))
		return 0;
	if (want > m->size)
		want = m->size;
	while (m->map_len < want) {
		n = pread(m->fd, m->run->file.data + m->map_len,
		    want - m->map_len, (off_t)m->map_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {		/* shorter than it was: take it so */
			m->size = m->map_len;
			if (m->hdr_len > m->size)
				m->hdr_len = m->size;
			break;
		}
		m->map_len += (size_t)n;
	}
	return 1;
}

/* The header of the message file in m->map[0..m->hdr_len). */
static int
file_header(struct search_msg *m)
{
	return file_open(m) && file_bytes(m, m->hdr_len);
}

static void
msg_release(struct search_msg *m)
{
	if (m->mapped)
		munmap((void *)m->map, m->map_len);
	if (m->file_state > 0 && m->fd >= 0)
		close(m->fd);
	if (m->parsed != 0)
		mime_info_free(&m->info);
	m->map = NULL;
	m->map_len = m->size = 0;
	m->mapped = 0;
	m->fd = -1;
	m->parsed = 0;
	m->cache_state = m->file_state = 0;
	m->have_seq = m->have_flags = 0;
}

/* ---- matching text ---- */

/*
 * Next field of a header block from *pos: its start, end (after the
 * last line end) and name length (0 for a line without a colon). 0 at
 * the end of the header (an empty line or the end of the block).
 */
static int
field_next(const char *h, size_t len, size_t *pos, size_t *start_r,
    size_t *end_r, size_t *nlen_r)
{
	size_t i = *pos, s = i;
	const char *colon, *nl;

	if (i >= len || h[i] == '\n' || (h[i] == '\r' && i + 1 < len &&
	    h[i + 1] == '\n'))
		return 0;
	for (;;) {
		nl = memchr(h + i, '\n', len - i);
		i = nl ? (size_t)(nl - h) + 1 : len;
		if (i >= len || (h[i] != ' ' && h[i] != '\t'))
			break;
	}
	*start_r = s;
	*end_r = i;
	colon = memchr(h + s, ':', i - s);
	*nlen_r = colon ? (size_t)(colon - (h + s)) : 0;
	while (*nlen_r > 0 && (h[s + *nlen_r - 1] == ' ' ||
	    h[s + *nlen_r - 1] == '\t'))
		(*nlen_r)--;
	*pos = i;
	return 1;
}

/*
 * Unfold v[0..n) (line ends removed), decode RFC 2047 words and fold
 * case into run->fold. At most SEARCH_MAX_HEADER bytes are looked at.
 */
static void
field_text(struct run *run, const char *v, size_t n)
{
	const char *p, *end;
	size_t i = 0, start;

	if (n > SEARCH_MAX_HEADER)
		n = SEARCH_MAX_HEADER;
	buf_reset(&run->raw);
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (start = i; i < n; i++)
		if (v[i] == '\r' || v[i] == '\n') {
			buf_append(&run->raw, v + start, i - start);
			start = i + 1;
		}
	buf_append(&run->raw, v + start, n - start);
	p = run->raw.data;
	end = p + run->raw.len;
	buf_reset(&run->fold);
	if (memmem(p, (size_t)(end - p), "=?", 2) != NULL) {
		buf_reset(&run->dec);
		mime_decode_words(p, (size_t)(end - p), &run->dec);
		search_fold(run->dec.data, run->dec.len, &run->fold);
	} else {
		search_fold(p, (size_t)(end - p), &run->fold);
	}
}

/*
 * Does a field of h[0..len) called n->field (every field, with its
 * name, when all) contain the pattern?
 */
static int
match_fields(struct run *run, const struct search_node *n, const char *h,
    size_t len, int all)
{
	size_t pos = 0, s, e, nl, fl = all ? 0 : strlen(n->field);

	while (field_next(h, len, &pos, &s, &e, &nl)) {
		if (all) {
			field_text(run, h + s, e - s);
		} else {
			if (nl != fl || fl == 0 || strncasecmp(h + s, n->field,
			    fl) != 0)
				continue;
			if (n->pat_len == 0)
				return V_TRUE;
			s += nl;
			while (h[s] != ':')
				s++;
			field_text(run, h + s + 1, e - s - 1);
		}
		if (memmem(run->fold.data, run->fold.len, n->pat,
		    n->pat_len) != NULL)
			return V_TRUE;
	}
	return V_FALSE;
}

/*
 * Stream the decoded text of a text part through the pattern, a chunk
 * at a time cut at line ends, keeping the last pat_len - 1 folded bytes
 * so that a match across chunks is found.
 */
static int
match_part(struct search_msg *m, const struct search_node *n,
    const struct mime_part *part)
{
	struct run *run = m->run;
	struct mime_part q = *part;
	size_t off = part->body_off, end, len, keep;
	const char *nl;

	if (off > m->map_len || part->body_len > m->map_len - off)
		return V_FALSE;
	end = off + part->body_len;
	buf_reset(&run->win);
	while (off < end) {
		len = end - off;
		if (len > SEARCH_CHUNK) {
			nl = memrchr(m->map + off, '\n', SEARCH_CHUNK);
			len = nl ? (size_t)(nl - (m->map + off)) + 1 :
			    SEARCH_CHUNK;
		}
		run->st.file_bytes += len;
		if (stopped(run))
			return V_FALSE;
		q.body_off = off;
		q.body_len = len;
		buf_reset(&run->text);
		if (mime_part_text(m->map, m->map_len, &q, 4 * SEARCH_CHUNK,
		    &run->text) != 1)
			return V_FALSE;
		search_fold(run->text.data, run->text.len, &run->win);
		if (memmem(run->win.data, run->win.len, n->pat,
		    n->pat_len) != NULL)
			return V_TRUE;
		keep = n->pat_len > 0 ? n->pat_len - 1 : 0;
		if (run->win.len > keep) {
			memmove(run->win.data, run->win.data + run->win.len -
			    keep, keep);
			buf_truncate(&run->win, keep);
		}
		off += len;
	}
	return V_FALSE;
}

static int
match_body(struct search_msg *m, const struct search_node *n)
{
	const struct mime_view *v;
	struct mime_part p;
	size_t i;

	if (!file_bytes(m, SIZE_MAX))
		return V_FALSE;
	if (n->kind == SEARCH_TEXT) {
		m->run->st.file_bytes += m->hdr_len;
		if (match_fields(m->run, n, m->map, m->hdr_len, 1) == V_TRUE)
			return V_TRUE;
	}
	if (n->pat_len == 0)
		return V_TRUE;
	if (!load_view(m))
		return V_FALSE;
	v = &m->view;
	for (i = 0; mime_view_part(v, i, &p) == 1; i++) {
		if (m->run->stop)
			return V_FALSE;
		if (p.kind == MIME_KIND_MESSAGE &&
		    p.inner_hdr_off <= m->map_len &&
		    p.inner_hdr_len <= m->map_len - p.inner_hdr_off &&
		    match_fields(m->run, n, m->map + p.inner_hdr_off,
		    p.inner_hdr_len, 1) == V_TRUE)
			return V_TRUE;
		if (p.kind == MIME_KIND_LEAF && p.text &&
		    match_part(m, n, &p) == V_TRUE)
			return V_TRUE;
	}
	return V_FALSE;
}

static int
match_header(struct search_msg *m, const struct search_node *n, int level)
{
	if (n->cost == SEARCH_COST_CACHE && load_view(m) &&
	    !(m->view.flags & MIME_F_FIELDS_PARTIAL))
		return match_fields(m->run, n, m->view.fields.s,
		    m->view.fields.len, 0);
	if (level < SEARCH_COST_HEADER)
		return V_UNKNOWN;
	if (!file_header(m))
		return V_FALSE;
	m->run->st.file_bytes += m->hdr_len;
	return match_fields(m->run, n, m->map, m->hdr_len, 0);
}

/* ---- evaluation ---- */

static int
in_ranges(const struct search_node *n, uint32_t v)
{
	size_t lo = 0, hi = n->nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v < n->ranges[2 * mid])
			hi = mid;
		else if (v > n->ranges[2 * mid + 1])
			lo = mid + 1;
		else
			return V_TRUE;
	}
	return V_FALSE;
}

/* The internal date against now - num, without overflow. */
static int
older(const struct run *run, const struct msgrec *r, uint64_t num)
{
	int64_t age = run->now - r->internaldate;

	return age > 0 && (uint64_t)age > num;
}

static int
eval_record(struct search_msg *m, const struct search_node *n)
{
	const struct msgrec *r = &m->r;
	const struct search_env *env = m->run->env;

	switch (n->kind) {
	case SEARCH_ALL:
		return V_TRUE;
	case SEARCH_NONE:
		return V_FALSE;
	case SEARCH_SEQSET:
		return in_ranges(n, msg_seq(m));
	case SEARCH_UIDSET:
		return in_ranges(n, r->uid);
	case SEARCH_FLAG:
		return (msg_flags(m) & n->num) == n->num;
	case SEARCH_KEYWORD:
		return n->num < 64 && ((r->keywords >> n->num) & 1);
	case SEARCH_RECENT:
		if (env->recent != NULL)
			return env->recent(env->ctx, r) != 0;
		return env->recent_uid != 0 && r->uid >= env->recent_uid;
	case SEARCH_LARGER:
		return r->size > n->num;
	case SEARCH_SMALLER:
		return r->size < n->num;
	case SEARCH_BEFORE:
	case SEARCH_ON:
	case SEARCH_SINCE:
		return day_cmp(n->kind - SEARCH_BEFORE,
		    day_of(r->internaldate, r->tzoff), n->num);
	case SEARCH_SAVEDBEFORE:
	case SEARCH_SAVEDON:
	case SEARCH_SAVEDSINCE:
		return day_cmp(n->kind - SEARCH_SAVEDBEFORE,
		    day_of(r->savedate, 0), n->num);
	case SEARCH_OLDER:
		return older(m->run, r, n->num);
	case SEARCH_YOUNGER:
		return !older(m->run, r, n->num);
	case SEARCH_MODSEQ:
		return r->modseq >= n->num;
	default:
		return V_FALSE;
	}
}

static int
eval_leaf(struct search_msg *m, struct search_node *n, int level)
{
	int v;

	if (n->cost == SEARCH_COST_RECORD)
		return eval_record(m, n);
	if (n->cost > level)
		return V_UNKNOWN;
	if (n->memo_msg == m->run->msgno)
		return n->memo;
	switch (n->kind) {
	case SEARCH_SENTBEFORE:
	case SEARCH_SENTON:
	case SEARCH_SENTSINCE:
		v = load_view(m) && (m->view.flags & MIME_F_DATE) ?
		    day_cmp(n->kind - SEARCH_SENTBEFORE,
		    day_of(m->view.date, m->view.zone), n->num) :
		    day_cmp(n->kind - SEARCH_SENTBEFORE,
		    day_of(m->r.internaldate, m->r.tzoff), n->num);
		break;
	case SEARCH_HEADER:
		v = match_header(m, n, level);
		break;
	default:
		v = match_body(m, n);
		break;
	}
	if (v != V_UNKNOWN) {
		n->memo = v;
		n->memo_msg = m->run->msgno;
	}
	return v;
}

/* Depth is bounded by prepare(). */
static int
eval(struct search_msg *m, struct search_node *n, int level)
{
	struct search_node *c;
	int v, acc;

	switch (n->kind) {
	case SEARCH_NOT:
		v = eval(m, n->child, level);
		return v == V_UNKNOWN ? v : !v;
	case SEARCH_AND:
	case SEARCH_OR:
		acc = n->kind == SEARCH_AND ? V_TRUE : V_FALSE;
		for (c = n->child; c != NULL; c = c->next) {
			v = eval(m, c, level);
			if (v == V_UNKNOWN)
				acc = V_UNKNOWN;
			else if (v == (n->kind == SEARCH_OR))
				return v;
			if (m->run->stop)
				return V_FALSE;
		}
		return acc;
	default:
		return eval_leaf(m, n, level);
	}
}

/* ---- the scan ---- */

/* Positions [*lo, *hi) of the view that a top-level set allows. */
static int
set_span(struct run *run, const struct search_node *n, uint32_t *lo,
    uint32_t *hi, char **why_r)
{
	const struct search_env *env = run->env;
	uint32_t a, b, count = folder_count(run->f), l, h, mid;

	if (n->nranges == 0) {
		*hi = *lo;
		return 0;
	}
	a = n->ranges[0];
	b = n->ranges[2 * n->nranges - 1];
	if (n->kind == SEARCH_UIDSET) {
		if (folder_seq_at_or_after(run->f, a, &l, why_r) < 0)
			return -1;
		if (b == UINT32_MAX)
			h = count;
		else if (folder_seq_at_or_after(run->f, b + 1, &h, why_r) < 0)
			return -1;
	} else {
		/* client_seq(pos) >= pos + 1 and increases with pos */
		h = b < count ? b : count;
		l = 0;
		if (env->client_seq == NULL) {
			l = a > 0 ? a - 1 : 0;
		} else {
			uint32_t top = h;

			while (l < top) {
				mid = l + (top - l) / 2;
				if (env->client_seq(env->ctx, mid) < a)
					l = mid + 1;
				else
					top = mid;
			}
		}
	}
	if (l > *lo)
		*lo = l;
	if (h < *hi)
		*hi = h;
	return 0;
}

static int
span(struct run *run, const struct search_node *n, uint32_t *lo,
    uint32_t *hi, char **why_r)
{
	const struct search_node *c;

	*lo = 0;
	*hi = folder_count(run->f);
	if (n->kind == SEARCH_SEQSET || n->kind == SEARCH_UIDSET)
		return set_span(run, n, lo, hi, why_r);
	if (n->kind != SEARCH_AND)
		return 0;
	for (c = n->child; c != NULL; c = c->next)
		if ((c->kind == SEARCH_SEQSET || c->kind == SEARCH_UIDSET) &&
		    set_span(run, c, lo, hi, why_r) < 0)
			return -1;
	return 0;
}

/* Decide one message, loading data level by level. */
static int
decide(struct search_msg *m, struct search_node *tree)
{
	int level, v = V_UNKNOWN;

	for (level = SEARCH_COST_RECORD; level <= SEARCH_COST_BODY; level++) {
		v = eval(m, tree, level);
		if (v != V_UNKNOWN || m->run->stop)
			break;
	}
	return v == V_TRUE && !m->run->stop;
}

static void
run_free(struct run *run)
{
	buf_free(&run->raw);
	buf_free(&run->dec);
	buf_free(&run->fold);
	buf_free(&run->text);
	buf_free(&run->win);
	buf_free(&run->file);
}

int
search_each(const struct search_env *env, struct search_node *tree,
    int (*fn)(struct search_msg *m, void *ctx), void *ctx,
    struct search_stats *st, char **why_r)
{
	struct run run;
	struct search_msg m;
	uint32_t pos, lo, hi;
	size_t count = 0;
	int rc = 0;

	if (tree == NULL)
		return fail(why_r, "empty search program");
	if (prepare(tree, 0, &count, why_r) < 0)
		return -1;
	memset(&run, 0, sizeof(run));
	run.env = env;
	run.f = env->folder;
	run.now = env->now ? env->now : (int64_t)time(NULL);
	if (span(&run, tree, &lo, &hi, why_r) < 0)
		return -1;
	for (pos = lo; pos < hi && rc == 0; pos++) {
		memset(&m, 0, sizeof(m));
		m.run = &run;
		m.pos = pos;
		if (stopped(&run))
			break;
		if ((rc = folder_record(run.f, pos, &m.r, why_r)) <= 0)
			break;
		rc = 0;
		run.st.records++;
		run.msgno++;
		if (decide(&m, tree)) {
			msg_seq(&m);
			if (fn(&m, ctx) < 0)
				rc = fail(why_r, "search failed");
		}
		msg_release(&m);
	}
	if (rc == 0 && run.stop) {
		rc = run.stop;
		if (why_r != NULL)
			*why_r = run.why;
		else
			free(run.why);
	} else {
		free(run.why);
	}
	if (st != NULL)
		*st = run.st;
	run_free(&run);
	return rc;
}

const struct msgrec *
search_msg_record(const struct search_msg *m)
{
	return &m->r;
}

uint32_t
search_msg_pos(const struct search_msg *m)
{
	return m->pos;
}

uint32_t
search_msg_seq(const struct search_msg *m)
{
	return m->seq;
}

const struct search_stats *
search_msg_stats(const struct search_msg *m)
{
	return &m->run->st;
}

int
search_msg_view(struct search_msg *m, const struct mime_view **v_r)
{
	if (!load_view(m))
		return 0;
	*v_r = &m->view;
	return 1;
}

struct search_msg *
search_msg_new(const struct search_env *env)
{
	struct search_msg *m = mem_zalloc(1, sizeof(*m));

	m->run = mem_zalloc(1, sizeof(*m->run));
	m->run->env = env;
	m->run->f = env->folder;
	return m;
}

int
search_msg_load(struct search_msg *m, uint32_t pos, char **why_r)
{
	int rc;

	msg_release(m);
	m->pos = pos;
	if ((rc = folder_record(m->run->f, pos, &m->r, why_r)) <= 0)
		return rc;
	m->run->st.records++;
	m->run->msgno++;
	msg_seq(m);
	return 1;
}

void
search_msg_free(struct search_msg *m)
{
	if (m == NULL)
		return;
	msg_release(m);
	run_free(m->run);
	free(m->run);
	free(m);
}

/* ---- results ---- */

static int
collect(struct search_msg *m, void *ctx)
{
	struct search_result *res = ctx;

	if (res->n == res->cap) {
		res->cap = res->cap ? res->cap * 2 : 64;
		res->pos = mem_realloc(res->pos, res->cap, sizeof(uint32_t));
		res->seq = mem_realloc(res->seq, res->cap, sizeof(uint32_t));
		res->uid = mem_realloc(res->uid, res->cap, sizeof(uint32_t));
	}
	res->pos[res->n] = m->pos;
	res->seq[res->n] = m->seq;
	res->uid[res->n] = m->r.uid;
	res->n++;
	if (m->r.modseq > res->highest_modseq)
		res->highest_modseq = m->r.modseq;
	return 0;
}

int
search_run(const struct search_env *env, struct search_node *tree,
    struct search_result *res, char **why_r)
{
	return search_each(env, tree, collect, res, &res->stats, why_r);
}

void
search_result_free(struct search_result *res)
{
	free(res->pos);
	free(res->seq);
	free(res->uid);
	memset(res, 0, sizeof(*res));
}
