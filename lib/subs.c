/* subs - IMAP subscriptions of an account; see subs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "kvfile.h"
#include "mboxlist.h"
#include "mem.h"
#include "store.h"
#include "subs.h"

#define SUBS_FILE_MAX	(4 * 1024 * 1024)

static int
subs_path(struct store *s, const struct acct *a, struct buf *out,
    char **why_r)
{
	if (mbox_account_dir(s, a, out) < 0)
		return file_whyf(why_r, "%s: partition '%s' is not configured",
		    a->name, a->partition);
	buf_puts(out, "/subscriptions");
	return 0;
}

static int
same(const char *a, const char *b)
{
	return mbox_is_inbox(a) ? mbox_is_inbox(b) : strcmp(a, b) == 0;
}

int
subs_has(const struct subs *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (same(l->names[i], name))
			return 1;
	return 0;
}

void
subs_free(struct subs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

int
subs_load(struct store *s, const struct acct *a, struct subs *l, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	size_t i;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	if (subs_path(s, a, &path, why_r) < 0)
		goto out;
	rc = file_read(path.data, SUBS_FILE_MAX, &text, why_r);
	if (rc <= 0)
		goto out;
	rc = -1;
	if (kvfile_parse(text.data, text.len, "subscriptions", &kv, why_r) < 0)
		goto out;
	for (i = 0; i < kv.n && l->n < SUBS_MAX; i++) {
		if (kv.keys[i][0] != 's' || kv.values[i][0] == '\0' ||
		    subs_has(l, kv.values[i]))
			continue;
		l->names = mem_realloc(l->names, l->n + 1, sizeof(*l->names));
		l->names[l->n++] = mem_strdup(kv.values[i]);
	}
	kvfile_free(&kv);
	rc = 0;
out:
	buf_free(&path);
	buf_free(&text);
	return rc < 0 ? -1 : 0;
}

static int
subs_write(struct store *s, const struct acct *a, const struct subs *l,
    char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char key[24];
	size_t i;
	int rc;

	kvfile_init(&kv, "subscriptions", 1);
	for (i = 0; i < l->n; i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		kvfile_set(&kv, key, l->names[i]);
	}
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	rc = subs_path(s, a, &path, why_r);
	if (rc == 0)
		rc = file_write_atomic(path.data, text.data, text.len, 0600,
		    store_write_flags(s), why_r);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int
subs_change(struct store *s, const struct acct *a, const char *name, int on,
    char **why_r)
{
	struct subs l;
	size_t i;
	int lockfd, rc = -1;

	if ((lockfd = acct_lock(s, a->name, why_r)) < 0)
		return -1;
	if (subs_load(s, a, &l, why_r) < 0)
		goto out;
	if (on && !subs_has(&l, name)) {
		if (l.n >= SUBS_MAX) {
			file_whyf(why_r, "more than %d subscriptions", SUBS_MAX);
			goto out;
		}
		l.names = mem_realloc(l.names, l.n + 1, sizeof(*l.names));
		l.names[l.n++] = mem_strdup(name);
	} else if (!on && subs_has(&l, name)) {
		for (i = 0; i < l.n; i++)
			if (same(l.names[i], name)) {
				free(l.names[i]);
				memmove(&l.names[i], &l.names[i + 1],
				    (l.n - i - 1) * sizeof(*l.names));
				l.n--;
				break;
			}
	} else {
		rc = 0;
		goto out;
	}
	rc = subs_write(s, a, &l, why_r);
out:
	subs_free(&l);
	acct_unlock(lockfd);
	return rc;
}
