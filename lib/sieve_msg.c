/* sieve_msg - a message as Sieve sees it; see sieve_msg.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mem.h"
#include "mime.h"
#include "sieve_msg.h"

struct field {
	size_t	 name, name_len;	/* offsets into the message */
	size_t	 value, end;		/* after the colon .. end of field */
};

struct sieve_msg {
	const char	*data;
	size_t		 len;
	size_t		 body;		/* offset of the body */
	struct field	*f;
	size_t		 nf;
	int		 parsed;	/* mime parsed */
	struct mime_info info;
};

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* End of the line starting at i (offset of its LF, or len). */
static size_t
line_end(const char *p, size_t len, size_t i)
{
	const char *lf = memchr(p + i, '\n', len - i);

	return lf ? (size_t)(lf - p) : len;
}

static void
index_header(struct sieve_msg *m)
{
	const char *p = m->data;
	size_t i = 0, e, cap = 0, vend;
	const char *colon;

	while (i < m->len) {
		e = line_end(p, m->len, i);
		vend = e > i && p[e - 1] == '\r' ? e - 1 : e;
		if (vend == i) {			/* the empty line */
			i = e < m->len ? e + 1 : e;
			break;
		}
		if (is_wsp(p[i])) {			/* continuation */
			if (m->nf > 0 && m->f[m->nf - 1].end + 2 >= i)
				m->f[m->nf - 1].end = vend;
		} else if ((colon = memchr(p + i, ':', vend - i)) != NULL &&
		    m->nf < SIEVE_MSG_FIELDS_MAX) {
			size_t nl = (size_t)(colon - (p + i));

			while (nl > 0 && is_wsp(p[i + nl - 1]))
				nl--;
			if (m->nf == cap) {
				cap = cap ? cap * 2 : 32;
				m->f = mem_realloc(m->f, cap, sizeof(*m->f));
			}
			m->f[m->nf].name = i;
			m->f[m->nf].name_len = nl;
			m->f[m->nf].value = (size_t)(colon - p) + 1;
			m->f[m->nf].end = vend;
			m->nf++;
		}
		i = e < m->len ? e + 1 : e;
	}
	m->body = i;
}

struct sieve_msg *
sieve_msg_new(const char *msg, size_t len)
{
	struct sieve_msg *m = mem_zalloc(1, sizeof(*m));

	m->data = msg ? msg : "";
	m->len = msg ? len : 0;
	index_header(m);
	return m;
}

void
sieve_msg_free(struct sieve_msg *m)
{
	if (m == NULL)
		return;
	if (m->parsed)
		mime_info_free(&m->info);
	free(m->f);
	free(m);
}

size_t
sieve_msg_size(const struct sieve_msg *m)
{
	return m->len;
}

const char *
sieve_msg_data(const struct sieve_msg *m)
{
	return m->data;
}

size_t
sieve_msg_header_len(const struct sieve_msg *m)
{
	return m->body;
}

static int
name_is(const struct sieve_msg *m, const struct field *f, const char *name)
{
	size_t nl = strlen(name);

	return f->name_len == nl && strncasecmp(m->data + f->name, name, nl) == 0;
}

size_t
sieve_msg_field_count(const struct sieve_msg *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nf; i++)
		n += name_is(m, &m->f[i], name);
	return n;
}

/* Unfold v[0..n): line breaks out, NUL as a space, trimmed, capped. */
static void
unfold(const char *v, size_t n, struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_reserve(out, 0);
	for (i = 0; i < n && out->len < SIEVE_MSG_VALUE_MAX; i++) {
		if (v[i] == '\n' || (v[i] == '\r' && i + 1 < n &&
		    v[i + 1] == '\n'))
			continue;
		buf_putc(out, v[i] == '\0' ? ' ' : v[i]);
	}
	i = 0;
	while (i < out->len && is_wsp(out->data[i]))
		i++;
	if (i > 0) {
		memmove(out->data, out->data + i, out->len - i);
		buf_truncate(out, out->len - i);
	}
	while (out->len > 0 && (is_wsp(out->data[out->len - 1]) ||
	    out->data[out->len - 1] == '\r'))
		buf_truncate(out, out->len - 1);
}

