/* mime - parse a message once, at delivery; see mime.h. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "be.h"
#include "buf.h"
#include "mem.h"
#include "mime.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD, for NUL and bad bytes */
#define NONE		0xffffffffU	/* no entity */
#define NOPOS		((size_t)-1)	/* no offset */
#define CHARSET_MAX	64		/* longer charset names are unknown */

/*
 * Pool: everything a struct mime_info or mime_tree points to lives in
 * one list of blocks, freed at once.
 */
struct pool_blk {
	struct pool_blk	*next;
	size_t		 used, cap;
	max_align_t	 data[];
};

struct mime_pool {
	struct pool_blk	*head;
};

static struct mime_pool *
pool_new(void)
{
	return mem_zalloc(1, sizeof(struct mime_pool));
}

static void
pool_free(struct mime_pool *p)
{
	struct pool_blk *b, *next;

	if (p == NULL)
		return;
	for (b = p->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(p);
}

/* n zeroed bytes, aligned for any type. */
static void *
pool_alloc(struct mime_pool *p, size_t n)
{
	struct pool_blk *b = p->head;
	size_t need = mem_add(n, 15) & ~(size_t)15;
	void *r;

	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > 8192 ? need : 8192;

		b = mem_alloc(1, mem_add(sizeof(*b), cap));
		b->used = 0;
		b->cap = cap;
		if (cap > 8192 && p->head != NULL) {
			/* a big one: keep filling the current block */
			b->next = p->head->next;
			p->head->next = b;
		} else {
			b->next = p->head;
			p->head = b;
		}
	}
	r = (char *)b->data + b->used;
	b->used += need;
	memset(r, 0, n);
	return r;
}

static void *
pool_array(struct mime_pool *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		mem_fatal("allocation size overflow");
	return pool_alloc(p, total);
}

/* A NUL-terminated copy of s[0..n). */
static struct mime_str
pool_str(struct mime_pool *p, const char *s, size_t n)
{
	char *d = pool_alloc(p, mem_add(n, 1));
	struct mime_str r;

	if (n)
		memcpy(d, s, n);
	r.s = d;
	r.len = n;
	return r;
}

static struct mime_str
pool_buf(struct mime_pool *p, const struct buf *b)
{
	return pool_str(p, b->data ? b->data : "", b->len);
}

/*
 * Dovecot's imap_append_nstring_nolf(): CR and LF dropped, a space put
 * in their place unless whitespace follows, so that an nstring holds
 * one line.
 */
static struct mime_str
pool_nolf(struct mime_pool *p, const char *s, size_t n)
{
	char *d = pool_alloc(p, mem_add(n, 1));
	struct mime_str r;
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		char c = s[i], next = i + 1 < n ? s[i + 1] : ' ';

		if (c != '\r' && c != '\n')
			d[j++] = c;
		else if (next != ' ' && next != '\t' && next != '\r' &&
		    next != '\n')
			d[j++] = ' ';
	}
	r.s = d;
	r.len = j;
	return r;
}

static struct mime_str
mstr(const char *s)
{
	struct mime_str r;

	r.s = s;
	r.len = s ? strlen(s) : 0;
	return r;
}

static int
mstr_is(const struct mime_str *v, const char *s)
{
	return v->s != NULL && v->len == strlen(s) &&
	    strncasecmp(v->s, s, v->len) == 0;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* RFC 5322 atext; 8-bit bytes are accepted as RFC 6532 allows. */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 2045 token character; 8-bit bytes accepted. */
static int
is_token(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of the valid UTF-8 sequence at p[0..n), 0 when invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Append s[0..n), each NUL and byte that is not valid UTF-8 as U+FFFD. */
static void
utf8_append(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, k;

	while (i < n) {
		if (p[i] != 0 && p[i] < 0x80) {
			i++;
			continue;
		}
		k = p[i] == 0 ? 0 : utf8_len(p + i, n - i);
		if (k > 0) {
			i += k;
			continue;
		}
		buf_append(out, s + start, i - start);
		buf_append(out, REPLACEMENT, 3);
		start = ++i;
	}
	buf_append(out, s + start, i - start);
}

static void
latin1_append(struct buf *out, const char *s, size_t n)
{
	size_t i;

	buf_reserve(out, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			buf_append(out, REPLACEMENT, 3);
		else if (c < 0x80)
			buf_putc(out, c);
		else {
			buf_putc(out, 0xc0 | c >> 6);
			buf_putc(out, 0x80 | (c & 0x3f));
		}
	}
}

/*
 * Charset conversion to UTF-8. A struct cs remembers the last charset
 * so that a run of encoded-words opens iconv once. Names are checked
 * before iconv sees them; unknown ones fall back to UTF-8 validation.
 */
enum cs_kind { CS_UTF8, CS_LATIN1, CS_ICONV };

struct cs {
	char		 name[CHARSET_MAX + 1];
	enum cs_kind	 kind;
	iconv_t		 cd;
};

static void
cs_init(struct cs *cs)
{
	cs->name[0] = '\0';
	cs->kind = CS_UTF8;
	cs->cd = (iconv_t)-1;
}

static void
cs_close(struct cs *cs)
{
	if (cs->cd != (iconv_t)-1)
		iconv_close(cs->cd);
	cs_init(cs);
}

static int
cs_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CHARSET_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.:+()", c) != NULL) ||
		    c == 0)
			return 0;
	}
	return 1;
}

static int
cs_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp(name, *list) == 0)
			return 1;
	return 0;
}

static void
cs_select(struct cs *cs, const char *s, size_t n)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
	    "ascii", "us_ascii", "ansi_x3.4-1968", "iso646-us", NULL };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1",
	    "iso_8859-1", "latin1", "l1", NULL };

	if (!cs_name_ok(s, n)) {
		cs_close(cs);
		return;
	}
	if (strlen(cs->name) == n && strncasecmp(cs->name, s, n) == 0)
		return;
	cs_close(cs);
	memcpy(cs->name, s, n);
	cs->name[n] = '\0';
	if (cs_in(cs->name, utf8))
		cs->kind = CS_UTF8;
	else if (cs_in(cs->name, latin1))
		cs->kind = CS_LATIN1;
	else if ((cs->cd = iconv_open("UTF-8", cs->name)) != (iconv_t)-1)
		cs->kind = CS_ICONV;
}

static void
iconv_append(iconv_t cd, const char *in, size_t n, struct buf *out)
{
	char *ip = (char *)in;
	size_t il = n;

	while (il > 0) {
		char *op;
		size_t ol, r;

		buf_reserve(out, mem_add(mem_add(il, il), 16));
		op = out->data + out->len;
		ol = out->cap - out->len - 1;
		r = iconv(cd, &ip, &il, &op, &ol);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		buf_append(out, REPLACEMENT, 3);
		if (errno != EILSEQ)
			break;
		ip++;
		il--;
	}
	(void)iconv(cd, NULL, NULL, NULL, NULL);
}

static void
cs_convert(struct cs *cs, const char *s, size_t n, struct buf *out)
{
	if (n == 0)
		return;
	switch (cs->kind) {
	case CS_LATIN1:
		latin1_append(out, s, n);
		break;
	case CS_ICONV:
		iconv_append(cs->cd, s, n, out);
		break;
	default:
		utf8_append(out, s, n);
		break;
	}
}

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64. Strict (encoded-words): only the alphabet, '=' only at the
 * end; returns 0 otherwise. Lenient (bodies): other bytes are skipped
 * and '=' restarts the quantum.
 */
static int
b64_decode(const char *s, size_t n, struct buf *out, int strict)
{
	unsigned char tmp[512];
	size_t i, tn = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i]);

		if (v < 0) {
			if (strict && s[i] != '=')
				return 0;
			if (strict) {
				while (i < n && s[i] == '=')
					i++;
				if (i < n)
					return 0;
				break;
			}
			if (s[i] == '=')
				bits = 0;
			continue;
		}
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			tmp[tn++] = (unsigned char)(acc >> bits);
			if (tn == sizeof(tmp)) {
				buf_append(out, tmp, tn);
				tn = 0;
			}
		}
	}
	buf_append(out, tmp, tn);
	return 1;
}

/* RFC 2047 Q: '_' is a space, =XX a byte; a stray '=' is kept. */
static void
q_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < n && hex_val(s[i + 1]) >= 0 &&
		    hex_val(s[i + 2]) >= 0) {
			c = (unsigned char)(hex_val(s[i + 1]) << 4 |
			    hex_val(s[i + 2]));
			i += 2;
		}
		buf_putc(out, c);
	}
}

/*
 * The encoded-word at s[0..n), which starts with "=?": its length, with
 * its charset (language suffix removed) in *cs and its bytes appended
 * to raw; 0 when it is not one. Scanning stops at the first '?' of the
 * charset and of the text, so that trying every "=?" of a string reads
 * each byte a bounded number of times.
 */
static size_t
ew_decode(const char *s, size_t n, struct mime_str *cs, struct buf *raw)
{
	size_t i = 2, t, e, mark = raw->len;
	const char *star;
	int enc;

	while (i < n && i < 2 + 2 * CHARSET_MAX && is_token(s[i]))
		i++;
	if (i == 2 || i + 2 >= n || s[i] != '?' || s[i + 2] != '?')
		return 0;
	enc = s[i + 1] | 0x20;
	if (enc != 'b' && enc != 'q')
		return 0;
	t = i + 3;
	for (e = t; e < n && s[e] != '?' && (unsigned char)s[e] > ' ' &&
	    s[e] != 0x7f; e++)
		;
	if (e + 1 >= n || s[e] != '?' || s[e + 1] != '=')
		return 0;
	if (enc == 'q')
		q_decode(s + t, e - t, raw);
	else if (!b64_decode(s + t, e - t, raw, 1)) {
		buf_truncate(raw, mark);
		return 0;
	}
	cs->s = s + 2;
	cs->len = i - 2;
	if ((star = memchr(cs->s, '*', cs->len)) != NULL)
		cs->len = (size_t)(star - cs->s);
	return e + 2;
}

static int
all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_wsp(s[i]) && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

struct words {
	struct cs	*cs;
	struct buf	*out;
	struct buf	 raw;		/* pending decoded bytes */
	struct mime_str	 charset;	/* their charset */
};

static void
words_flush(struct words *w)
{
	if (w->charset.s == NULL)
		return;
	cs_select(w->cs, w->charset.s, w->charset.len);
	cs_convert(w->cs, w->raw.data, w->raw.len, w->out);
	buf_reset(&w->raw);
	w->charset.s = NULL;
}

static void
words_decode(struct cs *cs, const char *s, size_t n, struct buf *out)
{
	struct words w = { cs, out, BUF_INIT, { NULL, 0 } };
	struct buf word = BUF_INIT;
	struct mime_str wcs;
	size_t i = 0, text = 0, k;

	while (i + 1 < n) {
		if (s[i] != '=' || s[i + 1] != '?') {
			i++;
			continue;
		}
		buf_reset(&word);
		if ((k = ew_decode(s + i, n - i, &wcs, &word)) == 0) {
			i++;
			continue;
		}
		/* whitespace between two encoded-words is dropped */
		if (w.charset.s == NULL || !all_wsp(s + text, i - text)) {
			words_flush(&w);
			utf8_append(out, s + text, i - text);
		}
		if (w.charset.s != NULL && (wcs.len != w.charset.len ||
		    strncasecmp(wcs.s, w.charset.s, wcs.len) != 0))
			words_flush(&w);
		buf_append(&w.raw, word.data, word.len);
		w.charset = wcs;
		i += k;
		text = i;
	}
	words_flush(&w);
	utf8_append(out, s + text, n - text);
	buf_free(&w.raw);
	buf_free(&word);
}

void
mime_decode_words(const char *s, size_t len, struct buf *out)
{
	struct cs cs;

	buf_reserve(out, 0);
	if (len == 0)
		return;
	cs_init(&cs);
	words_decode(&cs, s, len, out);
	cs_close(&cs);
}

/*
 * The value of a field as one line: v[0..n) is everything after the
 * colon up to the end of the field. Leading whitespace is skipped, line
 * breaks are removed, NUL becomes U+FFFD, at most cap bytes are kept.
 */
static void
unfold(const char *v, size_t n, size_t cap, struct buf *out)
{
	size_t i = 0, start;

	buf_reset(out);
	buf_reserve(out, 0);
	while (i < n && is_wsp(v[i]))
		i++;
	for (start = i; i < n && out->len + (i - start) < cap; i++) {
		char c = v[i];

		if (c != '\n' && c != '\0' &&
		    !(c == '\r' && i + 1 < n && v[i + 1] == '\n'))
			continue;
		buf_append(out, v + start, i - start);
		if (c == '\0')
			buf_append(out, REPLACEMENT, 3);
		start = i + 1;
	}
	buf_append(out, v + start, i - start);
	buf_truncate(out, cap);
}

/*
 * RFC 5322 structured field lexer over an unfolded value. Comments nest;
 * when l->comment is set it receives the text of the last comment.
 */
struct lex {
	const unsigned char *p, *end;
	struct buf	*comment;
};

static void
lex_init(struct lex *l, const struct buf *v)
{
	l->p = (const unsigned char *)(v->data ? v->data : "");
	l->end = l->p + v->len;
	l->comment = NULL;
}

static void
lex_comment(struct lex *l)
{
	int depth = 0;

	if (l->comment != NULL)
		buf_reset(l->comment);
	for (; l->p < l->end; l->p++) {
		unsigned char c = *l->p;

		if (c == '\\' && l->p + 1 < l->end)
			c = *++l->p;
		else if (c == '(' && depth++ == 0)
			continue;
		else if (c == ')' && --depth == 0) {
			l->p++;
			break;
		}
		if (l->comment != NULL)
			buf_putc(l->comment, c);
	}
}

