/*
 * mime: robustness and limits. A message cut at every offset, started
 * at every offset, and with a hostile byte written at every offset must
 * parse into a consistent result (parts inside the message and inside
 * their parents, strings that parse back to the same trees, a blob that
 * decodes to the same view). Nesting stops at MIME_MAX_DEPTH, parts at
 * MIME_MAX_PARTS. POP3 facts: dot-stuffing, line counts, line ends.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "lib/tap.h"

static const char sample[] =
	"From: \"A B\" <a@b>, g: c@d;\r\n"
	"Subject: =?utf-8?q?Re:_caf=C3=A9?=\r\n"
	"Content-Type: multipart/mixed; boundary=\"o\"\r\n"
	"\r\n"
	"--o\r\n"
	"Content-Type: text/plain; charset*0=\"utf\"; charset*1=\"-8\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"x=3Dy\r\n"
	".dot\r\n"
	"--o\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: in\r\n"
	"Content-Type: multipart/alternative; boundary=i\r\n"
	"\r\n"
	"--i\r\n"
	"\r\n"
	"a\r\n"
	"--i--\r\n"
	"--o--\r\n";

/* NULL when info is consistent with msg[0..len), else what is wrong. */
static const char *
inconsistent(const char *msg, size_t len, const struct mime_info *info)
{
	const struct mime_view *v = &info->view;
	struct mime_part p, parent;
	struct mime_tree *tree;
	struct mime_view dv;
	struct buf blob = BUF_INIT, text = BUF_INIT;
	const char *bad = NULL;
	size_t i;

	for (i = 0; bad == NULL && mime_view_part(v, i, &p) == 1; i++) {
		if (p.body_off + p.body_len > len || p.body_off !=
		    p.hdr_off + p.hdr_len || p.body_lines > p.body_len)
			bad = "part outside the message";
		else if (i > 0 && (p.parent >= i ||
		    mime_view_part(v, p.parent, &parent) != 1 ||
		    p.hdr_off < parent.body_off || p.body_off + p.body_len >
		    parent.body_off + parent.body_len))
			bad = "part outside its parent";
		else if (mime_part_text(msg, len, &p, 256, &text) < 0)
			bad = "part text refused";
	}
	if (bad == NULL && (mime_bodystructure_parse(v->bodystructure.s,
	    v->bodystructure.len, &tree, NULL) < 0 ||
	    !mime_body_equal(info->body, tree->body, 1)))
		bad = "BODYSTRUCTURE does not parse back";
	if (bad == NULL) {
		mime_tree_free(tree);
		if (mime_envelope_parse(v->envelope.s, v->envelope.len, &tree,
		    NULL) < 0 || !mime_env_equal(info->env, tree->env))
			bad = "ENVELOPE does not parse back";
	}
	mime_tree_free(bad == NULL ? tree : NULL);
	mime_info_encode(info, &blob);
	if (bad == NULL && (mime_info_decode(blob.data, blob.len, &dv) < 0 ||
	    !mime_view_equal(v, &dv)))
		bad = "blob does not decode to the same view";
	buf_free(&blob);
	buf_free(&text);
	return bad;
}

static int
parse_ok(const char *msg, size_t len, const char **why)
{
	struct mime_info info;

	if (mime_parse(msg, len, &info) < 0)
		*why = "mime_parse failed";
	else
		*why = inconsistent(msg, len, &info);
	mime_info_free(&info);
	return *why == NULL;
}

static void
check_splits(void)
{
	static const char hostile[] = { '\0', '\n', '\r', '-', '"', '(', '=',
	    ':', ' ', (char)0xff };
	size_t len = sizeof(sample) - 1, i, h, good = 0, total = 0;
	const char *why = NULL, *first = NULL;
	char *copy;

	for (i = 0; i <= len; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, sample, i);
		good += parse_ok(copy, i, &why);
		free(copy);
		copy = malloc(len - i + 1);
		memcpy(copy, sample + i, len - i);
		good += parse_ok(copy, len - i, &why);
		free(copy);
		total += 2;
		if (why != NULL && first == NULL)
			first = why;
	}
	tap_is_int((long long)good, (long long)total,
	    "every prefix and suffix consistent (%s)", first ? first : "ok");
	good = total = 0;
	copy = malloc(len);
	for (h = 0; h < sizeof(hostile); h++)
		for (i = 0; i < len; i++) {
			memcpy(copy, sample, len);
			copy[i] = hostile[h];
			good += parse_ok(copy, len, &why);
			total++;
			if (why != NULL && first == NULL)
				first = why;
		}
	free(copy);
	tap_is_int((long long)good, (long long)total,
	    "hostile byte at every offset consistent (%s)",
	    first ? first : "ok");
}

struct pop_test {
	const char	*msg;
	unsigned int	 flags;		/* of the POP3 ones */
	size_t		 lines, body_lines, header_len;
};

#define POPF (MIME_F_STUFFING | MIME_F_BARE_LF | MIME_F_NO_FINAL_NL | \
	MIME_F_NUL | MIME_F_NO_SEPARATOR)

