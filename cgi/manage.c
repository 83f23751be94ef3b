/*
 * popstore-manage.cgi - the web management interface (popstore-cgi(8))
 *
 * For accounts with the MANAGE flag, confined to the accounts they
 * manage (group.h, manage.h): every page and every action asks the
 * same rule, so a forged request reaches no more than the pages do.
 * main() starts, logs in and dispatches: GET ?p=PAGE shows a page,
 * POST do=ACTION changes something and redirects to a page.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "cgi.h"
#include "group.h"
#include "log.h"
#include "manage.h"
#include "mem.h"
#include "name.h"
#include "num.h"
#include "store.h"
#include "tmpl.h"

static const char usage[] =
    "usage: popstore-manage.cgi\n"
    "  a CGI program: run by a web server with POPSTORE_CONF naming the\n"
    "  option file; see popstore-cgi(8)\n";

#define PAGE_ROWS	100	/* accounts on one page of a listing */
#define COLLECT_MAX	100000	/* names one search collects */

void
mgr_canon(struct web *w, const char *input, struct buf *out)
{
	char *why = NULL;

	if (name_canon(&w->conf, w->store->domain, input, out, &why) == 0)
		return;
	tmpl_set(w->data, "error", why);
	free(why);
	web_error(w, 400, "That is not an account name.");
}

void
mgr_target(struct web *w, const char *field, struct acct *a)
{
	struct buf name = BUF_INIT;
	char *why = NULL;
	int rc;

	mgr_canon(w, web_str(w, field), &name);
	rc = acct_load(w->store, name.data, a, &why);
	if (rc < 0) {
		web_log(w, LOG_ERR, "account_unreadable", "account", name.data,
		    "reason", why);
		web_error(w, 503, "The account cannot be read now.");
	}
	if (rc == 1 && (rc = group_may_manage(w->store, &w->user, a,
	    NULL)) != 1) {
		acct_wipe(a);
		web_log(w, LOG_WARNING, "permission_denied", "account",
		    name.data, "action", web_str(w, w->post ? "do" : "p"));
		rc = 0;		/* the same answer as for no account */
	}
	if (rc == 0)
		web_error(w, 404, "No such account (or not one you manage).");
	buf_free(&name);
}

/* ---- the account list ---- */

struct row {
	char	 name[ACCT_NAME_MAX + 1];
	char	 group[ACCT_GROUP_MAX + 1];
	int	 type;
	unsigned flags;
};

struct search {
	struct web		*w;
	struct manage_filter	*filter;	/* the manager's reach */
	struct manage_filter	*in_group;	/* and the group asked for */
	struct manage_pattern	*pattern;
	struct row		*v;
	size_t			 n, cap, managed;
	int			 truncated;
	struct {
		char		 name[ACCT_GROUP_MAX + 1];
		unsigned long	 n;
	} groups[64];
	size_t			 ngroups;
};

static void
count_group(struct search *s, const char *group)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i].name, group) == 0)
			break;
	if (i == s->ngroups) {
		if (i == sizeof(s->groups) / sizeof(s->groups[0]))
			return;
		memcpy(s->groups[i].name, group, sizeof(s->groups[i].name));
		s->ngroups++;
	}
	s->groups[i].n++;
}

static int
search_one(const struct acct *a, void *ctx)
{
	struct search *s = ctx;

	if (!manage_filter_allows(s->filter, a))
		return 0;
	if (!name_is_reserved(a->name)) {
		s->managed++;
		count_group(s, a->group);
	}
	if ((s->in_group && !manage_filter_allows(s->in_group, a)) ||
	    !manage_pattern_match(s->pattern, s->w->store->domain, a->name))
		return 0;
	if (s->n == COLLECT_MAX) {
		s->truncated = 1;
		return 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? mem_add(s->cap, s->cap) : 256;
		s->v = mem_realloc(s->v, s->cap, sizeof(*s->v));
	}
	memcpy(s->v[s->n].name, a->name, sizeof(s->v[s->n].name));
	memcpy(s->v[s->n].group, a->group, sizeof(s->v[s->n].group));
	s->v[s->n].type = a->type;
	s->v[s->n++].flags = a->flags;
	return 0;
}

static int
cmp_rows(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
	    ((const struct row *)b)->name);
}

static void
add_row(struct web *w, const struct row *r)
{
	struct tmpl_data *it = tmpl_add(w->data, "accounts");
	struct buf flags = BUF_INIT;
	struct usage u;

	memset(&u, 0, sizeof(u));
	(void)usage_read(w->store, r->name, &u, NULL);
	acct_flags_format(r->flags, &flags);
	tmpl_set(it, "name", r->name);
	tmpl_set(it, "group", r->group);
	tmpl_set(it, "type", acct_type_name(r->type));
	tmpl_set(it, "flags", flags.data ? flags.data : "");
	tmpl_setf(it, "messages", "%llu", (unsigned long long)u.message_count);
	fmt_set_size(it, "used", u.quota_used);
	tmpl_set_bool(it, "reserved", name_is_reserved(r->name));
	buf_free(&flags);
}

