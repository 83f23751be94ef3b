/*
 * NAME
 *	log - one line per event, key=value fields, to syslog facility mail
 * SYNOPSIS
 *	#include "log.h"
 * DESCRIPTION
 *	Every program logs through this module. A line is an event name
 *	followed by key=value fields:
 *
 *		event=login user=jdoe ip=127.0.0.1 mech=PLAIN result=ok
 *
 *	Values are sanitised: bytes outside printable ASCII become '?', a
 *	value holding a space, '"' or '=' is quoted with '"' and '\\'
 *	escapes, and each value is cut at LOG_VALUE_MAX bytes with "..."
 *	appended. A password must never be passed to this module.
 *
 *	Lines go to syslog (LOG_MAIL, LOG_PID, opened with LOG_NDELAY so
 *	it keeps working after chroot), to stderr when log_open() is asked
 *	to (the programs' -d flag), and to the file named by log_set_file()
 *	(the LOG_FILE option) with a timestamp.
 * MEMORY
 *	Nothing is allocated on the caller's behalf.
 */
#ifndef POPSTORE_LOG_H
#define POPSTORE_LOG_H

#include <stddef.h>
#include <syslog.h>

#define LOG_VALUE_MAX	256

struct buf;

/* Open syslog as prog; with to_stderr, copy every line to stderr. */
void log_open(const char *prog, int to_stderr);

/* Also append lines to path (O_APPEND); NULL or "" turns it off.
 * Returns -1 with errno set when the file cannot be opened. */
int log_set_file(const char *path);

/* Lowest priority logged (default LOG_INFO; -d sets LOG_DEBUG). */
void log_set_level(int prio);

/*
 * Log one event. After the event name come key, value pairs of C
 * strings ending with a NULL key; a NULL value is logged as "-".
 */
void log_event(int prio, const char *event, ...)
    __attribute__((sentinel));

/*
 * Log one event whose fields are already formatted as key=value text.
 * Any %s argument that comes from outside must first go through
 * log_safe().
 */
void log_eventf(int prio, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append the sanitised, quoted-if-needed form of s[0..len) to out. */
void log_safe(struct buf *out, const char *s, size_t len);

/* Count of lines logged at LOG_ERR or worse (for tests and exit codes). */
unsigned long log_error_count(void);

#endif
