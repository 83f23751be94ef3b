/*
 * NAME
 *	store - an open popstore: its directories, partitions and sync policy
 * DESCRIPTION
 *	STORE_DIR holds the store's own files (popstore(5)):
 *
 *		STORE_DIR/popstore-store   format marker and version
 *		STORE_DIR/users/HH/hh/NAME/ account profiles (fanout.h)
 *		STORE_DIR/groups/NAME       management groups
 *		STORE_DIR/forward/HH/hh/NAME forwardings
 *		STORE_DIR/db/               GDBM management databases
 *		STORE_DIR/etc/              site keys
 *
 *	and each partition directory (PARTITION_name, default "main" =
 *	STORE_DIR/mail) holds mail: PART/tmp/ for deliveries in progress,
 *	PART/HH/hh/NAME/ for one account's folders, PART/public/ for public
 *	folders.
 *
 *	The store is the handle every other module takes. It also carries
 *	the sync policy: normally each change is made durable before the
 *	call returns; in batch mode (popmgr on many accounts) writes skip
 *	fsync and store_sync() makes everything durable with one syncfs(2)
 *	per file system before the command reports success.
 *
 *	The path functions below are for lib/ only: programs never build
 *	store paths.
 * MEMORY
 *	store_open() allocates the store; store_close() frees it. The conf
 *	must outlive the store.
 */
#ifndef POPSTORE_STORE_H
#define POPSTORE_STORE_H

struct buf;
struct conf;

#define STORE_VERSION	1

struct store {
	const struct conf *conf;
	char	*dir;
	int	 batch;		/* defer fsyncs to store_sync() */
	int	 dirty;		/* batch writes not yet synced */
	char	*domain;	/* current user domain ("" = default) */
	void	*acctdb;	/* open GDBM handles, see mgmtdb.h */
	void	*groupdb;
	void	*fwddb;
	int	 dblock;	/* management database lock, or -1 */
};

/*
 * Open the store named by conf. Fails (-1, *why_r) when STORE_DIR is
 * not an initialised store of a version this program reads.
 */
int store_open(const struct conf *conf, struct store **store_r, char **why_r);

/*
 * Create the store's directories and marker (mode 0750 / 0640) if they
 * are missing. Used by `popmgr init`; the default account is created by
 * the caller. Safe to run on an existing store.
 */
int store_create(const struct conf *conf, char **why_r);

/* Sync what batch mode deferred (if anything), close databases, free. */
void store_close(struct store *store);

/* Batch mode on or off; turning it off syncs. */
int store_set_batch(struct store *store, int on, char **why_r);

/* Make every deferred write durable. 0 or -1. */
int store_sync(struct store *store, char **why_r);

/* FILE_NOSYNC in batch mode, else 0 (for file_write_atomic()). Marks
 * the store dirty in batch mode. */
int store_write_flags(struct store *store);

/*
 * The site key file of the APOP/CRAM-MD5 secrets (secret.h):
 * SECRET_KEY_FILE, or STORE_DIR/etc/secret.key when that is empty.
 * Appended to out. For programs that create or load the key.
 */
void store_secret_key_path(const struct store *s, struct buf *out);

/* lib/ only: paths. Each appends to out. */
void store_profile_dir(const struct store *s, const char *name, struct buf *out);
void store_group_path(const struct store *s, const char *group, struct buf *out);
void store_forward_path(const struct store *s, const char *name, struct buf *out);
void store_db_path(const struct store *s, const char *file, struct buf *out);
void store_etc_path(const struct store *s, const char *file, struct buf *out);
/* -1 if the partition is not configured. */
int store_mail_dir(const struct store *s, const char *partition,
    const char *name, struct buf *out);
int store_tmp_dir(const struct store *s, const char *partition,
    struct buf *out);
int store_public_dir(const struct store *s, struct buf *out);

#endif