/* Skip whitespace and comments: 1 when something follows. */
static int
lex_skip(struct lex *l)
{
	for (;;) {
		while (l->p < l->end && (is_wsp(*l->p) || *l->p == '\r' ||
		    *l->p == '\n'))
			l->p++;
		if (l->p >= l->end || *l->p != '(')
			return l->p < l->end;
		lex_comment(l);
	}
}

static int
lex_is(const struct lex *l, int c)
{
	return l->p < l->end && *l->p == c;
}

/* A quoted-string at l->p, its content unescaped into out (if any). */
static void
lex_quoted(struct lex *l, struct buf *out)
{
	const unsigned char *start;

	l->p++;
	for (start = l->p; l->p < l->end && *l->p != '"'; l->p++) {
		if (*l->p != '\\' || l->p + 1 >= l->end)
			continue;
		if (out != NULL)
			buf_append(out, start, (size_t)(l->p - start));
		start = ++l->p;
	}
	if (out != NULL)
		buf_append(out, start, (size_t)(l->p - start));
	if (l->p < l->end)
		l->p++;
}

/* A run of atext (and dots when dots is set), appended to out. */
static size_t
lex_atom(struct lex *l, struct buf *out, int dots)
{
	const unsigned char *start = l->p;

	while (l->p < l->end && (is_atext(*l->p) || (dots && *l->p == '.')))
		l->p++;
	buf_append(out, start, (size_t)(l->p - start));
	return (size_t)(l->p - start);
}

/* A run of RFC 2045 token characters. */
static size_t
lex_token(struct lex *l, struct buf *out)
{
	const unsigned char *start = l->p;

	while (l->p < l->end && is_token(*l->p))
		l->p++;
	buf_append(out, start, (size_t)(l->p - start));
	return (size_t)(l->p - start);
}

/*
 * phrase (obs-phrase: dots allowed): words joined by one space, quoted
 * strings unquoted, comments dropped. Returns the number of words;
 * l->p is left on what follows.
 */
static size_t
lex_phrase(struct lex *l, struct buf *out)
{
	size_t words = 0;

	while (lex_skip(l)) {
		if (*l->p != '"' && *l->p != '.' && !is_atext(*l->p))
			break;
		if (words++ > 0)
			buf_putc(out, ' ');
		if (*l->p == '"')
			lex_quoted(l, out);
		else
			lex_atom(l, out, 1);
	}
	return words;
}

/*
 * A local-part or domain: words and dots with comments allowed around
 * the dots (obs-local-part, obs-domain); quoted strings are unquoted
 * when quotes is set. Dots are accepted anywhere, as real mail has them.
 */
static size_t
lex_dotted(struct lex *l, struct buf *out, int quotes)
{
	size_t n = 0;

	for (;;) {
		if (quotes && lex_is(l, '"'))
			lex_quoted(l, out);
		else if (l->p < l->end && (is_atext(*l->p) || *l->p == '.'))
			lex_atom(l, out, 1);
		else
			break;
		n++;
		lex_skip(l);
		if (lex_is(l, '.'))
			continue;
		if (out->len == 0 || out->data[out->len - 1] != '.')
			break;
	}
	return n;
}

static void
lex_domain(struct lex *l, struct buf *out)
{
	const unsigned char *start;

	lex_skip(l);
	if (!lex_is(l, '[')) {
		lex_dotted(l, out, 0);
		return;
	}
	for (start = l->p; l->p < l->end && *l->p != ']'; l->p++)
		;
	if (l->p < l->end)
		l->p++;
	buf_append(out, start, (size_t)(l->p - start));
}

/*
 * Skip what cannot be parsed up to the next ',' (or ';' in a group),
 * outside quotes, comments and angle brackets.
 */
static void
lex_garbage(struct lex *l, int group)
{
	while (lex_skip(l) && *l->p != ',' && !(group && *l->p == ';')) {
		if (*l->p == '"')
			lex_quoted(l, NULL);
		else if (*l->p == '<') {
			while (l->p < l->end && *l->p != '>')
				l->p++;
		} else
			l->p++;
	}
}

/*
 * Address lists (RFC 5322 3.4 with the obsolete forms) into RFC 3501
 * envelope addresses. Groups become a start marker (NIL NIL name NIL)
 * and an end marker (NIL NIL NIL NIL). What cannot be parsed gets
 * Dovecot's placeholders, and the list goes on after the next comma.
 */
static const char missing_mailbox[] = "MISSING_MAILBOX";
static const char missing_domain[] = "MISSING_DOMAIN";
static const char syntax_error[] = "SYNTAX_ERROR";
static const char invalid_route[] = "INVALID_ROUTE";

struct addrs {
	struct mime_pool *pool;
	struct mime_addr *first, **tail;
	struct buf	 name, mbox, host, route, comment;
};

static void
addrs_free(struct addrs *a)
{
	buf_free(&a->name);
	buf_free(&a->mbox);
	buf_free(&a->host);
	buf_free(&a->route);
	buf_free(&a->comment);
}

/* A buffer as an envelope string, or the placeholder when empty. */
static struct mime_str
addr_str(struct addrs *a, const struct buf *b, const char *empty)
{
	if (b->len == 0)
		return mstr(empty);
	return pool_nolf(a->pool, b->data, b->len);
}

static void
addr_add(struct addrs *a, struct mime_str name, struct mime_str adl,
    struct mime_str mbox, struct mime_str host)
{
	struct mime_addr *n = pool_alloc(a->pool, sizeof(*n));

	n->name = name;
	n->adl = adl;
	n->mailbox = mbox;
	n->host = host;
	*a->tail = n;
	a->tail = &n->next;
}

/* "<" [route ":"] [addr-spec] ">", the display name already read. */
static void
addr_angle(struct addrs *a, struct lex *l, struct mime_str name)
{
	struct mime_str adl = { NULL, 0 };
	int routed = 0, bad = 0;

	buf_reset(&a->mbox);
	buf_reset(&a->host);
	buf_reset(&a->route);
	l->p++;
	lex_skip(l);
	while (lex_is(l, '@')) {
		if (routed++)
			buf_putc(&a->route, ',');
		buf_putc(&a->route, '@');
		l->p++;
		lex_domain(l, &a->route);
		while (lex_skip(l) && *l->p == ',')
			l->p++;
	}
	if (routed) {
		if (lex_is(l, ':')) {
			l->p++;
			adl = addr_str(a, &a->route, invalid_route);
		} else
			adl = mstr(invalid_route);
		lex_skip(l);
	}
	if (l->p < l->end && *l->p != '>') {
		lex_dotted(l, &a->mbox, 1);
		lex_skip(l);
		if (lex_is(l, '@')) {
			l->p++;
			lex_domain(l, &a->host);
			lex_skip(l);
		}
	}
	if (lex_is(l, '>'))
		l->p++;
	else
		bad = 1;
	addr_add(a, name, adl, addr_str(a, &a->mbox, missing_mailbox),
	    bad ? mstr(syntax_error) : addr_str(a, &a->host, missing_domain));
}

/* addr-spec, its display name taken from a comment if any. */
static void
addr_spec(struct addrs *a, struct lex *l)
{
	const unsigned char *start = l->p;
	struct mime_str name = { NULL, 0 };
	size_t words;
	int at = 0;

	buf_reset(&a->mbox);
	buf_reset(&a->host);
	buf_reset(&a->comment);
	l->comment = &a->comment;
	words = lex_dotted(l, &a->mbox, 1);
	lex_skip(l);
	if (lex_is(l, '@')) {
		at = 1;
		l->p++;
		lex_domain(l, &a->host);
		lex_skip(l);
	}
	l->comment = NULL;
	if (!at && words == 0)
		return;
	if (!at && l->p < l->end && *l->p != ',' && *l->p != ';') {
		/* "Some Name" alone: a display name without address */
		l->p = start;
		buf_reset(&a->name);
		lex_phrase(l, &a->name);
		addr_add(a, pool_nolf(a->pool, a->name.data, a->name.len),
		    name, mstr(missing_mailbox), mstr(missing_domain));
		return;
	}
	if (a->comment.len > 0)
		name = pool_nolf(a->pool, a->comment.data, a->comment.len);
	addr_add(a, name, (struct mime_str){ NULL, 0 },
	    addr_str(a, &a->mbox, missing_mailbox),
	    addr_str(a, &a->host, missing_domain));
}

static void
addr_mailbox(struct addrs *a, struct lex *l)
{
	const unsigned char *start = l->p;
	struct mime_str name = { NULL, 0 };

	buf_reset(&a->name);
	lex_phrase(l, &a->name);
	if (lex_is(l, '<')) {
		if (a->name.len > 0)
			name = pool_nolf(a->pool, a->name.data, a->name.len);
		addr_angle(a, l, name);
		return;
	}
	l->p = start;
	addr_spec(a, l);
}

static void
addr_address(struct addrs *a, struct lex *l)
{
	const unsigned char *start = l->p;
	struct mime_str nil = { NULL, 0 };

	buf_reset(&a->name);
	lex_phrase(l, &a->name);
	if (!lex_is(l, ':')) {
		l->p = start;
		addr_mailbox(a, l);
		return;
	}
	l->p++;
	addr_add(a, nil, nil, pool_nolf(a->pool, a->name.data, a->name.len),
	    nil);
	while (lex_skip(l)) {
		if (*l->p == ';') {
			l->p++;
			break;
		}
		if (*l->p == ',') {
			l->p++;
			continue;
		}
		addr_mailbox(a, l);
		lex_garbage(l, 1);
	}
	addr_add(a, nil, nil, nil, nil);
}

static struct mime_addr *
addr_list(struct addrs *a, const struct buf *v)
{
	struct lex l;

	lex_init(&l, v);
	a->first = NULL;
	a->tail = &a->first;
	while (lex_skip(&l)) {
		const unsigned char *before = l.p;

		if (*l.p == ',') {
			l.p++;
			continue;
		}
		addr_address(a, &l);
		lex_garbage(&l, 0);
		if (l.p == before)
			l.p++;
	}
	return a->first;
}

/*
 * The next msg-id "<...>" of l into out, comments and whitespace within
 * removed; words before it (In-Reply-To phrases) are skipped. 1 found.
 */
static int
msgid_next(struct lex *l, struct buf *out)
{
	while (lex_skip(l)) {
		size_t mark = out->len;

		if (*l->p == '"') {
			lex_quoted(l, NULL);
			continue;
		}
		if (*l->p++ != '<')
			continue;
		buf_putc(out, '<');
		while (lex_skip(l) && *l->p != '>' && *l->p != '<') {
			if (*l->p != '"') {
				buf_putc(out, *l->p++);
				continue;
			}
			buf_putc(out, '"');
			lex_quoted(l, out);
			buf_putc(out, '"');
		}
		if (lex_is(l, '>') && out->len > mark + 1) {
			l->p++;
			buf_putc(out, '>');
			return 1;
		}
		buf_truncate(out, mark);
	}
	return 0;
}

/*
 * Dates: RFC 5322 3.3 with the obsolete forms (two- and three-digit
 * years, alphabetic zones, comments), and asctime()'s
 * "Tue Jul  1 10:52:37 2003".
 */
static int
lex_num(struct lex *l, int maxdigits, int *v, int *ndigits)
{
	int n = 0;

	lex_skip(l);
	*v = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9' && n < maxdigits) {
		*v = *v * 10 + (*l->p++ - '0');
		n++;
	}
	if (ndigits != NULL)
		*ndigits = n;
	return n > 0 && !(l->p < l->end && *l->p >= '0' && *l->p <= '9');
}

static size_t
lex_word(struct lex *l, char *w, size_t size)
{
	size_t n = 0;

	lex_skip(l);
	while (l->p < l->end && ((*l->p | 0x20) >= 'a' && (*l->p | 0x20) <= 'z')) {
		if (n + 1 < size)
			w[n++] = (char)(*l->p | 0x20);
		l->p++;
	}
	w[n < size ? n : size - 1] = '\0';
	return n;
}

static int
month_of(const char *w)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int i;

	if (strlen(w) < 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (strncmp(months + 3 * i, w, 3) == 0)
			return i + 1;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Zone after the time: minutes east of UTC; unknown or absent is 0. */
static int
date_zone(struct lex *l)
{
	static const struct { const char *name; int hours; } zones[] = {
		{ "edt", -4 }, { "est", -5 }, { "cdt", -5 }, { "cst", -6 },
		{ "mdt", -6 }, { "mst", -7 }, { "pdt", -7 }, { "pst", -8 },
	};
	char w[8];
	size_t i;
	int v, n, sign;

	lex_skip(l);
	if (lex_is(l, '+') || lex_is(l, '-')) {
		sign = *l->p++ == '-' ? -1 : 1;
		if (!lex_num(l, 4, &v, &n) || n != 4 || v % 100 >= 60)
			return 0;
		return sign * (v / 100 * 60 + v % 100);
	}
	lex_word(l, w, sizeof(w));
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(w, zones[i].name) == 0)
			return zones[i].hours * 60;
	return 0;
}

static int
date_time(struct lex *l, int *h, int *mi, int *sec)
{
	*sec = 0;
	if (!lex_num(l, 2, h, NULL) || !lex_skip(l) || *l->p++ != ':' ||
	    !lex_num(l, 2, mi, NULL))
		return 0;
	if (lex_skip(l) && *l->p == ':') {
		l->p++;
		if (!lex_num(l, 2, sec, NULL))
			return 0;
	}
	return *h < 24 && *mi < 60 && *sec <= 60;
}

