/*
 * maildir - fuzz the Maildir file name parser (lib/maildir.c) and the
 * header readers migrate uses on each message (lib/migrate.c).
 *
 * Input: the bytes up to the first newline are a file name (as readdir
 * could return it: NUL ends it), the rest a message header block.
 * Checked: a name is accepted only when non-empty, at most
 * MAILDIR_NAME_MAX bytes, not starting with '.', free of '/' and
 * control bytes; the unique part is non-empty and inside the name; the
 * flags are system flags only; a UIDL accepted is 1..70 printable bytes;
 * the flags from Status/X-Status are system flags only; an X-UIDL taken
 * is a valid UIDL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "folder.h"
#include "maildir.h"
#include "migrate.h"

static void
check_name(const char *name, size_t len)
{
	struct maildir_name n;
	size_t i;

	if (maildir_name_parse(name, len, &n) < 0)
		return;
	if (len == 0 || len > MAILDIR_NAME_MAX || name[0] == '.' ||
	    n.uniq_len == 0 || n.uniq_len > len ||
	    (n.flags & ~(uint32_t)MSG_SYSFLAGS))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == '/' ||
		    name[i] == 0x7f)
			abort();
	if (!n.has_info && n.uniq_len != len)
		abort();
	if (maildir_uidl_ok(name, n.uniq_len) && n.uniq_len > MAILDIR_UIDL_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl = memchr(p, '\n', size);
	size_t nlen = nl ? (size_t)(nl - p) : size, i;
	const char *nul = memchr(p, '\0', nlen);
	struct buf uidl = BUF_INIT;
	uint32_t flags;

	check_name(p, nul ? (size_t)(nul - p) : nlen);
	if (nl == NULL)
		return 0;
	p = nl + 1;
	size -= nlen + 1;
	flags = migrate_status_flags(p, size);
	if (flags & ~(uint32_t)MSG_SYSFLAGS)
		abort();
	if (migrate_xuidl(p, size, &uidl)) {
		if (uidl.len == 0 || uidl.len > MIGRATE_UIDL_MAX)
			abort();
		for (i = 0; i < uidl.len; i++)
			if ((unsigned char)uidl.data[i] < 0x21 ||
			    (unsigned char)uidl.data[i] > 0x7e)
				abort();
	} else if (uidl.len) {
		abort();
	}
	buf_free(&uidl);
	return 0;
}
