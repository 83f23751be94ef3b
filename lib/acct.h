/*
 * NAME
 *	acct - accounts: profiles, usage counters, flags
 * DESCRIPTION
 *	An account is a directory in the profile tree (fanout.h),
 *	STORE_DIR/users/HH/hh/NAME/, holding:
 *
 *	profile	the settings (a kvfile, "popstore-profile 1"), replaced
 *		atomically (write new, fsync, rename) on every change;
 *	usage	the counters (an rlog of kind "USAG"): message_count,
 *		quota_used, messages and bytes received, connect accounting,
 *		storage block-days. Counters change on every delivery, login
 *		and expunge, so they are appended, never rewritten, and can be
 *		recomputed from the folders by reconstruct;
 *	lock	the account lock (lock.h), held while counters change and
 *		while the account is renamed or deleted.
 *
 *	Mail lives on the account's partition (store.h); folder.h manages it.
 *
 *	The account named "default" is the template `popmgr add` copies. In
 *	a store with user domains, "default@DOMAIN" is that domain's.
 *
 *	Quota rule: a message of size n is accepted when quota is 0
 *	(unlimited), or used <= quota and used + n <= quota + overdraft.
 * MEMORY
 *	struct acct and struct usage are plain values (fixed arrays, no
 *	pointers): copy them freely. *why_r is allocated; the caller frees.
 *	The password field holds a hash, never a password; acct_wipe() clears
 *	it and the secret.
 */
#ifndef POPSTORE_ACCT_H
#define POPSTORE_ACCT_H

#include <stdint.h>
#include <time.h>

struct buf;
struct store;

#define ACCT_VERSION		1
#define ACCT_NAME_MAX		73	/* 32 local + '@' + 40 domain */
#define ACCT_LOCAL_MAX		32
#define ACCT_DOMAIN_MAX		40
#define ACCT_OWNER_MAX		40
#define ACCT_PRIVATE_MAX	64
#define ACCT_GROUP_MAX		16
#define ACCT_PASSWORD_MAX	255
#define ACCT_SECRET_MAX		255
#define ACCT_PARTITION_MAX	32
#define ACCT_BACKEND_MAX	255

/* Usage flags (PMDF's names). */
#define ACCT_DISMAIL		0x0001	/* may not receive new mail */
#define ACCT_DISUSER		0x0002	/* may not log in */
#define ACCT_LOCKPWD		0x0004	/* may not change the password */
#define ACCT_MANAGE		0x0008	/* may manage accounts (group.h) */
#define ACCT_MIGRATED		0x0010	/* created by migrate */
#define ACCT_PWD_ELSEWHERE	0x0020	/* password checked by SASL/saslauthd */
#define ACCT_PWD_EXPIRED	0x0040	/* must change password before use */
#define ACCT_FLAGS_ALL		0x007f

enum acct_type { ACCT_POP = 0, ACCT_IMAP = 1 };

struct acct {
	char	 name[ACCT_NAME_MAX + 1];	/* canonical */
	unsigned version;
	unsigned flags;
	int	 type;				/* enum acct_type */
	char	 password[ACCT_PASSWORD_MAX + 1];	/* hash (passwd.h) */
	char	 secret[ACCT_SECRET_MAX + 1];	/* encrypted (secret.h) */
	char	 owner[ACCT_OWNER_MAX + 1];
	char	 private_data[ACCT_PRIVATE_MAX + 1];
	char	 group[ACCT_GROUP_MAX + 1];	/* "" = no group */
	char	 partition[ACCT_PARTITION_MAX + 1];
	char	 backend[ACCT_BACKEND_MAX + 1];	/* "" = this machine */
	uint64_t quota;				/* bytes, 0 = unlimited */
	uint64_t overdraft;			/* bytes */
	int64_t	 created;
	int64_t	 password_changed;
};

struct usage {
	uint64_t seq;			/* increases with every record */
	uint64_t message_count;
	uint64_t quota_used;		/* bytes */
	uint64_t messages_received;
	uint64_t bytes_received;
	uint64_t total_connections;
	int64_t	 last_connect;
	int64_t	 last_disconnect;
	uint64_t total_connect;		/* seconds */
	uint64_t past_block_days;	/* 1024-byte blocks x days */
	uint64_t past_block_remainder;	/* byte-minutes below one block-day */
	int64_t	 last_billing;
};

