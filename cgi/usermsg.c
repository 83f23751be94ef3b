/*
 * usermsg - a POP account's messages in the user interface: the list
 * (newest first, a page at a time), one message (its header fields and
 * text parts as escaped text), its parts, and deleting chosen ones.
 *
 * Nothing of a message is ever active in the interface's own pages:
 * text parts are shown as text, an HTML part only on a page of its own
 * under a Content-Security-Policy sandbox that allows no script, no
 * form, no plugin and no load from anywhere, and every other part is
 * a download (application/octet-stream, Content-Disposition:
 * attachment) that the browser does not open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cgi.h"
#include "folder.h"
#include "log.h"
#include "mboxlist.h"
#include "mime.h"
#include "msgsum.h"
#include "num.h"
#include "purge.h"
#include "tmpl.h"

#define PAGE_MSGS	50		/* messages on one list page */
#define MSG_SHOW_MAX	(64 * 1024 * 1024)	/* largest message opened */
#define TEXT_SHOW_MAX	(1024 * 1024)	/* text of one part shown */
#define PARTS_MAX	200		/* parts listed of one message */
#define FILENAME_MAX_LEN 120		/* bytes of a download's name */

/* The interface lists the mail of POP accounts only. */
static void
pop_only(struct web *w)
{
	if (w->user.type == ACCT_POP)
		return;
	tmpl_set_bool(w->data, "imap", 1);
	web_page(w, "messages");
}

void
user_messages_page(struct web *w)
{
	uint64_t start = 0;

	pop_only(w);
	(void)num_parse_u64(web_str(w, "start"), UINT32_MAX, &start);
	(void)msglist_folder(w, &w->user, MBOX_INBOX_ID, (uint32_t)start,
	    PAGE_MSGS, w->data);
	web_page(w, "messages");
}

void
user_act_delete(struct web *w)
{
	struct purge_report rep;
	struct buf q = BUF_INIT;
	uint64_t uv;
	uint32_t *uids;
	size_t n;
	char *why = NULL, ds[24];
	int rc;

	pop_only(w);
	if (num_parse_u64(web_str(w, "v"), UINT32_MAX, &uv) < 0)
		web_error(w, 400, "No folder.");
	n = msglist_uids(w, &uids);
	rc = purge_uids(w->store, &w->user, MBOX_INBOX_ID, (uint32_t)uv, uids,
	    n, 0, NULL, NULL, &rep, &why);
	free(uids);
	if (rc < 0) {
		web_log(w, LOG_WARNING, "messages_delete_failed", "reason", why,
		    NULL, NULL);
		web_error(w, errno == ESTALE ? 409 : 503, "The messages could not "
		    "be deleted now.");
	}
	snprintf(ds, sizeof(ds), "%lu", rep.deleted);
	web_log(w, LOG_NOTICE, "messages_delete", "deleted", ds, NULL, NULL);
	buf_printf(&q, "p=messages&done=msgs&n=%lu&r=0", rep.deleted);
	web_redirect(w, q.data);
}

/* ---- one message ---- */

struct opened {
	struct folder	*f;
	struct msgrec	 r;
	char		*map;
	size_t		 len;
	struct buf	 blob;
	struct mime_info info;		/* when the cache had no MIME blob */
	struct mime_view view;
	struct mime_tree *tree;
};

