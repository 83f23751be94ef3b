/*
 * sieve_run - evaluate a checked Sieve script against one message
 * (sieve.h). The run collects actions; it performs none. Any error
 * leaves the implicit keep alone (RFC 5228 2.10.6).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "mboxlist.h"
#include "mem.h"
#include "sieve.h"
#include "sieve_ast.h"
#include "sieve_msg.h"

struct var {
	char	 name[68];
	struct buf val;
};

struct run {
	const struct sieve_script *s;
	const struct sieve_env *env;
	struct sieve_msg *msg;
	struct sieve_result *res;
	struct sv_match m;
	struct var *vars;
	size_t	 nvars;
	struct buf flags;		/* imap4flags' internal variable */
	int	 cancelled;		/* implicit keep cancelled */
	int	 stopped;
	int	 failed;
	const struct sv_node *at;	/* the node being run, for errors */
	size_t	 nactions, nredirects;
	char	*why;
};

/* Stop the run with an error at the current node. */
static int
fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct run *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (r->failed)
		return -1;
	r->failed = 1;
	buf_printf(&b, "%u:%u: ", r->at ? r->at->line : 1, r->at ? r->at->col :
	    1);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->why = buf_steal(&b);
	return -1;
}

/* A limit hit inside matching (m.why). */
static int
fail_match(struct run *r)
{
	return fail(r, "%s", r->m.why ? r->m.why : "match failed");
}

/* ---- variables (RFC 5229) ---- */

static struct var *
var_find(struct run *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < r->nvars; i++)
		if (strlen(r->vars[i].name) == len &&
		    strncasecmp(r->vars[i].name, name, len) == 0)
			return &r->vars[i];
	return NULL;
}

/* The reference at s[i] ("${...}"): its length, 0 if not one. */
static size_t
var_ref(struct run *r, const char *s, size_t len, size_t i, struct buf *out)
{
	size_t j = i + 2, k;
	int digits = 1, dots = 0;
	struct var *v;
	unsigned long idx = 0;

	for (k = j; k < len && s[k] != '}'; k++) {
		char c = s[k];

		if (c == '.')
			dots = 1;
		else if (c >= '0' && c <= '9')
			idx = idx < 100 ? idx * 10 + (unsigned long)(c - '0') : idx;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_')
			digits = 0;
		else
			return 0;
	}
	if (k >= len || k == j || s[j] == '.' || s[k - 1] == '.')
		return 0;
	if (digits && !dots) {
		if (idx < r->m.ncap)
			buf_append(out, r->m.cap[idx].data, r->m.cap[idx].len);
	} else if (!dots && !(s[j] >= '0' && s[j] <= '9') &&
	    (v = var_find(r, s + j, k - j)) != NULL) {
		buf_append(out, v->val.data, v->val.len);
	}
	/* unknown variables and namespaces expand to "" */
	return k + 1 - i;
}

/* The value of a script string, variables expanded, replacing out. */
static int
expand(struct run *r, const struct sv_str *s, struct buf *out)
{
	size_t i, n;

	buf_reset(out);
	buf_reserve(out, 0);
	if (!s->vars) {
		buf_append(out, s->s, s->len);
		return sv_charge(&r->m, s->len) < 0 ? fail_match(r) : 0;
	}
	for (i = 0; i < s->len; i++) {
		if (s->s[i] == '$' && i + 1 < s->len && s->s[i + 1] == '{' &&
		    (n = var_ref(r, s->s, s->len, i, out)) > 0) {
			i += n - 1;
		} else {
			buf_putc(out, s->s[i]);
		}
		if (out->len > SIEVE_STRING_MAX) {
			buf_truncate(out, SIEVE_STRING_MAX);
			break;
		}
	}
	return sv_charge(&r->m, out->len + s->len) < 0 ? fail_match(r) : 0;
}

