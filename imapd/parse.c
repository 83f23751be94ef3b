/*
 * parse - the IMAP command reader: a command is a line plus the lines
 * that follow its literals. Tokens are pulled from it in order; a
 * literal is read when the parser reaches it (after "+ " for a
 * synchronizing one), so memory is bounded by IMAP_MAX_LINE for the
 * lines and, together, for the literals of any command but APPEND,
 * whose message is streamed by the caller (rd_literal_head()).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imapd.h"
#include "mem.h"
#include "netio.h"
#include "num.h"

static int
atom_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

int
rd_fail(struct rd *r, int err, const char *msg)
{
	if (r->err == RD_OK) {
		r->err = err;
		r->msg = msg;
	}
	return -1;
}

int
rd_read_line(struct rd *r, size_t max, const char **line_r, size_t *len_r,
    int *nul_r)
{
	if (r->src)
		return r->src->line(r->src_ctx, max, line_r, len_r, nul_r);
	return netio_read_line(r->n, max, line_r, len_r, nul_r);
}

static int
read_line(struct rd *r)
{
	const char *line;
	size_t len;
	int nul, rc;

	rc = rd_read_line(r, r->max_line, &line, &len, &nul);
	if (rc == NETIO_TOOLONG) {
		r->io = rc;
		return rd_fail(r, RD_IO, "line too long");
	}
	if (rc < 0) {
		r->io = rc;
		return rd_fail(r, RD_IO, "connection failed");
	}
	buf_reset(&r->line);
	buf_append(&r->line, line, len);
	r->pos = 0;
	if (nul)
		return rd_fail(r, RD_BAD, "NUL byte in command");
	return 0;
}

int
rd_begin(struct rd *r)
{
	r->err = RD_OK;
	r->msg = NULL;
	r->io = 0;
	r->nest = 0;
	r->nlit = 0;
	r->budget = r->max_line;
	buf_reset(&r->line);
	r->pos = 0;
	return read_line(r);
}

int
rd_peek(const struct rd *r)
{
	return r->pos < r->line.len ? (unsigned char)r->line.data[r->pos] : -1;
}

int
rd_at_eol(const struct rd *r)
{
	return r->pos >= r->line.len;
}

int
rd_char(struct rd *r, int c)
{
	if (r->err || rd_peek(r) != c)
		return rd_fail(r, RD_BAD, "syntax error");
	r->pos++;
	return 0;
}

int
rd_sp(struct rd *r)
{
	if (r->err || rd_peek(r) != ' ')
		return rd_fail(r, RD_BAD, "expected a space");
	r->pos++;
	return 0;
}

int
rd_eol(struct rd *r)
{
	if (r->err)
		return -1;
	if (!rd_at_eol(r))
		return rd_fail(r, RD_BAD, "unexpected characters at end of command");
	return 0;
}

int
rd_open(struct rd *r)
{
	if (rd_char(r, '(') < 0)
		return -1;
	if (++r->nest > IMAP_NEST_MAX)
		return rd_fail(r, RD_BAD, "lists nested too deeply");
	return 0;
}

int
rd_close(struct rd *r)
{
	if (rd_char(r, ')') < 0)
		return -1;
	r->nest--;
	return 0;
}

static int
take_while(struct rd *r, int (*ok)(int), struct buf *out)
{
	size_t start = r->pos;

	if (r->err)
		return -1;
	while (r->pos < r->line.len && ok((unsigned char)r->line.data[r->pos]))
		r->pos++;
	if (r->pos == start)
		return rd_fail(r, RD_BAD, "expected an atom");
	buf_reset(out);
	buf_append(out, r->line.data + start, r->pos - start);
	return 0;
}

int
rd_atom(struct rd *r, struct buf *out)
{
	return take_while(r, atom_char, out);
}

static int
tag_char(int c)
{
	return (atom_char(c) || c == ']') && c != '+';
}

int
rd_tag_ok(const char *tag, size_t len)
{
	size_t i;

	if (len == 0 || len > IMAP_TAG_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!tag_char((unsigned char)tag[i]))
			return 0;
	return 1;
}

int
rd_tag(struct rd *r, struct buf *out)
{
	if (take_while(r, tag_char, out) < 0)
		return -1;
	if (out->len > IMAP_TAG_MAX)
		return rd_fail(r, RD_BAD, "tag too long");
	return 0;
}

static int
astring_char(int c)
{
	return atom_char(c) || c == ']';
}

static int
list_char(int c)
{
	return atom_char(c) || c == ']' || c == '%' || c == '*';
}

static int
read_quoted(struct rd *r, struct buf *out)
{
	int c;

	r->pos++;
	buf_reset(out);
	while ((c = rd_peek(r)) != '"') {
		if (c < 0)
			return rd_fail(r, RD_BAD, "unterminated quoted string");
		if (c == '\\') {
			r->pos++;
			c = rd_peek(r);
			if (c != '\\' && c != '"')
				return rd_fail(r, RD_BAD, "bad escape in quoted string");
		}
		buf_putc(out, c);
		r->pos++;
	}
	r->pos++;
	buf_append(out, "", 0);		/* "" is a string, never NULL */
	return 0;
}

