/*
 * userrules - the vacation notice and the filter rules of the user
 * interface, kept as the account's Sieve script (webrules.h writes and
 * reads it, sieve.h checks and stores it; deliver(8) runs it).
 *
 * A script the interface did not write (one set with popmgr) is shown
 * as such; saving rules here replaces it, and the pages say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cgi.h"
#include "log.h"
#include "mem.h"
#include "num.h"
#include "sieve.h"
#include "tmpl.h"
#include "webrules.h"

/* 1 when the Sieve interpreter offers currentdate (RFC 5260 "date"). */
static int
have_date(void)
{
	const char *p = SIEVE_EXTENSIONS;
	size_t n;

	while (*p) {
		n = strcspn(p, " ");
		if (n == 4 && strncmp(p, "date", 4) == 0)
			return 1;
		p += n + (p[n] == ' ');
	}
	return 0;
}

/* The account's rules; *foreign_r when its script is not ours. */
static void
rules_load(struct web *w, struct webrules *r, int *foreign_r)
{
	struct buf text = BUF_INIT;
	char *why = NULL;
	int rc;

	webrules_init(r);
	*foreign_r = 0;
	rc = sieve_script_load(w->store, w->user.name, &text, &why);
	if (rc < 0) {
		web_log(w, LOG_ERR, "sieve_unreadable", "reason", why, NULL, NULL);
		web_error(w, 503, "Your rules cannot be read now.");
	}
	if (rc == 1 && (rc = webrules_read(text.data, text.len, r, &why)) != 1) {
		if (rc < 0)
			web_log(w, LOG_ERR, "sieve_damaged", "reason", why, NULL,
			    NULL);
		*foreign_r = 1;
		webrules_free(r);
		webrules_init(r);
	}
	free(why);
	buf_free(&text);
}

static void
rules_save(struct web *w, struct webrules *r, const char *page)
{
	struct buf text = BUF_INIT;
	struct sieve_script *s = NULL;
	char today[16], *why = NULL;
	time_t now = (time_t)w->now;
	struct tm tm;

	if (webrules_check(r, &why) < 0) {
		tmpl_set(w->data, "error", why);
		free(why);
		return;		/* the caller shows the page again */
	}
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(today, sizeof(today), "%Y-%m-%d", &tm) == 0)
		today[0] = '\0';
	webrules_script(r, have_date(), today, &text);
	if (sieve_parse(text.data, text.len, &s, &why) < 0 ||
	    sieve_script_save(w->store, w->user.name, text.data, text.len,
	    &why) < 0) {
		web_log(w, LOG_ERR, "sieve_save_failed", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "Your rules could not be saved now.");
	}
	sieve_free(s);
	buf_free(&text);
	web_log(w, LOG_NOTICE, "rules_saved", "rules", page, NULL, NULL);
	web_redirect(w, strcmp(page, "vacation") == 0 ?
	    "p=vacation&done=vacation" : "p=filters&done=rules");
}

/* ---- the vacation notice ---- */

static void
vacation_data(struct web *w, const struct webrules *r, int foreign)
{
	struct tmpl_data *d = w->data;

	tmpl_set_bool(d, "on", r->vacation);
	tmpl_set(d, "start", r->start);
	tmpl_set(d, "end", r->end);
	tmpl_setf(d, "days", "%llu", (unsigned long long)r->days);
	tmpl_set(d, "subject", r->subject);
	tmpl_set(d, "text", r->text);
	tmpl_set_bool(d, "foreign", foreign);
	tmpl_set_bool(d, "no_dates", !have_date());
}

void
user_vacation_page(struct web *w)
{
	struct webrules r;
	int foreign;

	rules_load(w, &r, &foreign);
	vacation_data(w, &r, foreign);
	webrules_free(&r);
	web_page(w, "vacation");
}

/* Browsers send CRLF in a textarea: keep LF only. */
static char *
lines(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++)
		if (*s != '\r')
			buf_putc(&b, *s);
		else if (s[1] != '\n')
			buf_putc(&b, '\n');
	return buf_steal(&b);
}

