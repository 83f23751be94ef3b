/*
 * select - the accounts a command acts on: names and wildcard patterns
 * ('*' any run, '%' one character) expanded through the accounts
 * database, narrowed by -group and by what a logged-in manager may
 * manage (manage.h); and PMDF's confirmation rules for wildcards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "manage.h"
#include "mem.h"
#include "name.h"
#include "store.h"
#include "popmgr.h"

struct manage_filter *
select_filter_new(struct mgr *m, const char *group, int *rc_r)
{
	struct manage_filter *f;
	char *why = NULL;

	*rc_r = 0;
	f = manage_filter_new(m->store, m->confined ? &m->manager : NULL, group,
	    &why);
	if (f == NULL) {
		*rc_r = mgr_fail(m, EX_DATAERR, "-group: %s", why);
		free(why);
	}
	return f;
}

struct sel {
	struct mgr	*m;
	struct manage_pattern **patterns;
	size_t		 npatterns;
	int		 with_reserved;
	struct words	*out;
	struct manage_filter *filter;
};

static int
one(const struct acct *a, void *ctx)
{
	struct sel *s = ctx;
	size_t i;

	if (!s->with_reserved && name_is_reserved(a->name))
		return 0;
	for (i = 0; i < s->npatterns; i++)
		if (manage_pattern_match(s->patterns[i], s->m->store->domain,
		    a->name))
			break;
	if (i < s->npatterns && manage_filter_allows(s->filter, a))
		words_add(s->out, a->name, strlen(a->name));
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop repeated names. */
static void
sort_unique(struct words *w)
{
	size_t i, k = 0;

	if (w->n == 0)
		return;
	qsort(w->v, w->n, sizeof(*w->v), cmp_names);
	for (i = 1; i < w->n; i++) {
		if (strcmp(w->v[i], w->v[k]) == 0)
			free(w->v[i]);
		else
			w->v[++k] = w->v[i];
	}
	w->n = k + 1;
	w->v[w->n] = NULL;
}

int
select_accounts(struct mgr *m, const struct words *items, const char *group,
    int with_reserved, struct words *out, int *wild_r)
{
	struct sel s;
	struct buf name = BUF_INIT;
	char *why = NULL;
	size_t i;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.m = m;
	s.with_reserved = with_reserved;
	s.out = out;
	*wild_r = 0;
	if ((s.filter = select_filter_new(m, group, &rc)) == NULL)
		return rc;
	for (i = 0; i < items->n && rc == 0; i++) {
		if (name_has_wildcards(items->v[i])) {
			s.patterns = mem_realloc(s.patterns, s.npatterns + 1,
			    sizeof(*s.patterns));
			s.patterns[s.npatterns++] = manage_pattern_new(items->v[i],
			    0, NULL);
			continue;
		}
		buf_reset(&name);
		if ((rc = mgr_canon(m, items->v[i], &name)) == 0)
			words_add(out, name.data, name.len);
	}
	if (rc == 0 && s.npatterns) {
		*wild_r = 1;
		if (acct_db_walk(m->store, one, &s, &why) < 0)
			rc = mgr_fail(m, EX_TEMPFAIL, "accounts database: %s",
			    why);
	}
	if (rc == 0)
		sort_unique(out);
	free(why);
	buf_free(&name);
	for (i = 0; i < s.npatterns; i++)
		manage_pattern_free(s.patterns[i]);
	free(s.patterns);
	manage_filter_free(s.filter);
	return rc;
}

int
select_confirm(struct mgr *m, const char *verb, const struct words *names,
    int wild, struct sw_val *confirm, int *each_r)
{
	char q[128];
	int want = confirm->given ? !confirm->negated : wild;

	*each_r = 0;
	if (want && !m->interactive) {
		if (!wild)
			return 0;	/* nothing to ask: PMDF's batch mode */
		return mgr_fail(m, EX_USAGE, "%s: a wildcard needs -noconfirm "
		    "when popmgr does not run at a terminal", verb);
	}
	if (want) {
		*each_r = 1;
		return 0;
	}
	if (!wild || !m->interactive || names->n == 0)
		return 0;
	snprintf(q, sizeof(q), "%s %zu account%s?", verb, names->n,
	    names->n == 1 ? "" : "s");
	q[0] = (char)(q[0] & ~0x20);
	return prompt_confirm(m, q) >= 1 ? 0 : -1;
}