static const struct pop_test pop_tests[] = {
	{ "S: x\r\n\r\na\r\nb\r\n", 0, 4, 2, 8 },
	{ "S: x\r\n\r\n.a\r\n", MIME_F_STUFFING, 3, 1, 8 },
	{ ".S: x\r\n\r\na", MIME_F_STUFFING | MIME_F_NO_FINAL_NL, 2, 0, 9 },
	{ "S: x\n\r\na\n", MIME_F_BARE_LF, 3, 1, 7 },
	{ "S: x\r\n\r\na\rb\r\n", 0, 3, 1, 8 },
	{ "S: x\r\nT: y", MIME_F_NO_FINAL_NL | MIME_F_NO_SEPARATOR, 1, 0, 10 },
	{ "", MIME_F_NO_SEPARATOR, 0, 0, 0 },
	{ "\r\n", 0, 1, 0, 2 },
	{ "\n", MIME_F_BARE_LF, 1, 0, 1 },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n.x\n"
	  "--b--\r\n", MIME_F_STUFFING | MIME_F_BARE_LF, 6, 4, 45 },
};

static void
check_pop(void)
{
	struct mime_info info;
	size_t i;

	for (i = 0; i < sizeof(pop_tests) / sizeof(pop_tests[0]); i++) {
		const struct pop_test *t = &pop_tests[i];

		mime_parse(t->msg, strlen(t->msg), &info);
		tap_is_int(info.view.flags & POPF, t->flags, "POP3 flags %zu",
		    i);
		tap_ok(info.view.lines == t->lines &&
		    info.view.body_lines == t->body_lines &&
		    info.view.header_len == t->header_len,
		    "lines %zu/%zu, body lines %zu/%zu, header %zu/%zu (%zu)",
		    info.view.lines, t->lines, info.view.body_lines,
		    t->body_lines, info.view.header_len, t->header_len, i);
		mime_info_free(&info);
	}
	mime_parse("a\0b\r\n\r\n", 7, &info);
	tap_ok(info.view.flags & MIME_F_NUL, "NUL flagged");
	mime_info_free(&info);
}

/*
 * n nested multiparts, each with its own boundary (none a prefix of
 * another, as RFC 2046 requires), then a text.
 */
static void
nest_multipart(struct buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(b, "Content-Type: multipart/mixed; boundary=b%zu_\r\n"
		    "\r\n--b%zu_\r\n", i, i);
	buf_puts(b, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	for (i = n; i-- > 0;)
		buf_printf(b, "--b%zu_--\r\n", i);
}

static void
check_depth(void)
{
	struct buf b = BUF_INIT;
	struct mime_info info;
	struct mime_part p;
	const char *why;
	size_t i;
	int ok;

	nest_multipart(&b, MIME_MAX_DEPTH);
	mime_parse(b.data, b.len, &info);
	mime_view_part(&info.view, info.view.nparts - 1, &p);
	tap_ok(info.view.nparts == MIME_MAX_DEPTH + 1 && p.text &&
	    !p.truncated && !(info.view.flags & MIME_F_TRUNCATED),
	    "%d nested multiparts: all parsed", MIME_MAX_DEPTH);
	tap_ok(inconsistent(b.data, b.len, &info) == NULL, "and consistent");
	mime_info_free(&info);
	buf_reset(&b);
	nest_multipart(&b, MIME_MAX_DEPTH + 10);
	mime_parse(b.data, b.len, &info);
	mime_view_part(&info.view, info.view.nparts - 1, &p);
	tap_ok(info.view.nparts == MIME_MAX_DEPTH + 1 && p.truncated &&
	    p.kind == MIME_KIND_LEAF && (info.view.flags & MIME_F_TRUNCATED),
	    "%d nested multiparts: cut at depth %d", MIME_MAX_DEPTH + 10,
	    MIME_MAX_DEPTH);
	tap_ok(strstr(info.view.bodystructure.s, "(\"application\" "
	    "\"octet-stream\" (\"boundary\" \"b50_\")") != NULL,
	    "the cut container is application/octet-stream");
	tap_ok(inconsistent(b.data, b.len, &info) == NULL, "and consistent");
	mime_info_free(&info);
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "Content-Type: message/rfc822\r\n\r\n");
	ok = parse_ok(b.data, b.len, &why);
	tap_ok(ok, "100000 nested message/rfc822 (%s)", why ? why : "ok");
	buf_free(&b);
}

static void
check_parts_limit(void)
{
	struct buf b = BUF_INIT;
	struct mime_info info;
	struct mime_part p;
	size_t i;

	buf_puts(&b, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < MIME_MAX_PARTS + 1000; i++)
		buf_printf(&b, "--b\r\n\r\n%zu\r\n", i);
	buf_puts(&b, "--b--\r\n");
	mime_parse(b.data, b.len, &info);
	mime_view_part(&info.view, info.view.nparts - 1, &p);
	tap_ok(info.view.nparts == MIME_MAX_PARTS &&
	    (info.view.flags & MIME_F_TRUNCATED), "parts stop at %d",
	    MIME_MAX_PARTS);
	tap_ok(mime_view_find(&info.view, "4999", 4, &p) == 1 &&
	    p.body_len == 4 && memcmp(b.data + p.body_off, "4998", 4) == 0,
	    "part 4999 is whole");
	mime_view_part(&info.view, 0, &p);
	tap_ok(p.body_off + p.body_len == b.len, "the rest is the multipart's");
	tap_ok(inconsistent(b.data, b.len, &info) == NULL, "and consistent");
	mime_info_free(&info);
	buf_free(&b);
}

int
main(void)
{
	check_splits();
	check_pop();
	check_depth();
	check_parts_limit();
	return tap_done();
}
