/*
 * fetch - FETCH and UID FETCH.
 *
 * ENVELOPE, BODYSTRUCTURE, BODY, section offsets and the common header
 * fields come from the cache record written at delivery (mime.h view of
 * the CACHE_MIME field) without opening the message; FLAGS, UID,
 * INTERNALDATE, RFC822.SIZE and MODSEQ from the index record. Message
 * bytes leave with netio_sendfile(). A record whose cache has no MIME
 * field is parsed from its file (then the same view is used).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "buf.h"
#include "cache.h"
#include "folder.h"
#include "imapd.h"
#include "log.h"
#include "mem.h"
#include "mime.h"
#include "netio.h"
#include "seen.h"

enum att_kind {
	A_UID, A_FLAGS, A_INTERNALDATE, A_SIZE, A_ENVELOPE, A_BODY,
	A_BODYSTRUCTURE, A_MODSEQ, A_SECTION, A_BINARY, A_BINARY_SIZE,
	A_RFC822, A_RFC822_HEADER, A_RFC822_TEXT
};

enum spec { SP_ALL, SP_HEADER, SP_FIELDS, SP_FIELDS_NOT, SP_TEXT, SP_MIME };

#define FIELDS_MAX	100

struct att {
	int	 kind;
	int	 peek;
	char	 part[64];		/* "1.2", or "" */
	int	 spec;
	char	*fields[FIELDS_MAX];
	size_t	 nfields;
	int	 partial;
	uint64_t off, len;
	struct buf label;		/* "BODY[HEADER.FIELDS (A B)]" */
};

struct fetch {
	struct att atts[IMAP_FETCH_ATTS_MAX];
	size_t	 n;
	int	 need_cache, need_file, sets_seen;
	int	 has_flags, has_uid, has_modseq;
	uint64_t changedsince;
	int	 vanished;
};

/* ---- parsing ---- */

static int
parse_fields(struct sess *s, struct att *a)
{
	struct buf f = BUF_INIT;
	int rc = -1;

	if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if ((a->nfields && rd_sp(&s->rd) < 0) || rd_astring(&s->rd, &f) < 0)
			goto out;
		if (a->nfields == FIELDS_MAX || f.len == 0 ||
		    strpbrk(f.data, ": \t") != NULL) {
			rd_fail(&s->rd, RD_BAD, "bad header field list");
			goto out;
		}
		a->fields[a->nfields++] = buf_steal(&f);
	}
	rc = rd_close(&s->rd);
out:
	buf_free(&f);
	return rc;
}