static int
var_set(struct run *r, const char *name, const char *val, size_t len)
{
	struct var *v = var_find(r, name, strlen(name));

	if (v == NULL) {
		if (r->nvars >= SIEVE_VARS_MAX)
			return fail(r, "more than SIEVE_VARS_MAX (%d) variables",
			    SIEVE_VARS_MAX);
		r->vars = mem_realloc(r->vars, r->nvars + 1, sizeof(*r->vars));
		v = &r->vars[r->nvars++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", name);
	}
	buf_reset(&v->val);
	buf_append(&v->val, val, len < SIEVE_VAR_MAX ? len : SIEVE_VAR_MAX);
	return 0;
}

/* Characters (not bytes) of UTF-8 text. */
static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static void
apply_mods(int mods, struct buf *v)
{
	struct buf t = BUF_INIT;
	size_t i;

	for (i = 0; i < v->len; i++) {
		if ((mods & SV_MOD_LOWER) && v->data[i] >= 'A' && v->data[i] <= 'Z')
			v->data[i] += 32;
		if ((mods & SV_MOD_UPPER) && v->data[i] >= 'a' && v->data[i] <= 'z')
			v->data[i] -= 32;
	}
	if (v->len > 0 && (mods & SV_MOD_LOWERFIRST) && v->data[0] >= 'A' &&
	    v->data[0] <= 'Z')
		v->data[0] += 32;
	if (v->len > 0 && (mods & SV_MOD_UPPERFIRST) && v->data[0] >= 'a' &&
	    v->data[0] <= 'z')
		v->data[0] -= 32;
	if (mods & SV_MOD_QUOTEWILDCARD) {
		for (i = 0; i < v->len; i++) {
			if (v->data[i] == '*' || v->data[i] == '?' ||
			    v->data[i] == '\\')
				buf_putc(&t, '\\');
			buf_putc(&t, v->data[i]);
		}
		buf_reset(v);
		buf_append(v, t.data, t.len);
	}
	if (mods & SV_MOD_LENGTH) {
		buf_reset(&t);
		buf_printf(&t, "%zu", utf8_chars(v->data, v->len));
		buf_reset(v);
		buf_append(v, t.data, t.len);
	}
	buf_free(&t);
}

/* ---- matching values against a key list ---- */

struct tv {
	struct run	*r;
	const struct sv_node *n;
	struct buf	*keys;		/* expanded keys */
	size_t		 count;		/* :count */
	size_t		 body_seen;	/* body text examined */
	int		 matched;
};

static int
keys_expand(struct run *r, const struct sv_node *n, struct buf **keys_r)
{
	struct buf *k = mem_zalloc(n->keys->n, sizeof(*k));
	size_t i;

	*keys_r = k;
	for (i = 0; i < n->keys->n; i++)
		if (expand(r, &n->keys->v[i], &k[i]) < 0)
			return -1;
	return 0;
}

static void
keys_free(const struct sv_node *n, struct buf *k)
{
	size_t i;

	for (i = 0; k && i < n->keys->n; i++)
		buf_free(&k[i]);
	free(k);
}

static int
tv_init(struct tv *tv, struct run *r, const struct sv_node *n)
{
	memset(tv, 0, sizeof(*tv));
	tv->r = r;
	tv->n = n;
	r->m.want_caps = (r->s->caps & SV_CAP_VARIABLES) &&
	    (n->match == SV_M_MATCHES || n->match == SV_M_REGEX);
	return keys_expand(r, n, &tv->keys);
}

/* One value: 1 matched (stop), 0 go on, -1 error. */
static int
tv_value(struct tv *tv, const char *v, size_t len)
{
	const struct sv_node *n = tv->n;
	size_t i;
	int rc;

	if (n->match == SV_M_COUNT) {
		tv->count++;
		return 0;
	}
	for (i = 0; i < n->keys->n; i++) {
		rc = sv_match(&tv->r->m, n, v, len, tv->keys[i].data,
		    tv->keys[i].len, n->re && !n->keys->v[i].vars ? n->re[i] :
		    NULL);
		if (rc < 0)
			return fail_match(tv->r);
		if (rc == 1) {
			tv->matched = 1;
			return 1;
		}
	}
	return 0;
}

/* The verdict after all values: 1, 0 or -1. */
static int
tv_done(struct tv *tv)
{
	const struct sv_node *n = tv->n;
	char num[32];
	size_t i;
	int rc = tv->matched;

	if (!tv->r->failed && n->match == SV_M_COUNT) {
		snprintf(num, sizeof(num), "%zu", tv->count);
		for (i = 0; i < n->keys->n && !rc; i++)
			rc = sv_rel_holds(n->rel, sv_compare(n->cmp, num,
			    strlen(num), tv->keys[i].data, tv->keys[i].len));
	}
	keys_free(n, tv->keys);
	return tv->r->failed ? -1 : rc;
}

/* ---- tests ---- */

/* The part of an address wanted: 1 with out set, 0 when there is none. */
static int
addr_part(struct run *r, int part, const char *all, size_t local, int domain,
    struct buf *out)
{
	const char *sc = r->env->conf ? r->env->conf->subaddress_char : "+";
	const char *sep;

	buf_reset(out);
	buf_reserve(out, 0);
	switch (part) {
	case SV_AP_ALL:
		buf_puts(out, all);
		return 1;
	case SV_AP_LOCAL:
		buf_append(out, all, local);
		return 1;
	case SV_AP_DOMAIN:
		if (domain)
			buf_puts(out, all + local + 1);
		return 1;
	}
	sep = sc && sc[0] ? memchr(all, sc[0], local) : NULL;
	if (part == SV_AP_USER) {
		buf_append(out, all, sep ? (size_t)(sep - all) : local);
		return 1;
	}
	if (sep == NULL)
		return 0;
	buf_append(out, sep + 1, local - (size_t)(sep + 1 - all));
	return 1;
}

static int
test_addrs(struct tv *tv, const struct sieve_addrs *l)
{
	struct buf p = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < l->n && rc == 0; i++)
		if (addr_part(tv->r, tv->n->part, l->v[i].all, l->v[i].local,
		    l->v[i].domain, &p))
			rc = tv_value(tv, p.data, p.len);
	buf_free(&p);
	return rc;
}

