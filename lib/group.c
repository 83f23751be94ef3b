/* group - management groups and the management rule; see group.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "fanout.h"
#include "file.h"
#include "group.h"
#include "kvfile.h"
#include "log.h"
#include "mgmtdb.h"
#include "store.h"

/* Groups visited in one search; bounds the work on any graph. */
#define GROUP_VISIT_MAX		4096

int
group_canon(const char *in, char out[GROUP_NAME_MAX + 1], char **why_r)
{
	size_t i, len = strlen(in);

	if (len == 0 || len > GROUP_NAME_MAX)
		return file_whyf(why_r, "group name must be 1 to %d characters",
		    GROUP_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return file_whyf(why_r, "group name '%s': only letters, "
			    "digits, '.', '_' and '-' are allowed", in);
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

static int
is_world(const char *g)
{
	return g[0] == '\0' || strcasecmp(g, GROUP_WORLD) == 0;
}

int
group_list_canon(const char *in, char out[GROUP_SUBS_MAX + 1], char **why_r)
{
	struct buf res = BUF_INIT, word = BUF_INIT;
	char one[GROUP_NAME_MAX + 1];
	const char *p = in;
	int rc = 0;

	while (rc == 0 && *p) {
		buf_reset(&word);
		while (*p && *p != ',') {
			if (*p != ' ' && *p != '(' && *p != ')' && *p != '\t')
				buf_putc(&word, *p);
			p++;
		}
		if (*p == ',')
			p++;
		if (word.len == 0)
			continue;
		if (group_canon(word.data, one, why_r) < 0) {
			rc = -1;
			break;
		}
		if (res.len)
			buf_putc(&res, ',');
		buf_puts(&res, one);
	}
	if (rc == 0 && res.len > GROUP_SUBS_MAX)
		rc = file_whyf(why_r, "subgroup list longer than %d bytes",
		    GROUP_SUBS_MAX);
	if (rc == 0)
		snprintf(out, GROUP_SUBS_MAX + 1, "%s", buf_cstr(&res));
	buf_free(&res);
	buf_free(&word);
	return rc;
}

int
group_load(struct store *s, const char *name, struct group *g, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	const char *v;
	int rc;

	memset(g, 0, sizeof(*g));
	if (is_world(name)) {
		snprintf(g->name, sizeof(g->name), "%s", GROUP_WORLD);
		return 1;
	}
	store_group_path(s, name, &path);
	rc = file_read(path.data, 65536, &text, why_r);
	if (rc == 1) {
		if (kvfile_parse(text.data, text.len, "group", &kv, why_r) < 0) {
			rc = -1;
		} else {
			snprintf(g->name, sizeof(g->name), "%s", name);
			v = kvfile_get(&kv, "subgroups");
			snprintf(g->subgroups, sizeof(g->subgroups), "%s",
			    v ? v : "");
			v = kvfile_get(&kv, "description");
			snprintf(g->description, sizeof(g->description), "%s",
			    v ? v : "");
			kvfile_free(&kv);
		}
	}
	buf_free(&path);
	buf_free(&text);
	return rc;
}

static void
db_mirror(struct store *s, const struct group *g)
{
	struct buf v = BUF_INIT;
	char *why = NULL;

	buf_printf(&v, "%s\t%s", g->subgroups, g->description);
	if (mgmtdb_put(s, MGMTDB_GROUPS, g->name, v.data, &why) < 0) {
		log_event(LOG_WARNING, "mgmtdb", "group", g->name, "error", why,
		    "action", "run reconstruct", NULL);
		free(why);
	}
	buf_free(&v);
}

static int
write_group(struct store *s, const struct group *g, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	int rc;

	kvfile_init(&kv, "group", 1);
	kvfile_set(&kv, "name", g->name);
	kvfile_set(&kv, "subgroups", g->subgroups);
	kvfile_set(&kv, "description", g->description);
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	store_group_path(s, g->name, &path);
	rc = file_write_atomic(path.data, text.data, text.len, 0640,
	    store_write_flags(s), why_r);
	buf_free(&path);
	buf_free(&text);
	if (rc == 0)
		db_mirror(s, g);
	return rc;
}

/* Create every group named in list that does not exist yet. */
static int
ensure_list(struct store *s, const char *list, char **why_r)
{
	char one[GROUP_NAME_MAX + 1];
	const char *p = list, *comma;
	size_t len;

	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len > GROUP_NAME_MAX)
			return file_whyf(why_r, "bad subgroup list");
		memcpy(one, p, len);
		one[len] = '\0';
		if (!is_world(one) && group_ensure(s, one, why_r) < 0)
			return -1;
		p = comma ? comma + 1 : p + len;
	}
	return 0;
}

