/*
 * tmpl - HTML templates that escape every substitution; see tmpl.h.
 *
 * A compiled template is a flat array of nodes over one text buffer:
 * literal text, substitutions (with the escape their context needs)
 * and blocks, each block knowing the index of the node after it.
 * Includes are spliced in while compiling, so the HTML tokenizer runs
 * across them and rendering never reads a file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "tmpl.h"
#include "utf8.h"

/* ---- values ---- */

enum { V_STR, V_RAW, V_LIST };

struct tval {
	char		 *name;
	int		  kind;
	char		 *s;
	struct tmpl_data **items;
	size_t		  n, cap;
};

struct tmpl_data {
	struct tval	*v;
	size_t		 n, cap;
};

struct tmpl_data *
tmpl_data_new(void)
{
	return mem_zalloc(1, sizeof(struct tmpl_data));
}

static void
tval_clear(struct tval *v)
{
	size_t i;

	free(v->s);
	v->s = NULL;
	for (i = 0; i < v->n; i++)
		tmpl_data_free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

void
tmpl_data_free(struct tmpl_data *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		tval_clear(&d->v[i]);
		free(d->v[i].name);
	}
	free(d->v);
	free(d);
}

static struct tval *
find(const struct tmpl_data *d, const char *name)
{
	size_t i;

	for (i = 0; d && i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

/* The value called name in d, emptied (or new) and of kind. */
static struct tval *
slot(struct tmpl_data *d, const char *name, int kind)
{
	struct tval *v = find(d, name);

	if (v == NULL) {
		if (d->n == d->cap) {
			d->cap = d->cap ? mem_add(d->cap, d->cap) : 16;
			d->v = mem_realloc(d->v, d->cap, sizeof(*d->v));
		}
		v = &d->v[d->n++];
		memset(v, 0, sizeof(*v));
		v->name = mem_strdup(name);
	} else if (kind != V_LIST || v->kind != V_LIST) {
		tval_clear(v);
	}
	v->kind = kind;
	return v;
}

void
tmpl_setn(struct tmpl_data *d, const char *name, const char *value, size_t len)
{
	slot(d, name, V_STR)->s = mem_strndup(value, len);
}

void
tmpl_set(struct tmpl_data *d, const char *name, const char *value)
{
	tmpl_setn(d, name, value ? value : "", value ? strlen(value) : 0);
}

void
tmpl_setf(struct tmpl_data *d, const char *name, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	slot(d, name, V_STR)->s = buf_steal(&b);
}

void
tmpl_set_bool(struct tmpl_data *d, const char *name, int on)
{
	tmpl_set(d, name, on ? "1" : "");
}

void
tmpl_set_raw(struct tmpl_data *d, const char *name, const char *html)
{
	slot(d, name, V_RAW)->s = mem_strdup(html);
}

struct tmpl_data *
tmpl_add(struct tmpl_data *d, const char *name)
{
	struct tval *v = slot(d, name, V_LIST);

	if (v->n == v->cap) {
		v->cap = v->cap ? mem_add(v->cap, v->cap) : 8;
		v->items = mem_realloc(v->items, v->cap, sizeof(*v->items));
	}
	return v->items[v->n++] = tmpl_data_new();
}

const char *
tmpl_get(const struct tmpl_data *d, const char *name)
{
	const struct tval *v = find(d, name);

	return v && v->kind != V_LIST ? v->s : NULL;
}

/* ---- escapes ---- */

static void
put_replacement(struct buf *out)
{
	buf_puts(out, "\xef\xbf\xbd");
}

void
tmpl_escape_html(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			if ((n = utf8_decode(p + i, len - i, NULL)) == 0) {
				put_replacement(out);
				i++;
			} else {
				buf_append(out, p + i, n);
				i += n;
			}
			continue;
		}
		i++;
		switch (c) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		case '`': buf_puts(out, "&#96;"); break;
		case '\t': case '\n': case '\r':
			buf_putc(out, c);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				put_replacement(out);
			else
				buf_putc(out, c);
		}
	}
}

