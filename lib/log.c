/* log - key=value event lines to syslog, stderr and a file; see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static const char *log_prog = "popstore";
static int log_stderr;
static int log_fd = -1;
static int log_level = LOG_INFO;
static unsigned long log_errors;

void
log_open(const char *prog, int to_stderr)
{
	log_prog = prog;
	log_stderr = to_stderr;
	if (to_stderr)
		log_level = LOG_DEBUG;
	openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
log_set_file(const char *path)
{
	int fd;

	if (log_fd >= 0) {
		close(log_fd);
		log_fd = -1;
	}
	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd < 0)
		return -1;
	log_fd = fd;
	return 0;
}

void
log_set_level(int prio)
{
	log_level = prio;
}

unsigned long
log_error_count(void)
{
	return log_errors;
}

static int
needs_quotes(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == ' ' || s[i] == '"' || s[i] == '=' || s[i] == '\\')
			return 1;
	return 0;
}

void
log_safe(struct buf *out, const char *s, size_t len)
{
	int quote = needs_quotes(s, len);
	size_t i, n = len > LOG_VALUE_MAX ? LOG_VALUE_MAX : len;

	if (quote)
		buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_putc(out, '\\');
		buf_putc(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (n < len)
		buf_puts(out, "...");
	if (quote)
		buf_putc(out, '"');
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "crit";
	case LOG_ERR: return "err";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

static void
emit(int prio, const struct buf *line)
{
	struct buf out = BUF_INIT;
	char stamp[32];
	struct tm tm;
	time_t now;

	if (prio <= LOG_ERR)
		log_errors++;
	if (prio > log_level)
		return;
	syslog(LOG_MAIL | prio, "%s", buf_cstr(line));
	if (log_stderr) {
		buf_printf(&out, "%s[%ld]: %s: %s\n", log_prog, (long)getpid(),
		    prio_name(prio), buf_cstr(line));
		(void)!write(2, out.data, out.len);
		buf_reset(&out);
	}
	if (log_fd >= 0) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		buf_printf(&out, "%s %s[%ld]: %s: %s\n", stamp, log_prog,
		    (long)getpid(), prio_name(prio), buf_cstr(line));
		(void)!write(log_fd, out.data, out.len);
	}
	buf_free(&out);
}

void
log_event(int prio, const char *event, ...)
{
	struct buf line = BUF_INIT;
	const char *k, *v;
	va_list ap;
	int saved = errno;

	buf_printf(&line, "event=%s", event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		buf_printf(&line, " %s=", k);
		if (v == NULL)
			buf_putc(&line, '-');
		else
			log_safe(&line, v, strlen(v));
	}
	va_end(ap);
	emit(prio, &line);
	buf_free(&line);
	errno = saved;
}

void
log_eventf(int prio, const char *event, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;
	int saved = errno;

	buf_printf(&line, "event=%s", event);
	if (*fmt) {
		buf_putc(&line, ' ');
		va_start(ap, fmt);
		buf_vprintf(&line, fmt, ap);
		va_end(ap);
	}
	emit(prio, &line);
	buf_free(&line);
	errno = saved;
}
