/* msgsum - what listings show of a stored message; see msgsum.h. */
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "folder.h"
#include "mime.h"
#include "msgsum.h"

int
msgsum_cached(struct folder *f, const struct msgrec *r, int type,
    struct buf *out)
{
	struct buf payload = BUF_INIT;
	const void *p;
	size_t len;
	int rc = 0;

	if (folder_cache(f, r, &payload, NULL) == 1 &&
	    cache_field(payload.data, payload.len, type, &p, &len) == 1) {
		buf_append(out, p, len);
		rc = 1;
	}
	buf_free(&payload);
	return rc;
}

void
msgsum_header(struct folder *f, const struct msgrec *r, struct buf *out)
{
	size_t want = r->header_len && r->header_len < MSGSUM_HEADER_MAX ?
	    r->header_len : MSGSUM_HEADER_MAX, start = out->len;
	int fd = folder_open_message(f, r->uid, NULL);
	ssize_t n;

	if (fd < 0)
		return;
	buf_reserve(out, want);
	while (out->len - start < want && (n = pread(fd, out->data + out->len,
	    want - (out->len - start), (off_t)(out->len - start))) > 0)
		out->len += (size_t)n;
	out->data[out->len] = '\0';
	close(fd);
}

void
msgsum_fields(struct folder *f, const struct msgrec *r, struct buf *out)
{
	struct buf blob = BUF_INIT;
	struct mime_view view;

	if (msgsum_cached(f, r, CACHE_MIME, &blob) &&
	    mime_info_decode(blob.data, blob.len, &view) == 0 &&
	    view.fields.len > 0)
		buf_append(out, view.fields.s, view.fields.len);
	else
		msgsum_header(f, r, out);
	buf_free(&blob);
}

void
msgsum_text(const char *hdr, size_t len, const char *name, struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t i, start = out->len;

	if (len && mime_header_value(hdr, len, name, &raw) == 1)
		mime_decode_words(raw.data, raw.len, out);
	for (i = start; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = ' ';
	buf_free(&raw);
}
