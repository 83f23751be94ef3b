/* template - PMDF report templates; see template.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "template.h"

enum node_kind { N_TEXT, N_FIELD, N_PLURAL, N_FIRST, N_LAST, N_NONE, N_EOL };

struct nodes {
	struct node	*v;
	size_t		 n, cap;
};

struct node {
	int		 kind;		/* enum node_kind */
	char		*text;		/* N_TEXT */
	size_t		 len;
	size_t		 field;		/* N_FIELD */
	char		 flags[6];	/* N_FIELD with a format */
	int		 width, prec;	/* -1 when absent */
	char		 conv;		/* 0: no format */
	struct nodes	 body;		/* N_FIRST, N_LAST, N_NONE */
};

struct template {
	char		*text;
	struct nodes	 top;
	unsigned char	*uses;
	size_t		 nnames;
};

struct cparse {
	const char	*p, *end;
	const char *const *names;
	unsigned char	*uses;
	unsigned	 line;
	char		**why_r;
};

/* What one application needs to know. */
struct apply {
	void		*item;
	int		 first, last;
	template_get_fn	*get;
	struct buf	*out;
	int		 plural;	/* last number was not 1 */
};

static struct node *
node_add(struct nodes *ns, int kind)
{
	struct node *n;

	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? mem_add(ns->cap, ns->cap) : 8;
		ns->v = mem_realloc(ns->v, ns->cap, sizeof(*ns->v));
	}
	n = &ns->v[ns->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->width = n->prec = -1;
	return n;
}

/* Append text to the last node when it is text, else a new text node. */
static void
text_add(struct nodes *ns, const char *s, size_t len)
{
	struct node *n = ns->n ? &ns->v[ns->n - 1] : NULL;

	if (n == NULL || n->kind != N_TEXT) {
		n = node_add(ns, N_TEXT);
	}
	n->text = mem_realloc(n->text, mem_add(n->len, len + 1), 1);
	memcpy(n->text + n->len, s, len);
	n->len += len;
	n->text[n->len] = '\0';
}

static void
nodes_free(struct nodes *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		free(ns->v[i].text);
		nodes_free(&ns->v[i].body);
	}
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static int
cerr(struct cparse *c, const char *what, const char *name, size_t len)
{
	return file_whyf(c->why_r, "template line %u: %s%s%.*s", c->line, what,
	    len ? " " : "", (int)len, name);
}

/* Read up to 3 digits as a number; -1 if none. */
static int
digits(const char **p, const char *end)
{
	int v = -1, n = 0;

	while (*p < end && **p >= '0' && **p <= '9' && n < 4) {
		v = (v < 0 ? 0 : v * 10) + (**p - '0');
		(*p)++;
		n++;
	}
	return n > 3 ? -2 : v;
}

/* Parse "%[flags][width][.prec]conv" exactly filling fmt[0..len). */
static int
parse_format(struct cparse *c, struct node *n, const char *f, size_t len)
{
	const char *p = f, *end = f + len;
	size_t nf = 0;

	if (p == end || *p++ != '%')
		return cerr(c, "bad format", f, len);
	while (p < end && strchr("-+ #0", *p) && nf < 5)
		n->flags[nf++] = *p++;
	if ((n->width = digits(&p, end)) == -2)
		return cerr(c, "width too large in", f, len);
	if (p < end && *p == '.') {
		p++;
		if ((n->prec = digits(&p, end)) < 0)
			return cerr(c, "bad precision in", f, len);
	}
	if (p + 1 != end || strchr("diuoxXfFeEgGs", *p) == NULL)
		return cerr(c, "bad format", f, len);
	n->conv = *p;
	if ((strchr(n->flags, '#') && strchr("dius", n->conv)) ||
	    (n->conv == 's' && strspn(n->flags, "-") != nf))
		return cerr(c, "flag not allowed in", f, len);
	return 0;
}

/* The extent of a {...} group at c->p (after '{'); *len_r its length. */
static int
brace_group(struct cparse *c, size_t *len_r)
{
	const char *p = c->p;
	int depth = 1;

	for (; p < c->end; p++) {
		if (*p == '%' && p + 1 < c->end) {
			p++;
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0) {
			*len_r = (size_t)(p - c->p);
			return 0;
		}
	}
	return cerr(c, "unclosed '{'", "", 0);
}

static int parse_seq(struct cparse *c, const char *end, int inner,
    struct nodes *out);