static void
search_data(struct web *w, struct search *s, uint64_t start)
{
	size_t i;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_rows);
	for (i = (size_t)start; i < s->n && i - start < PAGE_ROWS; i++)
		add_row(w, &s->v[i]);
	tmpl_setf(w->data, "found", "%zu", s->n);
	tmpl_setf(w->data, "managed", "%zu", s->managed);
	tmpl_set_bool(w->data, "truncated", s->truncated);
	if (i < s->n)
		tmpl_setf(w->data, "next", "%zu", i);
	if (start > 0)
		tmpl_setf(w->data, "prev", "%llu", (unsigned long long)(start >
		    PAGE_ROWS ? start - PAGE_ROWS : 0));
	tmpl_set_bool(w->data, "earlier", start > 0);
	for (i = 0; i < s->ngroups; i++) {
		struct tmpl_data *g = tmpl_add(w->data, "counts");

		tmpl_set(g, "group", s->groups[i].name);
		tmpl_set(g, "label", *s->groups[i].name ? s->groups[i].name :
		    "(no group)");
		tmpl_setf(g, "count", "%lu", s->groups[i].n);
	}
}

static void
accounts_page(struct web *w)
{
	const char *q = web_str(w, "q"), *group = web_str(w, "group");
	int regex = strcmp(web_str(w, "re"), "1") == 0;
	struct search s;
	uint64_t start = 0;
	char *why = NULL;

	memset(&s, 0, sizeof(s));
	s.w = w;
	tmpl_set(w->data, "q", q);
	tmpl_set(w->data, "group", group);
	tmpl_set_bool(w->data, "re", regex);
	(void)num_parse_u64(web_str(w, "start"), COLLECT_MAX, &start);
	s.filter = manage_filter_new(w->store, &w->user, NULL, NULL);
	if (*group && (s.in_group = manage_filter_new(w->store, NULL, group,
	    &why)) == NULL) {
		tmpl_set(w->data, "error", why);
		free(why);
		why = NULL;
	}
	if ((s.pattern = manage_pattern_new(*q ? q : "*", regex, &why)) == NULL) {
		tmpl_set(w->data, "error", why);
		free(why);
		why = NULL;
	} else if (acct_db_walk(w->store, search_one, &s, &why) < 0) {
		web_log(w, LOG_ERR, "accounts_unreadable", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "The accounts cannot be listed now.");
	}
	search_data(w, &s, start);
	free(s.v);
	manage_pattern_free(s.pattern);
	manage_filter_free(s.filter);
	manage_filter_free(s.in_group);
	tmpl_set_bool(w->data, "world", manage_is_world(w->store, &w->user));
	web_page(w, "accounts");
}

/* ---- dispatch ---- */

static void
act(struct web *w, const char *what)
{
	if (strcmp(what, "add") == 0 || strcmp(what, "copy") == 0 ||
	    strcmp(what, "modify") == 0)
		mgr_act_save(w, what);
	else if (strcmp(what, "rename") == 0)
		mgr_act_rename(w);
	else if (strcmp(what, "delete") == 0)
		mgr_act_delete(w);
	else if (strcmp(what, "messages") == 0)
		mgr_act_messages(w);
	else if (strcmp(what, "forward") == 0)
		mgr_act_forward(w, 0);
	else if (strcmp(what, "noforward") == 0)
		mgr_act_forward(w, 1);
	else if (strncmp(what, "group_", 6) == 0)
		mgr_act_group(w, what + 6);
	web_error(w, 400, "Unknown action.");
}

static void
page(struct web *w, const char *p)
{
	fmt_notice(w);
	if (*p == '\0' || strcmp(p, "accounts") == 0)
		accounts_page(w);
	else if (strcmp(p, "account") == 0)
		mgr_account_page(w);
	else if (strcmp(p, "add") == 0 || strcmp(p, "copy") == 0 ||
	    strcmp(p, "modify") == 0)
		mgr_form_page(w, p);
	else if (strcmp(p, "rename") == 0)
		mgr_rename_page(w);
	else if (strcmp(p, "delete") == 0)
		mgr_delete_page(w);
	else if (strcmp(p, "forwardings") == 0)
		mgr_forwardings_page(w);
	else if (strcmp(p, "groups") == 0)
		mgr_groups_page(w);
	web_error(w, 404, "No such page.");
}

int
main(int argc, char **argv)
{
	struct web w;

	web_start(&w, "popstore-manage.cgi", 1, argc, argv, usage);
	web_read(&w);
	if (!w.post && strcmp(web_str(&w, "p"), "style") == 0)
		web_style(&w);
	web_login(&w);
	free(w.store->domain);
	w.store->domain = mem_strdup(name_domain(w.user.name));
	if (w.post)
		act(&w, web_str(&w, "do"));
	page(&w, web_str(&w, "p"));
	return 0;
}
