/*
 * NAME
 *	mgmtdb - the GDBM management databases
 * DESCRIPTION
 *	Off the hot path, STORE_DIR/db/ holds GDBM files that answer
 *	questions about many accounts at once:
 *
 *		accounts.gdbm	NAME -> "GROUP\tTYPE\tFLAGS" (FLAGS decimal)
 *		groups.gdbm	GROUP -> "PARENT\tDESCRIPTION"
 *		forward.gdbm	NAME -> addresses, one per line (fwdmap.h)
 *
 *	They are derived data: the profile tree, the group files and the
 *	forwarding files are the truth, and mgmtdb_rebuild() (reconstruct,
 *	`popmgr rebuild-db`) recreates the databases from them. Each file is
 *	opened with GDBM_NOLOCK and guarded by an fcntl lock on NAME.lock
 *	(shared for readers, exclusive for writers), so nothing depends on
 *	flock(2) semantics.
 *
 *	A failed database update after the file change it mirrors is not an
 *	error of the operation: it is logged and the next rebuild repairs it.
 * MEMORY
 *	Handles live in the struct store and are closed by mgmtdb_close()
 *	(store_close() calls it). Values returned through struct buf.
 */
#ifndef POPSTORE_MGMTDB_H
#define POPSTORE_MGMTDB_H

#include <stddef.h>

struct buf;
struct store;

enum mgmtdb_which { MGMTDB_ACCOUNTS, MGMTDB_GROUPS, MGMTDB_FORWARD };

/* Fetch key from a database into out. 1 found, 0 not, -1 error. */
int mgmtdb_get(struct store *s, enum mgmtdb_which db, const char *key,
    struct buf *out, char **why_r);

/* Store (replace) or delete a key. 0 or -1. Deleting a missing key is 0. */
int mgmtdb_put(struct store *s, enum mgmtdb_which db, const char *key,
    const char *value, char **why_r);
int mgmtdb_delete(struct store *s, enum mgmtdb_which db, const char *key,
    char **why_r);

/*
 * Call fn for every key (with its value) in no particular order; keys
 * are copied first, so fn may change the database. A nonzero return
 * from fn stops the walk and is returned.
 */
int mgmtdb_walk(struct store *s, enum mgmtdb_which db,
    int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    char **why_r);

/* Number of keys. -1 on error. */
long mgmtdb_count(struct store *s, enum mgmtdb_which db, char **why_r);

/* Empty a database (before a rebuild). 0 or -1. */
int mgmtdb_clear(struct store *s, enum mgmtdb_which db, char **why_r);

/*
 * Keep the database open (and locked) for writing across calls, for
 * commands that change many keys; mgmtdb_close() ends it.
 */
int mgmtdb_hold(struct store *s, enum mgmtdb_which db, char **why_r);

/* Close every open database handle and release its lock. */
void mgmtdb_close(struct store *s);

#endif