static int
part_char(int c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

/* "[" section "]" with the label built as we go. */
static int
parse_section(struct sess *s, struct att *a, int binary)
{
	struct rd *r = &s->rd;
	struct buf w = BUF_INIT;
	size_t n = 0, i;
	int rc = -1;

	if (rd_char(r, '[') < 0)
		goto out;
	while (part_char(rd_peek(r))) {
		int c = rd_peek(r);

		if (c == '.' && !(r->pos + 1 < r->line.len &&
		    r->line.data[r->pos + 1] >= '0' && r->line.data[r->pos + 1] <= '9'))
			break;
		if (n + 1 >= sizeof(a->part))
			goto out;
		a->part[n++] = (char)c;
		r->pos++;
	}
	a->part[n] = '\0';
	if (n && (a->part[0] == '0' || a->part[0] == '.' || strstr(a->part, "..") ||
	    strstr(a->part, ".0") || a->part[n - 1] == '.'))
		goto bad;
	buf_puts(&a->label, a->part);
	if (rd_peek(r) != ']') {
		if (n && rd_char(r, '.') < 0)
			goto out;
		if (binary)
			goto bad;
		if (rd_atom(r, &w) < 0)
			goto out;
		if (n)
			buf_putc(&a->label, '.');
		if (strcasecmp(w.data, "HEADER") == 0)
			a->spec = SP_HEADER;
		else if (strcasecmp(w.data, "TEXT") == 0)
			a->spec = SP_TEXT;
		else if (strcasecmp(w.data, "MIME") == 0 && n)
			a->spec = SP_MIME;
		else if (strcasecmp(w.data, "HEADER.FIELDS") == 0)
			a->spec = SP_FIELDS;
		else if (strcasecmp(w.data, "HEADER.FIELDS.NOT") == 0)
			a->spec = SP_FIELDS_NOT;
		else
			goto bad;
		for (i = 0; i < w.len; i++)
			w.data[i] = (char)(w.data[i] >= 'a' && w.data[i] <= 'z' ?
			    w.data[i] - 32 : w.data[i]);
		buf_puts(&a->label, w.data);
		if (a->spec == SP_FIELDS || a->spec == SP_FIELDS_NOT) {
			if (parse_fields(s, a) < 0)
				goto out;
			buf_puts(&a->label, " (");
			for (i = 0; i < a->nfields; i++)
				buf_printf(&a->label, "%s%s", i ? " " : "",
				    a->fields[i]);
			buf_putc(&a->label, ')');
		}
	}
	if (rd_char(r, ']') < 0)
		goto out;
	buf_putc(&a->label, ']');
	rc = 0;
	goto out;
bad:
	rd_fail(r, RD_BAD, "bad section");
out:
	buf_free(&w);
	return rc;
}

static int
parse_partial(struct sess *s, struct att *a)
{
	if (rd_peek(&s->rd) != '<')
		return 0;
	s->rd.pos++;
	if (rd_number(&s->rd, UINT32_MAX, &a->off) < 0 ||
	    rd_char(&s->rd, '.') < 0 ||
	    rd_number(&s->rd, UINT32_MAX, &a->len) < 0 || a->len == 0 ||
	    rd_char(&s->rd, '>') < 0)
		return rd_fail(&s->rd, RD_BAD, "bad partial");
	a->partial = 1;
	return 0;
}

static void
att_free(struct att *a)
{
	size_t i;

	for (i = 0; i < a->nfields; i++)
		free(a->fields[i]);
	buf_free(&a->label);
}

static struct att *
new_att(struct fetch *fx, int kind)
{
	struct att *a;

	if (fx->n == IMAP_FETCH_ATTS_MAX)
		return NULL;
	a = &fx->atts[fx->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

static int
parse_att(struct sess *s, struct fetch *fx)
{
	static const struct { const char *name; int kind; } simple[] = {
		{ "UID", A_UID }, { "FLAGS", A_FLAGS },
		{ "INTERNALDATE", A_INTERNALDATE }, { "RFC822.SIZE", A_SIZE },
		{ "ENVELOPE", A_ENVELOPE }, { "BODYSTRUCTURE", A_BODYSTRUCTURE },
		{ "MODSEQ", A_MODSEQ }, { "RFC822", A_RFC822 },
		{ "RFC822.HEADER", A_RFC822_HEADER },
		{ "RFC822.TEXT", A_RFC822_TEXT },
	};
	struct rd *r = &s->rd;
	struct buf w = BUF_INIT;
	struct att *a;
	size_t start = r->pos, i;
	int rc = -1;

	while (r->pos < r->line.len && strchr(" ()[<", r->line.data[r->pos]) == NULL)
		r->pos++;
	buf_append(&w, r->line.data + start, r->pos - start);
	if (w.len == 0) {
		rd_fail(r, RD_BAD, "expected a FETCH item");
		goto out;
	}
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strcasecmp(w.data, simple[i].name) == 0) {
			if ((a = new_att(fx, simple[i].kind)) == NULL)
				goto toomany;
			rc = 0;
			goto out;
		}
	if (strcasecmp(w.data, "BODY") == 0 && rd_peek(r) != '[') {
		if ((a = new_att(fx, A_BODY)) == NULL)
			goto toomany;
		rc = 0;
		goto out;
	}
	if ((a = new_att(fx, A_SECTION)) == NULL)
		goto toomany;
	if (strcasecmp(w.data, "BODY") == 0 || strcasecmp(w.data, "BODY.PEEK") == 0) {
		a->peek = w.len > 4;
		buf_puts(&a->label, "BODY[");
		if (parse_section(s, a, 0) < 0 || parse_partial(s, a) < 0)
			goto out;
	} else if (strcasecmp(w.data, "BINARY") == 0 ||
	    strcasecmp(w.data, "BINARY.PEEK") == 0) {
		a->kind = A_BINARY;
		a->peek = w.len > 6;
		buf_puts(&a->label, "BINARY[");
		if (parse_section(s, a, 1) < 0 || parse_partial(s, a) < 0)
			goto out;
	} else if (strcasecmp(w.data, "BINARY.SIZE") == 0) {
		a->kind = A_BINARY_SIZE;
		buf_puts(&a->label, "BINARY.SIZE[");
		if (parse_section(s, a, 1) < 0)
			goto out;
	} else {
		rd_fail(r, RD_BAD, "unknown FETCH item");
		goto out;
	}
	rc = 0;
	goto out;
toomany:
	rd_fail(r, RD_BAD, "too many FETCH items");
out:
	buf_free(&w);
	return rc;
}

static int
parse_atts(struct sess *s, struct fetch *fx)
{
	static const int all[] = { A_FLAGS, A_INTERNALDATE, A_SIZE, A_ENVELOPE,
	    A_BODY };
	struct rd *r = &s->rd;
	size_t save = r->pos, n = 0, i;
	struct buf w = BUF_INIT;
	int k = 0;

	if (rd_peek(r) != '(') {
		if (rd_atom(r, &w) == 0) {
			if (strcasecmp(w.data, "ALL") == 0)
				n = 4;
			else if (strcasecmp(w.data, "FAST") == 0)
				n = 3;
			else if (strcasecmp(w.data, "FULL") == 0)
				n = 5;
		}
		buf_free(&w);
		if (n) {
			for (i = 0; i < n; i++)
				(void)new_att(fx, all[i]);
			return 0;
		}
		r->err = RD_OK;
		r->msg = NULL;
		r->pos = save;
		return parse_att(s, fx);
	}
	if (rd_open(r) < 0)
		return -1;
	while (rd_peek(r) != ')') {
		if ((k++ && rd_sp(r) < 0) || parse_att(s, fx) < 0)
			return -1;
	}
	return rd_close(r);
}

/* ---- data ---- */

struct msgdata {
	struct buf	 payload;
	struct mime_view view;
	struct mime_info info;		/* when parsed from the file */
	int		 have_view, parsed;
	int		 fd;
	char		*map;
	size_t		 maplen;
};

static void
md_reset(struct msgdata *md)
{
	if (md->parsed)
		mime_info_free(&md->info);
	if (md->map)
		munmap(md->map, md->maplen);
	if (md->fd >= 0)
		close(md->fd);
	md->parsed = md->have_view = 0;
	md->map = NULL;
	md->fd = -1;
	buf_reset(&md->payload);
}

static int
md_file(struct sess *s, struct msgdata *md, const struct msgrec *r)
{
	char *why = NULL;

	if (md->fd >= 0)
		return 0;
	md->fd = folder_open_message(s->sel->f, r->uid, &why);
	if (md->fd < 0) {
		log_event(LOG_ERR, "message_missing", "user", s->user.name, "error",
		    why, NULL);
		free(why);
		return -1;
	}
	return 0;
}

static int
md_view(struct sess *s, struct msgdata *md, const struct msgrec *r)
{
	const void *p;
	size_t len;

	if (md->have_view)
		return 0;
	if (folder_cache(s->sel->f, r, &md->payload, NULL) == 1 &&
	    cache_field(md->payload.data, md->payload.len, CACHE_MIME, &p,
	    &len) == 1 && mime_info_decode(p, len, &md->view) == 0) {
		md->have_view = 1;
		return 0;
	}
	/* No usable cache entry: parse the message now. */
	if (md_file(s, md, r) < 0)
		return -1;
	md->maplen = (size_t)r->size;
	if (md->maplen) {
		md->map = mmap(NULL, md->maplen, PROT_READ, MAP_PRIVATE, md->fd, 0);
		if (md->map == MAP_FAILED) {
			md->map = NULL;
			return -1;
		}
	}
	if (mime_parse(md->map ? md->map : "", md->maplen, &md->info) < 0) {
		mime_info_free(&md->info);
		return -1;
	}
	md->parsed = 1;
	md->view = md->info.view;
	md->have_view = 1;
	return 0;
}

static void
write_date(struct sess *s, const struct msgrec *r)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(r->internaldate + (int64_t)r->tzoff * 60);
	int z = r->tzoff < 0 ? -r->tzoff : r->tzoff;
	struct tm tm;

	gmtime_r(&t, &tm);
	netio_printf(s->n, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"",
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, r->tzoff < 0 ? '-' : '+', z / 60, z % 60);
}

static void
write_mstr(struct sess *s, const struct mime_str *m)
{
	if (m->s == NULL)
		netio_puts(s->n, "NIL");
	else
		netio_write(s->n, m->s, m->len);
}

/* Where a section's bytes are: in the file, or generated into buf. */
struct range {
	int	 nil;
	int	 generated;
	uint64_t off, len;
	int	 enc;			/* for BINARY */
	int	 leaf;
};

static int
read_file_range(struct sess *s, struct msgdata *md, const struct msgrec *r,
    uint64_t off, uint64_t len, struct buf *out)
{
	ssize_t got;

	if (md_file(s, md, r) < 0)
		return -1;
	buf_reserve(out, (size_t)len);
	got = pread(md->fd, out->data + out->len, (size_t)len, (off_t)off);
	if (got != (ssize_t)len)
		return -1;
	out->len += (size_t)len;
	out->data[out->len] = '\0';
	return 0;
}

/* Header fields of a header block at [off, off+len) of the file. */
static int
fields_of(struct sess *s, struct msgdata *md, const struct msgrec *r,
    const struct att *a, uint64_t off, uint64_t len, struct buf *out)
{
	struct buf hdr = BUF_INIT;
	int rc;

	if (a->spec == SP_FIELDS && off == 0 && md->have_view &&
	    !(md->view.flags & MIME_F_FIELDS_PARTIAL)) {
		size_t i;

		for (i = 0; i < a->nfields; i++)
			if (!mime_field_cached(a->fields[i], strlen(a->fields[i])))
				break;
		if (i == a->nfields) {
			mime_header_fields(md->view.fields.s, md->view.fields.len,
			    (const char *const *)a->fields, a->nfields, 0, out);
			return 0;
		}
	}
	rc = read_file_range(s, md, r, off, len, &hdr);
	if (rc == 0)
		mime_header_fields(hdr.data, hdr.len,
		    (const char *const *)a->fields, a->nfields,
		    a->spec == SP_FIELDS_NOT, out);
	buf_free(&hdr);
	return rc;
}

static int
section_range(struct sess *s, struct msgdata *md, const struct msgrec *r,
    const struct att *a, struct range *rg, struct buf *gen)
{
	struct mime_part p;
	uint64_t hoff = 0, hlen = r->header_len, boff, blen;

	memset(rg, 0, sizeof(*rg));
	rg->leaf = 1;
	if (a->part[0] == '\0') {
		if (a->spec == SP_ALL) {
			rg->len = r->size;
			return 0;
		}
		if (md_view(s, md, r) < 0)
			return -1;
		hlen = md->view.header_len;
		boff = hlen;
		blen = r->size - hlen;
	} else {
		if (md_view(s, md, r) < 0)
			return -1;
		if (!mime_view_find(&md->view, a->part, strlen(a->part), &p)) {
			rg->nil = 1;
			return 0;
		}
		rg->enc = p.encoding;
		rg->leaf = p.kind == MIME_KIND_LEAF;
		if (a->spec == SP_ALL) {
			rg->off = p.body_off;
			rg->len = p.body_len;
			return 0;
		}
		if (a->spec == SP_MIME) {
			rg->off = p.hdr_off;
			rg->len = p.hdr_len;
			return 0;
		}
		if (p.kind != MIME_KIND_MESSAGE) {
			rg->nil = 1;
			return 0;
		}
		hoff = p.inner_hdr_off;
		hlen = p.inner_hdr_len;
		boff = p.inner_body_off;
		blen = p.inner_body_len;
	}
	switch (a->spec) {
	case SP_HEADER:
		rg->off = hoff;
		rg->len = hlen;
		return 0;
	case SP_TEXT:
		rg->off = boff;
		rg->len = blen;
		return 0;
	default:
		rg->generated = 1;
		if (fields_of(s, md, r, a, hoff, hlen, gen) < 0)
			return -1;
		rg->len = gen->len;
		return 0;
	}
}

/* ---- one message ---- */

static void
write_literal_range(struct sess *s, struct msgdata *md, const struct msgrec *r,
    const struct att *a, const struct range *rg, const struct buf *gen,
    int binary)
{
	uint64_t off = 0, len = rg->len;

	if (a->partial) {
		off = a->off < len ? a->off : len;
		len = len - off < a->len ? len - off : a->len;
	}
	netio_puts(s->n, a->label.data);
	if (a->partial)
		netio_printf(s->n, "<%llu>", (unsigned long long)a->off);
	if (rg->nil) {
		netio_puts(s->n, " NIL");
		return;
	}
	if (rg->generated) {
		int nul = binary && memchr(gen->data + off, '\0', (size_t)len);

		netio_printf(s->n, " %s{%llu}\r\n", nul ? "~" : "",
		    (unsigned long long)len);
		netio_write(s->n, gen->data + off, (size_t)len);
		return;
	}
	netio_printf(s->n, " {%llu}\r\n", (unsigned long long)len);
	if (len == 0)
		return;
	if (md_file(s, md, r) < 0 ||
	    netio_sendfile(s->n, md->fd, (off_t)(rg->off + off), len) < 0) {
		/* The literal is promised: a short message cannot be served. */
		log_event(LOG_ERR, "fetch_send_failed", "user", s->user.name,
		    "error", netio_why(s->n), NULL);
		_exit(1);
	}
}

static int
write_section(struct sess *s, struct msgdata *md, const struct msgrec *r,
    const struct att *a)
{
	struct buf gen = BUF_INIT, raw = BUF_INIT;
	struct range rg;
	int binary = a->kind != A_SECTION, rc = 0;

	if (section_range(s, md, r, a, &rg, &gen) < 0) {
		rc = -1;
		goto out;
	}
	if (binary && !rg.nil && !rg.generated && a->part[0]) {
		if (!rg.leaf) {
			rc = -2;
			goto out;
		}
		if (read_file_range(s, md, r, rg.off, rg.len, &raw) < 0 ||
		    mime_decode(rg.enc, raw.data ? raw.data : "", raw.len, &gen) < 0) {
			rc = -2;
			goto out;
		}
		rg.generated = 1;
		rg.len = gen.len;
	}
	if (a->kind == A_BINARY_SIZE) {
		netio_printf(s->n, "%s %llu", a->label.data,
		    (unsigned long long)rg.len);
		goto out;
	}
	if (binary && !rg.generated && !rg.nil) {
		if (read_file_range(s, md, r, rg.off, rg.len, &gen) < 0) {
			rc = -1;
			goto out;
		}
		rg.generated = 1;
	}
	write_literal_range(s, md, r, a, &rg, &gen, binary);
out:
	buf_free(&gen);
	buf_free(&raw);
	return rc;
}

static int
write_simple_range(struct sess *s, struct msgdata *md, const struct msgrec *r,
    const char *label, uint64_t off, uint64_t len)
{
	netio_printf(s->n, "%s {%llu}\r\n", label, (unsigned long long)len);
	if (len && (md_file(s, md, r) < 0 ||
	    netio_sendfile(s->n, md->fd, (off_t)off, len) < 0)) {
		log_event(LOG_ERR, "fetch_send_failed", "user", s->user.name,
		    NULL);
		_exit(1);
	}
	return 0;
}

/* Set \Seen for a fetch that reads the body; 1 when it changed. */
static int
implicit_seen(struct sess *s, uint32_t vseq, struct msgrec *r)
{
	struct sel *sel = s->sel;
	char *why = NULL;

	if (sel->readonly || !(sel->rights & ACL_S))
		return 0;
	if (sel->peruser) {
		if (seen_has(&sel->seen, r->uid))
			return 0;
		seen_mark(&sel->seen, r->uid, 1);
		return 1;
	}
	if (r->flags & MSG_SEEN)
		return 0;
	if (folder_store(sel->f, vseq, MSG_SEEN, 0, 0, 0, 0, r, &why) < 0) {
		log_event(LOG_ERR, "store_failed", "error", why, NULL);
		free(why);
		return 0;
	}
	if (r->modseq == sel->modseq_known + 1)
		sel->modseq_known = r->modseq;
	return 1;
}

static int
fetch_one(struct sess *s, struct fetch *fx, struct msgdata *md, uint32_t vseq,
    struct msgrec *r)
{
	size_t i;
	int first = 1, rc = 0, seen_changed = 0;

#define SEP() do { if (!first) netio_puts(s->n, " "); first = 0; } while (0)
	if (fx->need_cache && md_view(s, md, r) < 0)
		return -1;
	if (fx->sets_seen)
		seen_changed = implicit_seen(s, vseq, r);
	netio_printf(s->n, "* %u FETCH (", sel_view_to_client(s, vseq));
	for (i = 0; i < fx->n && rc == 0; i++) {
		const struct att *a = &fx->atts[i];

		SEP();
		switch (a->kind) {
		case A_UID:
			netio_printf(s->n, "UID %u", r->uid);
			break;
		case A_FLAGS:
			netio_puts(s->n, "FLAGS ");
			write_flags(s, r);
			break;
		case A_INTERNALDATE:
			write_date(s, r);
			break;
		case A_SIZE:
			netio_printf(s->n, "RFC822.SIZE %llu",
			    (unsigned long long)r->size);
			break;
		case A_MODSEQ:
			netio_printf(s->n, "MODSEQ (%llu)",
			    (unsigned long long)r->modseq);
			break;
		case A_ENVELOPE:
			netio_puts(s->n, "ENVELOPE ");
			write_mstr(s, &md->view.envelope);
			break;
		case A_BODY:
			netio_puts(s->n, "BODY ");
			write_mstr(s, &md->view.body);
			break;
		case A_BODYSTRUCTURE:
			netio_puts(s->n, "BODYSTRUCTURE ");
			write_mstr(s, &md->view.bodystructure);
			break;
		case A_RFC822:
			rc = write_simple_range(s, md, r, "RFC822", 0, r->size);
			break;
		case A_RFC822_HEADER:
			rc = write_simple_range(s, md, r, "RFC822.HEADER", 0,
			    md->view.header_len);
			break;
		case A_RFC822_TEXT:
			rc = write_simple_range(s, md, r, "RFC822.TEXT",
			    md->view.header_len, r->size - md->view.header_len);
			break;
		default:
			rc = write_section(s, md, r, a);
			break;
		}
	}
	if (seen_changed && !fx->has_flags) {
		SEP();
		netio_puts(s->n, "FLAGS ");
		write_flags(s, r);
	}
	if (fx->has_modseq || fx->changedsince) {
		SEP();
		netio_printf(s->n, "MODSEQ (%llu)", (unsigned long long)r->modseq);
	}
	netio_puts(s->n, ")\r\n");
#undef SEP
	return rc;
}

void
fetch_flags_response(struct sess *s, uint32_t vseq, const struct msgrec *r,
    int with_uid, int with_modseq)
{
	netio_printf(s->n, "* %u FETCH (", sel_view_to_client(s, vseq));
	if (with_uid)
		netio_printf(s->n, "UID %u ", r->uid);
	netio_puts(s->n, "FLAGS ");
	write_flags(s, r);
	if (with_modseq)
		netio_printf(s->n, " MODSEQ (%llu)", (unsigned long long)r->modseq);
	netio_puts(s->n, ")\r\n");
}

static void
classify(struct sess *s, struct fetch *fx)
{
	size_t i;

	for (i = 0; i < fx->n; i++) {
		struct att *a = &fx->atts[i];

		switch (a->kind) {
		case A_UID:
			fx->has_uid = 1;
			break;
		case A_FLAGS:
			fx->has_flags = 1;
			break;
		case A_MODSEQ:
			fx->has_modseq = 1;
			break;
		case A_ENVELOPE: case A_BODY: case A_BODYSTRUCTURE:
		case A_RFC822_HEADER: case A_RFC822_TEXT:
			fx->need_cache = 1;
			break;
		default:
			break;
		}
		if (a->kind == A_RFC822 || a->kind == A_RFC822_TEXT ||
		    ((a->kind == A_SECTION || a->kind == A_BINARY) && !a->peek))
			fx->sets_seen = 1;
	}
	if (s->uid && !fx->has_uid) {
		struct att *a = fx->n < IMAP_FETCH_ATTS_MAX ? &fx->atts[fx->n] : NULL;

		if (a) {
			memmove(fx->atts + 1, fx->atts, fx->n * sizeof(*a));
			memset(&fx->atts[0], 0, sizeof(*a));
			fx->atts[0].kind = A_UID;
			fx->n++;
			fx->has_uid = 1;
		}
	}
	if (fx->has_modseq)
		s->condstore = 1;
}

static int
fetch_modifiers(struct sess *s, struct fetch *fx)
{
	struct buf w = BUF_INIT;
	int rc = -1, n = 0;

	if (rd_sp(&s->rd) < 0 || rd_open(&s->rd) < 0)
		goto out;
	while (rd_peek(&s->rd) != ')') {
		if ((n++ && rd_sp(&s->rd) < 0) || rd_atom(&s->rd, &w) < 0)
			goto out;
		if (strcasecmp(w.data, "CHANGEDSINCE") == 0) {
			if (rd_sp(&s->rd) < 0 || rd_number(&s->rd, UINT64_MAX >> 1,
			    &fx->changedsince) < 0 || fx->changedsince == 0)
				goto out;
			s->condstore = 1;
		} else if (strcasecmp(w.data, "VANISHED") == 0 && s->uid &&
		    s->qresync) {
			fx->vanished = 1;
		} else {
			rd_fail(&s->rd, RD_BAD, "unknown FETCH modifier");
			goto out;
		}
	}
	rc = rd_close(&s->rd);
	if (rc == 0 && fx->vanished && !fx->changedsince)
		rc = rd_fail(&s->rd, RD_BAD, "VANISHED needs CHANGEDSINCE");
out:
	buf_free(&w);
	return rc;
}

struct vctx {
	struct seqset	*set;
	struct uidlist	 uids;
};

static void
vanished_add(uint32_t uid, void *ctx)
{
	struct vctx *v = ctx;

	if (seqset_has(v->set, uid))
		uidlist_add(&v->uids, uid);
}

static void
report_vanished(struct sess *s, struct msgset_iter *it, uint64_t since)
{
	struct vctx v = { &it->set, { NULL, 0, 0 } };
	struct buf set = BUF_INIT;
	int complete;

	if (folder_expunged_since(s->sel->f, since, vanished_add, &v, &complete,
	    NULL) == 0 && v.uids.n) {
		uidlist_format(&v.uids, &set);
		netio_printf(s->n, "* VANISHED (EARLIER) %s\r\n", set.data);
	}
	uidlist_free(&v.uids);
	buf_free(&set);
}

int
cmd_fetch(struct sess *s)
{
	struct fetch *fx = mem_zalloc(1, sizeof(*fx));
	struct buf raw = BUF_INIT;
	struct msgset_iter it;
	struct msgdata md;
	struct msgrec r;
	uint32_t vseq;
	size_t i;
	int rc = -1, got, failed = 0, nobinary = 0;

	memset(&md, 0, sizeof(md));
	md.fd = -1;
	if (rd_sp(&s->rd) < 0 || rd_seqset(&s->rd, &raw) < 0 ||
	    rd_sp(&s->rd) < 0 || parse_atts(s, fx) < 0)
		goto out;
	if (rd_peek(&s->rd) == ' ' && fetch_modifiers(s, fx) < 0)
		goto out;
	if (rd_eol(&s->rd) < 0 || iter_begin(s, raw.data, s->uid, &it) < 0)
		goto out;
	classify(s, fx);
	if (fx->vanished)
		report_vanished(s, &it, fx->changedsince);
	while ((got = iter_next(s, &it, &vseq, &r)) != 0) {
		if (got < 0) {
			failed++;
			continue;
		}
		if (fx->changedsince && r.modseq <= fx->changedsince)
			continue;
		got = fetch_one(s, fx, &md, vseq, &r);
		if (got == -2)
			nobinary = 1;
		else if (got < 0)
			failed++;
		md_reset(&md);
	}
	iter_end(&it);
	(void)sel_save_seen(s);
	rc = 0;
	if (nobinary)
		reply_tagged(s, "NO", "[UNKNOWN-CTE] Cannot decode a part");
	else if (failed)
		reply_tagged(s, "NO", "[SERVERBUG] %d messages could not be read",
		    failed);
	else
		reply_tagged(s, "OK", "Fetch completed");
out:
	md_reset(&md);
	buf_free(&md.payload);
	for (i = 0; i < fx->n; i++)
		att_free(&fx->atts[i]);
	free(fx);
	buf_free(&raw);
	return rc;
}