static int
date_parse(const struct buf *v, int64_t *t_r, int *zone_r)
{
	struct lex l;
	char w[16];
	int y, m, d, h, mi, sec, ny, zone;

	lex_init(&l, v);
	lex_skip(&l);
	if (l.p < l.end && !(*l.p >= '0' && *l.p <= '9')) {
		lex_word(&l, w, sizeof(w));		/* day of week */
		if (lex_skip(&l) && *l.p == ',')
			l.p++;
	}
	lex_skip(&l);
	if (l.p < l.end && !(*l.p >= '0' && *l.p <= '9')) {
		/* asctime: month day time year */
		lex_word(&l, w, sizeof(w));
		if ((m = month_of(w)) == 0 || !lex_num(&l, 2, &d, NULL) ||
		    !date_time(&l, &h, &mi, &sec) || !lex_num(&l, 4, &y, &ny))
			return -1;
	} else {
		if (!lex_num(&l, 2, &d, NULL))
			return -1;
		lex_word(&l, w, sizeof(w));
		if ((m = month_of(w)) == 0 || !lex_num(&l, 4, &y, &ny) ||
		    !date_time(&l, &h, &mi, &sec))
			return -1;
	}
	if (ny == 2)
		y += y < 50 ? 2000 : 1900;
	else if (ny == 3)
		y += 1900;
	if (ny < 2 || y < 1900 || d < 1 || d > days_in_month(y, m))
		return -1;
	zone = date_zone(&l);
	*t_r = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (int64_t)zone * 60;
	*zone_r = zone;
	return 0;
}

/*
 * RFC 5256 2.1 base subject of s[a..b) (decoded, whitespace packed).
 * subj-blob = "[" *BLOBCHAR "]" *WSP; after packing, *WSP is one space
 * at most.
 */
static size_t
subj_blob(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] != '[')
		return 0;
	for (i = 1; i < n && s[i] != '[' && s[i] != ']'; i++)
		;
	if (i >= n || s[i] != ']')
		return 0;
	i++;
	return i < n && s[i] == ' ' ? i + 1 : i;
}

/*
 * subj-leader = (*subj-blob subj-refwd) / WSP: its length, or 0 with
 * *run the length of the blobs that were not followed by subj-refwd.
 */
static size_t
subj_leader(const char *s, size_t n, size_t *run)
{
	size_t i = 0, k;

	*run = 0;
	if (n > 0 && s[0] == ' ')
		return 1;
	while ((k = subj_blob(s + i, n - i)) > 0)
		i += k;
	*run = i;
	/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
	if (n - i >= 2 && strncasecmp(s + i, "re", 2) == 0)
		i += 2;
	else if (n - i >= 3 && strncasecmp(s + i, "fwd", 3) == 0)
		i += 3;
	else if (n - i >= 2 && strncasecmp(s + i, "fw", 2) == 0)
		i += 2;
	else
		return 0;
	if (i < n && s[i] == ' ')
		i++;
	i += subj_blob(s + i, n - i);
	return i < n && s[i] == ':' ? i + 1 : 0;
}

/*
 * Steps (3) to (5): leaders, and blobs that leave something behind.
 * Blobs not followed by subj-refwd are removed as a run, which is what
 * removing them one by one and retrying (3) would do, in linear time.
 */
static size_t
subj_leaders(const char *s, size_t a, size_t b, int *refwd)
{
	size_t k, run, last;
	int found;

	do {
		found = 0;
		if ((k = subj_leader(s + a, b - a, &run)) > 0) {
			if (s[a] != ' ')
				*refwd = 1;
			a += k;
			found = 1;
			continue;
		}
		if (run == 0)
			break;
		if (a + run < b) {
			a += run;
			found = 1;
			continue;
		}
		/* the blobs reach the end: all but the last go */
		for (last = a; (k = subj_blob(s + last, b - last)) > 0 &&
		    last + k < b; last += k)
			;
		found = last > a;
		a = last;
	} while (found);
	return a;
}

static void
subj_base(const char *s, size_t *a_r, size_t *b_r, int *refwd)
{
	size_t a = *a_r, b = *b_r;

	for (;;) {
		for (;;) {		/* (2) subj-trailer */
			if (b > a && s[b - 1] == ' ')
				b--;
			else if (b - a >= 5 &&
			    strncasecmp(s + b - 5, "(fwd)", 5) == 0) {
				b -= 5;
				*refwd = 1;
			} else
				break;
		}
		a = subj_leaders(s, a, b, refwd);
		/* (6) subj-fwd */
		if (b - a < 6 || strncasecmp(s + a, "[fwd:", 5) != 0 ||
		    s[b - 1] != ']')
			break;
		a += 5;
		b--;
		*refwd = 1;
	}
	*a_r = a;
	*b_r = b;
}

/* Whitespace packed in place: tabs and line ends are spaces, runs one. */
static void
pack_wsp(struct buf *b)
{
	size_t i, j = 0;
	int last = 0;

	for (i = 0; i < b->len; i++) {
		char c = b->data[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!last)
				b->data[j++] = ' ';
			last = 1;
		} else {
			b->data[j++] = c;
			last = 0;
		}
	}
	buf_truncate(b, j);
}

/*
 * Content-Type parameters (RFC 2045 5.1, RFC 2231). Values may be
 * quoted strings or, leniently, any run up to ';' or whitespace (real
 * boundaries contain '=' unquoted). RFC 2231 continuations are merged
 * as Dovecot does: "name*0", "name*1" become "name"; if any segment is
 * extended ("name*0*") the result is "name*" with the value still
 * encoded; incomplete sequences keep their numbered names.
 */
struct rawparam {
	struct mime_str	 name, value;	/* name: the key for RFC 2231 ones */
	int		 idx;		/* -1: not RFC 2231 */
	int		 ext;
};

/* "name*", "name*N" or "name*N*": key, index and extended flag. */
static int
param_2231(struct rawparam *p)
{
	const char *star = memchr(p->name.s, '*', p->name.len);
	const char *q, *end = p->name.s + p->name.len;
	int idx = 0, digits = 0, ext = 0;

	if (star == NULL || star == p->name.s)
		return 0;
	q = star + 1;
	if (q == end)
		ext = 1;
	else {
		for (; q < end && *q >= '0' && *q <= '9' && digits < 4; q++) {
			idx = idx * 10 + (*q - '0');
			digits++;
		}
		if (digits == 0)
			return 0;
		if (q < end && *q == '*') {
			ext = 1;
			q++;
		}
		if (q != end)
			return 0;
	}
	p->idx = idx;
	p->ext = ext;
	p->name.len = (size_t)(star - p->name.s);
	return 1;
}

static int
param_cmp(const struct rawparam *a, const struct rawparam *b)
{
	size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
	int r = strncasecmp(a->name.s, b->name.s, n);

	if (r != 0)
		return r;
	if (a->name.len != b->name.len)
		return a->name.len < b->name.len ? -1 : 1;
	return a->idx - b->idx;
}

static void
param_push(struct mime_pool *pool, struct mime_param *out, size_t *n,
    const struct buf *name, const struct buf *value)
{
	out[*n].name = pool_buf(pool, name);
	out[*n].value = pool_buf(pool, value);
	(*n)++;
}

/*
 * The complete sequence rp[0..n) of one name as a single parameter:
 * "name*" and the joined value if any segment is extended (plain
 * segments then %-escaped, "''" first if the first one is plain).
 */
static void
param_join(struct mime_pool *pool, const struct rawparam *rp, size_t n,
    int anyext, struct mime_param *out, size_t *nout)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	size_t k, m;

	buf_append(&name, rp[0].name.s, rp[0].name.len);
	if (anyext)
		buf_putc(&name, '*');
	if (anyext && !rp[0].ext)
		buf_puts(&value, "''");
	for (k = 0; k < n; k++)
		for (m = 0; m < rp[k].value.len; m++) {
			if (rp[k].value.s[m] == '%' && anyext && !rp[k].ext)
				buf_puts(&value, "%25");
			else
				buf_putc(&value, rp[k].value.s[m]);
		}
	param_push(pool, out, nout, &name, &value);
	buf_free(&name);
	buf_free(&value);
}

/* An incomplete sequence keeps its numbered names. */
static void
param_keep(struct mime_pool *pool, const struct rawparam *rp,
    struct mime_param *out, size_t *nout)
{
	struct buf name = BUF_INIT, value = BUF_INIT;

	buf_append(&name, rp->name.s, rp->name.len);
	buf_printf(&name, "*%d%s", rp->idx, rp->ext ? "*" : "");
	buf_append(&value, rp->value.s, rp->value.len);
	param_push(pool, out, nout, &name, &value);
	buf_free(&name);
	buf_free(&value);
}

/* Merge the RFC 2231 parameters rp[0..n) (sorted by name) into out. */
static void
param_merge(struct mime_pool *pool, const struct rawparam *rp, size_t n,
    struct mime_param *out, size_t *nout)
{
	size_t i, j, next;
	int ok, anyext;

	for (i = 0; i < n; i = next) {
		ok = 1;
		anyext = 0;
		for (j = i; j < n && rp[j].name.len == rp[i].name.len &&
		    strncasecmp(rp[i].name.s, rp[j].name.s,
		    rp[i].name.len) == 0; j++) {
			ok &= rp[j].idx == (int)(j - i);
			anyext |= rp[j].ext;
		}
		next = j;
		if (ok)
			param_join(pool, rp + i, next - i, anyext, out, nout);
		else
			for (j = i; j < next; j++)
				param_keep(pool, rp + j, out, nout);
	}
}

/* One "attribute=value" at l (after ';' and whitespace): 1 if valid. */
static int
param_read(struct lex *l, struct buf *name, struct buf *value)
{
	const unsigned char *start;

	buf_reset(name);
	buf_reset(value);
	if (lex_token(l, name) == 0 || !lex_skip(l) || *l->p != '=')
		return 0;
	l->p++;
	if (!lex_skip(l))
		return 1;
	if (*l->p == '"') {
		lex_quoted(l, value);
		return 1;
	}
	for (start = l->p; l->p < l->end && *l->p != ';' && *l->p > ' ' &&
	    *l->p != '"' && *l->p != '(' && *l->p != 0x7f; l->p++)
		;
	buf_append(value, start, (size_t)(l->p - start));
	return 1;
}

/* Read up to MIME_MAX_PARAMS parameters; bad ones are skipped. */
static size_t
params_read(struct mime_pool *pool, struct lex *l, struct rawparam *rp)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	size_t n = 0;

	while (lex_skip(l) && n < MIME_MAX_PARAMS) {
		if (*l->p == ';') {
			l->p++;
			continue;
		}
		if (!param_read(l, &name, &value)) {
			while (l->p < l->end && *l->p != ';')
				l->p++;
			continue;
		}
		rp[n].name = pool_buf(pool, &name);
		rp[n].value = pool_buf(pool, &value);
		rp[n].idx = -1;
		rp[n].ext = 0;
		(void)param_2231(&rp[n]);
		n++;
	}
	buf_free(&name);
	buf_free(&value);
	return n;
}

/* Plain parameters first, in order; then the RFC 2231 ones merged. */
static void
params_parse(struct mime_pool *pool, struct lex *l,
    struct mime_param **params_r, size_t *n_r)
{
	struct rawparam rp[MIME_MAX_PARAMS], t;
	size_t n = params_read(pool, l, rp), i, j, k;

	*n_r = 0;
	*params_r = NULL;
	if (n == 0)
		return;
	*params_r = pool_array(pool, n, sizeof(**params_r));
	for (i = j = 0; i < n; i++) {
		if (rp[i].idx < 0) {
			(*params_r)[*n_r].name = rp[i].name;
			(*params_r)[(*n_r)++].value = rp[i].value;
		} else
			rp[j++] = rp[i];
	}
	for (i = 1; i < j; i++) {	/* insertion sort: stable, n small */
		t = rp[i];
		for (k = i; k > 0 && param_cmp(&rp[k - 1], &t) > 0; k--)
			rp[k] = rp[k - 1];
		rp[k] = t;
	}
	param_merge(pool, rp, j, *params_r, n_r);
}

/*
 * Header fields the parser looks at: the MIME and envelope fields of
 * each entity, and the common fields cached from the top-level header.
 */
enum {
	F_CT, F_CTE, F_CID, F_CDESC, F_CDISP, F_CLANG, F_CLOC, F_CMD5,
	F_MIMEVER, F_DATE, F_SUBJECT, F_FROM, F_SENDER, F_REPLY_TO, F_TO,
	F_CC, F_BCC, F_IN_REPLY_TO, F_MESSAGE_ID, F_REFERENCES, F_COUNT,
	F_OTHER = -1
};

#define FN(name, field, cached)	{ name, sizeof(name) - 1, field, cached }

static const struct field_name {
	const char	*name;
	size_t		 len;
	int		 field;
	int		 cached;
} field_names[] = {
	FN("content-type", F_CT, 1),
	FN("content-transfer-encoding", F_CTE, 1),
	FN("content-id", F_CID, 0),
	FN("content-description", F_CDESC, 0),
	FN("content-disposition", F_CDISP, 0),
	FN("content-language", F_CLANG, 0),
	FN("content-location", F_CLOC, 0),
	FN("content-md5", F_CMD5, 0),
	FN("mime-version", F_MIMEVER, 1),
	FN("date", F_DATE, 1),
	FN("subject", F_SUBJECT, 1),
	FN("from", F_FROM, 1),
	FN("sender", F_SENDER, 1),
	FN("reply-to", F_REPLY_TO, 1),
	FN("to", F_TO, 1),
	FN("cc", F_CC, 1),
	FN("bcc", F_BCC, 1),
	FN("in-reply-to", F_IN_REPLY_TO, 1),
	FN("message-id", F_MESSAGE_ID, 1),
	FN("references", F_REFERENCES, 1),
	FN("list-id", F_OTHER, 1),
	FN("list-post", F_OTHER, 1),
	FN("list-unsubscribe", F_OTHER, 1),
	FN("x-priority", F_OTHER, 1),
	FN("importance", F_OTHER, 1),
	FN("priority", F_OTHER, 1),
	FN("x-mailer", F_OTHER, 1),
	FN("newsgroups", F_OTHER, 1),
	FN("disposition-notification-to", F_OTHER, 1),
	FN("return-path", F_OTHER, 1),
	FN("delivered-to", F_OTHER, 1),
	FN("x-uniform-type-identifier", F_OTHER, 1),
	FN("x-universally-unique-identifier", F_OTHER, 1),
};