/*
 * Call fn with the value of every field named in n->names (expanded), in
 * order, until fn returns nonzero (returned) or the run fails (-1).
 * decode: RFC 2047-decode values (the header test).
 */
static int
each_field(struct run *r, const struct sv_node *n, int decode,
    int (*fn)(const char *v, size_t len, void *ctx), void *ctx)
{
	struct buf name = BUF_INIT, v = BUF_INIT;
	uint64_t steps = 0;
	size_t i, pos;
	int rc = 0;

	for (i = 0; i < n->names->n && rc == 0; i++) {
		if (expand(r, &n->names->v[i], &name) < 0) {
			rc = -1;
			break;
		}
		pos = 0;
		while (rc == 0 && sieve_msg_field_next(r->msg, name.data, &pos,
		    decode, &v, &steps)) {
			rc = fn(v.data, v.len, ctx);
			if (sv_charge(&r->m, steps) < 0)
				rc = fail_match(r);
			steps = 0;
		}
	}
	buf_free(&name);
	buf_free(&v);
	return r->failed ? -1 : rc;
}

static int
address_value(const char *v, size_t len, void *ctx)
{
	struct sieve_addrs l = { NULL, 0 };
	int rc;

	sieve_addrs_parse(v, len, &l);
	rc = test_addrs(ctx, &l);
	sieve_addrs_free(&l);
	return rc;
}

static int
header_value(const char *v, size_t len, void *ctx)
{
	return tv_value(ctx, v, len);
}

static int
found(const char *v, size_t len, void *ctx)
{
	(void)v;
	(void)len;
	(void)ctx;
	return 1;
}

static int
test_address(struct run *r, const struct sv_node *n)
{
	struct tv tv;

	if (tv_init(&tv, r, n) == 0)
		(void)each_field(r, n, 0, address_value, &tv);
	return tv_done(&tv);
}

static int
test_header(struct run *r, const struct sv_node *n)
{
	struct tv tv;

	if (tv_init(&tv, r, n) == 0)
		(void)each_field(r, n, 1, header_value, &tv);
	return tv_done(&tv);
}

/* exists: every named field is there. */
static int
test_exists(struct run *r, const struct sv_node *n)
{
	struct sv_node one = *n;
	struct sv_list name;
	size_t i;
	int rc = 1;

	for (i = 0; i < n->names->n && rc == 1; i++) {
		name.v = &n->names->v[i];
		name.n = 1;
		one.names = &name;
		rc = each_field(r, &one, 0, found, NULL);
	}
	return rc;
}

static void
bare(const char *a, struct buf *out)
{
	size_t len = strlen(a);

	buf_reset(out);
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
		buf_append(out, a + 1, len - 2);
	else
		buf_append(out, a, len);
}

