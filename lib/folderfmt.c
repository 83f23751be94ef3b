/* folderfmt - encoding of index headers, records and folder states;
 * see folderfmt.h and popstore(5). */
#include <string.h>

#include "be.h"
#include "crc.h"
#include "folder.h"
#include "folderfmt.h"

void
ffmt_hdr_encode(unsigned char *h, uint32_t uidvalidity, uint32_t uid_base,
    uint32_t index_gen, uint64_t modseq_base, int64_t created,
    uint32_t cache_gen)
{
	memset(h, 0, FOLDER_HDR_SIZE);
	memcpy(h, "PSIX", 4);
	be16_put(h + 4, 1);
	be16_put(h + 6, FOLDER_REC_SIZE);
	be32_put(h + 8, FOLDER_HDR_SIZE);
	be32_put(h + 12, uidvalidity);
	be32_put(h + 16, uid_base);
	be32_put(h + 20, index_gen);
	be64_put(h + 24, modseq_base);
	be64_put(h + 32, (uint64_t)created);
	be32_put(h + 40, cache_gen);
	be32_put(h + 124, crc32c(h, 124));
}

int
ffmt_hdr_decode(const unsigned char *h, struct ffmt_hdr *fh)
{
	if (memcmp(h, "PSIX", 4) != 0 || be16_get(h + 4) != 1 ||
	    be16_get(h + 6) != FOLDER_REC_SIZE ||
	    be32_get(h + 8) != FOLDER_HDR_SIZE ||
	    crc32c(h, 124) != be32_get(h + 124))
		return -1;
	fh->uidvalidity = be32_get(h + 12);
	fh->uid_base = be32_get(h + 16);
	fh->index_gen = be32_get(h + 20);
	fh->modseq_base = be64_get(h + 24);
	fh->created = (int64_t)be64_get(h + 32);
	fh->cache_gen = be32_get(h + 40);
	return 0;
}

void
ffmt_rec_encode(const struct msgrec *r, unsigned char *p)
{
	memset(p, 0, FOLDER_REC_SIZE);
	be32_put(p + 0, r->uid);
	be32_put(p + 4, r->flags);
	be64_put(p + 8, r->keywords);
	be64_put(p + 16, r->modseq);
	be64_put(p + 24, (uint64_t)r->internaldate);
	be16_put(p + 32, (uint16_t)r->tzoff);
	be32_put(p + 36, r->header_len);
	be64_put(p + 40, r->size);
	be64_put(p + 48, r->cache_off);
	be32_put(p + 56, r->cache_len);
	be32_put(p + 60, r->body_lines);
	be64_put(p + 64, (uint64_t)r->savedate);
	be32_put(p + 124, crc32c(p, 124));
}

int
ffmt_rec_decode(const unsigned char *p, struct msgrec *r)
{
	if (crc32c(p, 124) != be32_get(p + 124))
		return -1;
	r->uid = be32_get(p + 0);
	r->flags = be32_get(p + 4);
	r->keywords = be64_get(p + 8);
	r->modseq = be64_get(p + 16);
	r->internaldate = (int64_t)be64_get(p + 24);
	r->tzoff = (int16_t)be16_get(p + 32);
	r->header_len = be32_get(p + 36);
	r->size = be64_get(p + 40);
	r->cache_off = be64_get(p + 48);
	r->cache_len = be32_get(p + 56);
	r->body_lines = be32_get(p + 60);
	r->savedate = (int64_t)be64_get(p + 64);
	return r->uid == 0 ? -1 : 0;
}

void
ffmt_state_encode(const struct folder_state *st, unsigned char *p)
{
	memset(p, 0, STATE_RECSIZE);
	be32_put(p + 8, st->uidvalidity);
	be32_put(p + 12, st->uidnext);
	be64_put(p + 16, st->highestmodseq);
	be32_put(p + 24, st->exists);
	be32_put(p + 28, st->unseen);
	be32_put(p + 32, st->deleted);
	be32_put(p + 36, st->recent_uid);
	be64_put(p + 40, st->bytes);
	be32_put(p + 48, st->first_unseen_uid);
	be32_put(p + 52, st->index_gen);
	be64_put(p + 56, st->cache_dead);
}

void
ffmt_state_decode(const unsigned char *p, struct folder_state *st)
{
	st->uidvalidity = be32_get(p + 8);
	st->uidnext = be32_get(p + 12);
	st->highestmodseq = be64_get(p + 16);
	st->exists = be32_get(p + 24);
	st->unseen = be32_get(p + 28);
	st->deleted = be32_get(p + 32);
	st->recent_uid = be32_get(p + 36);
	st->bytes = be64_get(p + 40);
	st->first_unseen_uid = be32_get(p + 48);
	st->index_gen = be32_get(p + 52);
	st->cache_dead = be64_get(p + 56);
}
