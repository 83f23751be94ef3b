/*
 * The walk over the accounts: list the names first (the accounts
 * database is not held while mail is sent), then expire each account
 * whose profile says the policy applies.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "bouncer.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "store.h"

struct names {
	char	**v;
	size_t	 n, cap;
	const struct conf *c;
};

static int
collect(const struct acct *a, void *ctx)
{
	struct names *l = ctx;

	if (!expire_applies(l->c, a))
		return 0;	/* checked again with the whole profile */
	if (l->n == l->cap) {
		l->cap = l->cap ? mem_add(l->cap, l->cap) : 256;
		l->v = mem_realloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = mem_strdup(a->name);
	return 0;
}

static void
one_message(void *ctx, const struct expire_event *ev)
{
	struct bouncer *b = ctx;
	char uid[16], size[24];

	snprintf(uid, sizeof(uid), "%" PRIu32, ev->uid);
	snprintf(size, sizeof(size), "%" PRIu64, ev->size);
	if (!b->policy.dry_run)
		log_event(ev->what == EXPIRE_KEPT ? LOG_WARNING : LOG_INFO,
		    "expired", "account", ev->account, "folder", ev->folder,
		    "uid", uid, "action", expire_what_name(ev->what),
		    "sender", ev->sender, "size", size, "why", ev->why, NULL);
	if (b->verbose || b->policy.dry_run)
		printf("%s%s %s/%s uid %s size %s%s%s%s%s%s\n",
		    b->policy.dry_run ? "would be " : "",
		    expire_what_name(ev->what), ev->account, ev->folder, uid,
		    size, ev->sender ? " sender <" : "",
		    ev->sender ? ev->sender : "", ev->sender ? ">" : "",
		    ev->why ? ": " : "", ev->why ? ev->why : "");
}

static void
one_account(struct bouncer *b, const char *name)
{
	struct acct a;
	char *why = NULL;
	int rc;

	rc = acct_load(b->s, name, &a, &why);
	if (rc <= 0) {
		if (rc < 0) {
			log_event(LOG_ERR, "bouncer_error", "account", name,
			    "why", why, NULL);
			b->errors++;
		}
		free(why);
		return;	/* 0: deleted since the listing */
	}
	acct_wipe(&a);
	if (!expire_applies(b->s->conf, &a))
		return;
	b->accounts++;
	if (expire_account(b->s, &a, &b->policy, one_message, b, &b->rep,
	    &why) < 0) {
		log_event(LOG_ERR, "bouncer_error", "account", name, "why", why,
		    NULL);
		b->errors++;
		free(why);
	}
	fflush(stdout);
}

int
bouncer_run(struct bouncer *b)
{
	struct names l;
	char *why = NULL;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.c = b->s->conf;
	if (acct_db_walk(b->s, collect, &l, &why) < 0) {
		log_event(LOG_ERR, "bouncer_error", "why", why, NULL);
		free(why);
		b->errors++;
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		one_account(b, l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	return 0;
}