static int
test_envelope(struct run *r, const struct sv_node *n)
{
	struct buf name = BUF_INIT, a = BUF_INIT;
	struct sieve_addrs l = { NULL, 0 };
	struct tv tv;
	size_t i;
	int rc = 0;

	if (tv_init(&tv, r, n) < 0)
		goto out;
	for (i = 0; i < n->names->n && rc == 0; i++) {
		if (expand(r, &n->names->v[i], &name) < 0)
			break;
		if (strcasecmp(name.data, "from") == 0)
			bare(r->env->sender ? r->env->sender : "", &a);
		else if (strcasecmp(name.data, "to") == 0)
			bare(r->env->rcpt ? r->env->rcpt : "", &a);
		else
			continue;
		if (a.len == 0) {	/* the null sender: every part is "" */
			struct sieve_addr e = { (char *)"", 0, 0 };
			struct sieve_addrs one = { &e, 1 };

			rc = test_addrs(&tv, &one);
			continue;
		}
		sieve_addrs_parse(a.data, a.len, &l);
		rc = test_addrs(&tv, &l);
		sieve_addrs_free(&l);
	}
out:
	buf_free(&name);
	buf_free(&a);
	return tv_done(&tv);
}

/* One part's text; the parts together are examined up to
 * SIEVE_MSG_BODY_MAX bytes, the rest is not seen. */
static int
body_part(const char *text, size_t len, void *ctx)
{
	struct tv *tv = ctx;

	if (tv->body_seen >= SIEVE_MSG_BODY_MAX)
		return 2;
	if (len > SIEVE_MSG_BODY_MAX - tv->body_seen)
		len = SIEVE_MSG_BODY_MAX - tv->body_seen;
	tv->body_seen += len;
	if (sv_charge(&tv->r->m, len) < 0)
		return fail_match(tv->r);
	return tv_value(tv, text, len);
}

static int
test_body(struct run *r, const struct sv_node *n)
{
	struct buf *types = NULL;
	const char **tp = NULL;
	size_t i, nt = n->types ? n->types->n : 0;
	struct tv tv;

	if (tv_init(&tv, r, n) < 0)
		return tv_done(&tv);
	types = mem_zalloc(nt + 1, sizeof(*types));
	tp = mem_zalloc(nt + 1, sizeof(*tp));
	for (i = 0; i < nt; i++) {
		if (expand(r, &n->types->v[i], &types[i]) < 0)
			break;
		tp[i] = buf_cstr(&types[i]);
	}
	if (!r->failed)
		(void)sieve_msg_body(r->msg, n->transform, tp, nt, body_part, &tv);
	for (i = 0; i < nt; i++)
		buf_free(&types[i]);
	free(types);
	free(tp);
	return tv_done(&tv);
}

/* Call fn for each space-separated word of s[0..len). */
static int
each_word(const char *s, size_t len, int (*fn)(const char *w, size_t n,
    void *ctx), void *ctx)
{
	size_t i = 0, j;
	int rc;

	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		for (j = i; j < len && s[j] != ' '; j++)
			;
		if (j > i && (rc = fn(s + i, j - i, ctx)) != 0)
			return rc;
		i = j;
	}
	return 0;
}

static int
flag_value(const char *w, size_t n, void *ctx)
{
	return tv_value(ctx, w, n);
}

static int
test_hasflag(struct run *r, const struct sv_node *n)
{
	struct tv tv;
	struct var *v;
	size_t i;
	int rc = 0;

	if (tv_init(&tv, r, n) < 0)
		return tv_done(&tv);
	if (n->names == NULL)
		rc = each_word(r->flags.data, r->flags.len, flag_value, &tv);
	for (i = 0; n->names && i < n->names->n && rc == 0; i++) {
		v = var_find(r, n->names->v[i].s, n->names->v[i].len);
		if (v)
			rc = each_word(v->val.data, v->val.len, flag_value, &tv);
	}
	return tv_done(&tv);
}

static int
test_string(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	struct tv tv;
	size_t i;
	int rc = 0;

	if (tv_init(&tv, r, n) < 0)
		goto out;
	for (i = 0; i < n->names->n && rc == 0; i++) {
		if (expand(r, &n->names->v[i], &v) < 0)
			break;
		if (n->match == SV_M_COUNT && v.len == 0)
			continue;	/* :count counts non-empty strings */
		rc = tv_value(&tv, v.data, v.len);
	}
out:
	buf_free(&v);
	return tv_done(&tv);
}