static const struct field_name *
field_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (field_names[i].len == len &&
		    strncasecmp(field_names[i].name, name, len) == 0)
			return &field_names[i];
	return NULL;
}

int
mime_field_cached(const char *name, size_t len)
{
	const struct field_name *f = field_lookup(name, len);

	return f != NULL && f->cached;
}

/* The part table row, as stored (see mime_info_encode). */
#define ROW_SIZE	36
#define ROW_NUMBERED	0x01
#define ROW_TEXT	0x02
#define ROW_TRUNCATED	0x04

/* An entity being parsed: one row of the part table. */
struct ent {
	struct mime_body *node;
	struct mime_body *last;		/* last part added to node */
	uint32_t	 parent;
	uint32_t	 number;	/* among the parts of its multipart */
	uint32_t	 nparts;	/* parts opened so far */
	int		 depth;
	int		 in_header;
	int		 msgctx;	/* its header is a message header */
	int		 digest;	/* multipart/digest */
	enum mime_kind	 kind;
	enum mime_enc	 enc;
	unsigned int	 rowflags;
	size_t		 hdr_off, hdr_len, body_off, body_len;
	size_t		 lf_body, body_lines;
	size_t		 sec_off, sec_len, cs_off, cs_len;
};

struct bnd {
	uint32_t	 ent;
	size_t		 len;
	char		 s[MIME_MAX_BOUNDARY];
};

struct span {
	size_t		 off, len;
	int		 set;
};

struct scan {
	struct mime_info *info;
	struct mime_pool *pool;
	const char	*msg;
	size_t		 len;
	size_t		 lf;		/* LFs before the current line */
	unsigned int	 flags;
	struct ent	*ents;
	size_t		 nents, cap;
	uint32_t	 stack[MIME_MAX_DEPTH + 2];
	size_t		 nstack;
	struct bnd	 bnd[MIME_MAX_DEPTH + 1];
	size_t		 nbnd;
	int		 frozen;	/* MIME_MAX_PARTS reached */
	/* the header being read, always that of the top of the stack */
	size_t		 fstart, fcolon, fend;
	struct span	 f[F_COUNT];
	struct buf	 names, fields, v, t;
	struct addrs	 addrs;
	struct cs	 cs;
};

static struct ent *
top(struct scan *s)
{
	return &s->ents[s->stack[s->nstack - 1]];
}

static void
ent_open(struct scan *s, uint32_t parent, size_t hdr_off)
{
	struct ent *e;

	if (s->nents == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->ents = mem_realloc(s->ents, s->cap, sizeof(*s->ents));
	}
	e = &s->ents[s->nents];
	memset(e, 0, sizeof(*e));
	e->parent = parent;
	e->hdr_off = hdr_off;
	e->in_header = 1;
	e->msgctx = 1;
	if (parent != NONE) {
		struct ent *p = &s->ents[parent];

		e->depth = p->depth + 1;
		if (p->kind == MIME_KIND_MULTIPART) {
			e->msgctx = 0;
			e->number = ++p->nparts;
		}
	}
	s->stack[s->nstack++] = (uint32_t)s->nents++;
	memset(s->f, 0, sizeof(s->f));
	s->fstart = NOPOS;
}

/* The current header's first field called so, unfolded into s->v. */
static int
fld(struct scan *s, int field)
{
	if (!s->f[field].set)
		return 0;
	unfold(s->msg + s->f[field].off, s->f[field].len,
	    MIME_MAX_HEADER_LINE, &s->v);
	return 1;
}

/* An unstructured field as an nstring (NIL when absent). */
static struct mime_str
fld_text(struct scan *s, int field)
{
	struct mime_str r = { NULL, 0 };

	if (fld(s, field))
		r = pool_nolf(s->pool, s->v.data, s->v.len);
	return r;
}

static struct mime_addr *
fld_addrs(struct scan *s, int field)
{
	if (!fld(s, field))
		return NULL;
	return addr_list(&s->addrs, &s->v);
}

static void
field_done(struct scan *s)
{
	size_t start = s->fstart, nlen;
	const struct field_name *fn;

	if (start == NOPOS)
		return;
	s->fstart = NOPOS;
	if (s->fcolon == NOPOS)
		return;
	for (nlen = s->fcolon - start; nlen > 0 &&
	    is_wsp(s->msg[start + nlen - 1]); nlen--)
		;
	if ((fn = field_lookup(s->msg + start, nlen)) == NULL)
		return;
	if (fn->cached && s->nents == 1 &&
	    !(s->flags & MIME_F_FIELDS_PARTIAL)) {
		if (s->fields.len + (s->fend - start) > MIME_MAX_FIELDS) {
			s->flags |= MIME_F_FIELDS_PARTIAL;
			buf_free(&s->fields);
		} else
			buf_append(&s->fields, s->msg + start, s->fend - start);
	}
	if (fn->field != F_OTHER && !s->f[fn->field].set) {
		s->f[fn->field].off = s->fcolon + 1;
		s->f[fn->field].len = s->fend - s->fcolon - 1;
		s->f[fn->field].set = 1;
	}
}

/* A parameter's value (first of that name, any case), or NIL. */
static struct mime_str
param_get(const struct mime_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mstr_is(&p[i].name, name))
			return p[i].value;
	return (struct mime_str){ NULL, 0 };
}

/* Content-Type into node type, subtype, params: 0 when unparsable. */
static int
ct_parse(struct scan *s, struct mime_body *n)
{
	struct lex l;
	struct buf tok = BUF_INIT;
	int ok = 0;

	lex_init(&l, &s->v);
	if (!lex_skip(&l) || lex_token(&l, &tok) == 0 || !lex_skip(&l) ||
	    *l.p++ != '/')
		goto out;
	n->type = pool_buf(s->pool, &tok);
	buf_reset(&tok);
	if (!lex_skip(&l) || lex_token(&l, &tok) == 0)
		goto out;
	n->subtype = pool_buf(s->pool, &tok);
	params_parse(s->pool, &l, &n->params, &n->nparams);
	ok = 1;
out:
	buf_free(&tok);
	return ok;
}

/* A single token (Content-Transfer-Encoding), or NIL. */
static struct mime_str
fld_token(struct scan *s, int field)
{
	struct mime_str r = { NULL, 0 };
	struct buf tok = BUF_INIT;
	struct lex l;

	if (!fld(s, field))
		return r;
	lex_init(&l, &s->v);
	if (lex_skip(&l) && lex_token(&l, &tok) > 0 && !lex_skip(&l))
		r = pool_buf(s->pool, &tok);
	buf_free(&tok);
	return r;
}

static void
fld_disposition(struct scan *s, struct mime_body *n)
{
	struct buf tok = BUF_INIT;
	struct lex l;

	if (!fld(s, F_CDISP))
		return;
	lex_init(&l, &s->v);
	if (lex_skip(&l) && lex_token(&l, &tok) > 0) {
		n->disp = pool_buf(s->pool, &tok);
		params_parse(s->pool, &l, &n->dparams, &n->ndparams);
	}
	buf_free(&tok);
}

/* Content-Language: 1#Language-tag, stopping at the first bad one. */
static void
fld_language(struct scan *s, struct mime_body *n)
{
	struct mime_str langs[MIME_MAX_PARAMS];
	struct buf tok = BUF_INIT;
	struct lex l;
	size_t k = 0;

	if (!fld(s, F_CLANG))
		return;
	lex_init(&l, &s->v);
	lex_skip(&l);
	while (k < MIME_MAX_PARAMS && lex_atom(&l, &tok, 0) > 0) {
		langs[k++] = pool_buf(s->pool, &tok);
		buf_reset(&tok);
		if (!lex_skip(&l) || *l.p != ',')
			break;
		l.p++;
		lex_skip(&l);
	}
	buf_free(&tok);
	if (k == 0)
		return;
	n->lang = pool_array(s->pool, k, sizeof(*n->lang));
	memcpy(n->lang, langs, k * sizeof(*n->lang));
	n->nlang = k;
}

static enum mime_enc
enc_of(const struct mime_str *e)
{
	if (e->s == NULL || mstr_is(e, "7bit"))
		return MIME_ENC_7BIT;
	if (mstr_is(e, "8bit"))
		return MIME_ENC_8BIT;
	if (mstr_is(e, "binary"))
		return MIME_ENC_BINARY;
	if (mstr_is(e, "base64"))
		return MIME_ENC_BASE64;
	if (mstr_is(e, "quoted-printable"))
		return MIME_ENC_QP;
	return MIME_ENC_OTHER;
}

static void
add_default_charset(struct mime_pool *pool, struct mime_body *n)
{
	struct mime_param *p;

	if (param_get(n->params, n->nparams, "charset").s != NULL)
		return;
	p = pool_array(pool, n->nparams + 1, sizeof(*p));
	if (n->nparams)
		memcpy(p, n->params, n->nparams * sizeof(*p));
	p[n->nparams].name = mstr("charset");
	p[n->nparams].value = mstr("us-ascii");
	n->params = p;
	n->nparams++;
}

/*
 * Type, kind and the other Content-* fields of entity e from its
 * header. Content-* fields count only in MIME entities (Dovecot): a
 * part of a multipart, or a message with MIME-Version or Content-Type.
 */
static void
ent_type(struct scan *s, struct ent *e, struct mime_body *n)
{
	int mime = !e->msgctx || s->f[F_MIMEVER].set || s->f[F_CT].set;
	const struct ent *p = e->parent == NONE ? NULL : &s->ents[e->parent];

	if (!mime || !fld(s, F_CT) || !ct_parse(s, n)) {
		n->params = NULL;
		n->nparams = 0;
		n->type = mstr(p != NULL && p->digest ? "message" : "text");
		n->subtype = mstr(p != NULL && p->digest ? "rfc822" : "plain");
	}
	e->kind = MIME_KIND_LEAF;
	if (mstr_is(&n->type, "multipart"))
		e->kind = MIME_KIND_MULTIPART;
	else if (mstr_is(&n->type, "message") &&
	    mstr_is(&n->subtype, "rfc822"))
		e->kind = MIME_KIND_MESSAGE;
	if (e->kind != MIME_KIND_LEAF && (e->depth >= MIME_MAX_DEPTH ||
	    s->frozen || (e->kind == MIME_KIND_MESSAGE &&
	    s->nents >= MIME_MAX_PARTS))) {
		e->kind = MIME_KIND_LEAF;
		e->rowflags |= ROW_TRUNCATED;
		s->flags |= MIME_F_TRUNCATED;
		n->type = mstr("application");
		n->subtype = mstr("octet-stream");
	}
	if (!mime)
		return;
	n->id = fld_text(s, F_CID);
	n->desc = fld_text(s, F_CDESC);
	n->md5 = fld_text(s, F_CMD5);
	n->loc = fld_text(s, F_CLOC);
	n->enc = fld_token(s, F_CTE);
	fld_disposition(s, n);
	fld_language(s, n);
}

/* Multipart boundary: pushed when usable (non-empty). */
static void
ent_boundary(struct scan *s, struct ent *e, struct mime_body *n)
{
	struct mime_str b = param_get(n->params, n->nparams, "boundary");
	struct bnd *d;

	e->digest = mstr_is(&n->subtype, "digest");
	if (b.s == NULL || b.len == 0 || s->nbnd >= MIME_MAX_DEPTH + 1)
		return;
	d = &s->bnd[s->nbnd++];
	d->ent = (uint32_t)(e - s->ents);
	d->len = b.len < MIME_MAX_BOUNDARY ? b.len : MIME_MAX_BOUNDARY;
	memcpy(d->s, b.s, d->len);
}

/* Section number (RFC 3501 6.4.5) of e into s->names. */
static void
ent_section(struct scan *s, struct ent *e)
{
	const struct ent *p = e->parent == NONE ? NULL : &s->ents[e->parent];
	uint32_t num = e->number;

	buf_reset(&s->t);
	if (p != NULL)
		buf_append(&s->t, s->names.data + p->sec_off, p->sec_len);
	if (e->msgctx && e->kind == MIME_KIND_MULTIPART) {
		e->sec_off = p != NULL ? p->sec_off : 0;
		e->sec_len = p != NULL ? p->sec_len : 0;
		return;
	}
	if (e->msgctx)
		num = 1;
	if (s->t.len > 0)
		buf_putc(&s->t, '.');
	buf_printf(&s->t, "%u", num);
	e->rowflags |= ROW_NUMBERED;
	e->sec_off = s->names.len;
	e->sec_len = s->t.len;
	buf_append(&s->names, s->t.data, s->t.len);
}

static void
ent_link(struct scan *s, struct ent *e, struct mime_body *n)
{
	struct ent *p;

	e->node = n;
	if (e->parent == NONE) {
		s->info->body = n;
		return;
	}
	p = &s->ents[e->parent];
	if (p->last == NULL)
		p->node->child = n;
	else
		p->last->next = n;
	p->last = n;
}

static void sort_keys(struct scan *);

static void
ent_envelope(struct scan *s, struct ent *e)
{
	struct mime_env *env = pool_alloc(s->pool, sizeof(*env));

	env->date = fld_text(s, F_DATE);
	env->subject = fld_text(s, F_SUBJECT);
	env->from = fld_addrs(s, F_FROM);
	if ((env->sender = fld_addrs(s, F_SENDER)) == NULL)
		env->sender = env->from;
	if ((env->reply_to = fld_addrs(s, F_REPLY_TO)) == NULL)
		env->reply_to = env->from;
	env->to = fld_addrs(s, F_TO);
	env->cc = fld_addrs(s, F_CC);
	env->bcc = fld_addrs(s, F_BCC);
	env->in_reply_to = fld_text(s, F_IN_REPLY_TO);
	env->message_id = fld_text(s, F_MESSAGE_ID);
	if (e->parent == NONE) {
		s->info->env = env;
		sort_keys(s);
	} else
		s->ents[e->parent].node->env = env;
}

