/* crc - CRC-32C; see crc.h. Slicing by one byte: records are small. */
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

uint32_t
crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

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
