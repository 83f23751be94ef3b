/*
 * select - the accounts a command acts on: names and wildcard patterns
 * ('*' any run, '%' one character) expanded through the accounts
 * database, narrowed by -group and by what a logged-in manager may
 * manage; and PMDF's confirmation rules for wildcards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "mem.h"
#include "name.h"
#include "store.h"
#include "popmgr.h"

#define MEMO_MAX	256

/* Answers of the group rules, by group and domain: lists ask few. */
struct select_filter {
	struct mgr	*m;
	const char	*group;		/* -group, or NULL */
	char		 gbuf[GROUP_NAME_MAX + 1];
	struct {
		char	group[GROUP_NAME_MAX + 1];
		char	domain[ACCT_DOMAIN_MAX + 1];
		int	allowed;
	} v[MEMO_MAX];
	size_t		 n;
};

struct select_filter *
select_filter_new(struct mgr *m, const char *group, int *rc_r)
{
	struct select_filter *f = mem_zalloc(1, sizeof(*f));
	char *why = NULL;

	f->m = m;
	*rc_r = 0;
	if (group && group_canon(group, f->gbuf, &why) < 0) {
		*rc_r = mgr_fail(m, EX_DATAERR, "-group: %s", why);
		free(why);
		free(f);
		return NULL;
	}
	f->group = group ? f->gbuf : NULL;
	return f;
}

void
select_filter_free(struct select_filter *f)
{
	free(f);
}

int
select_filter_allows(struct select_filter *f, const struct acct *a)
{
	const char *dom = name_domain(a->name);
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].group, a->group) == 0 &&
		    strcmp(f->v[i].domain, dom) == 0)
			return f->v[i].allowed;
	if (i == MEMO_MAX)
		f->n = i = 0;
	snprintf(f->v[i].group, sizeof(f->v[i].group), "%s", a->group);
	snprintf(f->v[i].domain, sizeof(f->v[i].domain), "%s", dom);
	f->v[i].allowed = (f->group == NULL ||
	    group_within(f->m->store, a->group, f->group, NULL) == 1) &&
	    (!f->m->confined ||
	    group_may_manage(f->m->store, &f->m->manager, a, NULL) == 1);
	f->n++;
	return f->v[i].allowed;
}

struct sel {
	struct mgr	*m;
	struct words	 patterns;
	int		 with_reserved;
	struct words	*out;
	struct select_filter *filter;
};

/* Pattern "local[@domain]" against a canonical name. */
static int
matches(const struct sel *s, const char *pat, const char *name)
{
	const char *pat_at = strchr(pat, '@'), *dom = name_domain(name);
	size_t llen = strcspn(name, "@");
	char local[ACCT_NAME_MAX + 1], lpat[ACCT_NAME_MAX * 2 + 1];

	snprintf(local, sizeof(local), "%.*s", (int)llen, name);
	if (pat_at == NULL)
		return strcmp(dom, s->m->store->domain) == 0 &&
		    name_match(pat, local);
	snprintf(lpat, sizeof(lpat), "%.*s", (int)(pat_at - pat), pat);
	return name_match(lpat, local) && name_match(pat_at + 1, dom);
}

static int
one(const struct acct *a, void *ctx)
{
	struct sel *s = ctx;
	size_t i;

	if (!s->with_reserved && name_is_reserved(a->name))
		return 0;
	for (i = 0; i < s->patterns.n; i++)
		if (matches(s, s->patterns.v[i], a->name))
			break;
	if (i < s->patterns.n && select_filter_allows(s->filter, a))
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
			words_add(&s.patterns, items->v[i], strlen(items->v[i]));
			continue;
		}
		buf_reset(&name);
		if ((rc = mgr_canon(m, items->v[i], &name)) == 0)
			words_add(out, name.data, name.len);
	}
	if (rc == 0 && s.patterns.n) {
		*wild_r = 1;
		if (acct_db_walk(m->store, one, &s, &why) < 0)
			rc = mgr_fail(m, EX_TEMPFAIL, "accounts database: %s",
			    why);
	}
	if (rc == 0)
		sort_unique(out);
	free(why);
	buf_free(&name);
	words_free(&s.patterns);
	select_filter_free(s.filter);
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