int
sieve_msg_field_next(const struct sieve_msg *m, const char *name,
    size_t *pos, int decode, struct buf *out, uint64_t *steps_r)
{
	struct buf raw = BUF_INIT;
	size_t i;

	for (i = *pos; i < m->nf; i++) {
		if (!name_is(m, &m->f[i], name))
			continue;
		if (steps_r)
			*steps_r += i - *pos + 1 + (m->f[i].end - m->f[i].value);
		*pos = i + 1;
		if (!decode) {
			unfold(m->data + m->f[i].value, m->f[i].end -
			    m->f[i].value, out);
			return 1;
		}
		unfold(m->data + m->f[i].value, m->f[i].end - m->f[i].value,
		    &raw);
		buf_reset(out);
		mime_decode_words(raw.data, raw.len, out);
		if (out->len > SIEVE_MSG_VALUE_MAX)
			buf_truncate(out, SIEVE_MSG_VALUE_MAX);
		buf_free(&raw);
		return 1;
	}
	if (steps_r)
		*steps_r += i - *pos;
	*pos = i;
	return 0;
}

int
sieve_field_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 997)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 33 || (unsigned char)name[i] > 126 ||
		    name[i] == ':')
			return 0;
	return 1;
}

/* ---- addresses ---- */

struct ap {
	const char	*s;
	size_t		 len, i;
	struct buf	 phrase;	/* text outside <>, comments removed */
	struct buf	 angle;		/* text inside <> */
	int		 in_angle, saw_angle;
};

static void
skip_comment(struct ap *a)
{
	int depth = 0;

	for (; a->i < a->len; a->i++) {
		char c = a->s[a->i];

		if (c == '\\' && a->i + 1 < a->len)
			a->i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
}

/* A quoted string's content (escapes resolved) into out. */
static void
quoted(struct ap *a, struct buf *out)
{
	for (a->i++; a->i < a->len && a->s[a->i] != '"'; a->i++) {
		if (a->s[a->i] == '\\' && a->i + 1 < a->len)
			a->i++;
		if (a->s[a->i] != '\r' && a->s[a->i] != '\n')
			buf_putc(out, a->s[a->i]);
	}
}

/* Remove a route ("@a,@b:") from an angle address. */
static const char *
strip_route(const char *s)
{
	const char *c;

	if (*s != '@' || (c = strchr(s, ':')) == NULL)
		return s;
	return c + 1;
}

static void
emit(struct ap *a, struct sieve_addrs *out)
{
	struct buf t = BUF_INIT;
	const char *src, *at;
	size_t i;

	if (a->saw_angle) {
		src = strip_route(buf_cstr(&a->angle));
	} else {
		src = buf_cstr(&a->phrase);
	}
	for (i = 0; src[i]; i++)		/* no whitespace in an addr-spec */
		if (!is_wsp(src[i]) && src[i] != '\r' && src[i] != '\n')
			buf_putc(&t, src[i]);
	if ((t.len > 0 || a->saw_angle) && out->n < SIEVE_MSG_ADDRS_MAX) {
		struct sieve_addr *ad;

		out->v = mem_realloc(out->v, out->n + 1, sizeof(*out->v));
		ad = &out->v[out->n++];
		at = strrchr(buf_cstr(&t), '@');
		ad->domain = at != NULL;
		ad->local = at ? (size_t)(at - buf_cstr(&t)) : t.len;
		ad->all = buf_steal(&t);
	}
	buf_free(&t);
	buf_reset(&a->phrase);
	buf_reset(&a->angle);
	a->saw_angle = a->in_angle = 0;
}

void
sieve_addrs_parse(const char *s, size_t len, struct sieve_addrs *out)
{
	struct ap a;

	memset(&a, 0, sizeof(a));
	a.s = s;
	a.len = len;
	for (a.i = 0; a.i < len; a.i++) {
		char c = s[a.i];
		struct buf *cur = a.in_angle ? &a.angle : &a.phrase;

		if (c == '(') {
			skip_comment(&a);
			buf_putc(cur, ' ');
		} else if (c == '"') {
			quoted(&a, cur);
		} else if (c == '<' && !a.in_angle) {
			a.in_angle = a.saw_angle = 1;
			buf_reset(&a.angle);
		} else if (c == '>' && a.in_angle) {
			a.in_angle = 0;
		} else if (c == ':' && !a.in_angle && !a.saw_angle &&
		    memchr(a.phrase.data ? a.phrase.data : "", '@',
		    a.phrase.len) == NULL) {
			buf_reset(&a.phrase);	/* a group's name */
		} else if ((c == ',' || c == ';') && !a.in_angle) {
			emit(&a, out);
		} else {
			buf_putc(cur, c == '\0' ? ' ' : c);
		}
	}
	emit(&a, out);
	buf_free(&a.phrase);
	buf_free(&a.angle);
}

void
sieve_addrs_free(struct sieve_addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].all);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* ---- body ---- */