static int
parse_directive(struct cparse *c, int kind, struct nodes *out, int inner)
{
	struct node *n;
	size_t len;
	const char *start;

	if (inner)
		return cerr(c, "%first, %last and %none cannot nest", "", 0);
	if (c->p >= c->end || *c->p != '{')
		return cerr(c, "%first, %last and %none need {text}", "", 0);
	c->p++;
	start = c->p;
	if (brace_group(c, &len) < 0)
		return -1;
	n = node_add(out, kind);
	if (parse_seq(c, start + len, 1, &n->body) < 0)
		return -1;
	c->p = start + len + 1;
	return 0;
}

static int
parse_field(struct cparse *c, const char *name, size_t nlen, struct nodes *out)
{
	struct node *n;
	size_t i, len;

	for (i = 0; c->names[i]; i++)
		if (strlen(c->names[i]) == nlen &&
		    strncasecmp(c->names[i], name, nlen) == 0)
			break;
	if (c->names[i] == NULL) {
		if (nlen == 1 && (name[0] | 0x20) == 's') {
			node_add(out, N_PLURAL);
			return 0;
		}
		return cerr(c, "unknown field", name, nlen);
	}
	c->uses[i] = 1;
	n = node_add(out, N_FIELD);
	n->field = i;
	if (c->p < c->end && *c->p == '{') {
		c->p++;
		if (brace_group(c, &len) < 0 ||
		    parse_format(c, &out->v[out->n - 1], c->p, len) < 0)
			return -1;
		c->p += len + 1;
	}
	return 0;
}

static int
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

/* After a '%' at c->p - 1. */
static int
parse_percent(struct cparse *c, int inner, struct nodes *out)
{
	const char *name = c->p;
	size_t nlen = 0;

	if (c->p < c->end && strchr("%{}", *c->p)) {
		text_add(out, c->p++, 1);
		return 0;
	}
	while (name + nlen < c->end && is_name_char(name[nlen]))
		nlen++;
	if (nlen == 0) {
		text_add(out, "%", 1);
		return 0;
	}
	c->p += nlen;
	if (nlen == 5 && strncasecmp(name, "first", 5) == 0)
		return parse_directive(c, N_FIRST, out, inner);
	if (nlen == 4 && strncasecmp(name, "last", 4) == 0)
		return parse_directive(c, N_LAST, out, inner);
	if (nlen == 4 && strncasecmp(name, "none", 4) == 0)
		return parse_directive(c, N_NONE, out, inner);
	return parse_field(c, name, nlen, out);
}

static int
parse_seq(struct cparse *c, const char *end, int inner, struct nodes *out)
{
	const char *saved_end = c->end;
	int rc = 0;

	c->end = end;
	while (rc == 0 && c->p < c->end) {
		size_t run = strcspn(c->p, "%\n{}");

		if (run > (size_t)(c->end - c->p))
			run = (size_t)(c->end - c->p);
		if (run) {
			text_add(out, c->p, run);
			c->p += run;
			continue;
		}
		if (*c->p == '%') {
			c->p++;
			rc = parse_percent(c, inner, out);
		} else if (*c->p == '\n') {
			c->line++;
			if (inner)
				text_add(out, "\n", 1);
			else
				node_add(out, N_EOL);
			c->p++;
		} else {
			text_add(out, c->p++, 1);	/* a lone brace */
		}
	}
	c->end = saved_end;
	return rc;
}

int
template_compile(const char *text, size_t len, const char *const *names,
    struct template **t_r, char **why_r)
{
	struct template *t;
	struct cparse c;
	size_t n;

	if (len > TEMPLATE_MAX)
		return file_whyf(why_r, "template longer than %d bytes",
		    TEMPLATE_MAX);
	if (memchr(text, '\0', len))
		return file_whyf(why_r, "template holds a NUL byte");
	for (n = 0; names[n]; n++)
		;
	t = mem_zalloc(1, sizeof(*t));
	t->text = mem_strndup(text, len);	/* NUL-terminated for scanning */
	text = t->text;
	t->nnames = n;
	t->uses = mem_zalloc(n + 1, 1);
	memset(&c, 0, sizeof(c));
	c.p = text;
	c.end = text + len;
	c.names = names;
	c.uses = t->uses;
	c.line = 1;
	c.why_r = why_r;
	if (parse_seq(&c, text + len, 0, &t->top) < 0) {
		template_free(t);
		return -1;
	}
	*t_r = t;
	return 0;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	nodes_free(&t->top);
	free(t->text);
	free(t->uses);
	free(t);
}

int
template_uses(const struct template *t, size_t field)
{
	return field < t->nnames && t->uses[field];
}