/*
 * Load the profile of a canonical name. 1 found, 0 no such account, -1
 * error (damaged profile, I/O) with *why_r.
 */
int acct_load(struct store *s, const char *name, struct acct *a, char **why_r);

/* 1 if the account exists, 0 if not (no profile parse). */
int acct_exists(struct store *s, const char *name);

/*
 * Create the account a->name (canonical, validated by the caller with
 * name.h): its directory, profile and usage log, and its entry in the
 * accounts database. 0; 0 is never returned for an existing account:
 * -1 with errno EEXIST then.
 */
int acct_create(struct store *s, const struct acct *a, char **why_r);

/* Replace the profile of an existing account (and its database entry). */
int acct_save(struct store *s, const struct acct *a, char **why_r);

/*
 * Delete an account: its profile directory, its mail on its partition
 * and its database entry. The profile directory is first renamed out of
 * the tree, so the account vanishes atomically; a crash leaves debris
 * that reconstruct removes.
 */
int acct_delete(struct store *s, const char *name, char **why_r);

/* Rename an account (profile directory, mail directory, database). */
int acct_rename(struct store *s, const char *from, const char *to,
    char **why_r);

/*
 * Call fn for every account in the profile tree (not the database), in
 * no particular order; fn returns nonzero to stop.
 */
int acct_walk(struct store *s, int (*fn)(const char *name, void *ctx),
    void *ctx, char **why_r);

/*
 * Call fn for every account in the accounts database (mgmtdb.h), in no
 * particular order, with a struct acct holding only name, group, type
 * and flags (everything else zero): enough to list accounts and to ask
 * group_may_manage() without reading a profile. fn returns nonzero to
 * stop; that value is returned. A missing database lists nothing.
 */
int acct_db_walk(struct store *s, int (*fn)(const struct acct *a, void *ctx),
    void *ctx, char **why_r);

/*
 * Recreate the accounts database from the profile tree. The database
 * is held (mgmtdb_hold) for the walk and stays held: mgmtdb_close() or
 * store_close() releases it. Unreadable profiles are logged, skipped.
 */
int acct_rebuild_db(struct store *s, char **why_r);

/* Initialise a from the default account of a's domain (or built-in
 * defaults when there is none) and set the name. */
int acct_from_default(struct store *s, const char *name, struct acct *a,
    char **why_r);

/* The quota rule above: 1 accept, 0 refuse. */
int acct_quota_allows(const struct acct *a, const struct usage *u,
    uint64_t size);

/* Clear the password and secret from memory. */
void acct_wipe(struct acct *a);

/* Flags as "dismail,manage" (or "" for none), appended to out. */
void acct_flags_format(unsigned flags, struct buf *out);

/*
 * Parse a flag list "(manage,nodismail)" or "manage,nodismail" (any
 * case; NO prefix clears): *set and *clear receive the flags named.
 * -1 with *why_r naming an unknown flag.
 */
int acct_flags_parse(const char *list, unsigned *set, unsigned *clear,
    char **why_r);

/* "pop" / "imap" and back (-1 if unknown). */
const char *acct_type_name(int type);
int acct_type_parse(const char *s);

/* ---- usage counters (the usage rlog) ---- */

/*
 * Read the current counters. A missing or damaged log reads as zeros
 * (1 if read, 0 if zeroed). -1 on I/O error.
 */
int usage_read(struct store *s, const char *name, struct usage *u,
    char **why_r);

/*
 * Change the counters under the account lock: fn gets the current values
 * and edits them; a record is appended unless fn returns nonzero.
 * With sync the record is durable before return.
 */
int usage_update(struct store *s, const char *name,
    int (*fn)(struct usage *u, void *ctx), void *ctx, int sync, char **why_r);

/* Replace the counters (popmgr modify, reconstruct). */
int usage_write(struct store *s, const char *name, const struct usage *u,
    char **why_r);

/*
 * Storage accounting when size bytes that were stored since `since`
 * leave the account at `now`: adds size x minutes to the remainder and
 * carries whole block-days (1024 bytes x 1440 minutes) to past_block_days.
 */
void usage_add_block_days(struct usage *u, uint64_t size, int64_t since,
    int64_t now);

/* ---- the account lock ---- */

/* Take the account's lock (exclusive, LOCK_TIMEOUT); the fd, or -1. */
int acct_lock(struct store *s, const char *name, char **why_r);
void acct_unlock(int fd);

#endif
