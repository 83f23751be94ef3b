/*
 * groupcmd - the group command: add, delete, modify (WORLD managers
 * only) and list (a manager sees the groups it reaches).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "log.h"
#include "mem.h"
#include "name.h"
#include "store.h"
#include "template.h"
#include "popmgr.h"

const struct sw_def group_switches[] = {
	{ "add", SW_FLAG, 0 },
	{ "delete", SW_FLAG, 0 },
	{ "list", SW_FLAG, 0 },
	{ "modify", SW_FLAG, 0 },
	{ "recur", SW_FLAG, 1 },
	{ "description", SW_VALUE, 0 },
	{ "format", SW_VALUE, 0 },
	{ "output", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};
enum { G_ADD, G_DELETE, G_LIST, G_MODIFY, G_RECUR, G_DESC, G_FORMAT,
    G_OUTPUT, G_N };

static const char *const group_fields[] = { "group_name", "group_subgroups",
    "group_description", NULL };

static const char group_template[] =
    "%none{No groups}\n"
    "%group_name: %group_subgroups\n";

static int
bad(struct mgr *m, const char *what, char *why)
{
	int rc = mgr_fail(m, errno == EEXIST ? EX_CANTCREAT : EX_DATAERR,
	    "%s", why);

	(void)what;
	free(why);
	return rc;
}

/* Name, subgroups and description of add/modify into g. */
static int
group_args(struct mgr *m, const struct words *params, struct sw_val *v,
    struct group *g)
{
	struct buf subs = BUF_INIT;
	char *why = NULL;
	size_t i;
	int rc = 0;

	memset(g, 0, sizeof(*g));
	if (group_canon(params->v[0], g->name, &why) < 0)
		return bad(m, params->v[0], why);
	for (i = 1; i < params->n; i++) {
		buf_puts(&subs, params->v[i]);
		buf_putc(&subs, ',');
	}
	if (group_list_canon(buf_cstr(&subs), g->subgroups, &why) < 0)
		rc = bad(m, g->name, why);
	else if (v[G_DESC].given && strlen(v[G_DESC].value) > GROUP_DESC_MAX)
		rc = mgr_fail(m, EX_DATAERR, "-description: longer than %d bytes",
		    GROUP_DESC_MAX);
	else if (v[G_DESC].given)
		snprintf(g->description, sizeof(g->description), "%s",
		    v[G_DESC].value);
	buf_free(&subs);
	return rc;
}

static int
group_change(struct mgr *m, int op, const struct words *params,
    struct sw_val *v)
{
	struct group g, old;
	char *why = NULL;
	int rc;

	if ((rc = group_args(m, params, v, &g)) != 0)
		return rc;
	errno = 0;
	if (op == G_ADD) {
		if (group_create(m->store, &g, &why) < 0)
			return bad(m, g.name, why);
	} else {
		if ((rc = group_load(m->store, g.name, &old, &why)) <= 0)
			return rc < 0 ? bad(m, g.name, why) : mgr_fail(m,
			    EX_NOUSER, "group %s: no such group", g.name);
		if (!v[G_DESC].given)
			memcpy(g.description, old.description,
			    sizeof(g.description));
		if (group_modify(m->store, &g, &why) < 0)
			return bad(m, g.name, why);
	}
	log_event(LOG_NOTICE, op == G_ADD ? "group_add" : "group_modify",
	    "group", g.name, "subgroups", g.subgroups, "by", m->by, NULL);
	mgr_changed(m);
	return 0;
}

static int
group_remove(struct mgr *m, const char *input, int recurse)
{
	char name[GROUP_NAME_MAX + 1], *why = NULL;
	struct group g;
	int rc;

	if (group_canon(input, name, &why) < 0)
		return bad(m, input, why);
	if ((rc = group_load(m->store, name, &g, &why)) <= 0)
		return rc < 0 ? bad(m, name, why) : mgr_fail(m, EX_NOUSER,
		    "group %s: no such group", name);
	if (group_delete(m->store, name, recurse, &why) < 0)
		return bad(m, name, why);
	log_event(LOG_NOTICE, "group_delete", "group", name, "recur",
	    recurse ? "yes" : "no", "by", m->by, NULL);
	mgr_changed(m);
	return 0;
}