/*
 * The header of the top entity ends at hend; its body starts at boff,
 * after lf_body LFs. Build its node; a message/rfc822 opens the entity
 * of its message right away.
 */
static void
hdr_end(struct scan *s, size_t hend, size_t boff, size_t lf_body)
{
	uint32_t ei = s->stack[s->nstack - 1];
	struct ent *e = &s->ents[ei];
	struct mime_body *n = pool_alloc(s->pool, sizeof(*n));

	e->hdr_len = hend - e->hdr_off;
	e->body_off = boff;
	e->lf_body = lf_body;
	e->in_header = 0;
	ent_type(s, e, n);
	e->enc = enc_of(&n->enc);
	if (n->enc.s == NULL)
		n->enc = mstr("7bit");
	n->ext = 1;
	if (e->kind == MIME_KIND_MULTIPART) {
		n->kind = MIME_BODY_MULTIPART;
		n->type = n->id = n->desc = n->enc = n->md5 = mstr(NULL);
		ent_boundary(s, e, n);
	} else if (e->kind == MIME_KIND_MESSAGE) {
		n->kind = MIME_BODY_MESSAGE;
		n->type = mstr("message");
		n->subtype = mstr("rfc822");
	} else if (mstr_is(&n->type, "text")) {
		n->kind = MIME_BODY_TEXT;
		add_default_charset(s->pool, n);
		e->rowflags |= ROW_TEXT;
		e->cs_off = s->names.len;
		e->cs_len = param_get(n->params, n->nparams, "charset").len;
		if (e->cs_len > CHARSET_MAX)
			e->cs_len = CHARSET_MAX;
		buf_append(&s->names, param_get(n->params, n->nparams,
		    "charset").s, e->cs_len);
	}
	ent_section(s, e);
	ent_link(s, e, n);
	if (e->msgctx)
		ent_envelope(s, e);
	if (e->kind == MIME_KIND_MESSAGE)
		ent_open(s, ei, boff);
}

static void
node_finish(struct scan *s, struct ent *e)
{
	struct mime_body *n = e->node, *d;

	n->size = e->body_len;
	if (n->kind == MIME_BODY_TEXT || n->kind == MIME_BODY_MESSAGE)
		n->lines = e->body_lines;
	if (n->kind != MIME_BODY_MULTIPART || n->child != NULL)
		return;
	/* a multipart without parts is written with one empty part */
	n->child = d = pool_alloc(s->pool, sizeof(*d));
	d->kind = MIME_BODY_TEXT;
	d->type = mstr("text");
	d->subtype = mstr("plain");
	add_default_charset(s->pool, d);
	d->enc = mstr("7bit");
	d->ext = 1;
}

/*
 * Close the top entity: its body ends at end (after lf_end LFs). One in
 * its header gets an empty body; a message/rfc822 in its header first
 * gets its (empty) message, which the caller closes before it.
 */
static void
ent_close(struct scan *s, size_t end, size_t lf_end)
{
	uint32_t ei = s->stack[s->nstack - 1];
	struct ent *e = &s->ents[ei];

	if (e->in_header) {
		field_done(s);
		if (ei == 0)
			s->flags |= MIME_F_NO_SEPARATOR;
		if (end < e->hdr_off)
			end = e->hdr_off;
		hdr_end(s, end, end, lf_end);
		if (s->stack[s->nstack - 1] != ei)
			return;
		e = &s->ents[ei];
	}
	if (end <= e->body_off) {
		e->body_len = 0;
		e->body_lines = 0;
	} else {
		e->body_len = end - e->body_off;
		e->body_lines = lf_end - e->lf_body;
	}
	node_finish(s, e);
	while (s->nbnd > 0 && s->bnd[s->nbnd - 1].ent == ei)
		s->nbnd--;
	s->nstack--;
}

/*
 * A line "--..." in the body of a multipart (or in a header below one):
 * the index of the boundary it starts with, the longest and most recent
 * winning; -1 when none.
 */
static int
bnd_match(const struct scan *s, const char *p, size_t n)
{
	size_t find = n, i;
	int best = -1;

	if (find >= 2 && p[find - 1] == '-' && p[find - 2] == '-')
		find -= 2;
	for (i = s->nbnd; i-- > 0;) {
		const struct bnd *b = &s->bnd[i];

		if (b->len > n || memcmp(b->s, p, b->len) != 0 ||
		    (best >= 0 && b->len <= s->bnd[best].len))
			continue;
		best = (int)i;
		if (b->len == find)
			break;
	}
	return best;
}

static int
bnd_line(struct scan *s, size_t ls, size_t ce, size_t le)
{
	const char *p = s->msg + ls + 2;
	size_t n = ce - ls - 2, end = ls, lf_end = s->lf, bl;
	uint32_t owner;
	int b, last;

	if ((b = bnd_match(s, p, n)) < 0)
		return 0;
	owner = s->bnd[b].ent;
	bl = s->bnd[b].len;
	last = n >= bl + 2 && p[bl] == '-' && p[bl + 1] == '-';
	/*
	 * The line end before the delimiter belongs to it (RFC 2046), unless
	 * the delimiter is the first line of what the innermost entity is
	 * reading (header or body): then that line end is not its own.
	 */
	if (ls > (top(s)->in_header ? top(s)->hdr_off : top(s)->body_off) &&
	    s->msg[ls - 1] == '\n') {
		end--;
		lf_end--;
		if (end > 0 && s->msg[end - 1] == '\r')
			end--;
	}
	while (s->stack[s->nstack - 1] != owner)
		ent_close(s, end, lf_end);
	s->nbnd = (size_t)b + (last ? 0 : 1);
	if (last)
		return 1;
	if (s->nents >= MIME_MAX_PARTS) {
		s->frozen = 1;
		s->nbnd = 0;
		s->flags |= MIME_F_TRUNCATED;
		return 1;
	}
	ent_open(s, owner, le);
	return 1;
}

static void
hdr_line(struct scan *s, size_t ls, size_t ce, size_t le)
{
	const char *colon;

	if (ce == ls) {
		field_done(s);
		hdr_end(s, le, le, s->lf + 1);
		return;
	}
	if (is_wsp(s->msg[ls]) && s->fstart != NOPOS) {
		s->fend = le;
		return;
	}
	field_done(s);
	s->fstart = ls;
	s->fend = le;
	colon = memchr(s->msg + ls, ':', ce - ls);
	s->fcolon = colon != NULL ? (size_t)(colon - s->msg) : NOPOS;
}

/* The rest of the message has no structure left: count lines only. */
static void
scan_tail(struct scan *s, size_t pos)
{
	const char *p = s->msg + pos, *end = s->msg + s->len, *nl;
	size_t lf = 0;

	while (p < end) {
		if (*p == '.')
			s->flags |= MIME_F_STUFFING;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		lf++;
		if (nl == p || nl[-1] != '\r')
			s->flags |= MIME_F_BARE_LF;
		p = nl + 1;
	}
	s->lf += lf;
}

static void
scan_message(struct scan *s)
{
	const char *m = s->msg, *nl;
	size_t pos = 0, le, ce;

	ent_open(s, NONE, 0);
	while (pos < s->len) {
		if (!top(s)->in_header && s->nbnd == 0) {
			scan_tail(s, pos);
			break;
		}
		nl = memchr(m + pos, '\n', s->len - pos);
		le = nl != NULL ? (size_t)(nl - m) + 1 : s->len;
		ce = nl != NULL ? le - 1 : s->len;
		if (nl != NULL && (ce == pos || m[ce - 1] != '\r'))
			s->flags |= MIME_F_BARE_LF;
		else if (nl != NULL)
			ce--;
		if (m[pos] == '.')
			s->flags |= MIME_F_STUFFING;
		if (!(s->nbnd > 0 && ce - pos >= 2 && m[pos] == '-' &&
		    m[pos + 1] == '-' && bnd_line(s, pos, ce, le)) &&
		    top(s)->in_header)
			hdr_line(s, pos, ce, le);
		if (nl != NULL)
			s->lf++;
		pos = le;
	}
	if (s->len > 0 && m[s->len - 1] != '\n')
		s->flags |= MIME_F_NO_FINAL_NL;
	while (s->nstack > 0)
		ent_close(s, s->len, s->lf);
}

/* RFC 5256 base subject of the Subject field in s->v into view. */
static void
key_subject(struct scan *s)
{
	struct buf dec = BUF_INIT;
	size_t a = 0, b;
	int refwd = 0;

	if (fld(s, F_SUBJECT))
		words_decode(&s->cs, s->v.data, s->v.len, &dec);
	buf_reserve(&dec, 0);
	pack_wsp(&dec);
	b = dec.len;
	subj_base(dec.data, &a, &b, &refwd);
	s->info->view.base_subject = pool_str(s->pool, dec.data + a, b - a);
	if (refwd)
		s->flags |= MIME_F_REFWD;
	buf_free(&dec);
}

static int
is_placeholder(const struct mime_str *v)
{
	return v->s == missing_mailbox || v->s == missing_domain ||
	    v->s == syntax_error;
}

static void
append_lower(struct buf *b, const struct mime_str *v)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		char c = v->s[i];

		buf_putc(b, c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
}

/* RFC 5256 / RFC 5957 keys of the first address of a list. */
static void
key_addr(struct scan *s, const struct mime_addr *a, struct mime_addrkey *k)
{
	struct mime_str mbox = { "", 0 }, host = { "", 0 };
	struct buf b = BUF_INIT;

	while (a != NULL && a->host.s == NULL)
		a = a->next;		/* group markers */
	k->addr = k->display = mstr("");
	k->mbox_len = 0;
	if (a == NULL)
		return;
	if (!is_placeholder(&a->mailbox))
		mbox = a->mailbox;
	if (!is_placeholder(&a->host))
		host = a->host;
	append_lower(&b, &mbox);
	if (host.len > 0) {
		buf_putc(&b, '@');
		append_lower(&b, &host);
	}
	buf_reserve(&b, 0);
	k->addr = pool_buf(s->pool, &b);
	k->mbox_len = mbox.len;
	buf_reset(&b);
	if (a->name.s != NULL)
		words_decode(&s->cs, a->name.s, a->name.len, &b);
	buf_reserve(&b, 0);
	pack_wsp(&b);
	if (b.len > 0 && b.data[0] == ' ')
		memmove(b.data, b.data + 1, --b.len + 1);
	if (b.len > 0 && b.data[b.len - 1] == ' ')
		buf_truncate(&b, b.len - 1);
	if (b.len == 0) {
		buf_append(&b, mbox.s, mbox.len);
		if (host.len > 0) {
			buf_putc(&b, '@');
			buf_append(&b, host.s, host.len);
		}
	}
	k->display = pool_buf(s->pool, &b);
	buf_free(&b);
}

/* msg-ids of a field: the first one, or (References) all of them. */
static struct mime_str
key_msgids(struct scan *s, int field, int all)
{
	struct buf out = BUF_INIT;
	size_t ends[MIME_MAX_REFERENCES], n = 0, mark, cut, i;
	struct mime_str r;
	struct lex l;

	buf_reserve(&out, 0);
	lex_init(&l, &s->v);
	l.end = l.p;
	if (fld(s, field))
		lex_init(&l, &s->v);
	for (;;) {
		mark = out.len;
		if (mark > 0)
			buf_putc(&out, ' ');
		if (!msgid_next(&l, &out)) {
			buf_truncate(&out, mark);
			break;
		}
		if (!all)
			break;
		if (n == MIME_MAX_REFERENCES) {
			/* drop the second: the first and the last are kept */
			cut = ends[1] - ends[0];
			memmove(out.data + ends[0], out.data + ends[1],
			    out.len - ends[1] + 1);
			out.len -= cut;
			for (i = 1; i + 1 < n; i++)
				ends[i] = ends[i + 1] - cut;
			n--;
		}
		ends[n++] = out.len;
	}
	r = pool_buf(s->pool, &out);
	buf_free(&out);
	return r;
}

static void
sort_keys(struct scan *s)
{
	struct mime_view *v = &s->info->view;
	const struct mime_env *env = s->info->env;

	if (fld(s, F_DATE) && date_parse(&s->v, &v->date, &v->zone) == 0)
		s->flags |= MIME_F_DATE;
	key_subject(s);
	key_addr(s, env->from, &v->from);
	key_addr(s, env->to, &v->to);
	key_addr(s, env->cc, &v->cc);
	v->message_id = key_msgids(s, F_MESSAGE_ID, 0);
	v->in_reply_to = key_msgids(s, F_IN_REPLY_TO, 0);
	v->references = key_msgids(s, F_REFERENCES, 1);
}

/*
 * IMAP output. Strings are quoted unless they hold CR, LF, NUL, 8-bit
 * bytes or more than four characters to escape; then they are literals
 * (the same choice as Dovecot's imap_append_string()).
 */
static void
imap_string(struct buf *b, const struct mime_str *v)
{
	size_t i, esc = 0, start;

	if (v->s == NULL) {
		buf_puts(b, "NIL");
		return;
	}
	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];

		if (c == '"' || c == '\\')
			esc++;
		else if (c == '\r' || c == '\n' || c == 0 || c >= 0x80)
			break;
	}
	if (i < v->len || esc > 4) {
		buf_printf(b, "{%zu}\r\n", v->len);
		buf_append(b, v->s, v->len);
		return;
	}
	buf_putc(b, '"');
	for (i = start = 0; i < v->len; i++) {
		if (v->s[i] != '"' && v->s[i] != '\\')
			continue;
		buf_append(b, v->s + start, i - start);
		buf_putc(b, '\\');
		start = i;
	}
	buf_append(b, v->s + start, i - start);
	buf_putc(b, '"');
}

static void
imap_addrs(struct buf *b, const struct mime_addr *a)
{
	if (a == NULL) {
		buf_puts(b, "NIL");
		return;
	}
	buf_putc(b, '(');
	for (; a != NULL; a = a->next) {
		buf_putc(b, '(');
		imap_string(b, &a->name);
		buf_putc(b, ' ');
		imap_string(b, &a->adl);
		buf_putc(b, ' ');
		imap_string(b, &a->mailbox);
		buf_putc(b, ' ');
		imap_string(b, &a->host);
		buf_putc(b, ')');
	}
	buf_putc(b, ')');
}