/* Build "%" flags width .prec + len + conv into fmt. */
static void
make_format(const struct node *n, const char *len, char conv, int only_minus,
    char *fmt, size_t size)
{
	struct buf f = BUF_INIT;

	buf_putc(&f, '%');
	if (only_minus)
		buf_puts(&f, strchr(n->flags, '-') ? "-" : "");
	else
		buf_puts(&f, n->flags);
	if (n->width >= 0)
		buf_printf(&f, "%d", n->width);
	if (n->prec >= 0 && !only_minus)
		buf_printf(&f, ".%d", n->prec);
	buf_puts(&f, len);
	buf_putc(&f, conv);
	snprintf(fmt, size, "%s", buf_cstr(&f));
	buf_free(&f);
}

static void
put_value(struct apply *a, const struct node *n, const struct tvalue *v)
{
	char fmt[32], tmp[64];
	const char *s = v->s ? v->s : "";

	if (v->type == TV_UINT)
		a->plural = v->u != 1;
	else if (v->type == TV_REAL)
		a->plural = v->d != 1.0;
	if (v->type == TV_UINT)
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v->u);
	else if (v->type == TV_REAL)
		snprintf(tmp, sizeof(tmp), "%.2f", v->d);
	if (v->type != TV_STR)
		s = tmp;
	if (n->conv == 0) {
		buf_puts(a->out, s);
	} else if (n->conv == 's') {
		make_format(n, "", 's', 0, fmt, sizeof(fmt));
		buf_printf(a->out, fmt, s);
	} else if (v->type == TV_STR) {
		make_format(n, "", 's', 1, fmt, sizeof(fmt));
		buf_printf(a->out, fmt, s);
	} else if (strchr("fFeEgG", n->conv)) {
		make_format(n, "", n->conv, 0, fmt, sizeof(fmt));
		buf_printf(a->out, fmt, v->type == TV_REAL ? v->d : (double)v->u);
	} else {
		uint64_t u = v->type == TV_UINT ? v->u :
		    v->d <= 0 ? 0 : v->d >= 1.8e19 ? UINT64_MAX : (uint64_t)v->d;

		make_format(n, "ll", n->conv, 0, fmt, sizeof(fmt));
		if (n->conv == 'd' || n->conv == 'i')
			buf_printf(a->out, fmt, (long long)(u > INT64_MAX ?
			    INT64_MAX : u));
		else
			buf_printf(a->out, fmt, (unsigned long long)u);
	}
}

static int
fires(const struct apply *a, int kind)
{
	if (kind == N_NONE)
		return a->item == NULL;
	if (a->item == NULL)
		return 0;
	return kind == N_FIRST ? a->first : kind == N_LAST ? a->last : 0;
}

static void
emit(struct apply *a, const struct node *v, size_t n)
{
	struct tvalue val;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct node *nd = &v[i];

		switch (nd->kind) {
		case N_TEXT:
			buf_append(a->out, nd->text, nd->len);
			break;
		case N_FIELD:
			if (a->item == NULL)
				break;
			memset(&val, 0, sizeof(val));
			a->get(a->item, nd->field, &val);
			put_value(a, nd, &val);
			break;
		case N_PLURAL:
			if (a->plural)
				buf_putc(a->out, 's');
			break;
		case N_EOL:
			buf_putc(a->out, '\n');
			break;
		default:
			if (fires(a, nd->kind))
				emit(a, nd->body.v, nd->body.n);
		}
	}
}

/* A line made only of directives and blanks; *any_r: one applies. */
static int
control_line(const struct apply *a, const struct node *v, size_t n,
    int *any_r)
{
	size_t i, k, directives = 0;

	*any_r = 0;
	for (i = 0; i < n; i++) {
		if (v[i].kind == N_TEXT) {
			for (k = 0; k < v[i].len; k++)
				if (v[i].text[k] != ' ' && v[i].text[k] != '\t')
					return 0;
		} else if (v[i].kind >= N_FIRST && v[i].kind <= N_NONE) {
			directives++;
			if (fires(a, v[i].kind))
				*any_r = 1;
		} else {
			return 0;
		}
	}
	return directives > 0;
}

void
template_apply(const struct template *t, void *item, int first, int last,
    template_get_fn *get, struct buf *out)
{
	struct apply a = { item, first, last, get, out, 1 };
	const struct node *v = t->top.v;
	size_t start = 0, i, n = t->top.n;
	int any;

	while (start < n) {
		for (i = start; i < n && v[i].kind != N_EOL; i++)
			;
		/* Lines [start, i), with its line end at i when i < n. */
		if (control_line(&a, v + start, i - start, &any)) {
			if (any)
				emit(&a, v + start, i < n ? i - start + 1 :
				    i - start);
		} else if (item != NULL && (i > start || i < n)) {
			emit(&a, v + start, i < n ? i - start + 1 : i - start);
		}
		start = i + 1;
	}
}