int
group_ensure(struct store *s, const char *name, char **why_r)
{
	struct group g;
	int rc;

	if (is_world(name))
		return 0;
	rc = group_load(s, name, &g, why_r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	return write_group(s, &g, why_r);
}

int
group_create(struct store *s, const struct group *g, char **why_r)
{
	struct group old;
	int rc;

	if (is_world(g->name))
		return file_whyf(why_r, "%s always exists", GROUP_WORLD);
	rc = group_load(s, g->name, &old, why_r);
	if (rc != 0) {
		if (rc > 0) {
			errno = EEXIST;
			file_whyf(why_r, "group %s exists", g->name);
		}
		return -1;
	}
	if (write_group(s, g, why_r) < 0)
		return -1;
	return ensure_list(s, g->subgroups, why_r);
}

int
group_modify(struct store *s, const struct group *g, char **why_r)
{
	struct group old;
	int rc;

	if (is_world(g->name))
		return file_whyf(why_r, "%s cannot be changed", GROUP_WORLD);
	rc = group_load(s, g->name, &old, why_r);
	if (rc <= 0)
		return rc < 0 ? -1 : file_whyf(why_r, "no such group: %s", g->name);
	if (write_group(s, g, why_r) < 0)
		return -1;
	return ensure_list(s, g->subgroups, why_r);
}

/* 1 if the comma-separated list holds name. */
static int
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p = comma ? comma + 1 : p + len;
	}
	return 0;
}

/* Remove name from list in place. */
static void
list_remove(char *list, const char *name)
{
	struct buf out = BUF_INIT;
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!(len == n && strncmp(p, name, n) == 0)) {
			if (out.len)
				buf_putc(&out, ',');
			buf_append(&out, p, len);
		}
		p = comma ? comma + 1 : p + len;
	}
	snprintf(list, GROUP_SUBS_MAX + 1, "%s", buf_cstr(&out));
	buf_free(&out);
}

struct unlink_ctx {
	struct store	*s;
	const char	*name;
	int		 referenced;	/* by a group other than `except` */
	const char	*except;
	int		 rc;
	char		**why_r;
};

static int
drop_reference(const struct group *g, void *ctx)
{
	struct unlink_ctx *u = ctx;
	struct group copy = *g;

	if (!list_has(g->subgroups, u->name))
		return 0;
	list_remove(copy.subgroups, u->name);
	if (write_group(u->s, &copy, u->why_r) < 0)
		u->rc = -1;
	return 0;
}

static int
find_reference(const struct group *g, void *ctx)
{
	struct unlink_ctx *u = ctx;

	if (strcmp(g->name, u->except) != 0 && list_has(g->subgroups, u->name))
		u->referenced = 1;
	return 0;
}

static int
delete_one(struct store *s, const char *name, int recurse, int depth,
    char **why_r)
{
	struct unlink_ctx u = { s, name, 0, name, 0, why_r };
	struct buf path = BUF_INIT;
	struct group g;
	const char *p;
	int rc = group_load(s, name, &g, why_r);

	if (rc <= 0)
		return rc < 0 ? -1 : file_whyf(why_r, "no such group: %s", name);
	store_group_path(s, name, &path);
	rc = unlink(path.data) < 0 ? file_why(why_r, path.data) : 0;
	buf_free(&path);
	if (rc < 0)
		return -1;
	(void)mgmtdb_delete(s, MGMTDB_GROUPS, name, NULL);
	if (group_walk(s, drop_reference, &u, why_r) < 0 || u.rc < 0)
		return -1;
	if (!recurse || depth >= GROUP_DEPTH_MAX)
		return 0;
	for (p = g.subgroups; *p;) {
		char one[GROUP_NAME_MAX + 1];
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		p = comma ? comma + 1 : p + len;
		u.name = one;
		u.except = "";
		u.referenced = 0;
		if (is_world(one) || group_walk(s, find_reference, &u, why_r) < 0)
			continue;
		if (!u.referenced && group_load(s, one, &g, NULL) == 1 &&
		    delete_one(s, one, recurse, depth + 1, why_r) < 0)
			return -1;
	}
	return 0;
}