/* currentdate (RFC 5260): the date part now, local time or :zone. */
static int
test_currentdate(struct run *r, const struct sv_node *n)
{
	struct buf part = BUF_INIT, zone = BUF_INIT, v = BUF_INIT;
	time_t now = r->env->now ? r->env->now : time(NULL);
	struct tm tm;
	long off = 0;
	struct tv tv;

	if (tv_init(&tv, r, n) < 0)
		goto out;
	if (expand(r, &n->names->v[0], &part) < 0)
		goto out;
	if (n->zone) {
		if (expand(r, n->zone, &zone) < 0)
			goto out;
		if (sieve_zone_offset(buf_cstr(&zone), &off) < 0)
			goto out;	/* RFC 5260: a bad zone fails the test */
	} else if (localtime_r(&now, &tm) != NULL) {
		off = tm.tm_gmtoff;
	}
	if (sieve_date_part(buf_cstr(&part), now, off, &v) < 0)
		goto out;	/* an unknown part from a variable: false */
	(void)tv_value(&tv, v.data, v.len);
out:
	buf_free(&part);
	buf_free(&zone);
	buf_free(&v);
	return tv_done(&tv);
}

static int
test_mailboxexists(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	size_t i;
	int rc = 1;

	for (i = 0; i < n->names->n && rc == 1; i++) {
		if (expand(r, &n->names->v[i], &v) < 0) {
			rc = -1;
			break;
		}
		if (mbox_name_check(v.data, NULL) < 0)
			rc = 0;
		else if (r->env->mailbox_exists)
			rc = r->env->mailbox_exists(v.data, r->env->ctx);
		if (rc < 0)
			fail(r, "mailboxexists: cannot read the folder list");
	}
	buf_free(&v);
	return rc;
}

static int
test(struct run *r, const struct sv_node *n)
{
	size_t i;
	int rc;

	r->at = n;
	switch (n->id) {
	case SV_TRUE: return 1;
	case SV_FALSE: return 0;
	case SV_NOT:
		rc = test(r, &n->tests[0]);
		return rc < 0 ? -1 : !rc;
	case SV_ALLOF: case SV_ANYOF:
		for (i = 0; i < n->ntests; i++) {
			rc = test(r, &n->tests[i]);
			if (rc < 0)
				return -1;
			if (rc == (n->id == SV_ANYOF))
				return rc;
		}
		return n->id == SV_ALLOF;
	case SV_SIZE:
		return n->over == 1 ? sieve_msg_size(r->msg) > n->num :
		    sieve_msg_size(r->msg) < n->num;
	case SV_ADDRESS: return test_address(r, n);
	case SV_ENVELOPE: return test_envelope(r, n);
	case SV_HEADER: return test_header(r, n);
	case SV_EXISTS: return test_exists(r, n);
	case SV_BODY: return test_body(r, n);
	case SV_HASFLAG: return test_hasflag(r, n);
	case SV_STRING: return test_string(r, n);
	case SV_MAILBOXEXISTS: return test_mailboxexists(r, n);
	case SV_CURRENTDATE: return test_currentdate(r, n);
	}
	return fail(r, "unknown test");
}

/* ---- flags (RFC 5232) ---- */

static const char *const sysflags[] = { "\\Seen", "\\Answered", "\\Flagged",
	"\\Deleted", "\\Draft" };

/* The canonical form of flag w[0..n) into out: 1, or 0 when invalid. */
static int
flag_canon(const char *w, size_t n, struct buf *out)
{
	size_t i;

	buf_reset(out);
	if (n == 0 || n > 128)
		return 0;
	if (w[0] == '\\') {
		for (i = 0; i < 5; i++)
			if (strlen(sysflags[i]) == n &&
			    strncasecmp(sysflags[i], w, n) == 0) {
				buf_puts(out, sysflags[i]);
				return 1;
			}
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] <= 0x20 || (unsigned char)w[i] >= 0x7f ||
		    strchr("(){%*\"\\]", w[i]))
			return 0;
	buf_append(out, w, n);
	return 1;
}