static void
imap_env(struct buf *b, const struct mime_env *e)
{
	buf_putc(b, '(');
	imap_string(b, &e->date);
	buf_putc(b, ' ');
	imap_string(b, &e->subject);
	buf_putc(b, ' ');
	imap_addrs(b, e->from);
	buf_putc(b, ' ');
	imap_addrs(b, e->sender);
	buf_putc(b, ' ');
	imap_addrs(b, e->reply_to);
	buf_putc(b, ' ');
	imap_addrs(b, e->to);
	buf_putc(b, ' ');
	imap_addrs(b, e->cc);
	buf_putc(b, ' ');
	imap_addrs(b, e->bcc);
	buf_putc(b, ' ');
	imap_string(b, &e->in_reply_to);
	buf_putc(b, ' ');
	imap_string(b, &e->message_id);
	buf_putc(b, ')');
}

static void
imap_params(struct buf *b, const struct mime_param *p, size_t n)
{
	size_t i;

	if (n == 0) {
		buf_puts(b, "NIL");
		return;
	}
	buf_putc(b, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		imap_string(b, &p[i].name);
		buf_putc(b, ' ');
		imap_string(b, &p[i].value);
	}
	buf_putc(b, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
imap_ext_common(struct buf *b, const struct mime_body *n)
{
	size_t i;

	buf_putc(b, ' ');
	if (n->disp.s == NULL)
		buf_puts(b, "NIL");
	else {
		buf_putc(b, '(');
		imap_string(b, &n->disp);
		buf_putc(b, ' ');
		imap_params(b, n->dparams, n->ndparams);
		buf_putc(b, ')');
	}
	buf_putc(b, ' ');
	if (n->nlang == 0)
		buf_puts(b, "NIL");
	else {
		buf_putc(b, '(');
		for (i = 0; i < n->nlang; i++) {
			if (i > 0)
				buf_putc(b, ' ');
			imap_string(b, &n->lang[i]);
		}
		buf_putc(b, ')');
	}
	buf_putc(b, ' ');
	imap_string(b, &n->loc);
}

/* RFC 3501 body; recursion is bounded by MIME_MAX_DEPTH. */
static void
imap_body(struct buf *b, const struct mime_body *n, int ext)
{
	const struct mime_body *c;

	buf_putc(b, '(');
	if (n->kind == MIME_BODY_MULTIPART) {
		for (c = n->child; c != NULL; c = c->next)
			imap_body(b, c, ext);
		buf_putc(b, ' ');
		imap_string(b, &n->subtype);
		if (ext) {
			buf_putc(b, ' ');
			imap_params(b, n->params, n->nparams);
			imap_ext_common(b, n);
		}
		buf_putc(b, ')');
		return;
	}
	imap_string(b, &n->type);
	buf_putc(b, ' ');
	imap_string(b, &n->subtype);
	buf_putc(b, ' ');
	imap_params(b, n->params, n->nparams);
	buf_putc(b, ' ');
	imap_string(b, &n->id);
	buf_putc(b, ' ');
	imap_string(b, &n->desc);
	buf_putc(b, ' ');
	imap_string(b, &n->enc);
	buf_printf(b, " %llu", (unsigned long long)n->size);
	if (n->kind == MIME_BODY_MESSAGE) {
		buf_putc(b, ' ');
		imap_env(b, n->env);
		buf_putc(b, ' ');
		imap_body(b, n->child, ext);
	}
	if (n->kind == MIME_BODY_TEXT || n->kind == MIME_BODY_MESSAGE)
		buf_printf(b, " %llu", (unsigned long long)n->lines);
	if (ext) {
		buf_putc(b, ' ');
		imap_string(b, &n->md5);
		imap_ext_common(b, n);
	}
	buf_putc(b, ')');
}

/*
 * Part table rows, 36 bytes each, big-endian:
 *	0 parent (4)	4 kind (1)	5 flags (1)	6 encoding (1)	7 0
 *	8 hdr_off (4)	12 hdr_len (4)	16 body_len (4)	20 body_lines (4)
 *	24 section offset in names (4)	28 section length (2)
 *	30 charset length (2)	32 charset offset in names (4)
 * The body starts where the header ends.
 */
static void
row_put(unsigned char *r, const struct ent *e)
{
	be32_put(r, e->parent);
	r[4] = (unsigned char)e->kind;
	r[5] = (unsigned char)e->rowflags;
	r[6] = (unsigned char)e->enc;
	r[7] = 0;
	be32_put(r + 8, (uint32_t)e->hdr_off);
	be32_put(r + 12, (uint32_t)e->hdr_len);
	be32_put(r + 16, (uint32_t)e->body_len);
	be32_put(r + 20, (uint32_t)e->body_lines);
	be32_put(r + 24, (uint32_t)e->sec_off);
	be16_put(r + 28, (uint16_t)e->sec_len);
	be16_put(r + 30, (uint16_t)e->cs_len);
	be32_put(r + 32, (uint32_t)e->cs_off);
}

static void
scan_output(struct scan *s)
{
	struct mime_view *v = &s->info->view;
	struct buf b = BUF_INIT;
	unsigned char *rows;
	size_t i;

	imap_env(&b, s->info->env);
	v->envelope = pool_buf(s->pool, &b);
	buf_reset(&b);
	imap_body(&b, s->info->body, 1);
	v->bodystructure = pool_buf(s->pool, &b);
	buf_reset(&b);
	imap_body(&b, s->info->body, 0);
	v->body = pool_buf(s->pool, &b);
	buf_free(&b);
	v->fields = pool_buf(s->pool, &s->fields);
	v->nparts = s->nents;
	rows = pool_array(s->pool, s->nents, ROW_SIZE);
	for (i = 0; i < s->nents; i++)
		row_put(rows + i * ROW_SIZE, &s->ents[i]);
	v->rows = rows;
	v->names = pool_buf(s->pool, &s->names).s;
	v->names_len = s->names.len;
	v->header_len = s->ents[0].hdr_len;
	v->body_lines = s->ents[0].body_lines;
	v->lines = s->lf;
	v->size = s->len;
	v->flags = s->flags;
}

int
mime_parse(const char *msg, size_t len, struct mime_info *info_r)
{
	struct scan s;

	memset(info_r, 0, sizeof(*info_r));
	if (len > MIME_MAX_SIZE)
		return -1;
	memset(&s, 0, sizeof(s));
	s.info = info_r;
	s.pool = info_r->pool = pool_new();
	s.addrs.pool = s.pool;
	s.msg = msg != NULL ? msg : "";
	s.len = len;
	cs_init(&s.cs);
	buf_reserve(&s.names, 0);
	if (len > 0 && memchr(msg, '\0', len) != NULL)
		s.flags |= MIME_F_NUL;
	scan_message(&s);
	scan_output(&s);
	cs_close(&s.cs);
	addrs_free(&s.addrs);
	buf_free(&s.names);
	buf_free(&s.fields);
	buf_free(&s.v);
	buf_free(&s.t);
	free(s.ents);
	return 0;
}

void
mime_info_free(struct mime_info *info)
{
	pool_free(info->pool);
	memset(info, 0, sizeof(*info));
}

/*
 * The blob (big-endian):
 *	0 version (1)	1 0 (1)		2 flags (2)
 *	4 size (4)	8 header_len (4)	12 body_lines (4)	16 lines (4)
 *	20 date (8, two's complement)	28 zone (2, two's complement)
 *	30 number of strings (2), then each as length (4) and bytes:
 *	   envelope bodystructure body fields base_subject from.addr
 *	   from.display to.addr to.display cc.addr cc.display message_id
 *	   in_reply_to references
 *	from.mbox_len to.mbox_len cc.mbox_len (4 each)
 *	nparts (4), names length (4), names, nparts rows (see row_put)
 */
#define NSTR	14

static void
view_strs(const struct mime_view *v, const struct mime_str *p[NSTR])
{
	p[0] = &v->envelope;
	p[1] = &v->bodystructure;
	p[2] = &v->body;
	p[3] = &v->fields;
	p[4] = &v->base_subject;
	p[5] = &v->from.addr;
	p[6] = &v->from.display;
	p[7] = &v->to.addr;
	p[8] = &v->to.display;
	p[9] = &v->cc.addr;
	p[10] = &v->cc.display;
	p[11] = &v->message_id;
	p[12] = &v->in_reply_to;
	p[13] = &v->references;
}

static void
put32(struct buf *b, size_t v)
{
	unsigned char x[4];

	be32_put(x, (uint32_t)v);
	buf_append(b, x, 4);
}

void
mime_info_encode(const struct mime_info *info, struct buf *out)
{
	const struct mime_view *v = &info->view;
	const struct mime_str *strs[NSTR];
	unsigned char h[32];
	size_t i;

	h[0] = MIME_BLOB_VERSION;
	h[1] = 0;
	be16_put(h + 2, (uint16_t)v->flags);
	be32_put(h + 4, (uint32_t)v->size);
	be32_put(h + 8, (uint32_t)v->header_len);
	be32_put(h + 12, (uint32_t)v->body_lines);
	be32_put(h + 16, (uint32_t)v->lines);
	be64_put(h + 20, (uint64_t)v->date);
	be16_put(h + 28, (uint16_t)(int16_t)v->zone);
	be16_put(h + 30, NSTR);
	buf_append(out, h, sizeof(h));
	view_strs(v, strs);
	for (i = 0; i < NSTR; i++) {
		put32(out, strs[i]->len);
		buf_append(out, strs[i]->s, strs[i]->len);
	}
	put32(out, v->from.mbox_len);
	put32(out, v->to.mbox_len);
	put32(out, v->cc.mbox_len);
	put32(out, v->nparts);
	put32(out, v->names_len);
	buf_append(out, v->names, v->names_len);
	buf_append(out, v->rows, v->nparts * ROW_SIZE);
}

struct rd {
	const unsigned char *p, *end;
};

static int
rd_get(struct rd *r, size_t n, const unsigned char **p_r)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	*p_r = r->p;
	r->p += n;
	return 0;
}

static int
rd_32(struct rd *r, size_t *v)
{
	const unsigned char *p;

	if (rd_get(r, 4, &p) < 0)
		return -1;
	*v = be32_get(p);
	return 0;
}

static int
rd_str(struct rd *r, struct mime_str *s)
{
	const unsigned char *p;
	size_t n;

	if (rd_32(r, &n) < 0 || rd_get(r, n, &p) < 0)
		return -1;
	s->s = (const char *)p;
	s->len = n;
	return 0;
}

struct row {
	uint32_t	 parent;
	unsigned int	 kind, flags, enc, rsv;
	size_t		 hdr_off, hdr_len, body_len, body_lines;
	size_t		 sec_off, sec_len, cs_len, cs_off;
};

static void
row_get(const unsigned char *r, struct row *w)
{
	w->parent = be32_get(r);
	w->kind = r[4];
	w->flags = r[5];
	w->enc = r[6];
	w->rsv = r[7];
	w->hdr_off = be32_get(r + 8);
	w->hdr_len = be32_get(r + 12);
	w->body_len = be32_get(r + 16);
	w->body_lines = be32_get(r + 20);
	w->sec_off = be32_get(r + 24);
	w->sec_len = be16_get(r + 28);
	w->cs_len = be16_get(r + 30);
	w->cs_off = be32_get(r + 32);
}

static int
section_ok(const char *s, size_t n, int numbered)
{
	size_t i;

	if (numbered && n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			return 0;
	return 1;
}

/* A row's own consistency and its place in its parent's body. */
static int
row_ok(const struct mime_view *v, size_t i)
{
	struct row w, p;
	uint64_t end;

	row_get(v->rows + i * ROW_SIZE, &w);
	end = (uint64_t)w.hdr_off + w.hdr_len + w.body_len;
	if (w.kind > MIME_KIND_MESSAGE || (w.flags & ~7U) != 0 ||
	    w.enc > MIME_ENC_OTHER || w.rsv != 0 || end > v->size ||
	    w.body_lines > w.body_len ||
	    (uint64_t)w.sec_off + w.sec_len > v->names_len ||
	    (uint64_t)w.cs_off + w.cs_len > v->names_len ||
	    !section_ok(v->names + w.sec_off, w.sec_len,
	    (w.flags & ROW_NUMBERED) != 0))
		return 0;
	if (i == 0)
		return w.parent == NONE && w.hdr_off == 0 &&
		    w.hdr_len == v->header_len && end == v->size;
	if (w.parent >= i)
		return 0;
	row_get(v->rows + (size_t)w.parent * ROW_SIZE, &p);
	if (p.kind == MIME_KIND_LEAF)
		return 0;
	return w.hdr_off >= (uint64_t)p.hdr_off + p.hdr_len &&
	    end <= (uint64_t)p.hdr_off + p.hdr_len + p.body_len;
}

static int
rows_ok(const struct mime_view *v)
{
	struct row w, c;
	size_t i;

	for (i = 0; i < v->nparts; i++) {
		if (!row_ok(v, i))
			return 0;
		row_get(v->rows + i * ROW_SIZE, &w);
		if (w.kind != MIME_KIND_MESSAGE)
			continue;
		if (i + 1 >= v->nparts)
			return 0;
		row_get(v->rows + (i + 1) * ROW_SIZE, &c);
		if (c.parent != i)
			return 0;
	}
	return 1;
}

int
mime_info_decode(const void *data, size_t len, struct mime_view *v)
{
	struct rd r = { data, (const unsigned char *)data + len };
	const struct mime_str *strs[NSTR];
	const unsigned char *h, *names;
	size_t i, mbox[3];

	memset(v, 0, sizeof(*v));
	if (rd_get(&r, 32, &h) < 0 || h[0] != MIME_BLOB_VERSION ||
	    h[1] != 0 || (be16_get(h + 2) & ~MIME_F_ALL) != 0 ||
	    be16_get(h + 30) != NSTR)
		return -1;
	v->flags = be16_get(h + 2);
	v->size = be32_get(h + 4);
	v->header_len = be32_get(h + 8);
	v->body_lines = be32_get(h + 12);
	v->lines = be32_get(h + 16);
	v->date = (int64_t)be64_get(h + 20);
	v->zone = (int16_t)be16_get(h + 28);
	view_strs(v, strs);
	for (i = 0; i < NSTR; i++)
		if (rd_str(&r, (struct mime_str *)strs[i]) < 0)
			return -1;
	for (i = 0; i < 3; i++)
		if (rd_32(&r, &mbox[i]) < 0)
			return -1;
	v->from.mbox_len = mbox[0];
	v->to.mbox_len = mbox[1];
	v->cc.mbox_len = mbox[2];
	if (rd_32(&r, &v->nparts) < 0 || rd_32(&r, &v->names_len) < 0 ||
	    rd_get(&r, v->names_len, &names) < 0)
		return -1;
	v->names = (const char *)names;
	if (v->nparts == 0 || v->nparts > MIME_MAX_PARTS ||
	    (size_t)(r.end - r.p) != v->nparts * ROW_SIZE ||
	    v->header_len > v->size || v->lines > v->size ||
	    v->body_lines > v->lines || v->from.mbox_len > v->from.addr.len ||
	    v->to.mbox_len > v->to.addr.len || v->cc.mbox_len > v->cc.addr.len)
		return -1;
	v->rows = r.p;
	if (!rows_ok(v)) {
		memset(v, 0, sizeof(*v));
		return -1;
	}
	return 0;
}

static int
mstr_same(const struct mime_str *a, const struct mime_str *b)
{
	if (a->s == NULL || b->s == NULL)
		return a->s == b->s;
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->s, b->s, a->len) == 0);
}

