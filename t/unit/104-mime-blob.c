/*
 * mime: the cache blob. Encode and decode give back the same view;
 * every truncation is refused; every flipped byte is refused or gives a
 * view whose strings and parts all lie inside the blob and the message
 * (each blob is decoded from an exact-size copy, so that the sanitizer
 * build catches any read past it).
 */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "buf.h"
#include "mime.h"
#include "lib/tap.h"

static const char *const messages[] = {
	"Subject: s\r\n\r\nbody\r\n",
	"From: \"A\" <a@b>\r\nTo: g: c@d;\r\nDate: 1 Jan 2000 00:00 +0100\r\n"
	"Message-ID: <m@x>\r\nReferences: <r@x>\r\n"
	"Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	"--o\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
	"--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n"
	"Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\n"
	"a\r\n--i\r\nContent-Type: text/html\r\n\r\nb\r\n--i--\r\n--o--\r\n",
	"",
};

/* Touch every byte a view points to, and its parts. */
static unsigned int
walk(const struct mime_view *v)
{
	const struct mime_str *s[] = { &v->envelope, &v->bodystructure,
	    &v->body, &v->fields, &v->base_subject, &v->from.addr,
	    &v->from.display, &v->to.addr, &v->to.display, &v->cc.addr,
	    &v->cc.display, &v->message_id, &v->in_reply_to, &v->references };
	char *msg = calloc(1, v->size + 1);
	struct buf out = BUF_INIT;
	struct mime_part p, q;
	unsigned int sum = 0;
	size_t i, j;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		for (j = 0; j < s[i]->len; j++)
			sum += (unsigned char)s[i]->s[j];
	for (i = 0; mime_view_part(v, i, &p) == 1; i++) {
		for (j = 0; j < p.section.len; j++)
			sum += (unsigned char)p.section.s[j];
		for (j = 0; j < p.charset.len; j++)
			sum += (unsigned char)p.charset.s[j];
		if (p.numbered && mime_view_find(v, p.section.s, p.section.len,
		    &q) != 1)
			sum = 0xdead;
		if (p.hdr_off + p.hdr_len > v->size ||
		    p.body_off + p.body_len > v->size ||
		    p.inner_body_off + p.inner_body_len > v->size)
			sum = 0xbad;
		(void)mime_part_text(msg, v->size, &p, 64, &out);
	}
	mime_header_fields(v->fields.s, v->fields.len, NULL, 0, 1, &out);
	buf_free(&out);
	free(msg);
	return sum;
}

/* Decode from an exact-size copy. */
static int
decode(const char *blob, size_t len, struct mime_view *v, char **copy)
{
	*copy = malloc(len ? len : 1);
	memcpy(*copy, blob, len);
	return mime_info_decode(*copy, len, v);
}

static void
check_roundtrip(const char *msg, size_t k)
{
	struct mime_info info, again;
	struct mime_view v;
	struct mime_part p, q;
	struct buf blob = BUF_INIT, blob2 = BUF_INIT;
	char *copy;
	size_t i;
	int same = 1;

	mime_parse(msg, strlen(msg), &info);
	mime_info_encode(&info, &blob);
	tap_is_int((unsigned char)blob.data[0], MIME_BLOB_VERSION,
	    "message %zu: blob starts with the version", k);
	tap_is_int(decode(blob.data, blob.len, &v, &copy), 0,
	    "message %zu: decodes", k);
	tap_ok(mime_view_equal(&info.view, &v), "message %zu: same view", k);
	for (i = 0; mime_view_part(&info.view, i, &p) == 1; i++)
		same &= mime_view_part(&v, i, &q) == 1 &&
		    p.hdr_off == q.hdr_off && p.hdr_len == q.hdr_len &&
		    p.body_off == q.body_off && p.body_len == q.body_len &&
		    p.body_lines == q.body_lines &&
		    p.inner_hdr_len == q.inner_hdr_len &&
		    p.inner_body_len == q.inner_body_len &&
		    p.section.len == q.section.len && p.kind == q.kind &&
		    p.parent == q.parent && p.numbered == q.numbered;
	tap_ok(same && i == v.nparts, "message %zu: same %zu parts", k, i);
	memset(&again, 0, sizeof(again));
	again.view = v;
	mime_info_encode(&again, &blob2);
	tap_is_mem(blob2.data, blob2.len, blob.data, blob.len,
	    "message %zu: re-encoding the decoded view gives the same blob", k);
	free(copy);
	buf_append(&blob, "x", 1);
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "message %zu: trailing byte refused", k);
	free(copy);
	mime_info_free(&info);
	buf_free(&blob);
	buf_free(&blob2);
}

static void
check_damage(const char *msg, size_t k)
{
	static const unsigned char flips[] = { 0xff, 0x01, 0x80 };
	struct mime_info info;
	struct mime_view v;
	struct buf blob = BUF_INIT;
	size_t i, f, refused = 0, valid = 0, truncated_ok = 0;
	unsigned int sum;
	char *copy;

	mime_parse(msg, strlen(msg), &info);
	mime_info_encode(&info, &blob);
	for (i = 0; i < blob.len; i++) {
		truncated_ok += decode(blob.data, i, &v, &copy) == -1;
		free(copy);
	}
	tap_is_int((long long)truncated_ok, (long long)blob.len,
	    "message %zu: all %zu truncations refused", k, blob.len);
	for (f = 0; f < sizeof(flips); f++)
		for (i = 0; i < blob.len; i++) {
			blob.data[i] ^= flips[f];
			if (decode(blob.data, blob.len, &v, &copy) < 0)
				refused++;
			else if ((sum = walk(&v)) != 0xbad && sum != 0xdead)
				valid++;
			free(copy);
			blob.data[i] ^= flips[f];
		}
	tap_is_int((long long)(refused + valid),
	    (long long)(blob.len * sizeof(flips)),
	    "message %zu: %zu flipped blobs refused, %zu valid, none bad",
	    k, refused, valid);
	mime_info_free(&info);
	buf_free(&blob);
}

static void
check_hostile(void)
{
	struct mime_info info;
	struct mime_view v;
	struct buf blob = BUF_INIT;
	char *copy;
	size_t off;

	mime_parse(messages[0], strlen(messages[0]), &info);
	mime_info_encode(&info, &blob);
	blob.data[0] = 2;
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "other version refused");
	free(copy);
	blob.data[0] = MIME_BLOB_VERSION;
	blob.data[2] = (char)0x80;
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "unknown flag refused");
	free(copy);
	blob.data[2] = 0;
	be32_put((unsigned char *)blob.data + 32, 0xffffffffU);
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "string longer than the blob refused");
	free(copy);
	buf_reset(&blob);
	mime_info_encode(&info, &blob);
	/* nparts is 16 bytes before names and the one 36-byte row */
	off = blob.len - 36 - info.view.names_len - 8;
	be32_put((unsigned char *)blob.data + off, 0x10000001U);
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "huge part count refused");
	free(copy);
	be32_put((unsigned char *)blob.data + off, 1);
	be32_put((unsigned char *)blob.data + blob.len - 36 + 16, 1000);
	tap_is_int(decode(blob.data, blob.len, &v, &copy), -1,
	    "part past the message refused");
	free(copy);
	tap_is_int(mime_info_decode("", 0, &v), -1, "empty blob refused");
	mime_info_free(&info);
	buf_free(&blob);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		check_roundtrip(messages[i], i);
		check_damage(messages[i], i);
	}
	check_hostile();
	return tap_done();
}
