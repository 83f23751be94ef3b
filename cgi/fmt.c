/*
 * fmt - values as pages show them: times, sizes, and the notice a
 * redirect after an action asks for (a code from a fixed table, so a
 * link can never put words of its own on a page).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cgi.h"
#include "log.h"
#include "num.h"
#include "tmpl.h"

void
fmt_time(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M", &tm) == 0)
		buf_puts(out, "never");
	else
		buf_puts(out, s);
}

void
fmt_size(uint64_t bytes, struct buf *out)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		buf_printf(out, "%llu bytes", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	buf_printf(out, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

void
fmt_set_size(struct tmpl_data *d, const char *name, uint64_t bytes)
{
	struct buf b = BUF_INIT;

	fmt_size(bytes, &b);
	tmpl_set(d, name, b.data);
	buf_free(&b);
}

void
fmt_set_time(struct tmpl_data *d, const char *name, int64_t t)
{
	struct buf b = BUF_INIT;

	fmt_time(t, &b);
	tmpl_set(d, name, b.data);
	buf_free(&b);
}

static const struct {
	const char	*code;
	const char	*text;
} notices[] = {
	{ "saved", "Saved." },
	{ "added", "The account was added." },
	{ "copied", "The account was copied." },
	{ "renamed", "The account was renamed." },
	{ "deleted", "The account was deleted." },
	{ "forward", "The forwarding was saved." },
	{ "noforward", "The forwarding was removed." },
	{ "group", "The group was saved." },
	{ "nogroup", "The group was deleted." },
	{ "password", "Your password was changed." },
	{ "vacation", "Your vacation notice was saved." },
	{ "rules", "Your filter rules were saved." },
	{ "msgs", NULL },
};

/* A count from the query, 0 when missing or bad. */
static unsigned long long
count(struct web *w, const char *name)
{
	const char *v = form_get(&w->query, name);
	uint64_t n = 0;

	if (v && num_parse_u64(v, 1000000000, &n) < 0)
		n = 0;
	return n;
}

void
fmt_notice(struct web *w)
{
	const char *done = form_get(&w->query, "done");
	struct buf b = BUF_INIT;
	size_t i;

	if (done == NULL)
		return;
	for (i = 0; i < sizeof(notices) / sizeof(notices[0]); i++) {
		if (strcmp(done, notices[i].code) != 0)
			continue;
		if (notices[i].text) {
			tmpl_set(w->data, "notice", notices[i].text);
			break;
		}
		buf_printf(&b, "%llu deleted, %llu returned to the sender.",
		    count(w, "n"), count(w, "r"));
		if (count(w, "k"))
			buf_printf(&b, " %llu could not be returned and were "
			    "kept.", count(w, "k"));
		tmpl_set(w->data, "notice", b.data);
		break;
	}
	buf_free(&b);
}
