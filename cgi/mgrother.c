/*
 * mgrother - the management interface's forwardings and groups. A
 * manager sees and changes the forwardings manage_may_forward() allows
 * and sees the groups it reaches; only a WORLD manager changes groups.
 */
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "cgi.h"
#include "fwdmap.h"
#include "group.h"
#include "log.h"
#include "manage.h"
#include "mem.h"
#include "name.h"
#include "store.h"
#include "tmpl.h"

/* ---- forwardings ---- */

struct fwd {
	char	*name;
	char	*to;
	int	 is_acct;
};

struct fwd_list {
	struct web	*w;
	struct fwd	*v;
	size_t		 n;
	int		 truncated;
};

static int
fwd_one(const char *name, const char *to, void *ctx)
{
	struct fwd_list *l = ctx;
	int is_acct = 0;
	size_t i;

	if (manage_may_forward(l->w->store, &l->w->user, name, &is_acct,
	    NULL) != 1)
		return 0;
	if (l->n == WEB_LIST_MAX) {
		l->truncated = 1;
		return 1;
	}
	l->v = mem_realloc(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].name = mem_strdup(name);
	l->v[l->n].to = mem_strdup(to);
	for (i = 0; l->v[l->n].to[i]; i++)
		if (l->v[l->n].to[i] == '\n')
			l->v[l->n].to[i] = ' ';
	l->v[l->n++].is_acct = is_acct;
	return 0;
}

static int
cmp_fwd(const void *a, const void *b)
{
	return strcmp(((const struct fwd *)a)->name, ((const struct fwd *)b)->name);
}

void
mgr_forwardings_page(struct web *w)
{
	struct fwd_list l = { w, NULL, 0, 0 };
	const char *q = web_str(w, "q");
	char *why = NULL;
	size_t i;

	if (fwdmap_walk(w->store, q, fwd_one, &l, &why) < 0) {
		web_log(w, LOG_ERR, "forwardings_unreadable", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "The forwardings cannot be listed now.");
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_fwd);
	for (i = 0; i < l.n; i++) {
		struct tmpl_data *it = tmpl_add(w->data, "forwardings");

		tmpl_set(it, "name", l.v[i].name);
		tmpl_set(it, "to", l.v[i].to);
		tmpl_set_bool(it, "is_account", l.v[i].is_acct);
		free(l.v[i].name);
		free(l.v[i].to);
	}
	free(l.v);
	tmpl_set(w->data, "q", q);
	tmpl_set_bool(w->data, "truncated", l.truncated);
	web_page(w, "forwardings");
}

void
mgr_act_forward(struct web *w, int remove)
{
	struct buf name = BUF_INIT, q = BUF_INIT;
	char *why = NULL;
	int is_acct = 0, rc;

	mgr_canon(w, web_str(w, "name"), &name);
	if ((rc = manage_may_forward(w->store, &w->user, name.data, &is_acct,
	    &why)) != 1) {
		web_log(w, LOG_WARNING, "permission_denied", "name", name.data,
		    "action", remove ? "noforward" : "forward");
		web_error(w, rc < 0 ? 503 : 403, rc < 0 ? "Not possible now." :
		    why);
	}
	if (remove)
		rc = fwdmap_remove(w->store, name.data, &why);
	else
		rc = fwdmap_set(w->store, name.data, web_str(w, "to"), &why);
	if (rc < 0) {
		web_log(w, LOG_WARNING, remove ? "forward_remove_failed" :
		    "forward_set_failed", "reason", why, NULL, NULL);
		web_error(w, 400, why);
	}
	log_event(LOG_NOTICE, remove ? "forward_remove" : "forward_set", "name",
	    name.data, "to", remove ? "-" : web_str(w, "to"), "by",
	    w->user.name, "ip", w->remote, NULL);
	if (is_acct && strcmp(web_str(w, "back"), "account") == 0) {
		buf_puts(&q, "p=account&name=");
		tmpl_escape_url(&q, name.data, name.len);
		buf_puts(&q, remove ? "&done=noforward" : "&done=forward");
	} else {
		buf_puts(&q, remove ? "p=forwardings&done=noforward" :
		    "p=forwardings&done=forward");
	}
	web_redirect(w, q.data);
}

/* ---- groups ---- */

struct group_list {
	struct web	*w;
	int		 world;
	struct group	*v;
	size_t		 n;
};

static int
group_one(const struct group *g, void *ctx)
{
	struct group_list *l = ctx;

	if (!l->world && group_within(l->w->store, g->name, l->w->user.group,
	    NULL) != 1)
		return 0;
	if (l->n == WEB_LIST_MAX)
		return 1;
	l->v = mem_realloc(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *g;
	return 0;
}

static int
cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name,
	    ((const struct group *)b)->name);
}

void
mgr_groups_page(struct web *w)
{
	struct group_list l = { w, 0, NULL, 0 };
	char *why = NULL;
	size_t i;

	l.world = manage_is_world(w->store, &w->user);
	if (group_walk(w->store, group_one, &l, &why) < 0) {
		web_log(w, LOG_ERR, "groups_unreadable", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "The groups cannot be listed now.");
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_group);
	for (i = 0; i < l.n; i++) {
		struct tmpl_data *it = tmpl_add(w->data, "groups");

		tmpl_set(it, "name", l.v[i].name);
		tmpl_set(it, "subgroups", l.v[i].subgroups);
		tmpl_set(it, "description", l.v[i].description);
	}
	free(l.v);
	tmpl_set_bool(w->data, "world", l.world);
	web_page(w, "groups");
}

/* The group of the form: name, subgroups, description. */
static void
group_fields(struct web *w, struct group *g)
{
	const char *desc = web_str(w, "description");
	char *why = NULL;
	size_t i;

	memset(g, 0, sizeof(*g));
	if (group_canon(web_str(w, "name"), g->name, &why) < 0 ||
	    group_list_canon(web_str(w, "subgroups"), g->subgroups, &why) < 0)
		web_error(w, 400, why);
	if (strlen(desc) > GROUP_DESC_MAX)
		web_error(w, 400, "The description is too long.");
	for (i = 0; desc[i]; i++)
		if ((unsigned char)desc[i] < 0x20 || desc[i] == 0x7f)
			web_error(w, 400, "The description is one line.");
	memcpy(g->description, desc, strlen(desc) + 1);
}

void
mgr_act_group(struct web *w, const char *op)
{
	struct group g, old;
	char *why = NULL;
	int rc;

	if (!manage_is_world(w->store, &w->user)) {
		web_log(w, LOG_WARNING, "permission_denied", "action", "group",
		    NULL, NULL);
		web_error(w, 403, "Only a WORLD manager may change groups.");
	}
	group_fields(w, &g);
	if (strcmp(op, "add") == 0)
		rc = group_create(w->store, &g, &why);
	else if (strcmp(op, "modify") == 0)
		rc = group_load(w->store, g.name, &old, &why) == 1 ?
		    group_modify(w->store, &g, &why) : -1;
	else if (strcmp(op, "delete") == 0)
		rc = group_delete(w->store, g.name, *web_str(w, "recur") != '\0',
		    &why);
	else
		web_error(w, 400, "Unknown action.");
	if (rc < 0)
		web_error(w, 400, why ? why : "No such group.");
	log_event(LOG_NOTICE, *op == 'a' ? "group_add" : *op == 'm' ?
	    "group_modify" : "group_delete", "group", g.name, "subgroups",
	    g.subgroups, "by", w->user.name, "ip", w->remote, NULL);
	web_redirect(w, *op == 'd' ? "p=groups&done=nogroup" :
	    "p=groups&done=group");
}