void
tmpl_escape_url(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			buf_putc(out, c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

int
tmpl_url_safe(const char *s, size_t len)
{
	static const char *const ok[] = { "http", "https", "mailto" };
	char scheme[16];
	size_t i, n = 0, k;

	/* Browsers skip leading blanks and controls, and drop tabs and
	 * newlines anywhere: so does this check. */
	for (i = 0; i < len && (unsigned char)s[i] <= 0x20; i++)
		;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '/' || c == '?' || c == '#')
			return 1;	/* a path before any colon */
		if (c == ':')
			break;
		if (n < sizeof(scheme))
			scheme[n] = (char)c;
		n++;
	}
	if (i == len)
		return 1;		/* no colon: relative */
	if (n >= sizeof(scheme))
		return 0;		/* none of ours is this long */
	scheme[n] = '\0';
	for (k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		if (strcasecmp(scheme, ok[k]) == 0)
			return 1;
	return 0;
}

/* ---- the HTML tokenizer ---- */

enum hstate {
	H_TEXT, H_LT, H_TAGNAME, H_TAG, H_ATTRNAME, H_AFTERATTR, H_BEFOREVAL,
	H_VAL_DQ, H_VAL_SQ, H_VAL_UNQ, H_BANG, H_COMMENT, H_DECL, H_RAW,
	H_RCDATA
};

enum akind { A_PLAIN, A_URL, A_BAD };

struct html {
	enum hstate	 state;
	char		 tag[16];
	size_t		 taglen;
	int		 endtag;
	char		 attr[24];
	size_t		 attrlen;
	enum akind	 akind;
	int		 val_started;	/* URL value: something written */
	char		 raw[16];	/* the element a raw text ends with */
	size_t		 rawmatch;	/* progress through "</raw" */
	int		 dashes;	/* "--" seen (comments) */
};

static const char *const url_attrs[] = { "href", "src", "action",
    "formaction", "cite", "poster", "background", "longdesc", "usemap",
    "codebase", "data", "manifest", "xlink:href", NULL };
static const char *const raw_tags[] = { "script", "style", "xmp", "iframe",
    "noembed", "noframes", "noscript", "plaintext", NULL };
static const char *const rcdata_tags[] = { "textarea", "title", NULL };

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void
attr_kind(struct html *h)
{
	h->attr[h->attrlen] = '\0';
	if (strncmp(h->attr, "on", 2) == 0 || strcmp(h->attr, "style") == 0 ||
	    strcmp(h->attr, "srcdoc") == 0 || strcmp(h->attr, "srcset") == 0 ||
	    h->attrlen == sizeof(h->attr) - 1)
		h->akind = A_BAD;
	else
		h->akind = in_list(url_attrs, h->attr) ? A_URL : A_PLAIN;
	h->val_started = 0;
}

static void
end_of_tag(struct html *h)
{
	h->tag[h->taglen] = '\0';
	h->state = H_TEXT;
	if (h->endtag)
		return;
	if (in_list(raw_tags, h->tag))
		h->state = H_RAW;
	else if (in_list(rcdata_tags, h->tag))
		h->state = H_RCDATA;
	else
		return;
	memcpy(h->raw, h->tag, sizeof(h->raw));
	h->rawmatch = 0;
}

/* Inside <script>, <textarea> and the like: only "</name" ends it. */
static void
feed_raw(struct html *h, int c)
{
	size_t n = strlen(h->raw);

	if (strcmp(h->raw, "plaintext") == 0)
		return;
	if (h->rawmatch == n + 2 && (is_space(c) || c == '/' || c == '>')) {
		memcpy(h->tag, h->raw, sizeof(h->tag));
		h->taglen = n;
		h->endtag = 1;
		h->state = H_TAG;
		if (c == '>')
			end_of_tag(h);
		return;
	}
	if (h->rawmatch == 0 ? c == '<' : h->rawmatch == 1 ? c == '/' :
	    h->rawmatch < n + 2 && lower(c) == h->raw[h->rawmatch - 2])
		h->rawmatch++;
	else
		h->rawmatch = c == '<';
}

static void
start_attr(struct html *h, int c)
{
	h->state = H_ATTRNAME;
	h->attrlen = 0;
	h->attr[h->attrlen++] = (char)lower(c);
}

static void
feed_tag(struct html *h, int c)
{
	switch (h->state) {
	case H_TAGNAME:
		if (is_space(c) || c == '/')
			h->state = H_TAG;
		else if (c == '>')
			end_of_tag(h);
		else if (h->taglen < sizeof(h->tag) - 1)
			h->tag[h->taglen++] = (char)lower(c);
		break;
	case H_TAG:
		if (c == '>')
			end_of_tag(h);
		else if (!is_space(c) && c != '/')
			start_attr(h, c);
		break;
	case H_ATTRNAME:
		if (c == '=') {
			attr_kind(h);
			h->state = H_BEFOREVAL;
		} else if (is_space(c)) {
			h->state = H_AFTERATTR;
		} else if (c == '>') {
			end_of_tag(h);
		} else if (c == '/') {
			h->state = H_TAG;
		} else if (h->attrlen < sizeof(h->attr) - 1) {
			h->attr[h->attrlen++] = (char)lower(c);
		}
		break;
	case H_AFTERATTR:
		if (c == '=') {
			attr_kind(h);
			h->state = H_BEFOREVAL;
		} else if (c == '>') {
			end_of_tag(h);
		} else if (!is_space(c)) {
			start_attr(h, c);
		}
		break;
	case H_BEFOREVAL:
		if (c == '"')
			h->state = H_VAL_DQ;
		else if (c == '\'')
			h->state = H_VAL_SQ;
		else if (c == '>')
			end_of_tag(h);
		else if (!is_space(c))
			h->state = H_VAL_UNQ;
		break;
	case H_VAL_DQ:
	case H_VAL_SQ:
		if (c == (h->state == H_VAL_DQ ? '"' : '\''))
			h->state = H_TAG;
		else
			h->val_started = 1;
		break;
	case H_VAL_UNQ:
		if (is_space(c))
			h->state = H_TAG;
		else if (c == '>')
			end_of_tag(h);
		break;
	default:
		break;
	}
}

static void
html_feed(struct html *h, int c)
{
	switch (h->state) {
	case H_TEXT:
		if (c == '<')
			h->state = H_LT;
		break;
	case H_LT:
		h->taglen = 0;
		h->endtag = 0;
		if (is_alpha(c)) {
			h->state = H_TAGNAME;
			h->tag[h->taglen++] = (char)lower(c);
		} else if (c == '/') {
			h->state = H_TAGNAME;
			h->endtag = 1;
		} else if (c == '!') {
			h->state = H_BANG;
			h->dashes = 0;
		} else {
			h->state = c == '<' ? H_LT : H_TEXT;
		}
		break;
	case H_BANG:
		if (c == '-' && ++h->dashes == 2) {
			h->state = H_COMMENT;
			h->dashes = 0;
		} else if (c != '-') {
			h->state = c == '>' ? H_TEXT : H_DECL;
		}
		break;
	case H_COMMENT:
		if (c == '>' && h->dashes >= 2)
			h->state = H_TEXT;
		else
			h->dashes = c == '-' ? h->dashes + 1 : 0;
		break;
	case H_DECL:
		if (c == '>')
			h->state = H_TEXT;
		break;
	case H_RAW:
	case H_RCDATA:
		feed_raw(h, c);
		break;
	default:
		feed_tag(h, c);
		break;
	}
}

/* States that a block may begin and end in, as one class. */
static int
hclass(enum hstate s)
{
	return s == H_TAGNAME || s == H_ATTRNAME || s == H_AFTERATTR ? H_TAG :
	    (int)s;
}

/* ---- compiling ---- */

enum { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED };
enum { E_HTML, E_URL_START, E_URL_PART };

struct node {
	int	 kind;
	int	 esc;		/* N_VAR */
	size_t	 off, len;	/* N_TEXT: in t->text */
	char	*name;
	size_t	 end;		/* blocks: the node after the block */
};

struct tmpl {
	struct buf	 text;
	struct node	*v;
	size_t		 n, cap;
};

struct src {
	const char	*text;
	size_t		 len, pos;
	unsigned	 line;
	const char	*name;
};

struct comp {
	struct tmpl	*t;
	tmpl_include_fn	*include;
	void		*ctx;
	struct html	 h;
	int		 depth;
	char		*why;
};

static int
fail(struct comp *c, const struct src *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct comp *c, const struct src *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (c->why)
		return -1;
	buf_printf(&b, "%s:%u: ", s->name, s->line);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->why = buf_steal(&b);
	return -1;
}

static struct node *
add_node(struct comp *c, const struct src *s, int kind)
{
	struct tmpl *t = c->t;
	struct node *n;

	if (t->n >= TMPL_NODES_MAX) {
		fail(c, s, "more than %d parts", TMPL_NODES_MAX);
		return NULL;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? mem_add(t->cap, t->cap) : 64;
		t->v = mem_realloc(t->v, t->cap, sizeof(*t->v));
	}
	n = &t->v[t->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	return n;
}

static int
add_text(struct comp *c, struct src *s, size_t from, size_t to)
{
	struct node *n;
	size_t i;

	if (to == from)
		return 0;
	for (i = from; i < to; i++) {
		html_feed(&c->h, (unsigned char)s->text[i]);
		if (s->text[i] == '\n')
			s->line++;
	}
	if ((n = add_node(c, s, N_TEXT)) == NULL)
		return -1;
	n->off = c->t->text.len;
	n->len = to - from;
	buf_append(&c->t->text, s->text + from, to - from);
	return 0;
}

static int
valid_name(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > TMPL_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alpha(p[i]) && !(p[i] >= '0' && p[i] <= '9') &&
		    p[i] != '_' && p[i] != '-' && p[i] != '.')
			return 0;
	return 1;
}

/* The escape a substitution here needs, or -1 (with the reason). */
static int
var_context(const struct html *h, const char **why_r)
{
	switch (h->state) {
	case H_TEXT:
	case H_RCDATA:
		return E_HTML;
	case H_VAL_DQ:
	case H_VAL_SQ:
		if (h->akind == A_BAD) {
			*why_r = "in an event handler, style, srcdoc or srcset "
			    "attribute";
			return -1;
		}
		if (h->akind == A_URL)
			return h->val_started ? E_URL_PART : E_URL_START;
		return E_HTML;
	case H_VAL_UNQ:
	case H_BEFOREVAL:
		*why_r = "in an unquoted attribute value (quote it)";
		return -1;
	case H_COMMENT:
	case H_BANG:
	case H_DECL:
		*why_r = "in a comment or declaration";
		return -1;
	case H_RAW:
		*why_r = "in a script, style or other raw text element";
		return -1;
	default:
		*why_r = "inside a tag or attribute name";
		return -1;
	}
}

static int parse(struct comp *c, struct src *s, const char *close);

static int
add_var(struct comp *c, const struct src *s, const char *name, size_t len,
    int raw)
{
	const char *why = NULL;
	struct node *n;
	int esc = var_context(&c->h, &why);

	if (esc < 0)
		return fail(c, s, "{{%.*s}} %s", (int)len, name, why);
	if (raw && c->h.state != H_TEXT)
		return fail(c, s, "{{&%.*s}} outside text", (int)len, name);
	if ((n = add_node(c, s, raw ? N_RAW : N_VAR)) == NULL)
		return -1;
	n->esc = esc;
	n->name = mem_strndup(name, len);
	if (c->h.state == H_VAL_DQ || c->h.state == H_VAL_SQ)
		c->h.val_started = 1;
	return 0;
}

static int
add_block(struct comp *c, struct src *s, int kind, const char *name,
    size_t len)
{
	struct html start = c->h;
	char *close = mem_strndup(name, len);
	size_t idx = c->t->n;
	struct node *n;
	int rc = -1;

	if ((n = add_node(c, s, kind)) == NULL)
		goto out;
	n->name = mem_strndup(name, len);
	if (++c->depth > TMPL_DEPTH_MAX) {
		fail(c, s, "blocks and includes nested deeper than %d",
		    TMPL_DEPTH_MAX);
		goto out;
	}
	if (parse(c, s, close) < 0)
		goto out;
	c->depth--;
	c->t->v[idx].end = c->t->n;
	if (hclass(c->h.state) != hclass(start.state) ||
	    ((start.state == H_VAL_DQ || start.state == H_VAL_SQ) &&
	    strcmp(start.attr, c->h.attr) != 0) ||
	    ((start.state == H_RAW || start.state == H_RCDATA) &&
	    strcmp(start.raw, c->h.raw) != 0)) {
		fail(c, s, "{{/%s}} ends the block in another HTML context "
		    "than it began in", close);
		goto out;
	}
	start.val_started |= c->h.val_started;
	start.rawmatch = 0;
	c->h = start;
	rc = 0;
out:
	free(close);
	return rc;
}

static int
add_include(struct comp *c, const struct src *s, const char *name,
    size_t len)
{
	struct buf text = BUF_INIT;
	char *inc = mem_strndup(name, len), *why = NULL;
	struct src sub;
	int rc;

	if (c->include == NULL) {
		rc = fail(c, s, "{{>%s}}: includes are not available", inc);
		goto out;
	}
	if (++c->depth > TMPL_DEPTH_MAX) {
		rc = fail(c, s, "includes nested deeper than %d",
		    TMPL_DEPTH_MAX);
		goto out;
	}
	rc = c->include(c->ctx, inc, &text, &why);
	if (rc <= 0) {
		rc = fail(c, s, "{{>%s}}: %s", inc, rc == 0 ? "no such template" :
		    why);
		goto out;
	}
	memset(&sub, 0, sizeof(sub));
	sub.text = text.data;
	sub.len = text.len;
	sub.line = 1;
	sub.name = inc;
	rc = parse(c, &sub, NULL);
	c->depth--;
out:
	free(why);
	free(inc);
	buf_free(&text);
	return rc;
}

/* One tag "{{...}}" starting at s->pos: 0, 1 at the wanted close, -1. */
static int
tag(struct comp *c, struct src *s, const char *close)
{
	const char *p = s->text + s->pos + 2, *end;
	const char *lim = s->text + s->len;
	char sigil = 0;
	size_t len;

	end = memmem(p, (size_t)(lim - p), "}}", 2);
	if (end == NULL)
		return fail(c, s, "{{ without }}");
	s->pos = (size_t)(end - s->text) + 2;
	if (*p == '!') {
		for (; p < end; p++)
			s->line += *p == '\n';
		return 0;
	}
	if (*p == '#' || *p == '^' || *p == '/' || *p == '>' || *p == '&')
		sigil = *p++;
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	len = (size_t)(end - p);
	if (!valid_name(p, len))
		return fail(c, s, "bad name in {{%c%.*s}}", sigil ? sigil : ' ',
		    (int)(len > 40 ? 40 : len), p);
	switch (sigil) {
	case '#':
		return add_block(c, s, N_SECTION, p, len);
	case '^':
		return add_block(c, s, N_INVERTED, p, len);
	case '/':
		if (close && strlen(close) == len && memcmp(close, p, len) == 0)
			return 1;
		return fail(c, s, "{{/%.*s}} closes no open block", (int)len, p);
	case '>':
		return add_include(c, s, p, len);
	default:
		return add_var(c, s, p, len, sigil == '&');
	}
}

static int
parse(struct comp *c, struct src *s, const char *close)
{
	const char *open;
	int rc;

	for (;;) {
		open = memmem(s->text + s->pos, s->len - s->pos, "{{", 2);
		if (add_text(c, s, s->pos, open ? (size_t)(open - s->text) :
		    s->len) < 0)
			return -1;
		if (open == NULL)
			break;
		s->pos = (size_t)(open - s->text);
		if ((rc = tag(c, s, close)) != 0)
			return rc < 0 ? -1 : 0;
	}
	if (close)
		return fail(c, s, "{{#%s}} is not closed", close);
	return 0;
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	buf_free(&t->text);
	free(t);
}

int
tmpl_compile(const char *text, size_t len, const char *name,
    tmpl_include_fn *include, void *ctx, struct tmpl **t_r, char **why_r)
{
	struct comp c;
	struct src s;

	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	s.text = text;
	s.len = len;
	s.line = 1;
	s.name = name;
	c.t = mem_zalloc(1, sizeof(*c.t));
	c.include = include;
	c.ctx = ctx;
	c.h.state = H_TEXT;
	if (len > TMPL_SIZE_MAX)
		fail(&c, &s, "longer than %d bytes", TMPL_SIZE_MAX);
	else if (memchr(text, '\0', len))
		fail(&c, &s, "holds a NUL byte");
	else
		(void)parse(&c, &s, NULL);
	if (c.why) {
		tmpl_free(c.t);
		if (why_r)
			*why_r = c.why;
		else
			free(c.why);
		return -1;
	}
	*t_r = c.t;
	return 0;
}

/* Includes from the template directory. */
static int
load_file(void *ctx, const char *name, struct buf *out, char **why_r)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_printf(&path, "%s/%s.html", (const char *)ctx, name);
	rc = file_read(path.data, TMPL_SIZE_MAX, out, why_r);
	buf_free(&path);
	return rc;
}

