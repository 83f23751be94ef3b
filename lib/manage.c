/* manage - a manager's reach; see manage.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "group.h"
#include "manage.h"
#include "mem.h"
#include "name.h"
#include "store.h"

#define MEMO_MAX	256

/* ---- listing ---- */

struct manage_filter {
	struct store		*s;
	const struct acct	*manager;
	const char		*group;		/* NULL: any */
	char			 gbuf[GROUP_NAME_MAX + 1];
	struct {
		char	group[GROUP_NAME_MAX + 1];
		char	domain[ACCT_DOMAIN_MAX + 1];
		int	allowed;
	} v[MEMO_MAX];
	size_t			 n;
};

struct manage_filter *
manage_filter_new(struct store *s, const struct acct *manager,
    const char *group, char **why_r)
{
	struct manage_filter *f = mem_zalloc(1, sizeof(*f));

	f->s = s;
	f->manager = manager;
	if (group && group_canon(group, f->gbuf, why_r) < 0) {
		free(f);
		return NULL;
	}
	f->group = group ? f->gbuf : NULL;
	return f;
}

void
manage_filter_free(struct manage_filter *f)
{
	free(f);
}

int
manage_filter_allows(struct manage_filter *f, const struct acct *a)
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
	    group_within(f->s, a->group, f->group, NULL) == 1) &&
	    (f->manager == NULL ||
	    group_may_manage(f->s, f->manager, a, NULL) == 1);
	f->n++;
	return f->v[i].allowed;
}

int
manage_is_world(struct store *s, const struct acct *manager)
{
	return manager == NULL || group_is_world_manager(s, manager);
}

/* ---- changing ---- */

/* A refusal: *why_r says why; returns 0. */
static int
refuse(char **why_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(char **why_r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (why_r) {
		va_start(ap, fmt);
		buf_vprintf(&b, fmt, ap);
		va_end(ap);
		*why_r = buf_steal(&b);
	}
	return 0;
}

int
manage_may_change(struct store *s, const struct acct *manager,
    const struct acct *old, const struct acct *a, char **why_r)
{
	unsigned before = old ? old->flags : 0;
	int rc;

	if (manager == NULL)
		return 1;
	if (old && (rc = group_may_manage(s, manager, old, why_r)) != 1)
		return rc < 0 ? -1 : refuse(why_r, "%s: permission denied (not "
		    "managed by %s)", old->name, manager->name);
	if ((!old || strcmp(old->group, a->group) != 0) &&
	    (rc = group_may_manage_group(s, manager, a->group, why_r)) != 1)
		return rc < 0 ? -1 : refuse(why_r, "%s: group %s is not managed "
		    "by %s", a->name, *a->group ? a->group : GROUP_WORLD,
		    manager->name);
	if (((before ^ a->flags) & ACCT_MANAGE) && !manage_is_world(s, manager))
		return refuse(why_r, "%s: only a WORLD manager may give or take "
		    "the MANAGE flag", a->name);
	if ((rc = group_may_manage(s, manager, a, why_r)) != 1)
		return rc < 0 ? -1 : refuse(why_r, "%s: permission denied (not "
		    "managed by %s)", a->name, manager->name);
	return 1;
}

int
manage_may_forward(struct store *s, const struct acct *manager,
    const char *name, int *is_acct_r, char **why_r)
{
	const char *own = manager ? name_domain(manager->name) : "";
	struct acct a;
	int rc = acct_load(s, name, &a, why_r);

	if (rc < 0)
		return -1;
	*is_acct_r = rc;
	if (rc == 1) {
		rc = manager ? group_may_manage(s, manager, &a, why_r) : 1;
		acct_wipe(&a);
		if (rc == 0)
			return refuse(why_r, "%s: permission denied (an account "
			    "not managed by %s)", name, manager->name);
		return rc;
	}
	if (*own && strcmp(own, name_domain(name)) != 0)
		return refuse(why_r, "%s: permission denied (outside domain %s)",
		    name, own);
	return 1;
}

int
manage_new_name(struct store *s, const char *domain, const char *input,
    struct buf *out, char **why_r)
{
	struct buf dflt = BUF_INIT;
	const char *dom;
	int rc;

	errno = EINVAL;
	if (name_canon(s->conf, domain, input, out, why_r) < 0)
		return 0;
	if (name_is_reserved(out->data))
		return refuse(why_r, "%s: reserved name", out->data);
	dom = name_domain(out->data);
	if (*dom) {
		buf_printf(&dflt, "default@%s", dom);
		rc = acct_exists(s, dflt.data);
		buf_free(&dflt);
		errno = ENOENT;
		if (!rc)
			return refuse(why_r, "%s: no such domain %s (add -domain "
			    "creates one)", out->data, dom);
	}
	errno = EEXIST;
	if (acct_exists(s, out->data))
		return refuse(why_r, "%s: account exists", out->data);
	return 1;
}

/* ---- patterns ---- */

struct manage_pattern {
	char		*text;
	pcre2_code	*re;		/* NULL: wildcards */
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

struct manage_pattern *
manage_pattern_new(const char *text, int regex, char **why_r)
{
	struct manage_pattern *p;
	PCRE2_SIZE off;
	int err;

	if (regex && strlen(text) > MANAGE_REGEX_MAX) {
		(void)file_whyf(why_r, "regular expression longer than %d bytes",
		    MANAGE_REGEX_MAX);
		return NULL;
	}
	p = mem_zalloc(1, sizeof(*p));
	p->text = mem_strdup(text);
	if (!regex)
		return p;
	p->re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS, &err, &off, NULL);
	if (p->re == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(err, msg, sizeof(msg));
		(void)file_whyf(why_r, "regular expression: %s at offset %zu",
		    (const char *)msg, (size_t)off);
		manage_pattern_free(p);
		return NULL;
	}
	p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
	p->mc = pcre2_match_context_create(NULL);
	if (p->md == NULL || p->mc == NULL)
		mem_fatal("pcre2 match data");
	pcre2_set_match_limit(p->mc, MANAGE_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(p->mc, MANAGE_REGEX_DEPTH_LIMIT);
	return p;
}

void
manage_pattern_free(struct manage_pattern *p)
{
	if (p == NULL)
		return;
	pcre2_match_data_free(p->md);
	pcre2_match_context_free(p->mc);
	pcre2_code_free(p->re);
	free(p->text);
	free(p);
}

int
manage_pattern_match(const struct manage_pattern *p, const char *domain,
    const char *name)
{
	const char *at = strchr(p->text, '@'), *dom = name_domain(name);
	char local[ACCT_NAME_MAX + 1], lpat[ACCT_NAME_MAX * 2 + 1];

	if (p->re)
		return pcre2_match(p->re, (PCRE2_SPTR)name, strlen(name), 0, 0,
		    p->md, p->mc) >= 0;
	snprintf(local, sizeof(local), "%.*s", (int)strcspn(name, "@"), name);
	if (at == NULL)
		return strcmp(dom, domain) == 0 && name_match(p->text, local);
	snprintf(lpat, sizeof(lpat), "%.*s", (int)(at - p->text), p->text);
	return name_match(lpat, local) && name_match(at + 1, dom);
}
