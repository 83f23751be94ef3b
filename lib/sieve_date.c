/* sieve_date - currentdate's date parts (RFC 5260); see sieve.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "sieve.h"

static const char *const parts[] = { "date", "year", "month", "day",
	"julian", "hour", "minute", "second", "time", "iso8601", "std11",
	"zone", "weekday" };

int
sieve_date_part_ok(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strcasecmp(name, parts[i]) == 0)
			return 1;
	return 0;
}

int
sieve_zone_offset(const char *zone, long *off_r)
{
	int i, h, m;

	if (strlen(zone) != 5 || (zone[0] != '+' && zone[0] != '-'))
		return -1;
	for (i = 1; i < 5; i++)
		if (zone[i] < '0' || zone[i] > '9')
			return -1;
	h = (zone[1] - '0') * 10 + (zone[2] - '0');
	m = (zone[3] - '0') * 10 + (zone[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	if (off_r)
		*off_r = (zone[0] == '-' ? -1L : 1L) * (h * 3600L + m * 60L);
	return 0;
}

int
sieve_date_part(const char *part, time_t t, long off, struct buf *out)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t local = t + off;
	long a = off < 0 ? -off : off;
	char zone[8];
	struct tm tm;

	if (gmtime_r(&local, &tm) == NULL)
		return -1;
	snprintf(zone, sizeof(zone), "%c%02ld%02ld", off < 0 ? '-' : '+',
	    a / 3600 % 100, a / 60 % 60);
	if (strcasecmp(part, "date") == 0)
		buf_printf(out, "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	else if (strcasecmp(part, "year") == 0)
		buf_printf(out, "%04d", tm.tm_year + 1900);
	else if (strcasecmp(part, "month") == 0)
		buf_printf(out, "%02d", tm.tm_mon + 1);
	else if (strcasecmp(part, "day") == 0)
		buf_printf(out, "%02d", tm.tm_mday);
	else if (strcasecmp(part, "julian") == 0)
		/* Modified Julian Day: days since 1858-11-17. */
		buf_printf(out, "%lld", (long long)((local / 86400 -
		    (local % 86400 < 0)) + 40587));
	else if (strcasecmp(part, "hour") == 0)
		buf_printf(out, "%02d", tm.tm_hour);
	else if (strcasecmp(part, "minute") == 0)
		buf_printf(out, "%02d", tm.tm_min);
	else if (strcasecmp(part, "second") == 0)
		buf_printf(out, "%02d", tm.tm_sec);
	else if (strcasecmp(part, "time") == 0)
		buf_printf(out, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else if (strcasecmp(part, "iso8601") == 0)
		buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%.3s:%s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, zone, zone + 3);
	else if (strcasecmp(part, "std11") == 0)
		buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d %s",
		    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	else if (strcasecmp(part, "zone") == 0)
		buf_puts(out, zone);
	else if (strcasecmp(part, "weekday") == 0)
		buf_printf(out, "%d", tm.tm_wday);
	else
		return -1;
	return 0;
}