int
tmpl_load(const char *dir, const char *name, struct tmpl **t_r, char **why_r)
{
	struct buf text = BUF_INIT, label = BUF_INIT;
	char *why = NULL;
	int rc;

	buf_printf(&label, "%s/%s.html", dir, name);
	if (!valid_name(name, strlen(name)))
		rc = file_whyf(why_r, "%s: bad template name", label.data);
	else if ((rc = load_file((void *)dir, name, &text, &why)) < 0)
		rc = file_whyf(why_r, "%s", why);
	else if (rc == 0)
		rc = file_whyf(why_r, "%s: no such file", label.data);
	else
		rc = tmpl_compile(text.data, text.len, label.data, load_file,
		    (void *)dir, t_r, why_r);
	free(why);
	buf_free(&text);
	buf_free(&label);
	return rc;
}

/* ---- rendering ---- */

struct scope {
	const struct tmpl_data	*d;
	const struct scope	*up;
};

static const struct tval *
lookup(const struct scope *sc, const char *name)
{
	const struct tval *v;

	for (; sc; sc = sc->up)
		if ((v = find(sc->d, name)) != NULL)
			return v;
	return NULL;
}

static int
truthy(const struct tval *v)
{
	if (v == NULL)
		return 0;
	return v->kind == V_LIST ? v->n > 0 : v->s && *v->s;
}