/*
 * "{N}" or "{N+}" ending the current line: its length and whether it
 * is synchronizing. The position moves past it.
 */
int
rd_literal_head(struct rd *r, uint64_t *len_r, int *sync_r)
{
	const char *p = r->line.data + r->pos, *end = r->line.data + r->line.len;
	const char *close;
	size_t digits;

	if (r->err || p >= end || *p != '{')
		return rd_fail(r, RD_BAD, "expected a literal");
	close = memchr(p, '}', (size_t)(end - p));
	if (close == NULL || close + 1 != end)
		return rd_fail(r, RD_BAD, "bad literal");
	digits = (size_t)(close - p - 1);
	*sync_r = 1;
	if (digits > 0 && p[digits] == '+') {
		if (!r->allow_nonsync)
			return rd_fail(r, RD_BAD, "non-synchronizing literal");
		*sync_r = 0;
		digits--;
	}
	if (num_parse_u64n(p + 1, digits, UINT64_MAX / 2, len_r) < 0)
		return rd_fail(r, RD_BAD, "bad literal length");
	if (++r->nlit > IMAP_LITERALS_MAX)
		return rd_fail(r, RD_BAD, "too many literals");
	r->pos = r->line.len;
	return 0;
}

/* After a literal's bytes: the rest of the command is on the next line. */
int
rd_continue(struct rd *r)
{
	return read_line(r);
}

static int
go_ahead(struct rd *r)
{
	if (netio_puts(r->n, "+ go ahead\r\n") < 0 || netio_flush(r->n) < 0)
		return rd_fail(r, RD_IO, "connection failed");
	return 0;
}

static int
read_literal(struct rd *r, struct buf *out)
{
	uint64_t len;
	int sync, rc;

	if (rd_literal_head(r, &len, &sync) < 0)
		return -1;
	if (len > r->budget) {
		/* A synchronizing literal is never sent: the client waits. */
		r->pos = sync ? r->line.len : r->pos - 1;
		return rd_fail(r, RD_TOOBIG, "literal too long");
	}
	if (sync && go_ahead(r) < 0)
		return -1;
	buf_reset(out);
	buf_reserve(out, (size_t)len);
	rc = r->src ? r->src->exact(r->src_ctx, out->data, (size_t)len) :
	    netio_read_exact(r->n, out->data, (size_t)len);
	if (rc < 0) {
		r->io = rc;
		return rd_fail(r, RD_IO, "connection failed");
	}
	out->len = (size_t)len;
	out->data[len] = '\0';
	r->budget -= (size_t)len;
	if (memchr(out->data, '\0', out->len)) {
		(void)rd_continue(r);
		return rd_fail(r, RD_BAD, "NUL byte in literal");
	}
	return rd_continue(r);
}

int
rd_string(struct rd *r, struct buf *out)
{
	if (r->err)
		return -1;
	if (rd_peek(r) == '"')
		return read_quoted(r, out);
	if (rd_peek(r) == '{')
		return read_literal(r, out);
	return rd_fail(r, RD_BAD, "expected a string");
}

int
rd_astring(struct rd *r, struct buf *out)
{
	int c = rd_peek(r);

	if (c == '"' || c == '{')
		return rd_string(r, out);
	return take_while(r, astring_char, out);
}

int
rd_nstring(struct rd *r, struct buf *out, int *nil_r)
{
	*nil_r = 0;
	if (rd_peek(r) == '"' || rd_peek(r) == '{')
		return rd_string(r, out);
	if (take_while(r, atom_char, out) < 0)
		return -1;
	if (strcasecmp(out->data, "NIL") != 0)
		return rd_fail(r, RD_BAD, "expected a string or NIL");
	*nil_r = 1;
	return 0;
}

int
rd_mailbox(struct rd *r, struct buf *out)
{
	return rd_astring(r, out);
}

int
rd_listmbox(struct rd *r, struct buf *out)
{
	int c = rd_peek(r);

	if (c == '"' || c == '{')
		return rd_string(r, out);
	return take_while(r, list_char, out);
}

int
rd_number(struct rd *r, uint64_t max, uint64_t *v_r)
{
	size_t start = r->pos;

	if (r->err)
		return -1;
	while (r->pos < r->line.len && r->line.data[r->pos] >= '0' &&
	    r->line.data[r->pos] <= '9')
		r->pos++;
	if (num_parse_u64n(r->line.data + start, r->pos - start, max, v_r) < 0)
		return rd_fail(r, RD_BAD, "bad number");
	return 0;
}