/* ---- listing ---- */

struct list_ctx {
	struct mgr	*m;
	const char	*pattern;
	struct group	*v;
	size_t		 n, cap;
};

static int
list_one(const struct group *g, void *ctx)
{
	struct list_ctx *c = ctx;

	if (c->pattern && !name_match(c->pattern, g->name))
		return 0;
	if (c->m->confined && !group_is_world_manager(c->m->store,
	    &c->m->manager) && group_within(c->m->store, g->name,
	    c->m->manager.group, NULL) != 1)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? mem_add(c->cap, c->cap) : 16;
		c->v = mem_realloc(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = *g;
	return 0;
}

static int
cmp_groups(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name,
	    ((const struct group *)b)->name);
}

static void
group_get(void *item, size_t field, struct tvalue *v)
{
	struct group *g = item;

	v->type = TV_STR;
	v->s = field == 0 ? g->name : field == 1 ? g->subgroups :
	    g->description;
}

static int
group_list(struct mgr *m, const char *pattern, struct sw_val *v)
{
	struct list_ctx c = { m, pattern, NULL, 0, 0 };
	struct template *t = NULL;
	struct buf out = BUF_INIT;
	char *why = NULL;
	size_t i, k;
	int rc;

	if ((rc = show_load_template(m, v[G_FORMAT].value, group_template,
	    group_fields, &t)) != 0)
		return rc;
	if (group_walk(m->store, list_one, &c, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "groups: %s", why);
		free(why);
		goto out;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_groups);
	for (i = 0; i < c.n; i++) {
		struct group g = c.v[i];
		struct buf subs = BUF_INIT;

		for (k = 0; g.subgroups[k]; k++) {
			buf_putc(&subs, g.subgroups[k]);
			if (g.subgroups[k] == ',')
				buf_putc(&subs, ' ');
		}
		snprintf(g.subgroups, sizeof(g.subgroups), "%s", buf_cstr(&subs));
		buf_free(&subs);
		template_apply(t, &g, i == 0, i + 1 == c.n, group_get, &out);
	}
	if (c.n == 0)
		template_apply(t, NULL, 0, 0, group_get, &out);
	if (out.len || v[G_OUTPUT].given)
		rc = show_output(m, v[G_OUTPUT].value, &out);
out:
	free(c.v);
	buf_free(&out);
	template_free(t);
	return rc;
}

int
cmd_group(struct mgr *m, const struct words *w)
{
	struct sw_val v[G_N + 1];
	struct words params = { NULL, 0, 0 };
	int rc, op = -1, i;

	if ((rc = mgr_args(m, group_switches, w, v, &params)) != 0)
		goto out;
	for (i = G_ADD; i <= G_MODIFY; i++)
		if (v[i].given)
			op = op == -1 ? i : -2;
	if (op < 0) {
		rc = mgr_fail(m, EX_USAGE, "group: give one of -add, -delete, "
		    "-list, -modify");
		goto out;
	}
	if (op == G_LIST) {
		rc = params.n > 1 ? mgr_fail(m, EX_USAGE, "usage: group -list "
		    "[GROUP]") : group_list(m, params.n ? params.v[0] : NULL, v);
		goto out;
	}
	if (!mgr_world(m)) {
		rc = mgr_fail(m, EX_NOPERM, "group: only a WORLD manager may "
		    "change groups");
		goto out;
	}
	if (params.n == 0 || (op == G_DELETE && params.n != 1)) {
		rc = mgr_fail(m, EX_USAGE, "usage: group -%s GROUP%s",
		    group_switches[op].name, op == G_DELETE ? " [-recur]" :
		    " [SUB,...]");
		goto out;
	}
	if (op == G_DELETE)
		rc = group_remove(m, params.v[0], v[G_RECUR].given &&
		    !v[G_RECUR].negated);
	else
		rc = group_change(m, op, &params, v);
out:
	words_free(&params);
	return rc;
}
