/*
 * NAME
 *	kvfile - the store's small text files (profiles, groups, forwardings)
 * DESCRIPTION
 *	A kvfile is UTF-8/ASCII text: a first line "popstore-KIND VERSION",
 *	then one "key value" line per field, keys [a-z0-9_]+, a single space,
 *	the value with every byte outside 0x21-0x7e and every '%' written as
 *	%XX (upper-case hex), so any value - spaces, 8-bit, newlines -
 *	survives and a line is always one field. Unknown keys are kept so a
 *	newer program's fields survive an older program's rewrite. The
 *	format is platform independent by construction.
 * MEMORY
 *	struct kvfile owns its keys and values; kvfile_free() releases them.
 */
#ifndef POPSTORE_KVFILE_H
#define POPSTORE_KVFILE_H

#include <stddef.h>

struct buf;

struct kvfile {
	char	*kind;
	unsigned version;
	size_t	 n, cap;
	char	**keys;
	char	**values;
};

/* Parse text of the given kind; -1 with *why_r if malformed. */
int kvfile_parse(const char *text, size_t len, const char *kind,
    struct kvfile *kv, char **why_r);

/* The value of key, or NULL. */
const char *kvfile_get(const struct kvfile *kv, const char *key);

/* Set (replace or add) key. */
void kvfile_set(struct kvfile *kv, const char *key, const char *value);

/* Start an empty kvfile of kind and version. */
void kvfile_init(struct kvfile *kv, const char *kind, unsigned version);

/* Append the text form to out. */
void kvfile_format(const struct kvfile *kv, struct buf *out);

void kvfile_free(struct kvfile *kv);

#endif