int
group_delete(struct store *s, const char *name, int recurse, char **why_r)
{
	if (is_world(name))
		return file_whyf(why_r, "%s cannot be deleted", GROUP_WORLD);
	return delete_one(s, name, recurse, 0, why_r);
}

int
group_walk(struct store *s, int (*fn)(const struct group *, void *),
    void *ctx, char **why_r)
{
	struct buf dir = BUF_INIT, name = BUF_INIT;
	struct dirent *de;
	struct group g;
	DIR *d;
	int rc = 0;

	buf_printf(&dir, "%s/groups", s->dir);
	if ((d = opendir(dir.data)) == NULL) {
		rc = errno == ENOENT ? 0 : file_why(why_r, dir.data);
		buf_free(&dir);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		buf_reset(&name);
		if (de->d_name[0] == '.' || strstr(de->d_name, ".new.") ||
		    fanout_decode(de->d_name, &name) < 0)
			continue;
		if (group_load(s, name.data, &g, NULL) == 1)
			rc = fn(&g, ctx);
	}
	closedir(d);
	buf_free(&dir);
	buf_free(&name);
	return rc;
}

/*
 * Breadth-first search from top through subgroup lists. The queue holds
 * names separated by NUL; visited groups are never queued twice, and the
 * search stops after GROUP_VISIT_MAX groups, so a cycle or a huge graph
 * cannot make it run away.
 */
int
group_within(struct store *s, const char *group, const char *top,
    char **why_r)
{
	struct buf queue = BUF_INIT;
	struct group g;
	size_t head = 0, visits = 0;
	int rc = 0;

	if (is_world(top))
		return 1;
	buf_puts(&queue, top);
	buf_putc(&queue, '\0');
	while (head < queue.len && visits++ < GROUP_VISIT_MAX) {
		const char *cur = queue.data + head, *p;

		head += strlen(cur) + 1;
		if (is_world(cur) || strcasecmp(cur, group) == 0) {
			rc = 1;
			break;
		}
		if ((rc = group_load(s, cur, &g, why_r)) < 0)
			break;
		rc = 0;
		for (p = g.subgroups; *p;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			size_t i;
			int seen = 0;

			for (i = 0; i < queue.len; i += strlen(queue.data + i) + 1)
				if (strlen(queue.data + i) == len &&
				    strncmp(queue.data + i, p, len) == 0)
					seen = 1;
			if (!seen) {
				buf_append(&queue, p, len);
				buf_putc(&queue, '\0');
			}
			p = comma ? comma + 1 : p + len;
		}
	}
	buf_free(&queue);
	return rc;
}

int
group_is_world_manager(struct store *s, const struct acct *m)
{
	if (!(m->flags & ACCT_MANAGE) || (m->flags & ACCT_DISUSER))
		return 0;
	return group_within(s, GROUP_WORLD, m->group, NULL) == 1;
}

int
group_may_manage_group(struct store *s, const struct acct *m,
    const char *group, char **why_r)
{
	if (!(m->flags & ACCT_MANAGE) || (m->flags & ACCT_DISUSER))
		return 0;
	if (group_within(s, GROUP_WORLD, m->group, why_r) == 1)
		return 1;
	if (is_world(group))
		return 0;
	return group_within(s, group, m->group, why_r);
}

/* The user domain of a canonical name: after '@', or "" (default). */
static const char *
domain_of(const char *name)
{
	const char *at = strchr(name, '@');

	return at ? at + 1 : "";
}

int
group_may_manage(struct store *s, const struct acct *m,
    const struct acct *target, char **why_r)
{
	/* A manager of a user domain stays in it; the default domain's
	 * managers reach every domain. */
	if (*domain_of(m->name) &&
	    strcmp(domain_of(m->name), domain_of(target->name)) != 0)
		return 0;
	return group_may_manage_group(s, m, target->group, why_r);
}

static int
mirror_one(const struct group *g, void *ctx)
{
	db_mirror(ctx, g);
	return 0;
}

int
group_rebuild_db(struct store *s, char **why_r)
{
	if (mgmtdb_clear(s, MGMTDB_GROUPS, why_r) < 0)
		return -1;
	return group_walk(s, mirror_one, s, why_r);
}
