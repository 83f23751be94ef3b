/* result - outcomes in the MTA's terms, and envelope address checks. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "deliver.h"
#include "file.h"

void
result_set(struct result *r, int status, int reply, const char *dsn,
    int exitcode, const char *fmt, ...)
{
	va_list ap;
	char *p;

	r->status = status;
	r->reply = reply;
	r->exitcode = exitcode;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);	/* may cut */
	va_end(ap);
	for (p = r->text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void
result_from_errno(struct result *r, int err, const char *what, const char *why)
{
	const char *dsn = "4.3.0";

	if (!file_errno_temporary(err)) {
		result_set(r, RS_PERM, 554, "5.3.0", EX_CANTCREAT, "%s: %s", what,
		    why ? why : strerror(err));
		return;
	}
	if (err == ENOSPC || err == EDQUOT)
		dsn = "4.3.1";		/* mail system full */
	else if (err == EWOULDBLOCK)
		dsn = "4.2.0";		/* lock timeout: mailbox busy */
	result_set(r, RS_TEMP, 451, dsn, EX_TEMPFAIL, "%s: %s", what,
	    why ? why : strerror(err));
}

int
addr_ok(const char *addr, size_t len)
{
	size_t i;

	if (len > DELIVER_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] < 0x20 || addr[i] == 0x7f)
			return 0;
	return 1;
}