static int
flags_has(const struct buf *set, const char *w, size_t n)
{
	const char *s = buf_cstr(set), *p = s;
	size_t len;

	while (*p) {
		len = strcspn(p, " ");
		if (len == n && strncasecmp(p, w, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

struct flagop {
	struct buf *set;
	int	 remove;
	size_t	 count;
};

static int
flag_add(const char *w, size_t n, void *ctx)
{
	struct flagop *op = ctx;
	struct buf c = BUF_INIT;

	if (flag_canon(w, n, &c) && !flags_has(op->set, c.data, c.len) &&
	    op->count < SIEVE_FLAGS_MAX) {
		if (op->set->len > 0)
			buf_putc(op->set, ' ');
		buf_append(op->set, c.data, c.len);
		op->count++;
	}
	buf_free(&c);
	return 0;
}

static size_t
words(const struct buf *b)
{
	const char *p = buf_cstr(b);
	size_t n = 0;

	while (*p) {
		while (*p == ' ')
			p++;
		if (*p)
			n++;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

/* Remove every word of set equal (any case) to w[0..n). */
static int
flag_remove(const char *w, size_t n, void *ctx)
{
	struct flagop *op = ctx;
	struct buf out = BUF_INIT;
	const char *p = buf_cstr(op->set);
	size_t len;

	while (*p) {
		len = strcspn(p, " ");
		if (len > 0 && !(len == n && strncasecmp(p, w, n) == 0)) {
			if (out.len > 0)
				buf_putc(&out, ' ');
			buf_append(&out, p, len);
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	buf_reset(op->set);
	buf_append(op->set, out.data, out.len);
	buf_free(&out);
	return 0;
}

/* Apply the expanded flag list of n to set (setflag replaces). */
static int
flags_apply(struct run *r, const struct sv_list *l, int id, struct buf *set)
{
	struct flagop op = { set, 0, 0 };
	struct buf v = BUF_INIT;
	size_t i;

	if (id == SV_SETFLAG)
		buf_reset(set);
	op.count = words(set);
	for (i = 0; i < l->n; i++) {
		if (expand(r, &l->v[i], &v) < 0)
			break;
		each_word(v.data, v.len, id == SV_REMOVEFLAG ? flag_remove :
		    flag_add, &op);
	}
	buf_free(&v);
	return r->failed ? -1 : 0;
}

static int
cmd_flags(struct run *r, const struct sv_node *n)
{
	struct buf set = BUF_INIT;
	struct var *v;
	int rc;

	if (n->names == NULL)
		return flags_apply(r, n->keys, n->id, &r->flags);
	v = var_find(r, n->names->v[0].s, n->names->v[0].len);
	if (v)
		buf_append(&set, v->val.data, v->val.len);
	rc = flags_apply(r, n->keys, n->id, &set);
	if (rc == 0)
		rc = var_set(r, n->names->v[0].s, buf_cstr(&set), set.len);
	buf_free(&set);
	return rc;
}

/* ---- actions ---- */

static struct sieve_action *
action(struct run *r, int kind)
{
	struct sieve_result *res = r->res;
	struct sieve_action *a;

	if (r->nactions >= SIEVE_ACTIONS_MAX) {
		fail(r, "more than SIEVE_ACTIONS_MAX (%d) actions",
		    SIEVE_ACTIONS_MAX);
		return NULL;
	}
	r->nactions++;
	res->v = mem_realloc(res->v, res->n + 1, sizeof(*res->v));
	a = &res->v[res->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->line = r->at ? r->at->line : 0;
	a->col = r->at ? r->at->col : 0;
	return a;
}

static int
has_kind(const struct run *r, int kind)
{
	size_t i;

	for (i = 0; i < r->res->n; i++)
		if (r->res->v[i].kind == kind)
			return 1;
	return 0;
}

/* reject is incompatible with storing, redirecting and vacation. */
static int
conflicts(struct run *r, int kind)
{
	int rej = has_kind(r, SIEVE_REJECT);

	if (kind == SIEVE_REJECT && (rej || has_kind(r, SIEVE_KEEP) ||
	    has_kind(r, SIEVE_FILEINTO) || has_kind(r, SIEVE_REDIRECT) ||
	    has_kind(r, SIEVE_VACATION)))
		return fail(r, "reject cannot be combined with keep, fileinto, "
		    "redirect, vacation or another reject");
	if (kind != SIEVE_REJECT && kind != SIEVE_DISCARD && rej)
		return fail(r, "reject cannot be combined with keep, fileinto, "
		    "redirect or vacation");
	if (kind == SIEVE_VACATION && has_kind(r, SIEVE_VACATION))
		return fail(r, "vacation may be executed once");
	return 0;
}

/* Split a flag set into the action's list. */
static void
action_flags(struct sieve_action *a, const struct buf *set)
{
	const char *p = buf_cstr(set);
	size_t len;

	while (*p) {
		len = strcspn(p, " ");
		if (len > 0) {
			a->flags = mem_realloc(a->flags, a->nflags + 1,
			    sizeof(*a->flags));
			a->flags[a->nflags++] = mem_strndup(p, len);
		}
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* keep and fileinto: the :flags given, else the internal variable. */
static int
store_flags(struct run *r, const struct sv_node *n, struct sieve_action *a)
{
	struct buf set = BUF_INIT;
	int rc = 0;

	if (n->flags)
		rc = flags_apply(r, n->flags, SV_SETFLAG, &set);
	action_flags(a, n->flags ? &set : &r->flags);
	buf_free(&set);
	return rc;
}

static int
cmd_keep(struct run *r, const struct sv_node *n)
{
	struct sieve_action *a;

	if (conflicts(r, SIEVE_KEEP) < 0 || (a = action(r, SIEVE_KEEP)) == NULL)
		return -1;
	return store_flags(r, n, a);
}

static int
cmd_fileinto(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	struct sieve_action *a;

	if (expand(r, n->str, &v) < 0 || conflicts(r, SIEVE_FILEINTO) < 0)
		goto fail;
	if (mbox_name_check(v.data, NULL) < 0) {
		fail(r, "fileinto: bad folder name");
		goto fail;
	}
	if ((a = action(r, SIEVE_FILEINTO)) == NULL)
		goto fail;
	a->arg = buf_steal(&v);
	a->create = n->create;
	if (!n->copy)
		r->cancelled = 1;
	return store_flags(r, n, a);
fail:
	buf_free(&v);
	return -1;
}

static int
cmd_redirect(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	struct sieve_action *a;
	size_t i;

	if (expand(r, n->str, &v) < 0 || conflicts(r, SIEVE_REDIRECT) < 0)
		goto fail;
	if (!sv_addr_ok(v.data)) {
		fail(r, "redirect: bad address");
		goto fail;
	}
	if (!n->copy)
		r->cancelled = 1;
	for (i = 0; i < r->res->n; i++)	/* the same address once */
		if (r->res->v[i].kind == SIEVE_REDIRECT &&
		    strcasecmp(r->res->v[i].arg, v.data) == 0) {
			buf_free(&v);
			return 0;
		}
	if (++r->nredirects > SIEVE_REDIRECT_MAX) {
		fail(r, "more than SIEVE_REDIRECT_MAX (%d) redirects",
		    SIEVE_REDIRECT_MAX);
		goto fail;
	}
	if ((a = action(r, SIEVE_REDIRECT)) == NULL)
		goto fail;
	a->arg = buf_steal(&v);
	return 0;
fail:
	buf_free(&v);
	return -1;
}

static int
cmd_reject(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	struct sieve_action *a;

	if (expand(r, n->str, &v) < 0 || conflicts(r, SIEVE_REJECT) < 0 ||
	    (a = action(r, SIEVE_REJECT)) == NULL) {
		buf_free(&v);
		return -1;
	}
	a->arg = buf_steal(&v);
	a->ereject = n->id == SV_EREJECT;
	r->cancelled = 1;
	return 0;
}

static char *
expand_dup(struct run *r, const struct sv_str *s)
{
	struct buf v = BUF_INIT;

	if (s == NULL)
		return NULL;
	if (expand(r, s, &v) < 0) {
		buf_free(&v);
		return NULL;
	}
	return buf_steal(&v);
}

static int
cmd_vacation(struct run *r, const struct sv_node *n)
{
	struct sieve_vacation *v;
	struct sieve_action *a;
	size_t i;

	if (conflicts(r, SIEVE_VACATION) < 0 ||
	    (a = action(r, SIEVE_VACATION)) == NULL)
		return -1;
	v = a->vacation = mem_zalloc(1, sizeof(*v));
	v->days = n->has_num ? n->num : 0;
	v->mime = n->mime;
	v->subject = expand_dup(r, n->subject);
	v->from = expand_dup(r, n->from);
	v->handle = expand_dup(r, n->handle);
	v->reason = expand_dup(r, n->str);
	if (n->addresses) {
		v->addresses = mem_zalloc(n->addresses->n, sizeof(char *));
		for (i = 0; i < n->addresses->n; i++)
			v->addresses[v->naddresses++] = expand_dup(r,
			    &n->addresses->v[i]);
	}
	return r->failed ? -1 : 0;
}

static int
cmd_set(struct run *r, const struct sv_node *n)
{
	struct buf v = BUF_INIT;
	int rc;

	if (expand(r, n->value, &v) < 0) {
		buf_free(&v);
		return -1;
	}
	apply_mods(n->mods, &v);
	rc = var_set(r, n->str->s, v.data, v.len);
	buf_free(&v);
	return rc;
}

static int run_block(struct run *r, const struct sv_node *v, size_t n);

static int
command(struct run *r, const struct sv_node *n)
{
	r->at = n;
	switch (n->id) {
	case SV_REQUIRE: return 0;
	case SV_STOP: r->stopped = 1; return 0;
	case SV_KEEP: return cmd_keep(r, n);
	case SV_DISCARD:
		if (action(r, SIEVE_DISCARD) == NULL)
			return -1;
		r->cancelled = 1;
		return 0;
	case SV_REDIRECT: return cmd_redirect(r, n);
	case SV_FILEINTO: return cmd_fileinto(r, n);
	case SV_REJECT: case SV_EREJECT: return cmd_reject(r, n);
	case SV_VACATION: return cmd_vacation(r, n);
	case SV_SETFLAG: case SV_ADDFLAG: case SV_REMOVEFLAG:
		return cmd_flags(r, n);
	case SV_SET: return cmd_set(r, n);
	}
	return fail(r, "unknown command");
}

static int
run_block(struct run *r, const struct sv_node *v, size_t n)
{
	size_t i;
	int taken = 0, rc;

	for (i = 0; i < n && !r->stopped; i++) {
		if (v[i].id == SV_IF || v[i].id == SV_ELSIF || v[i].id == SV_ELSE) {
			if (v[i].id == SV_IF)
				taken = 0;
			if (taken)
				continue;
			if (v[i].id != SV_ELSE) {
				rc = test(r, &v[i].tests[0]);
				if (rc < 0)
					return -1;
				if (rc == 0)
					continue;
			}
			taken = 1;
			if (run_block(r, v[i].block, v[i].nblock) < 0)
				return -1;
			continue;
		}
		if (command(r, &v[i]) < 0)
			return -1;
	}
	return 0;
}

static void
action_free(struct sieve_action *a)
{
	size_t i;

	free(a->arg);
	for (i = 0; i < a->nflags; i++)
		free(a->flags[i]);
	free(a->flags);
	if (a->vacation) {
		free(a->vacation->subject);
		free(a->vacation->from);
		free(a->vacation->handle);
		free(a->vacation->reason);
		for (i = 0; i < a->vacation->naddresses; i++)
			free(a->vacation->addresses[i]);
		free(a->vacation->addresses);
		free(a->vacation);
	}
}

void
sieve_result_free(struct sieve_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		action_free(&r->v[i]);
	free(r->v);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

int
sieve_run(const struct sieve_script *s, const struct sieve_env *env,
    struct sieve_result *res)
{
	struct sieve_action *a;
	struct run r;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.env = env;
	r.res = res;
	r.msg = env->view ? env->view : sieve_msg_new(env->msg, env->msg_len);
	if (run_block(&r, s->cmds, s->n) < 0 || r.failed) {
		for (i = 0; i < res->n; i++)
			action_free(&res->v[i]);
		res->n = 0;
		r.cancelled = 0;
		buf_reset(&r.flags);
		res->error = r.why ? r.why : mem_strdup("1:1: run failed");
		r.why = NULL;
	}
	if (!r.cancelled && !has_kind(&r, SIEVE_KEEP)) {
		res->v = mem_realloc(res->v, res->n + 1, sizeof(*res->v));
		a = &res->v[res->n++];
		memset(a, 0, sizeof(*a));
		a->kind = SIEVE_KEEP;
		action_flags(a, &r.flags);
		res->implicit_keep = 1;
	}
	for (i = 0; i < r.nvars; i++)
		buf_free(&r.vars[i].val);
	free(r.vars);
	free(r.why);
	buf_free(&r.flags);
	sv_match_free(&r.m);
	if (env->view == NULL)
		sieve_msg_free(r.msg);
	return res->error ? -1 : 0;
}
