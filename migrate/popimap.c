/*
 * The store's own POP accounts become IMAP accounts: the account type
 * changes and the folders an IMAP account starts with are created; the
 * INBOX is not touched, so its messages keep their UIDs and the UIDLs
 * POP3 clients know.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "folder.h"
#include "log.h"
#include "mboxlist.h"
#include "mig.h"
#include "name.h"
#include "store.h"

/*
 * The folders mboxlist.c gives a new IMAP account; an account that
 * already has a folder list gets those it lacks.
 */
static const struct {
	const char	*name;
	const char	*special;
} imap_folders[] = {
	{ "Drafts", "\\Drafts" },
	{ "Sent", "\\Sent" },
	{ "Trash", "\\Trash" },
	{ "Junk", "\\Junk" },
};

static int
has_special(const struct mboxlist *l, const char *special)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].special, special) == 0)
			return 1;
	return 0;
}

/* Create the IMAP folders a lacks; their names appended to made. */
static int
add_folders(struct mig *m, const struct acct *a, struct buf *made,
    char **why_r)
{
	struct mboxlist l;
	uint32_t id;
	size_t i;
	int rc = 0;

	if (mboxlist_load(m->s, a, &l, why_r) < 0)
		return -1;
	for (i = 0; i < sizeof(imap_folders) / sizeof(imap_folders[0]) &&
	    rc == 0; i++) {
		if (mboxlist_find(&l, imap_folders[i].name) != NULL ||
		    has_special(&l, imap_folders[i].special))
			continue;
		if (mboxlist_create(m->s, a, imap_folders[i].name,
		    imap_folders[i].special, &id, why_r) < 0) {
			if (errno != EEXIST) {
				rc = -1;
				continue;
			}
			free(*why_r);
			*why_r = NULL;
			continue;
		}
		buf_printf(made, " %s", imap_folders[i].name);
	}
	mboxlist_free(&l);
	return rc;
}

static int
convert(struct mig *m, struct acct *a, const char *input, struct buf *made,
    int *was_r, char **why_r)
{
	struct buf name = BUF_INIT;
	int rc;

	rc = name_canon(m->s->conf, "", input, &name, why_r);
	if (rc == 0)
		rc = acct_load(m->s, name.data, a, why_r);
	buf_free(&name);
	if (rc <= 0)
		return rc == 0 ? file_whyf(why_r, "no such account") : -1;
	*was_r = a->type;
	if (!m->dry && (a->type != ACCT_IMAP ||
	    !(a->flags & ACCT_MIGRATED))) {
		a->type = ACCT_IMAP;
		a->flags |= ACCT_MIGRATED;
		if (acct_save(m->s, a, why_r) < 0)
			return -1;
	}
	if (m->dry) {
		buf_puts(made, " (the missing ones of Drafts Sent Trash Junk)");
		return 0;
	}
	return add_folders(m, a, made, why_r);
}

int
popimap_convert(struct mig *m, const char *name)
{
	struct buf made = BUF_INIT;
	struct acct a;
	char *why = NULL;
	int was = -1, rc;

	memset(&a, 0, sizeof(a));
	mig_as_store(m);
	rc = convert(m, &a, name, &made, &was, &why);
	mig_as_invoker(m);
	if (rc == 0) {
		printf("%s: %s -> imap%s; folders %s:%s; INBOX unchanged; ok\n",
		    name, acct_type_name(was), m->dry ? " (dry run)" : "",
		    m->dry ? "to create" : "created",
		    made.len ? made.data : " none");
		log_event(LOG_NOTICE, "pop_to_imap", "account", name, "was",
		    acct_type_name(was), "dry_run", m->dry ? "1" : "0", NULL);
	} else {
		fprintf(stderr, "migrate: %s: %s\n", name, why ? why :
		    "failed");
		log_event(LOG_ERR, "pop_to_imap_failed", "account", name, "why",
		    why, NULL);
		m->errors++;
	}
	fflush(stdout);
	acct_wipe(&a);
	free(why);
	buf_free(&made);
	return rc;
}
