/*
 * NAME
 *	folderfmt - the binary formats of a folder (lib/ only)
 * DESCRIPTION
 *	Encoding and decoding of the index header, index records and state
 *	records described in popstore(5), shared by folder.c (sessions and
 *	delivery) and recon.c (reconstruct). Decoders check the CRC-32C and
 *	the constants and return -1 on anything else.
 */
#ifndef POPSTORE_FOLDERFMT_H
#define POPSTORE_FOLDERFMT_H

#include <stdint.h>

#include "rlog.h"

struct folder_state;
struct msgrec;

#define STATE_KIND	RLOG_KIND('F', 'S', 'T', 'A')
#define STATE_RECSIZE	80
#define XLOG_KIND	RLOG_KIND('X', 'U', 'N', 'G')
#define XLOG_RECSIZE	24	/* uid, pad, modseq, reserved, crc */
#define CACHE_HDR	16

struct ffmt_hdr {
	uint32_t uidvalidity, uid_base, index_gen, cache_gen;
	uint64_t modseq_base;
	int64_t	 created;
};

void ffmt_hdr_encode(unsigned char *h, uint32_t uidvalidity, uint32_t uid_base,
    uint32_t index_gen, uint64_t modseq_base, int64_t created,
    uint32_t cache_gen);
int ffmt_hdr_decode(const unsigned char *h, struct ffmt_hdr *fh);
void ffmt_rec_encode(const struct msgrec *r, unsigned char *p);
int ffmt_rec_decode(const unsigned char *p, struct msgrec *r);
void ffmt_state_encode(const struct folder_state *st, unsigned char *p);
void ffmt_state_decode(const unsigned char *p, struct folder_state *st);

#endif
