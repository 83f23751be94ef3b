/*
 * NAME
 *	fwdmap - the forwarding map: name -> addresses
 * DESCRIPTION
 *	A forwarding sends mail for a name to other addresses instead of (or
 *	as well as) the account of that name. The name need not be an
 *	account. A forwarding whose addresses include the name itself keeps
 *	a local copy as well. Names are canonical account names (name.h), so
 *	lookups are case-insensitive.
 *
 *	Each forwarding is a file STORE_DIR/forward/HH/hh/NAME
 *	("popstore-forward 1": name, to), the truth; forward.gdbm (mgmtdb.h)
 *	maps NAME to the addresses, one per line, for fast lookup and
 *	listing, and is rebuilt from the files by fwdmap_rebuild_db(). A
 *	lookup falls back to the file when the database cannot be read.
 * MEMORY
 *	Addresses are returned in caller buffers. *why_r is allocated.
 */
#ifndef POPSTORE_FWDMAP_H
#define POPSTORE_FWDMAP_H

struct buf;
struct conf;
struct store;

#define FWDMAP_TO_MAX		4096	/* bytes of all addresses together */
#define FWDMAP_ADDR_MAX		252	/* bytes of one address */

/*
 * The addresses name forwards to, one per line, appended to to.
 * 1 found, 0 no forwarding, -1 error.
 */
int fwdmap_get(struct store *s, const char *name, struct buf *to,
    char **why_r);

/*
 * Set (replace) the forwarding of name to the addresses in list
 * (separated by commas, spaces or newlines; each user@domain or a bare
 * local name). -1 with *why_r for a bad address.
 */
int fwdmap_set(struct store *s, const char *name, const char *list,
    char **why_r);

/* Remove a forwarding. 1 removed, 0 there was none, -1 error. */
int fwdmap_remove(struct store *s, const char *name, char **why_r);

/*
 * Every forwarding whose name starts with prefix ("" for all), from the
 * database, in no particular order; fn returns nonzero to stop.
 */
int fwdmap_walk(struct store *s, const char *prefix,
    int (*fn)(const char *name, const char *to, void *ctx), void *ctx,
    char **why_r);

/* Recreate forward.gdbm from the forwarding files. */
int fwdmap_rebuild_db(struct store *s, char **why_r);

/*
 * 1 if the list (one address per line) holds the account name itself:
 * the bare name, or the name at its own domain, HOSTNAME, DEFAULT_DOMAIN
 * or one of LOCAL_DOMAINS.
 */
int fwdmap_keeps_copy(const struct conf *c, const char *to, const char *name);

#endif