/* Length of "{N}" / "{N+}" ending the line and whether it is +, or 0. */
static int
trailing_literal(const struct buf *line, uint64_t *len_r, int *nonsync_r)
{
	const char *end, *open;
	size_t n;

	if (line->len < 3 || line->data[line->len - 1] != '}')
		return 0;
	end = line->data + line->len - 1;
	open = end;
	while (open > line->data && open[-1] != '{')
		open--;
	if (open == line->data)
		return 0;
	n = (size_t)(end - open);
	*nonsync_r = n > 0 && open[n - 1] == '+';
	if (*nonsync_r)
		n--;
	return num_parse_u64n(open, n, UINT64_MAX / 2, len_r) == 0;
}

/*
 * Discard the rest of a command that failed: the bytes of every
 * non-synchronizing literal the client sends anyway, and the lines
 * after them. A synchronizing literal ends it (the client waits for a
 * "+" that never comes). An over-long literal means disconnecting.
 */
void
rd_skip(struct rd *r)
{
	uint64_t len;
	int nonsync, rc;

	while (r->err != RD_IO && trailing_literal(&r->line, &len, &nonsync) &&
	    nonsync) {
		if (len > ((uint64_t)r->max_line << 12)) {
			r->err = RD_IO;
			r->io = NETIO_TOOLONG;
			return;
		}
		rc = r->src ? r->src->skip(r->src_ctx, len) :
		    netio_read_stream(r->n, len, NULL, NULL);
		if (rc < 0 || read_line(r) < 0) {
			r->err = RD_IO;
			r->io = rc < 0 ? rc : r->io;
			return;
		}
	}
}

/* ---- sequence sets ---- */

static int
set_char(int c)
{
	return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' ||
	    c == '$';
}

int
rd_seqset(struct rd *r, struct buf *raw)
{
	return take_while(r, set_char, raw);
}

static int
cmp_pair(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int
set_num(const char *s, size_t len, uint32_t star, uint32_t *v_r)
{
	uint64_t v;

	if (len == 1 && s[0] == '*') {
		*v_r = star;
		return 0;
	}
	if (len == 0 || s[0] == '0' ||
	    num_parse_u64n(s, len, UINT32_MAX, &v) < 0)
		return -1;
	*v_r = (uint32_t)v;
	return 0;
}

int
seqset_parse(const char *s, uint32_t star, struct seqset *set)
{
	const char *p = s, *end, *colon;
	uint32_t lo, hi, t;
	size_t n = 0, cap = 0, i, k;

	memset(set, 0, sizeof(*set));
	while (*p) {
		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		if (set_num(p, (size_t)((colon ? colon : end) - p), star, &lo) < 0 ||
		    (colon && set_num(colon + 1, (size_t)(end - colon - 1), star,
		    &hi) < 0) || n >= IMAP_SET_MAX)
			goto bad;
		if (!colon)
			hi = lo;
		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			set->r = mem_realloc(set->r, cap, 2 * sizeof(uint32_t));
		}
		set->r[2 * n] = lo;
		set->r[2 * n + 1] = hi;
		n++;
		if (*end == '\0')
			break;
		p = end + 1;
		if (*p == '\0')
			goto bad;
	}
	if (n == 0)
		goto bad;
	qsort(set->r, n, 2 * sizeof(uint32_t), cmp_pair);
	for (i = 1, k = 0; i < n; i++) {
		if (set->r[2 * i] <= set->r[2 * k + 1] ||
		    set->r[2 * i] - 1 == set->r[2 * k + 1]) {
			if (set->r[2 * i + 1] > set->r[2 * k + 1])
				set->r[2 * k + 1] = set->r[2 * i + 1];
		} else {
			k++;
			set->r[2 * k] = set->r[2 * i];
			set->r[2 * k + 1] = set->r[2 * i + 1];
		}
	}
	set->n = k + 1;
	return 0;
bad:
	seqset_free(set);
	return -1;
}

int
seqset_has(const struct seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->r[2 * mid + 1] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->n && set->r[2 * lo] <= v;
}

void
seqset_free(struct seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

/* v[0..n) ascending: "1:3,7" form. */
void
seqset_format(const uint32_t *v, size_t n, struct buf *out)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j + 1 < n && v[j + 1] == v[j] + 1; j++)
			;
		if (i)
			buf_putc(out, ',');
		if (j == i)
			buf_printf(out, "%u", v[i]);
		else
			buf_printf(out, "%u:%u", v[i], v[j]);
		i = j + 1;
	}
}

/* ---- lists of numbers (UIDs, sequence numbers) for responses ---- */

void
uidlist_add(struct uidlist *l, uint32_t v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = mem_realloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = v;
}

int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
uidlist_format(struct uidlist *l, struct buf *out)
{
	qsort(l->v, l->n, sizeof(*l->v), u32_cmp);
	seqset_format(l->v, l->n, out);
}

void
uidlist_free(struct uidlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
