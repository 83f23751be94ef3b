/*
 * Fuzz target: lib/mime.c on arbitrary bytes.
 *
 * The input is parsed as a message: every part must lie inside it and
 * inside its parent, the cache blob must decode to an equal view and
 * any truncation of it be refused, the decoded text of every part and
 * the header field functions must stay in bounds. The same bytes are
 * then given to the blob decoder as a (hostile) cache record, and to the
 * RFC 2047 decoder. Any inconsistency aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"

static void
check_parts(const char *msg, size_t len, const struct mime_view *v)
{
	struct buf text = BUF_INIT;
	struct mime_part p, parent;
	size_t i;

	for (i = 0; mime_view_part(v, i, &p) == 1; i++) {
		if (p.body_off + p.body_len > len ||
		    p.body_off != p.hdr_off + p.hdr_len)
			abort();
		if (i > 0 && (mime_view_part(v, p.parent, &parent) != 1 ||
		    p.parent >= i || p.hdr_off < parent.body_off ||
		    p.body_off + p.body_len > parent.body_off + parent.body_len))
			abort();
		if (p.numbered && mime_view_find(v, p.section.s,
		    p.section.len, &parent) != 1)
			abort();
		buf_reset(&text);
		if (mime_part_text(msg, len, &p, 512, &text) < 0 ||
		    text.len > 512)
			abort();
	}
	if (i != v->nparts || i == 0 || i > MIME_MAX_PARTS)
		abort();
	buf_free(&text);
}

static void
check_blob(const struct mime_info *info)
{
	struct buf blob = BUF_INIT;
	struct mime_view v;
	char *copy;

	mime_info_encode(info, &blob);
	copy = malloc(blob.len);
	memcpy(copy, blob.data, blob.len);
	if (mime_info_decode(copy, blob.len, &v) < 0 ||
	    !mime_view_equal(&info->view, &v))
		abort();
	if (mime_info_decode(copy, blob.len - 1, &v) == 0)
		abort();
	free(copy);
	buf_free(&blob);
}

static void
check_hostile_blob(const uint8_t *data, size_t size)
{
	struct mime_view v;
	struct mime_part p;
	size_t i, sum = 0;

	if (mime_info_decode(data, size, &v) < 0)
		return;
	for (i = 0; mime_view_part(&v, i, &p) == 1; i++)
		if (p.body_off + p.body_len > v.size ||
		    p.section.s + p.section.len > (const char *)data + size)
			abort();
	for (i = 0; i < v.bodystructure.len; i++)
		sum += (unsigned char)v.bodystructure.s[i];
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "From", "subject", "X-A" };
	const char *msg = (const char *)data;
	struct mime_info info;
	struct buf out = BUF_INIT;

	if (mime_parse(msg, size, &info) < 0)
		abort();
	if (info.view.header_len > size || info.view.size != size)
		abort();
	check_parts(msg, size, &info.view);
	check_blob(&info);
	mime_header_fields(msg, info.view.header_len, names, 3, 0, &out);
	mime_header_fields(info.view.fields.s, info.view.fields.len, names, 3,
	    1, &out);
	(void)mime_header_value(msg, info.view.header_len, "subject", &out);
	mime_info_free(&info);
	check_hostile_blob(data, size);
	buf_reset(&out);
	mime_decode_words(msg, size < 4096 ? size : 4096, &out);
	buf_free(&out);
	return 0;
}
