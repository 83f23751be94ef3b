/*
 * NAME
 *	crc - CRC-32C (Castagnoli) checksums for on-disk records
 * DESCRIPTION
 *	Every checksummed structure in the store (index records and headers,
 *	cache records, state and usage records) uses CRC-32C, polynomial
 *	0x1EDC6F41 reflected, initial value and final XOR 0xFFFFFFFF, so that
 *	crc32c("123456789") == 0xE3069283. The value is stored big-endian.
 */
#ifndef POPSTORE_CRC_H
#define POPSTORE_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Checksum of len bytes. */
uint32_t crc32c(const void *data, size_t len);

/* Continue a checksum: crc32c_update(crc32c(a), b) == crc32c(a b). */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);

#endif