static void
put_var(const struct node *n, const struct tval *v, struct buf *out)
{
	const char *s = v && v->kind != V_LIST && v->s ? v->s : "";
	size_t len = strlen(s);

	if (n->kind == N_RAW && v && v->kind == V_RAW) {
		buf_append(out, s, len);
		return;
	}
	switch (n->esc) {
	case E_URL_START:
		if (!tmpl_url_safe(s, len)) {
			buf_putc(out, '#');
			return;
		}
		tmpl_escape_html(out, s, len);
		return;
	case E_URL_PART:
		tmpl_escape_url(out, s, len);
		return;
	default:
		tmpl_escape_html(out, s, len);
	}
}

static void
render(const struct tmpl *t, size_t from, size_t to, const struct scope *sc,
    struct buf *out)
{
	size_t i = from, k;

	while (i < to) {
		const struct node *n = &t->v[i];
		const struct tval *v;

		switch (n->kind) {
		case N_TEXT:
			buf_append(out, t->text.data + n->off, n->len);
			break;
		case N_VAR:
		case N_RAW:
			put_var(n, lookup(sc, n->name), out);
			break;
		case N_INVERTED:
			if (!truthy(lookup(sc, n->name)))
				render(t, i + 1, n->end, sc, out);
			i = n->end;
			continue;
		case N_SECTION:
			v = lookup(sc, n->name);
			if (v && v->kind == V_LIST) {
				for (k = 0; k < v->n; k++) {
					struct scope in = { v->items[k], sc };

					render(t, i + 1, n->end, &in, out);
				}
			} else if (truthy(v)) {
				render(t, i + 1, n->end, sc, out);
			}
			i = n->end;
			continue;
		}
		i++;
	}
}

void
tmpl_render(const struct tmpl *t, const struct tmpl_data *d, struct buf *out)
{
	struct scope top = { d, NULL };

	render(t, 0, t->n, &top, out);
}