void
user_act_vacation(struct web *w)
{
	struct webrules r;
	uint64_t days;
	int foreign;

	rules_load(w, &r, &foreign);
	r.vacation = *web_str(w, "on") != '\0';
	snprintf(r.start, sizeof(r.start), "%.10s", web_str(w, "start"));
	snprintf(r.end, sizeof(r.end), "%.10s", web_str(w, "end"));
	if (strlen(web_str(w, "start")) > 10 || strlen(web_str(w, "end")) > 10)
		r.start[0] = 'x';	/* refused by the check */
	/* An empty field (a notice switched off) keeps the saved value. */
	if (*web_str(w, "days") != '\0')
		r.days = num_parse_u64(web_str(w, "days"), 1000, &days) == 0 ?
		    days : 0;
	free(r.subject);
	free(r.text);
	r.subject = mem_strdup(web_str(w, "subject"));
	r.text = lines(web_str(w, "text"));
	rules_save(w, &r, "vacation");
	vacation_data(w, &r, foreign);
	webrules_free(&r);
	web_page(w, "vacation");
}

/* ---- filter rules ---- */

static const char *const field_words[] = { "from", "subject" };
static const char *const action_words[] = { "fileinto", "discard",
    "forward" };

static int
word(const char *const *words, int n, const char *w)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

static void
filters_data(struct web *w, const struct webrules *r, int foreign)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct tmpl_data *it = tmpl_add(w->data, "rules");

		tmpl_setf(it, "index", "%zu", i);
		tmpl_set(it, "field", r->v[i].field == WEBRULES_FROM ? "From" :
		    "Subject");
		tmpl_set(it, "value", r->v[i].value);
		tmpl_set(it, "action", r->v[i].action == WEBRULES_FILEINTO ?
		    "file into" : r->v[i].action == WEBRULES_DISCARD ?
		    "discard" : "forward to");
		tmpl_set(it, "arg", r->v[i].arg);
	}
	tmpl_set_bool(w->data, "foreign", foreign);
	tmpl_setf(w->data, "max", "%d", WEBRULES_MAX);
}

void
user_filters_page(struct web *w)
{
	struct webrules r;
	int foreign;

	rules_load(w, &r, &foreign);
	filters_data(w, &r, foreign);
	webrules_free(&r);
	web_page(w, "filters");
}

void
user_act_rule(struct web *w, const char *op)
{
	struct webrules r;
	uint64_t i;
	int foreign, field, action;

	rules_load(w, &r, &foreign);
	if (strcmp(op, "add") == 0) {
		field = word(field_words, 2, web_str(w, "field"));
		action = word(action_words, 3, web_str(w, "action"));
		if (field < 0 || action < 0)
			web_error(w, 400, "Unknown field or action.");
		webrules_add(&r, field, web_str(w, "value"), action,
		    action == WEBRULES_DISCARD ? "" : web_str(w, "arg"));
		tmpl_set(w->data, "value", web_str(w, "value"));
		tmpl_set(w->data, "arg", web_str(w, "arg"));
	} else if (strcmp(op, "delete") == 0 &&
	    num_parse_u64(web_str(w, "index"), WEBRULES_MAX, &i) == 0 &&
	    i < r.n) {
		free(r.v[i].value);
		free(r.v[i].arg);
		memmove(&r.v[i], &r.v[i + 1], (r.n - i - 1) * sizeof(*r.v));
		r.n--;
	} else {
		web_error(w, 400, "Unknown rule.");
	}
	rules_save(w, &r, "filters");
	if (strcmp(op, "add") == 0) {	/* refused: show the saved rules */
		r.n--;
		free(r.v[r.n].value);
		free(r.v[r.n].arg);
	}
	filters_data(w, &r, foreign);
	webrules_free(&r);
	web_page(w, "filters");
}
