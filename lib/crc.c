/*
 * crc - CRC-32C; see crc.h. The SSE4.2 crc32 instruction computes exactly
 * this polynomial: it is used when the processor has it (every cache
 * record read by FETCH is checked, so this is on the hot path), else a
 * table, one byte at a time.
 */
#include <string.h>

#include "crc.h"

static uint32_t table[256];
static int table_ready;

static void
make_table(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_HW 1
__attribute__((target("sse4.2")))
static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = ~crc & 0xffffffffU, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

uint32_t
crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

#ifdef CRC_HW
	static int hw = -1;

	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (hw)
		return crc_hw(crc, p, len);
#endif
	if (!table_ready)
		make_table();
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t
crc32c(const void *data, size_t len)
{
	return crc32c_update(0, data, len);
}