/* The message the request names (u, v) of the INBOX, mapped, parsed. */
static void
open_message(struct web *w, struct opened *o)
{
	uint64_t uid, uv;
	uint32_t seq;
	struct stat st;
	char *why = NULL;
	int fd, rc;

	memset(o, 0, sizeof(*o));
	if (num_parse_u64(web_str(w, "u"), UINT32_MAX, &uid) < 0 ||
	    num_parse_u64(web_str(w, "v"), UINT32_MAX, &uv) < 0)
		web_error(w, 400, "No message.");
	rc = folder_open_id(w->store, &w->user, MBOX_INBOX_ID, 0, &o->f, &why);
	if (rc < 0) {
		web_log(w, LOG_ERR, "folder_unreadable", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "Your mail cannot be read now.");
	}
	if (rc != 1 || folder_state(o->f)->uidvalidity != uv ||
	    folder_find_uid(o->f, (uint32_t)uid, &seq, NULL) != 1 ||
	    folder_record(o->f, seq, &o->r, NULL) != 1)
		web_error(w, 404, "No such message (it may have been deleted).");
	if (o->r.size > MSG_SHOW_MAX)
		web_error(w, 413, "This message is too large to show here.");
	if ((fd = folder_open_message(o->f, o->r.uid, &why)) < 0 ||
	    fstat(fd, &st) < 0 || st.st_size > MSG_SHOW_MAX) {
		/* The record exists: a file that cannot be read is the
		 * store's problem, logged, not the request's. */
		web_log(w, LOG_ERR, "message_unreadable", "reason",
		    why ? why : strerror(errno), NULL, NULL);
		web_error(w, 404, "No such message.");
	}
	o->len = (size_t)st.st_size;
	if (o->len && (o->map = mmap(NULL, o->len, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		o->map = NULL;
		o->len = 0;
	}
	close(fd);
	if (!(msgsum_cached(o->f, &o->r, CACHE_MIME, &o->blob) &&
	    mime_info_decode(o->blob.data, o->blob.len, &o->view) == 0)) {
		(void)mime_parse(o->map ? o->map : "", o->len, &o->info);
		o->view = o->info.view;
	}
	if (mime_bodystructure_parse(o->view.bodystructure.s,
	    o->view.bodystructure.len, &o->tree, NULL) < 0)
		o->tree = NULL;
	free(why);
}

static void
close_message(struct opened *o)
{
	mime_tree_free(o->tree);
	mime_info_free(&o->info);
	buf_free(&o->blob);
	if (o->map)
		munmap(o->map, o->len);
	folder_close(o->f);
}

/* ---- the parts, with section numbers (RFC 3501 6.4.5) ---- */

struct leaf {
	char			 section[64];
	const struct mime_body	*b;
};

struct leaves {
	struct leaf	 v[PARTS_MAX];
	size_t		 n;
};

static void
add_leaf(struct leaves *l, const char *section, const struct mime_body *b)
{
	if (l->n == PARTS_MAX)
		return;
	snprintf(l->v[l->n].section, sizeof(l->v[l->n].section), "%s", section);
	l->v[l->n++].b = b;
}

static void node(struct leaves *l, const struct mime_body *b,
    const char *section, int depth);

/* The parts of a multipart, numbered under prefix. */
static void
parts(struct leaves *l, const struct mime_body *b, const char *prefix,
    int depth)
{
	const struct mime_body *c;
	char sub[64];
	int i = 1;

	for (c = b->child; c && depth < MIME_MAX_DEPTH; c = c->next, i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%d", prefix,
		    *prefix ? "." : "", i) >= sizeof(sub))
			return;
		node(l, c, sub, depth + 1);
	}
}

static void
node(struct leaves *l, const struct mime_body *b, const char *section,
    int depth)
{
	char sub[64];

	if (b->kind == MIME_BODY_MULTIPART) {
		parts(l, b, section, depth);
		return;
	}
	add_leaf(l, section, b);
	if (b->kind != MIME_BODY_MESSAGE || b->child == NULL)
		return;
	if (b->child->kind == MIME_BODY_MULTIPART)
		parts(l, b->child, section, depth + 1);
	else if ((size_t)snprintf(sub, sizeof(sub), "%s.1", section) <
	    sizeof(sub))
		node(l, b->child, sub, depth + 1);
}

static void
leaves_of(const struct opened *o, struct leaves *l)
{
	l->n = 0;
	if (o->tree == NULL || o->tree->body == NULL)
		return;
	if (o->tree->body->kind == MIME_BODY_MULTIPART)
		parts(l, o->tree->body, "", 0);
	else
		node(l, o->tree->body, "1", 0);
}

static int
str_is(const struct mime_str *s, const char *want)
{
	return s->s && s->len == strlen(want) &&
	    strncasecmp(s->s, want, s->len) == 0;
}

