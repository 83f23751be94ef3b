/*
 * mime: the part table (RFC 3501 6.4.5 section numbers, offsets of
 * BODY[N], [N.MIME], [N.HEADER], [N.TEXT]), header field selection for
 * BODY[HEADER.FIELDS (...)], and the decoded text of parts for SEARCH.
 */
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "lib/tap.h"

static const char nested[] =
	"From: a@b\r\n"
	"Subject: parts\r\n"
	"Content-Type: multipart/mixed; boundary=o\r\n"
	"\r\n"
	"--o\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"caf=E9 =\r\n"
	"au lait\r\n"
	"--o\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: inner\r\n"
	"Content-Type: multipart/alternative; boundary=i\r\n"
	"\r\n"
	"--i\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"w6l0w6k=\r\n"
	"--i\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>x</p>\r\n"
	"--i--\r\n"
	"--o\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: simple\r\n"
	"\r\n"
	"simple body\r\n"
	"--o\r\n"
	"Content-Type: image/gif\r\n"
	"\r\n"
	"GIF89a\r\n"
	"--o--\r\n";

struct row_test {
	const char	*section;	/* NULL: row not numbered */
	enum mime_kind	 kind;
	const char	*mime;		/* [N.MIME] */
	const char	*body;		/* [N] */
	size_t		 lines;
	const char	*inner_hdr;	/* [N.HEADER], message/rfc822 only */
	const char	*inner_text;	/* [N.TEXT] */
};