/* "type/subtype" of a part (lower case), default text/plain. */
static void
part_type(const struct sieve_msg *m, const struct mime_part *p,
    struct buf *out)
{
	struct buf v = BUF_INIT;
	size_t i;

	buf_reset(out);
	if (mime_header_value(m->data + p->hdr_off, p->hdr_len,
	    "Content-Type", &v) == 1) {
		for (i = 0; i < v.len && v.data[i] != ';' &&
		    !is_wsp(v.data[i]) && v.data[i] != '('; i++)
			buf_putc(out, (v.data[i] >= 'A' && v.data[i] <= 'Z') ?
			    v.data[i] + 32 : v.data[i]);
	}
	if (strchr(buf_cstr(out), '/') == NULL) {
		buf_reset(out);
		buf_puts(out, p->kind == MIME_KIND_MULTIPART ? "multipart/mixed" :
		    "text/plain");
	}
	buf_free(&v);
}

static int
type_wanted(const char *type, const char *const *types, size_t n)
{
	size_t i, tl;

	for (i = 0; i < n; i++) {
		if (types[i][0] == '\0')
			return 1;
		if (strchr(types[i], '/')) {
			if (strcasecmp(types[i], type) == 0)
				return 1;
			continue;
		}
		tl = strlen(types[i]);
		if (strncasecmp(types[i], type, tl) == 0 && type[tl] == '/')
			return 1;
	}
	return 0;
}

int
sieve_msg_body(struct sieve_msg *m, int transform,
    const char *const *types, size_t ntypes,
    int (*fn)(const char *text, size_t len, void *ctx), void *ctx)
{
	struct buf text = BUF_INIT, type = BUF_INIT;
	struct mime_part p;
	size_t i, n;
	int rc = 0;

	if (transform == SIEVE_BODY_RAW) {
		n = m->len - m->body;
		return fn(m->data + m->body, n < SIEVE_MSG_BODY_MAX ? n :
		    SIEVE_MSG_BODY_MAX, ctx);
	}
	if (!m->parsed) {
		if (mime_parse(m->data, m->len, &m->info) < 0)
			return 0;
		m->parsed = 1;
	}
	for (i = 0; rc == 0 && mime_view_part(&m->info.view, i, &p); i++) {
		if (p.kind != MIME_KIND_LEAF)
			continue;
		if (transform == SIEVE_BODY_CONTENT) {
			part_type(m, &p, &type);
			if (!type_wanted(type.data, types, ntypes))
				continue;
		} else if (!p.text) {
			continue;
		}
		buf_reset(&text);
		if (p.text) {
			if (mime_part_text(m->data, m->len, &p,
			    SIEVE_MSG_BODY_MAX, &text) < 0)
				continue;
		} else if (p.body_off <= m->len && p.body_len <= m->len -
		    p.body_off) {
			buf_append(&text, m->data + p.body_off,
			    p.body_len < SIEVE_MSG_BODY_MAX ? p.body_len :
			    SIEVE_MSG_BODY_MAX);
		}
		rc = fn(buf_cstr(&text), text.len, ctx);
	}
	buf_free(&text);
	buf_free(&type);
	return rc;
}
