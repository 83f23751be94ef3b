/* migrate - flags, UIDLs and re-run detection for migrate(8); see migrate.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "crc.h"
#include "file.h"
#include "folder.h"
#include "maildir.h"
#include "mbox.h"
#include "mem.h"
#include "migrate.h"
#include "mime.h"
#include "store.h"

uint32_t
migrate_status_flags(const char *hdr, size_t len)
{
	struct buf v = BUF_INIT;
	uint32_t flags = 0;
	size_t i;

	if (mime_header_value(hdr, len, "Status", &v) == 1)
		for (i = 0; i < v.len; i++)
			if (v.data[i] == 'R')
				flags |= MSG_SEEN;
	buf_reset(&v);
	if (mime_header_value(hdr, len, "X-Status", &v) == 1)
		for (i = 0; i < v.len; i++)
			switch (v.data[i]) {
			case 'A': flags |= MSG_ANSWERED; break;
			case 'F': flags |= MSG_FLAGGED; break;
			case 'T': flags |= MSG_DRAFT; break;
			case 'D': flags |= MSG_DELETED; break;
			default: break;
			}
	buf_free(&v);
	return flags;
}

int
migrate_xuidl(const char *hdr, size_t len, struct buf *out)
{
	struct buf v = BUF_INIT;
	int rc = 0;

	if (mime_header_value(hdr, len, "X-UIDL", &v) == 1) {
		while (v.len && (v.data[v.len - 1] == ' ' ||
		    v.data[v.len - 1] == '\t' || v.data[v.len - 1] == '\r'))
			v.len--;
		if (maildir_uidl_ok(v.data, v.len)) {
			buf_append(out, v.data, v.len);
			rc = 1;
		}
	}
	buf_free(&v);
	return rc;
}

/* The CRC-32C of a message's header (up to its empty line). */
static int
crc_header(void *vctx, const char *p, size_t len, int bol)
{
	uint32_t *crc = vctx;

	if (bol && (len == 1 || (len == 2 && p[0] == '\r')))
		return 1;
	*crc = crc32c_update(*crc, p, len);
	return 0;
}

int
migrate_mbox_uidl(struct mbox_file *mb, size_t i, struct buf *out,
    char **why_r)
{
	const struct mbox_msg *m = mbox_msg(mb, i);
	uint32_t crc = crc32c(NULL, 0);

	if (m == NULL) {
		errno = EINVAL;
		return file_whyf(why_r, "no message %zu", i + 1);
	}
	if (mbox_read(mb, i, crc_header, &crc, why_r) < 0)
		return -1;
	buf_printf(out, "%08x%08x%llx", m->from_crc, crc,
	    (unsigned long long)m->crlf_size);
	return 0;
}

/* ---- the UIDL set ---- */

static size_t
uidl_hash(const char *s)
{
	return (size_t)crc32c(s, strlen(s));
}

/* Put index i of u->v in the table (which has room). */
static void
slot_put(struct migrate_uidls *u, size_t i)
{
	size_t mask = u->nslots - 1, h = uidl_hash(u->v[i]) & mask;

	while (u->slots[h] != 0)
		h = (h + 1) & mask;
	u->slots[h] = i + 1;
}

void
migrate_uidls_add(struct migrate_uidls *u, const char *uidl)
{
	size_t i;

	if (u->n == u->cap) {
		u->cap = u->cap ? mem_add(u->cap, u->cap) : 256;
		u->v = mem_realloc(u->v, u->cap, sizeof(*u->v));
	}
	u->v[u->n++] = mem_strdup(uidl);
	if (u->n * 2 > u->nslots) {	/* keep the table at most half full */
		free(u->slots);
		u->nslots = u->nslots ? mem_add(u->nslots, u->nslots) : 512;
		u->slots = mem_zalloc(u->nslots, sizeof(*u->slots));
		for (i = 0; i < u->n; i++)
			slot_put(u, i);
	} else
		slot_put(u, u->n - 1);
}

int
migrate_uidls_has(const struct migrate_uidls *u, const char *uidl)
{
	size_t mask, h;

	if (u->nslots == 0)
		return 0;
	mask = u->nslots - 1;
	for (h = uidl_hash(uidl) & mask; u->slots[h] != 0; h = (h + 1) & mask)
		if (strcmp(u->v[u->slots[h] - 1], uidl) == 0)
			return 1;
	return 0;
}

int
migrate_uidls_load(struct store *s, const struct acct *a, uint32_t folder_id,
    struct migrate_uidls *u, char **why_r)
{
	struct buf uidl = BUF_INIT;
	struct folder *f;
	struct msgrec r;
	uint32_t seq, n;
	int rc;

	memset(u, 0, sizeof(*u));
	rc = folder_open_id(s, a, folder_id, FOLDER_RDONLY, &f, why_r);
	if (rc <= 0)
		return rc;
	n = folder_count(f);
	for (seq = 0; seq < n; seq++) {
		if (folder_record(f, seq, &r, NULL) != 1)
			continue;
		buf_reset(&uidl);
		folder_uidl(f, &r, &uidl);
		migrate_uidls_add(u, buf_cstr(&uidl));
	}
	folder_close(f);
	buf_free(&uidl);
	return 0;
}

void
migrate_uidls_free(struct migrate_uidls *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	free(u->slots);
	memset(u, 0, sizeof(*u));
}