/* A parameter's value (RFC 2231 "*" and RFC 2047 words decoded). */
static int
param(const struct mime_param *v, size_t n, const char *name,
    struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t i, nl = strlen(name);
	const char *q;

	for (i = 0; i < n; i++) {
		const struct mime_str *k = &v[i].name, *val = &v[i].value;

		if (k->s == NULL || val->s == NULL || k->len < nl ||
		    strncasecmp(k->s, name, nl) != 0)
			continue;
		if (k->len == nl) {
			mime_decode_words(val->s, val->len, out);
			return 1;
		}
		if (k->len == nl + 1 && k->s[nl] == '*' &&
		    (q = memchr(val->s, '\'', val->len)) != NULL &&
		    (q = memchr(q + 1, '\'', val->len - (size_t)(q + 1 - val->s)))
		    != NULL) {
			/* charset'language'value: UTF-8 and ASCII only here */
			if (form_decode(q + 1, val->len - (size_t)(q + 1 - val->s),
			    0, &raw) == 0)
				mime_decode_words(raw.data ? raw.data : "",
				    raw.len, out);
			buf_free(&raw);
			return 1;
		}
	}
	return 0;
}

/* The part's file name, safe for a header and a file system. */
static void
file_name(const struct leaf *lf, struct buf *out)
{
	const struct mime_body *b = lf->b;
	struct buf raw = BUF_INIT;
	size_t i, k;

	if (!param(b->dparams, b->ndparams, "filename", &raw))
		(void)param(b->params, b->nparams, "name", &raw);
	for (i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.data[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"' ||
		    (c == '.' && out->len == 0))
			c = '_';
		buf_putc(out, c);
	}
	buf_free(&raw);
	if (out->len > FILENAME_MAX_LEN) {
		for (k = FILENAME_MAX_LEN; k > 0 &&
		    ((unsigned char)out->data[k] & 0xc0) == 0x80; k--)
			;
		buf_truncate(out, k);
	}
	if (out->len == 0)
		buf_printf(out, "part-%s%s", lf->section,
		    b->kind == MIME_BODY_MESSAGE ? ".eml" : ".bin");
}

/* How a part is shown: 't' text, 'h' HTML page, 'a' download. */
static int
shown_as(const struct mime_body *b)
{
	if (str_is(&b->disp, "attachment") || b->kind != MIME_BODY_TEXT)
		return 'a';
	return str_is(&b->subtype, "html") ? 'h' : 't';
}

static void
header_data(struct web *w, const struct opened *o)
{
	static const char *const names[] = { "From", "To", "Cc", "Date",
	    "Subject" };
	const char *hdr = o->view.fields.s;
	size_t i, len = o->view.fields.len;
	struct buf b = BUF_INIT, lower = BUF_INIT;

	if (len == 0) {
		hdr = o->map ? o->map : "";
		len = o->view.header_len <= o->len ? o->view.header_len : 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		buf_reset(&b);
		buf_reset(&lower);
		msgsum_text(hdr, len, names[i], &b);
		buf_puts(&lower, names[i]);
		lower.data[0] = (char)(lower.data[0] | 0x20);
		tmpl_set(w->data, lower.data, buf_cstr(&b));
	}
	buf_free(&b);
	buf_free(&lower);
}

static void
part_item(struct web *w, const struct opened *o, const struct leaf *lf)
{
	struct mime_part p;
	struct tmpl_data *it;
	struct buf text = BUF_INIT, name = BUF_INIT;
	int how = shown_as(lf->b);

	if (!mime_view_find(&o->view, lf->section, strlen(lf->section), &p))
		return;
	if (how == 't' && o->map) {
		(void)mime_part_text(o->map, o->len, &p, TEXT_SHOW_MAX, &text);
		tmpl_set(tmpl_add(w->data, "texts"), "text", buf_cstr(&text));
	} else if (how == 'h') {
		tmpl_set(tmpl_add(w->data, "htmls"), "section", lf->section);
	} else {
		it = tmpl_add(w->data, "attachments");
		file_name(lf, &name);
		tmpl_set(it, "section", lf->section);
		tmpl_set(it, "name", name.data);
		tmpl_setf(it, "type", "%.*s/%.*s", lf->b->type.s ?
		    (int)lf->b->type.len : 7, lf->b->type.s ? lf->b->type.s :
		    "message", lf->b->subtype.s ? (int)lf->b->subtype.len : 0,
		    lf->b->subtype.s ? lf->b->subtype.s : "");
		fmt_set_size(it, "size", p.body_len);
	}
	buf_free(&text);
	buf_free(&name);
}