int
mime_view_equal(const struct mime_view *a, const struct mime_view *b)
{
	const struct mime_str *sa[NSTR], *sb[NSTR];
	size_t i;

	view_strs(a, sa);
	view_strs(b, sb);
	for (i = 0; i < NSTR; i++)
		if (sa[i]->len != sb[i]->len || (sa[i]->len > 0 &&
		    memcmp(sa[i]->s, sb[i]->s, sa[i]->len) != 0))
			return 0;
	return a->flags == b->flags && a->size == b->size &&
	    a->header_len == b->header_len && a->body_lines == b->body_lines &&
	    a->lines == b->lines && a->date == b->date && a->zone == b->zone &&
	    a->from.mbox_len == b->from.mbox_len &&
	    a->to.mbox_len == b->to.mbox_len &&
	    a->cc.mbox_len == b->cc.mbox_len && a->nparts == b->nparts &&
	    a->names_len == b->names_len && (a->names_len == 0 ||
	    memcmp(a->names, b->names, a->names_len) == 0) &&
	    (a->nparts == 0 || memcmp(a->rows, b->rows,
	    a->nparts * ROW_SIZE) == 0);
}

int
mime_view_part(const struct mime_view *v, size_t i, struct mime_part *p)
{
	struct row w, c;

	if (i >= v->nparts)
		return 0;
	row_get(v->rows + i * ROW_SIZE, &w);
	memset(p, 0, sizeof(*p));
	p->parent = w.parent == NONE ? MIME_NO_PARENT : w.parent;
	p->kind = (enum mime_kind)w.kind;
	p->encoding = (enum mime_enc)w.enc;
	p->numbered = (w.flags & ROW_NUMBERED) != 0;
	p->text = (w.flags & ROW_TEXT) != 0;
	p->truncated = (w.flags & ROW_TRUNCATED) != 0;
	p->section.s = v->names + w.sec_off;
	p->section.len = w.sec_len;
	p->charset.s = v->names + w.cs_off;
	p->charset.len = w.cs_len;
	p->hdr_off = w.hdr_off;
	p->hdr_len = w.hdr_len;
	p->body_off = w.hdr_off + w.hdr_len;
	p->body_len = w.body_len;
	p->body_lines = w.body_lines;
	if (p->kind == MIME_KIND_MESSAGE && i + 1 < v->nparts) {
		row_get(v->rows + (i + 1) * ROW_SIZE, &c);
		p->inner_hdr_off = c.hdr_off;
		p->inner_hdr_len = c.hdr_len;
		p->inner_body_off = c.hdr_off + c.hdr_len;
		p->inner_body_len = c.body_len;
	}
	return 1;
}

int
mime_view_find(const struct mime_view *v, const char *section, size_t len,
    struct mime_part *p)
{
	struct row w;
	size_t i;

	for (i = 0; i < v->nparts; i++) {
		row_get(v->rows + i * ROW_SIZE, &w);
		if ((w.flags & ROW_NUMBERED) && w.sec_len == len &&
		    memcmp(v->names + w.sec_off, section, len) == 0)
			return mime_view_part(v, i, p);
	}
	return 0;
}

/*
 * Header fields of a block: the next field [*start, *end) and the
 * length of its name (0 without a colon); 0 at the empty line or end.
 */
struct hdr_it {
	const char	*h;
	size_t		 len, pos;
};

static size_t
line_end(const char *h, size_t len, size_t pos, size_t *ce)
{
	const char *nl = memchr(h + pos, '\n', len - pos);
	size_t le = nl != NULL ? (size_t)(nl - h) + 1 : len;

	*ce = nl != NULL ? le - 1 : len;
	if (nl != NULL && *ce > pos && h[*ce - 1] == '\r')
		(*ce)--;
	return le;
}

static int
hdr_next(struct hdr_it *it, size_t *start, size_t *end, size_t *nlen)
{
	size_t ce, le;
	const char *colon;

	if (it->pos >= it->len)
		return 0;
	le = line_end(it->h, it->len, it->pos, &ce);
	if (ce == it->pos)
		return 0;
	*start = it->pos;
	*nlen = 0;
	if ((colon = memchr(it->h + it->pos, ':', ce - it->pos)) != NULL) {
		for (*nlen = (size_t)(colon - it->h) - it->pos; *nlen > 0 &&
		    is_wsp(it->h[it->pos + *nlen - 1]); (*nlen)--)
			;
	}
	it->pos = le;
	while (it->pos < it->len && is_wsp(it->h[it->pos]))
		it->pos = line_end(it->h, it->len, it->pos, &ce);
	*end = it->pos;
	return 1;
}

void
mime_header_fields(const char *hdr, size_t len, const char *const *names,
    size_t n, int invert, struct buf *out)
{
	struct hdr_it it = { hdr, len, 0 };
	size_t start, end, nlen, i;

	while (hdr_next(&it, &start, &end, &nlen)) {
		int match = 0;

		for (i = 0; i < n && !match && nlen > 0; i++)
			match = strlen(names[i]) == nlen &&
			    strncasecmp(names[i], hdr + start, nlen) == 0;
		if (match != (invert != 0))
			buf_append(out, hdr + start, end - start);
	}
	buf_append(out, "\r\n", 2);
}

int
mime_header_value(const char *hdr, size_t len, const char *name,
    struct buf *value_r)
{
	struct hdr_it it = { hdr, len, 0 };
	struct buf v = BUF_INIT;
	size_t start, end, nlen, nl = strlen(name);

	while (hdr_next(&it, &start, &end, &nlen)) {
		if (nlen != nl || nl == 0 ||
		    strncasecmp(name, hdr + start, nl) != 0)
			continue;
		start = (size_t)((const char *)memchr(hdr + start, ':',
		    end - start) - hdr) + 1;
		unfold(hdr + start, end - start, (size_t)-1, &v);
		buf_append(value_r, v.data, v.len);
		buf_free(&v);
		return 1;
	}
	return 0;
}

/* Quoted-printable (RFC 2045 6.7), leniently: bad escapes are kept. */
static void
qp_decode(const char *s, size_t n, struct buf *out)
{
	size_t i = 0, start = 0, j, t;

	while (i < n) {
		if (s[i] == '\n' || (s[i] == '\r' && i + 1 < n &&
		    s[i + 1] == '\n')) {
			for (t = i; t > start && is_wsp(s[t - 1]); t--)
				;
			buf_append(out, s + start, t - start);
			start = i;
			i += s[i] == '\r' ? 2 : 1;
			continue;
		}
		if (s[i] != '=') {
			i++;
			continue;
		}
		buf_append(out, s + start, i - start);
		if (i + 2 < n && hex_val(s[i + 1]) >= 0 && hex_val(s[i + 2]) >= 0) {
			buf_putc(out, hex_val(s[i + 1]) << 4 | hex_val(s[i + 2]));
			i += 3;
		} else {
			for (j = i + 1; j < n && is_wsp(s[j]); j++)
				;
			if (j + 1 < n && s[j] == '\r' && s[j + 1] == '\n')
				i = j + 2;
			else if (j < n && s[j] == '\n')
				i = j + 1;
			else if (j == n)
				i = n;
			else
				buf_putc(out, s[i++]);
		}
		start = i;
	}
	buf_append(out, s + start, i - start);
}

int
mime_decode(int encoding, const char *in, size_t len, struct buf *out)
{
	switch (encoding) {
	case MIME_ENC_7BIT:
	case MIME_ENC_8BIT:
	case MIME_ENC_BINARY:
		buf_append(out, in, len);
		return 0;
	case MIME_ENC_BASE64:
		(void)b64_decode(in, len, out, 0);
		return 0;
	case MIME_ENC_QP:
		qp_decode(in, len, out);
		return 0;
	}
	return -1;
}

int
mime_part_body(const char *msg, size_t len, const struct mime_part *part,
    size_t cap, struct buf *out)
{
	size_t n;

	if (part->body_off > len || part->body_len > len - part->body_off)
		return -1;
	n = part->body_len < cap ? part->body_len : cap;
	if (mime_decode(part->encoding, msg + part->body_off, n, out) < 0)
		buf_append(out, msg + part->body_off, n);
	buf_reserve(out, 0);
	return 1;
}

int
mime_part_text(const char *msg, size_t len, const struct mime_part *part,
    size_t cap, struct buf *out)
{
	struct buf dec = BUF_INIT;
	size_t n, limit, mark = out->len, k;
	struct cs cs;

	if (part->body_off > len || part->body_len > len - part->body_off)
		return -1;
	if (part->kind != MIME_KIND_LEAF || !part->text)
		return 0;
	n = part->body_len;
	limit = cap > ((size_t)-1 - 4096) / 2 ? (size_t)-1 : cap * 2 + 4096;
	if (n > limit)
		n = limit;
	if (part->encoding == MIME_ENC_BASE64)
		(void)b64_decode(msg + part->body_off, n, &dec, 0);
	else if (part->encoding == MIME_ENC_QP)
		qp_decode(msg + part->body_off, n, &dec);
	else
		buf_append(&dec, msg + part->body_off, n);
	cs_init(&cs);
	cs_select(&cs, part->charset.s, part->charset.len);
	cs_convert(&cs, dec.data, dec.len, out);
	cs_close(&cs);
	buf_free(&dec);
	if (out->len - mark > cap) {
		for (k = mark + cap; k > mark &&
		    ((unsigned char)out->data[k] & 0xc0) == 0x80; k--)
			;
		buf_truncate(out, k);
	}
	buf_reserve(out, 0);
	return 1;
}

/*
 * IMAP BODYSTRUCTURE and ENVELOPE parser (RFC 3501 9), for checking
 * what the writer produced. Extension data past body-fld-loc is
 * skipped. Nesting is bounded, so recursion is.
 */
struct ip {
	const unsigned char *p, *end;
	struct mime_pool *pool;
	const char	*err;
	int		 depth;
};

static int
ip_fail(struct ip *ip, const char *why)
{
	if (ip->err == NULL)
		ip->err = why;
	return -1;
}

static int
ip_peek(const struct ip *ip, int c)
{
	return ip->p < ip->end && *ip->p == c;
}

static int
ip_char(struct ip *ip, int c)
{
	if (!ip_peek(ip, c))
		return ip_fail(ip, c == ' ' ? "space expected" :
		    c == '(' ? "'(' expected" : "')' expected");
	ip->p++;
	return 0;
}

static int
ip_quoted(struct ip *ip, struct mime_str *r)
{
	struct buf b = BUF_INIT;

	for (ip->p++; ip->p < ip->end && *ip->p != '"'; ip->p++) {
		if (*ip->p == '\r' || *ip->p == '\n')
			break;
		if (*ip->p == '\\' && ip->p + 1 < ip->end &&
		    (ip->p[1] == '"' || ip->p[1] == '\\'))
			ip->p++;
		else if (*ip->p == '\\')
			break;
		buf_putc(&b, *ip->p);
	}
	if (!ip_peek(ip, '"')) {
		buf_free(&b);
		return ip_fail(ip, "bad quoted string");
	}
	ip->p++;
	*r = pool_buf(ip->pool, &b);
	buf_free(&b);
	return 0;
}

static int
ip_number(struct ip *ip, uint64_t *v)
{
	const unsigned char *start = ip->p;

	*v = 0;
	for (; ip->p < ip->end && *ip->p >= '0' && *ip->p <= '9'; ip->p++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return ip_fail(ip, "number too large");
		*v = *v * 10 + (uint64_t)(*ip->p - '0');
	}
	return ip->p > start ? 0 : ip_fail(ip, "number expected");
}

static int
ip_literal(struct ip *ip, struct mime_str *r)
{
	uint64_t n;

	ip->p++;
	if (ip_number(ip, &n) < 0 || ip_char(ip, '}') < 0 ||
	    ip_char(ip, '\r') < 0 || ip_char(ip, '\n') < 0)
		return ip_fail(ip, "bad literal");
	if (n > (uint64_t)(ip->end - ip->p))
		return ip_fail(ip, "literal past the end");
	*r = pool_str(ip->pool, (const char *)ip->p, (size_t)n);
	ip->p += n;
	return 0;
}