static const struct row_test rows[] = {
	{ NULL, MIME_KIND_MULTIPART,
	  "From: a@b\r\nSubject: parts\r\n"
	  "Content-Type: multipart/mixed; boundary=o\r\n\r\n", NULL, 33,
	  NULL, NULL },
	{ "1", MIME_KIND_LEAF,
	  "Content-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	  "caf=E9 =\r\nau lait", 1, NULL, NULL },
	{ "2", MIME_KIND_MESSAGE, "Content-Type: message/rfc822\r\n\r\n",
	  "Subject: inner\r\n"
	  "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
	  "--i\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nw6l0w6k=\r\n"
	  "--i\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--i--", 12,
	  "Subject: inner\r\n"
	  "Content-Type: multipart/alternative; boundary=i\r\n\r\n",
	  "--i\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nw6l0w6k=\r\n"
	  "--i\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--i--" },
	{ NULL, MIME_KIND_MULTIPART, NULL, NULL, 9, NULL, NULL },
	{ "2.1", MIME_KIND_LEAF,
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n", "w6l0w6k=", 0,
	  NULL, NULL },
	{ "2.2", MIME_KIND_LEAF, "Content-Type: text/html\r\n\r\n",
	  "<p>x</p>", 0, NULL, NULL },
	{ "3", MIME_KIND_MESSAGE, "Content-Type: message/rfc822\r\n\r\n",
	  "Subject: simple\r\n\r\nsimple body", 2,
	  "Subject: simple\r\n\r\n", "simple body" },
	{ "3.1", MIME_KIND_LEAF, "Subject: simple\r\n\r\n", "simple body", 0,
	  NULL, NULL },
	{ "4", MIME_KIND_LEAF, "Content-Type: image/gif\r\n\r\n", "GIF89a", 0,
	  NULL, NULL },
};

static void
check_row(const struct mime_view *v, size_t i, const struct row_test *t)
{
	struct mime_part p, q;

	if (!tap_ok(mime_view_part(v, i, &p) == 1, "row %zu exists", i))
		return;
	tap_is_int(p.kind, t->kind, "row %zu kind", i);
	tap_is_int(p.numbered, t->section != NULL, "row %zu numbered", i);
	if (t->section != NULL) {
		tap_is_mem(p.section.s, p.section.len, t->section,
		    strlen(t->section), "row %zu section", i);
		tap_ok(mime_view_find(v, t->section, strlen(t->section),
		    &q) == 1 && q.hdr_off == p.hdr_off && q.kind == p.kind,
		    "section %s found at row %zu", t->section, i);
	}
	if (t->mime != NULL)
		tap_is_mem(nested + p.hdr_off, p.hdr_len, t->mime,
		    strlen(t->mime), "row %zu header", i);
	if (t->body != NULL)
		tap_is_mem(nested + p.body_off, p.body_len, t->body,
		    strlen(t->body), "row %zu body", i);
	tap_is_int((long long)p.body_lines, (long long)t->lines,
	    "row %zu body lines", i);
	if (t->inner_hdr != NULL) {
		tap_is_mem(nested + p.inner_hdr_off, p.inner_hdr_len,
		    t->inner_hdr, strlen(t->inner_hdr), "row %zu inner header",
		    i);
		tap_is_mem(nested + p.inner_body_off, p.inner_body_len,
		    t->inner_text, strlen(t->inner_text), "row %zu inner text",
		    i);
	}
}

static void
check_table(void)
{
	struct mime_info info;
	struct mime_part p;
	size_t i, n = sizeof(rows) / sizeof(rows[0]);

	mime_parse(nested, sizeof(nested) - 1, &info);
	tap_is_int((long long)info.view.nparts, (long long)n, "rows");
	for (i = 0; i < n; i++)
		check_row(&info.view, i, &rows[i]);
	tap_is_int(mime_view_part(&info.view, n, &p), 0, "no row past the end");
	tap_is_int(mime_view_find(&info.view, "5", 1, &p), 0, "no part 5");
	tap_is_int(mime_view_find(&info.view, "", 0, &p), 0,
	    "the top multipart has no number");
	tap_is_int(mime_view_find(&info.view, "2.1.1", 5, &p), 0, "no 2.1.1");
	mime_view_part(&info.view, 3, &p);
	tap_is_mem(p.section.s, p.section.len, "2", 1,
	    "unnumbered multipart carries its message's number");
	mime_view_part(&info.view, 4, &p);
	tap_ok(p.parent == 3 && p.text && p.encoding == MIME_ENC_BASE64 &&
	    p.charset.len == 5 && memcmp(p.charset.s, "utf-8", 5) == 0,
	    "2.1: parent, text, base64, charset");
	mime_view_part(&info.view, 0, &p);
	tap_ok(p.parent == MIME_NO_PARENT && p.hdr_len ==
	    info.view.header_len, "row 0 is the message");
	mime_info_free(&info);
}

/* A message that is not multipart is part 1, its header the MIME one. */
static void
check_single(void)
{
	static const char msg[] = "Subject: s\r\n\r\nbody\r\n";
	struct mime_info info;
	struct mime_part p;

	mime_parse(msg, sizeof(msg) - 1, &info);
	tap_ok(info.view.nparts == 1 && mime_view_find(&info.view, "1", 1,
	    &p) == 1 && p.hdr_off == 0 && p.hdr_len == 14 &&
	    p.body_off == 14 && p.body_len == 6 && p.body_lines == 1 &&
	    p.text, "single part: 1 is the message body, 1.MIME its header");
	mime_info_free(&info);
}

static void
check_text(void)
{
	struct mime_info info;
	struct mime_part p;
	struct buf out = BUF_INIT;

	mime_parse(nested, sizeof(nested) - 1, &info);
	mime_view_find(&info.view, "1", 1, &p);
	tap_is_int(mime_part_text(nested, sizeof(nested) - 1, &p, 100, &out),
	    1, "text of 1");
	tap_is_str(buf_cstr(&out), "caf\xc3\xa9 au lait",
	    "quoted-printable, soft break, latin-1 to UTF-8");
	buf_reset(&out);
	mime_part_text(nested, sizeof(nested) - 1, &p, 4, &out);
	tap_is_str(buf_cstr(&out), "caf", "cap cuts at a character boundary");
	buf_reset(&out);
	mime_view_find(&info.view, "2.1", 3, &p);
	mime_part_text(nested, sizeof(nested) - 1, &p, 100, &out);
	tap_is_str(buf_cstr(&out), "\xc3\xa9t\xc3\xa9", "base64 UTF-8");
	buf_reset(&out);
	mime_view_find(&info.view, "4", 1, &p);
	tap_is_int(mime_part_text(nested, sizeof(nested) - 1, &p, 100, &out),
	    0, "image/gif has no text");
	mime_view_find(&info.view, "2", 1, &p);
	tap_is_int(mime_part_text(nested, sizeof(nested) - 1, &p, 100, &out),
	    0, "message/rfc822 is not a text leaf");
	mime_view_find(&info.view, "1", 1, &p);
	tap_is_int(mime_part_text(nested, 100, &p, 100, &out), -1,
	    "part outside a shorter message refused");
	tap_is_int((long long)out.len, 0, "nothing appended on 0 and -1");
	mime_info_free(&info);
	buf_free(&out);
}

static void
check_qp(void)
{
	static const char msg[] =
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n"
	    "a=3Db  \r\n=4x=\r\nc= \t\r\nd=";
	struct mime_info info;
	struct mime_part p;
	struct buf out = BUF_INIT;

	mime_parse(msg, sizeof(msg) - 1, &info);
	mime_view_part(&info.view, 0, &p);
	mime_part_text(msg, sizeof(msg) - 1, &p, 1000, &out);
	tap_is_str(buf_cstr(&out), "a=b\r\n=4xcd",
	    "QP: =XX, trailing space, bad escape kept, soft breaks");
	mime_info_free(&info);
	buf_free(&out);
}

static const char hdr[] =
	"From: a@b\r\n"
	"Subject: one\r\n two\r\n"
	"X-Other: x\r\n"
	"subject : again\r\n"
	"no colon line\r\n"
	"\r\n"
	"From: not a header\r\n";

static void
check_fields(void)
{
	static const char *const names[] = { "From", "SUBJECT" };
	struct buf out = BUF_INIT;

	mime_header_fields(hdr, sizeof(hdr) - 1, names, 2, 0, &out);
	tap_is_str(buf_cstr(&out), "From: a@b\r\nSubject: one\r\n two\r\n"
	    "subject : again\r\n\r\n", "HEADER.FIELDS (From SUBJECT)");
	buf_reset(&out);
	mime_header_fields(hdr, sizeof(hdr) - 1, names, 2, 1, &out);
	tap_is_str(buf_cstr(&out), "X-Other: x\r\nno colon line\r\n\r\n",
	    "HEADER.FIELDS.NOT (From SUBJECT)");
	buf_reset(&out);
	mime_header_fields(hdr, sizeof(hdr) - 1, names, 0, 0, &out);
	tap_is_str(buf_cstr(&out), "\r\n", "no names: just the empty line");
	buf_reset(&out);
	mime_header_fields("To: b\nCc: c\n\n", 13, names + 1, 1, 1, &out);
	tap_is_str(buf_cstr(&out), "To: b\nCc: c\n\r\n", "bare LF block");
	buf_reset(&out);
	tap_is_int(mime_header_value(hdr, sizeof(hdr) - 1, "subject", &out), 1,
	    "Subject found");
	tap_is_str(buf_cstr(&out), "one two", "first Subject, unfolded");
	buf_reset(&out);
	tap_is_int(mime_header_value(hdr, sizeof(hdr) - 1, "X-OTHER", &out), 1,
	    "X-Other found");
	tap_is_str(buf_cstr(&out), "x", "X-Other value");
	tap_is_int(mime_header_value(hdr, sizeof(hdr) - 1, "Received", &out),
	    0, "Received not found");
	tap_is_int(mime_header_value(hdr, sizeof(hdr) - 1, "", &out), 0,
	    "empty name not found");
	buf_free(&out);
}

static void
check_cached(void)
{
	static const char msg[] =
	    "Received: from x\r\n\tby y\r\n"
	    "From: a@b\r\n"
	    "X-Spam: yes\r\n"
	    "Subject: s\r\n"
	    "List-Id: <l.x>\r\n"
	    "Received: from z\r\n"
	    "To: c@d\r\n"
	    "\r\n"
	    "Subject: body\r\n";
	static const char *const names[] = { "subject", "to" };
	struct mime_info info;
	struct buf out = BUF_INIT;

	mime_parse(msg, sizeof(msg) - 1, &info);
	tap_is_mem(info.view.fields.s, info.view.fields.len,
	    "From: a@b\r\nSubject: s\r\nList-Id: <l.x>\r\nTo: c@d\r\n", 48,
	    "cached fields: the common ones, in order");
	mime_header_fields(info.view.fields.s, info.view.fields.len, names, 2,
	    0, &out);
	tap_is_str(buf_cstr(&out), "Subject: s\r\nTo: c@d\r\n\r\n",
	    "HEADER.FIELDS served from the cached fields");
	tap_ok(mime_field_cached("FROM", 4) && mime_field_cached("list-id", 7) &&
	    mime_field_cached("Content-Type", 12) &&
	    mime_field_cached("X-Priority", 10), "common fields are cached");
	tap_ok(!mime_field_cached("Received", 8) &&
	    !mime_field_cached("X-Spam", 6) &&
	    !mime_field_cached("Content-ID", 10) &&
	    !mime_field_cached("Fro", 3), "other fields are not");
	mime_info_free(&info);
	buf_free(&out);
}

int
main(void)
{
	check_table();
	check_single();
	check_text();
	check_qp();
	check_fields();
	check_cached();
	return tap_done();
}