void
user_message_page(struct web *w)
{
	struct leaves *l = malloc(sizeof(*l));
	struct opened o;
	struct msgrec r;
	uint32_t seq;
	size_t i;

	pop_only(w);
	open_message(w, &o);
	if (l == NULL)
		web_error(w, 503, "Out of memory.");
	header_data(w, &o);
	leaves_of(&o, l);
	for (i = 0; i < l->n; i++)
		if (l->v[i].b->kind != MIME_BODY_MULTIPART)
			part_item(w, &o, &l->v[i]);
	tmpl_setf(w->data, "uid", "%u", (unsigned)o.r.uid);
	tmpl_setf(w->data, "uidvalidity", "%u",
	    (unsigned)folder_state(o.f)->uidvalidity);
	fmt_set_size(w->data, "size", o.r.size);
	/* Read here is read: a later return of unread mail skips it. */
	if (!(o.r.flags & MSG_SEEN) && folder_find_uid(o.f, o.r.uid, &seq,
	    NULL) == 1 && folder_store(o.f, seq, MSG_SEEN, 0, 0, 0, 0, &r,
	    NULL) == 1)
		(void)folder_sync(o.f, NULL);
	close_message(&o);
	free(l);
	web_page(w, "message");
}

/* Send part lf of o: the sandboxed HTML page, or a download. */
static void
send_part(struct web *w, const struct opened *o, const struct leaf *lf,
    const struct mime_part *p)
{
	struct buf body = BUF_INIT, h = BUF_INIT, name = BUF_INIT;
	size_t i;

	if (shown_as(lf->b) == 'h' && strcmp(web_str(w, "view"), "html") == 0) {
		(void)mime_part_text(o->map, o->len, p, MSG_SHOW_MAX, &body);
		buf_puts(&h, "Content-Security-Policy: sandbox; default-src "
		    "'none'; style-src 'unsafe-inline'; img-src data:\r\n");
		web_send(w, 200, "text/html; charset=utf-8", h.data, body.data,
		    body.len);
	} else {
		(void)mime_part_body(o->map, o->len, p, MSG_SHOW_MAX, &body);
		file_name(lf, &name);
		buf_puts(&h, "Content-Disposition: attachment; filename=\"");
		for (i = 0; i < name.len; i++)
			buf_putc(&h, (unsigned char)name.data[i] < 0x80 ?
			    name.data[i] : '_');
		buf_puts(&h, "\"; filename*=UTF-8''");
		tmpl_escape_url(&h, name.data, name.len);
		buf_puts(&h, "\r\n");
		web_send(w, 200, "application/octet-stream", h.data, body.data,
		    body.len);
	}
	buf_free(&body);
	buf_free(&h);
	buf_free(&name);
}

void
user_part(struct web *w)
{
	const char *section = web_str(w, "s");
	struct leaves *l = malloc(sizeof(*l));
	struct mime_part p;
	struct opened o;
	size_t i;

	pop_only(w);
	open_message(w, &o);
	if (l == NULL)
		web_error(w, 503, "Out of memory.");
	leaves_of(&o, l);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].section, section) == 0 &&
		    l->v[i].b->kind != MIME_BODY_MULTIPART)
			break;
	if (i == l->n || o.map == NULL ||
	    !mime_view_find(&o.view, section, strlen(section), &p))
		web_error(w, 404, "No such part.");
	send_part(w, &o, &l->v[i], &p);
	close_message(&o);
	free(l);
	web_exit(w, 0);
}