static int
ip_nstring(struct ip *ip, struct mime_str *r)
{
	if (ip->end - ip->p >= 3 &&
	    strncasecmp((const char *)ip->p, "NIL", 3) == 0) {
		ip->p += 3;
		r->s = NULL;
		r->len = 0;
		return 0;
	}
	if (ip_peek(ip, '"'))
		return ip_quoted(ip, r);
	if (ip_peek(ip, '{'))
		return ip_literal(ip, r);
	return ip_fail(ip, "string expected");
}

static int
ip_string(struct ip *ip, struct mime_str *r)
{
	if (ip_nstring(ip, r) < 0)
		return -1;
	return r->s != NULL ? 0 : ip_fail(ip, "NIL where a string is needed");
}

/* "(" string SP string *(SP string SP string) ")" / nil */
static int
ip_params(struct ip *ip, struct mime_param **p_r, size_t *n_r)
{
	struct mime_param *p = NULL;
	size_t n = 0, cap = 0;

	*p_r = NULL;
	*n_r = 0;
	if (!ip_peek(ip, '(')) {
		struct mime_str nil;

		if (ip_nstring(ip, &nil) < 0 || nil.s != NULL)
			return ip_fail(ip, "parameter list expected");
		return 0;
	}
	ip->p++;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			p = mem_realloc(p, cap, sizeof(*p));
		}
		if ((n > 0 && ip_char(ip, ' ') < 0) ||
		    ip_string(ip, &p[n].name) < 0 || ip_char(ip, ' ') < 0 ||
		    ip_string(ip, &p[n].value) < 0) {
			free(p);
			return -1;
		}
		n++;
	} while (!ip_peek(ip, ')'));
	ip->p++;
	*p_r = pool_array(ip->pool, n, sizeof(*p));
	memcpy(*p_r, p, n * sizeof(*p));
	*n_r = n;
	free(p);
	return 0;
}

static int
ip_addrs(struct ip *ip, struct mime_addr **a_r)
{
	struct mime_addr **tail = a_r;
	struct mime_str nil;

	*a_r = NULL;
	if (!ip_peek(ip, '('))
		return ip_nstring(ip, &nil) < 0 || nil.s != NULL ?
		    ip_fail(ip, "address list expected") : 0;
	ip->p++;
	do {
		struct mime_addr *a = pool_alloc(ip->pool, sizeof(*a));

		if (ip_char(ip, '(') < 0 || ip_nstring(ip, &a->name) < 0 ||
		    ip_char(ip, ' ') < 0 || ip_nstring(ip, &a->adl) < 0 ||
		    ip_char(ip, ' ') < 0 || ip_nstring(ip, &a->mailbox) < 0 ||
		    ip_char(ip, ' ') < 0 || ip_nstring(ip, &a->host) < 0 ||
		    ip_char(ip, ')') < 0)
			return -1;
		*tail = a;
		tail = &a->next;
	} while (!ip_peek(ip, ')'));
	ip->p++;
	return 0;
}

static int
ip_env(struct ip *ip, struct mime_env **e_r)
{
	struct mime_env *e = pool_alloc(ip->pool, sizeof(*e));
	struct mime_addr **a[6];
	int i;

	a[0] = &e->from;
	a[1] = &e->sender;
	a[2] = &e->reply_to;
	a[3] = &e->to;
	a[4] = &e->cc;
	a[5] = &e->bcc;
	if (ip_char(ip, '(') < 0 || ip_nstring(ip, &e->date) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_nstring(ip, &e->subject) < 0)
		return -1;
	for (i = 0; i < 6; i++)
		if (ip_char(ip, ' ') < 0 || ip_addrs(ip, a[i]) < 0)
			return -1;
	if (ip_char(ip, ' ') < 0 || ip_nstring(ip, &e->in_reply_to) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_nstring(ip, &e->message_id) < 0 ||
	    ip_char(ip, ')') < 0)
		return -1;
	*e_r = e;
	return 0;
}

/* body-extension, skipped */
static int
ip_skip_ext(struct ip *ip)
{
	struct mime_str s;
	uint64_t n;

	if (!ip_peek(ip, '(')) {
		if (ip_peek(ip, 'N') || ip_peek(ip, 'n') || ip_peek(ip, '"') ||
		    ip_peek(ip, '{'))
			return ip_nstring(ip, &s);
		return ip_number(ip, &n);
	}
	if (++ip->depth > MIME_MAX_DEPTH + 2)
		return ip_fail(ip, "nesting too deep");
	ip->p++;
	for (;;) {
		if (ip_skip_ext(ip) < 0)
			return -1;
		if (!ip_peek(ip, ' '))
			break;
		ip->p++;
	}
	ip->depth--;
	return ip_char(ip, ')');
}

/* "(" string *(SP string) ")" */
static int
ip_langs(struct ip *ip, struct mime_body *b)
{
	struct mime_str *l = NULL;
	size_t n = 0, cap = 0;

	ip->p++;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			l = mem_realloc(l, cap, sizeof(*l));
		}
		if ((n > 0 && ip_char(ip, ' ') < 0) ||
		    ip_string(ip, &l[n]) < 0) {
			free(l);
			return -1;
		}
		n++;
	} while (!ip_peek(ip, ')'));
	ip->p++;
	b->lang = pool_array(ip->pool, n, sizeof(*l));
	memcpy(b->lang, l, n * sizeof(*l));
	b->nlang = n;
	free(l);
	return 0;
}

/* [SP dsp [SP lang [SP loc *(SP extension)]]] */
static int
ip_ext_common(struct ip *ip, struct mime_body *b)
{
	struct mime_str s;

	if (!ip_peek(ip, ' '))
		return 0;
	ip->p++;
	if (ip_peek(ip, '(')) {
		ip->p++;
		if (ip_string(ip, &b->disp) < 0 || ip_char(ip, ' ') < 0 ||
		    ip_params(ip, &b->dparams, &b->ndparams) < 0 ||
		    ip_char(ip, ')') < 0)
			return -1;
	} else if (ip_nstring(ip, &s) < 0 || s.s != NULL)
		return ip_fail(ip, "bad disposition");
	if (!ip_peek(ip, ' '))
		return 0;
	ip->p++;
	if (ip_peek(ip, '(')) {
		if (ip_langs(ip, b) < 0)
			return -1;
	} else {
		if (ip_nstring(ip, &s) < 0)
			return -1;
		if (s.s != NULL) {
			b->lang = pool_alloc(ip->pool, sizeof(*b->lang));
			b->lang[0] = s;
			b->nlang = 1;
		}
	}
	if (!ip_peek(ip, ' '))
		return 0;
	ip->p++;
	if (ip_nstring(ip, &b->loc) < 0)
		return -1;
	while (ip_peek(ip, ' ')) {
		ip->p++;
		if (ip_skip_ext(ip) < 0)
			return -1;
	}
	return 0;
}

static int ip_body(struct ip *, struct mime_body **);

static int
ip_multipart(struct ip *ip, struct mime_body *b)
{
	struct mime_body **tail = &b->child;

	b->kind = MIME_BODY_MULTIPART;
	while (ip_peek(ip, '(')) {
		if (ip_body(ip, tail) < 0)
			return -1;
		tail = &(*tail)->next;
	}
	if (ip_char(ip, ' ') < 0 || ip_string(ip, &b->subtype) < 0)
		return -1;
	if (!ip_peek(ip, ' '))
		return 0;
	ip->p++;
	b->ext = 1;
	if (ip_params(ip, &b->params, &b->nparams) < 0)
		return -1;
	return ip_ext_common(ip, b);
}

static int
ip_onepart(struct ip *ip, struct mime_body *b)
{
	if (ip_string(ip, &b->type) < 0 || ip_char(ip, ' ') < 0 ||
	    ip_string(ip, &b->subtype) < 0 || ip_char(ip, ' ') < 0 ||
	    ip_params(ip, &b->params, &b->nparams) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_nstring(ip, &b->id) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_nstring(ip, &b->desc) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_string(ip, &b->enc) < 0 ||
	    ip_char(ip, ' ') < 0 || ip_number(ip, &b->size) < 0)
		return -1;
	b->kind = MIME_BODY_BASIC;
	if (mstr_is(&b->type, "text"))
		b->kind = MIME_BODY_TEXT;
	else if (mstr_is(&b->type, "message") && mstr_is(&b->subtype, "rfc822"))
		b->kind = MIME_BODY_MESSAGE;
	if (b->kind == MIME_BODY_MESSAGE && (ip_char(ip, ' ') < 0 ||
	    ip_env(ip, &b->env) < 0 || ip_char(ip, ' ') < 0 ||
	    ip_body(ip, &b->child) < 0))
		return -1;
	if (b->kind != MIME_BODY_BASIC && (ip_char(ip, ' ') < 0 ||
	    ip_number(ip, &b->lines) < 0))
		return -1;
	if (!ip_peek(ip, ' '))
		return 0;
	ip->p++;
	b->ext = 1;
	if (ip_nstring(ip, &b->md5) < 0)
		return -1;
	return ip_ext_common(ip, b);
}

static int
ip_body(struct ip *ip, struct mime_body **b_r)
{
	struct mime_body *b;
	int r;

	if (++ip->depth > MIME_MAX_DEPTH + 2)
		return ip_fail(ip, "nesting too deep");
	if (ip_char(ip, '(') < 0)
		return -1;
	b = pool_alloc(ip->pool, sizeof(*b));
	r = ip_peek(ip, '(') ? ip_multipart(ip, b) : ip_onepart(ip, b);
	if (r < 0 || ip_char(ip, ')') < 0)
		return -1;
	ip->depth--;
	*b_r = b;
	return 0;
}

static int
ip_run(const char *s, size_t len, int env, struct mime_tree **tree_r,
    char **why_r)
{
	struct mime_tree *t = mem_zalloc(1, sizeof(*t));
	struct ip ip;
	int r;

	memset(&ip, 0, sizeof(ip));
	ip.p = (const unsigned char *)s;
	ip.end = ip.p + len;
	ip.pool = t->pool = pool_new();
	r = env ? ip_env(&ip, &t->env) : ip_body(&ip, &t->body);
	if (r == 0 && ip.p != ip.end)
		r = ip_fail(&ip, "data after the end");
	if (r < 0) {
		if (why_r != NULL)
			*why_r = mem_strdup(ip.err);
		mime_tree_free(t);
		t = NULL;
	}
	*tree_r = t;
	return r;
}

int
mime_bodystructure_parse(const char *s, size_t len,
    struct mime_tree **tree_r, char **why_r)
{
	return ip_run(s, len, 0, tree_r, why_r);
}

int
mime_envelope_parse(const char *s, size_t len, struct mime_tree **tree_r,
    char **why_r)
{
	return ip_run(s, len, 1, tree_r, why_r);
}

void
mime_tree_free(struct mime_tree *t)
{
	if (t == NULL)
		return;
	pool_free(t->pool);
	free(t);
}

static int
params_same(const struct mime_param *a, size_t na, const struct mime_param *b,
    size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!mstr_same(&a[i].name, &b[i].name) ||
		    !mstr_same(&a[i].value, &b[i].value))
			return 0;
	return 1;
}

static int
addrs_same(const struct mime_addr *a, const struct mime_addr *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next)
		if (!mstr_same(&a->name, &b->name) ||
		    !mstr_same(&a->adl, &b->adl) ||
		    !mstr_same(&a->mailbox, &b->mailbox) ||
		    !mstr_same(&a->host, &b->host))
			return 0;
	return a == b;
}

int
mime_env_equal(const struct mime_env *a, const struct mime_env *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return mstr_same(&a->date, &b->date) &&
	    mstr_same(&a->subject, &b->subject) &&
	    addrs_same(a->from, b->from) && addrs_same(a->sender, b->sender) &&
	    addrs_same(a->reply_to, b->reply_to) && addrs_same(a->to, b->to) &&
	    addrs_same(a->cc, b->cc) && addrs_same(a->bcc, b->bcc) &&
	    mstr_same(&a->in_reply_to, &b->in_reply_to) &&
	    mstr_same(&a->message_id, &b->message_id);
}

static int
ext_same(const struct mime_body *a, const struct mime_body *b)
{
	size_t i;

	if (a->nlang != b->nlang)
		return 0;
	for (i = 0; i < a->nlang; i++)
		if (!mstr_same(&a->lang[i], &b->lang[i]))
			return 0;
	return mstr_same(&a->disp, &b->disp) &&
	    params_same(a->dparams, a->ndparams, b->dparams, b->ndparams) &&
	    mstr_same(&a->loc, &b->loc);
}

int
mime_body_equal(const struct mime_body *a, const struct mime_body *b,
    int ext)
{
	const struct mime_body *ca, *cb;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind || !mstr_same(&a->subtype, &b->subtype))
		return 0;
	if (a->kind == MIME_BODY_MULTIPART) {
		for (ca = a->child, cb = b->child; ca != NULL && cb != NULL;
		    ca = ca->next, cb = cb->next)
			if (!mime_body_equal(ca, cb, ext))
				return 0;
		return ca == cb && (!ext || (params_same(a->params, a->nparams,
		    b->params, b->nparams) && ext_same(a, b)));
	}
	if (!mstr_same(&a->type, &b->type) ||
	    !params_same(a->params, a->nparams, b->params, b->nparams) ||
	    !mstr_same(&a->id, &b->id) || !mstr_same(&a->desc, &b->desc) ||
	    !mstr_same(&a->enc, &b->enc) || a->size != b->size)
		return 0;
	if (a->kind != MIME_BODY_BASIC && a->lines != b->lines)
		return 0;
	if (a->kind == MIME_BODY_MESSAGE && (!mime_env_equal(a->env, b->env) ||
	    !mime_body_equal(a->child, b->child, ext)))
		return 0;
	return !ext || (mstr_same(&a->md5, &b->md5) && ext_same(a, b));
}
